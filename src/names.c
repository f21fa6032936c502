/* names.c — the table of pre-interned identifiers (see names.h).
 * Owns: NM. Must not touch: anything else. */
#include "names.h"
#include "object.h"

Names NM;

void names_init(void) {
#define X(n) NM.n = str_intern_cstr(#n);
    APY_NAMES(X)
#undef X
}
