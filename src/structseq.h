/* structseq.h — named records that are also tuples: sys.version_info,
 * time.struct_time, sys.float_info … (CPython's "struct sequences").
 *
 * Owns: nothing but declarations; structseq.c implements them for the
 * built-in modules (mod_sys.c, mod_time.c).
 * Must not touch: anything else.
 *
 * A struct sequence behaves like a tuple of its first `nseq` fields
 * (len, indexing, slicing, iteration, comparison with tuples, hashing)
 * and shows every field by name: version_info.major, t.tm_year. Fields
 * after the first `nseq` are attributes only, as CPython's tm_zone is.
 */
#ifndef APY_STRUCTSEQ_H
#define APY_STRUCTSEQ_H

#include "object.h"

/* A new struct sequence type. `display` is what repr() shows before the
 * parenthesis ("time.struct_time", "sys.version_info", "namespace");
 * `name`/`module` are the type's __name__ and __module__. `fields` is
 * NULL-terminated and must outlive the type (a static array). The type
 * lives for the whole run. NULL + exception on failure. */
Type *structseq_new_type(const char *name, const char *module, const char *display,
                         const char *const *fields, size_t nseq);

/* An instance of t from one value per field (borrowed). */
Value structseq_new(Type *t, const Value *items);

/* True if v is a struct sequence (of any such type). */
bool structseq_check(Value v);

/* Field i of a struct sequence (borrowed). */
Value structseq_get(Value v, size_t i);

#endif
