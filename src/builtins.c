/* builtins.c — the builtins namespace: every name a program can use
 * without importing it.
 *
 * Owns: the builtins dict (vm.builtins) and what is bound in it: the
 * built-in types and exceptions (defined in their own files, only named
 * here), the constants, and the built-in functions (print, len, min,
 * sorted, exec …), with CPython 3.11's argument rules and messages.
 * Must not touch: the types' own behaviour (each obj_*.c owns its type),
 * the import machinery (import.c), files (obj_file.c, reached via file.h).
 *
 * Built-in functions do not push a frame: while one runs, vm.frame is the
 * frame of the apy code that called it, which is how globals(), locals(),
 * dir() and eval() find "the caller's" namespace.
 */
#include <math.h>
#include <string.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "ast.h"
#include "containers.h"
#include "int_internal.h"
#include "file.h"

/* gen.c provides aiter() and anext(). */
Value builtin_aiter(Value self, Value *args, size_t nargs, Value kwnames);
Value builtin_anext(Value self, Value *args, size_t nargs, Value kwnames);

/* ===== argument helpers ================================================================ */

/* The keyword arguments of a builtin whose other parameters are positional:
 * out[i] receives the value given for names[i], or VNULL. Unknown names get
 * CPython's message "'x' is an invalid keyword argument for print()". */
static int kw_only(const char *fname, Value *args, size_t nargs, Value kwnames,
                   const char *const *names, Value *out) {
    size_t n = 0;
    while (names[n]) out[n++] = VNULL;
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t k = 0; k < nkw; k++) {
        Value kn = TUPLE_ITEMS(kwnames)[k];
        size_t i = 0;
        while (i < n && !str_eq_cstr(kn, names[i])) i++;
        if (i == n) {
            err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for %s()", kn, fname);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    return 0;
}

/* Argument Clinic's check for unknown keywords, run before args_parse so
 * the message is 3.11's: "'foo' is an invalid keyword argument for open()". */
static int kw_known(const char *fname, Value kwnames, const char *const *names) {
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t k = 0; k < nkw; k++) {
        Value kn = TUPLE_ITEMS(kwnames)[k];
        const char *const *p = names;
        while (*p && !str_eq_cstr(kn, *p)) p++;
        if (!*p) {
            err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for %s()", kn, fname);
            return -1;
        }
    }
    return 0;
}

static int parse(const char *fname, Value *args, size_t nargs, Value kwnames,
                 const char *const *names, size_t required, Value *out) {
    if (kw_known(fname, kwnames, names) < 0) return -1;
    return args_parse(fname, args, nargs, kwnames, names, required, out);
}

#define NO_KW(name) if (args_no_kw(name, kwnames)) return VNULL
#define NARGS(name, lo, hi) if (args_count(name, nargs, lo, hi)) return VNULL

static int check_attr_name(Value name) {
    if (!str_check(name)) {
        err_format(&Exc_TypeError, "attribute name must be string, not '%s'", obj_type_name(name));
        return -1;
    }
    return 0;
}

/* A borrowed attribute of the sys module (sys.stdout …), VNULL if unset. */
static Value sys_attr(const char *name) {
    if (!vm.sys || !IS_TYPE(vm.sys, &ModuleType)) return VNULL;
    return dict_get_str(((ModuleObj *)AS_OBJ(vm.sys))->dict, name);
}

/* ===== print and input ================================================================== */

/* Write one piece of text to `file`: straight into the stream for file
 * objects, else through file.write(s) like CPython (user objects with a
 * write method work). */
static int write_piece(Value file, bool fast, const char *s, size_t len, Value str) {
    if (fast) return file_write_text(file, s, len);
    Value owned = VNULL;
    if (!str && !(str = owned = str_new(s, len))) return -1;
    Value r = obj_call_method(file, NM.write, &str, 1);
    decref(owned);
    if (!r) return -1;
    decref(r);
    return 0;
}

static int write_value(Value file, bool fast, Value v) {
    if (IS_STR(v)) return write_piece(file, fast, STR_DATA(v), STR_LEN(v), v);
    if (IS_INT(v) && fast) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%ld", (long)AS_INT(v));
        return write_piece(file, fast, buf, (size_t)n, VNULL);
    }
    Value s = obj_str(v);
    if (!s) return -1;
    int r = write_piece(file, fast, STR_DATA(s), STR_LEN(s), s);
    decref(s);
    return r;
}

static int check_sep(const char *what, Value v) {
    if (v && !IS_NONE(v) && !str_check(v)) {
        err_format(&Exc_TypeError, "%s must be None or a string, not %s", what, obj_type_name(v));
        return -1;
    }
    return 0;
}

