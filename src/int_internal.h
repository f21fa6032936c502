/* int_internal.h — int helpers shared by obj_int.c, mod_math.c and mod_random.c.
 *
 * Owns: nothing but these declarations (obj_int.c implements them). Other
 * rooms may use them too; the public int API stays in object.h.
 * Must not touch: object layouts.
 */
#ifndef APY_INT_INTERNAL_H
#define APY_INT_INTERNAL_H

#include <gmp.h>
#include "object.h"

/* A read-only mpz view of any int-like value (int, bool, int subclass),
 * without copying: big ints lend their own mpz, small ones are wrapped
 * around one limb held in the IntArg, which must stay in place (a local)
 * while the view is used. Never pass the view to an mpz_* output. */
typedef struct { mpz_t ro; mp_limb_t limb; mpz_srcptr z; } IntArg;
mpz_srcptr int_arg(IntArg *a, Value v);

/* An int from z that takes over z's memory: the caller must not clear z
 * afterwards (it is cleared here when the value is small, or on error). */
Value int_from_mpz_steal(mpz_t z);

/* The exact int (small or IntType) equal to the int-like v. */
Value int_exact(Value v);

/* divmod(a, b) for ints: (a // b, a % b); NotImplemented for non-ints. */
Value int_divmod(Value a, Value b);

/* abs(v) for an int-like v. */
Value int_abs(Value v);

/* v = m * 2**e, 0.5 <= |m| < 1, m correctly rounded (m = 0, e = 0 for 0). */
double int_frexp(Value v, int64_t *e);

/* sys.set_int_max_str_digits(n): 0 = no limit. */
void int_set_str_digits_limit(size_t n);

/* The largest int we agree to build (bits); past it: MemoryError. It is
 * 2**33, or less when the heap budget (--max-memory) leaves less room:
 * GMP cannot fail an allocation, so results are refused before it is asked. */
uint64_t int_max_bits(void);
#define INT_MAX_BITS int_max_bits()

#endif
