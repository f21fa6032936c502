/* obj_float.c — float (IEEE double) and a minimal complex.
 *
 * Owns: float construction and parsing, repr (the shortest string that
 * round-trips, laid out as CPython does), PyOS_double_to_string's layouts
 * for format() and %-formatting, arithmetic with CPython's floor/modulo sign
 * rules and error messages, exact float/int comparison, the modular hash
 * shared with int, round(), and complex numbers (+ - * / **, ==, abs, hash).
 * Must not touch: int internals (it uses obj_int.c's API), the format-spec
 * parser (format.c).
 *
 * Digits come from glibc's correctly rounded printf ("%.*e", "%.*f"); the
 * shortest repr tries 15, 16, then 17 significant digits (subnormals search
 * from 1), which is exactly the set of candidates David Gay's mode 0 picks
 * from. The layout code follows CPython's format_float_short, so every
 * corner (1e+16, 1e-05, '#', 'z', ".0") comes out the same.
 */
#include <math.h>
#include <float.h>
#include <limits.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <ctype.h>
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "ast.h"
#include "text_internal.h"

/* ===== digits ====================================================================== */

/* Decimal digits of a finite, non-negative double: `p` holds `len` digits
 * without trailing zeros ("0" for zero), the value is 0.DIGITS × 10^decpt. */
typedef struct {
    char *p;
    size_t len;
    int decpt;
    char small[64];
} Digits;

static void digits_free(Digits *dg) {
    if (dg->p != dg->small) gc_free(dg->p);
}

/* Read "d.ddddde±XX" (as printed by %e) into digits/decpt, stripping zeros. */
static void digits_from_e(Digits *dg, const char *s) {
    size_t n = 0;
    const char *q = s;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') dg->p[n++] = *q;
    int exp = atoi(q + 1);
    while (n > 1 && dg->p[n - 1] == '0') n--;
    if (n == 1 && dg->p[0] == '0') exp = 0;
    dg->p[n] = 0;
    dg->len = n;
    dg->decpt = exp + 1;
}

/* Does "%.{prec}e" of x read back as x? Leaves the text in buf. */
static bool roundtrips(double x, int prec, char *buf, size_t cap) {
    snprintf(buf, cap, "%.*e", prec, x);
    return strtod(buf, NULL) == x;
}

/* Add one unit in the last digit of the mantissa of "d.ddde±XX" in place
 * (the exponent grows when all digits were 9). */
static void bump_last_digit(char *buf, size_t cap) {
    char *e = strchr(buf, 'e');
    int exp = atoi(e + 1);
    char *q = e - 1;
    for (;;) {
        if (*q == '.') { q--; continue; }
        if (*q != '9') { (*q)++; break; }
        *q = '0';
        if (q == buf) {   /* 9.999 → 10.000: renormalise to 1.000e(exp+1) */
            buf[0] = '1';
            exp++;
            break;
        }
        q--;
    }
    char mant[40];
    size_t m = (size_t)(e - buf);
    memcpy(mant, buf, m);
    mant[m] = 0;
    snprintf(buf, cap, "%se%+03d", mant, exp);
}

