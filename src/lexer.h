/* lexer.h — the private interface between the lexer (lexer.re) and the
 * parser driver (parser.c). Nothing outside the front end includes it,
 * except the front end's unit tests.
 *
 * Owns: Token, Lexer, the token-level error helper, literal decoding.
 * Must not touch: the tree shape (ast.h) beyond making Constant payloads,
 * the grammar's actions, anything past the front end.
 *
 * Token kinds are lemon's TK_* codes from the generated apy.h, so the lexer
 * and the grammar can never disagree on a number.
 */
#ifndef APY_LEXER_H
#define APY_LEXER_H

#include <stdarg.h>
#include <stddef.h>
#include "ast.h"
#include "parse.h"

/* CPython's tokenizer limits (MAXINDENT, MAXLEVEL). */
#define LEX_MAX_INDENT 100
#define LEX_MAX_PAREN  200

typedef struct Token {
    int kind;                  /* TK_* from apy.h */
    const char *start;         /* the source text of the token (in the lexer's buffer) */
    int len;
    int line, col;             /* 1-based line, 0-based byte column */
    int end_line, end_col;     /* end_col: one past the last byte */
    Node *node;                /* parser driver: the literal or sub-tree it stands for */
} Token;

typedef struct Lexer {
    const char *buf;           /* the source; buf[len] must be '\0' */
    const char *end;           /* buf + len */
    const char *cur;           /* the next byte to scan */
    const char *line_start;    /* first byte of the current physical line */
    int line;

    int indents[LEX_MAX_INDENT + 1];      /* columns, tabs to multiples of 8 */
    int alt_indents[LEX_MAX_INDENT + 1];  /* columns, tabs counted as 1 (TabError check) */
    int depth;                 /* indents[depth] is the current level; indents[0] == 0 */
    int pending;               /* >0: INDENT to emit; <0: that many DEDENTs to emit */
    int at_line_start;         /* the next token begins a logical line: measure indentation */
    int line_has_tokens;       /* a token was emitted since the last NEWLINE */
    int done;                  /* ENDMARKER was emitted */

    int paren_depth;
    struct { char ch; int line, col; } parens[LEX_MAX_PAREN];

    const char *filename;
    SyntaxErr *err;            /* filled on the first error */
    int failed;

    /* An f-string expression is lexed from a copy of its text: as if inside
     * parentheses, ending in ENDMARKER without NEWLINE, with errors mapped
     * back to the real source (src_buf) and prefixed "f-string: ". */
    int fstring;
    const char *src_buf;
    size_t src_len;
    int base_line, base_col;   /* where the copy's line 1, column 0 sits in src_buf */
} Lexer;

/* `buf` must stay alive and have a NUL at buf[len]; it must not contain other
 * NULs nor invalid UTF-8 (parse_source checks both before lexing). */
void lexer_init(Lexer *lx, const char *buf, size_t len, const char *filename, SyntaxErr *err);

/* The next token; returns its kind, or -1 with lx->err filled. After
 * TK_ENDMARKER it keeps returning TK_ENDMARKER. */
int lexer_next(Lexer *lx, Token *t);

/* Byte length of the UTF-8 code point at s if str.isprintable() is false
 * for it (controls, format characters, separators but ' ', unassigned), else 0. */
int lexer_nonprintable_len(const char *s);

/* "NAME", "LPAR", "IF", ... (stable names for --tokens and the tests). */
const char *lexer_token_name(int kind);

/* Fill `err` for a problem at (line, byte col) .. (end_line, end byte col) of
 * `buf`. col < 0 means "no caret"; end_line 0 means no span. The message is
 * printf-style. Converts byte columns to CPython's 1-based character offsets
 * and copies the offending line. Defined in parser.c. */
void frontend_error(SyntaxErr *err, SyntaxErrKind kind, const char *buf, size_t len,
                    const char *filename, int line, int col, int end_line, int end_col,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 10, 11)))
#endif
    ;

/* ---- literal decoding (used by the parser driver; tested on its own) --------- */

/* What a string token's prefix says. */
typedef struct StrPrefix {
    int raw, bytes, fstring;
    int prefix_len;            /* letters before the quote */
    int quote_len;             /* 1 or 3 */
} StrPrefix;

StrPrefix lexer_string_prefix(const char *tok, int len);

