/* test_int.c — int and bool through the C API, checked against python3.
 *
 * The tables (int_cases.inc) come from tests/unit/gen_int_cases.py: every
 * binary operator over operands around the small/big boundary (2**62),
 * divmod sign tables, hashes, correctly rounded int → float, int(str, base)
 * with its errors, pow with a modulus, hex/oct/bin. Each result must also
 * be normalised: a value that fits a small int is never a BigIntObj.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "ast.h"
#include "int_internal.h"

typedef struct { const char *a, *b; int op; const char *expect; } BinCase;
typedef struct { const char *v; long long hash; } HashCase;
typedef struct { const char *v; long long bits; int overflow; } FloatCase;
typedef struct { const char *s; size_t len; int base; const char *expect; int prefix; } ParseCase;
typedef struct { const char *a, *b, *m, *expect; } PowModCase;
typedef struct { const char *v, *hex, *oct, *bin; } ReprCase;
typedef struct { const char *label, *expect; } RandomCase;

static Value I(const char *s);
static Value F(unsigned long long bits);
static Value LIST(int n, ...);
static void math_check(const char *name, const char *expect, int n, ...);
#define MATH(name, expect, n, ...) math_check(name, expect, n, ##__VA_ARGS__)

#include "int_cases.inc"

static void setup(void) { vm_init(0, NULL); }
TestSuite(int_, .init = setup);

static Value I(const char *s) {
    Value v = int_from_string(s, strlen(s), 10);
    cr_assert(v, "int_from_string(%s) failed", s);
    return v;
}

/* The outcome of a computation as python3's repr, or "!Type: message". */
static char *outcome(Value v) {
    static char buf[8192];
    if (!v) {
        cr_assert(err_occurred(), "VNULL without an exception");
        Value e = err_fetch();
        Value s = obj_str(e);
        cr_assert(s);
        snprintf(buf, sizeof buf, "!%s: %s", obj_type_name(e), STR_DATA(s));
        decref(s);
        decref(e);
        return buf;
    }
    Value r = obj_repr(v);
    if (!r) return outcome(VNULL);
    snprintf(buf, sizeof buf, "%s", STR_DATA(r));
    decref(r);
    return buf;
}

/* A value that fits a small int must be one. */
static void check_normalised(Value v) {
    if (v && IS_TYPE(v, &IntType)) {
        mpz_srcptr z = ((BigIntObj *)AS_OBJ(v))->z;
        cr_assert(!(mpz_fits_slong_p(z) && FITS_SMALL(mpz_get_si(z))),
                  "small value %s stored as a BigIntObj", outcome(v));
    }
    if (v && IS_TYPE(v, &TupleType))
        for (size_t i = 0; i < TUPLE_LEN(v); i++) check_normalised(TUPLE_ITEMS(v)[i]);
}

static const char *op_name(int op) {
    static const char *names[] = {"+", "-", "*", "@", "/", "%", "**", "<<", ">>", "|", "^", "&", "//"};
    return op >= 0 && op < 13 ? names[op] : "?";
}

Test(int_, binops_vs_python) {
    size_t failures = 0;
    for (size_t i = 0; i < sizeof bin_cases / sizeof bin_cases[0]; i++) {
        const BinCase *c = &bin_cases[i];
        Value a = I(c->a), b = I(c->b);
        Value r = int_binop(a, b, c->op);
        check_normalised(r);
        const char *got = outcome(r);
        if (strcmp(got, c->expect) != 0) {
            if (failures++ < 20)
                cr_log_error("%s %s %s: got %s, want %s", c->a, op_name(c->op), c->b, got, c->expect);
        }
        decref(r); decref(a); decref(b);
    }
    cr_assert_eq(failures, 0, "%zu binop cases differ from python3", failures);
}

Test(int_, inplace_is_plain) {
    Value r = int_binop(MK_INT(5), MK_INT(3), OP_SUB + BINOP_INPLACE);
    cr_assert_eq(r, MK_INT(2));
}

Test(int_, foreign_operand_not_implemented) {
    Value s = str_from_cstr("x");
    Value r = int_binop(MK_INT(1), s, OP_ADD);
    cr_assert_eq(r, NotImplemented);
    r = int_binop(s, MK_INT(1), OP_MUL);
    cr_assert_eq(r, NotImplemented);
    r = int_binop(MK_INT(1), MK_INT(2), OP_MATMUL);
    cr_assert_eq(r, NotImplemented);
    Value f = float_new(1.5);
    cr_assert_eq(int_binop(MK_INT(1), f, OP_ADD), NotImplemented);
    decref(f);
    decref(s);
}

Test(int_, divmod_vs_python) {
    for (size_t i = 0; i < sizeof divmod_cases / sizeof divmod_cases[0]; i++) {
        const BinCase *c = &divmod_cases[i];
        Value a = I(c->a), b = I(c->b);
        Value r = int_divmod(a, b);
        check_normalised(r);
        cr_expect_str_eq(outcome(r), c->expect, "divmod(%s, %s)", c->a, c->b);
        decref(r); decref(a); decref(b);
    }
}

