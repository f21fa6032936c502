/* object.h — the object model: types, their slots, and every built-in object.
 *
 * Owns: the layout of each built-in object and the public API of each
 * `obj_*.c` file. Like CPython, a type is an object whose C slots implement
 * the protocols (repr, hash, call, getattr, iteration, numbers …); a class
 * written in apy is a Type whose slots call its dunder methods.
 * Must not touch: the VM's dispatch loop, the compiler.
 *
 * Conventions (see value.h): results are new references, arguments borrowed;
 * VNULL (or -1 for int results) means an exception is set (vm.h, err_*).
 */
#ifndef APY_OBJECT_H
#define APY_OBJECT_H

#include <stdarg.h>
#include <stdio.h>
#include <gmp.h>
#include "value.h"
#include "ast.h"          /* BinOpKind: the operator numbering shared with the compiler */

/* ===== types ===================================================================== */

typedef void (*VisitFn)(Value v, void *arg);

/* A C function callable from apy. `self` is the bound object (methods) or
 * the builtin's own data (VNULL for plain functions). `args` holds nargs
 * positional values followed by one value per name in `kwnames` (a tuple of
 * str, or VNULL when there are no keyword arguments). */
typedef Value (*CFunc)(Value self, Value *args, size_t nargs, Value kwnames);

typedef enum { RC_LT, RC_LE, RC_EQ, RC_NE, RC_GT, RC_GE } RichCmpOp;

/* Binary operators: the values of BinOpKind in ast.h, plus this offset for
 * the in-place forms (a += b). */
#define BINOP_INPLACE 16
typedef enum { UNOP_NEG, UNOP_POS, UNOP_INVERT } UnaryOp;

enum {
    TF_GC        = 1 << 0,   /* instances can hold references: cycle-collected */
    TF_BASETYPE  = 1 << 1,   /* may be subclassed */
    TF_HEAPTYPE  = 1 << 2,   /* created by a class statement (refcounted, has dunder slots) */
    TF_EXCEPTION = 1 << 3,   /* BaseException or a subclass */
    TF_READY     = 1 << 4,
    TF_ABSTRACT  = 1 << 5,   /* cannot be instantiated directly */
};

struct Type {
    Obj h;
    const char *name;        /* tp_name as CPython shows it: "int", "list", "MyClass" */
    Value name_v;            /* the same as a str (heap types own it) */
    Value qualname;
    Value module;            /* str: "builtins" for built-in types */
    Type *base;              /* the solid base (single inheritance of layout) */
    Value bases;             /* tuple of types */
    Value mro;               /* tuple of types, this type first */
    Value dict;              /* the class namespace */
    Value doc;
    uint32_t flags;
    uint32_t size;           /* bytes per instance (excluding the GC head) */
    uint32_t dict_offset;    /* offset of a Value slot holding __dict__, 0 = none, or one of
                                the DICTOFF_* markers below: use type_dict_slot() */
    uint32_t version;        /* attribute-cache tag; 0 = unassigned (the class or a base changed) */
    struct Type **subclasses;/* weak: direct subclasses, to invalidate their caches */
    uint32_t nsubclasses, capsubclasses;
    struct Type **held_bases;/* heap types: strong references to the bases, kept until
                                dealloc (the bases tuple may be cleared by the GC first) */
    uint32_t nheld_bases;

    /* life cycle */
    Value (*tp_new)(Type *t, Value *args, size_t nargs, Value kwnames);
    Value (*tp_init)(Value self, Value *args, size_t nargs, Value kwnames); /* returns None or VNULL */
    void  (*dealloc)(Obj *o);        /* release what o owns; gc frees o itself */
    void  (*traverse)(Obj *o, VisitFn visit, void *arg); /* must cope with a zeroed object */
    void  (*clear)(Obj *o);          /* break cycles: drop references */
    void  (*finalize)(Obj *o);       /* once, before o dies; may run apy code (deferred to a safe point) */
    bool  (*needs_finalize)(Obj *o); /* NULL = always when finalize is set */
    bool  (*recycle)(Obj *o);        /* after dealloc: true = the type keeps the memory (free lists) */

