/* obj_iter.c — the built-in iterator types.
 *
 * Owns: enumerate, zip (with strict=), map, filter, reversed (the type and
 * the reversed() protocol), the sequence iterator for objects that only
 * have __getitem__ (SeqIterType, "iterator") and the callable iterator of
 * iter(f, sentinel) (CallIterType, "callable_iterator").
 * Must not touch: the containers' layouts (only their public API) or
 * builtins.c, which binds these types to their names.
 *
 * Every iterator drops what it holds once exhausted, as CPython's do, so a
 * finished iterator keeps nothing alive.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

/* The keyword argument named `name` in a CFunc call: its index among
 * kwnames, or -1. */
static intptr_t kw_index(Value kwnames, const char *name) {
    size_t n = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t i = 0; i < n; i++)
        if (str_eq_cstr(TUPLE_ITEMS(kwnames)[i], name)) return (intptr_t)i;
    return -1;
}

static Obj *iter_alloc(Type *t, size_t base) {
    return gc_alloc(t, t->size > base ? t->size : base);
}

/* ===== enumerate ===================================================================== */

typedef struct { Obj h; Value it; Value count; } EnumerateObj;

static Value enumerate_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nargs + nkw > 2)
        return err_format(&Exc_TypeError, "enumerate() takes at most 2 arguments (%zu given)",
                          nargs + nkw);
    Value iterable = nargs > 0 ? args[0] : VNULL, start = nargs > 1 ? args[1] : VNULL;
    for (size_t i = 0; i < nkw; i++) {
        Value name = TUPLE_ITEMS(kwnames)[i];
        Value *slot = str_eq_cstr(name, "iterable") ? &iterable
                    : str_eq_cstr(name, "start") ? &start : NULL;
        if (!slot)
            return err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for enumerate()",
                              name);
        if (*slot)
            return err_format(&Exc_TypeError, "argument for enumerate() given by name ('%S') and position",
                              name);
        *slot = args[nargs + i];
    }
    if (!iterable)
        return err_format(&Exc_TypeError, "enumerate() missing required argument 'iterable'");
    Value count = start ? index_value(start) : MK_INT(0);
    if (!count) return VNULL;
    Value it = obj_iter(iterable);
    if (!it) { decref(count); return VNULL; }
    EnumerateObj *e = (EnumerateObj *)iter_alloc(t, sizeof(EnumerateObj));
    if (!e) { decref(it); decref(count); return VNULL; }
    e->it = it;
    e->count = count;
    return OBJ_VAL(e);
}

static Value enumerate_next(Value self) {
    EnumerateObj *e = (EnumerateObj *)AS_OBJ(self);
    if (!e->it) return VNULL;
    Value item = obj_next(e->it);
    if (!item) return VNULL;
    Value next;
    if (IS_INT(e->count) && AS_INT(e->count) < SMALL_INT_MAX) next = MK_INT(AS_INT(e->count) + 1);
    else next = int_binop(e->count, MK_INT(1), OP_ADD);
    if (!next) { decref(item); return VNULL; }
    Value r = tuple_pack(2, e->count, item);
    decref(item);
    setref(&e->count, next);
    return r;
}

static void enumerate_dealloc(Obj *o) {
    EnumerateObj *e = (EnumerateObj *)o;
    clearref(&e->it);
    clearref(&e->count);
}
static void enumerate_traverse(Obj *o, VisitFn visit, void *arg) {
    EnumerateObj *e = (EnumerateObj *)o;
    if (e->it) visit(e->it, arg);
    if (e->count) visit(e->count, arg);
}

/* ===== zip =========================================================================== */

typedef struct { Obj h; Value iters; bool strict; } ZipObj;   /* iters: tuple, VNULL when done */

