/* mod_sys.c — the sys module.
 *
 * Owns: sys_module_init and the sys.* functions and constants: argv, exit,
 * the standard streams, the recursion limit, modules, path, version
 * information, exc_info/exception, getsizeof, intern, _getframe, the int
 * string-conversion limit.
 * Must not touch: the VM's state beyond the fields it publishes for sys
 * (vm.argv, vm.modules, vm.recursion_limit, vm.frame), or the file
 * objects' insides (file.h).
 */
#include <float.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "containers.h"
#include "file.h"
#include "structseq.h"

#define APY_VERSION "0.1.0"
#define PY_HEXVERSION 0x030B07F0   /* 3.11.7 final */

/* obj_int.c may offer a setter for the int <-> str digit limit; until it
 * does, the limit set here is only reported back (see set_int_max_str_digits). */
void int_set_str_digits_limit(size_t n) __attribute__((weak));
static intptr_t local_digits_limit = -1;   /* -1: use obj_int.c's */

/* ===== functions ===================================================================== */

static Value sys_exit(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("exit", kwnames) || args_count("exit", nargs, 0, 1)) return VNULL;
    err_set_type(&Exc_SystemExit, nargs ? args[0] : VNULL);
    return VNULL;
}

static Value sys_getrecursionlimit(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("sys.getrecursionlimit", kwnames) || args_count("sys.getrecursionlimit", nargs, 0, 0)) return VNULL;
    return int_from_i64(vm.recursion_limit);
}

static Value sys_setrecursionlimit(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("sys.setrecursionlimit", kwnames) || args_count("sys.setrecursionlimit", nargs, 1, 1)) return VNULL;
    if (float_check(args[0])) return err_format(&Exc_TypeError, "'float' object cannot be interpreted as an integer");
    intptr_t n;
    if (index_as_ssize(args[0], &n, &Exc_OverflowError) < 0) return VNULL;
    if (n < 1) return err_format(&Exc_ValueError, "recursion limit must be greater or equal than 1");
    if (n > INT_MAX) return err_format(&Exc_OverflowError, "Python int too large to convert to C int");
    if (n <= vm.depth)
        return err_format(&Exc_RecursionError,
                          "cannot set the recursion limit to %d at the recursion depth %d: the limit is too low",
                          (int)n, vm.depth);
    vm.recursion_limit = (int)n;
    return none_new();
}

static Value sys_exc_info(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("exc_info", kwnames) || args_count("exc_info", nargs, 0, 0)) return VNULL;
    Value e = exc_get_handled();
    if (!e) return tuple_pack(3, None, None, None);
    Value tb = exc_traceback(e);
    return tuple_pack(3, OBJ_VAL(TYPE_OF(e)), e, tb ? tb : None);
}

static Value sys_exception(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("exception", kwnames) || args_count("exception", nargs, 0, 0)) return VNULL;
    Value e = exc_get_handled();
    return incref(e ? e : None);
}

/* An estimate of v's memory in bytes: the object (with its GC header)
 * plus the buffers it owns. Not CPython's numbers: apy's own. */
static size_t size_of(Value v) {
    if (IS_INT(v)) return sizeof(Value);   /* a tagged word: nothing on the heap */
    Obj *o = AS_OBJ(v);
    Type *t = o->type;
    size_t n = t->size;
    if (t->flags & TF_GC) n += 4 * sizeof(void *);   /* the collector's header */
    else n += sizeof(uint64_t);
    if (type_is_subtype(t, &StrType)) n += STR_LEN(v) + 1;
    else if (type_is_subtype(t, &BytesType)) n += AS_BYTES(v)->len + 1;
    else if (type_is_subtype(t, &TupleType)) n += TUPLE_LEN(v) * sizeof(Value);
    else if (type_is_subtype(t, &ListType)) n += AS_LIST(v)->cap * sizeof(Value);
    else if (type_is_subtype(t, &DictType))
        n += AS_DICT(v)->cap * sizeof(DictEntry) + (AS_DICT(v)->index ? (AS_DICT(v)->mask + 1) * sizeof(int32_t) : 0);
    else if (type_is_subtype(t, &SetType) || type_is_subtype(t, &FrozenSetType))
        n += AS_SET(v)->table ? (AS_SET(v)->mask + 1) * sizeof(SetEntry) : 0;
    else if (t == &IntType) n += mpz_size(((BigIntObj *)o)->z) * sizeof(mp_limb_t);
    return n;
}

