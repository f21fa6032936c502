/* gc.c — memory: every heap object is born and dies here.
 *
 * Owns: object allocation (with small size-class free lists), the heap
 * budget behind MemoryError, deallocation when a count reaches zero (with a
 * "trashcan" so that freeing a deeply nested structure cannot overflow the C
 * stack), the deferred finalizer queue, and the cycle collector.
 * Must not touch: the fields of particular objects — it reaches them only
 * through their type's dealloc/traverse/clear/finalize slots.
 *
 * Every object is preceded by a header. Containers (types with TF_GC) get
 * the full GCHead, which links them into the list the collector walks;
 * other objects get only the last word (size and flags).
 *
 * The cycle collector is CPython's: copy each tracked object's count into
 * `refs`, subtract the references found by traversing every tracked object;
 * what remains positive is referenced from outside (the VM's stacks, C
 * locals, globals…) and is alive, with everything reachable from it. The
 * rest is garbage: finalizers run first (at a safe point, once), then each
 * object's `clear` breaks its references and counting frees them.
 */
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include "gc.h"
#include "vm.h"

typedef struct SizeWord {
    uint32_t size;      /* bytes in the whole block, header included */
    uint32_t flags;
} SizeWord;

typedef struct GCHead {
    struct GCHead *next, *prev;
    intptr_t refs;      /* scratch during a collection */
    SizeWord sw;
} GCHead;

enum {
    HF_GC        = 1 << 0,   /* has a full GCHead */
    HF_TRACKED   = 1 << 1,
    HF_FINALIZED = 1 << 2,
    HF_REACHABLE = 1 << 3,
    HF_QUEUED    = 1 << 4,   /* waiting in the finalizer queue */
};

#define SW(o)    ((SizeWord *)(o) - 1)
#define GCH(o)   ((GCHead *)(o) - 1)
#define OBJ_OF(h) ((Obj *)((GCHead *)(h) + 1))

/* ---- the heap budget ------------------------------------------------------------- */
static size_t heap_bytes, heap_limit;

static bool budget_take(size_t n) {
    if (heap_limit && heap_bytes + n > heap_limit) return false;
    heap_bytes += n;
    return true;
}

size_t gc_heap_bytes(void) { return heap_bytes; }
void gc_set_heap_limit(size_t bytes) { heap_limit = bytes; }
size_t gc_heap_limit(void) { return heap_limit; }

/* Memory that others allocate and cannot fail (GMP's limbs) still counts
 * against the budget, so that what is left for gc_malloc is right. */
void gc_account_external(ptrdiff_t delta) {
    if (delta < 0 && (size_t)-delta > heap_bytes) heap_bytes = 0;
    else heap_bytes += (size_t)delta;
}

/* ---- small blocks: size-class free lists ------------------------------------------- */
#define SMALL_MAX   512
#define CLASS_STEP  16
#define NCLASSES    (SMALL_MAX / CLASS_STEP)
#define CLASS_KEEP  8192          /* blocks kept per class */

typedef struct FreeBlock { struct FreeBlock *next; } FreeBlock;
static FreeBlock *free_lists[NCLASSES];
static uint32_t free_counts[NCLASSES];

static void *block_alloc(size_t *size) {
    if (*size <= SMALL_MAX) {
        size_t cls = (*size + CLASS_STEP - 1) / CLASS_STEP - 1;
        *size = (cls + 1) * CLASS_STEP;
        FreeBlock *b = free_lists[cls];
        if (b) {
            free_lists[cls] = b->next;
            free_counts[cls]--;
            return b;
        }
    }
    return malloc(*size);
}

/* Under AddressSanitizer nothing is kept for reuse (size classes here, the
 * types' free lists in destroy()): memory goes back to malloc at once, so a
 * use after free is reported instead of hidden by recycling. */
#if defined(__SANITIZE_ADDRESS__)
#define APY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define APY_ASAN 1
#endif
#endif
#ifdef APY_ASAN
#define KEEP_FREED_MEMORY 0
#else
#define KEEP_FREED_MEMORY 1
#endif

