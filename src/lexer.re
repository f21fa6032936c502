/* lexer.re — the re2c tokenizer: UTF-8 source in, tokens with spans out.
 *
 * Owns: NEWLINE/INDENT/DEDENT (the indentation stack, TabError), implicit
 * line joining inside brackets and the bracket stack, backslash continuation,
 * comments and blank lines, number and string token boundaries, keywords and
 * operators, and the tokenizer's SyntaxErrors in CPython 3.11's words. Also
 * the decoding of literals (escapes, digits), which the parser driver calls.
 * Must not touch: the grammar, tree building, f-string contents (parser.c
 * sub-parses those), anything past the front end.
 *
 * The buffer ends in a NUL sentinel and has been checked for embedded NULs
 * and invalid UTF-8 before we see it, so a NUL always means end of input.
 */
#include "lexer.h"
#include "apy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*!include:re2c "unicode_categories.re" */

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:define:YYCURSOR = cur;
    re2c:define:YYMARKER = mar;
    re2c:yyfill:enable = 0;

    id_start    = L | Nl | [_];
    id_continue = id_start | Mn | Mc | Nd | Pc;
    nonprint    = Cc | Cf | Cs | Co | Cn | Zl | Zp | Zs;

    digitpart   = [0-9] ("_"? [0-9])*;
    decimal     = [1-9] ("_"? [0-9])* | "0"+ ("_"? "0")*;
    hexint      = "0" [xX] ("_"? [0-9a-fA-F])+;
    octint      = "0" [oO] ("_"? [0-7])+;
    binint      = "0" [bB] ("_"? [01])+;
    exponent    = [eE] [+-]? digitpart;
    pointfloat  = digitpart? "." digitpart | digitpart ".";
    floatnum    = pointfloat exponent? | digitpart exponent;
    imagnum     = (floatnum | digitpart) [jJ];

    strprefix   = [rRuUfFbB] | [rR][fFbB] | [fFbB][rR];
    newline     = "\r\n" | "\n" | "\r";
*/

/* ---- errors ------------------------------------------------------------------- */

static int lex_fail(Lexer *lx, SyntaxErrKind kind, int line, int col,
                    int end_line, int end_col, const char *fmt, ...) {
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!lx->failed && lx->fstring) {
        /* Map the copy's position back into the real source. */
        if (line == 1) { col = col >= 0 ? col + lx->base_col : col; }
        if (end_line == 1) end_col += lx->base_col;
        line += lx->base_line - 1;
        if (end_line > 0) end_line += lx->base_line - 1;
        frontend_error(lx->err, kind, lx->src_buf, lx->src_len, lx->filename,
                       line, col, end_line, end_col, "f-string: %s", msg);
    } else if (!lx->failed) {
        frontend_error(lx->err, kind, lx->buf, (size_t)(lx->end - lx->buf), lx->filename,
                       line, col, end_line, end_col, "%s", msg);
    }
    lx->failed = 1;
    return -1;
}

/* An error at byte `p` of the current line. */
static int lex_fail_at(Lexer *lx, const char *p, const char *fmt, const char *arg) {
    int col = (int)(p - lx->line_start);
    return lex_fail(lx, SE_SYNTAX, lx->line, col, lx->line, col + 1, fmt, arg);
}

void lexer_init(Lexer *lx, const char *buf, size_t len, const char *filename, SyntaxErr *err) {
    memset(lx, 0, sizeof *lx);
    lx->buf = lx->cur = lx->line_start = buf;
    lx->end = buf + len;
    lx->line = 1;
    lx->at_line_start = 1;
    lx->filename = filename ? filename : "<string>";
    lx->err = err;
}

/* ---- token construction ------------------------------------------------------------ */

static int emit(Lexer *lx, Token *t, int kind, const char *start, const char *end) {
    t->kind = kind;
    t->start = start;
    t->len = (int)(end - start);
    t->line = t->end_line = lx->line;
    t->col = (int)(start - lx->line_start);
    t->end_col = (int)(end - lx->line_start);
    t->node = NULL;
    if (kind != TK_NEWLINE && kind != TK_INDENT && kind != TK_DEDENT) lx->line_has_tokens = 1;
    return kind;
}

static void next_line(Lexer *lx, const char *after_newline) {
    lx->line++;
    lx->line_start = after_newline;
}

/* ---- indentation -------------------------------------------------------------------- */

/* At the start of a logical line: measure the indentation, skip the line if it
 * is blank or only a comment, and queue INDENT/DEDENTs. Returns 0, 1 if a
 * blank line was skipped (call again), or -1 on error. */
