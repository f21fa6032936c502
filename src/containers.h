/* containers.h — private helpers shared by the container files.
 *
 * Owns: small pieces used by obj_list.c, obj_tuple.c, obj_dict.c, obj_set.c,
 * obj_range.c and obj_iter.c (argument checks with CPython's exact messages,
 * __index__ conversion, a few cross-file entry points such as the sequence
 * iterator that object.c's obj_iter() and the iter() builtin need).
 * Must not touch: object layouts (object.h owns them) or any other file's
 * statics. Nothing here is part of the public API in object.h; other rooms
 * may include this header for the constructors listed under "entry points".
 */
#ifndef APY_CONTAINERS_H
#define APY_CONTAINERS_H

#include "object.h"
#include "vm.h"

/* ===== entry points for other rooms ============================================= */

/* iter(seq) for an object that only has __getitem__ (SeqIterType): yields
 * seq[0], seq[1] … until IndexError or StopIteration. */
Value seqiter_new(Value seq);
/* iter(callable, sentinel) (CallIterType): calls callable() until it
 * returns something equal to sentinel. */
Value calliter_new(Value callable, Value sentinel);
/* reversed(seq): the builtin's logic (used by ReversedType's constructor). */
Value reversed_of(Value seq);

/* list[int]: a types.GenericAlias-like object (obj_iter.c). Every
 * container type lists ctr_class_getitem as its __class_getitem__
 * (METH_CLASS); other rooms may too. */
extern Type GenericAliasType;
Value generic_alias_new(Value origin, Value args);
Value ctr_class_getitem(Value cls, Value *args, size_t nargs, Value kwnames);

/* ===== __index__ ================================================================== */

/* v as an int (new ref): ints and bools as they are, else v.__index__().
 * TypeError "'X' object cannot be interpreted as an integer" if it has none. */
Value index_value(Value v);
/* True if v is an int or has __index__ (no call is made). */
bool  index_check(Value v);
/* index_value(v) as a machine integer. An int that does not fit raises
 * `overflow` ("cannot fit 'int' into an index-sized integer"), or, when
 * `overflow` is NULL, is clamped to INTPTR_MIN/INTPTR_MAX (slice bounds). */
int   index_as_ssize(Value v, intptr_t *out, Type *overflow);

/* ===== cross-file internals ======================================================= */

/* obj_dict.c: like dict_next, also giving the stored hash. */
bool  dict_next_hash(Value d, size_t *pos, Value *key, Value *value, int64_t *hash);
/* obj_dict.c: 1/0/-1 membership with a known hash. */
int   dict_contains_hash(Value d, Value key, int64_t hash);
/* obj_set.c: s |= iterable (s a set or frozenset under construction). */
int   set_update_internal(Value s, Value other);
/* obj_set.c: the frozenset hash of any set (not cached). */
int64_t set_frozen_hash(Value s);
/* obj_set.c */
bool  set_check(Value v);        /* set, frozenset or a subclass */
/* obj_tuple.c: CPython's tuple hash over an array of values. */
int64_t tuple_hash_array(const Value *items, size_t n);

/* Whether v is a sequence that * repeats (CPython's sq_repeat: list, tuple,
 * str, bytes, deque or a subclass). In `x * y` with neither an int, the
 * left one reports "can't multiply sequence by non-int of type 'y'": a
 * sequence reached as the right operand then answers NotImplemented. */
static inline bool seq_repeats(Value v) {
    if (!IS_OBJ(v)) return false;
    Type *t = AS_OBJ(v)->type;
    return t == &ListType || t == &TupleType || t == &StrType || t == &BytesType || t == &DequeType ||
           type_is_subtype(t, &ListType) || type_is_subtype(t, &TupleType) || type_is_subtype(t, &StrType) ||
           type_is_subtype(t, &BytesType) || type_is_subtype(t, &DequeType);
}

