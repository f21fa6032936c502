/* test_parser.c — unit tests of the parser (grammar/apy.y + src/parser.c) and ast_dump.
 *
 * Owns: tests of tree shapes, precedence, positions, CPython's error
 * messages, PARSE_SINGLE/PARSE_EVAL, hostile input. Must not touch: the
 * lexer's tests (test_lexer.c).
 *
 * Trees are checked through `sx`, a compact Lisp-like rendering written
 * here (so a failure shows the whole shape): names print bare, with "!"
 * for Store and "~" for Del context; constants as in Python.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "parse.h"

/* ---- the compact rendering ---- */

typedef struct { char *s; size_t len, cap; } Out;

static void put(Out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (o->len + (size_t)n + 1 > o->cap) {
        o->cap = (o->len + (size_t)n + 1) * 2;
        o->s = realloc(o->s, o->cap);
    }
    memcpy(o->s + o->len, tmp, (size_t)n + 1);
    o->len += (size_t)n;
}

static void sx(Out *o, const Node *n);

static void sx_list(Out *o, const NodeList *l) {
    for (int i = 0; i < l->len; i++) {
        put(o, " ");
        if (l->items[i]) sx(o, l->items[i]); else put(o, "_");
    }
}

static void sx_block(Out *o, const char *name, const NodeList *l) {
    put(o, " (%s", name);
    sx_list(o, l);
    put(o, ")");
}

static void sx_opt(Out *o, const Node *n) {
    put(o, " ");
    if (n) sx(o, n); else put(o, "_");
}

static const char *ctx_mark(ExprContext c) {
    return c == CTX_STORE ? "!" : c == CTX_DEL ? "~" : "";
}

static void sx_args(Out *o, const Node *a) {
    put(o, "(args");
    for (int i = 0; i < a->v.arguments.posonlyargs.len; i++)
        put(o, " %s", a->v.arguments.posonlyargs.items[i]->v.arg.arg);
    if (a->v.arguments.posonlyargs.len) put(o, " /");
    for (int i = 0; i < a->v.arguments.args.len; i++) {
        const Node *arg = a->v.arguments.args.items[i];
        put(o, " %s", arg->v.arg.arg);
        if (arg->v.arg.annotation) { put(o, ":"); sx(o, arg->v.arg.annotation); }
    }
    if (a->v.arguments.defaults.len) { put(o, " (defaults"); sx_list(o, &a->v.arguments.defaults); put(o, ")"); }
    if (a->v.arguments.vararg) put(o, " *%s", a->v.arguments.vararg->v.arg.arg);
    else if (a->v.arguments.kwonlyargs.len) put(o, " *");
    for (int i = 0; i < a->v.arguments.kwonlyargs.len; i++) {
        put(o, " %s", a->v.arguments.kwonlyargs.items[i]->v.arg.arg);
        const Node *d = a->v.arguments.kw_defaults.items[i];
        if (d) { put(o, "="); sx(o, d); }
    }
    if (a->v.arguments.kwarg) put(o, " **%s", a->v.arguments.kwarg->v.arg.arg);
    put(o, ")");
}

static const char *binop_sym(BinOpKind op) {
    static const char *const s[] = {"+", "-", "*", "@", "/", "%", "**", "<<", ">>", "|", "^", "&", "//"};
    return s[op];
}

static const char *cmp_sym(CmpOpKind op) {
    static const char *const s[] = {"==", "!=", "<", "<=", ">", ">=", "is", "is-not", "in", "not-in"};
    return s[op];
}

static void sx_comp(Out *o, const char *name, const Node *n) {
    put(o, "(%s ", name);
    sx(o, n->v.comp.elt);
    if (n->kind == N_DictComp) { put(o, " "); sx(o, n->v.comp.value); }
    for (int i = 0; i < n->v.comp.generators.len; i++) {
        const Node *g = n->v.comp.generators.items[i];
        put(o, " (%s ", g->v.comprehension.is_async ? "async-for" : "for");
        sx(o, g->v.comprehension.target);
        put(o, " ");
        sx(o, g->v.comprehension.iter);
        for (int k = 0; k < g->v.comprehension.ifs.len; k++) {
            put(o, " (if ");
            sx(o, g->v.comprehension.ifs.items[k]);
            put(o, ")");
        }
        put(o, ")");
    }
    put(o, ")");
}

