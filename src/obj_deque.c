/* obj_deque.c — collections.deque: a double-ended queue over a ring buffer,
 * its two iterators, and the `_collections` module that exports them.
 *
 * Owns: DequeObj (a growable circular array of Values), every deque method
 * with CPython 3.11's semantics and messages (Modules/_collectionsmodule.c),
 * the mutation counter its iterators check, and collections_module_init.
 * Must not touch: other objects' layouts (lists and tuples are read through
 * object.h's macros only), the VM.
 *
 * The items are buf[head], buf[head+1], … (indices modulo cap, a power of
 * two), len of them; the other slots hold nothing and are never read, so
 * nothing needs clearing when an item leaves. Both ends are O(1) amortized:
 * the buffer doubles when full and halves when three-quarters empty, so a
 * drained queue gives its memory back.
 *
 * `state` counts the mutations CPython's iterators notice (every change of
 * size, a rotation, a clear; not d[i] = x nor reverse()). Iterators, `in`,
 * count, index and remove raise "deque mutated during iteration" when it
 * moved. Any call out (==, repr, a foreign iterator, a subclass's
 * constructor) may run apy code that mutates the deque: loops re-check the
 * state (or re-read len) after each call and hold a reference to the item
 * being compared. Dropping a reference runs no apy code (finalizers wait for
 * a safe point), so decref inside a loop is safe.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

typedef struct {
    Obj h;
    Value *buf;         /* cap slots; NULL while cap == 0 */
    size_t cap;         /* 0 or a power of two */
    size_t head;        /* the slot of the leftmost item */
    size_t len;
    intptr_t maxlen;    /* -1: unbounded */
    uint64_t state;     /* bumped by the mutations iterators must notice */
} DequeObj;

#define AS_DEQUE(v) ((DequeObj *)AS_OBJ(v))
#define MIN_CAP 8
#define SHRINK_ABOVE 32  /* never shrink a buffer this small: not worth the copying */

static Type DequeIterType, DequeRevIterType;

static bool is_deque(Value v) { return obj_isinstance_type(v, &DequeType); }

/* The slot of item i: 0 <= i < len, or i == len for the free slot after the last. */
static inline Value *slot(DequeObj *d, size_t i) { return &d->buf[(d->head + i) & (d->cap - 1)]; }

/* "deque mutated during iteration" (a RuntimeError, but remove() says IndexError). */
static Value mutated(Type *t) { return err_format(t, "deque mutated during iteration"); }

/* ===== the ring buffer ================================================================ */

/* Move the items into a new buffer of newcap slots (a power of two >= len),
 * leftmost first. */
static int resize(DequeObj *d, size_t newcap) {
    Value *nb = gc_malloc(newcap * sizeof(Value));
    if (!nb) return -1;
    if (d->len) {
        size_t first = d->cap - d->head;        /* the items before the wrap */
        if (first > d->len) first = d->len;
        memcpy(nb, d->buf + d->head, first * sizeof(Value));
        memcpy(nb + first, d->buf, (d->len - first) * sizeof(Value));
    }
    if (d->buf) gc_free(d->buf);
    d->buf = nb;
    d->cap = newcap;
    d->head = 0;
    return 0;
}

/* Room for at least `need` items. */
static int reserve(DequeObj *d, size_t need) {
    if (need <= d->cap) return 0;
    size_t cap = d->cap ? d->cap : MIN_CAP;
    while (cap < need) {
        if (cap > (size_t)INTPTR_MAX / sizeof(Value) / 2) return err_no_memory(), -1;
        cap *= 2;
    }
    return resize(d, cap);
}

/* Give memory back once the deque is down to a quarter of its buffer: the
 * halved buffer is then half full, so growing and shrinking cannot chase
 * each other, and the copying is paid for by the removals before it. */
static void maybe_shrink(DequeObj *d) {
    if (d->cap <= SHRINK_ABOVE || d->len >= d->cap / 4) return;
    if (resize(d, d->cap / 2) < 0) err_clear();    /* keeping the bigger buffer is fine */
}

/* The raw moves at the ends: no capacity check, no state change. */
static inline void put_right(DequeObj *d, Value v) { *slot(d, d->len) = v; d->len++; }
static inline void put_left(DequeObj *d, Value v) {
    d->head = (d->head - 1) & (d->cap - 1);
    d->buf[d->head] = v;
    d->len++;
}
static inline Value take_right(DequeObj *d) { d->len--; return *slot(d, d->len); }
static inline Value take_left(DequeObj *d) {
    Value v = d->buf[d->head];
    d->head = (d->head + 1) & (d->cap - 1);
    d->len--;
    return v;
}

