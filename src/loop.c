/* loop.c — the event loop: a ready queue, a timer heap and a clock.
 *
 * Owns: Handle and TimerHandle, the loop object (call_soon, call_later,
 * call_at, time, run_forever, run_until_complete, stop, close, the
 * exception handler and its default messages, the async-generator hooks),
 * the running loop and the current loop, the real and the virtual clock,
 * and the `_asyncio` module that lib/asyncio builds on.
 * Must not touch: Future/Task internals (future.c, task.c) or trace sinks.
 *
 * One iteration is CPython's BaseEventLoop._run_once, line for line:
 *
 *     timeout = 0 if ready or stopping else time to the nearest timer (or None)
 *     wait(timeout)                 # real clock: sleep; virtual clock: jump
 *     move every timer that is due into the ready queue
 *     run exactly the handles that were ready at this point, in order
 *
 * The timer heap is heapq's algorithm (same comparisons), so timers that
 * are due at the same moment run in the order CPython runs them.
 */
#include <string.h>
#include <stddef.h>
#include <time.h>
#include <errno.h>
#include <math.h>
#include "aio.h"
#include "gc.h"
#include "names.h"
#include "trace.h"

static Value running_loop;        /* borrowed: the loop inside run_forever */
static Value event_loop;          /* owned: set_event_loop / the policy's loop */
static Value loop_factory;        /* owned: lib's EventLoop class, if registered */

#define CLOCK_RESOLUTION 1e-09

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Under the virtual clock every reading moves the clock on by a nanosecond,
 * as real time would have moved between two readings: two call_later(d)
 * made one after the other get different deadlines, so they keep their
 * order in the heap (equal deadlines would come out in heapq's order, not
 * in the order they were scheduled, unlike in a real-time run). */
#define VIRTUAL_TICK 1e-9

double loop_time(LoopObj *l) {
    if (l->virtual_time) {
        double now = l->clock;
        l->clock = now + VIRTUAL_TICK;
        if (l->clock <= now) l->clock = nextafter(now, INFINITY);
        return now;
    }
    return monotonic() + vm_time_offset();
}

int loop_check_closed(LoopObj *l) {
    if (l->closed) { err_format(&Exc_RuntimeError, "Event loop is closed"); return -1; }
    return 0;
}

/* ======================================================================================
 * Handles
 * ====================================================================================== */
static Value handle_new(Type *t, Value loop, Value callback, Value *args, size_t nargs, Value context) {
    HandleObj *h = (HandleObj *)gc_alloc(t, sizeof(HandleObj));
    if (!h) return VNULL;
    h->callback = incref(callback);
    h->args = nargs ? tuple_from_array(args, nargs) : tuple_empty();
    h->loop = incref(loop);
    h->context = incref(context ? context : None);
    h->is_timer = t == &TimerHandleType;
    if (!h->args) { decref(OBJ_VAL(h)); return VNULL; }
    return OBJ_VAL(h);
}

static void handle_dealloc(Obj *o) {
    HandleObj *h = (HandleObj *)o;
    clearref(&h->callback); clearref(&h->args); clearref(&h->loop); clearref(&h->context);
    clearref(&h->repr_cache);
}

static void handle_traverse(Obj *o, VisitFn visit, void *arg) {
    HandleObj *h = (HandleObj *)o;
    visit(h->callback, arg); visit(h->args, arg); visit(h->loop, arg); visit(h->context, arg);
    visit(h->repr_cache, arg);
}

/* ======================================================================================
 * reprlib.repr: the short reprs asyncio prints for results and callback arguments
 * ====================================================================================== */
/* CPython's reprlib.Repr with its default limits, used by futures' reprs
 * (result=...) and by format_helpers for callback arguments: long strings
 * and numbers are cut in the middle, containers show their first items. */
enum { RL_MAXLEVEL = 6, RL_MAXTUPLE = 6, RL_MAXLIST = 6, RL_MAXDICT = 4, RL_MAXSET = 6,
       RL_MAXDEQUE = 6, RL_MAXSTRING = 30, RL_MAXLONG = 40, RL_MAXOTHER = 30 };

/* Byte offset of code point n in a UTF-8 string of len bytes. */
static size_t utf8_offset(const char *s, size_t len, size_t n) {
    size_t off = 0;
    while (n > 0 && off < len) {
        off++;
        while (off < len && ((unsigned char)s[off] & 0xC0) == 0x80) off++;
        n--;
    }
    return off;
}

/* s[:i] + "..." + s[len(s)-j:], in code points, where i + j + 3 == limit */
static void rl_add_cut(StrBuf *b, Value s, size_t limit) {
    const char *d = STR_DATA(s);
    size_t len = STR_LEN(s), n = AS_STR(s)->nchars;
    if (n <= limit) { sb_add(b, d, len); return; }
    size_t i = (limit - 3) / 2, j = limit - 3 - i;
    sb_add(b, d, utf8_offset(d, len, i));
    sb_adds(b, "...");
    size_t from = utf8_offset(d, len, n - j);
    sb_add(b, d + from, len - from);
}

static int rl_repr1(StrBuf *b, Value x, int level);

/* repr_str: repr of the first 30 characters, or of both ends */
static int rl_repr_str(StrBuf *b, Value x) {
    const char *d = STR_DATA(x);
    size_t len = STR_LEN(x), n = AS_STR(x)->nchars;
    size_t head = utf8_offset(d, len, RL_MAXSTRING);
    Value part = str_new(d, head);
    Value r = part ? obj_repr(part) : VNULL;
    decref(part);
    if (!r) return -1;
    if (AS_STR(r)->nchars <= RL_MAXSTRING) { sb_add(b, STR_DATA(r), STR_LEN(r)); decref(r); return 0; }
    decref(r);
    size_t i = (RL_MAXSTRING - 3) / 2, j = RL_MAXSTRING - 3 - i;
    /* builtins.repr(x[:i] + x[len(x)-j:]), then cut that repr the same way */
    StrBuf ends;
    sb_init(&ends);
    sb_add(&ends, d, utf8_offset(d, len, i));
    size_t from = utf8_offset(d, len, n > j ? n - j : 0);
    sb_add(&ends, d + from, len - from);
    Value joined = sb_finish(&ends);
    r = joined ? obj_repr(joined) : VNULL;
    decref(joined);
    if (!r) return -1;
    const char *rd = STR_DATA(r);
    size_t rlen = STR_LEN(r), rn = AS_STR(r)->nchars;
    sb_add(b, rd, utf8_offset(rd, rlen, i));
    sb_adds(b, "...");
    size_t rfrom = utf8_offset(rd, rlen, rn > j ? rn - j : 0);
    sb_add(b, rd + rfrom, rlen - rfrom);
    decref(r);
    return 0;
}

/* repr_int and repr_instance: the whole repr, cut in the middle */
static int rl_repr_cut(StrBuf *b, Value x, size_t limit) {
    Value r = obj_repr(x);
    if (!r) {
        if (limit == RL_MAXLONG) return -1;
        /* repr_instance: '<%s instance at %#x>' when repr() fails */
        err_clear();
        sb_addf(b, "<%s instance at %#lx>", obj_type_name(x), (unsigned long)(uintptr_t)AS_OBJ(x));
        return 0;
    }
    rl_add_cut(b, r, limit);
    decref(r);
    return 0;
}

