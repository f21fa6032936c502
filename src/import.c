/* import.c — modules: finding, compiling and running them; sys.modules.
 *
 * Owns: compile_source (text → code object or SyntaxError), the table of
 * built-in modules written in C, the search for `name.apy` and packages
 * (`name/__init__.apy`) beside the main script and in lib/, relative
 * imports, running the main script as __main__, and the small `_apy`
 * module of interpreter internals that lib/ code uses.
 * Must not touch: how code runs (vm.c) or how it is compiled (compiler.c).
 */
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/stat.h>
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "parse.h"
#include "compiler.h"
#include "errors.h"

#ifndef APY_LIB_DIR
#define APY_LIB_DIR "lib"
#endif

/* ---- compiling ------------------------------------------------------------------------------- */
Value compile_source(const char *src, size_t len, const char *filename, int mode) {
    linecache_add(filename, src, len);
    Arena arena;
    arena_init(&arena);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    ParseMode pm = mode == 2 ? PARSE_EVAL : mode == 1 ? PARSE_SINGLE : PARSE_FILE;
    Node *tree = parse_source(&arena, src, len, filename, pm, &err);
    Value code = VNULL;
    if (tree) {
        int flags = 0;
        if (mode == 1) flags |= COMPILE_INTERACTIVE;
        if (mode == 3) flags |= COMPILE_INTERACTIVE | COMPILE_TOP_AWAIT;
        const char *lib = APY_LIB_DIR;
        if (strncmp(filename, lib, strlen(lib)) == 0) flags |= COMPILE_LIB;
        code = compiler_compile(tree, filename, flags, &err);
    }
    arena_free(&arena);
    if (!code && !err_occurred()) {
        Value e = syntax_error_to_exc(&err);
        if (e) err_restore(e);
    }
    syntax_error_free(&err);
    return code;
}

/* ---- built-in modules ----------------------------------------------------------------------------- */
typedef struct { const char *name; Value (*init)(void); } BuiltinModule;
static BuiltinModule builtin_modules[32];
static int nbuiltin_modules;

void import_register_builtin(const char *name, Value (*init)(void)) {
    if (nbuiltin_modules < 32) builtin_modules[nbuiltin_modules++] = (BuiltinModule){ name, init };
}

Value import_builtin_module(const char *name) {
    Value key = str_intern_cstr(name);
    Value m = dict_get(vm.modules, key);
    if (m) return m;
    for (int i = 0; i < nbuiltin_modules; i++) {
        if (strcmp(builtin_modules[i].name, name) == 0) {
            Value mod = builtin_modules[i].init();
            if (!mod) return VNULL;
            if (dict_set(vm.modules, key, mod) < 0) { decref(mod); return VNULL; }
            decref(mod);
            return mod;
        }
    }
    return VNULL;
}

/* ---- finding and running module files -------------------------------------------------------------- */
static char *read_whole_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (!buf) { fclose(f); return NULL; }
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Run `path` as module `name` (already registered in sys.modules). */
static int exec_module_file(Value module, const char *path) {
    size_t len;
    char *src = read_whole_file(path, &len);
    if (!src) {
        err_format(&Exc_ImportError, "cannot read '%s'", path);
        return -1;
    }
    Value code = compile_source(src, len, path, 0);
    free(src);
    if (!code) return -1;
    Value globals = ((ModuleObj *)AS_OBJ(module))->dict;
    Value r = vm_run_code(AS_CODE(code), globals, globals);
    decref(code);
    if (!r) return -1;
    decref(r);
    return 0;
}

static Value new_file_module(Value name, const char *path, bool is_package, const char *pkgdir) {
    Value m = module_new(name);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    Value file = str_from_cstr(path);
    if (!file) { decref(m); return VNULL; }
    dict_set(d, NM.__file__, file);
    decref(file);
    dict_set(d, NM.__builtins__, vm.builtins);
    if (is_package) {
        Value p = str_from_cstr(pkgdir);
        Value l = p ? list_from_array(&p, 1) : VNULL;
        decref(p);
        if (!l) { decref(m); return VNULL; }
        dict_set(d, NM.__path__, l);
        decref(l);
        dict_set(d, NM.__package__, name);
    } else {
        const char *s = STR_DATA(name);
        const char *dot = strrchr(s, '.');
        Value pkg = dot ? str_new(s, (size_t)(dot - s)) : str_from_cstr("");
        if (pkg) { dict_set(d, NM.__package__, pkg); decref(pkg); }
    }
    return m;
}