    /* protocols: NULL = not supported (or inherited at type_ready) */
    Value (*repr)(Value self);
    Value (*str)(Value self);
    int64_t (*hash)(Value self);     /* -1 = error */
    Value (*richcmp)(Value a, Value b, RichCmpOp op);     /* NotImplemented if unsupported */
    int   (*truth)(Value self);      /* 0/1, -1 error */
    intptr_t (*len)(Value self);     /* -1 error */
    CFunc call;
    Value (*getattr)(Value self, Value name);             /* VNULL + AttributeError if missing */
    int   (*setattr)(Value self, Value name, Value v);    /* v = VNULL deletes */
    Value (*descr_get)(Value descr, Value obj, Value type); /* obj may be VNULL (class access) */
    int   (*descr_set)(Value descr, Value obj, Value v);
    Value (*iter)(Value self);
    Value (*iternext)(Value self);   /* VNULL with no error set = exhausted */
    Value (*getitem)(Value self, Value key);
    int   (*setitem)(Value self, Value key, Value v);     /* v = VNULL deletes */
    int   (*contains)(Value self, Value item);            /* 0/1, -1 error */
    Value (*binop)(Value a, Value b, int op);  /* op: BinOpKind [+ BINOP_INPLACE]; a or b is of this type */
    Value (*unop)(Value a, UnaryOp op);
};

/* Subclasses of the variable-sized types (tuple, str, bytes) keep their
 * items inline right after the fixed header, where a __dict__ slot would
 * go: as CPython's negative tp_dictoffset, their __dict__ slot follows the
 * variable part, at an address computed from the object's length. Such a
 * type's dict_offset is one of these markers (all >= DICTOFF_VAR); an
 * instance is allocated with type_varsize_alloc() bytes. */
#define DICTOFF_VAR    0xFFFFFFF0u
#define DICTOFF_TUPLE  (DICTOFF_VAR + 1)
#define DICTOFF_STR    (DICTOFF_VAR + 2)
#define DICTOFF_BYTES  (DICTOFF_VAR + 3)
Value *type_var_dict_slot(Obj *o, uint32_t dict_offset);   /* type.c: the slot after the items */
size_t type_varsize_alloc(Type *t, size_t size);          /* size (header + items) plus the slot, if t has one */
/* The one way to find an instance's __dict__ slot: NULL if its type has none. */
static inline Value *type_dict_slot(Type *t, Obj *o) {
    uint32_t off = t->dict_offset;
    if (!off) return NULL;
    if (off >= DICTOFF_VAR) return type_var_dict_slot(o, off);
    return (Value *)((char *)o + off);
}

/* Static types are immortal objects of type `type`:
 *     Type ListType = { STATIC_TYPE_HEAD, .name = "list", .size = sizeof(ListObj), ... };
 * and each obj_*.c file's *_init_types() adds methods and calls type_ready(). */
#define IMMORTAL_RC ((intptr_t)1 << 40)
#define STATIC_TYPE_HEAD .h = { IMMORTAL_RC, &TypeType }

/* Static built-in types. */
extern Type TypeType, ObjectType, NoneType, NotImplementedType, EllipsisType,
    BoolType, IntType, FloatType, ComplexType, StrType, BytesType, ListType,
    TupleType, DictType, SetType, FrozenSetType, RangeType, SliceType,
    FunctionType, CodeType, CellType, MethodType, CFunctionType,
    SlotWrapperType, MethodDescrType, PropertyType, StaticMethodType, ClassMethodType,
    SuperType, ModuleType, FrameType, TracebackType, GeneratorType,
    CoroutineType, AsyncGenType, CoroWrapperType, AsyncGenASendType,
    AsyncGenAThrowType, ListIterType, TupleIterType, RangeIterType,
    StrIterType, BytesIterType, DictKeysType, DictValuesType, DictItemsType,
    DictIterType, SetIterType, SeqIterType, CallIterType, EnumerateType,
    ZipType, MapType, FilterType, ReversedType, DictProxyType, FileType;
#define BaseExceptionType Exc_BaseException   /* see the exception types below */

/* ===== singletons ================================================================= */
extern Obj NoneObj, NotImplementedObj, EllipsisObj;
typedef struct { Obj h; int v; } BoolObj;
extern BoolObj TrueObj, FalseObj;
#define None            OBJ_VAL(&NoneObj)
#define NotImplemented  OBJ_VAL(&NotImplementedObj)
#define Ellipsis        OBJ_VAL(&EllipsisObj)
#define True_           OBJ_VAL(&TrueObj)
#define False_          OBJ_VAL(&FalseObj)
#define BOOL(b)         ((b) ? True_ : False_)
#define IS_NONE(v)      ((v) == None)
/* New references to the singletons (they are immortal, but counting keeps the rules uniform). */
static inline Value none_new(void)  { return incref(None); }
static inline Value bool_new(int b) { return incref(BOOL(b)); }