static int measure_indent(Lexer *lx) {
    const char *p = lx->cur;
    int col = 0, alt = 0;
    for (;; p++) {
        if (*p == ' ') { col++; alt++; }
        else if (*p == '\t') { col = (col / 8 + 1) * 8; alt++; }
        else if (*p == '\f') { col = alt = 0; }
        else break;
    }
    if (*p == '#' || *p == '\n' || *p == '\r') {        /* blank or comment-only line */
        while (*p != '\n' && *p != '\r' && p < lx->end) p++;
        if (*p == '\r' && p[1] == '\n') p++;
        if (p < lx->end) p++;
        lx->cur = p;
        if (p <= lx->end) next_line(lx, p);
        return 1;
    }
    lx->cur = p;
    lx->at_line_start = 0;
    if (p == lx->end) return 0;                          /* EOF: the caller dedents */

    int top = lx->indents[lx->depth], alt_top = lx->alt_indents[lx->depth];
    if (col == top) {
        if (alt != alt_top) goto tab_error;
    } else if (col > top) {
        if (lx->depth + 1 >= LEX_MAX_INDENT) {
            return lex_fail(lx, SE_INDENTATION, lx->line, 0, 0, 0, "too many levels of indentation");
        }
        if (alt <= alt_top) goto tab_error;
        lx->depth++;
        lx->indents[lx->depth] = col;
        lx->alt_indents[lx->depth] = alt;
        lx->pending = 1;
    } else {
        while (lx->depth > 0 && col < lx->indents[lx->depth]) {
            lx->depth--;
            lx->pending--;
        }
        if (col != lx->indents[lx->depth]) {
            /* CPython puts the caret just past the end of the line. */
            const char *eol = p;
            while (*eol != '\n' && *eol != '\r' && eol < lx->end) eol++;
            return lex_fail(lx, SE_INDENTATION, lx->line, (int)(eol - lx->line_start), 0, 0,
                            "unindent does not match any outer indentation level");
        }
        if (alt != lx->alt_indents[lx->depth]) goto tab_error;
    }
    return 0;

tab_error:
    return lex_fail(lx, SE_TAB, lx->line, -1, 0, 0,
                    "inconsistent use of tabs and spaces in indentation");
}

/* ---- brackets -------------------------------------------------------------------------- */

static int open_bracket(Lexer *lx, Token *t, int kind, const char *start, const char *end) {
    if (lx->paren_depth >= LEX_MAX_PAREN) {
        return lex_fail_at(lx, start, "%s", "too many nested parentheses");
    }
    lx->parens[lx->paren_depth].ch = *start;
    lx->parens[lx->paren_depth].line = lx->line;
    lx->parens[lx->paren_depth].col = (int)(start - lx->line_start);
    lx->paren_depth++;
    return emit(lx, t, kind, start, end);
}

static int close_bracket(Lexer *lx, Token *t, int kind, const char *start, const char *end) {
    char close = *start;
    if (lx->paren_depth == 0 || (lx->fstring && lx->paren_depth == 1)) {
        char msg[32];
        snprintf(msg, sizeof msg, "unmatched '%c'", close);
        return lex_fail_at(lx, start, "%s", msg);
    }
    char open = lx->parens[lx->paren_depth - 1].ch;
    int open_line = lx->parens[lx->paren_depth - 1].line;
    if ((open == '(' && close != ')') || (open == '[' && close != ']') ||
        (open == '{' && close != '}')) {
        char msg[120];
        if (open_line != lx->line) {
            snprintf(msg, sizeof msg, "closing parenthesis '%c' does not match opening "
                     "parenthesis '%c' on line %d", close, open, open_line);
        } else {
            snprintf(msg, sizeof msg, "closing parenthesis '%c' does not match opening "
                     "parenthesis '%c'", close, open);
        }
        return lex_fail_at(lx, start, "%s", msg);
    }
    lx->paren_depth--;
    return emit(lx, t, kind, start, end);
}

/* ---- strings ------------------------------------------------------------------------------ */

/* `quote` points at the opening quote; scan to the closing one. Escapes are
 * only skipped here (a backslash always protects the next character, even in
 * raw strings); decoding happens later. */
static int scan_string(Lexer *lx, Token *t, const char *start, const char *quote) {
    char q = *quote;
    const char *p = quote + 1;
    int triple = p[0] == q && p[1] == q;
    int start_line = lx->line, start_col = (int)(start - lx->line_start);
    const char *start_line_start = lx->line_start;
    if (triple) p += 2;
    for (;;) {
        char c = *p;
        if (p >= lx->end) break;
        if (c == '\\') {
            p++;
            if (p >= lx->end) break;
            if (*p == '\r' && p[1] == '\n') { p += 2; next_line(lx, p); }
            else if (*p == '\n' || *p == '\r') { p++; next_line(lx, p); }
            else p++;
            continue;
        }
        if (c == '\n' || c == '\r') {
            if (!triple) break;
            p += (c == '\r' && p[1] == '\n') ? 2 : 1;
            next_line(lx, p);
            continue;
        }
        p++;
        if (c == q) {
            if (!triple) goto done;
            if (p[0] == q && p[1] == q) { p += 2; goto done; }
        }
    }
    /* Unterminated: report at the string's start, naming where we gave up. */
    {
        /* CPython does not count a newline that ends the input. */
        int detected = lx->line;
        if (p >= lx->end && p > lx->buf && (p[-1] == '\n' || p[-1] == '\r') && detected > start_line) {
            detected--;
        }
        lx->line = start_line;
        lx->line_start = start_line_start;
        int r = lex_fail(lx, SE_SYNTAX, start_line, start_col, start_line, start_col + 1,
                         triple ? "unterminated triple-quoted string literal (detected at line %d)"
                                : "unterminated string literal (detected at line %d)",
                         detected);
        if (triple) lx->err->incomplete = 1;
        return r;
    }
done:
    t->kind = TK_STRING;
    t->start = start;
    t->len = (int)(p - start);
    t->line = start_line;
    t->col = start_col;
    t->end_line = lx->line;
    t->end_col = (int)(p - lx->line_start);
    t->node = NULL;
    lx->line_has_tokens = 1;
    lx->cur = p;
    return TK_STRING;
}

