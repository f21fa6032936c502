/* object.c — the abstract protocols: what `repr(x)`, `x == y`, `x + y`,
 * `x.attr`, `x[k]`, `iter(x)`, `x(...)` mean for any object.
 *
 * Owns: the dispatch from an operation to the right type slot, with
 * CPython's rules for reflected operands and subclass priority, and CPython's
 * error messages when no slot applies; argument-checking helpers for CFuncs;
 * the repr recursion guard.
 * Must not touch: the internals of any particular type (only their slots).
 */
#include <string.h>
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "names.h"

/* ---- small helpers --------------------------------------------------------------------- */
const char *obj_type_name(Value v) { return type_name(TYPE_OF(v)); }

bool obj_isinstance_type(Value v, Type *t) {
    Type *vt = TYPE_OF(v);
    return vt == t || type_is_subtype(vt, t);
}

/* ---- repr / str ------------------------------------------------------------------------ */
Value obj_repr(Value v) {
    Type *t = TYPE_OF(v);
    if (!t->repr) return str_from_fmt("<%s object at %p>", t->name, (void *)v);
    if (!vm_check_recursion_in(" while getting the repr of an object")) return VNULL;
    vm.c_depth++;
    Value r = t->repr(v);
    vm.c_depth--;
    if (r && !str_check(r)) {
        Value e = err_format(&Exc_TypeError, "__repr__ returned non-string (type %s)", obj_type_name(r));
        decref(r);
        return e;
    }
    return r;
}

Value obj_str(Value v) {
    if (IS_STR(v)) return incref(v);
    Type *t = TYPE_OF(v);
    if (!t->str) return obj_repr(v);
    if (!vm_check_recursion_in(" while getting the str of an object")) return VNULL;
    vm.c_depth++;
    Value r = t->str(v);
    vm.c_depth--;
    if (r && !str_check(r)) {
        Value e = err_format(&Exc_TypeError, "__str__ returned non-string (type %s)", obj_type_name(r));
        decref(r);
        return e;
    }
    return r;
}

Value obj_ascii(Value v) {
    Value r = obj_repr(v);
    if (!r || AS_STR(r)->ascii) return r;
    StrBuf b;
    sb_init(&b);
    const char *s = STR_DATA(r);
    size_t n = STR_LEN(r);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = str_utf8_decode(s + i, n - i, &cp);
        if (cp < 0x80) sb_addc(&b, (char)cp);
        else if (cp < 0x100) sb_addf(&b, "\\x%02x", cp);
        else if (cp < 0x10000) sb_addf(&b, "\\u%04x", cp);
        else sb_addf(&b, "\\U%08x", cp);
        i += k ? k : 1;
    }
    decref(r);
    return sb_finish(&b);
}

/* ---- the repr guard: [[...]] ---------------------------------------------------------------- */
static Value *repr_stack;
static size_t repr_n, repr_cap;

int repr_enter(Value v) {
    for (size_t i = 0; i < repr_n; i++)
        if (repr_stack[i] == v) return 1;
    if (repr_n == repr_cap) {
        size_t nc = repr_cap ? repr_cap * 2 : 16;
        Value *ns = gc_realloc(repr_stack, nc * sizeof *ns);
        if (!ns) return -1;
        repr_stack = ns;
        repr_cap = nc;
    }
    repr_stack[repr_n++] = v;
    return 0;
}

void repr_leave(Value v) {
    for (size_t i = repr_n; i-- > 0;) {
        if (repr_stack[i] == v) {
            memmove(repr_stack + i, repr_stack + i + 1, (repr_n - i - 1) * sizeof *repr_stack);
            repr_n--;
            return;
        }
    }
}

/* ---- hashing, comparison, truth --------------------------------------------------------- */
int64_t obj_hash(Value v) {
    if (IS_INT(v)) return int_hash(v);
    Type *t = TYPE_OF(v);
    if (!t->hash) {
        err_format(&Exc_TypeError, "unhashable type: '%s'", t->name);
        return -1;
    }
    return t->hash(v);
}

static const char *const cmp_symbols[] = { "<", "<=", "==", "!=", ">", ">=" };
static const RichCmpOp swapped_op[] = { RC_GT, RC_GE, RC_EQ, RC_NE, RC_LT, RC_LE };

