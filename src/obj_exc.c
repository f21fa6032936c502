/* obj_exc.c — exception objects and tracebacks.
 *
 * Owns: the hierarchy of built-in exception types (one table in object.h),
 * their construction (`args` set by __new__, as CPython does, so subclasses
 * that skip super().__init__ still print well), str/repr, the special
 * attributes of StopIteration, SystemExit, OSError, SyntaxError, KeyError,
 * AttributeError/NameError, exception groups, and traceback objects.
 * Must not touch: raising and printing (errors.c), unwinding (vm.c).
 */
#include <string.h>
#include <errno.h>
#include <stddef.h>
#include "vm.h"
#include "gc.h"
#include "names.h"

/* ---- life cycle ------------------------------------------------------------------------- */
#define EXC_FIELDS(X) X(dict) X(args) X(traceback) X(context) X(cause) X(notes) X(value) \
    X(msg) X(filename) X(lineno) X(offset) X(text) X(end_lineno) X(end_offset) X(err_no) \
    X(strerror) X(name) X(obj)

static void exc_dealloc(Obj *o) {
    ExcObj *e = (ExcObj *)o;
#define X(f) clearref(&e->f);
    EXC_FIELDS(X)
#undef X
}

static void exc_traverse(Obj *o, VisitFn visit, void *arg) {
    ExcObj *e = (ExcObj *)o;
#define X(f) visit(e->f, arg);
    EXC_FIELDS(X)
#undef X
}

static Value oserror_subtype_for(int code);

static Value exc_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)kwnames;
    /* OSError(errno, ...) gives the matching subclass, as CPython does. */
    if (t == &Exc_OSError && nargs >= 2 && IS_INT(args[0])) {
        Value sub = oserror_subtype_for((int)AS_INT(args[0]));
        if (sub) t = (Type *)AS_OBJ(sub);
    }
    ExcObj *e = (ExcObj *)gc_alloc(t, t->size);
    if (!e) return VNULL;
    e->args = tuple_from_array(args, nargs);
    if (!e->args) { decref(OBJ_VAL(e)); return VNULL; }
    return OBJ_VAL(e);
}

/* Fill the subclass-specific attributes from args. */
static void exc_set_special(ExcObj *e, Value *args, size_t nargs) {
    Type *t = e->h.type;
    if (type_is_subtype(t, &Exc_StopIteration)) {
        setref(&e->value, incref(nargs ? args[0] : None));
    } else if (type_is_subtype(t, &Exc_SystemExit)) {
        setref(&e->value, nargs == 0 ? none_new() : nargs == 1 ? incref(args[0]) : tuple_from_array(args, nargs));
    } else if (type_is_subtype(t, &Exc_OSError)) {
        if (nargs >= 2 && nargs <= 5) {
            setref(&e->err_no, incref(args[0]));
            setref(&e->strerror, incref(args[1]));
            if (nargs >= 3) setref(&e->filename, incref(args[2]));
        }
    } else if (type_is_subtype(t, &Exc_SyntaxError)) {
        if (nargs >= 1) setref(&e->msg, incref(args[0]));
        if (nargs == 2 && IS_TYPE(args[1], &TupleType) && TUPLE_LEN(args[1]) >= 4) {
            Value *d = TUPLE_ITEMS(args[1]);
            setref(&e->filename, incref(d[0]));
            setref(&e->lineno, incref(d[1]));
            setref(&e->offset, incref(d[2]));
            setref(&e->text, incref(d[3]));
            if (TUPLE_LEN(args[1]) >= 6) {
                setref(&e->end_lineno, incref(d[4]));
                setref(&e->end_offset, incref(d[5]));
            }
        }
    } else if (type_is_subtype(t, &Exc_BaseExceptionGroup)) {
        if (nargs >= 1) setref(&e->msg, incref(args[0]));
        if (nargs >= 2) setref(&e->value, tuple_from_iterable(args[1]));
        if (err_occurred()) err_clear();
    } else if (type_is_subtype(t, &Exc_ImportError)) {
        if (nargs >= 1) setref(&e->msg, incref(args[0]));
    }
}