/* ---- numbers -------------------------------------------------------------------------------- */

static int is_ident_byte(unsigned char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c >= 0x80;
}

/* CPython 3.11 lets a few keywords follow a number directly (`1if x else y`). */
static int keyword_follows(const char *p) {
    static const char *const kws[] = {"and", "else", "for", "if", "in", "is", "not", "or"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        size_t n = strlen(kws[i]);
        if (strncmp(p, kws[i], n) == 0 && !is_ident_byte((unsigned char)p[n])) return 1;
    }
    return 0;
}

typedef enum { NUM_DEC, NUM_HEX, NUM_OCT, NUM_BIN, NUM_FLOAT, NUM_IMAG } NumKind;

/* A number token was matched in [start, end): make sure no letter, digit or
 * underscore sticks to it, with CPython's message for each case. */
static int finish_number(Lexer *lx, Token *t, NumKind kind, const char *start, const char *end) {
    unsigned char c = (unsigned char)*end;
    if (c == '.' && kind != NUM_FLOAT && kind != NUM_IMAG && kind != NUM_DEC) {
        goto bad_suffix;
    }
    /* A non-ASCII character ends the number: the next token reports it. */
    if (!is_ident_byte(c) || c >= 0x80 || keyword_follows(end)) {
        return emit(lx, t, TK_NUMBER, start, end);
    }
bad_suffix:
    /* Carets as CPython's tokenizer puts them: under the last character it
     * accepted, or under the offending '_', prefix letter or digit. */
    switch (kind) {
    case NUM_DEC:
        if (start[0] == '0') {
            if (end - start == 1 && strchr("xXoObB", c) && c) {
                unsigned char d = (unsigned char)end[1];
                const char *what = (c == 'x' || c == 'X') ? "hexadecimal"
                                 : (c == 'o' || c == 'O') ? "octal" : "binary";
                if (d >= '0' && d <= '9' && (c == 'o' || c == 'O' || c == 'b' || c == 'B')) {
                    char msg[64];
                    snprintf(msg, sizeof msg, "invalid digit '%c' in %s literal", d, what);
                    return lex_fail_at(lx, end + 1, "%s", msg);
                }
                char msg[64];
                snprintf(msg, sizeof msg, "invalid %s literal", what);
                return lex_fail_at(lx, end, "%s", msg);
            }
            const char *e = end;
            while ((*e >= '0' && *e <= '9') || *e == '_') e++;
            int nonzero = 0;
            for (const char *p = start; p < e; p++) nonzero |= *p >= '1' && *p <= '9';
            if (nonzero) {
                const char *z = start;
                while (*z == '0' || *z == '_') z++;
                int col = (int)(start - lx->line_start);
                return lex_fail(lx, SE_SYNTAX, lx->line, col, lx->line, (int)(z - lx->line_start),
                                "leading zeros in decimal integer literals are not permitted; "
                                "use an 0o prefix for octal integers");
            }
        }
        /* fall through */
    case NUM_FLOAT:
        if (c == '_') return lex_fail_at(lx, end, "%s", "invalid decimal literal");
        return lex_fail_at(lx, end - 1, "%s", "invalid decimal literal");
    case NUM_HEX:
        if (c == '_') return lex_fail_at(lx, end, "%s", "invalid hexadecimal literal");
        return lex_fail_at(lx, end - 1, "%s", "invalid hexadecimal literal");
    case NUM_OCT:
        if (c >= '0' && c <= '9') {
            char msg[64];
            snprintf(msg, sizeof msg, "invalid digit '%c' in octal literal", c);
            return lex_fail_at(lx, end, "%s", msg);
        }
        return lex_fail_at(lx, c == '_' ? end : end - 1, "%s", "invalid octal literal");
    case NUM_BIN:
        if (c >= '0' && c <= '9') {
            char msg[64];
            snprintf(msg, sizeof msg, "invalid digit '%c' in binary literal", c);
            return lex_fail_at(lx, end, "%s", msg);
        }
        return lex_fail_at(lx, c == '_' ? end : end - 1, "%s", "invalid binary literal");
    case NUM_IMAG:
        return lex_fail_at(lx, end - 1, "%s", "invalid imaginary literal");
    }
    return -1;
}

