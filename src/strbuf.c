/* strbuf.c — StrBuf, the growable byte buffer behind every repr and print,
 * and the printf-style formatter behind str_from_fmt / err_format / sb_addf.
 *
 * Owns: buffer growth (doubling, counted through gc_malloc so heap limits
 * apply), the %R %S %T directives, the hand-off of a finished buffer to a
 * str object.
 * Must not touch: the layout of str (it only calls the constructors).
 *
 * A StrBuf that fails (out of memory, or a repr that raised) remembers it in
 * `failed` and ignores further additions; sb_finish reports the error. So a
 * caller can add many pieces and check once at the end.
 */
#include <string.h>
#include <stdlib.h>
#include "gc.h"
#include "vm.h"
#include "text_internal.h"

void sb_init(StrBuf *b) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void sb_free(StrBuf *b) {
    if (b->data) gc_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Grow so that n more bytes plus a NUL fit. */
static bool sb_grow(StrBuf *b, size_t n) {
    if (b->failed) return false;
    size_t need = b->len + n + 1;
    if (need < b->len || need > (size_t)INTPTR_MAX) {
        b->failed = true;
        err_no_memory();
        return false;
    }
    if (need <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > (size_t)INTPTR_MAX / 2 ? need : cap * 2;
    char *p = b->data ? gc_realloc(b->data, cap) : gc_malloc(cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

char *sb_reserve(StrBuf *b, size_t n) {
    if (b->len + n + 1 > b->cap && !sb_grow(b, n)) return NULL;
    if (b->failed) return NULL;
    return b->data + b->len;
}

void sb_add(StrBuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap && !sb_grow(b, n)) return;
    if (b->failed || n == 0) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void sb_adds(StrBuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_addc(StrBuf *b, char c) {
    if (b->len + 2 > b->cap && !sb_grow(b, 1)) return;
    if (b->failed) return;
    b->data[b->len++] = c;
}

void sb_add_cp(StrBuf *b, uint32_t cp) {
    if (cp < 0x80) { sb_addc(b, (char)cp); return; }
    char tmp[4];
    sb_add(b, tmp, str_utf8_encode(cp, tmp));
}

/* Add a str object's bytes (borrowed) and drop the reference we were given. */
static int sb_add_owned_str(StrBuf *b, Value s) {
    if (!s) { b->failed = true; return -1; }
    if (!IS_STR(s) && !str_check(s)) {   /* defensive: __str__ is checked by obj_str */
        decref(s);
        b->failed = true;
        err_format(&Exc_TypeError, "expected str");
        return -1;
    }
    sb_add(b, STR_DATA(s), STR_LEN(s));
    decref(s);
    return b->failed ? -1 : 0;
}

int sb_add_value_str(StrBuf *b, Value v) {
    if (b->failed) return -1;
    if (IS_STR(v)) {
        sb_add(b, STR_DATA(v), STR_LEN(v));
        return b->failed ? -1 : 0;
    }
    return sb_add_owned_str(b, obj_str(v));
}

int sb_add_value_repr(StrBuf *b, Value v) {
    if (b->failed) return -1;
    return sb_add_owned_str(b, obj_repr(v));
}

Value sb_finish(StrBuf *b) {
    if (b->failed) {
        sb_free(b);
        if (!err_occurred()) err_no_memory();
        return VNULL;
    }
    Value s = str_new_lossy(b->data ? b->data : "", b->len);
    sb_free(b);
    return s;
}

/* ---- the formatter ------------------------------------------------------------
 * Directives: %[-0+ #][width][.prec][hh|h|l|ll|z|t|j]conv with conv one of
 * d i u x X o c s p f e g %, plus the Value directives %R (repr), %S (str)
 * and %T (type name). Standard conversions are delegated to vsnprintf one
 * directive at a time, so their output is exactly C's. */

typedef enum { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J } LenMod;

/* A bare %d/%i/%u (no flags, width or precision): written here rather than
 * through two snprintf calls, which cost ~2,000 instructions per number
 * ("Task-%llu" for every asyncio task, line numbers in reprs). */
static void add_decimal(StrBuf *b, bool negative, unsigned long long magnitude) {
    char digits[24];
    size_t i = sizeof digits;
    do {
        digits[--i] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (negative) digits[--i] = '-';
    sb_add(b, digits + i, sizeof digits - i);
}

static void add_formatted(StrBuf *b, const char *spec, size_t speclen, LenMod lm,
                          char conv, va_list *ap) {
    char fmt[48];
    if (speclen >= sizeof fmt - 1) speclen = sizeof fmt - 2;
    memcpy(fmt, spec, speclen);
    fmt[speclen] = 0;
    char small[128];
    int n;
    /* Fetch the argument with the right type, then print it. */
    switch (conv) {
    case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
        bool is_signed = conv == 'd' || conv == 'i';
        long long sv = 0;
        unsigned long long uv = 0;
        switch (lm) {
        case LEN_L:  if (is_signed) sv = va_arg(*ap, long); else uv = va_arg(*ap, unsigned long); break;
        case LEN_LL: if (is_signed) sv = va_arg(*ap, long long); else uv = va_arg(*ap, unsigned long long); break;
        case LEN_Z:  if (is_signed) sv = va_arg(*ap, intptr_t); else uv = va_arg(*ap, size_t); break;
        case LEN_T:  if (is_signed) sv = va_arg(*ap, ptrdiff_t); else uv = (unsigned long long)va_arg(*ap, ptrdiff_t); break;
        case LEN_J:  if (is_signed) sv = va_arg(*ap, intmax_t); else uv = va_arg(*ap, uintmax_t); break;
        default:     if (is_signed) sv = va_arg(*ap, int); else uv = va_arg(*ap, unsigned int); break;
        }
        if (speclen == 2 && (conv == 'd' || conv == 'i' || conv == 'u')) {
            if (is_signed) add_decimal(b, sv < 0, sv < 0 ? 0ULL - (unsigned long long)sv : (unsigned long long)sv);
            else add_decimal(b, false, uv);
            return;
        }
        /* Rebuild the directive with the widest length modifier. */
        char f2[56];
        snprintf(f2, sizeof f2, "%.*sll%c", (int)(speclen - 1), fmt, conv);
        n = is_signed ? snprintf(small, sizeof small, f2, sv) : snprintf(small, sizeof small, f2, uv);
        break;
    }
    case 'c': {
        int c = va_arg(*ap, int);
        if (c < 0 || c > 0x10FFFF) c = 0xFFFD;
        sb_add_cp(b, (uint32_t)c);
        return;
    }
    case 'p':
        n = snprintf(small, sizeof small, fmt, va_arg(*ap, void *));
        break;
    case 'f': case 'e': case 'g': case 'E': case 'G': case 'F': {
        double d = va_arg(*ap, double);
        n = snprintf(small, sizeof small, fmt, d);
        if (n >= (int)sizeof small) {
            char *p = sb_reserve(b, (size_t)n);
            if (!p) return;
            snprintf(p, (size_t)n + 1, fmt, d);
            b->len += (size_t)n;
            return;
        }
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s) s = "(null)";
        if (speclen == 2) { sb_adds(b, s); return; }   /* plain %s */
        n = snprintf(NULL, 0, fmt, s);
        if (n < 0) return;
        char *p = sb_reserve(b, (size_t)n);
        if (!p) return;
        snprintf(p, (size_t)n + 1, fmt, s);
        b->len += (size_t)n;
        return;
    }
    default:
        return;
    }
    if (n > 0) sb_add(b, small, (size_t)n < sizeof small ? (size_t)n : sizeof small - 1);
}

void sb_vaddf(StrBuf *b, const char *fmt, va_list ap0) {
    va_list ap;
    va_copy(ap, ap0);
    const char *p = fmt;
    while (*p && !b->failed) {
        const char *pct = strchr(p, '%');
        if (!pct) { sb_adds(b, p); break; }
        sb_add(b, p, (size_t)(pct - p));
        const char *q = pct + 1;
        if (*q == '%') { sb_addc(b, '%'); p = q + 1; continue; }
        while (*q && strchr("-0+ #", *q)) q++;
        while (*q >= '0' && *q <= '9') q++;
        if (*q == '.') { q++; while (*q >= '0' && *q <= '9') q++; }
        LenMod lm = LEN_NONE;
        if (q[0] == 'h' && q[1] == 'h') { lm = LEN_HH; q += 2; }
        else if (q[0] == 'h') { lm = LEN_H; q++; }
        else if (q[0] == 'l' && q[1] == 'l') { lm = LEN_LL; q += 2; }
        else if (q[0] == 'l') { lm = LEN_L; q++; }
        else if (q[0] == 'z') { lm = LEN_Z; q++; }
        else if (q[0] == 't') { lm = LEN_T; q++; }
        else if (q[0] == 'j') { lm = LEN_J; q++; }
        char conv = *q;
        if (!conv) { sb_adds(b, pct); break; }
        p = q + 1;
        switch (conv) {
        case 'R': sb_add_value_repr(b, va_arg(ap, Value)); break;
        case 'S': sb_add_value_str(b, va_arg(ap, Value)); break;
        case 'T': sb_adds(b, obj_type_name(va_arg(ap, Value))); break;
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
        case 'p': case 's': case 'f': case 'e': case 'g': case 'E': case 'G': case 'F': {
            /* the directive without its length modifier, conversion included */
            char spec[48];
            size_t flagslen = 0;
            const char *r = pct;
            while (r < q && flagslen < sizeof spec - 2) {
                if (*r == 'h' || *r == 'l' || *r == 'z' || *r == 't' || *r == 'j') { r++; continue; }
                spec[flagslen++] = *r++;
            }
            spec[flagslen++] = conv;
            add_formatted(b, spec, flagslen, lm, conv, &ap);
            break;
        }
        default:   /* unknown directive: copy it verbatim */
            sb_add(b, pct, (size_t)(p - pct));
            break;
        }
    }
    va_end(ap);
}

void sb_addf(StrBuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(b, fmt, ap);
    va_end(ap);
}

Value str_from_vfmt(const char *fmt, va_list ap) {
    StrBuf b;
    sb_init(&b);
    sb_vaddf(&b, fmt, ap);
    return sb_finish(&b);
}

Value str_from_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    Value s = str_from_vfmt(fmt, ap);
    va_end(ap);
    return s;
}