/* Decode the body of a (non-f) string literal with Python's escapes into
 * arena memory. Returns 0, or -1 with `errmsg` set (CPython's unicode-error
 * wording) and *err_offset = byte offset within the body of the bad escape. */
int lexer_decode_string(Arena *a, const char *body, size_t len, int raw, int bytes,
                        const char **out, size_t *out_len, char *errmsg, size_t errsize,
                        size_t *err_offset);

/* Fill a Constant for a NUMBER token (int/float/imaginary). */
void lexer_decode_number(Arena *a, const char *text, int len, Constant *c);

/* ---- the parser driver <-> grammar actions (grammar/apy.y, parser.c) ---------
 * The grammar's actions stay one-liners: they call these builders, which
 * compute spans, validate targets and report CPython's messages. */

/* Parenthesized expressions keep their own span (as in CPython) but their
 * parents start or end at the parentheses: this map remembers those. */
typedef struct ParenSpan { const Node *node; int line, col, end_line, end_col; } ParenSpan;
typedef struct ParenMap { ParenSpan *slots; size_t cap, count; } ParenMap;

typedef struct ParseState {
    Arena *arena;
    const char *buf;           /* the whole source, for error lines */
    size_t len;
    const char *filename;
    SyntaxErr *err;
    int failed;                /* an error was reported; stop feeding tokens */
    Node *result;              /* the root, set by the start rule */
    NodeList with_markers;     /* `a as b` written inside parentheses (see mk_with) */
    ParenMap parens;
    int fstring_depth;         /* nesting of f-string sub-parses */
    const char *msg_prefix;    /* "f-string: " inside f-string expressions */
    ParseMode mode;

    /* What the driver remembers to word syntax errors like CPython. */
    Token prev;                /* the token fed before the current one */
    Token line_first;          /* first token of the current logical line */
    int line_index;            /* position of the current token in its logical line */
    int depth;                 /* INDENTs minus DEDENTs fed so far */
    struct { int kind, line, col; } headers[LEX_MAX_INDENT + 2]; /* compound stmt per depth */
    int bracket_depth;         /* open brackets at the current token */
    char bracket_kind[LEX_MAX_PAREN + 2]; /* '(', '[' or '{' at each depth */
    Token line_second;         /* second token of the current logical line */
    struct { int line, col; } elem_start[LEX_MAX_PAREN + 2]; /* current element in each */
    int elem_pending;          /* the next token starts an element */
    int at_eof;                /* the current token was made up at end of input */
    const Node *ifexp_body;    /* body of the latest `x if` (for "expected 'else'") */
} ParseState;

/* Values of the grammar's non-terminals that are not single nodes. */
typedef struct SeqBuild {      /* a, b, c [,] */
    NodeList elts;
    int trailing_comma;
    int end_line, end_col;     /* end of the last element or trailing comma */
} SeqBuild;

typedef enum { P_PLAIN, P_STAR, P_STARSTAR, P_SLASH } ParamKind;
typedef struct Param {
    ParamKind kind;
    Node *arg;                 /* arg node; NULL for bare * and / */
    Node *dflt;                /* default value or NULL */
    int line, col, end_line, end_col;
} Param;
typedef struct ParamList { Param *items; int len, cap; } ParamList;

typedef struct DictBuild { NodeList keys, values; } DictBuild;   /* keys[i] NULL for **v */
typedef struct SliceStep { Node *step; int present; int end_line, end_col; } SliceStep;
typedef struct Dotted { const char *name; int line, col, end_line, end_col; } Dotted;

/* What a target is being used for (decides the error message). */
typedef enum { T_ASSIGN, T_DEL, T_FOR, T_WITH, T_COMP, T_AUG } TargetUse;

/* Spans. */
Node *node_at_tok(ParseState *ps, NodeKind k, const Token *t);
Node *node_tt(ParseState *ps, NodeKind k, const Token *a, const Token *b);
Node *node_tn(ParseState *ps, NodeKind k, const Token *a, const Node *b);
Node *node_nn(ParseState *ps, NodeKind k, const Node *a, const Node *b);
Node *node_nt(ParseState *ps, NodeKind k, const Node *a, const Token *b);
void  node_end_at_list(Node *n, const NodeList *l);   /* end = end of l's last item */
void  node_end_at_tok(Node *n, const Token *t);
const char *tok_str(ParseState *ps, const Token *t);  /* arena copy of the token text */

