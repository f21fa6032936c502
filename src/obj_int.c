/* obj_int.c — int and bool.
 *
 * Owns: IntType and BoolType, the True/False singletons, BigIntObj (a GMP
 * mpz_t for values outside the 63-bit small range), every int operation
 * (arithmetic with CPython 3.11's exact semantics and messages, true
 * division correctly rounded, hashing, str/repr with the 4300-digit limit,
 * parsing with Python's literal rules), int(x) and bool(x), and the int
 * methods (bit_length, to_bytes, from_bytes …).
 * Must not touch: other objects' layouts (float results go through
 * float_new; int op float is float's slot's business), the VM's own
 * small-int fast paths (it calls int_binop for everything else).
 *
 * Representation invariant: an int whose value fits a small int is always
 * a tagged small int (MK_INT), never a BigIntObj of type exactly IntType.
 * Instances of user subclasses of int use the BigIntObj layout too, but
 * their mpz may hold any value (they are not normalised); bools are
 * BoolObj. Everything that reads an int goes through small_of/int_arg,
 * which cope with all three.
 *
 * Huge results: GMP aborts the process when malloc fails, so every
 * operation whose result can grow past what the user typed (*, **, <<,
 * factorial …) estimates the result size first and raises MemoryError
 * past INT_MAX_BITS instead of trying.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"
#include "int_internal.h"


/* Python's hash modulus for numbers: the Mersenne prime 2**61 - 1. */
#define HASH_MODULUS (((uint64_t)1 << 61) - 1)

static size_t max_str_digits = 4300;

size_t int_str_digits_limit(void) { return max_str_digits; }

/* sys.set_int_max_str_digits(n): 0 means no limit (sys checks the range). */
void int_set_str_digits_limit(size_t n) { max_str_digits = n; }

/* ===== reading ints ================================================================ */

static inline bool is_bigint(Value v) { return IS_OBJ(v) && AS_OBJ(v)->type == &IntType; }
#define BIGZ(v) (((BigIntObj *)AS_OBJ(v))->z)

bool int_check(Value v) {
    if (IS_INT(v)) return true;
    if (!v) return false;
    Type *t = AS_OBJ(v)->type;
    return t == &IntType || t == &BoolType || type_is_subtype(t, &IntType);
}

/* If the int-like v (int, bool, subclass) fits a small int, store it and
 * return true. False for big values. */
static inline bool small_of(Value v, intptr_t *out) {
    if (IS_INT(v)) { *out = AS_INT(v); return true; }
    Type *t = AS_OBJ(v)->type;
    if (t == &BoolType) { *out = ((BoolObj *)AS_OBJ(v))->v; return true; }
    if (t == &IntType) return false;                  /* normalised: big */
    mpz_srcptr z = BIGZ(v);                           /* a subclass: any value */
    if (!z->_mp_d) { *out = 0; return true; }         /* never initialised (zeroed memory) */
    if (mpz_fits_slong_p(z)) {
        long l = mpz_get_si(z);
        if (FITS_SMALL(l)) { *out = l; return true; }
    }
    return false;
}

/* A view of any int-like value as a read-only mpz, without copying: big
 * ints lend their own mpz, small ones are wrapped around one limb. The
 * IntArg must stay where it is while the view is used. */
mpz_srcptr int_arg(IntArg *a, Value v) {
    intptr_t i;
    if (IS_INT(v)) i = AS_INT(v);
    else if (AS_OBJ(v)->type == &BoolType) i = ((BoolObj *)AS_OBJ(v))->v;
    else if (!BIGZ(v)->_mp_d) i = 0;                  /* a subclass instance never initialised */
    else return a->z = BIGZ(v);
    a->limb = (mp_limb_t)(i < 0 ? -(uintptr_t)i : (uintptr_t)i);
    return a->z = mpz_roinit_n(a->ro, &a->limb, i < 0 ? -1 : i > 0 ? 1 : 0);
}

void int_to_mpz(Value v, mpz_t out) {
    IntArg a;
    mpz_set(out, int_arg(&a, v));
}

int int_sign(Value v) {
    intptr_t i;
    if (small_of(v, &i)) return (i > 0) - (i < 0);
    return mpz_sgn(BIGZ(v));
}

/* ===== making ints ================================================================ */

/* A BigIntObj that takes over z's limbs (z must not be cleared by the
 * caller afterwards), or a small int when z fits. */
Value int_from_mpz_steal(mpz_t z) {
    if (mpz_fits_slong_p(z)) {
        long l = mpz_get_si(z);
        if (FITS_SMALL(l)) { mpz_clear(z); return MK_INT(l); }
    }
    BigIntObj *o = (BigIntObj *)gc_alloc(&IntType, sizeof(BigIntObj));
    if (!o) { mpz_clear(z); return VNULL; }
    o->z[0] = z[0];
    return OBJ_VAL(o);
}

Value int_from_mpz(const mpz_t z) {
    if (mpz_fits_slong_p(z)) {
        long l = mpz_get_si(z);
        if (FITS_SMALL(l)) return MK_INT(l);
    }
    BigIntObj *o = (BigIntObj *)gc_alloc(&IntType, sizeof(BigIntObj));
    if (!o) return VNULL;
    mpz_init_set(o->z, z);
    return OBJ_VAL(o);
}

Value int_from_i64(int64_t i) {
    if (FITS_SMALL(i)) return MK_INT(i);
    mpz_t z;
    mpz_init_set_si(z, i);
    return int_from_mpz_steal(z);
}

Value int_from_u64(uint64_t u) {
    if (u <= (uint64_t)SMALL_INT_MAX) return MK_INT((intptr_t)u);
    mpz_t z;
    mpz_init_set_ui(z, u);
    return int_from_mpz_steal(z);
}

/* The exact int (small or IntType) equal to the int-like v: what int(v),
 * +v, v.real … return for bools and subclasses. */
Value int_exact(Value v) {
    if (IS_INT(v) || is_bigint(v)) return incref(v);
    intptr_t i;
    if (small_of(v, &i)) return MK_INT(i);
    return int_from_mpz(BIGZ(v));
}

Value int_from_double(double d) {
    if (isnan(d)) return err_format(&Exc_ValueError, "cannot convert float NaN to integer");
    if (isinf(d)) return err_format(&Exc_OverflowError, "cannot convert float infinity to integer");
    if (d > -4.6e18 && d < 4.6e18) return int_from_i64((int64_t)d);   /* C truncates too */
    mpz_t z;
    mpz_init_set_d(z, d);                                 /* exact: d is an integer here */
    return int_from_mpz_steal(z);
}

static bool too_big_bits(uint64_t bits) {
    if (bits <= INT_MAX_BITS) return false;
    err_no_memory();
    return true;
}

/* ===== conversions out ============================================================= */

int int_as_i64(Value v, int64_t *out) {
    intptr_t i;
    if (IS_INT(v)) { *out = AS_INT(v); return 0; }
    if (!int_check(v)) {
        err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer",
                   obj_type_name(v));
        return -1;
    }
    if (small_of(v, &i)) { *out = i; return 0; }
    mpz_srcptr z = BIGZ(v);
    if (!mpz_fits_slong_p(z)) {
        err_format(&Exc_OverflowError, "Python int too large to convert to C long");
        return -1;
    }
    *out = mpz_get_si(z);
    return 0;
}

