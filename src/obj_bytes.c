/* obj_bytes.c — bytes: immutable byte strings and their iterator.
 *
 * Owns: BytesObj construction (literals, bytes(n), bytes(iterable),
 * bytes(str, encoding)), repr with CPython's quote choice and escapes,
 * indexing (ints) and slicing, + * in, comparisons, the hash (the same
 * function as str, so hash(b'abc') == hash('abc')), and the common methods.
 * Must not touch: str internals (decoding goes through obj_str.c's codecs).
 * bytearray is not implemented.
 */
#include <string.h>
#include <ctype.h>
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "containers.h"
#include "ast.h"
#include "text_internal.h"

#define B_DATA(v) (AS_BYTES(v)->data)
#define B_LEN(v)  (AS_BYTES(v)->len)
/* bytes or a subclass; an exact bytes is what a result may share with an argument */
#define IS_BYTES(v) (IS_TYPE(v, &BytesType) || (IS_OBJ(v) && type_is_subtype(AS_OBJ(v)->type, &BytesType)))
#define IS_EXACT_BYTES(v) IS_TYPE(v, &BytesType)
/* v itself if it is an exact bytes, else an exact copy */
static Value bytes_exact(Value v) {
    return IS_EXACT_BYTES(v) ? incref(v) : bytes_new(B_DATA(v), B_LEN(v));
}

static Value g_empty_bytes;

static BytesObj *bytes_alloc(size_t len) {
    if (len > (size_t)INTPTR_MAX - sizeof(BytesObj) - 1) {
        err_no_memory();
        return NULL;
    }
    BytesObj *b = (BytesObj *)gc_alloc(&BytesType, sizeof(BytesObj) + len + 1);
    if (!b) return NULL;
    b->len = len;
    b->hash = -1;
    b->data[len] = 0;
    return b;
}

Value bytes_new(const void *data, size_t len) {
    if (len == 0) {
        if (!g_empty_bytes) {
            BytesObj *b = bytes_alloc(0);
            if (!b) return VNULL;
            g_empty_bytes = OBJ_VAL(b);
        }
        return incref(g_empty_bytes);
    }
    BytesObj *b = bytes_alloc(len);
    if (!b) return VNULL;
    memcpy(b->data, data, len);
    return OBJ_VAL(b);
}

static Value bytes_sub(Value v, size_t b0, size_t b1) {
    if (b0 == 0 && b1 == B_LEN(v)) return bytes_exact(v);
    return bytes_new(B_DATA(v) + b0, b1 - b0);
}

/* A bytes-like argument (only bytes here): its data, or NULL + TypeError. */
static bool need_bytes(Value v) {
    if (IS_BYTES(v)) return true;
    err_format(&Exc_TypeError, "a bytes-like object is required, not '%T'", v);
    return false;
}

/* ===== repr ============================================================================ */

Value bytes_repr(Value v) {
    const uint8_t *d = B_DATA(v);
    size_t n = B_LEN(v);
    bool sq = memchr(d, '\'', n) != NULL, dq = memchr(d, '"', n) != NULL;
    char quote = (sq && !dq) ? '"' : '\'';
    StrBuf b;
    sb_init(&b);
    sb_addc(&b, 'b');
    sb_addc(&b, quote);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = d[i];
        if (c == (uint8_t)quote || c == '\\') { sb_addc(&b, '\\'); sb_addc(&b, (char)c); }
        else if (c == '\t') sb_add(&b, "\\t", 2);
        else if (c == '\n') sb_add(&b, "\\n", 2);
        else if (c == '\r') sb_add(&b, "\\r", 2);
        else if (c < 0x20 || c >= 0x7F) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            sb_add(&b, e, 4);
        } else sb_addc(&b, (char)c);
    }
    sb_addc(&b, quote);
    return sb_finish(&b);
}

/* ===== slots ============================================================================ */

static int64_t bytes_hash(Value v) {
    BytesObj *b = AS_BYTES(v);
    if (b->hash == -1) b->hash = text_hash_bytes(b->data, b->len);
    return b->hash;
}

static intptr_t bytes_len(Value v) { return (intptr_t)B_LEN(v); }
static int bytes_truth(Value v) { return B_LEN(v) != 0; }

static Value bytes_getitem(Value v, Value key) {
    intptr_t n = (intptr_t)B_LEN(v);
    if (IS_TYPE(key, &SliceType)) {
        intptr_t start, stop, step, len;
        if (slice_indices(key, n, &start, &stop, &step, &len) < 0) return VNULL;
        if (len <= 0) return bytes_new("", 0);
        if (step == 1) return bytes_sub(v, (size_t)start, (size_t)stop);
        BytesObj *r = bytes_alloc((size_t)len);
        if (!r) return VNULL;
        for (intptr_t k = 0, i = start; k < len; k++, i += step) r->data[k] = B_DATA(v)[i];
        return OBJ_VAL(r);
    }
    if (!int_check(key) && !(IS_OBJ(key) && type_lookup(TYPE_OF(key), NM.__index__)))
        return err_format(&Exc_TypeError, "byte indices must be integers or slices, not %T", key);
    intptr_t i;
    if (arg_as_ssize(key, &i) < 0) {
        if (err_matches(&Exc_OverflowError)) {
            err_clear();
            return err_format(&Exc_IndexError, "cannot fit '%T' into an index-sized integer", key);
        }
        return VNULL;
    }
    if (i < 0) i += n;
    if (i < 0 || i >= n) return err_format(&Exc_IndexError, "index out of range");
    return MK_INT(B_DATA(v)[i]);
}

