/* obj_set.c — set and frozenset, and their iterator.
 *
 * Owns: SetObj's open-addressing table and every set algorithm. The table
 * follows CPython's setobject.c step for step (8 slots to start, 9 linear
 * probes then perturbed jumps, resize at 60% fill to 4x the live count,
 * the same pre-sizing in merges): the order a set iterates in is visible
 * to programs (print({3, 1, 2})), and must be python3's.
 * Must not touch: other layouts (dicts are read through dict_next_hash).
 *
 * Slots: key VNULL = never used; key DUMMY (hash -1) = deleted; else live.
 * `hash` caches a frozenset's hash (-1 = not computed); a mutable set never
 * has one, so its `hash` field serves as pop()'s search finger instead.
 * Comparing keys can run apy code that mutates the set: lookups restart if
 * the table changed under them, as CPython's do.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

#define SET_MINSIZE 8
#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5

/* The marker for deleted slots: never visible to programs. */
static Obj dummy_obj = { IMMORTAL_RC, &NoneType };
#define DUMMY OBJ_VAL(&dummy_obj)

extern Type SetIterType;

static uint64_t set_version_counter;
static inline void bump(SetObj *s) { s->version = ++set_version_counter; }

bool set_check(Value v) {
    return obj_isinstance_type(v, &SetType) || obj_isinstance_type(v, &FrozenSetType);
}
static bool is_mutable_set(Value v) { return obj_isinstance_type(v, &SetType); }

static inline int64_t key_hash(Value key) {
    if (IS_STR(key) && AS_STR(key)->hash != -1) return AS_STR(key)->hash;
    return obj_hash(key);
}

/* ===== the table ===================================================================== */

/* The slot holding key, or the unused slot where a search for it ends;
 * NULL on error. */