int int_as_ssize(Value v, intptr_t *out) {
    int64_t i;
    if (IS_INT(v)) { *out = AS_INT(v); return 0; }
    if (int_as_i64(v, &i) < 0) {
        if (err_matches(&Exc_OverflowError)) {
            err_clear();
            err_format(&Exc_OverflowError, "Python int too large to convert to C ssize_t");
        }
        return -1;
    }
    *out = (intptr_t)i;
    return 0;
}

/* |z| rounded half-even to 53 bits, as a double times 2**exp: the
 * correctly rounded conversion (mpz_get_d truncates). */
static double mpz_to_double_rounded(mpz_srcptr z) {
    size_t bits = mpz_sizeinbase(z, 2);
    if (bits <= DBL_MANT_DIG) return mpz_get_d(z);
    /* keep 55 bits (53 + a rounding bit + a guard), fold the rest into a sticky bit */
    size_t shift = bits - (DBL_MANT_DIG + 2);
    mpz_t top;
    mpz_init(top);
    mpz_tdiv_q_2exp(top, z, shift);
    uint64_t q = mpz_getlimbn(top, 0);
    mpz_clear(top);
    if (mpz_scan1(z, 0) < shift) q |= 1;            /* inexact below: sticky */
    uint64_t rem = q & 3;
    q >>= 2;
    if (rem > 2 || (rem == 2 && (q & 1))) q++;
    double d = ldexp((double)q, (int)(shift + 2 > (size_t)INT_MAX ? INT_MAX : shift + 2));
    return mpz_sgn(z) < 0 ? -d : d;
}

/* v = m * 2**e with 0.5 <= |m| < 1, m correctly rounded to 53 bits
 * (CPython's _PyLong_Frexp): lets math.log take huge ints. */
double int_frexp(Value v, int64_t *e) {
    IntArg a;
    mpz_srcptr z = int_arg(&a, v);
    if (mpz_sgn(z) == 0) { *e = 0; return 0.0; }
    size_t bits = mpz_sizeinbase(z, 2);
    if (bits <= DBL_MANT_DIG) {
        int ie;
        double m = frexp(mpz_get_d(z), &ie);
        *e = ie;
        return m;
    }
    size_t shift = bits - (DBL_MANT_DIG + 2);
    mpz_t top;
    mpz_init(top);
    mpz_tdiv_q_2exp(top, z, shift);
    uint64_t q = mpz_getlimbn(top, 0);
    mpz_clear(top);
    if (mpz_scan1(z, 0) < shift) q |= 1;
    uint64_t rem = q & 3;
    q >>= 2;
    if (rem > 2 || (rem == 2 && (q & 1))) q++;
    double m = ldexp((double)q, -DBL_MANT_DIG);           /* in [0.5, 1] */
    *e = (int64_t)bits;
    if (m == 1.0) { m = 0.5; ++*e; }
    return mpz_sgn(z) < 0 ? -m : m;
}

double int_as_double(Value v) {
    intptr_t i;
    if (small_of(v, &i)) return (double)i;          /* the C conversion rounds half-even */
    double d = mpz_to_double_rounded(BIGZ(v));
    if (isinf(d)) {
        err_format(&Exc_OverflowError, "int too large to convert to float");
        return -1.0;
    }
    return d;
}

/* ===== str and repr ================================================================ */

static Value digits_limit_error(void) {
    return err_format(&Exc_ValueError, "Exceeds the limit (%zu digits) for integer string "
                      "conversion; use sys.set_int_max_str_digits() to increase the limit",
                      max_str_digits);
}

/* A small int in decimal, into the end of buf (at least 24 bytes). */
static char *small_to_dec(intptr_t i, char *end) {
    uintptr_t u = i < 0 ? -(uintptr_t)i : (uintptr_t)i;
    char *p = end;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (i < 0) *--p = '-';
    return p;
}

/* z in `base` (lower-case digits), with optional sign and prefix. */
static Value mpz_to_str(mpz_srcptr z, int base, const char *prefix) {
    if (base == 10 && max_str_digits > 0) {
        /* sizeinbase may overshoot by one: check exactly after converting */
        if (mpz_sizeinbase(z, 10) > max_str_digits + 1) return digits_limit_error();
    }
    size_t plen = strlen(prefix);
    size_t cap = mpz_sizeinbase(z, base) + plen + 3;
    char *buf = gc_malloc(cap);
    if (!buf) return VNULL;
    char *p = buf;
    if (mpz_sgn(z) < 0) *p++ = '-';
    memcpy(p, prefix, plen);
    p += plen;
    mpz_t mag;
    mpz_roinit_n(mag, mpz_limbs_read(z), (mp_size_t)mpz_size(z));   /* |z| */
    mpz_get_str(p, base, mag);
    size_t ndigits = strlen(p);
    if (base == 10 && max_str_digits > 0 && ndigits > max_str_digits) {
        gc_free(buf);
        return digits_limit_error();
    }
    Value s = str_new(buf, (size_t)(p - buf) + ndigits);
    gc_free(buf);
    return s;
}

Value int_repr(Value v) {
    intptr_t i;
    if (small_of(v, &i)) {
        char buf[32];
        char *p = small_to_dec(i, buf + sizeof buf);
        return str_new(p, (size_t)(buf + sizeof buf - p));
    }
    return mpz_to_str(BIGZ(v), 10, "");
}

Value int_to_base_string(Value v, int base, bool prefix) {
    const char *pre = "";
    if (prefix) pre = base == 16 ? "0x" : base == 8 ? "0o" : base == 2 ? "0b" : "";
    IntArg a;
    intptr_t i;
    if (base == 10 && small_of(v, &i)) return int_repr(v);
    return mpz_to_str(int_arg(&a, v), base, pre);
}

/* ===== parsing ====================================================================== */

/* Unicode decimal digits: the code points of each script's zero (its
 * digits follow contiguously). int('١٢٣') is 123 in Python. */
