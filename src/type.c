/* type.c — classes: `type`, `object`, attribute lookup, descriptors, super.
 *
 * Owns: the type object and class creation (C3 MRO, instance layout, slots
 * that call dunder methods), the attribute protocol (data descriptors,
 * instance dicts, non-data descriptors) with a method cache, the wrappers
 * that expose C slots as dunder methods (`object.__init__`, `int.__add__`),
 * None/NotImplemented/Ellipsis, property, staticmethod, classmethod, super.
 * Must not touch: particular built-in types beyond their slots; the VM loop.
 */
#include <string.h>
#include <stdlib.h>
#include <stddef.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "names.h"

/* ======================================================================================
 * Lookup with a method cache
 * ====================================================================================== */
#define MCACHE_SIZE 4096
typedef struct { uint32_t version; Value name; Value value; } MCacheEntry;
static MCacheEntry mcache[MCACHE_SIZE];
static uint32_t next_version = 1;

const char *type_name(Type *t) { return t->name; }

bool type_is_subtype(Type *a, Type *b) {
    if (a == b) return true;
    if (a->mro) {
        Value *items = TUPLE_ITEMS(a->mro);
        size_t n = TUPLE_LEN(a->mro);
        for (size_t i = 0; i < n; i++)
            if (items[i] == OBJ_VAL(b)) return true;
        return false;
    }
    for (Type *t = a->base; t; t = t->base)
        if (t == b) return true;
    return b == &ObjectType;
}

static Value lookup_uncached(Type *t, Value name) {
    if (!t->mro) return t->dict ? dict_get(t->dict, name) : VNULL;
    Value *items = TUPLE_ITEMS(t->mro);
    size_t n = TUPLE_LEN(t->mro);
    for (size_t i = 0; i < n; i++) {
        Type *k = (Type *)AS_OBJ(items[i]);
        if (!k->dict) continue;
        Value v = dict_get(k->dict, name);
        if (v) return v;
    }
    return VNULL;
}

Value type_lookup(Type *t, Value name) {
    if (!IS_STR(name) || !AS_STR(name)->interned) {
        Value v = lookup_uncached(t, name);
        if (!v && err_occurred()) err_clear();
        return v;
    }
    if (!t->version) {
        if (next_version == UINT32_MAX) {          /* wrapped: start over */
            memset(mcache, 0, sizeof mcache);
            next_version = 1;
        }
        t->version = next_version++;
    }
    size_t h = ((size_t)t->version * 2654435761u ^ ((size_t)name >> 4)) & (MCACHE_SIZE - 1);
    MCacheEntry *e = &mcache[h];
    if (e->version == t->version && e->name == name) return e->value;
    Value v = lookup_uncached(t, name);
    if (!v && err_occurred()) err_clear();
    e->version = t->version;
    e->name = name;
    e->value = v;          /* borrowed: the cache is invalidated when the dict changes */
    return v;
}

void type_modified(Type *t) {
    t->version = 0;
    for (uint32_t i = 0; i < t->nsubclasses; i++) type_modified(t->subclasses[i]);
}

static void add_subclass(Type *base, Type *sub) {
    if (base->nsubclasses == base->capsubclasses) {
        uint32_t nc = base->capsubclasses ? base->capsubclasses * 2 : 4;
        Type **ns = realloc(base->subclasses, nc * sizeof *ns);
        if (!ns) return;
        base->subclasses = ns;
        base->capsubclasses = nc;
    }
    base->subclasses[base->nsubclasses++] = sub;
}

static void remove_subclass(Type *base, Type *sub) {
    for (uint32_t i = 0; i < base->nsubclasses; i++) {
        if (base->subclasses[i] == sub) {
            base->subclasses[i] = base->subclasses[--base->nsubclasses];
            return;
        }
    }
}

/* ======================================================================================
 * Slot wrappers: C slots seen from apy as dunder methods
 * ====================================================================================== */
typedef enum {
    SW_INIT, SW_NEW, SW_REPR, SW_STR, SW_HASH, SW_CMP, SW_BOOL, SW_LEN, SW_CALL,
    SW_GETATTRIBUTE, SW_SETATTR, SW_DELATTR, SW_GET, SW_SET, SW_DELETE, SW_ITER,
    SW_NEXT, SW_GETITEM, SW_SETITEM, SW_DELITEM, SW_CONTAINS, SW_BINOP, SW_RBINOP,
    SW_IBINOP, SW_UNOP
} SlotKind;

typedef struct {
    Obj h;
    Type *owner;
    uint16_t kind;
    int16_t op;
    Value name;
} SlotWrapperObj;

static Value wrapper_new(Type *owner, SlotKind kind, int op, Value name) {
    SlotWrapperObj *w = (SlotWrapperObj *)gc_alloc(&SlotWrapperType, sizeof *w);
    if (!w) return VNULL;
    w->owner = owner;
    w->kind = (uint16_t)kind;
    w->op = (int16_t)op;
    w->name = incref(name);
    return OBJ_VAL(w);
}

static void wrapper_dealloc(Obj *o) { decref(((SlotWrapperObj *)o)->name); }

static Value wrapper_repr(Value self) {
    SlotWrapperObj *w = (SlotWrapperObj *)AS_OBJ(self);
    return str_from_fmt("<slot wrapper '%S' of '%s' objects>", w->name, w->owner->name);
}

static int want_args(SlotWrapperObj *w, size_t got, size_t want) {
    if (got == want) return 0;
    err_format(&Exc_TypeError, "expected %zu argument%s, got %zu", want, want == 1 ? "" : "s", got);
    (void)w;
    return -1;
}

static Value int_result(intptr_t n) { return n < 0 ? VNULL : int_from_i64(n); }

static Value status_result(int r) { return r < 0 ? VNULL : none_new(); }

static bool repeat_wrapper_bad_arg(Type *t, int op, Value arg);

static Value wrapper_call(Value self, Value *args, size_t nargs, Value kwnames) {
    SlotWrapperObj *w = (SlotWrapperObj *)AS_OBJ(self);
    Type *t = w->owner;
    if (w->kind == SW_NEW) {
        if (nargs < 1) return err_format(&Exc_TypeError, "%s.__new__(): not enough arguments", t->name);
        Value cls = args[0];
        if (!IS_OBJ(cls) || !obj_isinstance_type(cls, &TypeType))
            return err_format(&Exc_TypeError, "%s.__new__(X): X is not a type object (%s)", t->name, obj_type_name(cls));
        Type *sub = (Type *)AS_OBJ(cls);
        if (!type_is_subtype(sub, t))
            return err_format(&Exc_TypeError, "%s.__new__(%s): %s is not a subtype of %s", t->name, sub->name, sub->name, t->name);
        /* As CPython: the nearest built-in base must make instances the way
         * t does (object.__new__(a tuple subclass) would lay one out wrong). */
        Type *sb = sub;
        while (sb && (sb->flags & TF_HEAPTYPE)) sb = sb->base;
        if (sb && sb->tp_new != t->tp_new)
            return err_format(&Exc_TypeError, "%s.__new__(%s) is not safe, use %s.__new__()", t->name, sub->name, sub->name);
        return t->tp_new(sub, args + 1, nargs - 1, kwnames);
    }
    if (nargs < 1)
        return err_format(&Exc_TypeError, "descriptor '%S' of '%s' object needs an argument", w->name, t->name);
    Value obj = args[0];
    if (!obj_isinstance_type(obj, t))
        return err_format(&Exc_TypeError, "descriptor '%S' requires a '%s' object but received a '%s'",
                          w->name, t->name, obj_type_name(obj));
    args++;
    nargs--;
    if (w->kind != SW_INIT && w->kind != SW_CALL && args_no_kw(STR_DATA(w->name), kwnames) < 0) return VNULL;
    switch ((SlotKind)w->kind) {
    case SW_INIT: return t->tp_init(obj, args, nargs, kwnames);
    case SW_CALL: return t->call(obj, args, nargs, kwnames);
    case SW_REPR: return want_args(w, nargs, 0) ? VNULL : t->repr(obj);
    case SW_STR:  return want_args(w, nargs, 0) ? VNULL : t->str(obj);
    case SW_HASH: {
        if (want_args(w, nargs, 0)) return VNULL;
        int64_t h = t->hash(obj);
        return h == -1 && err_occurred() ? VNULL : int_from_i64(h);
    }
    case SW_CMP:  return want_args(w, nargs, 1) ? VNULL : t->richcmp(obj, args[0], (RichCmpOp)w->op);
    case SW_BOOL: {
        if (want_args(w, nargs, 0)) return VNULL;
        int r = t->truth(obj);
        return r < 0 ? VNULL : bool_new(r);
    }
    case SW_LEN:  return want_args(w, nargs, 0) ? VNULL : int_result(t->len(obj));
    case SW_GETATTRIBUTE: return want_args(w, nargs, 1) ? VNULL : t->getattr(obj, args[0]);
    case SW_SETATTR: return want_args(w, nargs, 2) ? VNULL : status_result(t->setattr(obj, args[0], args[1]));
    case SW_DELATTR: return want_args(w, nargs, 1) ? VNULL : status_result(t->setattr(obj, args[0], VNULL));
    case SW_GET: {
        if (nargs < 1 || nargs > 2) return err_format(&Exc_TypeError, "expected 1 or 2 arguments, got %zu", nargs);
        Value inst = IS_NONE(args[0]) ? VNULL : args[0];
        Value owner = nargs > 1 && !IS_NONE(args[1]) ? args[1] : VNULL;
        return t->descr_get(obj, inst, owner);
    }
    case SW_SET: return want_args(w, nargs, 2) ? VNULL : status_result(t->descr_set(obj, args[0], args[1]));
    case SW_DELETE: return want_args(w, nargs, 1) ? VNULL : status_result(t->descr_set(obj, args[0], VNULL));
    case SW_ITER: return want_args(w, nargs, 0) ? VNULL : t->iter(obj);
    case SW_NEXT: {
        if (want_args(w, nargs, 0)) return VNULL;
        Value r = t->iternext(obj);
        if (!r && !err_occurred()) err_set_type(&Exc_StopIteration, VNULL);
        return r;
    }
    case SW_GETITEM: return want_args(w, nargs, 1) ? VNULL : t->getitem(obj, args[0]);
    case SW_SETITEM: return want_args(w, nargs, 2) ? VNULL : status_result(t->setitem(obj, args[0], args[1]));
    case SW_DELITEM: return want_args(w, nargs, 1) ? VNULL : status_result(t->setitem(obj, args[0], VNULL));
    case SW_CONTAINS: {
        if (want_args(w, nargs, 1)) return VNULL;
        int r = t->contains(obj, args[0]);
        return r < 0 ? VNULL : bool_new(r);
    }
    case SW_BINOP: return want_args(w, nargs, 1) || repeat_wrapper_bad_arg(t, w->op, args[0]) ? VNULL :
                          t->binop(obj, args[0], w->op);
    case SW_RBINOP: return want_args(w, nargs, 1) || repeat_wrapper_bad_arg(t, w->op, args[0]) ? VNULL :
                           t->binop(args[0], obj, w->op);
    case SW_IBINOP: return want_args(w, nargs, 1) || repeat_wrapper_bad_arg(t, w->op, args[0]) ? VNULL :
                           t->binop(obj, args[0], w->op | BINOP_INPLACE);
    case SW_UNOP: return want_args(w, nargs, 0) ? VNULL : t->unop(obj, (UnaryOp)w->op);
    case SW_NEW: break;
    }
    return err_format(&Exc_SystemError, "bad slot wrapper");
}

static Value wrapper_descr_get(Value descr, Value obj, Value type) {
    (void)type;
    SlotWrapperObj *w = (SlotWrapperObj *)AS_OBJ(descr);
    if (!obj || w->kind == SW_NEW) return incref(descr);
    return method_new(descr, obj);
}

static void wrapper_traverse(Obj *o, VisitFn visit, void *arg) { visit(((SlotWrapperObj *)o)->name, arg); }

Type SlotWrapperType = {
    STATIC_TYPE_HEAD, .name = "wrapper_descriptor", .size = sizeof(SlotWrapperObj),
    .dealloc = wrapper_dealloc, .traverse = wrapper_traverse, .repr = wrapper_repr,
    .call = wrapper_call, .descr_get = wrapper_descr_get,
};

