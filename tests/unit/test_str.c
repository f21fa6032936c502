/* test_str.c — str, StrBuf, bytes, the format-spec mini-language and `%`
 * formatting through the C API. Most cases are generated from python3's own
 * answers (gen_text_cases.py → str_cases.inc); the hand-written tests below
 * cover what a table cannot: the UTF-8 helpers, interning, hashing, the
 * buffer, iteration and hot-path shortcuts. */
#include "text_helpers.h"
#include "text_internal.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(str, .init = setup);

#include "str_cases.inc"

Test(str, methods_vs_python) { text_failures = 0; str_method_cases(); cr_assert_eq(text_failures, 0); }
Test(str, operators_indexing_repr_vs_python) { text_failures = 0; str_expr_cases(); cr_assert_eq(text_failures, 0); }
Test(str, format_spec_vs_python) { text_failures = 0; format_cases(); cr_assert_eq(text_failures, 0); }
Test(str, bytes_vs_python) { text_failures = 0; bytes_cases(); cr_assert_eq(text_failures, 0); }
Test(str, constructor_and_codecs_vs_python) { text_failures = 0; str_ctor_cases(); cr_assert_eq(text_failures, 0); }

Test(str, utf8_helpers) {
    char buf[4];
    cr_assert_eq(str_utf8_encode(0x41, buf), 1);
    cr_assert_eq(str_utf8_encode(0xE9, buf), 2);
    cr_assert_eq(memcmp(buf, "\xC3\xA9", 2), 0);
    cr_assert_eq(str_utf8_encode(0x20AC, buf), 3);
    cr_assert_eq(memcmp(buf, "\xE2\x82\xAC", 3), 0);
    cr_assert_eq(str_utf8_encode(0x1F600, buf), 4);
    cr_assert_eq(memcmp(buf, "\xF0\x9F\x98\x80", 4), 0);
    uint32_t cp;
    cr_assert_eq(str_utf8_decode("\xF0\x9F\x98\x80z", 5, &cp), 4);
    cr_assert_eq(cp, 0x1F600);
    cr_assert_eq(str_utf8_decode("\xFFz", 2, &cp), 1);
    cr_assert_eq(cp, 0xFFFD);
    cr_assert(str_utf8_valid("h\xC3\xA9llo w\xC3\xB6rld, plain ascii tail", 30));
    cr_assert(!str_utf8_valid("\xC0\x80", 2));          /* overlong */
    cr_assert(!str_utf8_valid("\xED\xA0\x80", 3));      /* surrogate */
    cr_assert(!str_utf8_valid("\xF4\x90\x80\x80", 4));  /* > U+10FFFF */
    cr_assert(!str_utf8_valid("abc\xE2\x82", 5));       /* truncated */
}

