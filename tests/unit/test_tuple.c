/* test_tuple.c — tuple (and the built-in iterators of obj_iter.c) through
 * the C API. Hash values are the ones python3 prints: tuple hashing must be
 * CPython 3.11's xxHash-based algorithm exactly.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "ast.h"
#include "containers.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(tuple, .init = setup);

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

static Value ints(int n, ...) {
    va_list ap;
    va_start(ap, n);
    Value l = list_new(0);
    for (int i = 0; i < n; i++) list_append(l, MK_INT(va_arg(ap, int)));
    va_end(ap);
    return l;
}

Test(tuple, hashes_match_python) {
    cr_assert_eq(obj_hash(tuple_pack(2, MK_INT(1), MK_INT(2))), (int64_t)-3550055125485641917LL);
    cr_assert_eq(obj_hash(tuple_empty()), (int64_t)5740354900026072187LL);
    cr_assert_eq(obj_hash(tuple_pack(1, MK_INT(1))), (int64_t)-6644214454873602895LL);
    cr_assert_eq(obj_hash(tuple_pack(1, MK_INT(-1))), (int64_t)8078679518589016365LL);
    Value inner = tuple_pack(2, MK_INT(2), MK_INT(3));
    cr_assert_eq(obj_hash(tuple_pack(2, MK_INT(1), inner)), (int64_t)7267574591690527098LL);
    cr_assert_eq(obj_hash(tuple_pack(2, MK_INT(((intptr_t)1 << 61) - 1), MK_INT(-2))),
                 (int64_t)8374038142897728572LL);
    cr_assert_eq(obj_hash(tuple_pack(3, MK_INT(0), MK_INT(0), MK_INT(0))), (int64_t)3010437511937009226LL);
    cr_assert_eq(obj_hash(tuple_pack(2, True_, False_)), (int64_t)-5164621852614943976LL);
    /* an unhashable item makes the tuple unhashable, and nothing is cached */
    Value t = tuple_pack(2, MK_INT(1), list_new(0));
    cr_assert_eq(obj_hash(t), -1);
    expect_error(&Exc_TypeError, "unhashable type: 'list'");
    cr_assert_eq(AS_TUPLE(t)->hash, -1);
}

Test(tuple, repr_and_construction) {
    cr_assert_str_eq(repr_of(tuple_empty()), "()");
    cr_assert_eq(tuple_new(0), tuple_empty());        /* one shared empty tuple */
    cr_assert_str_eq(repr_of(tuple_pack(1, MK_INT(1))), "(1,)");
    Value in = tuple_pack(1, MK_INT(1));
    cr_assert_str_eq(repr_of(tuple_pack(1, in)), "((1,),)");
    cr_assert_str_eq(repr_of(tuple_pack(3, MK_INT(1), str_from_cstr("a"), tuple_pack(2, MK_INT(2), MK_INT(3)))),
                     "(1, 'a', (2, 3))");
    Value l = ints(3, 4, 5, 6);
    Value t = tuple_from_iterable(l);
    cr_assert_str_eq(repr_of(t), "(4, 5, 6)");
    cr_assert_eq(tuple_from_iterable(t), t);          /* tuple(t) is t */
    Value arg = l;
    Value t2 = obj_call(OBJ_VAL(&TupleType), &arg, 1, VNULL);
    cr_assert_str_eq(repr_of(t2), "(4, 5, 6)");
    Value two[2] = { l, l };
    cr_assert_null((void *)obj_call(OBJ_VAL(&TupleType), two, 2, VNULL));
    expect_error(&Exc_TypeError, "tuple expected at most 1 argument, got 2");
    /* a tuple containing a list containing the tuple */
    Value inner = list_new(0);
    Value rec = tuple_pack(1, inner);
    list_append(inner, rec);
    cr_assert_str_eq(repr_of(rec), "([(...)],)");
}

Test(tuple, indexing_slicing) {
    Value t = tuple_from_iterable(ints(5, 1, 2, 3, 4, 5));
    cr_assert_eq(obj_getitem(t, MK_INT(-1)), MK_INT(5));
    cr_assert_null((void *)obj_getitem(t, MK_INT(5)));
    expect_error(&Exc_IndexError, "tuple index out of range");
    cr_assert_null((void *)obj_getitem(t, str_from_cstr("a")));
    expect_error(&Exc_TypeError, "tuple indices must be integers or slices, not str");
    cr_assert_str_eq(repr_of(obj_getitem(t, slice_new(MK_INT(1), MK_INT(4), VNULL))), "(2, 3, 4)");
    cr_assert_str_eq(repr_of(obj_getitem(t, slice_new(VNULL, VNULL, MK_INT(-2)))), "(5, 3, 1)");
    cr_assert_str_eq(repr_of(obj_getitem(t, slice_new(MK_INT(10), VNULL, VNULL))), "()");
    cr_assert_eq(obj_getitem(t, slice_new(VNULL, VNULL, VNULL)), t);   /* t[:] is t */
}

