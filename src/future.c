/* future.c — asyncio.Future: a value that will exist later.
 *
 * Owns: the Future state machine (pending → finished | cancelled), its
 * done-callbacks (scheduled with call_soon when it finishes), results and
 * exceptions with CPython's messages, "Future exception was never
 * retrieved", and `__await__`, which is exactly the notes' version:
 *
 *     def __await__(self):
 *         if not self.done():
 *             self._asyncio_future_blocking = True
 *             yield self            # tells the Task to wait for us
 *         if not self.done():
 *             raise RuntimeError("await wasn't used with future")
 *         return self.result()
 *
 * Must not touch: the loop's queues (it calls loop_call_soon) or Task logic.
 */
#include <string.h>
#include <stddef.h>
#include "aio.h"
#include "containers.h"
#include "gc.h"
#include "names.h"
#include "trace.h"

static uint32_t next_future_id = 1;

bool future_check(Value v) { return IS_OBJ(v) && obj_isinstance_type(v, &FutureType); }

/* asyncio.isfuture: anything with _asyncio_future_blocking that isn't None */
bool isfuture(Value v) {
    if (future_check(v)) return true;
    if (!IS_OBJ(v) || obj_isinstance_type(v, &TypeType)) return false;
    Value b = obj_getattr_opt(v, NM._asyncio_future_blocking);
    bool r = b && !IS_NONE(b);
    decref(b);
    if (err_occurred()) err_clear();
    return r;
}

int future_init(FutureObj *f, Value loop) {
    if (!loop || IS_NONE(loop)) {
        loop = loop_get_event_loop();
        if (!loop) return -1;
    } else if (!obj_isinstance_type(loop, &LoopType)) {
        /* CPython's future_init asks the loop loop.get_debug(): a loop that is not
           one fails here (Future(loop=5): 'int' object has no attribute 'get_debug') */
        Value d = obj_call_method_cstr(loop, "get_debug", 0);
        if (!d) return -1;
        decref(d);
    }
    setref(&f->loop, incref(loop));
    f->state = FUT_PENDING;
    if (!f->id) f->id = next_future_id++;
    return 0;
}

Value future_new(Value loop) {
    FutureObj *f = (FutureObj *)gc_alloc(&FutureType, sizeof(FutureObj));
    if (!f) return VNULL;
    if (future_init(f, loop) < 0) { decref(OBJ_VAL(f)); return VNULL; }
    return OBJ_VAL(f);
}

/* ---- finishing --------------------------------------------------------------------------------- */
static int schedule_one(FutureObj *f, Value fn, Value ctx) {
    Value self = OBJ_VAL(f);
    Value h = loop_call_soon(f->loop, fn, &self, 1, ctx);
    if (!h) return -1;
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_CALLBACK_SCHEDULED, self, fn, "done-callback");
    decref(h);
    return 0;
}

int future_schedule_callbacks(FutureObj *f) {
    int r = 0;
    if (f->cb0) {
        Value fn = f->cb0, ctx = f->ctx0;
        f->cb0 = f->ctx0 = VNULL;
        r = schedule_one(f, fn, ctx);
        decref(fn);
        decref(ctx);
    }
    Value cbs = f->callbacks;
    if (!cbs) return r;
    f->callbacks = VNULL;
    for (size_t i = 0; i < LIST_LEN(cbs) && r == 0; i++) {
        Value pair = LIST_ITEMS(cbs)[i];
        r = schedule_one(f, TUPLE_ITEMS(pair)[0], TUPLE_ITEMS(pair)[1]);
    }
    decref(cbs);
    return r;
}

/* The callbacks in order: the first one, then the list. */
static size_t callback_count(FutureObj *f) {
    return (f->cb0 ? 1 : 0) + (f->callbacks ? LIST_LEN(f->callbacks) : 0);
}

static Value callback_fn(FutureObj *f, size_t i) {     /* borrowed */
    if (f->cb0) {
        if (i == 0) return f->cb0;
        i--;
    }
    return TUPLE_ITEMS(LIST_ITEMS(f->callbacks)[i])[0];
}

static const char *state_name(FutState s) {
    return s == FUT_PENDING ? "PENDING" : s == FUT_CANCELLED ? "CANCELLED" : "FINISHED";
}