static Value zip_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    bool strict = false;
    if (nkw > 1)
        return err_format(&Exc_TypeError, "zip() takes at most 1 keyword argument (%zu given)", nkw);
    if (nkw == 1) {
        if (kw_index(kwnames, "strict") != 0)
            return err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for zip()",
                              TUPLE_ITEMS(kwnames)[0]);
        int s = obj_truth(args[nargs]);
        if (s < 0) return VNULL;
        strict = s;
    }
    Value iters = tuple_new(nargs);
    if (!iters) return VNULL;
    for (size_t i = 0; i < nargs; i++) {
        Value it = obj_iter(args[i]);
        if (!it) {
            for (size_t j = i; j < nargs; j++) TUPLE_ITEMS(iters)[j] = none_new();
            decref(iters);
            return VNULL;
        }
        TUPLE_ITEMS(iters)[i] = it;
    }
    ZipObj *z = (ZipObj *)iter_alloc(t, sizeof(ZipObj));
    if (!z) { decref(iters); return VNULL; }
    z->iters = iters;
    z->strict = strict;
    return OBJ_VAL(z);
}

/* True if the pending error (if any) is StopIteration, which is cleared:
 * an iterator's __next__ may raise it rather than return "exhausted". */
static bool exhausted_cleanly(void) {
    if (!err_occurred()) return true;
    if (!err_matches(&Exc_StopIteration)) return false;
    err_clear();
    return true;
}

/* strict=True: iterator i ran out; all the others must run out now too. */
static Value zip_strict_check(ZipObj *z, size_t i) {
    if (!exhausted_cleanly()) return VNULL;
    if (i > 0) {
        return err_format(&Exc_ValueError, "zip() argument %zu is shorter than argument%s%zu",
                          i + 1, i == 1 ? " " : "s 1-", i);
    }
    size_t n = TUPLE_LEN(z->iters);
    for (i = 1; i < n; i++) {
        Value item = obj_next(TUPLE_ITEMS(z->iters)[i]);
        if (item) {
            decref(item);
            return err_format(&Exc_ValueError, "zip() argument %zu is longer than argument%s%zu",
                              i + 1, i == 1 ? " " : "s 1-", i);
        }
        if (!exhausted_cleanly()) return VNULL;
    }
    return VNULL;
}

static Value zip_next(Value self) {
    ZipObj *z = (ZipObj *)AS_OBJ(self);
    if (!z->iters) return VNULL;
    size_t n = TUPLE_LEN(z->iters);
    if (n == 0) return VNULL;
    Value result = tuple_new(n);
    if (!result) return VNULL;
    for (size_t i = 0; i < n; i++) {
        Value item = obj_next(TUPLE_ITEMS(z->iters)[i]);
        if (!item) {
            for (size_t j = i; j < n; j++) TUPLE_ITEMS(result)[j] = none_new();
            decref(result);
            if (z->strict) return zip_strict_check(z, i);
            return VNULL;
        }
        TUPLE_ITEMS(result)[i] = item;
    }
    return result;
}

static void zip_dealloc(Obj *o) { clearref(&((ZipObj *)o)->iters); }
static void zip_traverse(Obj *o, VisitFn visit, void *arg) {
    ZipObj *z = (ZipObj *)o;
    if (z->iters) visit(z->iters, arg);
}

/* ===== map =========================================================================== */

typedef struct { Obj h; Value func; Value iters; } MapObj;

static Value map_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("map", kwnames) < 0) return VNULL;
    if (nargs < 2) return err_format(&Exc_TypeError, "map() must have at least two arguments.");
    Value iters = tuple_new(nargs - 1);
    if (!iters) return VNULL;
    for (size_t i = 1; i < nargs; i++) {
        Value it = obj_iter(args[i]);
        if (!it) {
            for (size_t j = i - 1; j < nargs - 1; j++) TUPLE_ITEMS(iters)[j] = none_new();
            decref(iters);
            return VNULL;
        }
        TUPLE_ITEMS(iters)[i - 1] = it;
    }
    MapObj *m = (MapObj *)iter_alloc(t, sizeof(MapObj));
    if (!m) { decref(iters); return VNULL; }
    m->func = incref(args[0]);
    m->iters = iters;
    return OBJ_VAL(m);
}