/* Add v (stolen) at one end. A full bounded deque first lets go of the item
 * at the other end (CPython's deque_append_internal); maxlen=0 keeps nothing. */
static int push(DequeObj *d, Value v, bool left) {
    if (d->maxlen >= 0 && d->len >= (size_t)d->maxlen) {
        d->state++;
        if (d->len == 0) { decref(v); return 0; }
        Value old = left ? take_right(d) : take_left(d);
        if (left) put_left(d, v); else put_right(d, v);
        decref(old);
        return 0;
    }
    if (d->len == d->cap && reserve(d, d->len + 1) < 0) { decref(v); return -1; }
    if (left) put_left(d, v); else put_right(d, v);
    d->state++;
    return 0;
}

/* Open a gap at position i (0 <= i <= len < cap) by moving the shorter side
 * out of the way; the caller fills slot i at once. */
static void open_gap(DequeObj *d, size_t i) {
    if (i < d->len - i) {
        d->head = (d->head - 1) & (d->cap - 1);
        d->len++;
        for (size_t k = 0; k < i; k++) *slot(d, k) = *slot(d, k + 1);
    } else {
        d->len++;
        for (size_t k = d->len - 1; k > i; k--) *slot(d, k) = *slot(d, k - 1);
    }
}

/* Take item i (0 <= i < len) out, closing the gap from the shorter side. */
static Value take_at(DequeObj *d, size_t i) {
    Value v = *slot(d, i);
    if (i < d->len - 1 - i) {
        for (size_t k = i; k > 0; k--) *slot(d, k) = *slot(d, k - 1);
        d->head = (d->head + 1) & (d->cap - 1);
    } else {
        for (size_t k = i; k + 1 < d->len; k++) *slot(d, k) = *slot(d, k + 1);
    }
    d->len--;
    return v;
}

/* Drop every item. The deque is emptied first, then the old items are
 * released, so nothing can observe a half-cleared deque. */
static void clear_items(DequeObj *d) {
    Value *buf = d->buf;
    size_t mask = d->cap - 1, head = d->head, n = d->len;
    if (!buf) return;
    if (n) d->state++;
    d->buf = NULL;
    d->cap = d->head = d->len = 0;
    for (size_t i = 0; i < n; i++) decref(buf[(head + i) & mask]);
    gc_free(buf);
}

/* Rotate n steps to the right (left if negative), the shorter way round. */
static void rotate(DequeObj *d, intptr_t n) {
    intptr_t len = (intptr_t)d->len, halflen = len >> 1;
    if (len <= 1) return;
    if (n > halflen || n < -halflen) {
        n %= len;
        if (n > halflen) n -= len;
        else if (n < -halflen) n += len;
    }
    d->state++;                     /* even for n == 0, as CPython's */
    size_t mask = d->cap - 1;
    if (d->len == d->cap) {         /* a full ring: only its start moves */
        d->head = (d->head - (size_t)n) & mask;
        return;
    }
    for (; n > 0; n--) {            /* the last item becomes the first */
        d->head = (d->head - 1) & mask;
        d->buf[d->head] = d->buf[(d->head + d->len) & mask];
    }
    for (; n < 0; n++) {            /* the first item becomes the last */
        d->buf[(d->head + d->len) & mask] = d->buf[d->head];
        d->head = (d->head + 1) & mask;
    }
}

/* ===== extend ========================================================================== */

/* Add the items of `iterable` at one end (extendleft reverses them).
 * CPython always goes through the iterator; exact lists, tuples and deques
 * are read directly here, which is the same: adding runs no apy code, so
 * they cannot change meanwhile (their length is re-read anyway). */
static int deque_extend(Value self, Value iterable, bool left) {
    DequeObj *d = AS_DEQUE(self);
    if (iterable == self) {             /* d.extend(d): from a snapshot */
        Value copy = list_from_iterable(self);
        if (!copy) return -1;
        int r = deque_extend(self, copy, left);
        decref(copy);
        return r;
    }
    if (d->maxlen != 0) {
        if (IS_TYPE(iterable, &ListType) || IS_TYPE(iterable, &TupleType)) {
            bool is_list = IS_TYPE(iterable, &ListType);
            size_t n = is_list ? LIST_LEN(iterable) : TUPLE_LEN(iterable);
            if (d->maxlen < 0 && reserve(d, d->len + n) < 0) return -1;
            for (size_t i = 0; i < (is_list ? LIST_LEN(iterable) : TUPLE_LEN(iterable)); i++) {
                Value x = is_list ? LIST_ITEMS(iterable)[i] : TUPLE_ITEMS(iterable)[i];
                if (push(d, incref(x), left) < 0) return -1;
            }
            return 0;
        }
        if (IS_TYPE(iterable, &DequeType)) {
            DequeObj *s = AS_DEQUE(iterable);
            if (d->maxlen < 0 && reserve(d, d->len + s->len) < 0) return -1;
            for (size_t i = 0; i < s->len; i++)
                if (push(d, incref(*slot(s, i)), left) < 0) return -1;
            return 0;
        }
    }
    Value it = obj_iter(iterable);
    if (!it) return -1;
    int r = 0;
    for (;;) {
        Value x = obj_next(it);
        if (!x) { if (err_occurred()) r = -1; break; }
        /* maxlen=0: CPython only consumes the iterator (no state change) */
        if (d->maxlen == 0) { decref(x); continue; }
        if (push(d, x, left) < 0) { r = -1; break; }
    }
    decref(it);
    return r;
}

