/* test_set.c — set and frozenset through the C API. The iteration orders
 * and hash values are the ones python3 prints: the table follows CPython's
 * layout rules, so printed sets match.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "ast.h"
#include "containers.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(set, .init = setup);

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

static Value iset(int n, ...) {
    va_list ap;
    va_start(ap, n);
    Value s = set_new(VNULL);
    for (int i = 0; i < n; i++) cr_assert_eq(set_add(s, MK_INT(va_arg(ap, int))), 0);
    va_end(ap);
    return s;
}

static Value ilist(int n, ...) {
    va_list ap;
    va_start(ap, n);
    Value l = list_new(0);
    for (int i = 0; i < n; i++) list_append(l, MK_INT(va_arg(ap, int)));
    va_end(ap);
    return l;
}

Test(set, iteration_order_matches_python) {
    cr_assert_str_eq(repr_of(iset(3, 3, 1, 2)), "{1, 2, 3}");
    cr_assert_str_eq(repr_of(iset(5, 33, 100, 5, 1000, 10)), "{33, 100, 5, 1000, 10}");
    /* s = set(); s.add(-1); s.add(-2); s.add(7); s.add(8): hash(-1) == hash(-2) collide.
     * (The literal {-1, -2, 7, 8} prints {8, -2, -1, 7}: CPython's compiler rebuilds the
     * constant frozenset by re-inserting in table order.) */
    cr_assert_str_eq(repr_of(iset(4, -1, -2, 7, 8)), "{8, 7, -1, -2}");
    Value s = set_new(VNULL);
    for (int i = 0; i < 10; i++) set_add(s, MK_INT(i * 8));
    cr_assert_str_eq(repr_of(s), "{0, 32, 64, 8, 40, 72, 16, 48, 24, 56}");
    for (int i = 0; i < 5; i++) set_discard(s, MK_INT(i * 16));
    set_add(s, MK_INT(1000));
    cr_assert_str_eq(repr_of(s), "{8, 40, 72, 1000, 24, 56}");
    cr_assert_str_eq(repr_of(set_new(ilist(4, 5, 13, 21, 29))), "{29, 13, 21, 5}");
    Value d = dict_new();
    dict_set(d, MK_INT(5), MK_INT(1));
    dict_set(d, MK_INT(13), MK_INT(2));
    dict_set(d, MK_INT(21), MK_INT(3));
    cr_assert_str_eq(repr_of(set_new(d)), "{13, 21, 5}");
    cr_assert_str_eq(repr_of(frozenset_new(ilist(3, 100, 36, 4))), "frozenset({100, 4, 36})");
    Value big = set_new(VNULL);
    for (int i = 0; i < 20; i++) set_add(big, MK_INT(i));
    cr_assert_str_eq(repr_of(big),
                     "{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}");
    Value p = iset(3, 1, 2, 3);
    cr_assert_eq(obj_call_method_cstr(p, "pop", 0), MK_INT(1));
    cr_assert_eq(obj_call_method_cstr(p, "pop", 0), MK_INT(2));
    cr_assert_str_eq(repr_of(p), "{3}");
}

Test(set, reprs) {
    cr_assert_str_eq(repr_of(set_new(VNULL)), "set()");
    cr_assert_str_eq(repr_of(frozenset_new(VNULL)), "frozenset()");
    cr_assert_str_eq(repr_of(frozenset_new(ilist(2, 1, 2))), "frozenset({1, 2})");
}