static void block_free(void *p, size_t size) {
    if (KEEP_FREED_MEMORY && size <= SMALL_MAX) {
        size_t cls = size / CLASS_STEP - 1;
        if (free_counts[cls] < CLASS_KEEP) {
            FreeBlock *b = p;
            b->next = free_lists[cls];
            free_lists[cls] = b;
            free_counts[cls]++;
            return;
        }
    }
    free(p);
}

/* ---- the tracked list ----------------------------------------------------------------- */
static GCHead tracked = { &tracked, &tracked, 0, {0, 0} };
static size_t ntracked;
static size_t allocs_since_collect;
static size_t threshold = 2000;
static bool stress, enabled = true, collecting;
static size_t stat_collections, stat_collected;

static void list_insert(GCHead *h) {
    h->prev = tracked.prev;
    h->next = &tracked;
    tracked.prev->next = h;
    tracked.prev = h;
}

static void list_remove(GCHead *h) {
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->next = h->prev = NULL;
}

static inline bool is_static(Obj *o);

void gc_track(Obj *o) {
    SizeWord *sw = SW(o);
    if (!(sw->flags & HF_GC) || (sw->flags & HF_TRACKED)) return;
    sw->flags |= HF_TRACKED;
    list_insert(GCH(o));
    ntracked++;
}

void gc_untrack(Obj *o) {
    SizeWord *sw = SW(o);
    if (!(sw->flags & HF_TRACKED)) return;
    sw->flags &= ~HF_TRACKED;
    list_remove(GCH(o));
    ntracked--;
}

bool gc_is_tracked(Obj *o) { return !is_static(o) && (SW(o)->flags & HF_TRACKED) != 0; }
bool gc_is_finalized(Obj *o) { return (SW(o)->flags & HF_FINALIZED) != 0; }
void gc_set_finalized(Obj *o) { SW(o)->flags |= HF_FINALIZED; }

/* ---- allocation ------------------------------------------------------------------------- */
Obj *gc_alloc(Type *t, size_t size) {
    bool container = (t->flags & TF_GC) != 0;
    size_t head = container ? sizeof(GCHead) : sizeof(SizeWord);
    size_t total = head + size;
    if (total > UINT32_MAX || !budget_take(total)) {
        err_no_memory();
        return NULL;
    }
    size_t block = total;
    char *p = block_alloc(&block);
    if (!p) {
        heap_bytes -= total;
        err_no_memory();
        return NULL;
    }
    heap_bytes += block - total;
    memset(p, 0, block);
    Obj *o = (Obj *)(p + head);
    SizeWord *sw = SW(o);
    sw->size = (uint32_t)block;
    sw->flags = container ? HF_GC : 0;
    o->rc = 1;
    o->type = t;
    if (t->flags & TF_HEAPTYPE) incref(OBJ_VAL(t));
    if (container) {
        gc_track(o);
        if (++allocs_since_collect > threshold || stress) vm.pending |= PENDING_GC;
    }
    return o;
}

static void free_object_memory(Obj *o);

/* A container that starts untracked, with only its first `zero` bytes
 * cleared (frames: the header and the locals; the value stack is written
 * before it is read). */
Obj *gc_alloc_untracked(Type *t, size_t size, size_t zero) {
    size_t total = sizeof(GCHead) + size;
    if (total > UINT32_MAX || !budget_take(total)) {
        err_no_memory();
        return NULL;
    }
    size_t block = total;
    char *p = block_alloc(&block);
    if (!p) {
        heap_bytes -= total;
        err_no_memory();
        return NULL;
    }
    heap_bytes += block - total;
    memset(p, 0, sizeof(GCHead) + (zero < size ? zero : size));
    Obj *o = (Obj *)(p + sizeof(GCHead));
    SizeWord *sw = SW(o);
    sw->size = (uint32_t)block;
    sw->flags = HF_GC;
    o->rc = 1;
    o->type = t;
    return o;
}

void gc_free_object(Obj *o) { free_object_memory(o); }

size_t gc_object_capacity(Obj *o) {
    SizeWord *sw = SW(o);
    return (sw->flags & HF_GC) ? 0 : sw->size - sizeof(SizeWord);
}