/* A single byte value from an int argument: 0..255, or -1 with ValueError. */
static int byte_value(Value v) {
    intptr_t x;
    if (arg_as_ssize(v, &x) < 0) {
        if (!err_matches(&Exc_OverflowError)) return -1;
        err_clear();
        x = -1;
    }
    if (x < 0 || x > 255) {
        err_format(&Exc_ValueError, "byte must be in range(0, 256)");
        return -1;
    }
    return (int)x;
}

static intptr_t bfind(const uint8_t *h, size_t from, size_t to, const uint8_t *nd, size_t n, bool reverse) {
    if (to < from || to - from < n) return -1;
    if (n == 0) return (intptr_t)(reverse ? to : from);
    if (!reverse) {
        const uint8_t *p = n == 1 ? memchr(h + from, nd[0], to - from) : memmem(h + from, to - from, nd, n);
        return p ? p - h : -1;
    }
    for (size_t i = to - n + 1; i-- > from;)
        if (h[i] == nd[0] && memcmp(h + i, nd, n) == 0) return (intptr_t)i;
    return -1;
}

static int bytes_contains(Value v, Value item) {
    if (int_check(item)) {
        int c = byte_value(item);
        if (c < 0) return -1;
        return memchr(B_DATA(v), c, B_LEN(v)) != NULL;
    }
    if (!need_bytes(item)) return -1;
    return bfind(B_DATA(v), 0, B_LEN(v), B_DATA(item), B_LEN(item), false) >= 0;
}

static Value bytes_richcmp(Value a, Value b, RichCmpOp op) {
    if (!IS_BYTES(a) || !IS_BYTES(b)) return incref(NotImplemented);
    size_t la = B_LEN(a), lb = B_LEN(b);
    if ((op == RC_EQ || op == RC_NE) && la != lb) return bool_new(op == RC_NE);
    int c = memcmp(B_DATA(a), B_DATA(b), la < lb ? la : lb);
    if (c == 0) c = la < lb ? -1 : la > lb;
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

static Value bytes_binop(Value a, Value b, int op) {
    switch (op & (BINOP_INPLACE - 1)) {
    case OP_ADD: {
        if (!IS_BYTES(a)) return incref(NotImplemented);
        if (!IS_BYTES(b)) {
            if (IS_OBJ(b) && (AS_OBJ(b)->type->flags & TF_HEAPTYPE) && type_lookup(AS_OBJ(b)->type, NM.__radd__))
                return incref(NotImplemented);
            return err_format(&Exc_TypeError, "can't concat %T to bytes", b);
        }
        size_t la = B_LEN(a), lb = B_LEN(b);
        if (lb == 0) return bytes_exact(a);
        if (la == 0) return bytes_exact(b);
        if (la > (size_t)INTPTR_MAX - lb) return err_no_memory();
        BytesObj *r = bytes_alloc(la + lb);
        if (!r) return VNULL;
        memcpy(r->data, B_DATA(a), la);
        memcpy(r->data + la, B_DATA(b), lb);
        return OBJ_VAL(r);
    }
    case OP_MUL: {
        Value s = IS_BYTES(a) ? a : b, n = IS_BYTES(a) ? b : a;
        if (!int_check(n) && !(IS_OBJ(n) && type_lookup(TYPE_OF(n), NM.__index__))) {
            if (s == a && IS_OBJ(n) && (AS_OBJ(n)->type->flags & TF_HEAPTYPE)) {
                Value m = type_lookup(AS_OBJ(n)->type, NM.__rmul__);   /* a class statement's own */
                if (m && !IS_TYPE(m, &SlotWrapperType)) return incref(NotImplemented);
            }
            if (s == b && seq_repeats(a)) return incref(NotImplemented);   /* a's * names b */
            return err_format(&Exc_TypeError, "can't multiply sequence by non-int of type '%T'", n);
        }
        intptr_t count;
        if (arg_as_ssize(n, &count) < 0) {
            if (err_matches(&Exc_OverflowError)) {
                err_clear();
                return err_format(&Exc_OverflowError, "cannot fit '%T' into an index-sized integer", n);
            }
            return VNULL;
        }
        size_t len = B_LEN(s);
        if (count <= 0 || len == 0) return bytes_new("", 0);
        if (count == 1) return bytes_exact(s);
        if ((size_t)count > (size_t)INTPTR_MAX / len) return err_format(&Exc_OverflowError, "repeated bytes are too long");
        size_t total = len * (size_t)count;
        BytesObj *r = bytes_alloc(total);
        if (!r) return VNULL;
        memcpy(r->data, B_DATA(s), len);
        for (size_t done = len; done < total;) {
            size_t k = done < total - done ? done : total - done;
            memcpy(r->data + done, r->data, k);
            done += k;
        }
        return OBJ_VAL(r);
    }
    case OP_MOD:
        if (!IS_BYTES(a)) return incref(NotImplemented);
        return bytes_format_percent(a, b);
    default:
        return incref(NotImplemented);
    }
}

/* ===== bytes(...) ======================================================================== */

static Value bytes_from_iterable(Value x) {
    Value it = obj_iter(x);
    if (!it) {
        if (err_matches(&Exc_TypeError)) {
            err_clear();
            return err_format(&Exc_TypeError, "cannot convert '%T' object to bytes", x);
        }
        return VNULL;
    }
    StrBuf b;
    sb_init(&b);
    Value item;
    while ((item = obj_next(it))) {
        intptr_t c;
        int rc = arg_as_ssize(item, &c);
        decref(item);
        if (rc < 0) {
            if (err_matches(&Exc_OverflowError)) { err_clear(); c = -1; }
            else goto fail;
        }
        if (c < 0 || c > 255) {
            err_format(&Exc_ValueError, "bytes must be in range(0, 256)");
            goto fail;
        }
        sb_addc(&b, (char)c);
        if (b.failed) goto fail;
    }
    if (err_occurred()) goto fail;
    decref(it);
    Value r = bytes_new(b.data ? b.data : "", b.len);
    sb_free(&b);
    return r;
fail:
    decref(it);
    sb_free(&b);
    return VNULL;
}

static Value bytes_tp_new_exact(Value *args, size_t nargs, Value kwnames);

/* bytes(...) for bytes itself, or a subclass: build the value, then copy it
 * into an instance of the subclass (whose __dict__ slot, if any, follows
 * the data: type.c). */
static Value bytes_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    Value v = bytes_tp_new_exact(args, nargs, kwnames);
    if (!v || t == &BytesType) return v;
    size_t len = B_LEN(v);
    BytesObj *r = (BytesObj *)gc_alloc(t, type_varsize_alloc(t, offsetof(BytesObj, data) + len + 1));
    if (r) {
        r->len = len;
        r->hash = -1;
        memcpy(r->data, B_DATA(v), len + 1);
    }
    decref(v);
    return r ? OBJ_VAL(r) : VNULL;
}

