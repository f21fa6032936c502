/* obj_tuple.c — the tuple type and its iterator.
 *
 * Owns: TupleObj (a fixed array of owned Values), the shared empty tuple,
 * CPython 3.11's xxHash-based tuple hash (so hash((1, 2)) matches python3),
 * and TupleIterType.
 * Must not touch: the layout of anything but TupleObj; list internals.
 *
 * A tuple is immutable once its constructor returns, so its hash is cached
 * in `hash` (-1 = not computed yet). tuple_new() hands out a tuple whose
 * items are VNULL: the caller must fill every slot before the tuple escapes.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "ast.h"
#include "containers.h"

/* The one empty tuple, made on first use and never released: a heap
 * object like any other (the collector reads a header in front of every
 * object it visits, which a static object would not have). */
static Value empty_tuple;

/* ===== construction ================================================================ */

static Value tuple_alloc(Type *t, size_t n) {
    size_t base = offsetof(TupleObj, items);
    if (n > (SIZE_MAX - base) / sizeof(Value) || n > (size_t)INTPTR_MAX / sizeof(Value))
        return err_no_memory();
    /* a subclass's __dict__ slot, if any, follows the items (type.c) */
    TupleObj *tp = (TupleObj *)gc_alloc(t, type_varsize_alloc(t, base + n * sizeof(Value)));
    if (!tp) return VNULL;
    tp->len = n;
    tp->hash = -1;
    return OBJ_VAL(tp);
}

Value tuple_empty(void) {
    if (!empty_tuple) {
        empty_tuple = tuple_alloc(&TupleType, 0);
        if (!empty_tuple) return VNULL;
    }
    return incref(empty_tuple);
}

Value tuple_new(size_t n) {
    if (n == 0) return tuple_empty();
    return tuple_alloc(&TupleType, n);
}

Value tuple_from_array(const Value *items, size_t n) {
    Value t = tuple_new(n);
    if (!t) return VNULL;
    for (size_t i = 0; i < n; i++) TUPLE_ITEMS(t)[i] = incref(items[i]);
    return t;
}

Value tuple_pack(size_t n, ...) {
    Value t = tuple_new(n);
    if (!t) return VNULL;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) TUPLE_ITEMS(t)[i] = incref(va_arg(ap, Value));
    va_end(ap);
    return t;
}

/* A new tuple of type t holding the items of `it` (any iterable). */
static Value tuple_of_type_from_iterable(Type *t, Value it) {
    Value list = VNULL;
    const Value *items;
    size_t n;
    if (IS_TYPE(it, &TupleType)) {
        items = TUPLE_ITEMS(it); n = TUPLE_LEN(it);
    } else if (IS_TYPE(it, &ListType)) {
        items = LIST_ITEMS(it); n = LIST_LEN(it);
    } else {
        list = list_from_iterable(it);
        if (!list) return VNULL;
        items = LIST_ITEMS(list); n = LIST_LEN(list);
    }
    Value r = (t == &TupleType) ? tuple_new(n) : tuple_alloc(t, n);
    if (r) for (size_t i = 0; i < n; i++) TUPLE_ITEMS(r)[i] = incref(items[i]);
    decref(list);
    return r;
}

Value tuple_from_iterable(Value it) {
    if (IS_TYPE(it, &TupleType)) return incref(it);
    return tuple_of_type_from_iterable(&TupleType, it);
}

/* tuple(iterable=()) — everything happens in __new__, tuples being immutable. */
static Value tuple_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (t == &TupleType && ctr_no_kw("tuple", kwnames) < 0) return VNULL;
    if (ctr_nargs("tuple", nargs, 0, 1) < 0) return VNULL;
    if (nargs == 0) return t == &TupleType ? tuple_empty() : tuple_alloc(t, 0);
    if (t == &TupleType) return tuple_from_iterable(args[0]);
    return tuple_of_type_from_iterable(t, args[0]);
}

/* ===== life cycle ================================================================== */

static void tuple_dealloc(Obj *o) {
    TupleObj *t = (TupleObj *)o;
    for (size_t i = 0; i < t->len; i++) clearref(&t->items[i]);
}

static void tuple_traverse(Obj *o, VisitFn visit, void *arg) {
    TupleObj *t = (TupleObj *)o;
    for (size_t i = 0; i < t->len; i++)
        if (t->items[i]) visit(t->items[i], arg);
}

