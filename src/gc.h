/* gc.h — memory: allocation, reference counting's slow path, cycle collection.
 *
 * Owns: every heap object's memory. Objects die when their count reaches
 * zero (gc_dealloc); reference cycles are found by a CPython-style collector
 * (trial deletion over the tracked containers: no root registration needed,
 * because any reference held by C code counts as an external reference).
 * Collections and finalizers run only at the VM's safe points (instruction
 * boundaries), never inside an allocation, so C code may hold borrowed
 * pointers across allocations.
 * Stress mode (APY_GC_STRESS=1 or --gc-stress) collects at every safe point
 * that follows an allocation.
 * Must not touch: the layout of particular objects (it uses their type's
 * traverse/clear/dealloc/finalize slots).
 */
#ifndef APY_GC_H
#define APY_GC_H

#include "value.h"
#include "object.h"

/* A new object of type t, `size` bytes (>= t's header), zeroed, count 1,
 * tracked by the collector if t has TF_GC. NULL + MemoryError on failure or
 * past the heap limit. Heap types are increfed by their instances. */
Obj  *gc_alloc(Type *t, size_t size);
Obj  *gc_alloc_untracked(Type *t, size_t size, size_t zero); /* frames: not tracked, only `zero` bytes cleared */

/* Counted raw memory for object buffers (list items, dict tables…).
 * NULL + MemoryError on failure. */
void *gc_malloc(size_t n);
void *gc_calloc(size_t count, size_t size);
void *gc_realloc(void *p, size_t n);
void  gc_free(void *p);

void  gc_free_object(Obj *o);                 /* release memory a type's free list kept (see Type.recycle) */

/* Room for growing a non-container object in place (a string being
 * appended to): the bytes its block holds for the object itself, and a
 * resize of the block to hold at least `size`, which may move the object
 * (nothing else may reference it). NULL + MemoryError on failure, with the
 * object left as it was. */
size_t gc_object_capacity(Obj *o);
Obj  *gc_resize_object(Obj *o, size_t size);
void  gc_track(Obj *o);
void  gc_untrack(Obj *o);
void  gc_untrack_dead(Obj *o);               /* it dies (a type's free list takes it back): counts as a deallocation */
bool  gc_is_tracked(Obj *o);

/* Run a full collection now (gc.collect()); returns the number of
 * unreachable objects found. Must be called at a safe point. */
size_t gc_collect(void);

/* Called by the VM at safe points when vm.pending says the GC wants to run
 * or finalizers are queued. */
void  gc_safepoint(void);

/* Schedule o's finalizer to run at the next safe point (generator close,
 * "never awaited" warnings…). The object is kept alive until then. */
void  gc_defer_finalize(Obj *o);
bool  gc_is_finalized(Obj *o);
void  gc_set_finalized(Obj *o);

void   gc_set_stress(bool on);
bool   gc_stress(void);
void   gc_set_heap_limit(size_t bytes);  /* 0 = none */
size_t gc_heap_bytes(void);
/* ---- for memory allocated outside gc_malloc (GMP: obj_int.c) ---- */
size_t gc_heap_limit(void);                  /* 0 = none */
void   gc_account_external(ptrdiff_t delta); /* bytes allocated (+) or freed (-) elsewhere */
void   gc_stats(size_t *collections, size_t *collected, size_t *tracked);
Value  gc_get_objects(void);                  /* a new list of every tracked object */
void   gc_enable(bool on);
bool   gc_enabled(void);

/* At exit: finalize what is still alive (generators' finally blocks run,
 * as they do when CPython tears its modules down). */
void  gc_finalize_all(void);

void  gc_init(void);

#endif