Test(int_, hash_vs_python) {
    for (size_t i = 0; i < sizeof hash_cases / sizeof hash_cases[0]; i++) {
        Value v = I(hash_cases[i].v);
        cr_expect_eq(int_hash(v), hash_cases[i].hash, "hash(%s) = %lld, want %lld",
                     hash_cases[i].v, (long long)int_hash(v), hash_cases[i].hash);
        cr_expect_eq(obj_hash(v), hash_cases[i].hash);
        decref(v);
    }
    cr_assert_eq(obj_hash(True_), 1);
    cr_assert_eq(obj_hash(False_), 0);
}

Test(int_, as_double_correctly_rounded) {
    for (size_t i = 0; i < sizeof float_cases / sizeof float_cases[0]; i++) {
        const FloatCase *c = &float_cases[i];
        Value v = I(c->v);
        double d = int_as_double(v);
        if (c->overflow) {
            cr_expect(err_occurred(), "float(%s) should overflow", c->v);
            cr_expect_str_eq(outcome(VNULL), "!OverflowError: int too large to convert to float");
        } else {
            long long bits;
            memcpy(&bits, &d, sizeof bits);
            cr_expect(!err_occurred());
            cr_expect_eq(bits, c->bits, "float(%s) = %.17g", c->v, d);
        }
        decref(v);
    }
}

Test(int_, from_string_vs_python) {
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const ParseCase *c = &parse_cases[i];
        Value v = int_from_string(c->s, c->len, c->base);
        check_normalised(v);
        const char *got = outcome(v);
        if (c->prefix)
            cr_expect(strncmp(got, c->expect, strlen(c->expect)) == 0, "int(%.40s…, %d) = %.60s…",
                      c->s, c->base, got);
        else
            cr_expect_str_eq(got, c->expect, "int(%s, %d)", c->s, c->base);
        decref(v);
    }
}

Test(int_, pow_mod_vs_python) {
    for (size_t i = 0; i < sizeof powmod_cases / sizeof powmod_cases[0]; i++) {
        const PowModCase *c = &powmod_cases[i];
        Value a = I(c->a), b = I(c->b), m = I(c->m);
        Value r = int_pow(a, b, m);
        check_normalised(r);
        cr_expect_str_eq(outcome(r), c->expect, "pow(%s, %s, %s)", c->a, c->b, c->m);
        decref(r); decref(a); decref(b); decref(m);
    }
    Value f = float_new(1.0);
    cr_assert_str_eq(outcome(int_pow(MK_INT(2), MK_INT(3), f)),
                     "!TypeError: pow() 3rd argument not allowed unless all arguments are integers");
    decref(f);
}

Test(int_, base_strings) {
    for (size_t i = 0; i < sizeof repr_cases / sizeof repr_cases[0]; i++) {
        const ReprCase *c = &repr_cases[i];
        Value v = I(c->v);
        Value s;
        s = int_to_base_string(v, 16, true); cr_expect_str_eq(STR_DATA(s), c->hex); decref(s);
        s = int_to_base_string(v, 8, true);  cr_expect_str_eq(STR_DATA(s), c->oct); decref(s);
        s = int_to_base_string(v, 2, true);  cr_expect_str_eq(STR_DATA(s), c->bin); decref(s);
        s = int_to_base_string(v, 10, false); cr_expect_str_eq(STR_DATA(s), c->v); decref(s);
        s = int_repr(v); cr_expect_str_eq(STR_DATA(s), c->v); decref(s);
        decref(v);
    }
}

Test(int_, repr_digit_limit) {
    cr_assert_eq(int_str_digits_limit(), 4300);
    Value ten = MK_INT(10);
    Value ok = int_pow(ten, MK_INT(4299), VNULL);          /* 4300 digits: fine */
    Value s = int_repr(ok);
    cr_assert(s);
    cr_assert_eq(STR_LEN(s), 4300);
    decref(s);
    Value neg = int_binop(MK_INT(0), ok, OP_SUB);          /* '-' is not a digit */
    s = int_repr(neg);
    cr_assert(s);
    cr_assert_eq(STR_LEN(s), 4301);
    decref(s);
    Value big = int_pow(ten, MK_INT(4300), VNULL);          /* 4301 digits */
    cr_assert_str_eq(outcome(int_repr(big)), "!ValueError: Exceeds the limit (4300 digits) for integer "
                     "string conversion; use sys.set_int_max_str_digits() to increase the limit");
    s = int_to_base_string(big, 16, true);                  /* no limit for power-of-two bases */
    cr_assert(s);
    decref(s);
    decref(ok); decref(neg); decref(big);
}