static void tuple_clear(Obj *o) {
    TupleObj *t = (TupleObj *)o;
    for (size_t i = 0; i < t->len; i++) clearref(&t->items[i]);
}

/* ===== protocols =================================================================== */

static Value tuple_repr(Value self) {
    size_t n = TUPLE_LEN(self);
    if (n == 0) return str_from_cstr("()");
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_cstr("(...)");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '(');
    for (size_t i = 0; i < n; i++) {
        if (i > 0) sb_adds(&b, ", ");
        if (sb_add_value_repr(&b, TUPLE_ITEMS(self)[i]) < 0) {
            sb_free(&b);
            repr_leave(self);
            return VNULL;
        }
    }
    if (n == 1) sb_addc(&b, ',');
    sb_addc(&b, ')');
    repr_leave(self);
    return sb_finish(&b);
}

/* CPython 3.11's tuplehash (xxHash's mixing, 64-bit primes). */
#define XXPRIME_1 ((uint64_t)11400714785074694791ULL)
#define XXPRIME_2 ((uint64_t)14029467366897019727ULL)
#define XXPRIME_5 ((uint64_t)2870177450012600261ULL)
#define XXROTATE(x) (((x) << 31) | ((x) >> 33))

int64_t tuple_hash_array(const Value *items, size_t n) {
    uint64_t acc = XXPRIME_5;
    for (size_t i = 0; i < n; i++) {
        int64_t h = obj_hash(items[i]);
        if (h == -1) return -1;
        acc += (uint64_t)h * XXPRIME_2;
        acc = XXROTATE(acc);
        acc *= XXPRIME_1;
    }
    /* the length, mangled to keep hash(()) at its historical value */
    acc += (uint64_t)n ^ (XXPRIME_5 ^ 3527539UL);
    if (acc == (uint64_t)-1) return 1546275796;
    return (int64_t)acc;
}

static int64_t tuple_hash(Value self) {
    TupleObj *t = AS_TUPLE(self);
    if (t->hash != -1) return t->hash;
    int64_t h = tuple_hash_array(t->items, t->len);
    if (h != -1) t->hash = h;
    return h;
}

static intptr_t tuple_len(Value self) { return (intptr_t)TUPLE_LEN(self); }

static bool is_tuple(Value v) { return obj_isinstance_type(v, &TupleType); }

/* Lexicographic comparison, CPython's way: find the first pair that is not
 * ==, then compare that pair with `op`; if none, compare the lengths. */
static Value tuple_richcmp(Value a, Value b, RichCmpOp op) {
    if (!is_tuple(a) || !is_tuple(b)) return incref(NotImplemented);
    size_t na = TUPLE_LEN(a), nb = TUPLE_LEN(b), i;
    for (i = 0; i < na && i < nb; i++) {
        int k = obj_eq(TUPLE_ITEMS(a)[i], TUPLE_ITEMS(b)[i]);
        if (k < 0) return VNULL;
        if (!k) break;
    }
    if (i >= na || i >= nb) {
        bool r;
        switch (op) {
        case RC_LT: r = na < nb; break;
        case RC_LE: r = na <= nb; break;
        case RC_EQ: r = na == nb; break;
        case RC_NE: r = na != nb; break;
        case RC_GT: r = na > nb; break;
        default:    r = na >= nb; break;
        }
        return bool_new(r);
    }
    if (op == RC_EQ) return bool_new(0);
    if (op == RC_NE) return bool_new(1);
    return obj_richcmp(TUPLE_ITEMS(a)[i], TUPLE_ITEMS(b)[i], op);
}

static int tuple_contains(Value self, Value item) {
    for (size_t i = 0; i < TUPLE_LEN(self); i++) {
        int k = obj_eq(TUPLE_ITEMS(self)[i], item);
        if (k != 0) return k;
    }
    return 0;
}

static Value tuple_slice(Value self, intptr_t start, intptr_t step, intptr_t n) {
    if (step == 1 && n == (intptr_t)TUPLE_LEN(self) && IS_TYPE(self, &TupleType))
        return incref(self);
    Value r = tuple_new((size_t)n);
    if (!r) return VNULL;
    for (intptr_t i = 0, j = start; i < n; i++, j += step)
        TUPLE_ITEMS(r)[i] = incref(TUPLE_ITEMS(self)[j]);
    return r;
}