static SetEntry *lookkey(SetObj *s, Value key, int64_t hash) {
restart:;
    SetEntry *table = s->table;
    size_t mask = s->mask;
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    for (;;) {
        SetEntry *e = &table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (e->hash == 0 && e->key == VNULL) return e;
            if (e->hash == hash && e->key != DUMMY) {
                Value startkey = e->key;
                if (startkey == key) return e;
                if (IS_STR(startkey) && IS_STR(key)) {
                    if (str_eq(startkey, key)) return e;
                } else {
                    incref(startkey);
                    int cmp = obj_eq(startkey, key);
                    decref(startkey);
                    if (cmp < 0) return NULL;
                    if (table != s->table || mask != s->mask || e->key != startkey)
                        goto restart;
                    if (cmp > 0) return e;
                }
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
}

/* Put a key known to be absent into a table without dummies. */
static void insert_clean(SetEntry *table, size_t mask, Value key, int64_t hash) {
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    for (;;) {
        SetEntry *e = &table[i];
        if (e->key == VNULL) goto found;
        if (i + LINEAR_PROBES <= mask) {
            for (int j = 0; j < LINEAR_PROBES; j++) {
                e++;
                if (e->key == VNULL) goto found;
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
        continue;
    found:
        e->key = key;
        e->hash = hash;
        return;
    }
}

/* Rebuild into the smallest power-of-two table > minused. */
static int table_resize(SetObj *s, size_t minused) {
    size_t newsize = SET_MINSIZE;
    while (newsize <= minused) {
        newsize <<= 1;
        if (newsize > (size_t)INTPTR_MAX / sizeof(SetEntry)) { err_no_memory(); return -1; }
    }
    SetEntry *newtable = gc_calloc(newsize, sizeof(SetEntry));
    if (!newtable) return -1;
    SetEntry *old = s->table;
    size_t oldmask = s->mask;
    if (old) {
        for (size_t i = 0; i <= oldmask; i++) {
            Value k = old[i].key;
            if (k != VNULL && k != DUMMY) insert_clean(newtable, newsize - 1, k, old[i].hash);
        }
        gc_free(old);
    }
    s->table = newtable;
    s->mask = newsize - 1;
    s->fill = s->used;
    bump(s);
    return 0;
}

static int ensure_table(SetObj *s) {
    return s->table ? 0 : table_resize(s, 0);
}

/* Add key (with its hash); increfs key when it is stored. */
static int add_entry(SetObj *s, Value key, int64_t hash) {
    if (ensure_table(s) < 0) return -1;
restart:;
    size_t mask = s->mask;
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    SetEntry *freeslot = NULL, *e;
    for (;;) {
        e = &s->table[i];
        int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
        do {
            if (e->hash == 0 && e->key == VNULL) goto found_unused_or_dummy;
            if (e->hash == hash) {
                Value startkey = e->key;
                if (startkey == key) return 0;
                if (IS_STR(startkey) && IS_STR(key)) {
                    if (str_eq(startkey, key)) return 0;
                } else {
                    SetEntry *table = s->table;
                    incref(startkey);
                    int cmp = obj_eq(startkey, key);
                    decref(startkey);
                    if (cmp > 0) return 0;
                    if (cmp < 0) return -1;
                    if (table != s->table || mask != s->mask || e->key != startkey)
                        goto restart;
                }
            } else if (e->hash == -1 && e->key == DUMMY) {
                freeslot = e;      /* CPython keeps the last dummy seen */
            }
            e++;
        } while (probes--);
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + perturb) & mask;
    }
found_unused_or_dummy:
    if (freeslot) {
        freeslot->key = incref(key);
        freeslot->hash = hash;
        s->used++;
        bump(s);
        return 0;
    }
    s->fill++;
    s->used++;
    e->key = incref(key);
    e->hash = hash;
    bump(s);
    if (s->fill * 5 < mask * 3) return 0;
    return table_resize(s, s->used > 50000 ? s->used * 2 : s->used * 4);
}

static int add_key(SetObj *s, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    return add_entry(s, key, hash);
}

static int contains_entry(SetObj *s, Value key, int64_t hash) {
    if (!s->table) return 0;
    SetEntry *e = lookkey(s, key, hash);
    if (!e) return -1;
    return e->key != VNULL;
}

/* 1 removed, 0 absent, -1 error. */
static int discard_entry(SetObj *s, Value key, int64_t hash) {
    if (!s->table) return 0;
    SetEntry *e = lookkey(s, key, hash);
    if (!e) return -1;
    if (e->key == VNULL) return 0;
    Value old = e->key;
    e->key = DUMMY;
    e->hash = -1;
    s->used--;
    bump(s);
    decref(old);
    return 1;
}

/* Empty the set (back to 8 slots when that allocation succeeds). */
static void clear_internal(SetObj *s) {
    SetEntry *table = s->table;
    size_t mask = s->mask;
    s->table = NULL;
    s->used = s->fill = 0;
    s->mask = 0;
    bump(s);
    if (!table) return;
    for (size_t i = 0; i <= mask; i++)
        if (table[i].key != VNULL && table[i].key != DUMMY) decref(table[i].key);
    if (mask + 1 == SET_MINSIZE) {
        /* reuse the small table rather than allocate again */
        memset(table, 0, SET_MINSIZE * sizeof(SetEntry));
        s->table = table;
        s->mask = SET_MINSIZE - 1;
        return;
    }
    gc_free(table);
    if (table_resize(s, 0) < 0) err_clear();    /* a later add retries */
}

bool set_next(Value sv, size_t *pos, Value *key) {
    SetObj *s = AS_SET(sv);
    if (!s->table) return false;
    size_t i = *pos;
    while (i <= s->mask && (s->table[i].key == VNULL || s->table[i].key == DUMMY)) i++;
    *pos = i + 1;
    if (i > s->mask) return false;
    *key = s->table[i].key;
    return true;
}

/* Like set_next, also giving the stored hash. */
static bool next_entry(SetObj *s, size_t *pos, Value *key, int64_t *hash) {
    if (!s->table) return false;
    size_t i = *pos;
    while (i <= s->mask && (s->table[i].key == VNULL || s->table[i].key == DUMMY)) i++;
    *pos = i + 1;
    if (i > s->mask) return false;
    *key = s->table[i].key;
    *hash = s->table[i].hash;
    return true;
}

/* ===== merging ======================================================================== */

/* s |= other where other is a set or frozenset. */
static int merge_set(SetObj *s, SetObj *o) {
    if (s == o || o->used == 0) return 0;
    if (ensure_table(s) < 0) return -1;
    /* one big resize first, expecting few overlapping keys */
    if ((s->fill + o->used) * 5 >= s->mask * 3) {
        if (table_resize(s, (s->used + o->used) * 2) < 0) return -1;
    }
    /* empty target, same size, no dummies: copy the table as it is */
    if (s->fill == 0 && s->mask == o->mask && o->fill == o->used) {
        for (size_t i = 0; i <= o->mask; i++) {
            Value k = o->table[i].key;
            if (k != VNULL) {
                s->table[i].key = incref(k);
                s->table[i].hash = o->table[i].hash;
            }
        }
        s->fill = o->fill;
        s->used = o->used;
        bump(s);
        return 0;
    }
    /* empty target: no duplicates possible, insert without comparing */
    if (s->fill == 0) {
        for (size_t i = 0; i <= o->mask; i++) {
            Value k = o->table[i].key;
            if (k != VNULL && k != DUMMY) insert_clean(s->table, s->mask, incref(k), o->table[i].hash);
        }
        s->fill = s->used = o->used;
        bump(s);
        return 0;
    }
    for (size_t i = 0; o->table && i <= o->mask; i++) {
        Value k = o->table[i].key;
        if (k != VNULL && k != DUMMY) {
            incref(k);
            int r = add_entry(s, k, o->table[i].hash);
            decref(k);
            if (r < 0) return -1;
        }
    }
    return 0;
}

static int merge_dict_keys(SetObj *s, Value d) {
    if (ensure_table(s) < 0) return -1;
    size_t dsize = AS_DICT(d)->used;
    if ((s->fill + dsize) * 5 >= s->mask * 3) {
        if (table_resize(s, (s->used + dsize) * 2) < 0) return -1;
    }
    size_t pos = 0;
    Value k;
    int64_t h;
    while (dict_next_hash(d, &pos, &k, NULL, &h)) {
        incref(k);
        int r = add_entry(s, k, h);
        decref(k);
        if (r < 0) return -1;
    }
    return 0;
}

int set_update_internal(Value sv, Value other) {
    SetObj *s = AS_SET(sv);
    if (set_check(other)) return merge_set(s, AS_SET(other));
    if (IS_DICT(other)) return merge_dict_keys(s, other);
    Value it = obj_iter(other);
    if (!it) return -1;
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        int r = add_key(s, k);
        decref(k);
        if (r < 0) { decref(it); return -1; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

/* ===== construction ==================================================================== */

static Value set_alloc(Type *t) {
    SetObj *s = (SetObj *)gc_alloc(t, t->size > sizeof(SetObj) ? t->size : sizeof(SetObj));
    if (!s) return VNULL;
    /* a frozenset caches its hash here; a set keeps pop()'s finger (0) */
    s->hash = type_is_subtype(t, &FrozenSetType) ? -1 : 0;
    if (table_resize(s, 0) < 0) { decref(OBJ_VAL(s)); return VNULL; }
    return OBJ_VAL(s);
}

static Value make_set(Type *t, Value iterable) {
    Value s = set_alloc(t);
    if (s && iterable && set_update_internal(s, iterable) < 0) clearref(&s);
    return s;
}

/* A new empty set of the built-in base of v's type (results of set
 * operations on subclasses are plain sets/frozensets, as in CPython). */
static Value make_set_basetype(Value v, Value iterable) {
    Type *t = is_mutable_set(v) ? &SetType : &FrozenSetType;
    return make_set(t, iterable);
}

Value set_new(Value iterable) { return make_set(&SetType, iterable); }
Value frozenset_new(Value iterable) { return make_set(&FrozenSetType, iterable); }

int set_add(Value s, Value key) { return add_key(AS_SET(s), key); }

int64_t set_frozen_hash(Value sv);

/* `key in s`, where a set key is looked up as the equal frozenset. */
int set_contains(Value sv, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) {
        if (!is_mutable_set(key) || !err_matches(&Exc_TypeError)) return -1;
        err_clear();
        hash = set_frozen_hash(key);
    }
    return contains_entry(AS_SET(sv), key, hash);
}

int set_discard(Value sv, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) {
        if (!is_mutable_set(key) || !err_matches(&Exc_TypeError)) return -1;
        err_clear();
        hash = set_frozen_hash(key);
    }
    return discard_entry(AS_SET(sv), key, hash);
}

static Value set_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return make_set(t, VNULL);
}

static Value set_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("set", kwnames) < 0) return VNULL;
    if (ctr_nargs(AS_OBJ(self)->type->name, nargs, 0, 1) < 0) return VNULL;
    if (AS_SET(self)->fill) clear_internal(AS_SET(self));
    if (nargs == 1 && set_update_internal(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value frozenset_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (t == &FrozenSetType && ctr_no_kw("frozenset", kwnames) < 0) return VNULL;
    if (ctr_nargs(t->name, nargs, 0, 1) < 0) return VNULL;
    Value iterable = nargs ? args[0] : VNULL;
    if (t == &FrozenSetType && iterable && IS_TYPE(iterable, &FrozenSetType))
        return incref(iterable);      /* frozenset(f) is f */
    return make_set(t, iterable);
}

/* ===== life cycle ====================================================================== */

static void set_dealloc(Obj *o) {
    SetObj *s = (SetObj *)o;
    SetEntry *table = s->table;
    size_t mask = s->mask;
    s->table = NULL;
    s->used = s->fill = 0;
    if (!table) return;
    for (size_t i = 0; i <= mask; i++)
        if (table[i].key != VNULL && table[i].key != DUMMY) decref(table[i].key);
    gc_free(table);
}

static void set_traverse(Obj *o, VisitFn visit, void *arg) {
    SetObj *s = (SetObj *)o;
    if (!s->table) return;
    for (size_t i = 0; i <= s->mask; i++)
        if (s->table[i].key != VNULL && s->table[i].key != DUMMY) visit(s->table[i].key, arg);
}

static void set_gc_clear(Obj *o) { clear_internal((SetObj *)o); }

/* ===== repr, hash, comparisons =========================================================== */

static Value set_repr(Value self) {
    Type *t = AS_OBJ(self)->type;
    bool exact_set = t == &SetType;
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_fmt("%s(...)", t->name);
    if (AS_SET(self)->used == 0) {
        repr_leave(self);
        return str_from_fmt("%s()", t->name);
    }
    /* snapshot the keys first: repr of a key may change the set */
    Value keys = list_new(0);
    size_t pos = 0;
    Value k;
    while (keys && set_next(self, &pos, &k))
        if (list_append(keys, k) < 0) clearref(&keys);
    if (!keys) { repr_leave(self); return VNULL; }
    StrBuf b;
    sb_init(&b);
    if (!exact_set) { sb_adds(&b, t->name); sb_addc(&b, '('); }
    sb_addc(&b, '{');
    for (size_t i = 0; i < LIST_LEN(keys); i++) {
        if (i > 0) sb_adds(&b, ", ");
        if (sb_add_value_repr(&b, LIST_ITEMS(keys)[i]) < 0) {
            sb_free(&b);
            decref(keys);
            repr_leave(self);
            return VNULL;
        }
    }
    sb_addc(&b, '}');
    if (!exact_set) sb_addc(&b, ')');
    decref(keys);
    repr_leave(self);
    return sb_finish(&b);
}

static uint64_t shuffle_bits(uint64_t h) {
    return ((h ^ 89869747UL) ^ (h << 16)) * 3644798167UL;
}

/* CPython's frozenset hash: order-independent xor of shuffled entry hashes. */
int64_t set_frozen_hash(Value sv) {
    SetObj *s = AS_SET(sv);
    uint64_t hash = 0;
    for (size_t i = 0; s->table && i <= s->mask; i++) {
        Value k = s->table[i].key;
        if (k != VNULL && k != DUMMY) hash ^= shuffle_bits((uint64_t)s->table[i].hash);
    }
    hash ^= ((uint64_t)s->used + 1) * 1927868237UL;
    hash ^= (hash >> 11) ^ (hash >> 25);
    hash = hash * 69069U + 907133923UL;
    if (hash == (uint64_t)-1) hash = 590923713UL;
    return (int64_t)hash;
}

static int64_t frozenset_hash(Value self) {
    SetObj *s = AS_SET(self);
    if (s->hash != -1) return s->hash;
    s->hash = set_frozen_hash(self);
    return s->hash;
}

static intptr_t set_len(Value self) { return (intptr_t)AS_SET(self)->used; }

static int set_contains_slot(Value self, Value key) { return set_contains(self, key); }

static Value set_intersection(Value so, Value other);

/* so <= other */
static Value issubset(Value so, Value other) {
    if (!set_check(other)) {
        Value tmp = set_intersection(so, other);
        if (!tmp) return VNULL;
        bool r = AS_SET(tmp)->used == AS_SET(so)->used;
        decref(tmp);
        return bool_new(r);
    }
    if (AS_SET(so)->used > AS_SET(other)->used) return bool_new(0);
    size_t pos = 0;
    Value k;
    int64_t h;
    while (next_entry(AS_SET(so), &pos, &k, &h)) {
        incref(k);
        int r = contains_entry(AS_SET(other), k, h);
        decref(k);
        if (r < 0) return VNULL;
        if (!r) return bool_new(0);
    }
    return bool_new(1);
}

/* so >= other */
static Value issuperset(Value so, Value other) {
    if (set_check(other)) return issubset(other, so);
    Value it = obj_iter(other);
    if (!it) return VNULL;
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        int r = set_contains(so, k);
        decref(k);
        if (r <= 0) { decref(it); return r < 0 ? VNULL : bool_new(0); }
    }
    decref(it);
    return err_occurred() ? VNULL : bool_new(1);
}

static Value set_richcmp(Value v, Value w, RichCmpOp op) {
    if (!set_check(v) || !set_check(w)) return incref(NotImplemented);
    size_t lv = AS_SET(v)->used, lw = AS_SET(w)->used;
    switch (op) {
    case RC_EQ:
    case RC_NE: {
        if (lv != lw) return bool_new(op == RC_NE);
        if (!is_mutable_set(v) && !is_mutable_set(w)) {
            int64_t hv = AS_SET(v)->hash, hw = AS_SET(w)->hash;
            if (hv != -1 && hw != -1 && hv != hw) return bool_new(op == RC_NE);
        }
        Value r = issubset(v, w);
        if (!r || op == RC_EQ) return r;
        bool eq = r == True_;
        decref(r);
        return bool_new(!eq);
    }
    case RC_LE: return issubset(v, w);
    case RC_GE: return issuperset(v, w);
    case RC_LT: return lv >= lw ? bool_new(0) : issubset(v, w);
    default:    return lv <= lw ? bool_new(0) : issuperset(v, w);
    }
}

/* ===== the algebra ===================================================================== */

static Value set_copy_of(Value so) {
    Value r = make_set_basetype(so, VNULL);
    if (r && merge_set(AS_SET(r), AS_SET(so)) < 0) clearref(&r);
    return r;
}

static Value set_intersection(Value so, Value other) {
    if (so == other) return set_copy_of(so);
    Value result = make_set_basetype(so, VNULL);
    if (!result) return VNULL;
    if (set_check(other)) {
        Value a = so, b = other;      /* walk the smaller, probe the larger */
        if (AS_SET(b)->used > AS_SET(a)->used) { a = other; b = so; }
        size_t pos = 0;
        Value k;
        int64_t h;
        while (next_entry(AS_SET(b), &pos, &k, &h)) {
            incref(k);
            int r = contains_entry(AS_SET(a), k, h);
            if (r > 0) r = add_entry(AS_SET(result), k, h);
            decref(k);
            if (r < 0) { decref(result); return VNULL; }
        }
        return result;
    }
    Value it = obj_iter(other);
    if (!it) { decref(result); return VNULL; }
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        int64_t h = key_hash(k);
        int r = h == -1 ? -1 : contains_entry(AS_SET(so), k, h);
        if (r > 0) r = add_entry(AS_SET(result), k, h);
        decref(k);
        if (r < 0) { decref(it); decref(result); return VNULL; }
    }
    decref(it);
    if (err_occurred()) { decref(result); return VNULL; }
    return result;
}