Test(int_, from_double) {
    cr_assert_eq(int_from_double(2.9), MK_INT(2));
    cr_assert_eq(int_from_double(-2.9), MK_INT(-2));
    cr_assert_eq(int_from_double(-0.0), MK_INT(0));
    cr_assert_str_eq(outcome(int_from_double(1e300)),
        "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160");
    cr_assert_str_eq(outcome(int_from_double(0.0 / 0.0)), "!ValueError: cannot convert float NaN to integer");
    cr_assert_str_eq(outcome(int_from_double(1.0 / 0.0)), "!OverflowError: cannot convert float infinity to integer");
    cr_assert_eq(int_from_double(4611686018427387904.0 - 1024), MK_INT(4611686018427386880LL));
    Value v = int_from_double(4611686018427387904.0);       /* 2**62: just past small */
    check_normalised(v);
    cr_assert_str_eq(outcome(v), "4611686018427387904");
}

Test(int_, conversions_out) {
    int64_t i;
    intptr_t n;
    Value big = I("9223372036854775807");
    cr_assert_eq(int_as_i64(big, &i), 0);
    cr_assert_eq(i, INT64_MAX);
    Value bigger = I("9223372036854775808");
    cr_assert_eq(int_as_ssize(bigger, &n), -1);
    cr_assert_str_eq(outcome(VNULL), "!OverflowError: Python int too large to convert to C ssize_t");
    Value s = str_from_cstr("5");
    cr_assert_eq(int_as_i64(s, &i), -1);
    cr_assert_str_eq(outcome(VNULL), "!TypeError: 'str' object cannot be interpreted as an integer");
    cr_assert_eq(int_as_i64(True_, &i), 0);
    cr_assert_eq(i, 1);
    cr_assert_eq(int_sign(I("-100000000000000000000000")), -1);
    cr_assert_eq(int_sign(False_), 0);
    mpz_t z;
    mpz_init(z);
    int_to_mpz(I("-123456789012345678901234567890"), z);
    cr_assert_eq(mpz_cmp_si(z, 0), -1);
    cr_assert(mpz_sizeinbase(z, 10) >= 30);
    mpz_clear(z);
    cr_assert_eq(int_from_u64(UINT64_MAX) != VNULL, true);
    cr_assert_str_eq(outcome(int_from_u64(UINT64_MAX)), "18446744073709551615");
    cr_assert_str_eq(outcome(int_from_i64(INT64_MIN)), "-9223372036854775808");
    decref(big); decref(bigger); decref(s);
}

Test(int_, compare) {
    cr_assert_eq(int_cmp(I("-100000000000000000000"), MK_INT(-5)), -1);
    cr_assert_eq(int_cmp(I("100000000000000000000"), I("100000000000000000000")), 0);
    cr_assert_eq(int_cmp(True_, MK_INT(1)), 0);
    cr_assert_eq(obj_richcmp_bool(MK_INT(3), I("4611686018427387904"), RC_LT), 1);
    cr_assert_eq(obj_richcmp_bool(True_, MK_INT(1), RC_EQ), 1);
    cr_assert_eq(obj_richcmp_bool(False_, MK_INT(-1), RC_GT), 1);
}

Test(int_, huge_results_raise_memory_error) {
    Value t = I("1000000000000");
    cr_assert_str_eq(outcome(int_binop(MK_INT(2), t, OP_POW)), "!MemoryError: ");
    cr_assert_str_eq(outcome(int_binop(MK_INT(1), t, OP_LSHIFT)), "!MemoryError: ");
    cr_assert_str_eq(outcome(int_binop(MK_INT(1), I("9223372036854775808"), OP_LSHIFT)), "!MemoryError: ");
    /* the trivial bases still answer */
    cr_assert_eq(int_binop(MK_INT(1), t, OP_POW), MK_INT(1));
    cr_assert_eq(int_binop(MK_INT(-1), t, OP_POW), MK_INT(1));
    cr_assert_eq(int_binop(MK_INT(-1), I("1000000000000000000001"), OP_POW), MK_INT(-1));
    cr_assert_eq(int_binop(MK_INT(0), I("1000000000000000000001"), OP_LSHIFT), MK_INT(0));
    cr_assert_eq(int_binop(MK_INT(-5), I("1000000000000000000001"), OP_RSHIFT), MK_INT(-1));
    decref(t);
}

Test(int_, unary) {
    cr_assert_str_eq(outcome(obj_unop(MK_INT(SMALL_INT_MIN), UNOP_NEG)), "4611686018427387904");
    check_normalised(obj_unop(I("-4611686018427387904"), UNOP_NEG));
    cr_assert_eq(obj_unop(I("4611686018427387904"), UNOP_NEG), MK_INT(SMALL_INT_MIN));
    cr_assert_eq(obj_unop(MK_INT(5), UNOP_INVERT), MK_INT(-6));
    cr_assert_str_eq(outcome(obj_unop(I("-100000000000000000000"), UNOP_INVERT)), "99999999999999999999");
    cr_assert_eq(obj_unop(True_, UNOP_NEG), MK_INT(-1));
    cr_assert_eq(obj_unop(True_, UNOP_INVERT), MK_INT(-2));
    cr_assert_eq(obj_unop(True_, UNOP_POS), MK_INT(1));
    cr_assert_str_eq(outcome(int_abs(I("-100000000000000000000"))), "100000000000000000000");
    cr_assert_eq(int_abs(MK_INT(SMALL_INT_MIN + 1)), MK_INT(SMALL_INT_MAX));
}

