/* obj_func.c — things you call: functions, bound methods, built-in
 * functions and method descriptors; and code objects, cells, modules.
 *
 * Owns: these objects' layouts' life cycles, attributes and reprs, and the
 * call slots of bound methods and built-ins (calls of apy functions run in
 * vm.c).
 * Must not touch: argument binding and frames (vm.c).
 */
#include <string.h>
#include <stdlib.h>
#include <stddef.h>
#include "vm.h"
#include "gc.h"
#include "names.h"

/* ======================================================================================
 * Code objects
 * ====================================================================================== */
CodeObj *code_new(void) {
    return (CodeObj *)gc_alloc(&CodeType, sizeof(CodeObj));
}

static void code_dealloc(Obj *o) {
    CodeObj *co = (CodeObj *)o;
    gc_free(co->code);
    gc_free(co->cell2arg);
    gc_free(co->exctable);
    gc_free(co->lines);
    free(co->caches);
    clearref(&co->consts); clearref(&co->names); clearref(&co->varnames);
    clearref(&co->cellvars); clearref(&co->freevars); clearref(&co->name);
    clearref(&co->qualname); clearref(&co->filename);
}

static void code_traverse(Obj *o, VisitFn visit, void *arg) {
    CodeObj *co = (CodeObj *)o;
    visit(co->consts, arg);
    visit(co->names, arg);
}

const LineEntry *code_pos_of(const CodeObj *co, uint32_t offset) {
    if (!co->nlines) return NULL;
    uint32_t lo = 0, hi = co->nlines;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (co->lines[mid].start <= offset) lo = mid; else hi = mid;
    }
    return &co->lines[lo];
}

int code_line_of(const CodeObj *co, uint32_t offset) {
    const LineEntry *e = code_pos_of(co, offset);
    return e ? e->line : -1;
}

static Value code_repr(Value self) {
    CodeObj *co = AS_CODE(self);
    return str_from_fmt("<code object %S at %p, file \"%S\", line %d>", co->name, (void *)self, co->filename, co->firstline);
}

static Value co_name(Value self) { return incref(AS_CODE(self)->name); }
static Value co_qualname(Value self) { return incref(AS_CODE(self)->qualname); }
static Value co_filename(Value self) { return incref(AS_CODE(self)->filename); }
static Value co_firstlineno(Value self) { return int_from_i64(AS_CODE(self)->firstline); }
static Value co_argcount(Value self) { return int_from_i64(AS_CODE(self)->argcount); }
static Value co_kwonlyargcount(Value self) { return int_from_i64(AS_CODE(self)->kwonlyargcount); }
static Value co_posonlyargcount(Value self) { return int_from_i64(AS_CODE(self)->posonlyargcount); }
static Value co_nlocals(Value self) { return int_from_i64(AS_CODE(self)->nlocals); }
static Value co_varnames(Value self) { return incref(AS_CODE(self)->varnames); }
static Value co_cellvars(Value self) { return incref(AS_CODE(self)->cellvars); }
static Value co_freevars(Value self) { return incref(AS_CODE(self)->freevars); }
static Value co_consts(Value self) { return incref(AS_CODE(self)->consts); }
static Value co_names(Value self) { return incref(AS_CODE(self)->names); }
static Value co_stacksize(Value self) { return int_from_i64(AS_CODE(self)->stacksize); }
static Value co_flags(Value self) {
    /* CPython's flag values for what inspect looks at */
    uint32_t f = AS_CODE(self)->flags, r = 0;
    if (f & CO_VARARGS) r |= 0x04;
    if (f & CO_VARKEYWORDS) r |= 0x08;
    if (f & CO_NESTED) r |= 0x10;
    if (f & CO_GENERATOR) r |= 0x20;
    if (f & CO_COROUTINE) r |= 0x80;
    if (f & CO_ITERABLE_COROUTINE) r |= 0x100;
    if (f & CO_ASYNC_GEN) r |= 0x200;
    return int_from_i64(r);
}

