/* format.c — the format-spec mini-language and printf-style `%` formatting.
 *
 * Owns: parsing [[fill]align][sign][z][#][0][width][grouping][.precision][type],
 * the layout of numbers (sign, prefix, padding, digit grouping with zero
 * fill) for int, float and str, format() dispatch, and "fmt % args".
 * Must not touch: how floats become digits (obj_float.c's float_to_chars),
 * str internals beyond the public macros, __format__ lookup for user types
 * (object.c's obj_format).
 *
 * Everything follows CPython's Python/formatter_unicode.c and
 * Objects/unicodeobject.c (PyUnicode_Format), including the order in which
 * errors are detected, since that decides which message a program sees.
 */
#include <string.h>
#include <limits.h>
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "text_internal.h"

/* ===== the spec ======================================================================= */

typedef struct {
    uint32_t fill;
    char align;          /* '<' '>' '^' '=' */
    char sign;           /* 0 '+' '-' ' ' */
    bool z, alt;
    intptr_t width;      /* -1: none */
    char grouping;       /* 0 ',' '_' */
    int group;           /* digits per group: 3, or 4 for '_' with b/o/x/X */
    intptr_t precision;  /* -1: none */
    char type;           /* 0: none */
} Spec;

static bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

/* Digits at s[*pos]; returns the count consumed, -1 with ValueError on overflow. */
static intptr_t spec_integer(const char *s, size_t n, size_t *pos, intptr_t *out) {
    intptr_t acc = 0, count = 0;
    while (*pos < n && (unsigned)(s[*pos] - '0') < 10) {
        int d = s[*pos] - '0';
        if (acc > (INTPTR_MAX - d) / 10) {
            err_format(&Exc_ValueError, "Too many decimal digits in format string");
            return -1;
        }
        acc = acc * 10 + d;
        (*pos)++;
        count++;
    }
    *out = acc;
    return count;
}

static int parse_spec(const char *s, size_t n, Spec *sp, char default_type, char default_align,
                      const char *tname) {
    sp->fill = ' ';
    sp->align = default_align;
    sp->sign = 0;
    sp->z = sp->alt = false;
    sp->width = sp->precision = -1;
    sp->grouping = 0;
    sp->group = 3;
    sp->type = default_type;
    size_t pos = 0;
    bool fill_given = false, align_given = false;

    /* a fill character (any code point) is recognised by the alignment after it */
    uint32_t c0 = 0;
    size_t l0 = n ? str_utf8_decode(s, n, &c0) : 0;
    if (n > l0 && is_align(s[l0])) {
        sp->fill = c0;
        sp->align = s[l0];
        fill_given = align_given = true;
        pos = l0 + 1;
    } else if (n && is_align(s[0])) {
        sp->align = s[0];
        align_given = true;
        pos = 1;
    }
    if (pos < n && (s[pos] == '+' || s[pos] == '-' || s[pos] == ' ')) sp->sign = s[pos++];
    if (pos < n && s[pos] == 'z') { sp->z = true; pos++; }
    if (pos < n && s[pos] == '#') { sp->alt = true; pos++; }
    if (!fill_given && pos < n && s[pos] == '0') {
        sp->fill = '0';
        if (!align_given && default_align == '>') sp->align = '=';
        pos++;
    }
    intptr_t got = spec_integer(s, n, &pos, &sp->width);
    if (got < 0) return -1;
    if (got == 0) sp->width = -1;
    if (pos < n && s[pos] == ',') { sp->grouping = ','; pos++; }
    if (pos < n && s[pos] == '_') {
        if (sp->grouping) { err_format(&Exc_ValueError, "Cannot specify both ',' and '_'."); return -1; }
        sp->grouping = '_';
        pos++;
    }
    if (pos < n && s[pos] == ',' && sp->grouping == '_') {
        err_format(&Exc_ValueError, "Cannot specify both ',' and '_'.");
        return -1;
    }
    if (pos < n && s[pos] == '.') {
        pos++;
        got = spec_integer(s, n, &pos, &sp->precision);
        if (got < 0) return -1;
        if (got == 0) { err_format(&Exc_ValueError, "Format specifier missing precision"); return -1; }
    }
    if (n - pos > 1) {
        err_format(&Exc_ValueError, "Invalid format specifier '%s' for object of type '%s'", s, tname);
        return -1;
    }
    if (n - pos == 1) sp->type = s[pos];
    if (sp->grouping) {
        switch (sp->type) {
        case 'd': case 'e': case 'f': case 'g': case 'E': case 'G': case '%': case 'F': case 0:
            break;
        case 'b': case 'o': case 'x': case 'X':
            if (sp->grouping == '_') { sp->group = 4; break; }
            /* fall through */
        default:
            if (sp->type > 32 && (unsigned char)sp->type < 128)
                err_format(&Exc_ValueError, "Cannot specify '%c' with '%c'.", sp->grouping, sp->type);
            else
                err_format(&Exc_ValueError, "Cannot specify '%c' with '\\x%x'.", sp->grouping, (unsigned)(unsigned char)sp->type);
            return -1;
        }
    }
    return 0;
}