static void sx(Out *o, const Node *n) {
    switch (n->kind) {
    case N_Module: case N_Interactive:
        put(o, "(%s", n->kind == N_Module ? "module" : "interactive");
        sx_list(o, &n->v.module.body);
        put(o, ")");
        break;
    case N_Expression: put(o, "(expression "); sx(o, n->v.expression.body); put(o, ")"); break;
    case N_FunctionDef:
        put(o, "(%sdef %s ", n->v.funcdef.is_async ? "async-" : "", n->v.funcdef.name);
        sx_args(o, n->v.funcdef.args);
        if (n->v.funcdef.returns) { put(o, " -> "); sx(o, n->v.funcdef.returns); }
        if (n->v.funcdef.decorators.len) sx_block(o, "@", &n->v.funcdef.decorators);
        sx_list(o, &n->v.funcdef.body);
        put(o, ")");
        break;
    case N_ClassDef:
        put(o, "(class %s", n->v.classdef.name);
        if (n->v.classdef.bases.len) sx_block(o, "bases", &n->v.classdef.bases);
        if (n->v.classdef.keywords.len) sx_block(o, "kw", &n->v.classdef.keywords);
        if (n->v.classdef.decorators.len) sx_block(o, "@", &n->v.classdef.decorators);
        sx_list(o, &n->v.classdef.body);
        put(o, ")");
        break;
    case N_Return: put(o, "(return"); if (n->v.ret.value) sx_opt(o, n->v.ret.value); put(o, ")"); break;
    case N_Delete: put(o, "(del"); sx_list(o, &n->v.del.targets); put(o, ")"); break;
    case N_Assign: put(o, "(="); sx_list(o, &n->v.assign.targets); sx_opt(o, n->v.assign.value); put(o, ")"); break;
    case N_AugAssign:
        put(o, "(%s= ", binop_sym(n->v.augassign.op));
        sx(o, n->v.augassign.target);
        sx_opt(o, n->v.augassign.value);
        put(o, ")");
        break;
    case N_AnnAssign:
        put(o, "(ann%s ", n->v.annassign.simple ? "" : "-complex");
        sx(o, n->v.annassign.target);
        sx_opt(o, n->v.annassign.annotation);
        if (n->v.annassign.value) sx_opt(o, n->v.annassign.value);
        put(o, ")");
        break;
    case N_For:
        put(o, "(%sfor ", n->v.forstmt.is_async ? "async-" : "");
        sx(o, n->v.forstmt.target);
        sx_opt(o, n->v.forstmt.iter);
        sx_block(o, "do", &n->v.forstmt.body);
        if (n->v.forstmt.orelse.len) sx_block(o, "else", &n->v.forstmt.orelse);
        put(o, ")");
        break;
    case N_While:
        put(o, "(while ");
        sx(o, n->v.whilestmt.test);
        sx_block(o, "do", &n->v.whilestmt.body);
        if (n->v.whilestmt.orelse.len) sx_block(o, "else", &n->v.whilestmt.orelse);
        put(o, ")");
        break;
    case N_If:
        put(o, "(if ");
        sx(o, n->v.ifstmt.test);
        sx_block(o, "then", &n->v.ifstmt.body);
        if (n->v.ifstmt.orelse.len) sx_block(o, "else", &n->v.ifstmt.orelse);
        put(o, ")");
        break;
    case N_With:
        put(o, "(%swith", n->v.with.is_async ? "async-" : "");
        sx_list(o, &n->v.with.items);
        sx_block(o, "do", &n->v.with.body);
        put(o, ")");
        break;
    case N_withitem:
        put(o, "(item ");
        sx(o, n->v.withitem.context_expr);
        if (n->v.withitem.optional_vars) sx_opt(o, n->v.withitem.optional_vars);
        put(o, ")");
        break;
    case N_Raise:
        put(o, "(raise");
        if (n->v.raise.exc) sx_opt(o, n->v.raise.exc);
        if (n->v.raise.cause) { put(o, " from"); sx_opt(o, n->v.raise.cause); }
        put(o, ")");
        break;
    case N_Try:
        put(o, "(try");
        sx_block(o, "do", &n->v.trystmt.body);
        sx_list(o, &n->v.trystmt.handlers);
        if (n->v.trystmt.orelse.len) sx_block(o, "else", &n->v.trystmt.orelse);
        if (n->v.trystmt.finalbody.len) sx_block(o, "finally", &n->v.trystmt.finalbody);
        put(o, ")");
        break;
    case N_ExceptHandler:
        put(o, "(except");
        if (n->v.handler.type) sx_opt(o, n->v.handler.type);
        if (n->v.handler.name) put(o, " as %s", n->v.handler.name);
        sx_list(o, &n->v.handler.body);
        put(o, ")");
        break;
    case N_Assert:
        put(o, "(assert ");
        sx(o, n->v.assertstmt.test);
        if (n->v.assertstmt.msg) sx_opt(o, n->v.assertstmt.msg);
        put(o, ")");
        break;
    case N_Import: put(o, "(import"); sx_list(o, &n->v.import.names); put(o, ")"); break;
    case N_ImportFrom:
        put(o, "(from %d %s", n->v.importfrom.level,
            n->v.importfrom.module ? n->v.importfrom.module : "_");
        sx_list(o, &n->v.importfrom.names);
        put(o, ")");
        break;
    case N_alias:
        put(o, "%s", n->v.alias.name);
        if (n->v.alias.asname) put(o, "=>%s", n->v.alias.asname);
        break;
    case N_Global: case N_Nonlocal:
        put(o, "(%s", n->kind == N_Global ? "global" : "nonlocal");
        for (int i = 0; i < n->v.global.count; i++) put(o, " %s", n->v.global.names[i]);
        put(o, ")");
        break;
    case N_Expr: put(o, "(expr "); sx(o, n->v.expr.value); put(o, ")"); break;
    case N_Pass: put(o, "(pass)"); break;
    case N_Break: put(o, "(break)"); break;
    case N_Continue: put(o, "(continue)"); break;
    case N_BoolOp:
        put(o, "(%s", n->v.boolop.op == BOOL_AND ? "and" : "or");
        sx_list(o, &n->v.boolop.values);
        put(o, ")");
        break;
    case N_NamedExpr:
        put(o, "(:= ");
        sx(o, n->v.namedexpr.target);
        sx_opt(o, n->v.namedexpr.value);
        put(o, ")");
        break;
    case N_BinOp:
        put(o, "(%s ", binop_sym(n->v.binop.op));
        sx(o, n->v.binop.left);
        sx_opt(o, n->v.binop.right);
        put(o, ")");
        break;
    case N_UnaryOp: {
        static const char *const s[] = {"~", "not", "+u", "-u"};
        put(o, "(%s ", s[n->v.unaryop.op]);
        sx(o, n->v.unaryop.operand);
        put(o, ")");
        break;
    }
    case N_Lambda: put(o, "(lambda "); sx_args(o, n->v.lambda.args); sx_opt(o, n->v.lambda.body); put(o, ")"); break;
    case N_IfExp:
        put(o, "(ifexp ");
        sx(o, n->v.ifexp.test);
        sx_opt(o, n->v.ifexp.body);
        sx_opt(o, n->v.ifexp.orelse);
        put(o, ")");
        break;
    case N_Dict:
        put(o, "(dict");
        for (int i = 0; i < n->v.dict.keys.len; i++) {
            put(o, " ");
            if (n->v.dict.keys.items[i]) { sx(o, n->v.dict.keys.items[i]); put(o, ":"); }
            else put(o, "**");
            sx(o, n->v.dict.values.items[i]);
        }
        put(o, ")");
        break;
    case N_Set: put(o, "(set"); sx_list(o, &n->v.set.elts); put(o, ")"); break;
    case N_ListComp: sx_comp(o, "listcomp", n); break;
    case N_SetComp: sx_comp(o, "setcomp", n); break;
    case N_DictComp: sx_comp(o, "dictcomp", n); break;
    case N_GeneratorExp: sx_comp(o, "genexp", n); break;
    case N_Await: put(o, "(await "); sx(o, n->v.await.value); put(o, ")"); break;
    case N_Yield: put(o, "(yield"); if (n->v.await.value) sx_opt(o, n->v.await.value); put(o, ")"); break;
    case N_YieldFrom: put(o, "(yield-from "); sx(o, n->v.await.value); put(o, ")"); break;
    case N_Compare:
        put(o, "(cmp ");
        sx(o, n->v.compare.left);
        for (int i = 0; i < n->v.compare.comparators.len; i++) {
            put(o, " %s ", cmp_sym(n->v.compare.ops[i]));
            sx(o, n->v.compare.comparators.items[i]);
        }
        put(o, ")");
        break;
    case N_Call:
        put(o, "(call ");
        sx(o, n->v.call.func);
        sx_list(o, &n->v.call.args);
        sx_list(o, &n->v.call.keywords);
        put(o, ")");
        break;
    case N_keyword:
        if (n->v.keyword.arg) put(o, "%s=", n->v.keyword.arg); else put(o, "**");
        sx(o, n->v.keyword.value);
        break;
    case N_FormattedValue:
        put(o, "(fv ");
        sx(o, n->v.formatted.value);
        if (n->v.formatted.conversion >= 0) put(o, " !%c", n->v.formatted.conversion);
        if (n->v.formatted.format_spec) { put(o, " :"); sx(o, n->v.formatted.format_spec); }
        put(o, ")");
        break;
    case N_JoinedStr: put(o, "(f"); sx_list(o, &n->v.joinedstr.values); put(o, ")"); break;
    case N_Constant: {
        const Constant *c = &n->v.constant;
        switch (c->kind) {
        case CONST_NONE: put(o, "None"); break;
        case CONST_TRUE: put(o, "True"); break;
        case CONST_FALSE: put(o, "False"); break;
        case CONST_ELLIPSIS: put(o, "..."); break;
        case CONST_INT: put(o, "%s%.*s", c->base == 16 ? "0x" : c->base == 8 ? "0o" : c->base == 2 ? "0b" : "",
                            (int)c->len, c->s); break;
        case CONST_FLOAT: put(o, "%gf", c->f); break;
        case CONST_IMAG: put(o, "%gj", c->f); break;
        case CONST_STR: put(o, "'%.*s'", (int)c->len, c->s); break;
        case CONST_BYTES: put(o, "b'%.*s'", (int)c->len, c->s); break;
        }
        break;
    }
    case N_Attribute:
        put(o, "(. ");
        sx(o, n->v.attribute.value);
        put(o, " %s)%s", n->v.attribute.attr, ctx_mark(n->v.attribute.ctx));
        break;
    case N_Subscript:
        put(o, "([] ");
        sx(o, n->v.subscript.value);
        sx_opt(o, n->v.subscript.slice);
        put(o, ")%s", ctx_mark(n->v.subscript.ctx));
        break;
    case N_Starred: put(o, "(* "); sx(o, n->v.starred.value); put(o, ")%s", ctx_mark(n->v.starred.ctx)); break;
    case N_Name: put(o, "%s%s", n->v.name.id, ctx_mark(n->v.name.ctx)); break;
    case N_List: put(o, "(list"); sx_list(o, &n->v.seq.elts); put(o, ")%s", ctx_mark(n->v.seq.ctx)); break;
    case N_Tuple: put(o, "(tuple"); sx_list(o, &n->v.seq.elts); put(o, ")%s", ctx_mark(n->v.seq.ctx)); break;
    case N_Slice:
        put(o, "(:");
        sx_opt(o, n->v.slice.lower);
        sx_opt(o, n->v.slice.upper);
        sx_opt(o, n->v.slice.step);
        put(o, ")");
        break;
    default: put(o, "<%s>", ast_kind_names[n->kind]); break;
    }
}

