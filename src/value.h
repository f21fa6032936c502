/* value.h — the Value word: a small int or a pointer to a heap object.
 *
 * Owns: the tagging scheme and reference counting primitives.
 * Must not touch: any particular object type.
 *
 *   ...xxxx1   a small int: the value is the word shifted right by one (63 bits)
 *   ...xxx000  a pointer to an Obj (8-byte aligned); 0 is VNULL, "no value"
 *
 * VNULL is never a Python value: functions return it to say "an exception is
 * set" (see err_* in vm.h), and variables hold it when unbound.
 *
 * Ownership follows CPython: a function returning a Value returns a *new*
 * reference unless its comment says "borrowed"; arguments are borrowed
 * unless the comment says "steals". Small ints are not counted.
 */
#ifndef APY_VALUE_H
#define APY_VALUE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uintptr_t Value;
typedef struct Obj Obj;
typedef struct Type Type;

#define VNULL ((Value)0)

#define IS_INT(v)   (((v) & 1) != 0)
#define IS_OBJ(v)   ((v) != 0 && ((v) & 1) == 0)
#define AS_INT(v)   ((intptr_t)(v) >> 1)
#define MK_INT(i)   ((Value)(((uintptr_t)(intptr_t)(i) << 1) | 1))
#define AS_OBJ(v)   ((Obj *)(v))
#define OBJ_VAL(o)  ((Value)(o))

/* Small ints hold 63 bits; anything else is a BigInt object. */
#define SMALL_INT_MAX  ((intptr_t)(INTPTR_MAX >> 1))
#define SMALL_INT_MIN  ((intptr_t)(INTPTR_MIN >> 1))
#define FITS_SMALL(i)  ((i) >= SMALL_INT_MIN && (i) <= SMALL_INT_MAX)

#if defined(__GNUC__)
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NOINLINE    __attribute__((noinline))
#else
#define LIKELY(x)   (x)
#define UNLIKELY(x) (x)
#define NOINLINE
#endif

/* The common object header. `rc` counts references; `type` is the class. */
struct Obj {
    intptr_t rc;
    Type *type;
};

void gc_dealloc(Obj *o);   /* gc.c: called when a count reaches zero */

static inline Value incref(Value v) {
    if (IS_OBJ(v)) AS_OBJ(v)->rc++;
    return v;
}

static inline void decref(Value v) {
    if (IS_OBJ(v) && --AS_OBJ(v)->rc == 0) gc_dealloc(AS_OBJ(v));
}

/* Replace *slot by v (stealing v) and release the old value. */
static inline void setref(Value *slot, Value v) {
    Value old = *slot;
    *slot = v;
    decref(old);
}

/* Release *slot and clear it. */
static inline void clearref(Value *slot) {
    Value old = *slot;
    *slot = VNULL;
    decref(old);
}

#define TYPE_OF(v) (IS_INT(v) ? &IntType : AS_OBJ(v)->type)
#define IS_TYPE(v, T) (IS_OBJ(v) && AS_OBJ(v)->type == (T))

#endif