/* parse_spec needs a NUL-terminated spec for its error message. */
static int parse_spec_n(const char *s, size_t n, Spec *sp, char dtype, char dalign, const char *tname) {
    char small[64];
    char *copy = n < sizeof small ? small : gc_malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, s, n);
    copy[n] = 0;
    int rc = parse_spec(copy, n, sp, dtype, dalign, tname);
    if (copy != small) gc_free(copy);
    return rc;
}

static Value unknown_code(char type, const char *tname) {
    if (type > 32 && (unsigned char)type < 128)
        return err_format(&Exc_ValueError, "Unknown format code '%c' for object of type '%s'", type, tname);
    return err_format(&Exc_ValueError, "Unknown format code '\\x%x' for object of type '%s'",
                      (unsigned)(unsigned char)type, tname);
}

static void add_fill(StrBuf *b, uint32_t fill, size_t n) {
    if (n == 0) return;
    if (fill < 0x80) {
        char *p = sb_reserve(b, n);
        if (!p) return;
        memset(p, (int)fill, n);
        b->len += n;
        return;
    }
    char enc[4];
    size_t k = str_utf8_encode(fill, enc);
    for (size_t i = 0; i < n && !b->failed; i++) sb_add(b, enc, k);
}

/* ===== strings ======================================================================== */

Value format_str(Value v, const char *spec, size_t len) {
    if (len == 0) return incref(v);
    Spec sp;
    if (parse_spec_n(spec, len, &sp, 's', '<', "str") < 0) return VNULL;
    if (sp.type != 's') return unknown_code(sp.type, "str");
    if (sp.sign == ' ') return err_format(&Exc_ValueError, "Space not allowed in string format specifier");
    if (sp.sign) return err_format(&Exc_ValueError, "Sign not allowed in string format specifier");
    if (sp.z) return err_format(&Exc_ValueError, "Negative zero coercion (z) not allowed in string format specifier");
    if (sp.alt) return err_format(&Exc_ValueError, "Alternate form (#) not allowed in string format specifier");
    if (sp.align == '=') return err_format(&Exc_ValueError, "'=' alignment not allowed in string format specifier");
    StrObj *s = AS_STR(v);
    size_t nchars = s->nchars, nbytes = s->len;
    if (sp.precision >= 0 && (size_t)sp.precision < nchars) {
        nchars = (size_t)sp.precision;
        nbytes = str_offset_of(v, nchars);
    }
    if ((sp.width < 0 || (size_t)sp.width <= nchars) && nbytes == s->len) return incref(v);
    size_t pad = sp.width > (intptr_t)nchars ? (size_t)sp.width - nchars : 0, left = 0;
    if (sp.align == '>') left = pad;
    else if (sp.align == '^') left = pad / 2;
    StrBuf b;
    sb_init(&b);
    add_fill(&b, sp.fill, left);
    sb_add(&b, s->data, nbytes);
    add_fill(&b, sp.fill, pad - left);
    return sb_finish(&b);
}

/* ===== numbers ========================================================================== */

/* Digits with separators every `group`, zero-padded on the left until the
 * grouped text is min_width long — CPython's _PyUnicode_InsertThousandsGrouping,
 * which is why format(1234, '09,') gives '0,001,234'. With `end` NULL it
 * only counts; otherwise it writes right to left, ending just before `end`. */
static size_t group_pass(const char *digits, size_t ndigits, intptr_t min_width, char sep, int group, char *end) {
    intptr_t remaining = (intptr_t)ndigits, mw = min_width;
    bool use_sep = false;
    size_t count = 0;
    char *w = end;
    for (;;) {
        intptr_t lim = remaining > mw ? remaining : mw;
        if (lim < 1) lim = 1;
        intptr_t l = group < lim ? group : lim;
        intptr_t nzeros = l > remaining ? l - remaining : 0;
        intptr_t nchars = remaining < l ? remaining : l;
        if (nchars < 0) nchars = 0;
        count += (use_sep ? 1 : 0) + (size_t)nzeros + (size_t)nchars;
        if (w) {
            if (use_sep) *--w = sep;
            w -= nchars;
            memcpy(w, digits + remaining - nchars, (size_t)nchars);
            w -= nzeros;
            memset(w, '0', (size_t)nzeros);
        }
        use_sep = true;
        remaining -= nchars;
        mw -= l;
        if (remaining <= 0 && mw <= 0) break;
        mw -= 1;
    }
    return count;
}

