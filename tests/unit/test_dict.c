/* test_dict.c — the compact ordered dict through the C API: random
 * inserts/deletes against a reference, order after deletions, colliding
 * hashes, updates and their errors, iteration guards, views.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "ast.h"
#include "containers.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(dict, .init = setup);

static const char *repr_of(Value v) {
    Value s = obj_repr(v);
    cr_assert(s, "repr failed");
    return STR_DATA(s);
}

static void expect_error(Type *t, const char *msg) {
    cr_assert(err_occurred(), "expected %s: %s", t->name, msg);
    Value e = err_fetch();
    cr_assert(exc_matches(e, OBJ_VAL(t)), "wrong exception type: %s (wanted %s)",
              obj_type_name(e), t->name);
    Value s = obj_str(e);
    cr_assert_str_eq(STR_DATA(s), msg);
    decref(s);
    decref(e);
}

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (unsigned)rng; }

/* The reference: keys in insertion order with their values. */
#define NKEYS 300
static intptr_t ref_keys[NKEYS], ref_vals[NKEYS];
static size_t ref_n;

static intptr_t ref_find(intptr_t k) {
    for (size_t i = 0; i < ref_n; i++) if (ref_keys[i] == k) return (intptr_t)i;
    return -1;
}

static void check_against_ref(Value d) {
    cr_assert_eq(AS_DICT(d)->used, ref_n);
    cr_assert_eq(obj_len(d), (intptr_t)ref_n);
    size_t pos = 0, i = 0;
    Value k, v;
    while (dict_next(d, &pos, &k, &v)) {
        cr_assert(i < ref_n);
        cr_assert_eq(k, MK_INT(ref_keys[i]), "order differs at %zu", i);
        cr_assert_eq(v, MK_INT(ref_vals[i]));
        i++;
    }
    cr_assert_eq(i, ref_n);
    for (intptr_t key = 0; key < NKEYS; key++) {
        Value got = dict_get(d, MK_INT(key));
        intptr_t at = ref_find(key);
        if (at < 0) cr_assert_null((void *)got, "key %zd should be absent", key);
        else cr_assert_eq(got, MK_INT(ref_vals[at]), "key %zd", key);
    }
}

Test(dict, random_ops_against_reference) {
    Value d = dict_new();
    ref_n = 0;
    for (int step = 0; step < 20000; step++) {
        intptr_t key = rnd() % NKEYS;
        unsigned op = rnd() % 10;
        if (op < 6) {
            intptr_t val = rnd() % 1000;
            cr_assert_eq(dict_set(d, MK_INT(key), MK_INT(val)), 0);
            intptr_t at = ref_find(key);
            if (at >= 0) ref_vals[at] = val;
            else { ref_keys[ref_n] = key; ref_vals[ref_n] = val; ref_n++; }
        } else if (op < 9) {
            intptr_t at = ref_find(key);
            int r = dict_del(d, MK_INT(key));
            if (at < 0) {
                cr_assert_eq(r, -1);
                cr_assert(err_matches(&Exc_KeyError));
                err_clear();
            } else {
                cr_assert_eq(r, 0);
                memmove(ref_keys + at, ref_keys + at + 1, (ref_n - (size_t)at - 1) * sizeof(intptr_t));
                memmove(ref_vals + at, ref_vals + at + 1, (ref_n - (size_t)at - 1) * sizeof(intptr_t));
                ref_n--;
            }
        } else {
            Value out;
            intptr_t at = ref_find(key);
            int r = dict_pop(d, MK_INT(key), &out);
            cr_assert_eq(r, at >= 0);
            if (at >= 0) {
                cr_assert_eq(out, MK_INT(ref_vals[at]));
                memmove(ref_keys + at, ref_keys + at + 1, (ref_n - (size_t)at - 1) * sizeof(intptr_t));
                memmove(ref_vals + at, ref_vals + at + 1, (ref_n - (size_t)at - 1) * sizeof(intptr_t));
                ref_n--;
            }
        }
        if (step % 500 == 0) check_against_ref(d);
    }
    check_against_ref(d);
    Value c = dict_copy(d);
    check_against_ref(c);
    cr_assert_eq(obj_richcmp_bool(c, d, RC_EQ), 1);
    dict_clear(d);
    cr_assert_eq(obj_len(d), 0);
    cr_assert_str_eq(repr_of(d), "{}");
    ref_n = 0;
    check_against_ref(d);
}