/* _possibly_sorted: sorted(x), or list(x) if the items do not compare */
static Value rl_possibly_sorted(Value x) {
    Value l = list_from_iterable(x);
    if (!l) return VNULL;
    Value copy = list_from_iterable(l);
    if (!copy) { decref(l); return VNULL; }
    if (list_sort(copy, VNULL, false) < 0) { err_clear(); decref(copy); return l; }
    decref(l);
    return copy;
}

/* _repr_iterable: left + the first maxiter items + ", ..." + right */
static int rl_repr_iterable(StrBuf *b, Value x, int level, const char *left, const char *right,
                            size_t maxiter, const char *trail) {
    intptr_t n = obj_len(x);
    if (n < 0) return -1;
    sb_adds(b, left);
    if (level <= 0 && n) sb_adds(b, "...");
    else {
        Value it = obj_iter(x);
        if (!it) return -1;
        size_t k = 0;
        Value item;
        while (k < maxiter && (item = obj_next(it))) {
            if (k++) sb_adds(b, ", ");
            int r = rl_repr1(b, item, level - 1);
            decref(item);
            if (r < 0) { decref(it); return -1; }
        }
        decref(it);
        if (err_occurred()) return -1;
        if ((size_t)n > maxiter) sb_adds(b, ", ...");
        if (n == 1 && trail) sb_adds(b, trail);
    }
    sb_adds(b, right);
    return 0;
}

static int rl_repr_dict(StrBuf *b, Value x, int level) {
    intptr_t n = obj_len(x);
    if (n < 0) return -1;
    if (n == 0) { sb_adds(b, "{}"); return 0; }
    if (level <= 0) { sb_adds(b, "{...}"); return 0; }
    Value keys = rl_possibly_sorted(x);
    if (!keys) return -1;
    sb_addc(b, '{');
    for (size_t k = 0; k < LIST_LEN(keys) && k < RL_MAXDICT; k++) {
        Value key = LIST_ITEMS(keys)[k];
        if (k) sb_adds(b, ", ");
        Value val = obj_getitem(x, key);
        int r = val ? rl_repr1(b, key, level - 1) : -1;
        if (r == 0) { sb_adds(b, ": "); r = rl_repr1(b, val, level - 1); }
        decref(val);
        if (r < 0) { decref(keys); return -1; }
    }
    decref(keys);
    if (n > RL_MAXDICT) sb_adds(b, ", ...");
    sb_addc(b, '}');
    return 0;
}

static int rl_repr_set(StrBuf *b, Value x, int level, bool frozen) {
    intptr_t n = obj_len(x);
    if (n < 0) return -1;
    if (n == 0) { sb_adds(b, frozen ? "frozenset()" : "set()"); return 0; }
    Value items = rl_possibly_sorted(x);
    if (!items) return -1;
    int r = rl_repr_iterable(b, items, level, frozen ? "frozenset({" : "{", frozen ? "})" : "}",
                             RL_MAXSET, NULL);
    decref(items);
    return r;
}

/* repr1: dispatch on the type's *name*, as reprlib does (repr_list, ...) */
static int rl_repr1(StrBuf *b, Value x, int level) {
    const char *tn = obj_type_name(x);
    if (strcmp(tn, "str") == 0 && IS_STR(x)) return rl_repr_str(b, x);
    if (strcmp(tn, "int") == 0) return rl_repr_cut(b, x, RL_MAXLONG);
    if (strcmp(tn, "tuple") == 0) return rl_repr_iterable(b, x, level, "(", ")", RL_MAXTUPLE, ",");
    if (strcmp(tn, "list") == 0) return rl_repr_iterable(b, x, level, "[", "]", RL_MAXLIST, NULL);
    if (strcmp(tn, "deque") == 0) return rl_repr_iterable(b, x, level, "deque([", "])", RL_MAXDEQUE, NULL);
    if (strcmp(tn, "dict") == 0) return rl_repr_dict(b, x, level);
    if (strcmp(tn, "set") == 0) return rl_repr_set(b, x, level, false);
    if (strcmp(tn, "frozenset") == 0) return rl_repr_set(b, x, level, true);
    return rl_repr_cut(b, x, RL_MAXOTHER);
}

int aio_add_short_repr(StrBuf *b, Value v) {
    if (!vm_check_recursion()) return -1;
    vm.c_depth++;
    int r = rl_repr1(b, v, RL_MAXLEVEL);
    vm.c_depth--;
    return r;
}

/* " at file.apy:12" after a plain function (format_helpers._get_function_source:
 * only functions have a source; bound methods and builtins do not). */
void aio_add_function_source(StrBuf *b, Value fn) {
    if (!IS_TYPE(fn, &FunctionType)) return;
    CodeObj *co = AS_FUNC(fn)->code;
    sb_adds(b, " at ");
    sb_add(b, STR_DATA(co->filename), STR_LEN(co->filename));
    sb_addf(b, ":%d", (int)co->firstline);
}

/* "f(1, 2) at file.apy:3" — format_helpers._format_callback_source */
static int add_callback_source(StrBuf *b, Value fn, Value args) {
    Value qn = obj_getattr_opt(fn, NM.__qualname__);
    if (qn && IS_STR(qn)) sb_add(b, STR_DATA(qn), STR_LEN(qn));
    else {
        if (err_occurred()) err_clear();
        if (sb_add_value_repr(b, fn) < 0) { decref(qn); return -1; }
    }
    decref(qn);
    sb_addc(b, '(');
    for (size_t i = 0; args && i < TUPLE_LEN(args); i++) {
        if (i) sb_adds(b, ", ");
        if (aio_add_short_repr(b, TUPLE_ITEMS(args)[i]) < 0) return -1;   /* reprlib.repr(arg) */
    }
    sb_addc(b, ')');
    aio_add_function_source(b, fn);
    return 0;
}

static Value handle_repr(Value self) {
    HandleObj *h = AS_HANDLE(self);
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "<%s", obj_type_name(self));
    if (h->cancelled) sb_adds(&b, " cancelled");
    if (h->is_timer) {
        /* f'when={self._when}': the float's shortest repr, not %.17g */
        Value w = float_new(h->when);
        sb_adds(&b, " when=");
        int r = w ? sb_add_value_repr(&b, w) : -1;
        decref(w);
        if (r < 0) { sb_free(&b); return VNULL; }
    }
    if (h->callback) {
        sb_addc(&b, ' ');
        if (add_callback_source(&b, h->callback, h->args) < 0) { sb_free(&b); return VNULL; }
    }
    sb_addc(&b, '>');
    return sb_finish(&b);
}

static void handle_cancel_impl(HandleObj *h) {
    if (h->cancelled) return;
    h->cancelled = 1;
    if (h->is_timer && h->scheduled && h->loop) AS_LOOP(h->loop)->timer_cancelled_count++;
    clearref(&h->callback);
    clearref(&h->args);
}

static Value hm_cancel(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    handle_cancel_impl(AS_HANDLE(self));
    return none_new();
}
static Value hm_cancelled(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return bool_new(AS_HANDLE(self)->cancelled);
}
static Value hm_when(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return float_new(AS_HANDLE(self)->when);
}
static Value hm_get_context(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return incref(AS_HANDLE(self)->context);
}

/* Run the callback; errors go to the loop's exception handler, except
 * KeyboardInterrupt and SystemExit, which propagate (Handle._run). */
