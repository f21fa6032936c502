/* gen.c — functions that pause: generators, coroutines, async generators.
 *
 * Owns: the generator object (it owns a suspended frame), send/throw/close
 * with CPython's rules, delegation of throw/close through `yield from` and
 * `await` chains, the awaitable protocol (`await x` → an iterator), the
 * async generator machinery (asend/athrow objects, wrapped values, the
 * first-iteration and finalizer hooks that asyncio installs), anext/aiter,
 * and finalization (close() when a suspended generator dies; the "never
 * awaited" warning).
 * Must not touch: the dispatch loop (vm.c resumes frames for us and calls
 * gen_finished / gen_convert_stop_iteration).
 *
 * A frame suspended inside `yield from`/`await` sits at YIELD_VALUE 1 with
 * the delegated iterator on top of its stack; that is how gi_yieldfrom,
 * throw() and close() find it.
 */
#include <string.h>
#include <stdio.h>
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "opcodes.h"
#include "errors.h"
#include "aio.h"

static uint32_t next_gen_id = 1;
static Value asyncgen_firstiter, asyncgen_finalizer;   /* sys.set_asyncgen_hooks */

static const char *kind_word(GenObj *g) {
    switch (g->kind) {
    case GEN_KIND_COROUTINE: return "coroutine";
    case GEN_KIND_ASYNC_GEN: return "async generator";
    default: return "generator";
    }
}

Value gen_new(Frame *f, Value func) {
    CodeObj *co = f->code;
    Type *t = (co->flags & CO_COROUTINE) ? &CoroutineType :
              (co->flags & CO_ASYNC_GEN) ? &AsyncGenType : &GeneratorType;
    GenObj *g = (GenObj *)gc_alloc(t, sizeof(GenObj));
    if (!g) { decref(OBJ_VAL(f)); return VNULL; }
    g->frame = f;                      /* takes the caller's reference */
    f->gen = g;
    frame_escape(f);                   /* a suspended frame can be part of a cycle */
    g->kind = t == &CoroutineType ? GEN_KIND_COROUTINE : t == &AsyncGenType ? GEN_KIND_ASYNC_GEN : GEN_KIND_GENERATOR;
    g->code = incref(OBJ_VAL(co));
    if (func && IS_TYPE(func, &FunctionType)) {
        g->name = incref(AS_FUNC(func)->name);
        g->qualname = incref(AS_FUNC(func)->qualname);
    } else {
        g->name = incref(co->name);
        g->qualname = incref(co->qualname);
    }
    g->id = next_gen_id++;
    return OBJ_VAL(g);
}

void gen_finished(GenObj *g) {
    Frame *f = g->frame;
    if (!f) return;
    g->frame = NULL;
    f->gen = NULL;
    frame_drop(f);
}

void gen_convert_stop_iteration(GenObj *g) {
    if (!vm.exc) return;
    const char *msg = NULL;
    if (g->kind == GEN_KIND_ASYNC_GEN) {
        if (err_matches(&Exc_StopAsyncIteration)) msg = "async generator raised StopAsyncIteration";
        else if (err_matches(&Exc_StopIteration)) msg = "async generator raised StopIteration";
    } else if (err_matches(&Exc_StopIteration)) {
        msg = g->kind == GEN_KIND_COROUTINE ? "coroutine raised StopIteration" : "generator raised StopIteration";
    }
    if (!msg) return;
    Value cause = err_fetch();
    Value e = exc_new_msg(&Exc_RuntimeError, msg);
    if (!e) { decref(cause); return; }
    AS_EXC(e)->cause = incref(cause);
    AS_EXC(e)->context = cause;
    AS_EXC(e)->suppress_context = true;
    err_restore(e);
}

/* The iterator a suspended frame is delegating to, or VNULL. */
Value gen_yieldfrom(GenObj *g) {
    Frame *f = g->frame;
    if (!f || f->state != FRAME_SUSPENDED) return VNULL;
    uint32_t prev = f->ip[-1];
    if (INSTR_OP(prev) != OP_YIELD_VALUE || INSTR_ARG(prev) != 1) return VNULL;
    return f->sp[-1];
}

/* ---- resuming --------------------------------------------------------------------------------- */
/* Run g's frame until it yields, returns or raises. The caller has already
 * arranged the frame's stack (a pushed value, or an exception in vm.exc). */
static SendResult resume(GenObj *g, Value *result) {
    Frame *f = g->frame;
    g->running = 1;
    g->awaited = 1;
    int yielded;
    Value r = vm_execute(f, &yielded);
    g->running = 0;
    if (!r) { *result = VNULL; return SEND_ERROR; }
    *result = r;
    return yielded ? SEND_YIELD : SEND_RETURN;
}

static bool check_runnable(GenObj *g) {
    if (g->running) {
        err_format(&Exc_ValueError, "%s already executing", kind_word(g));
        return false;
    }
    return true;
}

SendResult gen_send_ex(GenObj *g, Value arg, Value exc, Value *result) {
    *result = VNULL;
    if (!check_runnable(g)) return SEND_ERROR;
    Frame *f = g->frame;
    if (!f) {
        if (g->kind == GEN_KIND_COROUTINE && !exc) {
            err_format(&Exc_RuntimeError, "cannot reuse already awaited coroutine");
            return SEND_ERROR;
        }
        if (exc) { err_restore(incref(exc)); return SEND_ERROR; }
        *result = none_new();
        return SEND_RETURN;
    }
    if (f->state == FRAME_CREATED) {
        if (exc) {
            /* Thrown in before it started: it never runs. */
            gen_finished(g);
            err_restore(incref(exc));
            return SEND_ERROR;
        }
        if (arg && !IS_NONE(arg)) {
            err_format(&Exc_TypeError, "can't send non-None value to a just-started %s", kind_word(g));
            return SEND_ERROR;
        }
    } else if (exc) {
        err_restore(incref(exc));
    } else {
        *f->sp++ = incref(arg ? arg : None);
    }
    return resume(g, result);
}