static const uint32_t unicode_zeros[] = {
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6,
    0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946,
    0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900,
    0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0,
    0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0,
    0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8,
    0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

static int unicode_digit(uint32_t cp) {
    for (size_t k = 0; k < sizeof unicode_zeros / sizeof unicode_zeros[0]; k++)
        if (cp >= unicode_zeros[k] && cp < unicode_zeros[k] + 10) return (int)(cp - unicode_zeros[k]);
    return -1;
}

static bool unicode_space(uint32_t cp) {
    return (cp >= 0x9 && cp <= 0xd) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* "invalid literal for int() with base 10: 'abc'": the repr of the original
 * object (str or bytes), cut to 200 characters as CPython's %.200R does. */
static Value invalid_literal(const char *s, size_t len, int base, Value orig) {
    Value r;
    if (orig) {
        r = obj_repr(orig);
    } else {
        Value tmp = str_utf8_valid(s, len) ? str_new(s, len) : bytes_new(s, len);
        if (!tmp) return VNULL;
        r = obj_repr(tmp);
        decref(tmp);
    }
    if (!r) return VNULL;
    const char *p = STR_DATA(r), *end = p + STR_LEN(r);
    size_t n = 0;
    const char *cut = p;
    while (cut < end && n < 200) {
        uint32_t cp;
        cut += str_utf8_decode(cut, (size_t)(end - cut), &cp);
        n++;
    }
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "invalid literal for int() with base %d: ", base);
    sb_add(&b, p, (size_t)(cut - p));
    decref(r);
    Value msg = sb_finish(&b);
    if (!msg) return VNULL;
    err_set_type(&Exc_ValueError, msg);
    decref(msg);
    return VNULL;
}

static int digit_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* Python's int(s, base) over UTF-8 text: surrounding whitespace, a sign,
 * a 0x/0o/0b prefix (base 0 or the matching base), single underscores
 * between digits. `orig` (may be VNULL) is shown in the error message. */
static Value int_parse(const char *s, size_t len, int base, Value orig) {
    if (base != 0 && (base < 2 || base > 36))
        return err_format(&Exc_ValueError, "int() base must be >= 2 and <= 36, or 0");
    /* Normalise to ASCII: strip whitespace, map Unicode digits. Digits and
     * underscores are copied into `clean` (one byte each). */
    const char *p = s, *end = s + len;
    uint32_t cp;
    size_t used;
    while (p < end) {                                   /* leading whitespace */
        used = str_utf8_decode(p, (size_t)(end - p), &cp);
        if (!used || !unicode_space(cp)) break;
        p += used;
    }
    while (end > p) {                                   /* trailing whitespace */
        const char *q = end - 1;
        while (q > p && ((unsigned char)*q & 0xC0) == 0x80) q--;
        used = str_utf8_decode(q, (size_t)(end - q), &cp);
        if (!used || !unicode_space(cp)) break;
        end = q;
    }
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    int b = base;
    bool had_prefix = false;
    if (end - p >= 2 && p[0] == '0') {
        char c = (char)(p[1] | 0x20);
        int pb = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
        if (pb && (base == 0 || base == pb)) { b = pb; p += 2; had_prefix = true; }
    }
    if (b == 0) b = 10;
    size_t cap = (size_t)(end - p) + 2;
    char stackbuf[64];
    char *clean = cap <= sizeof stackbuf ? stackbuf : gc_malloc(cap);
    if (!clean) return VNULL;
    size_t nd = 0;
    bool ok = true, all_zero = true;
    /* underscores: one between digits, or one right after a prefix ("0x_1f") */
    enum { AT_START, AFTER_DIGIT, AFTER_UNDERSCORE } state = AT_START;
    while (p < end) {
        int d;
        if ((unsigned char)*p < 0x80) {
            if (*p == '_') {
                if (state == AFTER_UNDERSCORE || (state == AT_START && !had_prefix)) { ok = false; break; }
                state = AFTER_UNDERSCORE;
                p++;
                continue;
            }
            d = digit_value((unsigned char)*p);
            p++;
        } else {
            used = str_utf8_decode(p, (size_t)(end - p), &cp);
            if (!used) { ok = false; break; }
            d = unicode_digit(cp);
            if (d < 0) d = 99;
            p += used;
        }
        if (d >= b) { ok = false; break; }
        if (d) all_zero = false;
        clean[nd++] = "0123456789abcdefghijklmnopqrstuvwxyz"[d];
        state = AFTER_DIGIT;
    }
    if (state != AFTER_DIGIT) ok = false;
    /* base 0 without prefix: no leading zeros unless the value is 0 ("010" is an error) */
    if (ok && base == 0 && !had_prefix && clean[0] == '0' && !all_zero) ok = false;
    if (!ok) {
        if (clean != stackbuf) gc_free(clean);
        return invalid_literal(s, len, base, orig);
    }
    clean[nd] = '\0';
    if ((b & (b - 1)) != 0 && max_str_digits > 0 && nd > max_str_digits) {
        if (clean != stackbuf) gc_free(clean);
        return err_format(&Exc_ValueError, "Exceeds the limit (%zu digits) for integer string "
                          "conversion: value has %zu digits; use sys.set_int_max_str_digits() "
                          "to increase the limit", max_str_digits, nd);
    }
    Value r;
    if (nd <= 12 || (b <= 10 && nd <= 18)) {            /* fits 62 bits for sure */
        int64_t acc = 0;
        for (size_t k = 0; k < nd; k++) acc = acc * b + digit_value((unsigned char)clean[k]);
        r = int_from_i64(neg ? -acc : acc);
    } else {
        mpz_t z;
        mpz_init(z);
        mpz_set_str(z, clean, b);
        if (neg) mpz_neg(z, z);
        r = int_from_mpz_steal(z);
    }
    if (clean != stackbuf) gc_free(clean);
    return r;
}

Value int_from_string(const char *s, size_t len, int base) {
    return int_parse(s, len, base, VNULL);
}

/* ===== hashing and comparison ======================================================== */

int64_t int_hash(Value v) {
    intptr_t i;
    int64_t h;
    if (small_of(v, &i)) {
        if (i > -(int64_t)HASH_MODULUS && i < (int64_t)HASH_MODULUS) {
            h = i;                                        /* the common case: no division */
        } else {
            uint64_t u = i < 0 ? -(uint64_t)i : (uint64_t)i;
            h = (int64_t)(u % HASH_MODULUS);
            if (i < 0) h = -h;
        }
    } else {
        mpz_srcptr z = BIGZ(v);
        h = (int64_t)mpz_tdiv_ui(z, HASH_MODULUS);       /* |z| mod P */
        if (mpz_sgn(z) < 0) h = -h;
    }
    return h == -1 ? -2 : h;
}

int int_cmp(Value a, Value b) {
    intptr_t x, y;
    if (small_of(a, &x) && small_of(b, &y)) return (x > y) - (x < y);
    IntArg aa, ab;
    int c = mpz_cmp(int_arg(&aa, a), int_arg(&ab, b));
    return (c > 0) - (c < 0);
}

static Value int_richcmp(Value a, Value b, RichCmpOp op) {
    if (!int_check(a) || !int_check(b)) return incref(NotImplemented);
    int c = int_cmp(a, b);
    bool r;
    switch (op) {
    case RC_LT: r = c < 0; break;
    case RC_LE: r = c <= 0; break;
    case RC_EQ: r = c == 0; break;
    case RC_NE: r = c != 0; break;
    case RC_GT: r = c > 0; break;
    default:    r = c >= 0; break;
    }
    return bool_new(r);
}

/* ===== arithmetic ==================================================================== */

static Value zero_division(const char *msg) {
    return err_format(&Exc_ZeroDivisionError, "%s", msg);
}

/* int / int, correctly rounded (CPython's long_true_divide): scale a so the
 * quotient has 55 or 56 bits, divide, fold the remainder into a sticky bit,
 * round half-even to 53 bits (fewer for subnormal results), scale back. */
static Value true_divide(mpz_srcptr a, mpz_srcptr b) {
    if (mpz_sgn(b) == 0) return zero_division("division by zero");
    bool negate = (mpz_sgn(a) < 0) != (mpz_sgn(b) < 0);
    if (mpz_sgn(a) == 0) return float_new(negate ? -0.0 : 0.0);
    size_t abits = mpz_sizeinbase(a, 2), bbits = mpz_sizeinbase(b, 2);
    if (abits <= DBL_MANT_DIG && bbits <= DBL_MANT_DIG)   /* both exact as doubles */
        return float_new(mpz_get_d(a) / mpz_get_d(b));
    int64_t diff = (int64_t)abits - (int64_t)bbits;
    if (diff > DBL_MAX_EXP)
        return err_format(&Exc_OverflowError, "integer division result too large for a float");
    if (diff < DBL_MIN_EXP - DBL_MANT_DIG - 1) return float_new(negate ? -0.0 : 0.0);
    int64_t shift = (diff > DBL_MIN_EXP ? diff : DBL_MIN_EXP) - DBL_MANT_DIG - 2;
    mpz_t absa, absb, x, r;
    mpz_roinit_n(absa, mpz_limbs_read(a), (mp_size_t)mpz_size(a));
    mpz_roinit_n(absb, mpz_limbs_read(b), (mp_size_t)mpz_size(b));
    mpz_init(x);
    mpz_init(r);
    bool inexact = false;
    if (shift <= 0) {
        mpz_mul_2exp(x, absa, (mp_bitcnt_t)-shift);
    } else {
        mpz_tdiv_q_2exp(x, absa, (mp_bitcnt_t)shift);
        inexact = mpz_scan1(absa, 0) < (mp_bitcnt_t)shift;
    }
    mpz_tdiv_qr(x, r, x, absb);
    if (mpz_sgn(r) != 0) inexact = true;
    int64_t x_bits = (int64_t)mpz_sizeinbase(x, 2);
    int64_t extra_bits = (x_bits > DBL_MIN_EXP - shift ? x_bits : DBL_MIN_EXP - shift) - DBL_MANT_DIG;
    uint64_t q = mpz_getlimbn(x, 0);                     /* at most 56 bits */
    mpz_clear(x);
    mpz_clear(r);
    uint64_t mask = (uint64_t)1 << (extra_bits - 1);
    uint64_t low = q | inexact;
    if ((low & mask) && (low & (3 * mask - 1))) low += mask;
    q = low & ~(2 * mask - 1);
    double dx = (double)q;                               /* exact */
    if (shift + x_bits >= DBL_MAX_EXP &&
        (shift + x_bits > DBL_MAX_EXP || dx == ldexp(1.0, (int)x_bits)))
        return err_format(&Exc_OverflowError, "integer division result too large for a float");
    double res = ldexp(dx, (int)shift);
    return float_new(negate ? -res : res);
}

/* int ** negative int: computed in floats, as CPython does. */
static Value pow_negative(Value a, Value b) {
    if (int_sign(a) == 0)
        return zero_division("0.0 cannot be raised to a negative power");
    double x = int_as_double(a);
    if (x == -1.0 && err_occurred()) return VNULL;
    double y = int_as_double(b);
    if (y == -1.0 && err_occurred()) return VNULL;
    return float_new(pow(x, y));
}

/* a ** e for e >= 0 fitting an unsigned long; refuses results past INT_MAX_BITS. */
static Value pow_nonneg(mpz_srcptr a, unsigned long e) {
    if (e == 0) return MK_INT(1);
    if (mpz_cmpabs_ui(a, 1) <= 0) {                       /* 0, 1, -1 */
        if (mpz_sgn(a) < 0 && (e & 1) == 0) return MK_INT(1);
        return MK_INT(mpz_sgn(a));
    }
    /* the result has about e * log2|a| bits */
    long exp2;
    double mant = mpz_get_d_2exp(&exp2, a);               /* |a| = |mant| * 2**exp2 */
    double bits = (double)e * (log2(fabs(mant)) + (double)exp2);
    if (bits > (double)INT_MAX_BITS) return err_no_memory();
    mpz_t r;
    mpz_init(r);
    mpz_pow_ui(r, a, e);
    return int_from_mpz_steal(r);
}

static Value pow_mod(Value a, Value b, Value m) {
    IntArg aa, ab, am;
    mpz_srcptr za = int_arg(&aa, a), zb = int_arg(&ab, b), zm = int_arg(&am, m);
    if (mpz_sgn(zm) == 0) return err_format(&Exc_ValueError, "pow() 3rd argument cannot be 0");
    mpz_t absm, base, r;
    mpz_roinit_n(absm, mpz_limbs_read(zm), (mp_size_t)mpz_size(zm));
    if (mpz_cmp_ui(absm, 1) == 0) return MK_INT(0);
    mpz_init(base);
    mpz_init(r);
    mpz_mod(base, za, absm);
    if (mpz_sgn(zb) < 0) {
        if (!mpz_invert(base, base, absm)) {
            mpz_clear(base);
            mpz_clear(r);
            return err_format(&Exc_ValueError, "base is not invertible for the given modulus");
        }
        mpz_t e;
        mpz_init(e);
        mpz_neg(e, zb);
        mpz_powm(r, base, e, absm);
        mpz_clear(e);
    } else {
        mpz_powm(r, base, zb, absm);
    }
    mpz_clear(base);
    if (mpz_sgn(zm) < 0 && mpz_sgn(r) != 0) mpz_add(r, r, zm);   /* result takes m's sign */
    return int_from_mpz_steal(r);
}

static Value small_pow(intptr_t x, intptr_t y) {
    int64_t r = 1, base = x;
    uint64_t e = (uint64_t)y;
    while (e) {
        if ((e & 1) && __builtin_mul_overflow(r, base, &r)) goto big;
        e >>= 1;
        if (e && __builtin_mul_overflow(base, base, &base)) goto big;
    }
    return int_from_i64(r);
big:;
    IntArg aa;
    return pow_nonneg(int_arg(&aa, MK_INT(x)), (unsigned long)y);
}

Value int_pow(Value a, Value b, Value mod) {
    bool has_mod = mod && !IS_NONE(mod);
    if (!int_check(a) || !int_check(b)) return incref(NotImplemented);
    if (has_mod) {
        if (!int_check(mod))
            return err_format(&Exc_TypeError,
                              "pow() 3rd argument not allowed unless all arguments are integers");
        return pow_mod(a, b, mod);
    }
    intptr_t x = 0, y = 0;
    bool xs = small_of(a, &x), ys = small_of(b, &y);
    if (ys && y < 0) return pow_negative(a, b);
    if (!ys && int_sign(b) < 0) return pow_negative(a, b);
    if (xs && ys) {
        if (x == 0 || x == 1) return MK_INT(y == 0 ? 1 : x);
        if (x == -1) return MK_INT((y & 1) ? -1 : 1);
        if (x == 2 && y < 62) return MK_INT((intptr_t)1 << y);
        return small_pow(x, y);
    }
    IntArg aa;
    mpz_srcptr za = int_arg(&aa, a);
    if (!ys) {                                             /* a huge exponent */
        if (mpz_cmpabs_ui(za, 1) <= 0) {
            IntArg ab;
            if (mpz_sgn(za) < 0 && mpz_even_p(int_arg(&ab, b))) return MK_INT(1);
            return MK_INT(mpz_sgn(za));
        }
        return err_no_memory();
    }
    return pow_nonneg(za, (unsigned long)y);
}

static Value shift_error(void) {
    return err_format(&Exc_ValueError, "negative shift count");
}

static Value big_lshift(Value a, Value b) {
    if (int_sign(b) < 0) return shift_error();
    if (int_sign(a) == 0) return MK_INT(0);
    intptr_t n;
    IntArg aa;
    mpz_srcptr za = int_arg(&aa, a);
    if (!small_of(b, &n) || too_big_bits(mpz_sizeinbase(za, 2) + (uint64_t)n)) {
        if (!err_occurred()) err_no_memory();
        return VNULL;
    }
    mpz_t r;
    mpz_init(r);
    mpz_mul_2exp(r, za, (mp_bitcnt_t)n);
    return int_from_mpz_steal(r);
}

static Value big_rshift(Value a, Value b) {
    if (int_sign(b) < 0) return shift_error();
    intptr_t n;
    IntArg aa;
    mpz_srcptr za = int_arg(&aa, a);
    if (!small_of(b, &n) || (uint64_t)n >= mpz_sizeinbase(za, 2))
        return MK_INT(mpz_sgn(za) < 0 ? -1 : 0);
    mpz_t r;
    mpz_init(r);
    mpz_fdiv_q_2exp(r, za, (mp_bitcnt_t)n);               /* floor: -5 >> 1 == -3 */
    return int_from_mpz_steal(r);
}

static Value big_binop(Value a, Value b, int op) {
    switch (op) {
    case OP_POW:    return int_pow(a, b, VNULL);
    case OP_LSHIFT: return big_lshift(a, b);
    case OP_RSHIFT: return big_rshift(a, b);
    default: break;
    }
    IntArg aa, ab;
    mpz_srcptr x = int_arg(&aa, a), y = int_arg(&ab, b);
    if (op == OP_DIV) return true_divide(x, y);
    if ((op == OP_FLOORDIV || op == OP_MOD) && mpz_sgn(y) == 0)
        return zero_division(op == OP_MOD ? "integer modulo by zero"
                                          : "integer division or modulo by zero");
    if (op == OP_MUL && too_big_bits((uint64_t)mpz_sizeinbase(x, 2) + mpz_sizeinbase(y, 2)))
        return VNULL;
    mpz_t r;
    mpz_init(r);
    switch (op) {
    case OP_ADD:      mpz_add(r, x, y); break;
    case OP_SUB:      mpz_sub(r, x, y); break;
    case OP_MUL:      mpz_mul(r, x, y); break;
    case OP_FLOORDIV: mpz_fdiv_q(r, x, y); break;
    case OP_MOD:      mpz_fdiv_r(r, x, y); break;
    case OP_BITAND:   mpz_and(r, x, y); break;
    case OP_BITOR:    mpz_ior(r, x, y); break;
    case OP_BITXOR:   mpz_xor(r, x, y); break;
    default:
        mpz_clear(r);
        return incref(NotImplemented);
    }
    return int_from_mpz_steal(r);
}

/* Both operands small: no allocation, no GMP unless the result overflows. */
static Value small_binop(intptr_t x, intptr_t y, int op) {
    intptr_t r;
    switch (op) {
    case OP_ADD: r = x + y; return FITS_SMALL(r) ? MK_INT(r) : int_from_i64(r);  /* 63-bit inputs: no C overflow */
    case OP_SUB: r = x - y; return FITS_SMALL(r) ? MK_INT(r) : int_from_i64(r);
    case OP_MUL:
        if (!__builtin_mul_overflow(x, y, &r)) return FITS_SMALL(r) ? MK_INT(r) : int_from_i64(r);
        return big_binop(MK_INT(x), MK_INT(y), op);
    case OP_FLOORDIV: {
        if (y == 0) return zero_division("integer division or modulo by zero");
        intptr_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return FITS_SMALL(q) ? MK_INT(q) : int_from_i64(q);   /* SMALL_INT_MIN // -1 */
    }
    case OP_MOD: {
        if (y == 0) return zero_division("integer modulo by zero");
        r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return MK_INT(r);
    }
    case OP_DIV: {
        if (y == 0) return zero_division("division by zero");
        const intptr_t exact = (intptr_t)1 << DBL_MANT_DIG;
        if (x >= -exact && x <= exact && y >= -exact && y <= exact)
            return float_new((double)x / (double)y);
        return big_binop(MK_INT(x), MK_INT(y), op);
    }
    case OP_POW:
        if (y < 0) return pow_negative(MK_INT(x), MK_INT(y));
        return int_pow(MK_INT(x), MK_INT(y), VNULL);
    case OP_LSHIFT:
        if (y < 0) return shift_error();
        if (x == 0) return MK_INT(0);
        if (y < 62) {
            intptr_t s = (intptr_t)((uintptr_t)x << y);
            if ((s >> y) == x && FITS_SMALL(s)) return MK_INT(s);
        }
        return big_lshift(MK_INT(x), MK_INT(y));
    case OP_RSHIFT:
        if (y < 0) return shift_error();
        return MK_INT(y >= 63 ? (x < 0 ? -1 : 0) : x >> y);
    case OP_BITAND: return MK_INT(x & y);
    case OP_BITOR:  return MK_INT(x | y);
    case OP_BITXOR: return MK_INT(x ^ y);
    default:        return incref(NotImplemented);   /* @ */
    }
}

Value int_binop(Value a, Value b, int op) {
    op &= ~BINOP_INPLACE;                                  /* ints are immutable: a += b is a + b */
    if (LIKELY(IS_INT(a) && IS_INT(b))) return small_binop(AS_INT(a), AS_INT(b), op);
    if (!int_check(a) || !int_check(b)) return incref(NotImplemented);
    intptr_t x = 0, y = 0;
    if (small_of(a, &x) && small_of(b, &y)) return small_binop(x, y, op);
    return big_binop(a, b, op);
}

static Value int_unop(Value a, UnaryOp op) {
    intptr_t x;
    if (small_of(a, &x)) {
        switch (op) {
        case UNOP_NEG:    return int_from_i64(-(int64_t)x);
        case UNOP_POS:    return MK_INT(x);
        case UNOP_INVERT: return MK_INT(~x);
        }
    }
    mpz_t r;
    switch (op) {
    case UNOP_POS: return int_exact(a);
    case UNOP_NEG: mpz_init(r); mpz_neg(r, BIGZ(a)); break;
    default:       mpz_init(r); mpz_com(r, BIGZ(a)); break;
    }
    return int_from_mpz_steal(r);
}

Value int_abs(Value a) {
    intptr_t x;
    if (small_of(a, &x)) return int_from_i64(x < 0 ? -(int64_t)x : x);
    mpz_t r;
    mpz_init(r);
    mpz_abs(r, BIGZ(a));
    return int_from_mpz_steal(r);
}

/* (a // b, a % b) */
Value int_divmod(Value a, Value b) {
    if (!int_check(a) || !int_check(b)) return incref(NotImplemented);
    intptr_t x, y;
    if (small_of(a, &x) && small_of(b, &y)) {
        if (y == 0) return zero_division("integer division or modulo by zero");
        Value q = small_binop(x, y, OP_FLOORDIV);
        if (!q) return VNULL;
        Value r = small_binop(x, y, OP_MOD);
        Value t = tuple_pack(2, q, r);
        decref(q);
        return t;
    }
    IntArg aa, ab;
    mpz_srcptr zx = int_arg(&aa, a), zy = int_arg(&ab, b);
    if (mpz_sgn(zy) == 0) return zero_division("integer division or modulo by zero");
    mpz_t q, r;
    mpz_init(q);
    mpz_init(r);
    mpz_fdiv_qr(q, r, zx, zy);
    Value vq = int_from_mpz_steal(q);
    Value vr = int_from_mpz_steal(r);
    Value t = (vq && vr) ? tuple_pack(2, vq, vr) : VNULL;
    decref(vq);
    decref(vr);
    return t;
}

/* ===== the int type's slots =========================================================== */

static void int_dealloc(Obj *o) {
    mpz_clear(((BigIntObj *)o)->z);
}

static int64_t int_hash_slot(Value v) { return int_hash(v); }

static int int_truth(Value v) { return int_sign(v) != 0; }

/* An instance of the int subclass t holding the value of the int v. */
static Value int_subclass_instance(Type *t, Value v) {
    Value o = obj_new_instance(t);
    if (!o) return VNULL;
    IntArg a;
    mpz_init_set(BIGZ(o), int_arg(&a, v));           /* the memory is zeroed, not an mpz yet */
    return o;
}

static Value call_conversion(Value x, Value name, const char *what) {
    Value r = obj_call_method(x, name, NULL, 0);
    if (!r) return VNULL;
    if (!int_check(r)) {
        err_format(&Exc_TypeError, "%s returned non-int (type %s)", what, obj_type_name(r));
        decref(r);
        return VNULL;
    }
    Value e = int_exact(r);
    decref(r);
    return e;
}

/* int(x) without a base, in PyNumber_Long's order: __int__, __index__,
 * __trunc__, then text. (Subclasses of int and float find int.__int__ and
 * float.__int__ unless they override them.) */
static Value int_of(Value x) {
    if (IS_INT(x) || is_bigint(x) || IS_TYPE(x, &BoolType)) return int_exact(x);
    if (IS_TYPE(x, &FloatType)) return int_from_double(((FloatObj *)AS_OBJ(x))->v);
    Type *t = TYPE_OF(x);
    if (type_lookup(t, NM.__int__)) return call_conversion(x, NM.__int__, "__int__");
    if (type_lookup(t, NM.__index__)) return call_conversion(x, NM.__index__, "__index__");
    if (int_check(x)) return int_exact(x);
    if (float_check(x)) return int_from_double(((FloatObj *)AS_OBJ(x))->v);
    if (str_check(x)) return int_parse(STR_DATA(x), STR_LEN(x), 10, x);
    if (obj_isinstance_type(x, &BytesType))
        return int_parse((const char *)AS_BYTES(x)->data, AS_BYTES(x)->len, 10, x);
    Value trunc = str_intern_cstr("__trunc__");
    if (type_lookup(t, trunc)) {
        Value r = obj_call_method(x, trunc, NULL, 0);
        if (!r || int_check(r)) {
            Value e = r ? int_exact(r) : VNULL;
            decref(r);
            return e;
        }
        if (!type_lookup(TYPE_OF(r), NM.__index__)) {
            err_format(&Exc_TypeError, "__trunc__ returned non-Integral (type %s)", obj_type_name(r));
            decref(r);
            return VNULL;
        }
        Value e = index_value(r);
        decref(r);
        return e;
    }
    return err_format(&Exc_TypeError, "int() argument must be a string, a bytes-like object "
                      "or a real number, not '%s'", obj_type_name(x));
}

static Value int_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value x = nargs > 0 ? args[0] : VNULL;
    Value basev = nargs > 1 ? args[1] : VNULL;
    if (nargs > 2)
        return err_format(&Exc_TypeError, "int() takes at most 2 arguments (%zu given)", nargs + nkw);
    for (size_t k = 0; k < nkw; k++) {
        Value name = TUPLE_ITEMS(kwnames)[k];
        if (!str_eq_cstr(name, "base"))
            return err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for int()", name);
        if (basev)
            return err_format(&Exc_TypeError,
                              "argument for int() given by name ('base') and position (2)");
        basev = args[nargs + k];
    }
    Value r;
    if (!x) {
        if (basev) return err_format(&Exc_TypeError, "int() missing string argument");
        r = MK_INT(0);
    } else if (!basev) {
        r = int_of(x);
    } else {
        intptr_t base;
        if (index_as_ssize(basev, &base, &Exc_OverflowError) < 0) return VNULL;
        if (base != 0 && (base < 2 || base > 36))
            return err_format(&Exc_ValueError, "int() base must be >= 2 and <= 36, or 0");
        if (str_check(x))
            r = int_parse(STR_DATA(x), STR_LEN(x), (int)base, x);
        else if (obj_isinstance_type(x, &BytesType))
            r = int_parse((const char *)AS_BYTES(x)->data, AS_BYTES(x)->len, (int)base, x);
        else
            return err_format(&Exc_TypeError, "int() can't convert non-string with explicit base");
    }
    if (!r || t == &IntType) return r;
    Value o = int_subclass_instance(t, r);
    decref(r);
    return o;
}