/* Trade the tables of two sets (intersection_update keeps the new one). */
static void swap_bodies(SetObj *a, SetObj *b) {
    size_t t;
    t = a->fill; a->fill = b->fill; b->fill = t;
    t = a->used; a->used = b->used; b->used = t;
    t = a->mask; a->mask = b->mask; b->mask = t;
    SetEntry *u = a->table; a->table = b->table; b->table = u;
    bump(a);
    bump(b);
}

static int difference_update_internal(Value so, Value other) {
    SetObj *s = AS_SET(so);
    if (so == other) { clear_internal(s); return 0; }
    if (set_check(other)) {
        Value o;
        if ((AS_SET(other)->used >> 3) > s->used) {
            o = set_intersection(so, other);   /* much bigger: only the common part matters */
            if (!o) return -1;
        } else {
            o = incref(other);
        }
        size_t pos = 0;
        Value k;
        int64_t h;
        while (next_entry(AS_SET(o), &pos, &k, &h)) {
            incref(k);
            int r = discard_entry(s, k, h);
            decref(k);
            if (r < 0) { decref(o); return -1; }
        }
        decref(o);
    } else {
        Value it = obj_iter(other);
        if (!it) return -1;
        for (;;) {
            Value k = obj_next(it);
            if (!k) break;
            int r = set_discard(so, k);
            decref(k);
            if (r < 0) { decref(it); return -1; }
        }
        decref(it);
        if (err_occurred()) return -1;
    }
    /* more than a quarter dummies: rebuild them away */
    if (s->fill - s->used <= s->mask / 4) return 0;
    return table_resize(s, s->used > 50000 ? s->used * 2 : s->used * 4);
}

