/* obj_list.c — the list type, its iterators, and list.sort.
 *
 * Owns: ListObj's item array (growth, slicing, assignment), the list
 * methods, a stable sort (timsort's run detection and binary insertion,
 * then merges), ListIterType and the reverse iterator.
 * Must not touch: other objects' layouts. The VM reads LIST_ITEMS/LIST_LEN
 * directly for its fast paths, so `items`/`len` must always describe the
 * live items exactly (never leave an uninitialised slot below `len` when
 * calling out to code that can run the VM).
 *
 * Any call out (==, <, repr, a key function, an iterator) can run apy code
 * that mutates the list: loops re-read len and items after each call, and
 * hold a reference to the item being compared.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

/* While a sort runs the list is made empty, with this capacity as a mark;
 * any mutation through the list API replaces it, which is how sort notices
 * "list modified during sort" (CPython's allocated = -1 trick). */
#define SORTING_MARK SIZE_MAX

extern Type ListRevIterType;

static bool is_list(Value v) { return obj_isinstance_type(v, &ListType); }

/* ===== the item array ================================================================ */

/* Make room for at least `need` items (len unchanged). CPython's growth
 * pattern: 0, 4, 8, 16, 24, 32, 40, 52, 64, 76, … */
static int list_reserve(ListObj *l, size_t need) {
    size_t cap = l->items ? l->cap : 0;
    if (need <= cap) return 0;
    size_t newcap = need + (need >> 3) + 6;
    if (newcap < need) return err_no_memory(), -1;
    newcap &= ~(size_t)3;
    if (need - l->len > newcap - need) newcap = (need + 3) & ~(size_t)3;
    if (newcap > (size_t)INTPTR_MAX / sizeof(Value)) return err_no_memory(), -1;
    Value *items = l->items ? gc_realloc(l->items, newcap * sizeof(Value))
                            : gc_malloc(newcap * sizeof(Value));
    if (!items) return -1;
    l->items = items;
    l->cap = newcap;
    return 0;
}

/* Give memory back when the list shrank to less than half its capacity. */
static void list_maybe_shrink(ListObj *l) {
    if (!l->items || l->len >= l->cap / 2 || l->cap <= 8) return;
    size_t newcap = l->len + (l->len >> 3) + 6;
    newcap &= ~(size_t)3;
    if (newcap >= l->cap) return;
    Value *items = gc_realloc(l->items, newcap * sizeof(Value));
    if (!items) { err_clear(); return; }   /* keeping the bigger block is fine */
    l->items = items;
    l->cap = newcap;
}

static Value list_alloc(Type *t) {
    ListObj *l = (ListObj *)gc_alloc(t, t->size > sizeof(ListObj) ? t->size : sizeof(ListObj));
    return l ? OBJ_VAL(l) : VNULL;
}

Value list_new(size_t n) {
    Value v = list_alloc(&ListType);
    if (!v || n == 0) return v;
    ListObj *l = AS_LIST(v);
    if (n > (size_t)INTPTR_MAX / sizeof(Value)) { decref(v); return err_no_memory(); }
    l->items = gc_calloc(n, sizeof(Value));
    if (!l->items) { decref(v); return VNULL; }
    l->len = l->cap = n;
    return v;
}

Value list_from_array(const Value *items, size_t n) {
    Value v = list_new(n);
    if (!v) return VNULL;
    for (size_t i = 0; i < n; i++) LIST_ITEMS(v)[i] = incref(items[i]);
    return v;
}

int list_append(Value lv, Value v) {
    ListObj *l = AS_LIST(lv);
    if (list_reserve(l, l->len + 1) < 0) return -1;
    l->items[l->len++] = incref(v);
    return 0;
}

/* Append every item of an iterator (steals nothing; `it` is an iterator). */
static int list_extend_from_iter(Value lv, Value it) {
    for (;;) {
        Value x = obj_next(it);
        if (!x) return err_occurred() ? -1 : 0;
        int r = list_append(lv, x);
        decref(x);
        if (r < 0) return -1;
    }
}

int list_extend(Value lv, Value iterable) {
    ListObj *l = AS_LIST(lv);
    if (IS_TYPE(iterable, &ListType) || IS_TYPE(iterable, &TupleType) || iterable == lv) {
        bool is_l = IS_TYPE(iterable, &ListType) || iterable == lv;
        size_t n = is_l ? LIST_LEN(iterable) : TUPLE_LEN(iterable);
        if (n == 0) return 0;
        if (list_reserve(l, l->len + n) < 0) return -1;
        /* re-read the source after the reserve: it may be this very list */
        const Value *src = is_l ? LIST_ITEMS(iterable) : TUPLE_ITEMS(iterable);
        for (size_t i = 0; i < n; i++) l->items[l->len + i] = incref(src[i]);
        l->len += n;
        return 0;
    }
    Value it = obj_iter(iterable);
    if (!it) return -1;
    int r = list_extend_from_iter(lv, it);
    decref(it);
    return r;
}