SendResult iter_send(Value iter, Value arg, Value *result) {
    *result = VNULL;
    if (IS_TYPE(iter, &GeneratorType) || IS_TYPE(iter, &CoroutineType))
        return gen_send_ex(AS_GEN(iter), arg, VNULL, result);
    Value r;
    if (IS_NONE(arg) && TYPE_OF(iter)->iternext) {
        r = TYPE_OF(iter)->iternext(iter);
    } else {
        r = obj_call_method(iter, NM.send, &arg, 1);
    }
    if (r) { *result = r; return SEND_YIELD; }
    if (!err_occurred()) { *result = none_new(); return SEND_RETURN; }
    if (err_matches(&Exc_StopIteration)) {
        *result = err_stop_iteration_value();
        return SEND_RETURN;
    }
    return SEND_ERROR;
}

/* Close a delegated-to iterator (for close() of the outer generator). */
static int close_iter(Value yf) {
    if (IS_GEN_LIKE(yf) && AS_OBJ(yf)->type != &AsyncGenType) return gen_close(yf);
    Value m = obj_getattr_opt(yf, NM.close);
    if (!m) return err_occurred() ? -1 : 0;
    Value r = obj_call0(m);
    decref(m);
    if (!r) return -1;
    decref(r);
    return 0;
}

static SendResult gen_throw_exc(GenObj *g, Value exc, Value *result);

/* The frame's delegated iterator finished with `v`: continue after the SEND. */
static SendResult resume_past_send(GenObj *g, Value v, Value *result) {
    Frame *f = g->frame;
    Value yf = *--f->sp;
    decref(yf);
    uint32_t *send = f->code->code + INSTR_ARG(f->ip[0]);     /* the JUMP after YIELD_VALUE goes back to SEND */
    f->ip = f->code->code + INSTR_ARG(*send);                   /* SEND's exit */
    *f->sp++ = v;
    return resume(g, result);
}

static SendResult gen_throw_exc(GenObj *g, Value exc, Value *result) {
    *result = VNULL;
    if (!check_runnable(g)) return SEND_ERROR;
    Value yf = gen_yieldfrom(g);
    if (yf) {
        incref(yf);
        if (exc_matches(exc, OBJ_VAL(&Exc_GeneratorExit))) {
            /* close the inner iterator first, then throw GeneratorExit into us */
            g->running = 1;
            int err = close_iter(yf);
            g->running = 0;
            decref(yf);
            if (err < 0) {
                Value e = err_fetch();
                SendResult r = gen_send_ex(g, VNULL, e, result);
                decref(e);
                return r;
            }
            return gen_send_ex(g, VNULL, exc, result);
        }
        SendResult sr;
        Value out = VNULL;
        g->running = 1;
        if (IS_TYPE(yf, &GeneratorType) || IS_TYPE(yf, &CoroutineType)) {
            sr = gen_throw_exc(AS_GEN(yf), exc, &out);
        } else {
            Value m = obj_getattr_opt(yf, NM.throw);
            if (!m) {
                g->running = 0;
                decref(yf);
                if (err_occurred()) {
                    Value e = err_fetch();
                    SendResult r = gen_send_ex(g, VNULL, e, result);
                    decref(e);
                    return r;
                }
                return gen_send_ex(g, VNULL, exc, result);
            }
            Value tb = AS_EXC(exc)->traceback ? AS_EXC(exc)->traceback : None;
            Value args[3] = { OBJ_VAL(TYPE_OF(exc)), exc, tb };
            out = obj_call(m, args, 3, VNULL);
            decref(m);
            if (out) sr = SEND_YIELD;
            else if (err_matches(&Exc_StopIteration)) { out = err_stop_iteration_value(); sr = SEND_RETURN; }
            else sr = SEND_ERROR;
        }
        g->running = 0;
        decref(yf);
        if (sr == SEND_YIELD) { *result = out; return SEND_YIELD; }
        if (sr == SEND_RETURN) return resume_past_send(g, out, result);
        /* the inner iterator raised: that exception appears at our yield */
        Value e = err_fetch();
        SendResult r = gen_send_ex(g, VNULL, e, result);
        decref(e);
        return r;
    }
    return gen_send_ex(g, VNULL, exc, result);
}

/* Normalise throw(type[, value[, tb]]) into an exception instance. */
static Value make_thrown(Value typ, Value val, Value tb) {
    Value exc;
    if (exc_type_check(typ)) {
        if (val && !IS_NONE(val) && obj_isinstance_type(val, (Type *)AS_OBJ(typ))) exc = incref(val);
        else if (val && !IS_NONE(val)) {
            Value args[1] = { val };
            exc = IS_TYPE(val, &TupleType) ? obj_call(typ, TUPLE_ITEMS(val), TUPLE_LEN(val), VNULL) : obj_call(typ, args, 1, VNULL);
        } else exc = obj_call0(typ);
        if (!exc) return VNULL;
    } else if (IS_OBJ(typ) && obj_isinstance_type(typ, &Exc_BaseException)) {
        if (val && !IS_NONE(val))
            return err_format(&Exc_TypeError, "instance exception may not have a separate value");
        exc = incref(typ);
    } else {
        return err_format(&Exc_TypeError, "exceptions must be classes or instances deriving from BaseException, not %s",
                          obj_type_name(typ));
    }
    if (tb && !IS_NONE(tb)) {
        if (!IS_TYPE(tb, &TracebackType)) { decref(exc); return err_format(&Exc_TypeError, "throw() third argument must be a traceback object"); }
        setref(&AS_EXC(exc)->traceback, incref(tb));
    }
    return exc;
}