Value print_values(Value *vals, size_t n, Value sep, Value end, Value file, bool flush) {
    if (check_sep("sep", sep) < 0 || check_sep("end", end) < 0) return VNULL;
    if (!file || IS_NONE(file)) {
        file = sys_attr("stdout");
        if (!file) {
            if (vm.sys) return err_format(&Exc_RuntimeError, "lost sys.stdout");
            file = VNULL;           /* very early start-up: no sys yet */
        } else if (IS_NONE(file)) {
            return none_new();      /* sys.stdout = None silences print, as in CPython */
        }
    }
    if (!file) {
        for (size_t i = 0; i < n; i++) {
            Value s = obj_str(vals[i]);
            if (!s) return VNULL;
            if (i) fputs(sep && !IS_NONE(sep) ? STR_DATA(sep) : " ", stdout);
            fputs(STR_DATA(s), stdout);
            decref(s);
        }
        fputs(end && !IS_NONE(end) ? STR_DATA(end) : "\n", stdout);
        return none_new();
    }
    incref(file);                   /* a write may rebind sys.stdout */
    bool fast = file_check(file);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        if (i) r = sep && !IS_NONE(sep) ? write_value(file, fast, sep) : write_piece(file, fast, " ", 1, VNULL);
        if (r == 0) r = write_value(file, fast, vals[i]);
    }
    if (r == 0) r = end && !IS_NONE(end) ? write_value(file, fast, end) : write_piece(file, fast, "\n", 1, VNULL);
    if (r == 0 && flush) {
        if (fast) r = file_flush(file);
        else {
            Value x = obj_call_method(file, NM.flush, NULL, 0);
            if (x) decref(x);
            else r = -1;
        }
    }
    decref(file);
    return r < 0 ? VNULL : none_new();
}

static Value bi_print(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "sep", "end", "file", "flush", NULL };
    Value kw[4];
    if (kw_only("print", args, nargs, kwnames, names, kw) < 0) return VNULL;
    int flush = 0;
    if (kw[3] && (flush = obj_truth(kw[3])) < 0) return VNULL;
    return print_values(args, nargs, kw[0], kw[1], kw[2], flush);
}

/* file.flush() for whatever sys.stdout/sys.stderr is; errors are ignored as in CPython. */
static void flush_stream(const char *name) {
    Value f = sys_attr(name);
    if (!f || IS_NONE(f)) return;
    if (file_check(f)) { if (file_flush(f) < 0) err_clear(); return; }
    Value r = obj_call_method(f, NM.flush, NULL, 0);
    if (r) decref(r);
    else err_clear();
}

static Value bi_input(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("input");
    if (args_count("input", nargs, 0, 1)) return VNULL;
    Value in = sys_attr("stdin"), out = sys_attr("stdout");
    if (!in || IS_NONE(in)) return err_format(&Exc_RuntimeError, "input(): lost sys.stdin");
    if (!out || IS_NONE(out)) return err_format(&Exc_RuntimeError, "input(): lost sys.stdout");
    flush_stream("stderr");
    if (nargs) {
        Value empty = str_intern_cstr("");
        Value r = print_values(args, 1, VNULL, empty, out, false);
        if (!r) return VNULL;
        decref(r);
    }
    flush_stream("stdout");
    Value line = file_check(in) ? file_readline(in) : obj_call_method(in, NM.readline, NULL, 0);
    if (!line) return VNULL;
    if (!str_check(line)) {
        decref(line);
        return err_format(&Exc_TypeError, "object.readline() returned non-string");
    }
    if (STR_LEN(line) == 0) {
        decref(line);
        return err_format(&Exc_EOFError, "EOF when reading a line");
    }
    if (STR_DATA(line)[STR_LEN(line) - 1] != '\n') return line;
    Value r = str_new(STR_DATA(line), STR_LEN(line) - 1);
    decref(line);
    return r;
}

static Value bi_open(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = {
        "file", "mode", "buffering", "encoding", "errors", "newline", "closefd", "opener", NULL
    };
    if (kw_known("open", kwnames, names) < 0) return VNULL;
    return file_open(args, nargs, kwnames);
}

/* ===== objects: len, repr, hash, id … ===================================================== */

static Value bi_len(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("len");
    NARGS("len", 1, 1);
    intptr_t n = obj_len(args[0]);
    return n < 0 ? VNULL : int_from_i64(n);
}

static Value bi_repr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("repr");
    NARGS("repr", 1, 1);
    return obj_repr(args[0]);
}

static Value bi_ascii(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("ascii");
    NARGS("ascii", 1, 1);
    return obj_ascii(args[0]);
}

static Value bi_id(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("id");
    NARGS("id", 1, 1);
    return obj_id(args[0]);
}

static Value bi_hash(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("hash");
    NARGS("hash", 1, 1);
    int64_t h = obj_hash(args[0]);
    return h == -1 ? VNULL : int_from_i64(h);
}

static Value bi_callable(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("callable");
    NARGS("callable", 1, 1);
    return bool_new(obj_callable(args[0]));
}

static Value bi_isinstance(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("isinstance");
    NARGS("isinstance", 2, 2);
    int r = obj_isinstance(args[0], args[1]);
    return r < 0 ? VNULL : bool_new(r);
}

static Value bi_issubclass(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("issubclass");
    NARGS("issubclass", 2, 2);
    int r = obj_issubclass(args[0], args[1]);
    return r < 0 ? VNULL : bool_new(r);
}

static Value bi_format(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("format");
    NARGS("format", 1, 2);
    Value spec = nargs > 1 ? args[1] : str_intern_cstr("");
    if (!str_check(spec))
        return err_format(&Exc_TypeError, "format() argument 2 must be str, not %s", obj_type_name(spec));
    return obj_format(args[0], spec);
}

/* ===== attributes ======================================================================== */

static Value bi_getattr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("getattr");
    NARGS("getattr", 2, 3);
    if (check_attr_name(args[1]) < 0) return VNULL;
    if (nargs == 2) return obj_getattr(args[0], args[1]);
    Value v = obj_getattr(args[0], args[1]);
    if (v || !err_matches(&Exc_AttributeError)) return v;
    err_clear();
    return incref(args[2]);
}

