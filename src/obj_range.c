/* obj_range.c — range, slice, and the index helpers every sequence uses.
 *
 * Owns: RangeObj (start/stop/step/length as int Values, small or big),
 * the range iterators (a fast one over machine integers, a general one
 * over big ints), SliceObj, slice_indices (PySlice_GetIndicesEx's rules),
 * the arbitrary-precision slice resolution behind range slicing and
 * slice.indices(), and the __index__ conversions declared in containers.h.
 * Must not touch: int internals (it goes through int_binop/int_cmp).
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

extern Type LongRangeIterType;

/* ===== __index__ ===================================================================== */

bool index_check(Value v) {
    return IS_INT(v) || int_check(v) || type_lookup(TYPE_OF(v), NM.__index__) != VNULL;
}

/* An exact int equal to the int (or int subclass, or bool) v. */
static Value exact_int(Value v) {
    if (IS_INT(v) || IS_TYPE(v, &IntType)) return incref(v);
    mpz_t z;
    mpz_init(z);
    int_to_mpz(v, z);
    Value r = int_from_mpz(z);
    mpz_clear(z);
    return r;
}

Value index_value(Value v) {
    if (IS_INT(v) || int_check(v)) return exact_int(v);
    if (!type_lookup(TYPE_OF(v), NM.__index__))
        return err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer",
                          obj_type_name(v));
    Value r = obj_call_method(v, NM.__index__, NULL, 0);
    if (!r) return VNULL;
    if (!int_check(r)) {
        err_format(&Exc_TypeError, "__index__ returned non-int (type %s)", obj_type_name(r));
        decref(r);
        return VNULL;
    }
    Value e = exact_int(r);
    decref(r);
    return e;
}

int index_as_ssize(Value v, intptr_t *out, Type *overflow) {
    if (IS_INT(v)) { *out = AS_INT(v); return 0; }
    Value iv = index_value(v);
    if (!iv) return -1;
    int64_t x;
    if (IS_INT(iv)) {
        x = AS_INT(iv);
    } else if (int_as_i64(iv, &x) < 0) {
        if (!err_matches(&Exc_OverflowError)) { decref(iv); return -1; }
        err_clear();
        if (overflow) {
            err_format(overflow, "cannot fit '%s' into an index-sized integer", obj_type_name(v));
            decref(iv);
            return -1;
        }
        x = int_sign(iv) < 0 ? INT64_MIN : INT64_MAX;
    }
    decref(iv);
    *out = (intptr_t)x;
    return 0;
}

int index_normalize(Value index, intptr_t len, intptr_t *out, const char *what) {
    intptr_t i;
    if (IS_INT(index)) i = AS_INT(index);
    else if (index_as_ssize(index, &i, &Exc_IndexError) < 0) return -1;
    if (i < 0) i += len;
    if (i < 0 || i >= len) {
        err_format(&Exc_IndexError, "%s index out of range", what);
        return -1;
    }
    *out = i;
    return 0;
}

/* ===== int arithmetic on Values (small fast paths) ======================================= */

static Value v_add(Value a, Value b) {
    intptr_t r;
    if (IS_INT(a) && IS_INT(b) && !__builtin_add_overflow(AS_INT(a), AS_INT(b), &r) && FITS_SMALL(r))
        return MK_INT(r);
    return int_binop(a, b, OP_ADD);
}
static Value v_sub(Value a, Value b) {
    intptr_t r;
    if (IS_INT(a) && IS_INT(b) && !__builtin_sub_overflow(AS_INT(a), AS_INT(b), &r) && FITS_SMALL(r))
        return MK_INT(r);
    return int_binop(a, b, OP_SUB);
}
static Value v_mul(Value a, Value b) {
    intptr_t r;
    if (IS_INT(a) && IS_INT(b) && !__builtin_mul_overflow(AS_INT(a), AS_INT(b), &r) && FITS_SMALL(r))
        return MK_INT(r);
    return int_binop(a, b, OP_MUL);
}
static Value v_floordiv(Value a, Value b) { return int_binop(a, b, OP_FLOORDIV); }
static Value v_mod(Value a, Value b) { return int_binop(a, b, OP_MOD); }
static Value v_neg(Value a) {
    if (IS_INT(a) && FITS_SMALL(-AS_INT(a))) return MK_INT(-AS_INT(a));
    return int_binop(MK_INT(0), a, OP_SUB);
}
static int v_cmp(Value a, Value b) {
    if (IS_INT(a) && IS_INT(b)) return AS_INT(a) < AS_INT(b) ? -1 : AS_INT(a) > AS_INT(b);
    return int_cmp(a, b);
}
static int v_sign(Value a) { return IS_INT(a) ? (AS_INT(a) > 0) - (AS_INT(a) < 0) : int_sign(a); }