Test(str, invalid_utf8_is_repaired_not_stored) {
    Value v = str_new("a\xFF" "b\xE2\x82", 5);      /* a bad byte and a truncated sequence */
    cr_assert(v);
    cr_assert(str_utf8_valid(STR_DATA(v), STR_LEN(v)));
    cr_assert_str_eq(STR_DATA(v), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
    cr_assert_eq(AS_STR(v)->nchars, 5);
    Value last = str_getitem_index(v, -1);
    cr_assert_str_eq(STR_DATA(last), "\xEF\xBF\xBD");
    Value one = str_new("\xC3", 1);
    cr_assert_str_eq(STR_DATA(one), "\xEF\xBF\xBD");
}

Test(str, lengths_and_ascii_flag) {
    Value a = S("hello"), u = S("h\xC3\xA9llo \xE2\x82\xAC");
    cr_assert_eq(AS_STR(a)->nchars, 5);
    cr_assert(AS_STR(a)->ascii);
    cr_assert_eq(AS_STR(u)->len, 10);
    cr_assert_eq(AS_STR(u)->nchars, 7);
    cr_assert(!AS_STR(u)->ascii);
    cr_assert_eq(STR_DATA(u)[STR_LEN(u)], 0, "NUL-terminated");
    /* concatenation keeps the counts right */
    Value c = str_concat(a, u);
    cr_assert_eq(AS_STR(c)->nchars, 12);
    cr_assert(!AS_STR(c)->ascii);
    cr_assert_str_eq(STR_DATA(c), "helloh\xC3\xA9llo \xE2\x82\xAC");
    /* '' and one-character ASCII strings are shared */
    cr_assert_eq(S(""), S(""));
    cr_assert_eq(str_new("x", 1), str_new("xy", 1));
}

Test(str, fmt_directives) {
    Value v = str_from_fmt("%d|%5s|%-3d|%zu|%lld|%x|%c|%%|%.2s|%s", -7, "ab", 4, (size_t)9, (long long)1 << 40,
                           255, 0xE9, "abcdef", "end");
    cr_assert_str_eq(STR_DATA(v), "-7|   ab|4  |9|1099511627776|ff|\xC3\xA9|%|ab|end");
    Value r = str_from_fmt("%R and %S and %T", S("it's"), S("x"), I(3));
    cr_assert_str_eq(STR_DATA(r), "\"it's\" and x and int");
    /* invalid UTF-8 from %s is repaired, never stored */
    Value bad = str_from_fmt("[%s]", "a\xFF" "b");
    cr_assert(str_utf8_valid(STR_DATA(bad), STR_LEN(bad)));
    cr_assert_str_eq(STR_DATA(bad), "[a\xEF\xBF\xBD" "b]");
}

Test(str, interning) {
    Value a = str_intern_cstr("some_identifier");
    Value b = str_intern_cstr("some_identifier");
    cr_assert_eq(a, b);
    cr_assert(AS_STR(a)->interned);
    Value c = str_intern(S("some_identifier"));
    cr_assert_eq(c, a);
    Value d = str_intern(S("another_one"));
    cr_assert_eq(str_intern(S("another_one")), d);
    cr_assert(str_eq(a, S("some_identifier")));
    cr_assert(!str_eq(a, d));
    cr_assert(str_eq_cstr(a, "some_identifier"));
    cr_assert(!str_eq_cstr(a, "some_identifie"));
}

Test(str, hash_properties) {
    cr_assert_eq(str_hash(S("")), 0);
    cr_assert_eq(str_hash(S("abc")), str_hash(S("abc")));
    cr_assert_neq(str_hash(S("abc")), str_hash(S("abd")));
    cr_assert_neq(str_hash(S("abc")), -1);
    cr_assert_eq(obj_hash(S("abc")), obj_hash(B("abc", 3)), "hash(b'abc') == hash('abc')");
    /* every prefix of a long string hashes differently: no collisions in 1000 */
    char buf[1001];
    memset(buf, 'q', 1000);
    int64_t prev = 0;
    for (int n = 1; n <= 1000; n++) {
        int64_t h = str_hash(str_new(buf, (size_t)n));
        cr_assert_neq(h, prev);
        prev = h;
    }
}

Test(str, strbuf) {
    StrBuf b;
    sb_init(&b);
    for (int i = 0; i < 1000; i++) sb_addc(&b, (char)('a' + i % 26));
    sb_adds(&b, "|");
    sb_add(&b, "xyz", 2);
    sb_addf(&b, "<%d:%R>", 42, S("q"));
    cr_assert_eq(sb_add_value_str(&b, F(0x3fb999999999999aULL)), 0);
    cr_assert_eq(sb_add_value_repr(&b, S("\xC3\xA9")), 0);
    Value s = sb_finish(&b);
    cr_assert(s);
    cr_assert_eq(STR_LEN(s), 1000 + 1 + 2 + 8 + 3 + 4);
    cr_assert_str_eq(STR_DATA(s) + 1000, "|xy<42:'q'>0.1'\xC3\xA9'");
    cr_assert_eq(AS_STR(s)->nchars, 1000 + 1 + 2 + 8 + 3 + 3);
    /* an empty buffer gives '' */
    sb_init(&b);
    cr_assert_eq(STR_LEN(sb_finish(&b)), 0);
}

Test(str, iteration) {
    Value s = S("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z");
    Value it = obj_iter(s);
    cr_assert(it);
    const char *want[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "z"};
    for (int i = 0; i < 5; i++) {
        Value c = obj_next(it);
        cr_assert(c, "item %d", i);
        cr_assert_str_eq(STR_DATA(c), want[i]);
        cr_assert_eq(AS_STR(c)->nchars, 1);
    }
    cr_assert_null((void *)obj_next(it));
    cr_assert(!err_occurred());
    cr_assert_null((void *)obj_next(it), "stays exhausted");
}

Test(str, indexing_non_ascii_sequential_and_random) {
    /* 3000 characters mixing 1-, 2-, 3- and 4-byte sequences */
    StrBuf b;
    sb_init(&b);
    const char *pieces[] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
    for (int i = 0; i < 3000; i++) sb_adds(&b, pieces[(i * 7) % 4]);
    Value s = sb_finish(&b);
    cr_assert_eq(AS_STR(s)->nchars, 3000);
    for (int i = 0; i < 3000; i++) {
        Value c = str_getitem_index(s, i);
        cr_assert_str_eq(STR_DATA(c), pieces[(i * 7) % 4], "index %d", i);
    }
    for (int k = 0; k < 3000; k++) {
        int i = (k * 7919) % 3000;
        Value c = str_getitem_index(s, i - 3000);   /* negative indices too */
        cr_assert_str_eq(STR_DATA(c), pieces[(i * 7) % 4], "index %d", i);
    }
}

Test(str, join_fast_path_and_repeat_overflow) {
    Value l = L(3, S("a"), S("\xC3\xA9"), S("c"));
    Value r = str_join(S(", "), l);
    cr_assert_str_eq(STR_DATA(r), "a, \xC3\xA9, c");
    cr_assert_eq(AS_STR(r)->nchars, 7);
    Value one = L(1, S("solo"));
    cr_assert_eq(str_join(S("-"), one), LIST_ITEMS(one)[0], "a single str is returned as is");
    /* 'ab' * 2**62 is OverflowError, not a crash */
    cr_assert_null((void *)obj_binop(S("ab"), BIG("4611686018427387904"), OP_MUL));
    Value e = err_fetch();
    cr_assert(exc_matches(e, OBJ_VAL(&Exc_OverflowError)));
}

Test(str, concat_array) {
    Value items[] = {S("ab"), S(""), S("\xC3\xA9"), S("z")};
    Value r = str_concat_array(items, 4);
    cr_assert_str_eq(STR_DATA(r), "ab\xC3\xA9z");
    cr_assert_eq(AS_STR(r)->nchars, 4);
    cr_assert(!AS_STR(r)->ascii);
    cr_assert_eq(str_concat_array(items, 1), items[0]);
    cr_assert_eq(STR_LEN(str_concat_array(items + 1, 1)), 0);
    cr_assert_eq(STR_LEN(str_concat_array(items, 0)), 0);
}

Test(str, format_method_direct) {
    Value args[] = {I(1), S("x")};
    Value r = str_format_method(S("{1}{0}{1!r}"), args, 2, VNULL);
    cr_assert_str_eq(STR_DATA(r), "x1'x'");
    Value kwv[] = {I(5)};
    Value kwn = T(1, str_intern_cstr("n"));
    r = str_format_method(S("{n:>3}"), kwv, 0, kwn);
    cr_assert_str_eq(STR_DATA(r), "  5");
}
