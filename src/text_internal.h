/* text_internal.h — private glue between the text and number files
 * (obj_str.c, strbuf.c, obj_bytes.c, format.c, obj_float.c).
 *
 * Owns: nothing but declarations. Everything here is an implementation
 * detail of those five files; the rest of the interpreter uses object.h.
 * Must not touch: anything outside those files.
 */
#ifndef APY_TEXT_INTERNAL_H
#define APY_TEXT_INTERNAL_H

#include "object.h"

/* ---- obj_float.c: CPython's PyOS_double_to_string ------------------------- */
enum {
    DTSF_SIGN      = 1 << 0,   /* always write a sign */
    DTSF_ADD_DOT_0 = 1 << 1,   /* integral results get ".0" (repr, format without type) */
    DTSF_ALT       = 1 << 2,   /* '#': keep the point and trailing zeros */
    DTSF_NO_NEG_0  = 1 << 3,   /* 'z': a result that rounds to zero loses its '-' */
    DTSF_UPPER     = 1 << 4,   /* 'E' 'F' 'G': upper-case exponent, INF, NAN */
};
/* Format d like PyOS_double_to_string(d, code, precision, flags): code is
 * 'r' (shortest repr digits), 'e', 'f' or 'g'. Writes at most cap bytes
 * (NUL included) and returns the length the full result needs (excluding
 * the NUL), like snprintf; -1 with MemoryError if scratch memory failed. */
intptr_t float_to_chars(double d, char code, int precision, int flags, char *out, size_t cap);
/* The same, appended to a StrBuf. -1 on error. */
int sb_add_double(StrBuf *b, double d, char code, int precision, int flags);

/* ---- obj_str.c ---------------------------------------------------------------- */
/* The hash of str and bytes (equal for equal ASCII contents, as in CPython). */
int64_t text_hash_bytes(const void *data, size_t n);
bool uni_isspace(uint32_t c);
bool uni_isprintable(uint32_t c);
int  uni_decimal_value(uint32_t c);   /* 0..9 for any Nd character, else -1 */
/* str from bytes the caller knows are UTF-8, with nchars already counted. */
Value str_new_known(const char *utf8, size_t len, size_t nchars);
/* str from bytes that may be invalid UTF-8: bad sequences become U+FFFD. */
Value str_new_lossy(const char *s, size_t len);
/* The concatenation of n strs in one allocation (BUILD_STRING, f-strings):
 * no validation pass, counts summed. items are borrowed and must be str. */
Value str_concat_array(const Value *items, size_t n);
/* Byte offset of code point index i (0 <= i <= nchars). */
size_t str_offset_of(Value s, size_t i);
/* Codecs (utf-8, ascii, latin-1; errors strict/ignore/replace/backslashreplace/
 * xmlcharrefreplace). encoding VNULL means utf-8; errors NULL means strict. */
Value str_decode(const void *data, size_t len, Value encoding, const char *errors);
Value str_encode_to(Value s, Value encoding, const char *errors);
/* CPython's argument-count messages, in their several historic styles. */
int argc_old(const char *fname, size_t nargs, size_t min, size_t max);   /* "f() takes at most 2 arguments (3 given)" */
int argc_new(const char *fname, size_t nargs, size_t min, size_t max);   /* "f expected at most 1 argument, got 2" */
int argc_none(const char *qualname, size_t nargs);                      /* "str.upper() takes no arguments (1 given)" */
int argc_one(const char *qualname, size_t nargs);                       /* "str.zfill() takes exactly one argument (0 given)" */
int argc_nokw(const char *fname, Value kwnames);                        /* "f() takes no keyword arguments" */
int argc_nokw2(const char *tname, const char *fname, Value kwnames);    /* "str.f() takes no keyword arguments" */
/* Bind keywords for a C method: names[i] receives args[i] or the keyword
 * value; positional beyond npos is an error. Messages as Argument Clinic. */
int kwargs_bind(const char *fname, Value *args, size_t nargs, Value kwnames,
                const char *const *names, size_t nnames, size_t npos_max, Value *out);
/* An index-like argument (int, bool, or an object with __index__). */
int arg_as_ssize(Value v, intptr_t *out);
/* start/end arguments of find/count/startswith…: None or index-like.
 * "slice indices must be integers or None or have an __index__ method". */
int arg_slice_index(Value v, intptr_t *out);

/* ---- format.c ------------------------------------------------------------------ */
/* format(v, spec) with the spec as UTF-8 bytes (str.format's fields). */
Value format_value_cstr(Value v, const char *spec, size_t len);
/* "fmt % args" for str, and for bytes (%b, %s of bytes, %c of a byte). */
Value format_percent(Value fmt, Value args);
Value bytes_format_percent(Value fmt, Value args);

/* ---- strbuf.c ------------------------------------------------------------------ */
void sb_vaddf(StrBuf *b, const char *fmt, va_list ap);
/* Make room for n more bytes; returns the write position or NULL (failed). */
char *sb_reserve(StrBuf *b, size_t n);
/* Append one code point as UTF-8. */
void sb_add_cp(StrBuf *b, uint32_t cp);

#endif