/* ===== range ============================================================================ */

#define RANGE(v) ((RangeObj *)AS_OBJ(v))

/* The number of items in range(start, stop, step); step != 0. */
static Value range_length(Value start, Value stop, Value step) {
    Value lo, hi, st;
    if (v_sign(step) > 0) { lo = start; hi = stop; st = incref(step); }
    else { lo = stop; hi = start; st = v_neg(step); if (!st) return VNULL; }
    if (v_cmp(lo, hi) >= 0) { decref(st); return MK_INT(0); }
    /* (hi - lo - 1) // st + 1 */
    Value diff = v_sub(hi, lo), r = VNULL;
    if (diff) {
        Value d1 = v_sub(diff, MK_INT(1));
        if (d1) {
            Value q = v_floordiv(d1, st);
            if (q) { r = v_add(q, MK_INT(1)); decref(q); }
            decref(d1);
        }
        decref(diff);
    }
    decref(st);
    return r;
}

/* Steals nothing; start/stop/step must be exact ints. */
Value range_new(Value start, Value stop, Value step) {
    if (v_sign(step) == 0) return err_format(&Exc_ValueError, "range() arg 3 must not be zero");
    Value len = range_length(start, stop, step);
    if (!len) return VNULL;
    RangeObj *r = (RangeObj *)gc_alloc(&RangeType, sizeof(RangeObj));
    if (!r) { decref(len); return VNULL; }
    r->start = incref(start);
    r->stop = incref(stop);
    r->step = incref(step);
    r->length = len;
    return OBJ_VAL(r);
}

static Value range_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (ctr_no_kw("range", kwnames) < 0 || ctr_nargs("range", nargs, 1, 3) < 0) return VNULL;
    Value parts[3] = { VNULL, VNULL, VNULL };
    for (size_t i = 0; i < nargs; i++) {
        parts[i] = index_value(args[i]);
        if (!parts[i]) {
            for (size_t j = 0; j < i; j++) decref(parts[j]);
            return VNULL;
        }
    }
    Value r;
    if (nargs == 1) r = range_new(MK_INT(0), parts[0], MK_INT(1));
    else r = range_new(parts[0], parts[1], nargs == 3 ? parts[2] : MK_INT(1));
    for (size_t i = 0; i < nargs; i++) decref(parts[i]);
    return r;
}

static void range_dealloc(Obj *o) {
    RangeObj *r = (RangeObj *)o;
    clearref(&r->start);
    clearref(&r->stop);
    clearref(&r->step);
    clearref(&r->length);
}

static Value range_repr(Value self) {
    RangeObj *r = RANGE(self);
    if (r->step == MK_INT(1)) return str_from_fmt("range(%R, %R)", r->start, r->stop);
    return str_from_fmt("range(%R, %R, %R)", r->start, r->stop, r->step);
}

static intptr_t range_len(Value self) {
    Value len = RANGE(self)->length;
    if (IS_INT(len)) return AS_INT(len);
    err_format(&Exc_OverflowError, "Python int too large to convert to C ssize_t");
    return -1;
}

static int range_truth(Value self) { return v_sign(RANGE(self)->length) != 0; }