/* ---- characters that start no token -------------------------------------------------------- */

static unsigned decode_utf8(const char *s, int *n) {
    const unsigned char *p = (const unsigned char *)s;
    if (p[0] < 0x80) { *n = 1; return p[0]; }
    if (p[0] < 0xE0) { *n = 2; return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu); }
    if (p[0] < 0xF0) {
        *n = 3;
        return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    }
    *n = 4;
    return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

static int invalid_character(Lexer *lx, const char *start, int printable) {
    int n;
    unsigned cp = decode_utf8(start, &n);
    char msg[80];
    if (printable) {
        snprintf(msg, sizeof msg, "invalid character '%.*s' (U+%04X)", n, start, cp);
    } else {
        snprintf(msg, sizeof msg, "invalid non-printable character U+%04X", cp);
    }
    return lex_fail_at(lx, start, "%s", msg);
}

/* ---- end of input ----------------------------------------------------------------------------- */

static int at_end_of_input(Lexer *lx, Token *t) {
    const char *p = lx->end;
    if (lx->fstring && lx->paren_depth == 1) {
        lx->done = 1;
        return emit(lx, t, TK_ENDMARKER, p, p);
    }
    if (lx->paren_depth > 0) {
        int i = lx->paren_depth - 1;
        char msg[40];
        snprintf(msg, sizeof msg, "'%c' was never closed", lx->parens[i].ch);
        lx->line = lx->parens[i].line;   /* frontend_error finds the line itself */
        int r = lex_fail(lx, SE_SYNTAX, lx->parens[i].line, lx->parens[i].col,
                         lx->parens[i].line, lx->parens[i].col + 1, "%s", msg);
        lx->err->incomplete = 1;
        return r;
    }
    if (lx->line_has_tokens) {
        /* The last line had no newline: give it one, as CPython does. */
        lx->line_has_tokens = 0;
        emit(lx, t, TK_NEWLINE, p, p);
        t->end_col = t->col + 1;
        next_line(lx, p);
        lx->pending = -lx->depth;
        lx->depth = 0;
        return TK_NEWLINE;
    }
    if (lx->depth > 0) {
        lx->pending = -lx->depth;
        lx->depth = 0;
    }
    if (lx->pending < 0) {
        lx->pending++;
        return emit(lx, t, TK_DEDENT, p, p);
    }
    lx->done = 1;
    return emit(lx, t, TK_ENDMARKER, p, p);
}

/* ---- the scanner -------------------------------------------------------------------------------- */