static Value bi_setattr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("setattr");
    NARGS("setattr", 3, 3);
    if (check_attr_name(args[1]) < 0 || obj_setattr(args[0], args[1], args[2]) < 0) return VNULL;
    return none_new();
}

static Value bi_delattr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("delattr");
    NARGS("delattr", 2, 2);
    if (check_attr_name(args[1]) < 0 || obj_delattr(args[0], args[1]) < 0) return VNULL;
    return none_new();
}

static Value bi_hasattr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("hasattr");
    NARGS("hasattr", 2, 2);
    if (check_attr_name(args[1]) < 0) return VNULL;
    Value v = obj_getattr(args[0], args[1]);
    if (v) { decref(v); return bool_new(1); }
    if (!err_matches(&Exc_AttributeError)) return VNULL;   /* other errors propagate */
    err_clear();
    return bool_new(0);
}

/* ===== namespaces: globals, locals, vars, dir ============================================== */

static Value caller_locals(void) {
    if (!vm.frame) return dict_new();
    return frame_locals_dict(vm.frame);
}

static Value bi_globals(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    NO_KW("globals");
    NARGS("globals", 0, 0);
    if (!vm.frame) return dict_new();
    return incref(vm.frame->globals);
}

static Value bi_locals(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    NO_KW("locals");
    NARGS("locals", 0, 0);
    return caller_locals();
}

static Value bi_vars(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("vars");
    NARGS("vars", 0, 1);
    if (nargs == 0) return caller_locals();
    Value d = obj_getattr(args[0], NM.__dict__);
    if (!d && err_matches(&Exc_AttributeError)) {
        err_clear();
        return err_format(&Exc_TypeError, "vars() argument must have __dict__ attribute");
    }
    return d;
}

/* The keys of every dict along a class's MRO (type.__dir__). */
static int add_class_names(Value names, Type *t) {
    for (size_t i = 0; i < TUPLE_LEN(t->mro); i++) {
        Type *c = (Type *)AS_OBJ(TUPLE_ITEMS(t->mro)[i]);
        size_t pos = 0;
        Value k, v;
        while (c->dict && dict_next(c->dict, &pos, &k, &v))
            if (set_add(names, k) < 0) return -1;
    }
    return 0;
}

/* The names dir(obj) lists, unsorted: __dir__ if the class has its own,
 * else module dicts and class MROs (CPython's module/type __dir__). */
static Value dir_names(Value obj) {
    Value m = type_lookup(TYPE_OF(obj), str_intern_cstr("__dir__"));
    bool generic = m && m == type_lookup(&ObjectType, str_intern_cstr("__dir__"));
    if (generic && IS_TYPE(obj, &ModuleType)) {
        Value d = ((ModuleObj *)AS_OBJ(obj))->dict;
        if (!d || !IS_DICT(d)) return err_format(&Exc_TypeError, "<module>.__dict__ is not a dictionary");
        return dict_keys_list(d);
    }
    if (generic && IS_OBJ(obj) && obj_isinstance_type(obj, &TypeType)) {
        Value names = set_new(VNULL);
        if (!names) return VNULL;
        if (add_class_names(names, (Type *)AS_OBJ(obj)) < 0) { decref(names); return VNULL; }
        return names;
    }
    if (!m) return err_format(&Exc_TypeError, "object does not provide __dir__");
    return obj_call1(m, obj);
}

static Value bi_dir(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("dir");
    NARGS("dir", 0, 1);
    Value names;
    if (nargs == 0) {
        Value d = caller_locals();
        if (!d) return VNULL;
        names = dict_keys_list(d);
        decref(d);
    } else {
        names = dir_names(args[0]);
    }
    if (!names) return VNULL;
    Value l = list_from_iterable(names);
    decref(names);
    if (!l) return VNULL;
    if (list_sort(l, VNULL, false) < 0) { decref(l); return VNULL; }
    return l;
}

/* ===== iteration ========================================================================== */

static Value bi_iter(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("iter");
    NARGS("iter", 1, 2);
    if (nargs == 1) return obj_iter(args[0]);
    if (!obj_callable(args[0])) return err_format(&Exc_TypeError, "iter(v, w): v must be callable");
    return calliter_new(args[0], args[1]);
}

Value builtin_next(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("next");
    NARGS("next", 1, 2);
    Value it = args[0];
    if (!TYPE_OF(it)->iternext)
        return err_format(&Exc_TypeError, "'%s' object is not an iterator", obj_type_name(it));
    /* the slot itself: a generator's StopIteration carries its return value */
    Value v = TYPE_OF(it)->iternext(it);
    if (v) return v;
    if (err_occurred()) {
        if (nargs < 2 || !err_matches(&Exc_StopIteration)) return VNULL;
        err_clear();
    }
    if (nargs == 2) return incref(args[1]);
    err_set_type(&Exc_StopIteration, VNULL);     /* exhausted: obj_next sets nothing */
    return VNULL;
}

/* Call fn(item) for each item of iterable; fn returns 1 to stop early, 0
 * to go on, -1 on error. Returns fn's last result (0 when exhausted). */
static int for_each(Value iterable, int (*fn)(Value item, void *ctx), void *ctx) {
    Value it = obj_iter(iterable);
    if (!it) return -1;
    int r = 0;
    Value item;
    while ((item = obj_next(it))) {
        r = fn(item, ctx);
        decref(item);
        if (r != 0) break;
    }
    decref(it);
    if (r == 0 && err_occurred()) return -1;
    return r;
}