/* Look for `leaf` in each directory of `dirs` (a list of str). */
static Value find_and_load(Value fullname, const char *leaf, Value dirs) {
    char path[4200], pkgdir[4096];
    for (size_t i = 0; i < LIST_LEN(dirs); i++) {
        Value dv = LIST_ITEMS(dirs)[i];
        if (!IS_STR(dv)) continue;
        const char *dir = STR_DATA(dv);
        if (strlen(dir) + strlen(leaf) + 2 >= sizeof pkgdir) continue;
        /* a path too long for the buffers is not a module that could exist here */
        if (snprintf(pkgdir, sizeof pkgdir, "%s%s%s", dir, *dir ? "/" : "", leaf) >= (int)sizeof pkgdir) continue;
        if (snprintf(path, sizeof path, "%s/__init__.apy", pkgdir) >= (int)sizeof path) continue;
        bool pkg = is_file(path);
        if (!pkg) {
            if (snprintf(path, sizeof path, "%s%s%s.apy", dir, *dir ? "/" : "", leaf) >= (int)sizeof path) continue;
            if (!is_file(path)) continue;
        }
        Value m = new_file_module(fullname, path, pkg, pkgdir);
        if (!m) return VNULL;
        if (dict_set(vm.modules, fullname, m) < 0) { decref(m); return VNULL; }
        if (exec_module_file(m, path) < 0) {
            Value e = err_fetch();           /* keep the module's own error, whatever it is */
            if (dict_del(vm.modules, fullname) < 0) err_clear();
            err_restore(e);
            decref(m);
            return VNULL;
        }
        decref(m);
        /* the module may have replaced itself in sys.modules */
        Value final = dict_get(vm.modules, fullname);
        return final ? final : VNULL;
    }
    return VNULL;
}

static Value search_path(void) {
    Value p = vm.sys ? obj_getattr_opt(vm.sys, NM.path) : VNULL;
    if (p && IS_TYPE(p, &ListType)) return p;
    decref(p);
    if (err_occurred()) err_clear();
    Value dirs = list_new(0);
    Value a = str_from_cstr("."), b = str_from_cstr(APY_LIB_DIR);
    list_append(dirs, a);
    list_append(dirs, b);
    decref(a);
    decref(b);
    return dirs;
}

/* Import one dotted name, its parents first. Returns a borrowed module. */
static Value import_dotted(Value fullname) {
    Value m = dict_get(vm.modules, fullname);
    if (m) return m;
    const char *s = STR_DATA(fullname);
    const char *dot = strrchr(s, '.');
    Value dirs;
    const char *leaf;
    Value parent = VNULL;
    if (dot) {
        Value pname = str_new(s, (size_t)(dot - s));
        if (!pname) return VNULL;
        parent = import_dotted(pname);
        decref(pname);
        if (!parent) return VNULL;
        m = dict_get(vm.modules, fullname);      /* importing the parent may have imported us */
        if (m) return m;
        dirs = obj_getattr_opt(parent, NM.__path__);
        if (!dirs) {
            if (!err_occurred())
                err_format(&Exc_ModuleNotFoundError, "No module named '%S'; '%S' is not a package", fullname,
                           ((ModuleObj *)AS_OBJ(parent))->name);
            return VNULL;
        }
        leaf = dot + 1;
    } else {
        Value b = import_builtin_module(s);
        if (b || err_occurred()) return b;
        dirs = search_path();
        leaf = s;
    }
    m = find_and_load(fullname, leaf, dirs);
    decref(dirs);
    if (!m && !err_occurred()) {
        err_format(&Exc_ModuleNotFoundError, "No module named '%S'", fullname);
        if (vm.exc) setref(&AS_EXC(vm.exc)->name, incref(fullname));
    }
    if (m && parent) {
        Value leafname = str_from_cstr(leaf);
        if (leafname) { obj_setattr(parent, leafname, m); decref(leafname); }
    }
    return m;
}