/* The dunder names each slot answers to. */
typedef struct { const char *name; SlotKind kind; int op; size_t offset; } SlotName;
#define SLOT(f) offsetof(Type, f)
static const SlotName slot_names[] = {
    { "__init__", SW_INIT, 0, SLOT(tp_init) },
    { "__new__", SW_NEW, 0, SLOT(tp_new) },
    { "__repr__", SW_REPR, 0, SLOT(repr) },
    { "__str__", SW_STR, 0, SLOT(str) },
    { "__hash__", SW_HASH, 0, SLOT(hash) },
    { "__lt__", SW_CMP, RC_LT, SLOT(richcmp) },
    { "__le__", SW_CMP, RC_LE, SLOT(richcmp) },
    { "__eq__", SW_CMP, RC_EQ, SLOT(richcmp) },
    { "__ne__", SW_CMP, RC_NE, SLOT(richcmp) },
    { "__gt__", SW_CMP, RC_GT, SLOT(richcmp) },
    { "__ge__", SW_CMP, RC_GE, SLOT(richcmp) },
    { "__bool__", SW_BOOL, 0, SLOT(truth) },
    { "__len__", SW_LEN, 0, SLOT(len) },
    { "__call__", SW_CALL, 0, SLOT(call) },
    { "__getattribute__", SW_GETATTRIBUTE, 0, SLOT(getattr) },
    { "__setattr__", SW_SETATTR, 0, SLOT(setattr) },
    { "__delattr__", SW_DELATTR, 0, SLOT(setattr) },
    { "__get__", SW_GET, 0, SLOT(descr_get) },
    { "__set__", SW_SET, 0, SLOT(descr_set) },
    { "__delete__", SW_DELETE, 0, SLOT(descr_set) },
    { "__iter__", SW_ITER, 0, SLOT(iter) },
    { "__next__", SW_NEXT, 0, SLOT(iternext) },
    { "__getitem__", SW_GETITEM, 0, SLOT(getitem) },
    { "__setitem__", SW_SETITEM, 0, SLOT(setitem) },
    { "__delitem__", SW_DELITEM, 0, SLOT(setitem) },
    { "__contains__", SW_CONTAINS, 0, SLOT(contains) },
    { "__neg__", SW_UNOP, UNOP_NEG, SLOT(unop) },
    { "__pos__", SW_UNOP, UNOP_POS, SLOT(unop) },
    { "__invert__", SW_UNOP, UNOP_INVERT, SLOT(unop) },
};

typedef struct { const char *name, *rname, *iname; } BinopNames;
static const BinopNames binop_names[OP__BINARY_COUNT] = {
    [OP_ADD] = { "__add__", "__radd__", "__iadd__" },
    [OP_SUB] = { "__sub__", "__rsub__", "__isub__" },
    [OP_MUL] = { "__mul__", "__rmul__", "__imul__" },
    [OP_MATMUL] = { "__matmul__", "__rmatmul__", "__imatmul__" },
    [OP_DIV] = { "__truediv__", "__rtruediv__", "__itruediv__" },
    [OP_MOD] = { "__mod__", "__rmod__", "__imod__" },
    [OP_POW] = { "__pow__", "__rpow__", "__ipow__" },
    [OP_LSHIFT] = { "__lshift__", "__rlshift__", "__ilshift__" },
    [OP_RSHIFT] = { "__rshift__", "__rrshift__", "__irshift__" },
    [OP_BITOR] = { "__or__", "__ror__", "__ior__" },
    [OP_BITXOR] = { "__xor__", "__rxor__", "__ixor__" },
    [OP_BITAND] = { "__and__", "__rand__", "__iand__" },
    [OP_FLOORDIV] = { "__floordiv__", "__rfloordiv__", "__ifloordiv__" },
};

static bool slot_is_set(Type *t, size_t offset) {
    void *p;
    memcpy(&p, (char *)t + offset, sizeof p);
    return p != NULL;
}

static int add_wrapper(Type *t, const char *name, SlotKind kind, int op) {
    Value n = str_intern_cstr(name);
    if (dict_get(t->dict, n)) return 0;
    Value w = wrapper_new(t, kind, op, n);
    if (!w) return -1;
    int r = dict_set(t->dict, n, w);
    decref(w);
    return r;
}

/* Which binary operators a built-in type's binop slot answers, so that
 * hasattr({}, '__add__') is False as in CPython. */
#define OPS(...) ops_mask((int[]){ __VA_ARGS__, -1 })
static uint32_t ops_mask(const int *ops) {
    uint32_t m = 0;
    for (; *ops >= 0; ops++) m |= 1u << *ops;
    return m;
}

static uint32_t supported_binops(Type *t) {
    if (t == &StrType || t == &BytesType) return OPS(OP_ADD, OP_MUL, OP_MOD);
    if (t == &ListType || t == &TupleType) return OPS(OP_ADD, OP_MUL);
    if (t == &DictType) return OPS(OP_BITOR);
    if (t == &DictKeysType || t == &DictItemsType) return OPS(OP_BITOR, OP_BITAND, OP_SUB, OP_BITXOR);
    if (t == &SetType || t == &FrozenSetType) return OPS(OP_BITOR, OP_BITAND, OP_SUB, OP_BITXOR);
    if (t == &FloatType) return OPS(OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_FLOORDIV);
    if (t == &ComplexType) return OPS(OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW);
    if (t == &DequeType) return OPS(OP_ADD, OP_MUL);
    return (1u << OP__BINARY_COUNT) - 1;      /* int and the rest: every operator */
}

/* The reflected forms among those: the sequences, whose + and * are
 * CPython's sq_concat and sq_repeat, have __rmul__ (and str and bytes
 * __rmod__) but no __radd__. */
static uint32_t reflected_binops(Type *t) {
    if (t == &DequeType || t == &ListType || t == &TupleType) return OPS(OP_MUL);
    if (t == &StrType || t == &BytesType) return OPS(OP_MUL, OP_MOD);
    return supported_binops(t);
}

/* The in-place forms with a wrapper of their own, as in CPython: the
 * mutable sequences' sq_inplace_concat and sq_inplace_repeat
 * (`l.__iadd__(x)`, `super().__iadd__(x)` in a subclass), the mutable
 * sets' and dict's in-place operators. The other types reach `+=` through
 * their plain slot only. */
static uint32_t inplace_binops(Type *t) {
    if (t == &DequeType || t == &ListType) return OPS(OP_ADD, OP_MUL);
    if (t == &SetType) return OPS(OP_BITOR, OP_BITAND, OP_SUB, OP_BITXOR);
    if (t == &DictType) return OPS(OP_BITOR);
    return 0;
}

/* A sequence's * seen as a dunder: CPython's wrapper of sq_repeat wants an
 * index ('str' object cannot be interpreted as an integer), where the
 * operator says "can't multiply sequence by non-int". */
static bool repeat_wrapper_bad_arg(Type *t, int op, Value arg) {
    if (op != OP_MUL || !(t == &ListType || t == &TupleType || t == &StrType || t == &BytesType || t == &DequeType))
        return false;
    if (int_check(arg) || (IS_OBJ(arg) && type_lookup(TYPE_OF(arg), NM.__index__))) return false;
    err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer", obj_type_name(arg));
    return true;
}

/* Give a static type's dict a wrapper for each slot it defines itself. */
static int add_slot_wrappers(Type *t) {
    Type *b = t->base;
    for (size_t i = 0; i < sizeof slot_names / sizeof *slot_names; i++) {
        const SlotName *s = &slot_names[i];
        if (!slot_is_set(t, s->offset)) continue;
        /* Only where the slot differs from the base's: inherited ones are found in the base. */
        if (b) {
            void *mine, *theirs;
            memcpy(&mine, (char *)t + s->offset, sizeof mine);
            memcpy(&theirs, (char *)b + s->offset, sizeof theirs);
            if (mine == theirs) continue;
        }
        if (add_wrapper(t, s->name, s->kind, s->op) < 0) return -1;
    }
    if (t->binop && (!b || b->binop != t->binop)) {
        uint32_t ops = supported_binops(t), rops = reflected_binops(t), iops = inplace_binops(t);
        for (int op = 0; op < OP__BINARY_COUNT; op++) {
            uint32_t bit = 1u << op;
            if ((ops & bit) && add_wrapper(t, binop_names[op].name, SW_BINOP, op) < 0) return -1;
            if ((rops & bit) && add_wrapper(t, binop_names[op].rname, SW_RBINOP, op) < 0) return -1;
            if ((iops & bit) && add_wrapper(t, binop_names[op].iname, SW_IBINOP, op) < 0) return -1;
        }
    }
    return 0;
}

/* ======================================================================================
 * Readying static types
 * ====================================================================================== */
#define INHERIT(f) if (!t->f) t->f = b->f

static void inherit_slots(Type *t, Type *b) {
    INHERIT(tp_new); INHERIT(tp_init); INHERIT(repr); INHERIT(str);
    INHERIT(truth); INHERIT(len); INHERIT(call); INHERIT(getattr); INHERIT(setattr);
    INHERIT(descr_get); INHERIT(descr_set); INHERIT(iter); INHERIT(iternext);
    INHERIT(getitem); INHERIT(setitem); INHERIT(contains); INHERIT(binop); INHERIT(unop);
    INHERIT(traverse); INHERIT(clear); INHERIT(dealloc); INHERIT(finalize); INHERIT(needs_finalize);
    /* Equality and hashing go together: a type that defines one keeps its own pair. */
    if (!t->richcmp && !t->hash) { t->richcmp = b->richcmp; t->hash = b->hash; }
    if (!t->size) t->size = b->size;
    if (!t->dict_offset) t->dict_offset = b->dict_offset;
    if (b->flags & TF_EXCEPTION) t->flags |= TF_EXCEPTION;
}

int type_ready(Type *t) {
    if (t->flags & TF_READY) return 0;
    if (!t->base && t != &ObjectType) t->base = &ObjectType;
    Type *b = t->base;
    if (b && !(b->flags & TF_READY) && type_ready(b) < 0) return -1;
    if (b) inherit_slots(t, b);
    if (!t->dict && !(t->dict = dict_new())) return -1;
    if (!t->name_v) t->name_v = incref(str_intern_cstr(t->name));
    if (!t->qualname) t->qualname = incref(t->name_v);
    if (!t->module) t->module = incref(str_intern_cstr("builtins"));
    if (!t->bases) t->bases = b ? tuple_pack(1, OBJ_VAL(b)) : tuple_empty();
    if (!t->mro) {
        size_t n = 1;
        for (Type *k = b; k; k = k->base) n++;
        Value mro = tuple_new(n);
        if (!mro) return -1;
        size_t i = 0;
        for (Type *k = t; k; k = k->base) TUPLE_ITEMS(mro)[i++] = incref(OBJ_VAL(k));
        t->mro = mro;
    }
    if (add_slot_wrappers(t) < 0) return -1;
    if (!dict_get(t->dict, NM.__doc__)) dict_set(t->dict, NM.__doc__, None);
    if (b) add_subclass(b, t);
    t->flags |= TF_READY;
    return 0;
}

void type_add_methods(Type *t, const MethodDef *defs) {
    if (!t->dict) t->dict = dict_new();
    for (; defs->name; defs++) {
        Value f = cfunc_new(defs->name, defs->fn, VNULL);
        if (!f) return;
        CFuncObj *cf = (CFuncObj *)AS_OBJ(f);
        cf->flags = defs->flags;
        cf->h.type = &MethodDescrType;
        cf->qualname_owner = incref(OBJ_VAL(t));
        if (defs->flags & METH_STATIC) {
            /* A static method: stored as a plain builtin function. */
            cf->h.type = &CFunctionType;
        }
        dict_set_str(t->dict, defs->name, f);
        decref(f);
    }
}

/* Getset descriptors: a small object holding the C accessors. */
typedef struct { Obj h; const GetSetDef *def; Type *owner; } GetSetObj;