static Value exc_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    ExcObj *e = AS_EXC(self);
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nkw) {
        Type *t = TYPE_OF(self);
        bool allowed = type_is_subtype(t, &Exc_ImportError) || type_is_subtype(t, &Exc_AttributeError) ||
                       type_is_subtype(t, &Exc_NameError);
        if (!allowed) return err_format(&Exc_TypeError, "%s() takes no keyword arguments", t->name);
        for (size_t i = 0; i < nkw; i++) {
            Value k = TUPLE_ITEMS(kwnames)[i], v = args[nargs + i];
            if (str_eq_cstr(k, "name")) setref(&e->name, incref(v));
            else if (str_eq_cstr(k, "obj")) setref(&e->obj, incref(v));
            else if (str_eq_cstr(k, "path")) setref(&e->filename, incref(v));
            else return err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for %s()", k, t->name);
        }
    }
    setref(&e->args, tuple_from_array(args, nargs));
    if (!e->args) return VNULL;
    exc_set_special(e, args, nargs);
    return none_new();
}

Value exc_new(Type *t, Value *args, size_t nargs) {
    Value e = t->tp_new(t, args, nargs, VNULL);
    if (!e) return VNULL;
    if (t->flags & TF_HEAPTYPE) {
        Value r = TYPE_OF(e)->tp_init(e, args, nargs, VNULL);
        if (!r) { decref(e); return VNULL; }
        decref(r);
    } else {
        exc_set_special(AS_EXC(e), args, nargs);
    }
    return e;
}

Value exc_new_msg(Type *t, const char *msg) {
    Value m = str_from_cstr(msg);
    if (!m) return VNULL;
    Value e = exc_new(t, &m, 1);
    decref(m);
    return e;
}

bool exc_type_check(Value v) {
    return IS_OBJ(v) && obj_isinstance_type(v, &TypeType) &&
           type_is_subtype((Type *)AS_OBJ(v), &Exc_BaseException);
}

Value exc_traceback(Value e) { return AS_EXC(e)->traceback; }

/* ---- str and repr ------------------------------------------------------------------------ */
static Value base_str(ExcObj *e) {
    size_t n = e->args ? TUPLE_LEN(e->args) : 0;
    if (n == 0) return str_from_cstr("");
    if (n == 1) return obj_str(TUPLE_ITEMS(e->args)[0]);
    return obj_str(e->args);
}

Value exc_str(Value self) {
    ExcObj *e = AS_EXC(self);
    Type *t = TYPE_OF(self);
    size_t n = e->args ? TUPLE_LEN(e->args) : 0;
    if (type_is_subtype(t, &Exc_KeyError) && n == 1) return obj_repr(TUPLE_ITEMS(e->args)[0]);
    if (type_is_subtype(t, &Exc_OSError) && e->err_no && e->strerror) {
        if (e->filename && !IS_NONE(e->filename))
            return str_from_fmt("[Errno %S] %S: %R", e->err_no, e->strerror, e->filename);
        return str_from_fmt("[Errno %S] %S", e->err_no, e->strerror);
    }
    if (type_is_subtype(t, &Exc_SyntaxError) && e->msg) {
        Value fname = e->filename && IS_STR(e->filename) ? e->filename : VNULL;
        if (fname && e->lineno && !IS_NONE(e->lineno)) {
            /* only the last path component, like CPython */
            const char *p = strrchr(STR_DATA(fname), '/');
            return str_from_fmt("%S (%s, line %S)", e->msg, p ? p + 1 : STR_DATA(fname), e->lineno);
        }
        return obj_str(e->msg);
    }
    if (type_is_subtype(t, &Exc_BaseExceptionGroup) && e->msg && e->value) {
        size_t k = TUPLE_LEN(e->value);
        return str_from_fmt("%S (%zu sub-exception%s)", e->msg, k, k == 1 ? "" : "s");
    }
    return base_str(e);
}