Obj *gc_resize_object(Obj *o, size_t size) {
    SizeWord *sw = SW(o);
    if (sw->flags & HF_GC) { err_no_memory(); return NULL; }   /* containers are linked in lists: never moved */
    size_t old = sw->size;
    /* a multiple of the size-class step, as block_free expects of small blocks */
    size_t total = (sizeof(SizeWord) + size + CLASS_STEP - 1) / CLASS_STEP * CLASS_STEP;
    if (total > UINT32_MAX || (total > old && !budget_take(total - old))) { err_no_memory(); return NULL; }
    /* Every block, even one from a size-class free list, started as a malloc'd block of its class's size. */
    SizeWord *nsw = realloc(sw, total);
    if (!nsw) {
        if (total > old) heap_bytes -= total - old;
        err_no_memory();
        return NULL;
    }
    if (total < old) heap_bytes -= old - total;
    nsw->size = (uint32_t)total;
    return (Obj *)(nsw + 1);
}

static void free_object_memory(Obj *o) {
    SizeWord *sw = SW(o);
    size_t size = sw->size;
    void *block = (sw->flags & HF_GC) ? (void *)GCH(o) : (void *)sw;
    heap_bytes -= size;
    block_free(block, size);
}

void *gc_malloc(size_t n) {
    if (!budget_take(n)) { err_no_memory(); return NULL; }
    void *p = malloc(n ? n : 1);
    if (!p) { heap_bytes -= n; err_no_memory(); return NULL; }
    heap_bytes += malloc_usable_size(p) - n;
    return p;
}

void *gc_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) { err_no_memory(); return NULL; }
    void *p = gc_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *gc_realloc(void *p, size_t n) {
    if (!p) return gc_malloc(n);
    size_t old = malloc_usable_size(p);
    if (n > old && !budget_take(n - old)) { err_no_memory(); return NULL; }
    if (n <= old) heap_bytes -= old - n;
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        if (n > old) heap_bytes -= n - old;
        else heap_bytes += old - n;
        err_no_memory();
        return NULL;
    }
    size_t now = malloc_usable_size(q);
    heap_bytes += now - n;      /* account what realloc really gave */
    return q;
}

void gc_free(void *p) {
    if (!p) return;
    heap_bytes -= malloc_usable_size(p);
    free(p);
}

/* ---- deallocation ------------------------------------------------------------------------ */
/* Freeing a long chain (a list of lists of lists …) recurses through dealloc
 * slots; past this depth, objects wait in `trash` and the outermost
 * gc_dealloc frees them one by one. */
#define TRASH_DEPTH 64
static int dealloc_depth;
static Obj **trash;
static size_t ntrash, trash_cap;

static Obj **finq;                    /* objects whose finalizer is due */
static size_t nfinq, finq_cap;

static bool needs_finalize(Obj *o) {
    Type *t = o->type;
    if (!t->finalize || (SW(o)->flags & HF_FINALIZED)) return false;
    return !t->needs_finalize || t->needs_finalize(o);
}

static bool push_ptr(Obj ***arr, size_t *n, size_t *cap, Obj *o) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        Obj **na = realloc(*arr, nc * sizeof *na);
        if (!na) return false;
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = o;
    return true;
}

static void queue_finalizer(Obj *o) {
    /* The queue holds a reference: the object lives until its finalizer ran. */
    if (SW(o)->flags & HF_QUEUED) return;
    if (!push_ptr(&finq, &nfinq, &finq_cap, o)) {
        SW(o)->flags |= HF_FINALIZED;   /* out of memory: skip the finalizer */
        return;
    }
    SW(o)->flags |= HF_QUEUED;
    o->rc++;
    vm.pending |= PENDING_FINALIZE;
}

void gc_defer_finalize(Obj *o) { queue_finalizer(o); }

/* Like CPython's generation-0 count: allocations minus deallocations,
 * so that short-lived containers (frames, tuples) don't trigger collections. */