static Value map_next(Value self) {
    MapObj *m = (MapObj *)AS_OBJ(self);
    size_t n = TUPLE_LEN(m->iters);
    Value small[8];
    Value *argv = n <= 8 ? small : gc_malloc(n * sizeof(Value));
    if (!argv) return VNULL;
    size_t got = 0;
    Value r = VNULL;
    for (; got < n; got++) {
        argv[got] = obj_next(TUPLE_ITEMS(m->iters)[got]);
        if (!argv[got]) break;
    }
    if (got == n) r = obj_call(m->func, argv, n, VNULL);
    for (size_t i = 0; i < got; i++) decref(argv[i]);
    if (argv != small) gc_free(argv);
    return r;
}

static void map_dealloc(Obj *o) {
    MapObj *m = (MapObj *)o;
    clearref(&m->func);
    clearref(&m->iters);
}
static void map_traverse(Obj *o, VisitFn visit, void *arg) {
    MapObj *m = (MapObj *)o;
    if (m->func) visit(m->func, arg);
    if (m->iters) visit(m->iters, arg);
}

/* ===== filter ======================================================================== */

typedef struct { Obj h; Value func; Value it; } FilterObj;

static Value filter_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("filter", kwnames) < 0 || ctr_nargs("filter", nargs, 2, 2) < 0) return VNULL;
    Value it = obj_iter(args[1]);
    if (!it) return VNULL;
    FilterObj *f = (FilterObj *)iter_alloc(t, sizeof(FilterObj));
    if (!f) { decref(it); return VNULL; }
    f->func = incref(args[0]);
    f->it = it;
    return OBJ_VAL(f);
}

static Value filter_next(Value self) {
    FilterObj *f = (FilterObj *)AS_OBJ(self);
    /* filter(None, …) and filter(bool, …) test the items themselves */
    bool plain = IS_NONE(f->func) || f->func == OBJ_VAL(&BoolType);
    for (;;) {
        Value item = obj_next(f->it);
        if (!item) return VNULL;
        int ok;
        if (plain) {
            ok = obj_truth(item);
        } else {
            Value r = obj_call1(f->func, item);
            ok = r ? obj_truth(r) : -1;
            decref(r);
        }
        if (ok > 0) return item;
        decref(item);
        if (ok < 0) return VNULL;
    }
}

static void filter_dealloc(Obj *o) {
    FilterObj *f = (FilterObj *)o;
    clearref(&f->func);
    clearref(&f->it);
}
static void filter_traverse(Obj *o, VisitFn visit, void *arg) {
    FilterObj *f = (FilterObj *)o;
    if (f->func) visit(f->func, arg);
    if (f->it) visit(f->it, arg);
}

/* ===== reversed ====================================================================== */

/* The sequence protocol's reverse walk: seq[len-1] … seq[0]. */
typedef struct { Obj h; Value seq; intptr_t index; } ReversedObj;

static Value reversed_make(Type *t, Value seq) {
    Value meth = type_lookup(TYPE_OF(seq), NM.__reversed__);
    if (meth && IS_NONE(meth))
        return err_format(&Exc_TypeError, "'%s' object is not reversible", obj_type_name(seq));
    if (meth) return obj_call_method(seq, NM.__reversed__, NULL, 0);
    if (!TYPE_OF(seq)->getitem || obj_isinstance_type(seq, &DictType))
        return err_format(&Exc_TypeError, "'%s' object is not reversible", obj_type_name(seq));
    intptr_t n = obj_len(seq);
    if (n < 0) return VNULL;
    ReversedObj *r = (ReversedObj *)iter_alloc(t, sizeof(ReversedObj));
    if (!r) return VNULL;
    r->seq = incref(seq);
    r->index = n - 1;
    return OBJ_VAL(r);
}

Value reversed_of(Value seq) { return reversed_make(&ReversedType, seq); }