static Value bytes_tp_new_exact(Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {"source", "encoding", "errors"};
    Value a[3];
    if (kwargs_bind("bytes", args, nargs, kwnames, names, 3, 3, a) < 0) return VNULL;
    Value x = a[0];
    if (!x) {
        if (a[1] || a[2]) return err_format(&Exc_TypeError, a[1] ? "encoding without a string argument"
                                                                 : "errors without a string argument");
        return bytes_new("", 0);
    }
    if (str_check(x)) {
        if (!a[1]) return err_format(&Exc_TypeError, "string argument without an encoding");
        for (int i = 1; i < 3; i++)
            if (a[i] && !str_check(a[i]))
                return err_format(&Exc_TypeError, "bytes() argument '%s' must be str, not %T", names[i], a[i]);
        return str_encode_to(x, a[1], a[2] ? STR_DATA(a[2]) : NULL);
    }
    if (a[1]) return err_format(&Exc_TypeError, "encoding without a string argument");
    if (a[2]) return err_format(&Exc_TypeError, "errors without a string argument");
    if (IS_BYTES(x)) return bytes_exact(x);
    Value dunder_bytes = str_intern_cstr("__bytes__");
    if (IS_OBJ(x) && dunder_bytes && type_lookup(TYPE_OF(x), dunder_bytes)) {
        Value r = obj_call_method(x, dunder_bytes, NULL, 0);
        if (r && !IS_BYTES(r)) {
            err_format(&Exc_TypeError, "__bytes__ returned non-bytes (type %T)", r);
            decref(r);
            return VNULL;
        }
        return r;
    }
    if (int_check(x) || (IS_OBJ(x) && type_lookup(TYPE_OF(x), NM.__index__))) {
        intptr_t n;
        if (arg_as_ssize(x, &n) < 0) {
            if (err_matches(&Exc_OverflowError)) {
                err_clear();
                return err_format(&Exc_OverflowError, "cannot fit '%T' into an index-sized integer", x);
            }
            return VNULL;
        }
        if (n < 0) return err_format(&Exc_ValueError, "negative count");
        BytesObj *r = bytes_alloc((size_t)n);
        if (!r) return VNULL;
        return OBJ_VAL(r);   /* gc_alloc zeroed it */
    }
    return bytes_from_iterable(x);
}

/* ===== methods ============================================================================== */

