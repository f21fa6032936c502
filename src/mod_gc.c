/* mod_gc.c — the gc module: the cycle collector seen from apy.
 *
 * Owns: gc_module_init and the gc.* functions. They report what gc.c
 * really does, which differs from CPython in one visible way: apy's
 * collector has a single generation, so the per-generation numbers
 * (get_count, get_stats) have one meaningful entry and the thresholds are
 * remembered for programs that set them but do not steer the collector
 * (it runs when the number of new containers exceeds half of those alive,
 * at least 2000).
 * Must not touch: the collector's internals (gc.h is the interface).
 */
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "containers.h"

static intptr_t thresholds[3] = { 700, 10, 10 };

/* collect(generation=2): a full collection; the number of unreachable objects found. */
static Value g_collect(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    static const char *const names[] = { "generation", NULL };
    Value a[1];
    if (args_parse("collect", args, nargs, kwnames, names, 0, a) < 0) return VNULL;
    if (a[0]) {
        intptr_t gen;
        if (index_as_ssize(a[0], &gen, &Exc_OverflowError) < 0) return VNULL;
        if (gen < 0 || gen > 2) return err_format(&Exc_ValueError, "invalid generation");
    }
    return int_from_u64(gc_collect());
}

#define NO_ARGS(name) \
    (void)self; (void)args; \
    if (args_no_kw(name, kwnames) || args_count(name, nargs, 0, 0)) return VNULL

static Value g_enable(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("enable");
    gc_enable(true);
    return none_new();
}

static Value g_disable(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("disable");
    gc_enable(false);
    return none_new();
}

static Value g_isenabled(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("isenabled");
    return bool_new(gc_enabled());
}

/* (containers tracked now, 0, 0): one generation holds everything. */
static Value g_get_count(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("get_count");
    size_t tracked;
    gc_stats(NULL, NULL, &tracked);
    Value n = int_from_u64(tracked);
    if (!n) return VNULL;
    Value r = tuple_pack(3, n, MK_INT(0), MK_INT(0));
    decref(n);
    return r;
}

/* One dict per generation; apy has one. */
static Value g_get_stats(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("get_stats");
    size_t collections, collected;
    gc_stats(&collections, &collected, NULL);
    Value d = dict_new();
    if (!d) return VNULL;
    Value a = int_from_u64(collections), b = int_from_u64(collected);
    int r = (a && b) ? dict_set_str(d, "collections", a) | dict_set_str(d, "collected", b) |
                       dict_set_str(d, "uncollectable", MK_INT(0)) : -1;
    decref(a);
    decref(b);
    if (r) { decref(d); return VNULL; }
    Value l = list_from_array(&d, 1);
    decref(d);
    return l;
}

static Value g_get_threshold(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("get_threshold");
    return tuple_pack(3, int_from_i64(thresholds[0]), int_from_i64(thresholds[1]), int_from_i64(thresholds[2]));
}

static Value g_set_threshold(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("set_threshold", kwnames)) return VNULL;
    if (nargs < 1) return err_format(&Exc_TypeError, "set_threshold() takes at least 1 argument (0 given)");
    if (nargs > 3) return err_format(&Exc_TypeError, "set_threshold() takes at most 3 arguments (%zu given)", nargs);
    intptr_t t[3] = { thresholds[0], thresholds[1], thresholds[2] };
    for (size_t i = 0; i < nargs; i++) {
        if (float_check(args[i])) return err_format(&Exc_TypeError, "'float' object cannot be interpreted as an integer");
        if (index_as_ssize(args[i], &t[i], &Exc_OverflowError) < 0) return VNULL;
    }
    for (int i = 0; i < 3; i++) thresholds[i] = t[i];
    return none_new();
}

/* Objects made by gc_alloc for a TF_GC type carry the collector's header;
 * immortal static objects (types, the empty tuple, None …) do not. */
static bool has_gc_head(Value v) {
    return IS_OBJ(v) && (AS_OBJ(v)->type->flags & TF_GC) && AS_OBJ(v)->rc < IMMORTAL_RC / 2;
}

static Value g_is_tracked(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("is_tracked", kwnames) || args_count("is_tracked", nargs, 1, 1)) return VNULL;
    return bool_new(has_gc_head(args[0]) && gc_is_tracked(AS_OBJ(args[0])));
}

static Value g_is_finalized(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("is_finalized", kwnames) || args_count("is_finalized", nargs, 1, 1)) return VNULL;
    return bool_new(has_gc_head(args[0]) && gc_is_finalized(AS_OBJ(args[0])));
}

static Value g_get_objects(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args;
    if (args_no_kw("get_objects", kwnames) || args_count("get_objects", nargs, 0, 0)) return VNULL;
    return gc_get_objects();
}

typedef struct { Value list; int failed; } Referents;

static void add_referent(Value v, void *arg) {
    Referents *r = arg;
    if (!r->failed && v && IS_OBJ(v) && list_append(r->list, v) < 0) r->failed = 1;
}

/* get_referents(*objs): what each object's traverse visits. */
static Value g_get_referents(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("get_referents", kwnames)) return VNULL;
    Referents r = { list_new(0), 0 };
    if (!r.list) return VNULL;
    for (size_t i = 0; i < nargs; i++) {
        Value v = args[i];
        if (!IS_OBJ(v)) continue;
        Type *t = AS_OBJ(v)->type;
        if ((t->flags & TF_GC) && t->traverse) t->traverse(AS_OBJ(v), add_referent, &r);
    }
    if (r.failed) { decref(r.list); return VNULL; }
    return r.list;
}

static const MethodDef gc_functions[] = {
    {"collect", g_collect, 0}, {"enable", g_enable, 0}, {"disable", g_disable, 0},
    {"isenabled", g_isenabled, 0}, {"get_count", g_get_count, 0}, {"get_stats", g_get_stats, 0},
    {"get_threshold", g_get_threshold, 0}, {"set_threshold", g_set_threshold, 0},
    {"is_tracked", g_is_tracked, 0}, {"is_finalized", g_is_finalized, 0},
    {"get_referents", g_get_referents, 0},
    {"get_objects", g_get_objects, 0},
    {NULL, NULL, 0}
};

Value gc_module_init(void) {
    Value m = module_from_methods("gc", gc_functions);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    Value garbage = list_new(0), callbacks = list_new(0);
    int r = garbage && callbacks ? dict_set_str(d, "garbage", garbage) | dict_set_str(d, "callbacks", callbacks) : -1;
    decref(garbage);
    decref(callbacks);
    if (r) { decref(m); return VNULL; }
    return m;
}