static Value reversed_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("reversed", kwnames) < 0 || ctr_nargs("reversed", nargs, 1, 1) < 0)
        return VNULL;
    return reversed_make(t, args[0]);
}

static Value reversed_next(Value self) {
    ReversedObj *r = (ReversedObj *)AS_OBJ(self);
    if (r->index >= 0 && r->seq) {
        Value item = obj_getitem(r->seq, MK_INT(r->index));
        if (item) { r->index--; return item; }
        if (!err_matches(&Exc_IndexError) && !err_matches(&Exc_StopIteration)) return VNULL;
        err_clear();
    }
    r->index = -1;
    clearref(&r->seq);
    return VNULL;
}

static Value reversed_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    ReversedObj *r = (ReversedObj *)AS_OBJ(self);
    if (!r->seq) return MK_INT(0);
    intptr_t n = obj_len(r->seq);
    if (n < 0) return VNULL;
    return MK_INT(n < r->index + 1 ? 0 : r->index + 1);
}

static void seqlike_dealloc(Obj *o) { clearref(&((ReversedObj *)o)->seq); }
static void seqlike_traverse(Obj *o, VisitFn visit, void *arg) {
    ReversedObj *r = (ReversedObj *)o;
    if (r->seq) visit(r->seq, arg);
}

/* ===== the sequence iterator ========================================================= */

typedef struct { Obj h; Value seq; intptr_t index; } SeqIterObj;

Value seqiter_new(Value seq) {
    SeqIterObj *it = (SeqIterObj *)gc_alloc(&SeqIterType, sizeof(SeqIterObj));
    if (!it) return VNULL;
    it->seq = incref(seq);
    it->index = 0;
    return OBJ_VAL(it);
}

static Value seqiter_next(Value self) {
    SeqIterObj *it = (SeqIterObj *)AS_OBJ(self);
    if (!it->seq) return VNULL;
    Value item = obj_getitem(it->seq, MK_INT(it->index));
    if (item) { it->index++; return item; }
    if (err_matches(&Exc_IndexError) || err_matches(&Exc_StopIteration)) {
        err_clear();
        clearref(&it->seq);
    }
    return VNULL;
}

/* object.c's obj_iter() makes these by calling the type: iterator(seq). */
static Value seqiter_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (ctr_no_kw("iterator", kwnames) < 0 || ctr_nargs("iterator", nargs, 1, 1) < 0) return VNULL;
    return seqiter_new(args[0]);
}

/* ===== the callable iterator ========================================================== */

typedef struct { Obj h; Value callable, sentinel; } CallIterObj;

Value calliter_new(Value callable, Value sentinel) {
    CallIterObj *it = (CallIterObj *)gc_alloc(&CallIterType, sizeof(CallIterObj));
    if (!it) return VNULL;
    it->callable = incref(callable);
    it->sentinel = incref(sentinel);
    return OBJ_VAL(it);
}

static Value calliter_next(Value self) {
    CallIterObj *it = (CallIterObj *)AS_OBJ(self);
    if (!it->callable) return VNULL;
    Value r = obj_call0(it->callable);
    if (r) {
        int eq = obj_eq(it->sentinel, r);
        if (eq == 0) return r;
        decref(r);
        if (eq < 0) return VNULL;
    } else if (err_matches(&Exc_StopIteration)) {
        err_clear();
    } else {
        return VNULL;
    }
    clearref(&it->callable);
    clearref(&it->sentinel);
    return VNULL;
}

/* callable_iterator(callable, sentinel), for the iter() builtin. */
static Value calliter_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (ctr_no_kw("callable_iterator", kwnames) < 0 ||
        ctr_nargs("callable_iterator", nargs, 2, 2) < 0)
        return VNULL;
    return calliter_new(args[0], args[1]);
}