Value list_from_iterable(Value iterable) {
    Value l = list_new(0);
    if (!l) return VNULL;
    if (list_extend(l, iterable) < 0) { decref(l); return VNULL; }
    return l;
}

/* Drop every item. The list is emptied first, then the old items are
 * released, so nothing can observe a half-cleared list. */
static void list_clear_items(ListObj *l) {
    Value *items = l->items;
    size_t n = l->len;
    if (!items) return;      /* nothing to clear: not even a mutation (list.clear() inside a sort's key) */
    l->items = NULL;
    l->len = 0;
    l->cap = 0;
    for (size_t i = 0; i < n; i++) decref(items[i]);
    gc_free(items);
}

/* ===== life cycle ==================================================================== */

static Value list_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return list_alloc(t);
}

static Value list_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("list", kwnames) < 0 || ctr_nargs("list", nargs, 0, 1) < 0) return VNULL;
    if (LIST_LEN(self) > 0) list_clear_items(AS_LIST(self));
    if (nargs == 1 && list_extend(self, args[0]) < 0) return VNULL;
    return none_new();
}

static void list_dealloc(Obj *o) { list_clear_items((ListObj *)o); }

static void list_traverse(Obj *o, VisitFn visit, void *arg) {
    ListObj *l = (ListObj *)o;
    if (!l->items) return;
    for (size_t i = 0; i < l->len; i++)
        if (l->items[i]) visit(l->items[i], arg);
}

/* ===== repr, comparison, hash ========================================================= */

Value list_repr(Value self) {
    if (LIST_LEN(self) == 0) return str_from_cstr("[]");
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_cstr("[...]");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '[');
    for (size_t i = 0; i < LIST_LEN(self); i++) {   /* repr may shrink the list */
        if (i > 0) sb_adds(&b, ", ");
        Value item = incref(LIST_ITEMS(self)[i]);
        int ok = sb_add_value_repr(&b, item);
        decref(item);
        if (ok < 0) {
            sb_free(&b);
            repr_leave(self);
            return VNULL;
        }
    }
    sb_addc(&b, ']');
    repr_leave(self);
    return sb_finish(&b);
}

static Value list_richcmp(Value a, Value b, RichCmpOp op) {
    if (!is_list(a) || !is_list(b)) return incref(NotImplemented);
    if (LIST_LEN(a) != LIST_LEN(b) && (op == RC_EQ || op == RC_NE))
        return bool_new(op == RC_NE);
    size_t i;
    for (i = 0; i < LIST_LEN(a) && i < LIST_LEN(b); i++) {
        Value x = incref(LIST_ITEMS(a)[i]), y = incref(LIST_ITEMS(b)[i]);
        int k = obj_eq(x, y);
        decref(x);
        decref(y);
        if (k < 0) return VNULL;
        if (!k) break;
    }
    if (i >= LIST_LEN(a) || i >= LIST_LEN(b))
        return bool_new(ctr_cmp_sizes(LIST_LEN(a), LIST_LEN(b), op));
    if (op == RC_EQ) return bool_new(0);
    if (op == RC_NE) return bool_new(1);
    Value x = incref(LIST_ITEMS(a)[i]), y = incref(LIST_ITEMS(b)[i]);
    Value r = obj_richcmp(x, y, op);
    decref(x);
    decref(y);
    return r;
}

static intptr_t list_len(Value self) { return (intptr_t)LIST_LEN(self); }

static int list_contains(Value self, Value item) {
    for (size_t i = 0; i < LIST_LEN(self); i++) {
        Value x = incref(LIST_ITEMS(self)[i]);
        int k = obj_eq(x, item);
        decref(x);
        if (k != 0) return k;
    }
    return 0;
}

/* ===== indexing and slicing ============================================================ */

static Value list_slice(Value self, intptr_t start, intptr_t step, intptr_t n) {
    Value r = list_new((size_t)n);
    if (!r) return VNULL;
    for (intptr_t i = 0, j = start; i < n; i++, j += step)
        LIST_ITEMS(r)[i] = incref(LIST_ITEMS(self)[j]);
    return r;
}