Value gen_throw_value(Value gen, Value typ, Value val, Value tb) {
    Value exc = make_thrown(typ, val, tb);
    if (!exc) return VNULL;
    Value out;
    SendResult r = gen_throw_exc(AS_GEN(gen), exc, &out);
    decref(exc);
    if (r == SEND_YIELD) return out;
    if (r == SEND_RETURN) {
        /* returned during throw: StopIteration(value) */
        Value e = exc_new(&Exc_StopIteration, &out, IS_NONE(out) ? 0 : 1);
        decref(out);
        if (e) err_restore(e);
        return VNULL;
    }
    return VNULL;
}

int gen_close(Value gen) {
    GenObj *g = AS_GEN(gen);
    Frame *f = g->frame;
    if (!f) return 0;
    if (f->state == FRAME_CREATED) { gen_finished(g); return 0; }
    if (g->running) { err_format(&Exc_ValueError, "%s already executing", kind_word(g)); return -1; }
    Value ge = exc_new(&Exc_GeneratorExit, NULL, 0);
    if (!ge) return -1;
    Value out;
    SendResult r = gen_throw_exc(g, ge, &out);
    decref(ge);
    if (r == SEND_YIELD) {
        decref(out);
        err_format(&Exc_RuntimeError, "%s ignored GeneratorExit", kind_word(g));
        return -1;
    }
    if (r == SEND_RETURN) { decref(out); return 0; }
    if (err_matches(&Exc_StopIteration) || err_matches(&Exc_GeneratorExit)) {
        err_clear();
        return 0;
    }
    return -1;
}

/* ---- methods shared by generators and coroutines ------------------------------------------------ */
static Value send_result_to_value(SendResult r, Value out) {
    if (r == SEND_YIELD) return out;
    if (r == SEND_RETURN) {
        Value e;
        if (IS_NONE(out)) e = exc_new(&Exc_StopIteration, NULL, 0);
        else e = exc_new(&Exc_StopIteration, &out, 1);
        decref(out);
        if (e) err_restore(e);
    }
    return VNULL;
}

Value gen_send_m(Value self, Value *args, size_t nargs, Value kwnames) {
    const char *name = AS_GEN(self)->kind == GEN_KIND_COROUTINE ? "coroutine.send" : "generator.send";
    if (args_no_kw(name, kwnames) || args_count(name, nargs, 1, 1)) return VNULL;
    Value out;
    SendResult r = gen_send_ex(AS_GEN(self), args[0], VNULL, &out);
    return send_result_to_value(r, out);
}

static Value gen_throw_m(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("throw", kwnames) || args_count("throw", nargs, 1, 3)) return VNULL;
    return gen_throw_value(self, args[0], nargs > 1 ? args[1] : VNULL, nargs > 2 ? args[2] : VNULL);
}

static Value gen_close_m(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("close", kwnames) || args_count("close", nargs, 0, 0)) return VNULL;
    return gen_close(self) < 0 ? VNULL : none_new();
}

static Value gen_iternext(Value self) {
    Value out;
    SendResult r = gen_send_ex(AS_GEN(self), None, VNULL, &out);
    if (r == SEND_YIELD) return out;
    if (r == SEND_RETURN) {
        if (!IS_NONE(out)) {
            Value e = exc_new(&Exc_StopIteration, &out, 1);
            if (e) err_restore(e);
        }
        decref(out);
    }
    return VNULL;
}

static Value gen_iter(Value self) { return incref(self); }

static Value gen_repr(Value self) {
    GenObj *g = AS_GEN(self);
    return str_from_fmt("<%s object %S at %p>", g->kind == GEN_KIND_ASYNC_GEN ? "async_generator" : kind_word(g),
                        g->qualname, (void *)self);
}

static void gen_dealloc(Obj *o) {
    GenObj *g = (GenObj *)o;
    /* the loop that saw its first iteration holds it weakly (src/loop.c) */
    if (g->kind == GEN_KIND_ASYNC_GEN && g->ag_hooks_inited) aio_asyncgen_forget(o);
    if (g->frame) { g->frame->gen = NULL; decref(OBJ_VAL(g->frame)); g->frame = NULL; }
    clearref(&g->name); clearref(&g->qualname); clearref(&g->code);
    clearref(&g->exc_state.exc); clearref(&g->ag_finalizer);
}

static void gen_traverse(Obj *o, VisitFn visit, void *arg) {
    GenObj *g = (GenObj *)o;
    if (g->frame) visit(OBJ_VAL(g->frame), arg);
    visit(g->name, arg); visit(g->qualname, arg); visit(g->code, arg);
    visit(g->exc_state.exc, arg); visit(g->ag_finalizer, arg);
}

static void gen_clear(Obj *o) {
    GenObj *g = (GenObj *)o;
    if (g->running) return;
    if (g->frame) { g->frame->gen = NULL; Frame *f = g->frame; g->frame = NULL; decref(OBJ_VAL(f)); }
    clearref(&g->exc_state.exc);
    clearref(&g->ag_finalizer);
}

/* ---- finalization ----------------------------------------------------------------------------- */
/* Where each never-awaited coroutine died: the warning is printed later, at
 * a safe point, but names the line that dropped the coroutine, as CPython's
 * (which warns at once). A few slots are plenty; when they are full the
 * warning names the line current when it is printed. */
#define DEATH_SITES 32
static struct { GenObj *g; Value filename; int line; } death_sites[DEATH_SITES];

static void note_death_site(GenObj *g) {
    Frame *f = vm.frame;
    if (!f) return;
    int free_slot = -1;
    for (int i = 0; i < DEATH_SITES; i++) {
        if (death_sites[i].g == g) return;              /* asked twice: the first death counts */
        if (!death_sites[i].g && free_slot < 0) free_slot = i;
    }
    if (free_slot < 0) return;
    death_sites[free_slot].g = g;
    death_sites[free_slot].filename = incref(f->code->filename);
    death_sites[free_slot].line = frame_lineno(f);
}

