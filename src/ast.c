/* ast.c — the arena that holds a parse, node allocation, and `apy --ast`.
 *
 * Owns: arena_*, node_list_push, ast_new, ast_kind_names, ast_dump.
 * Must not touch: the lexer, the grammar, objects, the VM. The dump is the
 * only code here that walks a tree, and it does so with an explicit stack so
 * that a left-deep chain of 200,000 BinOps cannot overflow the C stack.
 */
#include "ast.h"
#include "lexer.h"   /* lexer_nonprintable_len: Unicode classes for repr-like escapes */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------ */

/* Blocks grow with the parse so that a big file needs few mallocs, but a
 * one-liner in the REPL stays small. */
#define ARENA_MIN_BLOCK (16 * 1024)
#define ARENA_MAX_BLOCK (1024 * 1024)

struct ArenaBlock {
    ArenaBlock *next;
    size_t size, used;
    max_align_t data[];   /* payload; aligned for anything */
};

void arena_init(Arena *a) {
    a->head = NULL;
    a->used_total = 0;
}

static ArenaBlock *arena_new_block(Arena *a, size_t need) {
    size_t size = a->head ? a->head->size * 2 : ARENA_MIN_BLOCK;
    if (size > ARENA_MAX_BLOCK) size = ARENA_MAX_BLOCK;
    if (size < need) size = need;
    ArenaBlock *b = malloc(sizeof(ArenaBlock) + size);
    if (!b) {
        fputs("apy: out of memory\n", stderr);
        abort();
    }
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    return b;
}