/* ===== int methods ==================================================================== */

static Value int_bit_length(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int.bit_length", nargs, kwnames) < 0) return VNULL;
    intptr_t x;
    if (small_of(self, &x)) {
        uint64_t u = x < 0 ? -(uint64_t)x : (uint64_t)x;
        return MK_INT(u ? 64 - __builtin_clzll(u) : 0);
    }
    return int_from_u64(mpz_sizeinbase(BIGZ(self), 2));
}

static Value int_bit_count(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int.bit_count", nargs, kwnames) < 0) return VNULL;
    intptr_t x;
    if (small_of(self, &x)) {
        uint64_t u = x < 0 ? -(uint64_t)x : (uint64_t)x;
        return MK_INT(__builtin_popcountll(u));
    }
    mpz_t mag;
    mpz_roinit_n(mag, mpz_limbs_read(BIGZ(self)), (mp_size_t)mpz_size(BIGZ(self)));
    return int_from_u64(mpz_popcount(mag));
}

/* int(self) for the no-argument conversions (__int__, __index__, __trunc__,
 * __floor__, __ceil__, conjugate, real, numerator). */
static Value int_self_exact(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int method", nargs, kwnames) < 0) return VNULL;
    return int_exact(self);
}

static Value int_float_method(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int.__float__", nargs, kwnames) < 0) return VNULL;
    double d = int_as_double(self);
    if (d == -1.0 && err_occurred()) return VNULL;
    return float_new(d);
}