Test(set, algebra) {
    Value a = iset(4, 1, 2, 3, 4), b = iset(4, 3, 4, 5, 6);
    cr_assert_str_eq(repr_of(obj_binop(a, b, OP_BITOR)), "{1, 2, 3, 4, 5, 6}");
    cr_assert_str_eq(repr_of(obj_binop(a, b, OP_BITAND)), "{3, 4}");
    cr_assert_str_eq(repr_of(obj_binop(a, b, OP_SUB)), "{1, 2}");
    cr_assert_str_eq(repr_of(obj_binop(b, a, OP_SUB)), "{5, 6}");
    cr_assert_str_eq(repr_of(obj_binop(a, b, OP_BITXOR)), "{1, 2, 5, 6}");
    cr_assert_str_eq(repr_of(obj_call_method_cstr(a, "union", 2, ilist(2, 9, 8), tuple_pack(1, MK_INT(7)))),
                     "{1, 2, 3, 4, 7, 8, 9}");
    cr_assert_str_eq(repr_of(obj_call_method_cstr(a, "intersection", 1, ilist(3, 4, 3, 100))), "{3, 4}");
    cr_assert_str_eq(repr_of(obj_call_method_cstr(a, "symmetric_difference", 1, ilist(2, 1, 10))),
                     "{2, 3, 4, 10}");
    cr_assert_str_eq(repr_of(obj_call_method_cstr(a, "difference", 2, ilist(1, 1), ilist(1, 4))), "{2, 3}");
    cr_assert_null((void *)obj_binop(a, ilist(1, 1), OP_BITOR));
    expect_error(&Exc_TypeError, "unsupported operand type(s) for |: 'set' and 'list'");
    /* mixed set/frozenset: the left operand decides the result type */
    Value f = frozenset_new(ilist(1, 1));
    Value two = iset(1, 2);
    cr_assert_str_eq(repr_of(obj_binop(f, two, OP_BITOR)), "frozenset({1, 2})");
    cr_assert_str_eq(repr_of(obj_binop(two, f, OP_BITOR)), "{1, 2}");
    /* in-place forms mutate sets, rebuild frozensets */
    Value c = iset(2, 1, 2);
    Value r = obj_binop(c, iset(1, 3), OP_BITOR + BINOP_INPLACE);
    cr_assert_eq(r, c);
    cr_assert_str_eq(repr_of(c), "{1, 2, 3}");
    r = obj_binop(c, iset(2, 2, 3), OP_BITAND + BINOP_INPLACE);
    cr_assert_eq(r, c);
    cr_assert_str_eq(repr_of(c), "{2, 3}");
    r = obj_binop(c, iset(1, 2), OP_SUB + BINOP_INPLACE);
    cr_assert_str_eq(repr_of(c), "{3}");
    r = obj_binop(c, iset(2, 3, 4), OP_BITXOR + BINOP_INPLACE);
    cr_assert_str_eq(repr_of(c), "{4}");
    Value g = obj_binop(f, two, OP_BITOR + BINOP_INPLACE);
    cr_assert_neq(g, f);
    cr_assert_str_eq(repr_of(f), "frozenset({1})");
    Value u = set_new(VNULL);
    cr_assert(obj_call_method_cstr(u, "update", 2, ilist(2, 1, 2), str_from_cstr("a")));
    cr_assert_eq(obj_len(u), 3);
    cr_assert_null((void *)obj_call_method_cstr(u, "update", 1, MK_INT(1)));
    expect_error(&Exc_TypeError, "'int' object is not iterable");
    cr_assert(obj_call_method_cstr(u, "intersection_update", 2, ilist(3, 1, 2, 5), ilist(1, 2)));
    cr_assert_str_eq(repr_of(u), "{2}");
    cr_assert(obj_call_method_cstr(u, "difference_update", 1, ilist(1, 2)));
    cr_assert_str_eq(repr_of(u), "set()");
}

Test(set, comparisons_and_predicates) {
    Value a = iset(2, 1, 2), b = iset(3, 1, 2, 3);
    cr_assert_eq(obj_richcmp_bool(a, b, RC_LT), 1);
    cr_assert_eq(obj_richcmp_bool(a, a, RC_LE), 1);
    cr_assert_eq(obj_richcmp_bool(a, frozenset_new(a), RC_EQ), 1);
    cr_assert_eq(obj_richcmp_bool(b, a, RC_GT), 1);
    cr_assert_eq(obj_richcmp_bool(a, b, RC_GE), 0);
    cr_assert_eq(obj_richcmp_bool(a, ilist(1, 1), RC_LE), -1);
    expect_error(&Exc_TypeError, "'<=' not supported between instances of 'set' and 'list'");
    cr_assert_eq(obj_call_method_cstr(a, "issubset", 1, ilist(3, 3, 2, 1)), True_);
    cr_assert_eq(obj_call_method_cstr(b, "issuperset", 1, ilist(2, 3, 1)), True_);
    cr_assert_eq(obj_call_method_cstr(a, "isdisjoint", 1, ilist(2, 5, 6)), True_);
    cr_assert_eq(obj_call_method_cstr(a, "isdisjoint", 1, b), False_);
    cr_assert_null((void *)obj_call_method_cstr(a, "issubset", 1, MK_INT(1)));
    expect_error(&Exc_TypeError, "'int' object is not iterable");
}

Test(set, membership_and_errors) {
    Value s = iset(2, 1, 2);
    cr_assert_eq(set_contains(s, MK_INT(1)), 1);
    cr_assert_eq(set_contains(s, float_new(2.0)), 1);
    cr_assert_eq(set_contains(s, MK_INT(3)), 0);
    cr_assert_eq(set_contains(s, list_new(0)), -1);
    expect_error(&Exc_TypeError, "unhashable type: 'list'");
    cr_assert_null((void *)obj_call_method_cstr(s, "remove", 1, MK_INT(5)));
    expect_error(&Exc_KeyError, "5");
    Value key = tuple_pack(2, MK_INT(1), MK_INT(2));
    cr_assert_null((void *)obj_call_method_cstr(s, "remove", 1, key));
    expect_error(&Exc_KeyError, "(1, 2)");
    Value e = set_new(VNULL);
    cr_assert_null((void *)obj_call_method_cstr(e, "pop", 0));
    expect_error(&Exc_KeyError, "'pop from an empty set'");
    cr_assert_eq(obj_hash(s), -1);
    expect_error(&Exc_TypeError, "unhashable type: 'set'");
    /* a set is looked up as the equal frozenset */
    Value outer = set_new(VNULL);
    set_add(outer, frozenset_new(ilist(1, 1)));
    cr_assert_eq(set_contains(outer, iset(1, 1)), 1);
    cr_assert_eq(set_discard(outer, iset(1, 1)), 1);
    cr_assert_eq(obj_len(outer), 0);
}