Test(tuple, operators_and_methods) {
    Value a = tuple_pack(2, MK_INT(1), MK_INT(2)), b = tuple_pack(3, MK_INT(1), MK_INT(2), MK_INT(3));
    cr_assert_eq(obj_richcmp_bool(a, b, RC_LT), 1);
    cr_assert_eq(obj_richcmp_bool(a, tuple_pack(2, MK_INT(1), MK_INT(2)), RC_EQ), 1);
    cr_assert_eq(obj_richcmp_bool(tuple_pack(1, MK_INT(2)), tuple_pack(2, MK_INT(1), MK_INT(5)), RC_GT), 1);
    cr_assert_eq(obj_richcmp_bool(a, tuple_pack(2, MK_INT(1), str_from_cstr("a")), RC_LT), -1);
    expect_error(&Exc_TypeError, "'<' not supported between instances of 'int' and 'str'");
    cr_assert_str_eq(repr_of(obj_binop(a, b, OP_ADD)), "(1, 2, 1, 2, 3)");
    cr_assert_null((void *)obj_binop(a, MK_INT(1), OP_ADD));
    expect_error(&Exc_TypeError, "can only concatenate tuple (not \"int\") to tuple");
    cr_assert_str_eq(repr_of(obj_binop(MK_INT(2), a, OP_MUL)), "(1, 2, 1, 2)");
    cr_assert_str_eq(repr_of(obj_binop(a, MK_INT(0), OP_MUL)), "()");
    cr_assert_null((void *)obj_binop(a, MK_INT(1000000000000), OP_MUL));
    cr_assert(err_matches(&Exc_MemoryError));
    err_clear();
    /* t += x builds a new tuple */
    Value c = obj_binop(a, b, OP_ADD + BINOP_INPLACE);
    cr_assert_neq(c, a);
    cr_assert_str_eq(repr_of(c), "(1, 2, 1, 2, 3)");
    cr_assert_eq(obj_contains(b, MK_INT(3)), 1);
    cr_assert_eq(obj_contains(b, MK_INT(4)), 0);
    cr_assert_eq(obj_call_method_cstr(c, "count", 1, MK_INT(2)), MK_INT(2));
    cr_assert_eq(obj_call_method_cstr(c, "index", 1, MK_INT(3)), MK_INT(4));
    cr_assert_eq(obj_call_method_cstr(c, "index", 2, MK_INT(2), MK_INT(2)), MK_INT(3));
    cr_assert_null((void *)obj_call_method_cstr(c, "index", 1, MK_INT(9)));
    expect_error(&Exc_ValueError, "tuple.index(x): x not in tuple");
}

/* ---- built-in iterators ------------------------------------------------------------------ */

static Value call_type(Type *t, size_t nargs, Value *args, Value kwnames) {
    return obj_call(OBJ_VAL(t), args, nargs, kwnames);
}

static Value kwnames1(const char *name) { return tuple_pack(1, str_from_cstr(name)); }