/* Exact powers of ten (all representable in a double). */
static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Fast path for doubles with at most 15 significant digits (most of the
 * numbers programs print): guess the 15-digit integer m with x ≈ m·10^-k,
 * and check it exactly — m < 2^53 and 10^|k| ≤ 10^22 are exact doubles, so
 * one correctly rounded division or multiplication is what strtod would
 * return (Clinger's fast path). At most one number with ≤ 15 significant
 * digits lies in a double's rounding interval, so a hit is the shortest
 * form once its trailing zeros are dropped. */
static bool shortest_fast15(double x, Digits *dg) {
    int e10 = (int)floor(log10(x));
    int k = 14 - e10;
    if (k < -22 || k > 22) return false;
    double y = k >= 0 ? x * pow10_exact[k] : x / pow10_exact[-k];
    double guess = nearbyint(y);
    for (int d = 0; d < 3; d++) {
        double m = guess + (d == 0 ? 0 : d == 1 ? -1 : 1);
        if (m <= 0 || m >= 1e15) continue;
        double back = k >= 0 ? m / pow10_exact[k] : m * pow10_exact[-k];
        if (back != x) continue;
        uint64_t u = (uint64_t)m;
        char tmp[24];
        int n = 0;
        while (u) { tmp[n++] = (char)('0' + u % 10); u /= 10; }
        /* tmp holds the digits reversed; drop trailing zeros (leading in tmp) */
        int start = 0;
        while (start < n - 1 && tmp[start] == '0') start++;
        dg->len = (size_t)(n - start);
        for (int i = 0; i < n - start; i++) dg->p[i] = tmp[n - 1 - i];
        dg->p[dg->len] = 0;
        dg->decpt = n - k;
        return true;
    }
    return false;
}

/* Mode 0: the shortest digits that round-trip (ties go to the nearest). */
static void digits_shortest(double x, Digits *dg) {
    char buf[64];
    dg->p = dg->small;
    if (x == 0) { strcpy(dg->p, "0"); dg->len = 1; dg->decpt = 1; return; }
    if (x < DBL_MIN) {
        /* subnormal: the spacing is coarse, so fewer digits may do */
        for (int prec = 0; prec < 17; prec++)
            if (roundtrips(x, prec, buf, sizeof buf)) break;
    } else if (shortest_fast15(x, dg)) {
        return;
    } else if (!roundtrips(x, 14, buf, sizeof buf) && !roundtrips(x, 15, buf, sizeof buf)) {
        /* At a power of two the interval above x is twice as wide as the
         * one below, so the nearest 16-digit string may miss while the next
         * one up still round-trips. */
        int e;
        bool pow2 = frexp(x, &e) == 0.5;
        bool fixed = false;
        if (pow2 && strtod(buf, NULL) < x) {
            char up[64];
            memcpy(up, buf, sizeof up);
            bump_last_digit(up, sizeof up);
            if (strtod(up, NULL) == x) { memcpy(buf, up, sizeof buf); fixed = true; }
        }
        /* 17 significant digits always round-trip: no need to check */
        if (!fixed) snprintf(buf, sizeof buf, "%.16e", x);
    }
    digits_from_e(dg, buf);
}

/* Room for snprintf output of size n (+ NUL); n < 0 means snprintf gave up. */
static bool digits_room(Digits *dg, int n) {
    if (n < 0 || n == INT_MAX) { err_no_memory(); return false; }
    if ((size_t)n < sizeof dg->small) { dg->p = dg->small; return true; }
    dg->p = gc_malloc((size_t)n + 1);
    return dg->p != NULL;
}

/* A double's exact decimal expansion has at most 767 significant digits and
 * at most 1074 after the point: asking printf for more only adds zeros
 * (which the layout code pads back), and costs it time per digit. */
#define MAX_SIG_DIGITS 800
#define MAX_FRAC_DIGITS 1100

/* Mode 2: `ndigits` significant digits, correctly rounded. */
static bool digits_sig(double x, int ndigits, Digits *dg) {
    if (ndigits > MAX_SIG_DIGITS) ndigits = MAX_SIG_DIGITS;
    int n = snprintf(NULL, 0, "%.*e", ndigits - 1, x);
    if (!digits_room(dg, n)) return false;
    char *tmp = gc_malloc((size_t)n + 1);
    if (!tmp) { digits_free(dg); return false; }
    snprintf(tmp, (size_t)n + 1, "%.*e", ndigits - 1, x);
    digits_from_e(dg, tmp);
    gc_free(tmp);
    return true;
}

/* Mode 3: `ndigits` digits after the point, correctly rounded. */
static bool digits_fixed(double x, int requested, Digits *dg) {
    int ndigits = requested > MAX_FRAC_DIGITS ? MAX_FRAC_DIGITS : requested;
    int n = snprintf(NULL, 0, "%.*f", ndigits, x);
    if (!digits_room(dg, n)) return false;
    snprintf(dg->p, (size_t)n + 1, "%.*f", ndigits, x);
    /* "iii.fff" → digits "iiifff", decpt = len("iii"), then strip zeros */
    char *dot = strchr(dg->p, '.');
    int intlen = dot ? (int)(dot - dg->p) : n;
    if (dot) memmove(dot, dot + 1, strlen(dot + 1) + 1);
    size_t len = strlen(dg->p), lead = 0;
    while (lead < len && dg->p[lead] == '0') lead++;
    memmove(dg->p, dg->p + lead, len - lead + 1);
    len -= lead;
    while (len && dg->p[len - 1] == '0') len--;
    dg->p[len] = 0;
    dg->len = len;
    dg->decpt = len ? intlen - (int)lead : -requested;
    if (x == 0) { strcpy(dg->p, "0"); dg->len = 1; dg->decpt = 1; }
    return true;
}

/* ===== PyOS_double_to_string ============================================================ */

static intptr_t put_special(const char *word, bool neg, int flags, char *out, size_t cap) {
    char tmp[8];
    int n = snprintf(tmp, sizeof tmp, "%s%s", neg ? "-" : (flags & DTSF_SIGN) ? "+" : "", word);
    if ((size_t)n < cap) memcpy(out, tmp, (size_t)n + 1);
    return n;
}

intptr_t float_to_chars(double d, char code, int precision, int flags, char *out, size_t cap) {
    bool upper = flags & DTSF_UPPER;
    if (isnan(d)) return put_special(upper ? "NAN" : "nan", false, flags, out, cap);
    bool neg = signbit(d);
    if (isinf(d)) return put_special(upper ? "INF" : "inf", neg, flags, out, cap);
    double x = fabs(d);

    Digits dg;
    bool ok = true;
    switch (code) {
    case 'e': precision++; ok = digits_sig(x, precision, &dg); break;
    case 'f': ok = digits_fixed(x, precision, &dg); break;
    case 'g': if (precision == 0) precision = 1; ok = digits_sig(x, precision, &dg); break;
    default:  digits_shortest(x, &dg); break;   /* 'r' */
    }
    if (!ok) return -1;

    bool add_dot_0 = flags & DTSF_ADD_DOT_0, alt = flags & DTSF_ALT;
    if ((flags & DTSF_NO_NEG_0) && neg && (dg.len == 0 || (dg.len == 1 && dg.p[0] == '0'))) neg = false;

    intptr_t decpt = dg.decpt, ndig = (intptr_t)dg.len, vend = ndig;
    bool use_exp = false;
    int exp = 0;
    switch (code) {
    case 'e': use_exp = true; vend = precision; break;
    case 'f': vend = decpt + precision; break;
    case 'g':
        if (decpt <= -4 || decpt > (add_dot_0 ? precision - 1 : precision)) use_exp = true;
        if (alt) vend = precision;
        break;
    default:
        if (decpt <= -4 || decpt > 16) use_exp = true;
        break;
    }
    if (use_exp) { exp = (int)decpt - 1; decpt = 1; }
    intptr_t vstart = decpt <= 0 ? decpt - 1 : 0;
    if (!use_exp && add_dot_0) vend = vend > decpt ? vend : decpt + 1;
    else vend = vend > decpt ? vend : decpt;

    /* sign, zeros, digits with the point, zeros, exponent */
    size_t need = 3 + (size_t)(vend - vstart) + (use_exp ? 6 : 0);
    char stack[128];
    char *buf = need <= sizeof stack ? stack : gc_malloc(need);
    if (!buf) { digits_free(&dg); return -1; }
    char *p = buf;
    if (neg) *p++ = '-';
    else if (flags & DTSF_SIGN) *p++ = '+';
    if (decpt <= 0) {
        memset(p, '0', (size_t)(decpt - vstart)); p += decpt - vstart;
        *p++ = '.';
        memset(p, '0', (size_t)(0 - decpt)); p += 0 - decpt;
    } else {
        memset(p, '0', (size_t)(0 - vstart)); p += 0 - vstart;
    }
    if (0 < decpt && decpt <= ndig) {
        memcpy(p, dg.p, (size_t)decpt); p += decpt;
        *p++ = '.';
        memcpy(p, dg.p + decpt, (size_t)(ndig - decpt)); p += ndig - decpt;
    } else {
        memcpy(p, dg.p, (size_t)ndig); p += ndig;
    }
    if (ndig < decpt) {
        memset(p, '0', (size_t)(decpt - ndig)); p += decpt - ndig;
        *p++ = '.';
        memset(p, '0', (size_t)(vend - decpt)); p += vend - decpt;
    } else {
        memset(p, '0', (size_t)(vend - ndig)); p += vend - ndig;
    }
    if (p[-1] == '.' && !alt) p--;
    if (use_exp) {
        *p++ = upper ? 'E' : 'e';
        p += sprintf(p, "%+.02d", exp);
    }
    digits_free(&dg);
    intptr_t n = p - buf;
    if ((size_t)n < cap) {
        memcpy(out, buf, (size_t)n);
        out[n] = 0;
    }
    if (buf != stack) gc_free(buf);
    return n;
}

int sb_add_double(StrBuf *b, double d, char code, int precision, int flags) {
    char small[64];
    intptr_t n = float_to_chars(d, code, precision, flags, small, sizeof small);
    if (n < 0) { b->failed = true; return -1; }
    if ((size_t)n < sizeof small) { sb_add(b, small, (size_t)n); return b->failed ? -1 : 0; }
    char *p = sb_reserve(b, (size_t)n);
    if (!p) return -1;
    if (float_to_chars(d, code, precision, flags, p, (size_t)n + 1) < 0) { b->failed = true; return -1; }
    b->len += (size_t)n;
    return 0;
}

int float_format_repr(double d, char *buf, size_t n) {
    return (int)float_to_chars(d, 'r', 0, DTSF_ADD_DOT_0, buf, n);
}

Value float_repr_of(double d) {
    char buf[40];
    intptr_t n = float_to_chars(d, 'r', 0, DTSF_ADD_DOT_0, buf, sizeof buf);
    if (n < 0) return VNULL;
    return str_new_known(buf, (size_t)n, (size_t)n);
}

/* ===== float objects ========================================================================= */

#define AS_FLOAT(x) (((FloatObj *)AS_OBJ(x))->v)

Value float_new(double d) {
    FloatObj *f = (FloatObj *)gc_alloc(&FloatType, sizeof(FloatObj));
    if (!f) return VNULL;
    f->v = d;
    return OBJ_VAL(f);
}

static Value float_new_of_type(Type *t, double d) {
    if (t == &FloatType) return float_new(d);
    FloatObj *f = (FloatObj *)gc_alloc(t, t->size);
    if (!f) return VNULL;
    f->v = d;
    return OBJ_VAL(f);
}

bool float_check(Value v) {
    return IS_OBJ(v) && (AS_OBJ(v)->type == &FloatType || type_is_subtype(AS_OBJ(v)->type, &FloatType));
}

/* int → double with OverflowError "int too large to convert to float". */
static int int_to_double(Value v, double *out) {
    if (IS_INT(v)) { *out = (double)AS_INT(v); return 0; }
    double d = int_as_double(v);
    if (d == -1.0 && err_occurred()) return -1;
    *out = d;
    return 0;
}

int float_as_double(Value v, double *out) {
    if (IS_OBJ(v) && AS_OBJ(v)->type == &FloatType) { *out = AS_FLOAT(v); return 0; }
    if (IS_INT(v) || int_check(v)) return int_to_double(v, out);
    if (float_check(v)) { *out = AS_FLOAT(v); return 0; }
    err_format(&Exc_TypeError, "must be real number, not %T", v);
    return -1;
}

/* A real operand: 1 with *out set, 0 if v is not a float or int, -1 on error. */
static int real_operand(Value v, double *out) {
    if (IS_OBJ(v) && AS_OBJ(v)->type == &FloatType) { *out = AS_FLOAT(v); return 1; }
    if (IS_INT(v)) { *out = (double)AS_INT(v); return 1; }
    if (int_check(v)) return int_to_double(v, out) < 0 ? -1 : 1;
    if (float_check(v)) { *out = AS_FLOAT(v); return 1; }
    return 0;
}

/* ---- hash: CPython's _Py_HashDouble (modulus 2**61 - 1, shared with int) ---- */
#define HASH_BITS 61
#define HASH_MODULUS (((uint64_t)1 << HASH_BITS) - 1)

int64_t float_hash(double v) {
    if (isinf(v)) return v > 0 ? 314159 : -314159;
    if (isnan(v)) return 0;
    int e;
    double m = frexp(v, &e);
    int sign = 1;
    if (m < 0) { sign = -1; m = -m; }
    uint64_t x = 0;
    while (m) {
        x = ((x << 28) & HASH_MODULUS) | x >> (HASH_BITS - 28);
        m *= 268435456.0;
        e -= 28;
        uint64_t y = (uint64_t)m;
        m -= (double)y;
        x += y;
        if (x >= HASH_MODULUS) x -= HASH_MODULUS;
    }
    e = e >= 0 ? e % HASH_BITS : HASH_BITS - 1 - ((-1 - e) % HASH_BITS);
    x = ((x << e) & HASH_MODULUS) | x >> (HASH_BITS - e);
    x = x * (uint64_t)(int64_t)sign;
    if (x == (uint64_t)-1) x = (uint64_t)-2;
    return (int64_t)x;
}

/* nan hashes by identity, as in CPython 3.10+ (deterministic per object). */
static int64_t hash_pointer(const void *p) {
    uintptr_t y = (uintptr_t)p;
    y = (y >> 4) | (y << (8 * sizeof(void *) - 4));
    int64_t x = (int64_t)y;
    return x == -1 ? -2 : x;
}

static int64_t float_hash_slot(Value v) {
    double d = AS_FLOAT(v);
    return isnan(d) ? hash_pointer(AS_OBJ(v)) : float_hash(d);
}

static Value float_repr_slot(Value v) { return float_repr_of(AS_FLOAT(v)); }
static int float_truth(Value v) { return AS_FLOAT(v) != 0.0; }

/* ---- arithmetic ---- */

static Value complex_pow_values(double ar, double ai, double br, double bi);

static Value overflow_errno(void) {
    Value msg = str_from_cstr("Numerical result out of range");
    if (!msg) return VNULL;
    Value args[2] = {MK_INT(ERANGE), msg};
    Value e = exc_new(&Exc_OverflowError, args, 2);
    decref(msg);
    if (!e) return VNULL;
    err_set(e);
    return VNULL;
}

static bool is_odd_integer(double x) { return fmod(fabs(x), 2.0) == 1.0; }

static Value float_pow_values(double iv, double iw) {
    if (iw == 0) return float_new(1.0);
    if (isnan(iv)) return float_new(iv);
    if (isnan(iw)) return float_new(iv == 1.0 ? 1.0 : iw);
    if (isinf(iw)) {
        iv = fabs(iv);
        if (iv == 1.0) return float_new(1.0);
        if ((iw > 0.0) == (iv > 1.0)) return float_new(fabs(iw));
        return float_new(0.0);
    }
    if (isinf(iv)) {
        bool odd = is_odd_integer(iw);
        if (iw > 0.0) return float_new(odd ? iv : fabs(iv));
        return float_new(odd ? copysign(0.0, iv) : 0.0);
    }
    if (iv == 0.0) {
        bool odd = is_odd_integer(iw);
        if (iw < 0.0) return err_format(&Exc_ZeroDivisionError, "0.0 cannot be raised to a negative power");
        return float_new(odd ? iv : 0.0);
    }
    bool negate = false;
    if (iv < 0.0) {
        if (iw != floor(iw)) return complex_pow_values(iv, 0.0, iw, 0.0);   /* a complex root */
        iv = -iv;
        negate = is_odd_integer(iw);
    }
    if (iv == 1.0) return float_new(negate ? -1.0 : 1.0);
    double ix = pow(iv, iw);
    if (isinf(ix)) return overflow_errno();
    return float_new(negate ? -ix : ix);
}

static Value float_divmod_values(double vx, double wx) {
    if (wx == 0.0) return err_format(&Exc_ZeroDivisionError, "float divmod()");
    double mod = fmod(vx, wx), div = (vx - mod) / wx, floordiv;
    if (mod) {
        if ((wx < 0) != (mod < 0)) { mod += wx; div -= 1.0; }
    } else {
        mod = copysign(0.0, wx);
    }
    if (div) {
        floordiv = floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = copysign(0.0, vx / wx);
    }
    Value a = float_new(floordiv), b = a ? float_new(mod) : VNULL;
    Value t = b ? tuple_pack(2, a, b) : VNULL;
    if (a) decref(a);
    if (b) decref(b);
    return t;
}

static double float_floordiv_value(double vx, double wx) {
    double mod = fmod(vx, wx), div = (vx - mod) / wx;
    if (mod && (wx < 0) != (mod < 0)) div -= 1.0;
    if (div) {
        double f = floor(div);
        if (div - f > 0.5) f += 1.0;
        return f;
    }
    return copysign(0.0, vx / wx);
}

Value float_binop(Value a, Value b, int op) {
    double x, y;
    int ra = real_operand(a, &x);
    if (ra <= 0) return ra < 0 ? VNULL : incref(NotImplemented);
    int rb = real_operand(b, &y);
    if (rb <= 0) return rb < 0 ? VNULL : incref(NotImplemented);
    switch (op & (BINOP_INPLACE - 1)) {
    case OP_ADD: return float_new(x + y);
    case OP_SUB: return float_new(x - y);
    case OP_MUL: return float_new(x * y);
    case OP_DIV:
        if (y == 0.0) return err_format(&Exc_ZeroDivisionError, "float division by zero");
        return float_new(x / y);
    case OP_FLOORDIV:
        if (y == 0.0) return err_format(&Exc_ZeroDivisionError, "float floor division by zero");
        return float_new(float_floordiv_value(x, y));
    case OP_MOD: {
        if (y == 0.0) return err_format(&Exc_ZeroDivisionError, "float modulo");
        double mod = fmod(x, y);
        if (mod) { if ((y < 0) != (mod < 0)) mod += y; }
        else mod = copysign(0.0, y);
        return float_new(mod);
    }
    case OP_POW:
        return float_pow_values(x, y);
    default:
        return incref(NotImplemented);
    }
}

static Value float_unop(Value a, UnaryOp op) {
    double x = AS_FLOAT(a);
    switch (op) {
    case UNOP_NEG: return float_new(-x);
    case UNOP_POS: return AS_OBJ(a)->type == &FloatType ? incref(a) : float_new(x);
    default: return incref(NotImplemented);
    }
}

/* ---- comparison: exact against ints of any size (CPython's float_richcompare) ---- */

static int cmp_result(int c, RichCmpOp op) {
    switch (op) {
    case RC_LT: return c < 0;
    case RC_LE: return c <= 0;
    case RC_EQ: return c == 0;
    case RC_NE: return c != 0;
    case RC_GT: return c > 0;
    default:    return c >= 0;
    }
}

/* Three-way compare of a finite double with an int, exactly. */
static int cmp_double_int(double x, Value i) {
    if (IS_INT(i)) {
        intptr_t n = AS_INT(i);
        if (n > -(1LL << 53) && n < (1LL << 53)) {
            double y = (double)n;
            return x < y ? -1 : x > y;
        }
    }
    mpz_t zi, zx;
    mpz_init(zi);
    mpz_init(zx);
    int_to_mpz(i, zi);
    mpz_set_d(zx, x);                 /* truncates toward zero */
    int c = mpz_cmp(zx, zi);
    if (c == 0) {
        double frac = x - trunc(x);
        c = frac > 0 ? 1 : frac < 0 ? -1 : 0;
    }
    mpz_clear(zi);
    mpz_clear(zx);
    return c > 0 ? 1 : c < 0 ? -1 : 0;
}

static RichCmpOp swapped(RichCmpOp op) {
    switch (op) {
    case RC_LT: return RC_GT;
    case RC_LE: return RC_GE;
    case RC_GT: return RC_LT;
    case RC_GE: return RC_LE;
    default:    return op;
    }
}

/* x OP other, where other is a float or an int. -1 = NotImplemented. */
static int float_compare(double x, Value other, RichCmpOp op) {
    if (float_check(other)) {
        double y = AS_FLOAT(other);
        switch (op) {
        case RC_LT: return x < y;
        case RC_LE: return x <= y;
        case RC_EQ: return x == y;
        case RC_NE: return x != y;
        case RC_GT: return x > y;
        default:    return x >= y;
        }
    }
    if (!int_check(other)) return -1;
    if (isnan(x)) return op == RC_NE;
    if (isinf(x)) return cmp_result(x > 0 ? 1 : -1, op);
    return cmp_result(cmp_double_int(x, other), op);
}

static Value float_richcmp(Value a, Value b, RichCmpOp op) {
    int r;
    if (float_check(a)) r = float_compare(AS_FLOAT(a), b, op);
    else r = float_compare(AS_FLOAT(b), a, swapped(op));
    if (r < 0) return incref(NotImplemented);
    return bool_new(r);
}

/* ---- float(x) ---- */

/* Python's float() grammar: underscores only between digits; inf/nan words. */
static Value parse_float_text(const char *s, size_t len, Value orig) {
    /* strip whitespace (Unicode too) */
    size_t i = 0, j = len;
    while (i < j) {
        uint32_t c;
        size_t n = str_utf8_decode(s + i, j - i, &c);
        if (!uni_isspace(c)) break;
        i += n;
    }
    while (j > i) {
        size_t k = j - 1;
        while (k > i && ((uint8_t)s[k] & 0xC0) == 0x80) k--;
        uint32_t c;
        str_utf8_decode(s + k, j - k, &c);
        if (!uni_isspace(c)) break;
        j = k;
    }
    char small[128];
    size_t n = j - i;
    char *buf = n < sizeof small ? small : gc_malloc(n + 1);
    if (!buf) return VNULL;
    /* copy: Unicode decimal digits become ASCII ones (as CPython's
     * _PyUnicode_TransformDecimalAndSpaceToASCII), and underscores must sit
     * between two digits, which are then joined */
    size_t m = 0;
    bool ok = n > 0;
    for (size_t k = i; k < j && ok;) {
        uint32_t c;
        size_t len = str_utf8_decode(s + k, j - k, &c);
        k += len;
        if (c == '_') {
            ok = m > 0 && (unsigned)(buf[m - 1] - '0') < 10 && k < j;
            if (ok) {
                uint32_t d;
                str_utf8_decode(s + k, j - k, &d);
                ok = uni_decimal_value(d) >= 0;
            }
            continue;
        }
        if (c >= 0x80) {
            int dv = uni_decimal_value(c);
            if (dv < 0) { ok = false; break; }
            c = (uint32_t)('0' + dv);
        }
        buf[m++] = (char)c;
    }
    buf[m] = 0;
    double d = 0;
    if (ok) {
        /* validate the shape before trusting strtod (which also takes hex and "nan(...)") */
        const char *p = buf;
        if (*p == '+' || *p == '-') p++;
        if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity") || !strcasecmp(p, "nan")) {
            d = strtod(buf, NULL);
        } else {
            size_t digits = 0;
            while ((unsigned)(*p - '0') < 10) { p++; digits++; }
            if (*p == '.') { p++; while ((unsigned)(*p - '0') < 10) { p++; digits++; } }
            if (digits && (*p == 'e' || *p == 'E')) {
                p++;
                if (*p == '+' || *p == '-') p++;
                size_t ed = 0;
                while ((unsigned)(*p - '0') < 10) { p++; ed++; }
                if (!ed) digits = 0;
            }
            ok = digits && *p == 0;
            if (ok) d = strtod(buf, NULL);
        }
    }
    if (buf != small) gc_free(buf);
    if (!ok) return err_format(&Exc_ValueError, "could not convert string to float: %R", orig);
    return float_new(d);
}