void *arena_alloc(Arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;   /* keep every object 16-aligned */
    ArenaBlock *b = a->head;
    if (!b || b->size - b->used < size) {
        b = arena_new_block(a, size);
    }
    char *p = (char *)b->data + b->used;
    b->used += size;
    a->used_total += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_free(Arena *a) {
    ArenaBlock *b = a->head;
    while (b) {
        ArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

/* ---- lists and nodes ----------------------------------------------------------- */

void node_list_push(Arena *a, NodeList *l, Node *n) {
    if (l->len == l->cap) {
        /* The old array stays in the arena: at most doubles the list's memory. */
        int cap = l->cap ? l->cap * 2 : 4;
        Node **items = arena_alloc(a, (size_t)cap * sizeof(Node *));
        if (l->len) memcpy(items, l->items, (size_t)l->len * sizeof(Node *));
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = n;
}

Node *ast_new(Arena *a, NodeKind kind, int line, int col, int end_line, int end_col) {
    Node *n = arena_alloc(a, sizeof(Node));
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->end_line = end_line;
    n->end_col = end_col;
    return n;
}

const char *const ast_kind_names[N__COUNT] = {
#define X(name) #name,
    APY_NODE_KINDS(X)
#undef X
};

/* ---- the dump --------------------------------------------------------------------
 * Each node kind is described by a table of fields (name, type, offset), so one
 * iterative printer serves every kind. The layout mimics ast.dump(indent=2):
 * a node whose fields are all scalars prints on one line; any other node opens
 * a line per field. Every node's span <line:col-end_line:end_col> follows the
 * one-line form, or the opening parenthesis of the many-line form. */

typedef enum {
    F_NODE,      /* Node *, may be NULL */
    F_LIST,      /* NodeList */
    F_STR,       /* const char *, may be NULL (printed None) */
    F_NAMES,     /* Global/Nonlocal: const char **names + count */
    F_INT,       /* int: is_async, level, simple */
    F_BINOP, F_UNOP, F_BOOLOP, F_CMPOPS, F_CTX,
    F_CONST,     /* the Constant payload */
    F_CONV       /* FormattedValue.conversion */
} FieldType;

typedef struct {
    const char *name;
    FieldType type;
    size_t offset;
} Field;

#define FLD(name, type, member) { name, type, offsetof(Node, v.member) }
#define MAX_FIELDS 8

typedef struct { int count; Field f[MAX_FIELDS]; } FieldTable;

static const FieldTable *fields_of(NodeKind kind) {
    static const FieldTable body = {1, {FLD("body", F_LIST, module.body)}};
    static const FieldTable expression = {1, {FLD("body", F_NODE, expression.body)}};
    static const FieldTable funcdef = {6, {
        FLD("name", F_STR, funcdef.name), FLD("args", F_NODE, funcdef.args),
        FLD("body", F_LIST, funcdef.body), FLD("decorator_list", F_LIST, funcdef.decorators),
        FLD("returns", F_NODE, funcdef.returns), FLD("is_async", F_INT, funcdef.is_async)}};
    static const FieldTable classdef = {5, {
        FLD("name", F_STR, classdef.name), FLD("bases", F_LIST, classdef.bases),
        FLD("keywords", F_LIST, classdef.keywords), FLD("body", F_LIST, classdef.body),
        FLD("decorator_list", F_LIST, classdef.decorators)}};
    static const FieldTable ret = {1, {FLD("value", F_NODE, ret.value)}};
    static const FieldTable del = {1, {FLD("targets", F_LIST, del.targets)}};
    static const FieldTable assign = {2, {
        FLD("targets", F_LIST, assign.targets), FLD("value", F_NODE, assign.value)}};
    static const FieldTable augassign = {3, {
        FLD("target", F_NODE, augassign.target), FLD("op", F_BINOP, augassign.op),
        FLD("value", F_NODE, augassign.value)}};
    static const FieldTable annassign = {4, {
        FLD("target", F_NODE, annassign.target), FLD("annotation", F_NODE, annassign.annotation),
        FLD("value", F_NODE, annassign.value), FLD("simple", F_INT, annassign.simple)}};
    static const FieldTable forstmt = {5, {
        FLD("target", F_NODE, forstmt.target), FLD("iter", F_NODE, forstmt.iter),
        FLD("body", F_LIST, forstmt.body), FLD("orelse", F_LIST, forstmt.orelse),
        FLD("is_async", F_INT, forstmt.is_async)}};
    static const FieldTable whilestmt = {3, {
        FLD("test", F_NODE, whilestmt.test), FLD("body", F_LIST, whilestmt.body),
        FLD("orelse", F_LIST, whilestmt.orelse)}};
    static const FieldTable ifstmt = {3, {
        FLD("test", F_NODE, ifstmt.test), FLD("body", F_LIST, ifstmt.body),
        FLD("orelse", F_LIST, ifstmt.orelse)}};
    static const FieldTable with = {3, {
        FLD("items", F_LIST, with.items), FLD("body", F_LIST, with.body),
        FLD("is_async", F_INT, with.is_async)}};
    static const FieldTable raise = {2, {
        FLD("exc", F_NODE, raise.exc), FLD("cause", F_NODE, raise.cause)}};
    static const FieldTable trystmt = {4, {
        FLD("body", F_LIST, trystmt.body), FLD("handlers", F_LIST, trystmt.handlers),
        FLD("orelse", F_LIST, trystmt.orelse), FLD("finalbody", F_LIST, trystmt.finalbody)}};
    static const FieldTable assertstmt = {2, {
        FLD("test", F_NODE, assertstmt.test), FLD("msg", F_NODE, assertstmt.msg)}};
    static const FieldTable import = {1, {FLD("names", F_LIST, import.names)}};
    static const FieldTable importfrom = {3, {
        FLD("module", F_STR, importfrom.module), FLD("names", F_LIST, importfrom.names),
        FLD("level", F_INT, importfrom.level)}};
    static const FieldTable global = {1, {FLD("names", F_NAMES, global)}};
    static const FieldTable expr = {1, {FLD("value", F_NODE, expr.value)}};
    static const FieldTable none = {0, {{0}}};
    static const FieldTable boolop = {2, {
        FLD("op", F_BOOLOP, boolop.op), FLD("values", F_LIST, boolop.values)}};
    static const FieldTable namedexpr = {2, {
        FLD("target", F_NODE, namedexpr.target), FLD("value", F_NODE, namedexpr.value)}};
    static const FieldTable binop = {3, {
        FLD("left", F_NODE, binop.left), FLD("op", F_BINOP, binop.op),
        FLD("right", F_NODE, binop.right)}};
    static const FieldTable unaryop = {2, {
        FLD("op", F_UNOP, unaryop.op), FLD("operand", F_NODE, unaryop.operand)}};
    static const FieldTable lambda = {2, {
        FLD("args", F_NODE, lambda.args), FLD("body", F_NODE, lambda.body)}};
    static const FieldTable ifexp = {3, {
        FLD("test", F_NODE, ifexp.test), FLD("body", F_NODE, ifexp.body),
        FLD("orelse", F_NODE, ifexp.orelse)}};
    static const FieldTable dict = {2, {
        FLD("keys", F_LIST, dict.keys), FLD("values", F_LIST, dict.values)}};
    static const FieldTable set = {1, {FLD("elts", F_LIST, set.elts)}};
    static const FieldTable comp = {2, {
        FLD("elt", F_NODE, comp.elt), FLD("generators", F_LIST, comp.generators)}};
    static const FieldTable dictcomp = {3, {
        FLD("key", F_NODE, comp.elt), FLD("value", F_NODE, comp.value),
        FLD("generators", F_LIST, comp.generators)}};
    static const FieldTable await = {1, {FLD("value", F_NODE, await.value)}};
    static const FieldTable compare = {3, {
        FLD("left", F_NODE, compare.left), FLD("ops", F_CMPOPS, compare),
        FLD("comparators", F_LIST, compare.comparators)}};
    static const FieldTable call = {3, {
        FLD("func", F_NODE, call.func), FLD("args", F_LIST, call.args),
        FLD("keywords", F_LIST, call.keywords)}};
    static const FieldTable formatted = {3, {
        FLD("value", F_NODE, formatted.value), FLD("conversion", F_CONV, formatted.conversion),
        FLD("format_spec", F_NODE, formatted.format_spec)}};
    static const FieldTable joinedstr = {1, {FLD("values", F_LIST, joinedstr.values)}};
    static const FieldTable constant = {1, {FLD("value", F_CONST, constant)}};
    static const FieldTable attribute = {3, {
        FLD("value", F_NODE, attribute.value), FLD("attr", F_STR, attribute.attr),
        FLD("ctx", F_CTX, attribute.ctx)}};
    static const FieldTable subscript = {3, {
        FLD("value", F_NODE, subscript.value), FLD("slice", F_NODE, subscript.slice),
        FLD("ctx", F_CTX, subscript.ctx)}};
    static const FieldTable starred = {2, {
        FLD("value", F_NODE, starred.value), FLD("ctx", F_CTX, starred.ctx)}};
    static const FieldTable name = {2, {
        FLD("id", F_STR, name.id), FLD("ctx", F_CTX, name.ctx)}};
    static const FieldTable seq = {2, {
        FLD("elts", F_LIST, seq.elts), FLD("ctx", F_CTX, seq.ctx)}};
    static const FieldTable slice = {3, {
        FLD("lower", F_NODE, slice.lower), FLD("upper", F_NODE, slice.upper),
        FLD("step", F_NODE, slice.step)}};
    static const FieldTable comprehension = {4, {
        FLD("target", F_NODE, comprehension.target), FLD("iter", F_NODE, comprehension.iter),
        FLD("ifs", F_LIST, comprehension.ifs), FLD("is_async", F_INT, comprehension.is_async)}};
    static const FieldTable handler = {3, {
        FLD("type", F_NODE, handler.type), FLD("name", F_STR, handler.name),
        FLD("body", F_LIST, handler.body)}};
    static const FieldTable arguments = {7, {
        FLD("posonlyargs", F_LIST, arguments.posonlyargs), FLD("args", F_LIST, arguments.args),
        FLD("vararg", F_NODE, arguments.vararg), FLD("kwonlyargs", F_LIST, arguments.kwonlyargs),
        FLD("kw_defaults", F_LIST, arguments.kw_defaults), FLD("kwarg", F_NODE, arguments.kwarg),
        FLD("defaults", F_LIST, arguments.defaults)}};
    static const FieldTable arg = {2, {
        FLD("arg", F_STR, arg.arg), FLD("annotation", F_NODE, arg.annotation)}};
    static const FieldTable keyword = {2, {
        FLD("arg", F_STR, keyword.arg), FLD("value", F_NODE, keyword.value)}};
    static const FieldTable alias = {2, {
        FLD("name", F_STR, alias.name), FLD("asname", F_STR, alias.asname)}};
    static const FieldTable withitem = {2, {
        FLD("context_expr", F_NODE, withitem.context_expr),
        FLD("optional_vars", F_NODE, withitem.optional_vars)}};

    switch (kind) {
    case N_Module: case N_Interactive: return &body;
    case N_Expression: return &expression;
    case N_FunctionDef: return &funcdef;
    case N_ClassDef: return &classdef;
    case N_Return: return &ret;
    case N_Delete: return &del;
    case N_Assign: return &assign;
    case N_AugAssign: return &augassign;
    case N_AnnAssign: return &annassign;
    case N_For: return &forstmt;
    case N_While: return &whilestmt;
    case N_If: return &ifstmt;
    case N_With: return &with;
    case N_Raise: return &raise;
    case N_Try: return &trystmt;
    case N_Assert: return &assertstmt;
    case N_Import: return &import;
    case N_ImportFrom: return &importfrom;
    case N_Global: case N_Nonlocal: return &global;
    case N_Expr: return &expr;
    case N_Pass: case N_Break: case N_Continue: return &none;
    case N_BoolOp: return &boolop;
    case N_NamedExpr: return &namedexpr;
    case N_BinOp: return &binop;
    case N_UnaryOp: return &unaryop;
    case N_Lambda: return &lambda;
    case N_IfExp: return &ifexp;
    case N_Dict: return &dict;
    case N_Set: return &set;
    case N_ListComp: case N_SetComp: case N_GeneratorExp: return &comp;
    case N_DictComp: return &dictcomp;
    case N_Await: case N_Yield: case N_YieldFrom: return &await;
    case N_Compare: return &compare;
    case N_Call: return &call;
    case N_FormattedValue: return &formatted;
    case N_JoinedStr: return &joinedstr;
    case N_Constant: return &constant;
    case N_Attribute: return &attribute;
    case N_Subscript: return &subscript;
    case N_Starred: return &starred;
    case N_Name: return &name;
    case N_List: case N_Tuple: return &seq;
    case N_Slice: return &slice;
    case N_comprehension: return &comprehension;
    case N_ExceptHandler: return &handler;
    case N_arguments: return &arguments;
    case N_arg: return &arg;
    case N_keyword: return &keyword;
    case N_alias: return &alias;
    case N_withitem: return &withitem;
    case N__COUNT: break;
    }
    return &none;
}

/* Helper nodes that have no position in Python's ast. */
static int has_position(NodeKind k) {
    return !(k == N_Module || k == N_Interactive || k == N_Expression ||
             k == N_comprehension || k == N_arguments || k == N_withitem);
}

#define FIELD_PTR(n, f) ((const char *)(n) + (f)->offset)

static const char *binop_name(BinOpKind op) {
    static const char *const names[] = {
        "Add", "Sub", "Mult", "MatMult", "Div", "Mod", "Pow", "LShift",
        "RShift", "BitOr", "BitXor", "BitAnd", "FloorDiv"};
    return (unsigned)op < OP__BINARY_COUNT ? names[op] : "?";
}

static const char *cmpop_name(CmpOpKind op) {
    static const char *const names[] = {
        "Eq", "NotEq", "Lt", "LtE", "Gt", "GtE", "Is", "IsNot", "In", "NotIn"};
    return (unsigned)op <= CMP_NOTIN ? names[op] : "?";
}

static void dump_quoted(FILE *out, const char *s, size_t len, int is_bytes) {
    /* repr()-like: prefer single quotes, escape the unprintable. */
    int has_single = memchr(s, '\'', len) != NULL, has_double = memchr(s, '"', len) != NULL;
    char q = has_single && !has_double ? '"' : '\'';
    if (is_bytes) fputc('b', out);
    fputc(q, out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f || (is_bytes && c >= 0x80)) fprintf(out, "\\x%02x", c);
        else if (!is_bytes && c >= 0x80 && lexer_nonprintable_len(s + i) > 0) {
            /* repr() escapes what str.isprintable() rejects. */
            int n = lexer_nonprintable_len(s + i);
            unsigned cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
            for (int k = 1; k < n; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3F);
            if (cp < 0x100) fprintf(out, "\\x%02x", cp);
            else if (cp < 0x10000) fprintf(out, "\\u%04x", cp);
            else fprintf(out, "\\U%08x", cp);
            i += (size_t)n - 1;
        } else fputc(c, out);
    }
    fputc(q, out);
}

/* Python's float repr: the shortest digits that read back the same, in
 * positional notation for exponents -4..15 and scientific otherwise. */
static void dump_float(FILE *out, double f, int imag) {
    char buf[48];
    if (isinf(f)) { fputs(f < 0 ? "-inf" : "inf", out); if (imag) fputc('j', out); return; }
    if (isnan(f)) { fputs(imag ? "nanj" : "nan", out); return; }
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f) break;
    }
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp >= -4 && exp < 16) {
        int decimals = prec - 1 - exp;
        snprintf(buf, sizeof buf, "%.*f", decimals > 0 ? decimals : 0, f);
        /* 1.0 keeps its ".0" (but 1j, not 1.0j). */
        if (!strchr(buf, '.') && !imag) strcat(buf, ".0");
    }
    fprintf(out, "%s%s", buf, imag ? "j" : "");
}