/* ===== life cycle ====================================================================== */

static Value deque_alloc(Type *t) {
    DequeObj *d = (DequeObj *)gc_alloc(t, t->size > sizeof(DequeObj) ? t->size : sizeof(DequeObj));
    if (!d) return VNULL;
    d->maxlen = -1;
    return OBJ_VAL(d);
}

/* deque.__new__ ignores its arguments (a subclass's __init__ may take others). */
static Value deque_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return deque_alloc(t);
}

/* deque(iterable=(), maxlen=None); on an existing deque: clear, then extend. */
static Value deque_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = { "iterable", "maxlen", NULL };
    Value a[2];
    if (args_parse("deque", args, nargs, kwnames, names, 0, a) < 0) return VNULL;
    intptr_t maxlen = -1;
    if (a[1] && !IS_NONE(a[1])) {
        /* PyLong_AsSsize_t: a real int (no __index__), else this message */
        if (!int_check(a[1])) return err_format(&Exc_TypeError, "an integer is required");
        if (int_as_ssize(a[1], &maxlen) < 0) return VNULL;
        if (maxlen < 0) return err_format(&Exc_ValueError, "maxlen must be non-negative");
    }
    DequeObj *d = AS_DEQUE(self);
    d->maxlen = maxlen;
    if (d->len > 0) clear_items(d);
    if (a[0] && deque_extend(self, a[0], false) < 0) return VNULL;
    return none_new();
}

static void deque_dealloc(Obj *o) { clear_items((DequeObj *)o); }

static void deque_traverse(Obj *o, VisitFn visit, void *arg) {
    DequeObj *d = (DequeObj *)o;
    for (size_t i = 0; i < d->len; i++) visit(*slot(d, i), arg);
}

/* ===== the protocols ==================================================================== */

static intptr_t deque_len(Value self) { return (intptr_t)AS_DEQUE(self)->len; }

/* The short name CPython's repr uses (_PyType_Name: after the last dot). */
static const char *short_type_name(Type *t) {
    const char *dot = strrchr(t->name, '.');
    return dot ? dot + 1 : t->name;
}

static Value deque_repr(Value self) {
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_cstr("[...]");
    Value items = list_from_iterable(self);     /* a subclass's __iter__ too, as PySequence_List */
    if (!items) { repr_leave(self); return VNULL; }
    StrBuf b;
    sb_init(&b);
    sb_adds(&b, short_type_name(TYPE_OF(self)));
    sb_addc(&b, '(');
    int ok = sb_add_value_repr(&b, items);
    intptr_t maxlen = AS_DEQUE(self)->maxlen;
    if (maxlen >= 0) sb_addf(&b, ", maxlen=%zd", maxlen);
    sb_addc(&b, ')');
    repr_leave(self);
    decref(items);
    if (ok < 0) { sb_free(&b); return VNULL; }
    return sb_finish(&b);
}

/* Like sequences: the first items that differ decide, else the lengths.
 * Through the iterators, as CPython's, so a deque mutated by an __eq__
 * raises, and a subclass's __iter__ is honoured. */
static Value deque_richcmp(Value v, Value w, RichCmpOp op) {
    if (!is_deque(v) || !is_deque(w)) return incref(NotImplemented);
    size_t vs = AS_DEQUE(v)->len, ws = AS_DEQUE(w)->len;
    if (op == RC_EQ || op == RC_NE) {
        if (v == w) return bool_new(op == RC_EQ);
        if (vs != ws) return bool_new(op == RC_NE);
    }
    Value it1 = obj_iter(v);
    if (!it1) return VNULL;
    Value it2 = obj_iter(w);
    if (!it2) { decref(it1); return VNULL; }
    Value result = VNULL;
    for (;;) {
        Value x = obj_next(it1);
        if (!x && err_occurred()) break;
        Value y = obj_next(it2);
        if (!x || !y) {
            decref(x);
            decref(y);
            if (!err_occurred()) result = bool_new(ctr_cmp_sizes(vs, ws, op));
            break;
        }
        int k = obj_eq(x, y);
        if (k == 0) result = obj_richcmp(x, y, op);
        decref(x);
        decref(y);
        if (k <= 0) break;
    }
    decref(it1);
    decref(it2);
    return result;
}