static Value bm_decode(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = {"encoding", "errors"};
    Value a[2];
    if (kwargs_bind("decode", args, nargs, kw, names, 2, 2, a) < 0) return VNULL;
    for (int i = 0; i < 2; i++)
        if (a[i] && !str_check(a[i]))
            return err_format(&Exc_TypeError, "decode() argument '%s' must be str, not %T", names[i], a[i]);
    return str_decode(B_DATA(self), B_LEN(self), a[0], a[1] ? STR_DATA(a[1]) : NULL);
}

static Value bm_hex(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = {"sep", "bytes_per_sep"};
    Value a[2];
    if (kwargs_bind("hex", args, nargs, kw, names, 2, 2, a) < 0) return VNULL;
    const char *sep = NULL;
    size_t seplen = 0;
    intptr_t per = 1;
    if (a[0]) {
        if (str_check(a[0])) {
            if (AS_STR(a[0])->nchars != 1) return err_format(&Exc_ValueError, "sep must be length 1.");
            sep = STR_DATA(a[0]);
            seplen = STR_LEN(a[0]);
        } else if (IS_BYTES(a[0])) {
            if (B_LEN(a[0]) != 1) return err_format(&Exc_ValueError, "sep must be length 1.");
            sep = (const char *)B_DATA(a[0]);
            seplen = 1;
        } else {
            return err_format(&Exc_TypeError, "sep must be str or bytes.");
        }
    }
    if (a[1] && arg_as_ssize(a[1], &per) < 0) return VNULL;
    const uint8_t *d = B_DATA(self);
    size_t n = B_LEN(self);
    static const char hex[] = "0123456789abcdef";
    StrBuf b;
    sb_init(&b);
    size_t group = per < 0 ? (size_t)-per : (size_t)per;
    for (size_t i = 0; i < n && !b.failed; i++) {
        if (sep && group && i > 0) {
            /* positive: groups counted from the right; negative: from the left */
            bool boundary = per > 0 ? (n - i) % group == 0 : i % group == 0;
            if (boundary) sb_add(&b, sep, seplen);
        }
        sb_addc(&b, hex[d[i] >> 4]);
        sb_addc(&b, hex[d[i] & 15]);
    }
    return sb_finish(&b);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 32;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static Value bm_fromhex(Value cls, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("bytes.fromhex", kw) < 0 || argc_one("bytes.fromhex", nargs) < 0) return VNULL;
    Value s = args[0];
    if (!str_check(s)) return err_format(&Exc_TypeError, "fromhex() argument must be str, not %T", s);
    const char *p = STR_DATA(s);
    size_t n = STR_LEN(s);
    StrBuf b;
    sb_init(&b);
    size_t i = 0, ci = 0;   /* byte and character positions */
    while (i < n) {
        if (uni_isspace((uint8_t)p[i]) && (uint8_t)p[i] < 0x80) { i++; ci++; continue; }
        int hi = hexval((uint8_t)p[i]);
        if (hi < 0) goto bad;
        i++; ci++;
        int lo = i < n ? hexval((uint8_t)p[i]) : -1;
        if (lo < 0) goto bad;
        i++; ci++;
        sb_addc(&b, (char)(hi * 16 + lo));
    }
    {
        if (b.failed) { sb_free(&b); return VNULL; }
        Value r = bytes_new(b.data ? b.data : "", b.len);
        sb_free(&b);
        if (!r || !cls || cls == OBJ_VAL(&BytesType)) return r;
        Value r2 = obj_call1(cls, r);
        decref(r);
        return r2;
    }
bad:
    sb_free(&b);
    return err_format(&Exc_ValueError, "non-hexadecimal number found in fromhex() arg at position %zu", ci);
}

/* sub argument of find/count/index: bytes or an int byte value. */
static int sub_arg(Value v, const uint8_t **p, size_t *n, uint8_t *one) {
    if (IS_BYTES(v)) { *p = B_DATA(v); *n = B_LEN(v); return 0; }
    if (int_check(v) || (IS_OBJ(v) && type_lookup(TYPE_OF(v), NM.__index__))) {
        int c = byte_value(v);
        if (c < 0) return -1;
        *one = (uint8_t)c;
        *p = one;
        *n = 1;
        return 0;
    }
    err_format(&Exc_TypeError, "argument should be integer or bytes-like object, not '%T'", v);
    return -1;
}

static void adjust(intptr_t *start, intptr_t *end, intptr_t len) {
    if (*end > len) *end = len;
    else if (*end < 0) { *end += len; if (*end < 0) *end = 0; }
    if (*start < 0) { *start += len; if (*start < 0) *start = 0; }
}

