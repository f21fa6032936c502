/* ast.h — the abstract syntax tree: node kinds, source positions, lists.
 *
 * Owns: the shape of the tree the parser builds and the compiler walks, the
 * arena that holds it, and the indented dump behind `apy --ast`.
 * Must not touch: tokens, objects, the VM. The tree is plain C data: literals
 * are kept as source-level values (text of an int, a double, UTF-8 bytes), and
 * the compiler turns them into objects.
 *
 * Positions follow CPython: lines are 1-based, columns are 0-based UTF-8 byte
 * offsets into the line; end_col is one past the last byte.
 */
#ifndef APY_AST_H
#define APY_AST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena: every node, list and string of one parse lives here ---------- */
typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head;
    size_t used_total;
} Arena;

void  arena_init(Arena *a);
void *arena_alloc(Arena *a, size_t size);        /* zeroed; aborts only if malloc fails */
char *arena_strndup(Arena *a, const char *s, size_t n); /* NUL-terminated copy */
void  arena_free(Arena *a);

/* ---- lists ----------------------------------------------------------------- */
typedef struct Node Node;
typedef struct NodeList {
    Node **items;
    int len, cap;
} NodeList;

void node_list_push(Arena *a, NodeList *l, Node *n);

/* ---- operators --------------------------------------------------------------- */
typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_MATMUL, OP_DIV, OP_MOD, OP_POW, OP_LSHIFT,
    OP_RSHIFT, OP_BITOR, OP_BITXOR, OP_BITAND, OP_FLOORDIV,
    OP__BINARY_COUNT
} BinOpKind;

typedef enum { UOP_INVERT, UOP_NOT, UOP_UADD, UOP_USUB } UnaryOpKind;
typedef enum { BOOL_AND, BOOL_OR } BoolOpKind;
typedef enum {
    CMP_EQ, CMP_NOTEQ, CMP_LT, CMP_LTE, CMP_GT, CMP_GTE,
    CMP_IS, CMP_ISNOT, CMP_IN, CMP_NOTIN
} CmpOpKind;

/* Expression context, as in Python's ast: how a target is used. */
typedef enum { CTX_LOAD, CTX_STORE, CTX_DEL } ExprContext;

/* ---- constants ---------------------------------------------------------------- */
typedef enum {
    CONST_NONE, CONST_TRUE, CONST_FALSE, CONST_ELLIPSIS,
    CONST_INT,     /* text: decimal digits only (underscores and prefix removed), base */
    CONST_FLOAT,   /* f */
    CONST_IMAG,    /* f: the imaginary part (complex literals; the compiler may reject) */
    CONST_STR,     /* s/len: decoded UTF-8 (escapes processed) */
    CONST_BYTES    /* s/len: raw bytes (escapes processed) */
} ConstKind;

typedef struct Constant {
    ConstKind kind;
    const char *s;   /* CONST_INT: digits in `base`, no sign, no prefix, no '_'; STR/BYTES: data */
    size_t len;      /* length of s in bytes */
    int base;        /* CONST_INT: 2, 8, 10 or 16 */
    double f;        /* CONST_FLOAT / CONST_IMAG */
} Constant;

/* ---- node kinds ------------------------------------------------------------------
 * Named as in Python's `ast` module so that `--ast` reads like ast.dump().     */
#define APY_NODE_KINDS(X) \
    /* modules */ \
    X(Module) X(Interactive) X(Expression) \
    /* statements */ \
    X(FunctionDef) X(ClassDef) X(Return) X(Delete) X(Assign) X(AugAssign) \
    X(AnnAssign) X(For) X(While) X(If) X(With) X(Raise) X(Try) X(Assert) \
    X(Import) X(ImportFrom) X(Global) X(Nonlocal) X(Expr) X(Pass) X(Break) \
    X(Continue) \
    /* expressions */ \
    X(BoolOp) X(NamedExpr) X(BinOp) X(UnaryOp) X(Lambda) X(IfExp) X(Dict) \
    X(Set) X(ListComp) X(SetComp) X(DictComp) X(GeneratorExp) X(Await) \
    X(Yield) X(YieldFrom) X(Compare) X(Call) X(FormattedValue) X(JoinedStr) \
    X(Constant) X(Attribute) X(Subscript) X(Starred) X(Name) X(List) \
    X(Tuple) X(Slice) \
    /* helpers */ \
    X(comprehension) X(ExceptHandler) X(arguments) X(arg) X(keyword) \
    X(alias) X(withitem)

typedef enum {
#define X(name) N_##name,
    APY_NODE_KINDS(X)
#undef X
    N__COUNT
} NodeKind;

extern const char *const ast_kind_names[N__COUNT];

/* One struct per node; the union member is named for the kind (lower case).
 * Optional children are NULL when absent. Identifiers are arena strings.   */
struct Node {
    NodeKind kind;
    int line, col, end_line, end_col;
    unsigned char parenthesized; /* parser-private (fills padding): bit 0 = written inside
                                  * (...); other bits are scratch. Not part of the tree. */
    union {
        struct { NodeList body; } module;                 /* Module, Interactive */
        struct { Node *body; } expression;                /* Expression (eval mode) */