static const GetSetDef code_getsets[] = {
    { "co_name", co_name, NULL }, { "co_qualname", co_qualname, NULL },
    { "co_filename", co_filename, NULL }, { "co_firstlineno", co_firstlineno, NULL },
    { "co_argcount", co_argcount, NULL }, { "co_kwonlyargcount", co_kwonlyargcount, NULL },
    { "co_posonlyargcount", co_posonlyargcount, NULL }, { "co_nlocals", co_nlocals, NULL },
    { "co_varnames", co_varnames, NULL }, { "co_cellvars", co_cellvars, NULL },
    { "co_freevars", co_freevars, NULL }, { "co_consts", co_consts, NULL },
    { "co_names", co_names, NULL }, { "co_stacksize", co_stacksize, NULL },
    { "co_flags", co_flags, NULL },
    { NULL, NULL, NULL }
};

Type CodeType = {
    STATIC_TYPE_HEAD, .name = "code", .flags = TF_GC, .size = sizeof(CodeObj),
    .dealloc = code_dealloc, .traverse = code_traverse, .repr = code_repr,
};

/* ======================================================================================
 * Functions
 * ====================================================================================== */
Value func_new(CodeObj *code, Value globals, Value qualname) {
    FuncObj *fn = (FuncObj *)gc_alloc(&FunctionType, sizeof(FuncObj));
    if (!fn) return VNULL;
    fn->code = code;
    incref(OBJ_VAL(code));
    fn->globals = incref(globals);
    Value b = dict_get(globals, NM.__builtins__);
    if (b && IS_TYPE(b, &ModuleType)) b = ((ModuleObj *)AS_OBJ(b))->dict;
    fn->builtins = incref(b && IS_DICT(b) ? b : vm.builtins);
    fn->name = incref(code->name);
    fn->qualname = incref(qualname ? qualname : code->name);
    Value mod = dict_get(globals, NM.__name__);
    fn->module = incref(mod ? mod : None);
    fn->doc = (code->flags & CO_HAS_DOCSTRING) ? incref(TUPLE_ITEMS(code->consts)[0]) : none_new();
    return OBJ_VAL(fn);
}

static void func_dealloc(Obj *o) {
    FuncObj *fn = (FuncObj *)o;
    decref(OBJ_VAL(fn->code));
    clearref(&fn->globals); clearref(&fn->builtins); clearref(&fn->name); clearref(&fn->qualname);
    clearref(&fn->defaults); clearref(&fn->kwdefaults); clearref(&fn->closure); clearref(&fn->dict);
    clearref(&fn->module); clearref(&fn->doc); clearref(&fn->annotations);
}

static void func_traverse(Obj *o, VisitFn visit, void *arg) {
    FuncObj *fn = (FuncObj *)o;
    visit(OBJ_VAL(fn->code), arg);
    visit(fn->globals, arg); visit(fn->builtins, arg); visit(fn->defaults, arg);
    visit(fn->kwdefaults, arg); visit(fn->closure, arg); visit(fn->dict, arg);
    visit(fn->module, arg); visit(fn->doc, arg); visit(fn->annotations, arg);
    visit(fn->name, arg); visit(fn->qualname, arg);
}

static void func_clear(Obj *o) {
    FuncObj *fn = (FuncObj *)o;
    clearref(&fn->globals); clearref(&fn->defaults); clearref(&fn->kwdefaults);
    clearref(&fn->closure); clearref(&fn->dict); clearref(&fn->annotations);
    clearref(&fn->doc); clearref(&fn->module);
}

static Value func_repr(Value self) {
    return str_from_fmt("<function %S at %p>", AS_FUNC(self)->qualname, (void *)self);
}

static Value func_descr_get(Value self, Value obj, Value type) {
    (void)type;
    if (!obj) return incref(self);
    return method_new(self, obj);
}

static Value func_call(Value self, Value *args, size_t nargs, Value kwnames) {
    return vm_call_function(self, args, nargs, kwnames);
}