Test(dict, order_after_delete_and_reinsert) {
    Value d = dict_new();
    const char *names[] = { "a", "b", "c", "d" };
    for (int i = 0; i < 4; i++) dict_set_str(d, names[i], MK_INT(i));
    cr_assert_str_eq(repr_of(d), "{'a': 0, 'b': 1, 'c': 2, 'd': 3}");
    cr_assert_eq(dict_del(d, str_from_cstr("b")), 0);
    dict_set_str(d, "a", MK_INT(10));     /* updating keeps the place */
    dict_set_str(d, "b", MK_INT(11));     /* re-inserting goes to the end */
    cr_assert_str_eq(repr_of(d), "{'a': 10, 'c': 2, 'd': 3, 'b': 11}");
    cr_assert_eq(dict_get_str(d, "c"), MK_INT(2));
    cr_assert_null((void *)dict_get_str(d, "zz"));
    cr_assert(!err_occurred());
    Value item = obj_call_method_cstr(d, "popitem", 0);
    cr_assert_str_eq(repr_of(item), "('b', 11)");
    item = obj_call_method_cstr(d, "popitem", 0);
    cr_assert_str_eq(repr_of(item), "('d', 3)");
    dict_set_str(d, "e", MK_INT(5));
    cr_assert_str_eq(repr_of(d), "{'a': 10, 'c': 2, 'e': 5}");
    Value l = dict_keys_list(d);
    cr_assert_str_eq(repr_of(l), "['a', 'c', 'e']");
    dict_clear(d);
    cr_assert_null((void *)obj_call_method_cstr(d, "popitem", 0));
    expect_error(&Exc_KeyError, "'popitem(): dictionary is empty'");
}

Test(dict, colliding_hashes) {
    const intptr_t M = ((intptr_t)1 << 61) - 1;     /* hash(k) == hash(k + M) */
    Value d = dict_new();
    for (intptr_t k = 0; k < 50; k++) {
        dict_set(d, MK_INT(k), MK_INT(k));
        dict_set(d, MK_INT(k + M), MK_INT(-k));
    }
    cr_assert_eq(obj_len(d), 100);
    cr_assert_eq(obj_hash(MK_INT(3)), obj_hash(MK_INT(3 + M)));
    cr_assert_eq(dict_get(d, MK_INT(3)), MK_INT(3));
    cr_assert_eq(dict_get(d, MK_INT(3 + M)), MK_INT(-3));
    for (intptr_t k = 0; k < 50; k += 2) cr_assert_eq(dict_del(d, MK_INT(k)), 0);
    for (intptr_t k = 0; k < 50; k++) {
        cr_assert_eq(dict_get(d, MK_INT(k + M)), MK_INT(-k));
        if (k % 2) cr_assert_eq(dict_get(d, MK_INT(k)), MK_INT(k));
        else cr_assert_null((void *)dict_get(d, MK_INT(k)));
    }
    Value e = dict_new();      /* hash(-1) == hash(-2) == -2 */
    dict_set(e, MK_INT(-1), str_from_cstr("a"));
    dict_set(e, MK_INT(-2), str_from_cstr("b"));
    cr_assert_str_eq(repr_of(e), "{-1: 'a', -2: 'b'}");
}