static int deque_contains(Value self, Value x) {
    DequeObj *d = AS_DEQUE(self);
    uint64_t state = d->state;
    size_t n = d->len;
    for (size_t i = 0; i < n; i++) {
        Value item = incref(*slot(d, i));
        int k = obj_eq(item, x);
        decref(item);
        if (k != 0) return k;
        if (d->state != state) { mutated(&Exc_RuntimeError); return -1; }
    }
    return 0;
}

/* d[key] as a position: CPython reaches deque_item through the sequence
 * protocol, hence "sequence index must be integer" and a negative index
 * corrected by len(d) (a subclass's __len__ included). */
static int item_position(Value self, Value key, size_t *out) {
    intptr_t i;
    if (IS_INT(key)) {
        i = AS_INT(key);
    } else if (index_check(key)) {
        if (index_as_ssize(key, &i, &Exc_IndexError) < 0) return -1;
    } else {
        err_format(&Exc_TypeError, "sequence index must be integer, not '%s'", obj_type_name(key));
        return -1;
    }
    if (i < 0) {
        intptr_t n = obj_len(self);
        if (n < 0) return -1;
        i += n;
    }
    if (i < 0 || (size_t)i >= AS_DEQUE(self)->len) {
        err_format(&Exc_IndexError, "deque index out of range");
        return -1;
    }
    *out = (size_t)i;
    return 0;
}

static Value deque_getitem(Value self, Value key) {
    size_t i;
    if (item_position(self, key, &i) < 0) return VNULL;
    return incref(*slot(AS_DEQUE(self), i));
}

static int deque_setitem(Value self, Value key, Value v) {
    size_t i;
    if (item_position(self, key, &i) < 0) return -1;
    DequeObj *d = AS_DEQUE(self);
    if (v) {
        setref(slot(d, i), incref(v));
        return 0;
    }
    Value old = take_at(d, i);
    d->state++;
    maybe_shrink(d);
    decref(old);
    return 0;
}

/* ===== copy, + and * =================================================================== */

/* A shallow copy with the same maxlen. A subclass is rebuilt by calling it:
 * type(d)(d) or type(d)(d, maxlen), as CPython's deque_copy. */
static Value deque_copy(Value self) {
    DequeObj *d = AS_DEQUE(self);
    if (IS_TYPE(self, &DequeType)) {
        Value r = deque_alloc(&DequeType);
        if (!r) return VNULL;
        AS_DEQUE(r)->maxlen = d->maxlen;
        if (deque_extend(r, self, false) < 0) { decref(r); return VNULL; }
        return r;
    }
    Type *t = TYPE_OF(self);
    Value r;
    if (d->maxlen < 0) {
        r = obj_call1(OBJ_VAL(t), self);
    } else {
        Value m = int_from_i64(d->maxlen);
        if (!m) return VNULL;
        r = obj_call2(OBJ_VAL(t), self, m);
        decref(m);
    }
    if (r && !is_deque(r)) {
        err_format(&Exc_TypeError, "%s() must return a deque, not %s", t->name, obj_type_name(r));
        decref(r);
        return VNULL;
    }
    return r;
}

/* d *= n (CPython's deque_inplace_repeat): returns a new reference to self. */
static Value inplace_repeat(Value self, intptr_t n) {
    DequeObj *d = AS_DEQUE(self);
    size_t size = d->len;
    if (size == 0 || n == 1) return incref(self);
    if (n <= 0) {
        clear_items(d);
        return incref(self);
    }
    if (size == 1) {                    /* the common case: one item, n times */
        if (d->maxlen >= 0 && n > d->maxlen) n = d->maxlen;
        if (reserve(d, (size_t)n) < 0) return VNULL;
        Value item = *slot(d, 0);
        for (intptr_t i = 1; i < n; i++) put_right(d, incref(item));
        d->state++;
        return incref(self);
    }
    if ((size_t)n > (size_t)INTPTR_MAX / size) return err_no_memory();
    /* no more rounds than maxlen can show */
    if (d->maxlen >= 0 && (size_t)n * size > (size_t)d->maxlen)
        n = (intptr_t)(((size_t)d->maxlen + size - 1) / size);
    /* Reserving first turns an absurd count into a MemoryError up front
     * instead of a machine brought to its knees. */
    if (d->maxlen < 0 && reserve(d, (size_t)n * size) < 0) return VNULL;
    Value seq = list_from_iterable(self);
    if (!seq) return VNULL;
    for (intptr_t i = 1; i < n; i++) {
        if (deque_extend(self, seq, false) < 0) {
            decref(seq);
            return VNULL;
        }
    }
    decref(seq);
    return incref(self);
}

