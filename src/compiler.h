/* compiler.h — AST to code objects.
 *
 * Owns: turning a parsed, scope-analysed tree into CodeObj values (one per
 * module, class body, function, lambda and comprehension), with line tables
 * and exception tables; compile-time SyntaxErrors.
 * Must not touch: running code; the parser's internals.
 */
#ifndef APY_COMPILER_H
#define APY_COMPILER_H

#include "ast.h"
#include "parse.h"
#include "value.h"

enum {
    COMPILE_INTERACTIVE = 1 << 0,   /* expression statements print their value (REPL) */
    COMPILE_TOP_AWAIT   = 1 << 1,   /* a module may use await (REPL); its code is a coroutine */
    COMPILE_LIB         = 1 << 2,   /* code from lib/: marked so traces can hide it */
};

/* Compile `tree` (Module, Interactive or Expression). Returns a CodeObj
 * value, or VNULL with `err` filled for a SyntaxError, or VNULL with a
 * Python exception set (MemoryError, RecursionError). */
Value compiler_compile(Node *tree, const char *filename, int flags, SyntaxErr *err);

/* A SyntaxError (or IndentationError/TabError) instance for `err`. */
Value syntax_error_to_exc(const SyntaxErr *err);

/* `apy --dis`: every code object, recursively, in the spirit of dis.dis(). */
void dis_code(FILE *out, Value code);

#endif