#define FUNC_FIELD_GETSET(field, dflt)                                              \
    static Value func_get_##field(Value self) {                                     \
        Value v = AS_FUNC(self)->field;                                             \
        return incref(v ? v : (dflt));                                              \
    }                                                                               \
    static int func_set_##field(Value self, Value v) {                              \
        setref(&AS_FUNC(self)->field, v && !IS_NONE(v) ? incref(v) : VNULL);         \
        return 0;                                                                   \
    }
FUNC_FIELD_GETSET(defaults, None)
FUNC_FIELD_GETSET(kwdefaults, None)
FUNC_FIELD_GETSET(doc, None)
FUNC_FIELD_GETSET(module, None)

static Value func_get_name(Value self) { return incref(AS_FUNC(self)->name); }
static int func_set_name(Value self, Value v) {
    if (!v || !IS_STR(v)) { err_format(&Exc_TypeError, "__name__ must be set to a string object"); return -1; }
    setref(&AS_FUNC(self)->name, incref(v));
    return 0;
}
static Value func_get_qualname(Value self) { return incref(AS_FUNC(self)->qualname); }
static int func_set_qualname(Value self, Value v) {
    if (!v || !IS_STR(v)) { err_format(&Exc_TypeError, "__qualname__ must be set to a string object"); return -1; }
    setref(&AS_FUNC(self)->qualname, incref(v));
    return 0;
}
static Value func_get_code(Value self) { return incref(OBJ_VAL(AS_FUNC(self)->code)); }
static Value func_get_globals(Value self) { return incref(AS_FUNC(self)->globals); }
static Value func_get_closure(Value self) {
    Value c = AS_FUNC(self)->closure;
    return incref(c ? c : None);
}
static Value func_get_annotations(Value self) {
    FuncObj *fn = AS_FUNC(self);
    if (!fn->annotations) fn->annotations = dict_new();
    return incref(fn->annotations);
}
static int func_set_annotations(Value self, Value v) {
    if (v && !IS_NONE(v) && !IS_DICT(v)) {
        err_format(&Exc_TypeError, "__annotations__ must be set to a dict object");
        return -1;
    }
    setref(&AS_FUNC(self)->annotations, v && !IS_NONE(v) ? incref(v) : VNULL);
    return 0;
}
static Value func_get_dict(Value self) {
    FuncObj *fn = AS_FUNC(self);
    if (!fn->dict) fn->dict = dict_new();
    return incref(fn->dict);
}
static int func_set_dict(Value self, Value v) {
    if (!v || !IS_DICT(v)) { err_format(&Exc_TypeError, "__dict__ must be set to a dictionary"); return -1; }
    setref(&AS_FUNC(self)->dict, incref(v));
    return 0;
}

static const GetSetDef func_getsets[] = {
    { "__name__", func_get_name, func_set_name },
    { "__qualname__", func_get_qualname, func_set_qualname },
    { "__defaults__", func_get_defaults, func_set_defaults },
    { "__kwdefaults__", func_get_kwdefaults, func_set_kwdefaults },
    { "__doc__", func_get_doc, func_set_doc },
    { "__module__", func_get_module, func_set_module },
    { "__code__", func_get_code, NULL },
    { "__globals__", func_get_globals, NULL },
    { "__closure__", func_get_closure, NULL },
    { "__annotations__", func_get_annotations, func_set_annotations },
    { "__dict__", func_get_dict, func_set_dict },
    { NULL, NULL, NULL }
};

Type FunctionType = {
    STATIC_TYPE_HEAD, .name = "function", .flags = TF_GC, .size = sizeof(FuncObj),
    .dealloc = func_dealloc, .traverse = func_traverse, .clear = func_clear, .repr = func_repr,
    .descr_get = func_descr_get, .call = func_call,
    .dict_offset = offsetof(FuncObj, dict),
};

/* ======================================================================================
 * Bound methods
 * ====================================================================================== */
Value method_new(Value func, Value self) {
    MethodObj *m = (MethodObj *)gc_alloc(&MethodType, sizeof(MethodObj));
    if (!m) return VNULL;
    m->func = incref(func);
    m->self = incref(self);
    return OBJ_VAL(m);
}