static Value exc_repr(Value self) {
    ExcObj *e = AS_EXC(self);
    Type *t = TYPE_OF(self);
    const char *name = t->name;
    /* (a group's repr is its args', as in CPython 3.11: the sequence as it was given) */
    size_t n = e->args ? TUPLE_LEN(e->args) : 0;
    if (n == 1) return str_from_fmt("%s(%R)", name, TUPLE_ITEMS(e->args)[0]);
    if (n == 0) return str_from_fmt("%s()", name);
    return str_from_fmt("%s%R", name, e->args);
}

/* ---- attributes ---------------------------------------------------------------------------- */
static Value get_args(Value self) { return incref(AS_EXC(self)->args); }
static int set_args(Value self, Value v) {
    if (!v) { err_format(&Exc_TypeError, "args may not be deleted"); return -1; }
    Value t = tuple_from_iterable(v);
    if (!t) return -1;
    setref(&AS_EXC(self)->args, t);
    return 0;
}
static Value get_tb(Value self) { Value t = AS_EXC(self)->traceback; return incref(t ? t : None); }
static int set_tb(Value self, Value v) {
    if (!v) { err_format(&Exc_TypeError, "__traceback__ may not be deleted"); return -1; }
    if (!IS_NONE(v) && !IS_TYPE(v, &TracebackType)) {
        err_format(&Exc_TypeError, "__traceback__ must be a traceback or None");
        return -1;
    }
    setref(&AS_EXC(self)->traceback, IS_NONE(v) ? VNULL : incref(v));
    return 0;
}
static Value get_context(Value self) { Value c = AS_EXC(self)->context; return incref(c ? c : None); }
static int set_context(Value self, Value v) {
    if (v && !IS_NONE(v) && !obj_isinstance_type(v, &Exc_BaseException)) {
        err_format(&Exc_TypeError, "exception context must be None or derive from BaseException");
        return -1;
    }
    setref(&AS_EXC(self)->context, v && !IS_NONE(v) ? incref(v) : VNULL);
    return 0;
}
static Value get_cause(Value self) { Value c = AS_EXC(self)->cause; return incref(c ? c : None); }
static int set_cause(Value self, Value v) {
    if (v && !IS_NONE(v) && !obj_isinstance_type(v, &Exc_BaseException)) {
        err_format(&Exc_TypeError, "exception cause must be None or derive from BaseException");
        return -1;
    }
    setref(&AS_EXC(self)->cause, v && !IS_NONE(v) ? incref(v) : VNULL);
    AS_EXC(self)->suppress_context = true;
    return 0;
}
static Value get_suppress(Value self) { return bool_new(AS_EXC(self)->suppress_context); }
static int set_suppress(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    AS_EXC(self)->suppress_context = t;
    return 0;
}

static const GetSetDef exc_getsets[] = {
    { "args", get_args, set_args },
    { "__traceback__", get_tb, set_tb },
    { "__context__", get_context, set_context },
    { "__cause__", get_cause, set_cause },
    { "__suppress_context__", get_suppress, set_suppress },
    { NULL, NULL, NULL }
};

#define FIELD_GETSET(fn, field)                                                          \
    static Value fn##_get(Value self) { Value v = AS_EXC(self)->field; return incref(v ? v : None); } \
    static int fn##_set(Value self, Value v) { setref(&AS_EXC(self)->field, incref(v)); return 0; }
FIELD_GETSET(value, value)
FIELD_GETSET(code, value)
FIELD_GETSET(errno, err_no)
FIELD_GETSET(strerror, strerror)
FIELD_GETSET(filename, filename)
FIELD_GETSET(msg, msg)
FIELD_GETSET(lineno, lineno)
FIELD_GETSET(offset, offset)
FIELD_GETSET(text, text)
FIELD_GETSET(end_lineno, end_lineno)
FIELD_GETSET(end_offset, end_offset)
FIELD_GETSET(name, name)
FIELD_GETSET(obj, obj)
FIELD_GETSET(path, filename)