int lexer_next(Lexer *lx, Token *t) {
    if (lx->failed) return -1;
    for (;;) {
        if (lx->pending > 0) {
            lx->pending = 0;
            const char *p = lx->cur;
            t->kind = TK_INDENT;
            t->start = lx->line_start;
            t->len = (int)(p - lx->line_start);
            t->line = t->end_line = lx->line;
            t->col = 0;
            t->end_col = t->len;
            t->node = NULL;
            return TK_INDENT;
        }
        if (lx->pending < 0) {
            lx->pending++;
            return emit(lx, t, TK_DEDENT, lx->cur, lx->cur);
        }
        if (lx->done) return emit(lx, t, TK_ENDMARKER, lx->end, lx->end);
        if (lx->at_line_start) {
            int r = measure_indent(lx);
            if (r < 0) return -1;
            if (r > 0) continue;
            if (lx->pending) continue;
        }

        const char *cur = lx->cur, *mar = cur, *start = cur;
        (void)mar;
#define TOKEN(kind) do { lx->cur = cur; return emit(lx, t, (kind), start, cur); } while (0)
#define OPEN(kind)  do { lx->cur = cur; return open_bracket(lx, t, (kind), start, cur); } while (0)
#define CLOSE(kind) do { lx->cur = cur; return close_bracket(lx, t, (kind), start, cur); } while (0)
        /*!re2c
        "\x00" {
            if (start >= lx->end) {
                lx->cur = lx->end;
                return at_end_of_input(lx, t);
            }
            return lex_fail_at(lx, start, "%s", "source code cannot contain null bytes");
        }
        [ \t\f]+              { lx->cur = cur; continue; }
        "#" [^\n\r\x00]*      { lx->cur = cur; continue; }
        newline {
            lx->cur = cur;
            if (lx->paren_depth > 0) { next_line(lx, cur); continue; }
            emit(lx, t, TK_NEWLINE, start, cur);
            t->end_col = t->col + 1;
            lx->line_has_tokens = 0;
            lx->at_line_start = 1;
            next_line(lx, cur);
            return TK_NEWLINE;
        }
        "\\" newline {
            lx->cur = cur;
            if (cur >= lx->end) {
                int r = lex_fail(lx, SE_SYNTAX, lx->line, (int)(start - lx->line_start) + 1,
                                 0, 0, "%s", "unexpected EOF while parsing");
                lx->err->incomplete = 1;
                return r;
            }
            next_line(lx, cur);
            continue;
        }
        "\\" {
            if (start + 1 >= lx->end) {
                int col = (int)(cur - lx->line_start);
                int r = lex_fail(lx, SE_SYNTAX, lx->line, col, 0, 0, "%s",
                                 "unexpected EOF while parsing");
                lx->err->incomplete = 1;
                return r;
            }
            return lex_fail(lx, SE_SYNTAX, lx->line, (int)(cur - lx->line_start), 0, 0, "%s",
                            "unexpected character after line continuation character");
        }

        "False"    { TOKEN(TK_FALSE); }
        "None"     { TOKEN(TK_NONE); }
        "True"     { TOKEN(TK_TRUE); }
        "and"      { TOKEN(TK_AND); }
        "as"       { TOKEN(TK_AS); }
        "assert"   { TOKEN(TK_ASSERT); }
        "async"    { TOKEN(TK_ASYNC); }
        "await"    { TOKEN(TK_AWAIT); }
        "break"    { TOKEN(TK_BREAK); }
        "class"    { TOKEN(TK_CLASS); }
        "continue" { TOKEN(TK_CONTINUE); }
        "def"      { TOKEN(TK_DEF); }
        "del"      { TOKEN(TK_DEL); }
        "elif"     { TOKEN(TK_ELIF); }
        "else"     { TOKEN(TK_ELSE); }
        "except"   { TOKEN(TK_EXCEPT); }
        "finally"  { TOKEN(TK_FINALLY); }
        "for"      { TOKEN(TK_FOR); }
        "from"     { TOKEN(TK_FROM); }
        "global"   { TOKEN(TK_GLOBAL); }
        "if"       { TOKEN(TK_IF); }
        "import"   { TOKEN(TK_IMPORT); }
        "in"       { TOKEN(TK_IN); }
        "is"       { TOKEN(TK_IS); }
        "lambda"   { TOKEN(TK_LAMBDA); }
        "nonlocal" { TOKEN(TK_NONLOCAL); }
        "not"      { TOKEN(TK_NOT); }
        "or"       { TOKEN(TK_OR); }
        "pass"     { TOKEN(TK_PASS); }
        "raise"    { TOKEN(TK_RAISE); }
        "return"   { TOKEN(TK_RETURN); }
        "try"      { TOKEN(TK_TRY); }
        "while"    { TOKEN(TK_WHILE); }
        "with"     { TOKEN(TK_WITH); }
        "yield"    { TOKEN(TK_YIELD); }

        id_start id_continue* { TOKEN(TK_NAME); }

        strprefix? ['"] { return scan_string(lx, t, start, cur - 1); }

        decimal   { return finish_number(lx, t, NUM_DEC, start, lx->cur = cur); }
        hexint    { return finish_number(lx, t, NUM_HEX, start, lx->cur = cur); }
        octint    { return finish_number(lx, t, NUM_OCT, start, lx->cur = cur); }
        binint    { return finish_number(lx, t, NUM_BIN, start, lx->cur = cur); }
        floatnum  { return finish_number(lx, t, NUM_FLOAT, start, lx->cur = cur); }
        imagnum   { return finish_number(lx, t, NUM_IMAG, start, lx->cur = cur); }

        "(" { OPEN(TK_LPAR); }
        "[" { OPEN(TK_LSQB); }
        "{" { OPEN(TK_LBRACE); }
        ")" { CLOSE(TK_RPAR); }
        "]" { CLOSE(TK_RSQB); }
        "}" { CLOSE(TK_RBRACE); }

        ":"   { TOKEN(TK_COLON); }
        ","   { TOKEN(TK_COMMA); }
        ";"   { TOKEN(TK_SEMI); }
        "+"   { TOKEN(TK_PLUS); }
        "-"   { TOKEN(TK_MINUS); }
        "*"   { TOKEN(TK_STAR); }
        "/"   { TOKEN(TK_SLASH); }
        "|"   { TOKEN(TK_VBAR); }
        "&"   { TOKEN(TK_AMPER); }
        "<"   { TOKEN(TK_LESS); }
        ">"   { TOKEN(TK_GREATER); }
        "="   { TOKEN(TK_EQUAL); }
        "."   { TOKEN(TK_DOT); }
        "%"   { TOKEN(TK_PERCENT); }
        "=="  { TOKEN(TK_EQEQUAL); }
        "!="  { TOKEN(TK_NOTEQUAL); }
        "<="  { TOKEN(TK_LESSEQUAL); }
        ">="  { TOKEN(TK_GREATEREQUAL); }
        "~"   { TOKEN(TK_TILDE); }
        "^"   { TOKEN(TK_CIRCUMFLEX); }
        "<<"  { TOKEN(TK_LEFTSHIFT); }
        ">>"  { TOKEN(TK_RIGHTSHIFT); }
        "**"  { TOKEN(TK_DOUBLESTAR); }
        "+="  { TOKEN(TK_PLUSEQUAL); }
        "-="  { TOKEN(TK_MINEQUAL); }
        "*="  { TOKEN(TK_STAREQUAL); }
        "/="  { TOKEN(TK_SLASHEQUAL); }
        "%="  { TOKEN(TK_PERCENTEQUAL); }
        "&="  { TOKEN(TK_AMPEREQUAL); }
        "|="  { TOKEN(TK_VBAREQUAL); }
        "^="  { TOKEN(TK_CIRCUMFLEXEQUAL); }
        "<<=" { TOKEN(TK_LEFTSHIFTEQUAL); }
        ">>=" { TOKEN(TK_RIGHTSHIFTEQUAL); }
        "**=" { TOKEN(TK_DOUBLESTAREQUAL); }
        "//"  { TOKEN(TK_DOUBLESLASH); }
        "//=" { TOKEN(TK_DOUBLESLASHEQUAL); }
        "@"   { TOKEN(TK_AT); }
        "@="  { TOKEN(TK_ATEQUAL); }
        "->"  { TOKEN(TK_RARROW); }
        "..." { TOKEN(TK_ELLIPSIS); }
        ":="  { TOKEN(TK_COLONEQUAL); }

        nonprint { return invalid_character(lx, start, 0); }
        [\x80-\U0010FFFF] { return invalid_character(lx, start, 1); }
        * { TOKEN(TK_ERRORTOKEN); }
        */
#undef TOKEN
#undef OPEN
#undef CLOSE
    }
}