static Value sys_getsizeof(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "object", "default", NULL };
    Value a[2];
    if (args_parse("getsizeof", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    Type *t = TYPE_OF(a[0]);
    if (t->flags & TF_HEAPTYPE) {
        /* A class may say how big it is. */
        Value m = type_lookup(t, NM.__sizeof__);
        if (m && IS_TYPE(m, &FunctionType)) {
            Value r = obj_call1(m, a[0]);
            if (!r) return VNULL;
            if (!int_check(r)) { decref(r); return err_format(&Exc_TypeError, "an integer is required"); }
            if (int_sign(r) < 0) { decref(r); return err_format(&Exc_ValueError, "__sizeof__() should return >= 0"); }
            return r;
        }
    }
    return int_from_u64(size_of(a[0]));
}

static Value sys_intern(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("intern", kwnames) || args_count("intern", nargs, 1, 1)) return VNULL;
    if (!IS_STR(args[0])) {
        if (str_check(args[0])) return err_format(&Exc_TypeError, "can't intern %s", obj_type_name(args[0]));
        return err_format(&Exc_TypeError, "intern() argument must be str, not %s", obj_type_name(args[0]));
    }
    return str_intern(incref(args[0]));
}

static Value sys_getframe(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("_getframe", kwnames) || args_count("_getframe", nargs, 0, 1)) return VNULL;
    intptr_t depth = 0;
    if (nargs && index_as_ssize(args[0], &depth, &Exc_OverflowError) < 0) return VNULL;
    Frame *f = vm.frame;
    while (f && depth > 0) { f = f->back; depth--; }
    if (!f) return err_format(&Exc_ValueError, "call stack is not deep enough");
    frame_escape(f);          /* the frame object now outlives its place on the chain */
    return incref(OBJ_VAL(f));
}

static size_t digits_limit(void) {
    return local_digits_limit >= 0 ? (size_t)local_digits_limit : int_str_digits_limit();
}

static Value sys_get_int_max_str_digits(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("get_int_max_str_digits", kwnames) || args_count("get_int_max_str_digits", nargs, 0, 0)) return VNULL;
    return int_from_u64(digits_limit());
}

static Value sys_set_int_max_str_digits(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "maxdigits", NULL };
    Value a[1];
    if (args_parse("set_int_max_str_digits", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    intptr_t n;
    if (index_as_ssize(a[0], &n, &Exc_OverflowError) < 0) return VNULL;
    if (n != 0 && n < 640) return err_format(&Exc_ValueError, "maxdigits must be 0 or larger than 640");
    if (int_set_str_digits_limit) int_set_str_digits_limit((size_t)n);
    else local_digits_limit = n;
    return none_new();
}

static Value sys_getdefaultencoding(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("getdefaultencoding", kwnames) || args_count("getdefaultencoding", nargs, 0, 0)) return VNULL;
    return str_from_cstr("utf-8");
}

static const MethodDef sys_functions[] = {
    {"exit", sys_exit, 0},
    {"getrecursionlimit", sys_getrecursionlimit, 0},
    {"setrecursionlimit", sys_setrecursionlimit, 0},
    {"exc_info", sys_exc_info, 0},
    {"exception", sys_exception, 0},
    {"getsizeof", sys_getsizeof, 0},
    {"intern", sys_intern, 0},
    {"_getframe", sys_getframe, 0},
    {"get_int_max_str_digits", sys_get_int_max_str_digits, 0},
    {"set_int_max_str_digits", sys_set_int_max_str_digits, 0},
    {"getdefaultencoding", sys_getdefaultencoding, 0},
    {"getfilesystemencoding", sys_getdefaultencoding, 0},
    {NULL, NULL, 0}
};