/* ---- helpers ---- */

static Arena arena;
static SyntaxErr err;
static char *last_sx;

static void setup(void) { arena_init(&arena); memset(&err, 0, sizeof err); last_sx = NULL; }
static void teardown(void) { arena_free(&arena); syntax_error_free(&err); free(last_sx); }
TestSuite(parse, .init = setup, .fini = teardown);
TestSuite(positions, .init = setup, .fini = teardown);
TestSuite(errors, .init = setup, .fini = teardown);
TestSuite(modes, .init = setup, .fini = teardown);
TestSuite(hostile, .init = setup, .fini = teardown);
TestSuite(dump, .init = setup, .fini = teardown);

static Node *parse(const char *src, ParseMode mode) {
    syntax_error_free(&err);
    memset(&err, 0, sizeof err);
    return parse_source(&arena, src, strlen(src), "t.apy", mode, &err);
}

/* The module's statements rendered; a failed parse renders as its error. */
static const char *tree(const char *src) {
    Node *n = parse(src, PARSE_FILE);
    free(last_sx);
    Out o = {0};
    if (!n) put(&o, "ERROR %d:%d %s", err.line, err.col, err.msg);
    else for (int i = 0; i < n->v.module.body.len; i++) {
        if (i) put(&o, " ");
        sx(&o, n->v.module.body.items[i]);
    }
    last_sx = o.s;
    return o.s;
}

/* One expression statement, without the (expr ...) wrapper. */
static const char *expr(const char *src) {
    Node *n = parse(src, PARSE_EVAL);
    free(last_sx);
    Out o = {0};
    if (!n) put(&o, "ERROR %d:%d %s", err.line, err.col, err.msg);
    else sx(&o, n->v.expression.body);
    last_sx = o.s;
    return o.s;
}

#define SHAPE(src, want) cr_expect_str_eq(tree(src), want, "for: %s", src)
#define EXPR(src, want) cr_expect_str_eq(expr(src), want, "for: %s", src)

static void expect_error(const char *src, SyntaxErrKind kind, const char *msg, int line, int col) {
    Node *n = parse(src, PARSE_FILE);
    cr_assert_null(n, "parsed without error: %.80s", src);
    cr_expect_str_eq(err.msg, msg, "message for: %.80s", src);
    cr_expect_eq(err.kind, kind, "kind for: %.80s (%s)", src, err.msg);
    cr_expect_eq(err.line, line, "line for: %.80s: got %d", src, err.line);
    cr_expect_eq(err.col, col, "offset for: %.80s: got %d", src, err.col);
}

#define SYN(src, msg, line, col) expect_error(src, SE_SYNTAX, msg, line, col)

/* ---- expressions and precedence ---- */

Test(parse, atoms) {
    EXPR("x", "x");
    EXPR("42", "42");
    EXPR("0xff", "0xff");
    EXPR("1.5", "1.5f");
    EXPR("2j", "2j");
    EXPR("None", "None");
    EXPR("...", "...");
    EXPR("'a' \"b\" '''c'''", "'abc'");
    EXPR("b'a' b'b'", "b'ab'");
    EXPR("()", "(tuple)");
    EXPR("(1,)", "(tuple 1)");
    EXPR("(1)", "1");
    EXPR("[]", "(list)");
    EXPR("[1, *a, 2,]", "(list 1 (* a) 2)");
    EXPR("{}", "(dict)");
    EXPR("{1: 2, **d}", "(dict 1:2 **d)");
    EXPR("{1, *s}", "(set 1 (* s))");
    EXPR("1, 2", "(tuple 1 2)");
}