static Value getset_get(Value descr, Value obj, Value type) {
    (void)type;
    GetSetObj *g = (GetSetObj *)AS_OBJ(descr);
    if (!obj) return incref(descr);
    if (!obj_isinstance_type(obj, g->owner))
        return err_format(&Exc_TypeError, "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                          g->def->name, g->owner->name, obj_type_name(obj));
    return g->def->get(obj);
}

static int getset_set(Value descr, Value obj, Value v) {
    GetSetObj *g = (GetSetObj *)AS_OBJ(descr);
    if (!g->def->set) {
        err_format(&Exc_AttributeError, "attribute '%s' of '%s' objects is not writable", g->def->name, g->owner->name);
        return -1;
    }
    return g->def->set(obj, v);
}

static Value getset_repr(Value self) {
    GetSetObj *g = (GetSetObj *)AS_OBJ(self);
    return str_from_fmt("<attribute '%s' of '%s' objects>", g->def->name, g->owner->name);
}

Type GetSetType = {
    STATIC_TYPE_HEAD, .name = "getset_descriptor", .size = sizeof(GetSetObj),
    .repr = getset_repr, .descr_get = getset_get, .descr_set = getset_set,
};

void type_add_getsets(Type *t, const GetSetDef *defs) {
    if (!t->dict) t->dict = dict_new();
    for (; defs->name; defs++) {
        GetSetObj *g = (GetSetObj *)gc_alloc(&GetSetType, sizeof *g);
        if (!g) return;
        g->def = defs;
        g->owner = t;
        dict_set_str(t->dict, defs->name, OBJ_VAL(g));
        decref(OBJ_VAL(g));
    }
}

/* ======================================================================================
 * Generic attribute access
 * ====================================================================================== */
/* The __dict__ slot of a tuple, str or bytes subclass instance: right after
 * the items (the NUL that ends a str's or bytes' data included), aligned. */
#define VALUE_ALIGN(n) (((n) + sizeof(Value) - 1) / sizeof(Value) * sizeof(Value))

Value *type_var_dict_slot(Obj *o, uint32_t dict_offset) {
    size_t end;
    switch (dict_offset) {
    case DICTOFF_TUPLE: end = offsetof(TupleObj, items) + ((TupleObj *)o)->len * sizeof(Value); break;
    case DICTOFF_STR:   end = offsetof(StrObj, data) + ((StrObj *)o)->len + 1; break;
    case DICTOFF_BYTES: end = offsetof(BytesObj, data) + ((BytesObj *)o)->len + 1; break;
    default: return NULL;
    }
    return (Value *)((char *)o + VALUE_ALIGN(end));
}

size_t type_varsize_alloc(Type *t, size_t size) {
    if (t->dict_offset < DICTOFF_VAR) return size;
    if (size > SIZE_MAX / 4) return SIZE_MAX / 2;   /* gc_alloc refuses it */
    return VALUE_ALIGN(size) + sizeof(Value);
}

static inline Value *dict_slot(Value self) {
    if (!IS_OBJ(self)) return NULL;
    return type_dict_slot(TYPE_OF(self), AS_OBJ(self));
}

Value obj_dict_of(Value self) {
    Value *slot = dict_slot(self);
    if (!slot) return VNULL;
    if (!*slot) *slot = dict_new();
    return *slot;
}

static bool is_data_descr(Value d) {
    Type *dt = TYPE_OF(d);
    return dt->descr_set != NULL;
}

Value obj_generic_getattr(Value self, Value name) {
    Type *t = TYPE_OF(self);
    Value descr = type_lookup(t, name);
    Value (*get)(Value, Value, Value) = NULL;
    if (descr) {
        incref(descr);
        get = TYPE_OF(descr)->descr_get;
        if (get && is_data_descr(descr)) {
            Value r = get(descr, self, OBJ_VAL(t));
            decref(descr);
            return r;
        }
    }
    Value *slot = dict_slot(self);
    if (slot && *slot) {
        Value v = dict_get(*slot, name);
        if (v) { decref(descr); return incref(v); }
        if (err_occurred()) { decref(descr); return VNULL; }
    }
    if (descr) {
        if (get) {
            Value r = get(descr, self, OBJ_VAL(t));
            decref(descr);
            return r;
        }
        return descr;
    }
    if (IS_TYPE(self, &ModuleType)) {
        Value mname = ((ModuleObj *)AS_OBJ(self))->name;
        return err_format(&Exc_AttributeError, "module '%S' has no attribute '%S'", mname, name);
    }
    Value e = err_format(&Exc_AttributeError, "'%s' object has no attribute '%S'", t->name, name);
    if (vm.exc && IS_OBJ(vm.exc)) {
        setref(&AS_EXC(vm.exc)->name, incref(name));
        setref(&AS_EXC(vm.exc)->obj, incref(self));
    }
    return e;
}

int obj_generic_setattr(Value self, Value name, Value v) {
    Type *t = TYPE_OF(self);
    if (!IS_STR(name)) {
        err_format(&Exc_TypeError, "attribute name must be string, not '%s'", obj_type_name(name));
        return -1;
    }
    Value descr = type_lookup(t, name);
    if (descr && TYPE_OF(descr)->descr_set) {
        incref(descr);
        int r = TYPE_OF(descr)->descr_set(descr, self, v);
        decref(descr);
        return r;
    }
    Value *slot = dict_slot(self);
    if (!slot) {
        if (descr)
            err_format(&Exc_AttributeError, "'%s' object attribute '%S' is read-only", t->name, name);
        else
            err_format(&Exc_AttributeError, "'%s' object has no attribute '%S'", t->name, name);
        return -1;
    }
    if (!*slot && !(*slot = dict_new())) return -1;
    if (v) return dict_set(*slot, name, v);
    if (dict_del(*slot, name) < 0) {
        if (err_matches(&Exc_KeyError)) {
            err_clear();
            err_format(&Exc_AttributeError, "'%s' object has no attribute '%S'", t->name, name);
        }
        return -1;
    }
    return 0;
}

/* ======================================================================================
 * object
 * ====================================================================================== */
static bool excess_args(size_t nargs, Value kwnames) {
    return nargs || (kwnames && TUPLE_LEN(kwnames));
}

static Value object_init(Value self, Value *args, size_t nargs, Value kwnames);

static Value object_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (excess_args(nargs, kwnames)) {
        if (t->tp_new != object_new)
            return err_format(&Exc_TypeError, "object.__new__() takes exactly one argument (the type to instantiate)");
        if (t->tp_init == object_init)
            return err_format(&Exc_TypeError, "%s() takes no arguments", t->name);
    }
    if (t->flags & TF_ABSTRACT)
        return err_format(&Exc_TypeError, "cannot create '%s' instances", t->name);
    return obj_new_instance(t);
}

static Value object_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    Type *t = TYPE_OF(self);
    if (excess_args(nargs, kwnames)) {
        if (t->tp_init != object_init)
            return err_format(&Exc_TypeError, "object.__init__() takes exactly one argument (the instance to initialize)");
        if (t->tp_new == object_new)
            return err_format(&Exc_TypeError, "%s() takes no arguments", t->name);
    }
    return none_new();
}

static Value type_module_name(Type *t) {
    Value m = t->dict ? dict_get(t->dict, NM.__module__) : VNULL;
    if (m && IS_STR(m)) return m;
    return t->module;
}

static Value object_repr(Value self) {
    Type *t = TYPE_OF(self);
    Value mod = type_module_name(t);
    if (mod && IS_STR(mod) && !str_eq_cstr(mod, "builtins"))
        return str_from_fmt("<%S.%S object at %p>", mod, t->qualname, (void *)self);
    return str_from_fmt("<%s object at %p>", t->name, (void *)self);
}

static Value object_str(Value self) { return obj_repr(self); }

static int64_t object_hash(Value self) {
    uint64_t p = (uint64_t)self;
    int64_t h = (int64_t)((p >> 4) | (p << 60));
    return h == -1 ? -2 : h;
}

static Value object_richcmp(Value a, Value b, RichCmpOp op) {
    if (op == RC_EQ) return incref(a == b ? True_ : NotImplemented);
    if (op == RC_NE) {
        /* By default != is the inverse of ==, whatever __eq__ says. */
        Type *t = TYPE_OF(a);
        if (!t->richcmp) return incref(NotImplemented);
        Value r = t->richcmp(a, b, RC_EQ);
        if (!r || r == NotImplemented) return r;
        int truth = obj_truth(r);
        decref(r);
        return truth < 0 ? VNULL : bool_new(!truth);
    }
    return incref(NotImplemented);
}

static Value object_get_class(Value self) { return incref(OBJ_VAL(TYPE_OF(self))); }

static Type *layout_base(Type *t);

static int object_set_class(Value self, Value v) {
    if (!v || !IS_OBJ(v) || !obj_isinstance_type(v, &TypeType)) {
        err_format(&Exc_TypeError, "__class__ must be set to a class");
        return -1;
    }
    Type *nt = (Type *)AS_OBJ(v), *ot = TYPE_OF(self);
    if (!(nt->flags & TF_HEAPTYPE) || !(ot->flags & TF_HEAPTYPE)) {
        err_format(&Exc_TypeError, "__class__ assignment only supported for mutable types or ModuleType subclasses");
        return -1;
    }
    /* As CPython: the __dict__ of a subclass of a type whose instances it
     * sizes by their items (tuple, bytes, int) sits past them, and CPython
     * calls no two such classes compatible. */
    Type *lb = layout_base(ot);
    bool var_dict = nt != ot && ot->dict_offset && !lb->dict_offset &&
                    (lb == &TupleType || lb == &BytesType || lb == &IntType);
    if (var_dict || layout_base(nt) != lb || nt->size != ot->size || nt->dict_offset != ot->dict_offset) {
        err_format(&Exc_TypeError, "__class__ assignment: '%s' object layout differs from '%s'", nt->name, ot->name);
        return -1;
    }
    incref(v);
    AS_OBJ(self)->type = nt;
    decref(OBJ_VAL(ot));
    return 0;
}

static Value object_get_dict(Value self) {
    Value d = obj_dict_of(self);
    if (!d) return err_format(&Exc_AttributeError, "'%s' object has no attribute '__dict__'", obj_type_name(self));
    return incref(d);
}

static int object_set_dict(Value self, Value v) {
    Value *slot = dict_slot(self);
    if (!slot) { err_format(&Exc_AttributeError, "'%s' object has no attribute '__dict__'", obj_type_name(self)); return -1; }
    if (!v || !IS_DICT(v)) { err_format(&Exc_TypeError, "__dict__ must be set to a dictionary, not a '%s'", v ? obj_type_name(v) : "NULL"); return -1; }
    setref(slot, incref(v));
    return 0;
}

static Value object_format_m(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("__format__", kwnames) || args_count("__format__", nargs, 1, 1)) return VNULL;
    if (!IS_STR(args[0])) return err_format(&Exc_TypeError, "__format__() argument must be str, not %s", obj_type_name(args[0]));
    if (STR_LEN(args[0]))
        return err_format(&Exc_TypeError, "unsupported format string passed to %s.__format__", obj_type_name(self));
    return obj_str(self);
}

static Value object_init_subclass(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (nargs || (kwnames && TUPLE_LEN(kwnames)))
        return err_format(&Exc_TypeError, "%S.__init_subclass__() takes no keyword arguments",
                          obj_isinstance_type(self, &TypeType) ? ((Type *)AS_OBJ(self))->qualname : NM.__init_subclass__);
    return none_new();
}

static Value object_dir(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("__dir__", kwnames) || args_count("__dir__", nargs, 0, 0)) return VNULL;
    Value names = set_new(VNULL);
    if (!names) return VNULL;
    Value d = obj_dict_of(self);
    size_t pos = 0;
    Value k, v;
    if (d) while (dict_next(d, &pos, &k, &v)) set_add(names, k);
    Type *t = TYPE_OF(self);
    for (size_t i = 0; t->mro && i < TUPLE_LEN(t->mro); i++) {     /* no mro: a type being collected */
        Type *c = (Type *)AS_OBJ(TUPLE_ITEMS(t->mro)[i]);
        pos = 0;
        while (dict_next(c->dict, &pos, &k, &v)) set_add(names, k);
    }
    Value l = list_from_iterable(names);
    decref(names);
    return l;
}

static Value object_sizeof(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return int_from_i64(TYPE_OF(self)->size);
}

static const MethodDef object_methods[] = {
    { "__format__", object_format_m, 0 },
    { "__init_subclass__", object_init_subclass, METH_CLASS },
    { "__dir__", object_dir, 0 },
    { "__sizeof__", object_sizeof, 0 },
    { NULL, NULL, 0 }
};

/* Instances of classes written in apy have a __dict__ attribute. */
static const GetSetDef instance_dict_getsets[] = {
    { "__dict__", object_get_dict, object_set_dict },
    { NULL, NULL, NULL }
};

static const GetSetDef object_getsets[] = {
    { "__class__", object_get_class, object_set_class },
    { NULL, NULL, NULL }
};

Type ObjectType = {
    STATIC_TYPE_HEAD, .name = "object", .flags = TF_BASETYPE, .size = sizeof(Obj),
    .tp_new = object_new, .tp_init = object_init, .repr = object_repr, .str = object_str,
    .hash = object_hash, .richcmp = object_richcmp,
    .getattr = obj_generic_getattr, .setattr = obj_generic_setattr,
};

/* ======================================================================================
 * Heap types: slots that call dunder methods
 * ====================================================================================== */
/* Call the dunder `name` found on self's type with self prepended. VNULL
 * without an error if the type has no such method. */
static Value call_dunder(Value self, Value name, Value *args, size_t nargs, bool *found) {
    Value m = type_lookup(TYPE_OF(self), name);
    if (!m) { if (found) *found = false; return VNULL; }
    if (found) *found = true;
    Value buf[4];
    Value *all = buf;
    if (nargs + 1 > 4) return err_format(&Exc_SystemError, "too many dunder args");
    all[0] = self;
    for (size_t i = 0; i < nargs; i++) all[i + 1] = args[i];
    Type *mt = TYPE_OF(m);
    if (mt == &FunctionType || mt == &MethodDescrType || mt == &SlotWrapperType) {
        incref(m);
        Value r = obj_call(m, all, nargs + 1, VNULL);
        decref(m);
        return r;
    }
    /* Some other callable or descriptor: bind it the general way. */
    Value bound;
    if (mt->descr_get) bound = mt->descr_get(m, self, OBJ_VAL(TYPE_OF(self)));
    else bound = incref(m);
    if (!bound) return VNULL;
    Value r = obj_call(bound, args, nargs, VNULL);
    decref(bound);
    return r;
}