/* ===== int ========================================================== obj_int.c === */
typedef struct { Obj h; mpz_t z; } BigIntObj;   /* only for values outside small range */

Value int_from_i64(int64_t i);
Value int_from_u64(uint64_t u);
Value int_from_double(double d);                  /* truncates; ValueError/OverflowError for nan/inf */
Value int_from_mpz(const mpz_t z);                /* normalises to a small int when it fits */
Value int_from_string(const char *s, size_t len, int base); /* Python int(str, base) rules; ValueError */
bool  int_check(Value v);                         /* int or bool or a subclass */
int   int_as_i64(Value v, int64_t *out);          /* -1 + OverflowError if too big; TypeError if not int */
int   int_as_ssize(Value v, intptr_t *out);       /* same, for sizes and indices */
void  int_to_mpz(Value v, mpz_t out);             /* v is an int; out must be mpz_init'ed */
double int_as_double(Value v);                    /* OverflowError → returns -1 with error set */
int   int_sign(Value v);
Value int_to_base_string(Value v, int base, bool prefix); /* "0x1f"; base 2/8/10/16 */
Value int_binop(Value a, Value b, int op);        /* the slot; NotImplemented for non-ints */
Value int_pow(Value a, Value b, Value mod);       /* pow(a, b[, mod]) */
int   int_cmp(Value a, Value b);                  /* both ints: -1/0/1 */
int64_t int_hash(Value v);                        /* Python's modular hash (2**61-1) */
Value int_repr(Value v);
size_t int_str_digits_limit(void);                /* 4300, like CPython's sys.int_info */

/* ===== float ======================================================== obj_float.c = */
typedef struct { Obj h; double v; } FloatObj;
Value float_new(double d);
bool  float_check(Value v);
int   float_as_double(Value v, double *out);      /* accepts float, int, bool; TypeError otherwise */
Value float_repr_of(double d);                    /* Python's repr: shortest round-trip */
int   float_format_repr(double d, char *buf, size_t n); /* same into a buffer */
int64_t float_hash(double d);
Value float_binop(Value a, Value b, int op);

/* ===== complex (minimal) ========================================== obj_float.c = */
typedef struct { Obj h; double re, im; } ComplexObj;
Value complex_new(double re, double im);

/* ===== str ========================================================== obj_str.c === */
/* Immutable UTF-8. `len` is in bytes, `nchars` in code points; `ascii`
 * means len == nchars (indexing is then O(1)). `hash` is cached (-1 = not yet). */
typedef struct {
    Obj h;
    size_t len, nchars;
    int64_t hash;
    uint8_t ascii, interned;
    char data[];        /* NUL-terminated */
} StrObj;
#define AS_STR(v)   ((StrObj *)AS_OBJ(v))
#define STR_DATA(v) (AS_STR(v)->data)
#define STR_LEN(v)  (AS_STR(v)->len)
#define IS_STR(v)   IS_TYPE(v, &StrType)

Value str_new(const char *utf8, size_t len);      /* copies; the bytes must be valid UTF-8 */
Value str_from_cstr(const char *s);
Value str_from_fmt(const char *fmt, ...);         /* printf-style, plus %R (repr) %S (str) %T (type name) of Values */
Value str_from_vfmt(const char *fmt, va_list ap);
Value str_intern(Value s);                        /* steals s; returns the interned copy */
Value str_intern_cstr(const char *s);             /* borrowed: interned strings live until exit */
bool  str_check(Value v);                         /* str or subclass */
bool  str_eq(Value a, Value b);                   /* both str */
bool  str_eq_cstr(Value a, const char *s);
int64_t str_hash(Value v);
Value str_concat(Value a, Value b);
Value str_append_inplace(Value a, Value b);        /* a's only reference is the caller's: see obj_str.c */
Value str_repr(Value v);
Value str_getitem_index(Value s, intptr_t i);
Value str_join(Value sep, Value iterable);
Value str_format_method(Value fmt, Value *args, size_t nargs, Value kwnames); /* "…".format() */
size_t str_utf8_decode(const char *s, size_t len, uint32_t *cp); /* one code point; returns bytes used */
size_t str_utf8_encode(uint32_t cp, char *out);                  /* returns bytes written (1..4) */
bool  str_utf8_valid(const char *s, size_t len);