Test(int_, bool_singletons) {
    cr_assert_str_eq(outcome(True_), "True");
    cr_assert_str_eq(outcome(False_), "False");
    Value s = obj_str(True_);
    cr_assert_str_eq(STR_DATA(s), "True");
    decref(s);
    cr_assert(int_check(True_));
    cr_assert(obj_isinstance_type(True_, &IntType));
    cr_assert_eq(obj_binop(True_, True_, OP_BITAND), True_);
    cr_assert_eq(obj_binop(True_, False_, OP_BITOR), True_);
    cr_assert_eq(obj_binop(True_, True_, OP_BITXOR), False_);
    cr_assert_eq(obj_binop(True_, True_, OP_ADD), MK_INT(2));
    cr_assert_eq(obj_binop(True_, MK_INT(2), OP_BITOR), MK_INT(3));
    cr_assert_eq(obj_binop(MK_INT(1), True_, OP_BITAND), MK_INT(1));
    cr_assert_eq(obj_truth(False_), 0);
    cr_assert_eq(obj_truth(I("-100000000000000000000")), 1);
    cr_assert_eq(obj_truth(MK_INT(0)), 0);
}

/* Call type(*args) or obj.method(*args, **kw) through the generic protocols. */
static Value call_kw(Value f, Value *args, size_t nargs, const char *kw, Value kwval) {
    if (!f) return VNULL;
    Value all[8];
    if (nargs) memcpy(all, args, nargs * sizeof(Value));
    Value kwnames = VNULL;
    if (kw) {
        all[nargs] = kwval;
        Value name = str_from_cstr(kw);
        kwnames = tuple_pack(1, name);
        decref(name);
    }
    Value r = obj_call(f, all, nargs, kwnames);
    decref(kwnames);
    return r;
}

Test(int_, constructor) {
    Value IT = OBJ_VAL(&IntType);
    Value s = str_from_cstr(" -0x1f ");
    Value args[2] = {s, MK_INT(0)};
    cr_assert_eq(obj_call(IT, args, 2, VNULL), MK_INT(-31));
    cr_assert_eq(obj_call(IT, NULL, 0, VNULL), MK_INT(0));
    Value f = float_new(-3.99);
    cr_assert_eq(obj_call1(IT, f), MK_INT(-3));
    cr_assert_eq(obj_call1(IT, True_), MK_INT(1));
    Value l = list_new(0);
    cr_assert_str_eq(outcome(obj_call1(IT, l)), "!TypeError: int() argument must be a string, "
                     "a bytes-like object or a real number, not 'list'");
    Value a2[2] = {MK_INT(5), MK_INT(10)};
    cr_assert_str_eq(outcome(obj_call(IT, a2, 2, VNULL)),
                     "!TypeError: int() can't convert non-string with explicit base");
    Value ten = str_from_cstr("10");
    Value a3[3] = {ten, MK_INT(2), MK_INT(3)};
    cr_assert_str_eq(outcome(obj_call(IT, a3, 3, VNULL)), "!TypeError: int() takes at most 2 arguments (3 given)");
    cr_assert_eq(call_kw(IT, &ten, 1, "base", MK_INT(16)), MK_INT(16));
    cr_assert_str_eq(outcome(call_kw(IT, NULL, 0, "base", MK_INT(16))), "!TypeError: int() missing string argument");
    cr_assert_str_eq(outcome(call_kw(IT, NULL, 0, "x", ten)),
                     "!TypeError: 'x' is an invalid keyword argument for int()");
    Value a4[2] = {ten, MK_INT(37)};
    cr_assert_str_eq(outcome(obj_call(IT, a4, 2, VNULL)), "!ValueError: int() base must be >= 2 and <= 36, or 0");
    Value b = bytes_new("abc", 3);
    cr_assert_str_eq(outcome(obj_call1(IT, b)), "!ValueError: invalid literal for int() with base 10: b'abc'");
    Value b2 = bytes_new(" 12 ", 4);
    cr_assert_eq(obj_call1(IT, b2), MK_INT(12));
    decref(s); decref(f); decref(l); decref(ten); decref(b); decref(b2);
}

Test(int_, bool_constructor) {
    Value BT = OBJ_VAL(&BoolType);
    cr_assert_eq(obj_call(BT, NULL, 0, VNULL), False_);
    cr_assert_eq(obj_call1(BT, MK_INT(7)), True_);
    Value e = str_from_cstr("");
    cr_assert_eq(obj_call1(BT, e), False_);
    Value a[2] = {MK_INT(1), MK_INT(2)};
    cr_assert_str_eq(outcome(obj_call(BT, a, 2, VNULL)), "!TypeError: bool expected at most 1 argument, got 2");
    cr_assert_str_eq(outcome(call_kw(BT, NULL, 0, "x", MK_INT(1))), "!TypeError: bool() takes no keyword arguments");
    decref(e);
}