static void add_grouped(StrBuf *b, const char *digits, size_t ndigits, intptr_t min_width, char sep, int group) {
    if (!sep) {
        if (min_width > (intptr_t)ndigits) add_fill(b, '0', (size_t)min_width - ndigits);
        sb_add(b, digits, ndigits);
        return;
    }
    size_t total = group_pass(digits, ndigits, min_width, sep, group, NULL);
    char *out = sb_reserve(b, total);
    if (!out) return;
    group_pass(digits, ndigits, min_width, sep, group, out + total);
    b->len += total;
}

/* The pieces of a formatted number, laid out like CPython's fill_number:
 * [lpad][sign][prefix][spad][grouped digits][rest][rpad]. */
typedef struct {
    char sign;                    /* 0 or the sign character */
    const char *prefix; size_t nprefix;
    const char *digits; size_t ndigits;
    const char *rest; size_t nrest;   /* ".5e+10", "%", "inf", a 'c' character … */
    size_t rest_chars;                 /* its width in code points */
} Number;

static Value layout_number(const Spec *sp, const Number *num) {
    size_t nsign = num->sign ? 1 : 0;
    intptr_t non_digit = (intptr_t)(nsign + num->nprefix + num->rest_chars);
    intptr_t min_width = (sp->fill == '0' && sp->align == '=') ? sp->width - non_digit : 0;
    /* the digits, grouped and zero-filled, first (their width decides the padding) */
    StrBuf g;
    sb_init(&g);
    if (num->ndigits) add_grouped(&g, num->digits, num->ndigits, min_width, sp->grouping, sp->group);
    if (g.failed) { sb_free(&g); return VNULL; }
    intptr_t npad = sp->width - (non_digit + (intptr_t)g.len);
    size_t lpad = 0, spad = 0, rpad = 0;
    if (npad > 0) {
        switch (sp->align) {
        case '<': rpad = (size_t)npad; break;
        case '^': lpad = (size_t)npad / 2; rpad = (size_t)npad - lpad; break;
        case '=': spad = (size_t)npad; break;
        default:  lpad = (size_t)npad; break;
        }
    }
    StrBuf b;
    sb_init(&b);
    add_fill(&b, sp->fill, lpad);
    if (num->sign) sb_addc(&b, num->sign);
    sb_add(&b, num->prefix, num->nprefix);
    add_fill(&b, sp->fill, spad);
    sb_add(&b, g.data, g.len);
    sb_add(&b, num->rest, num->nrest);
    add_fill(&b, sp->fill, rpad);
    sb_free(&g);
    return sb_finish(&b);
}

static char sign_for(bool negative, char spec_sign) {
    if (negative) return '-';
    return spec_sign == '+' ? '+' : spec_sign == ' ' ? ' ' : 0;
}

/* The digits of |v| in base (lower case); owned by the caller (gc_free). */
static char *int_digits(Value v, int base, bool *negative, size_t *len) {
    if (IS_INT(v)) {
        intptr_t i = AS_INT(v);
        *negative = i < 0;
        uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        char tmp[72];
        size_t k = sizeof tmp;
        do { tmp[--k] = "0123456789abcdef"[u % (unsigned)base]; u /= (unsigned)base; } while (u);
        char *r = gc_malloc(sizeof tmp - k + 1);
        if (!r) return NULL;
        memcpy(r, tmp + k, sizeof tmp - k);
        r[sizeof tmp - k] = 0;
        *len = sizeof tmp - k;
        return r;
    }
    mpz_t z;
    mpz_init(z);
    int_to_mpz(v, z);
    *negative = mpz_sgn(z) < 0;
    mpz_abs(z, z);
    size_t cap = mpz_sizeinbase(z, base) + 2;
    char *r = gc_malloc(cap);
    if (r) {
        mpz_get_str(r, base, z);
        *len = strlen(r);
    }
    mpz_clear(z);
    return r;
}

static Value format_float_spec(double d, Spec *sp, const char *spec, size_t len);