/* Builders. */
Node *mk_name(ParseState *ps, const Token *t);
Node *mk_const(ParseState *ps, const Token *t, ConstKind k);
Node *mk_binop(ParseState *ps, Node *l, BinOpKind op, Node *r);
Node *mk_unary(ParseState *ps, const Token *op, UnaryOpKind k, Node *operand);
Node *mk_boolop(ParseState *ps, Node *l, BoolOpKind op, Node *r);
Node *mk_compare(ParseState *ps, Node *l, CmpOpKind op, Node *r);
Node *mk_namedexpr(ParseState *ps, Node *target, Node *value);
Node *mk_starred(ParseState *ps, const Token *star, Node *value);
Node *mk_attribute(ParseState *ps, Node *value, const Token *name);
Node *mk_call(ParseState *ps, Node *func, const Token *lpar, NodeList *args, int trailing_comma,
              const Token *rpar);
Node *mk_subscript(ParseState *ps, Node *value, SeqBuild *s, const Token *rsqb);
Node *mk_slice(ParseState *ps, Node *lower, const Token *colon, Node *upper, SliceStep *step);
Node *mk_paren(ParseState *ps, const Token *l, SeqBuild *s, const Token *r);
Node *mk_list(ParseState *ps, const Token *l, SeqBuild *s, const Token *r);
Node *mk_set(ParseState *ps, const Token *l, SeqBuild *s, const Token *r);
Node *mk_dict(ParseState *ps, const Token *l, DictBuild *d, const Token *r);
Node *mk_comp(ParseState *ps, NodeKind k, const Token *l, Node *elt, Node *value,
              NodeList *gens, const Token *r);
Node *mk_comprehension(ParseState *ps, const Token *first, SeqBuild *target, Node *iter, int is_async);
Node *mk_exprlist(ParseState *ps, SeqBuild *s);    /* one element, or a Tuple without parens */
Node *mk_as_marker(ParseState *ps, Node *expr, Node *target);
void  check_as_markers(ParseState *ps);
Node *mk_keyword_arg(ParseState *ps, Node *name, const Token *eq, Node *value);
Node *mk_lambda(ParseState *ps, const Token *kw, ParamList *params, Node *body);
Node *mk_arguments(ParseState *ps, ParamList *params);
Param make_param(ParseState *ps, ParamKind k, const Token *first, const Token *name,
                 Node *annotation, Node *dflt, const Token *last_tok, const Node *last_node);
void  param_push(ParseState *ps, ParamList *l, Param p);
void  seq_push(ParseState *ps, SeqBuild *s, Node *n);
void  set_context(ParseState *ps, Node *n, ExprContext ctx, TargetUse use);

Node *mk_expr_stmt(ParseState *ps, Node *value);
Node *mk_assign(ParseState *ps, NodeList *chain);  /* targets..., value */
Node *mk_augassign(ParseState *ps, Node *target, BinOpKind op, Node *value);
Node *mk_annassign(ParseState *ps, Node *target, Node *annotation, Node *value);
Node *mk_with(ParseState *ps, const Token *kw, NodeList *items, NodeList *body);
Node *mk_names_stmt(ParseState *ps, NodeKind k, const Token *kw, NodeList *names);
Node *mk_funcdef(ParseState *ps, const Token *kw, const Token *name, ParamList *params,
                 Node *returns, NodeList *body);
Node *mk_classdef(ParseState *ps, const Token *kw, const Token *name, NodeList *args,
                  NodeList *body);
Node *mk_dotted_alias(ParseState *ps, Dotted *d, const Token *asname);

/* Report an error at a node's span (first error wins). */
void parser_error_at(ParseState *ps, SyntaxErrKind kind, int line, int col, int end_line,
                     int end_col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
void parser_error_node(ParseState *ps, const Node *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* %syntax_error hands the offending token and the parser to the driver; the
 * driver asks back whether another token would have been acceptable there. */
void parser_syntax_error(ParseState *ps, void *lemon_parser, int kind, const Token *t);
int  apy_token_acceptable(void *lemon_parser, int kind);

/* lemon's entry points (generated into apy.c). */
void *ApyParseAlloc(void *(*malloc_fn)(size_t));
void  ApyParse(void *parser, int kind, Token tok, ParseState *ps);
void  ApyParseFree(void *parser, void (*free_fn)(void *));

#endif