static Value method(Value self, const char *name, Value *args, size_t nargs, const char *kw, Value kwval) {
    Value f = obj_getattr_cstr(self, name);
    Value r = call_kw(f, args, nargs, kw, kwval);
    decref(f);
    return r;
}

Test(int_, to_bytes_from_bytes) {
    Value big = str_from_cstr("big"), little = str_from_cstr("little");
    Value a[2] = {MK_INT(2), big};
    cr_assert_str_eq(outcome(method(MK_INT(258), "to_bytes", a, 2, NULL, VNULL)), "b'\\x01\\x02'");
    a[1] = little;
    cr_assert_str_eq(outcome(method(MK_INT(258), "to_bytes", a, 2, NULL, VNULL)), "b'\\x02\\x01'");
    cr_assert_str_eq(outcome(method(MK_INT(-1), "to_bytes", a, 2, "signed", True_)), "b'\\xff\\xff'");
    cr_assert_str_eq(outcome(method(MK_INT(-1), "to_bytes", a, 2, NULL, VNULL)),
                     "!OverflowError: can't convert negative int to unsigned");
    a[0] = MK_INT(1);
    cr_assert_str_eq(outcome(method(MK_INT(256), "to_bytes", a, 2, NULL, VNULL)), "!OverflowError: int too big to convert");
    cr_assert_str_eq(outcome(method(MK_INT(128), "to_bytes", a, 2, "signed", True_)), "!OverflowError: int too big to convert");
    cr_assert_str_eq(outcome(method(MK_INT(-128), "to_bytes", a, 2, "signed", True_)), "b'\\x80'");
    cr_assert_str_eq(outcome(method(MK_INT(-129), "to_bytes", a, 2, "signed", True_)), "!OverflowError: int too big to convert");
    cr_assert_str_eq(outcome(method(MK_INT(5), "to_bytes", NULL, 0, NULL, VNULL)), "b'\\x05'");
    a[0] = MK_INT(-1);
    cr_assert_str_eq(outcome(method(MK_INT(5), "to_bytes", a, 2, NULL, VNULL)),
                     "!ValueError: length argument must be non-negative");
    Value mid = str_from_cstr("mid");
    a[0] = MK_INT(1); a[1] = mid;
    cr_assert_str_eq(outcome(method(MK_INT(5), "to_bytes", a, 2, NULL, VNULL)),
                     "!ValueError: byteorder must be either 'little' or 'big'");
    Value twenty = I("-1208925819614629174706176");          /* -(2**80) */
    a[0] = MK_INT(11); a[1] = big;
    cr_assert_str_eq(outcome(method(twenty, "to_bytes", a, 2, "signed", True_)),
                     "b'\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'");

    Value IT = OBJ_VAL(&IntType);
    Value data = bytes_new("\xff\x00", 2);
    Value fb[2] = {data, little};
    cr_assert_str_eq(outcome(method(IT, "from_bytes", fb, 2, NULL, VNULL)), "255");
    cr_assert_str_eq(outcome(method(IT, "from_bytes", fb, 2, "signed", True_)), "255");
    fb[1] = big;
    cr_assert_str_eq(outcome(method(IT, "from_bytes", fb, 2, "signed", True_)), "-256");
    Value lst = list_new(0);
    list_append(lst, MK_INT(1));
    list_append(lst, MK_INT(2));
    fb[0] = lst;
    cr_assert_str_eq(outcome(method(IT, "from_bytes", fb, 2, NULL, VNULL)), "258");
    list_append(lst, MK_INT(300));
    cr_assert_str_eq(outcome(method(IT, "from_bytes", fb, 2, NULL, VNULL)), "!ValueError: bytes must be in range(0, 256)");
    Value one = bytes_new("\x01", 1);
    fb[0] = one;
    cr_assert_eq(method(OBJ_VAL(&BoolType), "from_bytes", fb, 2, NULL, VNULL), True_);
    Value empty = bytes_new("", 0);
    fb[0] = empty;
    cr_assert_eq(method(IT, "from_bytes", fb, 2, "signed", True_), MK_INT(0));
    decref(big); decref(little); decref(mid); decref(twenty); decref(data); decref(lst);
    decref(one); decref(empty);
}