static int handle_run(HandleObj *h) {
    if (!h->callback) return 0;
    Value cb = incref(h->callback), args = incref(h->args);
    Value r = obj_call(cb, TUPLE_ITEMS(args), TUPLE_LEN(args), VNULL);
    int status = 0;
    if (r) decref(r);
    else {
        Value e = err_fetch();
        if (obj_isinstance_type(e, &Exc_SystemExit) || obj_isinstance_type(e, &Exc_KeyboardInterrupt)) {
            err_restore(e);
            status = -1;
        } else {
            StrBuf b;
            sb_init(&b);
            sb_adds(&b, "Exception in callback ");
            add_callback_source(&b, cb, args);
            Value msg = sb_finish(&b);
            Value ctx = dict_new();
            if (msg && ctx) {
                dict_set_str(ctx, "message", msg);
                dict_set_str(ctx, "exception", e);
                dict_set_str(ctx, "handle", OBJ_VAL(h));
                if (loop_call_exception_handler(h->loop, ctx) < 0) status = -1;
            } else err_clear();
            decref(msg);
            decref(ctx);
            decref(e);
        }
    }
    decref(cb);
    decref(args);
    return status;
}

static Value hm_run(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return handle_run(AS_HANDLE(self)) < 0 ? VNULL : none_new();
}

static Value timer_richcmp(Value a, Value b, RichCmpOp op) {
    if (!IS_TYPE(b, &TimerHandleType)) return incref(NotImplemented);
    double x = AS_HANDLE(a)->when, y = AS_HANDLE(b)->when;
    bool r;
    switch (op) {
    case RC_LT: r = x < y; break;
    case RC_LE: r = x <= y || a == b; break;
    case RC_GT: r = x > y; break;
    case RC_GE: r = x >= y || a == b; break;
    case RC_EQ: r = a == b || (x == y && AS_HANDLE(a)->callback == AS_HANDLE(b)->callback &&
                               AS_HANDLE(a)->cancelled == AS_HANDLE(b)->cancelled); break;
    default: r = !(a == b || (x == y && AS_HANDLE(a)->callback == AS_HANDLE(b)->callback)); break;
    }
    return bool_new(r);
}

static int64_t handle_hash(Value self) {
    uint64_t p = (uint64_t)self;
    return (int64_t)((p >> 4) & 0x7FFFFFFFFFFFFFFF);
}

static const MethodDef handle_methods[] = {
    { "cancel", hm_cancel, 0 }, { "cancelled", hm_cancelled, 0 }, { "_run", hm_run, 0 },
    { "get_context", hm_get_context, 0 }, { NULL, NULL, 0 }
};
static const MethodDef timer_methods[] = { { "when", hm_when, 0 }, { NULL, NULL, 0 } };

Type HandleType = {
    STATIC_TYPE_HEAD, .name = "Handle", .flags = TF_GC, .size = sizeof(HandleObj),
    .dealloc = handle_dealloc, .traverse = handle_traverse, .repr = handle_repr, .hash = handle_hash,
};
Type TimerHandleType = {
    STATIC_TYPE_HEAD, .name = "TimerHandle", .flags = TF_GC, .size = sizeof(HandleObj), .base = &HandleType,
    .dealloc = handle_dealloc, .traverse = handle_traverse, .repr = handle_repr,
    .richcmp = timer_richcmp, .hash = handle_hash,
};

/* ======================================================================================
 * The ready queue (a ring buffer) and the timer heap (heapq's algorithm)
 * ====================================================================================== */
static int ready_push(LoopObj *l, Value h) {
    if (l->rcount == l->rcap) {
        size_t nc = l->rcap ? l->rcap * 2 : 64;
        Value *nr = gc_malloc(nc * sizeof(Value));
        if (!nr) return -1;
        for (size_t i = 0; i < l->rcount; i++) nr[i] = l->ready[(l->rhead + i) % (l->rcap ? l->rcap : 1)];
        gc_free(l->ready);
        l->ready = nr;
        l->rcap = nc;
        l->rhead = 0;
    }
    l->ready[(l->rhead + l->rcount) % l->rcap] = incref(h);
    l->rcount++;
    return 0;
}

static Value ready_pop(LoopObj *l) {
    Value h = l->ready[l->rhead];
    l->ready[l->rhead] = VNULL;
    l->rhead = (l->rhead + 1) % l->rcap;
    l->rcount--;
    return h;
}

static inline bool timer_lt(Value a, Value b) { return AS_HANDLE(a)->when < AS_HANDLE(b)->when; }

/* heapq._siftdown */
static void sift_down(Value *heap, size_t startpos, size_t pos) {
    Value newitem = heap[pos];
    while (pos > startpos) {
        size_t parentpos = (pos - 1) >> 1;
        Value parent = heap[parentpos];
        if (timer_lt(newitem, parent)) {
            heap[pos] = parent;
            pos = parentpos;
            continue;
        }
        break;
    }
    heap[pos] = newitem;
}

/* heapq._siftup */
static void sift_up(Value *heap, size_t endpos, size_t pos) {
    size_t startpos = pos;
    Value newitem = heap[pos];
    size_t childpos = 2 * pos + 1;
    while (childpos < endpos) {
        size_t rightpos = childpos + 1;
        if (rightpos < endpos && !timer_lt(heap[childpos], heap[rightpos])) childpos = rightpos;
        heap[pos] = heap[childpos];
        pos = childpos;
        childpos = 2 * pos + 1;
    }
    heap[pos] = newitem;
    sift_down(heap, startpos, pos);
}

static int heap_push(LoopObj *l, Value h) {
    if (l->nheap == l->capheap) {
        size_t nc = l->capheap ? l->capheap * 2 : 16;
        Value *nh = gc_realloc(l->heap, nc * sizeof(Value));
        if (!nh) return -1;
        l->heap = nh;
        l->capheap = nc;
    }
    l->heap[l->nheap++] = incref(h);
    sift_down(l->heap, 0, l->nheap - 1);
    return 0;
}

static Value heap_pop(LoopObj *l) {
    Value last = l->heap[--l->nheap];
    if (l->nheap) {
        Value ret = l->heap[0];
        l->heap[0] = last;
        sift_up(l->heap, l->nheap, 0);
        return ret;
    }
    return last;
}

/* heapq.heapify, after dropping cancelled timers */
static void heap_rebuild_without_cancelled(LoopObj *l) {
    size_t k = 0;
    for (size_t i = 0; i < l->nheap; i++) {
        Value h = l->heap[i];
        if (AS_HANDLE(h)->cancelled) { AS_HANDLE(h)->scheduled = 0; decref(h); }
        else l->heap[k++] = h;
    }
    l->nheap = k;
    for (size_t i = k / 2; i-- > 0;) sift_up(l->heap, l->nheap, i);
    l->timer_cancelled_count = 0;
}

/* ======================================================================================
 * Scheduling
 * ====================================================================================== */
Value loop_call_soon(Value loop, Value callback, Value *args, size_t nargs, Value context) {
    LoopObj *l = AS_LOOP(loop);
    if (loop_check_closed(l) < 0) return VNULL;
    Value h = handle_new(&HandleType, loop, callback, args, nargs, context);
    if (!h) return VNULL;
    if (ready_push(l, h) < 0) { decref(h); return VNULL; }
    return h;
}

Value loop_call_at(Value loop, double when, Value callback, Value *args, size_t nargs, Value context) {
    LoopObj *l = AS_LOOP(loop);
    if (loop_check_closed(l) < 0) return VNULL;
    Value h = handle_new(&TimerHandleType, loop, callback, args, nargs, context);
    if (!h) return VNULL;
    AS_HANDLE(h)->when = when;
    AS_HANDLE(h)->scheduled = 1;
    if (heap_push(l, h) < 0) { decref(h); return VNULL; }
    return h;
}