static void method_dealloc(Obj *o) {
    MethodObj *m = (MethodObj *)o;
    clearref(&m->func);
    clearref(&m->self);
}

static void method_traverse(Obj *o, VisitFn visit, void *arg) {
    MethodObj *m = (MethodObj *)o;
    visit(m->func, arg);
    visit(m->self, arg);
}

static Value method_call(Value self, Value *args, size_t nargs, Value kwnames) {
    MethodObj *m = (MethodObj *)AS_OBJ(self);
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value buf[8];
    Value *all = nargs + nkw + 1 <= 8 ? buf : gc_malloc((nargs + nkw + 1) * sizeof(Value));
    if (!all) return VNULL;
    all[0] = m->self;
    if (nargs + nkw) memcpy(all + 1, args, (nargs + nkw) * sizeof(Value));   /* args may be NULL */
    incref(self);
    Value r = obj_call(m->func, all, nargs + 1, kwnames);
    decref(self);
    if (all != buf) gc_free(all);
    return r;
}

static Value method_repr(Value self) {
    MethodObj *m = (MethodObj *)AS_OBJ(self);
    Value qn = obj_getattr_opt(m->func, NM.__qualname__);
    if (!qn) qn = obj_getattr_opt(m->func, NM.__name__);
    if (!qn) { if (err_occurred()) return VNULL; qn = str_from_cstr("?"); }
    Value sr = obj_repr(m->self);
    if (!sr) { decref(qn); return VNULL; }
    Value r = str_from_fmt("<bound method %S of %S>", qn, sr);
    decref(qn);
    decref(sr);
    return r;
}

static Value method_richcmp(Value a, Value b, RichCmpOp op) {
    if ((op != RC_EQ && op != RC_NE) || !IS_TYPE(b, &MethodType)) return incref(NotImplemented);
    MethodObj *x = (MethodObj *)AS_OBJ(a), *y = (MethodObj *)AS_OBJ(b);
    bool eq = x->self == y->self && x->func == y->func;
    return bool_new(op == RC_EQ ? eq : !eq);
}

static int64_t method_hash(Value self) {
    MethodObj *m = (MethodObj *)AS_OBJ(self);
    uint64_t h = (uint64_t)m->self ^ ((uint64_t)m->func >> 4);
    return (int64_t)(h & 0x7FFFFFFFFFFFFFFF);
}

static Value method_getattr(Value self, Value name) {
    MethodObj *m = (MethodObj *)AS_OBJ(self);
    if (str_eq_cstr(name, "__self__")) return incref(m->self);
    if (str_eq_cstr(name, "__func__")) return incref(m->func);
    Value v = obj_generic_getattr(self, name);
    if (v || !err_matches(&Exc_AttributeError)) return v;
    err_clear();
    return obj_getattr(m->func, name);
}

/* types.MethodType(func, obj) */
static Value method_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (args_no_kw("method", kwnames) || args_count("method", nargs, 2, 2)) return VNULL;
    if (!obj_callable(args[0])) return err_format(&Exc_TypeError, "first argument must be callable");
    if (IS_NONE(args[1])) return err_format(&Exc_TypeError, "instance must not be None");
    return method_new(args[0], args[1]);
}

Type MethodType = {
    STATIC_TYPE_HEAD, .name = "method", .flags = TF_GC, .size = sizeof(MethodObj), .tp_new = method_tp_new,
    .dealloc = method_dealloc, .traverse = method_traverse, .call = method_call,
    .repr = method_repr, .richcmp = method_richcmp, .hash = method_hash, .getattr = method_getattr,
};

/* ======================================================================================
 * Built-in functions and method descriptors
 * ====================================================================================== */
Value cfunc_new(const char *name, CFunc fn, Value self) {
    CFuncObj *f = (CFuncObj *)gc_alloc(&CFunctionType, sizeof(CFuncObj));
    if (!f) return VNULL;
    f->name = name;
    f->fn = fn;
    f->self = incref(self);
    return OBJ_VAL(f);
}