/* set_result()/set_exception() on a done future: CPython's C Future says
 * just "invalid state" (futures.py's "FINISHED: <Future ...>" is the pure
 * Python fallback, which CPython does not use). */
static int invalid_state(Value fut) {
    (void)fut;
    err_format(&Exc_InvalidStateError, "invalid state");
    return -1;
}

int future_set_result(Value fut, Value result) {
    FutureObj *f = AS_FUTURE(fut);
    if (f->state != FUT_PENDING) return invalid_state(fut);
    setref(&f->result, incref(result));
    f->state = FUT_FINISHED;
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_FUTURE_DONE, fut, result, "result");
    return future_schedule_callbacks(f);
}

int future_set_exception(Value fut, Value exc) {
    FutureObj *f = AS_FUTURE(fut);
    if (f->state != FUT_PENDING) return invalid_state(fut);
    Value e;
    if (exc_type_check(exc)) {
        e = obj_call0(exc);
        if (!e) return -1;
    } else if (IS_OBJ(exc) && obj_isinstance_type(exc, &Exc_BaseException)) {
        e = incref(exc);
    } else {
        err_format(&Exc_TypeError, "invalid exception object");
        return -1;
    }
    if (TYPE_OF(e) == &Exc_StopIteration) {
        decref(e);
        err_format(&Exc_TypeError, "StopIteration interacts badly with generators and cannot be raised into a Future");
        return -1;
    }
    setref(&f->exception, e);
    setref(&f->exception_tb, incref(AS_EXC(e)->traceback));
    f->state = FUT_FINISHED;
    f->log_traceback = 1;
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_FUTURE_DONE, fut, e, "exception");
    return future_schedule_callbacks(f);
}

int future_cancel(Value fut, Value msg) {
    FutureObj *f = AS_FUTURE(fut);
    f->log_traceback = 0;
    if (f->state != FUT_PENDING) return 0;
    f->state = FUT_CANCELLED;
    setref(&f->cancel_message, incref(msg && !IS_NONE(msg) ? msg : VNULL));
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_FUTURE_DONE, fut, None, "cancelled");
    if (future_schedule_callbacks(f) < 0) return -1;
    return 1;
}

Value future_make_cancelled_error(FutureObj *f) {
    if (f->cancelled_exc) {
        Value e = f->cancelled_exc;
        f->cancelled_exc = VNULL;
        return e;
    }
    Value e = f->cancel_message ? exc_new(&Exc_CancelledError, &f->cancel_message, 1)
                                : exc_new(&Exc_CancelledError, NULL, 0);
    return e;
}

Value future_result(Value fut) {
    FutureObj *f = AS_FUTURE(fut);
    if (f->state == FUT_CANCELLED) {
        Value e = future_make_cancelled_error(f);
        if (e) err_set(e);
        return VNULL;
    }
    if (f->state != FUT_FINISHED) return err_format(&Exc_InvalidStateError, "Result is not set.");
    f->log_traceback = 0;
    if (f->exception) {
        Value e = incref(f->exception);
        setref(&AS_EXC(e)->traceback, incref(f->exception_tb));
        err_set(e);
        return VNULL;
    }
    return incref(f->result);
}

int future_add_done_callback(Value fut, Value fn, Value context) {
    FutureObj *f = AS_FUTURE(fut);
    if (!context) context = None;
    if (f->state != FUT_PENDING) {
        Value h = loop_call_soon(f->loop, fn, &fut, 1, context);
        if (!h) return -1;
        decref(h);
        return 0;
    }
    if (!f->cb0 && !f->callbacks) {
        f->cb0 = incref(fn);
        f->ctx0 = incref(context);
        return 0;
    }
    if (!f->callbacks && !(f->callbacks = list_new(0))) return -1;
    Value pair = tuple_pack(2, fn, context);
    if (!pair) return -1;
    int r = list_append(f->callbacks, pair);
    decref(pair);
    return r;
}

/* ---- repr -------------------------------------------------------------------------------------- */
/* CPython's format_helpers._format_callback_source, in short: a qualname,
 * "()" and, for a plain function, " at file:line" */