static Value small_int_cmp(intptr_t a, intptr_t b, RichCmpOp op) {
    bool r;
    switch (op) {
    case RC_LT: r = a < b; break;
    case RC_LE: r = a <= b; break;
    case RC_EQ: r = a == b; break;
    case RC_NE: r = a != b; break;
    case RC_GT: r = a > b; break;
    default:    r = a >= b; break;
    }
    return BOOL(r);
}

Value obj_richcmp(Value a, Value b, RichCmpOp op) {
    if (IS_INT(a) && IS_INT(b)) return small_int_cmp(AS_INT(a), AS_INT(b), op);
    Type *ta = TYPE_OF(a), *tb = TYPE_OF(b);
    bool reflected = false;
    Value r;
    if (!vm_check_recursion_in(" in comparison")) return VNULL;
    vm.c_depth++;
    if (ta != tb && tb->richcmp && type_is_subtype(tb, ta)) {
        reflected = true;
        r = tb->richcmp(b, a, swapped_op[op]);
        if (r != NotImplemented) goto done;
        decref(r);
    }
    if (ta->richcmp) {
        r = ta->richcmp(a, b, op);
        if (r != NotImplemented) goto done;
        decref(r);
    }
    if (!reflected && tb->richcmp) {
        r = tb->richcmp(b, a, swapped_op[op]);
        if (r != NotImplemented) goto done;
        decref(r);
    }
    vm.c_depth--;
    if (op == RC_EQ) return bool_new(a == b);
    if (op == RC_NE) return bool_new(a != b);
    return err_format(&Exc_TypeError, "'%s' not supported between instances of '%s' and '%s'",
                      cmp_symbols[op], ta->name, tb->name);
done:
    vm.c_depth--;
    return r;
}

int obj_richcmp_bool(Value a, Value b, RichCmpOp op) {
    if (IS_INT(a) && IS_INT(b)) return small_int_cmp(AS_INT(a), AS_INT(b), op) == True_;
    if (a == b && (op == RC_EQ || op == RC_NE) ) {
        /* identity implies equality for containers' sake (like CPython's PyObject_RichCompareBool) */
        return op == RC_EQ;
    }
    Value r = obj_richcmp(a, b, op);
    if (!r) return -1;
    int t = obj_truth(r);
    decref(r);
    return t;
}

int obj_eq(Value a, Value b) {
    if (a == b) return 1;
    if (IS_INT(a) && IS_INT(b)) return 0;
    if (IS_STR(a) && IS_STR(b)) return str_eq(a, b);
    return obj_richcmp_bool(a, b, RC_EQ);
}

int obj_truth(Value v) {
    if (v == True_) return 1;
    if (v == False_ || v == None) return 0;
    if (IS_INT(v)) return AS_INT(v) != 0;
    Type *t = TYPE_OF(v);
    if (t->truth) return t->truth(v);
    if (t->len) {
        intptr_t n = t->len(v);
        return n < 0 ? -1 : n > 0;
    }
    return 1;
}

intptr_t obj_len(Value v) {
    Type *t = TYPE_OF(v);
    if (!t->len) {
        err_format(&Exc_TypeError, "object of type '%s' has no len()", t->name);
        return -1;
    }
    return t->len(v);
}

/* ---- attributes ------------------------------------------------------------------------------ */
Value obj_getattr(Value v, Value name) {
    Type *t = TYPE_OF(v);
    if (t->getattr) return t->getattr(v, name);
    return obj_generic_getattr(v, name);
}

Value obj_getattr_cstr(Value v, const char *name) {
    return obj_getattr(v, str_intern_cstr(name));
}

Value obj_getattr_opt(Value v, Value name) {
    Value r = obj_getattr(v, name);
    if (!r && err_matches(&Exc_AttributeError)) err_clear();
    return r;
}

bool obj_hasattr(Value v, Value name) {
    Value r = obj_getattr(v, name);
    if (r) { decref(r); return true; }
    err_clear();
    return false;
}

int obj_setattr(Value v, Value name, Value x) {
    Type *t = TYPE_OF(v);
    if (t->setattr) return t->setattr(v, name, x);
    if (!type_lookup(t, name)) {
        err_format(&Exc_AttributeError, "'%s' object has no attribute '%S'", t->name, name);
    } else {
        err_format(&Exc_AttributeError, "'%s' object attribute '%S' is read-only", t->name, name);
    }
    return -1;
}