Test(dict, keys_and_errors) {
    Value d = dict_new();
    cr_assert_eq(dict_set(d, list_new(0), MK_INT(1)), -1);
    expect_error(&Exc_TypeError, "unhashable type: 'list'");
    cr_assert_null((void *)obj_getitem(d, str_from_cstr("x")));
    expect_error(&Exc_KeyError, "'x'");
    Value key = tuple_pack(2, MK_INT(1), MK_INT(2));
    cr_assert_null((void *)obj_getitem(d, key));
    expect_error(&Exc_KeyError, "(1, 2)");
    cr_assert_eq(obj_hash(d), -1);
    expect_error(&Exc_TypeError, "unhashable type: 'dict'");
    /* 1, 1.0 and True are the same key */
    dict_set(d, MK_INT(1), str_from_cstr("one"));
    dict_set(d, float_new(1.0), str_from_cstr("float"));
    dict_set(d, True_, str_from_cstr("true"));
    cr_assert_str_eq(repr_of(d), "{1: 'true'}");
    dict_set(d, d, MK_INT(0));
    expect_error(&Exc_TypeError, "unhashable type: 'dict'");
    dict_set(d, str_from_cstr("self"), d);
    cr_assert_str_eq(repr_of(d), "{1: 'true', 'self': {...}}");
}

Test(dict, update_forms) {
    Value d = dict_new();
    Value pairs = list_new(0);
    list_append(pairs, tuple_pack(2, str_from_cstr("a"), MK_INT(1)));
    list_append(pairs, str_from_cstr("bc"));            /* a 2-char string is a pair */
    cr_assert_eq(dict_update(d, pairs), 0);
    cr_assert_str_eq(repr_of(d), "{'a': 1, 'b': 'c'}");
    Value bad = list_new(0);
    list_append(bad, tuple_pack(3, MK_INT(1), MK_INT(2), MK_INT(3)));
    cr_assert_eq(dict_update(d, bad), -1);
    expect_error(&Exc_ValueError, "dictionary update sequence element #0 has length 3; 2 is required");
    Value bad2 = list_new(0);
    list_append(bad2, tuple_pack(2, MK_INT(1), MK_INT(2)));
    list_append(bad2, MK_INT(1));
    cr_assert_eq(dict_update(d, bad2), -1);
    expect_error(&Exc_TypeError, "cannot convert dictionary update sequence element #1 to a sequence");
    cr_assert_eq(dict_update(d, MK_INT(1)), -1);
    expect_error(&Exc_TypeError, "'int' object is not iterable");
    Value other = dict_new();
    dict_set_str(other, "a", MK_INT(100));
    dict_set_str(other, "z", MK_INT(26));
    cr_assert_eq(dict_update(d, other), 0);
    cr_assert_str_eq(repr_of(d), "{'a': 100, 'b': 'c', 1: 2, 'z': 26}");
    Value kw = dict_new();
    dict_set(kw, MK_INT(5), MK_INT(5));
    cr_assert_eq(dict_merge_kw(dict_new(), kw), -1);
    expect_error(&Exc_TypeError, "keywords must be strings");
    /* dict(mapping, **kw) and | / |= */
    Value args[2] = { other, MK_INT(7) };
    Value made = obj_call(OBJ_VAL(&DictType), args, 1, tuple_pack(1, str_from_cstr("q")));
    cr_assert_str_eq(repr_of(made), "{'a': 100, 'z': 26, 'q': 7}");
    Value u = obj_binop(other, made, OP_BITOR);
    cr_assert_str_eq(repr_of(u), "{'a': 100, 'z': 26, 'q': 7}");
    cr_assert_null((void *)obj_binop(other, list_new(0), OP_BITOR));
    expect_error(&Exc_TypeError, "unsupported operand type(s) for |: 'dict' and 'list'");
    Value same = obj_binop(other, pairs, OP_BITOR + BINOP_INPLACE);
    cr_assert_eq(same, other);
    cr_assert_str_eq(repr_of(other), "{'a': 1, 'z': 26, 'b': 'c'}");
    /* order-insensitive equality */
    Value x = dict_new(), y = dict_new();
    dict_set_str(x, "b", MK_INT(2)); dict_set_str(x, "a", MK_INT(1));
    dict_set_str(y, "a", MK_INT(1)); dict_set_str(y, "b", MK_INT(2));
    cr_assert_eq(obj_richcmp_bool(x, y, RC_EQ), 1);
    dict_set_str(y, "b", MK_INT(3));
    cr_assert_eq(obj_richcmp_bool(x, y, RC_NE), 1);
}