static Value list_getitem(Value self, Value key) {
    if (IS_INT(key)) {
        intptr_t i = AS_INT(key), n = (intptr_t)LIST_LEN(self);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return err_format(&Exc_IndexError, "list index out of range");
        return incref(LIST_ITEMS(self)[i]);
    }
    if (IS_TYPE(key, &SliceType)) {
        intptr_t start, stop, step, n;
        if (slice_indices(key, (intptr_t)LIST_LEN(self), &start, &stop, &step, &n) < 0)
            return VNULL;
        return list_slice(self, start, step, n);
    }
    if (index_check(key)) {
        intptr_t i;
        if (index_normalize(key, (intptr_t)LIST_LEN(self), &i, "list") < 0) return VNULL;
        return incref(LIST_ITEMS(self)[i]);
    }
    return err_format(&Exc_TypeError, "list indices must be integers or slices, not %s",
                      obj_type_name(key));
}

/* v as a list or tuple to read items from: *hold receives a new reference
 * to release (a copy when v is `self` or not a list/tuple). `msg` replaces
 * the TypeError of a non-iterable. */
static int as_item_array(Value self, Value v, const char *msg, Value *hold,
                         const Value **items, size_t *n) {
    *hold = VNULL;
    if (v != self && (IS_TYPE(v, &ListType) || IS_TYPE(v, &TupleType))) {
        *hold = incref(v);
    } else if (v == self) {
        *hold = list_from_array(LIST_ITEMS(v), LIST_LEN(v));
        if (!*hold) return -1;
    } else {
        Value it = obj_iter(v);
        if (!it) {
            if (err_matches(&Exc_TypeError)) {
                err_clear();
                err_format(&Exc_TypeError, "%s", msg);
            }
            return -1;
        }
        *hold = list_new(0);
        if (!*hold || list_extend_from_iter(*hold, it) < 0) {
            decref(it);
            clearref(hold);
            return -1;
        }
        decref(it);
    }
    if (IS_TYPE(*hold, &TupleType)) { *items = TUPLE_ITEMS(*hold); *n = TUPLE_LEN(*hold); }
    else { *items = LIST_ITEMS(*hold); *n = LIST_LEN(*hold); }
    return 0;
}

/* a[ilow:ihigh] = v (v VNULL deletes): the step-1 slice assignment. */
static int list_ass_slice(Value self, intptr_t ilow, intptr_t ihigh, Value v) {
    Value hold = VNULL;
    const Value *src = NULL;
    size_t n = 0;
    if (v && as_item_array(self, v, "can only assign an iterable", &hold, &src, &n) < 0)
        return -1;
    ListObj *l = AS_LIST(self);
    intptr_t len = (intptr_t)l->len;
    if (ilow < 0) ilow = 0; else if (ilow > len) ilow = len;
    if (ihigh < ilow) ihigh = ilow; else if (ihigh > len) ihigh = len;
    size_t norig = (size_t)(ihigh - ilow);
    Value *garbage = NULL;
    if (norig > 0) {
        garbage = gc_malloc(norig * sizeof(Value));
        if (!garbage) { decref(hold); return -1; }
        memcpy(garbage, l->items + ilow, norig * sizeof(Value));
    }
    if (n > norig) {
        if (list_reserve(l, l->len + (n - norig)) < 0) {
            if (garbage) gc_free(garbage);
            decref(hold);
            return -1;
        }
    }
    size_t tail = (size_t)len - (size_t)ihigh;
    if (n != norig && tail > 0)
        memmove(l->items + ilow + n, l->items + ihigh, tail * sizeof(Value));
    for (size_t i = 0; i < n; i++) l->items[ilow + i] = incref(src[i]);
    l->len = (size_t)len - norig + n;
    if (n < norig) list_maybe_shrink(l);
    for (size_t i = 0; i < norig; i++) decref(garbage[i]);
    if (garbage) gc_free(garbage);
    decref(hold);
    return 0;
}

static int list_ass_extended(Value self, intptr_t start, intptr_t step, intptr_t slicelen,
                             Value v) {
    Value hold;
    const Value *src;
    size_t n;
    if (as_item_array(self, v, "must assign iterable to extended slice", &hold, &src, &n) < 0)
        return -1;
    if ((intptr_t)n != slicelen) {
        decref(hold);
        err_format(&Exc_ValueError,
                   "attempt to assign sequence of size %zu to extended slice of size %zd",
                   n, slicelen);
        return -1;
    }
    if (slicelen == 0) { decref(hold); return 0; }
    Value *garbage = gc_malloc((size_t)slicelen * sizeof(Value));
    if (!garbage) { decref(hold); return -1; }
    ListObj *l = AS_LIST(self);
    for (intptr_t i = 0, cur = start; i < slicelen; i++, cur += step) {
        garbage[i] = l->items[cur];
        l->items[cur] = incref(src[i]);
    }
    for (intptr_t i = 0; i < slicelen; i++) decref(garbage[i]);
    gc_free(garbage);
    decref(hold);
    return 0;
}