/* A growable byte buffer for building strings (format.c, repr, print…). */
typedef struct { char *data; size_t len, cap; bool failed; } StrBuf;
void  sb_init(StrBuf *b);
void  sb_add(StrBuf *b, const char *s, size_t n);
void  sb_adds(StrBuf *b, const char *s);
void  sb_addc(StrBuf *b, char c);
void  sb_addf(StrBuf *b, const char *fmt, ...);
int   sb_add_value_str(StrBuf *b, Value v);      /* str(v); -1 on error */
int   sb_add_value_repr(StrBuf *b, Value v);     /* repr(v); -1 on error */
Value sb_finish(StrBuf *b);                      /* a str; frees the buffer; MemoryError if failed */
void  sb_free(StrBuf *b);

/* ===== format spec mini-language =================================== format.c === */
Value format_value(Value v, Value spec);          /* format(v, spec): calls __format__ for user types */
Value format_int(Value v, const char *spec, size_t len);
Value format_float(double d, const char *spec, size_t len);
Value format_str(Value v, const char *spec, size_t len);

/* ===== bytes ======================================================== obj_bytes.c = */
typedef struct { Obj h; size_t len; int64_t hash; uint8_t data[]; } BytesObj;
#define AS_BYTES(v) ((BytesObj *)AS_OBJ(v))
Value bytes_new(const void *data, size_t len);
Value bytes_repr(Value v);

/* ===== tuple ======================================================== obj_tuple.c = */
typedef struct { Obj h; size_t len; int64_t hash; Value items[]; } TupleObj;
#define AS_TUPLE(v)    ((TupleObj *)AS_OBJ(v))
#define TUPLE_LEN(v)   (AS_TUPLE(v)->len)
#define TUPLE_ITEMS(v) (AS_TUPLE(v)->items)
Value tuple_new(size_t n);                        /* items VNULL: the caller fills them with owned refs */
Value tuple_pack(size_t n, ...);                  /* increfs each */
Value tuple_from_array(const Value *items, size_t n); /* increfs each */
Value tuple_from_iterable(Value it);
Value tuple_empty(void);

/* ===== list ========================================================= obj_list.c == */
typedef struct { Obj h; Value *items; size_t len, cap; } ListObj;
#define AS_LIST(v)    ((ListObj *)AS_OBJ(v))
#define LIST_LEN(v)   (AS_LIST(v)->len)
#define LIST_ITEMS(v) (AS_LIST(v)->items)
Value list_new(size_t n);                         /* length n, items VNULL: fill with owned refs */
Value list_from_array(const Value *items, size_t n);
Value list_from_iterable(Value it);
int   list_append(Value l, Value v);              /* increfs v */
int   list_extend(Value l, Value iterable);
int   list_sort(Value l, Value key, bool reverse);
Value list_repr(Value l);

/* ===== deque ======================================================= obj_deque.c == */
/* collections.deque lives in the built-in module _collections (its init is
 * declared in vm.h with the other modules'); its layout is private to
 * obj_deque.c (type.c names the type only to give it CPython's operator dunders). */
extern Type DequeType;

/* ===== dict ========================================================= obj_dict.c == */
/* Insertion ordered, open addressing over an index table (CPython's compact dict). */
typedef struct { int64_t hash; Value key, value; } DictEntry;
typedef struct {
    Obj h;
    size_t used;          /* live entries */
    size_t nentries;      /* entries slots used, including deleted (key VNULL) */
    size_t fill;          /* index slots that are not empty (live + deleted): kept below cap */
    size_t cap;           /* capacity of entries[] */
    size_t mask;          /* index table size - 1 */
    int32_t *index;       /* -1 empty, -2 deleted, else entry number */
    DictEntry *entries;
    uint64_t version;     /* bumped on every change: caches and "changed size during iteration" */
    uint64_t keys_version;/* new whenever a key is added or removed (not when a value changes):
                           * equal keys_versions mean the same set of keys, so LOAD_METHOD can
                           * remember that an instance dict does not shadow a method */
} DictObj;
#define AS_DICT(v) ((DictObj *)AS_OBJ(v))
#define IS_DICT(v) IS_TYPE(v, &DictType)
Value dict_new(void);
Value dict_get(Value d, Value key);               /* borrowed; VNULL if absent or error (check err_occurred) */
Value dict_get_str(Value d, const char *key);     /* borrowed */
intptr_t dict_find_entry(Value d, Value key);     /* the entry number holding key; -1 if absent or error */
int   dict_set(Value d, Value key, Value v);      /* increfs both */
int   dict_set_str(Value d, const char *key, Value v);
int   dict_del(Value d, Value key);               /* KeyError if absent */
int   dict_pop(Value d, Value key, Value *out);   /* 1 found (out owned), 0 absent, -1 error */
bool  dict_next(Value d, size_t *pos, Value *key, Value *value); /* borrowed; *pos starts at 0 */
Value dict_copy(Value d);
int   dict_update(Value d, Value other);          /* dict or mapping or iterable of pairs */
int   dict_merge_kw(Value d, Value other);        /* f(**other): TypeError for non-str keys */
void  dict_clear(Value d);
Value dict_keys_list(Value d);
Value dict_repr(Value d);