Test(tuple, enumerate_zip_map_filter) {
    Value l = ints(3, 10, 20, 30);
    Value args[3] = { l, MK_INT(5), VNULL };
    Value e = call_type(&EnumerateType, 2, args, VNULL);
    cr_assert_str_eq(repr_of(list_from_iterable(e)), "[(5, 10), (6, 20), (7, 30)]");
    Value kwargs[2] = { l, MK_INT(-1) };
    e = call_type(&EnumerateType, 1, kwargs, kwnames1("start"));
    cr_assert_str_eq(repr_of(list_from_iterable(e)), "[(-1, 10), (0, 20), (1, 30)]");
    cr_assert_null((void *)call_type(&EnumerateType, 0, NULL, VNULL));
    expect_error(&Exc_TypeError, "enumerate() missing required argument 'iterable'");

    Value z2[2] = { l, ints(2, 1, 2) };
    Value z = call_type(&ZipType, 2, z2, VNULL);
    cr_assert_str_eq(repr_of(list_from_iterable(z)), "[(10, 1), (20, 2)]");
    Value zs[3] = { ints(2, 1, 2), ints(1, 3), True_ };
    z = call_type(&ZipType, 2, zs, kwnames1("strict"));
    cr_assert_null((void *)list_from_iterable(z));
    expect_error(&Exc_ValueError, "zip() argument 2 is shorter than argument 1");
    Value zl[4] = { ints(1, 1), ints(1, 3), ints(2, 5, 6), True_ };
    z = call_type(&ZipType, 3, zl, kwnames1("strict"));
    cr_assert_null((void *)list_from_iterable(z));
    expect_error(&Exc_ValueError, "zip() argument 3 is longer than arguments 1-2");
    Value zx[2] = { l, MK_INT(1) };
    cr_assert_null((void *)call_type(&ZipType, 1, zx, kwnames1("x")));
    expect_error(&Exc_TypeError, "'x' is an invalid keyword argument for zip()");

    Value m1[1] = { l };
    cr_assert_null((void *)call_type(&MapType, 1, m1, VNULL));
    expect_error(&Exc_TypeError, "map() must have at least two arguments.");
    Value f[2] = { None, ints(4, 0, 1, 0, 2) };
    Value fl = call_type(&FilterType, 2, f, VNULL);
    cr_assert_str_eq(repr_of(list_from_iterable(fl)), "[1, 2]");
    cr_assert_null((void *)call_type(&FilterType, 1, f, VNULL));
    expect_error(&Exc_TypeError, "filter expected 2 arguments, got 1");
}

Test(tuple, reversed_and_seq_iter) {
    Value t = tuple_from_iterable(ints(3, 1, 2, 3));
    Value r = call_type(&ReversedType, 1, &t, VNULL);
    cr_assert_str_eq(obj_type_name(r), "reversed");
    cr_assert_str_eq(repr_of(list_from_iterable(r)), "[3, 2, 1]");
    Value l = ints(2, 1, 2);
    r = call_type(&ReversedType, 1, &l, VNULL);
    cr_assert_str_eq(obj_type_name(r), "list_reverseiterator");
    Value one = MK_INT(1);
    cr_assert_null((void *)call_type(&ReversedType, 1, &one, VNULL));
    expect_error(&Exc_TypeError, "'int' object is not reversible");
    Value s = set_new(VNULL);
    cr_assert_null((void *)call_type(&ReversedType, 1, &s, VNULL));
    expect_error(&Exc_TypeError, "'set' object is not reversible");
    /* the sequence iterator stops at IndexError */
    Value si = seqiter_new(t);
    cr_assert_str_eq(obj_type_name(si), "iterator");
    cr_assert_str_eq(repr_of(list_from_iterable(si)), "[1, 2, 3]");
    cr_assert(!err_occurred());
}

/* list[int] and friends (annotations are evaluated in 3.11). */
Test(tuple, generic_alias) {
    Value li = obj_getitem(OBJ_VAL(&ListType), OBJ_VAL(&IntType));
    cr_assert(li);
    cr_assert_str_eq(repr_of(li), "list[int]");
    Value inner = obj_getitem(OBJ_VAL(&ListType), OBJ_VAL(&IntType));
    Value d = obj_getitem(OBJ_VAL(&DictType), tuple_pack(2, OBJ_VAL(&StrType), inner));
    cr_assert_str_eq(repr_of(d), "dict[str, list[int]]");
    Value t = obj_getitem(OBJ_VAL(&TupleType), tuple_pack(2, OBJ_VAL(&IntType), Ellipsis));
    cr_assert_str_eq(repr_of(t), "tuple[int, ...]");
    cr_assert_str_eq(repr_of(obj_getitem(OBJ_VAL(&TupleType), tuple_empty())), "tuple[()]");
    cr_assert_str_eq(repr_of(obj_getitem(OBJ_VAL(&SetType), MK_INT(1))), "set[1]");
    cr_assert_eq(obj_richcmp_bool(li, inner, RC_EQ), 1);
    cr_assert_eq(obj_hash(li), obj_hash(inner));
    Value made = obj_call(li, NULL, 0, VNULL);
    cr_assert_str_eq(repr_of(made), "[]");
    Value name = obj_getattr_cstr(li, "__name__");
    cr_assert(name);
    cr_assert_str_eq(STR_DATA(name), "list");
    cr_assert_eq(obj_getattr_cstr(li, "__origin__"), OBJ_VAL(&ListType));
}