Test(int_, methods_and_attributes) {
    cr_assert_eq(method(MK_INT(-5), "bit_length", NULL, 0, NULL, VNULL), MK_INT(3));
    cr_assert_eq(method(MK_INT(0), "bit_length", NULL, 0, NULL, VNULL), MK_INT(0));
    cr_assert_eq(method(I("-1267650600228229401496703205376"), "bit_length", NULL, 0, NULL, VNULL), MK_INT(101));
    cr_assert_eq(method(MK_INT(-7), "bit_count", NULL, 0, NULL, VNULL), MK_INT(3));
    cr_assert_str_eq(outcome(method(MK_INT(5), "as_integer_ratio", NULL, 0, NULL, VNULL)), "(5, 1)");
    cr_assert_str_eq(outcome(method(True_, "as_integer_ratio", NULL, 0, NULL, VNULL)), "(1, 1)");
    cr_assert_eq(obj_getattr_cstr(True_, "real"), MK_INT(1));
    cr_assert_eq(obj_getattr_cstr(MK_INT(7), "imag"), MK_INT(0));
    cr_assert_eq(obj_getattr_cstr(MK_INT(7), "numerator"), MK_INT(7));
    cr_assert_eq(obj_getattr_cstr(MK_INT(7), "denominator"), MK_INT(1));
    Value nd = MK_INT(-2);
    cr_assert_eq(method(MK_INT(12345), "__round__", &nd, 1, NULL, VNULL), MK_INT(12300));
    nd = MK_INT(-1);
    cr_assert_eq(method(MK_INT(15), "__round__", &nd, 1, NULL, VNULL), MK_INT(20));
    cr_assert_eq(method(MK_INT(25), "__round__", &nd, 1, NULL, VNULL), MK_INT(20));
    cr_assert_eq(method(MK_INT(-25), "__round__", &nd, 1, NULL, VNULL), MK_INT(-20));
    cr_assert_eq(method(MK_INT(12355), "__round__", &nd, 1, NULL, VNULL), MK_INT(12360));
    nd = MK_INT(-20);
    cr_assert_eq(method(MK_INT(7), "__round__", &nd, 1, NULL, VNULL), MK_INT(0));
    nd = I("-100000000000000000000");
    cr_assert_eq(method(MK_INT(7), "__round__", &nd, 1, NULL, VNULL), MK_INT(0));
    nd = MK_INT(3);
    cr_assert_eq(method(MK_INT(7), "__round__", &nd, 1, NULL, VNULL), MK_INT(7));
    cr_assert_eq(method(True_, "__index__", NULL, 0, NULL, VNULL), MK_INT(1));
    cr_assert_str_eq(outcome(method(MK_INT(7), "__float__", NULL, 0, NULL, VNULL)), "7.0");
    Value d = MK_INT(-2);
    cr_assert_str_eq(outcome(method(MK_INT(7), "__divmod__", &d, 1, NULL, VNULL)), "(-4, -1)");
}

Test(int_, true_division_by_zero_messages) {
    cr_assert_str_eq(outcome(int_binop(MK_INT(1), MK_INT(0), OP_DIV)), "!ZeroDivisionError: division by zero");
    cr_assert_str_eq(outcome(int_binop(I("100000000000000000000"), MK_INT(0), OP_DIV)),
                     "!ZeroDivisionError: division by zero");
    cr_assert_str_eq(outcome(int_binop(MK_INT(1), MK_INT(0), OP_FLOORDIV)),
                     "!ZeroDivisionError: integer division or modulo by zero");
    cr_assert_str_eq(outcome(int_binop(MK_INT(1), MK_INT(0), OP_MOD)), "!ZeroDivisionError: integer modulo by zero");
    cr_assert_str_eq(outcome(int_divmod(MK_INT(1), MK_INT(0))),
                     "!ZeroDivisionError: integer division or modulo by zero");
    cr_assert_str_eq(outcome(int_binop(MK_INT(0), MK_INT(-1), OP_POW)),
                     "!ZeroDivisionError: 0.0 cannot be raised to a negative power");
}

/* ===== the math module ==================================================================== */

static Value F(unsigned long long bits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    return float_new(d);
}

static Value LIST(int n, ...) {
    va_list ap;
    va_start(ap, n);
    Value l = list_new(0);
    for (int i = 0; i < n; i++) {
        Value v = va_arg(ap, Value);
        list_append(l, v);
        decref(v);
    }
    va_end(ap);
    return l;
}

static Value math_module;
static size_t math_failures;

static void math_check(const char *name, const char *expect, int n, ...) {
    Value args[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, Value);
    va_end(ap);
    Value f = obj_getattr_cstr(math_module, name);
    cr_assert(f, "math.%s missing", name);
    Value r = obj_call(f, args, (size_t)n, VNULL);
    check_normalised(r);
    const char *got = outcome(r);
    if (strcmp(got, expect) != 0 && math_failures++ < 30)
        cr_log_error("math.%s(%d args): got %s, want %s", name, n, got, expect);
    decref(r);
    decref(f);
    for (int i = 0; i < n; i++) decref(args[i]);
}

Test(int_, math_vs_python) {
    math_module = math_module_init();
    cr_assert(math_module);
    math_failures = 0;
    math_cases();
    cr_assert_eq(math_failures, 0, "%zu math cases differ from python3", math_failures);
    Value pi = obj_getattr_cstr(math_module, "pi");
    cr_assert_str_eq(outcome(pi), "3.141592653589793");
    Value tau = obj_getattr_cstr(math_module, "tau");
    cr_assert_str_eq(outcome(tau), "6.283185307179586");
    decref(pi); decref(tau);
}

/* ===== the random module ==================================================================== */

static Value random_module;

/* random.<name>(*args, **{kw: kwval}) */
static Value R(const char *name, int n, ...) {
    Value args[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, Value);
    va_end(ap);
    Value f = obj_getattr_cstr(random_module, name);
    cr_assert(f, "random.%s missing", name);
    Value r = obj_call(f, args, (size_t)n, VNULL);
    decref(f);
    return r;
}