static const GetSetDef stopiter_getsets[] = { { "value", value_get, value_set }, { NULL, NULL, NULL } };
static const GetSetDef sysexit_getsets[] = { { "code", code_get, code_set }, { NULL, NULL, NULL } };
static const GetSetDef oserror_getsets[] = {
    { "errno", errno_get, errno_set }, { "strerror", strerror_get, strerror_set },
    { "filename", filename_get, filename_set }, { NULL, NULL, NULL }
};
static const GetSetDef syntax_getsets[] = {
    { "msg", msg_get, msg_set }, { "filename", filename_get, filename_set },
    { "lineno", lineno_get, lineno_set }, { "offset", offset_get, offset_set },
    { "text", text_get, text_set }, { "end_lineno", end_lineno_get, end_lineno_set },
    { "end_offset", end_offset_get, end_offset_set }, { NULL, NULL, NULL }
};
static const GetSetDef name_getsets[] = {
    { "name", name_get, name_set }, { "obj", obj_get, obj_set }, { NULL, NULL, NULL }
};
static const GetSetDef import_getsets[] = {
    { "msg", msg_get, msg_set }, { "name", name_get, name_set }, { "path", path_get, path_set },
    { NULL, NULL, NULL }
};

/* ---- methods ---------------------------------------------------------------------------------- */
static Value exc_with_traceback(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("with_traceback", kwnames) || args_count("with_traceback", nargs, 1, 1)) return VNULL;
    if (set_tb(self, args[0]) < 0) return VNULL;
    return incref(self);
}

static Value exc_add_note(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("add_note", kwnames) || args_count("add_note", nargs, 1, 1)) return VNULL;
    if (!str_check(args[0]))
        return err_format(&Exc_TypeError, "note must be a str, not '%s'", obj_type_name(args[0]));
    ExcObj *e = AS_EXC(self);
    Value d = obj_dict_of(self);
    Value notes = d ? dict_get(d, NM.__notes__) : VNULL;
    if (!notes) {
        notes = list_new(0);
        if (!notes || dict_set(d, NM.__notes__, notes) < 0) { decref(notes); return VNULL; }
        decref(notes);
    }
    (void)e;
    if (list_append(notes, args[0]) < 0) return VNULL;
    return none_new();
}

static Value exc_reduce(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return tuple_pack(2, OBJ_VAL(TYPE_OF(self)), AS_EXC(self)->args);
}

static const MethodDef exc_methods[] = {
    { "with_traceback", exc_with_traceback, 0 },
    { "add_note", exc_add_note, 0 },
    { "__reduce__", exc_reduce, 0 },
    { NULL, NULL, 0 }
};

/* ---- exception groups ---------------------------------------------------------------------- */
static Value group_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw(t->name, kwnames)) return VNULL;
    if (nargs != 2) return err_format(&Exc_TypeError, "BaseExceptionGroup.__new__() takes exactly 2 arguments (%zu given)", nargs);
    if (!str_check(args[0])) return err_format(&Exc_TypeError, "argument 1 must be str, not %s", obj_type_name(args[0]));
    Value excs = tuple_from_iterable(args[1]);
    if (!excs) {
        err_clear();
        return err_format(&Exc_TypeError, "second argument (exceptions) must be a sequence");
    }
    size_t n = TUPLE_LEN(excs);
    if (n == 0) { decref(excs); return err_format(&Exc_ValueError, "second argument (exceptions) must be a non-empty sequence"); }
    bool all_exc = true;
    for (size_t i = 0; i < n; i++) {
        Value x = TUPLE_ITEMS(excs)[i];
        if (!IS_OBJ(x) || !obj_isinstance_type(x, &Exc_BaseException)) {
            decref(excs);
            return err_format(&Exc_ValueError, "Item %zu of second argument (exceptions) is not an exception", i);
        }
        if (!obj_isinstance_type(x, &Exc_Exception)) all_exc = false;
    }
    if (t == &Exc_BaseExceptionGroup && all_exc) t = &Exc_ExceptionGroup;
    if (t == &Exc_ExceptionGroup && !all_exc) {
        decref(excs);
        return err_format(&Exc_TypeError, "Cannot nest BaseExceptions in an ExceptionGroup");
    }
    ExcObj *e = (ExcObj *)gc_alloc(t, t->size);
    if (!e) { decref(excs); return VNULL; }
    /* args keeps the sequence as given, as CPython does: the repr of a group made
       from a list shows the list (TaskGroup's ExceptionGroup('...', [ValueError()])). */
    e->args = tuple_pack(2, args[0], args[1]);
    e->msg = incref(args[0]);
    e->value = excs;
    return OBJ_VAL(e);
}