Value float_from_string_value(Value s);
Value float_from_string_value(Value s) {
    if (str_check(s)) return parse_float_text(STR_DATA(s), STR_LEN(s), s);
    return parse_float_text((const char *)AS_BYTES(s)->data, AS_BYTES(s)->len, s);
}

/* float(x) for any x, as a float object (exact type). */
static Value float_of(Value x) {
    if (IS_OBJ(x) && AS_OBJ(x)->type == &FloatType) return incref(x);
    if (IS_INT(x) || int_check(x)) {
        double d;
        if (int_to_double(x, &d) < 0) return VNULL;
        return float_new(d);
    }
    if (str_check(x) || IS_TYPE(x, &BytesType)) return float_from_string_value(x);
    Type *t = TYPE_OF(x);
    if (type_lookup(t, NM.__float__)) {
        Value r = obj_call_method(x, NM.__float__, NULL, 0);
        if (!r) return VNULL;
        if (!float_check(r)) {
            err_format(&Exc_TypeError, "%s.__float__ returned non-float (type %T)", type_name(t), r);
            decref(r);
            return VNULL;
        }
        if (AS_OBJ(r)->type != &FloatType) {
            Value f = float_new(AS_FLOAT(r));
            decref(r);
            return f;
        }
        return r;
    }
    if (float_check(x)) return float_new(AS_FLOAT(x));
    if (type_lookup(t, NM.__index__)) {
        Value r = obj_call_method(x, NM.__index__, NULL, 0);
        if (!r) return VNULL;
        if (!int_check(r)) {
            err_format(&Exc_TypeError, "__index__ returned non-int (type %T)", r);
            decref(r);
            return VNULL;
        }
        double d;
        int rc = int_to_double(r, &d);
        decref(r);
        return rc < 0 ? VNULL : float_new(d);
    }
    return err_format(&Exc_TypeError, "float() argument must be a string or a real number, not '%s'", type_name(t));
}