/* Whether v's binop slot is one a class statement made (the class defines
 * an operator dunder): the only kind of slot CPython would try before the
 * sequence's own + and *. The built-in slots never answer a deque (int's
 * and float's return NotImplemented) or raise their own sequence error,
 * which CPython never reaches: 'can't multiply sequence by non-int of type
 * 'str'' must come from the deque. */
static bool user_operand(Value v) {
    Type *t = TYPE_OF(v), *s = t;
    if (!(t->flags & TF_HEAPTYPE) || !t->binop) return false;
    while (s && (s->flags & TF_HEAPTYPE)) s = s->base;
    return !s || t->binop != s->binop;
}

static Value deque_binop(Value a, Value b, int op) {
    bool inplace = op >= BINOP_INPLACE;
    int base = inplace ? op - BINOP_INPLACE : op;
    if (base == OP_ADD) {
        if (!is_deque(a)) return incref(NotImplemented);
        if (!is_deque(b)) {                 /* b.__radd__ goes first, as in CPython */
            if (user_operand(b)) {
                Value r = other_operand_slot(a, b, OP_ADD);
                if (r != NotImplemented) return r;
            }
            if (!inplace)
                return err_format(&Exc_TypeError, "can only concatenate deque (not \"%s\") to deque",
                                  obj_type_name(b));
        }
        if (inplace) {                      /* d += iterable: extend */
            if (deque_extend(a, b, false) < 0) return VNULL;
            return incref(a);
        }
        Value r = deque_copy(a);
        if (!r) return VNULL;
        if (deque_extend(r, b, false) < 0) { decref(r); return VNULL; }
        return r;
    }
    if (base == OP_MUL) {
        Value seq = is_deque(a) ? a : b;
        Value other = seq == a ? b : a;
        if (index_check(other)) {
            intptr_t n;
            if (index_as_ssize(other, &n, &Exc_OverflowError) < 0) return VNULL;
            if (inplace && seq == a) return inplace_repeat(a, n);
            Value r = deque_copy(seq);
            if (!r) return VNULL;
            Value rr = inplace_repeat(r, n);
            decref(r);
            return rr;
        }
        if (other == b && user_operand(b)) {
            Value r = other_operand_slot(a, b, base);
            if (r != NotImplemented) return r;
        } else if (other == a && seq_repeats(a)) return incref(NotImplemented);   /* a's * names b */
        return err_format(&Exc_TypeError, "can't multiply sequence by non-int of type '%s'",
                          obj_type_name(other));
    }
    return incref(NotImplemented);
}

/* ===== methods ========================================================================= */

static Value m_append(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.append", nargs, kwnames) < 0) return VNULL;
    if (push(AS_DEQUE(self), incref(args[0]), false) < 0) return VNULL;
    return none_new();
}

static Value m_appendleft(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.appendleft", nargs, kwnames) < 0) return VNULL;
    if (push(AS_DEQUE(self), incref(args[0]), true) < 0) return VNULL;
    return none_new();
}

static Value pop_end(Value self, bool left) {
    DequeObj *d = AS_DEQUE(self);
    if (d->len == 0) return err_format(&Exc_IndexError, "pop from an empty deque");
    Value v = left ? take_left(d) : take_right(d);
    d->state++;
    maybe_shrink(d);
    return v;
}

static Value m_pop(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.pop", nargs, kwnames) < 0) return VNULL;
    return pop_end(self, false);
}

static Value m_popleft(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.popleft", nargs, kwnames) < 0) return VNULL;
    return pop_end(self, true);
}

static Value m_extend(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.extend", nargs, kwnames) < 0) return VNULL;
    if (deque_extend(self, args[0], false) < 0) return VNULL;
    return none_new();
}

static Value m_extendleft(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.extendleft", nargs, kwnames) < 0) return VNULL;
    if (deque_extend(self, args[0], true) < 0) return VNULL;
    return none_new();
}

static Value m_clear(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.clear", nargs, kwnames) < 0) return VNULL;
    clear_items(AS_DEQUE(self));
    return none_new();
}

static Value m_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.copy", nargs, kwnames) < 0) return VNULL;
    return deque_copy(self);
}

static Value m_dunder_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.__copy__", nargs, kwnames) < 0) return VNULL;
    return deque_copy(self);
}