static int list_del_extended(Value self, intptr_t start, intptr_t step, intptr_t slicelen) {
    if (slicelen <= 0) return 0;
    ListObj *l = AS_LIST(self);
    if (step < 0) {            /* walk it forwards: same items, positive step */
        start = start + step * (slicelen - 1);
        step = -step;
    }
    Value *garbage = gc_malloc((size_t)slicelen * sizeof(Value));
    if (!garbage) return -1;
    size_t len = l->len, w = (size_t)start;
    intptr_t k = 0;
    for (size_t r = (size_t)start; r < len; r++) {
        if (k < slicelen && r == (size_t)(start + k * step)) garbage[k++] = l->items[r];
        else l->items[w++] = l->items[r];
    }
    l->len = w;
    list_maybe_shrink(l);
    for (intptr_t i = 0; i < slicelen; i++) decref(garbage[i]);
    gc_free(garbage);
    return 0;
}

static int list_setitem(Value self, Value key, Value v) {
    if (IS_TYPE(key, &SliceType)) {
        intptr_t start, stop, step, n;
        if (slice_indices(key, (intptr_t)LIST_LEN(self), &start, &stop, &step, &n) < 0)
            return -1;
        if (step == 1) return list_ass_slice(self, start, stop, v);
        if (!v) return list_del_extended(self, start, step, n);
        return list_ass_extended(self, start, step, n, v);
    }
    if (!index_check(key)) {
        err_format(&Exc_TypeError, "list indices must be integers or slices, not %s",
                   obj_type_name(key));
        return -1;
    }
    intptr_t i;
    if (index_normalize(key, (intptr_t)LIST_LEN(self), &i, "list assignment") < 0) return -1;
    ListObj *l = AS_LIST(self);
    if (v) {
        setref(&l->items[i], incref(v));
        return 0;
    }
    Value old = l->items[i];
    memmove(l->items + i, l->items + i + 1, (l->len - (size_t)i - 1) * sizeof(Value));
    l->len--;
    list_maybe_shrink(l);
    decref(old);
    return 0;
}

/* ===== + and * ========================================================================= */

static Value list_concat(Value a, Value b) {
    size_t na = LIST_LEN(a), nb = LIST_LEN(b);
    if (na + nb < na) return err_no_memory();
    Value r = list_new(na + nb);
    if (!r) return VNULL;
    for (size_t i = 0; i < na; i++) LIST_ITEMS(r)[i] = incref(LIST_ITEMS(a)[i]);
    for (size_t i = 0; i < nb; i++) LIST_ITEMS(r)[na + i] = incref(LIST_ITEMS(b)[i]);
    return r;
}

/* The repeat count: an index-able value, OverflowError past intptr_t. */
static int repeat_count(Value count, intptr_t *n) {
    return index_as_ssize(count, n, &Exc_OverflowError);
}

static Value list_repeat(Value l, intptr_t n) {
    size_t len = LIST_LEN(l);
    if (n <= 0 || len == 0) return list_new(0);
    if ((size_t)n > (size_t)INTPTR_MAX / sizeof(Value) / len) return err_no_memory();
    Value r = list_new(len * (size_t)n);
    if (!r) return VNULL;
    Value *dst = LIST_ITEMS(r);
    for (intptr_t k = 0; k < n; k++)
        for (size_t i = 0; i < len; i++) *dst++ = incref(LIST_ITEMS(l)[i]);
    return r;
}

static Value list_inplace_repeat(Value self, intptr_t n) {
    ListObj *l = AS_LIST(self);
    size_t len = l->len;
    if (n <= 0 || len == 0) { list_clear_items(l); return incref(self); }
    if (n == 1) return incref(self);
    if ((size_t)n > (size_t)INTPTR_MAX / sizeof(Value) / len) return err_no_memory();
    if (list_reserve(l, len * (size_t)n) < 0) return VNULL;
    for (intptr_t k = 1; k < n; k++)
        for (size_t i = 0; i < len; i++) l->items[k * len + i] = incref(l->items[i]);
    l->len = len * (size_t)n;
    return incref(self);
}

static Value list_binop(Value a, Value b, int op) {
    bool inplace = op >= BINOP_INPLACE;
    int base = inplace ? op - BINOP_INPLACE : op;
    if (base == OP_ADD) {
        if (!is_list(a)) return incref(NotImplemented);
        if (inplace) {                      /* a += b: extend by any iterable */
            if (!is_list(b)) {
                Value r = other_operand_slot(a, b, OP_ADD);
                if (r != NotImplemented) return r;
            }
            if (list_extend(a, b) < 0) return VNULL;
            return incref(a);
        }
        if (is_list(b)) return list_concat(a, b);
        Value r = other_operand_slot(a, b, op);
        if (r != NotImplemented) return r;
        return err_format(&Exc_TypeError, "can only concatenate list (not \"%s\") to list",
                          obj_type_name(b));
    }
    if (base == OP_MUL) {
        Value seq = is_list(a) ? a : b;
        Value other = seq == a ? b : a;
        if (index_check(other)) {
            intptr_t n;
            if (repeat_count(other, &n) < 0) return VNULL;
            if (inplace && seq == a) return list_inplace_repeat(a, n);
            return list_repeat(seq, n);
        }
        if (other == b) {
            Value r = other_operand_slot(a, b, base);
            if (r != NotImplemented) return r;
        } else if (seq_repeats(a)) return incref(NotImplemented);   /* a's * names b */
        return err_format(&Exc_TypeError, "can't multiply sequence by non-int of type '%s'",
                          obj_type_name(other));
    }
    return incref(NotImplemented);
}