Test(parse, precedence) {
    EXPR("a + b * c", "(+ a (* b c))");
    EXPR("a * b + c", "(+ (* a b) c)");
    EXPR("a - b - c", "(- (- a b) c)");
    EXPR("a ** b ** c", "(** a (** b c))");
    EXPR("-2 ** 2", "(-u (** 2 2))");
    EXPR("2 ** -1", "(** 2 (-u 1))");
    EXPR("-a * b", "(* (-u a) b)");
    EXPR("~+-a", "(~ (+u (-u a)))");
    EXPR("a | b ^ c & d << e + f", "(| a (^ b (& c (<< d (+ e f)))))");
    EXPR("a @ b // c % d / e", "(/ (% (// (@ a b) c) d) e)");
    EXPR("not a < b", "(not (cmp a < b))");
    EXPR("a or b and not c", "(or a (and b (not c)))");
    EXPR("a and b and c", "(and a b c)");
    EXPR("(a and b) and c", "(and (and a b) c)");
    EXPR("a or b or c and d", "(or a b (and c d))");
    EXPR("a < b <= c == d", "(cmp a < b <= c == d)");
    EXPR("(a < b) < c", "(cmp (cmp a < b) < c)");
    EXPR("a in b not in c is d is not e != f", "(cmp a in b not-in c is d is-not e != f)");
    EXPR("a if b else c if d else e", "(ifexp b a (ifexp d c e))");
    EXPR("lambda: a if b else c", "(lambda (args) (ifexp b a c))");
    EXPR("await a ** 2", "(** (await a) 2)");
    EXPR("-await a", "(-u (await a))");
    EXPR("a.b(c)[d].e", "(. ([] (call (. a b) c) d) e)");
    EXPR("1 + 1 if x else 2", "(ifexp x (+ 1 1) 2)");
}

Test(parse, calls) {
    EXPR("f()", "(call f)");
    EXPR("f(a, b=1, *c, **d)", "(call f a (* c) b=1 **d)");
    EXPR("f(a,)", "(call f a)");
    EXPR("f(x for x in y)", "(call f (genexp x (for x! y)))");
    EXPR("f((x for x in y), 1)", "(call f (genexp x (for x! y)) 1)");
    EXPR("f(a := 1)", "(call f (:= a! 1))");
    EXPR("f(*a, *b, c)", "(call f (* a) (* b) c)");
    EXPR("f(**a, b=1)", "(call f **a b=1)");
}

Test(parse, subscripts_and_slices) {
    EXPR("a[1]", "([] a 1)");
    EXPR("a[1:2]", "([] a (: 1 2 _))");
    EXPR("a[::2]", "([] a (: _ _ 2))");
    EXPR("a[:]", "([] a (: _ _ _))");
    EXPR("a[1:]", "([] a (: 1 _ _))");
    EXPR("a[:2:]", "([] a (: _ 2 _))");
    EXPR("a[1:2, 3]", "([] a (tuple (: 1 2 _) 3))");
    EXPR("a[b, c]", "([] a (tuple b c))");
    EXPR("a[b,]", "([] a (tuple b))");
    EXPR("a[*b]", "([] a (* b))");
    EXPR("a[x := 1]", "([] a (:= x! 1))");
}

Test(parse, comprehensions) {
    EXPR("[x for x in y]", "(listcomp x (for x! y))");
    EXPR("[x for x in y if a if b for z in x if c]",
         "(listcomp x (for x! y (if a) (if b)) (for z! x (if c)))");
    EXPR("{k: v for k, v in d}", "(dictcomp k v (for (tuple k! v!)! d))");
    EXPR("{x for x in y}", "(setcomp x (for x! y))");
    EXPR("(x async for x in y)", "(genexp x (async-for x! y))");
    EXPR("[x for x, in y]", "(listcomp x (for (tuple x!)! y))");
    EXPR("[(a, b) for a in x for b in y]", "(listcomp (tuple a b) (for a! x) (for b! y))");
    EXPR("[x for x in a or b]", "(listcomp x (for x! (or a b)))");
    EXPR("[a if b else c for d in e]", "(listcomp (ifexp b a c) (for d! e))");
}

Test(parse, lambdas_yield_walrus) {
    EXPR("lambda: 0", "(lambda (args) 0)");
    EXPR("lambda x, y=1, *a, z, w=2, **k: x",
         "(lambda (args x y (defaults 1) *a z w=2 **k) x)");
    EXPR("lambda *, a: a", "(lambda (args * a) a)");
    EXPR("lambda a, /, b: a", "(lambda (args a / b) a)");
    EXPR("(y := 10)", "(:= y! 10)");
    SHAPE("def f():\n    x = yield\n    y = yield 1, 2\n    z = yield from g()\n",
          "(def f (args) (= x! (yield)) (= y! (yield (tuple 1 2))) (= z! (yield-from (call g))))");
}

Test(parse, strings_and_fstrings) {
    EXPR("'a\\tb'", "'a\tb'");
    EXPR("r'a\\tb'", "'a\\tb'");
    EXPR("f'x'", "(f 'x')");
    EXPR("f''", "(f)");
    EXPR("f'a{b}c'", "(f 'a' (fv b) 'c')");
    EXPR("f'{a!r}{b!s}{c!a}'", "(f (fv a !r) (fv b !s) (fv c !a))");
    EXPR("f'{x:>10}'", "(f (fv x :(f '>10')))");
    EXPR("f'{x:{w}.{p}f}'", "(f (fv x :(f (fv w) '.' (fv p) 'f')))");
    EXPR("f'{{literal}} {x}'", "(f '{literal} ' (fv x))");
    EXPR("f'{x=}'", "(f 'x=' (fv x !r))");
    EXPR("f'{x = }'", "(f 'x = ' (fv x !r))");
    EXPR("f'{x=:>4}'", "(f 'x=' (fv x :(f '>4')))");
    EXPR("f'{x=!s}'", "(f 'x=' (fv x !s))");
    EXPR("'a' f'{b}' 'c'", "(f 'a' (fv b) 'c')");
    EXPR("f'{a + b * 2}'", "(f (fv (+ a (* b 2))))");
    EXPR("f'{d[\"k\"]}'", "(f (fv ([] d 'k')))");
    EXPR("f'{f\"{x}\"}'", "(f (fv (f (fv x))))");
    EXPR("f'{a!r:^{w}}'", "(f (fv a !r :(f '^' (fv w))))");
    EXPR("f'{x,y}'", "(f (fv (tuple x y)))");
    EXPR("f'{ x }'", "(f (fv x))");
    EXPR("rf'\\d{x}'", "(f '\\d' (fv x))");
    EXPR("f'\\n{x}\\t'", "(f '\n' (fv x) '\t')");
    EXPR("f'''{\nx\n}'''", "(f (fv x))");
    EXPR("f'{a:=1}'", "(f (fv a :(f '=1')))");
    EXPR("f'{(a:=1)}'", "(f (fv (:= a! 1)))");
    EXPR("f'{x!r}' f'{y}'", "(f (fv x !r) (fv y))");
}