static Value float_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    if (argc_nokw("float", kwnames) < 0 || argc_new("float", nargs, 0, 1) < 0) return VNULL;
    Value f = nargs ? float_of(args[0]) : float_new(0.0);
    if (!f || t == &FloatType) return f;
    Value r = float_new_of_type(t, AS_FLOAT(f));
    decref(f);
    return r;
}

/* ---- methods ---- */

#define NOARGS(qual) \
    (void)args; \
    if (argc_nokw(qual, kw) < 0 || argc_none(qual, nargs) < 0) return VNULL

static Value fm_is_integer(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.is_integer");
    double x = AS_FLOAT(self);
    return bool_new(isfinite(x) && x == floor(x));
}

static Value fm_as_integer_ratio(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.as_integer_ratio");
    double x = AS_FLOAT(self);
    if (isinf(x)) return err_format(&Exc_OverflowError, "cannot convert Infinity to integer ratio");
    if (isnan(x)) return err_format(&Exc_ValueError, "cannot convert NaN to integer ratio");
    int e;
    double f = frexp(x, &e);
    int64_t m = (int64_t)ldexp(f, 53);
    e -= 53;
    while (m && !(m & 1) && e < 0) { m /= 2; e++; }
    if (m == 0) e = 0;
    mpz_t num, den;
    mpz_init_set_si(num, m);
    mpz_init_set_ui(den, 1);
    if (e >= 0) mpz_mul_2exp(num, num, (mp_bitcnt_t)e);
    else mpz_mul_2exp(den, den, (mp_bitcnt_t)-e);
    Value a = int_from_mpz(num), b = a ? int_from_mpz(den) : VNULL;
    mpz_clear(num);
    mpz_clear(den);
    Value t = b ? tuple_pack(2, a, b) : VNULL;
    if (a) decref(a);
    if (b) decref(b);
    return t;
}