static int add_callback_repr(StrBuf *b, Value fn) {
    Value qn = obj_getattr_opt(fn, NM.__qualname__);
    if (qn && IS_STR(qn)) {
        sb_add(b, STR_DATA(qn), STR_LEN(qn));
        sb_adds(b, "()");
        aio_add_function_source(b, fn);
        decref(qn);
        return 0;
    }
    decref(qn);
    if (err_occurred()) err_clear();
    return sb_add_value_repr(b, fn);
}

Value future_repr_info(Value fut) {
    FutureObj *f = AS_FUTURE(fut);
    StrBuf b;
    sb_init(&b);
    sb_adds(&b, f->state == FUT_PENDING ? "pending" : f->state == FUT_CANCELLED ? "cancelled" : "finished");
    if (f->state == FUT_FINISHED) {
        if (f->exception) {
            sb_adds(&b, " exception=");
            if (sb_add_value_repr(&b, f->exception) < 0) { sb_free(&b); return VNULL; }
        } else {
            sb_adds(&b, " result=");
            /* reprlib.repr: long results are cut, containers show their first items */
            if (aio_add_short_repr(&b, f->result) < 0) { sb_free(&b); return VNULL; }
        }
    }
    size_t n = callback_count(f);
    if (n) {
        sb_adds(&b, " cb=[");
        if (n <= 2) {
            for (size_t i = 0; i < n; i++) {
                if (i) sb_adds(&b, ", ");
                add_callback_repr(&b, callback_fn(f, i));
            }
        } else {
            add_callback_repr(&b, callback_fn(f, 0));
            sb_addf(&b, ", <%zu more>, ", n - 2);
            add_callback_repr(&b, callback_fn(f, n - 1));
        }
        sb_addc(&b, ']');
    }
    return sb_finish(&b);
}

static Value future_repr(Value self) {
    Value info = future_repr_info(self);
    if (!info) return VNULL;
    Value r = str_from_fmt("<%s %S>", aio_type_name(self), info);
    decref(info);
    return r;
}

/* ---- life cycle -------------------------------------------------------------------------------- */
void future_dealloc_fields(FutureObj *f) {
    clearref(&f->dict); clearref(&f->loop); clearref(&f->result); clearref(&f->exception);
    clearref(&f->exception_tb); clearref(&f->callbacks); clearref(&f->cancel_message);
    clearref(&f->cancelled_exc); clearref(&f->cb0); clearref(&f->ctx0);
}

void future_traverse_fields(FutureObj *f, VisitFn visit, void *arg) {
    visit(f->dict, arg); visit(f->loop, arg); visit(f->result, arg); visit(f->exception, arg);
    visit(f->exception_tb, arg); visit(f->callbacks, arg); visit(f->cancel_message, arg);
    visit(f->cancelled_exc, arg); visit(f->cb0, arg); visit(f->ctx0, arg);
}

static void future_dealloc(Obj *o) { future_dealloc_fields((FutureObj *)o); }
static void future_traverse(Obj *o, VisitFn visit, void *arg) { future_traverse_fields((FutureObj *)o, visit, arg); }

static bool future_needs_finalize(Obj *o) { return ((FutureObj *)o)->log_traceback && ((FutureObj *)o)->loop; }

/* "Future exception was never retrieved", through the loop's exception handler. */
static void future_finalize(Obj *o) {
    FutureObj *f = (FutureObj *)o;
    if (!f->log_traceback || !f->exception || !f->loop) return;
    f->log_traceback = 0;
    Value self = OBJ_VAL(o);
    Value ctx = dict_new();
    if (!ctx) return;
    /* CPython's FutureObj_finalize: the type's name, and the key "future"
     * even for a task */
    Value m = str_from_fmt("%s exception was never retrieved", aio_type_name(self));
    if (!m) { err_clear(); decref(ctx); return; }
    dict_set_str(ctx, "message", m);
    decref(m);
    dict_set_str(ctx, "exception", f->exception);
    dict_set_str(ctx, "future", self);
    loop_call_exception_handler(f->loop, ctx);
    decref(ctx);
}

static Value future_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    FutureObj *f = (FutureObj *)gc_alloc(t, t->size);
    return f ? OBJ_VAL(f) : VNULL;
}