static void dump_constant(FILE *out, const Constant *c) {
    switch (c->kind) {
    case CONST_NONE: fputs("None", out); break;
    case CONST_TRUE: fputs("True", out); break;
    case CONST_FALSE: fputs("False", out); break;
    case CONST_ELLIPSIS: fputs("Ellipsis", out); break;
    case CONST_INT: {
        /* Decimal like Python's repr when it fits; else the digits as written. */
        char *end = NULL;
        errno = 0;
        unsigned long long v = c->len < 64 ? strtoull(c->s, &end, c->base) : 0;
        if (c->len < 64 && errno == 0 && *end == '\0') {
            fprintf(out, "%llu", v);
        } else {
            if (c->base == 16) fputs("0x", out);
            else if (c->base == 8) fputs("0o", out);
            else if (c->base == 2) fputs("0b", out);
            fwrite(c->s, 1, c->len, out);
        }
        break;
    }
    case CONST_FLOAT: dump_float(out, c->f, 0); break;
    case CONST_IMAG: dump_float(out, c->f, 1); break;
    case CONST_STR: dump_quoted(out, c->s, c->len, 0); break;
    case CONST_BYTES: dump_quoted(out, c->s, c->len, 1); break;
    }
}

/* A scalar field prints inline; returns 0 for node/list fields. */
static int dump_scalar(FILE *out, const Node *n, const Field *f) {
    const char *p = FIELD_PTR(n, f);
    switch (f->type) {
    case F_STR: {
        const char *s = *(const char *const *)p;
        if (s) dump_quoted(out, s, strlen(s), 0); else fputs("None", out);
        return 1;
    }
    case F_NAMES: {
        fputc('[', out);
        for (int i = 0; i < n->v.global.count; i++) {
            if (i) fputs(", ", out);
            dump_quoted(out, n->v.global.names[i], strlen(n->v.global.names[i]), 0);
        }
        fputc(']', out);
        return 1;
    }
    case F_INT: fprintf(out, "%d", *(const int *)p); return 1;
    case F_BINOP: fprintf(out, "%s()", binop_name(*(const BinOpKind *)p)); return 1;
    case F_UNOP: {
        static const char *const names[] = {"Invert", "Not", "UAdd", "USub"};
        fprintf(out, "%s()", names[*(const UnaryOpKind *)p & 3]);
        return 1;
    }
    case F_BOOLOP: fputs(*(const BoolOpKind *)p == BOOL_AND ? "And()" : "Or()", out); return 1;
    case F_CMPOPS:
        fputc('[', out);
        for (int i = 0; i < n->v.compare.comparators.len; i++) {
            if (i) fputs(", ", out);
            fprintf(out, "%s()", cmpop_name(n->v.compare.ops[i]));
        }
        fputc(']', out);
        return 1;
    case F_CTX: {
        ExprContext c = *(const ExprContext *)p;
        fputs(c == CTX_STORE ? "Store()" : c == CTX_DEL ? "Del()" : "Load()", out);
        return 1;
    }
    case F_CONST: dump_constant(out, &n->v.constant); return 1;
    case F_CONV: fprintf(out, "%d", *(const int *)p); return 1;
    case F_NODE: case F_LIST: return 0;
    }
    return 0;
}

