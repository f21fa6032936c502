/* test_lexer.c — unit tests of the tokenizer (src/lexer.re) and literal decoding.
 *
 * Owns: tests of token kinds, spans, indentation, literals and the lexer's
 * error messages. Must not touch: the parser's tests (test_parser.c).
 * Tokens are compared by their stable names (lexer_token_name), so the
 * tests read like `apy --tokens` output.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "parse.h"

#define MAX_TOKENS 256

typedef struct {
    Token toks[MAX_TOKENS];
    int n;
    int rc;                    /* 0, or -1 on a lexical error */
    SyntaxErr err;
    char *buf;
} Lexed;

/* Lex all of `src` (NUL-terminated copy, like parse_source makes). */
static Lexed *lex(const char *src) {
    Lexed *l = calloc(1, sizeof *l);
    size_t len = strlen(src);
    l->buf = calloc(len + 8, 1);
    memcpy(l->buf, src, len);
    Lexer lx;
    lexer_init(&lx, l->buf, len, "<test>", &l->err);
    for (;;) {
        Token t;
        int k = lexer_next(&lx, &t);
        if (k < 0) { l->rc = -1; break; }
        if (l->n < MAX_TOKENS) l->toks[l->n++] = t;
        if (!strcmp(lexer_token_name(k), "ENDMARKER")) break;
    }
    return l;
}

static void lexed_free(Lexed *l) {
    syntax_error_free(&l->err);
    free(l->buf);
    free(l);
}

/* "NAME EQUAL NUMBER NEWLINE ENDMARKER" */
static char *kinds(const char *src) {
    Lexed *l = lex(src);
    static char out[4096];
    out[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        if (i) strcat(out, " ");
        strcat(out, lexer_token_name(l->toks[i].kind));
    }
    if (l->rc < 0) strcat(out, " !ERROR");
    lexed_free(l);
    return out;
}

/* The text of token i. */
static char *text(Lexed *l, int i) {
    static char out[512];
    snprintf(out, sizeof out, "%.*s", l->toks[i].len, l->toks[i].start);
    return out;
}

static void expect_span(Lexed *l, int i, int line, int col, int end_line, int end_col) {
    const Token *t = &l->toks[i];
    cr_expect(t->line == line && t->col == col && t->end_line == end_line && t->end_col == end_col,
              "token %d (%s '%.*s'): got %d:%d-%d:%d, want %d:%d-%d:%d", i,
              lexer_token_name(t->kind), t->len, t->start, t->line, t->col, t->end_line, t->end_col,
              line, col, end_line, end_col);
}

/* A lexical error with CPython's message, line and 1-based offset. */
static void expect_lex_error(const char *src, SyntaxErrKind kind, const char *msg, int line, int col) {
    Lexed *l = lex(src);
    cr_assert_eq(l->rc, -1, "no error for %.60s", src);
    cr_expect_eq(l->err.kind, kind, "kind for %.60s", src);
    cr_expect_str_eq(l->err.msg, msg, "message for %.60s", src);
    cr_expect_eq(l->err.line, line, "line for %.60s: %d", src, l->err.line);
    cr_expect_eq(l->err.col, col, "offset for %.60s: %d", src, l->err.col);
    lexed_free(l);
}

/* ---- token kinds ---- */