static Value find_common(const char *name, Value self, Value *args, size_t nargs, Value kw, int mode) {
    /* mode: 0 find, 1 rfind, 2 index, 3 rindex, 4 count */
    if (argc_nokw2("bytes", name, kw) < 0 || argc_old(name, nargs, 1, 3) < 0) return VNULL;
    intptr_t start = 0, end = INTPTR_MAX;
    if (nargs > 1 && arg_slice_index(args[1], &start) < 0) return VNULL;
    if (nargs > 2 && arg_slice_index(args[2], &end) < 0) return VNULL;
    const uint8_t *sub;
    size_t n;
    uint8_t one;
    if (sub_arg(args[0], &sub, &n, &one) < 0) return VNULL;
    intptr_t len = (intptr_t)B_LEN(self);
    adjust(&start, &end, len);
    const uint8_t *d = B_DATA(self);
    if (mode == 4) {
        if (end - start < (intptr_t)n) return MK_INT(0);
        if (n == 0) return MK_INT(end - start + 1);
        intptr_t count = 0;
        size_t i = (size_t)start;
        intptr_t r;
        while ((r = bfind(d, i, (size_t)end, sub, n, false)) >= 0) { count++; i = (size_t)r + n; }
        return MK_INT(count);
    }
    intptr_t r = end - start < (intptr_t)n ? -1 : bfind(d, (size_t)start, (size_t)end, sub, n, mode & 1);
    if (r < 0 && mode >= 2) return err_format(&Exc_ValueError, "subsection not found");
    return MK_INT(r);
}
static Value bm_find(Value s, Value *a, size_t n, Value k) { return find_common("find", s, a, n, k, 0); }
static Value bm_rfind(Value s, Value *a, size_t n, Value k) { return find_common("rfind", s, a, n, k, 1); }
static Value bm_index(Value s, Value *a, size_t n, Value k) { return find_common("index", s, a, n, k, 2); }
static Value bm_rindex(Value s, Value *a, size_t n, Value k) { return find_common("rindex", s, a, n, k, 3); }
static Value bm_count(Value s, Value *a, size_t n, Value k) { return find_common("count", s, a, n, k, 4); }

static int btail(Value self, Value sub, intptr_t start, intptr_t end, bool at_end) {
    adjust(&start, &end, (intptr_t)B_LEN(self));
    end -= (intptr_t)B_LEN(sub);
    if (end < start) return 0;
    size_t at = (size_t)(at_end ? end : start);
    return memcmp(B_DATA(self) + at, B_DATA(sub), B_LEN(sub)) == 0;
}

static Value affix(const char *name, Value self, Value *args, size_t nargs, Value kw, bool at_end) {
    if (argc_nokw2("bytes", name, kw) < 0 || argc_old(name, nargs, 1, 3) < 0) return VNULL;
    intptr_t start = 0, end = INTPTR_MAX;
    if (nargs > 1 && arg_slice_index(args[1], &start) < 0) return VNULL;
    if (nargs > 2 && arg_slice_index(args[2], &end) < 0) return VNULL;
    Value x = args[0];
    if (IS_TYPE(x, &TupleType)) {
        for (size_t i = 0; i < TUPLE_LEN(x); i++) {
            if (!need_bytes(TUPLE_ITEMS(x)[i])) return VNULL;
            if (btail(self, TUPLE_ITEMS(x)[i], start, end, at_end)) return bool_new(1);
        }
        return bool_new(0);
    }
    if (!IS_BYTES(x))
        return err_format(&Exc_TypeError, "%s first arg must be bytes or a tuple of bytes, not %T", name, x);
    return bool_new(btail(self, x, start, end, at_end));
}
static Value bm_startswith(Value s, Value *a, size_t n, Value k) { return affix("startswith", s, a, n, k, false); }
static Value bm_endswith(Value s, Value *a, size_t n, Value k) { return affix("endswith", s, a, n, k, true); }

static bool bspace(uint8_t c) { return c == ' ' || (c >= 9 && c <= 13); }

static int list_add_bytes(Value list, Value self, size_t a, size_t b) {
    Value item = bytes_sub(self, a, b);
    if (!item) return -1;
    int rc = list_append(list, item);
    decref(item);
    return rc;
}