static bool take_death_site(GenObj *g, Value *filename, int *line) {
    for (int i = 0; i < DEATH_SITES; i++) {
        if (death_sites[i].g == g) {
            death_sites[i].g = NULL;
            *filename = death_sites[i].filename;        /* the caller's reference now */
            *line = death_sites[i].line;
            return true;
        }
    }
    return false;
}

static bool gen_needs_finalize(Obj *o) {
    GenObj *g = (GenObj *)o;
    if (!g->frame) return false;
    if (g->frame->state == FRAME_SUSPENDED) return true;
    if (g->kind == GEN_KIND_COROUTINE && g->frame->state == FRAME_CREATED) {
        note_death_site(g);
        return true;
    }
    return false;
}

static void warn_never_awaited(GenObj *g) {
    fflush(stdout);
    Value filename = VNULL;
    int line = 0;
    if (!take_death_site(g, &filename, &line) && vm.frame) {
        filename = incref(vm.frame->code->filename);
        line = frame_lineno(vm.frame);
    }
    if (filename) {
        fprintf(stderr, "%s:%d: RuntimeWarning: coroutine '%s' was never awaited\n",
                STR_DATA(filename), line, STR_DATA(g->qualname));
        char buf[512];
        if (linecache_get(STR_DATA(filename), line, buf, sizeof buf, NULL)) fprintf(stderr, "  %s\n", buf);
        decref(filename);
    } else {
        fprintf(stderr, "sys:1: RuntimeWarning: coroutine '%s' was never awaited\n", STR_DATA(g->qualname));
    }
    fputs("RuntimeWarning: Enable tracemalloc to get the object allocation traceback\n", stderr);
}

static void gen_finalize(Obj *o) {
    GenObj *g = (GenObj *)o;
    Value self = OBJ_VAL(o);
    if (!g->frame) return;
    if (g->kind == GEN_KIND_COROUTINE && g->frame->state == FRAME_CREATED) {
        warn_never_awaited(g);
        gen_finished(g);
        return;
    }
    if (g->kind == GEN_KIND_ASYNC_GEN && g->ag_finalizer && !IS_NONE(g->ag_finalizer)) {
        Value fin = incref(g->ag_finalizer);
        Value r = obj_call1(fin, self);
        decref(fin);
        if (!r) {
            Value where = obj_repr(self);
            err_write_unraisable(err_fetch(), where ? STR_DATA(where) : NULL);
            decref(where);
        }
        decref(r);
        return;
    }
    if (gen_close(self) < 0) {
        Value e = err_fetch();
        Value where = obj_repr(self);
        err_write_unraisable(e, where ? STR_DATA(where) : NULL);
        decref(where);
    }
}

/* ---- attributes ------------------------------------------------------------------------------ */
static Value g_frame(Value self) {
    Frame *f = AS_GEN(self)->frame;
    if (!f || f->state == FRAME_COMPLETED) return none_new();
    frame_escape(f);
    return incref(OBJ_VAL(f));
}
static Value g_running(Value self) { return bool_new(AS_GEN(self)->running); }
static Value g_suspended(Value self) {
    Frame *f = AS_GEN(self)->frame;
    return bool_new(f && f->state == FRAME_SUSPENDED && !AS_GEN(self)->running);
}
static Value g_code(Value self) { return incref(AS_GEN(self)->code); }
static Value g_yieldfrom(Value self) {
    Value y = gen_yieldfrom(AS_GEN(self));
    return incref(y ? y : None);
}
static Value g_name(Value self) { return incref(AS_GEN(self)->name); }
static int g_set_name(Value self, Value v) {
    if (!v || !IS_STR(v)) { err_format(&Exc_TypeError, "__name__ must be set to a string object"); return -1; }
    setref(&AS_GEN(self)->name, incref(v));
    return 0;
}
static Value g_qualname(Value self) { return incref(AS_GEN(self)->qualname); }
static int g_set_qualname(Value self, Value v) {
    if (!v || !IS_STR(v)) { err_format(&Exc_TypeError, "__qualname__ must be set to a string object"); return -1; }
    setref(&AS_GEN(self)->qualname, incref(v));
    return 0;
}
static Value g_origin(Value self) { (void)self; return none_new(); }

static const GetSetDef gen_getsets[] = {
    { "gi_frame", g_frame, NULL }, { "gi_running", g_running, NULL }, { "gi_code", g_code, NULL },
    { "gi_yieldfrom", g_yieldfrom, NULL }, { "gi_suspended", g_suspended, NULL },
    { "__name__", g_name, g_set_name }, { "__qualname__", g_qualname, g_set_qualname },
    { NULL, NULL, NULL }
};
static const GetSetDef coro_getsets[] = {
    { "cr_frame", g_frame, NULL }, { "cr_running", g_running, NULL }, { "cr_code", g_code, NULL },
    { "cr_await", g_yieldfrom, NULL }, { "cr_suspended", g_suspended, NULL }, { "cr_origin", g_origin, NULL },
    { "__name__", g_name, g_set_name }, { "__qualname__", g_qualname, g_set_qualname },
    { NULL, NULL, NULL }
};

const char *gen_state_name(GenObj *g) {
    bool coro = g->kind == GEN_KIND_COROUTINE;
    if (g->running) return coro ? "CORO_RUNNING" : "GEN_RUNNING";
    if (!g->frame) return coro ? "CORO_CLOSED" : "GEN_CLOSED";
    if (g->frame->state == FRAME_CREATED) return coro ? "CORO_CREATED" : "GEN_CREATED";
    return coro ? "CORO_SUSPENDED" : "GEN_SUSPENDED";
}

