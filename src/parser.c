/* parser.c — the front end's driver: source text in, AST or SyntaxError out.
 *
 * Owns: checking the source (NUL bytes, UTF-8, BOM), running the lexer into
 * the lemon parser (grammar/apy.y), merging adjacent string literals and
 * sub-parsing f-strings, the node builders the grammar's actions call
 * (spans, target validation, CPython's messages), the wording of syntax
 * errors, parse_dump_tokens and syntax_error_print.
 * Must not touch: token boundaries (lexer.re), the grammar's shape (apy.y),
 * anything past the tree (objects, compiler, VM).
 *
 * Nothing here recurses on the input's nesting except set_context (bounded
 * by the lexer's 200-bracket limit) and f-strings (bounded by
 * FSTRING_MAX_DEPTH), so hostile input cannot overflow the C stack.
 */
#include "parse.h"
#include "lexer.h"
#include "apy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FSTRING_MAX_DEPTH 8

/* ==== errors ================================================================ */

/* Start of line `line` (1-based) in buf, or NULL. */
static const char *find_line(const char *buf, size_t len, int line, const char **eol) {
    const char *p = buf, *end = buf + len;
    for (int l = 1; l < line; l++) {
        while (p < end && *p != '\n' && *p != '\r') p++;
        if (p >= end) return NULL;
        if (*p == '\r' && p + 1 < end && p[1] == '\n') p++;
        p++;
    }
    const char *e = p;
    while (e < end && *e != '\n' && *e != '\r') e++;
    *eol = e;
    return p;
}

/* CPython's offsets count characters, not bytes. */
static int char_offset(const char *line, const char *eol, int byte_col) {
    int chars = 0;
    for (const char *p = line; p < line + byte_col; p++) {
        if (p >= eol) { chars++; continue; }        /* past the end: one column per byte */
        if (((unsigned char)*p & 0xC0) != 0x80) chars++;
    }
    return chars + 1;
}

void frontend_error(SyntaxErr *err, SyntaxErrKind kind, const char *buf, size_t len,
                    const char *filename, int line, int col, int end_line, int end_col,
                    const char *fmt, ...) {
    syntax_error_free(err);
    memset(err, 0, sizeof *err);
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    snprintf(err->filename, sizeof err->filename, "%s", filename ? filename : "<string>");
    err->line = line;
    const char *eol = NULL;
    const char *text = buf ? find_line(buf, len, line, &eol) : NULL;
    if (text) {
        size_t n = (size_t)(eol - text);
        err->text = malloc(n + 1);
        if (err->text) {
            memcpy(err->text, text, n);
            err->text[n] = '\0';
        }
        err->col = col < 0 ? 0 : char_offset(text, eol, col);
        if (end_line == line && col >= 0) {
            err->end_line = end_line;
            err->end_col = char_offset(text, eol, end_col);
        } else if (end_line > line && col >= 0) {
            const char *eol2 = NULL;
            const char *text2 = find_line(buf, len, end_line, &eol2);
            err->end_line = end_line;
            err->end_col = text2 ? char_offset(text2, eol2, end_col) : 0;
        }
    } else {
        err->col = col < 0 ? 0 : col + 1;
    }
}

const char *syntax_error_kind_name(SyntaxErrKind kind) {
    switch (kind) {
    case SE_INDENTATION: return "IndentationError";
    case SE_TAB: return "TabError";
    case SE_SYNTAX: break;
    }
    return "SyntaxError";
}

void syntax_error_free(SyntaxErr *err) {
    if (!err) return;
    free(err->text);
    err->text = NULL;
}

/* CPython's layout: the line without its indentation, carets under the span. */
void syntax_error_print(FILE *out, const SyntaxErr *err) {
    fprintf(out, "  File \"%s\", line %d\n", err->filename[0] ? err->filename : "<string>",
            err->line);
    if (err->text) {
        const char *t = err->text;
        int stripped = 0;           /* characters removed from the left */
        while (*t == ' ' || *t == '\t' || *t == '\f') { t++; stripped++; }
        fprintf(out, "    %s\n", t);
        if (err->col >= 1 && err->col - 1 - stripped >= 0) {
            int start = err->col - 1 - stripped;
            int end = err->end_col;
            if (err->end_line > err->line) {
                int chars = 0;
                for (const char *p = t; *p; p++) chars += ((unsigned char)*p & 0xC0) != 0x80;
                end = chars + stripped + 1;
            } else if (err->end_line != err->line || end <= err->col) {
                end = err->col + 1;
            }
            if (err->kind != SE_SYNTAX) end = err->col + 1;   /* CPython: one caret */
            end = end - 1 - stripped;
            if (end <= start) end = start + 1;
            fputs("    ", out);
            /* Keep tabs so the caret lines up under a tab-indented text. */
            int i = 0;
            for (const char *p = t; *p && i < start; p++) {
                if (((unsigned char)*p & 0xC0) == 0x80) continue;
                fputc(*p == '\t' ? '\t' : ' ', out);
                i++;
            }
            for (; i < start; i++) fputc(' ', out);
            for (int k = start; k < end; k++) fputc('^', out);
            fputc('\n', out);
        }
    }
    fprintf(out, "%s: %s\n", syntax_error_kind_name(err->kind), err->msg);
}

void parser_error_at(ParseState *ps, SyntaxErrKind kind, int line, int col, int end_line,
                     int end_col, const char *fmt, ...) {
    if (ps->failed) return;
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    frontend_error(ps->err, kind, ps->buf, ps->len, ps->filename, line, col, end_line, end_col,
                   "%s%s", ps->msg_prefix ? ps->msg_prefix : "", msg);
    ps->failed = 1;
}

void parser_error_node(ParseState *ps, const Node *n, const char *fmt, ...) {
    if (ps->failed) return;
    char msg[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    parser_error_at(ps, SE_SYNTAX, n->line, n->col, n->end_line, n->end_col, "%s", msg);
}

static void error_at_token(ParseState *ps, SyntaxErrKind kind, const Token *t, const char *msg) {
    parser_error_at(ps, kind, t->line, t->col, t->end_line, t->end_col, "%s", msg);
}

/* ==== spans ==================================================================== */

static size_t paren_slot(const ParenMap *m, const Node *n) {
    size_t h = ((uintptr_t)n >> 4) * 0x9E3779B97F4A7C15ull;
    return h & (m->cap - 1);
}

static void paren_remember(ParseState *ps, const Node *n, const Token *l, const Token *r) {
    ParenMap *m = &ps->parens;
    if ((m->count + 1) * 2 > m->cap) {
        ParenMap bigger = {calloc(m->cap ? m->cap * 2 : 64, sizeof(ParenSpan)),
                           m->cap ? m->cap * 2 : 64, 0};
        if (!bigger.slots) { fputs("apy: out of memory\n", stderr); abort(); }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].node) continue;
            size_t j = paren_slot(&bigger, m->slots[i].node);
            while (bigger.slots[j].node) j = (j + 1) & (bigger.cap - 1);
            bigger.slots[j] = m->slots[i];
            bigger.count++;
        }
        free(m->slots);
        *m = bigger;
    }
    size_t j = paren_slot(m, n);
    while (m->slots[j].node && m->slots[j].node != n) j = (j + 1) & (m->cap - 1);
    if (!m->slots[j].node) m->count++;
    m->slots[j] = (ParenSpan){n, l->line, l->col, r->end_line, r->end_col};
}