static Value fm_hex(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.hex");
    double x = AS_FLOAT(self);
    if (!isfinite(x)) return float_repr_of(x);
    if (x == 0.0) return str_from_cstr(signbit(x) ? "-0x0.0p+0" : "0x0.0p+0");
    int e;
    double m = frexp(fabs(x), &e);
    int shift = 1 - (DBL_MIN_EXP - e > 0 ? DBL_MIN_EXP - e : 0);
    m = ldexp(m, shift);
    e -= shift;
    char s[32];
    size_t si = 0;
    static const char hex[] = "0123456789abcdef";
    s[si++] = hex[(int)m];
    m -= (int)m;
    s[si++] = '.';
    for (int i = 0; i < (DBL_MANT_DIG - 1) / 4; i++) {
        m *= 16.0;
        s[si++] = hex[(int)m];
        m -= (int)m;
    }
    s[si] = 0;
    return str_from_fmt("%s0x%sp%c%d", x < 0 ? "-" : "", s, e < 0 ? '-' : '+', e < 0 ? -e : e);
}

static Value fm_fromhex(Value cls, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("float.fromhex", kw) < 0 || argc_one("float.fromhex", nargs) < 0) return VNULL;
    Value s = args[0];
    if (!str_check(s)) return err_format(&Exc_TypeError, "fromhex() argument must be str, not %T", s);
    const char *p = STR_DATA(s), *end = p + STR_LEN(s);
    while (p < end && uni_isspace((uint8_t)*p)) p++;
    while (end > p && uni_isspace((uint8_t)end[-1])) end--;
    char buf[512];
    size_t n = (size_t)(end - p);
    bool ok = n > 0 && n < sizeof buf - 3;
    double d = 0;
    if (ok) {
        size_t k = 0;
        const char *q = p;
        if (*q == '+' || *q == '-') buf[k++] = *q++;
        size_t rest = (size_t)(end - q);
        char word[16];
        if (rest < sizeof word) {
            memcpy(word, q, rest);
            word[rest] = 0;
        } else word[0] = 0;
        if (!strcasecmp(word, "inf") || !strcasecmp(word, "infinity") || !strcasecmp(word, "nan")) {
            memcpy(buf + k, q, rest);
            buf[k + rest] = 0;
            d = strtod(buf, NULL);
        } else {
            if (rest >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) q += 2;
            buf[k++] = '0'; buf[k++] = 'x';
            size_t digits = 0;
            while (q < end && isxdigit((unsigned char)*q)) { buf[k++] = *q++; digits++; }
            if (q < end && *q == '.') { buf[k++] = *q++; while (q < end && isxdigit((unsigned char)*q)) { buf[k++] = *q++; digits++; } }
            if (!digits) ok = false;
            if (q < end && (*q == 'p' || *q == 'P')) {
                buf[k++] = *q++;
                if (q < end && (*q == '+' || *q == '-')) buf[k++] = *q++;
                size_t ed = 0;
                while (q < end && (unsigned)(*q - '0') < 10) { buf[k++] = *q++; ed++; }
                if (!ed) ok = false;
            } else {
                buf[k++] = 'p'; buf[k++] = '0';
            }
            if (q != end) ok = false;
            buf[k] = 0;
            if (ok) {
                errno = 0;
                d = strtod(buf, NULL);
                if (isinf(d))
                    return err_format(&Exc_OverflowError, "hexadecimal value too large to represent as a float");
            }
        }
    }
    if (!ok) return err_format(&Exc_ValueError, "invalid hexadecimal floating-point string");
    Value f = float_new(d);
    if (!f || cls == OBJ_VAL(&FloatType) || !cls) return f;
    Value r = obj_call1(cls, f);
    decref(f);
    return r;
}