Value format_int(Value v, const char *spec, size_t len) {
    if (len == 0) return obj_str(v);
    Spec sp;
    if (parse_spec_n(spec, len, &sp, 'd', '>', obj_type_name(v)) < 0) return VNULL;
    int base = 10;
    switch (sp.type) {
    case 'b': base = 2; break;
    case 'o': base = 8; break;
    case 'x': case 'X': base = 16; break;
    case 'c': case 'd': case 'n': break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case '%': {
        double d;
        if (float_as_double(v, &d) < 0) return VNULL;
        return format_float_spec(d, &sp, spec, len);
    }
    default:
        return unknown_code(sp.type, obj_type_name(v));
    }
    if (sp.precision != -1) return err_format(&Exc_ValueError, "Precision not allowed in integer format specifier");
    if (sp.z) return err_format(&Exc_ValueError, "Negative zero coercion (z) not allowed in integer format specifier");
    Number num = {0, "", 0, "", 0, "", 0, 0};
    if (sp.type == 'c') {
        if (sp.sign) return err_format(&Exc_ValueError, "Sign not allowed with integer format specifier 'c'");
        if (sp.alt) return err_format(&Exc_ValueError, "Alternate form (#) not allowed with integer format specifier 'c'");
        int64_t x;
        if (int_as_i64(v, &x) < 0) {
            if (err_matches(&Exc_OverflowError)) {
                err_clear();
                return err_format(&Exc_OverflowError, "Python int too large to convert to C long");
            }
            return VNULL;
        }
        if (x < 0 || x > 0x10FFFF) return err_format(&Exc_OverflowError, "%%c arg not in range(0x110000)");
        char ch[4];
        num.rest = ch;
        num.nrest = str_utf8_encode((uint32_t)x, ch);
        num.rest_chars = 1;
        return layout_number(&sp, &num);
    }
    bool negative;
    size_t ndig;
    char *digits = int_digits(v, base, &negative, &ndig);
    if (!digits) return VNULL;
    if (sp.type == 'X')
        for (size_t i = 0; i < ndig; i++) if (digits[i] >= 'a') digits[i] -= 32;
    if (sp.alt) {
        static const char *const prefixes[] = {"0b", "0o", "0x", "0X"};
        int k = sp.type == 'b' ? 0 : sp.type == 'o' ? 1 : sp.type == 'x' ? 2 : sp.type == 'X' ? 3 : -1;
        if (k >= 0) { num.prefix = prefixes[k]; num.nprefix = 2; }
    }
    num.sign = sign_for(negative, sp.sign);
    num.digits = digits;
    num.ndigits = ndig;
    Value r;
    if (!num.sign && !num.nprefix && sp.width < 0 && !sp.grouping) r = str_new_known(digits, ndig, ndig);
    else r = layout_number(&sp, &num);
    gc_free(digits);
    return r;
}

static Value format_float_spec(double d, Spec *sp, const char *spec, size_t len) {
    (void)spec; (void)len;
    if (sp->precision > INT_MAX) return err_format(&Exc_ValueError, "precision too big");
    int precision = (int)sp->precision, flags = 0, default_precision = 6;
    char type = sp->type;
    bool add_pct = false;
    if (sp->alt) flags |= DTSF_ALT;
    if (sp->z) flags |= DTSF_NO_NEG_0;
    if (type == 0) { flags |= DTSF_ADD_DOT_0; type = 'r'; default_precision = 0; }
    if (type == 'n') type = 'g';
    if (type == '%') { type = 'f'; d *= 100; add_pct = true; }
    if (precision < 0) precision = default_precision;
    else if (type == 'r') type = 'g';
    if (type == 'E' || type == 'F' || type == 'G') { flags |= DTSF_UPPER; type = (char)(type + 32); }
    StrBuf t;
    sb_init(&t);
    if (sb_add_double(&t, d, type, precision, flags) < 0) { sb_free(&t); return VNULL; }
    if (add_pct) sb_addc(&t, '%');
    if (t.failed) { sb_free(&t); return VNULL; }
    const char *buf = t.data;
    size_t n = t.len;
    if (sp->sign != '+' && sp->sign != ' ' && sp->width == -1 && sp->type != 'n' && !sp->grouping) {
        Value r = str_new_known(buf, n, n);
        sb_free(&t);
        return r;
    }
    Number num = {0, "", 0, "", 0, "", 0, 0};
    bool negative = n && buf[0] == '-';
    if (negative) { buf++; n--; }
    num.sign = sign_for(negative, sp->sign);
    size_t k = 0;
    while (k < n && (unsigned)(buf[k] - '0') < 10) k++;
    num.digits = buf;
    num.ndigits = k;
    num.rest = buf + k;
    num.nrest = num.rest_chars = n - k;
    Value r = layout_number(sp, &num);
    sb_free(&t);
    return r;
}

Value format_float(double d, const char *spec, size_t len) {
    if (len == 0) return float_repr_of(d);
    Spec sp;
    if (parse_spec_n(spec, len, &sp, 0, '>', "float") < 0) return VNULL;
    switch (sp.type) {
    case 0: case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'n': case '%':
        return format_float_spec(d, &sp, spec, len);
    default:
        return unknown_code(sp.type, "float");
    }
}

/* ===== format() dispatch ==================================================================
 * Built-in types are formatted here directly; anything else goes through
 * obj_format (object.c), which calls a user __format__ — or, when the
 * __format__ it finds is our own (an int/float/str subclass that does not
 * override it), comes back to format_value. */