/* Fields the dump leaves out because they carry no information, as
 * ast.dump leaves out None and empty defaults. */
static int field_is_empty(const Node *n, const Field *f) {
    const char *p = FIELD_PTR(n, f);
    if (f->type == F_NODE) return *(Node *const *)p == NULL;
    if (f->type == F_STR) return *(const char *const *)p == NULL;
    return 0;
}

/* A node prints on one line when none of its fields holds a node. */
static int node_is_simple(const Node *n) {
    const FieldTable *t = fields_of(n->kind);
    for (int i = 0; i < t->count; i++) {
        const Field *f = &t->f[i];
        const char *p = FIELD_PTR(n, f);
        if (f->type == F_NODE && *(Node *const *)p) return 0;
        if (f->type == F_LIST && ((const NodeList *)p)->len) return 0;
    }
    return 1;
}

static void dump_position(FILE *out, const Node *n) {
    if (has_position(n->kind))
        fprintf(out, " <%d:%d-%d:%d>", n->line, n->col, n->end_line, n->end_col);
}

static void indent(FILE *out, int depth) {
    fputc('\n', out);
    /* Past a few dozen levels extra indentation only hides the text. */
    int width = depth < 40 ? depth : 40;
    for (int i = 0; i < width; i++) fputs("  ", out);
    if (depth > 40) fprintf(out, "[%d] ", depth);
}