static Value fm_conjugate(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.conjugate");
    return float_new(AS_FLOAT(self));
}

static Value fm_float(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__float__");
    return AS_OBJ(self)->type == &FloatType ? incref(self) : float_new(AS_FLOAT(self));
}

static Value fm_trunc(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__trunc__");
    return int_from_double(AS_FLOAT(self));
}

static Value fm_floor(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__floor__");
    return int_from_double(floor(AS_FLOAT(self)));
}

static Value fm_ceil(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__ceil__");
    return int_from_double(ceil(AS_FLOAT(self)));
}

static Value fm_abs(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__abs__");
    return float_new(fabs(AS_FLOAT(self)));
}

static Value fm_getnewargs(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("float.__getnewargs__");
    Value f = float_new(AS_FLOAT(self));
    if (!f) return VNULL;
    Value t = tuple_pack(1, f);
    decref(f);
    return t;
}

static Value fm_format(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("float.__format__", kw) < 0 || argc_one("float.__format__", nargs) < 0) return VNULL;
    if (!str_check(args[0]))
        return err_format(&Exc_TypeError, "__format__() argument must be str, not %T", args[0]);
    return format_float(AS_FLOAT(self), STR_DATA(args[0]), STR_LEN(args[0]));
}

static Value fm_divmod(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("float.__divmod__", kw) < 0 || argc_one("float.__divmod__", nargs) < 0) return VNULL;
    double y;
    int r = real_operand(args[0], &y);
    if (r <= 0) return r < 0 ? VNULL : incref(NotImplemented);
    return float_divmod_values(AS_FLOAT(self), y);
}

static Value fm_rdivmod(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("float.__rdivmod__", kw) < 0 || argc_one("float.__rdivmod__", nargs) < 0) return VNULL;
    double x;
    int r = real_operand(args[0], &x);
    if (r <= 0) return r < 0 ? VNULL : incref(NotImplemented);
    return float_divmod_values(x, AS_FLOAT(self));
}

/* round(x, n): round the exact binary value half-to-even at 10**-n, then
 * read the decimal result back (correctly rounded), as CPython does. */
static Value double_round(double x, intptr_t nd) {
    int e;
    double f = frexp(fabs(x), &e);
    int64_t m = (int64_t)ldexp(f, 53);   /* |x| = m * 2**e exactly */
    e -= 53;
    mpz_t num, den, q, r;
    mpz_inits(num, den, q, r, NULL);
    mpz_set_si(num, m);
    mpz_set_ui(den, 1);
    if (e >= 0) mpz_mul_2exp(num, num, (mp_bitcnt_t)e);
    else mpz_mul_2exp(den, den, (mp_bitcnt_t)-e);
    mpz_t p10;
    mpz_init(p10);
    mpz_ui_pow_ui(p10, 10, (unsigned long)(nd >= 0 ? nd : -nd));
    if (nd >= 0) mpz_mul(num, num, p10);
    else mpz_mul(den, den, p10);
    /* q = round_half_even(num / den) */
    mpz_fdiv_qr(q, r, num, den);
    mpz_mul_2exp(r, r, 1);
    int c = mpz_cmp(r, den);
    if (c > 0 || (c == 0 && mpz_odd_p(q))) mpz_add_ui(q, q, 1);
    size_t qlen = mpz_sizeinbase(q, 10);
    char *s = gc_malloc(qlen + 32);
    Value res = VNULL;
    if (s) {
        s[0] = signbit(x) ? '-' : '+';
        mpz_get_str(s + 1, 10, q);
        size_t k = strlen(s);
        snprintf(s + k, 32, "e%ld", (long)-nd);
        double y = strtod(s, NULL);
        gc_free(s);
        if (isinf(y)) err_format(&Exc_OverflowError, "rounded value too large to represent");
        else res = float_new(y);
    }
    mpz_clears(num, den, q, r, p10, NULL);
    return res;
}

static Value fm_round(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("float.__round__", kw) < 0 || argc_new("__round__", nargs, 0, 1) < 0) return VNULL;
    Value a[1] = {nargs ? args[0] : VNULL};
    double x = AS_FLOAT(self);
    if (!a[0] || IS_NONE(a[0])) {
        double rounded = round(x);
        if (fabs(x - rounded) == 0.5) rounded = 2.0 * round(x / 2.0);
        return int_from_double(rounded);
    }
    intptr_t nd;
    if (arg_as_ssize(a[0], &nd) < 0) {
        if (!err_matches(&Exc_OverflowError)) return VNULL;
        err_clear();
        nd = int_sign(a[0]) < 0 ? INTPTR_MIN : INTPTR_MAX;
    }
    if (!isfinite(x)) return float_new(x);
    /* beyond these, every double is unchanged or rounds to zero */
    const intptr_t NDIGITS_MAX = (intptr_t)((DBL_MANT_DIG - DBL_MIN_EXP) * 0.30103);
    const intptr_t NDIGITS_MIN = -(intptr_t)((DBL_MAX_EXP + 1) * 0.30103);
    if (nd > NDIGITS_MAX) return float_new(x);
    if (nd < NDIGITS_MIN) return float_new(0.0 * x);
    if (x == 0.0) return float_new(x);
    return double_round(x, nd);
}

static Value fg_real(Value self) { return float_new(AS_FLOAT(self)); }
static Value fg_imag(Value self) { (void)self; return float_new(0.0); }

static const MethodDef float_methods[] = {
    {"is_integer", fm_is_integer, 0},
    {"as_integer_ratio", fm_as_integer_ratio, 0},
    {"hex", fm_hex, 0},
    {"fromhex", fm_fromhex, METH_CLASS},
    {"conjugate", fm_conjugate, 0},
    {"__float__", fm_float, 0},
    {"__trunc__", fm_trunc, 0},
    {"__int__", fm_trunc, 0},
    {"__floor__", fm_floor, 0},
    {"__ceil__", fm_ceil, 0},
    {"__abs__", fm_abs, 0},
    {"__round__", fm_round, 0},
    {"__format__", fm_format, 0},
    {"__divmod__", fm_divmod, 0},
    {"__rdivmod__", fm_rdivmod, 0},
    {"__getnewargs__", fm_getnewargs, 0},
    {NULL, NULL, 0},
};

