/* mod_math.c — the math module.
 *
 * Owns: math_module_init and every math.* function, with CPython 3.11's
 * special-value rules and messages ("math domain error" for invalid
 * arguments and singularities, "math range error" for overflow), exact
 * integer functions over GMP (factorial, comb, perm, gcd, lcm, isqrt),
 * fsum (Shewchuk's exact partials, as CPython) and hypot/dist (CPython's
 * compensated vector_norm, so the last digit agrees).
 * Must not touch: int or float internals (it goes through int_internal.h
 * and float_new).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "ast.h"
#include "names.h"
#include "containers.h"
#include "int_internal.h"

/* ===== arguments and errors ============================================================= */

static Value domain_error(void) { return err_format(&Exc_ValueError, "math domain error"); }
static Value range_error(void) { return err_format(&Exc_OverflowError, "math range error"); }

/* x as a double, like PyFloat_AsDouble: float, int, __float__, __index__. */
static int arg_double(Value v, double *out) {
    if (IS_INT(v)) { *out = (double)AS_INT(v); return 0; }
    if (float_check(v)) { *out = ((FloatObj *)AS_OBJ(v))->v; return 0; }
    if (int_check(v)) {
        double d = int_as_double(v);
        if (d == -1.0 && err_occurred()) return -1;
        *out = d;
        return 0;
    }
    Type *t = TYPE_OF(v);
    if (type_lookup(t, NM.__float__)) {
        Value r = obj_call_method(v, NM.__float__, NULL, 0);
        if (!r) return -1;
        if (!float_check(r)) {
            err_format(&Exc_TypeError, "%s.__float__ returned non-float (type %s)",
                       type_name(t), obj_type_name(r));
            decref(r);
            return -1;
        }
        *out = ((FloatObj *)AS_OBJ(r))->v;
        decref(r);
        return 0;
    }
    if (type_lookup(t, NM.__index__)) {
        Value r = index_value(v);
        if (!r) return -1;
        double d = int_as_double(r);
        decref(r);
        if (d == -1.0 && err_occurred()) return -1;
        *out = d;
        return 0;
    }
    err_format(&Exc_TypeError, "must be real number, not %s", obj_type_name(v));
    return -1;
}

/* After a libm call that set errno: ValueError for EDOM, OverflowError for
 * ERANGE unless the result is an underflow (|r| < 1.5). Returns true if an
 * error was raised. */
static bool is_error(double r) {
    if (errno == EDOM) { domain_error(); return true; }
    if (errno == ERANGE) {
        if (fabs(r) < 1.5) return false;
        range_error();
        return true;
    }
    return false;
}

/* "math.sqrt() takes exactly one argument (0 given)" */
static int one_arg(const char *name, size_t nargs, Value kwnames) {
    if (kwnames && TUPLE_LEN(kwnames) > 0) {
        err_format(&Exc_TypeError, "math.%s() takes no keyword arguments", name);
        return -1;
    }
    if (nargs != 1) {
        err_format(&Exc_TypeError, "math.%s() takes exactly one argument (%zu given)", name, nargs);
        return -1;
    }
    return 0;
}

/* "atan2 expected 2 arguments, got 1" */
static int n_args(const char *name, size_t nargs, Value kwnames, size_t min, size_t max) {
    if (kwnames && TUPLE_LEN(kwnames) > 0) {
        err_format(&Exc_TypeError, "%s() takes no keyword arguments", name);
        return -1;
    }
    return ctr_nargs(name, nargs, min, max);
}

static int two_doubles(const char *name, Value *args, size_t nargs, Value kwnames,
                       double *x, double *y) {
    if (n_args(name, nargs, kwnames, 2, 2) < 0) return -1;
    if (arg_double(args[0], x) < 0 || arg_double(args[1], y) < 0) return -1;
    return 0;
}

/* ===== one-argument functions (CPython's math_1) ========================================= */

/* f(x) with the rules: a NaN from a non-NaN is a domain error; an infinity
 * from a finite x is an overflow (if f can overflow) or a singularity. */