/* ---- printable characters (for repr-like dumps) ----------------------------------------------- */

/* Byte length of the code point at s (valid UTF-8, not at its NUL end) if
 * Python's str.isprintable() would call it non-printable, else 0. */
int lexer_nonprintable_len(const char *s) {
    const char *cur = s, *mar = s;
    (void)mar;
    /*!re2c
        " "      { return 0; }
        nonprint { return (int)(cur - s); }
        *        { return 0; }
    */
}

/* ---- token names ------------------------------------------------------------------------------ */

const char *lexer_token_name(int kind) {
    static const char *const names[] = {
        [TK_ENDMARKER] = "ENDMARKER", [TK_NAME] = "NAME", [TK_NUMBER] = "NUMBER",
        [TK_STRING] = "STRING", [TK_NEWLINE] = "NEWLINE", [TK_INDENT] = "INDENT",
        [TK_DEDENT] = "DEDENT", [TK_ERRORTOKEN] = "ERRORTOKEN",
        [TK_FALSE] = "FALSE", [TK_NONE] = "NONE", [TK_TRUE] = "TRUE", [TK_AND] = "AND",
        [TK_AS] = "AS", [TK_ASSERT] = "ASSERT", [TK_ASYNC] = "ASYNC", [TK_AWAIT] = "AWAIT",
        [TK_BREAK] = "BREAK", [TK_CLASS] = "CLASS", [TK_CONTINUE] = "CONTINUE",
        [TK_DEF] = "DEF", [TK_DEL] = "DEL", [TK_ELIF] = "ELIF", [TK_ELSE] = "ELSE",
        [TK_EXCEPT] = "EXCEPT", [TK_FINALLY] = "FINALLY", [TK_FOR] = "FOR",
        [TK_FROM] = "FROM", [TK_GLOBAL] = "GLOBAL", [TK_IF] = "IF", [TK_IMPORT] = "IMPORT",
        [TK_IN] = "IN", [TK_IS] = "IS", [TK_LAMBDA] = "LAMBDA", [TK_NONLOCAL] = "NONLOCAL",
        [TK_NOT] = "NOT", [TK_OR] = "OR", [TK_PASS] = "PASS", [TK_RAISE] = "RAISE",
        [TK_RETURN] = "RETURN", [TK_TRY] = "TRY", [TK_WHILE] = "WHILE", [TK_WITH] = "WITH",
        [TK_YIELD] = "YIELD",
        [TK_LPAR] = "LPAR", [TK_RPAR] = "RPAR", [TK_LSQB] = "LSQB", [TK_RSQB] = "RSQB",
        [TK_LBRACE] = "LBRACE", [TK_RBRACE] = "RBRACE", [TK_COLON] = "COLON",
        [TK_COMMA] = "COMMA", [TK_SEMI] = "SEMI", [TK_PLUS] = "PLUS", [TK_MINUS] = "MINUS",
        [TK_STAR] = "STAR", [TK_SLASH] = "SLASH", [TK_VBAR] = "VBAR", [TK_AMPER] = "AMPER",
        [TK_LESS] = "LESS", [TK_GREATER] = "GREATER", [TK_EQUAL] = "EQUAL", [TK_DOT] = "DOT",
        [TK_PERCENT] = "PERCENT", [TK_EQEQUAL] = "EQEQUAL", [TK_NOTEQUAL] = "NOTEQUAL",
        [TK_LESSEQUAL] = "LESSEQUAL", [TK_GREATEREQUAL] = "GREATEREQUAL",
        [TK_TILDE] = "TILDE", [TK_CIRCUMFLEX] = "CIRCUMFLEX", [TK_LEFTSHIFT] = "LEFTSHIFT",
        [TK_RIGHTSHIFT] = "RIGHTSHIFT", [TK_DOUBLESTAR] = "DOUBLESTAR",
        [TK_PLUSEQUAL] = "PLUSEQUAL", [TK_MINEQUAL] = "MINEQUAL", [TK_STAREQUAL] = "STAREQUAL",
        [TK_SLASHEQUAL] = "SLASHEQUAL", [TK_PERCENTEQUAL] = "PERCENTEQUAL",
        [TK_AMPEREQUAL] = "AMPEREQUAL", [TK_VBAREQUAL] = "VBAREQUAL",
        [TK_CIRCUMFLEXEQUAL] = "CIRCUMFLEXEQUAL", [TK_LEFTSHIFTEQUAL] = "LEFTSHIFTEQUAL",
        [TK_RIGHTSHIFTEQUAL] = "RIGHTSHIFTEQUAL", [TK_DOUBLESTAREQUAL] = "DOUBLESTAREQUAL",
        [TK_DOUBLESLASH] = "DOUBLESLASH", [TK_DOUBLESLASHEQUAL] = "DOUBLESLASHEQUAL",
        [TK_AT] = "AT", [TK_ATEQUAL] = "ATEQUAL", [TK_RARROW] = "RARROW",
        [TK_ELLIPSIS] = "ELLIPSIS", [TK_COLONEQUAL] = "COLONEQUAL",
    };
    if (kind >= 0 && (size_t)kind < sizeof names / sizeof names[0] && names[kind]) {
        return names[kind];
    }
    return "?";
}