/* ---- statements ---- */

Test(parse, simple_statements) {
    SHAPE("a = b = 1", "(= a! b! 1)");
    SHAPE("a, *b = c", "(= (tuple a! (* b!)!)! c)");
    SHAPE("(a, b), c = d", "(= (tuple (tuple a! b!)! c!)! d)");
    SHAPE("[a, b] = x", "(= (list a! b!)! x)");
    SHAPE("a.b, c[d] = 1, 2", "(= (tuple (. a b)! ([] c d)!)! (tuple 1 2))");
    SHAPE("x += 1; y //= 2; z @= 3", "(+= x! 1) (//= y! 2) (@= z! 3)");
    SHAPE("a **= 2\nb >>= 1\nc <<= 1\nd ^= 1\ne |= 1\nf &= 1\ng %= 1\nh -= 1\ni *= 1\nj /= 1",
          "(**= a! 2) (>>= b! 1) (<<= c! 1) (^= d! 1) (|= e! 1) (&= f! 1) (%= g! 1) (-= h! 1) "
          "(*= i! 1) (/= j! 1)");
    SHAPE("x: int = 1", "(ann x! int 1)");
    SHAPE("x: int", "(ann x! int)");
    SHAPE("(x): int", "(ann-complex x! int)");
    SHAPE("a.b: int = 2", "(ann-complex (. a b)! int 2)");
    SHAPE("del a, b[1], c.d", "(del a~ ([] b 1)~ (. c d)~)");
    SHAPE("del (a), [b]", "(del a~ (list b~)~)");
    SHAPE("pass; break; continue", "(pass) (break) (continue)");
    SHAPE("return", "(return)");
    SHAPE("return 1, 2", "(return (tuple 1 2))");
    SHAPE("raise", "(raise)");
    SHAPE("raise E from F", "(raise E from F)");
    SHAPE("global a, b\nnonlocal c", "(global a b) (nonlocal c)");
    SHAPE("assert x, 'msg'", "(assert x 'msg')");
    SHAPE("x = 1;", "(= x! 1)");
    SHAPE("await x", "(expr (await x))");
    SHAPE("x = *a, b", "(= x! (tuple (* a) b))");
}

Test(parse, imports) {
    SHAPE("import a.b.c as d, e", "(import a.b.c=>d e)");
    SHAPE("from . import x", "(from 1 _ x)");
    SHAPE("from .. import (y, z as w,)", "(from 2 _ y z=>w)");
    SHAPE("from ...pkg.mod import *", "(from 3 pkg.mod *)");
    SHAPE("from .... import x", "(from 4 _ x)");
    SHAPE("from x import a, b as c", "(from 0 x a b=>c)");
}

Test(parse, compound_statements) {
    SHAPE("if a: x\nelif b: y\nelif c: z\nelse: w",
          "(if a (then (expr x)) (else (if b (then (expr y)) (else (if c (then (expr z)) (else (expr w)))))))");
    SHAPE("if x: y; z", "(if x (then (expr y) (expr z)))");
    SHAPE("while x:\n    pass\nelse:\n    break", "(while x (do (pass)) (else (break)))");
    SHAPE("for i, j in x:\n    pass\nelse:\n    pass", "(for (tuple i! j!)! x (do (pass)) (else (pass)))");
    SHAPE("for x in *a, *b: pass", "(for x! (tuple (* a) (* b)) (do (pass)))");
    SHAPE("try:\n  a\nexcept (A, B) as e:\n  b\nexcept C:\n  c\nexcept:\n  d\nelse:\n  e\nfinally:\n  f",
          "(try (do (expr a)) (except (tuple A B) as e (expr b)) (except C (expr c)) "
          "(except (expr d)) (else (expr e)) (finally (expr f)))");
    SHAPE("try:\n  a\nfinally:\n  b", "(try (do (expr a)) (finally (expr b)))");
    SHAPE("with a as b, c:\n  pass", "(with (item a b!) (item c) (do (pass)))");
    SHAPE("with (a as b, c as d):\n  pass", "(with (item a b!) (item c d!) (do (pass)))");
    SHAPE("with (a, b):\n  pass", "(with (item a) (item b) (do (pass)))");
    SHAPE("with (a, b) as c:\n  pass", "(with (item (tuple a b) c!) (do (pass)))");
    SHAPE("with (a):\n  pass", "(with (item a) (do (pass)))");
    SHAPE("with a as (b, c):\n  pass", "(with (item a (tuple b! c!)!) (do (pass)))");
}

Test(parse, functions_and_classes) {
    SHAPE("def f(a, b=1, *args, c, d=2, **kw) -> int:\n    return a",
          "(def f (args a b (defaults 1) *args c d=2 **kw) -> int (return a))");
    SHAPE("def f(a, /, b, *, c): pass", "(def f (args a / b * c) (pass))");
    SHAPE("def f(a: int, *b: str, **c: dict): pass", "(def f (args a:int *b **c) (pass))");
    SHAPE("def f(a,): pass", "(def f (args a) (pass))");
    SHAPE("async def f():\n    async for a in b: pass\n    async with a: pass\n    await x",
          "(async-def f (args) (async-for a! b (do (pass))) (async-with (item a) (do (pass))) "
          "(expr (await x)))");
    SHAPE("@dec\n@dec.attr(1)\nclass C(Base, metaclass=M):\n    '''doc'''\n    x = 1",
          "(class C (bases Base) (kw metaclass=M) (@ dec (call (. dec attr) 1)) (expr 'doc') (= x! 1))");
    SHAPE("class C: pass", "(class C (pass))");
    SHAPE("class C(): pass", "(class C (pass))");
    SHAPE("@d\nasync def f(): pass", "(async-def f (args) (@ d) (pass))");
}

/* ---- positions (checked against CPython 3.11's ast) ---- */

static void expect_pos(const Node *n, int line, int col, int end_line, int end_col) {
    cr_expect(n->line == line && n->col == col && n->end_line == end_line && n->end_col == end_col,
              "%s: got %d:%d-%d:%d, want %d:%d-%d:%d", ast_kind_names[n->kind], n->line, n->col,
              n->end_line, n->end_col, line, col, end_line, end_col);
}

Test(positions, expressions) {
    Node *m = parse("x = (a + b) * f(c)[1:2]\n", PARSE_FILE);
    cr_assert_not_null(m, "%s", err.msg);
    Node *assign = m->v.module.body.items[0];
    expect_pos(assign, 1, 0, 1, 23);
    Node *mul = assign->v.assign.value;
    expect_pos(mul, 1, 4, 1, 23);                      /* starts at the parenthesis */
    expect_pos(mul->v.binop.left, 1, 5, 1, 10);        /* the sum keeps its own span */
    Node *sub = mul->v.binop.right;
    expect_pos(sub, 1, 14, 1, 23);
    expect_pos(sub->v.subscript.slice, 1, 19, 1, 22);  /* the Slice */
}