static Value tuple_getitem(Value self, Value key) {
    if (IS_INT(key)) {
        intptr_t i = AS_INT(key), n = (intptr_t)TUPLE_LEN(self);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return err_format(&Exc_IndexError, "tuple index out of range");
        return incref(TUPLE_ITEMS(self)[i]);
    }
    if (IS_TYPE(key, &SliceType)) {
        intptr_t start, stop, step, n;
        if (slice_indices(key, (intptr_t)TUPLE_LEN(self), &start, &stop, &step, &n) < 0)
            return VNULL;
        return tuple_slice(self, start, step, n);
    }
    if (index_check(key)) {
        intptr_t i;
        if (index_normalize(key, (intptr_t)TUPLE_LEN(self), &i, "tuple") < 0) return VNULL;
        return incref(TUPLE_ITEMS(self)[i]);
    }
    return err_format(&Exc_TypeError, "tuple indices must be integers or slices, not %s",
                      obj_type_name(key));
}

static Value tuple_concat(Value a, Value b) {
    size_t na = TUPLE_LEN(a), nb = TUPLE_LEN(b);
    if (nb == 0 && IS_TYPE(a, &TupleType)) return incref(a);
    if (na == 0 && IS_TYPE(b, &TupleType)) return incref(b);
    if (na > SIZE_MAX / 2 || nb > SIZE_MAX / 2) return err_no_memory();
    Value r = tuple_new(na + nb);
    if (!r) return VNULL;
    for (size_t i = 0; i < na; i++) TUPLE_ITEMS(r)[i] = incref(TUPLE_ITEMS(a)[i]);
    for (size_t i = 0; i < nb; i++) TUPLE_ITEMS(r)[na + i] = incref(TUPLE_ITEMS(b)[i]);
    return r;
}

static Value tuple_repeat(Value t, Value count) {
    intptr_t n;
    if (index_as_ssize(count, &n, &Exc_OverflowError) < 0) return VNULL;
    size_t len = TUPLE_LEN(t);
    if (n <= 0 || len == 0) return tuple_empty();
    if (n == 1 && IS_TYPE(t, &TupleType)) return incref(t);
    if ((size_t)n > (size_t)INTPTR_MAX / sizeof(Value) / len) return err_no_memory();
    Value r = tuple_new(len * (size_t)n);
    if (!r) return VNULL;
    Value *dst = TUPLE_ITEMS(r);
    for (intptr_t k = 0; k < n; k++)
        for (size_t i = 0; i < len; i++) *dst++ = incref(TUPLE_ITEMS(t)[i]);
    return r;
}

/* One slot for every binary operator; a or b is a tuple. Like CPython's
 * sq_concat/sq_repeat, it is tried after the other operand's number slot
 * has had its chance, so that __radd__/__rmul__ on the other side win. */
static Value tuple_binop(Value a, Value b, int op) {
    Value other;
    if (op >= BINOP_INPLACE) return incref(NotImplemented);   /* immutable: a = a + b */
    if (op == OP_ADD) {
        if (!is_tuple(a)) return incref(NotImplemented);
        if (is_tuple(b)) return tuple_concat(a, b);
        Value r = other_operand_slot(a, b, op);
        if (r != NotImplemented) return r;
        return err_format(&Exc_TypeError, "can only concatenate tuple (not \"%s\") to tuple",
                          obj_type_name(b));
    }
    if (op == OP_MUL) {
        Value seq = is_tuple(a) ? a : b;
        other = seq == a ? b : a;
        if (index_check(other)) return tuple_repeat(seq, other);
        if (other == b) {
            Value r = other_operand_slot(a, b, op);
            if (r != NotImplemented) return r;
        } else if (seq_repeats(a)) return incref(NotImplemented);   /* a's * names b */
        return err_format(&Exc_TypeError, "can't multiply sequence by non-int of type '%s'",
                          obj_type_name(other));
    }
    return incref(NotImplemented);
}

/* ===== methods ===================================================================== */

static Value tuple_count(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("tuple.count", nargs, kwnames) < 0) return VNULL;
    intptr_t count = 0;
    for (size_t i = 0; i < TUPLE_LEN(self); i++) {
        int k = obj_eq(TUPLE_ITEMS(self)[i], args[0]);
        if (k < 0) return VNULL;
        count += k;
    }
    return MK_INT(count);
}