/* ===== sorting ========================================================================= */

/* What is sorted: keys[] are compared with <, vals[] (the list items when a
 * key function is given, else NULL) move along with them. */
typedef struct {
    Value *keys;
    Value *vals;
    Value *tmpk, *tmpv;    /* merge buffers */
} Sorter;

static void sort_reverse(Value *a, size_t n) {
    if (!a || n < 2) return;
    for (size_t i = 0, j = n - 1; i < j; i++, j--) {
        Value t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

/* 1 if x < y, 0 if not, -1 on error. */
static inline int sort_lt(Value x, Value y) { return obj_richcmp_bool(x, y, RC_LT); }

/* The length of the run starting at lo (timsort's count_run): a
 * non-descending run, or a strictly descending one (*descending = 1). */
static intptr_t count_run(Sorter *s, size_t lo, size_t hi, int *descending) {
    *descending = 0;
    if (lo + 1 == hi) return 1;
    size_t i = lo + 1;
    int k = sort_lt(s->keys[i], s->keys[i - 1]);
    if (k < 0) return -1;
    if (k) {
        *descending = 1;
        for (i++; i < hi; i++) {
            k = sort_lt(s->keys[i], s->keys[i - 1]);
            if (k < 0) return -1;
            if (!k) break;
        }
    } else {
        for (i++; i < hi; i++) {
            k = sort_lt(s->keys[i], s->keys[i - 1]);
            if (k < 0) return -1;
            if (k) break;
        }
    }
    return (intptr_t)(i - lo);
}

/* Binary insertion sort of [lo, hi) where [lo, start) is already sorted. */
static int binary_sort(Sorter *s, size_t lo, size_t hi, size_t start) {
    for (; start < hi; start++) {
        Value pivot = s->keys[start];
        Value pval = s->vals ? s->vals[start] : VNULL;
        size_t l = lo, r = start;
        while (l < r) {
            size_t p = l + ((r - l) >> 1);
            int k = sort_lt(pivot, s->keys[p]);
            if (k < 0) return -1;
            if (k) r = p; else l = p + 1;
        }
        memmove(s->keys + l + 1, s->keys + l, (start - l) * sizeof(Value));
        s->keys[l] = pivot;
        if (s->vals) {
            memmove(s->vals + l + 1, s->vals + l, (start - l) * sizeof(Value));
            s->vals[l] = pval;
        }
    }
    return 0;
}

/* Stable merge of the adjacent sorted runs [lo, mid) and [mid, hi). On a
 * comparison error the rest is copied back unmerged, so the array stays a
 * permutation of what it was. */
static int merge_runs(Sorter *s, size_t lo, size_t mid, size_t hi) {
    size_t na = mid - lo;
    memcpy(s->tmpk, s->keys + lo, na * sizeof(Value));
    if (s->vals) memcpy(s->tmpv, s->vals + lo, na * sizeof(Value));
    size_t i = 0, j = mid, k = lo;
    int err = 0;
    while (i < na && j < hi) {
        int lt = sort_lt(s->keys[j], s->tmpk[i]);
        if (lt < 0) { err = -1; break; }
        if (lt) {
            s->keys[k] = s->keys[j];
            if (s->vals) s->vals[k] = s->vals[j];
            j++;
        } else {
            s->keys[k] = s->tmpk[i];
            if (s->vals) s->vals[k] = s->tmpv[i];
            i++;
        }
        k++;
    }
    /* what is left of the left run fills the gap before j exactly */
    memcpy(s->keys + k, s->tmpk + i, (na - i) * sizeof(Value));
    if (s->vals) memcpy(s->vals + k, s->tmpv + i, (na - i) * sizeof(Value));
    return err;
}

static size_t merge_compute_minrun(size_t n) {
    size_t r = 0;
    while (n >= 64) { r |= n & 1; n >>= 1; }
    return n + r;
}

static int sort_values(Sorter *s, size_t n) {
    if (n < 2) return 0;
    size_t minrun = merge_compute_minrun(n);
    size_t *runs = gc_malloc((n / minrun + 2) * sizeof(size_t));
    if (!runs) return -1;
    size_t nruns = 0, lo = 0;
    int err = 0;
    while (lo < n) {
        int desc;
        intptr_t r = count_run(s, lo, n, &desc);
        if (r < 0) { err = -1; break; }
        size_t run = (size_t)r;
        if (desc) {
            sort_reverse(s->keys + lo, run);
            if (s->vals) sort_reverse(s->vals + lo, run);
        }
        if (run < minrun) {
            size_t force = n - lo < minrun ? n - lo : minrun;
            if (binary_sort(s, lo, lo + force, lo + run) < 0) { err = -1; break; }
            run = force;
        }
        runs[nruns++] = lo;
        lo += run;
    }
    if (!err && nruns > 1) {
        /* Merge neighbouring runs pairwise until one is left. The buffer
         * holds a left run, so n slots are always enough. */
        s->tmpk = gc_malloc(n * sizeof(Value));
        s->tmpv = s->vals ? gc_malloc(n * sizeof(Value)) : NULL;
        if (!s->tmpk || (s->vals && !s->tmpv)) err = -1;
        while (!err && nruns > 1) {
            size_t w = 0;
            for (size_t i = 0; i < nruns; i += 2) {
                if (i + 1 < nruns && !err) {
                    size_t hi = i + 2 < nruns ? runs[i + 2] : n;
                    if (merge_runs(s, runs[i], runs[i + 1], hi) < 0) err = -1;
                }
                runs[w++] = runs[i];
            }
            nruns = w;
        }
        if (s->tmpk) gc_free(s->tmpk);
        if (s->tmpv) gc_free(s->tmpv);
    }
    gc_free(runs);
    return err;
}

int list_sort(Value self, Value keyfunc, bool reverse) {
    ListObj *l = AS_LIST(self);
    if (keyfunc && IS_NONE(keyfunc)) keyfunc = VNULL;

    /* Empty the list for the duration (see SORTING_MARK). */
    size_t n = l->len, saved_cap = l->cap;
    Value *items = l->items;
    l->items = NULL;
    l->len = 0;
    l->cap = SORTING_MARK;

    int err = 0;
    Value *keys = NULL;
    Sorter s = { items, NULL, NULL, NULL };
    if (keyfunc && n > 0) {
        keys = gc_malloc(n * sizeof(Value));
        if (!keys) err = -1;
        for (size_t i = 0; !err && i < n; i++) {
            keys[i] = obj_call1(keyfunc, items[i]);
            if (!keys[i]) {
                for (size_t j = 0; j < i; j++) decref(keys[j]);
                gc_free(keys);
                keys = NULL;
                err = -2;       /* nothing was moved: skip the reversal */
            }
        }
        if (keys) { s.keys = keys; s.vals = items; }
    }
    if (!err) {
        if (reverse) {
            sort_reverse(s.keys, n);
            if (s.vals) sort_reverse(s.vals, n);
        }
        if (sort_values(&s, n) < 0) err = -1;
        if (reverse) {
            sort_reverse(s.keys, n);
            if (s.vals) sort_reverse(s.vals, n);
        }
    }
    if (keys) {
        for (size_t i = 0; i < n; i++) decref(keys[i]);
        gc_free(keys);
    }

    /* Put the items back; anything the list gained meanwhile is dropped. */
    bool modified = !(l->items == NULL && l->cap == SORTING_MARK);
    Value *extra = l->items;
    size_t nextra = l->len;
    l->items = items;
    l->len = n;
    l->cap = items ? saved_cap : 0;
    if (extra) {
        for (size_t i = 0; i < nextra; i++) decref(extra[i]);
        gc_free(extra);
    }
    if (err == 0 && modified) {
        err_format(&Exc_ValueError, "list modified during sort");
        return -1;
    }
    return err < 0 ? -1 : 0;
}

/* ===== methods ========================================================================= */

static Value m_append(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("list.append", nargs, kwnames) < 0) return VNULL;
    if (list_append(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value m_extend(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("list.extend", nargs, kwnames) < 0) return VNULL;
    if (list_extend(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value m_insert(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("insert", kwnames) < 0 || ctr_nargs("insert", nargs, 2, 2) < 0) return VNULL;
    intptr_t i;
    if (index_as_ssize(args[0], &i, NULL) < 0) return VNULL;
    ListObj *l = AS_LIST(self);
    intptr_t n = (intptr_t)l->len;
    if (i < 0) { i += n; if (i < 0) i = 0; }
    if (i > n) i = n;
    if (list_reserve(l, l->len + 1) < 0) return VNULL;
    memmove(l->items + i + 1, l->items + i, (size_t)(n - i) * sizeof(Value));
    l->items[i] = incref(args[1]);
    l->len++;
    return none_new();
}

static Value m_pop(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("pop", kwnames) < 0 || ctr_nargs("pop", nargs, 0, 1) < 0) return VNULL;
    intptr_t i = -1;
    if (nargs == 1 && index_as_ssize(args[0], &i, &Exc_OverflowError) < 0) return VNULL;
    ListObj *l = AS_LIST(self);
    intptr_t n = (intptr_t)l->len;
    if (n == 0) return err_format(&Exc_IndexError, "pop from empty list");
    if (i < 0) i += n;
    if (i < 0 || i >= n) return err_format(&Exc_IndexError, "pop index out of range");
    Value v = l->items[i];
    memmove(l->items + i, l->items + i + 1, (size_t)(n - i - 1) * sizeof(Value));
    l->len--;
    list_maybe_shrink(l);
    return v;
}

/* The index of the first item == x in [start, stop), -1 if none, -2 on error. */
static intptr_t list_find(Value self, Value x, intptr_t start, intptr_t stop) {
    for (intptr_t i = start; i < stop && i < (intptr_t)LIST_LEN(self); i++) {
        Value item = incref(LIST_ITEMS(self)[i]);
        int k = obj_eq(item, x);
        decref(item);
        if (k < 0) return -2;
        if (k) return i;
    }
    return -1;
}

static Value m_remove(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("list.remove", nargs, kwnames) < 0) return VNULL;
    intptr_t i = list_find(self, args[0], 0, INTPTR_MAX);
    if (i == -2) return VNULL;
    if (i < 0) return err_format(&Exc_ValueError, "list.remove(x): x not in list");
    if (list_ass_slice(self, i, i + 1, VNULL) < 0) return VNULL;
    return none_new();
}

static int clamp_bound(Value v, intptr_t len, intptr_t *out) {
    if (index_as_ssize(v, out, NULL) < 0) return -1;
    if (*out < 0) { *out += len; if (*out < 0) *out = 0; }
    return 0;
}

static Value m_index(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("index", kwnames) < 0 || ctr_nargs("index", nargs, 1, 3) < 0) return VNULL;
    intptr_t len = (intptr_t)LIST_LEN(self), start = 0, stop = INTPTR_MAX;
    if (nargs > 1 && clamp_bound(args[1], len, &start) < 0) return VNULL;
    if (nargs > 2 && clamp_bound(args[2], len, &stop) < 0) return VNULL;
    intptr_t i = list_find(self, args[0], start, stop);
    if (i == -2) return VNULL;
    if (i < 0) return err_format(&Exc_ValueError, "%R is not in list", args[0]);
    return MK_INT(i);
}

static Value m_count(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("list.count", nargs, kwnames) < 0) return VNULL;
    intptr_t count = 0;
    for (size_t i = 0; i < LIST_LEN(self); i++) {
        Value item = incref(LIST_ITEMS(self)[i]);
        int k = obj_eq(item, args[0]);
        decref(item);
        if (k < 0) return VNULL;
        count += k;
    }
    return MK_INT(count);
}

static Value m_clear(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("list.clear", nargs, kwnames) < 0) return VNULL;
    list_clear_items(AS_LIST(self));
    return none_new();
}