Test(positions, statements_and_utf8) {
    Node *m = parse("if x:\n    y = 'é'\nelif z:\n    pass\n", PARSE_FILE);
    cr_assert_not_null(m, "%s", err.msg);
    Node *ifs = m->v.module.body.items[0];
    expect_pos(ifs, 1, 0, 4, 8);
    Node *elif = ifs->v.ifstmt.orelse.items[0];
    expect_pos(elif, 3, 0, 4, 8);
    Node *assign = ifs->v.ifstmt.body.items[0];
    expect_pos(assign->v.assign.value, 2, 8, 2, 12);   /* byte columns: é is 2 bytes */
}

Test(positions, fstrings_and_tuples) {
    Node *m = parse("s = f'a{b}c' 'd'\nt = 1, 2,\n", PARSE_FILE);
    cr_assert_not_null(m, "%s", err.msg);
    Node *js = ((Node *)m->v.module.body.items[0])->v.assign.value;
    expect_pos(js, 1, 4, 1, 16);
    expect_pos(js->v.joinedstr.values.items[0], 1, 4, 1, 16);   /* parts: the whole string */
    Node *fv = js->v.joinedstr.values.items[1];
    expect_pos(fv->v.formatted.value, 1, 8, 1, 9);              /* the name inside */
    Node *tup = ((Node *)m->v.module.body.items[1])->v.assign.value;
    expect_pos(tup, 2, 4, 2, 9);                                /* includes the trailing comma */
}

Test(positions, decorated_and_multiline) {
    Node *m = parse("@dec\ndef f(\n    a,\n):\n    return (1 +\n            2)\n", PARSE_FILE);
    cr_assert_not_null(m, "%s", err.msg);
    Node *f = m->v.module.body.items[0];
    expect_pos(f, 2, 0, 6, 14);                      /* the def line, not the decorator */
    expect_pos(f->v.funcdef.args->v.arguments.args.items[0], 3, 4, 3, 5);
    Node *ret = f->v.funcdef.body.items[0];
    expect_pos(ret, 5, 4, 6, 14);
    expect_pos(ret->v.ret.value, 5, 12, 6, 13);
}

/* ---- errors: CPython 3.11's messages, lines and offsets ---- */

Test(errors, generic_and_brackets) {
    SYN("a b", "invalid syntax", 1, 3);
    SYN("x = $", "invalid syntax", 1, 5);
    SYN("x = 1 +", "invalid syntax", 1, 8);
    SYN("else: pass", "invalid syntax", 1, 1);
    SYN("f(a b)", "invalid syntax. Perhaps you forgot a comma?", 1, 3);
    SYN("x = [1, 2 3]", "invalid syntax. Perhaps you forgot a comma?", 1, 9);
    SYN("x = (1,", "'(' was never closed", 1, 5);
    SYN("x = )", "unmatched ')'", 1, 5);
    SYN("x = (1]", "closing parenthesis ']' does not match opening parenthesis '('", 1, 7);
    SYN("print \"x\"", "Missing parentheses in call to 'print'. Did you mean print(...)?", 1, 1);
    SYN("x = (1 + 2\ny = 3", "'(' was never closed", 1, 5);     /* the lexer's error wins */
    SYN("def f(x:\n    pass", "'(' was never closed", 1, 6);
    SYN("x = = 1\ns = 'abc", "unterminated string literal (detected at line 2)", 2, 5);
    SYN("x = {1: 2, 3}", "':' expected after dictionary key", 1, 12);
    SYN("x := 1", "invalid syntax", 1, 3);
    SYN("a < not b", "invalid syntax", 1, 5);
}

Test(errors, expected_colon_and_blocks) {
    SYN("if x\n  pass", "expected ':'", 1, 5);
    SYN("for x in y\n  pass", "expected ':'", 1, 11);
    SYN("while x\n  pass", "expected ':'", 1, 8);
    SYN("def f()\n  pass", "expected ':'", 1, 8);
    SYN("class C\n  pass", "expected ':'", 1, 8);
    expect_error("if x:\npass", SE_INDENTATION, "expected an indented block after 'if' statement on line 1", 2, 1);
    expect_error("def f():\nreturn", SE_INDENTATION, "expected an indented block after function definition on line 1", 2, 1);
    expect_error("x = 1\nclass C:\n", SE_INDENTATION, "expected an indented block after class definition on line 2", 2, 0);
    expect_error("for x in y:\n  pass\nelse:\nz", SE_INDENTATION, "expected an indented block after 'else' statement on line 3", 4, 1);
    expect_error("try:\n  x\nexcept E:\ny", SE_INDENTATION, "expected an indented block after 'except' statement on line 3", 4, 1);
    expect_error(" x", SE_INDENTATION, "unexpected indent", 1, 1);
    expect_error("class C: x\n y", SE_INDENTATION, "unexpected indent", 2, 1);
    SYN("try:\n  x\ny = 1", "expected 'except' or 'finally' block", 3, 1);
    SYN("x = 1 if 2", "expected 'else' after 'if' expression", 1, 5);
}

Test(errors, targets) {
    SYN("1 = x", "cannot assign to literal here. Maybe you meant '==' instead of '='?", 1, 1);
    SYN("f() = x", "cannot assign to function call here. Maybe you meant '==' instead of '='?", 1, 1);
    SYN("a + 1 = 2", "cannot assign to expression here. Maybe you meant '==' instead of '='?", 1, 1);
    SYN("a, 1 = x", "cannot assign to literal here. Maybe you meant '==' instead of '='?", 1, 4);
    SYN("(a, 1) = x", "cannot assign to literal", 1, 5);
    SYN("None = 1", "cannot assign to None", 1, 1);
    SYN("x = 1 = 2", "cannot assign to literal", 1, 5);
    SYN("x = yield = 1", "assignment to yield expression not possible", 1, 5);
    SYN("del 1", "cannot delete literal", 1, 5);
    SYN("del f()", "cannot delete function call", 1, 5);
    SYN("del *a", "cannot delete starred", 1, 5);
    SYN("(a, b) += 1", "'tuple' is an illegal expression for augmented assignment", 1, 1);
    SYN("1 += 1", "'literal' is an illegal expression for augmented assignment", 1, 1);
    SYN("for 1 in x: pass", "cannot assign to literal", 1, 5);
    SYN("[x for 1 in y]", "cannot assign to literal", 1, 8);
    SYN("with a as 1: pass", "cannot assign to literal", 1, 11);
    SYN("*a = 1", "starred assignment target must be in a list or tuple", 1, 1);
    SYN("x = *a", "can't use starred expression here", 1, 5);
    SYN("(a, b): int", "only single target (not tuple) can be annotated", 1, 1);
    SYN("[a]: int", "only single target (not list) can be annotated", 1, 1);
    SYN("(x + 1) := 2", "invalid syntax", 1, 9);
    SYN("print((x.y := 1))", "cannot use assignment expressions with attribute", 1, 8);
}