/* ===== set ========================================================== obj_set.c === */
typedef struct { int64_t hash; Value key; } SetEntry;
typedef struct { Obj h; size_t used, fill, mask; SetEntry *table; int64_t hash; uint64_t version; } SetObj;
#define AS_SET(v) ((SetObj *)AS_OBJ(v))
Value set_new(Value iterable);                    /* iterable may be VNULL */
Value frozenset_new(Value iterable);
int   set_add(Value s, Value key);
int   set_contains(Value s, Value key);
int   set_discard(Value s, Value key);            /* 1 removed, 0 absent, -1 error */
bool  set_next(Value s, size_t *pos, Value *key); /* borrowed */

/* ===== range, slice ================================================= obj_range.c = */
typedef struct { Obj h; Value start, stop, step, length; } RangeObj;  /* ints */
typedef struct { Obj h; Value start, stop, step; } SliceObj;
Value range_new(Value start, Value stop, Value step);
Value slice_new(Value start, Value stop, Value step);     /* VNULL parts mean None */
/* Resolve a slice against a sequence length, like PySlice_GetIndicesEx. */
int   slice_indices(Value slice, intptr_t len, intptr_t *start, intptr_t *stop,
                    intptr_t *step, intptr_t *slicelen);
int   index_normalize(Value index, intptr_t len, intptr_t *out, const char *what); /* IndexError "<what> index out of range" */

/* ===== functions, code, cells ====================================== obj_func.c == */
enum {
    CO_VARARGS    = 1 << 0,
    CO_VARKEYWORDS= 1 << 1,
    CO_GENERATOR  = 1 << 2,
    CO_COROUTINE  = 1 << 3,
    CO_ASYNC_GEN  = 1 << 4,
    CO_NESTED     = 1 << 5,
    CO_MODULE     = 1 << 6,   /* module or class body: names go through a dict */
    CO_LIB        = 1 << 7,   /* code from lib/: hidden from traces unless --trace-lib */
    CO_ITERABLE_COROUTINE = 1 << 8, /* types.coroutine */
    CO_HAS_DOCSTRING = 1 << 9, /* consts[0] is the docstring */
    CO_CLASS_BODY = 1 << 10,   /* a class body: returns the __class__ cell */
};

typedef struct {              /* exception table entry: [start, end) → handler */
    uint32_t start, end, target;
    uint16_t depth;           /* value stack depth to unwind to */
    uint16_t lasti;           /* push the offset of the raising instruction too */
} ExcEntry;

typedef struct {              /* line table entry: from instruction `start` on, this position */
    uint32_t start;
    int32_t line, col, end_line, end_col;
} LineEntry;

typedef struct CodeObj {
    Obj h;
    uint32_t *code;           /* instructions: opcode in the low 8 bits, argument above */
    uint32_t ncode;
    uint32_t flags;
    uint16_t argcount, posonlyargcount, kwonlyargcount;
    uint16_t nlocals;         /* fast locals (arguments first) */
    uint16_t ncells, nfrees;  /* cells follow the locals, free vars follow the cells */
    uint16_t stacksize;
    int32_t  firstline;
    int32_t  plain_argc;      /* argcount if a call with that many positional arguments needs
                               * no argument processing (no kw-only, *args, **kw, cells, frees), else -1 */
    Value consts;             /* tuple */
    Value names;              /* tuple of str: globals, attributes */
    Value varnames;           /* tuple of str: locals */
    Value cellvars, freevars; /* tuples of str */
    int32_t *cell2arg;        /* per cell: index of the argument it copies, or -1; NULL if none */
    Value name, qualname, filename;
    ExcEntry *exctable; uint32_t nexc;
    LineEntry *lines;   uint32_t nlines;
    void *caches;             /* inline caches for LOAD_ATTR/LOAD_GLOBAL (vm.c) */
} CodeObj;