/* ======================================================================================
 * One iteration
 * ====================================================================================== */
#define MIN_SCHEDULED_TIMER_HANDLES 100
#define MIN_CANCELLED_TIMER_HANDLES_FRACTION 0.5
#define MAXIMUM_SELECT_TIMEOUT (24 * 3600.0)

/* Wait up to `timeout` seconds (negative: forever) in real time, waking
 * for Ctrl-C. Under the virtual clock, jump instead. */
static int loop_wait(LoopObj *l, double timeout) {
    if (l->virtual_time) {
        if (timeout > 0) {
            vm_advance_time_offset(timeout);
            l->clock += timeout;
            if (l->nheap && l->clock < AS_HANDLE(l->heap[0])->when) l->clock = AS_HANDLE(l->heap[0])->when;
        }
        if (timeout < 0) {
            /* Nothing is ready and nothing is scheduled: CPython would block forever. */
            err_format(&Exc_RuntimeError, "the event loop is idle and nothing is scheduled "
                       "(under real time this program would wait forever)");
            return -1;
        }
        return 0;
    }
    double end = monotonic() + (timeout < 0 ? 1e18 : timeout);
    for (;;) {
        double left = end - monotonic();
        if (left <= 0) return 0;
        if (left > 0.05) left = 0.05;
        struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
        nanosleep(&ts, NULL);
        if (vm.deadline > 0 && monotonic() > vm.deadline) vm.pending |= PENDING_TIMEOUT;   /* --timeout */
        if (vm.pending & ~PENDING_STEPS) {      /* waiting is not a step of --max-steps */
            vm_safepoint();
            if (err_occurred()) return -1;
        }
    }
}

static int run_once(Value loop) {
    LoopObj *l = AS_LOOP(loop);
    l->iteration++;
    size_t sched_count = l->nheap;
    if (sched_count > MIN_SCHEDULED_TIMER_HANDLES &&
        (double)l->timer_cancelled_count / (double)sched_count > MIN_CANCELLED_TIMER_HANDLES_FRACTION) {
        heap_rebuild_without_cancelled(l);
    } else {
        while (l->nheap && AS_HANDLE(l->heap[0])->cancelled) {
            l->timer_cancelled_count--;
            Value h = heap_pop(l);
            AS_HANDLE(h)->scheduled = 0;
            decref(h);
        }
    }
    double timeout = -1;
    if (l->rcount || l->stopping) timeout = 0;
    else if (l->nheap) {
        timeout = AS_HANDLE(l->heap[0])->when - loop_time(l);
        if (timeout < 0) timeout = 0;
        if (timeout > MAXIMUM_SELECT_TIMEOUT) timeout = MAXIMUM_SELECT_TIMEOUT;
    }
    if (UNLIKELY(vm.trace_mask)) {
        trace_loop(TE_LOOP_ITERATION, loop, MK_INT((intptr_t)l->rcount), NULL);
        if (timeout != 0) {
            Value t = timeout < 0 ? none_new() : float_new(timeout);
            trace_loop(TE_LOOP_WAIT, loop, t, l->virtual_time ? "virtual clock jumps" : "sleeps");
            decref(t);
        }
    }
    if (timeout != 0 && loop_wait(l, timeout) < 0) return -1;

    double end_time = loop_time(l) + CLOCK_RESOLUTION;
    while (l->nheap) {
        Value h = l->heap[0];
        if (AS_HANDLE(h)->when >= end_time) break;
        h = heap_pop(l);
        AS_HANDLE(h)->scheduled = 0;
        if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TIMER_FIRED, loop, h, NULL);
        int r = ready_push(l, h);
        decref(h);
        if (r < 0) return -1;
    }
    size_t ntodo = l->rcount;
    for (size_t i = 0; i < ntodo; i++) {
        Value h = ready_pop(l);
        HandleObj *ho = AS_HANDLE(h);
        if (ho->cancelled) { decref(h); continue; }
        if (UNLIKELY(vm.trace_mask)) trace_loop(TE_HANDLE_RUN, loop, h, NULL);
        int r = handle_run(ho);
        decref(h);
        if (r < 0) return -1;
        if (UNLIKELY(vm.pending)) {
            vm_safepoint();
            if (err_occurred()) return -1;
        }
    }
    return 0;
}

/* ======================================================================================
 * Running
 * ====================================================================================== */
Value loop_get_running(void) { return running_loop; }

static int check_running(LoopObj *l) {
    if (l->running) { err_format(&Exc_RuntimeError, "This event loop is already running"); return -1; }
    if (running_loop) {
        err_format(&Exc_RuntimeError, "Cannot run the event loop while another loop is running");
        return -1;
    }
    return 0;
}


static int run_forever(Value loop) {
    LoopObj *l = AS_LOOP(loop);
    if (loop_check_closed(l) < 0 || check_running(l) < 0) return -1;
    Value old_first, old_fin;
    gen_get_asyncgen_hooks(&old_first, &old_fin);
    incref(old_first);
    incref(old_fin);
    Value fi = obj_getattr_cstr(loop, "_asyncgen_firstiter_hook");
    Value fin = obj_getattr_cstr(loop, "_asyncgen_finalizer_hook");
    if (!fi || !fin) { decref(fi); decref(fin); decref(old_first); decref(old_fin); return -1; }
    gen_set_asyncgen_hooks(fi, fin);
    decref(fi);
    decref(fin);
    l->running = 1;
    running_loop = loop;
    vm.running_loop = AS_OBJ(loop);
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_LOOP_START, loop, VNULL, NULL);
    int status = 0;
    for (;;) {
        if (run_once(loop) < 0) { status = -1; break; }
        if (l->stopping) break;
    }
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_LOOP_STOP, loop, VNULL, NULL);
    l->stopping = 0;
    l->running = 0;
    running_loop = VNULL;
    vm.running_loop = NULL;
    gen_set_asyncgen_hooks(old_first, old_fin);
    decref(old_first);
    decref(old_fin);
    return status;
}

static Value run_until_complete_cb(Value self, Value *args, size_t nargs, Value kw) {
    (void)self; (void)kw;
    if (nargs != 1) return err_format(&Exc_TypeError, "_run_until_complete_cb takes one argument");
    Value fut = args[0];
    if (future_check(fut)) {
        FutureObj *f = AS_FUTURE(fut);
        if (f->state != FUT_CANCELLED && f->exception &&
            (obj_isinstance_type(f->exception, &Exc_SystemExit) || obj_isinstance_type(f->exception, &Exc_KeyboardInterrupt)))
            return none_new();
        f->log_traceback = f->state == FUT_FINISHED && f->exception ? 0 : f->log_traceback;
        AS_LOOP(f->loop)->stopping = 1;
    } else {
        Value l = obj_call_method(fut, NM.get_loop, NULL, 0);
        if (!l) return VNULL;
        Value r = obj_call_method(l, str_intern_cstr("stop"), NULL, 0);
        decref(l);
        if (!r) return VNULL;
        decref(r);
    }
    return none_new();
}

static Value until_complete_cb;    /* the one callable, so remove_done_callback finds it */

/* The loop of a future, as asyncio.futures._get_loop: get_loop(), else ._loop. */
static Value future_loop_of(Value fut) {
    if (future_check(fut)) return incref(AS_FUTURE(fut)->loop ? AS_FUTURE(fut)->loop : None);
    Value m = obj_getattr_cstr(fut, "get_loop");
    if (!m) {
        err_clear();
        return obj_getattr_cstr(fut, "_loop");
    }
    Value l = obj_call(m, NULL, 0, VNULL);
    decref(m);
    return l;
}

