/* test_builtins.c — the builtins namespace, print_values, files and the
 * sys/time/gc modules through the C API. Expected values and messages are
 * the ones python3 (3.11) prints.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "file.h"
#include "structseq.h"

static void setup(void) { vm_init(0, NULL); }
TestSuite(builtins, .init = setup);

static Value builtin(const char *name) {
    Value f = dict_get_str(vm.builtins, name);
    cr_assert(f, "builtins has no %s", name);
    return f;
}

static Value call(const char *name, size_t n, ...) {
    Value args[8];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) args[i] = va_arg(ap, Value);
    va_end(ap);
    return obj_call(builtin(name), args, n, VNULL);
}

static void expect_error(Type *t, const char *msg) {
    cr_assert(err_occurred(), "expected %s: %s", t->name, msg);
    Value e = err_fetch();
    cr_assert(exc_matches(e, OBJ_VAL(t)), "wrong exception type: %s (wanted %s)", obj_type_name(e), t->name);
    Value s = obj_str(e);
    cr_assert_str_eq(STR_DATA(s), msg);
    decref(s);
    decref(e);
}

static const char *repr_of(Value v) {
    cr_assert(v, "no value (error: %d)", err_occurred());
    Value s = obj_repr(v);
    cr_assert(s);
    return STR_DATA(s);
}

Test(builtins, names_are_bound) {
    const char *names[] = { "print", "len", "sorted", "open", "ValueError", "BaseException", "int",
                            "reversed", "Ellipsis", "__build_class__", "aiter", "anext", "ExceptionGroup", NULL };
    for (const char **p = names; *p; p++) cr_assert(dict_get_str(vm.builtins, *p), "%s missing", *p);
    cr_assert(!dict_get_str(vm.builtins, "CancelledError"));
    cr_assert(!dict_get_str(vm.builtins, "QueueEmpty"));
    cr_assert_eq(dict_get_str(vm.builtins, "BaseException"), OBJ_VAL(&BaseExceptionType));
    cr_assert_eq(dict_get_str(vm.builtins, "__debug__"), True_);
}

Test(builtins, len_and_messages) {
    Value l = list_new(0);
    list_append(l, MK_INT(1));
    cr_assert_eq(call("len", 1, l), MK_INT(1));
    cr_assert(!call("len", 1, MK_INT(5)));
    expect_error(&Exc_TypeError, "object of type 'int' has no len()");
    cr_assert(!call("len", 2, l, l));
    expect_error(&Exc_TypeError, "len() takes exactly one argument (2 given)");
    decref(l);
}

Test(builtins, sum_min_max) {
    Value l = list_new(0);
    for (int i = 1; i <= 4; i++) list_append(l, MK_INT(i));
    cr_assert_eq(call("sum", 1, l), MK_INT(10));
    cr_assert_eq(call("min", 1, l), MK_INT(1));
    cr_assert_eq(call("max", 3, MK_INT(3), MK_INT(9), MK_INT(2)), MK_INT(9));
    /* overflowing the small-int range switches to big ints */
    Value big = list_new(0);
    for (int i = 0; i < 3; i++) list_append(big, MK_INT(SMALL_INT_MAX));
    cr_assert_str_eq(repr_of(call("sum", 1, big)), "13835058055282163709");
    Value empty = list_new(0);
    cr_assert(!call("max", 1, empty));
    expect_error(&Exc_ValueError, "max() arg is an empty sequence");
    cr_assert(!call("sum", 2, l, str_from_cstr("")));
    expect_error(&Exc_TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    decref(l);
    decref(big);
    decref(empty);
}

Test(builtins, chr_ord_hex) {
    cr_assert_str_eq(repr_of(call("chr", 1, MK_INT(0x20AC))), "'€'");
    cr_assert_eq(call("ord", 1, str_from_cstr("€")), MK_INT(8364));
    cr_assert(!call("ord", 1, str_from_cstr("ab")));
    expect_error(&Exc_TypeError, "ord() expected a character, but string of length 2 found");
    cr_assert(!call("chr", 1, MK_INT(-1)));
    expect_error(&Exc_ValueError, "chr() arg not in range(0x110000)");
    cr_assert_str_eq(repr_of(call("hex", 1, MK_INT(-255))), "'-0xff'");
    cr_assert_str_eq(repr_of(call("bin", 1, MK_INT(5))), "'0b101'");
}

Test(builtins, next_with_default) {
    Value l = list_new(0);
    Value it = obj_iter(l);
    cr_assert_eq(call("next", 2, it, MK_INT(7)), MK_INT(7));
    cr_assert(!call("next", 1, it));
    cr_assert(err_matches(&Exc_StopIteration));
    err_clear();
    cr_assert(!call("next", 1, MK_INT(5)));
    expect_error(&Exc_TypeError, "'int' object is not an iterator");
    decref(it);
    decref(l);
}