/* start + i * step */
static Value range_item(RangeObj *r, Value i) {
    Value off = v_mul(i, r->step);
    if (!off) return VNULL;
    Value v = v_add(r->start, off);
    decref(off);
    return v;
}

/* Resolve a slice against a length given as an int, with no limits on
 * size (CPython's _PySlice_GetLongIndices). Results are new references. */
static int slice_long_indices(SliceObj *s, Value length, Value *pstart, Value *pstop, Value *pstep) {
    Value step, lower = VNULL, upper = VNULL, start = VNULL, stop = VNULL;
    const char *msg = "slice indices must be integers or None or have an __index__ method";
    if (IS_NONE(s->step)) step = MK_INT(1);
    else {
        if (!index_check(s->step)) { err_format(&Exc_TypeError, "%s", msg); return -1; }
        step = index_value(s->step);
        if (!step) return -1;
        if (v_sign(step) == 0) {
            decref(step);
            err_format(&Exc_ValueError, "slice step cannot be zero");
            return -1;
        }
    }
    bool neg = v_sign(step) < 0;
    if (neg) { lower = MK_INT(-1); upper = v_add(length, lower); if (!upper) goto fail; }
    else { lower = MK_INT(0); upper = incref(length); }
    Value parts[2] = { s->start, s->stop };
    Value *outs[2] = { &start, &stop };
    for (int k = 0; k < 2; k++) {
        Value p = parts[k], v;
        if (IS_NONE(p)) {
            v = incref((k == 0) == neg ? upper : lower);
        } else {
            if (!index_check(p)) { err_format(&Exc_TypeError, "%s", msg); goto fail; }
            v = index_value(p);
            if (!v) goto fail;
            if (v_sign(v) < 0) {
                Value t = v_add(v, length);
                decref(v);
                if (!t) goto fail;
                v = t;
                if (v_cmp(v, lower) < 0) { decref(v); v = incref(lower); }
            } else if (v_cmp(v, upper) > 0) {
                decref(v);
                v = incref(upper);
            }
        }
        *outs[k] = v;
    }
    decref(upper);
    *pstart = start; *pstop = stop; *pstep = step;
    return 0;
fail:
    decref(upper);
    decref(start);
    decref(stop);
    decref(step);
    return -1;
}

static Value range_slice(RangeObj *r, Value slice) {
    Value start, stop, step;
    if (slice_long_indices((SliceObj *)AS_OBJ(slice), r->length, &start, &stop, &step) < 0)
        return VNULL;
    Value substart = range_item(r, start);
    Value substop = substart ? range_item(r, stop) : VNULL;
    Value substep = substop ? v_mul(r->step, step) : VNULL;
    Value res = substep ? range_new(substart, substop, substep) : VNULL;
    decref(start); decref(stop); decref(step);
    decref(substart); decref(substop); decref(substep);
    return res;
}

static Value range_getitem(Value self, Value key) {
    RangeObj *r = RANGE(self);
    if (IS_TYPE(key, &SliceType)) return range_slice(r, key);
    if (!index_check(key))
        return err_format(&Exc_TypeError, "range indices must be integers or slices, not %s",
                          obj_type_name(key));
    Value i = index_value(key);
    if (!i) return VNULL;
    if (v_sign(i) < 0) {
        Value t = v_add(i, r->length);
        decref(i);
        if (!t) return VNULL;
        i = t;
    }
    if (v_sign(i) < 0 || v_cmp(i, r->length) >= 0) {
        decref(i);
        return err_format(&Exc_IndexError, "range object index out of range");
    }
    Value v = range_item(r, i);
    decref(i);
    return v;
}

static bool exact_int_like(Value v) {
    return IS_INT(v) || IS_TYPE(v, &IntType) || IS_TYPE(v, &BoolType);
}

