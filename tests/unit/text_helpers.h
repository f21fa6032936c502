/* text_helpers.h — helpers shared by test_str.c and test_float.c: building
 * values for the generated case tables and checking results against the
 * repr (or exception) python3 produced. */
#ifndef APY_TEST_TEXT_HELPERS_H
#define APY_TEST_TEXT_HELPERS_H

#include <criterion/criterion.h>
#include <string.h>
#include <stdarg.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "ast.h"

#define TH_STATIC static __attribute__((unused))

/* Values: the tests never free them (the process is short-lived). */
TH_STATIC Value S(const char *s) { Value v = str_from_cstr(s); cr_assert(v, "str_from_cstr"); return v; }
TH_STATIC Value SN(const char *s, size_t n) { Value v = str_new(s, n); cr_assert(v); return v; }
TH_STATIC Value B(const char *s, size_t n) { Value v = bytes_new(s, n); cr_assert(v); return v; }
TH_STATIC Value I(long long i) { return int_from_i64(i); }
TH_STATIC Value BIG(const char *digits) { Value v = int_from_string(digits, strlen(digits), 10); cr_assert(v); return v; }
TH_STATIC Value F(uint64_t bits) { double d; memcpy(&d, &bits, 8); Value v = float_new(d); cr_assert(v); return v; }
TH_STATIC Value C(Value re, Value im) {
    return complex_new(((FloatObj *)AS_OBJ(re))->v, ((FloatObj *)AS_OBJ(im))->v);
}
#define NONE   None
#define TRUE_  True_
#define FALSE_ False_

TH_STATIC Value T(int n, ...) {
    va_list ap; va_start(ap, n);
    Value t = tuple_new((size_t)n);
    for (int i = 0; i < n; i++) TUPLE_ITEMS(t)[i] = incref(va_arg(ap, Value));
    va_end(ap);
    return t;
}
TH_STATIC Value L(int n, ...) {
    va_list ap; va_start(ap, n);
    Value l = list_new(0);
    for (int i = 0; i < n; i++) list_append(l, va_arg(ap, Value));
    va_end(ap);
    return l;
}
TH_STATIC Value D(int n, ...) {
    va_list ap; va_start(ap, n);
    Value d = dict_new();
    for (int i = 0; i < n; i++) {
        Value k = va_arg(ap, Value);
        Value v = va_arg(ap, Value);
        dict_set(d, k, v);
    }
    va_end(ap);
    return d;
}
TH_STATIC Value SL(Value a, Value b, Value c) {
    return slice_new(IS_NONE(a) ? VNULL : a, IS_NONE(b) ? VNULL : b, IS_NONE(c) ? VNULL : c);
}

/* Operations that do not return a Value, wrapped so they do. */
TH_STATIC Value wrap_int(intptr_t r) { return r < 0 && err_occurred() ? VNULL : int_from_i64(r); }
TH_STATIC Value wrap_bool(int r) { return r < 0 ? VNULL : bool_new(r); }
#define CONTAINS(h, n) wrap_bool(obj_contains(h, n))
#define LEN(x) wrap_int(obj_len(x))
#define LIST_OF(x) list_from_iterable(x)
TH_STATIC Value HASH(Value x) { int64_t h = obj_hash(x); return h == -1 && err_occurred() ? VNULL : int_from_i64(h); }
TH_STATIC Value HASH_EQ(Value a, Value b) {
    int64_t x = obj_hash(a), y = obj_hash(b);
    if ((x == -1 || y == -1) && err_occurred()) return VNULL;
    return bool_new(x == y);
}
#define GETATTR(x, name) obj_getattr_cstr(x, name)