static Value int_abs_method(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int.__abs__", nargs, kwnames) < 0) return VNULL;
    return int_abs(self);
}

static Value int_as_integer_ratio(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (ctr_no_args("int.as_integer_ratio", nargs, kwnames) < 0) return VNULL;
    Value n = int_exact(self);
    if (!n) return VNULL;
    Value t = tuple_pack(2, n, MK_INT(1));
    decref(n);
    return t;
}

static Value int_divmod_method(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("int.__divmod__", nargs, kwnames) < 0) return VNULL;
    return int_divmod(self, args[0]);
}

static Value int_rdivmod_method(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("int.__rdivmod__", nargs, kwnames) < 0) return VNULL;
    return int_divmod(args[0], self);
}

static Value int_format_method(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_one_arg("int.__format__", nargs, kwnames) < 0) return VNULL;
    if (!str_check(args[0]))
        return err_format(&Exc_TypeError, "__format__() argument must be str, not %s",
                          obj_type_name(args[0]));
    if (STR_LEN(args[0]) == 0) return obj_str(self);
    return format_int(self, STR_DATA(args[0]), STR_LEN(args[0]));
}

/* round(int, ndigits): for ndigits < 0 round half to even at 10**-ndigits. */
static Value int_round(Value self, Value *args, size_t nargs, Value kwnames) {
    if (ctr_no_kw("int.__round__", kwnames) < 0 ||
        ctr_nargs("__round__", nargs, 0, 1) < 0) return VNULL;
    if (nargs == 0) return int_exact(self);
    Value nd = index_value(args[0]);
    if (!nd) return VNULL;
    intptr_t n = 0;
    bool small = small_of(nd, &n);
    int sign = int_sign(nd);
    decref(nd);
    if (sign >= 0) return int_exact(self);
    IntArg a;
    mpz_srcptr z = int_arg(&a, self);
    /* 10**-n > 2*|self|: the result is 0 (also avoids building a huge power) */
    if (!small || (uint64_t)-(int64_t)n > mpz_sizeinbase(z, 10) + 1) return MK_INT(0);
    mpz_t p, q, r, twice;
    mpz_inits(p, q, r, twice, NULL);
    mpz_ui_pow_ui(p, 10, (unsigned long)-(int64_t)n);
    mpz_fdiv_qr(q, r, z, p);                     /* 0 <= r < p */
    mpz_mul_2exp(twice, r, 1);
    int c = mpz_cmp(twice, p);
    if (c > 0 || (c == 0 && mpz_odd_p(q))) mpz_add_ui(q, q, 1);
    mpz_mul(q, q, p);
    mpz_clears(p, r, twice, NULL);
    return int_from_mpz_steal(q);
}