/* ---- literal decoding -------------------------------------------------------------------------- */

StrPrefix lexer_string_prefix(const char *tok, int len) {
    StrPrefix sp = {0, 0, 0, 0, 1};
    int i = 0;
    while (i < len && tok[i] != '\'' && tok[i] != '"') {
        char c = tok[i++];
        if (c == 'r' || c == 'R') sp.raw = 1;
        else if (c == 'b' || c == 'B') sp.bytes = 1;
        else if (c == 'f' || c == 'F') sp.fstring = 1;
    }
    sp.prefix_len = i;
    if (i + 2 < len && tok[i + 1] == tok[i] && tok[i + 2] == tok[i] && len - i >= 6) {
        sp.quote_len = 3;
    }
    return sp;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *out, unsigned cp) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A few \N{...} names students actually type; the full Unicode name table
 * is not worth its megabyte here. */
static int lookup_unicode_name(const char *name, size_t len, unsigned *cp) {
    static const struct { const char *name; unsigned cp; } names[] = {
        {"SPACE", 0x20}, {"NO-BREAK SPACE", 0xA0}, {"BULLET", 0x2022},
        {"EM DASH", 0x2014}, {"EN DASH", 0x2013}, {"HORIZONTAL ELLIPSIS", 0x2026},
        {"EURO SIGN", 0x20AC}, {"POUND SIGN", 0xA3}, {"DEGREE SIGN", 0xB0},
        {"GREEK SMALL LETTER ALPHA", 0x3B1}, {"GREEK SMALL LETTER BETA", 0x3B2},
        {"GREEK SMALL LETTER PI", 0x3C0}, {"GREEK CAPITAL LETTER DELTA", 0x394},
        {"LATIN SMALL LETTER E WITH ACUTE", 0xE9}, {"COPYRIGHT SIGN", 0xA9},
        {"SNOWMAN", 0x2603}, {"BLACK STAR", 0x2605}, {"CHECK MARK", 0x2713},
        {"RIGHTWARDS ARROW", 0x2192}, {"LEFTWARDS ARROW", 0x2190},
        {"INFINITY", 0x221E}, {"MULTIPLICATION SIGN", 0xD7}, {"DIVISION SIGN", 0xF7},
        {"LINE FEED", 0x0A}, {"CARRIAGE RETURN", 0x0D}, {"CHARACTER TABULATION", 0x09},
        {"NULL", 0x00}, {"PILE OF POO", 0x1F4A9}, {"GRINNING FACE", 0x1F600},
        {"SNAKE", 0x1F40D}, {"HEAVY BLACK HEART", 0x2764},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
            *cp = names[i].cp;
            return 1;
        }
    }
    return 0;
}