static Value call_dunder0(Value self, Value name) { return call_dunder(self, name, NULL, 0, NULL); }

static Value slot_repr(Value self) { return call_dunder0(self, NM.__repr__); }
static Value slot_str(Value self) { return call_dunder0(self, NM.__str__); }

static int64_t slot_hash(Value self) {
    Value r = call_dunder0(self, NM.__hash__);
    if (!r) return -1;
    if (!int_check(r)) {
        err_format(&Exc_TypeError, "__hash__ method should return an integer");
        decref(r);
        return -1;
    }
    /* CPython: a result that fits in a Py_ssize_t is the hash (-1 becomes -2);
     * a bigger int is hashed again. */
    int64_t h;
    if (int_as_i64(r, &h) < 0) {
        err_clear();
        h = int_hash(r);
    }
    decref(r);
    return h == -1 ? -2 : h;
}

static Value slot_richcmp(Value a, Value b, RichCmpOp op) {
    static Value *const names[] = { &NM.__lt__, &NM.__le__, &NM.__eq__, &NM.__ne__, &NM.__gt__, &NM.__ge__ };
    Value m = type_lookup(TYPE_OF(a), *names[op]);
    if (!m) return incref(NotImplemented);
    if (IS_TYPE(m, &SlotWrapperType)) {
        SlotWrapperObj *w = (SlotWrapperObj *)AS_OBJ(m);
        if (w->owner->richcmp && w->owner->richcmp != slot_richcmp) return w->owner->richcmp(a, b, op);
    }
    return call_dunder(a, *names[op], &b, 1, NULL);
}

static int slot_truth(Value self) {
    bool found;
    Value r = call_dunder(self, NM.__bool__, NULL, 0, &found);
    if (!found) {
        r = call_dunder(self, NM.__len__, NULL, 0, &found);
        if (!found) return 1;
        if (!r) return -1;
        if (!int_check(r)) {
            err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer", obj_type_name(r));
            decref(r);
            return -1;
        }
        int t = int_sign(r) != 0;
        if (int_sign(r) < 0) { err_format(&Exc_ValueError, "__len__() should return >= 0"); t = -1; }
        decref(r);
        return t;
    }
    if (!r) return -1;
    if (!IS_TYPE(r, &BoolType)) {
        err_format(&Exc_TypeError, "__bool__ should return bool, returned %s", obj_type_name(r));
        decref(r);
        return -1;
    }
    int t = r == True_;
    decref(r);
    return t;
}

static intptr_t slot_len(Value self) {
    Value r = call_dunder0(self, NM.__len__);
    if (!r) return -1;
    intptr_t n;
    if (!int_check(r)) {
        err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer", obj_type_name(r));
        decref(r);
        return -1;
    }
    if (int_as_ssize(r, &n) < 0) { decref(r); return -1; }
    decref(r);
    if (n < 0) { err_format(&Exc_ValueError, "__len__() should return >= 0"); return -1; }
    return n;
}

static Value slot_call(Value self, Value *args, size_t nargs, Value kwnames) {
    Value m = type_lookup(TYPE_OF(self), NM.__call__);
    if (!m) return err_format(&Exc_TypeError, "'%s' object is not callable", obj_type_name(self));
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value *all = gc_malloc((nargs + nkw + 1) * sizeof(Value));
    if (!all) return VNULL;
    all[0] = self;
    memcpy(all + 1, args, (nargs + nkw) * sizeof(Value));
    incref(m);
    Value r;
    if (TYPE_OF(m)->descr_get && !IS_TYPE(m, &FunctionType)) {
        Value bound = TYPE_OF(m)->descr_get(m, self, OBJ_VAL(TYPE_OF(self)));
        r = bound ? obj_call(bound, args, nargs, kwnames) : VNULL;
        decref(bound);
    } else {
        r = obj_call(m, all, nargs + 1, kwnames);
    }
    decref(m);
    gc_free(all);
    return r;
}

static Value slot_getattr(Value self, Value name) {
    Type *t = TYPE_OF(self);
    Value ga = type_lookup(t, NM.__getattribute__);
    Value r;
    if (!ga || (IS_TYPE(ga, &SlotWrapperType) && ((SlotWrapperObj *)AS_OBJ(ga))->owner->getattr != slot_getattr)) {
        Type *owner = ga ? ((SlotWrapperObj *)AS_OBJ(ga))->owner : &ObjectType;
        r = owner->getattr(self, name);
    } else {
        r = call_dunder(self, NM.__getattribute__, &name, 1, NULL);
    }
    if (r || !err_matches(&Exc_AttributeError)) return r;
    if (!type_lookup(t, NM.__getattr__)) return VNULL;
    err_clear();
    return call_dunder(self, NM.__getattr__, &name, 1, NULL);
}

static int slot_setattr(Value self, Value name, Value v) {
    Value r;
    if (v) {
        Value args[2] = { name, v };
        r = call_dunder(self, NM.__setattr__, args, 2, NULL);
    } else {
        r = call_dunder(self, NM.__delattr__, &name, 1, NULL);
    }
    if (!r) return -1;
    decref(r);
    return 0;
}

static Value slot_descr_get(Value descr, Value obj, Value type) {
    Value args[2] = { obj ? obj : None, type ? type : None };
    return call_dunder(descr, NM.__get__, args, 2, NULL);
}

static int slot_descr_set(Value descr, Value obj, Value v) {
    Value r;
    if (v) {
        Value args[2] = { obj, v };
        r = call_dunder(descr, NM.__set__, args, 2, NULL);
    } else {
        r = call_dunder(descr, NM.__delete__, &obj, 1, NULL);
    }
    if (!r) return -1;
    decref(r);
    return 0;
}

static Value slot_iter(Value self) {
    Value m = type_lookup(TYPE_OF(self), NM.__iter__);
    if (m && IS_NONE(m)) return err_format(&Exc_TypeError, "'%s' object is not iterable", obj_type_name(self));
    return call_dunder0(self, NM.__iter__);
}

/* May return VNULL with StopIteration set: obj_next and the VM treat both as the end. */
static Value slot_iternext(Value self) { return call_dunder0(self, NM.__next__); }

static Value slot_getitem(Value self, Value key) { return call_dunder(self, NM.__getitem__, &key, 1, NULL); }

static int slot_setitem(Value self, Value key, Value v) {
    Value r;
    if (v) {
        Value args[2] = { key, v };
        r = call_dunder(self, NM.__setitem__, args, 2, NULL);
    } else {
        r = call_dunder(self, NM.__delitem__, &key, 1, NULL);
    }
    if (!r) return -1;
    decref(r);
    return 0;
}

static int slot_contains(Value self, Value item) {
    bool found;
    Value r = call_dunder(self, NM.__contains__, &item, 1, &found);
    if (!found) {
        /* Fall back to iteration, as `in` does without __contains__. */
        Value it = obj_iter(self);
        if (!it) return -1;
        for (;;) {
            Value x = obj_next(it);
            if (!x) break;
            int eq = obj_eq(x, item);
            decref(x);
            if (eq) { decref(it); return eq; }
        }
        decref(it);
        return err_occurred() ? -1 : 0;
    }
    if (!r) return -1;
    int t = obj_truth(r);
    decref(r);
    return t;
}

static Value slot_unop(Value self, UnaryOp op) {
    static Value *const names[] = { &NM.__neg__, &NM.__pos__, &NM.__invert__ };
    bool found;
    Value r = call_dunder(self, *names[op], NULL, 0, &found);
    if (!found) return incref(NotImplemented);
    return r;
}

static Value binop_name(int op, int which) {
    const BinopNames *n = &binop_names[op];
    return str_intern_cstr(which == 0 ? n->name : which == 1 ? n->rname : n->iname);
}

static bool defines_own(Type *t, Value name) {
    Value m = type_lookup(t, name);
    return m && !IS_TYPE(m, &SlotWrapperType) && !IS_NONE(m);
}

static Value slot_binop(Value a, Value b, int op);

/* Calls a.__op__(b) / b.__rop__(a) like CPython's SLOT1BINFULL. */
static Value slot_binop(Value a, Value b, int op) {
    if (op & BINOP_INPLACE) {
        op &= ~BINOP_INPLACE;
        Value iname = binop_name(op, 2);
        if (TYPE_OF(a)->binop == slot_binop && defines_own(TYPE_OF(a), iname))
            return call_dunder(a, iname, &b, 1, NULL);
        Type *ta = TYPE_OF(a);
        /* A builtin base may have an in-place form (list +=). */
        for (Type *k = ta->base; k; k = k->base)
            if (!(k->flags & TF_HEAPTYPE)) return k->binop ? k->binop(a, b, op | BINOP_INPLACE) : incref(NotImplemented);
        return incref(NotImplemented);
    }
    Type *ta = TYPE_OF(a), *tb = TYPE_OF(b);
    Value name = binop_name(op, 0), rname = binop_name(op, 1);
    bool do_other = ta != tb && tb->binop == slot_binop && defines_own(tb, rname);
    if (ta->binop == slot_binop && defines_own(ta, name)) {
        if (do_other && type_is_subtype(tb, ta)) {
            Value r = call_dunder(b, rname, &a, 1, NULL);
            if (r != NotImplemented) return r;
            decref(r);
            do_other = false;
        }
        Value r = call_dunder(a, name, &b, 1, NULL);
        if (r != NotImplemented || ta == tb) return r;
        decref(r);
    }
    if (do_other) return call_dunder(b, rname, &a, 1, NULL);
    /* Neither side defines it in apy: let a builtin base try (int subclass + 1). */
    Type *solid = ta->binop == slot_binop ? ta : tb;
    for (Type *k = solid->base; k; k = k->base) {
        if (!(k->flags & TF_HEAPTYPE)) {
            if (k->binop && k->binop != slot_binop) return k->binop(a, b, op);
            break;
        }
    }
    return incref(NotImplemented);
}

static Value slot_init(Value self, Value *args, size_t nargs, Value kwnames) {
    Value m = type_lookup(TYPE_OF(self), NM.__init__);
    if (!m) return none_new();
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value buf[8], *all = nargs + nkw + 1 <= 8 ? buf : gc_malloc((nargs + nkw + 1) * sizeof(Value));
    if (!all) return VNULL;
    all[0] = self;
    memcpy(all + 1, args, (nargs + nkw) * sizeof(Value));
    incref(m);
    Value r = obj_call(m, all, nargs + 1, kwnames);
    decref(m);
    if (all != buf) gc_free(all);
    if (r && !IS_NONE(r)) {
        Value e = err_format(&Exc_TypeError, "__init__() should return None, not '%s'", obj_type_name(r));
        decref(r);
        return e;
    }
    return r;
}

static Value slot_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    Value m = type_lookup(t, NM.__new__);
    if (!m) return err_format(&Exc_TypeError, "cannot create '%s' instances", t->name);
    if (IS_TYPE(m, &StaticMethodType)) m = ((StaticMethodObj *)AS_OBJ(m))->callable;
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value buf[8], *all = nargs + nkw + 1 <= 8 ? buf : gc_malloc((nargs + nkw + 1) * sizeof(Value));
    if (!all) return VNULL;
    all[0] = OBJ_VAL(t);
    memcpy(all + 1, args, (nargs + nkw) * sizeof(Value));
    incref(m);
    Value r = obj_call(m, all, nargs + 1, kwnames);
    decref(m);
    if (all != buf) gc_free(all);
    return r;
}

/* Instances of heap types: the instance dict, then whatever the solid base holds. */
static Type *static_base(Type *t) {
    while (t && (t->flags & TF_HEAPTYPE)) t = t->base;
    return t;
}

/* The type whose layout t's instances have: static types that add no
 * fields (all the exception classes) share their base's. */
static Type *layout_base(Type *t) {
    t = static_base(t);
    while (t && t->base && t->size == t->base->size && t->dict_offset == t->base->dict_offset) t = t->base;
    return t;
}

/* The instance dict slot a heap type added (NULL when its static base has
 * the slot itself and looks after it). Of a tuple subclass's instance, it
 * is read before the base clears the items (the length stays as it was). */
static Value *added_dict_slot(Type *t, Type *sb, Obj *o) {
    if (!t->dict_offset || sb->dict_offset == t->dict_offset) return NULL;
    return type_dict_slot(t, o);
}

static void subtype_dealloc(Obj *o) {
    Type *t = o->type;
    Type *sb = static_base(t);
    Value *slot = added_dict_slot(t, sb, o);
    if (slot) clearref(slot);
    if (sb->dealloc) sb->dealloc(o);
}

static void subtype_traverse(Obj *o, VisitFn visit, void *arg) {
    Type *t = o->type;
    Type *sb = static_base(t);
    visit(OBJ_VAL(t), arg);
    Value *slot = added_dict_slot(t, sb, o);
    if (slot) visit(*slot, arg);
    if (sb->traverse) sb->traverse(o, visit, arg);
}