static const GetSetDef float_getsets[] = {
    {"real", fg_real, NULL},
    {"imag", fg_imag, NULL},
    {NULL, NULL, NULL},
};

Type FloatType = {
    STATIC_TYPE_HEAD,
    .name = "float",
    .flags = TF_BASETYPE,
    .size = sizeof(FloatObj),
    .tp_new = float_tp_new,
    .repr = float_repr_slot,
    .hash = float_hash_slot,
    .richcmp = float_richcmp,
    .truth = float_truth,
    .binop = float_binop,
    .unop = float_unop,
};

/* ===== complex ================================================================================ */

#define AS_COMPLEX(v) ((ComplexObj *)AS_OBJ(v))
typedef struct { double re, im; } Cx;

Value complex_new(double re, double im) {
    ComplexObj *c = (ComplexObj *)gc_alloc(&ComplexType, sizeof(ComplexObj));
    if (!c) return VNULL;
    c->re = re;
    c->im = im;
    return OBJ_VAL(c);
}

static Value cx_new(Cx c) { return complex_new(c.re, c.im); }

static Cx cx_prod(Cx a, Cx b) { return (Cx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

/* CPython's _Py_c_quot (Smith's method); *edom for division by zero. */
static Cx cx_quot(Cx a, Cx b, bool *edom) {
    double abs_br = fabs(b.re), abs_bi = fabs(b.im);
    Cx r;
    if (abs_br >= abs_bi) {
        if (abs_br == 0.0) { *edom = true; r.re = r.im = 0.0; }
        else {
            double ratio = b.im / b.re, denom = b.re + b.im * ratio;
            r.re = (a.re + a.im * ratio) / denom;
            r.im = (a.im - a.re * ratio) / denom;
        }
    } else if (abs_bi >= abs_br) {
        double ratio = b.re / b.im, denom = b.re * ratio + b.im;
        r.re = (a.re * ratio + a.im) / denom;
        r.im = (a.im * ratio - a.re) / denom;
    } else {
        r.re = r.im = NAN;
    }
    return r;
}

static Cx cx_pow(Cx a, Cx b, bool *edom) {
    if (b.re == 0.0 && b.im == 0.0) return (Cx){1.0, 0.0};
    if (a.re == 0.0 && a.im == 0.0) {
        if (b.im != 0.0 || b.re < 0.0) *edom = true;
        return (Cx){0.0, 0.0};
    }
    double vabs = hypot(a.re, a.im), len = pow(vabs, b.re), at = atan2(a.im, a.re), phase = at * b.re;
    if (b.im != 0.0) {
        len /= exp(at * b.im);
        phase += b.im * log(vabs);
    }
    return (Cx){len * cos(phase), len * sin(phase)};
}

static Cx cx_powu(Cx x, long n) {
    Cx r = {1.0, 0.0}, p = x;
    long mask = 1;
    while (mask > 0 && n >= mask) {
        if (n & mask) r = cx_prod(r, p);
        mask <<= 1;
        p = cx_prod(p, p);
    }
    return r;
}

static Value complex_pow_values(double ar, double ai, double br, double bi) {
    Cx a = {ar, ai}, b = {br, bi}, p;
    bool edom = false;
    if (b.im == 0.0 && b.re == floor(b.re) && fabs(b.re) <= 100.0) {
        long n = (long)b.re;
        p = n > 0 ? cx_powu(a, n) : cx_quot((Cx){1.0, 0.0}, cx_powu(a, -n), &edom);
    } else {
        p = cx_pow(a, b, &edom);
    }
    if (edom) return err_format(&Exc_ZeroDivisionError, "0.0 to a negative or complex power");
    if (isinf(p.re) || isinf(p.im)) return err_format(&Exc_OverflowError, "complex exponentiation");
    return cx_new(p);
}

/* A complex operand: 1 with *out set, 0 if not a number, -1 on error. */
static int complex_operand(Value v, Cx *out) {
    if (IS_TYPE(v, &ComplexType)) { out->re = AS_COMPLEX(v)->re; out->im = AS_COMPLEX(v)->im; return 1; }
    double d;
    int r = real_operand(v, &d);
    if (r > 0) { out->re = d; out->im = 0.0; }
    return r;
}

static Value complex_binop(Value a, Value b, int op) {
    Cx x, y;
    int ra = complex_operand(a, &x);
    if (ra <= 0) return ra < 0 ? VNULL : incref(NotImplemented);
    int rb = complex_operand(b, &y);
    if (rb <= 0) return rb < 0 ? VNULL : incref(NotImplemented);
    switch (op & (BINOP_INPLACE - 1)) {
    case OP_ADD: return complex_new(x.re + y.re, x.im + y.im);
    case OP_SUB: return complex_new(x.re - y.re, x.im - y.im);
    case OP_MUL: return cx_new(cx_prod(x, y));
    case OP_DIV: {
        bool edom = false;
        Cx q = cx_quot(x, y, &edom);
        if (edom) return err_format(&Exc_ZeroDivisionError, "complex division by zero");
        return cx_new(q);
    }
    case OP_POW: return complex_pow_values(x.re, x.im, y.re, y.im);
    default: return incref(NotImplemented);
    }
}

static Value complex_unop(Value a, UnaryOp op) {
    ComplexObj *c = AS_COMPLEX(a);
    switch (op) {
    case UNOP_NEG: return complex_new(-c->re, -c->im);
    case UNOP_POS: return incref(a);
    default: return incref(NotImplemented);
    }
}

static Value complex_richcmp(Value a, Value b, RichCmpOp op) {
    if (op != RC_EQ && op != RC_NE) return incref(NotImplemented);
    Value c = IS_TYPE(a, &ComplexType) ? a : b, other = c == a ? b : a;
    ComplexObj *z = AS_COMPLEX(c);
    bool eq;
    if (IS_TYPE(other, &ComplexType)) {
        eq = z->re == AS_COMPLEX(other)->re && z->im == AS_COMPLEX(other)->im;
    } else if (int_check(other) || float_check(other)) {
        if (z->im != 0.0) eq = false;
        else {
            int r = float_compare(z->re, other, RC_EQ);
            if (r < 0) return incref(NotImplemented);
            eq = r;
        }
    } else {
        return incref(NotImplemented);
    }
    return bool_new(op == RC_EQ ? eq : !eq);
}

static int64_t complex_hash(Value v) {
    ComplexObj *c = AS_COMPLEX(v);
    int64_t hr = isnan(c->re) ? hash_pointer(AS_OBJ(v)) : float_hash(c->re);
    int64_t hi = isnan(c->im) ? hash_pointer(AS_OBJ(v)) : float_hash(c->im);
    uint64_t h = (uint64_t)hr + 1000003u * (uint64_t)hi;
    if (h == (uint64_t)-1) h = (uint64_t)-2;
    return (int64_t)h;
}

static Value complex_repr(Value v) {
    ComplexObj *c = AS_COMPLEX(v);
    StrBuf b;
    sb_init(&b);
    if (c->re == 0.0 && !signbit(c->re)) {
        sb_add_double(&b, c->im, 'r', 0, 0);
        sb_addc(&b, 'j');
    } else {
        sb_addc(&b, '(');
        sb_add_double(&b, c->re, 'r', 0, 0);
        sb_add_double(&b, c->im, 'r', 0, DTSF_SIGN);
        sb_add(&b, "j)", 2);
    }
    return sb_finish(&b);
}

static int complex_truth(Value v) { return AS_COMPLEX(v)->re != 0.0 || AS_COMPLEX(v)->im != 0.0; }

/* complex(real=0, imag=0) and complex("1+2j") */
static Value complex_from_string(Value s) {
    const char *p = STR_DATA(s), *end = p + STR_LEN(s);
    while (p < end && uni_isspace((uint8_t)*p)) p++;
    while (end > p && uni_isspace((uint8_t)end[-1])) end--;
    if (p < end && *p == '(' && end[-1] == ')') {
        p++; end--;
        while (p < end && uni_isspace((uint8_t)*p)) p++;
        while (end > p && uni_isspace((uint8_t)end[-1])) end--;
    }
    char buf[256];
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof buf) goto bad;
    memcpy(buf, p, n);
    buf[n] = 0;
    /* one or two numbers; each must be something float() accepts */
    double re = 0, im = 0;
    char *q = buf;
    char *e1;
    double x = strtod(q, &e1);
    if (e1 == q) {
        /* "j", "+j", "-j" */
        if (!strcmp(q, "j") || !strcmp(q, "+j")) { im = 1; goto done; }
        if (!strcmp(q, "-j")) { im = -1; goto done; }
        goto bad;
    }
    if (*e1 == 0) { re = x; goto done; }
    if ((*e1 == 'j' || *e1 == 'J') && e1[1] == 0) { im = x; goto done; }
    if (*e1 == '+' || *e1 == '-') {
        re = x;
        char *e2;
        double y = strtod(e1, &e2);
        if (e2 == e1 + 1 || e2 == e1) {   /* "1+j" */
            if ((e1[1] == 'j' || e1[1] == 'J') && e1[2] == 0) { im = *e1 == '-' ? -1 : 1; goto done; }
            goto bad;
        }
        if ((*e2 == 'j' || *e2 == 'J') && e2[1] == 0) { im = y; goto done; }
    }
bad:
    return err_format(&Exc_ValueError, "complex() arg is a malformed string");
done:
    return complex_new(re, im);
}

static Value complex_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)t;
    static const char *const names[] = {"real", "imag"};
    Value a[2];
    if (kwargs_bind("complex", args, nargs, kwnames, names, 2, 2, a) < 0) return VNULL;
    if (!a[0]) return complex_new(0.0, 0.0);
    if (str_check(a[0])) {
        if (a[1]) return err_format(&Exc_TypeError, "complex() can't take second arg if first is a string");
        return complex_from_string(a[0]);
    }
    if (a[1] && str_check(a[1])) return err_format(&Exc_TypeError, "complex() second arg can't be a string");
    Cx x = {0, 0}, y = {0, 0};
    int r = complex_operand(a[0], &x);
    if (r == 0) {
        if (type_lookup(TYPE_OF(a[0]), NM.__float__) || type_lookup(TYPE_OF(a[0]), NM.__index__)) {
            Value f = float_of(a[0]);
            if (!f) return VNULL;
            x.re = AS_FLOAT(f);
            decref(f);
            r = 1;
        } else {
            return err_format(&Exc_TypeError, "complex() first argument must be a string or a number, not '%T'", a[0]);
        }
    }
    if (r < 0) return VNULL;
    if (a[1]) {
        r = complex_operand(a[1], &y);
        if (r == 0) return err_format(&Exc_TypeError, "complex() second argument must be a number, not '%T'", a[1]);
        if (r < 0) return VNULL;
    }
    if (!a[1]) return complex_new(x.re, x.im);
    /* real + imag*1j, touching only the parts that came from complex
     * arguments (so signed zeros survive, as in CPython) */
    if (IS_TYPE(a[1], &ComplexType)) x.re -= y.im;
    if (IS_TYPE(a[0], &ComplexType)) y.re += x.im;
    return complex_new(x.re, y.re);
}