static void cfunc_dealloc(Obj *o) {
    CFuncObj *f = (CFuncObj *)o;
    clearref(&f->self);
    clearref(&f->qualname_owner);
}

static void cfunc_traverse(Obj *o, VisitFn visit, void *arg) {
    CFuncObj *f = (CFuncObj *)o;
    visit(f->self, arg);
    visit(f->qualname_owner, arg);
}

static Value cfunc_call(Value self, Value *args, size_t nargs, Value kwnames) {
    CFuncObj *f = (CFuncObj *)AS_OBJ(self);
    if (kwnames && TUPLE_LEN(kwnames) == 0) kwnames = VNULL;
    return f->fn(f->self, args, nargs, kwnames);
}

static Value cfunc_repr(Value self) {
    CFuncObj *f = (CFuncObj *)AS_OBJ(self);
    if (f->self && !IS_TYPE(f->self, &ModuleType)) {
        return str_from_fmt("<built-in method %s of %s object at %p>", f->name, obj_type_name(f->self), (void *)f->self);
    }
    return str_from_fmt("<built-in function %s>", f->name);
}

static Value cfunc_get_name(Value self) { return str_from_cstr(((CFuncObj *)AS_OBJ(self))->name); }
/* The owner's __qualname__, not its tp_name: deque.append, not collections.deque.append. */
static Value owner_qualname(Type *t) { return t->qualname ? t->qualname : t->name_v; }

static Value cfunc_get_qualname(Value self) {
    CFuncObj *f = (CFuncObj *)AS_OBJ(self);
    if (f->qualname_owner && IS_OBJ(f->qualname_owner) && obj_isinstance_type(f->qualname_owner, &TypeType))
        return str_from_fmt("%S.%s", owner_qualname((Type *)AS_OBJ(f->qualname_owner)), f->name);
    return str_from_cstr(f->name);
}
static Value cfunc_get_self(Value self) {
    Value s = ((CFuncObj *)AS_OBJ(self))->self;
    return incref(s ? s : None);
}
static Value cfunc_get_module(Value self) {
    Value s = ((CFuncObj *)AS_OBJ(self))->self;
    if (s && IS_TYPE(s, &ModuleType)) return incref(((ModuleObj *)AS_OBJ(s))->name);
    return str_from_cstr("builtins");
}
static Value cfunc_get_doc(Value self) { (void)self; return none_new(); }

static const GetSetDef cfunc_getsets[] = {
    { "__name__", cfunc_get_name, NULL }, { "__qualname__", cfunc_get_qualname, NULL },
    { "__self__", cfunc_get_self, NULL }, { "__module__", cfunc_get_module, NULL },
    { "__doc__", cfunc_get_doc, NULL },
    { NULL, NULL, NULL }
};

static int64_t cfunc_hash(Value self) {
    CFuncObj *f = (CFuncObj *)AS_OBJ(self);
    uint64_t h = ((uint64_t)(uintptr_t)f->fn >> 4) ^ (uint64_t)f->self;
    return (int64_t)(h & 0x7FFFFFFFFFFFFFFF);
}

static Value cfunc_richcmp(Value a, Value b, RichCmpOp op) {
    if ((op != RC_EQ && op != RC_NE) || TYPE_OF(b) != TYPE_OF(a)) return incref(NotImplemented);
    CFuncObj *x = (CFuncObj *)AS_OBJ(a), *y = (CFuncObj *)AS_OBJ(b);
    bool eq = x->fn == y->fn && x->self == y->self;
    return bool_new(op == RC_EQ ? eq : !eq);
}

Type CFunctionType = {
    STATIC_TYPE_HEAD, .name = "builtin_function_or_method", .flags = TF_GC, .size = sizeof(CFuncObj),
    .dealloc = cfunc_dealloc, .traverse = cfunc_traverse, .call = cfunc_call, .repr = cfunc_repr,
    .hash = cfunc_hash, .richcmp = cfunc_richcmp,
};