/* O(1) membership for ints: within bounds and on the step grid. */
static int range_contains_int(RangeObj *r, Value ob) {
    if (v_sign(r->step) > 0) {
        if (v_cmp(r->start, ob) > 0 || v_cmp(ob, r->stop) >= 0) return 0;
    } else {
        if (v_cmp(r->stop, ob) >= 0 || v_cmp(ob, r->start) > 0) return 0;
    }
    Value d = v_sub(ob, r->start);
    if (!d) return -1;
    Value m = v_mod(d, r->step);
    decref(d);
    if (!m) return -1;
    int res = v_sign(m) == 0;
    decref(m);
    return res;
}

static Value range_iter(Value self);

/* The generic search for non-int items: 0-based index of the first equal
 * item, -1 if none, -2 on error; *count counts all equal items if given. */
static intptr_t range_search(Value self, Value x, intptr_t *count) {
    Value it = range_iter(self);
    if (!it) return -2;
    intptr_t idx = -1, n = 0;
    for (intptr_t i = 0;; i++) {
        Value v = obj_next(it);
        if (!v) break;
        int k = obj_eq(v, x);
        decref(v);
        if (k < 0) { decref(it); return -2; }
        if (k) {
            if (idx < 0) idx = i;
            n++;
            if (!count) break;
        }
    }
    decref(it);
    if (err_occurred()) return -2;
    if (count) *count = n;
    return idx;
}

static int range_contains(Value self, Value x) {
    if (exact_int_like(x)) {
        Value ix = exact_int(x);
        if (!ix) return -1;
        int r = range_contains_int(RANGE(self), ix);
        decref(ix);
        return r;
    }
    intptr_t i = range_search(self, x, NULL);
    return i == -2 ? -1 : i >= 0;
}

static Value range_count(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("range.count", nargs, kwnames) < 0) return VNULL;
    if (exact_int_like(args[0])) {
        int r = range_contains(self, args[0]);
        return r < 0 ? VNULL : MK_INT(r);
    }
    intptr_t n;
    if (range_search(self, args[0], &n) == -2) return VNULL;
    return MK_INT(n);
}

static Value range_index(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("range.index", nargs, kwnames) < 0) return VNULL;
    RangeObj *r = RANGE(self);
    Value x = args[0];
    if (exact_int_like(x)) {
        Value ix = exact_int(x);
        if (!ix) return VNULL;
        int c = range_contains_int(r, ix);
        Value res = VNULL;
        if (c > 0) {
            Value d = v_sub(ix, r->start);
            if (d) { res = v_floordiv(d, r->step); decref(d); }
        } else if (c == 0) {
            err_format(&Exc_ValueError, "%R is not in range", x);
        }
        decref(ix);
        return res;
    }
    intptr_t i = range_search(self, x, NULL);
    if (i == -2) return VNULL;
    if (i < 0) return err_format(&Exc_ValueError, "sequence.index(x): x not in sequence");
    return MK_INT(i);
}

static Value range_richcmp(Value a, Value b, RichCmpOp op) {
    if (!IS_TYPE(a, &RangeType) || !IS_TYPE(b, &RangeType) || (op != RC_EQ && op != RC_NE))
        return incref(NotImplemented);
    RangeObj *x = RANGE(a), *y = RANGE(b);
    bool eq;
    if (a == b) eq = true;
    else if (v_cmp(x->length, y->length) != 0) eq = false;
    else if (v_sign(x->length) == 0) eq = true;
    else if (v_cmp(x->start, y->start) != 0) eq = false;
    else if (v_cmp(x->length, MK_INT(1)) == 0) eq = true;
    else eq = v_cmp(x->step, y->step) == 0;
    return bool_new(op == RC_EQ ? eq : !eq);
}

/* hash((len, start, step)) with None for the parts that do not matter,
 * so that equal ranges hash equal. */
static int64_t range_hash(Value self) {
    RangeObj *r = RANGE(self);
    Value parts[3] = { r->length, None, None };
    if (v_sign(r->length) != 0) {
        parts[1] = r->start;
        if (v_cmp(r->length, MK_INT(1)) != 0) parts[2] = r->step;
    }
    return tuple_hash_array(parts, 3);
}