Test(tokens, operators) {
    cr_assert_str_eq(kinds("( ) [ ] { } : , ; + - * / | & < > = . % == != <= >= ~ ^ << >>"),
        "LPAR RPAR LSQB RSQB LBRACE RBRACE COLON COMMA SEMI PLUS MINUS STAR SLASH VBAR AMPER "
        "LESS GREATER EQUAL DOT PERCENT EQEQUAL NOTEQUAL LESSEQUAL GREATEREQUAL TILDE CIRCUMFLEX "
        "LEFTSHIFT RIGHTSHIFT NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("** += -= *= /= %= &= |= ^= <<= >>= **= // //= @ @= -> ... :="),
        "DOUBLESTAR PLUSEQUAL MINEQUAL STAREQUAL SLASHEQUAL PERCENTEQUAL AMPEREQUAL VBAREQUAL "
        "CIRCUMFLEXEQUAL LEFTSHIFTEQUAL RIGHTSHIFTEQUAL DOUBLESTAREQUAL DOUBLESLASH "
        "DOUBLESLASHEQUAL AT ATEQUAL RARROW ELLIPSIS COLONEQUAL NEWLINE ENDMARKER");
    /* Longest match, no spaces. */
    cr_assert_str_eq(kinds("a**=b//c->d"), "NAME DOUBLESTAREQUAL NAME DOUBLESLASH NAME RARROW NAME NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("x.."), "NAME DOT DOT NEWLINE ENDMARKER");
}

Test(tokens, keywords) {
    cr_assert_str_eq(kinds("False None True and as assert async await break class continue"),
        "FALSE NONE TRUE AND AS ASSERT ASYNC AWAIT BREAK CLASS CONTINUE NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("def del elif else except finally for from global if import in is"),
        "DEF DEL ELIF ELSE EXCEPT FINALLY FOR FROM GLOBAL IF IMPORT IN IS NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("lambda nonlocal not or pass raise return try while with yield"),
        "LAMBDA NONLOCAL NOT OR PASS RAISE RETURN TRY WHILE WITH YIELD NEWLINE ENDMARKER");
    /* Keywords are whole words only. */
    cr_assert_str_eq(kinds("iffy classy _if None_ true"), "NAME NAME NAME NAME NAME NEWLINE ENDMARKER");
}

Test(tokens, identifiers_unicode) {
    Lexed *l = lex("café = π_2 + 変数");
    cr_assert_eq(l->rc, 0);
    cr_expect_str_eq(text(l, 0), "café");
    expect_span(l, 0, 1, 0, 1, 5);               /* columns are UTF-8 bytes */
    cr_expect_str_eq(text(l, 2), "π_2");
    cr_expect_str_eq(text(l, 4), "変数");
    expect_span(l, 4, 1, 15, 1, 21);
    lexed_free(l);
}

Test(tokens, spans_and_endmarker) {
    Lexed *l = lex("print('hi')\n");
    cr_assert_eq(l->n, 6);
    expect_span(l, 0, 1, 0, 1, 5);     /* NAME */
    expect_span(l, 1, 1, 5, 1, 6);     /* LPAR */
    expect_span(l, 2, 1, 6, 1, 10);    /* STRING */
    expect_span(l, 4, 1, 11, 1, 12);   /* NEWLINE at the newline */
    expect_span(l, 5, 2, 0, 2, 0);     /* ENDMARKER on the next line */
    lexed_free(l);
}

Test(tokens, missing_final_newline) {
    Lexed *l = lex("x = 1");
    cr_assert_str_eq(kinds("x = 1"), "NAME EQUAL NUMBER NEWLINE ENDMARKER");
    expect_span(l, 3, 1, 5, 1, 6);
    lexed_free(l);
    cr_assert_str_eq(kinds(""), "ENDMARKER");
    cr_assert_str_eq(kinds("\n\n   \n# only a comment"), "ENDMARKER");
}

/* ---- numbers ---- */

Test(numbers, valid_forms) {
    const char *ok[] = {"0", "00", "0_0", "7", "1_000_000", "123456789012345678901234567890",
                        "0x1F", "0X_ff", "0o17", "0O_7", "0b1010", "0B_1", "1.", ".5", "1.5",
                        "1e10", "1E-3", "1_000.5e-3", "1.e5", "0.0", "012.5", "00.5", "1j",
                        "1.5J", ".5j", "1e3j", "0j", "09.9"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        Lexed *l = lex(ok[i]);
        cr_expect_eq(l->rc, 0, "%s: %s", ok[i], l->err.msg);
        cr_expect_str_eq(lexer_token_name(l->toks[0].kind), "NUMBER", "%s", ok[i]);
        cr_expect_str_eq(text(l, 0), ok[i]);
        lexed_free(l);
    }
    /* CPython 3.11 accepts a keyword glued to a number. */
    cr_assert_str_eq(kinds("1if x else 2"), "NUMBER IF NAME ELSE NUMBER NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("0x1for"), "NUMBER OR NEWLINE ENDMARKER");   /* 0x1f or */
    cr_assert_str_eq(kinds("1 .real"), "NUMBER DOT NAME NEWLINE ENDMARKER");
}

Test(numbers, decode) {
    Arena a;
    arena_init(&a);
    Constant c;
    lexer_decode_number(&a, "1_000", 5, &c);
    cr_expect_eq(c.kind, CONST_INT);
    cr_expect_eq(c.base, 10);
    cr_expect_str_eq(c.s, "1000");
    lexer_decode_number(&a, "0x_FF", 5, &c);
    cr_expect_eq(c.base, 16);
    cr_expect_str_eq(c.s, "FF");
    lexer_decode_number(&a, "0o017", 5, &c);
    cr_expect_eq(c.base, 8);
    cr_expect_str_eq(c.s, "17");
    lexer_decode_number(&a, "0b0", 3, &c);
    cr_expect_str_eq(c.s, "0");
    lexer_decode_number(&a, "000", 3, &c);
    cr_expect_str_eq(c.s, "0");
    lexer_decode_number(&a, "123456789012345678901234567890", 30, &c);
    cr_expect_str_eq(c.s, "123456789012345678901234567890");
    lexer_decode_number(&a, "1_000.5e-3", 10, &c);
    cr_expect_eq(c.kind, CONST_FLOAT);
    cr_expect_float_eq(c.f, 1.0005, 1e-12);
    lexer_decode_number(&a, "1.", 2, &c);
    cr_expect_float_eq(c.f, 1.0, 0);
    lexer_decode_number(&a, "2.5J", 4, &c);
    cr_expect_eq(c.kind, CONST_IMAG);
    cr_expect_float_eq(c.f, 2.5, 0);
    lexer_decode_number(&a, "1e3j", 4, &c);
    cr_expect_eq(c.kind, CONST_IMAG);
    cr_expect_float_eq(c.f, 1000.0, 0);
    arena_free(&a);
}

Test(numbers, errors) {
    expect_lex_error("1abc", SE_SYNTAX, "invalid decimal literal", 1, 1);
    expect_lex_error("x = 1_", SE_SYNTAX, "invalid decimal literal", 1, 6);
    expect_lex_error("1__0", SE_SYNTAX, "invalid decimal literal", 1, 2);
    expect_lex_error("1e", SE_SYNTAX, "invalid decimal literal", 1, 1);
    expect_lex_error("0x", SE_SYNTAX, "invalid hexadecimal literal", 1, 2);
    expect_lex_error("0xg", SE_SYNTAX, "invalid hexadecimal literal", 1, 2);
    expect_lex_error("0o", SE_SYNTAX, "invalid octal literal", 1, 2);
    expect_lex_error("0o8", SE_SYNTAX, "invalid digit '8' in octal literal", 1, 3);
    expect_lex_error("0o18", SE_SYNTAX, "invalid digit '8' in octal literal", 1, 4);
    expect_lex_error("0b2", SE_SYNTAX, "invalid digit '2' in binary literal", 1, 3);
    expect_lex_error("0b", SE_SYNTAX, "invalid binary literal", 1, 2);
    expect_lex_error("x = 012", SE_SYNTAX, "leading zeros in decimal integer literals are not "
                     "permitted; use an 0o prefix for octal integers", 1, 5);
    expect_lex_error("0_7", SE_SYNTAX, "leading zeros in decimal integer literals are not "
                     "permitted; use an 0o prefix for octal integers", 1, 1);
    expect_lex_error("1jx", SE_SYNTAX, "invalid imaginary literal", 1, 2);
}

/* ---- strings ---- */

Test(strings, every_quote_form) {
    const char *ok[] = {"''", "\"\"", "'a'", "\"a\"", "'''a'''", "\"\"\"a\"\"\"", "r'\\d'",
                        "R'x'", "b'x'", "B\"x\"", "rb'x'", "bR'x'", "Rb'x'", "BR'x'", "u'x'",
                        "U'x'", "f'x'", "F'{x}'", "rf'x'", "fR'x'", "Rf'x'", "'it\\'s'",
                        "\"say \\\"hi\\\"\"", "r'\\''", "'''has ' and '' inside'''",
                        "\"\"\"multi\nline\"\"\""};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        Lexed *l = lex(ok[i]);
        cr_expect_eq(l->rc, 0, "%s: %s", ok[i], l->err.msg);
        cr_expect_str_eq(lexer_token_name(l->toks[0].kind), "STRING", "%s", ok[i]);
        cr_expect_str_eq(text(l, 0), ok[i]);
        lexed_free(l);
    }
    /* Not a prefix: a name followed by a string. */
    cr_assert_str_eq(kinds("ub'x'"), "NAME STRING NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("'a' 'b'"), "STRING STRING NEWLINE ENDMARKER");
}

Test(strings, spans_multiline) {
    Lexed *l = lex("x = '''a\nbc''' + 'd\\\ne'\n");
    cr_assert_eq(l->rc, 0);
    expect_span(l, 2, 1, 4, 2, 5);
    expect_span(l, 3, 2, 6, 2, 7);   /* PLUS */
    expect_span(l, 4, 2, 8, 3, 2);   /* backslash-newline inside a string */
    expect_span(l, 5, 3, 2, 3, 3);   /* NEWLINE */
    lexed_free(l);
}

Test(strings, fstring_is_one_token) {
    Lexed *l = lex("f'{a!r:>{w}} {{x}}' rf\"{b}\"");
    cr_assert_eq(l->rc, 0);
    cr_expect_str_eq(text(l, 0), "f'{a!r:>{w}} {{x}}'");
    cr_expect_str_eq(text(l, 1), "rf\"{b}\"");
    StrPrefix sp = lexer_string_prefix(l->toks[1].start, l->toks[1].len);
    cr_expect(sp.raw && sp.fstring && !sp.bytes);
    cr_expect_eq(sp.prefix_len, 2);
    cr_expect_eq(sp.quote_len, 1);
    sp = lexer_string_prefix("b'''x'''", 8);
    cr_expect(sp.bytes && !sp.raw && sp.quote_len == 3);
    lexed_free(l);
}

static char *decode(const char *body, int raw, int bytes, char *errbuf) {
    Arena a;
    arena_init(&a);
    const char *out;
    size_t n, bad;
    static char result[256];
    errbuf[0] = '\0';
    if (lexer_decode_string(&a, body, strlen(body), raw, bytes, &out, &n, errbuf, 200, &bad) < 0) {
        arena_free(&a);
        return NULL;
    }
    memcpy(result, out, n);
    result[n] = '\0';
    arena_free(&a);
    return result;
}

Test(strings, escapes) {
    char err[200];
    cr_expect_str_eq(decode("a\\nb\\tc\\\\d\\'e\\\"f", 0, 0, err), "a\nb\tc\\d'e\"f");
    cr_expect_str_eq(decode("\\x41\\101\\0\\u00e9\\U0001F600", 0, 0, err) + 0, "AA");  /* stops at NUL */
    char *s = decode("\\u00e9\\U0001F600\\N{SNOWMAN}", 0, 0, err);
    cr_expect_str_eq(s, "\xc3\xa9\xf0\x9f\x98\x80\xe2\x98\x83");
    cr_expect_str_eq(decode("a\\\nb", 0, 0, err), "ab");          /* line continuation */
    cr_expect_str_eq(decode("\\d\\q", 0, 0, err), "\\d\\q");      /* unknown escapes stay */
    cr_expect_str_eq(decode("\\n\\x41", 1, 0, err), "\\n\\x41");  /* raw */
    cr_expect_str_eq(decode("\\a\\b\\f\\v\\r", 0, 0, err), "\a\b\f\v\r");
    cr_expect_str_eq(decode("\\xff\\u00e9", 0, 1, err), "\xff\\u00e9"); /* bytes: no \u */
    cr_expect_str_eq(decode("\\777", 0, 0, err), "\xc7\xbf");     /* octal up to 0o777 in str */
}

Test(strings, escape_errors) {
    char err[200];
    cr_expect_null(decode("\\x1", 0, 0, err));
    cr_expect_str_eq(err, "(unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: "
                     "truncated \\xXX escape");
    cr_expect_null(decode("ab\\u12", 0, 0, err));
    cr_expect_str_eq(err, "(unicode error) 'unicodeescape' codec can't decode bytes in position 2-5: "
                     "truncated \\uXXXX escape");
    cr_expect_null(decode("\\U00110000", 0, 0, err));
    cr_expect(strstr(err, "illegal Unicode character") != NULL);
    cr_expect_null(decode("\\N{NO SUCH NAME}", 0, 0, err));
    cr_expect(strstr(err, "unknown Unicode character name") != NULL);
    cr_expect_null(decode("\\x4", 0, 1, err));
    cr_expect_str_eq(err, "(value error) invalid \\x escape at position 0");
    cr_expect_null(decode("\xc3\xa9", 0, 1, err));
    cr_expect_str_eq(err, "bytes can only contain ASCII literal characters");
}

Test(strings, errors) {
    expect_lex_error("s = 'abc", SE_SYNTAX, "unterminated string literal (detected at line 1)", 1, 5);
    expect_lex_error("s = 'abc\n", SE_SYNTAX, "unterminated string literal (detected at line 1)", 1, 5);
    expect_lex_error("x = 1\ns = \"a\\\nb", SE_SYNTAX,
                     "unterminated string literal (detected at line 3)", 2, 5);
    expect_lex_error("s = \"\"\"abc\n\n", SE_SYNTAX,
                     "unterminated triple-quoted string literal (detected at line 2)", 1, 5);
    expect_lex_error("s = '''abc\nd", SE_SYNTAX,
                     "unterminated triple-quoted string literal (detected at line 2)", 1, 5);
    Lexed *l = lex("s = '''abc\n");
    cr_expect(l->err.incomplete, "an open triple-quoted string asks for more input");
    lexed_free(l);
}

/* ---- indentation ---- */

Test(indent, nested_dedent_at_once) {
    cr_assert_str_eq(kinds("if a:\n  if b:\n    if c:\n      x\ny\n"),
        "IF NAME COLON NEWLINE INDENT IF NAME COLON NEWLINE INDENT IF NAME COLON NEWLINE INDENT "
        "NAME NEWLINE DEDENT DEDENT DEDENT NAME NEWLINE ENDMARKER");
    Lexed *l = lex("if a:\n  x\ny");
    expect_span(l, 4, 2, 0, 2, 2);     /* INDENT covers the whitespace */
    expect_span(l, 7, 3, 0, 3, 0);     /* DEDENT is empty, before `y` */
    lexed_free(l);
}

Test(indent, dedent_at_eof) {
    cr_assert_str_eq(kinds("def f():\n    if x:\n        pass"),
        "DEF NAME LPAR RPAR COLON NEWLINE INDENT IF NAME COLON NEWLINE INDENT PASS NEWLINE "
        "DEDENT DEDENT ENDMARKER");
    cr_assert_str_eq(kinds("if x:\n  y\n\n\n"),
        "IF NAME COLON NEWLINE INDENT NAME NEWLINE DEDENT ENDMARKER");
}

Test(indent, blank_and_comment_lines) {
    cr_assert_str_eq(kinds("if x:\n  a\n\n      # deep comment\n# shallow comment\n  \t\n  b\n"),
        "IF NAME COLON NEWLINE INDENT NAME NEWLINE NAME NEWLINE DEDENT ENDMARKER");
    cr_assert_str_eq(kinds("x = 1  # trailing\n"), "NAME EQUAL NUMBER NEWLINE ENDMARKER");
}

Test(indent, brackets_join_lines) {
    cr_assert_str_eq(kinds("x = [1,\n  2,\n\n# c\n        3]\ny\n"),
        "NAME EQUAL LSQB NUMBER COMMA NUMBER COMMA NUMBER RSQB NEWLINE NAME NEWLINE ENDMARKER");
    Lexed *l = lex("f(a,\n  b)\n");
    expect_span(l, 4, 2, 2, 2, 3);
    lexed_free(l);
}

Test(indent, backslash_continuation) {
    cr_assert_str_eq(kinds("x = 1 + \\\n        2\ny\n"),
        "NAME EQUAL NUMBER PLUS NUMBER NEWLINE NAME NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("if a and \\\n   b:\n    pass\n"),
        "IF NAME AND NAME COLON NEWLINE INDENT PASS NEWLINE DEDENT ENDMARKER");
}

Test(indent, tabs_and_crlf) {
    cr_assert_str_eq(kinds("if x:\r\n\ty\r\n\tz\r\n"),
        "IF NAME COLON NEWLINE INDENT NAME NEWLINE NAME NEWLINE DEDENT ENDMARKER");
    cr_assert_str_eq(kinds("if x:\r\ty\r"), "IF NAME COLON NEWLINE INDENT NAME NEWLINE DEDENT ENDMARKER");
    /* A tab reaches column 8, like eight spaces, and consistently so. */
    cr_assert_str_eq(kinds("if x:\n\tif y:\n\t\tz\n\tw\n"),
        "IF NAME COLON NEWLINE INDENT IF NAME COLON NEWLINE INDENT NAME NEWLINE DEDENT NAME "
        "NEWLINE DEDENT ENDMARKER");
}

Test(indent, errors) {
    expect_lex_error("def f():\n  x\n y\n", SE_INDENTATION,
                     "unindent does not match any outer indentation level", 3, 3);
    expect_lex_error("if x:\n\ty\n        z\n", SE_TAB,
                     "inconsistent use of tabs and spaces in indentation", 3, 0);
    expect_lex_error("if x:\n        y\n\tz\n", SE_TAB,
                     "inconsistent use of tabs and spaces in indentation", 3, 0);
    /* 99 levels are fine, the 100th is not (CPython's MAXINDENT). */
    char src[20000] = "";
    for (int i = 0; i < 100; i++) {
        for (int k = 0; k < i; k++) strcat(src, " ");
        strcat(src, "if x:\n");
    }
    Lexed *l = lex(src);
    cr_expect_eq(l->rc, 0, "99 levels: %s", l->err.msg);
    lexed_free(l);
    for (int k = 0; k < 100; k++) strcat(src, " ");
    strcat(src, "if x:\n");
    expect_lex_error(src, SE_INDENTATION, "too many levels of indentation", 101, 1);
}

/* ---- other errors ---- */

Test(errors, brackets) {
    expect_lex_error("x = )", SE_SYNTAX, "unmatched ')'", 1, 5);
    expect_lex_error("x = (1]", SE_SYNTAX,
                     "closing parenthesis ']' does not match opening parenthesis '('", 1, 7);
    expect_lex_error("x = (1,\n2]", SE_SYNTAX,
                     "closing parenthesis ']' does not match opening parenthesis '(' on line 1", 2, 2);
    expect_lex_error("x = (1,\n  [2,", SE_SYNTAX, "'[' was never closed", 2, 3);
    Lexed *l = lex("foo(1,\n");
    cr_expect_str_eq(l->err.msg, "'(' was never closed");
    cr_expect(l->err.incomplete);
    lexed_free(l);
    /* 200 levels are fine, the 201st is not (CPython's MAXLEVEL). */
    char src[512];
    memset(src, '(', 200);
    memset(src + 200, ')', 200);
    src[400] = '\0';
    l = lex(src);
    cr_expect_eq(l->rc, 0);
    lexed_free(l);
    memset(src, '[', 201);
    src[201] = '\0';
    expect_lex_error(src, SE_SYNTAX, "too many nested parentheses", 1, 201);
}

Test(errors, characters) {
    expect_lex_error("x = 5€", SE_SYNTAX, "invalid character '€' (U+20AC)", 1, 6);
    expect_lex_error("x = \xc2\xa0", SE_SYNTAX, "invalid non-printable character U+00A0", 1, 5);
    expect_lex_error("a \\ b", SE_SYNTAX, "unexpected character after line continuation character", 1, 4);
    expect_lex_error("x = 1 \\", SE_SYNTAX, "unexpected EOF while parsing", 1, 8);
    /* ASCII characters Python never uses become ERRORTOKEN for the parser. */
    cr_assert_str_eq(kinds("a $ b ? `"), "NAME ERRORTOKEN NAME ERRORTOKEN ERRORTOKEN NEWLINE ENDMARKER");
    cr_assert_str_eq(kinds("!a"), "ERRORTOKEN NAME NEWLINE ENDMARKER");
}

/* ---- the public token dump ---- */

static char *dump_tokens(const char *src, size_t len, int *rc, SyntaxErr *err) {
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    *rc = parse_dump_tokens(f, src, len, "t.apy", err);
    fclose(f);
    return out;
}

Test(dump, format) {
    SyntaxErr err = {0};
    int rc;
    char *out = dump_tokens("if x:\n  print('hi')\n", 20, &rc, &err);
    cr_assert_eq(rc, 0);
    cr_expect_str_eq(out,
        "1:0-1:2         IF            'if'\n"
        "1:3-1:4         NAME          'x'\n"
        "1:4-1:5         COLON         ':'\n"
        "1:5-1:6         NEWLINE       '\\n'\n"
        "2:0-2:2         INDENT        '  '\n"
        "2:2-2:7         NAME          'print'\n"
        "2:7-2:8         LPAR          '('\n"
        "2:8-2:12        STRING        '\\'hi\\''\n"
        "2:12-2:13       RPAR          ')'\n"
        "2:13-2:14       NEWLINE       '\\n'\n"
        "3:0-3:0         DEDENT        ''\n"
        "3:0-3:0         ENDMARKER     ''\n");
    free(out);
}

Test(dump, bom_nul_utf8) {
    SyntaxErr err = {0};
    int rc;
    char *out = dump_tokens("\xef\xbb\xbfx", 4, &rc, &err);
    cr_expect_eq(rc, 0);
    cr_expect(strncmp(out, "1:0-1:1         NAME          'x'", 33) == 0, "%s", out);
    free(out);
    out = dump_tokens("x = 1\0\n", 7, &rc, &err);
    cr_expect_eq(rc, -1);
    cr_expect_str_eq(err.msg, "source code cannot contain null bytes");
    cr_expect_eq(err.line, 1);
    syntax_error_free(&err);
    free(out);
    out = dump_tokens("x = 1\n\xff\n", 8, &rc, &err);
    cr_expect_eq(rc, -1);
    cr_expect_str_eq(err.msg, "(unicode error) 'utf-8' codec can't decode byte 0xff in position 6: "
                     "invalid start byte");
    cr_expect_eq(err.line, 2);
    free(out);
    out = dump_tokens("\xc3(", 2, &rc, &err);
    cr_expect_str_eq(err.msg, "(unicode error) 'utf-8' codec can't decode byte 0xc3 in position 0: "
                     "invalid continuation byte");
    free(out);
    out = dump_tokens("ab\xe2\x82", 4, &rc, &err);
    cr_expect_str_eq(err.msg, "(unicode error) 'utf-8' codec can't decode byte 0xe2 in position 2: "
                     "unexpected end of data");
    free(out);
    /* Tokens before the first error are printed. */
    out = dump_tokens("a b )", 5, &rc, &err);
    cr_expect_eq(rc, -1);
    cr_expect(strstr(out, "'b'") != NULL);
    cr_expect_str_eq(err.msg, "unmatched ')'");
    syntax_error_free(&err);
    free(out);
}
