/* test_float.c — float and complex through the C API: repr (shortest
 * round-trip, CPython's layout), a 10,000-double round-trip check, arithmetic
 * and its errors, exact comparison with big ints, hashes, round(), float(),
 * and complex. Tables come from python3 (gen_text_cases.py → float_cases.inc). */
#include <math.h>
#include <stdlib.h>
#include "text_helpers.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(float, .init = setup);

#include "float_cases.inc"

Test(float, cases_vs_python) { text_failures = 0; float_cases(); cr_assert_eq(text_failures, 0); }

Test(float, known_reprs_vs_python) {
    for (size_t i = 0; i < sizeof known_reprs / sizeof *known_reprs; i++) {
        double d;
        memcpy(&d, &known_reprs[i].bits, 8);
        Value r = float_repr_of(d);
        cr_assert(r);
        cr_assert_str_eq(STR_DATA(r), known_reprs[i].repr, "bits %016llx", (unsigned long long)known_reprs[i].bits);
        char buf[40];
        cr_assert_eq(float_format_repr(d, buf, sizeof buf), (int)strlen(known_reprs[i].repr));
        cr_assert_str_eq(buf, known_reprs[i].repr);
        decref(r);
    }
}

/* xorshift64*: a fixed sequence, so failures reproduce */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_bits(void) {
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

Test(float, repr_round_trips_10000_random_doubles) {
    int checked = 0;
    while (checked < 10000) {
        uint64_t bits = next_bits();
        double d;
        memcpy(&d, &bits, 8);
        if (isnan(d) || isinf(d)) continue;
        Value r = float_repr_of(d);
        cr_assert(r);
        double back = strtod(STR_DATA(r), NULL);
        cr_assert(back == d || (d == 0 && back == 0), "%s does not round-trip (%016llx)", STR_DATA(r), (unsigned long long)bits);
        cr_assert_eq(signbit(back), signbit(d));
        /* shortest: one digit fewer never round-trips */
        char shorter[40];
        /* significant digits: the mantissa's digits without leading or trailing zeros */
        char digs[40];
        int nd = 0;
        for (const char *p = STR_DATA(r); *p && *p != 'e'; p++)
            if (*p >= '0' && *p <= '9' && (nd || *p != '0')) digs[nd++] = *p;
        while (nd > 0 && digs[nd - 1] == '0') nd--;
        int ndig = nd;
        if (ndig > 1) {
            snprintf(shorter, sizeof shorter, "%.*e", ndig - 2, fabs(d));
            cr_assert(strtod(shorter, NULL) != fabs(d), "%s is not the shortest (%s round-trips)", STR_DATA(r), shorter);
        }
        decref(r);
        checked++;
    }
}

Test(float, specific_reprs) {
    struct { double d; const char *r; } t[] = {
        {0.1, "0.1"}, {1e16, "1e+16"}, {1e-5, "1e-05"}, {123456789012345678.0, "1.2345678901234568e+17"},
        {2.5e-310, "2.5e-310"}, {NAN, "nan"}, {-0.0, "-0.0"}, {1e15, "1000000000000000.0"}, {0.0001, "0.0001"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"}, {1.5e-05, "1.5e-05"}, {5e-324, "5e-324"}, {100.0, "100.0"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        Value r = float_repr_of(t[i].d);
        cr_assert_str_eq(STR_DATA(r), t[i].r);
        Value f = float_new(t[i].d);
        Value s = obj_str(f);
        cr_assert_str_eq(STR_DATA(s), t[i].r, "str == repr");
    }
}

Test(float, hash_matches_int_hash) {
    for (int64_t i = -1000; i <= 1000; i += 7) {
        cr_assert_eq(float_hash((double)i), int_hash(I(i)), "i=%lld", (long long)i);
    }
    Value big = BIG("1267650600228229401496703205376");   /* 2**100 */
    cr_assert_eq(float_hash(ldexp(1.0, 100)), int_hash(big));
    cr_assert_eq(float_hash(INFINITY), 314159);
    cr_assert_eq(float_hash(-INFINITY), -314159);
    cr_assert_eq(float_hash(-1.0), -2, "hash(-1.0) == -2 like hash(-1)");
    /* nan hashes by identity: stable per object */
    Value n = float_new(NAN);
    cr_assert_eq(obj_hash(n), obj_hash(n));
}

Test(float, as_double_and_check) {
    double d;
    cr_assert_eq(float_as_double(F(0x4004000000000000ULL), &d), 0);
    cr_assert_eq(d, 2.5);
    cr_assert_eq(float_as_double(I(7), &d), 0);
    cr_assert_eq(d, 7.0);
    cr_assert_eq(float_as_double(True_, &d), 0);
    cr_assert_eq(d, 1.0);
    cr_assert_eq(float_as_double(S("x"), &d), -1);
    Value e = err_fetch();
    cr_assert(exc_matches(e, OBJ_VAL(&Exc_TypeError)));
    cr_assert(float_check(F(0)));
    cr_assert(!float_check(I(1)));
    cr_assert_eq(float_binop(S("a"), F(0), OP_ADD), NotImplemented);
}
