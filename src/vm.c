/* vm.c — the interpreter loop.
 *
 * Owns: executing bytecode; calls between apy functions (a new heap frame
 * pushed on the chain, no C recursion); resuming generators inline from
 * `for`, `yield from` and `await` (the suspended frame is pushed back on
 * the chain); exception unwinding through the exception tables; tracebacks;
 * the recursion limit; safe points (GC, finalizers, Ctrl-C, budgets); trace
 * events at every transfer of control.
 * Must not touch: the meaning of objects (object.c and the obj_*.c files),
 * the event loop (loop.c), trace sinks (trace_*.c).
 *
 * The loop's registers are the frame `f`, its instruction pointer `ip` and
 * stack pointer `sp`. SAVE() writes them back to the frame before anything
 * that may run other apy code or collect garbage, so that the collector
 * sees exact stacks.
 */
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "opcodes.h"
#include "trace.h"
#include "errors.h"

VM vm;

/* ======================================================================================
 * The instruction table's generated parts
 * ====================================================================================== */
const OpcodeInfo opcode_info[OP__COUNT] = {
#define X(name, kind, eff, jeff) { #name, kind },
    APY_OPCODES(X)
#undef X
};

int opcode_stack_effect(Opcode op, uint32_t arg, int jump) {
    (void)arg;
    switch (op) {
#define X(name, kind, eff, jeff) case OP_##name: return jump ? (jeff) : (eff);
    APY_OPCODES(X)
#undef X
    default: return 0;
    }
}

int opcode_is_jump(Opcode op) {
    return opcode_info[op].kind == ARG_JUMP;
}

/* ======================================================================================
 * Recursion and safe points
 * ====================================================================================== */
bool vm_check_recursion(void) {
    if (UNLIKELY(vm.depth >= vm.recursion_limit || vm.c_depth > vm.c_depth_limit)) {
        /* Leave some headroom so that handlers can run. */
        err_format(&Exc_RecursionError, "maximum recursion depth exceeded");
        return false;
    }
    return true;
}

/* The same check in an operation that CPython guards with a named
 * recursion check (repr, str, comparison): the message names it, as
 * CPython's does ("... while getting the repr of an object"). */
bool vm_check_recursion_in(const char *where) {
    if (LIKELY(vm_check_recursion())) return true;
    err_clear();
    err_format(&Exc_RecursionError, "maximum recursion depth exceeded%s", where);
    return false;
}

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void vm_safepoint(void) {
    if (vm.pending & (PENDING_GC | PENDING_FINALIZE)) gc_safepoint();
    if (vm.pending & PENDING_SIGNAL) {
        vm.pending &= ~PENDING_SIGNAL;
        if (!err_occurred()) err_set_type(&Exc_KeyboardInterrupt, VNULL);
        return;
    }
    /* A limit, once reached, stays reached: the program unwinds without
     * running any handler or finally block (`except BaseException: pass`
     * around the loop cannot keep it going), and the error is raised again
     * at every safe point in case C code (a task's step) catches it. */
    if (vm.pending & PENDING_STEPS) {
        vm.steps++;
        if (vm.max_steps && vm.steps > vm.max_steps) {
            if (!err_occurred()) err_format(&Exc_RuntimeError, "step budget exhausted (--max-steps)");
            return;
        }
        if (vm.deadline > 0 && (vm.steps & 127) == 0 && monotonic_now() > vm.deadline)
            vm.pending |= PENDING_TIMEOUT;
    }
    if (vm.pending & PENDING_TIMEOUT) {   /* also set by sleeps and the event loop's waits */
        if (!err_occurred()) err_format(&Exc_TimeoutError, "time limit exceeded (--timeout)");
        return;
    }
}

/* A limit ended the program: no handler runs, nor any finalizer at exit. */
static bool limit_reached(void) {
    return (vm.pending & PENDING_TIMEOUT) || (vm.max_steps && vm.steps > vm.max_steps);
}

/* ======================================================================================
 * Calls: binding arguments to a new frame
 * ====================================================================================== */
static Value func_qualname(FuncObj *fn) { return fn->qualname; }

static Value missing_args_error(FuncObj *fn, Frame *f, int start, int end, bool kwonly) {
    CodeObj *co = fn->code;
    int missing = 0;
    for (int i = start; i < end; i++) if (!f->slots[i]) missing++;
    StrBuf b;
    sb_init(&b);
    int seen = 0;
    for (int i = start; i < end; i++) {
        if (f->slots[i]) continue;
        seen++;
        if (seen > 1) {
            if (missing == 2) sb_adds(&b, " and ");
            else if (seen == missing) sb_adds(&b, ", and ");
            else sb_adds(&b, ", ");
        }
        sb_addc(&b, '\'');
        sb_add(&b, STR_DATA(TUPLE_ITEMS(co->varnames)[i]), STR_LEN(TUPLE_ITEMS(co->varnames)[i]));
        sb_addc(&b, '\'');
    }
    Value names = sb_finish(&b);
    if (!names) return VNULL;
    err_format(&Exc_TypeError, "%S() missing %d required %sargument%s: %S", func_qualname(fn), missing,
               kwonly ? "keyword-only " : "positional ", missing == 1 ? "" : "s", names);
    decref(names);
    return VNULL;
}

static Value too_many_positional(FuncObj *fn, size_t given, size_t kw_given) {
    CodeObj *co = fn->code;
    size_t ndefaults = fn->defaults ? TUPLE_LEN(fn->defaults) : 0;
    size_t max = co->argcount, min = max - ndefaults;
    char kwbuf[96] = "";
    if (kw_given)
        snprintf(kwbuf, sizeof kwbuf, " positional argument%s (and %zu keyword-only argument%s)",
                 given == 1 ? "" : "s", kw_given, kw_given == 1 ? "" : "s");
    if (min != max)
        return err_format(&Exc_TypeError, "%S() takes from %zu to %zu positional arguments but %zu%s %s given",
                          func_qualname(fn), min, max, given, kwbuf, given == 1 && !kw_given ? "was" : "were");
    return err_format(&Exc_TypeError, "%S() takes %zu positional argument%s but %zu%s %s given",
                      func_qualname(fn), max, max == 1 ? "" : "s", given, kwbuf,
                      given == 1 && !kw_given ? "was" : "were");
}

/* CPython's _PyObject_FunctionStr, for the messages of f(*a, **k):
 * "__main__.f()", "__main__.C.m()", "print()". A new str; never fails
 * for lack of attributes (falls back on the type's name). */
static Value function_str(Value fn) {
    Value qn = obj_getattr(fn, NM.__qualname__);
    if (!qn || !IS_STR(qn)) {
        decref(qn);
        err_clear();
        return str_from_fmt("%s()", obj_type_name(fn));
    }
    Value mod = obj_getattr(fn, NM.__module__);
    if (!mod) err_clear();
    Value r = mod && IS_STR(mod) && !str_eq_cstr(mod, "builtins") ? str_from_fmt("%S.%S()", mod, qn)
                                                                  : str_from_fmt("%S()", qn);
    decref(qn);
    decref(mod);
    return r;
}

/* Bind args (borrowed) into f's locals, Python's rules and messages. */
static int bind_args(Frame *f, FuncObj *fn, Value *args, size_t nargs, Value kwnames) {
    CodeObj *co = fn->code;
    size_t argcount = co->argcount, kwonly = co->kwonlyargcount;
    size_t total_named = argcount + kwonly;
    Value *slots = f->slots;
    size_t npos = nargs < argcount ? nargs : argcount;
    for (size_t i = 0; i < npos; i++) slots[i] = incref(args[i]);
    Value varkw = VNULL;
    if (co->flags & CO_VARKEYWORDS) {
        varkw = dict_new();
        if (!varkw) return -1;
        slots[total_named + ((co->flags & CO_VARARGS) ? 1 : 0)] = varkw;
    }
    if (co->flags & CO_VARARGS) {
        Value t = nargs > argcount ? tuple_from_array(args + argcount, nargs - argcount) : tuple_empty();
        if (!t) return -1;
        slots[total_named] = t;
    }
    /* CPython reports keyword problems before "takes N positional arguments". */
    bool too_many = nargs > argcount && !(co->flags & CO_VARARGS);
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value posonly_errors = VNULL;
    for (size_t k = 0; k < nkw; k++) {
        Value name = TUPLE_ITEMS(kwnames)[k];
        Value value = args[nargs + k];
        size_t j;
        for (j = co->posonlyargcount; j < total_named; j++) {
            Value vn = TUPLE_ITEMS(co->varnames)[j];
            if (vn == name || str_eq(vn, name)) break;
        }
        if (j == total_named) {
            if (varkw) {
                if (dict_set(varkw, name, value) < 0) return -1;
                continue;
            }
            /* Like CPython: any keyword naming a positional-only parameter wins over
             * "unexpected keyword", and they are listed in parameter order. */
            for (size_t p = 0; p < co->posonlyargcount; p++)
                for (size_t k2 = 0; k2 < nkw; k2++)
                    if (str_eq(TUPLE_ITEMS(co->varnames)[p], TUPLE_ITEMS(kwnames)[k2])) {
                        if (!posonly_errors) posonly_errors = list_new(0);
                        if (posonly_errors) list_append(posonly_errors, TUPLE_ITEMS(co->varnames)[p]);
                        break;
                    }
            if (posonly_errors) break;
            err_format(&Exc_TypeError, "%S() got an unexpected keyword argument '%S'", func_qualname(fn), name);
            return -1;
        }
        if (slots[j]) {
            err_format(&Exc_TypeError, "%S() got multiple values for argument '%S'", func_qualname(fn), name);
            return -1;
        }
        slots[j] = incref(value);
    }
    if (posonly_errors) {
        Value sep = str_from_cstr(", ");
        Value joined = sep ? str_join(sep, posonly_errors) : VNULL;
        decref(sep);
        if (joined)
            err_format(&Exc_TypeError, "%S() got some positional-only arguments passed as keyword arguments: '%S'",
                       func_qualname(fn), joined);
        decref(joined);
        decref(posonly_errors);
        return -1;
    }
    if (too_many) {
        size_t kw_given = 0;
        for (size_t k = 0; k < nkw; k++)
            for (size_t j = argcount; j < total_named; j++)
                if (str_eq(TUPLE_ITEMS(co->varnames)[j], TUPLE_ITEMS(kwnames)[k])) kw_given++;
        too_many_positional(fn, nargs, kw_given);
        return -1;
    }
    /* defaults for the missing positional parameters */
    if (nargs < argcount) {
        size_t ndef = fn->defaults ? TUPLE_LEN(fn->defaults) : 0;
        size_t first_def = argcount - ndef;
        for (size_t i = nargs; i < argcount; i++) {
            if (slots[i]) continue;
            if (i >= first_def) slots[i] = incref(TUPLE_ITEMS(fn->defaults)[i - first_def]);
        }
        for (size_t i = nargs; i < argcount; i++)
            if (!slots[i]) { missing_args_error(fn, f, (int)nargs, (int)argcount, false); return -1; }
    }
    if (kwonly) {
        for (size_t i = argcount; i < total_named; i++) {
            if (slots[i]) continue;
            Value d = fn->kwdefaults ? dict_get(fn->kwdefaults, TUPLE_ITEMS(co->varnames)[i]) : VNULL;
            if (d) slots[i] = incref(d);
        }
        for (size_t i = argcount; i < total_named; i++)
            if (!slots[i]) { missing_args_error(fn, f, (int)argcount, (int)total_named, true); return -1; }
    }
    return 0;
}