/* v is an int, float or str, or an instance of a subclass of one. */
static Value format_builtin(Value v, const char *spec, size_t len) {
    Type *t = TYPE_OF(v);
    if (t == &BoolType) return len == 0 ? obj_str(v) : format_int(v, spec, len);
    if (len == 0 && t != &IntType && t != &FloatType && t != &StrType) return obj_str(v);
    if (str_check(v)) return format_str(v, spec, len);
    if (float_check(v)) return format_float(((FloatObj *)AS_OBJ(v))->v, spec, len);
    return format_int(v, spec, len);
}

static bool is_builtin_number_or_str(Value v) {
    return IS_INT(v) || int_check(v) || float_check(v) || str_check(v);
}

/* Does v's class keep the built-in __format__ (not overridden in apy)? */
static bool keeps_builtin_format(Value v) {
    Type *t = TYPE_OF(v);
    if (t == &IntType || t == &BoolType || t == &FloatType || t == &StrType) return true;
    Value m = type_lookup(t, NM.__format__);
    return !m || IS_TYPE(m, &MethodDescrType) || IS_TYPE(m, &SlotWrapperType);
}

Value format_value_cstr(Value v, const char *spec, size_t len) {
    if (IS_INT(v)) return format_int(v, spec, len);
    Type *t = AS_OBJ(v)->type;
    if (t == &StrType) return format_str(v, spec, len);
    if (t == &FloatType) return format_float(((FloatObj *)AS_OBJ(v))->v, spec, len);
    if (t == &IntType) return format_int(v, spec, len);
    if (t == &BoolType) return len == 0 ? obj_str(v) : format_int(v, spec, len);
    if (is_builtin_number_or_str(v) && keeps_builtin_format(v)) return format_builtin(v, spec, len);
    Value sv = str_new(spec, len);
    if (!sv) return VNULL;
    Value r = obj_format(v, sv);
    decref(sv);
    return r;
}

Value format_value(Value v, Value spec) {
    if (!spec) return format_value_cstr(v, "", 0);
    if (!str_check(spec)) return err_format(&Exc_TypeError, "format() argument 2 must be str, not %T", spec);
    if (is_builtin_number_or_str(v) && keeps_builtin_format(v))
        return format_builtin(v, STR_DATA(spec), STR_LEN(spec));
    return obj_format(v, spec);
}

/* ===== "fmt % args" ============================================================================ */

enum { F_LJUST = 1, F_SIGN = 2, F_BLANK = 4, F_ALT = 8, F_ZERO = 16 };

typedef struct {
    Value args;           /* the current argument source (owned) */
    intptr_t arglen, argidx;
    Value dict;           /* borrowed: the mapping, or VNULL */
} PctCtx;

static Value next_arg(PctCtx *cx) {
    if (cx->argidx < cx->arglen) {
        intptr_t i = cx->argidx++;
        if (cx->arglen < 0) return cx->args;
        return TUPLE_ITEMS(cx->args)[i];
    }
    return err_format(&Exc_TypeError, "not enough arguments for format string");
}

/* int(v) for %d and friends; the digits with sign/prefix/precision, as
 * CPython's _PyUnicode_FormatLong. */
static Value percent_long(Value v, uint32_t ch, int flags, intptr_t prec) {
    Value iobj;
    if (int_check(v)) {
        iobj = incref(v);
    } else if (ch == 'o' || ch == 'x' || ch == 'X') {
        if (!(IS_OBJ(v) && type_lookup(TYPE_OF(v), NM.__index__)))
            return err_format(&Exc_TypeError, "%%%c format: an integer is required, not %T", (int)ch, v);
        iobj = obj_call_method(v, NM.__index__, NULL, 0);
    } else {
        Type *t = TYPE_OF(v);
        if (float_check(v)) {
            iobj = int_from_double(((FloatObj *)AS_OBJ(v))->v);
        } else if (type_lookup(t, NM.__int__)) {
            iobj = obj_call_method(v, NM.__int__, NULL, 0);
        } else if (type_lookup(t, NM.__index__)) {
            iobj = obj_call_method(v, NM.__index__, NULL, 0);
        } else if (type_lookup(t, NM.__float__)) {
            Value f = obj_call_method(v, NM.__float__, NULL, 0);
            if (!f) return VNULL;
            iobj = float_check(f) ? int_from_double(((FloatObj *)AS_OBJ(f))->v)
                                  : err_format(&Exc_TypeError, "%%%c format: a real number is required, not %T", (int)ch, v);
            decref(f);
        } else {
            return err_format(&Exc_TypeError, "%%%c format: a real number is required, not %T", (int)ch, v);
        }
    }
    if (!iobj) return VNULL;
    if (!int_check(iobj)) {
        decref(iobj);
        return err_format(&Exc_TypeError, "%%%c format: an integer is required, not %T", (int)ch, v);
    }
    int base = ch == 'o' ? 8 : (ch == 'x' || ch == 'X') ? 16 : 10;   /* d, i, u: 10 */
    bool negative;
    size_t n;
    char *digits = int_digits(iobj, base, &negative, &n);
    decref(iobj);
    if (!digits) return VNULL;
    StrBuf b;
    sb_init(&b);
    if (negative) sb_addc(&b, '-');
    if ((flags & F_ALT) && base != 10) sb_add(&b, ch == 'o' ? "0o" : ch == 'x' ? "0x" : "0X", 2);
    if (prec > (intptr_t)n) add_fill(&b, '0', (size_t)prec - n);
    if (ch == 'X')
        for (size_t i = 0; i < n; i++) if (digits[i] >= 'a') digits[i] -= 32;
    sb_add(&b, digits, n);
    gc_free(digits);
    return sb_finish(&b);
}