static const MethodDef gen_methods[] = {
    { "send", gen_send_m, 0 }, { "throw", gen_throw_m, 0 }, { "close", gen_close_m, 0 },
    { NULL, NULL, 0 }
};

Type GeneratorType = {
    STATIC_TYPE_HEAD, .name = "generator", .flags = TF_GC, .size = sizeof(GenObj),
    .dealloc = gen_dealloc, .traverse = gen_traverse, .clear = gen_clear,
    .finalize = gen_finalize, .needs_finalize = gen_needs_finalize,
    .repr = gen_repr, .iter = gen_iter, .iternext = gen_iternext,
};

/* ---- coroutines --------------------------------------------------------------------------------- */
typedef struct { Obj h; Value coro; } CoroWrapperObj;

static Value coro_await_m(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("__await__", kwnames) || args_count("__await__", nargs, 0, 0)) return VNULL;
    CoroWrapperObj *w = (CoroWrapperObj *)gc_alloc(&CoroWrapperType, sizeof *w);
    if (!w) return VNULL;
    w->coro = incref(self);
    return OBJ_VAL(w);
}

static const MethodDef coro_methods[] = {
    { "send", gen_send_m, 0 }, { "throw", gen_throw_m, 0 }, { "close", gen_close_m, 0 },
    { "__await__", coro_await_m, 0 },
    { NULL, NULL, 0 }
};

Type CoroutineType = {
    STATIC_TYPE_HEAD, .name = "coroutine", .flags = TF_GC, .size = sizeof(GenObj),
    .dealloc = gen_dealloc, .traverse = gen_traverse, .clear = gen_clear,
    .finalize = gen_finalize, .needs_finalize = gen_needs_finalize, .repr = gen_repr,
};

static void cw_dealloc(Obj *o) { clearref(&((CoroWrapperObj *)o)->coro); }
static void cw_traverse(Obj *o, VisitFn v, void *a) { v(((CoroWrapperObj *)o)->coro, a); }
static Value cw_iternext(Value self) { return gen_iternext(((CoroWrapperObj *)AS_OBJ(self))->coro); }
static Value cw_send(Value self, Value *args, size_t nargs, Value kw) {
    return gen_send_m(((CoroWrapperObj *)AS_OBJ(self))->coro, args, nargs, kw);
}
static Value cw_throw(Value self, Value *args, size_t nargs, Value kw) {
    return gen_throw_m(((CoroWrapperObj *)AS_OBJ(self))->coro, args, nargs, kw);
}
static Value cw_close(Value self, Value *args, size_t nargs, Value kw) {
    return gen_close_m(((CoroWrapperObj *)AS_OBJ(self))->coro, args, nargs, kw);
}
static const MethodDef cw_methods[] = {
    { "send", cw_send, 0 }, { "throw", cw_throw, 0 }, { "close", cw_close, 0 }, { NULL, NULL, 0 }
};

Type CoroWrapperType = {
    STATIC_TYPE_HEAD, .name = "coroutine_wrapper", .flags = TF_GC, .size = sizeof(CoroWrapperObj),
    .dealloc = cw_dealloc, .traverse = cw_traverse, .iter = gen_iter, .iternext = cw_iternext,
};

/* `await v`: the iterator to delegate to. */
Value coro_get_awaitable_iter(Value v) {
    if (IS_TYPE(v, &CoroutineType)) {
        GenObj *g = AS_GEN(v);
        if (!g->frame) return err_format(&Exc_RuntimeError, "cannot reuse already awaited coroutine");
        if (gen_yieldfrom(g)) return err_format(&Exc_RuntimeError, "coroutine is being awaited already");
        return incref(v);
    }
    if (IS_TYPE(v, &GeneratorType) && (AS_CODE(AS_GEN(v)->code)->flags & CO_ITERABLE_COROUTINE)) return incref(v);
    Value m = type_lookup(TYPE_OF(v), NM.__await__);
    if (!m) return err_format(&Exc_TypeError, "object %s can't be used in 'await' expression", obj_type_name(v));
    Value it = obj_call_method(v, NM.__await__, NULL, 0);
    if (!it) return VNULL;
    if (IS_TYPE(it, &CoroutineType) ||
        (IS_TYPE(it, &GeneratorType) && (AS_CODE(AS_GEN(it)->code)->flags & CO_ITERABLE_COROUTINE))) {
        decref(it);
        return err_format(&Exc_TypeError, "__await__() returned a coroutine");
    }
    if (!TYPE_OF(it)->iternext) {
        Value e = err_format(&Exc_TypeError, "__await__() returned non-iterator of type '%s'", obj_type_name(it));
        decref(it);
        return e;
    }
    return it;
}

/* ======================================================================================
 * Async generators
 * ====================================================================================== */
typedef struct { Obj h; Value value; } WrappedObj;

static void wrapped_dealloc(Obj *o) { clearref(&((WrappedObj *)o)->value); }
static void wrapped_traverse(Obj *o, VisitFn v, void *a) { v(((WrappedObj *)o)->value, a); }
static Type AsyncGenWrappedType = {
    STATIC_TYPE_HEAD, .name = "async_generator_wrapped_value", .flags = TF_GC, .size = sizeof(WrappedObj),
    .dealloc = wrapped_dealloc, .traverse = wrapped_traverse,
};

Value asyncgen_wrap_value(Value v) {
    WrappedObj *w = (WrappedObj *)gc_alloc(&AsyncGenWrappedType, sizeof *w);
    if (!w) return VNULL;
    w->value = incref(v);
    return OBJ_VAL(w);
}