static Value resolve_relative(Value name, Value globals, int level) {
    Value pkg = globals ? dict_get(globals, NM.__package__) : VNULL;
    Value base;
    if (pkg && IS_STR(pkg) && STR_LEN(pkg)) {
        base = incref(pkg);
    } else {
        Value modname = globals ? dict_get(globals, NM.__name__) : VNULL;
        if (!modname || !IS_STR(modname))
            return err_format(&Exc_ImportError, "attempted relative import with no known parent package");
        if (globals && dict_get(globals, NM.__path__)) base = incref(modname);
        else {
            const char *s = STR_DATA(modname);
            const char *dot = strrchr(s, '.');
            if (!dot) return err_format(&Exc_ImportError, "attempted relative import with no known parent package");
            base = str_new(s, (size_t)(dot - s));
        }
    }
    if (!base) return VNULL;
    for (int i = 1; i < level; i++) {
        const char *s = STR_DATA(base);
        const char *dot = strrchr(s, '.');
        if (!dot) { decref(base); return err_format(&Exc_ImportError, "attempted relative import beyond top-level package"); }
        Value nb = str_new(s, (size_t)(dot - s));
        decref(base);
        if (!nb) return VNULL;
        base = nb;
    }
    Value full = STR_LEN(name) ? str_from_fmt("%S.%S", base, name) : incref(base);
    decref(base);
    return full;
}

Value import_module(Value name, Value globals, Value fromlist, int level) {
    Value full = level > 0 ? resolve_relative(name, globals, level) : incref(name);
    if (!full) return VNULL;
    if (!STR_LEN(full)) { decref(full); return err_format(&Exc_ValueError, "Empty module name"); }
    Value interned = str_intern(full);
    Value leaf = import_dotted(interned);
    if (!leaf) return VNULL;
    bool has_fromlist = fromlist && !IS_NONE(fromlist) && IS_TYPE(fromlist, &TupleType) && TUPLE_LEN(fromlist);
    if (has_fromlist) {
        /* from pkg import submodule: load it if it is not an attribute yet */
        if (dict_get(((ModuleObj *)AS_OBJ(leaf))->dict, NM.__path__)) {
            for (size_t i = 0; i < TUPLE_LEN(fromlist); i++) {
                Value item = TUPLE_ITEMS(fromlist)[i];
                if (str_eq_cstr(item, "*") || dict_get(((ModuleObj *)AS_OBJ(leaf))->dict, item)) continue;
                Value sub = str_from_fmt("%S.%S", interned, item);
                if (!sub) return VNULL;
                Value si = str_intern(sub);
                Value m = import_dotted(si);
                if (!m && err_matches(&Exc_ModuleNotFoundError)) err_clear();
                else if (!m) return VNULL;
            }
        }
        return incref(leaf);
    }
    if (level > 0 || !strchr(STR_DATA(interned), '.')) return incref(leaf);
    /* import a.b.c binds a */
    const char *s = STR_DATA(interned);
    Value top = str_new(s, (size_t)(strchr(s, '.') - s));
    if (!top) return VNULL;
    Value t = dict_get(vm.modules, top);
    decref(top);
    return t ? incref(t) : incref(leaf);
}

/* ---- the main script ------------------------------------------------------------------------------ */
Value import_run_main(const char *path, const char *src, size_t len) {
    Value code = compile_source(src, len, path, 0);
    if (!code) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(vm.main_module))->dict;
    Value file = str_from_cstr(path);
    if (file) { dict_set(d, NM.__file__, file); decref(file); }
    Value r = vm_run_code(AS_CODE(code), d, d);
    decref(code);
    return r;
}