static void subtype_clear(Obj *o) {
    Type *t = o->type;
    Type *sb = static_base(t);
    Value *slot = added_dict_slot(t, sb, o);
    if (slot) clearref(slot);
    if (sb->clear) sb->clear(o);
}


/* The dunder each heap-type slot answers to. */
static bool defined_in_heap_part(Type *t, Value name) {
    if (!t->mro) return false;
    Value *items = TUPLE_ITEMS(t->mro);
    for (size_t i = 0; i < TUPLE_LEN(t->mro); i++) {
        Type *k = (Type *)AS_OBJ(items[i]);
        if (!(k->flags & TF_HEAPTYPE)) continue;   /* a mixin after a builtin base counts too */
        if (dict_get(k->dict, name)) return true;
    }
    return false;
}

/* __del__: the collector calls it once, at the safe point after the last
 * reference went (or when the object's cycle is found); like CPython, an
 * exception is reported as "Exception ignored in: <function C.__del__ …>". */
static void slot_finalize(Obj *o) {
    Value self = OBJ_VAL(o);
    Value r = call_dunder0(self, NM.__del__);
    if (r) { decref(r); return; }
    Value e = err_fetch();
    Value m = type_lookup(TYPE_OF(self), NM.__del__);
    Value where = m ? obj_repr(m) : VNULL;
    if (!where) err_clear();
    err_write_unraisable(e, where ? STR_DATA(where) : NULL);
    decref(where);
}

static void fixup_slots(Type *t) {
    Type *b = t->base;
#define HEAP_DEFINES(n) defined_in_heap_part(t, NM.n)
    if (HEAP_DEFINES(__del__)) { t->finalize = slot_finalize; t->needs_finalize = NULL; }
    t->repr = HEAP_DEFINES(__repr__) ? slot_repr : b->repr;
    t->str = HEAP_DEFINES(__str__) ? slot_str : b->str;
    bool cmp = HEAP_DEFINES(__eq__) || HEAP_DEFINES(__ne__) || HEAP_DEFINES(__lt__) ||
               HEAP_DEFINES(__le__) || HEAP_DEFINES(__gt__) || HEAP_DEFINES(__ge__);
    t->richcmp = cmp ? slot_richcmp : b->richcmp;
    Value h = type_lookup(t, NM.__hash__);
    if (h && IS_NONE(h)) t->hash = NULL;
    else t->hash = HEAP_DEFINES(__hash__) ? slot_hash : b->hash;
    t->truth = HEAP_DEFINES(__bool__) || HEAP_DEFINES(__len__) ? slot_truth : b->truth;
    t->len = HEAP_DEFINES(__len__) ? slot_len : b->len;
    t->call = HEAP_DEFINES(__call__) ? slot_call : b->call;
    t->getattr = HEAP_DEFINES(__getattribute__) || HEAP_DEFINES(__getattr__) ? slot_getattr : b->getattr;
    t->setattr = HEAP_DEFINES(__setattr__) || HEAP_DEFINES(__delattr__) ? slot_setattr : b->setattr;
    t->descr_get = HEAP_DEFINES(__get__) ? slot_descr_get : b->descr_get;
    t->descr_set = HEAP_DEFINES(__set__) || HEAP_DEFINES(__delete__) ? slot_descr_set : b->descr_set;
    t->iter = HEAP_DEFINES(__iter__) ? slot_iter : b->iter;
    t->iternext = HEAP_DEFINES(__next__) ? slot_iternext : b->iternext;
    t->getitem = HEAP_DEFINES(__getitem__) ? slot_getitem : b->getitem;
    t->setitem = HEAP_DEFINES(__setitem__) || HEAP_DEFINES(__delitem__) ? slot_setitem : b->setitem;
    t->contains = HEAP_DEFINES(__contains__) ? slot_contains : b->contains;
    t->unop = HEAP_DEFINES(__neg__) || HEAP_DEFINES(__pos__) || HEAP_DEFINES(__invert__) ? slot_unop : b->unop;
    t->tp_init = HEAP_DEFINES(__init__) ? slot_init : b->tp_init;
    t->tp_new = HEAP_DEFINES(__new__) ? slot_new : b->tp_new;
    bool binop = false;
    for (int op = 0; op < OP__BINARY_COUNT && !binop; op++)
        for (int w = 0; w < 3 && !binop; w++)
            if (defined_in_heap_part(t, binop_name(op, w))) binop = true;
    t->binop = binop ? slot_binop : b->binop;
#undef HEAP_DEFINES
}

/* ---- C3 linearization ------------------------------------------------------------------------- */
static Value mro_merge(Value seqs_list) {
    /* seqs_list: a list of lists; consumes nothing; returns a new list */
    Value result = list_new(0);
    if (!result) return VNULL;
    size_t nseq = LIST_LEN(seqs_list);
    size_t *pos = gc_calloc(nseq ? nseq : 1, sizeof(size_t));
    if (!pos) { decref(result); return VNULL; }
    for (;;) {
        bool empty = true;
        Value candidate = VNULL;
        for (size_t i = 0; i < nseq; i++) {
            Value seq = LIST_ITEMS(seqs_list)[i];
            if (pos[i] >= LIST_LEN(seq)) continue;
            empty = false;
            Value c = LIST_ITEMS(seq)[pos[i]];
            bool in_tail = false;
            for (size_t j = 0; j < nseq && !in_tail; j++) {
                Value s2 = LIST_ITEMS(seqs_list)[j];
                for (size_t k = pos[j] + 1; k < LIST_LEN(s2); k++)
                    if (LIST_ITEMS(s2)[k] == c) { in_tail = true; break; }
            }
            if (!in_tail) { candidate = c; break; }
        }
        if (empty) break;
        if (!candidate) {
            /* CPython names the distinct heads still waiting, in merge order. */
            StrBuf b;
            sb_init(&b);
            sb_adds(&b, "Cannot create a consistent method resolution\norder (MRO) for bases");
            for (size_t i = 0; i < nseq; i++) {
                Value seq = LIST_ITEMS(seqs_list)[i];
                if (pos[i] >= LIST_LEN(seq)) continue;
                Value head = LIST_ITEMS(seq)[pos[i]];
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++) {
                    Value s2 = LIST_ITEMS(seqs_list)[j];
                    seen = pos[j] < LIST_LEN(s2) && LIST_ITEMS(s2)[pos[j]] == head;
                }
                if (seen) continue;
                sb_adds(&b, i ? ", " : " ");
                sb_adds(&b, ((Type *)AS_OBJ(head))->name);
            }
            gc_free(pos);
            decref(result);
            Value msg = sb_finish(&b);
            if (msg) { err_format(&Exc_TypeError, "%S", msg); decref(msg); }
            return VNULL;
        }
        list_append(result, candidate);
        for (size_t i = 0; i < nseq; i++) {
            Value seq = LIST_ITEMS(seqs_list)[i];
            if (pos[i] < LIST_LEN(seq) && LIST_ITEMS(seq)[pos[i]] == candidate) pos[i]++;
        }
    }
    gc_free(pos);
    return result;
}

static Value compute_mro(Type *t) {
    size_t nb = TUPLE_LEN(t->bases);
    if (nb == 1) {
        Type *b = (Type *)AS_OBJ(TUPLE_ITEMS(t->bases)[0]);
        size_t n = TUPLE_LEN(b->mro);
        Value mro = tuple_new(n + 1);
        if (!mro) return VNULL;
        TUPLE_ITEMS(mro)[0] = incref(OBJ_VAL(t));
        for (size_t i = 0; i < n; i++) TUPLE_ITEMS(mro)[i + 1] = incref(TUPLE_ITEMS(b->mro)[i]);
        return mro;
    }
    for (size_t i = 0; i < nb; i++)
        for (size_t j = i + 1; j < nb; j++)
            if (TUPLE_ITEMS(t->bases)[i] == TUPLE_ITEMS(t->bases)[j])
                return err_format(&Exc_TypeError, "duplicate base class %s",
                                  ((Type *)AS_OBJ(TUPLE_ITEMS(t->bases)[i]))->name);
    Value seqs = list_new(0);
    if (!seqs) return VNULL;
    for (size_t i = 0; i < nb; i++) {
        Type *b = (Type *)AS_OBJ(TUPLE_ITEMS(t->bases)[i]);
        Value l = list_from_iterable(b->mro);
        if (!l) { decref(seqs); return VNULL; }
        list_append(seqs, l);
        decref(l);
    }
    Value bl = list_from_iterable(t->bases);
    if (!bl) { decref(seqs); return VNULL; }
    list_append(seqs, bl);
    decref(bl);
    Value merged = mro_merge(seqs);
    decref(seqs);
    if (!merged) return VNULL;
    Value mro = tuple_new(LIST_LEN(merged) + 1);
    if (mro) {
        TUPLE_ITEMS(mro)[0] = incref(OBJ_VAL(t));
        for (size_t i = 0; i < LIST_LEN(merged); i++) TUPLE_ITEMS(mro)[i + 1] = incref(LIST_ITEMS(merged)[i]);
    }
    decref(merged);
    return mro;
}

/* The base whose instance layout the new class extends. */
static Type *solid_base(Type *t) {
    Type *s = static_base(t);
    return s ? s : &ObjectType;
}

/* Whether a class statement's __slots__ (VNULL: none) leaves room for an
 * instance __dict__: not when it is empty. Named slots are not
 * implemented: such a class still gets a dict, and the names are not
 * enforced. A subclass of a type whose instances CPython sizes by their
 * items (`varbase`: tuple, bytes, int) takes none, as in CPython; -1 =
 * TypeError. */
static int slots_want_dict(Value slots, Type *varbase) {
    if (!slots) return 1;
    Value one[1] = { slots }, *names;
    size_t n;
    if (IS_STR(slots)) { names = one; n = 1; }
    else if (IS_TYPE(slots, &TupleType)) { names = TUPLE_ITEMS(slots); n = TUPLE_LEN(slots); }
    else if (IS_TYPE(slots, &ListType)) { names = AS_LIST(slots)->items; n = AS_LIST(slots)->len; }
    else return 1;
    for (size_t i = 0; i < n; i++)
        if (!IS_STR(names[i])) {
            err_format(&Exc_TypeError, "__slots__ items must be strings, not '%s'", obj_type_name(names[i]));
            return -1;
        }
    if (n && varbase) {
        err_format(&Exc_TypeError, "nonempty __slots__ not supported for subtype of '%s'", varbase->name);
        return -1;
    }
    return n != 0;
}

static Type *best_base(Value bases) {
    Type *winner = NULL, *winner_solid = NULL;
    for (size_t i = 0; i < TUPLE_LEN(bases); i++) {
        Type *b = (Type *)AS_OBJ(TUPLE_ITEMS(bases)[i]);
        Type *s = layout_base(b);
        if (!s) s = &ObjectType;
        if (!winner) { winner = b; winner_solid = s; continue; }
        if (type_is_subtype(winner_solid, s)) continue;
        if (type_is_subtype(s, winner_solid)) { winner = b; winner_solid = s; continue; }
        err_format(&Exc_TypeError, "multiple bases have instance lay-out conflict");
        return NULL;
    }
    return winner;
}

/* ---- the type object itself ------------------------------------------------------------------- */
static void type_dealloc(Obj *o) {
    Type *t = (Type *)o;
    if (!(t->flags & TF_HEAPTYPE)) return;   /* static types never die */
    type_modified(t);
    for (uint32_t i = 0; i < t->nheld_bases; i++) {
        remove_subclass(t->held_bases[i], t);
        decref(OBJ_VAL(t->held_bases[i]));
    }
    free(t->held_bases);
    t->held_bases = NULL;
    t->nheld_bases = 0;
    clearref(&t->name_v); clearref(&t->qualname); clearref(&t->module);
    clearref(&t->bases); clearref(&t->mro); clearref(&t->dict); clearref(&t->doc);
    free(t->subclasses);
    free((char *)t->name);
}

static void type_traverse(Obj *o, VisitFn visit, void *arg) {
    Type *t = (Type *)o;
    if (!(t->flags & TF_HEAPTYPE)) return;
    visit(t->dict, arg); visit(t->bases, arg); visit(t->mro, arg);
    for (uint32_t i = 0; i < t->nheld_bases; i++) visit(OBJ_VAL(t->held_bases[i]), arg);
    visit(t->name_v, arg); visit(t->qualname, arg); visit(t->module, arg); visit(t->doc, arg);
}

static void type_clear(Obj *o) {
    Type *t = (Type *)o;
    if (!(t->flags & TF_HEAPTYPE)) return;
    type_modified(t);
    /* Not the bases, as CPython's type_clear: they keep t->base alive, and an
     * instance of t in the same garbage still needs it (subtype_dealloc walks
     * t->base to find the layout). The mro tuple holds t itself: that is the
     * cycle to break. */
    clearref(&t->dict); clearref(&t->mro);
    /* keep a tiny valid state so that instances still alive can be printed */
    t->dict = dict_new();
}