static Value cm_conjugate(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("complex.conjugate");
    return complex_new(AS_COMPLEX(self)->re, -AS_COMPLEX(self)->im);
}

static Value cm_abs(Value self, Value *args, size_t nargs, Value kw) {
    NOARGS("complex.__abs__");
    ComplexObj *c = AS_COMPLEX(self);
    double r = hypot(c->re, c->im);
    if (isinf(r) && isfinite(c->re) && isfinite(c->im))
        return err_format(&Exc_OverflowError, "absolute value too large");
    return float_new(r);
}

static Value cm_format(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("complex.__format__", kw) < 0 || argc_one("complex.__format__", nargs) < 0) return VNULL;
    if (!str_check(args[0]))
        return err_format(&Exc_TypeError, "__format__() argument must be str, not %T", args[0]);
    Value r = complex_repr(self);
    if (!r || STR_LEN(args[0]) == 0) return r;
    Value f = format_str(r, STR_DATA(args[0]), STR_LEN(args[0]));
    decref(r);
    return f;
}

static Value cg_real(Value self) { return float_new(AS_COMPLEX(self)->re); }
static Value cg_imag(Value self) { return float_new(AS_COMPLEX(self)->im); }

static const MethodDef complex_methods[] = {
    {"conjugate", cm_conjugate, 0},
    {"__abs__", cm_abs, 0},
    {"__format__", cm_format, 0},
    {NULL, NULL, 0},
};

static const GetSetDef complex_getsets[] = {
    {"real", cg_real, NULL},
    {"imag", cg_imag, NULL},
    {NULL, NULL, NULL},
};

Type ComplexType = {
    STATIC_TYPE_HEAD,
    .name = "complex",
    .size = sizeof(ComplexObj),
    .tp_new = complex_tp_new,
    .repr = complex_repr,
    .hash = complex_hash,
    .richcmp = complex_richcmp,
    .truth = complex_truth,
    .binop = complex_binop,
    .unop = complex_unop,
};

void float_init_types(void) {
    type_add_methods(&FloatType, float_methods);
    type_add_getsets(&FloatType, float_getsets);
    type_ready(&FloatType);
    type_add_methods(&ComplexType, complex_methods);
    type_add_getsets(&ComplexType, complex_getsets);
    type_ready(&ComplexType);
}
