/* fuzz_compile.c — libFuzzer harness for the compiler: parse, then
 * compiler_compile() (scope analysis, code generation, line and exception
 * tables), then the disassembler over the result.
 *
 * Owns: nothing but the harness. The interpreter is initialised once per
 * process (the compiler makes constants, names and code objects).
 * Must not touch: running code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "compiler.h"
#include "vm.h"
#include "gc.h"

static FILE *devnull;
static unsigned long inputs;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    static char *vargv[] = { "<fuzz>", NULL };
    vm_init(1, vargv);
    devnull = fopen("/dev/null", "w");
    return 0;
}

static void compile_once(const char *src, size_t len, ParseMode mode, int flags) {
    Arena arena;
    arena_init(&arena);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Node *tree = parse_source(&arena, src, len, "<fuzz>", mode, &err);
    if (tree) {
        Value code = compiler_compile(tree, "<fuzz>", flags, &err);
        if (code) {
            if (devnull) dis_code(devnull, code);
            decref(code);
        } else if (!err_occurred()) {
            /* A compile-time SyntaxError: it must become an exception object. */
            if (err.msg[0] == 0) abort();
            Value e = syntax_error_to_exc(&err);
            if (!e) abort();
            decref(e);
        }
    }
    err_clear();
    syntax_error_free(&err);
    arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *src = malloc(size ? size : 1);
    if (!src) return 0;
    memcpy(src, data, size);
    compile_once(src, size, PARSE_FILE, 0);
    if (size < 4096) {
        compile_once(src, size, PARSE_SINGLE, COMPILE_INTERACTIVE | COMPILE_TOP_AWAIT);
        compile_once(src, size, PARSE_EVAL, 0);
    }
    free(src);
    if (vm.frame || vm.depth || vm.c_depth || err_occurred()) abort();
    if (++inputs % 256 == 0) gc_collect();
    return 0;
}