/* ===== constants ====================================================================== */

static const char *const version_fields[] = { "major", "minor", "micro", "releaselevel", "serial", NULL };
static const char *const impl_fields[] = { "name", "cache_tag", "version", "hexversion", NULL };
static const char *const float_fields[] = {
    "max", "max_exp", "max_10_exp", "min", "min_exp", "min_10_exp", "dig", "mant_dig",
    "epsilon", "radix", "rounds", NULL
};
static const char *const int_fields[] = {
    "bits_per_digit", "sizeof_digit", "default_max_str_digits", "str_digits_check_threshold", NULL
};
static const char *const flags_fields[] = {
    "debug", "inspect", "interactive", "optimize", "dont_write_bytecode", "no_user_site", "no_site",
    "ignore_environment", "verbose", "bytes_warning", "quiet", "hash_randomization", "isolated",
    "dev_mode", "utf8_mode", "warn_default_encoding", "safe_path", "int_max_str_digits", NULL
};

/* Set d[name] = v, stealing v. */
static int put(Value d, const char *name, Value v) {
    if (!v) return -1;
    int r = dict_set_str(d, name, v);
    decref(v);
    return r;
}

static Value make_version_info(void) {
    Type *t = structseq_new_type("version_info", "sys", "sys.version_info", version_fields, 5);
    if (!t) return VNULL;
    Value level = str_from_cstr("final");
    if (!level) return VNULL;
    Value items[5] = { MK_INT(3), MK_INT(11), MK_INT(7), level, MK_INT(0) };
    Value r = structseq_new(t, items);
    decref(level);
    return r;
}

static Value make_implementation(Value version_info) {
    /* CPython shows a types.SimpleNamespace: namespace(name='apy', …). */
    Type *t = structseq_new_type("SimpleNamespace", "types", "namespace", impl_fields, 4);
    if (!t) return VNULL;
    Value name = str_from_cstr("apy"), tag = str_from_cstr("apy-" APY_VERSION);
    Value items[4] = { name, tag, version_info, int_from_i64(PY_HEXVERSION) };
    Value r = name && tag ? structseq_new(t, items) : VNULL;
    decref(name);
    decref(tag);
    return r;
}

static Value make_float_info(void) {
    Type *t = structseq_new_type("float_info", "sys", "sys.float_info", float_fields, 11);
    if (!t) return VNULL;
    Value items[11] = {
        float_new(DBL_MAX), MK_INT(DBL_MAX_EXP), MK_INT(DBL_MAX_10_EXP), float_new(DBL_MIN),
        MK_INT(DBL_MIN_EXP), MK_INT(DBL_MIN_10_EXP), MK_INT(DBL_DIG), MK_INT(DBL_MANT_DIG),
        float_new(DBL_EPSILON), MK_INT(FLT_RADIX), MK_INT(FLT_ROUNDS),
    };
    Value r = items[0] && items[3] && items[8] ? structseq_new(t, items) : VNULL;
    decref(items[0]);
    decref(items[3]);
    decref(items[8]);
    return r;
}

static Value make_int_info(void) {
    Type *t = structseq_new_type("int_info", "sys", "sys.int_info", int_fields, 4);
    if (!t) return VNULL;
    /* apy's ints are GMP limbs: 64 bits each. */
    Value items[4] = { MK_INT(64), MK_INT(8), MK_INT(4300), MK_INT(640) };
    return structseq_new(t, items);
}