static Value split_common(const char *name, Value self, Value *args, size_t nargs, Value kw, bool reverse) {
    static const char *const names[] = {"sep", "maxsplit"};
    Value a[2];
    if (kwargs_bind(name, args, nargs, kw, names, 2, 2, a) < 0) return VNULL;
    intptr_t maxsplit = -1;
    if (a[1] && arg_as_ssize(a[1], &maxsplit) < 0) return VNULL;
    if (maxsplit < 0) maxsplit = INTPTR_MAX;
    Value sep = a[0] && !IS_NONE(a[0]) ? a[0] : VNULL;
    if (sep && !need_bytes(sep)) return VNULL;
    if (sep && B_LEN(sep) == 0) return err_format(&Exc_ValueError, "empty separator");
    const uint8_t *d = B_DATA(self);
    size_t len = B_LEN(self);
    Value list = list_new(0);
    if (!list) return VNULL;
    if (!sep) {
        if (!reverse) {
            size_t i = 0;
            while (maxsplit-- > 0) {
                while (i < len && bspace(d[i])) i++;
                if (i == len) break;
                size_t j = i;
                while (i < len && !bspace(d[i])) i++;
                if (list_add_bytes(list, self, j, i) < 0) goto fail;
            }
            while (i < len && bspace(d[i])) i++;
            if (i < len && list_add_bytes(list, self, i, len) < 0) goto fail;
        } else {
            size_t i = len;
            while (maxsplit-- > 0) {
                while (i > 0 && bspace(d[i - 1])) i--;
                if (i == 0) break;
                size_t j = i;
                while (i > 0 && !bspace(d[i - 1])) i--;
                if (list_add_bytes(list, self, i, j) < 0) goto fail;
            }
            while (i > 0 && bspace(d[i - 1])) i--;
            if (i > 0 && list_add_bytes(list, self, 0, i) < 0) goto fail;
        }
    } else {
        size_t n = B_LEN(sep);
        if (!reverse) {
            size_t i = 0;
            intptr_t r;
            while (maxsplit-- > 0 && (r = bfind(d, i, len, B_DATA(sep), n, false)) >= 0) {
                if (list_add_bytes(list, self, i, (size_t)r) < 0) goto fail;
                i = (size_t)r + n;
            }
            if (list_add_bytes(list, self, i, len) < 0) goto fail;
        } else {
            size_t j = len;
            intptr_t r;
            while (maxsplit-- > 0 && (r = bfind(d, 0, j, B_DATA(sep), n, true)) >= 0) {
                if (list_add_bytes(list, self, (size_t)r + n, j) < 0) goto fail;
                j = (size_t)r;
            }
            if (list_add_bytes(list, self, 0, j) < 0) goto fail;
        }
    }
    if (reverse) {
        Value *it = LIST_ITEMS(list);
        for (size_t i = 0, j = LIST_LEN(list); j > i + 1; i++, j--) { Value t = it[i]; it[i] = it[j - 1]; it[j - 1] = t; }
    }
    return list;
fail:
    decref(list);
    return VNULL;
}
static Value bm_split(Value s, Value *a, size_t n, Value k) { return split_common("split", s, a, n, k, false); }
static Value bm_rsplit(Value s, Value *a, size_t n, Value k) { return split_common("rsplit", s, a, n, k, true); }

static Value bm_join(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("bytes.join", kw) < 0 || argc_one("bytes.join", nargs) < 0) return VNULL;
    Value seq;
    if (IS_TYPE(args[0], &ListType) || IS_TYPE(args[0], &TupleType)) seq = incref(args[0]);
    else {
        Value it = obj_iter(args[0]);
        if (!it) {
            if (err_matches(&Exc_TypeError)) { err_clear(); return err_format(&Exc_TypeError, "can only join an iterable"); }
            return VNULL;
        }
        seq = list_from_iterable(it);
        decref(it);
        if (!seq) return VNULL;
    }
    bool is_list = IS_TYPE(seq, &ListType);
    size_t n = is_list ? LIST_LEN(seq) : TUPLE_LEN(seq);
    Value *items = is_list ? LIST_ITEMS(seq) : TUPLE_ITEMS(seq);
    size_t total = 0, sl = B_LEN(self);
    for (size_t i = 0; i < n; i++) {
        if (!IS_BYTES(items[i])) {
            decref(seq);
            return err_format(&Exc_TypeError, "sequence item %zu: expected a bytes-like object, %T found", i, items[i]);
        }
        total += B_LEN(items[i]) + (i ? sl : 0);
    }
    BytesObj *r = bytes_alloc(total);
    if (!r) { decref(seq); return VNULL; }
    uint8_t *p = r->data;
    for (size_t i = 0; i < n; i++) {
        if (i) { memcpy(p, B_DATA(self), sl); p += sl; }
        memcpy(p, B_DATA(items[i]), B_LEN(items[i]));
        p += B_LEN(items[i]);
    }
    decref(seq);
    return OBJ_VAL(r);
}

static Value strip_common(const char *name, Value self, Value *args, size_t nargs, Value kw, int where) {
    if (argc_nokw2("bytes", name, kw) < 0 || argc_new(name, nargs, 0, 1) < 0) return VNULL;
    uint8_t set[256] = {0};
    if (nargs && !IS_NONE(args[0])) {
        if (!need_bytes(args[0])) return VNULL;
        for (size_t i = 0; i < B_LEN(args[0]); i++) set[B_DATA(args[0])[i]] = 1;
    } else {
        for (int c = 0; c < 256; c++) set[c] = bspace((uint8_t)c);
    }
    const uint8_t *d = B_DATA(self);
    size_t i = 0, j = B_LEN(self);
    if (where & 1) while (i < j && set[d[i]]) i++;
    if (where & 2) while (j > i && set[d[j - 1]]) j--;
    return bytes_sub(self, i, j);
}
static Value bm_strip(Value s, Value *a, size_t n, Value k) { return strip_common("strip", s, a, n, k, 3); }
static Value bm_lstrip(Value s, Value *a, size_t n, Value k) { return strip_common("lstrip", s, a, n, k, 1); }
static Value bm_rstrip(Value s, Value *a, size_t n, Value k) { return strip_common("rstrip", s, a, n, k, 2); }