static void calliter_dealloc(Obj *o) {
    CallIterObj *it = (CallIterObj *)o;
    clearref(&it->callable);
    clearref(&it->sentinel);
}
static void calliter_traverse(Obj *o, VisitFn visit, void *arg) {
    CallIterObj *it = (CallIterObj *)o;
    if (it->callable) visit(it->callable, arg);
    if (it->sentinel) visit(it->sentinel, arg);
}

/* ===== generic aliases: list[int] ===================================================== */

/* What list[int] evaluates to (types.GenericAlias): annotations are run in
 * 3.11, so every container type answers __class_getitem__ with one. */
typedef struct { Obj h; Value origin, args; } GenericAliasObj;
#define GA(v) ((GenericAliasObj *)AS_OBJ(v))

Value generic_alias_new(Value origin, Value args) {
    GenericAliasObj *g = (GenericAliasObj *)gc_alloc(&GenericAliasType, sizeof(GenericAliasObj));
    if (!g) return VNULL;
    g->origin = incref(origin);
    g->args = IS_TYPE(args, &TupleType) ? incref(args) : tuple_pack(1, args);
    if (!g->args) { decref(OBJ_VAL(g)); return VNULL; }
    return OBJ_VAL(g);
}

Value ctr_class_getitem(Value cls, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("__class_getitem__", nargs, kwnames) < 0) return VNULL;
    return generic_alias_new(cls, args[0]);
}

/* One parameter as CPython writes it: ..., a nested alias's repr, a
 * class's qualified name (bare for builtins), else repr(). */
static int ga_add_item(StrBuf *b, Value p) {
    if (p == Ellipsis) { sb_adds(b, "..."); return 0; }
    if (IS_TYPE(p, &GenericAliasType)) return sb_add_value_repr(b, p);
    Value qual = obj_getattr_opt(p, NM.__qualname__);
    Value mod = qual ? obj_getattr_opt(p, NM.__module__) : VNULL;
    int r;
    if (err_occurred()) r = -1;
    else if (!qual || !mod || !IS_STR(qual) || !IS_STR(mod)) r = sb_add_value_repr(b, p);
    else {
        if (!str_eq_cstr(mod, "builtins")) { sb_add(b, STR_DATA(mod), STR_LEN(mod)); sb_addc(b, '.'); }
        sb_add(b, STR_DATA(qual), STR_LEN(qual));
        r = 0;
    }
    decref(qual);
    decref(mod);
    return r;
}

static Value ga_repr(Value self) {
    StrBuf b;
    sb_init(&b);
    int r = ga_add_item(&b, GA(self)->origin);
    sb_addc(&b, '[');
    size_t n = TUPLE_LEN(GA(self)->args);
    if (n == 0) sb_adds(&b, "()");
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (i) sb_adds(&b, ", ");
        r = ga_add_item(&b, TUPLE_ITEMS(GA(self)->args)[i]);
    }
    sb_addc(&b, ']');
    if (r < 0) { sb_free(&b); return VNULL; }
    return sb_finish(&b);
}

static Value ga_call(Value self, Value *args, size_t nargs, Value kwnames) {
    return obj_call(GA(self)->origin, args, nargs, kwnames);
}

/* Attributes of the alias itself first, then the origin's (list[int].__name__). */
static Value ga_getattr(Value self, Value name) {
    Value r = obj_generic_getattr(self, name);
    if (r || !err_matches(&Exc_AttributeError)) return r;
    err_clear();
    return obj_getattr(GA(self)->origin, name);
}

static Value ga_richcmp(Value a, Value b, RichCmpOp op) {
    if (!IS_TYPE(a, &GenericAliasType) || !IS_TYPE(b, &GenericAliasType) || (op != RC_EQ && op != RC_NE))
        return incref(NotImplemented);
    int eq = obj_eq(GA(a)->origin, GA(b)->origin);
    if (eq > 0) eq = obj_eq(GA(a)->args, GA(b)->args);
    if (eq < 0) return VNULL;
    return bool_new(op == RC_EQ ? eq : !eq);
}