static Value group_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args; (void)nargs; (void)kwnames;
    return none_new();
}

static Value group_message(Value self) { Value m = AS_EXC(self)->msg; return incref(m ? m : None); }
static Value group_exceptions(Value self) { Value m = AS_EXC(self)->value; return incref(m ? m : None); }

static Value group_derive(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("derive", kwnames) || args_count("derive", nargs, 1, 1)) return VNULL;
    Value a[2] = { AS_EXC(self)->msg, args[0] };
    return obj_call(OBJ_VAL(&Exc_BaseExceptionGroup), a, 2, VNULL);
}

/* Split a group by a predicate (an exception type, tuple of types, or callable). */
static int group_matches(Value exc, Value cond) {
    if (exc_type_check(cond) || IS_TYPE(cond, &TupleType)) return exc_matches(exc, cond);
    Value r = obj_call1(cond, exc);
    if (!r) return -1;
    int t = obj_truth(r);
    decref(r);
    return t;
}

static int group_split_rec(Value self, Value cond, Value *match, Value *rest) {
    *match = *rest = VNULL;
    int m = group_matches(self, cond);
    if (m < 0) return -1;
    if (m) { *match = incref(self); return 0; }
    if (!obj_isinstance_type(self, &Exc_BaseExceptionGroup)) { *rest = incref(self); return 0; }
    Value excs = AS_EXC(self)->value;
    Value ml = list_new(0), rl = list_new(0);
    if (!ml || !rl) { decref(ml); decref(rl); return -1; }
    for (size_t i = 0; i < TUPLE_LEN(excs); i++) {
        Value sm, sr;
        if (group_split_rec(TUPLE_ITEMS(excs)[i], cond, &sm, &sr) < 0) { decref(ml); decref(rl); return -1; }
        if (sm) { list_append(ml, sm); decref(sm); }
        if (sr) { list_append(rl, sr); decref(sr); }
    }
    Value *outs[2] = { match, rest };
    Value lists[2] = { ml, rl };
    for (int k = 0; k < 2; k++) {
        if (LIST_LEN(lists[k])) {
            Value d = obj_call_method_cstr(self, "derive", 1, lists[k]);
            if (!d) { decref(ml); decref(rl); return -1; }
            ExcObj *de = AS_EXC(d), *se = AS_EXC(self);
            setref(&de->traceback, incref(se->traceback));
            setref(&de->context, incref(se->context));
            setref(&de->cause, incref(se->cause));
            *outs[k] = d;
        }
    }
    decref(ml);
    decref(rl);
    return 0;
}

static Value group_split(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("split", kwnames) || args_count("split", nargs, 1, 1)) return VNULL;
    Value m, r;
    if (group_split_rec(self, args[0], &m, &r) < 0) return VNULL;
    Value t = tuple_pack(2, m ? m : None, r ? r : None);
    decref(m);
    decref(r);
    return t;
}