void gen_set_asyncgen_hooks(Value firstiter, Value finalizer) {
    setref(&asyncgen_firstiter, incref(firstiter && !IS_NONE(firstiter) ? firstiter : VNULL));
    setref(&asyncgen_finalizer, incref(finalizer && !IS_NONE(finalizer) ? finalizer : VNULL));
}

void gen_get_asyncgen_hooks(Value *firstiter, Value *finalizer) {
    *firstiter = asyncgen_firstiter;
    *finalizer = asyncgen_finalizer;
}

static int init_hooks(GenObj *g) {
    if (g->ag_hooks_inited) return 0;
    g->ag_hooks_inited = 1;
    if (asyncgen_finalizer) g->ag_finalizer = incref(asyncgen_finalizer);
    if (asyncgen_firstiter) {
        Value fi = incref(asyncgen_firstiter);
        Value r = obj_call1(fi, OBJ_VAL(g));
        decref(fi);
        if (!r) return -1;
        decref(r);
    }
    return 0;
}

/* What a step of the async generator's frame means for the awaiting code:
 * a wrapped value is the item (StopIteration(item) ends the asend); a bare
 * yield is an await inside the generator passing through to the loop. */
static Value unwrap_step(GenObj *g, SendResult r, Value out) {
    if (r == SEND_ERROR) {
        g->ag_running_async = 0;
        if (err_matches(&Exc_StopAsyncIteration) || err_matches(&Exc_GeneratorExit)) g->ag_closed = 1;
        return VNULL;
    }
    if (r == SEND_RETURN) {
        decref(out);
        g->ag_running_async = 0;
        g->ag_closed = 1;
        err_set_type(&Exc_StopAsyncIteration, VNULL);
        return VNULL;
    }
    if (IS_TYPE(out, &AsyncGenWrappedType)) {
        g->ag_running_async = 0;
        Value v = incref(((WrappedObj *)AS_OBJ(out))->value);
        decref(out);
        Value e = exc_new(&Exc_StopIteration, &v, 1);
        decref(v);
        if (e) err_restore(e);
        return VNULL;
    }
    return out;
}

typedef enum { AW_INIT, AW_ITER, AW_CLOSED } AwaitState;

typedef struct {
    Obj h;
    Value gen;
    Value sendval;          /* asend: the value; athrow: the exception (VNULL for aclose) */
    uint8_t state;
    uint8_t is_throw;       /* athrow / aclose */
    uint8_t is_close;       /* aclose */
} AGAwaitObj;

static void aw_dealloc(Obj *o) { AGAwaitObj *a = (AGAwaitObj *)o; clearref(&a->gen); clearref(&a->sendval); }
static void aw_traverse(Obj *o, VisitFn v, void *x) { AGAwaitObj *a = (AGAwaitObj *)o; v(a->gen, x); v(a->sendval, x); }

static Value make_await(Type *t, Value gen, Value val, bool is_throw, bool is_close) {
    AGAwaitObj *a = (AGAwaitObj *)gc_alloc(t, sizeof *a);
    if (!a) return VNULL;
    a->gen = incref(gen);
    a->sendval = incref(val);
    a->is_throw = is_throw;
    a->is_close = is_close;
    return OBJ_VAL(a);
}

static Value asend_send(Value self, Value arg) {
    AGAwaitObj *a = (AGAwaitObj *)AS_OBJ(self);
    GenObj *g = AS_GEN(a->gen);
    if (a->state == AW_CLOSED)
        return err_format(&Exc_RuntimeError, "cannot reuse already awaited __anext__()/asend()");
    if (a->state == AW_INIT) {
        if (g->ag_running_async) {
            a->state = AW_CLOSED;
            return err_format(&Exc_RuntimeError, "anext(): asynchronous generator is already running");
        }
        if (g->ag_closed || !g->frame) {
            a->state = AW_CLOSED;
            err_set_type(&Exc_StopAsyncIteration, VNULL);
            return VNULL;
        }
        if (!arg || IS_NONE(arg)) arg = a->sendval ? a->sendval : None;
        a->state = AW_ITER;
    }
    g->ag_running_async = 1;
    Value out;
    SendResult r = gen_send_ex(g, arg, VNULL, &out);
    Value res = unwrap_step(g, r, out);
    if (!res) a->state = AW_CLOSED;
    return res;
}

static Value asend_throw_common(Value self, Value exc) {
    AGAwaitObj *a = (AGAwaitObj *)AS_OBJ(self);
    GenObj *g = AS_GEN(a->gen);
    if (a->state == AW_CLOSED) return err_format(&Exc_RuntimeError, "cannot reuse already awaited __anext__()/asend()");
    Value out;
    SendResult r = gen_throw_exc(g, exc, &out);
    Value res = unwrap_step(g, r, out);
    if (!res) a->state = AW_CLOSED;
    return res;
}