static Value percent_float(Value v, uint32_t ch, int flags, intptr_t prec) {
    double d;
    if (float_check(v)) d = ((FloatObj *)AS_OBJ(v))->v;
    else if (IS_INT(v) || int_check(v)) { if (float_as_double(v, &d) < 0) return VNULL; }
    else if (IS_OBJ(v) && (type_lookup(TYPE_OF(v), NM.__float__) || type_lookup(TYPE_OF(v), NM.__index__))) {
        Value f = obj_call_method(v, type_lookup(TYPE_OF(v), NM.__float__) ? NM.__float__ : NM.__index__, NULL, 0);
        if (!f) return VNULL;
        int rc = float_as_double(f, &d);
        decref(f);
        if (rc < 0) return VNULL;
    } else {
        return err_format(&Exc_TypeError, "must be real number, not %T", v);
    }
    int dflags = (flags & F_ALT) ? DTSF_ALT : 0;
    char code = (char)ch;
    if (code == 'E' || code == 'F' || code == 'G') { dflags |= DTSF_UPPER; code = (char)(code + 32); }
    if (prec < 0) prec = 6;
    if (prec > INT_MAX) return err_format(&Exc_ValueError, "precision too big");
    StrBuf b;
    sb_init(&b);
    sb_add_double(&b, d, code, (int)prec, dflags);
    return sb_finish(&b);
}

static Value percent_char(Value v, bool bytes_mode) {
    if (bytes_mode) {
        /* an int in range(256) or a single byte, as latin-1 text */
        if (IS_TYPE(v, &BytesType) && AS_BYTES(v)->len == 1) {
            char enc[4];
            return str_new_known(enc, str_utf8_encode(AS_BYTES(v)->data[0], enc), 1);
        }
        if (!int_check(v) && !(IS_OBJ(v) && type_lookup(TYPE_OF(v), NM.__index__)))
            return err_format(&Exc_TypeError, "%%c requires an integer in range(256) or a single byte");
        intptr_t x;
        if (arg_as_ssize(v, &x) < 0) {
            if (!err_matches(&Exc_OverflowError)) return VNULL;
            err_clear();
            x = -1;
        }
        if (x < 0 || x > 255) return err_format(&Exc_OverflowError, "%%c arg not in range(256)");
        char enc[4];
        return str_new_known(enc, str_utf8_encode((uint32_t)x, enc), 1);
    }
    if (str_check(v)) {
        if (AS_STR(v)->nchars == 1) return incref(v);
        return err_format(&Exc_TypeError, "%%c requires int or char");
    }
    if (!int_check(v) && !(IS_OBJ(v) && type_lookup(TYPE_OF(v), NM.__index__)))
        return err_format(&Exc_TypeError, "%%c requires int or char");
    intptr_t x;
    if (arg_as_ssize(v, &x) < 0) {
        if (!err_matches(&Exc_OverflowError)) return VNULL;
        err_clear();
        x = -1;
    }
    if (x < 0 || x > 0x10FFFF) return err_format(&Exc_OverflowError, "%%c arg not in range(0x110000)");
    char enc[4];
    return str_new_known(enc, str_utf8_encode((uint32_t)x, enc), 1);
}