        struct {                                          /* FunctionDef (and async def) */
            const char *name;
            Node *args;            /* arguments */
            NodeList body;
            NodeList decorators;
            Node *returns;         /* annotation or NULL */
            int is_async;
        } funcdef;
        struct {                                          /* ClassDef */
            const char *name;
            NodeList bases;
            NodeList keywords;     /* keyword nodes, e.g. metaclass=... */
            NodeList body;
            NodeList decorators;
        } classdef;
        struct { Node *value; } ret;                      /* Return (value may be NULL) */
        struct { NodeList targets; } del;                 /* Delete */
        struct { NodeList targets; Node *value; } assign; /* Assign: a = b = value */
        struct { Node *target; BinOpKind op; Node *value; } augassign;
        struct { Node *target; Node *annotation; Node *value; int simple; } annassign;
        struct {                                          /* For (and async for) */
            Node *target, *iter;
            NodeList body, orelse;
            int is_async;
        } forstmt;
        struct { Node *test; NodeList body, orelse; } whilestmt;
        struct { Node *test; NodeList body, orelse; } ifstmt;   /* elif = If in orelse */
        struct { NodeList items; NodeList body; int is_async; } with; /* items: withitem */
        struct { Node *exc, *cause; } raise;
        struct {                                          /* Try */
            NodeList body;
            NodeList handlers;     /* ExceptHandler */
            NodeList orelse, finalbody;
        } trystmt;
        struct { Node *test, *msg; } assertstmt;
        struct { NodeList names; } import;                /* Import: alias list */
        struct { const char *module; NodeList names; int level; } importfrom; /* module may be NULL; names: alias ("*" allowed) */
        struct { const char **names; int count; } global; /* Global, Nonlocal */
        struct { Node *value; } expr;                     /* Expr statement */

        struct { BoolOpKind op; NodeList values; } boolop;
        struct { Node *target, *value; } namedexpr;
        struct { Node *left; BinOpKind op; Node *right; } binop;
        struct { UnaryOpKind op; Node *operand; } unaryop;
        struct { Node *args; Node *body; } lambda;
        struct { Node *test, *body, *orelse; } ifexp;
        struct { NodeList keys, values; } dict;           /* keys[i] NULL for **value */
        struct { NodeList elts; } set;
        struct {                                          /* ListComp, SetComp, GeneratorExp, DictComp */
            Node *elt;             /* DictComp: key */
            Node *value;           /* DictComp only */
            NodeList generators;   /* comprehension nodes */
        } comp;
        struct { Node *value; } await;                    /* Await, Yield (value may be NULL), YieldFrom */
        struct { Node *left; CmpOpKind *ops; NodeList comparators; } compare; /* ops has comparators.len entries */
        struct { Node *func; NodeList args; NodeList keywords; } call; /* args may contain Starred; keywords: keyword (arg NULL for **) */
        struct {                                          /* FormattedValue */
            Node *value;
            int conversion;        /* -1 none, 's', 'r', 'a' */
            Node *format_spec;     /* JoinedStr or NULL */
        } formatted;
        struct { NodeList values; } joinedstr;            /* Constant(str) and FormattedValue */
        Constant constant;
        struct { Node *value; const char *attr; ExprContext ctx; } attribute;
        struct { Node *value; Node *slice; ExprContext ctx; } subscript; /* slice: any expr, Slice, or Tuple of them */
        struct { Node *value; ExprContext ctx; } starred;
        struct { const char *id; ExprContext ctx; } name;
        struct { NodeList elts; ExprContext ctx; } seq;   /* List, Tuple */
        struct { Node *lower, *upper, *step; } slice;

        struct { Node *target, *iter; NodeList ifs; int is_async; } comprehension;
        struct { Node *type; const char *name; NodeList body; } handler; /* ExceptHandler */
        struct {                                          /* arguments */
            NodeList posonlyargs, args;   /* arg nodes */
            Node *vararg;                 /* arg or NULL */
            NodeList kwonlyargs;          /* arg nodes */
            NodeList kw_defaults;         /* same length as kwonlyargs; NULL entries = required */
            Node *kwarg;                  /* arg or NULL */
            NodeList defaults;            /* for the last len(defaults) of posonlyargs+args */
        } arguments;
        struct { const char *arg; Node *annotation; } arg;
        struct { const char *arg; Node *value; } keyword; /* arg NULL for **value */
        struct { const char *name; const char *asname; } alias; /* name may be dotted */
        struct { Node *context_expr; Node *optional_vars; } withitem;
    } v;
};

/* Allocate a node of `kind` at the given span; every field zeroed. */
Node *ast_new(Arena *a, NodeKind kind, int line, int col, int end_line, int end_col);

/* `apy --ast`: an indented tree in the manner of ast.dump(tree, indent=2),
 * with each node's position appended as  <line:col-end_line:end_col>.     */
void ast_dump(FILE *out, const Node *n);

#endif