static void count_death(Obj *o) {
    if ((SW(o)->flags & HF_TRACKED) && allocs_since_collect) allocs_since_collect--;
}

void gc_untrack_dead(Obj *o) {
    count_death(o);
    gc_untrack(o);
}

static void destroy(Obj *o) {
    Type *t = o->type;
    count_death(o);
    gc_untrack(o);
    if (t->dealloc) t->dealloc(o);
    if (KEEP_FREED_MEMORY && t->recycle && t->recycle(o)) return;
    free_object_memory(o);
    if (t->flags & TF_HEAPTYPE) decref(OBJ_VAL(t));
}

void gc_dealloc(Obj *o) {
    if (UNLIKELY(needs_finalize(o))) {
        /* Resurrect until the next safe point, where the finalizer runs. */
        o->rc = 0;
        queue_finalizer(o);
        return;
    }
    if (dealloc_depth >= TRASH_DEPTH) {
        if (push_ptr(&trash, &ntrash, &trash_cap, o)) return;
    }
    dealloc_depth++;
    destroy(o);
    if (dealloc_depth == 1) {
        while (ntrash) destroy(trash[--ntrash]);
    }
    dealloc_depth--;
}

/* ---- finalizers --------------------------------------------------------------------------- */
static void run_finalizers(void) {
    /* Take the queue as a batch: a finalizer runs apy code, whose safe
     * points may run finalizers again; those see only what was queued
     * after this batch was taken. */
    Value saved = err_fetch();
    while (nfinq) {
        Obj **batch = finq;
        size_t n = nfinq;
        finq = NULL;
        nfinq = finq_cap = 0;
        for (size_t i = 0; i < n; i++) {
            Obj *o = batch[i];
            SW(o)->flags &= ~HF_QUEUED;
            if (!(SW(o)->flags & HF_FINALIZED)) {
                SW(o)->flags |= HF_FINALIZED;
                o->type->finalize(o);
                if (err_occurred()) err_write_unraisable(err_fetch(), NULL);
            }
            decref(OBJ_VAL(o));
        }
        free(batch);
    }
    if (saved) err_restore(saved);
}

/* ---- the cycle collector ---------------------------------------------------------------- */
/* Static objects (None, the built-in types…) have no header: skip them. */
static inline bool is_static(Obj *o) { return o->rc >= IMMORTAL_RC / 2; }

static void visit_decref(Value v, void *arg) {
    (void)arg;
    if (!IS_OBJ(v)) return;
    Obj *o = AS_OBJ(v);
    if (!is_static(o) && (SW(o)->flags & HF_TRACKED)) GCH(o)->refs--;
}

typedef struct { Obj **items; size_t n, cap; } Stack;

static void visit_reach(Value v, void *arg) {
    if (!IS_OBJ(v)) return;
    Obj *o = AS_OBJ(v);
    if (is_static(o)) return;
    SizeWord *sw = SW(o);
    if ((sw->flags & HF_TRACKED) && !(sw->flags & HF_REACHABLE)) {
        sw->flags |= HF_REACHABLE;
        Stack *s = arg;
        push_ptr(&s->items, &s->n, &s->cap, o);
    }
}