static Value ensure_future(Value v, Value loop) {
    if (isfuture(v)) {
        /* (tasks._ensure_future with loop=: a future of another loop would never wake this one) */
        Value fl = future_loop_of(v);
        if (!fl) return VNULL;
        decref(fl);
        if (fl != loop)
            return err_format(&Exc_ValueError, "The future belongs to a different loop than "
                                               "the one specified as the loop argument");
        return incref(v);
    }
    Value it = VNULL;
    if (IS_TYPE(v, &CoroutineType) || IS_TYPE(v, &GeneratorType))    /* asyncio.iscoroutine */
        return obj_call_method_cstr(loop, "create_task", 1, v);
    if (type_lookup(TYPE_OF(v), NM.__await__)) {
        /* an awaitable: wrap it in a coroutine from lib (asyncio.tasks._wrap_awaitable) */
        Value mod = dict_get(vm.modules, NM.asyncio);
        if (!mod) { if (!err_occurred()) err_format(&Exc_TypeError, "An asyncio.Future, a coroutine or an awaitable is required"); return VNULL; }
        it = obj_call_method_cstr(mod, "_wrap_awaitable", 1, v);
        if (!it) return VNULL;
        Value t = obj_call_method_cstr(loop, "create_task", 1, it);
        decref(it);
        return t;
    }
    return err_format(&Exc_TypeError, "An asyncio.Future, a coroutine or an awaitable is required");
}

Value loop_run_until_complete(Value loop, Value future) {
    LoopObj *l = AS_LOOP(loop);
    if (loop_check_closed(l) < 0 || check_running(l) < 0) return VNULL;
    bool new_task = !isfuture(future);
    Value fut = ensure_future(future, loop);
    if (!fut) return VNULL;
    if (new_task && task_check(fut)) AS_TASK(fut)->log_destroy_pending = 0;
    Value r = obj_call_method(fut, NM.add_done_callback, &until_complete_cb, 1);
    if (!r) { decref(fut); return VNULL; }
    decref(r);
    int status = run_forever(loop);
    if (status < 0 && future_check(fut) && AS_FUTURE(fut)->state == FUT_FINISHED) {
        /* The coroutine raised a BaseException (SystemExit, KeyboardInterrupt)
         * that is leaving through us: consume it, as CPython does for a task
         * it made. For a task the caller made (asyncio.run's main task) CPython
         * logs nothing either: the propagating traceback keeps that task alive
         * until the interpreter's teardown, where the log no longer appears. */
        if (new_task || (vm.exc && AS_FUTURE(fut)->exception == vm.exc)) AS_FUTURE(fut)->log_traceback = 0;
    }
    Value saved = err_fetch();
    r = obj_call_method(fut, NM.remove_done_callback, &until_complete_cb, 1);
    decref(r);
    if (saved) { err_clear(); err_restore(saved); decref(fut); return VNULL; }
    if (!r) { decref(fut); return VNULL; }
    Value done = obj_call_method(fut, NM.done, NULL, 0);
    if (!done) { decref(fut); return VNULL; }
    bool is_done = done == True_;
    decref(done);
    if (!is_done) {
        decref(fut);
        return err_format(&Exc_RuntimeError, "Event loop stopped before Future completed.");
    }
    Value res = obj_call_method(fut, NM.result, NULL, 0);
    decref(fut);
    return res;
}

/* ======================================================================================
 * Exception handler
 * ====================================================================================== */
static int default_exception_handler(Value context) {
    fflush(stdout);
    Value msg = dict_get_str(context, "message");
    StrBuf b;
    sb_init(&b);
    if (msg && obj_truth(msg) > 0) sb_add_value_str(&b, msg);
    else sb_adds(&b, "Unhandled exception in event loop");
    Value keys = dict_keys_list(context);
    if (!keys) { sb_free(&b); return -1; }
    list_sort(keys, VNULL, false);
    err_clear();
    for (size_t i = 0; i < LIST_LEN(keys); i++) {
        Value k = LIST_ITEMS(keys)[i];
        if (str_eq_cstr(k, "message") || str_eq_cstr(k, "exception")) continue;
        sb_addc(&b, '\n');
        sb_add_value_str(&b, k);
        sb_adds(&b, ": ");
        if (sb_add_value_repr(&b, dict_get(context, k)) < 0) err_clear();
    }
    decref(keys);
    Value text = sb_finish(&b);
    if (text) { fprintf(stderr, "%s\n", STR_DATA(text)); decref(text); }
    else err_clear();
    Value exc = dict_get_str(context, "exception");
    if (exc && obj_isinstance_type(exc, &Exc_BaseException)) err_print(exc);
    fflush(stderr);
    return 0;
}

int loop_call_exception_handler(Value loop, Value context) {
    LoopObj *l = AS_LOOP(loop);
    if (!l->exception_handler) {
        /* a subclass may override default_exception_handler */
        Value m = type_lookup(TYPE_OF(loop), str_intern_cstr("default_exception_handler"));
        if (m && !IS_TYPE(m, &MethodDescrType)) {
            Value r = obj_call_method(loop, str_intern_cstr("default_exception_handler"), &context, 1);
            if (!r) { Value e = err_fetch(); fputs("Exception in default exception handler\n", stderr); err_print(e); decref(e); }
            decref(r);
            return 0;
        }
        return default_exception_handler(context);
    }
    Value args[2] = { loop, context };
    Value r = obj_call(l->exception_handler, args, 2, VNULL);
    if (r) { decref(r); return 0; }
    Value e = err_fetch();
    if (obj_isinstance_type(e, &Exc_SystemExit) || obj_isinstance_type(e, &Exc_KeyboardInterrupt)) {
        err_restore(e);
        return -1;
    }
    /* the handler itself failed: report it with the default handler */
    Value ctx = dict_new();
    if (ctx) {
        Value m = str_from_cstr("Unhandled error in exception handler");
        dict_set_str(ctx, "message", m);
        decref(m);
        dict_set_str(ctx, "exception", e);
        dict_set_str(ctx, "context", context);
        default_exception_handler(ctx);
        decref(ctx);
    }
    decref(e);
    return 0;
}

/* ======================================================================================
 * The loop object
 * ====================================================================================== */
/* ---- the loops' async generators, held weakly --------------------------------------------------
 * CPython's BaseEventLoop keeps them in a weakref.WeakSet: an async generator the program
 * drops (say after `break` in `async for`) is finalized at once, and its finalizer hook
 * schedules aclose(), so its `finally` runs soon, not at shutdown_asyncgens(). apy has no
 * weak references: this table maps each generator to its loop and owns neither. gen.c
 * forgets a generator when it is freed, a loop its generators when it is freed. */
typedef struct { Obj *gen; LoopObj *loop; } AgEntry;
#define AG_TOMB ((Obj *)1)
static AgEntry *ag_tab;
static size_t ag_cap, ag_used, ag_live; /* slots, slots used (live and tombstones), live */

static size_t ag_hash(Obj *g) { return (size_t)(((uintptr_t)g >> 4) * 0x9E3779B97F4A7C15ull); }

static AgEntry *ag_find(Obj *g) {
    if (!ag_cap) return NULL;
    for (size_t i = ag_hash(g) & (ag_cap - 1);; i = (i + 1) & (ag_cap - 1)) {
        if (ag_tab[i].gen == g) return &ag_tab[i];
        if (!ag_tab[i].gen) return NULL;
    }
}