/* Resolve index()'s optional start/stop like a slice: negative counts from
 * the end, then clamp to [0, len]. Shared shape with list.index. */
static int clamp_bound(Value v, intptr_t len, intptr_t *out) {
    if (index_as_ssize(v, out, NULL) < 0) return -1;
    if (*out < 0) { *out += len; if (*out < 0) *out = 0; }
    if (*out > len) *out = len;
    return 0;
}

static Value tuple_index(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("index", kwnames) < 0 || ctr_nargs("index", nargs, 1, 3) < 0) return VNULL;
    intptr_t len = (intptr_t)TUPLE_LEN(self), start = 0, stop = len;
    if (nargs > 1 && clamp_bound(args[1], len, &start) < 0) return VNULL;
    if (nargs > 2 && clamp_bound(args[2], len, &stop) < 0) return VNULL;
    for (intptr_t i = start; i < stop; i++) {
        int k = obj_eq(TUPLE_ITEMS(self)[i], args[0]);
        if (k < 0) return VNULL;
        if (k) return MK_INT(i);
    }
    return err_format(&Exc_ValueError, "tuple.index(x): x not in tuple");
}

static Value tuple_getnewargs(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("tuple.__getnewargs__", nargs, kwnames) < 0) return VNULL;
    Value copy = tuple_from_array(TUPLE_ITEMS(self), TUPLE_LEN(self));
    if (!copy) return VNULL;
    Value r = tuple_pack(1, copy);
    decref(copy);
    return r;
}

static const MethodDef tuple_methods[] = {
    { "count", tuple_count, METH_DEFAULT },
    { "index", tuple_index, METH_DEFAULT },
    { "__getnewargs__", tuple_getnewargs, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

/* ===== iterator ==================================================================== */

typedef struct { Obj h; Value seq; size_t index; } TupleIterObj;

static Value tuple_iter(Value self) {
    TupleIterObj *it = (TupleIterObj *)gc_alloc(&TupleIterType, sizeof(TupleIterObj));
    if (!it) return VNULL;
    it->seq = incref(self);
    it->index = 0;
    return OBJ_VAL(it);
}

static Value tupleiter_next(Value self) {
    TupleIterObj *it = (TupleIterObj *)AS_OBJ(self);
    if (!it->seq) return VNULL;
    if (it->index < TUPLE_LEN(it->seq)) return incref(TUPLE_ITEMS(it->seq)[it->index++]);
    clearref(&it->seq);   /* exhausted: drop the tuple, like CPython */
    return VNULL;
}

static Value tupleiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    TupleIterObj *it = (TupleIterObj *)AS_OBJ(self);
    if (!it->seq) return MK_INT(0);
    return MK_INT((intptr_t)(TUPLE_LEN(it->seq) - it->index));
}

static void tupleiter_dealloc(Obj *o) { clearref(&((TupleIterObj *)o)->seq); }
static void tupleiter_traverse(Obj *o, VisitFn visit, void *arg) {
    TupleIterObj *it = (TupleIterObj *)o;
    if (it->seq) visit(it->seq, arg);
}

static const MethodDef tupleiter_methods[] = {
    { "__length_hint__", tupleiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== types ======================================================================= */

Type TupleType = {
    STATIC_TYPE_HEAD,
    .name = "tuple",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(TupleObj),
    .tp_new = tuple_tp_new,
    .dealloc = tuple_dealloc,
    .traverse = tuple_traverse,
    .clear = tuple_clear,
    .repr = tuple_repr,
    .hash = tuple_hash,
    .richcmp = tuple_richcmp,
    .len = tuple_len,
    .iter = tuple_iter,
    .getitem = tuple_getitem,
    .contains = tuple_contains,
    .binop = tuple_binop,
};

Type TupleIterType = {
    STATIC_TYPE_HEAD,
    .name = "tuple_iterator",
    .flags = TF_GC,
    .size = sizeof(TupleIterObj),
    .tp_new = ctr_no_new,
    .dealloc = tupleiter_dealloc,
    .traverse = tupleiter_traverse,
    .clear = tupleiter_dealloc,
    .iter = iter_self,
    .iternext = tupleiter_next,
};

void tuple_init_types(void) {
    type_add_methods(&TupleType, tuple_methods);
    type_ready(&TupleType);
    type_add_methods(&TupleIterType, tupleiter_methods);
    type_ready(&TupleIterType);
}