int obj_delattr(Value v, Value name) { return obj_setattr(v, name, VNULL); }

/* ---- items ------------------------------------------------------------------------------------- */
Value obj_getitem(Value v, Value key) {
    Type *t = TYPE_OF(v);
    if (t->getitem) return t->getitem(v, key);
    if (IS_OBJ(v) && (t == &TypeType || type_is_subtype(t, &TypeType))) {
        /* list[int] and friends: annotations only, so give back the class. */
        Value cg = obj_getattr_opt(v, NM.__class_getitem__);
        if (cg) {
            Value r = obj_call1(cg, key);
            decref(cg);
            return r;
        }
        if (err_occurred()) return VNULL;
        return err_format(&Exc_TypeError, "type '%s' is not subscriptable", ((Type *)AS_OBJ(v))->name);
    }
    return err_format(&Exc_TypeError, "'%s' object is not subscriptable", t->name);
}

int obj_setitem(Value v, Value key, Value x) {
    Type *t = TYPE_OF(v);
    if (t->setitem) return t->setitem(v, key, x);
    if (t->getitem)
        err_format(&Exc_TypeError, "'%s' object does not support item assignment", t->name);
    else
        err_format(&Exc_TypeError, "'%s' object does not support item assignment", t->name);
    return -1;
}

int obj_delitem(Value v, Value key) {
    Type *t = TYPE_OF(v);
    if (t->setitem) return t->setitem(v, key, VNULL);
    /* CPython says "doesn't" when it got as far as the sequence protocol (a type
     * with sequence slots and an index key), "does not" otherwise. */
    bool seq = (t->flags & TF_HEAPTYPE) || t->getitem || t->contains;
    bool index = IS_INT(key) || obj_isinstance_type(key, &IntType) ||
                 (IS_OBJ(key) && type_lookup(TYPE_OF(key), NM.__index__));
    err_format(&Exc_TypeError, "'%s' object %s support item deletion", t->name,
               seq && index ? "doesn't" : "does not");
    return -1;
}

int obj_contains(Value container, Value item) {
    Type *t = TYPE_OF(container);
    if (t->contains) return t->contains(container, item);
    Value it = obj_iter(container);
    if (!it) {
        if (err_matches(&Exc_TypeError)) {
            err_clear();
            err_format(&Exc_TypeError, "argument of type '%s' is not iterable", t->name);
        }
        return -1;
    }
    for (;;) {
        Value x = obj_next(it);
        if (!x) break;
        int eq = obj_eq(x, item);
        decref(x);
        if (eq != 0) { decref(it); return eq; }
    }
    decref(it);
    return err_occurred() ? -1 : 0;
}

/* ---- numbers ------------------------------------------------------------------------------------ */
static const char *const binop_symbols[] = {
    "+", "-", "*", "@", "/", "%", "**", "<<", ">>", "|", "^", "&", "//"
};