Test(errors, calls_and_parameters) {
    SYN("f(a=1, b)", "positional argument follows keyword argument", 1, 9);
    SYN("f(**a, b)", "positional argument follows keyword argument unpacking", 1, 9);
    SYN("f(**a, *b)", "iterable argument unpacking follows keyword argument unpacking", 1, 8);
    SYN("f(a + 1 = 2)", "expression cannot contain assignment, perhaps you meant \"==\"?", 1, 3);
    SYN("f(True=1)", "cannot assign to True", 1, 3);
    SYN("f(x for x in y, 1)", "Generator expression must be parenthesized", 1, 3);
    SYN("def f(a=1, b): pass", "non-default argument follows default argument", 1, 12);
    SYN("def f(*): pass", "named arguments must follow bare *", 1, 7);
    SYN("def f(/, a): pass", "at least one argument must precede /", 1, 7);
    SYN("def f(a, /, /): pass", "/ may appear only once", 1, 13);
    SYN("def f(*a, *b): pass", "* argument may appear only once", 1, 11);
    SYN("def f(**k, a): pass", "arguments cannot follow var-keyword argument", 1, 12);
    SYN("[*a for a in b]", "iterable unpacking cannot be used in comprehension", 1, 2);
    SYN("(*a)", "cannot use starred expression here", 1, 2);
    SYN("if x = 1: pass", "invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 4);
    SYN("f(a for a in b, )", "Generator expression must be parenthesized", 1, 3);
    SYN("class C(x for x in y): pass", "invalid syntax", 1, 11);
    SYN("x = {1:}", "expression expected after dictionary key and ':'", 1, 7);
    SYN("x = {'a': 1 'b': 2}", "invalid syntax. Perhaps you forgot a comma?", 1, 11);
    SYN("try:\n  pass\nexcept E, F:\n  pass", "multiple exception types must be parenthesized", 3, 8);
    SYN("def f[T](): pass", "expected '('", 1, 6);
    SYN("else pass", "invalid syntax", 1, 1);
    SYN("try pass", "expected ':'", 1, 5);
    SYN("x = (yield) = 1", "cannot assign to yield expression", 1, 6);
    SYN("[a as b]", "invalid syntax", 1, 4);
    SYN("f\"{x:{y:{z}}}\"", "f-string: expressions nested too deeply", 1, 15);
}

Test(errors, literals_and_fstrings) {
    SYN("x = \"\\x1\"", "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: "
        "truncated \\xXX escape", 1, 10);
    SYN("x = 'a' b'b'", "cannot mix bytes and nonbytes literals", 1, 13);
    SYN("f\"{}\"", "f-string: empty expression not allowed", 1, 6);
    SYN("f\"{x\"", "f-string: expecting '}'", 1, 6);
    SYN("f\"}\"", "f-string: single '}' is not allowed", 1, 5);
    SYN("f'{a b}'", "f-string: invalid syntax. Perhaps you forgot a comma?", 1, 4);
    SYN("f'{x!z}'", "f-string: invalid conversion character: expected 's', 'r', or 'a'", 1, 9);
    SYN("f'{a\\n}'", "f-string expression part cannot include a backslash", 1, 9);
    SYN("x = 1\ny = f'{1 +}'", "f-string: invalid syntax", 2, 11);
    SYN("x = 5€", "invalid character '€' (U+20AC)", 1, 6);
}

Test(errors, eof) {
    expect_error("if x:", SE_INDENTATION, "expected an indented block after 'if' statement on line 1", 1, 0);
    SYN("@dec", "invalid syntax", 1, 0);
    SYN("try:\n  x\n", "expected 'except' or 'finally' block", 2, 0);
    SYN("x = 1 \\", "unexpected EOF while parsing", 1, 8);
}

Test(errors, print_layout) {
    cr_assert_null(parse("if True:\n    f(a b)\n", PARSE_FILE));
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    syntax_error_print(f, &err);
    fclose(f);
    cr_expect_str_eq(out, "  File \"t.apy\", line 2\n"
                          "    f(a b)\n"
                          "      ^^^\n"
                          "SyntaxError: invalid syntax. Perhaps you forgot a comma?\n");
    free(out);
    cr_assert_null(parse("def f():\n  x\n y\n", PARSE_FILE));
    f = open_memstream(&out, &n);
    syntax_error_print(f, &err);
    fclose(f);
    cr_expect_str_eq(out, "  File \"t.apy\", line 3\n"
                          "    y\n"
                          "     ^\n"
                          "IndentationError: unindent does not match any outer indentation level\n");
    free(out);
    cr_expect_str_eq(syntax_error_kind_name(SE_TAB), "TabError");
}

/* ---- modes ---- */

static void expect_incomplete(const char *src, int want) {
    Node *n = parse(src, PARSE_SINGLE);
    cr_expect(n == NULL && err.incomplete == want, "%s: node=%p incomplete=%d msg=%s",
              src, (void *)n, err.incomplete, err.msg);
}

Test(modes, single_incomplete) {
    expect_incomplete("if x:\n", 1);
    expect_incomplete("if x:\n    y = 1\n", 1);           /* a block ends with an empty line */
    expect_incomplete("def f(a,\n", 1);
    expect_incomplete("x = '''abc\n", 1);
    expect_incomplete("x = [1,\n 2,\n", 1);
    expect_incomplete("x = 1 + \\\n", 1);
    expect_incomplete("try:\n  x\n\n", 1);
    expect_incomplete("@dec\n", 1);
    expect_incomplete("x = )\n", 0);
    expect_incomplete("a b\n", 0);
    expect_incomplete("if x:\ny\n", 0);
}

Test(modes, single_complete) {
    Node *n = parse("x = 1\n", PARSE_SINGLE);
    cr_assert_not_null(n, "%s", err.msg);
    cr_expect_eq(n->kind, N_Interactive);
    cr_expect_eq(n->v.module.body.len, 1);
    n = parse("if x:\n    y = 1\n\n", PARSE_SINGLE);
    cr_assert_not_null(n, "%s", err.msg);
    cr_expect_eq(((Node *)n->v.module.body.items[0])->kind, N_If);
    n = parse("a; b; c\n", PARSE_SINGLE);
    cr_assert_not_null(n, "%s", err.msg);
    cr_expect_eq(n->v.module.body.len, 3);
    n = parse("", PARSE_SINGLE);
    cr_assert_not_null(n);
    cr_expect_eq(n->v.module.body.len, 0);
    cr_expect_null(parse("x = 1\ny = 2\n", PARSE_SINGLE));   /* one statement only */
    cr_expect_str_eq(err.msg, "multiple statements found while compiling a single statement");
    cr_expect_eq(err.line, 2);
    cr_expect(!err.incomplete);
}

Test(modes, eval) {
    Node *n = parse("  1 + 2\n", PARSE_EVAL);
    cr_assert_not_null(n, "%s", err.msg);
    cr_expect_eq(n->kind, N_Expression);
    cr_expect_eq(n->v.expression.body->kind, N_BinOp);
    cr_expect_null(parse("x = 1", PARSE_EVAL));
    cr_expect_null(parse("", PARSE_EVAL));
}

/* ---- hostile input: clean errors, no crash, bounded time ---- */

static char *repeat(const char *head, const char *unit, int count, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * (size_t)count + tl + 1);
    memcpy(s, head, hl);
    for (int i = 0; i < count; i++) memcpy(s + hl + ul * (size_t)i, unit, ul);
    memcpy(s + hl + ul * (size_t)count, tail, tl + 1);
    return s;
}