static int ag_add(Obj *g, LoopObj *l) {
    AgEntry *e = ag_find(g);
    if (e) {
        if (e->loop != l) { e->loop->nasyncgens--; e->loop = l; l->nasyncgens++; }
        return 0;
    }
    if ((ag_used + 1) * 2 > ag_cap) {     /* grow (and drop the tombstones) */
        size_t live = 0;
        for (size_t i = 0; i < ag_cap; i++) live += ag_tab[i].gen > AG_TOMB;
        size_t cap = 16;
        while (cap < (live + 1) * 4) cap *= 2;
        AgEntry *t = gc_calloc(cap, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < ag_cap; i++) {
            if (ag_tab[i].gen <= AG_TOMB) continue;
            size_t j = ag_hash(ag_tab[i].gen) & (cap - 1);
            while (t[j].gen) j = (j + 1) & (cap - 1);
            t[j] = ag_tab[i];
        }
        gc_free(ag_tab);
        ag_tab = t; ag_cap = cap; ag_used = live;
    }
    size_t i = ag_hash(g) & (ag_cap - 1);
    while (ag_tab[i].gen > AG_TOMB) i = (i + 1) & (ag_cap - 1);
    if (!ag_tab[i].gen) ag_used++;
    ag_tab[i].gen = g;
    ag_tab[i].loop = l;
    l->nasyncgens++;
    ag_live++;
    return 0;
}

static void ag_remove(AgEntry *e) {
    e->loop->nasyncgens--;
    e->gen = AG_TOMB;
    e->loop = NULL;
    if (--ag_live == 0) {                 /* none left: give the table back */
        gc_free(ag_tab);
        ag_tab = NULL;
        ag_cap = ag_used = 0;
    }
}

void aio_asyncgen_forget(Obj *gen) {
    AgEntry *e = ag_find(gen);
    if (e) ag_remove(e);
}

/* Forget every generator of a loop (its shutdown_asyncgens(), or the loop is freed). */
static void ag_forget_loop(LoopObj *l) {
    for (size_t i = 0; i < ag_cap && l->nasyncgens; i++)
        if (ag_tab[i].gen > AG_TOMB && ag_tab[i].loop == l) ag_remove(&ag_tab[i]);   /* (may free the table: then ag_cap is 0) */
}

/* loop._asyncgens: a new set of the loop's live generators (CPython's WeakSet) */
static Value lg_asyncgens(Value self) {
    LoopObj *l = AS_LOOP(self);
    Value s = set_new(VNULL);
    for (size_t i = 0; s && i < ag_cap; i++)
        if (ag_tab[i].gen > AG_TOMB && ag_tab[i].loop == l && set_add(s, OBJ_VAL(ag_tab[i].gen)) < 0)
            clearref(&s);
    return s;
}

static Value lm_forget_asyncgens(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("_forget_asyncgens", kw) || args_count("_forget_asyncgens", nargs, 0, 0)) return VNULL;
    (void)args;
    ag_forget_loop(AS_LOOP(self));
    return none_new();
}

static void loop_dealloc(Obj *o) {
    LoopObj *l = (LoopObj *)o;
    ag_forget_loop(l);
    while (l->rcount) decref(ready_pop(l));
    gc_free(l->ready);
    for (size_t i = 0; i < l->nheap; i++) decref(l->heap[i]);
    gc_free(l->heap);
    clearref(&l->dict); clearref(&l->exception_handler); clearref(&l->current_task);
}

static void loop_traverse(Obj *o, VisitFn visit, void *arg) {
    LoopObj *l = (LoopObj *)o;
    for (size_t i = 0; i < l->rcount; i++) visit(l->ready[(l->rhead + i) % l->rcap], arg);
    for (size_t i = 0; i < l->nheap; i++) visit(l->heap[i], arg);
    visit(l->dict, arg); visit(l->exception_handler, arg); visit(l->current_task, arg);
}

static void loop_clear(Obj *o) {
    LoopObj *l = (LoopObj *)o;
    if (l->running) return;
    while (l->rcount) decref(ready_pop(l));
    for (size_t i = 0; i < l->nheap; i++) decref(l->heap[i]);
    l->nheap = 0;
    clearref(&l->dict); clearref(&l->exception_handler);
}

static Value loop_tp_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    LoopObj *l = (LoopObj *)gc_alloc(t, t->size);
    if (!l) return VNULL;
    l->virtual_time = vm.virtual_time;
    l->clock = monotonic() + vm_time_offset();
    return OBJ_VAL(l);
}

static Value loop_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self; (void)args; (void)nargs; (void)kwnames;
    return none_new();
}

Value loop_new(void) {
    if (loop_factory) return obj_call0(loop_factory);
    return loop_tp_new(&LoopType, NULL, 0, VNULL);
}

static Value loop_repr(Value self) {
    LoopObj *l = AS_LOOP(self);
    return str_from_fmt("<%s running=%s closed=%s debug=False>", obj_type_name(self),
                        l->running ? "True" : "False", l->closed ? "True" : "False");
}

/* ---- methods ---------------------------------------------------------------------------------- */
static Value lm_time(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return float_new(loop_time(AS_LOOP(self)));
}

/* split (callback, *args, context=None) */
static int callback_args(const char *fname, Value *args, size_t nargs, Value kw, size_t skip, Value *context) {
    *context = VNULL;
    size_t nkw = kw ? TUPLE_LEN(kw) : 0;
    for (size_t i = 0; i < nkw; i++) {
        if (!str_eq_cstr(TUPLE_ITEMS(kw)[i], "context")) {
            err_format(&Exc_TypeError, "%s() got an unexpected keyword argument '%S'", fname, TUPLE_ITEMS(kw)[i]);
            return -1;
        }
        *context = args[nargs + i];
    }
    if (nargs < skip + 1) {
        err_format(&Exc_TypeError, "%s() missing required argument", fname);
        return -1;
    }
    /* CPython checks that the callback is callable only in debug mode
     * (_check_callback); otherwise a bad callback fails when it runs,
     * through the exception handler ("Exception in callback 42()"). */
    if (skip == 1 && IS_NONE(args[0])) {
        err_format(&Exc_TypeError, strcmp(fname, "call_later") == 0 ? "delay must not be None"
                                                                     : "when cannot be None");
        return -1;
    }
    return 0;
}

static Value lm_call_soon(Value self, Value *args, size_t nargs, Value kw) {
    Value ctx;
    if (callback_args("call_soon", args, nargs, kw, 0, &ctx) < 0) return VNULL;
    return loop_call_soon(self, args[0], args + 1, nargs - 1, ctx);
}

static Value lm_call_later(Value self, Value *args, size_t nargs, Value kw) {
    Value ctx;
    if (callback_args("call_later", args, nargs, kw, 1, &ctx) < 0) return VNULL;
    double delay, now = loop_time(AS_LOOP(self));
    if (float_as_double(args[0], &delay) < 0) {
        /* CPython computes self.time() + delay: its TypeError is the + operator's
           ("unsupported operand type(s) for +: 'float' and 'str'") */
        err_clear();
        Value f = float_new(now);
        Value sum = f ? obj_binop(f, args[0], OP_ADD) : VNULL;
        decref(f);
        if (!sum) return VNULL;
        int r = float_as_double(sum, &delay);
        decref(sum);
        if (r < 0) return VNULL;
        delay -= now;
    }
    return loop_call_at(self, now + delay, args[1], args + 2, nargs - 2, ctx);
}