Value obj_binop(Value a, Value b, int op) {
    if (IS_INT(a) && IS_INT(b)) {
        Value r = int_binop(a, b, op & ~BINOP_INPLACE);
        if (r != NotImplemented) return r;      /* `5 @ 5` falls through to the TypeError */
        decref(r);
    }
    Type *ta = TYPE_OF(a), *tb = TYPE_OF(b);
    Value r;
    if (!vm_check_recursion()) return VNULL;
    vm.c_depth++;
    if (op & BINOP_INPLACE) {
        if (ta->binop) {
            r = ta->binop(a, b, op);
            if (r != NotImplemented) goto done;
            decref(r);
        }
        op &= ~BINOP_INPLACE;
        r = obj_binop(a, b, op);
        vm.c_depth--;
        if (!r && err_matches(&Exc_TypeError)) {
            /* Say "+=" as CPython does, when the message is ours. */
            Value e = err_fetch();
            Value args = AS_EXC(e)->args;
            if (args && TUPLE_LEN(args) == 1 && IS_STR(TUPLE_ITEMS(args)[0]) &&
                strncmp(STR_DATA(TUPLE_ITEMS(args)[0]), "unsupported operand type(s) for ", 32) == 0) {
                decref(e);
                const char *sym = op == OP_POW ? "**" : binop_symbols[op];
                return err_format(&Exc_TypeError, "unsupported operand type(s) for %s=: '%s' and '%s'",
                                  sym, ta->name, tb->name);
            }
            err_restore(e);
        }
        return r;
    }
    Value (*sa)(Value, Value, int) = ta->binop;
    Value (*sb)(Value, Value, int) = tb != ta ? tb->binop : NULL;
    if (sb == sa) sb = NULL;
    if (sa) {
        if (sb && type_is_subtype(tb, ta)) {
            r = sb(a, b, op);
            if (r != NotImplemented) goto done;
            decref(r);
            sb = NULL;
        }
        r = sa(a, b, op);
        if (r != NotImplemented) goto done;
        decref(r);
    }
    if (sb) {
        r = sb(a, b, op);
        if (r != NotImplemented) goto done;
        decref(r);
    }
    vm.c_depth--;
    if (op == OP_POW)
        return err_format(&Exc_TypeError, "unsupported operand type(s) for ** or pow(): '%s' and '%s'",
                          ta->name, tb->name);
    if (op == OP_ADD && IS_STR(a))
        return err_format(&Exc_TypeError, "can only concatenate str (not \"%s\") to str", tb->name);
    return err_format(&Exc_TypeError, "unsupported operand type(s) for %s: '%s' and '%s'",
                      binop_symbols[op], ta->name, tb->name);
done:
    vm.c_depth--;
    return r;
}

Value obj_unop(Value a, UnaryOp op) {
    static const char *const sym[] = { "-", "+", "~" };
    Type *t = TYPE_OF(a);
    if (t->unop) {
        Value r = t->unop(a, op);
        if (r != NotImplemented) return r;
        decref(r);
    }
    return err_format(&Exc_TypeError, "bad operand type for unary %s: '%s'", sym[op], t->name);
}

/* ---- iteration -------------------------------------------------------------------------------- */
Value obj_iter(Value v) {
    Type *t = TYPE_OF(v);
    if (t->iter) {
        Value it = t->iter(v);
        if (it && !TYPE_OF(it)->iternext) {
            Value e = err_format(&Exc_TypeError, "iter() returned non-iterator of type '%s'", obj_type_name(it));
            decref(it);
            return e;
        }
        return it;
    }
    if (t->getitem && t != &DictType && !type_is_subtype(t, &DictType)) {
        Value args[1] = { v };
        return obj_call(OBJ_VAL(&SeqIterType), args, 1, VNULL);
    }
    return err_format(&Exc_TypeError, "'%s' object is not iterable", t->name);
}

Value obj_next(Value it) {
    Type *t = TYPE_OF(it);
    if (!t->iternext) return err_format(&Exc_TypeError, "'%s' object is not an iterator", t->name);
    Value r = t->iternext(it);
    /* A __next__ written in apy ends with StopIteration: the same as "exhausted". */
    if (!r && vm.exc && err_matches(&Exc_StopIteration)) err_clear();
    return r;
}

/* ---- calls ------------------------------------------------------------------------------------------ */
Value obj_call(Value f, Value *args, size_t nargs, Value kwnames) {
    Type *t = TYPE_OF(f);
    if (t == &FunctionType) return vm_call_function(f, args, nargs, kwnames);
    if (!t->call) return err_format(&Exc_TypeError, "'%s' object is not callable", t->name);
    if (!vm_check_recursion()) return VNULL;
    vm.c_depth++;
    Value r = t->call(f, args, nargs, kwnames);
    vm.c_depth--;
    return r;
}

Value obj_call0(Value f) { return obj_call(f, NULL, 0, VNULL); }
Value obj_call1(Value f, Value a) { return obj_call(f, &a, 1, VNULL); }
Value obj_call2(Value f, Value a, Value b) {
    Value args[2] = { a, b };
    return obj_call(f, args, 2, VNULL);
}