/* Cells for the frame's own captured variables and the closure's free ones. */
static int init_cells(Frame *f, FuncObj *fn) {
    CodeObj *co = f->code;
    Value *cells = f->slots + co->nlocals;
    for (int i = 0; i < co->ncells; i++) {
        Value init = VNULL;
        if (co->cell2arg && co->cell2arg[i] >= 0) {
            init = f->slots[co->cell2arg[i]];
        }
        Value cell = cell_new(init);
        if (!cell) return -1;
        cells[i] = cell;
    }
    if (co->nfrees) {
        if (!fn || !fn->closure) {
            err_format(&Exc_SystemError, "code needs a closure");
            return -1;
        }
        Value *frees = cells + co->ncells;
        for (int i = 0; i < co->nfrees; i++) frees[i] = incref(TUPLE_ITEMS(fn->closure)[i]);
    }
    return 0;
}

/* A frame ready to run func with these arguments (not yet on the chain). */
static Frame *frame_for_call(FuncObj *fn, Value *args, size_t nargs, Value kwnames) {
    CodeObj *co = fn->code;
    Frame *f = frame_new(co, OBJ_VAL(fn), fn->globals, fn->builtins, VNULL);
    if (!f) return NULL;
    if (LIKELY(!kwnames && nargs == co->argcount && !(co->flags & (CO_VARARGS | CO_VARKEYWORDS)) &&
               !co->kwonlyargcount)) {
        for (size_t i = 0; i < nargs; i++) f->slots[i] = incref(args[i]);
    } else if (bind_args(f, fn, args, nargs, kwnames) < 0) {
        decref(OBJ_VAL(f));
        return NULL;
    }
    if ((co->ncells || co->nfrees) && init_cells(f, fn) < 0) {
        decref(OBJ_VAL(f));
        return NULL;
    }
    return f;
}

#define GEN_FLAGS (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GEN)

Value vm_call_function(Value func, Value *args, size_t nargs, Value kwnames) {
    FuncObj *fn = AS_FUNC(func);
    if (kwnames && TUPLE_LEN(kwnames) == 0) kwnames = VNULL;
    Frame *f = frame_for_call(fn, args, nargs, kwnames);
    if (!f) return VNULL;
    if (fn->code->flags & GEN_FLAGS) return gen_new(f, func);
    int yielded;
    Value r = vm_execute(f, &yielded);
    decref(OBJ_VAL(f));
    return r;
}

Value vm_run_code(CodeObj *code, Value globals, Value locals) {
    Value builtins = dict_get(globals, NM.__builtins__);
    if (!builtins || !IS_DICT(builtins)) builtins = vm.builtins;
    Frame *f = frame_new(code, VNULL, globals, builtins, locals ? locals : globals);
    if (!f) return VNULL;
    if (code->ncells && init_cells(f, NULL) < 0) { decref(OBJ_VAL(f)); return VNULL; }
    if (code->flags & CO_COROUTINE) return gen_new(f, VNULL);   /* top-level await (REPL) */
    int yielded;
    Value r = vm_execute(f, &yielded);
    decref(OBJ_VAL(f));
    return r;
}

Value vm_run_class_body(Value func, Value ns) {
    FuncObj *fn = AS_FUNC(func);
    Frame *f = frame_new(fn->code, func, fn->globals, fn->builtins, ns);
    if (!f) return VNULL;
    if (init_cells(f, fn) < 0) { decref(OBJ_VAL(f)); return VNULL; }
    int yielded;
    Value r = vm_execute(f, &yielded);
    decref(OBJ_VAL(f));
    return r;
}

/* ======================================================================================
 * Error helpers used by the loop
 * ====================================================================================== */
static void unbound_local(CodeObj *co, uint32_t idx) {
    err_format(&Exc_UnboundLocalError, "cannot access local variable '%S' where it is not associated with a value",
               TUPLE_ITEMS(co->varnames)[idx]);
}

static void unbound_deref(CodeObj *co, uint32_t idx) {
    if (idx < co->ncells)
        err_format(&Exc_UnboundLocalError, "cannot access local variable '%S' where it is not associated with a value",
                   TUPLE_ITEMS(co->cellvars)[idx]);
    else
        err_format(&Exc_NameError, "cannot access free variable '%S' where it is not associated with a value in enclosing scope",
                   TUPLE_ITEMS(co->freevars)[idx - co->ncells]);
}

static void name_error(Value name) {
    err_format(&Exc_NameError, "name '%S' is not defined", name);
    if (vm.exc) setref(&AS_EXC(vm.exc)->name, incref(name));
}

/* Find the handler covering instruction `at`; NULL if none. The table's
 * ranges never overlap (each instruction records only its innermost
 * handler) and are sorted: a binary search finds it. */
static const ExcEntry *find_handler(CodeObj *co, uint32_t at) {
    uint32_t lo = 0, hi = co->nexc;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        const ExcEntry *e = &co->exctable[mid];
        if (at < e->start) hi = mid;
        else if (at >= e->end) lo = mid + 1;
        else return e;
    }
    return NULL;
}

/* UNPACK_SEQUENCE / UNPACK_EX: push the items of `seq` (borrowed) in
 * reverse onto sp; returns the new sp or NULL. */
static Value *unpack(Value seq, size_t before, size_t after, bool star, Value *sp) {
    size_t want = before + after;
    Value *items = NULL;
    size_t n = 0;
    Value holder = VNULL;
    if (IS_TYPE(seq, &TupleType) || IS_TYPE(seq, &ListType)) {
        holder = incref(seq);
        items = IS_TYPE(seq, &TupleType) ? TUPLE_ITEMS(seq) : LIST_ITEMS(seq);
        n = IS_TYPE(seq, &TupleType) ? TUPLE_LEN(seq) : LIST_LEN(seq);
    } else {
        Value it = obj_iter(seq);
        if (!it) {
            if (err_matches(&Exc_TypeError)) {
                err_clear();
                err_format(&Exc_TypeError, "cannot unpack non-iterable %s object", obj_type_name(seq));
            }
            return NULL;
        }
        holder = list_new(0);
        if (!holder) { decref(it); return NULL; }
        for (;;) {
            Value x = obj_next(it);
            if (!x) break;
            list_append(holder, x);
            decref(x);
            if (!star && LIST_LEN(holder) > want) break;
        }
        decref(it);
        if (err_occurred()) { decref(holder); return NULL; }
        items = LIST_ITEMS(holder);
        n = LIST_LEN(holder);
    }
    if (!star) {
        if (n != want) {
            if (n < want)
                err_format(&Exc_ValueError, "not enough values to unpack (expected %zu, got %zu)", want, n);
            else
                err_format(&Exc_ValueError, "too many values to unpack (expected %zu)", want);
            decref(holder);
            return NULL;
        }
        for (size_t i = n; i-- > 0;) *sp++ = incref(items[i]);
        decref(holder);
        return sp;
    }
    if (n < want) {
        err_format(&Exc_ValueError, "not enough values to unpack (expected at least %zu, got %zu)", want, n);
        decref(holder);
        return NULL;
    }
    for (size_t i = n; i-- > n - after;) *sp++ = incref(items[i]);
    Value mid = list_from_array(items + before, n - before - after);
    if (!mid) { decref(holder); return NULL; }
    *sp++ = mid;
    for (size_t i = before; i-- > 0;) *sp++ = incref(items[i]);
    decref(holder);
    return sp;
}

static Value build_string(Value *items, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += STR_LEN(items[i]);
    StrBuf b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) sb_add(&b, STR_DATA(items[i]), STR_LEN(items[i]));
    (void)total;
    return sb_finish(&b);
}

static Value format_value_op(Value v, uint32_t flags, Value spec) {
    Value conv;
    switch (flags & 3) {
    case 1: conv = obj_str(v); break;
    case 2: conv = obj_repr(v); break;
    case 3: conv = obj_ascii(v); break;
    default: conv = incref(v); break;
    }
    if (!conv) return VNULL;
    if (!spec && IS_STR(conv)) return conv;
    Value empty = VNULL;
    if (!spec) spec = empty = str_from_cstr("");
    Value r = spec ? obj_format(conv, spec) : VNULL;
    decref(empty);
    decref(conv);
    return r;
}

/* CHECK_EXC_MATCH: validate the except clause's class before matching. */
static int check_except_class(Value cls) {
    if (IS_TYPE(cls, &TupleType)) {
        for (size_t i = 0; i < TUPLE_LEN(cls); i++)
            if (check_except_class(TUPLE_ITEMS(cls)[i]) < 0) return -1;
        return 0;
    }
    if (!exc_type_check(cls)) {
        err_format(&Exc_TypeError, "catching classes that do not inherit from BaseException is not allowed");
        return -1;
    }
    return 0;
}

/* RAISE_VARARGS: make the exception instance to raise. */
static Value make_exception(Value v) {
    if (exc_type_check(v)) {
        Value e = obj_call0(v);
        if (!e) return VNULL;
        if (!obj_isinstance_type(e, &BaseExceptionType)) {
            Value r = err_format(&Exc_TypeError, "calling %R should have returned an instance of BaseException, not %s",
                                 v, obj_type_name(e));
            decref(e);
            return r;
        }
        return e;
    }
    if (IS_OBJ(v) && obj_isinstance_type(v, &BaseExceptionType)) return incref(v);
    return err_format(&Exc_TypeError, "exceptions must derive from BaseException");
}

static int do_raise(Value exc, Value cause) {
    if (!exc) {
        Value handled = exc_get_handled();
        if (!handled) { err_format(&Exc_RuntimeError, "No active exception to reraise"); return -1; }
        err_restore(incref(handled));
        return 1;      /* a re-raise: no new traceback entry */
    }
    Value e = make_exception(exc);
    if (!e) return -1;
    if (cause) {
        Value c;
        if (IS_NONE(cause)) c = VNULL;
        else if (exc_type_check(cause)) { c = obj_call0(cause); if (!c) { decref(e); return -1; } }
        else if (IS_OBJ(cause) && obj_isinstance_type(cause, &BaseExceptionType)) c = incref(cause);
        else { decref(e); err_format(&Exc_TypeError, "exception causes must derive from BaseException"); return -1; }
        setref(&AS_EXC(e)->cause, c);
        AS_EXC(e)->suppress_context = true;
    }
    err_set(e);
    return 0;
}

static Value lookup_special(Value obj, Value name) {
    Value m = type_lookup(TYPE_OF(obj), name);
    if (!m) return VNULL;
    Type *mt = TYPE_OF(m);
    if (mt->descr_get) return mt->descr_get(m, obj, OBJ_VAL(TYPE_OF(obj)));
    return incref(m);
}