static int64_t ga_hash(Value self) {
    int64_t h0 = obj_hash(GA(self)->origin);
    if (h0 == -1) return -1;
    int64_t h1 = obj_hash(GA(self)->args);
    if (h1 == -1) return -1;
    int64_t h = h0 ^ h1;
    return h == -1 ? -2 : h;
}

static Value ga_get_origin(Value self) { return incref(GA(self)->origin); }
static Value ga_get_args(Value self) { return incref(GA(self)->args); }

static void ga_dealloc(Obj *o) {
    GenericAliasObj *g = (GenericAliasObj *)o;
    clearref(&g->origin);
    clearref(&g->args);
}
static void ga_traverse(Obj *o, VisitFn visit, void *arg) {
    GenericAliasObj *g = (GenericAliasObj *)o;
    if (g->origin) visit(g->origin, arg);
    if (g->args) visit(g->args, arg);
}

static const GetSetDef ga_getsets[] = {
    { "__origin__", ga_get_origin, NULL },
    { "__args__", ga_get_args, NULL },
    { NULL, NULL, NULL }
};

Type GenericAliasType = {
    STATIC_TYPE_HEAD,
    .name = "GenericAlias",
    .flags = TF_GC,
    .size = sizeof(GenericAliasObj),
    .tp_new = ctr_no_new,
    .dealloc = ga_dealloc,
    .traverse = ga_traverse,
    .clear = ga_dealloc,
    .repr = ga_repr,
    .hash = ga_hash,
    .richcmp = ga_richcmp,
    .call = ga_call,
    .getattr = ga_getattr,
};

static const MethodDef class_getitem_method[] = {
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

/* ===== types ========================================================================= */

static const MethodDef reversed_methods[] = {
    { "__length_hint__", reversed_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

#define ITER_TYPE(T, NAME, FLAGS, STRUCT, NEW, DEALLOC, TRAVERSE, NEXT) \
    Type T = { STATIC_TYPE_HEAD, .name = NAME, .flags = TF_GC | (FLAGS), \
               .size = sizeof(STRUCT), .tp_new = NEW, .dealloc = DEALLOC, \
               .traverse = TRAVERSE, .clear = DEALLOC, .iter = iter_self, .iternext = NEXT }

ITER_TYPE(EnumerateType, "enumerate", TF_BASETYPE, EnumerateObj, enumerate_tp_new,
          enumerate_dealloc, enumerate_traverse, enumerate_next);
ITER_TYPE(ZipType, "zip", TF_BASETYPE, ZipObj, zip_tp_new, zip_dealloc, zip_traverse, zip_next);
ITER_TYPE(MapType, "map", TF_BASETYPE, MapObj, map_tp_new, map_dealloc, map_traverse, map_next);
ITER_TYPE(FilterType, "filter", TF_BASETYPE, FilterObj, filter_tp_new, filter_dealloc,
          filter_traverse, filter_next);
ITER_TYPE(ReversedType, "reversed", TF_BASETYPE, ReversedObj, reversed_tp_new, seqlike_dealloc,
          seqlike_traverse, reversed_next);
ITER_TYPE(SeqIterType, "iterator", 0, SeqIterObj, seqiter_tp_new, seqlike_dealloc,
          seqlike_traverse, seqiter_next);
ITER_TYPE(CallIterType, "callable_iterator", 0, CallIterObj, calliter_tp_new, calliter_dealloc,
          calliter_traverse, calliter_next);

void iter_init_types(void) {
    type_add_getsets(&GenericAliasType, ga_getsets);
    type_ready(&GenericAliasType);
    Type *generic[] = { &EnumerateType };
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        type_add_methods(generic[i], class_getitem_method);
    type_ready(&EnumerateType);
    type_ready(&ZipType);
    type_ready(&MapType);
    type_ready(&FilterType);
    type_add_methods(&ReversedType, reversed_methods);
    type_ready(&ReversedType);
    type_ready(&SeqIterType);
    type_ready(&CallIterType);
}