Value obj_call_method(Value self, Value name, Value *args, size_t nargs) {
    Type *t = TYPE_OF(self);
    Value m = type_lookup(t, name);
    if (m && (IS_TYPE(m, &FunctionType) || IS_TYPE(m, &MethodDescrType))) {
        /* Skip the bound method: call with self prepended. */
        Value buf[8], *all = nargs + 1 <= 8 ? buf : gc_malloc((nargs + 1) * sizeof(Value));
        if (!all) return VNULL;
        all[0] = self;
        for (size_t i = 0; i < nargs; i++) all[i + 1] = args[i];
        Value r = obj_call(m, all, nargs + 1, VNULL);
        if (all != buf) gc_free(all);
        return r;
    }
    Value bound = obj_getattr(self, name);
    if (!bound) return VNULL;
    Value r = obj_call(bound, args, nargs, VNULL);
    decref(bound);
    return r;
}

Value obj_call_method_cstr(Value self, const char *name, size_t nargs, ...) {
    Value args[8];
    va_list ap;
    va_start(ap, nargs);
    for (size_t i = 0; i < nargs && i < 8; i++) args[i] = va_arg(ap, Value);
    va_end(ap);
    return obj_call_method(self, str_intern_cstr(name), args, nargs);
}

bool obj_callable(Value v) { return TYPE_OF(v)->call != NULL || TYPE_OF(v) == &FunctionType; }

/* ---- isinstance / issubclass ------------------------------------------------------------------- */
static bool is_type_value(Value v) {
    return IS_OBJ(v) && obj_isinstance_type(v, &TypeType);
}

int obj_isinstance(Value v, Value cls) {
    if (is_type_value(cls)) {
        Type *c = (Type *)AS_OBJ(cls);
        if (obj_isinstance_type(v, c)) return 1;
        /* A user metaclass may define __instancecheck__. */
        Type *meta = TYPE_OF(cls);
        if (meta != &TypeType) {
            Value chk = type_lookup(meta, NM.__instancecheck__);
            if (chk) {
                Value r = obj_call2(chk, cls, v);
                if (!r) return -1;
                int t = obj_truth(r);
                decref(r);
                return t;
            }
        }
        return 0;
    }
    if (IS_TYPE(cls, &TupleType)) {
        for (size_t i = 0; i < TUPLE_LEN(cls); i++) {
            int r = obj_isinstance(v, TUPLE_ITEMS(cls)[i]);
            if (r) return r;
        }
        return 0;
    }
    err_format(&Exc_TypeError, "isinstance() arg 2 must be a type, a tuple of types, or a union");
    return -1;
}

int obj_issubclass(Value sub, Value cls) {
    if (!is_type_value(sub)) {
        err_format(&Exc_TypeError, "issubclass() arg 1 must be a class");
        return -1;
    }
    if (is_type_value(cls)) {
        if (type_is_subtype((Type *)AS_OBJ(sub), (Type *)AS_OBJ(cls))) return 1;
        /* A user metaclass may define __subclasscheck__ (as for isinstance above). */
        Type *meta = TYPE_OF(cls);
        if (meta != &TypeType) {
            Value chk = type_lookup(meta, NM.__subclasscheck__);
            if (chk && !IS_TYPE(chk, &MethodDescrType)) {
                Value r = obj_call2(chk, cls, sub);
                if (!r) return -1;
                int t = obj_truth(r);
                decref(r);
                return t;
            }
        }
        return 0;
    }
    if (IS_TYPE(cls, &TupleType)) {
        for (size_t i = 0; i < TUPLE_LEN(cls); i++) {
            int r = obj_issubclass(sub, TUPLE_ITEMS(cls)[i]);
            if (r) return r;
        }
        return 0;
    }
    err_format(&Exc_TypeError, "issubclass() arg 2 must be a class, a tuple of classes, or a union");
    return -1;
}

/* ---- format ------------------------------------------------------------------------------------- */
Value obj_format(Value v, Value spec) {
    Type *t = TYPE_OF(v);
    Value m = type_lookup(t, NM.__format__);
    if (m && !IS_TYPE(m, &SlotWrapperType) && !IS_TYPE(m, &MethodDescrType)) {
        Value args[2] = { v, spec };
        Value r = obj_call(m, args, 2, VNULL);
        if (r && !str_check(r)) {
            Value e = err_format(&Exc_TypeError, "__format__ must return a str, not %s", obj_type_name(r));
            decref(r);
            return e;
        }
        return r;
    }
    if (int_check(v) || float_check(v) || str_check(v)) return format_value(v, spec);
    if (STR_LEN(spec) != 0)
        return err_format(&Exc_TypeError, "unsupported format string passed to %s.__format__", t->name);
    return obj_str(v);
}