typedef struct {
    Obj h;
    CodeObj *code;
    Value globals;            /* dict */
    Value builtins;           /* dict */
    Value name, qualname;
    Value defaults;           /* tuple or VNULL */
    Value kwdefaults;         /* dict or VNULL */
    Value closure;            /* tuple of cells or VNULL */
    Value dict;               /* __dict__ or VNULL */
    Value module;             /* __module__ */
    Value doc;
    Value annotations;
} FuncObj;

typedef struct { Obj h; Value ref; } CellObj;     /* ref VNULL = empty */
typedef struct { Obj h; Value func, self; } MethodObj;
typedef struct {
    Obj h;
    const char *name;
    CFunc fn;
    Value self;               /* bound object or module, may be VNULL */
    Value qualname_owner;     /* type name for methods ("list.append"), or VNULL */
    int flags;
} CFuncObj;
typedef struct { Obj h; Value fget, fset, fdel, doc, name; } PropertyObj;
typedef struct { Obj h; Value callable, dict; } StaticMethodObj;  /* also classmethod */
typedef struct { Obj h; Type *type; Value obj; Type *obj_type; } SuperObj;
typedef struct { Obj h; Value dict; Value name; } ModuleObj;

#define AS_FUNC(v)  ((FuncObj *)AS_OBJ(v))
#define AS_CODE(v)  ((CodeObj *)AS_OBJ(v))
#define AS_CELL(v)  ((CellObj *)AS_OBJ(v))
CodeObj *code_new(void);                          /* zeroed: the compiler fills it */
Value func_new(CodeObj *code, Value globals, Value qualname);
Value method_new(Value func, Value self);
Value cell_new(Value v);                          /* v may be VNULL */
Value cfunc_new(const char *name, CFunc fn, Value self);
Value module_new(Value name);
int   code_line_of(const CodeObj *co, uint32_t offset);     /* -1 if unknown */
const LineEntry *code_pos_of(const CodeObj *co, uint32_t offset);

/* Method tables for built-in types and modules. In a type's dict a MethodDef
 * becomes a method descriptor (MethodDescrType, a CFuncObj with self VNULL);
 * reading it from an instance gives a bound CFuncObj whose CFunc receives
 * the instance as `self`. METH_CLASS binds the type; METH_STATIC binds nothing. */
enum { METH_DEFAULT = 0, METH_STATIC = 1, METH_CLASS = 2 };
typedef struct { const char *name; CFunc fn; int flags; } MethodDef;
typedef struct { const char *name; Value (*get)(Value self); int (*set)(Value self, Value v); } GetSetDef;

/* ===== types and attributes ========================================= type.c ===== */
typedef struct { Obj h; Value dict; } InstanceObj; /* plain `object` subclasses: __dict__ at dict_offset */

int   type_ready(Type *t);                        /* fill inherited slots, mro, dict wrappers */
void  type_add_methods(Type *t, const MethodDef *defs);
void  type_add_getsets(Type *t, const GetSetDef *defs);
Value type_lookup(Type *t, Value name);           /* borrowed; MRO search, no error */
bool  type_is_subtype(Type *a, Type *b);
Value type_new_class(Type *meta, Value name, Value bases, Value ns, Value kwnames_tuple, Value *kwvalues); /* type(name, bases, ns) */
Value type_build_class(Value *args, size_t nargs, Value kwnames); /* __build_class__(func, name, *bases, **kw) */
void  type_modified(Type *t);                     /* invalidate attribute caches of t and its subclasses */
Value type_call(Value self, Value *args, size_t nargs, Value kwnames);
const char *type_name(Type *t);
Value obj_generic_getattr(Value self, Value name);
int   obj_generic_setattr(Value self, Value name, Value v);
Value obj_dict_of(Value self);                    /* borrowed: the instance dict, created on demand; VNULL if none */
Value super_new(Type *type, Value obj);