static Value bm_replace(Value self, Value *args, size_t nargs, Value kw) {
    if (argc_nokw("bytes.replace", kw) < 0 || argc_new("replace", nargs, 2, 3) < 0) return VNULL;
    if (!need_bytes(args[0]) || !need_bytes(args[1])) return VNULL;
    intptr_t maxcount = -1;
    if (nargs > 2 && arg_as_ssize(args[2], &maxcount) < 0) return VNULL;
    if (maxcount < 0) maxcount = INTPTR_MAX;
    const uint8_t *d = B_DATA(self), *o = B_DATA(args[0]), *w = B_DATA(args[1]);
    size_t len = B_LEN(self), ol = B_LEN(args[0]), wl = B_LEN(args[1]);
    StrBuf b;
    sb_init(&b);
    if (ol == 0) {
        intptr_t done = 0;
        for (size_t i = 0; i <= len; i++) {
            if (done < maxcount) { sb_add(&b, (const char *)w, wl); done++; }
            if (i < len) sb_addc(&b, (char)d[i]);
        }
    } else {
        size_t i = 0;
        intptr_t r, done = 0;
        while (done < maxcount && (r = bfind(d, i, len, o, ol, false)) >= 0) {
            sb_add(&b, (const char *)d + i, (size_t)r - i);
            sb_add(&b, (const char *)w, wl);
            i = (size_t)r + ol;
            done++;
        }
        if (done == 0) { sb_free(&b); return bytes_exact(self); }
        sb_add(&b, (const char *)d + i, len - i);
    }
    if (b.failed) { sb_free(&b); return VNULL; }
    Value res = bytes_new(b.data ? b.data : "", b.len);
    sb_free(&b);
    return res;
}

static Value bm_partition_common(const char *name, Value self, Value *args, size_t nargs, Value kw, bool reverse) {
    if (argc_nokw(name, kw) < 0 || argc_one(name, nargs) < 0) return VNULL;
    Value sep = args[0];
    if (!need_bytes(sep)) return VNULL;
    if (B_LEN(sep) == 0) return err_format(&Exc_ValueError, "empty separator");
    size_t len = B_LEN(self), n = B_LEN(sep);
    intptr_t r = bfind(B_DATA(self), 0, len, B_DATA(sep), n, reverse);
    Value e = bytes_new("", 0);
    if (!e) return VNULL;
    Value res;
    if (r < 0) res = reverse ? tuple_pack(3, e, e, self) : tuple_pack(3, self, e, e);
    else {
        Value a = bytes_sub(self, 0, (size_t)r), c = bytes_sub(self, (size_t)r + n, len);
        res = (a && c) ? tuple_pack(3, a, sep, c) : VNULL;
        if (a) decref(a);
        if (c) decref(c);
    }
    decref(e);
    return res;
}
static Value bm_partition(Value s, Value *a, size_t n, Value k) { return bm_partition_common("bytes.partition", s, a, n, k, false); }
static Value bm_rpartition(Value s, Value *a, size_t n, Value k) { return bm_partition_common("bytes.rpartition", s, a, n, k, true); }

typedef enum { BC_UPPER, BC_LOWER, BC_SWAP } BCase;

static Value bytes_case(Value self, BCase op) {
    size_t n = B_LEN(self);
    BytesObj *r = bytes_alloc(n);
    if (!r) return VNULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = B_DATA(self)[i];
        bool lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z';
        if (op == BC_UPPER && lo) c -= 32;
        else if (op == BC_LOWER && up) c += 32;
        else if (op == BC_SWAP) c = lo ? c - 32 : up ? c + 32 : c;
        r->data[i] = c;
    }
    return OBJ_VAL(r);
}

#define BCASE(fn, qual, op) \
    static Value fn(Value self, Value *args, size_t nargs, Value kw) { \
        (void)args; \
        if (argc_nokw(qual, kw) < 0 || argc_none(qual, nargs) < 0) return VNULL; \
        return bytes_case(self, op); \
    }
BCASE(bm_upper, "bytes.upper", BC_UPPER)
BCASE(bm_lower, "bytes.lower", BC_LOWER)
BCASE(bm_swapcase, "bytes.swapcase", BC_SWAP)

static bool b_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool b_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool b_alnum(uint8_t c) { return b_alpha(c) || b_digit(c); }

#define BPRED(fn, qual, pred) \
    static Value fn(Value self, Value *args, size_t nargs, Value kw) { \
        (void)args; \
        if (argc_nokw(qual, kw) < 0 || argc_none(qual, nargs) < 0) return VNULL; \
        size_t n = B_LEN(self); \
        if (n == 0) return bool_new(0); \
        for (size_t i = 0; i < n; i++) if (!pred(B_DATA(self)[i])) return bool_new(0); \
        return bool_new(1); \
    }
BPRED(bm_isalpha, "bytes.isalpha", b_alpha)
BPRED(bm_isdigit, "bytes.isdigit", b_digit)
BPRED(bm_isalnum, "bytes.isalnum", b_alnum)
BPRED(bm_isspace, "bytes.isspace", bspace)

