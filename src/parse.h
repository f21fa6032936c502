/* parse.h — the front end's public face: source text in, AST or SyntaxError out.
 *
 * Owns: the entry points to the lexer (src/lexer.re) and the parser
 * (grammar/apy.y + src/parser.c), and the SyntaxErr record they fill.
 * Must not touch: objects, the VM. Turning a SyntaxErr into a Python
 * SyntaxError object is the compiler's business.
 */
#ifndef APY_PARSE_H
#define APY_PARSE_H

#include <stddef.h>
#include <stdio.h>
#include "ast.h"

typedef enum { SE_SYNTAX, SE_INDENTATION, SE_TAB } SyntaxErrKind;

/* Everything CPython shows for a SyntaxError. */
typedef struct SyntaxErr {
    SyntaxErrKind kind;
    char msg[256];          /* e.g. "'(' was never closed" */
    char filename[256];
    int line;               /* 1-based */
    int col;                /* 1-based *character* offset of the caret, like CPython's `offset`; 0 = none */
    int end_line, end_col;  /* end of the span (1-based, exclusive col); 0 = same as start */
    char *text;             /* malloc'd copy of the offending source line, no newline; NULL if none */
    int incomplete;         /* the input ended inside an unfinished construct (the REPL asks for more) */
} SyntaxErr;

typedef enum {
    PARSE_FILE,     /* a module: Module(body) */
    PARSE_SINGLE,   /* one interactive statement (REPL): Interactive(body) */
    PARSE_EVAL      /* one expression: Expression(body) */
} ParseMode;

/* Parse `src` (need not be NUL-terminated; may contain NULs, which are an
 * error). Returns the root node, allocated in `arena`, or NULL with `err`
 * filled. Never crashes, whatever the input; nesting beyond fixed limits is
 * a clean SyntaxError ("too many nested parentheses") or IndentationError
 * ("too many levels of indentation"). */
Node *parse_source(Arena *arena, const char *src, size_t len,
                   const char *filename, ParseMode mode, SyntaxErr *err);

/* `apy --tokens`: one token per line with its span. Returns 0, or -1 with
 * `err` filled at the first lexical error (tokens before it are printed). */
int parse_dump_tokens(FILE *out, const char *src, size_t len,
                      const char *filename, SyntaxErr *err);

/* Print in CPython's shape, e.g.
 *     File "demo.apy", line 3
 *       print("hi"
 *            ^
 *   SyntaxError: '(' was never closed
 */
void syntax_error_print(FILE *out, const SyntaxErr *err);
const char *syntax_error_kind_name(SyntaxErrKind kind); /* "SyntaxError", ... */
void syntax_error_free(SyntaxErr *err);                 /* frees text; safe twice */

#endif