static Value range_get_start(Value self) { return incref(RANGE(self)->start); }
static Value range_get_stop(Value self)  { return incref(RANGE(self)->stop); }
static Value range_get_step(Value self)  { return incref(RANGE(self)->step); }

/* ===== range iterators ================================================================== */

/* Fast: every value lies between start and stop, so machine integers
 * (stepping in unsigned arithmetic past the last one) are enough. */
typedef struct { Obj h; intptr_t next, step; size_t remaining; } RangeIterObj;
/* General: big ints. */
typedef struct { Obj h; Value next, step, remaining; } LongRangeIterObj;

/* An iterator yielding len values from start by step. `small` promises
 * that every value (and start, step, len) is a small int. */
static Value make_range_iter(Value start, Value step, Value len, bool small) {
    if (small) {
        RangeIterObj *it = (RangeIterObj *)gc_alloc(&RangeIterType, sizeof(RangeIterObj));
        if (!it) return VNULL;
        it->next = AS_INT(start);
        it->step = AS_INT(step);
        it->remaining = (size_t)AS_INT(len);
        return OBJ_VAL(it);
    }
    LongRangeIterObj *it = (LongRangeIterObj *)gc_alloc(&LongRangeIterType, sizeof(LongRangeIterObj));
    if (!it) return VNULL;
    it->next = incref(start);
    it->step = incref(step);
    it->remaining = incref(len);
    return OBJ_VAL(it);
}

/* Small start and stop bound every value, so the fast iterator applies. */
static bool range_is_small(RangeObj *r) {
    return IS_INT(r->start) && IS_INT(r->stop) && IS_INT(r->step) && IS_INT(r->length);
}

static Value range_iter(Value self) {
    RangeObj *r = RANGE(self);
    return make_range_iter(r->start, r->step, r->length, range_is_small(r));
}

static Value range_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("range.__reversed__", nargs, kwnames) < 0) return VNULL;
    RangeObj *r = RANGE(self);
    /* last = start + (len - 1) * step, walking by -step */
    Value lm1 = v_sub(r->length, MK_INT(1));
    if (!lm1) return VNULL;
    Value last = v_sign(r->length) == 0 ? incref(r->start) : range_item(r, lm1);
    decref(lm1);
    Value negstep = last ? v_neg(r->step) : VNULL;
    Value res = VNULL;
    if (negstep)
        res = make_range_iter(last, negstep, r->length,
                              range_is_small(r) && IS_INT(last) && IS_INT(negstep));
    decref(last);
    decref(negstep);
    return res;
}

static Value rangeiter_next(Value self) {
    RangeIterObj *it = (RangeIterObj *)AS_OBJ(self);
    if (it->remaining == 0) return VNULL;
    intptr_t v = it->next;
    it->remaining--;
    it->next = (intptr_t)((uintptr_t)it->next + (uintptr_t)it->step);
    return MK_INT(v);
}

static Value longrangeiter_next(Value self) {
    LongRangeIterObj *it = (LongRangeIterObj *)AS_OBJ(self);
    if (!it->remaining || v_sign(it->remaining) <= 0) return VNULL;
    Value rem = v_sub(it->remaining, MK_INT(1));
    if (!rem) return VNULL;
    Value nxt = v_add(it->next, it->step);
    if (!nxt) { decref(rem); return VNULL; }
    Value v = it->next;              /* ownership moves to the caller */
    it->next = nxt;
    setref(&it->remaining, rem);
    return v;
}

static Value rangeiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return int_from_u64(((RangeIterObj *)AS_OBJ(self))->remaining);
}
static Value longrangeiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return incref(((LongRangeIterObj *)AS_OBJ(self))->remaining);
}

static void longrangeiter_dealloc(Obj *o) {
    LongRangeIterObj *it = (LongRangeIterObj *)o;
    clearref(&it->next);
    clearref(&it->step);
    clearref(&it->remaining);
}