static Value set_copy_and_difference(Value so, Value other) {
    Value r = set_copy_of(so);
    if (r && difference_update_internal(r, other) < 0) clearref(&r);
    return r;
}

static Value set_difference(Value so, Value other) {
    size_t other_size;
    bool other_dict = IS_DICT(other);
    if (set_check(other)) other_size = AS_SET(other)->used;
    else if (other_dict) other_size = AS_DICT(other)->used;
    else return set_copy_and_difference(so, other);
    if ((AS_SET(so)->used >> 2) > other_size) return set_copy_and_difference(so, other);
    Value result = make_set_basetype(so, VNULL);
    if (!result) return VNULL;
    size_t pos = 0;
    Value k;
    int64_t h;
    while (next_entry(AS_SET(so), &pos, &k, &h)) {
        incref(k);
        int r = other_dict ? dict_contains_hash(other, k, h) : contains_entry(AS_SET(other), k, h);
        if (r == 0) r = add_entry(AS_SET(result), k, h);
        decref(k);
        if (r < 0) { decref(result); return VNULL; }
    }
    return result;
}

static int symmetric_difference_update_internal(Value so, Value other) {
    SetObj *s = AS_SET(so);
    if (so == other) { clear_internal(s); return 0; }
    if (IS_DICT(other)) {
        size_t pos = 0;
        Value k;
        int64_t h;
        while (dict_next_hash(other, &pos, &k, NULL, &h)) {
            incref(k);
            int r = discard_entry(s, k, h);
            if (r == 0) r = add_entry(s, k, h);
            decref(k);
            if (r < 0) return -1;
        }
        return 0;
    }
    Value o = set_check(other) ? incref(other) : make_set_basetype(so, other);
    if (!o) return -1;
    size_t pos = 0;
    Value k;
    int64_t h;
    while (next_entry(AS_SET(o), &pos, &k, &h)) {
        incref(k);
        int r = discard_entry(s, k, h);
        if (r == 0) r = add_entry(s, k, h);
        decref(k);
        if (r < 0) { decref(o); return -1; }
    }
    decref(o);
    return 0;
}