static Value athrow_send(Value self, Value arg) {
    AGAwaitObj *a = (AGAwaitObj *)AS_OBJ(self);
    GenObj *g = AS_GEN(a->gen);
    if (a->state == AW_CLOSED)
        return err_format(&Exc_RuntimeError, "cannot reuse already awaited aclose()/athrow()");
    Value out;
    SendResult r;
    if (a->state == AW_INIT) {
        if (g->ag_running_async) {
            a->state = AW_CLOSED;
            return err_format(&Exc_RuntimeError, a->is_close ? "aclose(): asynchronous generator is already running"
                                                            : "athrow(): asynchronous generator is already running");
        }
        if (g->ag_closed || !g->frame || g->frame->state == FRAME_CREATED) {
            a->state = AW_CLOSED;
            if (g->frame && g->frame->state == FRAME_CREATED) gen_finished(g);
            g->ag_closed = 1;
            if (a->is_close) { err_set_type(&Exc_StopIteration, VNULL); return VNULL; }
            if (!g->frame && !a->is_close && g->ag_closed) {
                err_restore(incref(a->sendval));
                return VNULL;
            }
            err_set_type(&Exc_StopAsyncIteration, VNULL);
            return VNULL;
        }
        a->state = AW_ITER;
        g->ag_running_async = 1;
        Value exc = a->sendval;
        Value made = VNULL;
        if (a->is_close) exc = made = exc_new(&Exc_GeneratorExit, NULL, 0);
        if (!exc) return VNULL;
        r = gen_throw_exc(g, exc, &out);
        decref(made);
    } else {
        r = gen_send_ex(g, arg ? arg : None, VNULL, &out);
    }
    if (a->is_close) {
        if (r == SEND_YIELD && IS_TYPE(out, &AsyncGenWrappedType)) {
            decref(out);
            g->ag_running_async = 0;
            a->state = AW_CLOSED;
            return err_format(&Exc_RuntimeError, "async generator ignored GeneratorExit");
        }
        if (r == SEND_YIELD) return out;
        g->ag_running_async = 0;
        a->state = AW_CLOSED;
        g->ag_closed = 1;
        if (r == SEND_RETURN) { decref(out); err_set_type(&Exc_StopIteration, VNULL); return VNULL; }
        if (err_matches(&Exc_StopAsyncIteration) || err_matches(&Exc_GeneratorExit)) {
            err_clear();
            err_set_type(&Exc_StopIteration, VNULL);
        }
        return VNULL;
    }
    Value res = unwrap_step(g, r, out);
    if (!res) a->state = AW_CLOSED;
    return res;
}

static Value aw_iternext(Value self) {
    AGAwaitObj *a = (AGAwaitObj *)AS_OBJ(self);
    return a->is_throw ? athrow_send(self, None) : asend_send(self, None);
}

static Value aw_send_m(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("send", kw) || args_count("send", nargs, 1, 1)) return VNULL;
    AGAwaitObj *a = (AGAwaitObj *)AS_OBJ(self);
    return a->is_throw ? athrow_send(self, args[0]) : asend_send(self, args[0]);
}

static Value aw_throw_m(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("throw", kw) || args_count("throw", nargs, 1, 3)) return VNULL;
    Value exc = make_thrown(args[0], nargs > 1 ? args[1] : VNULL, nargs > 2 ? args[2] : VNULL);
    if (!exc) return VNULL;
    Value r = asend_throw_common(self, exc);
    decref(exc);
    return r;
}

static Value aw_close_m(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    ((AGAwaitObj *)AS_OBJ(self))->state = AW_CLOSED;
    return none_new();
}

static const MethodDef aw_methods[] = {
    { "send", aw_send_m, 0 }, { "throw", aw_throw_m, 0 }, { "close", aw_close_m, 0 }, { NULL, NULL, 0 }
};

static Value aw_await(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return incref(self);
}
static const MethodDef aw_await_def[] = { { "__await__", aw_await, 0 }, { NULL, NULL, 0 } };

Type AsyncGenASendType = {
    STATIC_TYPE_HEAD, .name = "async_generator_asend", .flags = TF_GC, .size = sizeof(AGAwaitObj),
    .dealloc = aw_dealloc, .traverse = aw_traverse, .iter = gen_iter, .iternext = aw_iternext,
};
Type AsyncGenAThrowType = {
    STATIC_TYPE_HEAD, .name = "async_generator_athrow", .flags = TF_GC, .size = sizeof(AGAwaitObj),
    .dealloc = aw_dealloc, .traverse = aw_traverse, .iter = gen_iter, .iternext = aw_iternext,
};

static Value ag_anext(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (args_no_kw("__anext__", kw) || args_count("__anext__", nargs, 0, 0)) return VNULL;
    if (init_hooks(AS_GEN(self)) < 0) return VNULL;
    return make_await(&AsyncGenASendType, self, VNULL, false, false);
}
static Value ag_aiter(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return incref(self);
}
static Value ag_asend(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("asend", kw) || args_count("asend", nargs, 1, 1)) return VNULL;
    if (init_hooks(AS_GEN(self)) < 0) return VNULL;
    return make_await(&AsyncGenASendType, self, args[0], false, false);
}
static Value ag_athrow(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("athrow", kw) || args_count("athrow", nargs, 1, 3)) return VNULL;
    if (init_hooks(AS_GEN(self)) < 0) return VNULL;
    Value exc = make_thrown(args[0], nargs > 1 ? args[1] : VNULL, nargs > 2 ? args[2] : VNULL);
    if (!exc) return VNULL;
    Value r = make_await(&AsyncGenAThrowType, self, exc, true, false);
    decref(exc);
    return r;
}
static Value ag_aclose(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (args_no_kw("aclose", kw) || args_count("aclose", nargs, 0, 0)) return VNULL;
    if (init_hooks(AS_GEN(self)) < 0) return VNULL;
    return make_await(&AsyncGenAThrowType, self, VNULL, true, true);
}

static Value ag_running(Value self) { return bool_new(AS_GEN(self)->ag_running_async); }

static const MethodDef ag_methods[] = {
    { "__anext__", ag_anext, 0 }, { "__aiter__", ag_aiter, 0 }, { "asend", ag_asend, 0 },
    { "athrow", ag_athrow, 0 }, { "aclose", ag_aclose, 0 }, { NULL, NULL, 0 }
};
static const GetSetDef ag_getsets[] = {
    { "ag_frame", g_frame, NULL }, { "ag_running", ag_running, NULL }, { "ag_code", g_code, NULL },
    { "ag_await", g_yieldfrom, NULL }, { "ag_suspended", g_suspended, NULL },
    { "__name__", g_name, g_set_name }, { "__qualname__", g_qualname, g_set_qualname },
    { NULL, NULL, NULL }
};