static int any_step(Value item, void *ctx) { (void)ctx; return obj_truth(item); }   /* stop at a true one */
static int all_step(Value item, void *ctx) {
    (void)ctx;
    int t = obj_truth(item);
    return t < 0 ? -1 : !t;                                                       /* stop at a false one */
}

static Value bi_any(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("any");
    NARGS("any", 1, 1);
    int r = for_each(args[0], any_step, NULL);
    return r < 0 ? VNULL : bool_new(r);
}

static Value bi_all(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("all");
    NARGS("all", 1, 1);
    int r = for_each(args[0], all_step, NULL);
    return r < 0 ? VNULL : bool_new(!r);
}

/* ===== sum, min, max, sorted ============================================================= */

/* sum(iterable, /, start=0). As in CPython, the running total stays a C
 * integer while the items are ints that fit, then a C double while they
 * are floats (or ints), and only then goes through the + operator. */
static Value bi_sum(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "start", NULL };
    Value kw[1];
    if (nargs == 0) return err_format(&Exc_TypeError, "sum() takes at least 1 positional argument (0 given)");
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nargs + nkw > 2)
        return err_format(&Exc_TypeError, "sum() takes at most 2 arguments (%zu given)", nargs + nkw);
    if (kw_only("sum", args, nargs, kwnames, names, kw) < 0) return VNULL;
    Value start = nargs > 1 ? args[1] : kw[0] ? kw[0] : MK_INT(0);
    if (str_check(start))
        return err_format(&Exc_TypeError, "sum() can't sum strings [use ''.join(seq) instead]");
    if (IS_OBJ(start) && obj_isinstance_type(start, &BytesType))
        return err_format(&Exc_TypeError, "sum() can't sum bytes [use b''.join(seq) instead]");

    Value it = obj_iter(args[0]);
    if (!it) return VNULL;
    Value result = incref(start), item;

    if (IS_INT(result)) {
        intptr_t acc = AS_INT(result);
        for (;;) {
            if (!(item = obj_next(it))) {
                decref(it);
                return err_occurred() ? VNULL : int_from_i64(acc);
            }
            intptr_t b, s;
            bool small = IS_INT(item) || IS_TYPE(item, &BoolType);
            if (small) b = IS_INT(item) ? AS_INT(item) : ((BoolObj *)AS_OBJ(item))->v;
            if (small && !__builtin_add_overflow(acc, b, &s) && FITS_SMALL(s)) {
                acc = s;
                decref(item);
                continue;
            }
            /* Too big, or not an int: continue with real objects. */
            result = int_from_i64(acc);
            Value t = result ? obj_binop(result, item, OP_ADD) : VNULL;
            decref(result);
            decref(item);
            result = t;
            if (!result) { decref(it); return VNULL; }
            if (!IS_INT(result)) break;
            acc = AS_INT(result);
        }
    }

    if (IS_TYPE(result, &FloatType)) {
        double acc = ((FloatObj *)AS_OBJ(result))->v;
        decref(result);
        for (;;) {
            if (!(item = obj_next(it))) {
                decref(it);
                return err_occurred() ? VNULL : float_new(acc);
            }
            if (IS_TYPE(item, &FloatType)) {
                acc += ((FloatObj *)AS_OBJ(item))->v;
                decref(item);
                continue;
            }
            if (IS_INT(item)) {
                acc += (double)AS_INT(item);
                continue;
            }
            result = float_new(acc);
            Value t = result ? obj_binop(result, item, OP_ADD) : VNULL;
            decref(result);
            decref(item);
            result = t;
            if (!result) { decref(it); return VNULL; }
            break;
        }
    }

    while ((item = obj_next(it))) {
        Value t = obj_binop(result, item, OP_ADD);
        decref(result);
        decref(item);
        if (!(result = t)) { decref(it); return VNULL; }
    }
    decref(it);
    if (err_occurred()) { decref(result); return VNULL; }
    return result;
}

/* min() and max(): one iterable or several arguments; key= and default=. */
static Value min_max(const char *fname, RichCmpOp op, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = { "key", "default", NULL };
    Value kw[2];
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    if (nkw > 2)
        return err_format(&Exc_TypeError, "%s() takes at most 2 keyword arguments (%zu given)", fname, nkw);
    if (kw_only(fname, args, nargs, kwnames, names, kw) < 0) return VNULL;
    if (nargs == 0) return err_format(&Exc_TypeError, "%s expected at least 1 argument, got 0", fname);
    Value key = kw[0] && !IS_NONE(kw[0]) ? kw[0] : VNULL, dflt = kw[1];
    if (nargs > 1 && dflt)
        return err_format(&Exc_TypeError,
                          "Cannot specify a default for %s() with multiple positional arguments", fname);

    Value seq = VNULL;
    if (nargs > 1 && !(seq = tuple_from_array(args, nargs))) return VNULL;
    Value it = obj_iter(seq ? seq : args[0]);
    decref(seq);
    if (!it) return VNULL;

    Value best = VNULL, best_key = VNULL, item;
    while ((item = obj_next(it))) {
        Value k = key ? obj_call1(key, item) : incref(item);
        if (!k) { decref(item); goto fail; }
        if (!best) { best = item; best_key = k; continue; }
        int better = obj_richcmp_bool(k, best_key, op);
        if (better < 0) { decref(item); decref(k); goto fail; }
        if (better) {
            setref(&best, item);
            setref(&best_key, k);
        } else {
            decref(item);
            decref(k);
        }
    }
    if (err_occurred()) goto fail;
    decref(it);
    decref(best_key);
    if (best) return best;
    if (dflt) return incref(dflt);
    return err_format(&Exc_ValueError, "%s() arg is an empty sequence", fname);
fail:
    decref(it);
    decref(best);
    decref(best_key);
    return VNULL;
}