Test(builtins, print_to_a_file) {
    char path[] = "/tmp/apy_test_builtins_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    Value p = str_from_cstr(path), mode = str_from_cstr("w");
    Value args[2] = { p, mode };
    Value f = file_open(args, 2, VNULL);
    cr_assert(f, "open failed");
    cr_assert(file_check(f));
    Value vals[3] = { MK_INT(1), str_from_cstr("two"), None };
    Value r = print_values(vals, 3, str_from_cstr("-"), VNULL, f, false);
    cr_assert(r);
    cr_assert_eq(file_write_text(f, "héllo\n", strlen("héllo\n")), 0);
    Value c = obj_call_method_cstr(f, "close", 0);
    cr_assert(c);
    FILE *in = fopen(path, "r");
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    unlink(path);
    cr_assert_eq(n, strlen("1-two-None\nhéllo\n"));
    cr_assert_str_eq(buf, "1-two-None\nhéllo\n");
    /* writing to a closed file */
    cr_assert(!print_values(vals, 1, VNULL, VNULL, f, false));
    expect_error(&Exc_ValueError, "I/O operation on closed file.");
    decref(f);
}

Test(builtins, print_checks_sep) {
    Value v = MK_INT(1);
    cr_assert(!print_values(&v, 1, MK_INT(3), VNULL, VNULL, false));
    expect_error(&Exc_TypeError, "sep must be None or a string, not int");
}

Test(builtins, open_errors) {
    Value p = str_from_cstr("/tmp/apy_no_such_dir_for_tests/x.txt");
    cr_assert(!file_open(&p, 1, VNULL));
    expect_error(&Exc_FileNotFoundError, "[Errno 2] No such file or directory: '/tmp/apy_no_such_dir_for_tests/x.txt'");
    Value args[2] = { p, str_from_cstr("rw") };
    cr_assert(!file_open(args, 2, VNULL));
    expect_error(&Exc_ValueError, "must have exactly one of create/read/write/append mode");
}

Test(builtins, sys_module) {
    Value sys = import_builtin_module("sys");
    cr_assert(sys);
    Value vi = obj_getattr_cstr(sys, "version_info");
    cr_assert(structseq_check(vi));
    cr_assert_str_eq(repr_of(vi), "sys.version_info(major=3, minor=11, micro=7, releaselevel='final', serial=0)");
    Value major = obj_getattr_cstr(vi, "major");
    cr_assert_eq(major, MK_INT(3));
    Value t = tuple_pack(2, MK_INT(3), MK_INT(8));
    cr_assert_eq(obj_richcmp_bool(vi, t, RC_GE), 1);
    Value out = obj_getattr_cstr(sys, "stdout");
    cr_assert(file_check(out));
    cr_assert_str_eq(repr_of(out), "<_io.TextIOWrapper name='<stdout>' mode='w' encoding='utf-8'>");
    Value lim = obj_call_method_cstr(sys, "getrecursionlimit", 0);
    cr_assert_eq(lim, MK_INT(vm.recursion_limit));
    cr_assert(!obj_call_method_cstr(sys, "setrecursionlimit", 1, MK_INT(0)));
    expect_error(&Exc_ValueError, "recursion limit must be greater or equal than 1");
}

Test(builtins, time_struct) {
    Value time = import_builtin_module("time");
    cr_assert(time);
    Value g = obj_call_method_cstr(time, "gmtime", 1, MK_INT(0));
    cr_assert_str_eq(repr_of(g), "time.struct_time(tm_year=1970, tm_mon=1, tm_mday=1, tm_hour=0, tm_min=0, "
                                 "tm_sec=0, tm_wday=3, tm_yday=1, tm_isdst=0)");
    Value s = obj_call_method_cstr(time, "asctime", 1, g);
    cr_assert_str_eq(STR_DATA(s), "Thu Jan  1 00:00:00 1970");
}

Test(builtins, gc_collects_a_cycle) {
    Value gcm = import_builtin_module("gc");
    cr_assert(gcm);
    Value a = list_new(0), b = list_new(0);
    list_append(a, b);
    list_append(b, a);
    decref(a);
    decref(b);
    Value n = obj_call_method_cstr(gcm, "collect", 0);
    cr_assert(n && IS_INT(n) && AS_INT(n) >= 2, "collect() found %ld", n && IS_INT(n) ? (long)AS_INT(n) : -1L);
    Value tracked = obj_call_method_cstr(gcm, "is_tracked", 1, MK_INT(1));
    cr_assert_eq(tracked, False_);
}