Test(dict, methods) {
    Value d = dict_new();
    dict_set_str(d, "a", MK_INT(1));
    cr_assert_eq(obj_call_method_cstr(d, "get", 1, str_from_cstr("a")), MK_INT(1));
    cr_assert_eq(obj_call_method_cstr(d, "get", 1, str_from_cstr("b")), None);
    cr_assert_eq(obj_call_method_cstr(d, "get", 2, str_from_cstr("b"), MK_INT(0)), MK_INT(0));
    cr_assert_null((void *)obj_call_method_cstr(d, "get", 0));
    expect_error(&Exc_TypeError, "get expected at least 1 argument, got 0");
    cr_assert_eq(obj_call_method_cstr(d, "setdefault", 2, str_from_cstr("b"), MK_INT(2)), MK_INT(2));
    cr_assert_eq(obj_call_method_cstr(d, "setdefault", 2, str_from_cstr("b"), MK_INT(3)), MK_INT(2));
    cr_assert_eq(obj_call_method_cstr(d, "pop", 1, str_from_cstr("a")), MK_INT(1));
    cr_assert_eq(obj_call_method_cstr(d, "pop", 2, str_from_cstr("a"), MK_INT(9)), MK_INT(9));
    cr_assert_null((void *)obj_call_method_cstr(d, "pop", 1, str_from_cstr("a")));
    expect_error(&Exc_KeyError, "'a'");
    Value fk = obj_call_method_cstr(OBJ_VAL(&DictType), "fromkeys", 2, str_from_cstr("xy"), MK_INT(0));
    cr_assert_str_eq(repr_of(fk), "{'x': 0, 'y': 0}");
    Value rk = obj_call_method_cstr(fk, "__reversed__", 0);
    cr_assert_str_eq(obj_type_name(rk), "dict_reversekeyiterator");
    cr_assert_str_eq(repr_of(list_from_iterable(rk)), "['y', 'x']");
}

Test(dict, iteration_guards) {
    Value d = dict_new();
    dict_set(d, MK_INT(1), MK_INT(1));
    Value it = obj_iter(d);
    cr_assert_str_eq(obj_type_name(it), "dict_keyiterator");
    cr_assert_eq(obj_next(it), MK_INT(1));
    dict_set(d, MK_INT(5), MK_INT(1));
    cr_assert_null((void *)obj_next(it));
    expect_error(&Exc_RuntimeError, "dictionary changed size during iteration");
    cr_assert_null((void *)obj_next(it));          /* sticky */
    expect_error(&Exc_RuntimeError, "dictionary changed size during iteration");

    Value e = dict_new();
    dict_set(e, MK_INT(1), MK_INT(1));
    dict_set(e, MK_INT(2), MK_INT(2));
    it = obj_iter(e);
    cr_assert_eq(obj_next(it), MK_INT(1));
    dict_del(e, MK_INT(1));
    dict_set(e, MK_INT(3), MK_INT(3));
    cr_assert_eq(obj_next(it), MK_INT(2));
    cr_assert_null((void *)obj_next(it));
    expect_error(&Exc_RuntimeError, "dictionary keys changed during iteration");
}