static Value bi_min(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return min_max("min", RC_LT, args, nargs, kwnames);
}

static Value bi_max(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return min_max("max", RC_GT, args, nargs, kwnames);
}

static Value bi_sorted(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "key", "reverse", NULL };
    Value kw[2];
    if (nargs != 1) return err_format(&Exc_TypeError, "sorted expected 1 argument, got %zu", nargs);
    if (kw_only("sort", args, nargs, kwnames, names, kw) < 0) return VNULL;
    bool reverse = false;
    if (kw[1]) {
        /* list.sort takes reverse as an int (CPython's "bool(accept={int})"). */
        Value i = index_value(kw[1]);
        if (!i) return VNULL;
        reverse = int_sign(i) != 0;
        decref(i);
    }
    Value l = list_from_iterable(args[0]);
    if (!l) return VNULL;
    if (list_sort(l, kw[0] && !IS_NONE(kw[0]) ? kw[0] : VNULL, reverse) < 0) { decref(l); return VNULL; }
    return l;
}

/* ===== numbers ============================================================================ */

static Value bi_abs(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("abs");
    NARGS("abs", 1, 1);
    Value x = args[0];
    if (IS_INT(x) || IS_TYPE(x, &IntType) || IS_TYPE(x, &BoolType)) return int_abs(x);
    if (IS_TYPE(x, &FloatType)) return float_new(fabs(((FloatObj *)AS_OBJ(x))->v));
    Value m = type_lookup(TYPE_OF(x), NM.__abs__);
    if (!m) return err_format(&Exc_TypeError, "bad operand type for abs(): '%s'", obj_type_name(x));
    return obj_call1(m, x);
}

static Value bi_round(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "number", "ndigits", NULL };
    Value a[2];
    if (parse("round", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    Value m = type_lookup(TYPE_OF(a[0]), NM.__round__);
    if (!m) return err_format(&Exc_TypeError, "type %s doesn't define __round__ method", obj_type_name(a[0]));
    if (!a[1] || IS_NONE(a[1])) return obj_call1(m, a[0]);
    return obj_call2(m, a[0], a[1]);
}

/* The dunder `name` of v's type called as v.name(w); NotImplemented if absent. */
static Value call_binary_dunder(Value v, const char *name, Value w) {
    Value m = type_lookup(TYPE_OF(v), str_intern_cstr(name));
    if (!m) return incref(NotImplemented);
    return obj_call2(m, v, w);
}

static Value bi_divmod(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("divmod");
    NARGS("divmod", 2, 2);
    Value a = args[0], b = args[1];
    if (int_check(a) && int_check(b)) return int_divmod(a, b);
    /* a.__divmod__(b), then b.__rdivmod__(a); but a subclass of a's type
     * on the right goes first, so that it can override (as for operators). */
    Type *ta = TYPE_OF(a), *tb = TYPE_OF(b);
    bool right_first = ta != tb && type_is_subtype(tb, ta);
    Value r;
    if (right_first) {
        r = call_binary_dunder(b, "__rdivmod__", a);
        if (r != NotImplemented) return r;
        decref(r);
    }
    r = call_binary_dunder(a, "__divmod__", b);
    if (r != NotImplemented) return r;
    decref(r);
    if (!right_first && ta != tb) {
        r = call_binary_dunder(b, "__rdivmod__", a);
        if (r != NotImplemented) return r;
        decref(r);
    }
    return err_format(&Exc_TypeError, "unsupported operand type(s) for divmod(): '%s' and '%s'",
                      obj_type_name(a), obj_type_name(b));
}

static Value bi_pow(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "base", "exp", "mod", NULL };
    Value a[3];
    if (parse("pow", args, nargs, kwnames, names, 2, a) < 0) return VNULL;
    Value base = a[0], exp = a[1], mod = a[2];
    if (!mod || IS_NONE(mod)) return obj_binop(base, exp, OP_POW);
    if (int_check(base) && int_check(exp)) return int_pow(base, exp, mod);
    if (float_check(base) || float_check(exp) || IS_TYPE(base, &ComplexType) || IS_TYPE(exp, &ComplexType))
        return err_format(&Exc_TypeError, "pow() 3rd argument not allowed unless all arguments are integers");
    /* Three-argument __pow__ of a class written in apy. */
    Value m = type_lookup(TYPE_OF(base), NM.__pow__);
    if (m && (TYPE_OF(base)->flags & TF_HEAPTYPE)) {
        Value call[3] = { base, exp, mod };
        Value r = obj_call(m, call, 3, VNULL);
        if (r != NotImplemented) return r;
        decref(r);
    }
    return err_format(&Exc_TypeError, "unsupported operand type(s) for ** or pow(): '%s', '%s', '%s'",
                      obj_type_name(base), obj_type_name(exp), obj_type_name(mod));
}