Test(set, frozenset_hashes_match_python) {
    cr_assert_eq(obj_hash(frozenset_new(ilist(3, 1, 2, 3))), (int64_t)-272375401224217160LL);
    cr_assert_eq(obj_hash(frozenset_new(VNULL)), (int64_t)133146708735736LL);
    Value inner = frozenset_new(ilist(1, 1));
    Value l = list_new(0);
    list_append(l, inner);
    cr_assert_eq(obj_hash(frozenset_new(l)), (int64_t)5515263749738256364LL);
    Value r = list_new(0);
    for (int i = 0; i < 100; i++) list_append(r, MK_INT(i));
    cr_assert_eq(obj_hash(frozenset_new(r)), (int64_t)4411996150312757951LL);
    Value m = list_new(0);
    list_append(m, MK_INT(-1));
    list_append(m, True_);
    cr_assert_eq(obj_hash(frozenset_new(m)), (int64_t)584910270279099428LL);
    /* equal frozensets hash equal whatever their history */
    Value s = set_new(VNULL);
    for (int i = 0; i < 50; i++) set_add(s, MK_INT(i));
    for (int i = 3; i < 50; i++) set_discard(s, MK_INT(i));
    cr_assert_eq(obj_hash(frozenset_new(s)), (int64_t)-4850097147344926394LL);   /* hash(frozenset({0, 1, 2})) */
    Value f = frozenset_new(r);
    cr_assert_eq(obj_call(OBJ_VAL(&FrozenSetType), &f, 1, VNULL), f);   /* frozenset(f) is f */
}

Test(set, iteration_guard) {
    Value s = iset(2, 1, 2);
    Value it = obj_iter(s);
    cr_assert_str_eq(obj_type_name(it), "set_iterator");
    cr_assert_eq(obj_next(it), MK_INT(1));
    set_add(s, MK_INT(3));
    cr_assert_null((void *)obj_next(it));
    expect_error(&Exc_RuntimeError, "Set changed size during iteration");
}

/* Random adds/discards/pops against a membership array: dummies, resizes
 * and the pop finger must never lose or duplicate an element. */
static unsigned long long rng = 0x2545F4914F6CDD1DULL;
static unsigned rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (unsigned)rng; }

Test(set, random_ops_against_reference) {
    enum { N = 500 };
    bool in[N] = { false };
    size_t count = 0;
    Value s = set_new(VNULL);
    for (int step = 0; step < 30000; step++) {
        intptr_t k = rnd() % N;
        unsigned op = rnd() % 10;
        if (op < 5) {
            cr_assert_eq(set_add(s, MK_INT(k)), 0);
            if (!in[k]) { in[k] = true; count++; }
        } else if (op < 9) {
            int r = set_discard(s, MK_INT(k));
            cr_assert_eq(r, in[k] ? 1 : 0);
            if (in[k]) { in[k] = false; count--; }
        } else if (count > 0) {
            Value v = obj_call_method_cstr(s, "pop", 0);
            cr_assert(IS_INT(v));
            cr_assert(in[AS_INT(v)], "popped an absent element");
            in[AS_INT(v)] = false;
            count--;
        }
        cr_assert_eq(obj_len(s), (intptr_t)count);
        if (step % 1000 == 0) {
            for (intptr_t i = 0; i < N; i++) cr_assert_eq(set_contains(s, MK_INT(i)), in[i]);
            size_t pos = 0, seen = 0;
            Value key;
            while (set_next(s, &pos, &key)) { cr_assert(in[AS_INT(key)]); seen++; }
            cr_assert_eq(seen, count);
            /* a frozen copy hashes like a frozenset built from scratch */
            Value fresh = list_new(0);
            for (intptr_t i = N - 1; i >= 0; i--) if (in[i]) list_append(fresh, MK_INT(i));
            cr_assert_eq(obj_hash(frozenset_new(s)), obj_hash(frozenset_new(fresh)));
            Value copy = obj_call_method_cstr(s, "copy", 0);
            cr_assert_eq(obj_richcmp_bool(copy, s, RC_EQ), 1);
        }
    }
}