static int parse_byteorder(Value v, bool *little) {
    if (!str_check(v)) {
        err_format(&Exc_TypeError, "to_bytes() argument 'byteorder' must be str, not %s",
                   obj_type_name(v));
        return -1;
    }
    if (str_eq_cstr(v, "little")) *little = true;
    else if (str_eq_cstr(v, "big")) *little = false;
    else {
        err_format(&Exc_ValueError, "byteorder must be either 'little' or 'big'");
        return -1;
    }
    return 0;
}

static void reverse_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        uint8_t t = p[i]; p[i] = p[j]; p[j] = t;
    }
}

static Value int_to_bytes(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"length", "byteorder", "signed", NULL};
    if (nargs > 2)
        return err_format(&Exc_TypeError, "to_bytes() takes at most 2 positional arguments (%zu given)", nargs);
    Value a[3] = {VNULL, VNULL, VNULL};
    if (args_parse("to_bytes", args, nargs, kwnames, names, 0, a) < 0) return VNULL;
    intptr_t length = 1;
    if (a[0] && index_as_ssize(a[0], &length, &Exc_OverflowError) < 0) return VNULL;
    if (length < 0) return err_format(&Exc_ValueError, "length argument must be non-negative");
    if ((uint64_t)length > INT_MAX_BITS / 8) return err_no_memory();
    bool little = false;
    if (a[1] && parse_byteorder(a[1], &little) < 0) return VNULL;
    int is_signed = 0;
    if (a[2] && (is_signed = obj_truth(a[2])) < 0) return VNULL;
    IntArg ia;
    mpz_srcptr z = int_arg(&ia, self);
    if (mpz_sgn(z) < 0 && !is_signed)
        return err_format(&Exc_OverflowError, "can't convert negative int to unsigned");
    /* fits? unsigned: bits <= 8n; signed: -2**(8n-1) <= z < 2**(8n-1) */
    uint64_t nbits = (uint64_t)length * 8;
    mpz_t v;
    mpz_init(v);
    bool fits;
    if (mpz_sgn(z) == 0) fits = true;
    else if (!is_signed) fits = mpz_sizeinbase(z, 2) <= nbits;
    else if (mpz_sgn(z) > 0) fits = mpz_sizeinbase(z, 2) < nbits;
    else {
        mpz_add_ui(v, z, 1);                      /* z >= -2**(8n-1)  <=>  -(z+1) < 2**(8n-1) */
        fits = mpz_sgn(v) == 0 || mpz_sizeinbase(v, 2) < nbits;
    }
    if (!fits) {
        mpz_clear(v);
        return err_format(&Exc_OverflowError, "int too big to convert");
    }
    uint8_t *buf = gc_calloc(length ? (size_t)length : 1, 1);
    if (!buf) { mpz_clear(v); return VNULL; }
    if (mpz_sgn(z) < 0) {                         /* two's complement: z + 2**(8n) */
        mpz_set_ui(v, 1);
        mpz_mul_2exp(v, v, nbits);
        mpz_add(v, v, z);
    } else {
        mpz_set(v, z);
    }
    size_t count = 0;
    if (mpz_sgn(v) != 0) {
        size_t need = (mpz_sizeinbase(v, 2) + 7) / 8;
        mpz_export(buf + (size_t)length - need, &count, 1, 1, 1, 0, v);
    }
    mpz_clear(v);
    if (little) reverse_bytes(buf, (size_t)length);
    Value r = bytes_new(buf, (size_t)length);
    gc_free(buf);
    return r;
}