static Value m_count(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.count", nargs, kwnames) < 0) return VNULL;
    DequeObj *d = AS_DEQUE(self);
    uint64_t state = d->state;
    size_t n = d->len;
    intptr_t count = 0;
    for (size_t i = 0; i < n; i++) {
        Value item = incref(*slot(d, i));
        int k = obj_eq(item, args[0]);
        decref(item);
        if (k < 0) return VNULL;
        count += k;
        if (d->state != state) return mutated(&Exc_RuntimeError);
    }
    return MK_INT(count);
}

/* index()'s bounds (_PyEval_SliceIndexNotNone): any __index__, clamped to
 * the machine range. */
static int slice_bound(Value v, intptr_t *out) {
    if (!index_check(v)) {
        err_format(&Exc_TypeError, "slice indices must be integers or have an __index__ method");
        return -1;
    }
    return index_as_ssize(v, out, NULL);
}

/* The positional-argument messages of CPython's old-style parser
 * ("index() takes at least 1 argument (0 given)"); keywords are refused
 * in the newer style ("deque.index() takes no keyword arguments"). */
static int old_style_nargs(const char *name, size_t nargs, size_t min, size_t max) {
    if (nargs >= min && nargs <= max) return 0;
    size_t n = nargs < min ? min : max;
    err_format(&Exc_TypeError, "%s() takes %s %zu argument%s (%zu given)", name,
               min == max ? "exactly" : nargs < min ? "at least" : "at most", n,
               n == 1 ? "" : "s", nargs);
    return -1;
}

static Value m_index(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("deque.index", kwnames) < 0 || old_style_nargs("index", nargs, 1, 3) < 0)
        return VNULL;
    DequeObj *d = AS_DEQUE(self);
    intptr_t len = (intptr_t)d->len, start = 0, stop = len;
    if (nargs > 1 && slice_bound(args[1], &start) < 0) return VNULL;
    if (nargs > 2 && slice_bound(args[2], &stop) < 0) return VNULL;
    len = (intptr_t)d->len;                     /* an __index__ may have changed it */
    if (start < 0) { start += len; if (start < 0) start = 0; }
    if (stop < 0) { stop += len; if (stop < 0) stop = 0; }
    if (stop > len) stop = len;
    if (start > stop) start = stop;
    uint64_t state = d->state;
    for (intptr_t i = start; i < stop; i++) {
        Value item = incref(*slot(d, (size_t)i));
        int k = obj_eq(item, args[0]);
        decref(item);
        if (k > 0) return MK_INT(i);
        if (k < 0) return VNULL;
        if (d->state != state) return mutated(&Exc_RuntimeError);
    }
    return err_format(&Exc_ValueError, "%R is not in deque", args[0]);
}

/* A Py_ssize_t argument ("n" format): __index__, OverflowError past the range. */
static int ssize_arg(Value v, intptr_t *out) {
    if (IS_INT(v)) { *out = AS_INT(v); return 0; }
    Value iv = index_value(v);
    if (!iv) return -1;
    int r = int_as_ssize(iv, out);
    decref(iv);
    return r;
}

static Value m_insert(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("deque.insert", kwnames) < 0 || old_style_nargs("insert", nargs, 2, 2) < 0)
        return VNULL;
    intptr_t index;
    if (ssize_arg(args[0], &index) < 0) return VNULL;
    DequeObj *d = AS_DEQUE(self);
    if (d->maxlen == (intptr_t)d->len)
        return err_format(&Exc_IndexError, "deque already at its maximum size");
    intptr_t n = (intptr_t)d->len;
    if (index < 0) { index += n; if (index < 0) index = 0; }
    if (index > n) index = n;
    if (reserve(d, d->len + 1) < 0) return VNULL;
    open_gap(d, (size_t)index);
    *slot(d, (size_t)index) = incref(args[1]);
    d->state++;
    return none_new();
}

static Value m_remove(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("deque.remove", nargs, kwnames) < 0) return VNULL;
    DequeObj *d = AS_DEQUE(self);
    uint64_t state = d->state;
    size_t n = d->len;
    for (size_t i = 0; i < n; i++) {
        Value item = incref(*slot(d, i));
        int k = obj_eq(item, args[0]);
        decref(item);
        if (k < 0) return VNULL;
        /* CPython says IndexError here (count and index say RuntimeError) */
        if (d->state != state) return mutated(&Exc_IndexError);
        if (k > 0) {
            Value old = take_at(d, i);
            d->state++;
            maybe_shrink(d);
            decref(old);
            return none_new();
        }
    }
    return err_format(&Exc_ValueError, "%R is not in deque", args[0]);
}

static Value m_reverse(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.reverse", nargs, kwnames) < 0) return VNULL;
    DequeObj *d = AS_DEQUE(self);
    for (size_t i = 0, j = d->len; i + 1 < j; i++, j--) {   /* no state change: iterators go on */
        Value t = *slot(d, i);
        *slot(d, i) = *slot(d, j - 1);
        *slot(d, j - 1) = t;
    }
    return none_new();
}