/* Sequence + and * with a foreign right operand: give b's own slot its
 * chance before the sequence raises its TypeError (CPython tries both
 * operands' number slots before sq_concat/sq_repeat). Only b: when the
 * foreign operand is a, obj_binop has already called its slot. Returns
 * NotImplemented (uncounted: it is immortal) or the slot's result. */
static inline Value other_operand_slot(Value a, Value b, int op) {
    Value (*slot)(Value, Value, int) = TYPE_OF(b)->binop;
    if (!slot || slot == TYPE_OF(a)->binop) return NotImplemented;
    Value r = slot(a, b, op);
    if (r == NotImplemented) decref(r);
    return r;
}

/* tp_new of types that only C code creates (views, most iterators):
 * "cannot create 'list_iterator' instances", as in CPython. Without it they
 * would inherit object's tp_new and could be made half-built. */
static inline Value ctr_no_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return err_format(&Exc_TypeError, "cannot create '%s' instances", t->name);
}

/* Mark a type unhashable the way CPython does: __hash__ = None in its dict
 * (its hash slot stays NULL, so obj_hash raises "unhashable type"). Call
 * after type_ready. */
/* Two sequences' lengths compared by op: what decides a comparison once
 * every item of the shorter one equals the other's (list, deque). */
static inline bool ctr_cmp_sizes(size_t a, size_t b, RichCmpOp op) {
    switch (op) {
    case RC_LT: return a < b;
    case RC_LE: return a <= b;
    case RC_EQ: return a == b;
    case RC_NE: return a != b;
    case RC_GT: return a > b;
    default:    return a >= b;
    }
}

static inline void ctr_set_hash_none(Type *t) {
    if (t->dict && dict_set(t->dict, str_intern_cstr("__hash__"), None) < 0) err_clear();
}

/* Every iterator's __iter__: return self. */
static inline Value iter_self(Value self) { return incref(self); }

/* ===== argument checks with CPython's messages ==================================== */

/* "list() takes no keyword arguments" */
static inline int ctr_no_kw(const char *name, Value kwnames) {
    if (kwnames && TUPLE_LEN(kwnames) > 0) {
        err_format(&Exc_TypeError, "%s() takes no keyword arguments", name);
        return -1;
    }
    return 0;
}

/* "insert expected 2 arguments, got 1", "pop expected at most 1 argument, got 2" */
static inline int ctr_nargs(const char *name, size_t nargs, size_t min, size_t max) {
    if (nargs < min) {
        err_format(&Exc_TypeError, "%s expected %s%zu argument%s, got %zu", name,
                   min == max ? "" : "at least ", min, min == 1 ? "" : "s", nargs);
        return -1;
    }
    if (nargs > max) {
        err_format(&Exc_TypeError, "%s expected %s%zu argument%s, got %zu", name,
                   min == max ? "" : "at most ", max, max == 1 ? "" : "s", nargs);
        return -1;
    }
    return 0;
}

/* METH_O methods: "list.append() takes exactly one argument (0 given)" */
static inline int ctr_one_arg(const char *qualname, size_t nargs, Value kwnames) {
    if (kwnames && TUPLE_LEN(kwnames) > 0) {
        err_format(&Exc_TypeError, "%s() takes no keyword arguments", qualname);
        return -1;
    }
    if (nargs != 1) {
        err_format(&Exc_TypeError, "%s() takes exactly one argument (%zu given)",
                   qualname, nargs);
        return -1;
    }
    return 0;
}

/* METH_NOARGS methods: "list.copy() takes no arguments (1 given)" */
static inline int ctr_no_args(const char *qualname, size_t nargs, Value kwnames) {
    if (kwnames && TUPLE_LEN(kwnames) > 0) {
        err_format(&Exc_TypeError, "%s() takes no keyword arguments", qualname);
        return -1;
    }
    if (nargs != 0) {
        err_format(&Exc_TypeError, "%s() takes no arguments (%zu given)", qualname, nargs);
        return -1;
    }
    return 0;
}

#endif