/* ===== the abstract protocols ======================================= object.c === */
Value obj_repr(Value v);
Value obj_str(Value v);
Value obj_ascii(Value v);
int64_t obj_hash(Value v);                        /* -1 + TypeError: unhashable type: 'list' */
Value obj_richcmp(Value a, Value b, RichCmpOp op);
int   obj_richcmp_bool(Value a, Value b, RichCmpOp op); /* 0/1, -1 */
int   obj_eq(Value a, Value b);                   /* identity shortcut, then ==; 0/1, -1 */
int   obj_truth(Value v);                         /* 0/1, -1 */
intptr_t obj_len(Value v);                        /* -1 + TypeError: object of type 'X' has no len() */
Value obj_getattr(Value v, Value name);
Value obj_getattr_cstr(Value v, const char *name);
Value obj_getattr_opt(Value v, Value name);       /* VNULL with *no* error when missing (AttributeError cleared) */
int   obj_setattr(Value v, Value name, Value x);
int   obj_delattr(Value v, Value name);
bool  obj_hasattr(Value v, Value name);
Value obj_getitem(Value v, Value key);
int   obj_setitem(Value v, Value key, Value x);
int   obj_delitem(Value v, Value key);
int   obj_contains(Value container, Value item);  /* `item in container` */
Value obj_binop(Value a, Value b, int op);        /* op: BinOpKind [+ BINOP_INPLACE]; TypeError with CPython's message */
Value obj_unop(Value a, UnaryOp op);
Value obj_iter(Value v);                          /* iter(v): TypeError "'X' object is not iterable" */
Value obj_next(Value it);                         /* VNULL + no error = exhausted */
Value obj_call(Value f, Value *args, size_t nargs, Value kwnames);
Value obj_call0(Value f);
Value obj_call1(Value f, Value a);
Value obj_call2(Value f, Value a, Value b);
Value obj_call_method(Value self, Value name, Value *args, size_t nargs); /* self.name(*args) */
Value obj_call_method_cstr(Value self, const char *name, size_t nargs, ...);
bool  obj_callable(Value v);
bool  obj_isinstance_type(Value v, Type *t);      /* fast: type_is_subtype(TYPE_OF(v), t) */
int   obj_isinstance(Value v, Value cls);         /* isinstance(v, cls): cls may be a tuple */
int   obj_issubclass(Value sub, Value cls);
Value obj_format(Value v, Value spec);
Value obj_id(Value v);
const char *obj_type_name(Value v);               /* "int", "MyClass" */
Value obj_new_instance(Type *t);                  /* allocate a bare instance of t (zeroed, __dict__ empty) */
Value seq_to_array(Value iterable, Value **items, size_t *n); /* a list or tuple you own; items and n point into it */

/* repr() recursion guard for containers: [[...]] */
int   repr_enter(Value v);                        /* 1 if v is already being repr'd (print "..."), -1 error */
void  repr_leave(Value v);

/* Argument helpers for CFuncs. */
int   args_no_kw(const char *fname, Value kwnames);
int   args_count(const char *fname, size_t nargs, size_t min, size_t max);
/* Bind positional+keyword arguments to named parameters, Python style.
 * `names` is a NULL-terminated list; parameters from `npos_only` on may be
 * given by keyword; `out[i]` receives a borrowed value or VNULL if absent.
 * Returns -1 with TypeError for unknown/duplicate/missing (`required` first ones). */
int   args_parse(const char *fname, Value *args, size_t nargs, Value kwnames,
                 const char *const *names, size_t required, Value *out);

/* ===== exceptions =================================================== obj_exc.c === */
typedef struct {
    Obj h;
    Value dict;
    Value args;               /* tuple */
    Value traceback;          /* Traceback or VNULL */
    Value context, cause;
    bool suppress_context;
    Value notes;
    Value value;              /* StopIteration.value; SystemExit.code */
    /* SyntaxError */
    Value msg, filename, lineno, offset, text, end_lineno, end_offset;
    /* OSError */
    Value err_no, strerror;
    /* KeyError/AttributeError/NameError extras */
    Value name, obj;
} ExcObj;
#define AS_EXC(v) ((ExcObj *)AS_OBJ(v))