/* The bytes of a bytes object or of an iterable of ints in range(256).
 * Returns a new bytes object. */
static Value bytes_of(Value v) {
    if (obj_isinstance_type(v, &BytesType)) return incref(v);
    if (str_check(v))
        return err_format(&Exc_TypeError, "cannot convert '%s' object to bytes", obj_type_name(v));
    Value it = obj_iter(v);
    if (!it) {
        if (err_matches(&Exc_TypeError)) {
            err_clear();
            err_format(&Exc_TypeError, "cannot convert '%s' object to bytes", obj_type_name(v));
        }
        return VNULL;
    }
    StrBuf b;
    sb_init(&b);
    Value item;
    while ((item = obj_next(it))) {
        intptr_t x;
        int rc = index_as_ssize(item, &x, &Exc_ValueError);
        decref(item);
        if (rc < 0 || x < 0 || x > 255) {
            if (rc == 0 || err_matches(&Exc_ValueError)) {
                err_clear();
                err_format(&Exc_ValueError, "bytes must be in range(0, 256)");
            }
            sb_free(&b); decref(it);
            return VNULL;
        }
        sb_addc(&b, (char)x);
    }
    decref(it);
    if (err_occurred() || b.failed) { if (b.failed && !err_occurred()) err_no_memory(); sb_free(&b); return VNULL; }
    Value r = bytes_new(b.data ? b.data : "", b.len);
    sb_free(&b);
    return r;
}