/* A method descriptor: lives in a type's dict; reading it from an instance binds it. */
static Value mdescr_get(Value descr, Value obj, Value type) {
    CFuncObj *d = (CFuncObj *)AS_OBJ(descr);
    if (d->flags & METH_CLASS) {
        Value owner = type ? type : OBJ_VAL(TYPE_OF(obj));
        Value f = cfunc_new(d->name, d->fn, owner);
        if (f) ((CFuncObj *)AS_OBJ(f))->qualname_owner = incref(d->qualname_owner);
        return f;
    }
    if (!obj) return incref(descr);
    Type *owner = (Type *)AS_OBJ(d->qualname_owner);
    if (!obj_isinstance_type(obj, owner))
        return err_format(&Exc_TypeError, "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                          d->name, owner->name, obj_type_name(obj));
    Value f = cfunc_new(d->name, d->fn, obj);
    if (f) ((CFuncObj *)AS_OBJ(f))->qualname_owner = incref(d->qualname_owner);
    return f;
}

static Value mdescr_call(Value self, Value *args, size_t nargs, Value kwnames) {
    CFuncObj *d = (CFuncObj *)AS_OBJ(self);
    Type *owner = (Type *)AS_OBJ(d->qualname_owner);
    if (kwnames && TUPLE_LEN(kwnames) == 0) kwnames = VNULL;
    if (d->flags & METH_CLASS) return d->fn(OBJ_VAL(owner), args, nargs, kwnames);
    if (nargs < 1)
        return err_format(&Exc_TypeError, "unbound method %S.%s() needs an argument", owner_qualname(owner), d->name);
    if (!obj_isinstance_type(args[0], owner))
        return err_format(&Exc_TypeError, "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                          d->name, owner->name, obj_type_name(args[0]));
    return d->fn(args[0], args + 1, nargs - 1, kwnames);
}

static Value mdescr_repr(Value self) {
    CFuncObj *d = (CFuncObj *)AS_OBJ(self);
    return str_from_fmt("<method '%s' of '%s' objects>", d->name, ((Type *)AS_OBJ(d->qualname_owner))->name);
}

Type MethodDescrType = {
    STATIC_TYPE_HEAD, .name = "method_descriptor", .flags = TF_GC, .size = sizeof(CFuncObj),
    .dealloc = cfunc_dealloc, .traverse = cfunc_traverse, .call = mdescr_call, .repr = mdescr_repr,
    .descr_get = mdescr_get,
};

/* ======================================================================================
 * Cells
 * ====================================================================================== */
Value cell_new(Value v) {
    CellObj *c = (CellObj *)gc_alloc(&CellType, sizeof(CellObj));
    if (!c) return VNULL;
    c->ref = incref(v);
    return OBJ_VAL(c);
}

static void cell_dealloc(Obj *o) { clearref(&((CellObj *)o)->ref); }
static void cell_traverse(Obj *o, VisitFn visit, void *arg) { visit(((CellObj *)o)->ref, arg); }
static Value cell_repr(Value self) {
    CellObj *c = AS_CELL(self);
    if (!c->ref) return str_from_fmt("<cell at %p: empty>", (void *)self);
    return str_from_fmt("<cell at %p: %s object at %p>", (void *)self, obj_type_name(c->ref), (void *)c->ref);
}
static Value cell_contents(Value self) {
    CellObj *c = AS_CELL(self);
    if (!c->ref) return err_format(&Exc_ValueError, "Cell is empty");
    return incref(c->ref);
}
static int cell_set_contents(Value self, Value v) {
    setref(&AS_CELL(self)->ref, incref(v));
    return 0;
}
static const GetSetDef cell_getsets[] = {
    { "cell_contents", cell_contents, cell_set_contents }, { NULL, NULL, NULL }
};

Type CellType = {
    STATIC_TYPE_HEAD, .name = "cell", .flags = TF_GC, .size = sizeof(CellObj),
    .dealloc = cell_dealloc, .traverse = cell_traverse, .clear = cell_dealloc, .repr = cell_repr,
};

/* ======================================================================================
 * Modules
 * ====================================================================================== */
Value module_new(Value name) {
    ModuleObj *m = (ModuleObj *)gc_alloc(&ModuleType, sizeof(ModuleObj));
    if (!m) return VNULL;
    m->name = incref(name);
    m->dict = dict_new();
    if (!m->dict) { decref(OBJ_VAL(m)); return VNULL; }
    dict_set(m->dict, NM.__name__, name);
    dict_set(m->dict, NM.__doc__, None);
    dict_set(m->dict, NM.__package__, None);
    dict_set(m->dict, NM.__spec__, None);
    return OBJ_VAL(m);
}

static void module_dealloc(Obj *o) {
    ModuleObj *m = (ModuleObj *)o;
    clearref(&m->dict);
    clearref(&m->name);
}
static void module_traverse(Obj *o, VisitFn visit, void *arg) {
    ModuleObj *m = (ModuleObj *)o;
    visit(m->dict, arg);
    visit(m->name, arg);
}
static void module_clear(Obj *o) { clearref(&((ModuleObj *)o)->dict); }

static Value module_repr(Value self) {
    ModuleObj *m = (ModuleObj *)AS_OBJ(self);
    Value file = m->dict ? dict_get(m->dict, NM.__file__) : VNULL;
    if (file && IS_STR(file)) return str_from_fmt("<module %R from %R>", m->name, file);
    return str_from_fmt("<module %R (built-in)>", m->name);
}

static Value module_getattr(Value self, Value name) {
    ModuleObj *m = (ModuleObj *)AS_OBJ(self);
    if (m->dict) {
        Value v = dict_get(m->dict, name);
        if (v) return incref(v);
    }
    if (str_eq_cstr(name, "__dict__")) return incref(m->dict);
    Value r = obj_generic_getattr(self, name);
    if (r || !err_matches(&Exc_AttributeError) || !m->dict) return r;
    /* PEP 562: a module-level __getattr__ */
    Value ga = dict_get(m->dict, NM.__getattr__);
    if (!ga) return VNULL;
    err_clear();
    return obj_call1(ga, name);
}

static int module_setattr(Value self, Value name, Value v) {
    ModuleObj *m = (ModuleObj *)AS_OBJ(self);
    if (v) return dict_set(m->dict, name, v);
    if (dict_del(m->dict, name) < 0) {
        if (err_matches(&Exc_KeyError)) {
            err_clear();
            err_format(&Exc_AttributeError, "module '%S' has no attribute '%S'", m->name, name);
        }
        return -1;
    }
    return 0;
}

static Value module_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (args_no_kw("module", kwnames) || args_count("module", nargs, 1, 2)) return VNULL;
    if (!IS_STR(args[0])) return err_format(&Exc_TypeError, "module.__init__() argument 'name' must be str, not %s", obj_type_name(args[0]));
    Value m = module_new(args[0]);
    if (m && nargs > 1) dict_set(((ModuleObj *)AS_OBJ(m))->dict, NM.__doc__, args[1]);
    return m;
}

Type ModuleType = {
    STATIC_TYPE_HEAD, .name = "module", .flags = TF_GC | TF_BASETYPE, .size = sizeof(ModuleObj),
    .dealloc = module_dealloc, .traverse = module_traverse, .clear = module_clear, .repr = module_repr,
    .getattr = module_getattr, .setattr = module_setattr, .tp_new = module_tp_new,
    .dict_offset = offsetof(ModuleObj, dict),
};

void func_init_types(void) {
    type_add_getsets(&CodeType, code_getsets);
    type_ready(&CodeType);
    type_add_getsets(&FunctionType, func_getsets);
    type_ready(&FunctionType);
    type_ready(&MethodType);
    type_add_getsets(&CFunctionType, cfunc_getsets);
    type_ready(&CFunctionType);
    type_add_getsets(&MethodDescrType, cfunc_getsets);
    type_ready(&MethodDescrType);
    type_add_getsets(&CellType, cell_getsets);
    type_ready(&CellType);
    type_ready(&ModuleType);
}