Type AsyncGenType = {
    STATIC_TYPE_HEAD, .name = "async_generator", .flags = TF_GC, .size = sizeof(GenObj),
    .dealloc = gen_dealloc, .traverse = gen_traverse, .clear = gen_clear,
    .finalize = gen_finalize, .needs_finalize = gen_needs_finalize, .repr = gen_repr,
};

/* ---- aiter() and anext() ----------------------------------------------------------------------- */
Value builtin_aiter(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("aiter", kw) || args_count("aiter", nargs, 1, 1)) return VNULL;
    Value m = type_lookup(TYPE_OF(args[0]), NM.__aiter__);
    if (!m) return err_format(&Exc_TypeError, "'%s' object is not an async iterable", obj_type_name(args[0]));
    Value it = obj_call_method(args[0], NM.__aiter__, NULL, 0);
    if (it && !type_lookup(TYPE_OF(it), NM.__anext__)) {
        Value e = err_format(&Exc_TypeError, "aiter() returned not an async iterator of type '%s'", obj_type_name(it));
        decref(it);
        return e;
    }
    return it;
}

/* anext(it, default): an awaitable that turns StopAsyncIteration into the default. */
typedef struct { Obj h; Value inner; Value dflt; } ANextObj;
static void an_dealloc(Obj *o) { clearref(&((ANextObj *)o)->inner); clearref(&((ANextObj *)o)->dflt); }
static void an_traverse(Obj *o, VisitFn v, void *a) { v(((ANextObj *)o)->inner, a); v(((ANextObj *)o)->dflt, a); }

static Value an_fix(ANextObj *a, Value r) {
    if (r || !err_matches(&Exc_StopAsyncIteration)) return r;
    err_clear();
    Value e = exc_new(&Exc_StopIteration, &a->dflt, 1);
    if (e) err_restore(e);
    return VNULL;
}
static Value an_send_impl(Value self, Value arg) {
    ANextObj *a = (ANextObj *)AS_OBJ(self);
    Value out;
    SendResult r = iter_send(a->inner, arg, &out);
    if (r == SEND_YIELD) return out;
    if (r == SEND_RETURN) {
        Value e = exc_new(&Exc_StopIteration, &out, 1);
        decref(out);
        if (e) err_restore(e);
        return VNULL;
    }
    return an_fix(a, VNULL);
}
static Value an_next(Value self) { return an_send_impl(self, None); }
static Value an_send(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("send", kw) || args_count("send", nargs, 1, 1)) return VNULL;
    return an_send_impl(self, args[0]);
}
static Value an_throw(Value self, Value *args, size_t nargs, Value kw) {
    ANextObj *a = (ANextObj *)AS_OBJ(self);
    Value m = obj_getattr(a->inner, NM.throw);
    if (!m) return VNULL;
    Value r = obj_call(m, args, nargs, kw);
    decref(m);
    return an_fix(a, r);
}
static const MethodDef an_methods[] = {
    { "send", an_send, 0 }, { "throw", an_throw, 0 }, { "__await__", aw_await, 0 }, { NULL, NULL, 0 }
};
static Type ANextAwaitableType = {
    STATIC_TYPE_HEAD, .name = "anext_awaitable", .flags = TF_GC, .size = sizeof(ANextObj),
    .dealloc = an_dealloc, .traverse = an_traverse, .iter = gen_iter, .iternext = an_next,
};

Value builtin_anext(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("anext", kw) || args_count("anext", nargs, 1, 2)) return VNULL;
    Value m = type_lookup(TYPE_OF(args[0]), NM.__anext__);
    if (!m) return err_format(&Exc_TypeError, "'%s' object is not an async iterator", obj_type_name(args[0]));
    Value aw = obj_call_method(args[0], NM.__anext__, NULL, 0);
    if (!aw || nargs == 1) return aw;
    Value it = coro_get_awaitable_iter(aw);
    decref(aw);
    if (!it) return VNULL;
    ANextObj *a = (ANextObj *)gc_alloc(&ANextAwaitableType, sizeof *a);
    if (!a) { decref(it); return VNULL; }
    a->inner = it;
    a->dflt = incref(args[1]);
    return OBJ_VAL(a);
}

/* types.coroutine support: make a generator function's generators awaitable. */
Value gen_mark_iterable_coroutine(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("_mark_iterable_coroutine", kw) || args_count("_mark_iterable_coroutine", nargs, 1, 1)) return VNULL;
    if (IS_TYPE(args[0], &FunctionType) && (AS_FUNC(args[0])->code->flags & CO_GENERATOR))
        AS_FUNC(args[0])->code->flags |= CO_ITERABLE_COROUTINE;
    return incref(args[0]);
}

void gen_init_types(void) {
    type_add_methods(&GeneratorType, gen_methods);
    type_add_getsets(&GeneratorType, gen_getsets);
    type_ready(&GeneratorType);
    type_add_methods(&CoroutineType, coro_methods);
    type_add_getsets(&CoroutineType, coro_getsets);
    type_ready(&CoroutineType);
    type_add_methods(&CoroWrapperType, cw_methods);
    type_ready(&CoroWrapperType);
    type_ready(&AsyncGenWrappedType);
    type_add_methods(&AsyncGenASendType, aw_methods);
    type_add_methods(&AsyncGenASendType, aw_await_def);
    type_ready(&AsyncGenASendType);
    type_add_methods(&AsyncGenAThrowType, aw_methods);
    type_add_methods(&AsyncGenAThrowType, aw_await_def);
    type_ready(&AsyncGenAThrowType);
    type_add_methods(&AsyncGenType, ag_methods);
    type_add_getsets(&AsyncGenType, ag_getsets);
    type_ready(&AsyncGenType);
    type_add_methods(&ANextAwaitableType, an_methods);
    type_ready(&ANextAwaitableType);
}
