/* obj_dict.c — the dict type, its views and iterators.
 *
 * Owns: DictObj's compact ordered table (an index table of int32 slots over
 * an insertion-ordered entries array, as in CPython 3.6+), the dict API in
 * object.h, DictKeysType/DictValuesType/DictItemsType and the key, value and
 * item iterators (forward and reversed).
 * Must not touch: other layouts; the set internals (it calls obj_set.c's
 * API for the set operations on views).
 *
 * The index table maps hash slots to entry numbers: -1 empty, -2 deleted,
 * else an entry. Deleting leaves a hole in entries (key VNULL) so that
 * iteration order survives; holes go away when the table is rebuilt, which
 * happens when entries[] is full (nentries == cap, i.e. the index table is
 * 2/3 used). Lookups compare by identity, then stored hash, then obj_eq —
 * which can run apy code that mutates this very dict, so after every such
 * call the lookup checks that the table is the one it was walking and
 * restarts if not.
 */
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"

#define IX_EMPTY   (-1)
#define IX_DUMMY   (-2)
#define IX_ERROR   (-3)
#define DICT_MINSIZE 8
#define PERTURB_SHIFT 5
#define USABLE(size) (((size) << 1) / 3)
#define MAX_INDEX_SIZE ((size_t)1 << 31)

extern Type DictValueIterType, DictItemIterType;
extern Type DictRevKeyIterType, DictRevValueIterType, DictRevItemIterType;

static uint64_t dict_version_counter;

static inline void bump(DictObj *d) { d->version = ++dict_version_counter; }
/* The set of keys changed: a new version, from the same counter, so that no
 * two dicts (or two states of one) ever share a nonzero keys_version. */
static inline void bump_keys(DictObj *d) { d->keys_version = d->version = ++dict_version_counter; }

static bool is_dict(Value v) { return obj_isinstance_type(v, &DictType); }

/* The hash of a key: strings cache theirs. */
static inline int64_t key_hash(Value key) {
    if (IS_STR(key) && AS_STR(key)->hash != -1) return AS_STR(key)->hash;
    return obj_hash(key);
}

/* ===== the table ===================================================================== */