static Value set_symmetric_difference(Value so, Value other) {
    Value result = make_set_basetype(so, VNULL);
    if (!result) return VNULL;
    if (set_update_internal(result, other) < 0 ||
        symmetric_difference_update_internal(result, so) < 0) {
        decref(result);
        return VNULL;
    }
    return result;
}

static Value set_union(Value so, Value other) {
    Value result = set_copy_of(so);
    if (!result || so == other) return result;
    if (set_update_internal(result, other) < 0) clearref(&result);
    return result;
}

static Value set_binop(Value a, Value b, int op) {
    if (!set_check(a) || !set_check(b)) return incref(NotImplemented);
    if (op >= BINOP_INPLACE) {
        if (!is_mutable_set(a)) return incref(NotImplemented);   /* frozenset: a = a | b */
        int r;
        switch (op - BINOP_INPLACE) {
        case OP_BITOR:  r = set_update_internal(a, b); break;
        case OP_SUB:    r = difference_update_internal(a, b); break;
        case OP_BITXOR: r = symmetric_difference_update_internal(a, b); break;
        case OP_BITAND: {
            Value tmp = set_intersection(a, b);
            if (!tmp) return VNULL;
            swap_bodies(AS_SET(a), AS_SET(tmp));
            decref(tmp);
            r = 0;
            break;
        }
        default: return incref(NotImplemented);
        }
        return r < 0 ? VNULL : incref(a);
    }
    switch (op) {
    case OP_BITOR:  return set_union(a, b);
    case OP_BITAND: return set_intersection(a, b);
    case OP_SUB:    return set_difference(a, b);
    case OP_BITXOR: return set_symmetric_difference(a, b);
    default:        return incref(NotImplemented);
    }
}