/* ===== slice ============================================================================ */

#define SLICE(v) ((SliceObj *)AS_OBJ(v))

Value slice_new(Value start, Value stop, Value step) {
    SliceObj *s = (SliceObj *)gc_alloc(&SliceType, sizeof(SliceObj));
    if (!s) return VNULL;
    s->start = incref(start ? start : None);
    s->stop = incref(stop ? stop : None);
    s->step = incref(step ? step : None);
    return OBJ_VAL(s);
}

static Value slice_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (ctr_no_kw("slice", kwnames) < 0 || ctr_nargs("slice", nargs, 1, 3) < 0) return VNULL;
    if (nargs == 1) return slice_new(VNULL, args[0], VNULL);
    return slice_new(args[0], args[1], nargs == 3 ? args[2] : VNULL);
}

static void slice_dealloc(Obj *o) {
    SliceObj *s = (SliceObj *)o;
    clearref(&s->start);
    clearref(&s->stop);
    clearref(&s->step);
}

static void slice_traverse(Obj *o, VisitFn visit, void *arg) {
    SliceObj *s = (SliceObj *)o;
    if (s->start) visit(s->start, arg);
    if (s->stop) visit(s->stop, arg);
    if (s->step) visit(s->step, arg);
}

static Value slice_repr(Value self) {
    SliceObj *s = SLICE(self);
    return str_from_fmt("slice(%R, %R, %R)", s->start, s->stop, s->step);
}

static Value slice_richcmp(Value a, Value b, RichCmpOp op) {
    if (!IS_TYPE(a, &SliceType) || !IS_TYPE(b, &SliceType)) return incref(NotImplemented);
    Value ta = tuple_pack(3, SLICE(a)->start, SLICE(a)->stop, SLICE(a)->step);
    Value tb = ta ? tuple_pack(3, SLICE(b)->start, SLICE(b)->stop, SLICE(b)->step) : VNULL;
    Value r = tb ? obj_richcmp(ta, tb, op) : VNULL;
    decref(ta);
    decref(tb);
    return r;
}

static Value slice_get_start(Value self) { return incref(SLICE(self)->start); }
static Value slice_get_stop(Value self)  { return incref(SLICE(self)->stop); }
static Value slice_get_step(Value self)  { return incref(SLICE(self)->step); }

static Value slice_indices_method(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("slice.indices", nargs, kwnames) < 0) return VNULL;
    Value length = index_value(args[0]);
    if (!length) return VNULL;
    if (v_sign(length) < 0) {
        decref(length);
        return err_format(&Exc_ValueError, "length should not be negative");
    }
    Value start, stop, step;
    int r = slice_long_indices(SLICE(self), length, &start, &stop, &step);
    decref(length);
    if (r < 0) return VNULL;
    Value t = tuple_pack(3, start, stop, step);
    decref(start); decref(stop); decref(step);
    return t;
}

/* One bound of a slice as a clamped machine integer. */
static int slice_part(Value v, intptr_t *out) {
    if (IS_INT(v)) { *out = AS_INT(v); return 0; }
    if (!index_check(v)) {
        err_format(&Exc_TypeError,
                   "slice indices must be integers or None or have an __index__ method");
        return -1;
    }
    return index_as_ssize(v, out, NULL);
}