/* Pad and sign one converted argument (CPython's unicode_format_arg_output). */
static void percent_output(StrBuf *out, Value str, uint32_t ch, int flags, intptr_t width, intptr_t prec, bool numeric) {
    StrObj *s = AS_STR(str);
    const char *p = s->data;
    size_t nbytes = s->len;
    intptr_t len = (intptr_t)s->nchars;
    if ((ch == 's' || ch == 'r' || ch == 'a') && prec >= 0 && len > prec) {
        len = prec;
        nbytes = str_offset_of(str, (size_t)prec);
    }
    uint32_t fill = (numeric && (flags & F_ZERO)) ? '0' : ' ';
    char signchar = 0;
    if (numeric) {
        if (nbytes && (p[0] == '-' || p[0] == '+')) { signchar = p[0]; p++; nbytes--; len--; }
        else if (flags & F_SIGN) signchar = '+';
        else if (flags & F_BLANK) signchar = ' ';
    }
    if (width < len) width = len;
    if (signchar) {
        if (fill != ' ') sb_addc(out, signchar);
        if (width > len) width--;
    }
    bool prefix = (flags & F_ALT) && (ch == 'x' || ch == 'X' || ch == 'o');
    if (prefix) {
        if (fill != ' ') sb_add(out, p, 2);
        width -= 2;
        if (width < 0) width = 0;
        len -= 2;
    }
    if (width > len && !(flags & F_LJUST)) {
        add_fill(out, fill, (size_t)(width - len));
        width = len;
    }
    if (fill == ' ') {
        if (signchar) sb_addc(out, signchar);
        if (prefix) sb_add(out, p, 2);
    }
    if (prefix) { p += 2; nbytes -= 2; }
    sb_add(out, p, nbytes);
    if (width > len) add_fill(out, ' ', (size_t)(width - len));
}

static size_t char_index(const char *p, size_t byte) {
    size_t n = 0;
    for (size_t i = 0; i < byte; i++) n += ((uint8_t)p[i] & 0xC0) != 0x80;
    return n;
}

/* %s / %b of bytes formatting: the bytes (or __bytes__) as latin-1 text. */
static Value percent_bytes_arg(Value v) {
    Value b;
    Value dunder = str_intern_cstr("__bytes__");
    if (IS_TYPE(v, &BytesType)) b = incref(v);
    else if (IS_OBJ(v) && dunder && type_lookup(TYPE_OF(v), dunder)) {
        b = obj_call_method(v, dunder, NULL, 0);
        if (!b) return VNULL;
        if (!IS_TYPE(b, &BytesType)) {
            err_format(&Exc_TypeError, "__bytes__ returned non-bytes (type %T)", b);
            decref(b);
            return VNULL;
        }
    } else {
        return err_format(&Exc_TypeError,
                          "%%b requires a bytes-like object, or an object that implements __bytes__, not '%T'", v);
    }
    Value s = str_decode(AS_BYTES(b)->data, AS_BYTES(b)->len, str_intern_cstr("latin-1"), NULL);
    decref(b);
    return s;
}

static Value percent_core(const char *p, size_t n, Value args, bool bytes_mode);

Value format_percent(Value fmt, Value args) {
    return percent_core(STR_DATA(fmt), STR_LEN(fmt), args, false);
}

/* bytes % args: the format and every piece are latin-1 text, so the result
 * encodes back to bytes one code point per byte. */
Value bytes_format_percent(Value fmt, Value args) {
    Value latin1 = str_intern_cstr("latin-1");
    Value f = str_decode(AS_BYTES(fmt)->data, AS_BYTES(fmt)->len, latin1, NULL);
    if (!f) return VNULL;
    Value r = percent_core(STR_DATA(f), STR_LEN(f), args, true);
    decref(f);
    if (!r) return VNULL;
    Value b = str_encode_to(r, latin1, NULL);
    decref(r);
    return b;
}

