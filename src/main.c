/* main.c — the `apy` command line (temporary front-end-only version; the full
 * CLI lives in cli.c once the VM lands). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: apy --tokens|--ast FILE\n"); return 2; }
    size_t len;
    char *src = read_file(argv[2], &len);
    if (!src) { fprintf(stderr, "apy: can't open file '%s'\n", argv[2]); return 2; }
    SyntaxErr err = {0};
    int rc = 0;
    if (strcmp(argv[1], "--tokens") == 0) {
        if (parse_dump_tokens(stdout, src, len, argv[2], &err) < 0) rc = 1;
    } else {
        Arena a; arena_init(&a);
        Node *n = parse_source(&a, src, len, argv[2], PARSE_FILE, &err);
        if (n) ast_dump(stdout, n); else rc = 1;
        arena_free(&a);
    }
    if (rc) { syntax_error_print(stderr, &err); syntax_error_free(&err); }
    free(src);
    return rc;
}