static Value int_from_bytes(Value cls, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"bytes", "byteorder", "signed", NULL};
    if (nargs > 2)
        return err_format(&Exc_TypeError, "from_bytes() takes at most 2 positional arguments (%zu given)", nargs);
    Value a[3] = {VNULL, VNULL, VNULL};
    if (args_parse("from_bytes", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    bool little = false;
    if (a[1] && parse_byteorder(a[1], &little) < 0) return VNULL;
    int is_signed = 0;
    if (a[2] && (is_signed = obj_truth(a[2])) < 0) return VNULL;
    Value bv = bytes_of(a[0]);
    if (!bv) return VNULL;
    size_t n = AS_BYTES(bv)->len;
    mpz_t z;
    mpz_init(z);
    if (n) mpz_import(z, n, little ? -1 : 1, 1, 1, 0, AS_BYTES(bv)->data);
    if (is_signed && n && mpz_tstbit(z, n * 8 - 1)) {      /* top bit set: subtract 2**(8n) */
        mpz_t p;
        mpz_init_set_ui(p, 1);
        mpz_mul_2exp(p, p, n * 8);
        mpz_sub(z, z, p);
        mpz_clear(p);
    }
    decref(bv);
    Value r = int_from_mpz_steal(z);
    if (!r || (Type *)AS_OBJ(cls) == &IntType) return r;
    Value o = obj_call1(cls, r);
    decref(r);
    return o;
}

static Value int_get_self(Value self) { return int_exact(self); }
static Value int_get_zero(Value self) { (void)self; return MK_INT(0); }
static Value int_get_one(Value self) { (void)self; return MK_INT(1); }

static const MethodDef int_methods[] = {
    {"bit_length", int_bit_length, METH_DEFAULT},
    {"bit_count", int_bit_count, METH_DEFAULT},
    {"to_bytes", int_to_bytes, METH_DEFAULT},
    {"from_bytes", int_from_bytes, METH_CLASS},
    {"conjugate", int_self_exact, METH_DEFAULT},
    {"as_integer_ratio", int_as_integer_ratio, METH_DEFAULT},
    {"__index__", int_self_exact, METH_DEFAULT},
    {"__int__", int_self_exact, METH_DEFAULT},
    {"__trunc__", int_self_exact, METH_DEFAULT},
    {"__floor__", int_self_exact, METH_DEFAULT},
    {"__ceil__", int_self_exact, METH_DEFAULT},
    {"__float__", int_float_method, METH_DEFAULT},
    {"__abs__", int_abs_method, METH_DEFAULT},
    {"__round__", int_round, METH_DEFAULT},
    {"__divmod__", int_divmod_method, METH_DEFAULT},
    {"__rdivmod__", int_rdivmod_method, METH_DEFAULT},
    {"__format__", int_format_method, METH_DEFAULT},
    {NULL, NULL, 0}
};

static const GetSetDef int_getsets[] = {
    {"real", int_get_self, NULL},
    {"imag", int_get_zero, NULL},
    {"numerator", int_get_self, NULL},
    {"denominator", int_get_one, NULL},
    {NULL, NULL, NULL}
};

Type IntType = {
    STATIC_TYPE_HEAD,
    .name = "int",
    .flags = TF_BASETYPE,
    .size = sizeof(BigIntObj),
    .tp_new = int_tp_new,
    .dealloc = int_dealloc,
    .repr = int_repr,
    .hash = int_hash_slot,
    .richcmp = int_richcmp,
    .truth = int_truth,
    .binop = int_binop,
    .unop = int_unop,
};

/* ===== bool ============================================================================= */

BoolObj TrueObj = { { IMMORTAL_RC, &BoolType }, 1 };
BoolObj FalseObj = { { IMMORTAL_RC, &BoolType }, 0 };

static Value bool_repr(Value v) {
    return str_from_cstr(v == True_ ? "True" : "False");
}

static Value bool_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    if (kwnames && TUPLE_LEN(kwnames) > 0)
        return err_format(&Exc_TypeError, "bool() takes no keyword arguments");
    if (nargs > 1)
        return err_format(&Exc_TypeError, "bool expected at most 1 argument, got %zu", nargs);
    if (nargs == 0) return bool_new(0);
    int r = obj_truth(args[0]);
    return r < 0 ? VNULL : bool_new(r);
}

/* & | ^ between two bools stay bools; everything else is int arithmetic. */
static Value bool_binop(Value a, Value b, int op) {
    int base = op & ~BINOP_INPLACE;
    if (IS_TYPE(a, &BoolType) && IS_TYPE(b, &BoolType) &&
        (base == OP_BITAND || base == OP_BITOR || base == OP_BITXOR)) {
        int x = ((BoolObj *)AS_OBJ(a))->v, y = ((BoolObj *)AS_OBJ(b))->v;
        return bool_new(base == OP_BITAND ? (x & y) : base == OP_BITOR ? (x | y) : (x ^ y));
    }
    return int_binop(a, b, op);
}

Type BoolType = {
    STATIC_TYPE_HEAD,
    .name = "bool",
    .base = &IntType,
    .flags = 0,                                  /* not subclassable */
    .size = sizeof(BoolObj),
    .tp_new = bool_tp_new,
    .repr = bool_repr,
    .str = bool_repr,
    .hash = int_hash_slot,
    .richcmp = int_richcmp,
    .truth = int_truth,
    .binop = bool_binop,
    .unop = int_unop,
};

/* ===== GMP's memory and the heap budget ============================================= */
/* GMP's limbs count against the heap budget (--max-memory) like any buffer.
 * GMP cannot handle a failed allocation, so these never fail on the budget:
 * int_max_bits() refuses a result that would not fit before GMP is asked. */
static void *gmp_alloc(size_t n) {
    void *p = malloc(n);
    if (!p) { fputs("apy: out of memory (GMP)\n", stderr); abort(); }
    gc_account_external((ptrdiff_t)n);
    return p;
}

static void *gmp_realloc(void *p, size_t old, size_t n) {
    void *q = realloc(p, n);
    if (!q) { fputs("apy: out of memory (GMP)\n", stderr); abort(); }
    gc_account_external((ptrdiff_t)n - (ptrdiff_t)old);
    return q;
}

static void gmp_free(void *p, size_t n) {
    free(p);
    gc_account_external(-(ptrdiff_t)n);
}

uint64_t int_max_bits(void) {
    const uint64_t cap = (uint64_t)1 << 33;
    size_t limit = gc_heap_limit(), used = gc_heap_bytes();
    if (!limit) return cap;
    uint64_t room = limit > used ? (uint64_t)(limit - used) * 8 : 0;
    return room < cap ? room : cap;
}

void int_init_types(void) {
    mp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
    type_add_methods(&IntType, int_methods);
    type_add_getsets(&IntType, int_getsets);
    type_ready(&IntType);
    type_ready(&BoolType);
}