static Value m_rotate(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("deque.rotate", kwnames) < 0 || ctr_nargs("deque.rotate", nargs, 0, 1) < 0)
        return VNULL;
    intptr_t n = 1;
    if (nargs == 1 && ssize_arg(args[0], &n) < 0) return VNULL;
    rotate(AS_DEQUE(self), n);
    return none_new();
}

static Value dequeiter_new(Value d, bool reverse);

static Value m_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.__reversed__", nargs, kwnames) < 0) return VNULL;
    return dequeiter_new(self, true);
}

/* (type, args, state, iterator): what copy.deepcopy and pickle rebuild a
 * deque from. The state is __getstate__() if the class has one, else the
 * instance __dict__ (None when empty), as object.__getstate__ gives. */
static Value m_reduce(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("deque.__reduce__", nargs, kwnames) < 0) return VNULL;
    Value state;
    if (type_lookup(TYPE_OF(self), str_intern_cstr("__getstate__"))) {
        state = obj_call_method_cstr(self, "__getstate__", 0);
    } else {
        Value dict = obj_dict_of(self);
        if (!dict && err_occurred()) return VNULL;
        state = incref(dict && IS_DICT(dict) && AS_DICT(dict)->used ? dict : None);
    }
    if (!state) return VNULL;
    Value it = obj_iter(self);
    if (!it) { decref(state); return VNULL; }
    intptr_t maxlen = AS_DEQUE(self)->maxlen;
    Value cargs = VNULL, r = VNULL;
    if (maxlen < 0) {
        cargs = tuple_empty();
    } else {
        Value m = int_from_i64(maxlen), empty = tuple_empty();
        if (m && empty) cargs = tuple_pack(2, empty, m);
        decref(m);
        decref(empty);
    }
    if (cargs) r = tuple_pack(4, OBJ_VAL(TYPE_OF(self)), cargs, state, it);
    decref(cargs);
    decref(state);
    decref(it);
    return r;
}