/* Print a node that fits on one line: Kind(field=value, ...) <pos>. */
static void dump_simple(FILE *out, const Node *n) {
    const FieldTable *t = fields_of(n->kind);
    fprintf(out, "%s(", ast_kind_names[n->kind]);
    int first = 1;
    for (int i = 0; i < t->count; i++) {
        const Field *f = &t->f[i];
        if (field_is_empty(n, f)) continue;
        if (f->type == F_LIST) {                /* an empty list */
            fprintf(out, "%s%s=[]", first ? "" : ", ", f->name);
            first = 0;
            continue;
        }
        fprintf(out, "%s%s=", first ? "" : ", ", f->name);
        dump_scalar(out, n, f);
        first = 0;
    }
    fputc(')', out);
    dump_position(out, n);
}

/* The explicit stack: one frame per node being printed (field = next field to
 * print) and per list being printed (index = next item). */
typedef struct {
    const Node *node;
    const NodeList *list;   /* non-NULL: this frame prints a list */
    int field, index, depth;
} DumpFrame;

void ast_dump(FILE *out, const Node *root) {
    if (!root) { fputs("None\n", out); return; }
    int cap = 64, top = 0;
    DumpFrame *stack = malloc((size_t)cap * sizeof *stack);
    if (!stack) return;

/* Begin printing node n at depth d (the caller already printed "field="). */
#define OPEN_NODE(n, d) do { \
        if (node_is_simple(n)) { dump_simple(out, n); } \
        else { \
            if (top == cap) { cap *= 2; stack = realloc(stack, (size_t)cap * sizeof *stack); \
                              if (!stack) return; } \
            fprintf(out, "%s(", ast_kind_names[(n)->kind]); \
            dump_position(out, n); \
            stack[top++] = (DumpFrame){ (n), NULL, 0, 0, (d) }; \
        } \
    } while (0)

    OPEN_NODE(root, 0);
    while (top > 0) {
        DumpFrame *fr = &stack[top - 1];
        if (fr->list) {
            if (fr->index == fr->list->len) {
                fputc(']', out);
                top--;
                continue;
            }
            if (fr->index) fputc(',', out);
            const Node *item = fr->list->items[fr->index++];
            int depth = fr->depth + 1;
            indent(out, depth);
            if (item) OPEN_NODE(item, depth); else fputs("None", out);
            continue;
        }
        const Node *n = fr->node;
        const FieldTable *t = fields_of(n->kind);
        while (fr->field < t->count && field_is_empty(n, &t->f[fr->field])) fr->field++;
        if (fr->field == t->count) {
            fputc(')', out);
            top--;
            continue;
        }
        const Field *f = &t->f[fr->field];
        if (fr->index) fputc(',', out);  /* index: a field was printed already */
        fr->index = 1;
        fr->field++;
        int depth = fr->depth + 1;
        indent(out, depth);
        fprintf(out, "%s=", f->name);
        if (f->type == F_NODE) {
            const Node *child = *(Node *const *)FIELD_PTR(n, f);
            OPEN_NODE(child, depth);
        } else if (f->type == F_LIST) {
            const NodeList *l = (const NodeList *)FIELD_PTR(n, f);
            if (l->len == 0) { fputs("[]", out); continue; }
            fputc('[', out);
            if (top == cap) { cap *= 2; stack = realloc(stack, (size_t)cap * sizeof *stack);
                              if (!stack) return; }
            stack[top++] = (DumpFrame){ n, l, 0, 0, depth };
        } else {
            dump_scalar(out, n, f);
        }
    }
#undef OPEN_NODE
    fputc('\n', out);
    free(stack);
}