static Value m_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("list.copy", nargs, kwnames) < 0) return VNULL;
    return list_from_array(LIST_ITEMS(self), LIST_LEN(self));
}

static Value m_reverse(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("list.reverse", nargs, kwnames) < 0) return VNULL;
    sort_reverse(LIST_ITEMS(self), LIST_LEN(self));
    return none_new();
}

static Value m_sort(Value self, Value *args, size_t nargs, Value kwnames) {
    if (nargs > 0) return err_format(&Exc_TypeError, "sort() takes no positional arguments");
    Value key = VNULL;
    intptr_t reverse = 0;
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t i = 0; i < nkw; i++) {
        Value name = TUPLE_ITEMS(kwnames)[i];
        if (str_eq_cstr(name, "key")) key = args[i];
        else if (str_eq_cstr(name, "reverse")) {
            if (index_as_ssize(args[i], &reverse, &Exc_OverflowError) < 0) return VNULL;
        } else {
            return err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for sort()",
                              name);
        }
    }
    if (list_sort(self, key, reverse != 0) < 0) return VNULL;
    return none_new();
}

static Value listreviter_new(Value l);

static Value m_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("list.__reversed__", nargs, kwnames) < 0) return VNULL;
    return listreviter_new(self);
}

static const MethodDef list_methods[] = {
    { "append", m_append, METH_DEFAULT },
    { "extend", m_extend, METH_DEFAULT },
    { "insert", m_insert, METH_DEFAULT },
    { "pop", m_pop, METH_DEFAULT },
    { "remove", m_remove, METH_DEFAULT },
    { "index", m_index, METH_DEFAULT },
    { "count", m_count, METH_DEFAULT },
    { "clear", m_clear, METH_DEFAULT },
    { "copy", m_copy, METH_DEFAULT },
    { "reverse", m_reverse, METH_DEFAULT },
    { "sort", m_sort, METH_DEFAULT },
    { "__reversed__", m_reversed, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

/* ===== iterators ======================================================================= */

/* Forward: index counts up; reverse: index counts down from len-1. The list
 * is dropped once the iterator is exhausted (as CPython does). */
typedef struct { Obj h; Value seq; intptr_t index; } ListIterObj;

static Value list_iter(Value self) {
    ListIterObj *it = (ListIterObj *)gc_alloc(&ListIterType, sizeof(ListIterObj));
    if (!it) return VNULL;
    it->seq = incref(self);
    it->index = 0;
    return OBJ_VAL(it);
}

static Value listiter_next(Value self) {
    ListIterObj *it = (ListIterObj *)AS_OBJ(self);
    if (!it->seq) return VNULL;
    if (it->index < (intptr_t)LIST_LEN(it->seq))
        return incref(LIST_ITEMS(it->seq)[it->index++]);
    clearref(&it->seq);
    return VNULL;
}

static Value listreviter_new(Value l) {
    ListIterObj *it = (ListIterObj *)gc_alloc(&ListRevIterType, sizeof(ListIterObj));
    if (!it) return VNULL;
    it->seq = incref(l);
    it->index = (intptr_t)LIST_LEN(l) - 1;
    return OBJ_VAL(it);
}

static Value listreviter_next(Value self) {
    ListIterObj *it = (ListIterObj *)AS_OBJ(self);
    if (!it->seq) return VNULL;
    if (it->index >= 0 && it->index < (intptr_t)LIST_LEN(it->seq))
        return incref(LIST_ITEMS(it->seq)[it->index--]);
    it->index = -1;
    clearref(&it->seq);
    return VNULL;
}

static Value listiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    ListIterObj *it = (ListIterObj *)AS_OBJ(self);
    if (!it->seq) return MK_INT(0);
    intptr_t n = (intptr_t)LIST_LEN(it->seq) - it->index;
    return MK_INT(n < 0 ? 0 : n);
}

static Value listreviter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    ListIterObj *it = (ListIterObj *)AS_OBJ(self);
    if (!it->seq || it->index >= (intptr_t)LIST_LEN(it->seq)) return MK_INT(0);
    return MK_INT(it->index + 1);
}