int lexer_decode_string(Arena *a, const char *body, size_t len, int raw, int bytes,
                        const char **out, size_t *out_len, char *errmsg, size_t errsize,
                        size_t *err_offset) {
    /* Escapes never make text longer, except \N{...} short names, which a
     * 4-byte code point from a >= 4 char escape never exceeds either. */
    char *o = arena_alloc(a, len + 1);
    size_t n = 0;
    const char *codec = bytes ? NULL : "unicodeescape";
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)body[i];
        if (bytes && c >= 0x80) {
            snprintf(errmsg, errsize, "bytes can only contain ASCII literal characters");
            *err_offset = i;
            return -1;
        }
        if (c != '\\' || raw) {
            /* Newlines in the source may be \r\n or \r: Python reads them as \n. */
            if (c == '\r') {
                o[n++] = '\n';
                i += (i + 1 < len && body[i + 1] == '\n') ? 2 : 1;
                continue;
            }
            o[n++] = (char)c;
            i++;
            continue;
        }
        size_t esc = i;
        i++;
        if (i >= len) { o[n++] = '\\'; break; }
        char e = body[i++];
        switch (e) {
        case '\n': break;
        case '\r': if (i < len && body[i] == '\n') i++; break;
        case '\\': o[n++] = '\\'; break;
        case '\'': o[n++] = '\''; break;
        case '"': o[n++] = '"'; break;
        case 'a': o[n++] = '\a'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'v': o[n++] = '\v'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = (unsigned)(e - '0');
            for (int k = 0; k < 2 && i < len && body[i] >= '0' && body[i] <= '7'; k++) {
                v = v * 8 + (unsigned)(body[i++] - '0');
            }
            if (bytes) o[n++] = (char)(v & 0xFF);
            else n += put_utf8(o + n, v);
            break;
        }
        case 'x': case 'u': case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (bytes && e != 'x') { o[n++] = '\\'; o[n++] = e; break; }
            unsigned v = 0;
            int k = 0;
            for (; k < digits && i < len && hex_value(body[i]) >= 0; k++) {
                v = v * 16 + (unsigned)hex_value(body[i++]);
            }
            if (k < digits) {
                if (bytes) {
                    snprintf(errmsg, errsize, "(value error) invalid \\x escape at position %zu", esc);
                } else {
                    snprintf(errmsg, errsize, "(unicode error) '%s' codec can't decode bytes in "
                             "position %zu-%zu: truncated \\%c%s escape", codec, esc, i - 1, e,
                             e == 'x' ? "XX" : e == 'u' ? "XXXX" : "XXXXXXXX");
                }
                *err_offset = esc;
                return -1;
            }
            if (bytes) { o[n++] = (char)v; break; }
            if (v > 0x10FFFF) {
                snprintf(errmsg, errsize, "(unicode error) '%s' codec can't decode bytes in "
                         "position %zu-%zu: illegal Unicode character", codec, esc, i - 1);
                *err_offset = esc;
                return -1;
            }
            n += put_utf8(o + n, v);
            break;
        }
        case 'N': {
            if (bytes) { o[n++] = '\\'; o[n++] = 'N'; break; }
            unsigned cp;
            const char *close = i < len && body[i] == '{' ? memchr(body + i, '}', len - i) : NULL;
            if (!close || !lookup_unicode_name(body + i + 1, (size_t)(close - body - i - 1), &cp)) {
                size_t last = close ? (size_t)(close - body) : len - 1;
                snprintf(errmsg, errsize, "(unicode error) '%s' codec can't decode bytes in "
                         "position %zu-%zu: %s", codec, esc, last,
                         close ? "unknown Unicode character name" : "malformed \\N character escape");
                *err_offset = esc;
                return -1;
            }
            i = (size_t)(close - body) + 1;
            n += put_utf8(o + n, cp);
            break;
        }
        default:
            /* Unknown escapes stay as written (CPython only warns). */
            o[n++] = '\\';
            i--;
            break;
        }
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return 0;
}

void lexer_decode_number(Arena *a, const char *text, int len, Constant *c) {
    char *clean = arena_alloc(a, (size_t)len + 1);
    int n = 0;
    for (int i = 0; i < len; i++) {
        if (text[i] != '_') clean[n++] = text[i];
    }
    clean[n] = '\0';
    char last = n ? clean[n - 1] : '0';
    if (last == 'j' || last == 'J') {
        clean[n - 1] = '\0';
        c->kind = CONST_IMAG;
        c->f = strtod(clean, NULL);
        return;
    }
    int is_prefixed = n > 1 && clean[0] == '0' && strchr("xXoObB", clean[1]);
    if (!is_prefixed && (strchr(clean, '.') || strchr(clean, 'e') || strchr(clean, 'E'))) {
        c->kind = CONST_FLOAT;
        c->f = strtod(clean, NULL);
        return;
    }
    c->kind = CONST_INT;
    c->base = 10;
    const char *digits = clean;
    if (is_prefixed) {
        char p = clean[1];
        c->base = (p == 'x' || p == 'X') ? 16 : (p == 'o' || p == 'O') ? 8 : 2;
        digits += 2;
    }
    while (digits[0] == '0' && digits[1]) digits++;   /* no leading zeros */
    c->s = digits;
    c->len = strlen(digits);
}