#define APY_EXCEPTION_TYPES(X) \
    X(BaseException, NULL) \
    X(Exception, BaseException) \
    X(GeneratorExit, BaseException) \
    X(KeyboardInterrupt, BaseException) \
    X(SystemExit, BaseException) \
    X(CancelledError, BaseException) \
    X(StopIteration, Exception) \
    X(StopAsyncIteration, Exception) \
    X(ArithmeticError, Exception) \
    X(ZeroDivisionError, ArithmeticError) \
    X(OverflowError, ArithmeticError) \
    X(FloatingPointError, ArithmeticError) \
    X(AssertionError, Exception) \
    X(AttributeError, Exception) \
    X(BufferError, Exception) \
    X(EOFError, Exception) \
    X(ImportError, Exception) \
    X(ModuleNotFoundError, ImportError) \
    X(LookupError, Exception) \
    X(IndexError, LookupError) \
    X(KeyError, LookupError) \
    X(MemoryError, Exception) \
    X(NameError, Exception) \
    X(UnboundLocalError, NameError) \
    X(OSError, Exception) \
    X(FileNotFoundError, OSError) \
    X(FileExistsError, OSError) \
    X(PermissionError, OSError) \
    X(IsADirectoryError, OSError) \
    X(NotADirectoryError, OSError) \
    X(ConnectionError, OSError) \
    X(BrokenPipeError, ConnectionError) \
    X(ConnectionResetError, ConnectionError) \
    X(ConnectionRefusedError, ConnectionError) \
    X(TimeoutError, OSError) \
    X(InterruptedError, OSError) \
    X(ReferenceError, Exception) \
    X(RuntimeError, Exception) \
    X(NotImplementedError, RuntimeError) \
    X(RecursionError, RuntimeError) \
    X(SyntaxError, Exception) \
    X(IndentationError, SyntaxError) \
    X(TabError, IndentationError) \
    X(SystemError, Exception) \
    X(TypeError, Exception) \
    X(ValueError, Exception) \
    X(UnicodeError, ValueError) \
    X(UnicodeDecodeError, UnicodeError) \
    X(UnicodeEncodeError, UnicodeError) \
    X(InvalidStateError, Exception) \
    X(QueueEmpty, Exception) \
    X(QueueFull, Exception) \
    X(Warning, Exception) \
    X(UserWarning, Warning) \
    X(DeprecationWarning, Warning) \
    X(RuntimeWarning, Warning) \
    X(BaseExceptionGroup, BaseException) \
    X(ExceptionGroup, BaseExceptionGroup)

/* Each as Exc_<Name>; BaseExceptionType is another name for Exc_BaseException. */
#define X(name, base) extern Type Exc_##name;
APY_EXCEPTION_TYPES(X)
#undef X

Value exc_new(Type *t, Value *args, size_t nargs);       /* t(*args) without running user __init__ */
Value exc_new_msg(Type *t, const char *msg);
Value exc_str(Value e);
Value exc_traceback(Value e);                            /* borrowed */
void  exc_add_traceback(Value e, Value frame, int lasti);/* prepend a traceback entry */
bool  exc_type_check(Value v);                           /* an exception type */

/* Tracebacks: a linked list, innermost last, as in CPython. */
typedef struct TracebackObj {
    Obj h;
    struct TracebackObj *next;
    Value frame;
    int lasti, lineno;
} TracebackObj;

/* Each obj_*.c registers its types here (called once by objects_init in object.c). */
void objects_init(void);
void type_init_types(void);      /* type.c: type, object, None, NotImplemented, Ellipsis, super, property, staticmethod, classmethod, descriptors */
void int_init_types(void);       /* obj_int.c: int, bool */
void float_init_types(void);     /* obj_float.c: float, complex */
void str_init_types(void);       /* obj_str.c: str and its iterator */
void bytes_init_types(void);     /* obj_bytes.c */
void tuple_init_types(void);     /* obj_tuple.c */
void list_init_types(void);      /* obj_list.c */
void dict_init_types(void);      /* obj_dict.c: dict, views, iterators */
void set_init_types(void);       /* obj_set.c: set, frozenset */
void range_init_types(void);     /* obj_range.c: range, slice */
void iter_init_types(void);      /* obj_iter.c: enumerate, zip, map, filter, reversed, seq/callable iterators */
void func_init_types(void);      /* obj_func.c: function, code, cell, method, builtin function, module */
void exc_init_types(void);       /* obj_exc.c */
void gen_init_types(void);       /* gen.c */
void frame_init_types(void);     /* frame.c */
void file_init_types(void);      /* obj_file.c */

/* ===== misc ========================================================= builtins.c = */
Value builtins_module(void);                      /* borrowed */
int   builtins_init(void);
Value print_values(Value *vals, size_t n, Value sep, Value end, Value file, bool flush);

#endif