static Value int_to_base(const char *fname, Value *args, size_t nargs, Value kwnames, int base) {
    NO_KW(fname);
    NARGS(fname, 1, 1);
    Value i = index_value(args[0]);
    if (!i) return VNULL;
    Value r = int_to_base_string(i, base, true);
    decref(i);
    return r;
}

static Value bi_hex(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return int_to_base("hex", args, nargs, kwnames, 16);
}

static Value bi_oct(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return int_to_base("oct", args, nargs, kwnames, 8);
}

static Value bi_bin(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    return int_to_base("bin", args, nargs, kwnames, 2);
}

/* ===== characters ========================================================================= */

static Value bi_chr(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("chr");
    NARGS("chr", 1, 1);
    Value i = index_value(args[0]);
    if (!i) return VNULL;
    int64_t cp;
    int r = int_as_i64(i, &cp);
    decref(i);
    if (r < 0 && !err_matches(&Exc_OverflowError)) return VNULL;
    if (r < 0 || cp > INT32_MAX || cp < INT32_MIN) {
        err_clear();
        return err_format(&Exc_OverflowError, "Python int too large to convert to C int");
    }
    if (cp < 0 || cp > 0x10FFFF) return err_format(&Exc_ValueError, "chr() arg not in range(0x110000)");
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return err_format(&Exc_ValueError, "chr() arg is a surrogate (0x%x): apy strings cannot hold surrogates", (unsigned)cp);
    char buf[4];
    size_t n = str_utf8_encode((uint32_t)cp, buf);
    return str_new(buf, n);
}

static Value bi_ord(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("ord");
    NARGS("ord", 1, 1);
    Value c = args[0];
    if (str_check(c)) {
        if (AS_STR(c)->nchars != 1)
            return err_format(&Exc_TypeError, "ord() expected a character, but string of length %zu found",
                              AS_STR(c)->nchars);
        uint32_t cp;
        str_utf8_decode(STR_DATA(c), STR_LEN(c), &cp);
        return int_from_i64(cp);
    }
    if (IS_OBJ(c) && obj_isinstance_type(c, &BytesType)) {
        if (AS_BYTES(c)->len != 1)
            return err_format(&Exc_TypeError, "ord() expected a character, but string of length %zu found",
                              AS_BYTES(c)->len);
        return int_from_i64(AS_BYTES(c)->data[0]);
    }
    return err_format(&Exc_TypeError, "ord() expected string of length 1, but %s found", obj_type_name(c));
}

/* ===== running code: compile, exec, eval, __import__, __build_class__ ====================== */

enum { MODE_EXEC = 0, MODE_SINGLE = 1, MODE_EVAL = 2 };

/* A code object from str/bytes source; `what` names the caller in messages. */
static Value compile_any(Value src, const char *filename, int mode, const char *what, bool strip) {
    const char *s;
    size_t len;
    if (str_check(src)) { s = STR_DATA(src); len = STR_LEN(src); }
    else if (IS_OBJ(src) && obj_isinstance_type(src, &BytesType)) {
        s = (const char *)AS_BYTES(src)->data;
        len = AS_BYTES(src)->len;
    } else {
        return err_format(&Exc_TypeError, "%s() arg 1 must be a string, bytes or %s object", what,
                          strcmp(what, "compile") == 0 ? "AST" : "code");
    }
    if (memchr(s, 0, len)) return err_format(&Exc_SyntaxError, "source code string cannot contain null bytes");
    /* eval() forgives leading blanks, as CPython does. */
    while (strip && len && (*s == ' ' || *s == '\t')) { s++; len--; }
    return compile_source(s, len, filename, mode);
}

/* The namespaces exec/eval run in: the caller's unless given. */
static int exec_namespaces(const char *fname, bool is_exec, Value *globals, Value *locals) {
    Value g = *globals, l = *locals;
    if (g && IS_NONE(g)) g = VNULL;
    if (l && IS_NONE(l)) l = VNULL;
    if (g && !IS_DICT(g)) {
        if (is_exec) err_format(&Exc_TypeError, "%s() globals must be a dict, not %s", fname, obj_type_name(g));
        else err_format(&Exc_TypeError, l ? "globals must be a real dict; try eval(expr, {}, mapping)"
                                          : "globals must be a dict");
        return -1;
    }
    if (l && !TYPE_OF(l)->getitem) {
        if (is_exec) err_format(&Exc_TypeError, "locals must be a mapping or None, not %s", obj_type_name(l));
        else err_format(&Exc_TypeError, "locals must be a mapping");
        return -1;
    }
    if (!g) {
        if (!vm.frame) { err_format(&Exc_SystemError, "%s() called without a frame", fname); return -1; }
        g = incref(vm.frame->globals);
        l = l ? incref(l) : caller_locals();
        if (!l) { decref(g); return -1; }
    } else {
        incref(g);
        l = incref(l ? l : g);
    }
    /* Code run in a fresh dict still sees the builtins. */
    if (!dict_get(g, NM.__builtins__)) {
        if (err_occurred() || dict_set(g, NM.__builtins__, vm.builtins) < 0) { decref(g); decref(l); return -1; }
    }
    *globals = g;
    *locals = l;
    return 0;
}