Test(dict, views) {
    Value d = dict_new();
    dict_set_str(d, "a", MK_INT(1));
    dict_set_str(d, "b", MK_INT(2));
    Value k = obj_call_method_cstr(d, "keys", 0);
    Value v = obj_call_method_cstr(d, "values", 0);
    Value it = obj_call_method_cstr(d, "items", 0);
    cr_assert_str_eq(repr_of(k), "dict_keys(['a', 'b'])");
    cr_assert_str_eq(repr_of(v), "dict_values([1, 2])");
    cr_assert_str_eq(repr_of(it), "dict_items([('a', 1), ('b', 2)])");
    cr_assert_eq(obj_len(k), 2);
    cr_assert_eq(obj_contains(k, str_from_cstr("a")), 1);
    cr_assert_eq(obj_contains(v, MK_INT(2)), 1);
    cr_assert_eq(obj_contains(it, tuple_pack(2, str_from_cstr("b"), MK_INT(2))), 1);
    cr_assert_eq(obj_contains(it, tuple_pack(2, str_from_cstr("b"), MK_INT(3))), 0);
    dict_set_str(d, "c", MK_INT(3));                 /* views are live */
    cr_assert_eq(obj_len(v), 3);
    Value bl = list_new(0);
    list_append(bl, str_from_cstr("b"));
    list_append(bl, str_from_cstr("z"));
    cr_assert_str_eq(repr_of(obj_binop(k, bl, OP_BITAND)), "{'b'}");
    cr_assert_str_eq(repr_of(obj_binop(bl, k, OP_BITAND)), "{'b'}");
    Value sub = obj_binop(k, bl, OP_SUB);
    cr_assert_eq(obj_len(sub), 2);
    cr_assert_eq(obj_contains(sub, str_from_cstr("a")), 1);
    cr_assert_eq(obj_contains(sub, str_from_cstr("c")), 1);
    Value uni = obj_binop(k, bl, OP_BITOR);
    cr_assert_eq(obj_len(uni), 4);
    Value x = obj_binop(k, bl, OP_BITXOR);
    cr_assert_eq(obj_len(x), 3);
    cr_assert_eq(obj_contains(x, str_from_cstr("z")), 1);
    cr_assert_null((void *)obj_binop(k, MK_INT(1), OP_BITAND));
    expect_error(&Exc_TypeError, "'int' object is not iterable");
    Value s = set_new(bl);
    cr_assert_eq(obj_richcmp_bool(k, s, RC_EQ), 0);
    set_add(s, str_from_cstr("a"));
    set_add(s, str_from_cstr("c"));
    set_discard(s, str_from_cstr("z"));
    cr_assert_eq(obj_richcmp_bool(k, s, RC_EQ), 1);
    cr_assert_eq(obj_richcmp_bool(k, s, RC_LE), 1);
    cr_assert_eq(obj_richcmp_bool(k, s, RC_LT), 0);
    cr_assert_eq(obj_call_method_cstr(k, "isdisjoint", 1, bl), False_);
    cr_assert_str_eq(repr_of(list_from_iterable(obj_call_method_cstr(it, "__reversed__", 0))),
                     "[('c', 3), ('b', 2), ('a', 1)]");
}

/* Cycles through every container kind are found by the collector (their
 * traverse/clear slots are right), and nothing reachable is freed. */
Test(dict, gc_collects_container_cycles) {
    gc_collect();
    Value keep = list_new(0);
    list_append(keep, MK_INT(42));
    for (int round = 0; round < 3; round++) {
        Value l = list_new(0);
        list_append(l, l);                              /* list -> itself */
        Value d = dict_new();
        dict_set_str(d, "self", d);                     /* dict -> itself */
        dict_set_str(d, "list", l);
        Value t = tuple_pack(2, d, keep);               /* tuple -> dict -> ... */
        list_append(l, t);
        Value it = obj_iter(l);                          /* iterator -> list */
        list_append(l, it);
        Value view = obj_call_method_cstr(d, "items", 0);
        dict_set_str(d, "view", view);                   /* view -> dict */
        Value s = set_new(VNULL);
        set_add(s, t);                                   /* set -> tuple */
        dict_set_str(d, "set", s);
        Value e = obj_call(OBJ_VAL(&EnumerateType), &l, 1, VNULL);
        list_append(l, e);                               /* enumerate -> iterator -> list */
        decref(l); decref(d); decref(t); decref(it); decref(view); decref(s); decref(e);
        size_t found = gc_collect();
        cr_assert(found >= 8, "collected %zu", found);
    }
    cr_assert_eq(LIST_LEN(keep), 1);
    cr_assert_eq(LIST_ITEMS(keep)[0], MK_INT(42));
    cr_assert_str_eq(repr_of(keep), "[42]");
}