static Value bcase_pred(Value self, bool want_lower) {
    bool cased = false;
    for (size_t i = 0; i < B_LEN(self); i++) {
        uint8_t c = B_DATA(self)[i];
        bool lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z';
        if (want_lower ? up : lo) return bool_new(0);
        if (want_lower ? lo : up) cased = true;
    }
    return bool_new(cased);
}
static Value bm_islower(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (argc_nokw("bytes.islower", kw) < 0 || argc_none("bytes.islower", nargs) < 0) return VNULL;
    return bcase_pred(self, true);
}
static Value bm_isupper(Value self, Value *args, size_t nargs, Value kw) {
    (void)args;
    if (argc_nokw("bytes.isupper", kw) < 0 || argc_none("bytes.isupper", nargs) < 0) return VNULL;
    return bcase_pred(self, false);
}

static Value bm_getnewargs(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)kw;
    if (argc_none("bytes.__getnewargs__", nargs) < 0) return VNULL;
    Value b = bytes_exact(self);      /* a subclass's instance: a plain copy, as CPython */
    if (!b) return VNULL;
    Value r = tuple_pack(1, b);
    decref(b);
    return r;
}

/* ===== iterator ============================================================================== */

typedef struct { Obj h; Value bytes; size_t pos; } BytesIterObj;

static Value bytes_iter(Value v) {
    BytesIterObj *it = (BytesIterObj *)gc_alloc(&BytesIterType, sizeof(BytesIterObj));
    if (!it) return VNULL;
    it->bytes = incref(v);
    return OBJ_VAL(it);
}

static Value bi_iter(Value self) { return incref(self); }

static Value bi_next(Value self) {
    BytesIterObj *it = (BytesIterObj *)AS_OBJ(self);
    if (!it->bytes) return VNULL;
    if (it->pos >= B_LEN(it->bytes)) { clearref(&it->bytes); return VNULL; }
    return MK_INT(B_DATA(it->bytes)[it->pos++]);
}

static void bi_dealloc(Obj *o) { clearref(&((BytesIterObj *)o)->bytes); }

static Value bi_length_hint(Value self, Value *args, size_t nargs, Value kw) {
    (void)args; (void)nargs; (void)kw;
    BytesIterObj *it = (BytesIterObj *)AS_OBJ(self);
    return MK_INT(it->bytes ? B_LEN(it->bytes) - it->pos : 0);
}

/* ===== types ================================================================================== */

static const MethodDef bytes_methods[] = {
    {"decode", bm_decode, 0}, {"hex", bm_hex, 0}, {"fromhex", bm_fromhex, METH_CLASS},
    {"find", bm_find, 0}, {"rfind", bm_rfind, 0}, {"index", bm_index, 0}, {"rindex", bm_rindex, 0},
    {"count", bm_count, 0}, {"startswith", bm_startswith, 0}, {"endswith", bm_endswith, 0},
    {"split", bm_split, 0}, {"rsplit", bm_rsplit, 0}, {"join", bm_join, 0},
    {"strip", bm_strip, 0}, {"lstrip", bm_lstrip, 0}, {"rstrip", bm_rstrip, 0},
    {"replace", bm_replace, 0}, {"partition", bm_partition, 0}, {"rpartition", bm_rpartition, 0},
    {"upper", bm_upper, 0}, {"lower", bm_lower, 0}, {"swapcase", bm_swapcase, 0},
    {"isalpha", bm_isalpha, 0}, {"isdigit", bm_isdigit, 0}, {"isalnum", bm_isalnum, 0},
    {"isspace", bm_isspace, 0}, {"islower", bm_islower, 0}, {"isupper", bm_isupper, 0},
    {"__getnewargs__", bm_getnewargs, 0},
    {NULL, NULL, 0},
};

static const MethodDef bi_methods[] = {
    {"__length_hint__", bi_length_hint, 0},
    {NULL, NULL, 0},
};

Type BytesType = {
    STATIC_TYPE_HEAD,
    .name = "bytes",
    .flags = TF_BASETYPE,
    .size = sizeof(BytesObj),
    .tp_new = bytes_tp_new,
    .repr = bytes_repr,
    .hash = bytes_hash,
    .richcmp = bytes_richcmp,
    .truth = bytes_truth,
    .len = bytes_len,
    .iter = bytes_iter,
    .getitem = bytes_getitem,
    .contains = bytes_contains,
    .binop = bytes_binop,
};

Type BytesIterType = {
    STATIC_TYPE_HEAD,
    .name = "bytes_iterator",
    .size = sizeof(BytesIterObj),
    .dealloc = bi_dealloc,
    .iter = bi_iter,
    .iternext = bi_next,
};

void bytes_init_types(void) {
    type_add_methods(&BytesType, bytes_methods);
    type_ready(&BytesType);
    type_add_methods(&BytesIterType, bi_methods);
    type_ready(&BytesIterType);
}