Value type_new_class(Type *meta, Value name, Value bases, Value ns, Value kwnames, Value *kwvalues) {
    (void)kwnames; (void)kwvalues;
    if (!IS_STR(name)) return err_format(&Exc_TypeError, "type.__new__() argument 1 must be str, not %s", obj_type_name(name));
    if (!IS_TYPE(bases, &TupleType)) return err_format(&Exc_TypeError, "type.__new__() argument 2 must be tuple, not %s", obj_type_name(bases));
    if (!IS_DICT(ns)) return err_format(&Exc_TypeError, "type.__new__() argument 3 must be dict, not %s", obj_type_name(ns));
    for (size_t i = 0; i < TUPLE_LEN(bases); i++) {
        Value b = TUPLE_ITEMS(bases)[i];
        if (!IS_OBJ(b) || !obj_isinstance_type(b, &TypeType))
            return err_format(&Exc_TypeError, "bases must be types");
        Type *bt = (Type *)AS_OBJ(b);
        if (!(bt->flags & TF_BASETYPE))
            return err_format(&Exc_TypeError, "type '%s' is not an acceptable base type", bt->name);
    }
    Value real_bases = TUPLE_LEN(bases) ? incref(bases) : tuple_pack(1, OBJ_VAL(&ObjectType));
    if (!real_bases) return VNULL;
    Type *base = best_base(real_bases);
    if (!base) { decref(real_bases); return VNULL; }

    Type *t = (Type *)gc_alloc(meta, meta->size > sizeof(Type) ? meta->size : sizeof(Type));
    if (!t) { decref(real_bases); return VNULL; }
    t->flags = TF_HEAPTYPE | TF_BASETYPE | TF_GC | (base->flags & TF_EXCEPTION);
    t->name = strdup(STR_DATA(name));
    t->name_v = incref(name);
    t->bases = real_bases;
    t->base = base;
    t->dict = dict_copy(ns);
    if (!t->dict || !t->name) goto fail;
    Value qn = dict_get(t->dict, str_intern_cstr("__qualname__"));
    t->qualname = incref(qn && IS_STR(qn) ? qn : name);
    if (qn) dict_del(t->dict, str_intern_cstr("__qualname__"));
    Value mod = dict_get(t->dict, NM.__module__);
    if (!mod) {
        Value g = vm.frame ? vm.frame->globals : VNULL;
        Value gm = g ? dict_get(g, NM.__name__) : VNULL;
        if (gm) dict_set(t->dict, NM.__module__, gm);
        mod = gm;
    }
    t->module = mod ? incref(mod) : VNULL;
    if (!dict_get(t->dict, NM.__doc__)) dict_set(t->dict, NM.__doc__, None);

    /* Layout: extend the solid base; add a __dict__ slot if it has none
     * (and __slots__ does not say otherwise). Variable-sized instances
     * (tuple, str, bytes) keep their items where the slot would go: theirs
     * follows the items (see type_var_dict_slot). */
    Type *solid = solid_base(base);
    t->size = base->size;
    t->dict_offset = base->dict_offset;
    uint32_t var_dict = solid == &TupleType ? DICTOFF_TUPLE : solid == &StrType ? DICTOFF_STR :
                        solid == &BytesType ? DICTOFF_BYTES : 0;
    bool cpy_varsized = solid == &TupleType || solid == &BytesType || solid == &IntType;
    int want_dict = slots_want_dict(dict_get(t->dict, NM.__slots__), cpy_varsized ? solid : NULL);
    if (want_dict < 0) goto fail;
    if (!t->dict_offset && want_dict) {
        if (var_dict) t->dict_offset = var_dict;
        else {
            t->dict_offset = t->size;
            t->size += sizeof(Value);
        }
    }
    t->dealloc = subtype_dealloc;
    t->traverse = subtype_traverse;
    t->clear = subtype_clear;
    t->finalize = solid->finalize;
    t->needs_finalize = solid->needs_finalize;
    t->mro = compute_mro(t);
    if (!t->mro) goto fail;

    if (t->dict_offset && !solid->dict_offset && !dict_get(t->dict, NM.__dict__)) type_add_getsets(t, instance_dict_getsets);
    /* __new__ is a static method; __init_subclass__ and __class_getitem__ are class methods. */
    Value nw = dict_get(t->dict, NM.__new__);
    if (nw && IS_TYPE(nw, &FunctionType)) {
        Value sm = obj_call1(OBJ_VAL(&StaticMethodType), nw);
        if (!sm) goto fail;
        dict_set(t->dict, NM.__new__, sm);
        decref(sm);
    }
    Value *wrap_cls[] = { &NM.__init_subclass__, &NM.__class_getitem__ };
    for (size_t i = 0; i < 2; i++) {
        Value f = dict_get(t->dict, *wrap_cls[i]);
        if (f && IS_TYPE(f, &FunctionType)) {
            Value cm = obj_call1(OBJ_VAL(&ClassMethodType), f);
            if (!cm) goto fail;
            dict_set(t->dict, *wrap_cls[i], cm);
            decref(cm);
        }
    }
    /* A class that defines __eq__ but not __hash__ is unhashable. */
    if (dict_get(t->dict, NM.__eq__) && !dict_get(t->dict, NM.__hash__))
        dict_set(t->dict, NM.__hash__, None);

    fixup_slots(t);
    t->flags |= TF_READY;
    /* t holds its bases itself, apart from the tuple: subtype_dealloc needs
     * t->base, and remove_subclass the list, until t's last instance is gone */
    t->held_bases = malloc(TUPLE_LEN(t->bases) * sizeof *t->held_bases + 1);
    if (!t->held_bases) { err_no_memory(); goto fail; }
    for (size_t i = 0; i < TUPLE_LEN(t->bases); i++) {
        Type *b = (Type *)AS_OBJ(TUPLE_ITEMS(t->bases)[i]);
        t->held_bases[t->nheld_bases++] = (Type *)AS_OBJ(incref(OBJ_VAL(b)));
        add_subclass(b, t);
    }

    /* __classcell__: the cell behind zero-argument super() and __class__. */
    Value cell = dict_get(t->dict, NM.__classcell__);
    if (cell) {
        if (IS_TYPE(cell, &CellType)) setref(&AS_CELL(cell)->ref, incref(OBJ_VAL(t)));
        dict_del(t->dict, NM.__classcell__);
    }
    /* __set_name__ on descriptors, then the parent's __init_subclass__. */
    size_t pos = 0;
    Value k, v;
    Value items = list_new(0);
    if (!items) goto fail_ready;
    while (dict_next(t->dict, &pos, &k, &v)) {
        Value pair = tuple_pack(2, k, v);
        if (!pair) { decref(items); goto fail_ready; }
        list_append(items, pair);
        decref(pair);
    }
    for (size_t i = 0; i < LIST_LEN(items); i++) {
        Value key = TUPLE_ITEMS(LIST_ITEMS(items)[i])[0], val = TUPLE_ITEMS(LIST_ITEMS(items)[i])[1];
        if (!IS_OBJ(val) || !type_lookup(TYPE_OF(val), NM.__set_name__)) continue;
        Value args[2] = { OBJ_VAL(t), key };
        Value r = obj_call_method(val, NM.__set_name__, args, 2);
        if (!r) { decref(items); goto fail_ready; }
        decref(r);
    }
    decref(items);
    {
        Value sup = super_new(t, OBJ_VAL(t));
        if (!sup) goto fail_ready;
        Value isc = obj_getattr(sup, NM.__init_subclass__);
        decref(sup);
        if (!isc) goto fail_ready;
        size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
        Value r = obj_call(isc, kwvalues, 0, nkw ? kwnames : VNULL);
        decref(isc);
        if (!r) goto fail_ready;
        decref(r);
    }
    return OBJ_VAL(t);
fail_ready:
    decref(OBJ_VAL(t));
    return VNULL;
fail:
    decref(OBJ_VAL(t));
    return VNULL;
}

static Value type_tp_new(Type *meta, Value *args, size_t nargs, Value kwnames) {
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nargs == 1 && nkw == 0 && meta == &TypeType) return incref(OBJ_VAL(TYPE_OF(args[0])));
    if (nargs != 3) return err_format(&Exc_TypeError, "type() takes 1 or 3 arguments");
    return type_new_class(meta, args[0], args[1], args[2], kwnames, args + 3);
}

Value type_call(Value self, Value *args, size_t nargs, Value kwnames) {
    Type *t = (Type *)AS_OBJ(self);
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (t == &TypeType && nargs == 1 && nkw == 0) return incref(OBJ_VAL(TYPE_OF(args[0])));
    if (!t->tp_new) return err_format(&Exc_TypeError, "cannot create '%s' instances", t->name);
    Value obj = t->tp_new(t, args, nargs, kwnames);
    if (!obj) return VNULL;
    /* __init__ runs only if __new__ gave an instance of t. */
    if (!obj_isinstance_type(obj, t)) return obj;
    Type *ot = TYPE_OF(obj);
    if (ot->tp_init) {
        Value r = ot->tp_init(obj, args, nargs, kwnames);
        if (!r) { decref(obj); return VNULL; }
        decref(r);
    }
    return obj;
}

static Value type_repr(Value self) {
    Type *t = (Type *)AS_OBJ(self);
    Value mod = type_module_name(t);
    if (mod && IS_STR(mod) && !str_eq_cstr(mod, "builtins"))
        return str_from_fmt("<class '%S.%S'>", mod, t->qualname);
    return str_from_fmt("<class '%s'>", t->name);
}

static Value type_getattr(Value self, Value name) {
    Type *t = (Type *)AS_OBJ(self);
    Type *meta = TYPE_OF(self);
    Value meta_attr = type_lookup(meta, name);
    Value (*meta_get)(Value, Value, Value) = NULL;
    if (meta_attr) {
        meta_get = TYPE_OF(meta_attr)->descr_get;
        if (meta_get && TYPE_OF(meta_attr)->descr_set) return meta_get(meta_attr, self, OBJ_VAL(meta));
    }
    Value attr = type_lookup(t, name);
    if (attr) {
        Value (*get)(Value, Value, Value) = TYPE_OF(attr)->descr_get;
        if (get) return get(attr, VNULL, self);
        return incref(attr);
    }
    if (meta_get) return meta_get(meta_attr, self, OBJ_VAL(meta));
    if (meta_attr) return incref(meta_attr);
    return err_format(&Exc_AttributeError, "type object '%s' has no attribute '%S'", t->name, name);
}

/* A dunder set on (or deleted from) a class changes the slots of every class
 * below it too, as CPython's update_slot does. A worklist, not recursion:
 * a hierarchy may be as deep as a program cares to make it. */
static void fixup_slots_tree(Type *root) {
    size_t n = 0, cap = 16;
    Type **work = malloc(cap * sizeof *work);
    if (!work) { fixup_slots(root); return; }
    work[n++] = root;
    while (n) {
        Type *t = work[--n];
        fixup_slots(t);
        for (uint32_t i = 0; i < t->nsubclasses; i++) {
            if (n == cap) {
                Type **w = realloc(work, cap * 2 * sizeof *w);
                if (!w) break;          /* out of memory: the rest keep their slots */
                work = w;
                cap *= 2;
            }
            work[n++] = t->subclasses[i];
        }
    }
    free(work);
}

static int type_setattr(Value self, Value name, Value v) {
    Type *t = (Type *)AS_OBJ(self);
    if (!(t->flags & TF_HEAPTYPE)) {
        err_format(&Exc_TypeError, "cannot set '%S' attribute of immutable type '%s'", name, t->name);
        return -1;
    }
    Value meta_attr = type_lookup(TYPE_OF(self), name);
    if (meta_attr && TYPE_OF(meta_attr)->descr_set) return TYPE_OF(meta_attr)->descr_set(meta_attr, self, v);
    int r;
    if (v) r = dict_set(t->dict, name, v);
    else {
        r = dict_del(t->dict, name);
        if (r < 0 && err_matches(&Exc_KeyError)) {
            err_clear();
            err_format(&Exc_AttributeError, "type object '%s' has no attribute '%S'", t->name, name);
        }
    }
    type_modified(t);
    if (STR_LEN(name) > 4 && STR_DATA(name)[0] == '_' && STR_DATA(name)[1] == '_') fixup_slots_tree(t);
    return r;
}