/* ---- _apy: internals for lib/ --------------------------------------------------------------------- */
extern Value gen_mark_iterable_coroutine(Value self, Value *args, size_t nargs, Value kw);

static Value apy_gen_state(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("gen_state", kw) || args_count("gen_state", nargs, 1, 1)) return VNULL;
    if (!IS_GEN_LIKE(args[0])) return err_format(&Exc_TypeError, "expected a generator or coroutine");
    return str_from_cstr(gen_state_name(AS_GEN(args[0])));
}

static Value apy_set_asyncgen_hooks(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    static const char *const names[] = { "firstiter", "finalizer", NULL };
    Value a[2];
    if (args_parse("set_asyncgen_hooks", args, nargs, kw, names, 0, a) < 0) return VNULL;
    Value fi, fin;
    gen_get_asyncgen_hooks(&fi, &fin);
    gen_set_asyncgen_hooks(a[0] ? a[0] : fi, a[1] ? a[1] : fin);
    return none_new();
}

static Value apy_get_asyncgen_hooks(Value self, Value *args, size_t nargs, Value kw) {
    (void)self; (void)args; (void)nargs; (void)kw;
    Value fi, fin;
    gen_get_asyncgen_hooks(&fi, &fin);
    return tuple_pack(2, fi ? fi : None, fin ? fin : None);
}

static const MethodDef apy_methods[] = {
    { "mark_iterable_coroutine", gen_mark_iterable_coroutine, 0 },
    { "gen_state", apy_gen_state, 0 },
    { "set_asyncgen_hooks", apy_set_asyncgen_hooks, 0 },
    { "get_asyncgen_hooks", apy_get_asyncgen_hooks, 0 },
    { NULL, NULL, 0 }
};

Value module_from_methods(const char *name, const MethodDef *defs) {
    Value n = str_from_cstr(name);
    if (!n) return VNULL;
    Value m = module_new(n);
    decref(n);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    for (; defs->name; defs++) {
        Value f = cfunc_new(defs->name, defs->fn, m);
        if (!f || dict_set_str(d, defs->name, f) < 0) { decref(f); decref(m); return VNULL; }
        decref(f);
    }
    return m;
}

static Value apy_module_init(void) { return module_from_methods("_apy", apy_methods); }

/* ---- start-up ----------------------------------------------------------------------------------------- */
static Value builtins_module_init(void) {
    Value n = str_from_cstr("builtins");
    Value m = module_new(n);
    decref(n);
    if (!m) return VNULL;
    setref(&((ModuleObj *)AS_OBJ(m))->dict, incref(vm.builtins));
    return m;
}

void import_init(int argc, char **argv) {
    vm.modules = dict_new();
    vm.argv = list_new(0);
    for (int i = 0; i < argc; i++) {
        Value s = str_from_cstr(argv[i]);
        list_append(vm.argv, s);
        decref(s);
    }
    const char *lib = getenv("APY_LIB");
    vm.lib_path = str_from_cstr(lib ? lib : APY_LIB_DIR);
    import_register_builtin("builtins", builtins_module_init);
    import_register_builtin("sys", sys_module_init);
    import_register_builtin("time", time_module_init);
    import_register_builtin("math", math_module_init);
    import_register_builtin("random", random_module_init);
    import_register_builtin("gc", gc_module_init);
    import_register_builtin("_apy", apy_module_init);
    import_register_builtin("_asyncio", asyncio_core_init);
    import_register_builtin("_collections", collections_module_init);
    dict_set(vm.builtins, NM.__name__, str_intern_cstr("builtins"));
    import_builtin_module("builtins");
    vm.sys = import_builtin_module("sys");
    if (vm.sys) incref(vm.sys);
    Value mainname = str_intern_cstr("__main__");
    vm.main_module = module_new(mainname);
    Value d = ((ModuleObj *)AS_OBJ(vm.main_module))->dict;
    dict_set(d, NM.__builtins__, import_builtin_module("builtins"));
    dict_set(vm.modules, mainname, vm.main_module);
    if (err_occurred()) err_print_and_clear();
}