static Value RKW(const char *name, int n, Value *args, const char *kw, Value kwval) {
    Value f = obj_getattr_cstr(random_module, name);
    cr_assert(f, "random.%s missing", name);
    Value r = call_kw(f, args, (size_t)n, kw, kwval);
    decref(f);
    return r;
}

static Value S(const char *s) { return str_from_cstr(s); }

/* [f() for _ in range(n)] */
#define REPEAT(n, expr) ({ Value l_ = list_new(0); for (int i_ = 0; i_ < (n); i_++) { \
        Value x_ = (expr); cr_assert(x_, "%s", outcome(VNULL)); list_append(l_, x_); decref(x_); } l_; })

static Value seeded(Value seed) {
    Value r = R("seed", 1, seed);
    cr_assert(r, "seed failed: %s", outcome(VNULL));
    return r;
}

static Value random_case(const char *label) {
    Value l;
    if (!strcmp(label, "seed42_random")) { seeded(MK_INT(42)); return REPEAT(5, R("random", 0)); }
    if (!strcmp(label, "seed0_randint")) { seeded(MK_INT(0)); return REPEAT(20, R("randint", 2, MK_INT(1), MK_INT(6))); }
    if (!strcmp(label, "seed_big")) {
        seeded(I("12345678901234567890123"));
        l = list_new(0);
        Value a = R("getrandbits", 1, MK_INT(100)); list_append(l, a); decref(a);
        Value p = int_pow(MK_INT(10), MK_INT(30), VNULL);
        a = R("randrange", 1, p); list_append(l, a); decref(a); decref(p);
        a = R("random", 0); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "seed_neg")) { seeded(MK_INT(-5)); return R("random", 0); }
    if (!strcmp(label, "seed_str")) { seeded(S("hello")); return R("random", 0); }
    if (!strcmp(label, "seed_bytes")) { seeded(bytes_new("abc", 3)); return R("random", 0); }
    if (!strcmp(label, "seed_long_str")) {
        char buf[201]; memset(buf, 'x', 200); buf[200] = 0;
        seeded(S(buf));
        return R("random", 0);
    }
    if (!strcmp(label, "seed_float")) { seeded(float_new(3.7)); return R("random", 0); }
    if (!strcmp(label, "seed_v1")) {
        Value a = S("hello");
        decref(RKW("seed", 1, &a, "version", MK_INT(1)));
        return R("random", 0);
    }
    if (!strcmp(label, "getrandbits")) {
        seeded(MK_INT(1));
        static const int ks[] = {0, 1, 5, 31, 32, 33, 63, 64, 65, 200};
        return REPEAT(10, R("getrandbits", 1, MK_INT(ks[i_])));
    }
    if (!strcmp(label, "choice")) { seeded(MK_INT(2)); Value s = S("abcdefghij"); return REPEAT(15, R("choice", 1, s)); }
    if (!strcmp(label, "shuffle")) {
        seeded(MK_INT(3));
        l = REPEAT(20, MK_INT(i_));
        decref(R("shuffle", 1, l));
        return l;
    }
    if (!strcmp(label, "sample_pool")) {
        seeded(MK_INT(4));
        return R("sample", 2, range_new(MK_INT(0), MK_INT(30), MK_INT(1)), MK_INT(5));
    }
    if (!strcmp(label, "sample_set")) {
        seeded(MK_INT(5));
        return R("sample", 2, range_new(MK_INT(0), MK_INT(1000), MK_INT(1)), MK_INT(10));
    }
    if (!strcmp(label, "sample_counts")) {
        seeded(MK_INT(6));
        Value args[2] = {LIST(3, S("a"), S("b"), S("c")), MK_INT(5)};
        return RKW("sample", 2, args, "counts", LIST(3, MK_INT(3), MK_INT(1), MK_INT(2)));
    }
    if (!strcmp(label, "choices")) { seeded(MK_INT(7)); Value a = S("abc"); return RKW("choices", 1, &a, "k", MK_INT(10)); }
    if (!strcmp(label, "choices_w")) {
        seeded(MK_INT(8));
        Value args[2] = {S("abc"), LIST(3, MK_INT(1), MK_INT(5), MK_INT(10))};
        return RKW("choices", 2, args, "k", MK_INT(10));
    }
    if (!strcmp(label, "choices_cum")) {
        seeded(MK_INT(8));
        Value f = obj_getattr_cstr(random_module, "choices");
        Value names = tuple_pack(2, S("cum_weights"), S("k"));
        Value args[3] = {LIST(3, MK_INT(1), MK_INT(2), MK_INT(3)),
                         LIST(3, float_new(0.5), float_new(0.75), float_new(1.0)), MK_INT(6)};
        return obj_call(f, args, 1, names);
    }
    if (!strcmp(label, "uniform")) {
        seeded(MK_INT(9));
        l = list_new(0);
        Value a = R("uniform", 2, MK_INT(1), MK_INT(10)); list_append(l, a); decref(a);
        a = R("uniform", 2, float_new(-2.5), float_new(2.5)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "gauss")) {
        seeded(MK_INT(10));
        l = REPEAT(2, R("gauss", 0));
        Value a = R("gauss", 2, MK_INT(5), MK_INT(2)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "normal")) {
        seeded(MK_INT(11));
        l = REPEAT(1, R("normalvariate", 0));
        Value a = R("normalvariate", 2, MK_INT(1), MK_INT(3)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "expo")) {
        seeded(MK_INT(12));
        l = REPEAT(1, R("expovariate", 1, MK_INT(2)));
        Value a = R("expovariate", 1, float_new(0.5)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "tri")) {
        seeded(MK_INT(13));
        l = REPEAT(1, R("triangular", 0));
        Value a = R("triangular", 3, MK_INT(0), MK_INT(10), MK_INT(8)); list_append(l, a); decref(a);
        a = R("triangular", 3, MK_INT(1), MK_INT(1), MK_INT(1)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "randrange_step")) {
        seeded(MK_INT(14));
        l = REPEAT(5, R("randrange", 3, MK_INT(0), MK_INT(100), MK_INT(7)));
        for (int i = 0; i < 5; i++) {
            Value a = R("randrange", 3, MK_INT(100), MK_INT(0), MK_INT(-3));
            list_append(l, a); decref(a);
        }
        return l;
    }
    if (!strcmp(label, "randrange_big")) {
        seeded(MK_INT(15));
        Value p = int_pow(MK_INT(10), MK_INT(25), VNULL), n = obj_unop(p, UNOP_NEG);
        return REPEAT(3, R("randrange", 2, n, p));
    }
    if (!strcmp(label, "randbytes")) { seeded(MK_INT(16)); return R("randbytes", 1, MK_INT(9)); }
    if (!strcmp(label, "instance")) {
        Value inst = obj_call1(obj_getattr_cstr(random_module, "Random"), MK_INT(7));
        cr_assert(inst, "%s", outcome(VNULL));
        l = list_new(0);
        Value a = obj_call_method_cstr(inst, "random", 0); list_append(l, a); decref(a);
        a = obj_call_method_cstr(inst, "randint", 2, MK_INT(1), MK_INT(100)); list_append(l, a); decref(a);
        return l;
    }
    if (!strcmp(label, "instance_str")) {
        Value inst = obj_call1(obj_getattr_cstr(random_module, "Random"), S("seed"));
        cr_assert(inst, "%s", outcome(VNULL));
        return obj_call_method_cstr(inst, "random", 0);
    }
    cr_assert_fail("unknown random case %s", label);
    return VNULL;
}

