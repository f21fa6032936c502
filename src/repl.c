/* repl.c — the interactive session (a first version: line input, multi-line
 * blocks decided by the parser, results shown with repr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "vm.h"
#include "parse.h"

int repl_main(const CliOptions *opts) {
    (void)opts;
    char line[4096];
    char *buf = NULL;
    size_t len = 0;
    for (;;) {
        fputs(len ? "... " : ">>> ", stdout);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) { putchar('\n'); break; }
        size_t n = strlen(line);
        char *nb = realloc(buf, len + n + 1);
        if (!nb) break;
        buf = nb;
        memcpy(buf + len, line, n + 1);
        len += n;
        Arena a;
        arena_init(&a);
        SyntaxErr err;
        memset(&err, 0, sizeof err);
        Node *tree = parse_source(&a, buf, len, "<stdin>", PARSE_SINGLE, &err);
        bool blank = n <= 1;
        arena_free(&a);
        if (!tree && err.incomplete && !blank) { syntax_error_free(&err); continue; }
        if (tree && len > n && !blank) { syntax_error_free(&err); continue; }
        syntax_error_free(&err);
        Value code = compile_source(buf, len, "<stdin>", 1);
        len = 0;
        if (!code) { err_print_and_clear(); continue; }
        Value globals = ((ModuleObj *)AS_OBJ(vm.main_module))->dict;
        Value r = vm_run_code(AS_CODE(code), globals, globals);
        decref(code);
        if (!r) err_print_and_clear();
        decref(r);
        fflush(stdout);
    }
    free(buf);
    return 0;
}
