/* fuzz_parse.c — libFuzzer harness for the front end: the lexer and the parser.
 *
 * Owns: feeding arbitrary bytes to parse_source() in each of its three modes
 * and to the token dump. The front end promises to never crash, whatever the
 * input (parse.h): every input must end in a tree or a SyntaxErr.
 * Must not touch: objects or the VM (the front end needs neither).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void parse_once(const char *src, size_t len, ParseMode mode) {
    Arena arena;
    arena_init(&arena);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Node *tree = parse_source(&arena, src, len, "<fuzz>", mode, &err);
    if (tree) {
        if (devnull) ast_dump(devnull, tree);
    } else {
        /* A failure must say why and where. */
        if (err.msg[0] == 0) abort();
        if (devnull) syntax_error_print(devnull, &err);
    }
    syntax_error_free(&err);
    arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy with no terminator after it: the front end must never read past len. */
    char *src = malloc(size ? size : 1);
    if (!src) return 0;
    memcpy(src, data, size);
    parse_once(src, size, PARSE_FILE);
    /* The other modes see the same bytes (short inputs: they are cheap there). */
    if (size < 4096) {
        parse_once(src, size, PARSE_SINGLE);
        parse_once(src, size, PARSE_EVAL);
    }
    if (devnull) {
        SyntaxErr err;
        memset(&err, 0, sizeof err);
        parse_dump_tokens(devnull, src, size, "<fuzz>", &err);
        syntax_error_free(&err);
    }
    free(src);
    return 0;
}