static const MethodDef deque_methods[] = {
    { "append", m_append, METH_DEFAULT },
    { "appendleft", m_appendleft, METH_DEFAULT },
    { "pop", m_pop, METH_DEFAULT },
    { "popleft", m_popleft, METH_DEFAULT },
    { "extend", m_extend, METH_DEFAULT },
    { "extendleft", m_extendleft, METH_DEFAULT },
    { "clear", m_clear, METH_DEFAULT },
    { "copy", m_copy, METH_DEFAULT },
    { "__copy__", m_dunder_copy, METH_DEFAULT },
    { "count", m_count, METH_DEFAULT },
    { "index", m_index, METH_DEFAULT },
    { "insert", m_insert, METH_DEFAULT },
    { "remove", m_remove, METH_DEFAULT },
    { "reverse", m_reverse, METH_DEFAULT },
    { "rotate", m_rotate, METH_DEFAULT },
    { "__reversed__", m_reversed, METH_DEFAULT },
    { "__reduce__", m_reduce, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

static Value get_maxlen(Value self) {
    intptr_t m = AS_DEQUE(self)->maxlen;
    return m < 0 ? none_new() : int_from_i64(m);
}

static const GetSetDef deque_getsets[] = {
    { "maxlen", get_maxlen, NULL },
    { NULL, NULL, NULL }
};

/* ===== iterators ======================================================================= */

/* `index` is the next item's position (counting down for the reverse one),
 * `counter` how many are left, `state` the deque's when the iterator was
 * made: any mutation since is an error, for good (counter drops to 0). The
 * deque is kept to the end, as CPython's iterators keep it. */
typedef struct { Obj h; Value deque; size_t index, counter; uint64_t state; } DequeIterObj;

static Value dequeiter_new(Value dv, bool reverse) {
    DequeIterObj *it = (DequeIterObj *)gc_alloc(reverse ? &DequeRevIterType : &DequeIterType,
                                                sizeof(DequeIterObj));
    if (!it) return VNULL;
    DequeObj *d = AS_DEQUE(dv);
    it->deque = incref(dv);
    it->index = reverse ? d->len - 1 : 0;
    it->counter = d->len;
    it->state = d->state;
    return OBJ_VAL(it);
}

static Value deque_iter(Value self) { return dequeiter_new(self, false); }

static Value dequeiter_step(Value self, bool reverse) {
    DequeIterObj *it = (DequeIterObj *)AS_OBJ(self);
    if (!it->deque) return VNULL;       /* cleared by the collector: garbage, but stay safe */
    DequeObj *d = AS_DEQUE(it->deque);
    /* CPython's reverse iterator looks at the count first: once exhausted
     * (or failed) it just stops; the forward one keeps raising. */
    if (reverse && it->counter == 0) return VNULL;
    if (d->state != it->state) {
        it->counter = 0;
        return mutated(&Exc_RuntimeError);
    }
    if (it->counter == 0) return VNULL;
    /* an unchanged state means an unchanged length: index is in range */
    Value item = *slot(d, it->index);
    it->index = reverse ? it->index - 1 : it->index + 1;
    it->counter--;
    return incref(item);
}

static Value dequeiter_next(Value self) { return dequeiter_step(self, false); }
static Value dequereviter_next(Value self) { return dequeiter_step(self, true); }

static Value dequeiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return MK_INT(((DequeIterObj *)AS_OBJ(self))->counter);
}

static void dequeiter_dealloc(Obj *o) { clearref(&((DequeIterObj *)o)->deque); }

static void dequeiter_traverse(Obj *o, VisitFn visit, void *arg) {
    DequeIterObj *it = (DequeIterObj *)o;
    if (it->deque) visit(it->deque, arg);
}

static const MethodDef dequeiter_methods[] = {
    { "__length_hint__", dequeiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== types and the module =============================================================== */

/* tp_name is "collections.deque" as in CPython, which error messages show
 * ("unhashable type: 'collections.deque'"); __name__ is "deque". */
Type DequeType = {
    STATIC_TYPE_HEAD,
    .name = "collections.deque",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(DequeObj),
    .tp_new = deque_tp_new,
    .tp_init = deque_tp_init,
    .dealloc = deque_dealloc,
    .traverse = deque_traverse,
    .clear = deque_dealloc,
    .repr = deque_repr,
    .richcmp = deque_richcmp,
    .len = deque_len,
    .iter = deque_iter,
    .getitem = deque_getitem,
    .setitem = deque_setitem,
    .contains = deque_contains,
    .binop = deque_binop,
};

static Type DequeIterType = {
    STATIC_TYPE_HEAD,
    .name = "_collections._deque_iterator",
    .flags = TF_GC,
    .size = sizeof(DequeIterObj),
    .tp_new = ctr_no_new,
    .dealloc = dequeiter_dealloc,
    .traverse = dequeiter_traverse,
    .clear = dequeiter_dealloc,
    .iter = iter_self,
    .iternext = dequeiter_next,
};

static Type DequeRevIterType = {
    STATIC_TYPE_HEAD,
    .name = "_collections._deque_reverse_iterator",
    .flags = TF_GC,
    .size = sizeof(DequeIterObj),
    .tp_new = ctr_no_new,
    .dealloc = dequeiter_dealloc,
    .traverse = dequeiter_traverse,
    .clear = dequeiter_dealloc,
    .iter = iter_self,
    .iternext = dequereviter_next,
};

/* A static type whose tp_name is dotted: __name__ and __module__ are the parts. */
static int ready_dotted(Type *t, const char *module, const char *name) {
    t->name_v = incref(str_intern_cstr(name));
    t->module = incref(str_intern_cstr(module));
    return type_ready(t);
}

static int deque_ready(void) {
    type_add_methods(&DequeType, deque_methods);
    type_add_getsets(&DequeType, deque_getsets);
    Value doc = str_from_cstr("deque([iterable[, maxlen]]) --> deque object\n\n"
                              "A list-like sequence optimized for data accesses near its endpoints.");
    if (!doc || !DequeType.dict || dict_set(DequeType.dict, NM.__doc__, doc) < 0) {
        decref(doc);
        return -1;
    }
    decref(doc);
    if (ready_dotted(&DequeType, "collections", "deque") < 0) return -1;
    ctr_set_hash_none(&DequeType);
    type_add_methods(&DequeIterType, dequeiter_methods);
    if (ready_dotted(&DequeIterType, "_collections", "_deque_iterator") < 0) return -1;
    type_add_methods(&DequeRevIterType, dequeiter_methods);
    return ready_dotted(&DequeRevIterType, "_collections", "_deque_reverse_iterator");
}

Value collections_module_init(void) {
    if (!(DequeType.flags & TF_READY) && deque_ready() < 0) return VNULL;
    Value m = module_new(str_intern_cstr("_collections"));
    if (!m) return VNULL;
    Value dict = ((ModuleObj *)AS_OBJ(m))->dict;
    if (dict_set_str(dict, "deque", OBJ_VAL(&DequeType)) < 0 ||
        dict_set_str(dict, "_deque_iterator", OBJ_VAL(&DequeIterType)) < 0 ||
        dict_set_str(dict, "_deque_reverse_iterator", OBJ_VAL(&DequeRevIterType)) < 0) {
        decref(m);
        return VNULL;
    }
    return m;
}