int slice_indices(Value slice, intptr_t length, intptr_t *pstart, intptr_t *pstop,
                  intptr_t *pstep, intptr_t *pslicelen) {
    SliceObj *s = SLICE(slice);
    intptr_t start, stop, step;
    if (IS_NONE(s->step)) step = 1;
    else {
        if (slice_part(s->step, &step) < 0) return -1;
        if (step == 0) {
            err_format(&Exc_ValueError, "slice step cannot be zero");
            return -1;
        }
        if (step < -INTPTR_MAX) step = -INTPTR_MAX;   /* so that -step cannot overflow */
    }
    if (IS_NONE(s->start)) start = step < 0 ? INTPTR_MAX : 0;
    else if (slice_part(s->start, &start) < 0) return -1;
    if (IS_NONE(s->stop)) stop = step < 0 ? INTPTR_MIN : INTPTR_MAX;
    else if (slice_part(s->stop, &stop) < 0) return -1;

    if (start < 0) { start += length; if (start < 0) start = step < 0 ? -1 : 0; }
    else if (start >= length) start = step < 0 ? length - 1 : length;
    if (stop < 0) { stop += length; if (stop < 0) stop = step < 0 ? -1 : 0; }
    else if (stop >= length) stop = step < 0 ? length - 1 : length;

    intptr_t n = 0;
    if (step < 0) { if (stop < start) n = (start - stop - 1) / (-step) + 1; }
    else if (start < stop) n = (stop - start - 1) / step + 1;
    *pstart = start; *pstop = stop; *pstep = step; *pslicelen = n;
    return 0;
}

/* ===== types ============================================================================ */

static void range_traverse(Obj *o, VisitFn visit, void *arg) {
    (void)o; (void)visit; (void)arg;   /* holds only ints */
}

static const MethodDef range_methods[] = {
    { "count", range_count, METH_DEFAULT },
    { "index", range_index, METH_DEFAULT },
    { "__reversed__", range_reversed, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const GetSetDef range_getsets[] = {
    { "start", range_get_start, NULL },
    { "stop", range_get_stop, NULL },
    { "step", range_get_step, NULL },
    { NULL, NULL, NULL }
};
static const MethodDef slice_methods[] = {
    { "indices", slice_indices_method, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const GetSetDef slice_getsets[] = {
    { "start", slice_get_start, NULL },
    { "stop", slice_get_stop, NULL },
    { "step", slice_get_step, NULL },
    { NULL, NULL, NULL }
};
static const MethodDef rangeiter_methods[] = {
    { "__length_hint__", rangeiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const MethodDef longrangeiter_methods[] = {
    { "__length_hint__", longrangeiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

Type RangeType = {
    STATIC_TYPE_HEAD,
    .name = "range",
    .size = sizeof(RangeObj),
    .tp_new = range_tp_new,
    .dealloc = range_dealloc,
    .traverse = range_traverse,
    .repr = range_repr,
    .hash = range_hash,
    .richcmp = range_richcmp,
    .truth = range_truth,
    .len = range_len,
    .iter = range_iter,
    .getitem = range_getitem,
    .contains = range_contains,
};

Type RangeIterType = {
    STATIC_TYPE_HEAD,
    .name = "range_iterator",
    .size = sizeof(RangeIterObj),
    .tp_new = ctr_no_new,
    .iter = iter_self,
    .iternext = rangeiter_next,
};

Type LongRangeIterType = {
    STATIC_TYPE_HEAD,
    .name = "longrange_iterator",
    .size = sizeof(LongRangeIterObj),
    .tp_new = ctr_no_new,
    .dealloc = longrangeiter_dealloc,
    .iter = iter_self,
    .iternext = longrangeiter_next,
};

Type SliceType = {
    STATIC_TYPE_HEAD,
    .name = "slice",
    .flags = TF_GC,
    .size = sizeof(SliceObj),
    .tp_new = slice_tp_new,
    .dealloc = slice_dealloc,
    .traverse = slice_traverse,
    .clear = slice_dealloc,
    .repr = slice_repr,
    .richcmp = slice_richcmp,
};

void range_init_types(void) {
    type_add_methods(&RangeType, range_methods);
    type_add_getsets(&RangeType, range_getsets);
    type_ready(&RangeType);
    type_add_methods(&RangeIterType, rangeiter_methods);
    type_ready(&RangeIterType);
    type_add_methods(&LongRangeIterType, longrangeiter_methods);
    type_ready(&LongRangeIterType);
    type_add_methods(&SliceType, slice_methods);
    type_add_getsets(&SliceType, slice_getsets);
    type_ready(&SliceType);
    ctr_set_hash_none(&SliceType);
}