TH_STATIC Value CALLTYPE(Type *t, int n, ...) {
    Value args[8];
    va_list ap; va_start(ap, n);
    for (int i = 0; i < n; i++) args[i] = va_arg(ap, Value);
    va_end(ap);
    return obj_call(OBJ_VAL(t), args, (size_t)n, VNULL);
}
TH_STATIC Value call_class(Type *t, const char *name, int n, Value *args) {
    Value f = obj_getattr_cstr(OBJ_VAL(t), name);
    if (!f) return VNULL;
    Value r = obj_call(f, args, (size_t)n, VNULL);
    decref(f);
    return r;
}
#define CALLCLASS(t, name, ...) \
    call_class(t, name, (int)(sizeof((Value[]){__VA_ARGS__}) / sizeof(Value)), (Value[]){__VA_ARGS__})

/* self.name(*args[1..1+npos], **{kwn[i]: args[1+npos+i]}) */
TH_STATIC Value call_method(Value *a, size_t npos, const char **kwn, const char *name) {
    Value f = obj_getattr_cstr(a[0], name);
    if (!f) return VNULL;
    size_t nkw = 0;
    Value kwnames = VNULL;
    if (kwn) {
        while (kwn[nkw]) nkw++;
        kwnames = tuple_new(nkw);
        for (size_t i = 0; i < nkw; i++) TUPLE_ITEMS(kwnames)[i] = str_intern(S(kwn[i]));
    }
    Value r = obj_call(f, a + 1, npos, kwnames);
    decref(f);
    if (kwnames) decref(kwnames);
    return r;
}

TH_STATIC int text_failures;

/* Compare repr(result) with what python3 printed. */
TH_STATIC void check_ok(Value r, const char *expected, const char *what, int line) {
    if (!r) {
        Value e = err_fetch();
        Value s = e ? obj_str(e) : VNULL;
        cr_expect(0, "line %d: %s raised %s: %s (expected %s)", line, what, e ? obj_type_name(e) : "?",
                  s ? STR_DATA(s) : "?", expected);
        text_failures++;
        return;
    }
    Value rep = obj_repr(r);
    cr_assert(rep, "line %d: repr of the result of %s failed", line, what);
    if (strcmp(STR_DATA(rep), expected) != 0) {
        cr_expect(0, "line %d: %s gave %s, python3 gives %s", line, what, STR_DATA(rep), expected);
        text_failures++;
    }
    decref(rep);
    decref(r);
}

TH_STATIC void check_err(Value r, Type *t, const char *msg, const char *what, int line) {
    if (r) {
        Value rep = obj_repr(r);
        cr_expect(0, "line %d: %s returned %s, python3 raises %s: %s", line, what, rep ? STR_DATA(rep) : "?", t->name, msg);
        text_failures++;
        return;
    }
    Value e = err_fetch();
    cr_assert(e, "line %d: %s returned NULL without an exception", line, what);
    Value s = obj_str(e);
    if (!exc_matches(e, OBJ_VAL(t)) || !s || strcmp(STR_DATA(s), msg) != 0) {
        cr_expect(0, "line %d: %s raised %s: %s; python3 raises %s: %s", line, what, obj_type_name(e),
                  s ? STR_DATA(s) : "?", t->name, msg);
        text_failures++;
    }
    if (s) decref(s);
    decref(e);
}

#define EXPR_OK(expr, expected) check_ok((expr), expected, #expr, __LINE__)
#define EXPR_ERR(expr, type, msg) check_err((expr), type, msg, #expr, __LINE__)
/* Functions, not macros: the argument arrays are brace lists full of commas. */
TH_STATIC void call_ok(int line, Value *arr, size_t npos, const char **kwn, const char *name, const char *expected) {
    check_ok(call_method(arr, npos, kwn, name), expected, name, line);
}
TH_STATIC void call_err(int line, Value *arr, size_t npos, const char **kwn, const char *name, Type *t, const char *msg) {
    check_err(call_method(arr, npos, kwn, name), t, msg, name, line);
}
#define CALL_OK(...) call_ok(__LINE__, __VA_ARGS__)
#define CALL_ERR(...) call_err(__LINE__, __VA_ARGS__)

#endif