static Value group_subgroup(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("subgroup", kwnames) || args_count("subgroup", nargs, 1, 1)) return VNULL;
    Value m, r;
    if (group_split_rec(self, args[0], &m, &r) < 0) return VNULL;
    decref(r);
    return m ? m : none_new();
}

static const MethodDef group_methods[] = {
    { "derive", group_derive, 0 }, { "split", group_split, 0 }, { "subgroup", group_subgroup, 0 },
    { NULL, NULL, 0 }
};
static const GetSetDef group_getsets[] = {
    { "message", group_message, NULL }, { "exceptions", group_exceptions, NULL }, { NULL, NULL, NULL }
};

/* ---- the types ---------------------------------------------------------------------------------- */
#define EXC_TYPE_INIT(N) \
    Type Exc_##N = { STATIC_TYPE_HEAD, .name = #N, \
        .flags = TF_GC | TF_BASETYPE | TF_EXCEPTION, .size = sizeof(ExcObj) };
#define X(N, B) EXC_TYPE_INIT(N)
APY_EXCEPTION_TYPES(X)
#undef X

static Value oserror_subtype_for(int code) {
    switch (code) {
    case ENOENT: return OBJ_VAL(&Exc_FileNotFoundError);
    case EEXIST: return OBJ_VAL(&Exc_FileExistsError);
    case EACCES: case EPERM: return OBJ_VAL(&Exc_PermissionError);
    case EISDIR: return OBJ_VAL(&Exc_IsADirectoryError);
    case ENOTDIR: return OBJ_VAL(&Exc_NotADirectoryError);
    case EPIPE: return OBJ_VAL(&Exc_BrokenPipeError);
    case ECONNRESET: return OBJ_VAL(&Exc_ConnectionResetError);
    case ECONNREFUSED: return OBJ_VAL(&Exc_ConnectionRefusedError);
    case ETIMEDOUT: return OBJ_VAL(&Exc_TimeoutError);
    case EINTR: return OBJ_VAL(&Exc_InterruptedError);
    default: return VNULL;
    }
}

/* ---- tracebacks ------------------------------------------------------------------------------ */
void exc_add_traceback(Value e, Value frame, int lasti) {
    if (!IS_OBJ(e) || !(TYPE_OF(e)->flags & TF_EXCEPTION)) return;
    TracebackObj *tb = (TracebackObj *)gc_alloc(&TracebackType, sizeof(TracebackObj));
    if (!tb) { err_clear(); return; }
    Frame *f = (Frame *)AS_OBJ(frame);
    frame_escape(f);
    tb->frame = incref(frame);
    tb->lasti = lasti;
    tb->lineno = code_line_of(f->code, (uint32_t)lasti);
    if (tb->lineno < 0) tb->lineno = f->code->firstline;
    ExcObj *x = AS_EXC(e);
    tb->next = x->traceback ? (TracebackObj *)AS_OBJ(x->traceback) : NULL;
    x->traceback = OBJ_VAL(tb);    /* takes over the reference to the old head via tb->next */
}

static void tb_dealloc(Obj *o) {
    TracebackObj *tb = (TracebackObj *)o;
    clearref(&tb->frame);
    if (tb->next) { Obj *n = &tb->next->h; tb->next = NULL; decref(OBJ_VAL(n)); }
}

static void tb_traverse(Obj *o, VisitFn visit, void *arg) {
    TracebackObj *tb = (TracebackObj *)o;
    visit(tb->frame, arg);
    if (tb->next) visit(OBJ_VAL(tb->next), arg);
}

static Value tb_frame(Value self) { return incref(((TracebackObj *)AS_OBJ(self))->frame); }
static Value tb_lineno(Value self) { return int_from_i64(((TracebackObj *)AS_OBJ(self))->lineno); }
static Value tb_lasti(Value self) { return int_from_i64(((TracebackObj *)AS_OBJ(self))->lasti * 2); }
static Value tb_next(Value self) {
    TracebackObj *n = ((TracebackObj *)AS_OBJ(self))->next;
    return incref(n ? OBJ_VAL(n) : None);
}
static const GetSetDef tb_getsets[] = {
    { "tb_frame", tb_frame, NULL }, { "tb_lineno", tb_lineno, NULL },
    { "tb_lasti", tb_lasti, NULL }, { "tb_next", tb_next, NULL }, { NULL, NULL, NULL }
};