Test(int_, random_vs_python) {
    random_module = random_module_init();
    cr_assert(random_module, "%s", outcome(VNULL));
    for (size_t i = 0; i < sizeof random_cases / sizeof random_cases[0]; i++) {
        Value r = random_case(random_cases[i].label);
        cr_expect_str_eq(outcome(r), random_cases[i].expect, "%s", random_cases[i].label);
    }
}

Test(int_, random_errors) {
    random_module = random_module_init();
    cr_assert_str_eq(outcome(R("randrange", 1, MK_INT(0))), "!ValueError: empty range for randrange()");
    cr_assert_str_eq(outcome(R("randrange", 2, MK_INT(5), MK_INT(5))),
                     "!ValueError: empty range for randrange() (5, 5, 0)");
    cr_assert_str_eq(outcome(R("randrange", 3, MK_INT(0), MK_INT(10), MK_INT(0))), "!ValueError: zero step for randrange()");
    cr_assert_str_eq(outcome(R("randrange", 1, float_new(2.5))), "!ValueError: non-integer arg 1 for randrange()");
    cr_assert_str_eq(outcome(R("choice", 1, list_new(0))), "!IndexError: Cannot choose from an empty sequence");
    cr_assert_str_eq(outcome(R("sample", 2, set_new(VNULL), MK_INT(1))),
                     "!TypeError: Population must be a sequence.  For dicts or sets, use sorted(d).");
    cr_assert_str_eq(outcome(R("sample", 2, list_new(0), MK_INT(1))),
                     "!ValueError: Sample larger than population or is negative");
    cr_assert_str_eq(outcome(R("getrandbits", 1, MK_INT(-1))), "!ValueError: number of bits must be non-negative");
    cr_assert_str_eq(outcome(R("seed", 1, list_new(0))),
                     "!TypeError: The only supported seed types are: None,\nint, float, str, bytes, and bytearray.");
    cr_assert_str_eq(outcome(R("randint", 1, MK_INT(1))), "!TypeError: Random.randint() missing 1 required positional argument: 'b'");
    /* unseeded: values in range */
    decref(R("seed", 0));
    for (int i = 0; i < 100; i++) {
        Value x = R("randint", 2, MK_INT(1), MK_INT(6));
        cr_assert(IS_INT(x) && AS_INT(x) >= 1 && AS_INT(x) <= 6);
    }
}