Value obj_id(Value v) { return int_from_u64((uint64_t)v); }

Value obj_new_instance(Type *t) {
    size_t size = t->size;
    /* room for the __dict__ slot of an empty tuple, str or bytes subclass
     * (type_var_dict_slot: after the NUL, aligned), should one get here */
    if (t->dict_offset >= DICTOFF_VAR) size += 2 * sizeof(Value);
    Obj *o = gc_alloc(t, size);
    return o ? OBJ_VAL(o) : VNULL;
}

Value seq_to_array(Value iterable, Value **items, size_t *n) {
    Value seq;
    if (IS_TYPE(iterable, &TupleType) || IS_TYPE(iterable, &ListType)) seq = incref(iterable);
    else if (!(seq = tuple_from_iterable(iterable))) return VNULL;
    if (IS_TYPE(seq, &TupleType)) { *items = TUPLE_ITEMS(seq); *n = TUPLE_LEN(seq); }
    else { *items = LIST_ITEMS(seq); *n = LIST_LEN(seq); }
    return seq;
}

/* ---- argument helpers --------------------------------------------------------------------------- */
int args_no_kw(const char *fname, Value kwnames) {
    if (kwnames && TUPLE_LEN(kwnames)) {
        err_format(&Exc_TypeError, "%s() takes no keyword arguments", fname);
        return -1;
    }
    return 0;
}

int args_count(const char *fname, size_t nargs, size_t min, size_t max) {
    if (nargs >= min && nargs <= max) return 0;
    if (min == max) {
        if (min == 0)
            err_format(&Exc_TypeError, "%s() takes no arguments (%zu given)", fname, nargs);
        else if (min == 1)
            err_format(&Exc_TypeError, "%s() takes exactly one argument (%zu given)", fname, nargs);
        else
            err_format(&Exc_TypeError, "%s expected %zu arguments, got %zu", fname, min, nargs);
    } else if (nargs < min) {
        err_format(&Exc_TypeError, "%s expected at least %zu argument%s, got %zu", fname, min,
                   min == 1 ? "" : "s", nargs);
    } else {
        err_format(&Exc_TypeError, "%s expected at most %zu argument%s, got %zu", fname, max,
                   max == 1 ? "" : "s", nargs);
    }
    return -1;
}

int args_parse(const char *fname, Value *args, size_t nargs, Value kwnames,
               const char *const *names, size_t required, Value *out) {
    size_t nparams = 0;
    while (names[nparams]) nparams++;
    for (size_t i = 0; i < nparams; i++) out[i] = VNULL;
    if (nargs > nparams) {
        err_format(&Exc_TypeError, "%s() takes at most %zu argument%s (%zu given)", fname, nparams,
                   nparams == 1 ? "" : "s", nargs);
        return -1;
    }
    for (size_t i = 0; i < nargs; i++) out[i] = args[i];
    size_t nkw = kwnames ? TUPLE_LEN(kwnames) : 0;
    for (size_t k = 0; k < nkw; k++) {
        Value kn = TUPLE_ITEMS(kwnames)[k];
        size_t i = 0;
        while (i < nparams && !str_eq_cstr(kn, names[i])) i++;
        if (i == nparams) {
            err_format(&Exc_TypeError, "'%S' is an invalid keyword argument for %s()", kn, fname);
            return -1;
        }
        if (out[i]) {
            err_format(&Exc_TypeError, "argument for %s() given by name ('%s') and position (%zu)",
                       fname, names[i], i + 1);
            return -1;
        }
        out[i] = args[nargs + k];
    }
    for (size_t i = 0; i < required; i++) {
        if (!out[i]) {
            err_format(&Exc_TypeError, "%s() missing required argument '%s' (pos %zu)", fname, names[i], i + 1);
            return -1;
        }
    }
    return 0;
}

/* ---- start-up: every type file registers its types -------------------------------------------- */
void objects_init(void) {
    type_init_types();
    str_init_types();
    int_init_types();
    float_init_types();
    bytes_init_types();
    tuple_init_types();
    list_init_types();
    dict_init_types();
    set_init_types();
    range_init_types();
    iter_init_types();
    func_init_types();
    exc_init_types();
    gen_init_types();
    frame_init_types();
    file_init_types();
}