static Value run_source(const char *fname, bool is_exec, Value *args, size_t nargs) {
    Value src = args[0];
    Value globals = nargs > 1 ? args[1] : VNULL, locals = nargs > 2 ? args[2] : VNULL;
    if (exec_namespaces(fname, is_exec, &globals, &locals) < 0) return VNULL;
    Value code;
    if (IS_TYPE(src, &CodeType)) code = incref(src);
    else code = compile_any(src, "<string>", is_exec ? MODE_EXEC : MODE_EVAL, fname, !is_exec);
    Value r = VNULL;
    if (code) {
        if (AS_CODE(code)->nfrees)
            err_format(&Exc_TypeError, "code object passed to %s() may not contain free variables", fname);
        else
            r = vm_run_code(AS_CODE(code), globals, locals);
    }
    decref(code);
    decref(globals);
    decref(locals);
    if (r && is_exec) { decref(r); return none_new(); }
    return r;
}

static Value bi_exec(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "closure", NULL };
    Value kw[1];
    if (kw_only("exec", args, nargs, kwnames, names, kw) < 0) return VNULL;
    if (nargs == 0) return err_format(&Exc_TypeError, "exec() takes at least 1 positional argument (0 given)");
    if (nargs > 3) return err_format(&Exc_TypeError, "exec() takes at most 3 positional arguments (%zu given)", nargs);
    return run_source("exec", true, args, nargs);
}

static Value bi_eval(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("eval");
    NARGS("eval", 1, 3);
    return run_source("eval", false, args, nargs);
}

static Value bi_compile(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = {
        "source", "filename", "mode", "flags", "dont_inherit", "optimize", "_feature_version", NULL
    };
    Value a[7];
    if (parse("compile", args, nargs, kwnames, names, 3, a) < 0) return VNULL;
    if (!str_check(a[1]))
        return err_format(&Exc_TypeError, "expected str, bytes or os.PathLike object, not %s", obj_type_name(a[1]));
    if (!str_check(a[2]))
        return err_format(&Exc_TypeError, "compile() argument 'mode' must be str, not %s", obj_type_name(a[2]));
    const char *m = STR_DATA(a[2]);
    int mode = strcmp(m, "exec") == 0 ? MODE_EXEC : strcmp(m, "eval") == 0 ? MODE_EVAL
             : strcmp(m, "single") == 0 ? MODE_SINGLE : -1;
    if (mode < 0) return err_format(&Exc_ValueError, "compile() mode must be 'exec', 'eval' or 'single'");
    return compile_any(a[0], STR_DATA(a[1]), mode, "compile", false);
}