static const ParenSpan *paren_find(const ParseState *ps, const Node *n) {
    const ParenMap *m = &ps->parens;
    if (!(n->parenthesized & 1) || !m->cap) return NULL;
    size_t j = paren_slot(m, n);
    while (m->slots[j].node) {
        if (m->slots[j].node == n) return &m->slots[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

/* Where a child starts and ends as its parent sees it: parentheses included. */
static void start_of(const ParseState *ps, const Node *n, int *line, int *col) {
    const ParenSpan *p = paren_find(ps, n);
    *line = p ? p->line : n->line;
    *col = p ? p->col : n->col;
}

static void end_of(const ParseState *ps, const Node *n, int *line, int *col) {
    const ParenSpan *p = paren_find(ps, n);
    *line = p ? p->end_line : n->end_line;
    *col = p ? p->end_col : n->end_col;
}

Node *node_at_tok(ParseState *ps, NodeKind k, const Token *t) {
    return ast_new(ps->arena, k, t->line, t->col, t->end_line, t->end_col);
}

Node *node_tt(ParseState *ps, NodeKind k, const Token *a, const Token *b) {
    return ast_new(ps->arena, k, a->line, a->col, b->end_line, b->end_col);
}

Node *node_tn(ParseState *ps, NodeKind k, const Token *a, const Node *b) {
    if (!b) return ast_new(ps->arena, k, a->line, a->col, a->end_line, a->end_col);
    int el, ec;
    end_of(ps, b, &el, &ec);
    return ast_new(ps->arena, k, a->line, a->col, el, ec);
}

Node *node_nn(ParseState *ps, NodeKind k, const Node *a, const Node *b) {
    int l, c, el, ec;
    start_of(ps, a, &l, &c);
    end_of(ps, b, &el, &ec);
    return ast_new(ps->arena, k, l, c, el, ec);
}

Node *node_nt(ParseState *ps, NodeKind k, const Node *a, const Token *b) {
    int l, c;
    start_of(ps, a, &l, &c);
    return ast_new(ps->arena, k, l, c, b->end_line, b->end_col);
}

void node_end_at_list(Node *n, const NodeList *l) {
    if (l->len == 0) return;
    const Node *last = l->items[l->len - 1];
    n->end_line = last->end_line;
    n->end_col = last->end_col;
}

void node_end_at_tok(Node *n, const Token *t) {
    n->end_line = t->end_line;
    n->end_col = t->end_col;
}

const char *tok_str(ParseState *ps, const Token *t) {
    return arena_strndup(ps->arena, t->start, (size_t)t->len);
}

/* ==== expression builders ============================================================ */

Node *mk_name(ParseState *ps, const Token *t) {
    Node *n = node_at_tok(ps, N_Name, t);
    n->v.name.id = tok_str(ps, t);
    n->v.name.ctx = CTX_LOAD;
    return n;
}

Node *mk_const(ParseState *ps, const Token *t, ConstKind k) {
    Node *n = node_at_tok(ps, N_Constant, t);
    n->v.constant.kind = k;
    return n;
}

Node *mk_binop(ParseState *ps, Node *l, BinOpKind op, Node *r) {
    Node *n = node_nn(ps, N_BinOp, l, r);
    n->v.binop.left = l;
    n->v.binop.op = op;
    n->v.binop.right = r;
    return n;
}

Node *mk_unary(ParseState *ps, const Token *op, UnaryOpKind k, Node *operand) {
    Node *n = node_tn(ps, N_UnaryOp, op, operand);
    n->v.unaryop.op = k;
    n->v.unaryop.operand = operand;
    return n;
}

/* `a and b and c` is one BoolOp with three values, as in CPython. */
Node *mk_boolop(ParseState *ps, Node *l, BoolOpKind op, Node *r) {
    if (l->kind == N_BoolOp && l->v.boolop.op == op && !l->parenthesized) {
        node_list_push(ps->arena, &l->v.boolop.values, r);
        end_of(ps, r, &l->end_line, &l->end_col);
        return l;
    }
    Node *n = node_nn(ps, N_BoolOp, l, r);
    n->v.boolop.op = op;
    node_list_push(ps->arena, &n->v.boolop.values, l);
    node_list_push(ps->arena, &n->v.boolop.values, r);
    return n;
}

/* `a < b < c` is one Compare; the ops array grows with the comparators. */
Node *mk_compare(ParseState *ps, Node *l, CmpOpKind op, Node *r) {
    Node *n = l;
    if (!(l->kind == N_Compare && !l->parenthesized)) {
        n = node_nn(ps, N_Compare, l, r);
        n->v.compare.left = l;
    }
    NodeList *c = &n->v.compare.comparators;
    int old_cap = c->cap;
    node_list_push(ps->arena, c, r);
    if (c->cap != old_cap) {
        CmpOpKind *ops = arena_alloc(ps->arena, (size_t)c->cap * sizeof *ops);
        if (c->len > 1) memcpy(ops, n->v.compare.ops, (size_t)(c->len - 1) * sizeof *ops);
        n->v.compare.ops = ops;
    }
    n->v.compare.ops[c->len - 1] = op;
    end_of(ps, r, &n->end_line, &n->end_col);
    return n;
}

/* _PyPegen_get_expr_name: what CPython calls a node in messages. */
static const char *expr_name(const Node *n) {
    switch (n->kind) {
    case N_Attribute: return "attribute";
    case N_Subscript: return "subscript";
    case N_Starred: return "starred";
    case N_Name: return "name";
    case N_List: return "list";
    case N_Tuple: return "tuple";
    case N_Lambda: return "lambda";
    case N_Call: return "function call";
    case N_BoolOp: case N_BinOp: case N_UnaryOp: return "expression";
    case N_GeneratorExp: return "generator expression";
    case N_Yield: case N_YieldFrom: return "yield expression";
    case N_Await: return "await expression";
    case N_ListComp: return "list comprehension";
    case N_SetComp: return "set comprehension";
    case N_DictComp: return "dict comprehension";
    case N_Dict: return "dict literal";
    case N_Set: return "set display";
    case N_JoinedStr: case N_FormattedValue: return "f-string expression";
    case N_Constant:
        switch (n->v.constant.kind) {
        case CONST_NONE: return "None";
        case CONST_TRUE: return "True";
        case CONST_FALSE: return "False";
        case CONST_ELLIPSIS: return "ellipsis";
        default: return "literal";
        }
    case N_Compare: return "comparison";
    case N_IfExp: return "conditional expression";
    case N_NamedExpr: return "named expression";
    default: return "expression";
    }
}

Node *mk_namedexpr(ParseState *ps, Node *target, Node *value) {
    if (target->kind != N_Name) {
        parser_error_node(ps, target, "cannot use assignment expressions with %s", expr_name(target));
    }
    target->v.name.ctx = CTX_STORE;
    Node *n = node_nn(ps, N_NamedExpr, target, value);
    n->v.namedexpr.target = target;
    n->v.namedexpr.value = value;
    return n;
}

Node *mk_starred(ParseState *ps, const Token *star, Node *value) {
    Node *n = node_tn(ps, N_Starred, star, value);
    n->v.starred.value = value;
    n->v.starred.ctx = CTX_LOAD;
    return n;
}

Node *mk_attribute(ParseState *ps, Node *value, const Token *name) {
    Node *n = node_nt(ps, N_Attribute, value, name);
    n->v.attribute.value = value;
    n->v.attribute.attr = tok_str(ps, name);
    n->v.attribute.ctx = CTX_LOAD;
    return n;
}

/* A generator expression written as a call's only argument, without its own
 * parentheses, is marked so mk_call can check it is alone. */
#define BARE_GENEXP 2

/* Sort call arguments into positional and keyword, with CPython's checks. */
static void split_args(ParseState *ps, NodeList *items, NodeList *args, NodeList *keywords,
                       const Token *close) {
    int seen_keyword = 0, seen_kwunpack = 0;
    for (int i = 0; i < items->len; i++) {
        Node *a = items->items[i];
        if (a->kind == N_keyword) {
            if (a->v.keyword.arg) seen_keyword = 1; else seen_kwunpack = 1;
            node_list_push(ps->arena, keywords, a);
            continue;
        }
        if (a->kind == N_GeneratorExp && a->parenthesized == BARE_GENEXP && items->len > 1) {
            parser_error_node(ps, a, "Generator expression must be parenthesized");
        }
        if (a->kind == N_Starred) {
            if (seen_kwunpack) {
                parser_error_at(ps, SE_SYNTAX, a->line, a->col, a->line, a->col + 1,
                                "iterable argument unpacking follows keyword argument unpacking");
            }
        } else if (seen_kwunpack || seen_keyword) {
            /* CPython puts these at the closing parenthesis. */
            const char *msg = seen_kwunpack ? "positional argument follows keyword argument unpacking"
                                            : "positional argument follows keyword argument";
            if (close) error_at_token(ps, SE_SYNTAX, close, msg);
            else parser_error_node(ps, a, "%s", msg);
        }
        node_list_push(ps->arena, args, a);
    }
}

/* Where the `for` of a bare generator expression is: after its element. */
static void bare_genexp_error(ParseState *ps, const Node *g, const char *msg) {
    int line, col;
    end_of(ps, g->v.comp.elt, &line, &col);
    const char *eol;
    const char *text = find_line(ps->buf, ps->len, line, &eol);
    while (text && text + col < eol && (text[col] == ' ' || text[col] == '\t')) col++;
    parser_error_at(ps, SE_SYNTAX, line, col, line, col + 3, "%s", msg);
}

Node *mk_call(ParseState *ps, Node *func, const Token *lpar, NodeList *items, int trailing_comma,
              const Token *rpar) {
    Node *n = node_nt(ps, N_Call, func, rpar);
    n->v.call.func = func;
    if (items && trailing_comma && items->len == 1 && items->items[0]->kind == N_GeneratorExp &&
        items->items[0]->parenthesized == BARE_GENEXP) {
        parser_error_node(ps, items->items[0], "Generator expression must be parenthesized");
    }
    if (items) {
        split_args(ps, items, &n->v.call.args, &n->v.call.keywords, rpar);
        if (items->len == 1 && items->items[0]->kind == N_GeneratorExp &&
            items->items[0]->parenthesized == BARE_GENEXP) {
            /* f(x for x in y): the call's parentheses belong to the genexp. */
            Node *g = items->items[0];
            g->line = lpar->line; g->col = lpar->col;
            g->end_line = rpar->end_line; g->end_col = rpar->end_col;
        }
    }
    return n;
}

void seq_push(ParseState *ps, SeqBuild *s, Node *n) {
    node_list_push(ps->arena, &s->elts, n);
    end_of(ps, n, &s->end_line, &s->end_col);
}

static Node *tuple_of(ParseState *ps, SeqBuild *s) {
    int l, c;
    start_of(ps, s->elts.items[0], &l, &c);
    Node *t = ast_new(ps->arena, N_Tuple, l, c, s->end_line, s->end_col);
    t->v.seq.elts = s->elts;
    t->v.seq.ctx = CTX_LOAD;
    return t;
}

Node *mk_exprlist(ParseState *ps, SeqBuild *s) {
    if (s->elts.len == 1 && !s->trailing_comma) return s->elts.items[0];
    return tuple_of(ps, s);
}

Node *mk_subscript(ParseState *ps, Node *value, SeqBuild *s, const Token *rsqb) {
    Node *n = node_nt(ps, N_Subscript, value, rsqb);
    n->v.subscript.value = value;
    n->v.subscript.slice = mk_exprlist(ps, s);
    n->v.subscript.ctx = CTX_LOAD;
    return n;
}

Node *mk_slice(ParseState *ps, Node *lower, const Token *colon, Node *upper, SliceStep *step) {
    Node *n = lower ? node_nt(ps, N_Slice, lower, colon) : node_at_tok(ps, N_Slice, colon);
    if (step->step) end_of(ps, step->step, &n->end_line, &n->end_col);
    else if (step->present) { n->end_line = step->end_line; n->end_col = step->end_col; }
    else if (upper) end_of(ps, upper, &n->end_line, &n->end_col);
    n->v.slice.lower = lower;
    n->v.slice.upper = upper;
    n->v.slice.step = step->step;
    return n;
}

Node *mk_paren(ParseState *ps, const Token *l, SeqBuild *s, const Token *r) {
    if (s && s->elts.len == 1 && !s->trailing_comma) {
        Node *e = s->elts.items[0];
        if (e->kind == N_Starred) parser_error_node(ps, e, "cannot use starred expression here");
        e->parenthesized |= 1;
        paren_remember(ps, e, l, r);
        return e;
    }
    Node *t = node_tt(ps, N_Tuple, l, r);
    if (s) t->v.seq.elts = s->elts;
    t->v.seq.ctx = CTX_LOAD;
    t->parenthesized = 1;
    return t;
}

Node *mk_list(ParseState *ps, const Token *l, SeqBuild *s, const Token *r) {
    Node *n = node_tt(ps, N_List, l, r);
    if (s) n->v.seq.elts = s->elts;
    n->v.seq.ctx = CTX_LOAD;
    return n;
}

Node *mk_set(ParseState *ps, const Token *l, SeqBuild *s, const Token *r) {
    Node *n = node_tt(ps, N_Set, l, r);
    n->v.set.elts = s->elts;
    return n;
}

Node *mk_dict(ParseState *ps, const Token *l, DictBuild *d, const Token *r) {
    Node *n = node_tt(ps, N_Dict, l, r);
    if (d) {
        n->v.dict.keys = d->keys;
        n->v.dict.values = d->values;
    }
    return n;
}

Node *mk_comprehension(ParseState *ps, const Token *first, SeqBuild *target, Node *iter,
                       int is_async) {
    Node *n = node_tn(ps, N_comprehension, first, iter);
    n->v.comprehension.target = mk_exprlist(ps, target);
    set_context(ps, n->v.comprehension.target, CTX_STORE, T_COMP);
    n->v.comprehension.iter = iter;
    n->v.comprehension.is_async = is_async;
    return n;
}

Node *mk_comp(ParseState *ps, NodeKind k, const Token *l, Node *elt, Node *value,
              NodeList *gens, const Token *r) {
    if (elt->kind == N_Starred) {
        parser_error_node(ps, elt, "iterable unpacking cannot be used in comprehension");
    }
    Node *n;
    if (l) {
        n = node_tt(ps, k, l, r);
    } else {
        /* Bare generator argument: spans to its last clause until mk_call widens it. */
        const Node *last = gens->items[gens->len - 1];
        const NodeList *ifs = &last->v.comprehension.ifs;
        const Node *end = ifs->len ? ifs->items[ifs->len - 1] : last->v.comprehension.iter;
        n = node_nn(ps, k, elt, end);
        n->parenthesized = BARE_GENEXP;
    }
    n->v.comp.elt = elt;
    n->v.comp.value = value;
    n->v.comp.generators = *gens;
    return n;
}

/* `a as b` inside parentheses: a withitem that mk_with will claim. */
#define MARKER_CLAIMED 0x80

Node *mk_as_marker(ParseState *ps, Node *expr, Node *target) {
    Node *n = node_nn(ps, N_withitem, expr, target);
    n->v.withitem.context_expr = expr;
    n->v.withitem.optional_vars = target;
    node_list_push(ps->arena, &ps->with_markers, n);
    return n;
}

/* Any `a as b` that no with statement claimed is a syntax error at `as`. */
void check_as_markers(ParseState *ps) {
    for (int i = 0; i < ps->with_markers.len; i++) {
        Node *m = ps->with_markers.items[i];
        if (m->parenthesized & MARKER_CLAIMED) continue;
        const Node *e = m->v.withitem.context_expr;
        const char *eol;
        const char *line = find_line(ps->buf, ps->len, e->end_line, &eol);
        int col = e->end_col;
        while (line && line + col < eol && (line[col] == ' ' || line[col] == '\t')) col++;
        parser_error_at(ps, SE_SYNTAX, e->end_line, col, e->end_line, col + 2, "invalid syntax");
        return;
    }
}

Node *mk_keyword_arg(ParseState *ps, Node *name, const Token *eq, Node *value) {
    if (name->kind != N_Name || name->parenthesized) {
        int l, c;
        start_of(ps, name, &l, &c);
        if (name->kind == N_Constant && (name->v.constant.kind == CONST_TRUE ||
            name->v.constant.kind == CONST_FALSE || name->v.constant.kind == CONST_NONE)) {
            parser_error_at(ps, SE_SYNTAX, l, c, eq->end_line, eq->end_col, "cannot assign to %s",
                            expr_name(name));
        } else {
            parser_error_at(ps, SE_SYNTAX, l, c, eq->end_line, eq->end_col,
                            "expression cannot contain assignment, perhaps you meant \"==\"?");
        }
    }
    Node *n = node_nn(ps, N_keyword, name, value);
    n->v.keyword.arg = name->kind == N_Name ? name->v.name.id : "?";
    n->v.keyword.value = value;
    return n;
}

/* ---- parameters ---- */

Param make_param(ParseState *ps, ParamKind k, const Token *first, const Token *name,
                 Node *annotation, Node *dflt, const Token *last_tok, const Node *last_node) {
    Param p = {k, NULL, dflt, first->line, first->col, 0, 0};
    if (last_tok) { p.end_line = last_tok->end_line; p.end_col = last_tok->end_col; }
    else end_of(ps, last_node, &p.end_line, &p.end_col);
    if (name) {
        p.arg = annotation ? node_tn(ps, N_arg, name, annotation) : node_at_tok(ps, N_arg, name);
        p.arg->v.arg.arg = tok_str(ps, name);
        p.arg->v.arg.annotation = annotation;
    }
    return p;
}

void param_push(ParseState *ps, ParamList *l, Param p) {
    if (l->len == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        Param *items = arena_alloc(ps->arena, (size_t)cap * sizeof *items);
        if (l->len) memcpy(items, l->items, (size_t)l->len * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = p;
}

static void param_error(ParseState *ps, const Param *p, const char *msg) {
    int width = p->kind == P_STARSTAR ? 2 : 1;
    if (p->kind == P_PLAIN && p->arg) width = (int)strlen(p->arg->v.arg.arg);
    parser_error_at(ps, SE_SYNTAX, p->line, p->col, p->line, p->col + width, "%s", msg);
}

/* The flat parameter list becomes an `arguments` node; ordering rules as in
 * CPython 3.11 (duplicate names are left to the compiler). */
Node *mk_arguments(ParseState *ps, ParamList *params) {
    Node *a = ast_new(ps->arena, N_arguments, 0, 0, 0, 0);
    if (!params) return a;
    int seen_slash = 0, seen_star = 0, seen_kwarg = 0, seen_default = 0;
    const Param *bare_star = NULL;
    for (int i = 0; i < params->len; i++) {
        const Param *p = &params->items[i];
        if (seen_kwarg) { param_error(ps, p, "arguments cannot follow var-keyword argument"); break; }
        switch (p->kind) {
        case P_SLASH:
            if (seen_slash) param_error(ps, p, "/ may appear only once");
            else if (seen_star) param_error(ps, p, "/ must be ahead of *");
            else if (a->v.arguments.args.len == 0) param_error(ps, p, "at least one argument must precede /");
            a->v.arguments.posonlyargs = a->v.arguments.args;
            a->v.arguments.args = (NodeList){0};
            seen_slash = 1;
            break;
        case P_STAR:
            if (seen_star) { param_error(ps, p, "* argument may appear only once"); break; }
            seen_star = 1;
            a->v.arguments.vararg = p->arg;
            if (!p->arg) bare_star = p;
            break;
        case P_STARSTAR:
            a->v.arguments.kwarg = p->arg;
            seen_kwarg = 1;
            break;
        case P_PLAIN:
            if (seen_star) {
                node_list_push(ps->arena, &a->v.arguments.kwonlyargs, p->arg);
                node_list_push(ps->arena, &a->v.arguments.kw_defaults, p->dflt);
                bare_star = NULL;
            } else {
                node_list_push(ps->arena, &a->v.arguments.args, p->arg);
                if (p->dflt) {
                    node_list_push(ps->arena, &a->v.arguments.defaults, p->dflt);
                    seen_default = 1;
                } else if (seen_default) {
                    param_error(ps, p, "non-default argument follows default argument");
                }
            }
            break;
        }
    }
    if (bare_star) param_error(ps, bare_star, "named arguments must follow bare *");
    return a;
}

Node *mk_lambda(ParseState *ps, const Token *kw, ParamList *params, Node *body) {
    Node *n = node_tn(ps, N_Lambda, kw, body);
    n->v.lambda.args = mk_arguments(ps, params);
    n->v.lambda.body = body;
    return n;
}

/* ==== targets ======================================================================== */

/* Turn a parsed expression into an assignment/deletion target, or report
 * CPython's message for the innermost node that cannot be one. */
void set_context(ParseState *ps, Node *n, ExprContext ctx, TargetUse use) {
    switch (n->kind) {
    case N_Name: n->v.name.ctx = ctx; return;
    case N_Attribute: n->v.attribute.ctx = ctx; return;
    case N_Subscript: n->v.subscript.ctx = ctx; return;
    case N_Starred:
        if (use == T_DEL) { parser_error_node(ps, n, "cannot delete starred"); return; }
        n->v.starred.ctx = ctx;
        set_context(ps, n->v.starred.value, ctx, use);
        return;
    case N_Tuple: case N_List:
        n->v.seq.ctx = ctx;
        for (int i = 0; i < n->v.seq.elts.len; i++) set_context(ps, n->v.seq.elts.items[i], ctx, use);
        return;
    default:
        if (use == T_DEL) parser_error_node(ps, n, "cannot delete %s", expr_name(n));
        else parser_error_node(ps, n, "cannot assign to %s", expr_name(n));
        return;
    }
}

static void check_not_starred(ParseState *ps, Node *n) {
    if (n->kind == N_Starred) parser_error_node(ps, n, "can't use starred expression here");
}

/* ==== statement builders ================================================================ */

Node *mk_expr_stmt(ParseState *ps, Node *value) {
    check_not_starred(ps, value);
    Node *n = node_nn(ps, N_Expr, value, value);
    n->v.expr.value = value;
    return n;
}

/* Kinds that CPython's invalid_named_expression rule sees as a `bitwise_or`,
 * for which `x = y` gets the "Maybe you meant '=='" hint. */
static int is_bitwise_or_level(const Node *n) {
    if (n->parenthesized) return 1;
    switch (n->kind) {
    case N_Compare: case N_BoolOp: case N_IfExp: case N_Lambda: case N_NamedExpr:
    case N_Yield: case N_YieldFrom: case N_Starred: case N_Tuple:
        return 0;
    case N_UnaryOp: return n->v.unaryop.op != UOP_NOT;
    default: return 1;
    }
}

/* The first node in `n` that cannot be assigned to (CPython's
 * _PyPegen_get_invalid_target), or NULL. */
static Node *invalid_target(Node *n) {
    for (;;) {
        switch (n->kind) {
        case N_Name: case N_Attribute: case N_Subscript: return NULL;
        case N_Starred: n = n->v.starred.value; continue;
        case N_Tuple: case N_List:
            for (int i = 0; i < n->v.seq.elts.len; i++) {
                Node *bad = invalid_target(n->v.seq.elts.items[i]);
                if (bad) return bad;
            }
            return NULL;
        default: return n;
        }
    }
}

static int is_true_false_none(const Node *n) {
    return n->kind == N_Constant && (n->v.constant.kind == CONST_TRUE ||
           n->v.constant.kind == CONST_FALSE || n->v.constant.kind == CONST_NONE);
}

Node *mk_assign(ParseState *ps, NodeList *chain) {
    Node *value = chain->items[chain->len - 1];
    check_not_starred(ps, value);
    Node *first = chain->items[0];
    for (int i = 0; i < chain->len - 1; i++) {
        Node *t = chain->items[i];
        if ((t->kind == N_Yield || t->kind == N_YieldFrom) && !t->parenthesized) {
            parser_error_node(ps, t, "assignment to yield expression not possible");
        }
    }
    if (chain->len == 2) {
        /* `x + 1 = 2`: the bad node right before '=' gets CPython's hint. */
        Node *bad = invalid_target(first);
        int bl, bc, tl, tc;
        if (bad) {
            end_of(ps, bad, &bl, &bc);
            end_of(ps, first, &tl, &tc);
        }
        if (bad && bl == tl && bc == tc && is_bitwise_or_level(bad) && is_bitwise_or_level(value) &&
            !is_true_false_none(bad) && bad->kind != N_GeneratorExp && !(bad->parenthesized & 1)) {
            parser_error_node(ps, bad, "cannot assign to %s here. Maybe you meant '==' instead of '='?",
                              expr_name(bad));
        }
    }
    Node *n = node_nn(ps, N_Assign, first, value);
    for (int i = 0; i < chain->len - 1; i++) {
        Node *t = chain->items[i];
        if (t->kind == N_Starred) {
            parser_error_node(ps, t, "starred assignment target must be in a list or tuple");
        }
        set_context(ps, t, CTX_STORE, T_ASSIGN);
        node_list_push(ps->arena, &n->v.assign.targets, t);
    }
    n->v.assign.value = value;
    return n;
}

Node *mk_augassign(ParseState *ps, Node *target, BinOpKind op, Node *value) {
    if (target->kind != N_Name && target->kind != N_Attribute && target->kind != N_Subscript) {
        parser_error_node(ps, target, "'%s' is an illegal expression for augmented assignment",
                          expr_name(target));
    } else {
        set_context(ps, target, CTX_STORE, T_AUG);
    }
    check_not_starred(ps, value);
    Node *n = node_nn(ps, N_AugAssign, target, value);
    n->v.augassign.target = target;
    n->v.augassign.op = op;
    n->v.augassign.value = value;
    return n;
}

Node *mk_annassign(ParseState *ps, Node *target, Node *annotation, Node *value) {
    if (target->kind == N_Tuple) {
        parser_error_node(ps, target, "only single target (not tuple) can be annotated");
    } else if (target->kind == N_List) {
        parser_error_node(ps, target, "only single target (not list) can be annotated");
    } else if (target->kind != N_Name && target->kind != N_Attribute && target->kind != N_Subscript) {
        parser_error_node(ps, target, "illegal target for annotation");
    } else {
        set_context(ps, target, CTX_STORE, T_ASSIGN);
    }
    Node *n = node_nn(ps, N_AnnAssign, target, value ? value : annotation);
    n->v.annassign.target = target;
    n->v.annassign.annotation = annotation;
    n->v.annassign.value = value;
    n->v.annassign.simple = target->kind == N_Name && !target->parenthesized;
    return n;
}

static Node *claim_withitem(ParseState *ps, Node *e) {
    Node *w;
    if (e->kind == N_withitem) {
        w = e;
        w->parenthesized |= MARKER_CLAIMED;
    } else {
        w = node_nn(ps, N_withitem, e, e);
        w->v.withitem.context_expr = e;
    }
    if (w->v.withitem.optional_vars) set_context(ps, w->v.withitem.optional_vars, CTX_STORE, T_WITH);
    return w;
}

Node *mk_with(ParseState *ps, const Token *kw, NodeList *items, NodeList *body) {
    Node *n = node_tn(ps, N_With, kw, NULL);
    Node *only = items->len == 1 ? items->items[0] : NULL;
    if (only && only->kind == N_Tuple && (only->parenthesized & 1) && only->v.seq.elts.len > 0) {
        /* with (a as b, c): the parentheses group the items (Python 3.9+). */
        for (int i = 0; i < only->v.seq.elts.len; i++) {
            node_list_push(ps->arena, &n->v.with.items, claim_withitem(ps, only->v.seq.elts.items[i]));
        }
    } else {
        for (int i = 0; i < items->len; i++) {
            node_list_push(ps->arena, &n->v.with.items, claim_withitem(ps, items->items[i]));
        }
    }
    n->v.with.body = *body;
    node_end_at_list(n, body);
    return n;
}

Node *mk_names_stmt(ParseState *ps, NodeKind k, const Token *kw, NodeList *names) {
    Node *n = node_tn(ps, k, kw, names->items[names->len - 1]);
    const char **ids = arena_alloc(ps->arena, (size_t)names->len * sizeof *ids);
    for (int i = 0; i < names->len; i++) ids[i] = names->items[i]->v.name.id;
    n->v.global.names = ids;
    n->v.global.count = names->len;
    return n;
}

Node *mk_funcdef(ParseState *ps, const Token *kw, const Token *name, ParamList *params,
                 Node *returns, NodeList *body) {
    Node *n = node_tn(ps, N_FunctionDef, kw, NULL);
    n->v.funcdef.name = tok_str(ps, name);
    n->v.funcdef.args = mk_arguments(ps, params);
    n->v.funcdef.returns = returns;
    n->v.funcdef.body = *body;
    node_end_at_list(n, body);
    return n;
}

Node *mk_classdef(ParseState *ps, const Token *kw, const Token *name, NodeList *args,
                  NodeList *body) {
    Node *n = node_tn(ps, N_ClassDef, kw, NULL);
    n->v.classdef.name = tok_str(ps, name);
    if (args) {
        for (int i = 0; i < args->len; i++) {
            const Node *a = args->items[i];
            if (a->kind == N_GeneratorExp && a->parenthesized == BARE_GENEXP) {
                bare_genexp_error(ps, a, "invalid syntax");
            }
        }
        split_args(ps, args, &n->v.classdef.bases, &n->v.classdef.keywords, NULL);
    }
    n->v.classdef.body = *body;
    node_end_at_list(n, body);
    return n;
}

Node *mk_dotted_alias(ParseState *ps, Dotted *d, const Token *asname) {
    Node *n = ast_new(ps->arena, N_alias, d->line, d->col, d->end_line, d->end_col);
    n->v.alias.name = d->name;
    if (asname) {
        n->v.alias.asname = tok_str(ps, asname);
        node_end_at_tok(n, asname);
    }
    return n;
}

/* ==== string literals and f-strings =========================================================== */

/* A growable byte buffer for joining literal pieces (malloc'd, short-lived). */
typedef struct { char *data; size_t len, cap; } Buf;

static void buf_add(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { fputs("apy: out of memory\n", stderr); abort(); }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Line and byte column of offset `off` inside a (possibly multi-line) token. */
static void pos_in_token(const Token *t, int off, int *line, int *col) {
    int l = t->line, c = t->col;
    for (int i = 0; i < off && i < t->len; i++) {
        char ch = t->start[i];
        if (ch == '\n' || (ch == '\r' && !(i + 1 < t->len && t->start[i + 1] == '\n'))) {
            l++;
            c = 0;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

typedef struct {
    ParseState *ps;
    const Token *tok;          /* the whole STRING token */
    const char *body;          /* between the quotes */
    int body_off;              /* offset of body within the token text */
    int len;
    int raw;
    const Token *span;         /* the merged span all parts get (CPython 3.11) */
    NodeList *parts;           /* Constant and FormattedValue nodes */
    Buf lit;                   /* pending literal text */
} FStr;

/* CPython 3.11 reports f-string scanning errors just past the string. */
static void fstr_error(FStr *f, int off, const char *msg) {
    (void)off;
    const Token *t = f->tok;
    parser_error_at(f->ps, SE_SYNTAX, t->end_line, t->end_col, t->end_line, t->end_col + 1, "%s", msg);
}

static void error_after_token(ParseState *ps, const Token *t, const char *msg) {
    parser_error_at(ps, SE_SYNTAX, t->end_line, t->end_col, t->end_line, t->end_col + 1, "%s", msg);
}

static Node *str_constant(ParseState *ps, const Token *span, const char *s, size_t n) {
    Node *c = node_tt(ps, N_Constant, span, span);
    c->v.constant.kind = CONST_STR;
    c->v.constant.s = arena_strndup(ps->arena, s ? s : "", n);
    c->v.constant.len = n;
    return c;
}

static void fstr_flush(FStr *f) {
    if (f->lit.len == 0) return;
    node_list_push(f->ps->arena, f->parts, str_constant(f->ps, f->span, f->lit.data, f->lit.len));
    f->lit.len = 0;
}

/* Decode escapes in body[from, to) and add to the pending literal. */
static int fstr_literal(FStr *f, int from, int to) {
    if (to <= from) return 0;
    const char *out;
    size_t out_len, bad;
    char msg[200];
    if (lexer_decode_string(f->ps->arena, f->body + from, (size_t)(to - from), f->raw, 0,
                            &out, &out_len, msg, sizeof msg, &bad) < 0) {
        error_after_token(f->ps, f->tok, msg);
        return -1;
    }
    buf_add(&f->lit, out, out_len);
    return 0;
}

static Node *parse_fstring_expr(ParseState *ps, const Token *tok, int off, const char *text,
                                int len);
static int fstr_parts(FStr *f, int i, int in_spec, int spec_depth);

/* Parse one replacement field starting at the '{' at body[i]; returns the
 * index after its closing '}', or -1. */
static int fstr_field(FStr *f, int i, int spec_depth) {
    const char *b = f->body;
    if (spec_depth >= 2) { fstr_error(f, i, "f-string: expressions nested too deeply"); return -1; }
    int n = f->len, j = i + 1, nest = 0;
    char quote = 0;
    int triple = 0;
    for (; j < n; j++) {
        char c = b[j];
        if (quote) {
            if (c == quote && (!triple || (j + 2 < n && b[j + 1] == quote && b[j + 2] == quote))) {
                if (triple) j += 2;
                quote = 0;
            }
            continue;
        }
        if (c == '\\') { fstr_error(f, j, "f-string expression part cannot include a backslash"); return -1; }
        if (c == '#') { fstr_error(f, j, "f-string expression part cannot include '#'"); return -1; }
        if (c == '\'' || c == '"') {
            quote = c;
            triple = j + 2 < n && b[j + 1] == c && b[j + 2] == c;
            if (triple) j += 2;
            continue;
        }
        if (c == '(' || c == '[' || c == '{') { nest++; continue; }
        if (c == ')' || c == ']' || c == '}') {
            if (nest == 0) {
                if (c == '}') break;
                char msg[40];
                snprintf(msg, sizeof msg, "f-string: unmatched '%c'", c);
                fstr_error(f, j, msg);
                return -1;
            }
            nest--;
            continue;
        }
        if (nest == 0) {
            if (c == '!' && !(j + 1 < n && b[j + 1] == '=')) break;
            if (c == ':') break;
            if (c == '=' && !(j + 1 < n && b[j + 1] == '=') &&
                !(j > i + 1 && strchr("=!<>", b[j - 1]))) break;
        }
    }
    if (quote) { fstr_error(f, j < n ? j : n, "f-string: unterminated string"); return -1; }
    if (j >= n) { fstr_error(f, n, "f-string: expecting '}'"); return -1; }

    int expr_start = i + 1, expr_end = j;
    int blank = 1;
    for (int k = expr_start; k < expr_end; k++) {
        if (!strchr(" \t\n\r\f", b[k])) { blank = 0; break; }
    }
    if (blank) { fstr_error(f, j, "f-string: empty expression not allowed"); return -1; }

    int self_doc = 0;
    if (b[j] == '=') {
        /* f"{x = }": the text up to and after '=' becomes literal text. */
        self_doc = 1;
        j++;
        while (j < n && strchr(" \t\n\r\f", b[j])) j++;
        buf_add(&f->lit, b + expr_start, (size_t)(j - expr_start));
    }
    fstr_flush(f);
    Node *value = parse_fstring_expr(f->ps, f->tok, f->body_off + expr_start, b + expr_start,
                                     expr_end - expr_start);
    if (!value) return -1;

    int conversion = -1;
    if (j < n && b[j] == '!') {
        char c = j + 1 < n ? b[j + 1] : 0;
        if (!(c == 's' || c == 'r' || c == 'a')) {
            fstr_error(f, j + 1, "f-string: invalid conversion character: expected 's', 'r', or 'a'");
            return -1;
        }
        conversion = c;
        j += 2;
    }
    Node *spec = NULL;
    if (j < n && b[j] == ':') {
        NodeList spec_parts = {0};
        /* CPython 3.11's spans, odd as they are: parts of a spec span the
         * whole string, except a trailing literal, which spans its own token. */
        FStr sf = *f;
        sf.parts = &spec_parts;
        sf.lit = (Buf){0};
        int end = fstr_parts(&sf, j + 1, 1, spec_depth + 1);
        sf.span = f->tok;
        fstr_flush(&sf);
        free(sf.lit.data);
        if (end < 0) return -1;
        spec = node_tt(f->ps, N_JoinedStr, f->tok, f->tok);
        spec->v.joinedstr.values = spec_parts;
        j = end;
    }
    if (j >= n || b[j] != '}') { fstr_error(f, j, "f-string: expecting '}'"); return -1; }
    if (self_doc && conversion == -1 && !spec) conversion = 'r';

    Node *fv = node_tt(f->ps, N_FormattedValue, f->span, f->span);
    fv->v.formatted.value = value;
    fv->v.formatted.conversion = conversion;
    fv->v.formatted.format_spec = spec;
    node_list_push(f->ps->arena, f->parts, fv);
    return j + 1;
}

/* Literal text and fields from body[i]; in a format spec, stop at the '}'
 * that closes the field and return its index. */
static int fstr_parts(FStr *f, int i, int in_spec, int spec_depth) {
    const char *b = f->body;
    int n = f->len, run = i;
    while (i < n) {
        char c = b[i];
        if (!f->raw && c == '\\' && i + 1 < n) {
            if (b[i + 1] == 'N' && i + 2 < n && b[i + 2] == '{') {     /* \N{NAME}: not a field */
                const char *close = memchr(b + i, '}', (size_t)(n - i));
                i = close ? (int)(close - b) + 1 : n;
            } else {
                i += 2;
            }
            continue;
        }
        if (c == '{' || c == '}') {
            if (fstr_literal(f, run, i) < 0) return -1;
            if (!in_spec && i + 1 < n && b[i + 1] == c) {     /* {{ and }} */
                buf_add(&f->lit, &c, 1);
                i += 2;
                run = i;
                continue;
            }
            if (c == '}') {
                if (in_spec) return i;
                fstr_error(f, i, "f-string: single '}' is not allowed");
                return -1;
            }
            i = fstr_field(f, i, spec_depth);
            if (i < 0) return -1;
            run = i;
            continue;
        }
        i++;
    }
    if (fstr_literal(f, run, n) < 0) return -1;
    if (in_spec) { fstr_error(f, n, "f-string: expecting '}'"); return -1; }
    return n;
}

static int string_body(const Token *t, StrPrefix *sp, const char **body, int *len) {
    *sp = lexer_string_prefix(t->start, t->len);
    int off = sp->prefix_len + sp->quote_len;
    *body = t->start + off;
    *len = t->len - off - sp->quote_len;
    return off;
}

/* Adjacent STRING tokens become one Constant, or one JoinedStr if any is an
 * f-string. */
static Node *build_string(ParseState *ps, Token *toks, int count, const Token *span) {
    StrPrefix first;
    const char *body;
    int len;
    string_body(&toks[0], &first, &body, &len);
    int any_f = 0;
    for (int i = 0; i < count; i++) {
        StrPrefix sp = lexer_string_prefix(toks[i].start, toks[i].len);
        if (sp.bytes != first.bytes) {
            error_after_token(ps, span, "cannot mix bytes and nonbytes literals");
            return NULL;
        }
        any_f |= sp.fstring;
    }
    if (!any_f) {
        Buf all = {0};
        for (int i = 0; i < count; i++) {
            StrPrefix sp;
            string_body(&toks[i], &sp, &body, &len);
            const char *out;
            size_t out_len, bad;
            char msg[200];
            if (lexer_decode_string(ps->arena, body, (size_t)len, sp.raw, sp.bytes, &out, &out_len,
                                    msg, sizeof msg, &bad) < 0) {
                error_after_token(ps, &toks[i], msg);
                free(all.data);
                return NULL;
            }
            if (count == 1) {
                Node *c = node_tt(ps, N_Constant, span, span);
                c->v.constant.kind = sp.bytes ? CONST_BYTES : CONST_STR;
                c->v.constant.s = out;
                c->v.constant.len = out_len;
                return c;
            }
            buf_add(&all, out, out_len);
        }
        Node *c = node_tt(ps, N_Constant, span, span);
        c->v.constant.kind = first.bytes ? CONST_BYTES : CONST_STR;
        c->v.constant.s = arena_strndup(ps->arena, all.data ? all.data : "", all.len);
        c->v.constant.len = all.len;
        free(all.data);
        return c;
    }
    NodeList parts = {0};
    FStr f = {0};
    f.ps = ps;
    f.span = span;
    f.parts = &parts;
    for (int i = 0; i < count && !ps->failed; i++) {
        StrPrefix sp;
        f.tok = &toks[i];
        f.body_off = string_body(&toks[i], &sp, &f.body, &f.len);
        f.raw = sp.raw;
        if (sp.fstring) {
            fstr_parts(&f, 0, 0, 0);
        } else {
            fstr_literal(&f, 0, f.len);
        }
    }
    fstr_flush(&f);
    free(f.lit.data);
    if (ps->failed) return NULL;
    Node *j = node_tt(ps, N_JoinedStr, span, span);
    j->v.joinedstr.values = parts;
    return j;
}

/* ==== the driver ================================================================================= */

typedef struct TokenSource {
    Lexer lx;
    Token held;                /* a token read ahead while merging strings */
    int has_held;
    Token *strs;               /* scratch for adjacent string tokens */
    int nstrs, cap;
    int map_line, map_col;     /* f-string sub-lexer: where its text sits; 0 = none */
} TokenSource;

static void map_token(TokenSource *src, Token *t) {
    if (!src->map_line) return;
    if (t->line == 1) t->col += src->map_col;
    if (t->end_line == 1) t->end_col += src->map_col;
    t->line += src->map_line - 1;
    t->end_line += src->map_line - 1;
}

static int raw_next(TokenSource *src, Token *t) {
    if (src->has_held) {
        *t = src->held;
        src->has_held = 0;
        return t->kind;
    }
    int k = lexer_next(&src->lx, t);
    if (k >= 0) map_token(src, t);
    return k;
}

/* The next token for the parser: adjacent strings merged into one STRING
 * carrying its node, numbers carrying theirs. */
static int next_token(ParseState *ps, TokenSource *src, Token *t) {
    int k = raw_next(src, t);
    if (k == TK_NUMBER) {
        t->node = node_at_tok(ps, N_Constant, t);
        lexer_decode_number(ps->arena, t->start, t->len, &t->node->v.constant);
        return k;
    }
    if (k != TK_STRING) return k;
    src->nstrs = 0;
    Token cur = *t;
    for (;;) {
        if (src->nstrs == src->cap) {
            src->cap = src->cap ? src->cap * 2 : 8;
            src->strs = realloc(src->strs, (size_t)src->cap * sizeof *src->strs);
            if (!src->strs) { fputs("apy: out of memory\n", stderr); abort(); }
        }
        src->strs[src->nstrs++] = cur;
        Token nx;
        int nk = raw_next(src, &nx);
        if (nk != TK_STRING) {
            if (nk < 0) return -1;
            src->held = nx;
            src->has_held = 1;
            break;
        }
        cur = nx;
    }
    Token span = src->strs[0];
    span.end_line = src->strs[src->nstrs - 1].end_line;
    span.end_col = src->strs[src->nstrs - 1].end_col;
    span.len = (int)(src->strs[src->nstrs - 1].start + src->strs[src->nstrs - 1].len - span.start);
    Node *n = build_string(ps, src->strs, src->nstrs, &span);
    if (!n) return -1;
    *t = span;
    t->node = n;
    return TK_STRING;
}

static int is_compound_keyword(int k) {
    return k == TK_IF || k == TK_ELIF || k == TK_ELSE || k == TK_WHILE || k == TK_FOR ||
           k == TK_TRY || k == TK_EXCEPT || k == TK_FINALLY || k == TK_WITH || k == TK_DEF ||
           k == TK_CLASS || k == TK_ASYNC;
}

static int can_end_expression(int k) {
    return k == TK_NAME || k == TK_NUMBER || k == TK_STRING || k == TK_RPAR || k == TK_RSQB ||
           k == TK_RBRACE || k == TK_NONE || k == TK_TRUE || k == TK_FALSE || k == TK_ELLIPSIS;
}

static int can_start_expression(int k) {
    return k == TK_NAME || k == TK_NUMBER || k == TK_STRING || k == TK_LPAR || k == TK_LSQB ||
           k == TK_LBRACE || k == TK_NONE || k == TK_TRUE || k == TK_FALSE || k == TK_ELLIPSIS ||
           k == TK_TILDE || k == TK_NOT || k == TK_LAMBDA || k == TK_AWAIT;
}

/* Remember what the error messages need, before feeding `t`. */
static void track_token(ParseState *ps, const Token *t) {
    int k = t->kind;
    if (ps->elem_pending) {
        ps->elem_start[ps->bracket_depth].line = t->line;
        ps->elem_start[ps->bracket_depth].col = t->col;
        ps->elem_pending = 0;
    }
    if (k == TK_LPAR || k == TK_LSQB || k == TK_LBRACE) {
        if (ps->bracket_depth < LEX_MAX_PAREN + 1) ps->bracket_depth++;
        ps->bracket_kind[ps->bracket_depth] = *t->start;
        ps->elem_pending = 1;
    } else if (k == TK_RPAR || k == TK_RSQB || k == TK_RBRACE) {
        if (ps->bracket_depth > 0) ps->bracket_depth--;
    } else if ((k == TK_COMMA || k == TK_COLON) && ps->bracket_depth > 0) {
        ps->elem_pending = 1;          /* a dict value or slice part starts anew too */
    }
    if (k == TK_NEWLINE || k == TK_INDENT || k == TK_DEDENT) {
        if (k == TK_INDENT && ps->depth < LEX_MAX_INDENT) ps->depth++;
        if (k == TK_DEDENT && ps->depth > 0) ps->depth--;
        ps->line_index = 0;
        return;
    }
    if (ps->line_index == 0) {
        ps->line_first = *t;
        if (is_compound_keyword(k)) {
            ps->headers[ps->depth].kind = k;
            ps->headers[ps->depth].line = t->line;
            ps->headers[ps->depth].col = t->col;
        }
    } else if (ps->line_index == 1) {
        ps->line_second = *t;
        if (ps->line_first.kind == TK_ASYNC) ps->headers[ps->depth].kind = k;
    }
    ps->line_index++;
}

static const char *header_name(int kind, char *buf, size_t size) {
    switch (kind) {
    case TK_DEF: return "function definition";
    case TK_CLASS: return "class definition";
    case TK_IF: snprintf(buf, size, "'if' statement"); break;
    case TK_ELIF: snprintf(buf, size, "'elif' statement"); break;
    case TK_ELSE: snprintf(buf, size, "'else' statement"); break;
    case TK_WHILE: snprintf(buf, size, "'while' statement"); break;
    case TK_FOR: snprintf(buf, size, "'for' statement"); break;
    case TK_TRY: snprintf(buf, size, "'try' statement"); break;
    case TK_EXCEPT: snprintf(buf, size, "'except' statement"); break;
    case TK_FINALLY: snprintf(buf, size, "'finally' statement"); break;
    case TK_WITH: snprintf(buf, size, "'with' statement"); break;
    default: return NULL;
    }
    return buf;
}

/* Called from %syntax_error with the token lemon could not shift. Picks the
 * most specific of CPython 3.11's messages that applies. */
void parser_syntax_error(ParseState *ps, void *parser, int kind, const Token *t) {
    if (ps->failed) return;
    int incomplete = ps->at_eof && ps->mode == PARSE_SINGLE;
    /* Past the last line CPython shows the last line, without a caret. */
    int eof_token = ps->at_eof && (kind == TK_ENDMARKER || kind == TK_DEDENT) && !ps->msg_prefix;
    int line = eof_token ? ps->prev.end_line : t->line;
    int col = eof_token ? -1 : t->col;
    int index = ps->line_index - 1;             /* t's place in its logical line */

    if (kind == TK_INDENT) {
        parser_error_at(ps, SE_INDENTATION, t->line, t->col, 0, 0, "unexpected indent");
        return;
    }
    if (ps->mode == PARSE_SINGLE && !eof_token && apy_token_acceptable(parser, TK_ENDMARKER)) {
        error_at_token(ps, SE_SYNTAX, t, "multiple statements found while compiling a single statement");
        return;
    }
    if (apy_token_acceptable(parser, TK_INDENT)) {
        char buf[40];
        int d = ps->depth + (kind == TK_DEDENT);     /* the DEDENT was counted already */
        const char *what = header_name(ps->headers[d].kind, buf, sizeof buf);
        if (what) {
            parser_error_at(ps, SE_INDENTATION, line, col, line, col + 1,
                            "expected an indented block after %s on line %d", what,
                            ps->headers[d].line);
        } else {
            parser_error_at(ps, SE_INDENTATION, line, col, line, col + 1, "expected an indented block");
        }
        ps->err->incomplete = incomplete;
        return;
    }
    int fk = ps->line_first.kind;
    if (apy_token_acceptable(parser, TK_COLON) && (kind == TK_NEWLINE ||
        (ps->bracket_depth == 0 && (fk == TK_TRY || fk == TK_FINALLY || fk == TK_ELSE ||
                                    fk == TK_FOR || fk == TK_CLASS)))) {
        error_at_token(ps, SE_SYNTAX, t, "expected ':'");
        return;
    }
    if (fk == TK_DEF && index == 2 && kind != TK_LPAR) {
        error_at_token(ps, SE_SYNTAX, t, "expected '('");
        return;
    }
    if (kind == TK_COMMA && fk == TK_EXCEPT && ps->bracket_depth == 0 && index >= 2) {
        parser_error_at(ps, SE_SYNTAX, ps->line_second.line, ps->line_second.col, t->end_line,
                        t->end_col, "multiple exception types must be parenthesized");
        return;
    }
    int inner = ps->bracket_depth + (kind == TK_RBRACE);   /* the '}' was counted already */
    if ((kind == TK_RBRACE || kind == TK_COMMA) && inner > 0 && ps->bracket_kind[inner] == '{' &&
        can_end_expression(ps->prev.kind) && apy_token_acceptable(parser, TK_COLON)) {
        error_at_token(ps, SE_SYNTAX, &ps->prev, "':' expected after dictionary key");
        return;
    }
    if ((kind == TK_RBRACE || kind == TK_COMMA) && ps->prev.kind == TK_COLON && inner > 0 &&
        ps->bracket_kind[inner] == '{') {
        error_at_token(ps, SE_SYNTAX, &ps->prev, "expression expected after dictionary key and ':'");
        return;
    }
    const Token *first = &ps->line_first;
    if (index == 1 && first->kind == TK_NAME && can_start_expression(kind) &&
        ((first->len == 5 && memcmp(first->start, "print", 5) == 0) ||
         (first->len == 4 && memcmp(first->start, "exec", 4) == 0))) {
        const char *eol;
        const char *text = find_line(ps->buf, ps->len, t->line, &eol);
        int end = text ? (int)(eol - text) : t->end_col;
        while (text && end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t')) end--;
        parser_error_at(ps, SE_SYNTAX, first->line, first->col, t->line, end,
                        "Missing parentheses in call to '%.*s'. Did you mean %.*s(...)?",
                        first->len, first->start, first->len, first->start);
        return;
    }
    if (kind != TK_EXCEPT && kind != TK_FINALLY && apy_token_acceptable(parser, TK_EXCEPT) &&
        apy_token_acceptable(parser, TK_FINALLY) && !apy_token_acceptable(parser, TK_ELSE)) {
        parser_error_at(ps, SE_SYNTAX, line, col, line, col + 1, "expected 'except' or 'finally' block");
        ps->err->incomplete = incomplete;
        return;
    }
    if (kind != TK_ELSE && ps->ifexp_body && apy_token_acceptable(parser, TK_ELSE) &&
        !apy_token_acceptable(parser, TK_NEWLINE) && !apy_token_acceptable(parser, TK_COLON)) {
        int l, c;
        start_of(ps, ps->ifexp_body, &l, &c);
        parser_error_at(ps, SE_SYNTAX, l, c, ps->prev.end_line, ps->prev.end_col,
                        "expected 'else' after 'if' expression");
        return;
    }
    if (kind == TK_EQUAL && ps->prev.kind == TK_NAME && ps->bracket_depth == 0 &&
        (first->kind == TK_IF || first->kind == TK_ELIF || first->kind == TK_WHILE) && index == 2) {
        parser_error_at(ps, SE_SYNTAX, ps->prev.line, ps->prev.col, t->end_line, t->end_col,
                        "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
        return;
    }
    /* Like CPython's invalid_expression rule: two expressions side by side
     * inside brackets. (Not probed: lemon may have reduced past the point
     * where a comma would have fitted.) */
    int d = ps->bracket_depth - (kind == TK_LPAR || kind == TK_LSQB || kind == TK_LBRACE);
    if (d > 0 && can_end_expression(ps->prev.kind) && can_start_expression(kind)) {
        parser_error_at(ps, SE_SYNTAX, ps->elem_start[d].line, ps->elem_start[d].col,
                        t->end_line, t->end_col, "invalid syntax. Perhaps you forgot a comma?");
        return;
    }
    parser_error_at(ps, SE_SYNTAX, line, col, eof_token ? 0 : t->end_line, t->end_col, "invalid syntax");
    ps->err->incomplete = incomplete;
}

/* Feed every token of `src` to a fresh lemon parser after `start`. */
static void run_parser(ParseState *ps, TokenSource *src, int start) {
    void *parser = ApyParseAlloc(malloc);
    if (!parser) { fputs("apy: out of memory\n", stderr); abort(); }
    Token t;
    memset(&t, 0, sizeof t);
    t.line = 1;
    ApyParse(parser, start, t, ps);
    for (;;) {
        int k = next_token(ps, src, &t);
        if (k < 0) { ps->failed = 1; break; }
        ps->at_eof = src->lx.cur >= src->lx.end && !src->has_held;
        track_token(ps, &t);
        ApyParse(parser, k, t, ps);
        if (ps->failed) break;
        if (k != TK_DEDENT && k != TK_INDENT) ps->prev = t;
        if (k == TK_ENDMARKER) {
            ApyParse(parser, 0, t, ps);
            break;
        }
    }
    ApyParseFree(parser, free);
    free(src->strs);
    src->strs = NULL;
}

/* Sub-parse the expression of an f-string field, positioned inside the token. */
static Node *parse_fstring_expr(ParseState *ps, const Token *tok, int off, const char *text,
                                int len) {
    if (ps->fstring_depth >= FSTRING_MAX_DEPTH) {
        error_at_token(ps, SE_SYNTAX, tok, "f-string: expressions nested too deeply");
        return NULL;
    }
    char *copy = malloc((size_t)len + 8);
    if (!copy) { fputs("apy: out of memory\n", stderr); abort(); }
    memcpy(copy, text, (size_t)len);
    memset(copy + len, 0, 8);

    ParseState sub;
    memset(&sub, 0, sizeof sub);
    sub.arena = ps->arena;
    sub.buf = ps->buf;
    sub.len = ps->len;
    sub.filename = ps->filename;
    sub.err = ps->err;
    sub.fstring_depth = ps->fstring_depth + 1;
    sub.msg_prefix = "f-string: ";
    sub.mode = PARSE_EVAL;
    sub.bracket_depth = 1;      /* CPython parses the field as "(expr)" */
    sub.elem_pending = 1;

    TokenSource src;
    memset(&src, 0, sizeof src);
    lexer_init(&src.lx, copy, (size_t)len, ps->filename, ps->err);
    src.lx.at_line_start = 0;
    src.lx.fstring = 1;
    src.lx.paren_depth = 1;
    src.lx.parens[0].ch = '(';
    src.lx.src_buf = ps->buf;
    src.lx.src_len = ps->len;
    pos_in_token(tok, off, &src.lx.base_line, &src.lx.base_col);
    src.map_line = src.lx.base_line;
    src.map_col = src.lx.base_col;

    run_parser(&sub, &src, TK_START_FSTRING);
    if (!sub.failed) check_as_markers(&sub);
    free(sub.parens.slots);
    free(copy);
    if (sub.failed || !sub.result) {
        ps->failed = 1;
        return NULL;
    }
    return sub.result;
}

/* ==== entry points =================================================================================== */

/* The input must be NUL-free UTF-8; returns a NUL-terminated copy without a
 * BOM, or NULL with err filled. */
static char *prepare_source(const char *src, size_t len, const char *filename, SyntaxErr *err,
                            size_t *out_len) {
    memset(err, 0, sizeof *err);
    const unsigned char *s = (const unsigned char *)src;
    size_t start = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) start = 3;
    int line = 1;
    for (size_t i = start; i < len;) {
        unsigned char c = s[i];
        if (c == '\n') line++;
        if (c == 0) {
            frontend_error(err, SE_SYNTAX, src + start, len - start, filename, line, -1, 0, 0,
                           "source code cannot contain null bytes");
            return NULL;
        }
        if (c < 0x80) { i++; continue; }
        int need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else {
            frontend_error(err, SE_SYNTAX, NULL, 0, filename, line, -1, 0, 0,
                           "(unicode error) 'utf-8' codec can't decode byte 0x%02x in position %zu: "
                           "invalid start byte", c, i - start);
            return NULL;
        }
        for (int k = 1; k <= need; k++) {
            if (i + (size_t)k >= len) {
                frontend_error(err, SE_SYNTAX, NULL, 0, filename, line, -1, 0, 0,
                               "(unicode error) 'utf-8' codec can't decode byte 0x%02x in position "
                               "%zu: unexpected end of data", c, i - start);
                return NULL;
            }
            unsigned char cc = s[i + (size_t)k];
            if (cc < (k == 1 ? lo : 0x80) || cc > (k == 1 ? hi : 0xBF)) {
                frontend_error(err, SE_SYNTAX, NULL, 0, filename, line, -1, 0, 0,
                               "(unicode error) 'utf-8' codec can't decode byte 0x%02x in position "
                               "%zu: invalid continuation byte", c, i - start);
                return NULL;
            }
        }
        i += (size_t)need + 1;
    }
    size_t n = len - start;
    char *copy = malloc(n + 8);
    if (!copy) { fputs("apy: out of memory\n", stderr); abort(); }
    memcpy(copy, src + start, n);
    memset(copy + n, 0, 8);
    *out_len = n;
    return copy;
}

/* After a parser error CPython tokenizes the rest of the file, and an error
 * the tokenizer finds there ("'(' was never closed", a bad literal, ...)
 * replaces the parser's: it is usually the real cause. */
static void prefer_lexer_error(Lexer *lx, SyntaxErr *err) {
    SyntaxErr later;
    memset(&later, 0, sizeof later);
    lx->err = &later;
    Token t;
    int k;
    while ((k = lexer_next(lx, &t)) >= 0 && k != TK_ENDMARKER) {}
    lx->err = err;
    if (k < 0) {
        syntax_error_free(err);
        *err = later;
    } else {
        syntax_error_free(&later);
    }
}

/* The REPL finishes a compound statement with an empty line. */
static int ends_with_blank_line(const char *buf, size_t len) {
    size_t i = len;
    while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t' || buf[i - 1] == '\f')) i--;
    if (i == 0 || (buf[i - 1] != '\n' && buf[i - 1] != '\r')) return 0;
    i--;
    if (i > 0 && buf[i] == '\n' && buf[i - 1] == '\r') i--;
    while (i > 0 && (buf[i - 1] == ' ' || buf[i - 1] == '\t' || buf[i - 1] == '\f')) i--;
    return i == 0 || buf[i - 1] == '\n' || buf[i - 1] == '\r';
}

static int is_compound_node(const Node *n) {
    switch (n->kind) {
    case N_If: case N_While: case N_For: case N_Try: case N_With: case N_FunctionDef:
    case N_ClassDef:
        return 1;
    default:
        return 0;
    }
}

Node *parse_source(Arena *arena, const char *src, size_t len, const char *filename,
                   ParseMode mode, SyntaxErr *err) {
    if (!filename) filename = "<string>";
    size_t n;
    char *buf = prepare_source(src, len, filename, err, &n);
    if (!buf) return NULL;
    const char *text = buf;
    size_t text_len = n;
    if (mode == PARSE_EVAL) {          /* eval() ignores leading blanks */
        while (text_len && (*text == ' ' || *text == '\t')) { text++; text_len--; }
    }

    ParseState ps;
    memset(&ps, 0, sizeof ps);
    ps.arena = arena;
    ps.buf = text;
    ps.len = text_len;
    ps.filename = filename;
    ps.err = err;
    ps.mode = mode;

    TokenSource ts;
    memset(&ts, 0, sizeof ts);
    lexer_init(&ts.lx, text, text_len, filename, err);
    int start = mode == PARSE_FILE ? TK_START_FILE : mode == PARSE_SINGLE ? TK_START_SINGLE
                                                                           : TK_START_EVAL;
    run_parser(&ps, &ts, start);
    if (ps.failed && !ts.lx.failed) prefer_lexer_error(&ts.lx, err);
    if (!ps.failed) check_as_markers(&ps);
    if (!ps.failed && !ps.result) {
        parser_error_at(&ps, SE_SYNTAX, ts.lx.line, 0, 0, 0, "invalid syntax");
    }
    if (!ps.failed && mode == PARSE_SINGLE && ps.result->v.module.body.len == 1 &&
        is_compound_node(ps.result->v.module.body.items[0]) && !ends_with_blank_line(text, text_len)) {
        parser_error_at(&ps, SE_SYNTAX, ts.lx.line, 0, 0, 0, "incomplete input");
        err->incomplete = 1;
    }
    Node *root = ps.failed ? NULL : ps.result;
    free(ps.parens.slots);
    free(buf);
    return root;
}

/* repr()-like quoting of token text for --tokens. */
static void print_token_text(FILE *out, const char *s, int len) {
    fputc('\'', out);
    for (int i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f) fprintf(out, "\\x%02x", c);
        else fputc(c, out);
    }
    fputc('\'', out);
}

int parse_dump_tokens(FILE *out, const char *src, size_t len, const char *filename,
                      SyntaxErr *err) {
    if (!filename) filename = "<string>";
    size_t n;
    char *buf = prepare_source(src, len, filename, err, &n);
    if (!buf) return -1;
    Lexer lx;
    lexer_init(&lx, buf, n, filename, err);
    Token t;
    int rc = 0;
    for (;;) {
        int k = lexer_next(&lx, &t);
        if (k < 0) { rc = -1; break; }
        char span[48];
        snprintf(span, sizeof span, "%d:%d-%d:%d", t.line, t.col, t.end_line, t.end_col);
        fprintf(out, "%-15s %-13s ", span, lexer_token_name(k));
        print_token_text(out, t.start, t.len);
        fputc('\n', out);
        if (k == TK_ENDMARKER) break;
    }
    free(buf);
    return rc;
}