static Value lm_call_at(Value self, Value *args, size_t nargs, Value kw) {
    Value ctx;
    if (callback_args("call_at", args, nargs, kw, 1, &ctx) < 0) return VNULL;
    double when;
    if (float_as_double(args[0], &when) < 0) return VNULL;
    return loop_call_at(self, when, args[1], args + 2, nargs - 2, ctx);
}

static Value lm_create_future(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return future_new(self);
}

static Value lm_create_task(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = { "coro", "name", "context", NULL };
    Value a[3];
    if (args_parse("create_task", args, nargs, kw, names, 1, a) < 0) return VNULL;
    if (loop_check_closed(AS_LOOP(self)) < 0) return VNULL;
    return task_new(a[0], self, a[1], a[2]);
}

static Value lm_run_forever(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return run_forever(self) < 0 ? VNULL : none_new();
}

static Value lm_run_until_complete(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("run_until_complete", kw) || args_count("run_until_complete", nargs, 1, 1)) return VNULL;
    return loop_run_until_complete(self, args[0]);
}

static Value lm_stop(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    AS_LOOP(self)->stopping = 1;
    return none_new();
}

static Value lm_close(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    LoopObj *l = AS_LOOP(self);
    if (l->running) return err_format(&Exc_RuntimeError, "Cannot close a running event loop");
    if (l->closed) return none_new();
    l->closed = 1;
    while (l->rcount) decref(ready_pop(l));
    for (size_t i = 0; i < l->nheap; i++) { AS_HANDLE(l->heap[i])->scheduled = 0; decref(l->heap[i]); }
    l->nheap = 0;
    l->timer_cancelled_count = 0;
    return none_new();
}

static Value lm_is_running(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return bool_new(AS_LOOP(self)->running);
}
static Value lm_is_closed(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return bool_new(AS_LOOP(self)->closed);
}
static Value lm_get_debug(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return bool_new(0);
}
static Value lm_set_debug(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return none_new();
}

static Value lm_set_exception_handler(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("set_exception_handler", kw) || args_count("set_exception_handler", nargs, 1, 1)) return VNULL;
    if (!IS_NONE(args[0]) && !obj_callable(args[0]))
        return err_format(&Exc_TypeError, "A callable object or None is expected, got %R", args[0]);
    setref(&AS_LOOP(self)->exception_handler, IS_NONE(args[0]) ? VNULL : incref(args[0]));
    return none_new();
}
static Value lm_get_exception_handler(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    Value h = AS_LOOP(self)->exception_handler;
    return incref(h ? h : None);
}
static Value lm_call_exception_handler(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("call_exception_handler", kw) || args_count("call_exception_handler", nargs, 1, 1)) return VNULL;
    return loop_call_exception_handler(self, args[0]) < 0 ? VNULL : none_new();
}
static Value lm_default_exception_handler(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("default_exception_handler", kw) || args_count("default_exception_handler", nargs, 1, 1)) return VNULL;
    return default_exception_handler(args[0]) < 0 ? VNULL : none_new();
}

/* sys.set_asyncgen_hooks(firstiter=…, finalizer=…) as BaseEventLoop sets them */
static Value lm_asyncgen_firstiter(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("_asyncgen_firstiter_hook", kw) || args_count("_asyncgen_firstiter_hook", nargs, 1, 1)) return VNULL;
    LoopObj *l = AS_LOOP(self);
    if (l->asyncgens_shutdown_called) {
        /* CPython warns (ResourceWarning) here; stay quiet but keep going */
    }
    if (!IS_OBJ(args[0])) return err_format(&Exc_TypeError, "an async generator is required");
    if (ag_add(AS_OBJ(args[0]), l) < 0) return VNULL;
    return none_new();
}

static Value lm_asyncgen_finalizer(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("_asyncgen_finalizer_hook", kw) || args_count("_asyncgen_finalizer_hook", nargs, 1, 1)) return VNULL;
    LoopObj *l = AS_LOOP(self);
    if (IS_OBJ(args[0])) aio_asyncgen_forget(AS_OBJ(args[0]));
    if (l->closed) return none_new();
    Value aclose = obj_call_method(args[0], NM.aclose, NULL, 0);
    if (!aclose) return VNULL;
    Value create = obj_getattr_cstr(self, "create_task");
    if (!create) { decref(aclose); return VNULL; }
    Value h = loop_call_soon(self, create, &aclose, 1, VNULL);
    decref(create);
    decref(aclose);
    if (!h) return VNULL;
    decref(h);
    return none_new();
}

static Value lm_run_once(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return run_once(self) < 0 ? VNULL : none_new();
}

static const MethodDef loop_methods[] = {
    { "time", lm_time, 0 }, { "call_soon", lm_call_soon, 0 }, { "call_soon_threadsafe", lm_call_soon, 0 },
    { "call_later", lm_call_later, 0 }, { "call_at", lm_call_at, 0 },
    { "create_future", lm_create_future, 0 }, { "create_task", lm_create_task, 0 },
    { "run_forever", lm_run_forever, 0 }, { "run_until_complete", lm_run_until_complete, 0 },
    { "stop", lm_stop, 0 }, { "close", lm_close, 0 },
    { "is_running", lm_is_running, 0 }, { "is_closed", lm_is_closed, 0 },
    { "get_debug", lm_get_debug, 0 }, { "set_debug", lm_set_debug, 0 },
    { "set_exception_handler", lm_set_exception_handler, 0 },
    { "get_exception_handler", lm_get_exception_handler, 0 },
    { "call_exception_handler", lm_call_exception_handler, 0 },
    { "default_exception_handler", lm_default_exception_handler, 0 },
    { "_asyncgen_firstiter_hook", lm_asyncgen_firstiter, 0 },
    { "_asyncgen_finalizer_hook", lm_asyncgen_finalizer, 0 },
    { "_forget_asyncgens", lm_forget_asyncgens, 0 },
    { "_run_once", lm_run_once, 0 },
    { NULL, NULL, 0 }
};

static Value lg_ready(Value self) {
    LoopObj *l = AS_LOOP(self);
    Value lst = list_new(0);
    for (size_t i = 0; lst && i < l->rcount; i++) list_append(lst, l->ready[(l->rhead + i) % l->rcap]);
    return lst;
}
static Value lg_scheduled(Value self) {
    LoopObj *l = AS_LOOP(self);
    return list_from_array(l->heap, l->nheap);
}
static Value lg_stopping(Value self) { return bool_new(AS_LOOP(self)->stopping); }
static Value lg_shutdown_called(Value self) { return bool_new(AS_LOOP(self)->asyncgens_shutdown_called); }
static int ls_shutdown_called(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    AS_LOOP(self)->asyncgens_shutdown_called = (uint8_t)t;
    return 0;
}
static Value lg_closed(Value self) { return bool_new(AS_LOOP(self)->closed); }
static Value lg_virtual(Value self) { return bool_new(AS_LOOP(self)->virtual_time); }
static int ls_virtual(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    LoopObj *l = AS_LOOP(self);
    if (t && !l->virtual_time) l->clock = loop_time(l);
    l->virtual_time = (uint8_t)t;
    return 0;
}

static const GetSetDef loop_getsets[] = {
    { "_ready", lg_ready, NULL }, { "_scheduled", lg_scheduled, NULL }, { "_stopping", lg_stopping, NULL },
    { "_asyncgens", lg_asyncgens, NULL },
    { "_asyncgens_shutdown_called", lg_shutdown_called, ls_shutdown_called },
    { "_closed", lg_closed, NULL }, { "_virtual_time", lg_virtual, ls_virtual },
    { NULL, NULL, NULL }
};