static Value bi_import(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "name", "globals", "locals", "fromlist", "level", NULL };
    Value a[5];
    if (parse("__import__", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    if (!str_check(a[0]))
        return err_format(&Exc_TypeError, "__import__() argument 1 must be str, not %s", obj_type_name(a[0]));
    intptr_t level = 0;
    if (a[4] && int_as_ssize(a[4], &level) < 0) return VNULL;
    if (level < 0) return err_format(&Exc_ValueError, "level must be >= 0");
    if (STR_LEN(a[0]) == 0 && level == 0) return err_format(&Exc_ValueError, "Empty module name");
    Value globals = a[1] && !IS_NONE(a[1]) ? a[1] : VNULL;
    Value fromlist = a[3] && !IS_NONE(a[3]) ? a[3] : VNULL;
    return import_module(a[0], globals, fromlist, (int)level);
}

/* PEP 560: a base that is not a class may name the classes to use instead
 * (class Box(Generic[T]) really derives from Generic). When some base has
 * __mro_entries__, *holder receives a tuple laid out like the arguments
 * (func, name, new bases…, keyword values…) and *out_nargs its positional
 * count; else *holder stays VNULL. -1 on error. */
static int resolve_mro_entries(Value *args, size_t nargs, Value kwnames, Value *holder, size_t *out_nargs) {
    *holder = VNULL;
    Value mro_entries = str_intern_cstr("__mro_entries__");
    bool any = false;
    for (size_t i = 2; i < nargs && !any; i++)
        any = !(IS_OBJ(args[i]) && obj_isinstance_type(args[i], &TypeType)) && obj_hasattr(args[i], mro_entries);
    if (!any) return 0;
    Value orig = tuple_from_array(args + 2, nargs - 2);
    Value bases = list_new(0);
    if (!orig || !bases) goto fail;
    for (size_t i = 2; i < nargs; i++) {
        Value b = args[i];
        Value meth = IS_OBJ(b) && obj_isinstance_type(b, &TypeType) ? VNULL : obj_getattr_opt(b, mro_entries);
        if (!meth) {
            if (err_occurred() || list_append(bases, b) < 0) goto fail;
            continue;
        }
        Value entries = obj_call1(meth, orig);
        decref(meth);
        if (!entries) goto fail;
        if (!IS_TYPE(entries, &TupleType)) {
            decref(entries);
            err_format(&Exc_TypeError, "__mro_entries__ must return a tuple");
            goto fail;
        }
        int r = list_extend(bases, entries);
        decref(entries);
        if (r < 0) goto fail;
    }
    decref(orig);
    /* func, name, the new bases, then the keyword values */
    size_t nb = LIST_LEN(bases), nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    Value all = tuple_new(2 + nb + nkw);
    if (!all) { decref(bases); return -1; }
    TUPLE_ITEMS(all)[0] = incref(args[0]);
    TUPLE_ITEMS(all)[1] = incref(args[1]);
    for (size_t i = 0; i < nb; i++) TUPLE_ITEMS(all)[2 + i] = incref(LIST_ITEMS(bases)[i]);
    for (size_t i = 0; i < nkw; i++) TUPLE_ITEMS(all)[2 + nb + i] = incref(args[nargs + i]);
    decref(bases);
    *holder = all;
    *out_nargs = 2 + nb;
    return 0;
fail:
    decref(orig);
    decref(bases);
    return -1;
}

static Value bi_build_class(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    Value resolved;
    size_t n;
    if (resolve_mro_entries(args, nargs, kwnames, &resolved, &n) < 0) return VNULL;
    if (!resolved) return type_build_class(args, nargs, kwnames);
    Value r = type_build_class(TUPLE_ITEMS(resolved), n, kwnames);
    decref(resolved);
    return r;
}

/* exit() and quit(): CPython's site.Quitter. */
static Value bi_exit(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    NO_KW("exit");
    NARGS("exit", 0, 1);
    err_set_type(&Exc_SystemExit, nargs ? args[0] : VNULL);
    return VNULL;
}

/* ===== the table ========================================================================== */

static const MethodDef builtin_functions[] = {
    {"__build_class__", bi_build_class, 0}, {"__import__", bi_import, 0},
    {"abs", bi_abs, 0}, {"all", bi_all, 0}, {"any", bi_any, 0}, {"ascii", bi_ascii, 0},
    {"bin", bi_bin, 0}, {"callable", bi_callable, 0}, {"chr", bi_chr, 0},
    {"compile", bi_compile, 0}, {"delattr", bi_delattr, 0}, {"dir", bi_dir, 0},
    {"divmod", bi_divmod, 0}, {"eval", bi_eval, 0}, {"exec", bi_exec, 0},
    {"exit", bi_exit, 0}, {"format", bi_format, 0}, {"getattr", bi_getattr, 0},
    {"globals", bi_globals, 0}, {"hasattr", bi_hasattr, 0}, {"hash", bi_hash, 0},
    {"hex", bi_hex, 0}, {"id", bi_id, 0}, {"input", bi_input, 0},
    {"isinstance", bi_isinstance, 0}, {"issubclass", bi_issubclass, 0}, {"iter", bi_iter, 0},
    {"len", bi_len, 0}, {"locals", bi_locals, 0}, {"max", bi_max, 0}, {"min", bi_min, 0},
    {"next", builtin_next, 0}, {"oct", bi_oct, 0}, {"open", bi_open, 0}, {"ord", bi_ord, 0},
    {"pow", bi_pow, 0}, {"print", bi_print, 0}, {"quit", bi_exit, 0}, {"repr", bi_repr, 0},
    {"round", bi_round, 0}, {"setattr", bi_setattr, 0}, {"sorted", bi_sorted, 0},
    {"sum", bi_sum, 0}, {"vars", bi_vars, 0},
    {NULL, NULL, 0}
};

static int bind(const char *name, Value v) {
    return dict_set_str(vm.builtins, name, v);
}

static int bind_function(const char *name, CFunc fn) {
    Value f = cfunc_new(name, fn, VNULL);
    if (!f) return -1;
    int r = bind(name, f);
    decref(f);
    return r;
}

/* Exceptions that live in asyncio, not in builtins. */
static bool is_asyncio_exception(const char *name) {
    static const char *const names[] = { "CancelledError", "InvalidStateError", "QueueEmpty", "QueueFull", NULL };
    for (const char *const *p = names; *p; p++)
        if (strcmp(*p, name) == 0) return true;
    return false;
}

int builtins_init(void) {
    vm.builtins = dict_new();
    if (!vm.builtins) return -1;
    int r = 0;

    static const struct { const char *name; Type *type; } types[] = {
        {"object", &ObjectType}, {"type", &TypeType}, {"int", &IntType}, {"bool", &BoolType},
        {"float", &FloatType}, {"complex", &ComplexType}, {"str", &StrType}, {"bytes", &BytesType},
        {"list", &ListType}, {"tuple", &TupleType}, {"dict", &DictType}, {"set", &SetType},
        {"frozenset", &FrozenSetType}, {"range", &RangeType}, {"slice", &SliceType},
        {"property", &PropertyType}, {"staticmethod", &StaticMethodType},
        {"classmethod", &ClassMethodType}, {"super", &SuperType}, {"enumerate", &EnumerateType},
        {"zip", &ZipType}, {"map", &MapType}, {"filter", &FilterType}, {"reversed", &ReversedType},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        r |= bind(types[i].name, OBJ_VAL(types[i].type));

#define X(name, base) if (!is_asyncio_exception(#name)) r |= bind(#name, OBJ_VAL(&Exc_##name));
    APY_EXCEPTION_TYPES(X)
#undef X
    /* Python's other names for OSError. */
    r |= bind("EnvironmentError", OBJ_VAL(&Exc_OSError));
    r |= bind("IOError", OBJ_VAL(&Exc_OSError));

    r |= bind("None", None);
    r |= bind("True", True_);
    r |= bind("False", False_);
    r |= bind("Ellipsis", Ellipsis);
    r |= bind("NotImplemented", NotImplemented);
    r |= bind("__debug__", True_);
    r |= bind("__name__", str_intern_cstr("builtins"));
    r |= bind("__doc__", None);

    for (const MethodDef *d = builtin_functions; d->name; d++) r |= bind_function(d->name, d->fn);
    r |= bind_function("aiter", builtin_aiter);
    r |= bind_function("anext", builtin_anext);
    return r ? -1 : 0;
}

/* The builtins module (import.c wraps vm.builtins in it). Borrowed. */
Value builtins_module(void) {
    return import_builtin_module("builtins");
}