/* BEFORE_WITH / BEFORE_ASYNC_WITH: push the bound exit and call enter. */
static Value *before_with(Value mgr, Value *sp, bool is_async) {
    Value enter_name = is_async ? NM.__aenter__ : NM.__enter__;
    Value exit_name = is_async ? NM.__aexit__ : NM.__exit__;
    Value enter = lookup_special(mgr, enter_name);
    if (!enter) {
        if (!err_occurred())
            err_format(&Exc_TypeError, is_async ? "'%s' object does not support the asynchronous context manager protocol"
                                                : "'%s' object does not support the context manager protocol",
                       obj_type_name(mgr));
        return NULL;
    }
    Value exit = lookup_special(mgr, exit_name);
    if (!exit) {
        decref(enter);
        if (!err_occurred())
            err_format(&Exc_TypeError, is_async ? "'%s' object does not support the asynchronous context manager protocol (missed __aexit__ method)"
                                                : "'%s' object does not support the context manager protocol (missed __exit__ method)",
                       obj_type_name(mgr));
        return NULL;
    }
    Value res = obj_call0(enter);
    decref(enter);
    if (!res) { decref(exit); return NULL; }
    *sp++ = exit;
    *sp++ = res;
    return sp;
}

/* Import helpers */
static Value import_from(Value module, Value name) {
    Value v = obj_getattr(module, name);
    if (v) return v;
    if (!err_matches(&Exc_AttributeError)) return VNULL;
    err_clear();
    Value mname = obj_getattr_opt(module, NM.__name__);
    if (mname && IS_STR(mname)) {
        Value full = str_from_fmt("%S.%S", mname, name);
        Value m = full ? dict_get(vm.modules, full) : VNULL;
        decref(full);
        if (m) { decref(mname); return incref(m); }
        Value file = obj_getattr_opt(module, NM.__file__);
        if (file && IS_STR(file))
            err_format(&Exc_ImportError, "cannot import name '%S' from '%S' (%S)", name, mname, file);
        else
            err_format(&Exc_ImportError, "cannot import name '%S' from '%S' (unknown location)", name, mname);
        decref(file);
        decref(mname);
        return VNULL;
    }
    decref(mname);
    err_clear();
    return err_format(&Exc_ImportError, "cannot import name '%S'", name);
}

static int import_star(Value module, Value locals) {
    Value all = obj_getattr_opt(module, NM.__all__);
    if (all) {
        Value *items; size_t n;
        Value seq = seq_to_array(all, &items, &n);
        decref(all);
        if (!seq) return -1;
        for (size_t i = 0; i < n; i++) {
            Value v = obj_getattr(module, items[i]);
            if (!v || obj_setitem(locals, items[i], v) < 0) { decref(v); decref(seq); return -1; }
            decref(v);
        }
        decref(seq);
        return 0;
    }
    if (err_occurred()) return -1;
    Value d = obj_getattr(module, NM.__dict__);
    if (!d) return -1;
    size_t pos = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) {
        if (IS_STR(k) && STR_DATA(k)[0] == '_') continue;
        if (obj_setitem(locals, k, v) < 0) { decref(d); return -1; }
    }
    decref(d);
    return 0;
}

static int print_expr(Value v) {
    if (IS_NONE(v)) return 0;
    if (dict_set(vm.builtins, str_intern_cstr("_"), None) < 0) return -1;
    Value rep = obj_repr(v);
    if (!rep) return -1;
    Value r = print_values(&rep, 1, VNULL, VNULL, VNULL, true);
    decref(rep);
    if (!r) return -1;
    decref(r);
    return dict_set(vm.builtins, str_intern_cstr("_"), v);
}

/* ======================================================================================
 * Generators seen from the loop
 * ====================================================================================== */
/* One inline-cache slot per instruction (allocated on first use): LOAD_GLOBAL
 * reads it as a GlobalCache, the attribute instructions as an AttrCache. */
typedef struct { uint64_t gver, bver; Value value; uint64_t unused; } GlobalCache;

/* The inline cache of LOAD_ATTR, LOAD_METHOD and STORE_ATTR: what a generic
 * lookup of the name found on the object's type, valid while the type's
 * version stands (type_modified() resets it when the class or a base
 * changes). The descriptor is borrowed: the class dict holds it while the
 * version stands. The instance dict is still consulted each time, as
 * Python's rules say, but cheaply:
 *   hint          LOAD_ATTR: the entry where the instance dict held the name
 *                 last time; instances of a class set up alike share it;
 *   keys_version  LOAD_METHOD: an instance dict with these very keys (a
 *                 dict's keys_version is new whenever a key comes or goes)
 *                 was seen not to shadow the method. */
typedef struct {
    Type *type;
    uint32_t version;
    uint16_t kind;
    uint16_t hint;
    Value descr;
    uint64_t keys_version;
} AttrCache;
enum {
    AC_INSTANCE = 1,   /* nothing on the type: the instance dict or AttributeError */
    AC_CLASS_ATTR,     /* something on the type: a plain value, a property … */
    AC_METHOD,         /* a function or a method descriptor on the type (not a data descriptor) */
};

/* Whether the cached class attribute is a data descriptor (it then decides
 * before the instance dict). Asked each time, not cached: the descriptor's
 * own class may gain or lose __set__ without the owner's version changing. */
static inline bool cached_data_descr(const AttrCache *c) {
    return c->kind == AC_CLASS_ATTR && TYPE_OF(c->descr)->descr_set;
}
_Static_assert(sizeof(AttrCache) <= sizeof(GlobalCache), "one array holds both caches");

/* d[name] for an interned name, trying the remembered entry first (the
 * identity test is exact: a dict holds each key once). Borrowed; VNULL if
 * absent or on error. */
static inline Value instance_dict_get(AttrCache *c, Value d, Value name) {
    DictObj *dd = AS_DICT(d);
    if (c->hint < dd->nentries && dd->entries[c->hint].key == name) return dd->entries[c->hint].value;
    intptr_t ix = dict_find_entry(d, name);
    if (ix < 0) return VNULL;
    if (ix <= UINT16_MAX) c->hint = (uint16_t)ix;     /* for the next instance */
    return dd->entries[ix].value;
}

static inline bool generic_getattr_type(Type *t) {
    return !t->getattr || t->getattr == obj_generic_getattr;
}

static AttrCache *attr_cache_at(CodeObj *co, const uint32_t *ip) {
    if (!co->caches) co->caches = calloc(co->ncode, sizeof(GlobalCache));
    return co->caches ? (AttrCache *)&((GlobalCache *)co->caches)[ip - co->code - 1] : NULL;
}

/* Remember what t.name resolves to on the type, for the next execution;
 * the filled entry, or NULL when t cannot be cached. */
static AttrCache *attr_cache_fill(CodeObj *co, const uint32_t *ip, Type *t, Value name) {
    if (!generic_getattr_type(t)) return NULL;
    AttrCache *c = attr_cache_at(co, ip);
    if (!c) return NULL;
    Value descr = type_lookup(t, name);     /* also gives t a version */
    if (!t->version) return NULL;
    c->type = t;
    c->version = t->version;
    c->descr = descr;
    c->kind = !descr ? AC_INSTANCE :
              IS_TYPE(descr, &FunctionType) || IS_TYPE(descr, &MethodDescrType) ? AC_METHOD : AC_CLASS_ATTR;
    c->hint = 0;
    c->keys_version = 0;
    return c;
}

static inline AttrCache *attr_cache_hit(CodeObj *co, const uint32_t *ip, Type *t) {
    if (!co->caches) return NULL;
    AttrCache *c = (AttrCache *)&((GlobalCache *)co->caches)[ip - co->code - 1];
    return c->type == t && c->version == t->version ? c : NULL;
}

static inline Value instance_dict(Value obj, Type *t) {
    uint32_t off = t->dict_offset;
    if (UNLIKELY(off >= DICTOFF_VAR)) return *type_var_dict_slot(AS_OBJ(obj), off); /* tuple/str/bytes subclass */
    return off ? *(Value *)((char *)AS_OBJ(obj) + off) : VNULL;
}

/* Moving a call's arguments into the new frame: a switch for the usual few
 * (a loop costs more than the copies: the compiler vectorizes it and checks
 * the two ranges for overlap first). */
static inline void move_args(Value *dst, const Value *src, size_t n) {
    switch (n) {
    case 4: dst[3] = src[3]; /* fallthrough */
    case 3: dst[2] = src[2]; /* fallthrough */
    case 2: dst[1] = src[1]; /* fallthrough */
    case 1: dst[0] = src[0]; /* fallthrough */
    case 0: break;
    default: memcpy(dst, src, n * sizeof(Value));
    }
}

/* A frame that has returned or raised leaves the chain for good. If it is
 * a generator's, the chain's reference goes first (the generator still
 * holds one, so the frame lives) and gen_finished drops the last: the frame
 * then goes straight back on the free list. */
static NOINLINE void finish_frame(GenObj *g, Frame *done) {
    if (g && g->frame == done) {
        done->h.rc--;
        gen_finished(g);
        return;
    }
    if (g) gen_finished(g);
    decref(OBJ_VAL(done));
}

static inline bool can_resume_inline(Value recv) {
    if (!IS_OBJ(recv)) return false;
    Type *t = AS_OBJ(recv)->type;
    if (t != &GeneratorType && t != &CoroutineType) return false;
    GenObj *g = AS_GEN(recv);
    return g->frame && !g->running && g->frame->state != FRAME_EXECUTING;
}

/* ======================================================================================
 * The loop
 * ====================================================================================== */
#define PUSH(v) (*sp++ = (v))
#define POP() (*--sp)
#define TOP() (sp[-1])
#define SECOND() (sp[-2])
#define PEEK(n) (sp[-(intptr_t)(n)])
#define SAVE() (f->ip = ip, f->sp = sp)
/* After an instruction that may have dropped the last reference to
 * something with a finalizer (a suspended generator's finally block),
 * run it now, as CPython's reference counting would. */
#define CHECK_PENDING() do { \
        if (UNLIKELY(vm.pending)) { SAVE(); vm_safepoint(); if (vm.exc) goto error; } \
    } while (0)
#define LOAD_REGS() (co = f->code, ip = f->ip, sp = f->sp, consts = TUPLE_ITEMS(co->consts), names = TUPLE_ITEMS(co->names))

#if defined(__GNUC__)
#define COMPUTED_GOTO 1
#endif

#ifdef COMPUTED_GOTO
#define TARGET(op) L_##op:
#define DISPATCH() do { uint32_t ins_ = *ip++; arg = INSTR_ARG(ins_); goto *dispatch_table[ins_ & 0xFF]; } while (0)
#else
#define TARGET(op) case OP_##op:
#define DISPATCH() goto dispatch
#endif