static void listiter_dealloc(Obj *o) { clearref(&((ListIterObj *)o)->seq); }
static void listiter_traverse(Obj *o, VisitFn visit, void *arg) {
    ListIterObj *it = (ListIterObj *)o;
    if (it->seq) visit(it->seq, arg);
}

static const MethodDef listiter_methods[] = {
    { "__length_hint__", listiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const MethodDef listreviter_methods[] = {
    { "__length_hint__", listreviter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== types =========================================================================== */

Type ListType = {
    STATIC_TYPE_HEAD,
    .name = "list",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(ListObj),
    .tp_new = list_tp_new,
    .tp_init = list_tp_init,
    .dealloc = list_dealloc,
    .traverse = list_traverse,
    .clear = list_dealloc,
    .repr = list_repr,
    .richcmp = list_richcmp,
    .len = list_len,
    .iter = list_iter,
    .getitem = list_getitem,
    .setitem = list_setitem,
    .contains = list_contains,
    .binop = list_binop,
};

Type ListIterType = {
    STATIC_TYPE_HEAD,
    .name = "list_iterator",
    .flags = TF_GC,
    .size = sizeof(ListIterObj),
    .tp_new = ctr_no_new,
    .dealloc = listiter_dealloc,
    .traverse = listiter_traverse,
    .clear = listiter_dealloc,
    .iter = iter_self,
    .iternext = listiter_next,
};

Type ListRevIterType = {
    STATIC_TYPE_HEAD,
    .name = "list_reverseiterator",
    .flags = TF_GC,
    .size = sizeof(ListIterObj),
    .tp_new = ctr_no_new,
    .dealloc = listiter_dealloc,
    .traverse = listiter_traverse,
    .clear = listiter_dealloc,
    .iter = iter_self,
    .iternext = listreviter_next,
};

void list_init_types(void) {
    type_add_methods(&ListType, list_methods);
    type_ready(&ListType);
    ctr_set_hash_none(&ListType);
    type_add_methods(&ListIterType, listiter_methods);
    type_ready(&ListIterType);
    type_add_methods(&ListRevIterType, listreviter_methods);
    type_ready(&ListRevIterType);
}