Type TracebackType = {
    STATIC_TYPE_HEAD, .name = "traceback", .flags = TF_GC, .size = sizeof(TracebackObj),
    .dealloc = tb_dealloc, .traverse = tb_traverse,
};

/* ---- start-up ---------------------------------------------------------------------------------- */
void exc_init_types(void) {
    /* bases first (the table is ordered so that a base precedes its subclasses) */
#define Exc_NULL ObjectType      /* BaseException's base in the table */
#define X(N, B) Exc_##N.base = &Exc_##B;
    APY_EXCEPTION_TYPES(X)
#undef X
#undef Exc_NULL
    Exc_BaseException.base = &ObjectType;
    Exc_BaseException.tp_new = exc_tp_new;
    Exc_BaseException.tp_init = exc_tp_init;
    Exc_BaseException.dealloc = exc_dealloc;
    Exc_BaseException.traverse = exc_traverse;
    Exc_BaseException.clear = exc_dealloc;
    Exc_BaseException.str = exc_str;
    Exc_BaseException.repr = exc_repr;
    Exc_BaseException.dict_offset = offsetof(ExcObj, dict);
    type_add_methods(&Exc_BaseException, exc_methods);
    type_add_getsets(&Exc_BaseException, exc_getsets);
    type_add_getsets(&Exc_StopIteration, stopiter_getsets);
    type_add_getsets(&Exc_SystemExit, sysexit_getsets);
    type_add_getsets(&Exc_OSError, oserror_getsets);
    type_add_getsets(&Exc_SyntaxError, syntax_getsets);
    type_add_getsets(&Exc_NameError, name_getsets);
    type_add_getsets(&Exc_AttributeError, name_getsets);
    type_add_getsets(&Exc_ImportError, import_getsets);
    Exc_BaseExceptionGroup.tp_new = group_tp_new;
    Exc_BaseExceptionGroup.tp_init = group_init;
    type_add_methods(&Exc_BaseExceptionGroup, group_methods);
    type_add_getsets(&Exc_BaseExceptionGroup, group_getsets);
    /* ExceptionGroup is also an Exception: give it the MRO CPython has. */
    Exc_ExceptionGroup.mro = tuple_pack(5, OBJ_VAL(&Exc_ExceptionGroup), OBJ_VAL(&Exc_BaseExceptionGroup),
                                        OBJ_VAL(&Exc_Exception), OBJ_VAL(&Exc_BaseException), OBJ_VAL(&ObjectType));
    Exc_ExceptionGroup.bases = tuple_pack(2, OBJ_VAL(&Exc_BaseExceptionGroup), OBJ_VAL(&Exc_Exception));
#define X(N, B) type_ready(&Exc_##N);
    APY_EXCEPTION_TYPES(X)
#undef X
    /* asyncio's exceptions live in asyncio.exceptions (and queues) in CPython */
    Value mod = str_intern_cstr("asyncio.exceptions");
    Type *aio[] = { &Exc_CancelledError, &Exc_InvalidStateError };
    for (size_t i = 0; i < 2; i++) {
        setref(&aio[i]->module, incref(mod));
        dict_set(aio[i]->dict, NM.__module__, mod);
    }
    Value qmod = str_intern_cstr("asyncio.queues");
    Type *q[] = { &Exc_QueueEmpty, &Exc_QueueFull };
    for (size_t i = 0; i < 2; i++) {
        setref(&q[i]->module, incref(qmod));
        dict_set(q[i]->dict, NM.__module__, qmod);
    }
    type_add_getsets(&TracebackType, tb_getsets);
    type_ready(&TracebackType);
}