/* Push frame nf (taking the chain's reference) above the current one. */
#define ENTER_FRAME(nf) do { \
        (nf)->back = f; \
        (nf)->state = FRAME_EXECUTING; \
        vm.frame = (nf); \
        vm.depth++; \
        f = (nf); \
        LOAD_REGS(); \
    } while (0)

/* Run a new or suspended generator's frame on top of ours, with no C
 * recursion (FOR_ITER, SEND, g.send(x) and next(g)). A started frame already
 * has the sent value on its stack; the trace reports it. */
#define RESUME_INLINE(g, gf, started) do { \
        incref(OBJ_VAL(gf)); \
        (g)->running = 1; \
        (g)->exc_state.previous = vm.exc_info; \
        vm.exc_info = &(g)->exc_state; \
        ENTER_FRAME(gf); \
        if (UNLIKELY(vm.trace_mask)) trace_frame((started) ? TE_RESUME : TE_CALL, f, (started) ? f->sp[-1] : VNULL); \
        DISPATCH(); \
    } while (0)

/* The loop's three hottest variables live in callee-saved registers. Left
 * to itself, GCC spills the instruction pointer to the stack in a function
 * this large, and every dispatch then waits on a store and a load. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VM_REG(decl, r) register decl __asm__(r)
#else
#define VM_REG(decl, r) decl
#endif

Value vm_execute(Frame *entry, int *yielded) {
    VM_REG(Frame *f, "r14") = entry;
    CodeObj *co;
    VM_REG(uint32_t *ip, "r12");
    VM_REG(Value *sp, "r13");
    Value *consts, *names;
    uint32_t arg;
    Value retval = VNULL;
#ifdef COMPUTED_GOTO
    static void *dispatch_table[256] = {
#define X(name, kind, eff, jeff) [OP_##name] = &&L_##name,
        APY_OPCODES(X)
#undef X
    };
    static bool table_filled;       /* once: every task step enters here */
    if (UNLIKELY(!table_filled)) {
        for (int i = 0; i < 256; i++) if (!dispatch_table[i]) dispatch_table[i] = &&L_bad_opcode;
        table_filled = true;
    }
    if (UNLIKELY(vm.trace_mask)) trace_instr_table(dispatch_table, &&L_trace_instr);   /* --step's `s` */
#endif

    *yielded = 0;
    if (vm.c_depth > vm.c_depth_limit || vm.depth >= vm.recursion_limit) {
        err_format(&Exc_RecursionError, "maximum recursion depth exceeded");
        return VNULL;
    }
    vm.c_depth++;
    incref(OBJ_VAL(entry));              /* the chain's reference */
    entry->is_entry = 1;
    entry->back = vm.frame;
    bool resuming = entry->state == FRAME_SUSPENDED;
    entry->state = FRAME_EXECUTING;
    vm.frame = entry;
    vm.depth++;
    LOAD_REGS();
    if (entry->gen) {
        GenObj *g = entry->gen;
        g->exc_state.previous = vm.exc_info;
        vm.exc_info = &g->exc_state;
    }
    if (UNLIKELY(vm.trace_mask)) trace_frame(resuming ? TE_RESUME : TE_CALL, f, resuming && sp > FRAME_STACK(f) ? sp[-1] : VNULL);
    if (vm.exc) goto resume_with_error;          /* gen.throw(): raise at the yield */
    if (UNLIKELY(vm.pending)) {
        SAVE();
        vm_safepoint();
        if (vm.exc) goto error;
    }

#ifdef COMPUTED_GOTO
    DISPATCH();