Test(hostile, nested_parentheses) {
    char *s = repeat("", "(", 100000, "");
    cr_expect_null(parse(s, PARSE_FILE));
    cr_expect_str_eq(err.msg, "too many nested parentheses");
    cr_expect_eq(err.col, 201);
    free(s);
    s = repeat("x = ", "[", 200, "");
    char *t = repeat(s, "]", 200, "\n");
    cr_expect_not_null(parse(t, PARSE_FILE), "200 levels are allowed: %s", err.msg);
    free(s);
    free(t);
}

Test(hostile, long_line) {
    char *s = repeat("x = '", "a", 2 * 1024 * 1024, "'\n");
    Node *n = parse(s, PARSE_FILE);
    cr_assert_not_null(n, "%s", err.msg);
    Node *c = ((Node *)n->v.module.body.items[0])->v.assign.value;
    cr_expect_eq(c->v.constant.len, 2u * 1024 * 1024);
    free(s);
    s = repeat("x = [", "1,", 1000000, "]\n");           /* 2 MB of one list */
    n = parse(s, PARSE_FILE);
    cr_assert_not_null(n, "%s", err.msg);
    cr_expect_eq(((Node *)n->v.module.body.items[0])->v.assign.value->v.seq.elts.len, 1000000);
    free(s);
}

Test(hostile, long_expression) {
    char *s = repeat("x = 1", "+1", 200000, "\n");
    Node *n = parse(s, PARSE_FILE);
    cr_assert_not_null(n, "%s", err.msg);
    /* Left-deep: 200,000 BinOps, the innermost at depth 200,000. */
    Node *b = ((Node *)n->v.module.body.items[0])->v.assign.value;
    int depth = 0;
    while (b->kind == N_BinOp) { b = b->v.binop.left; depth++; }
    cr_expect_eq(depth, 200000);
    FILE *devnull = fopen("/dev/null", "w");
    ast_dump(devnull, n);               /* iterative: no stack overflow */
    fclose(devnull);
    free(s);
    s = repeat("x = ", "-", 200000, "1\n");            /* right-deep unary chain */
    cr_expect_not_null(parse(s, PARSE_FILE), "%s", err.msg);
    free(s);
    s = repeat("x = ", "2**", 100000, "1\n");
    cr_expect_not_null(parse(s, PARSE_FILE), "%s", err.msg);
    free(s);
}

Test(hostile, deep_blocks) {
    Out o = {0};
    for (int i = 0; i < 300; i++) {
        for (int k = 0; k < i; k++) put(&o, " ");
        put(&o, "if x:\n");
    }
    cr_expect_null(parse(o.s, PARSE_FILE));
    cr_expect_eq(err.kind, SE_INDENTATION);
    cr_expect_str_eq(err.msg, "too many levels of indentation");
    cr_expect_eq(err.line, 101);
    free(o.s);
}

Test(hostile, bad_bytes) {
    Node *n = parse_source(&arena, "x = 1\n\xff\n", 8, "t.apy", PARSE_FILE, &err);
    cr_expect_null(n);
    cr_expect_str_eq(err.msg, "(unicode error) 'utf-8' codec can't decode byte 0xff in position 6: "
                     "invalid start byte");
    syntax_error_free(&err);
    n = parse_source(&arena, "x = '\0'\n", 8, "t.apy", PARSE_FILE, &err);
    cr_expect_null(n);
    cr_expect_str_eq(err.msg, "source code cannot contain null bytes");
    syntax_error_free(&err);
    n = parse_source(&arena, "\xef\xbb\xbfx = 1\n", 9, "t.apy", PARSE_FILE, &err);
    cr_assert_not_null(n, "a BOM is skipped: %s", err.msg);
    cr_expect_eq(((Node *)n->v.module.body.items[0])->col, 0);
    /* Garbage of every byte value never crashes. */
    unsigned seed = 12345;
    char buf[512];
    for (int round = 0; round < 2000; round++) {
        int len = (int)(seed % 500);
        for (int i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            static const char alphabet[] = "()[]{}:;,.=+-*/<>!'\"\\#@ \t\n\rabcfrx019_\xc3\xa9";
            buf[i] = (seed >> 16) % 5 == 0 ? (char)(seed >> 8) : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        syntax_error_free(&err);
        memset(&err, 0, sizeof err);
        parse_source(&arena, buf, (size_t)len, "t.apy", (ParseMode)(round % 3), &err);
    }
}

/* ---- ast_dump ---- */

Test(dump, layout) {
    Node *n = parse("x = f(1, 'a')\n", PARSE_FILE);
    cr_assert_not_null(n);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ast_dump(f, n);
    fclose(f);
    cr_expect_str_eq(out,
        "Module(\n"
        "  body=[\n"
        "    Assign( <1:0-1:13>\n"
        "      targets=[\n"
        "        Name(id='x', ctx=Store()) <1:0-1:1>],\n"
        "      value=Call( <1:4-1:13>\n"
        "        func=Name(id='f', ctx=Load()) <1:4-1:5>,\n"
        "        args=[\n"
        "          Constant(value=1) <1:6-1:7>,\n"
        "          Constant(value='a') <1:9-1:12>],\n"
        "        keywords=[]))])\n");
    free(out);
}