static Value future_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = { "loop", NULL };
    Value a[1];
    if (nargs) return err_format(&Exc_TypeError, "Future() takes no positional arguments");
    if (args_parse("Future", args, nargs, kwnames, names, 0, a) < 0) return VNULL;
    if (future_init(AS_FUTURE(self), a[0]) < 0) return VNULL;
    return none_new();
}

/* ---- methods ------------------------------------------------------------------------------------ */
static Value fm_result(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (args_no_kw("result", kw) || args_count("result", nargs, 0, 0)) return VNULL;
    return future_result(self);
}

static Value fm_exception(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (args_no_kw("exception", kw) || args_count("exception", nargs, 0, 0)) return VNULL;
    FutureObj *f = AS_FUTURE(self);
    if (f->state == FUT_CANCELLED) {
        Value e = future_make_cancelled_error(f);
        if (e) err_set(e);
        return VNULL;
    }
    if (f->state != FUT_FINISHED) return err_format(&Exc_InvalidStateError, "Exception is not set.");
    f->log_traceback = 0;
    return incref(f->exception ? f->exception : None);
}

static Value fm_set_result(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("set_result", kw) || args_count("set_result", nargs, 1, 1)) return VNULL;
    return future_set_result(self, args[0]) < 0 ? VNULL : none_new();
}

static Value fm_set_exception(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("set_exception", kw) || args_count("set_exception", nargs, 1, 1)) return VNULL;
    return future_set_exception(self, args[0]) < 0 ? VNULL : none_new();
}

static Value fm_cancel(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = { "msg", NULL };
    Value a[1];
    if (args_parse("cancel", args, nargs, kw, names, 0, a) < 0) return VNULL;
    int r = task_check(self) ? task_cancel(self, a[0]) : future_cancel(self, a[0]);
    return r < 0 ? VNULL : bool_new(r);
}

static Value fm_cancelled(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return bool_new(AS_FUTURE(self)->state == FUT_CANCELLED);
}

static Value fm_done(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return bool_new(AS_FUTURE(self)->state != FUT_PENDING);
}

static Value fm_add_done_callback(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = { "fn", "context", NULL };
    Value a[2];
    if (args_parse("add_done_callback", args, nargs, kw, names, 1, a) < 0) return VNULL;
    return future_add_done_callback(self, a[0], a[1]) < 0 ? VNULL : none_new();
}

static Value fm_remove_done_callback(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("remove_done_callback", kw) || args_count("remove_done_callback", nargs, 1, 1)) return VNULL;
    FutureObj *f = AS_FUTURE(self);
    size_t removed0 = 0;
    if (f->cb0) {
        int eq = obj_eq(f->cb0, args[0]);
        if (eq < 0) return VNULL;
        if (eq) {
            clearref(&f->cb0);
            clearref(&f->ctx0);
            removed0 = 1;
        }
    }
    if (!f->callbacks) return MK_INT((intptr_t)removed0);
    Value kept = list_new(0);
    if (!kept) return VNULL;
    size_t removed = 0;
    for (size_t i = 0; i < LIST_LEN(f->callbacks); i++) {
        Value pair = LIST_ITEMS(f->callbacks)[i];
        int eq = obj_eq(TUPLE_ITEMS(pair)[0], args[0]);
        if (eq < 0) { decref(kept); return VNULL; }
        if (eq) removed++;
        else list_append(kept, pair);
    }
    if (removed) {
        if (LIST_LEN(kept)) setref(&f->callbacks, kept);
        else { decref(kept); clearref(&f->callbacks); }
    } else decref(kept);
    return MK_INT((intptr_t)(removed + removed0));
}

/* Future._make_cancelled_error(): the CancelledError to raise (the saved one
 * if the coroutine raised it, else a new one carrying the cancel message).
 * gather() and lib code call it, as CPython's C Future exposes it. */
static Value fm_make_cancelled_error(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (args_no_kw("_make_cancelled_error", kw) || args_count("_make_cancelled_error", nargs, 0, 0)) return VNULL;
    return future_make_cancelled_error(AS_FUTURE(self));
}

static Value fm_get_loop(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return incref(AS_FUTURE(self)->loop);
}

static Value fm_await(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    return future_await_iter(self);
}