#else
dispatch:
    {
        uint32_t ins_ = *ip++;
        arg = INSTR_ARG(ins_);
        switch (INSTR_OP(ins_)) {
#endif

    TARGET(NOP) DISPATCH();

    TARGET(POP_TOP) {
        Value v = POP();
        decref(v);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(COPY) {
        Value v = PEEK(arg);
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(SWAP) {
        Value t = TOP();
        TOP() = PEEK(arg);
        PEEK(arg) = t;
        DISPATCH();
    }
    TARGET(LOAD_CONST) {
        PUSH(incref(consts[arg]));
        DISPATCH();
    }
    TARGET(LOAD_FAST) {
        Value v = f->slots[arg];
        if (UNLIKELY(!v)) { unbound_local(co, arg); goto error; }
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(STORE_FAST) {
        Value old = f->slots[arg];
        f->slots[arg] = POP();
        decref(old);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_FAST) {
        if (!f->slots[arg]) { unbound_local(co, arg); goto error; }
        clearref(&f->slots[arg]);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(LOAD_DEREF) {
        Value cell = f->slots[co->nlocals + arg];
        Value v = AS_CELL(cell)->ref;
        if (!v) { unbound_deref(co, arg); goto error; }
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(LOAD_CLASSDEREF) {
        Value name = arg < co->ncells ? TUPLE_ITEMS(co->cellvars)[arg] : TUPLE_ITEMS(co->freevars)[arg - co->ncells];
        Value v = f->locals ? dict_get(f->locals, name) : VNULL;
        if (v) { PUSH(incref(v)); DISPATCH(); }
        if (err_occurred()) goto error;
        Value cell = f->slots[co->nlocals + arg];
        v = AS_CELL(cell)->ref;
        if (!v) { unbound_deref(co, arg); goto error; }
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(STORE_DEREF) {
        Value cell = f->slots[co->nlocals + arg];
        Value v = POP();
        setref(&AS_CELL(cell)->ref, v);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_DEREF) {
        Value cell = f->slots[co->nlocals + arg];
        if (!AS_CELL(cell)->ref) { unbound_deref(co, arg); goto error; }
        clearref(&AS_CELL(cell)->ref);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(LOAD_CLOSURE) {
        PUSH(incref(f->slots[co->nlocals + arg]));
        DISPATCH();
    }
    TARGET(LOAD_GLOBAL) {
        /* An inline cache per instruction, valid while neither the globals
         * nor the builtins dict changed (dict versions are globally unique). */
        uint64_t gver = AS_DICT(f->globals)->version, bver = AS_DICT(f->builtins)->version;
        GlobalCache *gcache = co->caches ? &((GlobalCache *)co->caches)[ip - co->code - 1] : NULL;
        if (gcache && gcache->gver == gver && gcache->bver == bver) {
            PUSH(incref(gcache->value));
            DISPATCH();
        }
        Value name = names[arg];
        Value v = dict_get(f->globals, name);
        if (!v) {
            if (err_occurred()) goto error;
            v = dict_get(f->builtins, name);
            if (!v) {
                if (!err_occurred()) name_error(name);
                goto error;
            }
        }
        if (!co->caches) co->caches = calloc(co->ncode, sizeof(GlobalCache));
        if (co->caches) {
            gcache = &((GlobalCache *)co->caches)[ip - co->code - 1];
            gcache->gver = gver;
            gcache->bver = bver;
            gcache->value = v;      /* borrowed: the dicts hold it while their versions stand */
        }
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(STORE_GLOBAL) {
        Value v = POP();
        SAVE();
        int r = dict_set(f->globals, names[arg], v);
        decref(v);
        if (r < 0) goto error;
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_GLOBAL) {
        SAVE();
        if (dict_del(f->globals, names[arg]) < 0) {
            if (err_matches(&Exc_KeyError)) { err_clear(); name_error(names[arg]); }
            goto error;
        }
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(LOAD_NAME) {
        Value name = names[arg];
        Value v = VNULL;
        SAVE();
        if (f->locals) {
            if (IS_DICT(f->locals)) v = dict_get(f->locals, name);
            else {
                v = obj_getitem(f->locals, name);
                if (v) { PUSH(v); DISPATCH(); }
                if (!err_matches(&Exc_KeyError)) goto error;
                err_clear();
            }
        }
        if (!v && !err_occurred()) v = dict_get(f->globals, name);
        if (!v && !err_occurred()) v = dict_get(f->builtins, name);
        if (!v) {
            if (!err_occurred()) name_error(name);
            goto error;
        }
        PUSH(incref(v));
        DISPATCH();
    }
    TARGET(STORE_NAME) {
        Value v = POP();
        SAVE();
        Value ns = f->locals ? f->locals : f->globals;
        int r = IS_DICT(ns) ? dict_set(ns, names[arg], v) : obj_setitem(ns, names[arg], v);
        decref(v);
        if (r < 0) goto error;
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_NAME) {
        SAVE();
        Value ns = f->locals ? f->locals : f->globals;
        if (obj_delitem(ns, names[arg]) < 0) {
            if (err_matches(&Exc_KeyError)) { err_clear(); name_error(names[arg]); }
            goto error;
        }
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(LOAD_ATTR) {
        Value obj = TOP();
        Type *t = TYPE_OF(obj);
        SAVE();
        AttrCache *c = attr_cache_hit(co, ip, t);
        if (LIKELY(c) && c->kind == AC_INSTANCE && instance_dict(obj, t)) {
            /* self.x: the instance dict's entry where x was last time */
            DictObj *d = AS_DICT(instance_dict(obj, t));
            if (c->hint < d->nentries && d->entries[c->hint].key == names[arg]) {
                TOP() = incref(d->entries[c->hint].value);
                decref(obj);
                DISPATCH();
            }
        }
        if (c) {
            Value d = instance_dict(obj, t), v = VNULL;
            if (!cached_data_descr(c) && d) v = incref(instance_dict_get(c, d, names[arg]));
            if (!v && c->kind != AC_INSTANCE) {
                Value descr = c->descr;
                Value (*get)(Value, Value, Value) = TYPE_OF(descr)->descr_get;
                if (!get) v = incref(descr);
                else {
                    incref(descr);      /* the getter may run code that changes the class */
                    v = get(descr, obj, OBJ_VAL(t));
                    decref(descr);
                    if (!v) goto error;
                }
            }
            if (v) {
                TOP() = v;
                decref(obj);
                DISPATCH();
            }
            if (err_occurred()) goto error;
        }
        Value v = obj_getattr(obj, names[arg]);
        if (!v) goto error;
        if (!c) attr_cache_fill(co, ip, t, names[arg]);
        TOP() = v;
        decref(obj);
        DISPATCH();
    }
    TARGET(STORE_ATTR) {
        Value obj = TOP(), v = SECOND();
        Type *t = TYPE_OF(obj);
        SAVE();
        if (t->setattr == obj_generic_setattr) {
            /* a name with no data descriptor on the type goes into the instance dict */
            AttrCache *c = attr_cache_hit(co, ip, t);
            Value d = instance_dict(obj, t);
            if (c && !cached_data_descr(c) && d) {
                if (dict_set(d, names[arg], v) < 0) goto error;
                sp -= 2;
                decref(obj);
                decref(v);
                CHECK_PENDING();
                DISPATCH();
            }
            if (!c && generic_getattr_type(t)) attr_cache_fill(co, ip, t, names[arg]);
        }
        int r = obj_setattr(obj, names[arg], v);
        if (r < 0) goto error;
        sp -= 2;
        decref(obj);
        decref(v);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_ATTR) {
        Value obj = TOP();
        SAVE();
        if (obj_delattr(obj, names[arg]) < 0) goto error;
        sp--;
        decref(obj);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(LOAD_METHOD) {
        Value obj = TOP();
        Type *t = TYPE_OF(obj);
        AttrCache *c = attr_cache_hit(co, ip, t);
        if (LIKELY(c) && c->kind == AC_METHOD) {
            /* obj.m(...): the method from the cache, unless obj's dict (with
             * keys other than those seen not to shadow it) holds m itself */
            Value d = instance_dict(obj, t);
            if (!d || AS_DICT(d)->keys_version == c->keys_version) {
                TOP() = incref(c->descr);
                PUSH(obj);              /* the stack's reference moves to the self slot */
                DISPATCH();
            }
        }
        Value name = names[arg];
        SAVE();
        if (generic_getattr_type(t)) {
            if (!c) c = attr_cache_fill(co, ip, t, name);
            Value m = c ? c->descr : type_lookup(t, name);
            if (m && (IS_TYPE(m, &FunctionType) || IS_TYPE(m, &MethodDescrType))) {
                Value d = instance_dict(obj, t);
                bool shadowed = false;
                if (d && !(c && AS_DICT(d)->keys_version == c->keys_version)) {
                    shadowed = dict_get(d, name) != VNULL;
                    if (!shadowed && err_occurred()) goto error;
                    if (!shadowed && c) c->keys_version = AS_DICT(d)->keys_version;
                }
                if (!shadowed) {
                    TOP() = incref(m);
                    PUSH(obj);          /* the stack's reference moves to the self slot */
                    DISPATCH();
                }
            }
        }
        Value v = obj_getattr(obj, name);
        if (!v) goto error;
        TOP() = v;
        PUSH(VNULL);
        decref(obj);
        DISPATCH();
    }
    TARGET(BINARY_SUBSCR) {
        Value key = TOP(), obj = SECOND();
        SAVE();
        Value v;
        if (IS_TYPE(obj, &ListType) && IS_INT(key)) {
            intptr_t i = AS_INT(key);
            if (i < 0) i += (intptr_t)LIST_LEN(obj);
            if ((uintptr_t)i < LIST_LEN(obj)) { v = incref(LIST_ITEMS(obj)[i]); goto subscr_done; }
        }
        v = obj_getitem(obj, key);
        if (!v) goto error;
    subscr_done:
        sp -= 2;
        decref(key);
        decref(obj);
        PUSH(v);
        DISPATCH();
    }
    TARGET(STORE_SUBSCR) {
        Value key = TOP(), obj = SECOND(), v = PEEK(3);
        SAVE();
        int r;
        if (IS_TYPE(obj, &ListType) && IS_INT(key) && (uintptr_t)AS_INT(key) < LIST_LEN(obj)) {
            setref(&LIST_ITEMS(obj)[AS_INT(key)], incref(v));
            r = 0;
        } else {
            r = obj_setitem(obj, key, v);
        }
        if (r < 0) goto error;
        sp -= 3;
        decref(key); decref(obj); decref(v);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(DELETE_SUBSCR) {
        Value key = TOP(), obj = SECOND();
        SAVE();
        if (obj_delitem(obj, key) < 0) goto error;
        sp -= 2;
        decref(key); decref(obj);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(BINARY_OP) {
        Value b = TOP(), a = SECOND();
        Value r;
        if (IS_INT(a) && IS_INT(b)) {
            intptr_t x = AS_INT(a), y = AS_INT(b), z;
            switch (arg & ~BINOP_INPLACE) {
            case OP_ADD:
                if (!__builtin_add_overflow(x, y, &z) && FITS_SMALL(z)) { r = MK_INT(z); goto binop_fast; }
                break;
            case OP_SUB:
                if (!__builtin_sub_overflow(x, y, &z) && FITS_SMALL(z)) { r = MK_INT(z); goto binop_fast; }
                break;
            case OP_MUL:
                if (!__builtin_mul_overflow(x, y, &z) && FITS_SMALL(z)) { r = MK_INT(z); goto binop_fast; }
                break;
            case OP_BITAND: r = MK_INT(x & y); goto binop_fast;
            case OP_BITOR: r = MK_INT(x | y); goto binop_fast;
            case OP_BITXOR: r = MK_INT(x ^ y); goto binop_fast;
            case OP_FLOORDIV:
                if (y > 0) { z = x / y; if ((x % y) != 0 && x < 0) z--; r = MK_INT(z); goto binop_fast; }
                break;
            case OP_MOD:
                if (y > 0) { z = x % y; if (z < 0) z += y; r = MK_INT(z); goto binop_fast; }
                break;
            default: break;
            }
        }
        SAVE();
        if ((arg & ~BINOP_INPLACE) == OP_ADD && IS_TYPE(a, &StrType) && IS_TYPE(b, &StrType) &&
            AS_OBJ(a)->rc == 2 && INSTR_OP(*ip) == OP_STORE_FAST && f->slots[INSTR_ARG(*ip)] == a &&
            !AS_STR(a)->interned) {
            /* s += t (or s = s + t) with s a local held by nothing else: append
             * in place (CPython does the same), or a loop building a string is quadratic.
             * The local lets go first; the STORE_FAST that follows binds it again. */
            Value *local = &f->slots[INSTR_ARG(*ip)];
            *local = VNULL;
            AS_OBJ(a)->rc--;
            r = str_append_inplace(a, b);
            if (!r) {
                *local = incref(a);
                goto error;
            }
            decref(b);
            goto binop_fast;
        }
        r = obj_binop(a, b, (int)arg);
        if (!r) goto error;
        decref(a);
        decref(b);
    binop_fast:
        sp--;
        TOP() = r;
        DISPATCH();
    }
    TARGET(UNARY_NEGATIVE) {
        Value v = TOP();
        if (IS_INT(v) && AS_INT(v) != SMALL_INT_MIN) { TOP() = MK_INT(-AS_INT(v)); DISPATCH(); }
        SAVE();
        Value r = obj_unop(v, UNOP_NEG);
        if (!r) goto error;
        TOP() = r;
        decref(v);
        DISPATCH();
    }
    TARGET(UNARY_POSITIVE) {
        Value v = TOP();
        if (IS_INT(v)) DISPATCH();
        SAVE();
        Value r = obj_unop(v, UNOP_POS);
        if (!r) goto error;
        TOP() = r;
        decref(v);
        DISPATCH();
    }
    TARGET(UNARY_INVERT) {
        Value v = TOP();
        if (IS_INT(v)) { TOP() = MK_INT(~AS_INT(v)); DISPATCH(); }
        SAVE();
        Value r = obj_unop(v, UNOP_INVERT);
        if (!r) goto error;
        TOP() = r;
        decref(v);
        DISPATCH();
    }
    TARGET(UNARY_NOT) {
        Value v = TOP();
        SAVE();
        int t = obj_truth(v);
        if (t < 0) goto error;
        TOP() = BOOL(!t);
        decref(v);
        DISPATCH();
    }
    TARGET(COMPARE_OP) {
        Value b = TOP(), a = SECOND();
        Value r;
        if (IS_INT(a) && IS_INT(b)) {
            intptr_t x = AS_INT(a), y = AS_INT(b);
            bool t;
            switch (arg) {
            case RC_LT: t = x < y; break;
            case RC_LE: t = x <= y; break;
            case RC_EQ: t = x == y; break;
            case RC_NE: t = x != y; break;
            case RC_GT: t = x > y; break;
            default: t = x >= y; break;
            }
            sp -= 2;
            /* the next instruction is nearly always a conditional jump: take it now */
            uint32_t next = *ip;
            if (INSTR_OP(next) == OP_POP_JUMP_IF_FALSE) {
                ip++;
                if (!t) ip = co->code + INSTR_ARG(next);
                DISPATCH();
            }
            if (INSTR_OP(next) == OP_POP_JUMP_IF_TRUE) {
                ip++;
                if (t) ip = co->code + INSTR_ARG(next);
                DISPATCH();
            }
            PUSH(BOOL(t));
            DISPATCH();
        }
        SAVE();
        r = obj_richcmp(a, b, (RichCmpOp)arg);
        if (!r) goto error;
        sp--;
        decref(a);
        decref(b);
        TOP() = r;
        DISPATCH();
    }
    TARGET(IS_OP) {
        Value b = POP(), a = TOP();
        bool t = (a == b) ^ (arg != 0);
        decref(a);
        decref(b);
        TOP() = BOOL(t);
        DISPATCH();
    }
    TARGET(CONTAINS_OP) {
        Value container = TOP(), item = SECOND();
        SAVE();
        int r = obj_contains(container, item);
        if (r < 0) goto error;
        sp--;
        decref(container);
        decref(item);
        TOP() = BOOL(r ^ (int)arg);
        DISPATCH();
    }
    TARGET(BUILD_TUPLE) {
        SAVE();
        Value t = tuple_new(arg);
        if (!t) goto error;
        sp -= arg;
        if (arg) memcpy(TUPLE_ITEMS(t), sp, arg * sizeof(Value));
        PUSH(t);
        DISPATCH();
    }
    TARGET(BUILD_LIST) {
        SAVE();
        Value l = list_new(arg);
        if (!l) goto error;
        sp -= arg;
        if (arg) memcpy(LIST_ITEMS(l), sp, arg * sizeof(Value));
        PUSH(l);
        DISPATCH();
    }
    TARGET(BUILD_SET) {
        SAVE();
        Value s = set_new(VNULL);
        if (!s) goto error;
        for (uint32_t i = 0; i < arg; i++) {
            if (set_add(s, sp[-(int)arg + (int)i]) < 0) { decref(s); goto error; }
        }
        for (uint32_t i = 0; i < arg; i++) decref(POP());
        PUSH(s);
        DISPATCH();
    }
    TARGET(BUILD_MAP) {
        SAVE();
        Value d = dict_new();
        if (!d) goto error;
        Value *base = sp - 2 * arg;
        for (uint32_t i = 0; i < arg; i++) {
            if (dict_set(d, base[2 * i], base[2 * i + 1]) < 0) { decref(d); goto error; }
        }
        for (uint32_t i = 0; i < 2 * arg; i++) decref(POP());
        PUSH(d);
        DISPATCH();
    }
    TARGET(BUILD_SLICE) {
        Value step = arg == 3 ? POP() : VNULL;
        Value stop = POP(), start = TOP();
        SAVE();
        Value s = slice_new(start, stop, step);
        decref(step);
        decref(stop);
        if (!s) { sp--; decref(start); goto error; }
        decref(start);
        TOP() = s;
        DISPATCH();
    }
    TARGET(BUILD_STRING) {
        SAVE();
        Value s = build_string(sp - arg, arg);
        if (!s) goto error;
        for (uint32_t i = 0; i < arg; i++) decref(POP());
        PUSH(s);
        DISPATCH();
    }
    TARGET(LIST_APPEND) {
        Value v = POP();
        SAVE();
        int r = list_append(PEEK(arg), v);
        decref(v);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(SET_ADD) {
        Value v = POP();
        SAVE();
        int r = set_add(PEEK(arg), v);
        decref(v);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(MAP_ADD) {
        Value v = POP(), k = POP();
        SAVE();
        int r = dict_set(PEEK(arg), k, v);
        decref(k);
        decref(v);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(LIST_EXTEND) {
        Value it = POP();
        SAVE();
        int r = list_extend(PEEK(arg), it);
        if (r < 0) {
            if (err_matches(&Exc_TypeError) && !TYPE_OF(it)->iter && !TYPE_OF(it)->getitem) {
                err_clear();
                err_format(&Exc_TypeError, "Value after * must be an iterable, not %s", obj_type_name(it));
            }
            decref(it);
            goto error;
        }
        decref(it);
        DISPATCH();
    }
    TARGET(SET_UPDATE) {
        Value it = POP();
        SAVE();
        Value iter = obj_iter(it);
        decref(it);
        if (!iter) goto error;
        for (;;) {
            Value x = obj_next(iter);
            if (!x) break;
            int r = set_add(PEEK(arg), x);
            decref(x);
            if (r < 0) break;
        }
        decref(iter);
        if (err_occurred()) goto error;
        DISPATCH();
    }
    TARGET(DICT_UPDATE) {
        Value other = POP();
        SAVE();
        if (!IS_DICT(other) && !obj_hasattr(other, NM.keys)) {     /* {**x}: x must be a mapping */
            err_format(&Exc_TypeError, "'%s' object is not a mapping", obj_type_name(other));
            decref(other);
            goto error;
        }
        int r = dict_update(PEEK(arg), other);
        if (r < 0) {
            if (err_matches(&Exc_AttributeError)) {
                err_clear();
                err_format(&Exc_TypeError, "'%s' object is not a mapping", obj_type_name(other));
            }
            decref(other);
            goto error;
        }
        decref(other);
        DISPATCH();
    }
    TARGET(DICT_MERGE) {
        Value other = POP();
        SAVE();
        Value d = PEEK(arg);
        Value keys = IS_DICT(other) ? dict_keys_list(other) : VNULL;
        int r = 0;
        if (!IS_DICT(other)) {
            if (!obj_hasattr(other, NM.keys)) {
                Value fs = function_str(PEEK(arg + 2));     /* the callable, below the args tuple */
                if (fs) {
                    err_format(&Exc_TypeError, "%S argument after ** must be a mapping, not %s", fs, obj_type_name(other));
                    decref(fs);
                }
                decref(other);
                goto error;
            }
            Value kl = obj_call_method(other, NM.keys, NULL, 0);
            keys = kl ? list_from_iterable(kl) : VNULL;
            decref(kl);
        }
        if (!keys) { decref(other); goto error; }
        for (size_t i = 0; i < LIST_LEN(keys) && r == 0; i++) {
            Value k = LIST_ITEMS(keys)[i];
            if (!IS_STR(k)) { err_format(&Exc_TypeError, "keywords must be strings"); r = -1; break; }
            if (dict_get(d, k)) {
                Value fs = function_str(PEEK(arg + 2));
                if (fs) {
                    err_format(&Exc_TypeError, "%S got multiple values for keyword argument '%S'", fs, k);
                    decref(fs);
                }
                r = -1;
                break;
            }
            Value v = obj_getitem(other, k);
            if (!v) { r = -1; break; }
            r = dict_set(d, k, v);
            decref(v);
        }
        decref(keys);
        decref(other);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(LIST_TO_TUPLE) {
        Value l = TOP();
        SAVE();
        Value t = tuple_from_array(LIST_ITEMS(l), LIST_LEN(l));
        if (!t) goto error;
        TOP() = t;
        decref(l);
        DISPATCH();
    }
    TARGET(FORMAT_VALUE) {
        Value spec = (arg & 4) ? POP() : VNULL;
        Value v = TOP();
        SAVE();
        Value r = format_value_op(v, arg, spec);
        decref(spec);
        if (!r) goto error;
        TOP() = r;
        decref(v);
        DISPATCH();
    }
    TARGET(UNPACK_SEQUENCE) {
        Value seq = POP();
        SAVE();
        if (IS_TYPE(seq, &TupleType) && TUPLE_LEN(seq) == arg) {
            for (uint32_t i = arg; i-- > 0;) PUSH(incref(TUPLE_ITEMS(seq)[i]));
            decref(seq);
            DISPATCH();
        }
        Value *nsp = unpack(seq, arg, 0, false, sp);
        decref(seq);
        if (!nsp) goto error;
        sp = nsp;
        DISPATCH();
    }
    TARGET(UNPACK_EX) {
        Value seq = POP();
        SAVE();
        Value *nsp = unpack(seq, arg & 0xFF, arg >> 8, true, sp);
        decref(seq);
        if (!nsp) goto error;
        sp = nsp;
        DISPATCH();
    }
    TARGET(JUMP) {
        ip = co->code + arg;
        DISPATCH();
    }
    TARGET(JUMP_BACKWARD) {
        ip = co->code + arg;
        if (UNLIKELY(vm.pending)) {
            SAVE();
            vm_safepoint();
            if (vm.exc) goto error;
        }
        DISPATCH();
    }
    TARGET(POP_JUMP_IF_FALSE) {
        Value v = POP();
        if (v == False_) { ip = co->code + arg; DISPATCH(); }
        if (v == True_) DISPATCH();
        SAVE();
        int t = obj_truth(v);
        decref(v);
        if (t < 0) goto error;
        if (!t) ip = co->code + arg;
        DISPATCH();
    }
    TARGET(POP_JUMP_IF_TRUE) {
        Value v = POP();
        if (v == True_) { ip = co->code + arg; DISPATCH(); }
        if (v == False_) DISPATCH();
        SAVE();
        int t = obj_truth(v);
        decref(v);
        if (t < 0) goto error;
        if (t) ip = co->code + arg;
        DISPATCH();
    }
    TARGET(POP_JUMP_IF_NONE) {
        Value v = POP();
        if (v == None) ip = co->code + arg;
        decref(v);
        DISPATCH();
    }
    TARGET(POP_JUMP_IF_NOT_NONE) {
        Value v = POP();
        if (v != None) ip = co->code + arg;
        decref(v);
        DISPATCH();
    }
    TARGET(JUMP_IF_FALSE_OR_POP) {
        Value v = TOP();
        SAVE();
        int t = obj_truth(v);
        if (t < 0) goto error;
        if (!t) { ip = co->code + arg; DISPATCH(); }
        sp--;
        decref(v);
        DISPATCH();
    }
    TARGET(JUMP_IF_TRUE_OR_POP) {
        Value v = TOP();
        SAVE();
        int t = obj_truth(v);
        if (t < 0) goto error;
        if (t) { ip = co->code + arg; DISPATCH(); }
        sp--;
        decref(v);
        DISPATCH();
    }
    TARGET(GET_ITER) {
        Value v = TOP();
        SAVE();
        Value it = obj_iter(v);
        if (!it) goto error;
        TOP() = it;
        decref(v);
        DISPATCH();
    }
    TARGET(FOR_ITER) {
        Value it = TOP();
        if (can_resume_inline(it) && IS_TYPE(it, &GeneratorType)) {
            /* Resume the generator's frame right here: no C recursion. */
            GenObj *g = AS_GEN(it);
            Frame *gf = g->frame;
            SAVE();
            if (!vm_check_recursion()) goto error;
            bool started = gf->state != FRAME_CREATED;
            if (started) *gf->sp++ = none_new();
            RESUME_INLINE(g, gf, started);
        }
        SAVE();
        Value (*next)(Value) = TYPE_OF(it)->iternext;
        if (!next) {
            err_format(&Exc_TypeError, "'%s' object is not an iterator", obj_type_name(it));
            goto error;
        }
        Value v = next(it);
        if (v) { PUSH(v); DISPATCH(); }
        if (err_occurred()) {
            if (!err_matches(&Exc_StopIteration)) goto error;
            err_clear();
        }
        sp--;
        decref(it);
        ip = co->code + arg;
        CHECK_PENDING();
        DISPATCH();
    }

    /* ---- calls ---------------------------------------------------------------------- */
    {
        Value callable, *args, kwnames;
        size_t nargs;
        Value *result_slot;      /* where the result goes (the callable's slot) */
        Value *cleanup_end;      /* the stack top before the call */

    TARGET(CALL)
        kwnames = VNULL;
        nargs = arg;
        args = sp - nargs;
        result_slot = args - 1;
        callable = *result_slot;
        cleanup_end = sp;
        goto do_call;
    TARGET(CALL_KW)
        kwnames = TOP();
        nargs = arg - TUPLE_LEN(kwnames);
        args = sp - 1 - arg;
        result_slot = args - 1;
        callable = *result_slot;
        cleanup_end = sp;
        goto do_call;
    TARGET(CALL_METHOD)
        kwnames = VNULL;
        if (sp[-(int)arg - 1]) {        /* [m, self, args] */
            nargs = arg + 1;
            args = sp - nargs;
        } else {                        /* [callable, NULL, args] */
            nargs = arg;
            args = sp - nargs;
        }
        result_slot = sp - arg - 2;
        callable = *result_slot;
        cleanup_end = sp;
        goto do_call;
    TARGET(CALL_METHOD_KW)
        kwnames = TOP();
        if (sp[-(int)arg - 2]) {
            nargs = arg + 1 - TUPLE_LEN(kwnames);
            args = sp - 1 - arg - 1;
        } else {
            nargs = arg - TUPLE_LEN(kwnames);
            args = sp - 1 - arg;
        }
        result_slot = sp - arg - 3;
        callable = *result_slot;
        cleanup_end = sp;
        goto do_call;

    do_call: {
        SAVE();
        Type *ct = TYPE_OF(callable);
        if (ct == &MethodType && IS_TYPE(((MethodObj *)AS_OBJ(callable))->func, &FunctionType) && args != result_slot + 1) {
            /* A bound method: put self in front of the arguments. CALL_METHOD's
             * empty self slot takes it; otherwise shift (the stack has room). */
            MethodObj *m = (MethodObj *)AS_OBJ(callable);
            Value fn = incref(m->func), self = incref(m->self);
            decref(callable);
            *result_slot = fn;
            callable = fn;
            ct = &FunctionType;
            if (args == result_slot + 2) {
                args--;
            } else {
                memmove(args + 1, args, (size_t)(sp - args) * sizeof(Value));
                sp++;
                cleanup_end = sp;
                if (kwnames) kwnames = TOP();
            }
            args[0] = self;
            nargs++;
        }
        if (ct == &FunctionType) {
            FuncObj *fn = AS_FUNC(callable);
            CodeObj *fco = fn->code;
            bool plain = !kwnames && (int32_t)nargs == fco->plain_argc;
            if (!(fco->flags & GEN_FLAGS)) {
                if (UNLIKELY(vm.depth >= vm.recursion_limit) && !vm_check_recursion()) goto call_error_cleanup;
                Frame *nf;
                if (plain) {
                    /* the common case: the callable's reference and the arguments
                     * move from our stack into the new frame (the slot between
                     * them, if any, is CALL_METHOD's empty self slot) */
                    *result_slot = VNULL;
                    nf = frame_new_call(fco, callable);
                    if (!nf) goto call_error_cleanup;
                    move_args(nf->slots, args, nargs);
                } else {
                    nf = frame_for_call(fn, args, nargs, kwnames);
                    if (!nf) goto call_error_cleanup;
                    for (Value *p = result_slot; p < cleanup_end; p++) decref(*p);
                }
                sp = result_slot;
                f->sp = sp;
                ENTER_FRAME(nf);
                if (UNLIKELY(vm.trace_mask | vm.pending)) {
                    if (vm.trace_mask) trace_frame(TE_CALL, f, VNULL);
                    if (vm.pending) {
                        SAVE();
                        vm_safepoint();
                        if (vm.exc) goto error;
                    }
                }
                DISPATCH();
            }
            if (plain) {
                /* a generator or coroutine function: the callable's reference and
                 * the arguments move into the frame that the new object keeps
                 * (no call through obj_call) */
                *result_slot = VNULL;
                Frame *nf = frame_new_call(fco, callable);
                if (!nf) goto call_error_cleanup;
                move_args(nf->slots, args, nargs);
                sp = args;                      /* the frame owns the arguments now */
                Value g = gen_new(nf, callable);
                while (sp > result_slot) decref(POP());
                f->sp = sp;
                if (!g) goto error;
                PUSH(g);
                CHECK_PENDING();
                DISPATCH();
            }
        }
        /* g.send(x) and next(g) on a plain generator: push its frame here, as
         * FOR_ITER does; the result slot and the generator stay on our stack
         * until it yields or returns. */
        if (!kwnames && (ct == &MethodDescrType || ct == &CFunctionType)) {
            CFuncObj *cf = (CFuncObj *)AS_OBJ(callable);
            CFunc fn = cf->fn;
            bool is_send = fn == gen_send_m && ct == &MethodDescrType && nargs == 2 && args == result_slot + 1;
            bool is_next = fn == builtin_next && ct == &CFunctionType && nargs == 1 && args == result_slot + 1;
            /* send = g.send; send(x): a bound method, the generator is its self */
            bool is_bound_send = fn == gen_send_m && ct == &CFunctionType && nargs == 1 && args == result_slot + 1 &&
                                 cf->self && (IS_TYPE(cf->self, &GeneratorType) || IS_TYPE(cf->self, &CoroutineType));
            Value gv = is_send || is_next ? args[0] : is_bound_send ? cf->self : VNULL;
            /* next() takes generators only; send() coroutines too (coro.send(x) by hand) */
            if (gv && (IS_TYPE(gv, &GeneratorType) || (!is_next && IS_TYPE(gv, &CoroutineType))) &&
                can_resume_inline(gv)) {
                GenObj *g = AS_GEN(gv);
                Frame *gf = g->frame;
                bool started = gf->state != FRAME_CREATED;
                Value sent_arg = is_send ? args[1] : is_bound_send ? args[0] : None;
                if ((started || IS_NONE(sent_arg)) && vm.depth <= vm.recursion_limit) {
                    /* [callable, generator] stay on our stack; the sent value moves into the frame */
                    Value sent;
                    if (is_bound_send) {         /* [send, x] becomes [send, generator] */
                        sent = POP();
                        PUSH(incref(gv));
                    } else sent = is_send ? POP() : incref(None);
                    if (started) *gf->sp++ = sent;
                    else decref(sent);
                    SAVE();
                    g->awaited = 1;
                    RESUME_INLINE(g, gf, started);
                }
            }
        }
        Value r = obj_call(callable, args, nargs, kwnames);
        if (!r) goto call_error_cleanup;
        for (Value *p = result_slot; p < cleanup_end; p++) decref(*p);
        sp = result_slot;
        PUSH(r);
        CHECK_PENDING();
        DISPATCH();
    call_error_cleanup:
        /* The call failed: it lets go of the callable and the arguments itself,
         * as CPython's CALL does, so that what they finalize (a coroutine never
         * awaited) is reported at the call's line, not at the handler's. */
        for (Value *p = result_slot; p < cleanup_end; p++) decref(*p);
        sp = result_slot;
        f->sp = sp;
        goto error;
    }
    }
    TARGET(CALL_EX) {
        Value kwargs = (arg & 1) ? POP() : VNULL;
        Value pargs = POP();
        Value callable = TOP();
        SAVE();
        if (!IS_TYPE(pargs, &TupleType)) {
            /* f(*x) passes x itself (as CPython 3.11): check it here, naming f */
            if (!TYPE_OF(pargs)->iter && !TYPE_OF(pargs)->getitem) {
                Value fs = function_str(callable);
                if (fs) {
                    err_format(&Exc_TypeError, "%S argument after * must be an iterable, not %s", fs, obj_type_name(pargs));
                    decref(fs);
                }
                decref(pargs); decref(kwargs);
                goto error;
            }
            Value t = tuple_from_iterable(pargs);
            if (!t) { decref(pargs); decref(kwargs); goto error; }
            decref(pargs);
            pargs = t;
        }
        Value r;
        if (kwargs && IS_DICT(kwargs) && AS_DICT(kwargs)->used) {
            size_t nkw = AS_DICT(kwargs)->used, np = TUPLE_LEN(pargs);
            Value kwn = tuple_new(nkw);
            Value *all = gc_malloc((np + nkw + 1) * sizeof(Value));
            if (!kwn || !all) { decref(kwn); gc_free(all); decref(pargs); decref(kwargs); goto error; }
            memcpy(all, TUPLE_ITEMS(pargs), np * sizeof(Value));
            size_t pos = 0, i = 0;
            Value k, v;
            while (dict_next(kwargs, &pos, &k, &v)) {
                TUPLE_ITEMS(kwn)[i] = incref(k);
                all[np + i] = v;
                i++;
            }
            r = obj_call(callable, all, np, kwn);
            gc_free(all);
            decref(kwn);
        } else {
            r = obj_call(callable, TUPLE_ITEMS(pargs), TUPLE_LEN(pargs), VNULL);
        }
        decref(pargs);
        decref(kwargs);
        if (!r) goto error;
        decref(callable);
        TOP() = r;
        DISPATCH();
    }
    TARGET(MAKE_FUNCTION) {
        Value code = POP();
        Value closure = (arg & 8) ? POP() : VNULL;
        Value annotations = (arg & 4) ? POP() : VNULL;
        Value kwdefaults = (arg & 2) ? POP() : VNULL;
        Value defaults = (arg & 1) ? POP() : VNULL;
        SAVE();
        Value fn = func_new(AS_CODE(code), f->globals, AS_CODE(code)->qualname);
        decref(code);
        if (!fn) { decref(closure); decref(annotations); decref(kwdefaults); decref(defaults); goto error; }
        FuncObj *fo = AS_FUNC(fn);
        fo->closure = closure;
        fo->annotations = annotations;
        fo->kwdefaults = kwdefaults;
        fo->defaults = defaults;
        PUSH(fn);
        DISPATCH();
    }
    TARGET(RETURN_VALUE) {
        retval = POP();
        SAVE();
        if (UNLIKELY(vm.trace_mask)) trace_frame(TE_RETURN, f, retval);
        Frame *done = f;
        if (LIKELY(!done->gen && !done->is_entry)) {
            /* a plain call returning to its caller in this loop */
            done->state = FRAME_COMPLETED;
            f = done->back;
            done->back = NULL;
            vm.frame = f;
            vm.depth--;
            frame_release(done);
            LOAD_REGS();
            PUSH(retval);
            CHECK_PENDING();
            DISPATCH();
        }
        done->state = FRAME_COMPLETED;
        GenObj *g = done->gen;
        if (g) {
            vm.exc_info = g->exc_state.previous;
            g->exc_state.previous = NULL;
            g->running = 0;
        }
        Frame *caller = done->back;
        done->back = NULL;
        vm.frame = caller;
        vm.depth--;
        if (done->is_entry) {
            done->is_entry = 0;
            finish_frame(g, done);
            vm.c_depth--;
            return retval;
        }
        f = caller;
        LOAD_REGS();
        if (g) {
            /* finished a generator resumed inline by FOR_ITER or SEND */
            finish_frame(g, done);
            Opcode by = INSTR_OP(ip[-1]);
            uint32_t target = INSTR_ARG(ip[-1]);
            Value recv = POP();
            decref(recv);
            if (by == OP_CALL || by == OP_CALL_METHOD) {
                /* g.send(x) / next(g) finished the generator: StopIteration(value) */
                decref(POP());
                SAVE();
                Value e = IS_NONE(retval) ? exc_new(&Exc_StopIteration, NULL, 0) : exc_new(&Exc_StopIteration, &retval, 1);
                decref(retval);
                if (e) err_set(e);
                goto error;
            }
            if (by == OP_SEND) PUSH(retval);
            else decref(retval);
            ip = co->code + target;
            DISPATCH();
        }
        decref(OBJ_VAL(done));
        PUSH(retval);
        DISPATCH();
    }
    TARGET(YIELD_VALUE) {
        retval = POP();
        SAVE();
        Frame *done = f;
        GenObj *g = done->gen;
        done->state = FRAME_SUSPENDED;
        if (UNLIKELY(vm.trace_mask)) trace_frame(arg ? TE_YIELD_DELEGATED : TE_YIELD, f, retval);
        vm.exc_info = g->exc_state.previous;
        g->exc_state.previous = NULL;
        g->running = 0;
        Frame *caller = done->back;
        done->back = NULL;
        vm.frame = caller;
        vm.depth--;
        if (done->is_entry) {
            done->is_entry = 0;
            decref(OBJ_VAL(done));
            vm.c_depth--;
            *yielded = 1;
            return retval;
        }
        decref(OBJ_VAL(done));
        f = caller;
        LOAD_REGS();
        Opcode by = INSTR_OP(ip[-1]);
        if (by == OP_CALL || by == OP_CALL_METHOD) {
            /* g.send(x) / next(g): the yielded value is the call's result */
            Value gen = POP(), fnv = POP();
            decref(gen);
            decref(fnv);
        }
        PUSH(retval);           /* FOR_ITER: the item; SEND: [recv, yielded] */
        DISPATCH();
    }
    TARGET(SEND) {
        Value recv = SECOND(), v = TOP();
        SAVE();
        if (can_resume_inline(recv)) {
            GenObj *g = AS_GEN(recv);
            Frame *gf = g->frame;
            if (gf->state == FRAME_CREATED && !IS_NONE(v)) {
                err_format(&Exc_TypeError, "can't send non-None value to a just-started %s",
                           g->kind == GEN_KIND_COROUTINE ? "coroutine" : "generator");
                goto error;
            }
            if (!vm_check_recursion()) goto error;
            bool started = gf->state != FRAME_CREATED;
            sp--;
            if (started) *gf->sp++ = v;
            else decref(v);
            f->sp = sp;
            g->awaited = 1;
            RESUME_INLINE(g, gf, started);
        }
        Value out;
        SendResult sr = iter_send(recv, v, &out);
        if (sr == SEND_ERROR) goto error;
        decref(v);
        if (sr == SEND_YIELD) {
            TOP() = out;
            DISPATCH();
        }
        sp -= 2;
        decref(recv);
        PUSH(out);
        ip = co->code + arg;
        DISPATCH();
    }
    TARGET(GET_YIELD_FROM_ITER) {
        Value v = TOP();
        SAVE();
        if (IS_TYPE(v, &CoroutineType)) {
            if (!(co->flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE))) {
                err_format(&Exc_TypeError, "cannot 'yield from' a coroutine object in a non-coroutine generator");
                goto error;
            }
            DISPATCH();
        }
        if (IS_TYPE(v, &GeneratorType)) DISPATCH();
        Value it = obj_iter(v);
        if (!it) goto error;
        TOP() = it;
        decref(v);
        DISPATCH();
    }
    TARGET(GET_AWAITABLE) {
        Value v = TOP();
        SAVE();
        Value it = coro_get_awaitable_iter(v);
        if (!it) {
            if (arg && err_matches(&Exc_TypeError)) {
                Value m = type_lookup(TYPE_OF(v), NM.__await__);
                if (!m) {
                    err_clear();
                    err_format(&Exc_TypeError, "'async with' received an object from %s that does not implement __await__: %s",
                               arg == 1 ? "__aenter__" : "__aexit__", obj_type_name(v));
                }
            }
            goto error;
        }
        TOP() = it;
        decref(v);
        DISPATCH();
    }
    TARGET(GET_AITER) {
        Value v = TOP();
        SAVE();
        Value m = type_lookup(TYPE_OF(v), NM.__aiter__);
        if (!m) {
            err_format(&Exc_TypeError, "'async for' requires an object with __aiter__ method, got %s", obj_type_name(v));
            goto error;
        }
        Value ait = obj_call_method(v, NM.__aiter__, NULL, 0);
        if (!ait) goto error;
        if (!type_lookup(TYPE_OF(ait), NM.__anext__)) {
            err_format(&Exc_TypeError, "'async for' received an object from __aiter__ that does not implement __anext__: %s",
                       obj_type_name(ait));
            decref(ait);
            goto error;
        }
        TOP() = ait;
        decref(v);
        DISPATCH();
    }
    TARGET(GET_ANEXT) {
        Value ait = TOP();
        SAVE();
        Value aw = obj_call_method(ait, NM.__anext__, NULL, 0);
        if (!aw) goto error;
        Value it = coro_get_awaitable_iter(aw);
        if (!it) {
            if (err_matches(&Exc_TypeError)) {
                err_clear();
                err_format(&Exc_TypeError, "'async for' received an invalid object from __anext__: %s", obj_type_name(aw));
            }
            decref(aw);
            goto error;
        }
        decref(aw);
        PUSH(it);
        DISPATCH();
    }
    TARGET(END_ASYNC_FOR) {
        Value exc = POP();
        if (exc_matches(exc, OBJ_VAL(&Exc_StopAsyncIteration))) {
            decref(exc);
            decref(POP());
            DISPATCH();
        }
        SAVE();
        err_restore(exc);
        goto exception_unwind;
    }
    TARGET(ASYNC_GEN_WRAP) {
        Value v = TOP();
        SAVE();
        Value w = asyncgen_wrap_value(v);
        if (!w) goto error;
        TOP() = w;
        decref(v);
        DISPATCH();
    }
    TARGET(BEFORE_WITH) {
        Value mgr = POP();
        SAVE();
        Value *nsp = before_with(mgr, sp, false);
        decref(mgr);
        if (!nsp) goto error;
        sp = nsp;
        DISPATCH();
    }
    TARGET(BEFORE_ASYNC_WITH) {
        Value mgr = POP();
        SAVE();
        Value *nsp = before_with(mgr, sp, true);
        decref(mgr);
        if (!nsp) goto error;
        sp = nsp;
        DISPATCH();
    }
    TARGET(WITH_EXCEPT_START) {
        Value exc = TOP(), exit = PEEK(3);
        SAVE();
        Value tb = AS_EXC(exc)->traceback ? AS_EXC(exc)->traceback : None;
        Value args[3] = { OBJ_VAL(TYPE_OF(exc)), exc, tb };
        Value r = obj_call(exit, args, 3, VNULL);
        if (!r) goto error;
        PUSH(r);
        DISPATCH();
    }
    TARGET(PUSH_EXC_INFO) {
        Value exc = TOP();
        Value prev = vm.exc_info->exc;
        TOP() = prev ? prev : none_new();
        vm.exc_info->exc = incref(exc);
        PUSH(exc);
        DISPATCH();
    }
    TARGET(POP_EXCEPT) {
        Value prev = POP();
        Value old = vm.exc_info->exc;
        vm.exc_info->exc = IS_NONE(prev) ? VNULL : prev;
        if (IS_NONE(prev)) decref(prev);
        decref(old);
        CHECK_PENDING();
        DISPATCH();
    }
    TARGET(CHECK_EXC_MATCH) {
        Value cls = TOP(), exc = SECOND();
        SAVE();
        if (check_except_class(cls) < 0) goto error;
        bool m = exc_matches(exc, cls);
        decref(cls);
        TOP() = BOOL(m);
        DISPATCH();
    }
    TARGET(RERAISE) {
        Value exc = POP();
        SAVE();
        err_restore(exc);
        goto exception_unwind;
    }
    TARGET(RAISE_VARARGS) {
        Value cause = arg == 2 ? POP() : VNULL;
        Value exc = arg >= 1 ? POP() : VNULL;
        SAVE();
        int r = do_raise(exc, cause);
        decref(exc);
        decref(cause);
        if (r == 1) goto exception_unwind;
        goto error;
    }
    TARGET(LOAD_ASSERTION_ERROR) {
        PUSH(incref(OBJ_VAL(&Exc_AssertionError)));
        DISPATCH();
    }
    TARGET(LOAD_BUILD_CLASS) {
        Value bc = dict_get(f->builtins, NM.__build_class__);
        if (!bc) { err_format(&Exc_NameError, "__build_class__ not found"); goto error; }
        PUSH(incref(bc));
        DISPATCH();
    }
    TARGET(IMPORT_NAME) {
        Value fromlist = POP(), level = TOP();
        SAVE();
        Value m = import_module(names[arg], f->globals, fromlist, IS_INT(level) ? (int)AS_INT(level) : 0);
        decref(fromlist);
        if (!m) goto error;
        decref(level);
        TOP() = m;
        DISPATCH();
    }
    TARGET(IMPORT_FROM) {
        SAVE();
        Value v = import_from(TOP(), names[arg]);
        if (!v) goto error;
        PUSH(v);
        DISPATCH();
    }
    TARGET(IMPORT_STAR) {
        Value m = POP();
        SAVE();
        int r = import_star(m, f->locals ? f->locals : f->globals);
        decref(m);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(PRINT_EXPR) {
        Value v = POP();
        SAVE();
        int r = print_expr(v);
        decref(v);
        if (r < 0) goto error;
        DISPATCH();
    }
    TARGET(RETURN_CLASSCELL) DISPATCH();
    TARGET(SETUP_ANNOTATIONS) {
        Value ns = f->locals ? f->locals : f->globals;
        SAVE();
        Value key = NM.__annotations__;
        Value have = IS_DICT(ns) ? dict_get(ns, key) : VNULL;
        if (!have) {
            Value d = dict_new();
            if (!d) goto error;
            int r = obj_setitem(ns, key, d);
            decref(d);
            if (r < 0) goto error;
        }
        DISPATCH();
    }
    TARGET(LOAD_LOCALS) {
        PUSH(incref(f->locals ? f->locals : f->globals));
        DISPATCH();
    }

#ifndef COMPUTED_GOTO
        default: goto L_bad_opcode;
        }
    }
#endif

L_bad_opcode:
    SAVE();
    err_format(&Exc_SystemError, "unknown opcode %d", (int)(ip[-1] & 0xFF));
    goto error;
#ifdef COMPUTED_GOTO
L_trace_instr:      /* --step's `s`: trace.c points every table entry here while asked */
    SAVE();
    trace_instr(f);
    goto *trace_instr_target(INSTR_OP(ip[-1]));
#endif

    /* ---- exceptions ------------------------------------------------------------------------ */
resume_with_error:
    /* an exception thrown into a generator: it appears at the yield */
error:
    {
        uint32_t at = (uint32_t)(ip - co->code - 1);
        if (ip == co->code) at = 0;
        if (vm.exc) exc_add_traceback(vm.exc, OBJ_VAL(f), (int)at);
        if (UNLIKELY(vm.trace_mask)) trace_frame(TE_RAISE, f, vm.exc);
    }
exception_unwind:
    for (;;) {
        uint32_t at = ip > co->code ? (uint32_t)(ip - co->code - 1) : 0;
        const ExcEntry *h = find_handler(co, at);
        if (h && UNLIKELY(vm.pending & (PENDING_STEPS | PENDING_TIMEOUT)) && limit_reached())
            h = NULL;           /* a program stopped by a limit runs no handler: straight out */
        if (h) {
            Value *target_sp = FRAME_STACK(f) + h->depth;
            while (sp > target_sp) {
                Value v = POP();
                decref(v);
            }
            PUSH(err_fetch());
            ip = co->code + h->target;
            DISPATCH();
        }
        /* No handler here: the frame is done, pass the exception to its caller. */
        while (sp > FRAME_STACK(f)) {
            Value v = POP();
            decref(v);
        }
        SAVE();
        Frame *done = f;
        done->state = FRAME_COMPLETED;
        GenObj *g = done->gen;
        if (g) {
            vm.exc_info = g->exc_state.previous;
            g->exc_state.previous = NULL;
            g->running = 0;
            gen_convert_stop_iteration(g);
        }
        if (UNLIKELY(vm.trace_mask)) trace_frame(TE_UNWIND, done, vm.exc);
        Frame *caller = done->back;
        done->back = NULL;
        vm.frame = caller;
        vm.depth--;
        if (done->is_entry) {
            done->is_entry = 0;
            finish_frame(g, done);
            vm.c_depth--;
            return VNULL;
        }
        finish_frame(g, done);
        f = caller;
        LOAD_REGS();
        /* the caller's current instruction failed */
        uint32_t cat = (uint32_t)(ip - co->code - 1);
        if (vm.exc) exc_add_traceback(vm.exc, OBJ_VAL(f), (int)cat);
    }
}

/* ======================================================================================
 * Start-up and shut-down
 * ====================================================================================== */
void vm_init(int argc, char **argv) {
    memset(&vm, 0, sizeof vm);
    vm.exc_info = &vm.exc_base;
    vm.recursion_limit = 1000;
    vm.c_depth_limit = 20000;
    gc_init();
    names_init();
    objects_init();
    errors_init();
    builtins_init();
    import_init(argc, argv);
}

void vm_finish(void) {
    if (!limit_reached()) gc_finalize_all();
}
