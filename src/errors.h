/* errors.h — helpers of errors.c used by the CLI, the compiler and the REPL.
 * (The error indicator itself is declared in vm.h.) */
#ifndef APY_ERRORS_H
#define APY_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

void errors_init(void);
/* Remember a file's text so that tracebacks can quote its lines. */
void linecache_add(const char *filename, const char *src, size_t len);
/* Line `lineno` of `filename`, stripped; false if unknown. */
bool linecache_get(const char *filename, int lineno, char *buf, size_t bufsize, int *indent);

#endif