static const MethodDef future_methods[] = {
    { "result", fm_result, 0 }, { "exception", fm_exception, 0 },
    { "set_result", fm_set_result, 0 }, { "set_exception", fm_set_exception, 0 },
    { "cancel", fm_cancel, 0 }, { "cancelled", fm_cancelled, 0 }, { "done", fm_done, 0 },
    { "add_done_callback", fm_add_done_callback, 0 },
    { "remove_done_callback", fm_remove_done_callback, 0 },
    { "get_loop", fm_get_loop, 0 }, { "__await__", fm_await, 0 },
    { "_make_cancelled_error", fm_make_cancelled_error, 0 }, { "__iter__", fm_await, 0 },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },    /* Future[int]: a GenericAlias */
    { NULL, NULL, 0 }
};

static Value fg_blocking(Value self) { return bool_new(AS_FUTURE(self)->blocking); }
static int fs_blocking(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    AS_FUTURE(self)->blocking = (uint8_t)t;
    return 0;
}
static Value fg_loop(Value self) { Value l = AS_FUTURE(self)->loop; return incref(l ? l : None); }
static Value fg_state(Value self) { return str_from_cstr(state_name(AS_FUTURE(self)->state)); }
static Value fg_result(Value self) { Value r = AS_FUTURE(self)->result; return incref(r ? r : None); }
static Value fg_exception(Value self) { Value r = AS_FUTURE(self)->exception; return incref(r ? r : None); }
static Value fg_callbacks(Value self) {
    FutureObj *f = AS_FUTURE(self);
    if (!f->cb0 && !f->callbacks) return none_new();
    Value l = list_new(0);
    if (!l) return VNULL;
    if (f->cb0) {
        Value pair = tuple_pack(2, f->cb0, f->ctx0);
        if (!pair || list_append(l, pair) < 0) { decref(pair); decref(l); return VNULL; }
        decref(pair);
    }
    for (size_t i = 0; f->callbacks && i < LIST_LEN(f->callbacks); i++)
        if (list_append(l, LIST_ITEMS(f->callbacks)[i]) < 0) { decref(l); return VNULL; }
    return l;
}
static Value fg_log_tb(Value self) { return bool_new(AS_FUTURE(self)->log_traceback); }
static int fs_log_tb(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    if (t) { err_format(&Exc_ValueError, "_log_traceback can only be set to False"); return -1; }
    AS_FUTURE(self)->log_traceback = 0;
    return 0;
}
static Value fg_cancel_message(Value self) { Value m = AS_FUTURE(self)->cancel_message; return incref(m ? m : None); }
static int fs_cancel_message(Value self, Value v) {
    setref(&AS_FUTURE(self)->cancel_message, v && !IS_NONE(v) ? incref(v) : VNULL);
    return 0;
}
static Value fg_source_tb(Value self) { (void)self; return none_new(); }

static const GetSetDef future_getsets[] = {
    { "_asyncio_future_blocking", fg_blocking, fs_blocking },
    { "_loop", fg_loop, NULL }, { "_state", fg_state, NULL }, { "_result", fg_result, NULL },
    { "_exception", fg_exception, NULL }, { "_callbacks", fg_callbacks, NULL },
    { "_log_traceback", fg_log_tb, fs_log_tb }, { "_cancel_message", fg_cancel_message, fs_cancel_message },
    { "_source_traceback", fg_source_tb, NULL },
    { NULL, NULL, NULL }
};

Type FutureType = {
    /* tp_name is dotted as in CPython, which error messages show ("object of type
       '_asyncio.Future' has no len()"); __name__ is "Future" (future_init_types).
       A Future is iterable: iter(fut) is fut.__await__(), as in CPython. */
    STATIC_TYPE_HEAD, .name = "_asyncio.Future", .flags = TF_GC | TF_BASETYPE, .size = sizeof(FutureObj),
    .iter = future_await_iter, .tp_new = future_tp_new, .tp_init = future_tp_init, .dealloc = future_dealloc,
    .traverse = future_traverse, .clear = future_dealloc, .repr = future_repr,
    .finalize = future_finalize, .needs_finalize = future_needs_finalize,
    .dict_offset = offsetof(FutureObj, dict),
};

/* ---- Future.__await__: the iterator -------------------------------------------------------------- */
typedef struct { Obj h; Value fut; } FutureIterObj;

Type FutureIterType;