static size_t collect(void) {
    if (collecting || !ntracked) return 0;
    collecting = true;
    stat_collections++;
    /* 1. refs = rc; 2. subtract internal references. */
    for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
        h->refs = OBJ_OF(h)->rc;
        h->sw.flags &= ~HF_REACHABLE;
    }
    for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
        Obj *o = OBJ_OF(h);
        if (o->type->traverse) o->type->traverse(o, visit_decref, NULL);
    }
    /* 3. Whatever is still referenced from outside is alive, and so is all it reaches. */
    Stack st = {0};
    for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
        if (h->refs > 0 && !(h->sw.flags & HF_REACHABLE)) {
            h->sw.flags |= HF_REACHABLE;
            push_ptr(&st.items, &st.n, &st.cap, OBJ_OF(h));
        }
        while (st.n) {
            Obj *o = st.items[--st.n];
            if (o->type->traverse) o->type->traverse(o, visit_reach, &st);
        }
    }
    /* 4. The rest is garbage. */
    Obj **garbage = NULL;
    size_t ngarbage = 0, gcap = 0;
    bool finalizing = false;
    for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
        if (h->sw.flags & HF_REACHABLE) continue;
        Obj *o = OBJ_OF(h);
        if (!push_ptr(&garbage, &ngarbage, &gcap, o)) break;
        if (needs_finalize(o)) finalizing = true;
    }
    for (size_t i = 0; i < ngarbage; i++) garbage[i]->rc++;   /* hold them while we work */
    if (finalizing) {
        /* Run finalizers first; what stays unreachable goes next time. */
        for (size_t i = 0; i < ngarbage; i++)
            if (needs_finalize(garbage[i])) queue_finalizer(garbage[i]);
    } else {
        for (size_t i = 0; i < ngarbage; i++) {
            Obj *o = garbage[i];
            if (o->type->clear) o->type->clear(o);
        }
    }
    for (size_t i = 0; i < ngarbage; i++) decref(OBJ_VAL(garbage[i]));
    free(garbage);
    free(st.items);
    stat_collected += ngarbage;
    allocs_since_collect = 0;
    threshold = ntracked > 2000 ? ntracked : 2000;    /* the heap may double between full collections: O(n) overall while it grows */
    collecting = false;
    return ngarbage;
}

size_t gc_collect(void) {
    size_t n = collect();
    if (nfinq) {
        run_finalizers();
        n += collect();
    }
    return n;
}

/* Stress mode collects at every safe point that follows an allocation —
 * while the heap is small (up to STRESS_FULL_LIMIT tracked objects).
 * Beyond that it collects every (tracked / STRESS_AMORTIZED)-th time, so
 * each safe point costs about STRESS_AMORTIZED object visits on average and
 * a program with a deep heap (100,000 suspended frames) is not quadratic. */
#define STRESS_FULL_LIMIT 10000
#define STRESS_AMORTIZED 1000
static size_t stress_skip;

static bool stress_due(void) {
    if (ntracked <= STRESS_FULL_LIMIT) return true;
    if (++stress_skip < ntracked / STRESS_AMORTIZED) return false;
    stress_skip = 0;
    return true;
}

void gc_safepoint(void) {
    vm.pending &= ~(PENDING_GC | PENDING_FINALIZE);
    if (enabled && ((stress && stress_due()) || allocs_since_collect > threshold)) collect();
    if (nfinq) run_finalizers();
}

void gc_finalize_all(void) {
    /* At exit, as CPython does when it clears its modules: give every live
     * object with a pending finalizer its chance (generators' finally blocks). */
    for (int round = 0; round < 4; round++) {
        bool any = false;
        for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
            Obj *o = OBJ_OF(h);
            if (needs_finalize(o)) { queue_finalizer(o); any = true; }
        }
        if (!any && !nfinq) break;
        run_finalizers();
    }
}

void gc_set_stress(bool on) { stress = on; }
bool gc_stress(void) { return stress; }
void gc_enable(bool on) { enabled = on; }
bool gc_enabled(void) { return enabled; }

void gc_stats(size_t *collections, size_t *collected, size_t *count) {
    if (collections) *collections = stat_collections;
    if (collected) *collected = stat_collected;
    if (count) *count = ntracked;
}

/* Every tracked object, for gc.get_objects(): a new list. Frames on the VM's
 * chain are not tracked (see frame.c), as in CPython 3.11. */
Value gc_get_objects(void) {
    Value list = list_new(0);
    if (!list) return VNULL;
    for (GCHead *h = tracked.next; h != &tracked; h = h->next) {
        Obj *o = OBJ_OF(h);
        if (o == AS_OBJ(list)) continue;
        if (list_append(list, OBJ_VAL(o)) < 0) { decref(list); return VNULL; }
    }
    return list;
}

void gc_init(void) {
    const char *s = getenv("APY_GC_STRESS");
#ifdef APY_GC_STRESS_DEFAULT
    stress = !(s && s[0] == '0');
#else
    stress = s && s[0] && s[0] != '0';
#endif
}