static Value type_get_name(Value self) { return incref(((Type *)AS_OBJ(self))->name_v); }
static Value type_get_qualname(Value self) { return incref(((Type *)AS_OBJ(self))->qualname); }
static Value type_get_module(Value self) {
    Value m = type_module_name((Type *)AS_OBJ(self));
    return m ? incref(m) : str_from_cstr("builtins");
}
static int type_set_in_dict(Value self, const char *name, Value v) {
    Type *t = (Type *)AS_OBJ(self);
    if (!(t->flags & TF_HEAPTYPE)) {
        err_format(&Exc_TypeError, "cannot set '%s' attribute of immutable type '%s'", name, t->name);
        return -1;
    }
    type_modified(t);
    if (!v) return dict_del(t->dict, str_intern_cstr(name));
    return dict_set(t->dict, str_intern_cstr(name), v);
}
static int type_set_module(Value self, Value v) { return type_set_in_dict(self, "__module__", v); }
static int type_set_doc(Value self, Value v) { return type_set_in_dict(self, "__doc__", v); }
static Value type_get_bases(Value self) { return incref(((Type *)AS_OBJ(self))->bases); }
static Value type_get_base(Value self) {
    Type *b = ((Type *)AS_OBJ(self))->base;
    return incref(b ? OBJ_VAL(b) : None);
}
static Value type_get_mro(Value self) { return incref(((Type *)AS_OBJ(self))->mro); }
static Value type_get_dict(Value self) { return dict_copy(((Type *)AS_OBJ(self))->dict); }
static Value type_get_doc(Value self) {
    Value d = dict_get(((Type *)AS_OBJ(self))->dict, NM.__doc__);
    return incref(d ? d : None);
}
static int type_set_name(Value self, Value v) {
    Type *t = (Type *)AS_OBJ(self);
    if (!(t->flags & TF_HEAPTYPE) || !v || !IS_STR(v)) {
        err_format(&Exc_TypeError, "can only assign string to %s.__name__", t->name);
        return -1;
    }
    setref(&t->name_v, incref(v));
    free((char *)t->name);
    t->name = strdup(STR_DATA(v));
    return 0;
}
static int type_set_qualname(Value self, Value v) {
    Type *t = (Type *)AS_OBJ(self);
    if (!(t->flags & TF_HEAPTYPE) || !v || !IS_STR(v)) {
        err_format(&Exc_TypeError, "can only assign string to %s.__qualname__", t->name);
        return -1;
    }
    setref(&t->qualname, incref(v));
    return 0;
}

static Value type_mro_m(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return list_from_iterable(((Type *)AS_OBJ(self))->mro);
}

static Value type_subclasses_m(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    Type *t = (Type *)AS_OBJ(self);
    Value l = list_new(0);
    for (uint32_t i = 0; l && i < t->nsubclasses; i++) list_append(l, OBJ_VAL(t->subclasses[i]));
    return l;
}

static Value type_prepare_m(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args; (void)nargs; (void)kwnames;
    return dict_new();
}

static Value type_instancecheck_m(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("__instancecheck__", kwnames) || args_count("__instancecheck__", nargs, 1, 1)) return VNULL;
    return bool_new(obj_isinstance_type(args[0], (Type *)AS_OBJ(self)));
}

static Value type_subclasscheck_m(Value self, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw("__subclasscheck__", kwnames) || args_count("__subclasscheck__", nargs, 1, 1)) return VNULL;
    /* the plain check: obj_issubclass would come back here through a metaclass */
    if (!IS_OBJ(args[0]) || !obj_isinstance_type(args[0], &TypeType))
        return err_format(&Exc_TypeError, "issubclass() arg 1 must be a class");
    return bool_new(type_is_subtype((Type *)AS_OBJ(args[0]), (Type *)AS_OBJ(self)));
}

static const MethodDef type_methods[] = {
    { "mro", type_mro_m, 0 },
    { "__subclasses__", type_subclasses_m, 0 },
    { "__prepare__", type_prepare_m, METH_CLASS },
    { "__instancecheck__", type_instancecheck_m, 0 },
    { "__subclasscheck__", type_subclasscheck_m, 0 },
    { NULL, NULL, 0 }
};

static const GetSetDef type_getsets[] = {
    { "__name__", type_get_name, type_set_name },
    { "__qualname__", type_get_qualname, type_set_qualname },
    { "__module__", type_get_module, type_set_module },
    { "__bases__", type_get_bases, NULL },
    { "__base__", type_get_base, NULL },
    { "__mro__", type_get_mro, NULL },
    { "__dict__", type_get_dict, NULL },
    { "__doc__", type_get_doc, type_set_doc },
    { NULL, NULL, NULL }
};

/* type.__init__: __new__ did the work; this ends a metaclass's super().__init__ chain. */
static Value type_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (nargs == 1 && kwnames && TUPLE_LEN(kwnames))
        return err_format(&Exc_TypeError, "type.__init__() takes no keyword arguments");
    if (nargs != 1 && nargs != 3)
        return err_format(&Exc_TypeError, "type.__init__() takes 1 or 3 arguments");
    return none_new();
}

Type TypeType = {
    STATIC_TYPE_HEAD, .name = "type", .flags = TF_BASETYPE | TF_GC, .size = sizeof(Type),
    .dict_offset = offsetof(Type, dict),
    .tp_new = type_tp_new, .tp_init = type_tp_init, .call = type_call, .repr = type_repr,
    .getattr = type_getattr, .setattr = type_setattr,
    .dealloc = type_dealloc, .traverse = type_traverse, .clear = type_clear,
};

/* __build_class__(func, name, *bases, metaclass=..., **kw) */
Value type_build_class(Value *args, size_t nargs, Value kwnames) {
    if (nargs < 2) return err_format(&Exc_TypeError, "__build_class__: not enough arguments");
    Value func = args[0], name = args[1];
    if (!IS_TYPE(func, &FunctionType)) return err_format(&Exc_TypeError, "__build_class__: func must be a function");
    if (!IS_STR(name)) return err_format(&Exc_TypeError, "__build_class__: name is not a string");
    Value bases = tuple_from_array(args + 2, nargs - 2);
    if (!bases) return VNULL;
    /* Keywords: metaclass= is ours, the rest go to the metaclass. */
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value meta = VNULL;
    Value *kwv = args + nargs;
    Value rest_names = VNULL, rest_vals = VNULL;
    size_t nrest = 0;
    if (nkw) {
        rest_names = tuple_new(nkw);
        rest_vals = tuple_new(nkw);
        if (!rest_names || !rest_vals) goto fail_kw;
        for (size_t i = 0; i < nkw; i++) {
            if (str_eq_cstr(TUPLE_ITEMS(kwnames)[i], "metaclass")) meta = kwv[i];
            else {
                TUPLE_ITEMS(rest_names)[nrest] = incref(TUPLE_ITEMS(kwnames)[i]);
                TUPLE_ITEMS(rest_vals)[nrest] = incref(kwv[i]);
                nrest++;
            }
        }
        AS_TUPLE(rest_names)->len = nrest;   /* unused tail stays VNULL */
        AS_TUPLE(rest_vals)->len = nrest;
    }
    if (!meta) meta = TUPLE_LEN(bases) ? OBJ_VAL(TYPE_OF(TUPLE_ITEMS(bases)[0])) : OBJ_VAL(&TypeType);
    /* The most derived metaclass among the bases wins. */
    if (IS_OBJ(meta) && obj_isinstance_type(meta, &TypeType)) {
        Type *winner = (Type *)AS_OBJ(meta);
        for (size_t i = 0; i < TUPLE_LEN(bases); i++) {
            Type *bm = TYPE_OF(TUPLE_ITEMS(bases)[i]);
            if (type_is_subtype(winner, bm)) continue;
            if (type_is_subtype(bm, winner)) { winner = bm; continue; }
            decref(bases);
            decref(rest_names); decref(rest_vals);
            return err_format(&Exc_TypeError, "metaclass conflict: the metaclass of a derived class must be a (non-strict) subclass of the metaclasses of all its bases");
        }
        meta = OBJ_VAL(winner);
    }
    Value ns;
    Value prep = obj_getattr_opt(meta, NM.__prepare__);
    if (prep) {
        Value pargs[2] = { name, bases };
        ns = obj_call(prep, pargs, 2, VNULL);
        decref(prep);
    } else {
        ns = err_occurred() ? VNULL : dict_new();
    }
    if (!ns) goto fail_kw;
    {
        Value cell = vm_run_class_body(func, ns);
        if (!cell) { decref(ns); goto fail_kw; }
        Value margs[3 + 16];
        if (nrest > 16) { decref(cell); decref(ns); err_format(&Exc_TypeError, "too many class keywords"); goto fail_kw; }
        margs[0] = name; margs[1] = bases; margs[2] = ns;
        for (size_t i = 0; i < nrest; i++) margs[3 + i] = TUPLE_ITEMS(rest_vals)[i];
        Value cls = obj_call(meta, margs, 3, nrest ? rest_names : VNULL);
        if (cls && IS_TYPE(cell, &CellType) && IS_OBJ(cls) && obj_isinstance_type(cls, &TypeType)) {
            CellObj *c = AS_CELL(cell);
            if (!c->ref) c->ref = incref(cls);
        }
        decref(cell);
        decref(ns);
        decref(bases);
        decref(rest_names); decref(rest_vals);
        return cls;
    }
fail_kw:
    decref(bases);
    decref(rest_names); decref(rest_vals);
    return VNULL;
}

/* ======================================================================================
 * None, NotImplemented, Ellipsis
 * ====================================================================================== */
static Value none_repr(Value self) { (void)self; return str_from_cstr("None"); }
static int none_truth(Value self) { (void)self; return 0; }
static Value notimpl_repr(Value self) { (void)self; return str_from_cstr("NotImplemented"); }
static Value ellipsis_repr(Value self) { (void)self; return str_from_cstr("Ellipsis"); }

static Value none_new_tp(Type *t, Value *a, size_t n, Value k) {
    (void)t; (void)a;
    if (n || (k && TUPLE_LEN(k))) return err_format(&Exc_TypeError, "NoneType takes no arguments");
    return none_new();
}

Type NoneType = { STATIC_TYPE_HEAD, .name = "NoneType", .size = sizeof(Obj),
    .repr = none_repr, .truth = none_truth, .tp_new = none_new_tp };
Type NotImplementedType = { STATIC_TYPE_HEAD, .name = "NotImplementedType", .size = sizeof(Obj),
    .repr = notimpl_repr };
Type EllipsisType = { STATIC_TYPE_HEAD, .name = "ellipsis", .size = sizeof(Obj), .repr = ellipsis_repr };

Obj NoneObj = { IMMORTAL_RC, &NoneType };
Obj NotImplementedObj = { IMMORTAL_RC, &NotImplementedType };
Obj EllipsisObj = { IMMORTAL_RC, &EllipsisType };

/* ======================================================================================
 * property, staticmethod, classmethod
 * ====================================================================================== */
static void property_dealloc(Obj *o) {
    PropertyObj *p = (PropertyObj *)o;
    clearref(&p->fget); clearref(&p->fset); clearref(&p->fdel); clearref(&p->doc); clearref(&p->name);
}
static void property_traverse(Obj *o, VisitFn visit, void *arg) {
    PropertyObj *p = (PropertyObj *)o;
    visit(p->fget, arg); visit(p->fset, arg); visit(p->fdel, arg); visit(p->doc, arg); visit(p->name, arg);
}

static Value property_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = { "fget", "fset", "fdel", "doc", NULL };
    Value a[4];
    if (args_parse("property", args, nargs, kwnames, names, 0, a) < 0) return VNULL;
    PropertyObj *p = (PropertyObj *)gc_alloc(t, t->size);
    if (!p) return VNULL;
    for (int i = 0; i < 4; i++) if (a[i] && IS_NONE(a[i])) a[i] = VNULL;
    p->fget = incref(a[0]); p->fset = incref(a[1]); p->fdel = incref(a[2]);
    if (a[3]) p->doc = incref(a[3]);
    else if (a[0]) p->doc = obj_getattr_opt(a[0], NM.__doc__);
    if (err_occurred()) err_clear();
    return OBJ_VAL(p);
}

static Value property_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args; (void)nargs; (void)kwnames;
    return none_new();
}

static Value property_get(Value self, Value obj, Value type) {
    (void)type;
    PropertyObj *p = (PropertyObj *)AS_OBJ(self);
    if (!obj) return incref(self);
    if (!p->fget) {
        if (p->name) return err_format(&Exc_AttributeError, "property '%S' of '%S' object has no getter", p->name, TYPE_OF(obj)->qualname);
        return err_format(&Exc_AttributeError, "property of '%S' object has no getter", TYPE_OF(obj)->qualname);
    }
    return obj_call1(p->fget, obj);
}

static int property_set(Value self, Value obj, Value v) {
    PropertyObj *p = (PropertyObj *)AS_OBJ(self);
    Value f = v ? p->fset : p->fdel;
    if (!f) {
        /* CPython 3.11's words; the name is known once __set_name__ ran (a class body) */
        if (p->name)
            err_format(&Exc_AttributeError, "property '%S' of '%S' object has no %s", p->name, TYPE_OF(obj)->qualname, v ? "setter" : "deleter");
        else
            err_format(&Exc_AttributeError, "property of '%S' object has no %s", TYPE_OF(obj)->qualname, v ? "setter" : "deleter");
        return -1;
    }
    Value r = v ? obj_call2(f, obj, v) : obj_call1(f, obj);
    if (!r) return -1;
    decref(r);
    return 0;
}