static Value make_flags(void) {
    Type *t = structseq_new_type("flags", "sys", "sys.flags", flags_fields, 18);
    if (!t) return VNULL;
    Value items[18];
    for (int i = 0; i < 18; i++) items[i] = MK_INT(0);
    items[4] = MK_INT(1);          /* dont_write_bytecode: apy writes none */
    items[13] = False_;            /* dev_mode */
    items[14] = MK_INT(1);         /* utf8_mode */
    items[16] = False_;            /* safe_path */
    items[17] = MK_INT(-1);        /* int_max_str_digits */
    return structseq_new(t, items);
}

static Value make_executable(void) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return str_from_cstr("");
    buf[n] = 0;
    return str_from_cstr(buf);
}

static Value make_path(void) {
    Value path = list_new(0);
    if (!path) return VNULL;
    /* The script's directory comes first (set by the CLI); lib/ holds apy's library. */
    if (vm.lib_path && list_append(path, vm.lib_path) < 0) { decref(path); return VNULL; }
    return path;
}

static Value make_std_stream(FILE *fp, const char *name, const char *mode, Value d, const char *attr,
                             const char *dunder) {
    Value f = file_from_stream(fp, name, mode);
    if (!f) return VNULL;
    if (dict_set_str(d, attr, f) < 0 || dict_set_str(d, dunder, f) < 0) { decref(f); return VNULL; }
    return f;
}

Value sys_module_init(void) {
    Value m = module_from_methods("sys", sys_functions);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    int r = 0;

    Value out = make_std_stream(stdout, "<stdout>", "w", d, "stdout", "__stdout__");
    Value err = make_std_stream(stderr, "<stderr>", "w", d, "stderr", "__stderr__");
    Value in = make_std_stream(stdin, "<stdin>", "r", d, "stdin", "__stdin__");
    if (!out || !err || !in) r = -1;
    decref(out); decref(err); decref(in);

    if (!vm.argv) vm.argv = list_new(0);
    if (!vm.modules) vm.modules = dict_new();
    if (!vm.argv || !vm.modules) { decref(m); return VNULL; }
    r |= dict_set_str(d, "argv", vm.argv);
    r |= dict_set_str(d, "orig_argv", vm.argv);
    r |= dict_set_str(d, "modules", vm.modules);
    r |= put(d, "path", make_path());

    Value vi = make_version_info();
    r |= put(d, "implementation", vi ? make_implementation(vi) : VNULL);
    r |= put(d, "version_info", vi);
    r |= put(d, "version", str_from_cstr("3.11.7 (apy " APY_VERSION ", a teaching interpreter)"));
    r |= put(d, "hexversion", int_from_i64(PY_HEXVERSION));
    r |= put(d, "api_version", MK_INT(1013));
    r |= put(d, "float_info", make_float_info());
    r |= put(d, "int_info", make_int_info());
    r |= put(d, "flags", make_flags());
    r |= put(d, "maxsize", int_from_i64(INTPTR_MAX));
    r |= put(d, "maxunicode", MK_INT(0x10FFFF));
#if defined(__APPLE__)
    r |= put(d, "platform", str_from_cstr("darwin"));
#elif defined(_WIN32)
    r |= put(d, "platform", str_from_cstr("win32"));
#else
    r |= put(d, "platform", str_from_cstr("linux"));
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    r |= put(d, "byteorder", str_from_cstr("big"));
#else
    r |= put(d, "byteorder", str_from_cstr("little"));
#endif
    r |= put(d, "executable", make_executable());
    r |= put(d, "prefix", str_from_cstr(""));
    r |= put(d, "copyright", str_from_cstr("apy: a teaching interpreter (MIT license)"));
    r |= put(d, "dont_write_bytecode", bool_new(1));
    r |= put(d, "warnoptions", list_new(0));
    r |= put(d, "builtin_module_names",
             tuple_pack(8, str_intern_cstr("_apy"), str_intern_cstr("_asyncio"), str_intern_cstr("_collections"),
                        str_intern_cstr("builtins"),
                        str_intern_cstr("gc"), str_intern_cstr("math"), str_intern_cstr("sys"),
                        str_intern_cstr("time")));
    if (r) { decref(m); return VNULL; }
    return m;
}