Type LoopType = {
    STATIC_TYPE_HEAD, .name = "EventLoop", .flags = TF_GC | TF_BASETYPE, .size = sizeof(LoopObj),
    .tp_new = loop_tp_new, .tp_init = loop_tp_init, .dealloc = loop_dealloc, .traverse = loop_traverse,
    .clear = loop_clear, .repr = loop_repr, .dict_offset = offsetof(LoopObj, dict),
};

/* ======================================================================================
 * Running loop, current loop
 * ====================================================================================== */
Value loop_get_event_loop(void) {
    if (running_loop) return running_loop;
    /* Once lib/asyncio is loaded, its event loop policy decides (as CPython's
     * C get_event_loop() asks get_event_loop_policy().get_event_loop()):
     * e.g. after asyncio.run() there is no current loop, and Future() raises. */
    Value events = dict_get(vm.modules, str_intern_cstr("asyncio.events"));
    if (events) {
        Value policy_loop = obj_call_method_cstr(events, "get_event_loop", 0);
        if (!policy_loop) return VNULL;
        setref(&event_loop, policy_loop);
        return event_loop;
    }
    if (!event_loop || AS_LOOP(event_loop)->closed) {
        /* CPython 3.11 makes one for the main thread (with a DeprecationWarning). */
        if (event_loop && AS_LOOP(event_loop)->closed) return event_loop;
        Value l = loop_new();
        if (!l) return VNULL;
        setref(&event_loop, l);
    }
    return event_loop;
}

static Value am_get_running_loop(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    if (!running_loop) return err_format(&Exc_RuntimeError, "no running event loop");
    return incref(running_loop);
}
static Value am__get_running_loop(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return incref(running_loop ? running_loop : None);
}
static Value am_get_event_loop(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    Value l = loop_get_event_loop();
    return l ? incref(l) : VNULL;
}
static Value am_set_event_loop(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("set_event_loop", kw) || args_count("set_event_loop", nargs, 1, 1)) return VNULL;
    if (!IS_NONE(args[0]) && !obj_isinstance_type(args[0], &LoopType))
        return err_format(&Exc_TypeError, "loop must be an instance of AbstractEventLoop or None, not '%s'", obj_type_name(args[0]));
    setref(&event_loop, IS_NONE(args[0]) ? VNULL : incref(args[0]));
    return none_new();
}
static Value am_new_event_loop(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return loop_new();
}
static Value am_set_loop_factory(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("_set_loop_factory", kw) || args_count("_set_loop_factory", nargs, 1, 1)) return VNULL;
    setref(&loop_factory, incref(args[0]));
    return none_new();
}
static Value am_current_task(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    static const char *const names[] = { "loop", NULL };
    Value a[1];
    if (args_parse("current_task", args, nargs, kw, names, 0, a) < 0) return VNULL;
    Value loop = a[0] && !IS_NONE(a[0]) ? a[0] : running_loop;
    if (!loop) return err_format(&Exc_RuntimeError, "no running event loop");
    Value t = task_current(loop);
    return incref(t ? t : None);
}
static Value am_all_tasks(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    static const char *const names[] = { "loop", NULL };
    Value a[1];
    if (args_parse("all_tasks", args, nargs, kw, names, 0, a) < 0) return VNULL;
    Value loop = a[0] && !IS_NONE(a[0]) ? a[0] : running_loop;
    if (!loop) return err_format(&Exc_RuntimeError, "no running event loop");
    return task_all(loop);
}
static Value am_enter_task(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("_enter_task", kw) || args_count("_enter_task", nargs, 2, 2)) return VNULL;
    LoopObj *l = AS_LOOP(args[0]);
    if (l->current_task)
        return err_format(&Exc_RuntimeError, "Cannot enter into task %R while another task %R is being executed.",
                          args[1], l->current_task);
    l->current_task = incref(args[1]);
    return none_new();
}
static Value am_leave_task(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("_leave_task", kw) || args_count("_leave_task", nargs, 2, 2)) return VNULL;
    LoopObj *l = AS_LOOP(args[0]);
    if (l->current_task != args[1])
        return err_format(&Exc_RuntimeError, "Leaving task %R does not match the current task %R.",
                          args[1], l->current_task ? l->current_task : None);
    clearref(&l->current_task);
    return none_new();
}
static Value am_isfuture(Value self, Value *args, size_t nargs, Value kw) {
    (void)self;
    if (args_no_kw("isfuture", kw) || args_count("isfuture", nargs, 1, 1)) return VNULL;
    bool r = isfuture(args[0]);
    if (err_occurred()) return VNULL;
    return bool_new(r);
}
static Value am_virtual_time(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return bool_new(vm.virtual_time);
}

static const MethodDef asyncio_methods[] = {
    { "get_running_loop", am_get_running_loop, 0 }, { "_get_running_loop", am__get_running_loop, 0 },
    { "get_event_loop", am_get_event_loop, 0 }, { "set_event_loop", am_set_event_loop, 0 },
    { "new_event_loop", am_new_event_loop, 0 }, { "_set_loop_factory", am_set_loop_factory, 0 },
    { "current_task", am_current_task, 0 }, { "all_tasks", am_all_tasks, 0 },
    { "_enter_task", am_enter_task, 0 }, { "_leave_task", am_leave_task, 0 },
    { "isfuture", am_isfuture, 0 }, { "_virtual_time", am_virtual_time, 0 },
    { NULL, NULL, 0 }
};

void future_init_types(void);
void task_init_types(void);

Value asyncio_core_init(void) {
    static bool ready;
    if (!ready) {
        type_add_methods(&HandleType, handle_methods);
        type_ready(&HandleType);
        type_add_methods(&TimerHandleType, timer_methods);
        type_ready(&TimerHandleType);
        /* CPython's Handle classes live in asyncio.events */
        Value events_mod = str_intern_cstr("asyncio.events");
        dict_set(HandleType.dict, NM.__module__, events_mod);
        setref(&HandleType.module, incref(events_mod));
        dict_set(TimerHandleType.dict, NM.__module__, events_mod);
        setref(&TimerHandleType.module, incref(events_mod));
        type_add_methods(&LoopType, loop_methods);
        type_add_getsets(&LoopType, loop_getsets);
        type_ready(&LoopType);
        future_init_types();
        task_init_types();
        until_complete_cb = cfunc_new("_run_until_complete_cb", run_until_complete_cb, VNULL);
        ready = true;
    }
    Value m = module_from_methods("_asyncio", asyncio_methods);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    dict_set_str(d, "Future", OBJ_VAL(&FutureType));
    dict_set_str(d, "Task", OBJ_VAL(&TaskType));
    dict_set_str(d, "EventLoop", OBJ_VAL(&LoopType));
    dict_set_str(d, "Handle", OBJ_VAL(&HandleType));
    dict_set_str(d, "TimerHandle", OBJ_VAL(&TimerHandleType));
    dict_set_str(d, "CancelledError", OBJ_VAL(&Exc_CancelledError));
    dict_set_str(d, "InvalidStateError", OBJ_VAL(&Exc_InvalidStateError));
    dict_set_str(d, "QueueEmpty", OBJ_VAL(&Exc_QueueEmpty));
    dict_set_str(d, "QueueFull", OBJ_VAL(&Exc_QueueFull));
    return m;
}