static Value math_1(const char *name, Value *args, size_t nargs, Value kwnames,
                    double (*f)(double), bool can_overflow) {
    double x;
    if (one_arg(name, nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    errno = 0;
    double r = f(x);
    if (isnan(r) && !isnan(x)) return domain_error();
    if (isinf(r) && isfinite(x)) return can_overflow ? range_error() : domain_error();
    if (isfinite(r) && errno && is_error(r)) return VNULL;
    return float_new(r);
}

/* gamma and lgamma: CPython computes them itself (Lanczos' approximation
 * with N = 13, g = 6.024680040776729583740234375, the Boost coefficients)
 * rather than trusting libm, so we do the same to print the same digits. */
#define LANCZOS_N 13
static const double lanczos_g = 6.024680040776729583740234375;
static const double lanczos_g_minus_half = 5.524680040776729583740234375;
static const double lanczos_num_coeffs[LANCZOS_N] = {
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
};
/* the denominator is x*(x+1)*...*(x+LANCZOS_N-2) */
static const double lanczos_den_coeffs[LANCZOS_N] = {
    0.0, 39916800.0, 120543840.0, 150917976.0, 105258076.0, 45995730.0,
    13339535.0, 2637558.0, 357423.0, 32670.0, 1925.0, 66.0, 1.0};
#define NGAMMA_INTEGRAL 23
static const double gamma_integral[NGAMMA_INTEGRAL] = {
    1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
    3628800.0, 39916800.0, 479001600.0, 6227020800.0, 87178291200.0,
    1307674368000.0, 20922789888000.0, 355687428096000.0,
    6402373705728000.0, 121645100408832000.0, 2432902008176640000.0,
    51090942171709440000.0, 1124000727777607680000.0,
};
static const double logpi = 1.144729885849400174143427351353058711647;

/* L_g(x) for x > 0, evaluated in 1/x for large x to avoid overflow. */
static double lanczos_sum(double x) {
    double num = 0.0, den = 0.0;
    if (x < 5.0) {
        for (int i = LANCZOS_N; --i >= 0;) {
            num = num * x + lanczos_num_coeffs[i];
            den = den * x + lanczos_den_coeffs[i];
        }
    } else {
        for (int i = 0; i < LANCZOS_N; i++) {
            num = num / x + lanczos_num_coeffs[i];
            den = den / x + lanczos_den_coeffs[i];
        }
    }
    return num / den;
}

/* sin(pi*x), accurate near integers (for the reflection formula). */
static double m_sinpi(double x) {
    double y = fmod(fabs(x), 2.0), r;
    switch ((int)round(2.0 * y)) {
    case 0:  r = sin(M_PI * y); break;
    case 1:  r = cos(M_PI * (y - 0.5)); break;
    case 2:  r = sin(M_PI * (1.0 - y)); break;   /* not -sin(pi*(y-1)): keeps +0.0 */
    case 3:  r = -cos(M_PI * (y - 1.5)); break;
    default: r = sin(M_PI * (y - 2.0)); break;
    }
    return copysign(1.0, x) * r;
}

static double m_gamma(double x) {
    if (!isfinite(x)) {
        if (isnan(x) || x > 0.0) return x;
        errno = EDOM;
        return NAN;
    }
    if (x == 0.0) { errno = EDOM; return copysign(HUGE_VAL, x); }
    if (x == floor(x)) {
        if (x < 0.0) { errno = EDOM; return NAN; }
        if (x <= NGAMMA_INTEGRAL) return gamma_integral[(int)x - 1];
    }
    double absx = fabs(x), r;
    if (absx < 1e-20) {                               /* gamma(x) ~ 1/x near 0 */
        r = 1.0 / x;
        if (isinf(r)) errno = ERANGE;
        return r;
    }
    if (absx > 200.0) {                               /* overflows, or underflows to 0 */
        if (x < 0.0) return 0.0 / m_sinpi(x);
        errno = ERANGE;
        return HUGE_VAL;
    }
    double y = absx + lanczos_g_minus_half, z;
    /* the rounding error in y, used for a correction factor */
    if (absx > lanczos_g_minus_half) {
        double q = y - absx;
        z = q - lanczos_g_minus_half;
    } else {
        double q = y - lanczos_g_minus_half;
        z = q - absx;
    }
    z = z * lanczos_g / y;
    if (x < 0.0) {
        r = -M_PI / m_sinpi(absx) / absx * exp(y) / lanczos_sum(absx);
        r -= z * r;
        if (absx < 140.0) {
            r /= pow(y, absx - 0.5);
        } else {
            double sqrtpow = pow(y, absx / 2.0 - 0.25);
            r /= sqrtpow;
            r /= sqrtpow;
        }
    } else {
        r = lanczos_sum(absx) / exp(y);
        r += z * r;
        if (absx < 140.0) {
            r *= pow(y, absx - 0.5);
        } else {
            double sqrtpow = pow(y, absx / 2.0 - 0.25);
            r *= sqrtpow;
            r *= sqrtpow;
        }
    }
    if (isinf(r)) errno = ERANGE;
    return r;
}

static double m_lgamma(double x) {
    if (!isfinite(x)) return isnan(x) ? x : HUGE_VAL;
    if (x == floor(x) && x <= 2.0) {
        if (x <= 0.0) { errno = EDOM; return HUGE_VAL; }   /* poles */
        return 0.0;                                         /* lgamma(1) = lgamma(2) = 0 */
    }
    double absx = fabs(x);
    if (absx < 1e-20) return -log(absx);
    double r = log(lanczos_sum(absx)) - lanczos_g;
    r += (absx - 0.5) * (log(absx + lanczos_g - 0.5) - 1);
    if (x < 0.0) r = logpi - log(fabs(m_sinpi(absx))) - log(absx) - r;   /* reflection */
    if (isinf(r)) errno = ERANGE;
    return r;
}

/* gamma and lgamma report through errno only (CPython's math_1a). */
static Value math_1a(const char *name, Value *args, size_t nargs, Value kwnames, double (*f)(double)) {
    double x;
    if (one_arg(name, nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    errno = 0;
    double r = f(x);
    if (errno && is_error(r)) return VNULL;
    return float_new(r);
}

#define FUNC1(name, f, can_overflow) \
    static Value math_##name(Value self, Value *args, size_t nargs, Value kwnames) { \
        (void)self; return math_1(#name, args, nargs, kwnames, f, can_overflow); }
#define FUNC1A(name, f) \
    static Value math_##name(Value self, Value *args, size_t nargs, Value kwnames) { \
        (void)self; return math_1a(#name, args, nargs, kwnames, f); }

FUNC1(acos, acos, false)
FUNC1(acosh, acosh, false)
FUNC1(asin, asin, false)
FUNC1(asinh, asinh, false)
FUNC1(atan, atan, false)
FUNC1(atanh, atanh, false)
FUNC1(cbrt, cbrt, false)
FUNC1(cos, cos, false)
FUNC1(cosh, cosh, true)
FUNC1(erf, erf, false)
FUNC1(erfc, erfc, false)
FUNC1(exp, exp, true)
FUNC1(exp2, exp2, true)
FUNC1(expm1, expm1, true)
FUNC1(fabs, fabs, false)
FUNC1(log1p, log1p, false)
FUNC1(sin, sin, false)
FUNC1(sinh, sinh, true)
FUNC1(sqrt, sqrt, false)
FUNC1(tan, tan, false)
FUNC1(tanh, tanh, false)
FUNC1A(gamma, m_gamma)
FUNC1A(lgamma, m_lgamma)

/* ===== logarithms ======================================================================== */

/* func(x) for the log family; ints of any size (log of 10**400 works). */
static int log_helper(Value x, double (*func)(double), double *out) {
    if (int_check(x)) {
        if (int_sign(x) <= 0) { domain_error(); return -1; }
        double d = int_as_double(x);
        if (d == -1.0 && err_occurred()) {
            if (!err_matches(&Exc_OverflowError)) return -1;
            err_clear();
            int64_t e;
            double m = int_frexp(x, &e);
            *out = func(m) + func(2.0) * (double)e;
            return 0;
        }
        *out = func(d);
        return 0;
    }
    double d;
    if (arg_double(x, &d) < 0) return -1;
    errno = 0;
    double r = func(d);
    if (isnan(r) && !isnan(d)) { domain_error(); return -1; }
    if (isinf(r) && isfinite(d)) { domain_error(); return -1; }
    *out = r;
    return 0;
}

static Value math_log(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (kwnames && TUPLE_LEN(kwnames) > 0)
        return err_format(&Exc_TypeError, "math.log() takes no keyword arguments");
    if (nargs < 1 || nargs > 2)
        return err_format(&Exc_TypeError, "math.log requires 1 to 2 arguments");
    double num, den;
    if (log_helper(args[0], log, &num) < 0) return VNULL;
    if (nargs == 1) return float_new(num);
    if (log_helper(args[1], log, &den) < 0) return VNULL;
    if (den == 0.0) return err_format(&Exc_ZeroDivisionError, "float division by zero");
    return float_new(num / den);
}

static Value math_log2(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double r;
    if (one_arg("log2", nargs, kwnames) < 0 || log_helper(args[0], log2, &r) < 0) return VNULL;
    return float_new(r);
}

static Value math_log10(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double r;
    if (one_arg("log10", nargs, kwnames) < 0 || log_helper(args[0], log10, &r) < 0) return VNULL;
    return float_new(r);
}

/* ===== rounding to ints ==================================================================== */

static Value round_with(const char *name, Value *args, size_t nargs, Value kwnames,
                        const char *dunder, double (*f)(double)) {
    if (one_arg(name, nargs, kwnames) < 0) return VNULL;
    Value x = args[0];
    if (IS_TYPE(x, &FloatType)) return int_from_double(f(((FloatObj *)AS_OBJ(x))->v));
    if (IS_INT(x) || IS_TYPE(x, &IntType) || IS_TYPE(x, &BoolType)) return int_exact(x);
    Value meth = str_intern_cstr(dunder);
    if (type_lookup(TYPE_OF(x), meth)) return obj_call_method(x, meth, NULL, 0);
    double d;
    if (arg_double(x, &d) < 0) return VNULL;
    return int_from_double(f(d));
}

static Value math_floor(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return round_with("floor", args, nargs, kwnames, "__floor__", floor);
}

static Value math_ceil(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return round_with("ceil", args, nargs, kwnames, "__ceil__", ceil);
}

static Value math_trunc(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (one_arg("trunc", nargs, kwnames) < 0) return VNULL;
    Value x = args[0];
    if (IS_TYPE(x, &FloatType)) return int_from_double(((FloatObj *)AS_OBJ(x))->v);
    Value meth = str_intern_cstr("__trunc__");
    if (!type_lookup(TYPE_OF(x), meth))
        return err_format(&Exc_TypeError, "type %s doesn't define __trunc__ method", obj_type_name(x));
    return obj_call_method(x, meth, NULL, 0);
}

/* ===== two-argument float functions ======================================================== */

static Value math_atan2(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double y, x;
    if (two_doubles("atan2", args, nargs, kwnames, &y, &x) < 0) return VNULL;
    return float_new(atan2(y, x));
}

static Value math_copysign(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x, y;
    if (two_doubles("copysign", args, nargs, kwnames, &x, &y) < 0) return VNULL;
    return float_new(copysign(x, y));
}

static Value math_fmod(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x, y;
    if (two_doubles("fmod", args, nargs, kwnames, &x, &y) < 0) return VNULL;
    if (isinf(y) && isfinite(x)) return float_new(x);     /* fmod(x, ±inf) is x */
    errno = 0;
    double r = fmod(x, y);
    if (isnan(r)) errno = (!isnan(x) && !isnan(y)) ? EDOM : 0;
    if (errno && is_error(r)) return VNULL;
    return float_new(r);
}

static Value math_remainder(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x, y;
    if (two_doubles("remainder", args, nargs, kwnames, &x, &y) < 0) return VNULL;
    if (isnan(x)) return float_new(x);
    if (isnan(y)) return float_new(y);
    if (isinf(x) || y == 0.0) return domain_error();
    if (isinf(y)) return float_new(x);
    return float_new(remainder(x, y));
}

/* math.pow: IEEE special cases handled here, finite**finite by libm. */
static Value math_pow(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x, y, r;
    if (two_doubles("pow", args, nargs, kwnames, &x, &y) < 0) return VNULL;
    errno = 0;
    if (!isfinite(x) || !isfinite(y)) {
        if (isnan(x)) r = y == 0.0 ? 1.0 : x;
        else if (isnan(y)) r = x == 1.0 ? 1.0 : y;
        else if (isinf(x)) {
            bool odd_y = isfinite(y) && fmod(fabs(y), 2.0) == 1.0;
            if (y > 0.0) r = odd_y ? x : fabs(x);
            else if (y == 0.0) r = 1.0;
            else r = odd_y ? copysign(0.0, x) : 0.0;
        } else {                                        /* y is infinite */
            if (fabs(x) == 1.0) r = 1.0;
            else if (y > 0.0 && fabs(x) > 1.0) r = y;
            else if (y < 0.0 && fabs(x) < 1.0) r = -y;
            else r = 0.0;
        }
    } else {
        r = pow(x, y);
        errno = 0;
        if (isnan(r)) errno = EDOM;                      /* (-x) ** non-integer */
        else if (isinf(r)) errno = x == 0.0 ? EDOM : ERANGE;
    }
    if (errno && is_error(r)) return VNULL;
    return float_new(r);
}

static Value math_ldexp(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (n_args("ldexp", nargs, kwnames, 2, 2) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    if (!int_check(args[1]))
        return err_format(&Exc_TypeError, "Expected an int as second argument to ldexp.");
    int64_t e;
    if (int_as_i64(args[1], &e) < 0) {
        if (!err_matches(&Exc_OverflowError)) return VNULL;
        err_clear();
        e = int_sign(args[1]) < 0 ? INT64_MIN : INT64_MAX;
    }
    double r;
    errno = 0;
    if (x == 0.0 || !isfinite(x)) r = x;
    else if (e > INT_MAX) { r = copysign(HUGE_VAL, x); errno = ERANGE; }
    else if (e < INT_MIN) r = copysign(0.0, x);
    else {
        r = ldexp(x, (int)e);
        if (isinf(r)) errno = ERANGE;
    }
    if (errno && is_error(r)) return VNULL;
    return float_new(r);
}

static Value pair(Value a, Value b) {        /* steals both */
    Value t = (a && b) ? tuple_pack(2, a, b) : VNULL;
    decref(a);
    decref(b);
    return t;
}

static Value math_frexp(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("frexp", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    int e = 0;
    double m = (isnan(x) || isinf(x) || x == 0.0) ? x : frexp(x, &e);
    return pair(float_new(m), MK_INT(e));
}

static Value math_modf(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("modf", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    if (isinf(x)) return pair(float_new(copysign(0.0, x)), float_new(x));
    if (isnan(x)) return pair(float_new(x), float_new(x));
    double ip;
    double frac = modf(x, &ip);
    return pair(float_new(frac), float_new(ip));
}

static Value math_degrees(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("degrees", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    return float_new(x * (180.0 / M_PI));
}

static Value math_radians(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("radians", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    return float_new(x * (M_PI / 180.0));
}

static Value math_isnan(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("isnan", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    return bool_new(isnan(x));
}

static Value math_isinf(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("isinf", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    return bool_new(isinf(x));
}

static Value math_isfinite(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("isfinite", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    return bool_new(isfinite(x));
}

static Value math_nextafter(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x, y;
    if (two_doubles("nextafter", args, nargs, kwnames, &x, &y) < 0) return VNULL;
    return float_new(nextafter(x, y));
}

static Value math_ulp(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    double x;
    if (one_arg("ulp", nargs, kwnames) < 0 || arg_double(args[0], &x) < 0) return VNULL;
    if (isnan(x)) return float_new(x);
    x = fabs(x);
    if (isinf(x)) return float_new(x);
    double x2 = nextafter(x, INFINITY);
    if (isinf(x2)) { x2 = nextafter(x, -INFINITY); return float_new(x - x2); }
    return float_new(x2 - x);
}

/* isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0) */
static Value math_isclose(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (nargs > 2)
        return err_format(&Exc_TypeError, "isclose() takes exactly 2 positional arguments (%zu given)", nargs);
    Value a[4] = {nargs > 0 ? args[0] : VNULL, nargs > 1 ? args[1] : VNULL, VNULL, VNULL};
    static const char *const names[] = {"a", "b", "rel_tol", "abs_tol"};
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t k = 0; k < nkw; k++) {
        Value name = TUPLE_ITEMS(kwnames)[k];
        size_t i = 0;
        while (i < 4 && !str_eq_cstr(name, names[i])) i++;
        if (i == 4)
            return err_format(&Exc_TypeError, "isclose() got an unexpected keyword argument '%S'", name);
        if (a[i])
            return err_format(&Exc_TypeError, "argument for isclose() given by name ('%s') and position (%zu)",
                              names[i], i + 1);
        a[i] = args[nargs + k];
    }
    for (size_t i = 0; i < 2; i++)
        if (!a[i])
            return err_format(&Exc_TypeError, "isclose() missing required argument '%s' (pos %zu)",
                              names[i], i + 1);
    double x, y, rel_tol = 1e-09, abs_tol = 0.0;
    if (arg_double(a[0], &x) < 0 || arg_double(a[1], &y) < 0) return VNULL;
    if (a[2] && arg_double(a[2], &rel_tol) < 0) return VNULL;
    if (a[3] && arg_double(a[3], &abs_tol) < 0) return VNULL;
    if (rel_tol < 0.0 || abs_tol < 0.0)
        return err_format(&Exc_ValueError, "tolerances must be non-negative");
    if (x == y) return bool_new(1);
    if (isinf(x) || isinf(y)) return bool_new(0);
    double diff = fabs(y - x);
    return bool_new(diff <= fabs(rel_tol * y) || diff <= fabs(rel_tol * x) || diff <= abs_tol);
}

/* ===== sums and norms ====================================================================== */

/* fsum: Shewchuk's algorithm, keeping exact partial sums (as CPython). */
static Value math_fsum(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (one_arg("fsum", nargs, kwnames) < 0) return VNULL;
    Value it = obj_iter(args[0]);
    if (!it) return VNULL;
    double stack[32], *p = stack;
    size_t n = 0, cap = 32;
    double special_sum = 0.0, inf_sum = 0.0;
    Value item;
    Value result = VNULL;
    while ((item = obj_next(it))) {
        double x;
        int rc = arg_double(item, &x);
        decref(item);
        if (rc < 0) goto done;
        double xsave = x;
        size_t i = 0;
        for (size_t j = 0; j < n; j++) {
            double y = p[j];
            if (fabs(x) < fabs(y)) { double t = x; x = y; y = t; }
            double hi = x + y;
            double lo = y - (hi - x);
            if (lo != 0.0) p[i++] = lo;
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            if (!isfinite(x)) {
                /* from an inf/nan summand, or an intermediate overflow */
                if (isfinite(xsave)) {
                    err_format(&Exc_OverflowError, "intermediate overflow in fsum");
                    goto done;
                }
                if (isinf(xsave)) inf_sum += xsave;
                special_sum += xsave;
                n = 0;
            } else {
                if (n >= cap) {
                    size_t ncap = cap * 2;
                    double *np = gc_malloc(ncap * sizeof(double));
                    if (!np) goto done;
                    memcpy(np, p, n * sizeof(double));
                    if (p != stack) gc_free(p);
                    p = np;
                    cap = ncap;
                }
                p[n++] = x;
            }
        }
    }
    if (err_occurred()) goto done;
    if (special_sum != 0.0) {
        if (isnan(inf_sum)) err_format(&Exc_ValueError, "-inf + inf in fsum");
        else result = float_new(special_sum);
        goto done;
    }
    double hi = 0.0;
    if (n > 0) {
        double lo = 0.0;
        hi = p[--n];
        /* add from the top down while the sum stays exact */
        while (n > 0) {
            double x = hi, y = p[--n];
            hi = x + y;
            lo = y - (hi - x);
            if (lo != 0.0) break;
        }
        /* half-even rounding across partials: sum([1e-16, 1, 1e16]) */
        if (n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0))) {
            double y = lo * 2.0;
            double x = hi + y;
            if (y == x - hi) hi = x;
        }
    }
    result = float_new(hi);
done:
    if (p != stack) gc_free(p);
    decref(it);
    return result;
}

/* The Euclidean norm of vec (|entries| <= max), as CPython 3.11 computes it:
 * scale by a power of two, accumulate the squares in extended precision,
 * take the square root and apply one step of differential correction. */
static double vector_norm(size_t n, double *vec, double max, bool found_nan) {
    const double T27 = 134217729.0;              /* 2**27 + 1: Veltkamp splitting */
    if (isinf(max)) return max;
    if (found_nan) return NAN;
    if (max == 0.0 || n <= 1) return max;
    int max_e;
    frexp(max, &max_e);
    if (max_e < -1023) {                         /* subnormals: rescale first */
        for (size_t i = 0; i < n; i++) vec[i] /= DBL_MIN;
        return DBL_MIN * vector_norm(n, vec, max / DBL_MIN, found_nan);
    }
    double scale = ldexp(1.0, -max_e);
    double csum = 1.0, frac1 = 0.0, frac2 = 0.0, frac3 = 0.0, oldcsum, x, t, hi, lo;
    for (size_t i = 0; i < n; i++) {
        x = vec[i] * scale;
        t = x * T27;
        hi = t - (t - x);
        lo = x - hi;
        x = hi * hi;
        oldcsum = csum; csum += x; frac1 += (oldcsum - csum) + x;
        x = 2.0 * hi * lo;
        oldcsum = csum; csum += x; frac2 += (oldcsum - csum) + x;
        frac3 += lo * lo;
    }
    double h = sqrt(csum - 1.0 + (frac1 + frac2 + frac3));
    x = h;
    t = x * T27;
    hi = t - (t - x);
    lo = x - hi;
    x = -hi * hi;
    oldcsum = csum; csum += x; frac1 += (oldcsum - csum) + x;
    x = -2.0 * hi * lo;
    oldcsum = csum; csum += x; frac2 += (oldcsum - csum) + x;
    x = -lo * lo;
    oldcsum = csum; csum += x; frac3 += (oldcsum - csum) + x;
    x = csum - 1.0 + (frac1 + frac2 + frac3);
    return (h + x / (2.0 * h)) / scale;
}

/* |values| into a buffer (stack for small counts), with their max and NaN flag. */
static double *abs_values(Value *items, size_t n, double *stack, size_t stackn,
                          double *max, bool *found_nan) {
    double *v = n <= stackn ? stack : gc_malloc(n * sizeof(double));
    if (!v) return NULL;
    *max = 0.0;
    *found_nan = false;
    for (size_t i = 0; i < n; i++) {
        double x;
        if (arg_double(items[i], &x) < 0) { if (v != stack) gc_free(v); return NULL; }
        x = fabs(x);
        v[i] = x;
        *found_nan |= isnan(x);
        if (x > *max) *max = x;
    }
    return v;
}

static Value math_hypot(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (kwnames && TUPLE_LEN(kwnames) > 0)
        return err_format(&Exc_TypeError, "hypot() takes no keyword arguments");
    double stack[16], max;
    bool found_nan;
    double *v = abs_values(args, nargs, stack, 16, &max, &found_nan);
    if (!v) return VNULL;
    double r = vector_norm(nargs, v, max, found_nan);
    if (v != stack) gc_free(v);
    return float_new(r);
}

static Value math_dist(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (n_args("dist", nargs, kwnames, 2, 2) < 0) return VNULL;
    Value pt = tuple_from_iterable(args[0]);
    if (!pt) return VNULL;
    Value qt = tuple_from_iterable(args[1]);
    if (!qt) { decref(pt); return VNULL; }
    Value result = VNULL;
    size_t n = TUPLE_LEN(pt);
    if (n != TUPLE_LEN(qt)) {
        err_format(&Exc_ValueError, "both points must have the same number of dimensions");
        goto done;
    }
    double stack[16];
    double *v = n <= 16 ? stack : gc_malloc(n * sizeof(double));
    if (!v) goto done;
    double max = 0.0;
    bool found_nan = false;
    for (size_t i = 0; i < n; i++) {
        double a, b;
        if (arg_double(TUPLE_ITEMS(pt)[i], &a) < 0 || arg_double(TUPLE_ITEMS(qt)[i], &b) < 0) {
            if (v != stack) gc_free(v);
            goto done;
        }
        double x = fabs(a - b);
        v[i] = x;
        found_nan |= isnan(x);
        if (x > max) max = x;
    }
    result = float_new(vector_norm(n, v, max, found_nan));
    if (v != stack) gc_free(v);
done:
    decref(pt);
    decref(qt);
    return result;
}

/* prod(iterable, /, *, start=1) */
static Value math_prod(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    Value a[2] = {nargs > 0 ? args[0] : VNULL, VNULL};
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nargs > 1)
        return err_format(&Exc_TypeError, "prod() takes exactly 1 positional argument (%zu given)", nargs);
    for (size_t k = 0; k < nkw; k++) {
        Value name = TUPLE_ITEMS(kwnames)[k];
        if (!str_eq_cstr(name, "start"))
            return err_format(&Exc_TypeError, "prod() got an unexpected keyword argument '%S'", name);
        a[1] = args[nargs + k];
    }
    if (!a[0])
        return err_format(&Exc_TypeError, "prod() takes exactly 1 positional argument (0 given)");
    Value it = obj_iter(a[0]);
    if (!it) return VNULL;
    Value acc = a[1] ? incref(a[1]) : MK_INT(1);
    Value item;
    while ((item = obj_next(it))) {
        Value r = obj_binop(acc, item, OP_MUL);
        decref(item);
        decref(acc);
        acc = r;
        if (!acc) break;
    }
    decref(it);
    if (acc && err_occurred()) { decref(acc); return VNULL; }
    return acc;
}

/* ===== integer functions ===================================================================== */

static Value math_gcd(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (kwnames && TUPLE_LEN(kwnames) > 0)
        return err_format(&Exc_TypeError, "gcd() takes no keyword arguments");
    mpz_t g;
    mpz_init(g);
    for (size_t i = 0; i < nargs; i++) {
        Value v = index_value(args[i]);
        if (!v) { mpz_clear(g); return VNULL; }
        IntArg ia;
        mpz_gcd(g, g, int_arg(&ia, v));
        decref(v);
    }
    return int_from_mpz_steal(g);
}

static Value math_lcm(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (kwnames && TUPLE_LEN(kwnames) > 0)
        return err_format(&Exc_TypeError, "lcm() takes no keyword arguments");
    mpz_t l;
    mpz_init_set_ui(l, 1);
    for (size_t i = 0; i < nargs; i++) {
        Value v = index_value(args[i]);
        if (!v) { mpz_clear(l); return VNULL; }
        IntArg ia;
        mpz_srcptr z = int_arg(&ia, v);
        if (mpz_sgn(l) != 0 &&
            (uint64_t)mpz_sizeinbase(l, 2) + mpz_sizeinbase(z, 2) > INT_MAX_BITS) {
            decref(v); mpz_clear(l);
            return err_no_memory();
        }
        mpz_lcm(l, l, z);
        decref(v);
    }
    return int_from_mpz_steal(l);
}

static Value math_isqrt(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (one_arg("isqrt", nargs, kwnames) < 0) return VNULL;
    Value v = index_value(args[0]);
    if (!v) return VNULL;
    if (int_sign(v) < 0) {
        decref(v);
        return err_format(&Exc_ValueError, "isqrt() argument must be nonnegative");
    }
    IntArg ia;
    mpz_t r;
    mpz_init(r);
    mpz_sqrt(r, int_arg(&ia, v));
    decref(v);
    return int_from_mpz_steal(r);
}

/* log2(n!) by Stirling, to refuse results that would not fit in memory. */
static double log2_factorial(double n) {
    return n < 2 ? 0 : (n * log(n) - n + 0.5 * log(2 * M_PI * n)) / M_LN2;
}

static Value math_factorial(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (one_arg("factorial", nargs, kwnames) < 0) return VNULL;
    Value v = index_value(args[0]);
    if (!v) return VNULL;
    int64_t n;
    int rc = int_as_i64(v, &n);
    int sign = int_sign(v);
    decref(v);
    if (rc < 0) {
        if (!err_matches(&Exc_OverflowError)) return VNULL;
        err_clear();
        if (sign < 0) return err_format(&Exc_ValueError, "factorial() not defined for negative values");
        return err_format(&Exc_OverflowError, "factorial() argument should not exceed %ld", (long)INT64_MAX);
    }
    if (n < 0) return err_format(&Exc_ValueError, "factorial() not defined for negative values");
    if (log2_factorial((double)n) > (double)INT_MAX_BITS) return err_no_memory();
    mpz_t r;
    mpz_init(r);
    mpz_fac_ui(r, (unsigned long)n);
    return int_from_mpz_steal(r);
}

/* n and k for comb/perm: non-negative ints (new refs in *n, *k). */
static int comb_args(Value nv, Value kv, Value *n, Value *k) {
    *n = index_value(nv);
    if (!*n) return -1;
    *k = index_value(kv);
    if (!*k) { decref(*n); return -1; }
    const char *msg = int_sign(*n) < 0 ? "n must be a non-negative integer"
                    : int_sign(*k) < 0 ? "k must be a non-negative integer" : NULL;
    if (msg) {
        decref(*n); decref(*k);
        err_format(&Exc_ValueError, "%s", msg);
        return -1;
    }
    return 0;
}

static Value comb_or_perm(Value nv, Value kv, bool is_comb) {
    Value n, k;
    if (comb_args(nv, kv, &n, &k) < 0) return VNULL;
    IntArg an, ak;
    mpz_srcptr zn = int_arg(&an, n), zk = int_arg(&ak, k);
    Value result = VNULL;
    if (mpz_cmp(zk, zn) > 0) { result = MK_INT(0); goto done; }
    mpz_t kk;
    mpz_init(kk);
    mpz_sub(kk, zn, zk);                                 /* n - k */
    if (is_comb && mpz_cmp(kk, zk) > 0) mpz_set(kk, zk); /* comb: min(k, n - k) */
    else if (!is_comb) mpz_set(kk, zk);
    if (!mpz_fits_ulong_p(kk)) {
        mpz_clear(kk);
        err_format(&Exc_OverflowError, is_comb ? "min(n - k, k) must not exceed %ld"
                                               : "k must not exceed %ld", (long)INT64_MAX);
        goto done;
    }
    unsigned long kl = mpz_get_ui(kk);
    mpz_clear(kk);
    /* the result has at most kl * log2(n) bits */
    if ((double)kl * (double)mpz_sizeinbase(zn, 2) > (double)INT_MAX_BITS) {
        err_no_memory();
        goto done;
    }
    mpz_t r;
    mpz_init(r);
    if (is_comb) {
        mpz_bin_ui(r, zn, kl);
    } else if (kl > 64) {                              /* perm = comb * k! */
        mpz_t f;
        mpz_init(f);
        mpz_bin_ui(r, zn, kl);
        mpz_fac_ui(f, kl);
        mpz_mul(r, r, f);
        mpz_clear(f);
    } else {
        mpz_t f;
        mpz_init_set(f, zn);
        mpz_set_ui(r, 1);
        for (unsigned long i = 0; i < kl; i++) {
            mpz_mul(r, r, f);
            mpz_sub_ui(f, f, 1);
        }
        mpz_clear(f);
    }
    result = int_from_mpz_steal(r);
done:
    decref(n);
    decref(k);
    return result;
}

static Value math_comb(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (n_args("comb", nargs, kwnames, 2, 2) < 0) return VNULL;
    return comb_or_perm(args[0], args[1], true);
}

static Value math_perm(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (n_args("perm", nargs, kwnames, 1, 2) < 0) return VNULL;
    if (nargs == 1 || IS_NONE(args[1])) return math_factorial(VNULL, args, 1, VNULL);
    return comb_or_perm(args[0], args[1], false);
}

/* ===== the module ============================================================================ */

static const MethodDef math_functions[] = {
    {"acos", math_acos, 0}, {"acosh", math_acosh, 0}, {"asin", math_asin, 0},
    {"asinh", math_asinh, 0}, {"atan", math_atan, 0}, {"atan2", math_atan2, 0},
    {"atanh", math_atanh, 0}, {"cbrt", math_cbrt, 0}, {"ceil", math_ceil, 0},
    {"comb", math_comb, 0}, {"copysign", math_copysign, 0}, {"cos", math_cos, 0},
    {"cosh", math_cosh, 0}, {"degrees", math_degrees, 0}, {"dist", math_dist, 0},
    {"erf", math_erf, 0}, {"erfc", math_erfc, 0}, {"exp", math_exp, 0},
    {"exp2", math_exp2, 0}, {"expm1", math_expm1, 0}, {"fabs", math_fabs, 0},
    {"factorial", math_factorial, 0}, {"floor", math_floor, 0}, {"fmod", math_fmod, 0},
    {"frexp", math_frexp, 0}, {"fsum", math_fsum, 0}, {"gamma", math_gamma, 0},
    {"gcd", math_gcd, 0}, {"hypot", math_hypot, 0}, {"isclose", math_isclose, 0},
    {"isfinite", math_isfinite, 0}, {"isinf", math_isinf, 0}, {"isnan", math_isnan, 0},
    {"isqrt", math_isqrt, 0}, {"lcm", math_lcm, 0}, {"ldexp", math_ldexp, 0},
    {"lgamma", math_lgamma, 0}, {"log", math_log, 0}, {"log10", math_log10, 0},
    {"log1p", math_log1p, 0}, {"log2", math_log2, 0}, {"modf", math_modf, 0},
    {"nextafter", math_nextafter, 0}, {"perm", math_perm, 0}, {"pow", math_pow, 0},
    {"prod", math_prod, 0}, {"radians", math_radians, 0}, {"remainder", math_remainder, 0},
    {"sin", math_sin, 0}, {"sinh", math_sinh, 0}, {"sqrt", math_sqrt, 0},
    {"tan", math_tan, 0}, {"tanh", math_tanh, 0}, {"trunc", math_trunc, 0},
    {"ulp", math_ulp, 0},
    {NULL, NULL, 0}
};

static int add_float(Value dict, const char *name, double d) {
    Value f = float_new(d);
    if (!f) return -1;
    int rc = dict_set_str(dict, name, f);
    decref(f);
    return rc;
}

Value math_module_init(void) {
    Value m = module_new(str_intern_cstr("math"));
    if (!m) return VNULL;
    Value dict = ((ModuleObj *)AS_OBJ(m))->dict;
    for (const MethodDef *d = math_functions; d->name; d++) {
        Value f = cfunc_new(d->name, d->fn, VNULL);
        if (!f || dict_set_str(dict, d->name, f) < 0) { decref(f); decref(m); return VNULL; }
        decref(f);
    }
    if (add_float(dict, "pi", M_PI) < 0 || add_float(dict, "e", M_E) < 0 ||
        add_float(dict, "tau", 2 * M_PI) < 0 || add_float(dict, "inf", INFINITY) < 0 ||
        add_float(dict, "nan", NAN) < 0) {
        decref(m);
        return VNULL;
    }
    return m;
}