static Value percent_core(const char *p, size_t n, Value args, bool bytes_mode) {
    PctCtx cx;
    cx.args = incref(args);
    if (IS_TYPE(args, &TupleType)) { cx.arglen = (intptr_t)TUPLE_LEN(args); cx.argidx = 0; }
    else { cx.arglen = -1; cx.argidx = -2; }
    Type *at = TYPE_OF(args);
    cx.dict = (at->getitem && !IS_TYPE(args, &TupleType) && !str_check(args) &&
               !(bytes_mode && IS_TYPE(args, &BytesType))) ? args : VNULL;
    StrBuf out;
    sb_init(&out);
    size_t pos = 0;
    while (pos < n) {
        const char *pct = memchr(p + pos, '%', n - pos);
        if (!pct) { sb_add(&out, p + pos, n - pos); break; }
        sb_add(&out, p + pos, (size_t)(pct - (p + pos)));
        pos = (size_t)(pct - p) + 1;
        if (pos < n && p[pos] == '%') { sb_addc(&out, '%'); pos++; continue; }

        /* %(key) */
        if (pos < n && p[pos] == '(') {
            if (!cx.dict) { err_format(&Exc_TypeError, "format requires a mapping"); goto fail; }
            size_t keystart = ++pos;
            int depth = 1;
            while (depth > 0 && pos < n) {
                if (p[pos] == ')') depth--;
                else if (p[pos] == '(') depth++;
                pos++;
            }
            if (depth > 0) { err_format(&Exc_ValueError, "incomplete format key"); goto fail; }
            Value key = str_new(p + keystart, pos - 1 - keystart);
            if (key && bytes_mode) {
                Value kb = str_encode_to(key, str_intern_cstr("latin-1"), NULL);
                decref(key);
                key = kb;
            }
            if (!key) goto fail;
            Value v = obj_getitem(cx.dict, key);
            decref(key);
            if (!v) goto fail;
            setref(&cx.args, v);
            cx.arglen = -1;
            cx.argidx = -2;
        }
        int flags = 0;
        for (; pos < n; pos++) {
            char c = p[pos];
            if (c == '-') flags |= F_LJUST;
            else if (c == '+') flags |= F_SIGN;
            else if (c == ' ') flags |= F_BLANK;
            else if (c == '#') flags |= F_ALT;
            else if (c == '0') flags |= F_ZERO;
            else break;
        }
        intptr_t width = -1, prec = -1;
        if (pos < n && p[pos] == '*') {
            Value w = next_arg(&cx);
            if (!w) goto fail;
            if (!int_check(w)) { err_format(&Exc_TypeError, "* wants int"); goto fail; }
            if (int_as_ssize(w, &width) < 0) goto fail;
            if (width < 0) { flags |= F_LJUST; width = -width; }
            pos++;
        } else if (pos < n && (unsigned)(p[pos] - '0') < 10) {
            width = 0;
            while (pos < n && (unsigned)(p[pos] - '0') < 10) {
                int d = p[pos++] - '0';
                if (width > (INTPTR_MAX - d) / 10) { err_format(&Exc_ValueError, "width too big"); goto fail; }
                width = width * 10 + d;
            }
        }
        if (pos < n && p[pos] == '.') {
            prec = 0;
            pos++;
            if (pos < n && p[pos] == '*') {
                Value w = next_arg(&cx);
                if (!w) goto fail;
                if (!int_check(w)) { err_format(&Exc_TypeError, "* wants int"); goto fail; }
                int64_t pv;
                if (int_as_i64(w, &pv) < 0) goto fail;
                if (pv > INT_MAX) { err_format(&Exc_OverflowError, "Python int too large to convert to C int"); goto fail; }
                prec = pv < 0 ? 0 : pv;
                pos++;
            } else {
                while (pos < n && (unsigned)(p[pos] - '0') < 10) {
                    int d = p[pos++] - '0';
                    if (prec > (INT_MAX - d) / 10) { err_format(&Exc_ValueError, "precision too big"); goto fail; }
                    prec = prec * 10 + d;
                }
            }
        }
        if (pos < n && (p[pos] == 'h' || p[pos] == 'l' || p[pos] == 'L')) pos++;
        if (pos >= n) { err_format(&Exc_ValueError, "incomplete format"); goto fail; }
        uint32_t ch;
        size_t chpos = pos;
        pos += str_utf8_decode(p + pos, n - pos, &ch);

        Value v = next_arg(&cx);
        if (!v) goto fail;
        Value str = VNULL;
        bool numeric = false;
        switch (ch) {
        case 's':
            str = bytes_mode ? percent_bytes_arg(v) : IS_STR(v) ? incref(v) : obj_str(v);
            break;
        case 'b':
            if (!bytes_mode) goto unsupported;
            str = percent_bytes_arg(v);
            break;
        case 'r': str = bytes_mode ? obj_ascii(v) : obj_repr(v); break;
        case 'a': str = obj_ascii(v); break;
        case 'd': case 'i': case 'u':
            str = percent_long(v, ch, flags, prec); numeric = true; break;
        case 'o': case 'x': case 'X':
            str = percent_long(v, ch, flags, prec); numeric = true; break;
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
            str = percent_float(v, ch, flags, prec); numeric = true; break;
        case 'c':
            str = percent_char(v, bytes_mode); prec = -1; break;
        default:
        unsupported:
            err_format(&Exc_ValueError, "unsupported format character '%c' (0x%x) at index %zu",
                       (ch >= 31 && ch <= 126) ? (int)ch : '?', (unsigned)ch, char_index(p, chpos));
            goto fail;
        }
        if (!str) goto fail;
        if (!str_check(str)) {
            err_format(&Exc_TypeError, "__str__ returned non-string (type %T)", str);
            decref(str);
            goto fail;
        }
        bool truncates = ch == 's' || ch == 'r' || ch == 'a' || ch == 'b';
        percent_output(&out, str, truncates ? 's' : ch, flags, width, truncates ? prec : -1, numeric);
        decref(str);
        if (out.failed) goto fail;
        if (cx.dict && cx.argidx < cx.arglen) {
            err_format(&Exc_TypeError, "not all arguments converted during %s formatting", bytes_mode ? "bytes" : "string");
            goto fail;
        }
    }
    if (cx.argidx < cx.arglen && !cx.dict) {
        err_format(&Exc_TypeError, "not all arguments converted during %s formatting", bytes_mode ? "bytes" : "string");
        goto fail;
    }
    decref(cx.args);
    return sb_finish(&out);
fail:
    decref(cx.args);
    sb_free(&out);
    return VNULL;
}