/* The entry number holding `key`, IX_EMPTY if absent, IX_ERROR on error. */
static intptr_t lookup(DictObj *d, Value key, int64_t hash) {
restart:
    if (!d->index) return IX_EMPTY;
    int32_t *index = d->index;
    DictEntry *entries = d->entries;
    size_t mask = d->mask;
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    bool key_is_str = IS_STR(key);
    for (;;) {
        int32_t ix = index[i];
        if (ix == IX_EMPTY) return IX_EMPTY;
        if (ix >= 0) {
            DictEntry *e = &entries[ix];
            if (e->key == key) return ix;
            if (e->hash == hash) {
                if (key_is_str && IS_STR(e->key)) {
                    if (str_eq(e->key, key)) return ix;
                } else {
                    Value startkey = incref(e->key);
                    int cmp = obj_eq(startkey, key);
                    decref(startkey);
                    if (cmp < 0) return IX_ERROR;
                    /* __eq__ may have changed the dict: start over if so */
                    if (d->index != index || d->entries != entries || d->mask != mask ||
                        (size_t)ix >= d->nentries || entries[ix].key != startkey)
                        goto restart;
                    if (cmp) return ix;
                }
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* The index-table slot that points at entry `ix` (which must be there). */
static size_t slot_of_entry(DictObj *d, int64_t hash, intptr_t ix) {
    size_t perturb = (size_t)hash, i = (size_t)hash & d->mask;
    while (d->index[i] != ix) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & d->mask;
    }
    return i;
}

/* The first empty slot on hash's probe sequence. */
static size_t find_empty_slot(int32_t *index, size_t mask, int64_t hash) {
    size_t perturb = (size_t)hash, i = (size_t)hash & mask;
    while (index[i] != IX_EMPTY) {
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

/* Rebuild the table with an index of at least `minsize` slots (a power of
 * two, at least 8, with room for every live entry), dropping the holes. */
static int dict_resize(DictObj *d, size_t minsize) {
    size_t size = DICT_MINSIZE;
    while (size < minsize || USABLE(size) <= d->used) {
        size <<= 1;
        if (size > MAX_INDEX_SIZE) { err_no_memory(); return -1; }
    }
    size_t cap = USABLE(size);
    int32_t *index = gc_malloc(size * sizeof(int32_t));
    if (!index) return -1;
    DictEntry *entries = gc_malloc(cap * sizeof(DictEntry));
    if (!entries) { gc_free(index); return -1; }
    memset(index, 0xff, size * sizeof(int32_t));     /* all IX_EMPTY */
    size_t j = 0;
    for (size_t i = 0; i < d->nentries; i++) {
        DictEntry *e = &d->entries[i];
        if (!e->key) continue;
        entries[j] = *e;
        index[find_empty_slot(index, size - 1, e->hash)] = (int32_t)j;
        j++;
    }
    if (d->index) gc_free(d->index);
    if (d->entries) gc_free(d->entries);
    d->index = index;
    d->entries = entries;
    d->mask = size - 1;
    d->cap = cap;
    d->nentries = j;
    d->fill = j;
    bump(d);
    return 0;
}

/* d[key] = value with a known hash (increfs both). */
static int insert(DictObj *d, Value key, int64_t hash, Value value) {
    intptr_t ix = lookup(d, key, hash);
    if (ix == IX_ERROR) return -1;
    if (ix >= 0) {
        Value old = d->entries[ix].value;
        d->entries[ix].value = incref(value);
        bump(d);
        decref(old);
        return 0;
    }
    if (d->nentries >= d->cap || d->fill >= d->cap) {
        /* CPython's growth rate: an index of 3x the live entries. Deleted
         * slots count too (fill), or the probe could find no empty slot. */
        if (dict_resize(d, d->used * 3) < 0) return -1;
    }
    size_t slot = find_empty_slot(d->index, d->mask, hash);
    DictEntry *e = &d->entries[d->nentries];
    e->hash = hash;
    e->key = incref(key);
    e->value = incref(value);
    d->index[slot] = (int32_t)d->nentries;
    d->nentries++;
    d->fill++;
    d->used++;
    bump_keys(d);
    return 0;
}

/* Remove entry ix (found for `hash`); returns its key and value (owned). */
static void remove_entry(DictObj *d, intptr_t ix, int64_t hash, Value *key, Value *value) {
    d->index[slot_of_entry(d, hash, ix)] = IX_DUMMY;
    DictEntry *e = &d->entries[ix];
    *key = e->key;
    *value = e->value;
    e->key = VNULL;
    e->value = VNULL;
    d->used--;
    bump_keys(d);
}

/* ===== the public API ================================================================== */

static Value dict_alloc(Type *t) {
    DictObj *d = (DictObj *)gc_alloc(t, t->size > sizeof(DictObj) ? t->size : sizeof(DictObj));
    if (!d) return VNULL;
    bump_keys(d);
    return OBJ_VAL(d);
}

Value dict_new(void) { return dict_alloc(&DictType); }

Value dict_get(Value dv, Value key) {
    DictObj *d = AS_DICT(dv);
    /* Fast path for attribute and global lookups: a string key with its hash
     * cached, decided at the first probe (an empty slot, or the very same
     * key object: interned names). Anything else takes the general probe. */
    if (IS_STR(key) && AS_STR(key)->hash != -1 && d->index) {
        int64_t h = AS_STR(key)->hash;
        int32_t ix = d->index[(size_t)h & d->mask];
        if (ix == IX_EMPTY) return VNULL;
        if (ix >= 0 && d->entries[ix].key == key) return d->entries[ix].value;
    }
    int64_t hash = key_hash(key);
    if (hash == -1) return VNULL;
    intptr_t ix = lookup(d, key, hash);
    return ix >= 0 ? d->entries[ix].value : VNULL;
}

intptr_t dict_find_entry(Value dv, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    intptr_t ix = lookup(AS_DICT(dv), key, hash);
    return ix >= 0 ? ix : -1;
}

Value dict_get_str(Value d, const char *key) {
    Value k = str_intern_cstr(key);
    return k ? dict_get(d, k) : VNULL;
}

int dict_set(Value d, Value key, Value v) {
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    return insert(AS_DICT(d), key, hash, v);
}

int dict_set_str(Value d, const char *key, Value v) {
    Value k = str_intern_cstr(key);
    return k ? dict_set(d, k, v) : -1;
}

int dict_pop(Value dv, Value key, Value *out) {
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    DictObj *d = AS_DICT(dv);
    intptr_t ix = lookup(d, key, hash);
    if (ix == IX_ERROR) return -1;
    if (ix < 0) return 0;
    Value k;
    remove_entry(d, ix, hash, &k, out);
    decref(k);
    return 1;
}

int dict_del(Value d, Value key) {
    Value v;
    int r = dict_pop(d, key, &v);
    if (r < 0) return -1;
    if (r == 0) { err_set_type(&Exc_KeyError, key); return -1; }
    decref(v);
    return 0;
}

bool dict_next_hash(Value dv, size_t *pos, Value *key, Value *value, int64_t *hash) {
    DictObj *d = AS_DICT(dv);
    size_t i = *pos;
    while (i < d->nentries && !d->entries[i].key) i++;
    if (i >= d->nentries) { *pos = i; return false; }
    *pos = i + 1;
    if (key) *key = d->entries[i].key;
    if (value) *value = d->entries[i].value;
    if (hash) *hash = d->entries[i].hash;
    return true;
}

bool dict_next(Value d, size_t *pos, Value *key, Value *value) {
    return dict_next_hash(d, pos, key, value, NULL);
}

int dict_contains_hash(Value d, Value key, int64_t hash) {
    intptr_t ix = lookup(AS_DICT(d), key, hash);
    if (ix == IX_ERROR) return -1;
    return ix >= 0;
}

static int dict_contains(Value d, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    return dict_contains_hash(d, key, hash);
}

void dict_clear(Value dv) {
    DictObj *d = AS_DICT(dv);
    int32_t *index = d->index;
    DictEntry *entries = d->entries;
    size_t n = d->nentries;
    d->index = NULL;
    d->entries = NULL;
    d->used = d->nentries = d->cap = d->mask = d->fill = 0;
    bump_keys(d);
    for (size_t i = 0; i < n; i++) {
        decref(entries[i].key);
        decref(entries[i].value);
    }
    if (index) gc_free(index);
    if (entries) gc_free(entries);
}

/* Merge from another dict (or a subclass that iterates like one), using
 * its stored hashes. */
static int merge_dict(Value dv, Value other) {
    if (dv == other) return 0;
    DictObj *o = AS_DICT(other);
    size_t used = o->used;
    for (size_t i = 0; i < o->nentries; i++) {
        DictEntry *e = &o->entries[i];
        if (!e->key) continue;
        Value k = incref(e->key), v = incref(e->value);
        int r = insert(AS_DICT(dv), k, e->hash, v);
        decref(k);
        decref(v);
        if (r < 0) return -1;
        if (o->used != used) {
            err_format(&Exc_RuntimeError, "dict mutated during update");
            return -1;
        }
    }
    return 0;
}

static Value dict_iter(Value self);

static bool iterates_like_dict(Value v) {
    return is_dict(v) && TYPE_OF(v)->iter == dict_iter;
}

/* Merge from a mapping: for k in other.keys(): d[k] = other[k]. */
static int merge_mapping(Value d, Value other, Value keysfn) {
    Value keys = obj_call0(keysfn);
    if (!keys) return -1;
    Value it = obj_iter(keys);
    decref(keys);
    if (!it) return -1;
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        Value v = obj_getitem(other, k);
        int r = v ? dict_set(d, k, v) : -1;
        decref(v);
        decref(k);
        if (r < 0) { decref(it); return -1; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

/* Merge from an iterable of key/value pairs. */
static int merge_pairs(Value d, Value seq) {
    Value it = obj_iter(seq);
    if (!it) return -1;
    for (intptr_t i = 0;; i++) {
        Value item = obj_next(it);
        if (!item) break;
        Value pair;
        if (IS_TYPE(item, &TupleType) || IS_TYPE(item, &ListType)) {
            pair = incref(item);
        } else {
            Value iit = obj_iter(item);
            if (!iit) {
                if (err_matches(&Exc_TypeError)) {
                    err_clear();
                    err_format(&Exc_TypeError,
                               "cannot convert dictionary update sequence element #%zd to a sequence", i);
                }
                decref(item);
                decref(it);
                return -1;
            }
            decref(iit);
            pair = list_from_iterable(item);
        }
        decref(item);
        if (!pair) { decref(it); return -1; }
        size_t n = IS_TYPE(pair, &TupleType) ? TUPLE_LEN(pair) : LIST_LEN(pair);
        if (n != 2) {
            decref(pair);
            decref(it);
            err_format(&Exc_ValueError,
                       "dictionary update sequence element #%zd has length %zu; 2 is required", i, n);
            return -1;
        }
        const Value *kv = IS_TYPE(pair, &TupleType) ? TUPLE_ITEMS(pair) : LIST_ITEMS(pair);
        Value k = incref(kv[0]), v = incref(kv[1]);
        decref(pair);
        int r = dict_set(d, k, v);
        decref(k);
        decref(v);
        if (r < 0) { decref(it); return -1; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

int dict_update(Value d, Value other) {
    if (iterates_like_dict(other)) return merge_dict(d, other);
    Value keysfn = obj_getattr_opt(other, NM.keys);
    if (keysfn) {
        int r = merge_mapping(d, other, keysfn);
        decref(keysfn);
        return r;
    }
    if (err_occurred()) return -1;
    return merge_pairs(d, other);
}

int dict_merge_kw(Value d, Value other) {
    if (iterates_like_dict(other)) {
        DictObj *o = AS_DICT(other);
        for (size_t i = 0; i < o->nentries; i++) {
            if (o->entries[i].key && !str_check(o->entries[i].key)) {
                err_format(&Exc_TypeError, "keywords must be strings");
                return -1;
            }
        }
        return merge_dict(d, other);
    }
    Value keysfn = obj_getattr_opt(other, NM.keys);
    if (!keysfn) {
        if (!err_occurred())
            err_format(&Exc_TypeError, "'%s' object is not a mapping", obj_type_name(other));
        return -1;
    }
    Value keys = obj_call0(keysfn);
    decref(keysfn);
    if (!keys) return -1;
    Value it = obj_iter(keys);
    decref(keys);
    if (!it) return -1;
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        if (!str_check(k)) {
            decref(k);
            decref(it);
            err_format(&Exc_TypeError, "keywords must be strings");
            return -1;
        }
        Value v = obj_getitem(other, k);
        int r = v ? dict_set(d, k, v) : -1;
        decref(v);
        decref(k);
        if (r < 0) { decref(it); return -1; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

Value dict_copy(Value dv) {
    DictObj *d = AS_DICT(dv);
    Value cv = dict_new();
    if (!cv || d->used == 0) return cv;
    DictObj *c = AS_DICT(cv);
    if (dict_resize(c, d->used + d->used / 2 + 1) < 0) { decref(cv); return VNULL; }
    /* no user code runs here: keys are distinct, so insert never compares */
    for (size_t i = 0; i < d->nentries; i++) {
        DictEntry *e = &d->entries[i];
        if (!e->key) continue;
        DictEntry *ne = &c->entries[c->nentries];
        ne->hash = e->hash;
        ne->key = incref(e->key);
        ne->value = incref(e->value);
        c->index[find_empty_slot(c->index, c->mask, e->hash)] = (int32_t)c->nentries;
        c->nentries++;
        c->fill++;
        c->used++;
    }
    bump_keys(c);
    return cv;
}

Value dict_keys_list(Value dv) {
    DictObj *d = AS_DICT(dv);
    Value l = list_new(d->used);
    if (!l) return VNULL;
    size_t j = 0;
    for (size_t i = 0; i < d->nentries && j < d->used; i++)
        if (d->entries[i].key) LIST_ITEMS(l)[j++] = incref(d->entries[i].key);
    return l;
}

Value dict_repr(Value dv) {
    if (AS_DICT(dv)->used == 0) return str_from_cstr("{}");
    int r = repr_enter(dv);
    if (r != 0) return r < 0 ? VNULL : str_from_cstr("{...}");
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, '{');
    size_t pos = 0;
    Value k, v;
    bool first = true;
    while (dict_next(dv, &pos, &k, &v)) {
        /* repr may mutate the dict: hold both while printing */
        incref(k);
        incref(v);
        if (!first) sb_adds(&b, ", ");
        first = false;
        int ok = sb_add_value_repr(&b, k);
        if (ok >= 0) {
            sb_adds(&b, ": ");
            ok = sb_add_value_repr(&b, v);
        }
        decref(k);
        decref(v);
        if (ok < 0) {
            sb_free(&b);
            repr_leave(dv);
            return VNULL;
        }
    }
    sb_addc(&b, '}');
    repr_leave(dv);
    return sb_finish(&b);
}

/* ===== type slots ======================================================================= */

static Value dict_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return dict_alloc(t);
}

static Value dict_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_nargs("dict", nargs, 0, 1) < 0) return VNULL;
    if (nargs == 1 && dict_update(self, args[0]) < 0) return VNULL;
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t i = 0; i < nkw; i++)
        if (dict_set(self, TUPLE_ITEMS(kwnames)[i], args[nargs + i]) < 0) return VNULL;
    return none_new();
}

static void dict_dealloc(Obj *o) { dict_clear(OBJ_VAL(o)); }

static void dict_traverse(Obj *o, VisitFn visit, void *arg) {
    DictObj *d = (DictObj *)o;
    if (!d->entries) return;
    for (size_t i = 0; i < d->nentries; i++) {
        if (d->entries[i].key) visit(d->entries[i].key, arg);
        if (d->entries[i].value) visit(d->entries[i].value, arg);
    }
}

static intptr_t dict_len(Value self) { return (intptr_t)AS_DICT(self)->used; }

/* 1 if a and b hold equal items, 0 if not, -1 on error. */
static int dict_equal(Value av, Value bv) {
    DictObj *a = AS_DICT(av), *b = AS_DICT(bv);
    if (a->used != b->used) return 0;
    for (size_t i = 0; i < a->nentries; i++) {
        DictEntry *e = &a->entries[i];
        if (!e->key) continue;
        Value k = incref(e->key), av_ = incref(e->value);
        intptr_t ix = lookup(b, k, e->hash);
        int r;
        if (ix == IX_ERROR) r = -1;
        else if (ix < 0) r = 0;
        else {
            Value bval = incref(b->entries[ix].value);
            r = obj_eq(av_, bval);
            decref(bval);
        }
        decref(k);
        decref(av_);
        if (r <= 0) return r;
    }
    return 1;
}

static Value dict_richcmp(Value a, Value b, RichCmpOp op) {
    if (!is_dict(a) || !is_dict(b) || (op != RC_EQ && op != RC_NE))
        return incref(NotImplemented);
    int r = dict_equal(a, b);
    if (r < 0) return VNULL;
    return bool_new(op == RC_EQ ? r : !r);
}

static Value dict_getitem(Value self, Value key) {
    int64_t hash = key_hash(key);
    if (hash == -1) return VNULL;
    DictObj *d = AS_DICT(self);
    intptr_t ix = lookup(d, key, hash);
    if (ix == IX_ERROR) return VNULL;
    if (ix >= 0) return incref(d->entries[ix].value);
    if (!IS_DICT(self) && type_lookup(TYPE_OF(self), NM.__missing__))
        return obj_call_method(self, NM.__missing__, &key, 1);
    err_set_type(&Exc_KeyError, key);
    return VNULL;
}

static int dict_setitem(Value self, Value key, Value v) {
    return v ? dict_set(self, key, v) : dict_del(self, key);
}

static Value dict_binop(Value a, Value b, int op) {
    if (op == OP_BITOR) {
        if (!is_dict(a) || !is_dict(b)) return incref(NotImplemented);
        Value r = dict_copy(a);
        if (r && dict_update(r, b) < 0) clearref(&r);
        return r;
    }
    if (op == OP_BITOR + BINOP_INPLACE) {
        if (!is_dict(a)) return incref(NotImplemented);
        if (dict_update(a, b) < 0) return VNULL;
        return incref(a);
    }
    return incref(NotImplemented);
}

/* ===== iterators ======================================================================== */

/* One layout for the six iterator types; the type says what is yielded. */
typedef struct {
    Obj h;
    Value dict;            /* VNULL once exhausted */
    size_t used;           /* d->used when created; SIZE_MAX after a size change (sticky) */
    intptr_t pos;          /* next entry to look at (reversed: counts down) */
    size_t remaining;
} DictIterObj;

static Value dictiter_new(Value d, Type *t) {
    DictIterObj *it = (DictIterObj *)gc_alloc(t, sizeof(DictIterObj));
    if (!it) return VNULL;
    DictObj *dd = AS_DICT(d);
    it->dict = incref(d);
    it->used = dd->used;
    it->remaining = dd->used;
    bool rev = t == &DictRevKeyIterType || t == &DictRevValueIterType || t == &DictRevItemIterType;
    it->pos = rev ? (intptr_t)dd->nentries - 1 : 0;
    return OBJ_VAL(it);
}

static Value dict_iter(Value self) { return dictiter_new(self, &DictIterType); }

/* The value an iterator of type t yields for entry e. */
static Value dictiter_yield(Type *t, DictEntry *e) {
    if (t == &DictIterType || t == &DictRevKeyIterType) return incref(e->key);
    if (t == &DictValueIterType || t == &DictRevValueIterType) return incref(e->value);
    return tuple_pack(2, e->key, e->value);
}

static bool size_changed(DictIterObj *it, DictObj *d) {
    if (it->used == d->used) return false;
    err_format(&Exc_RuntimeError, "dictionary changed size during iteration");
    it->used = SIZE_MAX;
    return true;
}

static Value dictiter_next(Value self) {
    DictIterObj *it = (DictIterObj *)AS_OBJ(self);
    if (!it->dict) return VNULL;
    DictObj *d = AS_DICT(it->dict);
    if (size_changed(it, d)) return VNULL;
    size_t i = (size_t)it->pos;
    while (i < d->nentries && !d->entries[i].key) i++;
    if (i >= d->nentries) { clearref(&it->dict); return VNULL; }
    if (it->remaining == 0) {
        err_format(&Exc_RuntimeError, "dictionary keys changed during iteration");
        clearref(&it->dict);
        return VNULL;
    }
    it->pos = (intptr_t)i + 1;
    it->remaining--;
    return dictiter_yield(AS_OBJ(self)->type, &d->entries[i]);
}

static Value dictreviter_next(Value self) {
    DictIterObj *it = (DictIterObj *)AS_OBJ(self);
    if (!it->dict) return VNULL;
    DictObj *d = AS_DICT(it->dict);
    if (size_changed(it, d)) return VNULL;
    intptr_t i = it->pos;
    if (i >= (intptr_t)d->nentries) i = (intptr_t)d->nentries - 1;
    while (i >= 0 && !d->entries[i].key) i--;
    if (i < 0 || it->remaining == 0) { clearref(&it->dict); return VNULL; }
    it->pos = i - 1;
    it->remaining--;
    return dictiter_yield(AS_OBJ(self)->type, &d->entries[i]);
}

static Value dictiter_length_hint(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    DictIterObj *it = (DictIterObj *)AS_OBJ(self);
    if (!it->dict || it->used != AS_DICT(it->dict)->used) return MK_INT(0);
    return MK_INT((intptr_t)it->remaining);
}

static void dictiter_dealloc(Obj *o) { clearref(&((DictIterObj *)o)->dict); }
static void dictiter_traverse(Obj *o, VisitFn visit, void *arg) {
    DictIterObj *it = (DictIterObj *)o;
    if (it->dict) visit(it->dict, arg);
}

static const MethodDef dictiter_methods[] = {
    { "__length_hint__", dictiter_length_hint, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== views ============================================================================ */

typedef struct { Obj h; Value dict; } DictViewObj;
#define VIEW_DICT(v) (((DictViewObj *)AS_OBJ(v))->dict)

static Value view_new(Value d, Type *t) {
    DictViewObj *v = (DictViewObj *)gc_alloc(t, sizeof(DictViewObj));
    if (!v) return VNULL;
    v->dict = incref(d);
    return OBJ_VAL(v);
}

static bool is_set_view(Value v) {
    return IS_TYPE(v, &DictKeysType) || IS_TYPE(v, &DictItemsType);
}

static void view_dealloc(Obj *o) { clearref(&((DictViewObj *)o)->dict); }
static void view_traverse(Obj *o, VisitFn visit, void *arg) {
    DictViewObj *v = (DictViewObj *)o;
    if (v->dict) visit(v->dict, arg);
}

static intptr_t view_len(Value self) { return (intptr_t)AS_DICT(VIEW_DICT(self))->used; }

static Value keys_iter(Value self)   { return dictiter_new(VIEW_DICT(self), &DictIterType); }
static Value values_iter(Value self) { return dictiter_new(VIEW_DICT(self), &DictValueIterType); }
static Value items_iter(Value self)  { return dictiter_new(VIEW_DICT(self), &DictItemIterType); }

static int keys_contains(Value self, Value key) { return dict_contains(VIEW_DICT(self), key); }

static int items_contains(Value self, Value item) {
    if (!IS_TYPE(item, &TupleType) || TUPLE_LEN(item) != 2) return 0;
    Value key = TUPLE_ITEMS(item)[0];
    int64_t hash = key_hash(key);
    if (hash == -1) return -1;
    DictObj *d = AS_DICT(VIEW_DICT(self));
    intptr_t ix = lookup(d, key, hash);
    if (ix == IX_ERROR) return -1;
    if (ix < 0) return 0;
    Value v = incref(d->entries[ix].value);
    int r = obj_eq(v, TUPLE_ITEMS(item)[1]);
    decref(v);
    return r;
}

static int values_contains(Value self, Value x) {
    Value it = values_iter(self);
    if (!it) return -1;
    for (;;) {
        Value v = obj_next(it);
        if (!v) break;
        int r = obj_eq(v, x);
        decref(v);
        if (r != 0) { decref(it); return r; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

static Value view_repr(Value self) {
    int r = repr_enter(self);
    if (r != 0) return r < 0 ? VNULL : str_from_cstr("...");
    Value list = list_from_iterable(self);
    Value s = list ? str_from_fmt("%s(%R)", AS_OBJ(self)->type->name, list) : VNULL;
    decref(list);
    repr_leave(self);
    return s;
}

/* 1 if every item of a is in b (`in` b), 0 if not, -1 on error. */
static int all_contained_in(Value a, Value b) {
    Value it = obj_iter(a);
    if (!it) return -1;
    for (;;) {
        Value x = obj_next(it);
        if (!x) break;
        int r = obj_contains(b, x);
        decref(x);
        if (r <= 0) { decref(it); return r; }
    }
    decref(it);
    return err_occurred() ? -1 : 1;
}

static Value view_richcmp(Value a, Value b, RichCmpOp op) {
    if (!is_set_view(a) || !(set_check(b) || is_set_view(b))) return incref(NotImplemented);
    intptr_t la = obj_len(a), lb = obj_len(b);
    if (la < 0 || lb < 0) return VNULL;
    int r;
    switch (op) {
    case RC_EQ: case RC_NE:
        r = la == lb ? all_contained_in(a, b) : 0;
        if (r >= 0 && op == RC_NE) r = !r;
        break;
    case RC_LT: r = la < lb ? all_contained_in(a, b) : 0; break;
    case RC_LE: r = la <= lb ? all_contained_in(a, b) : 0; break;
    case RC_GT: r = la > lb ? all_contained_in(b, a) : 0; break;
    default:    r = la >= lb ? all_contained_in(b, a) : 0; break;
    }
    return r < 0 ? VNULL : bool_new(r);
}

/* view & other, either way round: a set of the items of the non-view side
 * that the view contains (CPython's _PyDictView_Intersect). */
static Value view_and(Value self, Value other) {
    if (!is_set_view(self)) { Value t = self; self = other; other = t; }
    intptr_t lself = view_len(self);
    if (IS_TYPE(other, &SetType) && lself <= (intptr_t)AS_SET(other)->used)
        return obj_call_method_cstr(other, "intersection", 1, self);
    if (is_set_view(other) && view_len(other) > lself) { Value t = self; self = other; other = t; }
    Value result = set_new(VNULL);
    if (!result) return VNULL;
    Value it = obj_iter(other);
    if (!it) { decref(result); return VNULL; }
    bool keys = IS_TYPE(self, &DictKeysType);
    for (;;) {
        Value x = obj_next(it);
        if (!x) break;
        int r = keys ? keys_contains(self, x) : items_contains(self, x);
        if (r > 0) r = set_add(result, x);
        decref(x);
        if (r < 0) { decref(it); decref(result); return VNULL; }
    }
    decref(it);
    if (err_occurred()) { decref(result); return VNULL; }
    return result;
}

static Value view_binop(Value a, Value b, int op) {
    if (op >= BINOP_INPLACE) return incref(NotImplemented);
    if (op == OP_BITAND) return view_and(a, b);
    const char *method;
    if (op == OP_BITOR) method = "update";
    else if (op == OP_SUB) method = "difference_update";
    else if (op == OP_BITXOR) method = "symmetric_difference_update";
    else return incref(NotImplemented);
    Value result = set_new(a);
    if (!result) return VNULL;
    Value r = obj_call_method_cstr(result, method, 1, b);
    if (!r) { decref(result); return VNULL; }
    decref(r);
    return result;
}

static Value view_isdisjoint(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("isdisjoint", nargs, kwnames) < 0) return VNULL;
    Value other = args[0];
    if (self == other) return bool_new(view_len(self) == 0);
    /* iterate the smaller side when both sizes are known */
    Value small = other, big = self;
    if (set_check(other) || is_set_view(other)) {
        intptr_t lo = obj_len(other);
        if (lo < 0) return VNULL;
        if (lo > view_len(self)) { small = self; big = other; }
    }
    Value it = obj_iter(small);
    if (!it) return VNULL;
    for (;;) {
        Value x = obj_next(it);
        if (!x) break;
        int r = obj_contains(big, x);
        decref(x);
        if (r != 0) { decref(it); return r < 0 ? VNULL : bool_new(0); }
    }
    decref(it);
    return err_occurred() ? VNULL : bool_new(1);
}

static Value keys_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict_keys.__reversed__", nargs, kwnames) < 0) return VNULL;
    return dictiter_new(VIEW_DICT(self), &DictRevKeyIterType);
}
static Value values_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict_values.__reversed__", nargs, kwnames) < 0) return VNULL;
    return dictiter_new(VIEW_DICT(self), &DictRevValueIterType);
}
static Value items_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict_items.__reversed__", nargs, kwnames) < 0) return VNULL;
    return dictiter_new(VIEW_DICT(self), &DictRevItemIterType);
}

static const MethodDef keys_methods[] = {
    { "isdisjoint", view_isdisjoint, METH_DEFAULT },
    { "__reversed__", keys_reversed, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const MethodDef items_methods[] = {
    { "isdisjoint", view_isdisjoint, METH_DEFAULT },
    { "__reversed__", items_reversed, METH_DEFAULT },
    { NULL, NULL, 0 }
};
static const MethodDef values_methods[] = {
    { "__reversed__", values_reversed, METH_DEFAULT },
    { NULL, NULL, 0 }
};

/* ===== dict methods ===================================================================== */

static Value m_get(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("get", kwnames) < 0 || ctr_nargs("get", nargs, 1, 2) < 0) return VNULL;
    Value v = dict_get(self, args[0]);
    if (v) return incref(v);
    if (err_occurred()) return VNULL;
    return incref(nargs > 1 ? args[1] : None);
}

static Value m_setdefault(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("setdefault", kwnames) < 0 || ctr_nargs("setdefault", nargs, 1, 2) < 0)
        return VNULL;
    Value dflt = nargs > 1 ? args[1] : None;
    int64_t hash = key_hash(args[0]);
    if (hash == -1) return VNULL;
    DictObj *d = AS_DICT(self);
    intptr_t ix = lookup(d, args[0], hash);
    if (ix == IX_ERROR) return VNULL;
    if (ix >= 0) return incref(d->entries[ix].value);
    if (insert(d, args[0], hash, dflt) < 0) return VNULL;
    return incref(dflt);
}

static Value m_pop(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("pop", kwnames) < 0 || ctr_nargs("pop", nargs, 1, 2) < 0) return VNULL;
    Value v;
    int r = dict_pop(self, args[0], &v);
    if (r < 0) return VNULL;
    if (r > 0) return v;
    if (nargs > 1) return incref(args[1]);
    err_set_type(&Exc_KeyError, args[0]);
    return VNULL;
}

static Value m_popitem(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.popitem", nargs, kwnames) < 0) return VNULL;
    DictObj *d = AS_DICT(self);
    if (d->used == 0) {
        Value msg = str_from_cstr("popitem(): dictionary is empty");
        if (msg) { err_set_type(&Exc_KeyError, msg); decref(msg); }
        return VNULL;
    }
    intptr_t i = (intptr_t)d->nentries - 1;
    while (i >= 0 && !d->entries[i].key) i--;
    Value k, v;
    remove_entry(d, i, d->entries[i].hash, &k, &v);
    d->nentries = (size_t)i;     /* LIFO: the tail holes go too */
    Value r = tuple_pack(2, k, v);
    decref(k);
    decref(v);
    return r;
}

static Value m_keys(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.keys", nargs, kwnames) < 0) return VNULL;
    return view_new(self, &DictKeysType);
}
static Value m_values(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.values", nargs, kwnames) < 0) return VNULL;
    return view_new(self, &DictValuesType);
}
static Value m_items(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.items", nargs, kwnames) < 0) return VNULL;
    return view_new(self, &DictItemsType);
}

static Value m_update(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_nargs("update", nargs, 0, 1) < 0) return VNULL;
    Value r = dict_tp_init(self, args, nargs, kwnames);
    return r;
}

static Value m_copy(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.copy", nargs, kwnames) < 0) return VNULL;
    return dict_copy(self);
}

static Value m_clear(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.clear", nargs, kwnames) < 0) return VNULL;
    dict_clear(self);
    return none_new();
}

static Value m_fromkeys(Value cls, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("fromkeys", kwnames) < 0 || ctr_nargs("fromkeys", nargs, 1, 2) < 0)
        return VNULL;
    Value value = nargs > 1 ? args[1] : None;
    Value d = obj_call0(cls);
    if (!d) return VNULL;
    bool fast = IS_DICT(d);
    Value it = obj_iter(args[0]);
    if (!it) { decref(d); return VNULL; }
    for (;;) {
        Value k = obj_next(it);
        if (!k) break;
        int r = fast ? dict_set(d, k, value) : obj_setitem(d, k, value);
        decref(k);
        if (r < 0) { decref(it); decref(d); return VNULL; }
    }
    decref(it);
    if (err_occurred()) { decref(d); return VNULL; }
    return d;
}

static Value m_reversed(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("dict.__reversed__", nargs, kwnames) < 0) return VNULL;
    return dictiter_new(self, &DictRevKeyIterType);
}

static const MethodDef dict_methods[] = {
    { "get", m_get, METH_DEFAULT },
    { "setdefault", m_setdefault, METH_DEFAULT },
    { "pop", m_pop, METH_DEFAULT },
    { "popitem", m_popitem, METH_DEFAULT },
    { "keys", m_keys, METH_DEFAULT },
    { "values", m_values, METH_DEFAULT },
    { "items", m_items, METH_DEFAULT },
    { "update", m_update, METH_DEFAULT },
    { "copy", m_copy, METH_DEFAULT },
    { "clear", m_clear, METH_DEFAULT },
    { "fromkeys", m_fromkeys, METH_CLASS },
    { "__reversed__", m_reversed, METH_DEFAULT },
    { "__class_getitem__", ctr_class_getitem, METH_CLASS },
    { NULL, NULL, 0 }
};

/* ===== types ============================================================================ */

Type DictType = {
    STATIC_TYPE_HEAD,
    .name = "dict",
    .flags = TF_GC | TF_BASETYPE,
    .size = sizeof(DictObj),
    .tp_new = dict_tp_new,
    .tp_init = dict_tp_init,
    .dealloc = dict_dealloc,
    .traverse = dict_traverse,
    .clear = dict_dealloc,
    .repr = dict_repr,
    .richcmp = dict_richcmp,
    .len = dict_len,
    .iter = dict_iter,
    .getitem = dict_getitem,
    .setitem = dict_setitem,
    .contains = dict_contains,
    .binop = dict_binop,
};

#define VIEW_TYPE(T, NAME, ITER, CONTAINS, RICHCMP, BINOP) \
    Type T = { STATIC_TYPE_HEAD, .name = NAME, .flags = TF_GC, .size = sizeof(DictViewObj), \
               .tp_new = ctr_no_new, \
               .dealloc = view_dealloc, .traverse = view_traverse, .clear = view_dealloc, \
               .repr = view_repr, .len = view_len, .iter = ITER, .contains = CONTAINS, \
               .richcmp = RICHCMP, .binop = BINOP }
VIEW_TYPE(DictKeysType, "dict_keys", keys_iter, keys_contains, view_richcmp, view_binop);
VIEW_TYPE(DictItemsType, "dict_items", items_iter, items_contains, view_richcmp, view_binop);
VIEW_TYPE(DictValuesType, "dict_values", values_iter, values_contains, NULL, NULL);

#define ITER_TYPE(T, NAME, NEXT) \
    Type T = { STATIC_TYPE_HEAD, .name = NAME, .flags = TF_GC, .size = sizeof(DictIterObj), \
               .tp_new = ctr_no_new, \
               .dealloc = dictiter_dealloc, .traverse = dictiter_traverse, \
               .clear = dictiter_dealloc, .iter = iter_self, .iternext = NEXT }
ITER_TYPE(DictIterType, "dict_keyiterator", dictiter_next);
ITER_TYPE(DictValueIterType, "dict_valueiterator", dictiter_next);
ITER_TYPE(DictItemIterType, "dict_itemiterator", dictiter_next);
ITER_TYPE(DictRevKeyIterType, "dict_reversekeyiterator", dictreviter_next);
ITER_TYPE(DictRevValueIterType, "dict_reversevalueiterator", dictreviter_next);
ITER_TYPE(DictRevItemIterType, "dict_reverseitemiterator", dictreviter_next);

void dict_init_types(void) {
    type_add_methods(&DictType, dict_methods);
    type_ready(&DictType);
    ctr_set_hash_none(&DictType);
    type_add_methods(&DictKeysType, keys_methods);
    type_ready(&DictKeysType);
    type_add_methods(&DictItemsType, items_methods);
    type_ready(&DictItemsType);
    type_add_methods(&DictValuesType, values_methods);
    type_ready(&DictValuesType);
    Type *iters[] = { &DictIterType, &DictValueIterType, &DictItemIterType,
                      &DictRevKeyIterType, &DictRevValueIterType, &DictRevItemIterType };
    for (size_t i = 0; i < sizeof iters / sizeof *iters; i++) {
        type_add_methods(iters[i], dictiter_methods);
        type_ready(iters[i]);
    }
}