static Value property_copy(Value self, int which, Value f) {
    PropertyObj *p = (PropertyObj *)AS_OBJ(self);
    PropertyObj *n = (PropertyObj *)gc_alloc(TYPE_OF(self), TYPE_OF(self)->size);
    if (!n) return VNULL;
    n->fget = incref(which == 0 ? f : p->fget);
    n->fset = incref(which == 1 ? f : p->fset);
    n->fdel = incref(which == 2 ? f : p->fdel);
    n->doc = incref(p->doc);
    n->name = incref(p->name);
    if (IS_NONE(f)) { Value *slots[] = { &n->fget, &n->fset, &n->fdel }; clearref(slots[which]); }
    return OBJ_VAL(n);
}

static Value property_getter(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("getter", kw) || args_count("getter", nargs, 1, 1)) return VNULL;
    return property_copy(self, 0, args[0]);
}
static Value property_setter(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("setter", kw) || args_count("setter", nargs, 1, 1)) return VNULL;
    return property_copy(self, 1, args[0]);
}
static Value property_deleter(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("deleter", kw) || args_count("deleter", nargs, 1, 1)) return VNULL;
    return property_copy(self, 2, args[0]);
}
static Value property_set_name(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("__set_name__", kw) || args_count("__set_name__", nargs, 2, 2)) return VNULL;
    setref(&((PropertyObj *)AS_OBJ(self))->name, incref(args[1]));
    return none_new();
}
static Value property_fget(Value self) { Value f = ((PropertyObj *)AS_OBJ(self))->fget; return incref(f ? f : None); }
static Value property_fset(Value self) { Value f = ((PropertyObj *)AS_OBJ(self))->fset; return incref(f ? f : None); }
static Value property_fdel(Value self) { Value f = ((PropertyObj *)AS_OBJ(self))->fdel; return incref(f ? f : None); }
static Value property_doc(Value self) { Value f = ((PropertyObj *)AS_OBJ(self))->doc; return incref(f ? f : None); }
static Value property_isabstract(Value self) {
    PropertyObj *p = (PropertyObj *)AS_OBJ(self);
    Value fs[3] = { p->fget, p->fset, p->fdel };
    for (int i = 0; i < 3; i++) {
        if (!fs[i]) continue;
        Value a = obj_getattr_opt(fs[i], NM.__isabstractmethod__);
        if (!a) { if (err_occurred()) return VNULL; continue; }
        int t = obj_truth(a);
        decref(a);
        if (t) return t < 0 ? VNULL : bool_new(1);
    }
    return bool_new(0);
}

static const MethodDef property_methods[] = {
    { "getter", property_getter, 0 }, { "setter", property_setter, 0 },
    { "deleter", property_deleter, 0 }, { "__set_name__", property_set_name, 0 },
    { NULL, NULL, 0 }
};
static const GetSetDef property_getsets[] = {
    { "fget", property_fget, NULL }, { "fset", property_fset, NULL },
    { "fdel", property_fdel, NULL }, { "__doc__", property_doc, NULL },
    { "__isabstractmethod__", property_isabstract, NULL },
    { NULL, NULL, NULL }
};

Type PropertyType = {
    STATIC_TYPE_HEAD, .name = "property", .flags = TF_GC | TF_BASETYPE, .size = sizeof(PropertyObj),
    .tp_new = property_tp_new, .tp_init = property_init, .dealloc = property_dealloc,
    .traverse = property_traverse, .descr_get = property_get, .descr_set = property_set,
};

static void sm_dealloc(Obj *o) { clearref(&((StaticMethodObj *)o)->callable); clearref(&((StaticMethodObj *)o)->dict); }
static void sm_traverse(Obj *o, VisitFn visit, void *arg) {
    visit(((StaticMethodObj *)o)->callable, arg);
    visit(((StaticMethodObj *)o)->dict, arg);
}

static Value sm_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (args_no_kw(t->name, kwnames) || args_count(t->name, nargs, 1, 1)) return VNULL;
    StaticMethodObj *s = (StaticMethodObj *)gc_alloc(t, t->size);
    if (!s) return VNULL;
    s->callable = incref(args[0]);
    return OBJ_VAL(s);
}
static Value sm_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args; (void)nargs; (void)kwnames;
    return none_new();
}
static Value sm_get(Value self, Value obj, Value type) {
    (void)obj; (void)type;
    return incref(((StaticMethodObj *)AS_OBJ(self))->callable);
}
static Value sm_call(Value self, Value *args, size_t nargs, Value kwnames) {
    return obj_call(((StaticMethodObj *)AS_OBJ(self))->callable, args, nargs, kwnames);
}
static Value cm_get(Value self, Value obj, Value type) {
    if (!type) type = OBJ_VAL(TYPE_OF(obj));
    Value f = ((StaticMethodObj *)AS_OBJ(self))->callable;
    /* CPython 3.9-3.12 chain to the wrapped object's __get__: classmethod(property(...)) */
    Value (*get)(Value, Value, Value) = f && IS_OBJ(f) ? TYPE_OF(f)->descr_get : NULL;
    if (get && !IS_TYPE(f, &FunctionType)) return get(f, type, type);
    return method_new(f, type);
}
/* CPython 3.10+: <staticmethod(<function f at 0x...>)> */
static Value sm_repr(Value self) {
    Value f = ((StaticMethodObj *)AS_OBJ(self))->callable;
    const char *kind = obj_isinstance_type(self, &ClassMethodType) ? "classmethod" : "staticmethod";
    if (!f) return str_from_fmt("<%s object>", kind);
    return str_from_fmt("<%s(%R)>", kind, f);
}

static Value sm_func(Value self) { return incref(((StaticMethodObj *)AS_OBJ(self))->callable); }
static Value sm_isabstract(Value self) { (void)self; return bool_new(0); }
static const GetSetDef sm_getsets[] = {
    { "__func__", sm_func, NULL }, { "__wrapped__", sm_func, NULL },
    { "__isabstractmethod__", sm_isabstract, NULL }, { NULL, NULL, NULL }
};

Type StaticMethodType = {
    STATIC_TYPE_HEAD, .name = "staticmethod", .flags = TF_GC | TF_BASETYPE, .size = sizeof(StaticMethodObj),
    .tp_new = sm_tp_new, .tp_init = sm_init, .dealloc = sm_dealloc, .traverse = sm_traverse,
    .descr_get = sm_get, .call = sm_call, .repr = sm_repr, .dict_offset = offsetof(StaticMethodObj, dict),
};
Type ClassMethodType = {
    STATIC_TYPE_HEAD, .name = "classmethod", .flags = TF_GC | TF_BASETYPE, .size = sizeof(StaticMethodObj),
    .tp_new = sm_tp_new, .tp_init = sm_init, .dealloc = sm_dealloc, .traverse = sm_traverse,
    .descr_get = cm_get, .repr = sm_repr, .dict_offset = offsetof(StaticMethodObj, dict),
};

/* ======================================================================================
 * super
 * ====================================================================================== */
Value super_new(Type *type, Value obj) {
    SuperObj *s = (SuperObj *)gc_alloc(&SuperType, sizeof *s);
    if (!s) return VNULL;
    s->type = type;
    incref(OBJ_VAL(type));
    s->obj = incref(obj);
    if (IS_OBJ(obj) && obj_isinstance_type(obj, &TypeType) && type_is_subtype((Type *)AS_OBJ(obj), type))
        s->obj_type = (Type *)AS_OBJ(obj);
    else if (obj_isinstance_type(obj, type))
        s->obj_type = TYPE_OF(obj);
    else {
        decref(OBJ_VAL(s));
        return err_format(&Exc_TypeError, "super(type, obj): obj must be an instance or subtype of type");
    }
    incref(OBJ_VAL(s->obj_type));
    return OBJ_VAL(s);
}

static void super_dealloc(Obj *o) {
    SuperObj *s = (SuperObj *)o;
    decref(OBJ_VAL(s->type));
    decref(s->obj);
    if (s->obj_type) decref(OBJ_VAL(s->obj_type));
}
static void super_traverse(Obj *o, VisitFn visit, void *arg) {
    SuperObj *s = (SuperObj *)o;
    visit(OBJ_VAL(s->type), arg);
    visit(s->obj, arg);
    if (s->obj_type) visit(OBJ_VAL(s->obj_type), arg);
}

/* super() with no arguments: the enclosing method's class (the __class__
 * cell) and its first argument, read from the calling frame. */
static Value super_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (args_no_kw("super", kwnames)) return VNULL;
    if (nargs == 2) {
        if (!IS_OBJ(args[0]) || !obj_isinstance_type(args[0], &TypeType))
            return err_format(&Exc_TypeError, "super() argument 1 must be a type, not %s", obj_type_name(args[0]));
        return super_new((Type *)AS_OBJ(args[0]), args[1]);
    }
    if (nargs != 0) return err_format(&Exc_TypeError, "super() takes 0 or 2 arguments");
    Frame *f = vm.frame;
    if (!f) return err_format(&Exc_RuntimeError, "super(): no current frame");
    CodeObj *co = f->code;
    if (co->argcount == 0)      /* as CPython: `def m(*args)` has no first argument either */
        return err_format(&Exc_RuntimeError, "super(): no arguments");
    Value first = f->slots[0];
    /* If the first argument was moved into a cell, read it from there. */
    if (co->cell2arg) {
        for (int i = 0; i < co->ncells; i++) {
            if (co->cell2arg[i] == 0) {
                Value cell = f->slots[co->nlocals + i];
                first = cell ? AS_CELL(cell)->ref : VNULL;
            }
        }
    }
    if (!first) return err_format(&Exc_RuntimeError, "super(): arg[0] deleted");
    Value cls = VNULL;
    for (int i = 0; i < co->nfrees; i++) {
        if (str_eq_cstr(TUPLE_ITEMS(co->freevars)[i], "__class__")) {
            Value cell = f->slots[co->nlocals + co->ncells + i];
            cls = cell ? AS_CELL(cell)->ref : VNULL;
            if (!cls) return err_format(&Exc_RuntimeError, "super(): empty __class__ cell");
        }
    }
    if (!cls) return err_format(&Exc_RuntimeError, "super(): __class__ cell not found");
    if (!IS_OBJ(cls) || !obj_isinstance_type(cls, &TypeType))
        return err_format(&Exc_RuntimeError, "super(): __class__ is not a type (%s)", obj_type_name(cls));
    return super_new((Type *)AS_OBJ(cls), first);
}

static Value super_getattr(Value self, Value name) {
    SuperObj *s = (SuperObj *)AS_OBJ(self);
    if (!str_eq_cstr(name, "__class__") && s->obj_type) {
        Value mro = s->obj_type->mro;
        size_t n = TUPLE_LEN(mro), i = 0;
        while (i < n && TUPLE_ITEMS(mro)[i] != OBJ_VAL(s->type)) i++;
        for (i++; i < n; i++) {
            Type *k = (Type *)AS_OBJ(TUPLE_ITEMS(mro)[i]);
            Value v = dict_get(k->dict, name);
            if (!v) continue;
            Value (*get)(Value, Value, Value) = TYPE_OF(v)->descr_get;
            if (!get) return incref(v);
            /* Bound to obj, except when obj is the class itself (classmethods, __new__). */
            Value inst = s->obj == OBJ_VAL(s->obj_type) ? VNULL : s->obj;
            return get(v, inst, OBJ_VAL(s->obj_type));
        }
    }
    return obj_generic_getattr(self, name);
}

static Value super_repr(Value self) {
    SuperObj *s = (SuperObj *)AS_OBJ(self);
    return str_from_fmt("<super: <class '%s'>, <%s object>>", s->type->name, s->obj_type ? s->obj_type->name : "NULL");
}

Type SuperType = {
    STATIC_TYPE_HEAD, .name = "super", .flags = TF_GC | TF_BASETYPE, .size = sizeof(SuperObj),
    .tp_new = super_tp_new, .dealloc = super_dealloc, .traverse = super_traverse,
    .getattr = super_getattr, .repr = super_repr,
};

/* ======================================================================================
 * Start-up
 * ====================================================================================== */
void type_init_types(void) {
    ObjectType.dealloc = NULL;
    type_add_methods(&ObjectType, object_methods);
    type_add_getsets(&ObjectType, object_getsets);
    type_ready(&ObjectType);
    type_add_methods(&TypeType, type_methods);
    type_add_getsets(&TypeType, type_getsets);
    type_ready(&TypeType);
    Type *simple[] = { &NoneType, &NotImplementedType, &EllipsisType, &SlotWrapperType,
                       &GetSetType, &SuperType };
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++) type_ready(simple[i]);
    type_add_methods(&PropertyType, property_methods);
    type_add_getsets(&PropertyType, property_getsets);
    type_ready(&PropertyType);
    type_add_getsets(&StaticMethodType, sm_getsets);
    type_ready(&StaticMethodType);
    type_add_getsets(&ClassMethodType, sm_getsets);
    type_ready(&ClassMethodType);
}