/* A static type of _asyncio whose tp_name is dotted ("_asyncio.Task"): __name__ and
   __module__ are the parts, so the class shows as <class '_asyncio.Task'>. */
void aio_ready_dotted(Type *t, const char *name) {
    t->name_v = incref(str_intern_cstr(name));
    t->module = incref(str_intern_cstr("_asyncio"));
    type_ready(t);
    dict_set(t->dict, NM.__module__, t->module);
}

/* type(x).__name__ as a C string: what reprs and "... exception was never retrieved" show. */
const char *aio_type_name(Value v) {
    Type *t = TYPE_OF(v);
    return t->name_v && IS_STR(t->name_v) ? STR_DATA(t->name_v) : t->name;
}

Value future_await_iter(Value fut) {
    FutureIterObj *it = (FutureIterObj *)gc_alloc(&FutureIterType, sizeof *it);
    if (!it) return VNULL;
    it->fut = incref(fut);
    return OBJ_VAL(it);
}

static void fi_dealloc(Obj *o) { clearref(&((FutureIterObj *)o)->fut); }
static void fi_traverse(Obj *o, VisitFn v, void *a) { v(((FutureIterObj *)o)->fut, a); }

/* One step: yield the future while it is pending, then finish with its result. */
static Value fi_step(Value self) {
    FutureIterObj *it = (FutureIterObj *)AS_OBJ(self);
    Value fut = it->fut;
    if (!fut) return VNULL;                       /* exhausted */
    FutureObj *f = AS_FUTURE(fut);
    if (f->state == FUT_PENDING) {
        f->blocking = 1;
        if (UNLIKELY(vm.trace_mask)) trace_loop(TE_AWAIT_YIELD, fut, fut, "await: yields the pending future");
        return incref(fut);
    }
    it->fut = VNULL;
    Value r = future_result(fut);
    if (r && UNLIKELY(vm.trace_mask)) trace_loop(TE_AWAIT_RETURN, fut, r, "await: returns the result");
    decref(fut);
    if (!r) return VNULL;
    Value e = exc_new(&Exc_StopIteration, &r, 1);
    decref(r);
    if (e) err_restore(e);
    return VNULL;
}

static Value fi_send(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("send", kw) || args_count("send", nargs, 1, 1)) return VNULL;
    (void)args;        /* a Future's await ignores what is sent in, as CPython's does */
    return fi_step(self);
}

static Value fi_throw(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("throw", kw) || args_count("throw", nargs, 1, 3)) return VNULL;
    FutureIterObj *it = (FutureIterObj *)AS_OBJ(self);
    clearref(&it->fut);
    Value typ = args[0], val = nargs > 1 ? args[1] : VNULL;
    Value exc;
    if (exc_type_check(typ)) {
        exc = val && !IS_NONE(val) ? (obj_isinstance_type(val, (Type *)AS_OBJ(typ)) ? incref(val) : obj_call1(typ, val))
                                   : obj_call0(typ);
    } else if (IS_OBJ(typ) && obj_isinstance_type(typ, &Exc_BaseException)) {
        exc = incref(typ);
    } else {
        return err_format(&Exc_TypeError, "exceptions must be classes deriving BaseException or instances of such a class");
    }
    if (!exc) return VNULL;
    err_restore(exc);
    return VNULL;
}

static Value fi_close(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    clearref(&((FutureIterObj *)AS_OBJ(self))->fut);
    return none_new();
}

static Value fi_iter(Value self) { return incref(self); }

static const MethodDef fi_methods[] = {
    { "send", fi_send, 0 }, { "throw", fi_throw, 0 }, { "close", fi_close, 0 }, { NULL, NULL, 0 }
};

Type FutureIterType = {
    STATIC_TYPE_HEAD, .name = "_asyncio.FutureIter", .flags = TF_GC, .size = sizeof(FutureIterObj),
    .dealloc = fi_dealloc, .traverse = fi_traverse, .iter = fi_iter, .iternext = fi_step,
};

void future_init_types(void) {
    type_add_methods(&FutureType, future_methods);
    type_add_getsets(&FutureType, future_getsets);
    aio_ready_dotted(&FutureType, "Future");
    type_add_methods(&FutureIterType, fi_methods);
    aio_ready_dotted(&FutureIterType, "FutureIter");
}