/* ===== methods ========================================================================= */

#define ONE_ARG(qual) if (ctr_one_arg(qual, nargs, kwnames) < 0) return VNULL
#define NO_ARGS(qual) (void)args; if (ctr_no_args(qual, nargs, kwnames) < 0) return VNULL
#define VAR_ARGS(name) if (ctr_no_kw(name, kwnames) < 0) return VNULL

static Value m_add(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.add");
    if (set_add(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value m_remove(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.remove");
    int r = set_discard(self, args[0]);
    if (r < 0) return VNULL;
    if (r == 0) { err_set_type(&Exc_KeyError, args[0]); return VNULL; }
    return none_new();
}

static Value m_discard(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.discard");
    if (set_discard(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value m_pop(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("set.pop");
    SetObj *s = AS_SET(self);
    if (s->used == 0) {
        Value msg = str_from_cstr("pop from an empty set");
        if (msg) { err_set_type(&Exc_KeyError, msg); decref(msg); }
        return VNULL;
    }
    size_t i = (size_t)s->hash & s->mask;      /* the finger */
    while (s->table[i].key == VNULL || s->table[i].key == DUMMY)
        i = i == s->mask ? 0 : i + 1;
    Value key = s->table[i].key;
    s->table[i].key = DUMMY;
    s->table[i].hash = -1;
    s->used--;
    s->hash = (int64_t)(i + 1);
    bump(s);
    return key;
}

static Value m_clear(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("set.clear");
    clear_internal(AS_SET(self));
    return none_new();
}

static Value m_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("set.copy");
    return set_copy_of(self);
}

static Value m_frozen_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("frozenset.copy");
    if (IS_TYPE(self, &FrozenSetType)) return incref(self);
    return set_copy_of(self);
}

static Value m_update(Value self, Value *args, size_t nargs, Value kwnames) {
    VAR_ARGS("set.update");
    for (size_t i = 0; i < nargs; i++)
        if (set_update_internal(self, args[i]) < 0) return VNULL;
    return none_new();
}

static Value m_union(Value self, Value *args, size_t nargs, Value kwnames) {
    VAR_ARGS("set.union");
    Value result = set_copy_of(self);
    for (size_t i = 0; result && i < nargs; i++) {
        if (args[i] == self) continue;
        if (set_update_internal(result, args[i]) < 0) clearref(&result);
    }
    return result;
}

static Value m_intersection(Value self, Value *args, size_t nargs, Value kwnames) {
    VAR_ARGS("set.intersection");
    if (nargs == 0) return set_copy_of(self);
    Value result = incref(self);
    for (size_t i = 0; i < nargs; i++) {
        Value next = set_intersection(result, args[i]);
        decref(result);
        if (!next) return VNULL;
        result = next;
    }
    return result;
}

static Value m_intersection_update(Value self, Value *args, size_t nargs, Value kwnames) {
    Value tmp = m_intersection(self, args, nargs, kwnames);
    if (!tmp) return VNULL;
    swap_bodies(AS_SET(self), AS_SET(tmp));
    decref(tmp);
    return none_new();
}

static Value m_difference(Value self, Value *args, size_t nargs, Value kwnames) {
    VAR_ARGS("set.difference");
    if (nargs == 0) return set_copy_of(self);
    Value result = set_difference(self, args[0]);
    for (size_t i = 1; result && i < nargs; i++)
        if (difference_update_internal(result, args[i]) < 0) clearref(&result);
    return result;
}

static Value m_difference_update(Value self, Value *args, size_t nargs, Value kwnames) {
    VAR_ARGS("set.difference_update");
    for (size_t i = 0; i < nargs; i++)
        if (difference_update_internal(self, args[i]) < 0) return VNULL;
    return none_new();
}

static Value m_symmetric_difference(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.symmetric_difference");
    return set_symmetric_difference(self, args[0]);
}

static Value m_symmetric_difference_update(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.symmetric_difference_update");
    if (symmetric_difference_update_internal(self, args[0]) < 0) return VNULL;
    return none_new();
}

static Value m_issubset(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.issubset");
    return issubset(self, args[0]);
}

static Value m_issuperset(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.issuperset");
    return issuperset(self, args[0]);
}

static Value m_isdisjoint(Value self, Value *args, size_t nargs, Value kwnames) {
    ONE_ARG("set.isdisjoint");
    Value other = args[0];
    if (self == other) return bool_new(AS_SET(self)->used == 0);
    if (set_check(other)) {
        Value a = self, b = other;     /* walk the smaller */
        if (AS_SET(b)->used > AS_SET(a)->used) { a = other; b = self; }
        size_t pos = 0;
        Value k;
        int64_t h;
        while (next_entry(AS_SET(b), &pos, &k, &h)) {
            incref(k);
            int r = contains_entry(AS_SET(a), k, h);
            decref(k);
            if (r != 0) return r < 0 ? VNULL : bool_new(0);
        }
        return bool_new(1);
    }
    Value it = obj_iter(other);
    if (!it) return VNULL;
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        int r = set_contains(self, k);
        decref(k);
        if (r != 0) { decref(it); return r < 0 ? VNULL : bool_new(0); }
    }
    decref(it);
    return err_occurred() ? VNULL : bool_new(1);
}

static const MethodDef set_methods[] = {
    { "add", m_add, METH_DEFAULT },
    { "remove", m_remove, METH_DEFAULT },
    { "discard", m_discard, METH_DEFAULT },
    { "pop", m_pop, METH_DEFAULT },
    { "clear", m_clear, METH_DEFAULT },
    { "copy", m_copy, METH_DEFAULT },
    { "update", m_update, METH_DEFAULT },
    { "union", m_union, METH_DEFAULT },
    { "intersection", m_intersection, METH_DEFAULT },
    { "intersection_update", m_intersection_update, METH_DEFAULT },
    { "difference", m_difference, METH_DEFAULT },
    { "difference_update", m_difference_update, METH_DEFAULT },
    { "symmetric_difference", m_symmetric_difference, METH_DEFAULT },
    { "symmetric_difference_update", m_symmetric_difference_update, METH_DEFAULT },
    { "issubset", m_issubset, METH_DEFAULT },
    { "issuperset", m_issuperset, METH_DEFAULT },
    { "isdisjoint", m_isdisjoint, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

static const MethodDef frozenset_methods[] = {
    { "copy", m_frozen_copy, METH_DEFAULT },
    { "union", m_union, METH_DEFAULT },
    { "intersection", m_intersection, METH_DEFAULT },
    { "difference", m_difference, METH_DEFAULT },
    { "symmetric_difference", m_symmetric_difference, METH_DEFAULT },
    { "issubset", m_issubset, METH_DEFAULT },
    { "issuperset", m_issuperset, METH_DEFAULT },
    { "isdisjoint", m_isdisjoint, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

/* ===== iterator ======================================================================== */

typedef struct {
    Obj h;
    Value set;          /* VNULL once exhausted */
    size_t used;        /* size when created; SIZE_MAX after a change (sticky) */
    size_t pos;
    size_t remaining;
} SetIterObj;

static Value set_iter(Value self) {
    SetIterObj *it = (SetIterObj *)gc_alloc(&SetIterType, sizeof(SetIterObj));
    if (!it) return VNULL;
    it->set = incref(self);
    it->used = it->remaining = AS_SET(self)->used;
    it->pos = 0;
    return OBJ_VAL(it);
}

static Value setiter_next(Value self) {
    SetIterObj *it = (SetIterObj *)AS_OBJ(self);
    if (!it->set) return VNULL;
    SetObj *s = AS_SET(it->set);
    if (it->used != s->used) {
        err_format(&Exc_RuntimeError, "Set changed size during iteration");
        it->used = SIZE_MAX;
        return VNULL;
    }
    Value k;
    if (!set_next(it->set, &it->pos, &k)) { clearref(&it->set); return VNULL; }
    it->remaining--;
    return incref(k);
}

static Value setiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    SetIterObj *it = (SetIterObj *)AS_OBJ(self);
    if (!it->set || it->used != AS_SET(it->set)->used) return MK_INT(0);
    return MK_INT((intptr_t)it->remaining);
}

static void setiter_dealloc(Obj *o) { clearref(&((SetIterObj *)o)->set); }
static void setiter_traverse(Obj *o, VisitFn visit, void *arg) {
    SetIterObj *it = (SetIterObj *)o;
    if (it->set) visit(it->set, arg);
}

static const MethodDef setiter_methods[] = {
    { "__length_hint__", setiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== types =========================================================================== */

Type SetType = {
    STATIC_TYPE_HEAD,
    .name = "set",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(SetObj),
    .tp_new = set_tp_new,
    .tp_init = set_tp_init,
    .dealloc = set_dealloc,
    .traverse = set_traverse,
    .clear = set_gc_clear,
    .repr = set_repr,
    .richcmp = set_richcmp,
    .len = set_len,
    .iter = set_iter,
    .contains = set_contains_slot,
    .binop = set_binop,
};

Type FrozenSetType = {
    STATIC_TYPE_HEAD,
    .name = "frozenset",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(SetObj),
    .tp_new = frozenset_tp_new,
    .dealloc = set_dealloc,
    .traverse = set_traverse,
    .clear = set_gc_clear,
    .repr = set_repr,
    .hash = frozenset_hash,
    .richcmp = set_richcmp,
    .len = set_len,
    .iter = set_iter,
    .contains = set_contains_slot,
    .binop = set_binop,
};

Type SetIterType = {
    STATIC_TYPE_HEAD,
    .name = "set_iterator",
    .flags = TF_GC,
    .size = sizeof(SetIterObj),
    .tp_new = ctr_no_new,
    .dealloc = setiter_dealloc,
    .traverse = setiter_traverse,
    .clear = setiter_dealloc,
    .iter = iter_self,
    .iternext = setiter_next,
};

void set_init_types(void) {
    type_add_methods(&SetType, set_methods);
    type_ready(&SetType);
    ctr_set_hash_none(&SetType);
    type_add_methods(&FrozenSetType, frozenset_methods);
    type_ready(&FrozenSetType);
    type_add_methods(&SetIterType, setiter_methods);
    type_ready(&SetIterType);
}
