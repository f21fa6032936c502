/* stepper.c — `apy --step FILE`: pause at each event and look around.
 *
 * Owns: the step-through debugger. At each event of the outline (see
 * trace_model.c) it prints the event's lines and the source line, then reads
 * commands from standard input (from a script when stdin is not a terminal:
 * each command is echoed after the prompt, so a transcript reads like a
 * session; at end of input the program runs on to its end):
 *
 *   n, Enter   next event                s      next bytecode instruction in this frame
 *   c          continue to a breakpoint  b FUNC / b FILE:LINE / b   set / list breakpoints
 *   tasks      every task: state, where it is suspended, what it awaits
 *   ready      the ready queue           timers   the scheduled timers
 *   where      the chain from the program and the loop down to here
 *   locals     the current frame's variables       p EXPR   evaluate in the current frame
 *   why TASK   the chain of awaits from TASK down to the future it waits on,
 *              and who will complete that future
 *   tree       which task awaits which
 *   back       step backward: every pause keeps a text snapshot of all of the
 *              above, so going back re-shows an earlier moment exactly (n goes
 *              forward again; at the present it runs the program on)
 *   q          quit                      h        help
 *
 * Must not touch: the program's state, except through `p EXPR`, which runs
 * the user's expression (and whatever it calls) for real.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "trace_sink.h"
#include "aio.h"
#include "opcodes.h"
#include "errors.h"

/* ======================================================================================
 * Growable text
 * ====================================================================================== */
typedef struct { char *p; size_t n, cap; } DStr;

static void ds_put(DStr *d, const char *s, size_t n) {
    if (d->n + n + 1 > d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 256;
        while (nc < d->n + n + 1) nc *= 2;
        char *np = realloc(d->p, nc);
        if (!np) return;
        d->p = np;
        d->cap = nc;
    }
    memcpy(d->p + d->n, s, n);
    d->n += n;
    d->p[d->n] = 0;
}

static void ds_printf(DStr *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ds_printf(DStr *d, const char *fmt, ...) {
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k <= 0) return;
    if ((size_t)k < sizeof tmp) { ds_put(d, tmp, (size_t)k); return; }
    char *big = malloc((size_t)k + 1);          /* deep indentation: a long line */
    if (!big) return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    ds_put(d, big, (size_t)k);
    free(big);
}

static char *ds_take(DStr *d) {
    char *p = d->p ? d->p : strdup("");
    d->p = NULL;
    d->n = d->cap = 0;
    return p;
}

/* a short description into a stack buffer */
#define DESCRIBE(buf, fn, v) do { TBuf tb_; tb_init(&tb_, buf, sizeof buf); fn(&tb_, v); } while (0)

/* ======================================================================================
 * State
 * ====================================================================================== */
typedef struct {
    uint64_t seq;
    char *header, *where, *tasks, *ready, *timers, *locals, *tree, *why;
} Snapshot;

typedef struct { char func[128]; char file[256]; int line; } Breakpoint;

typedef struct {                     /* every task seen, for `tasks` after it is gone */
    char name[64], coro[128], state[200];
    bool hidden;
} TaskRecord;

#define MAX_HISTORY 1000
#define MAX_BREAKPOINTS 64

typedef enum { RUN_STEP, RUN_INSTR, RUN_CONTINUE, RUN_FREE } RunMode;

typedef struct {
    Renderer r;
    RunMode mode;
    const Frame *instr_frame;        /* `s`: the frame whose instructions we step (identity) */
    Breakpoint bps[MAX_BREAKPOINTS];
    int nbps;
    bool line_bps;                   /* some breakpoint needs TE_INSTR (FILE:LINE) */
    struct { const Frame *f; int line; } last_line;
    Snapshot *hist[MAX_HISTORY];
    int nhist;
    TaskRecord *tasks;
    int ntasks, captasks;
    Frame *here;                     /* the current frame while paused at the present (alive) */
    bool tty, quit;
} Stepper;

static Stepper stepper;

/* ======================================================================================
 * Naming
 * ====================================================================================== */
static const char *str_of(Value s, const char *dflt) { return s && IS_STR(s) ? STR_DATA(s) : dflt; }

static void frame_label(DStr *d, Frame *f) {
    if ((f->code->flags & CO_LIB) && !trace_includes_lib()) {
        /* "asyncio.sleep() (lib)": no line, so the view does not change with lib/'s code */
        const char *rel = tv_relpath(str_of(f->code->filename, "?"));
        ds_printf(d, "%.*s.%s() (lib)", (int)strcspn(rel, "/."), rel, str_of(f->code->qualname, "?"));
        return;
    }
    char buf[TL_PLACE];
    TBuf b;
    tb_init(&b, buf, sizeof buf);
    tm_frame_place(stepper.r.model, &b, f, true);
    ds_put(d, buf, strlen(buf));
}

static Value running_loop(void) { return vm.running_loop ? OBJ_VAL((Obj *)vm.running_loop) : VNULL; }

/* The frames of a task's await chain, innermost last; `fut` gets the future at its end. */
static Value future_iter_future(Value it) {
    /* future.c's FutureIterObj { Obj h; Value fut; }: what `await fut` is waiting on */
    if (IS_OBJ(it) && TYPE_OF(it) == &FutureIterType) return ((struct { Obj h; Value fut; } *)AS_OBJ(it))->fut;
    return VNULL;
}

/* "main() line 10 → asyncio.sleep() line 640 (lib) → Future-3 (pending)" */
static void await_chain(DStr *d, Value task, const char *indent) {
    Value it = AS_TASK(task)->coro;
    for (int guard = 0; it && guard < 64; guard++) {
        if (IS_GEN_LIKE(it)) {
            GenObj *g = AS_GEN(it);
            Frame *f = g->frame;
            if (!f) { ds_printf(d, "%s%s() has finished\n", indent, str_of(g->qualname, "?")); return; }
            ds_printf(d, "%s", indent);
            if (f->state == FRAME_CREATED) {
                ds_printf(d, "%s() has not started yet\n", str_of(g->qualname, "?"));
                return;
            }
            frame_label(d, f);
            if (f->state == FRAME_EXECUTING) { ds_printf(d, "  (running now)\n"); return; }
            Value next = gen_yieldfrom(g);
            if (!next) { ds_printf(d, "  (suspended at a yield)\n"); return; }
            ds_printf(d, "  awaits\n");
            it = next;
            continue;
        }
        Value fut = future_iter_future(it);
        char buf[160];
        if (fut) {
            DESCRIBE(buf, tv_future_name, fut);
            FutureObj *fo = AS_FUTURE(fut);
            ds_printf(d, "%s%s.__await__ on %s (%s)\n", indent, buf, buf,
                      fo->state == FUT_PENDING ? "pending" : fo->state == FUT_CANCELLED ? "cancelled" : "done");
            return;
        }
        DESCRIBE(buf, tv_describe, it);
        ds_printf(d, "%s%s\n", indent, buf);
        return;
    }
}

/* Does this handle's callback or arguments refer to v (directly or through a partial)? */
static bool refers_to(Value x, Value v, int depth) {
    if (x == v) return true;
    if (!IS_OBJ(x) || depth > 3) return false;
    Type *t = TYPE_OF(x);
    if (t == &TupleType) {
        for (size_t i = 0; i < TUPLE_LEN(x); i++) if (refers_to(TUPLE_ITEMS(x)[i], v, depth + 1)) return true;
        return false;
    }
    if (t == &ListType) {
        for (size_t i = 0; i < LIST_LEN(x); i++) if (refers_to(LIST_ITEMS(x)[i], v, depth + 1)) return true;
        return false;
    }
    if (t == &MethodType) return refers_to(((MethodObj *)AS_OBJ(x))->self, v, depth + 1);
    if (t == &CFunctionType) return ((CFuncObj *)AS_OBJ(x))->self == v;
    if (t == &FunctionType) {
        Value cl = AS_FUNC(x)->closure;
        if (cl && IS_TYPE(cl, &TupleType))
            for (size_t i = 0; i < TUPLE_LEN(cl); i++) {
                Value c = TUPLE_ITEMS(cl)[i];
                if (IS_TYPE(c, &CellType) && AS_CELL(c)->ref && refers_to(AS_CELL(c)->ref, v, depth + 1)) return true;
            }
        return false;
    }
    Value *ds = (t->flags & TF_HEAPTYPE) && !future_check(x) ? type_dict_slot(t, AS_OBJ(x)) : NULL;
    if (ds) {
        Value dd = *ds;
        if (dd && IS_DICT(dd)) {
            size_t pos = 0;
            Value k, val;
            while (dict_next(dd, &pos, &k, &val)) if (refers_to(val, v, depth + 1)) return true;
        }
    }
    return false;
}

static bool handle_refers_to(Value h, Value v) {
    HandleObj *ho = AS_HANDLE(h);
    return (ho->callback && refers_to(ho->callback, v, 0)) || (ho->args && refers_to(ho->args, v, 0));
}

static double clock_now(LoopObj *l) {
    if (l->virtual_time) return l->clock;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + vm_time_offset();
}

static double timer_at(LoopObj *l, HandleObj *h) { return trace_now() + (h->when - clock_now(l)); }

/* Sorted copy of the timer heap (by deadline, as they will fire). */
static int cmp_when(const void *a, const void *b) {
    double x = AS_HANDLE(*(const Value *)a)->when, y = AS_HANDLE(*(const Value *)b)->when;
    return x < y ? -1 : x > y;
}

static Value *sorted_timers(LoopObj *l, size_t *n) {
    *n = 0;
    if (!l->nheap) return NULL;
    Value *v = malloc(l->nheap * sizeof *v);
    if (!v) return NULL;
    memcpy(v, l->heap, l->nheap * sizeof *v);
    qsort(v, l->nheap, sizeof *v, cmp_when);
    *n = l->nheap;
    return v;
}

/* Live tasks (pending), in creation order. */
static int cmp_task(const void *a, const void *b) {
    uint32_t x = AS_FUTURE(*(const Value *)a)->id, y = AS_FUTURE(*(const Value *)b)->id;
    return x < y ? -1 : x > y;
}

static Value *live_tasks(size_t *n) {
    *n = 0;
    Value set = task_all(VNULL);
    if (!set) { err_clear(); return NULL; }
    SetObj *so = AS_SET(set);
    Value *v = malloc((so->used + 1) * sizeof *v);
    if (!v) { decref(set); return NULL; }
    size_t pos = 0, k = 0;
    Value key;
    while (set_next(set, &pos, &key)) v[k++] = key;     /* borrowed: the tasks are alive (registered) */
    decref(set);
    qsort(v, k, sizeof *v, cmp_task);
    *n = k;
    return v;
}

static bool in_ready_queue(Value task) {
    Value lv = running_loop();
    if (!lv) return false;
    LoopObj *l = AS_LOOP(lv);
    for (size_t i = 0; i < l->rcount; i++) {
        HandleObj *h = AS_HANDLE(l->ready[(l->rhead + i) % l->rcap]);
        if (h->callback && tv_task_callback_kind(h->callback) && ((CFuncObj *)AS_OBJ(h->callback))->self == task) return true;
    }
    return false;
}

static Value gathering_children(Value fut) {
    if (!(TYPE_OF(fut)->flags & TF_HEAPTYPE)) return VNULL;
    Value d = AS_FUTURE(fut)->dict;
    Value c = d && IS_DICT(d) ? dict_get_str(d, "_children") : VNULL;
    return c && (IS_TYPE(c, &ListType) || IS_TYPE(c, &TupleType)) ? c : VNULL;
}

/* ======================================================================================
 * The views
 * ====================================================================================== */
static void view_where(DStr *d, TraceModel *m) {
    int k = tm_nplaces(m);
    if (!k) { ds_printf(d, "(control is outside the program)\n"); return; }
    for (int i = 0; i < k; i++) {
        if (tm_silent_at(m, i)) continue;
        TraceLine l;
        tm_place_line(m, i, &l);
        ds_printf(d, "%*s%s%s\n", 4 * i, "", l.place, i == k - 1 ? "   <- control is here" : "");
    }
}

static void record_task(Stepper *s, Value task, const char *state) {
    char name[64];
    DESCRIBE(name, tv_task_name, task);
    for (int i = s->ntasks - 1; i >= 0; i--) {
        if (strcmp(s->tasks[i].name, name) == 0) {
            if (state) snprintf(s->tasks[i].state, sizeof s->tasks[i].state, "%s", state);
            return;
        }
    }
    if (s->ntasks == s->captasks) {
        int nc = s->captasks ? s->captasks * 2 : 32;
        TaskRecord *nt = realloc(s->tasks, (size_t)nc * sizeof *nt);
        if (!nt) return;
        s->tasks = nt;
        s->captasks = nc;
    }
    TaskRecord *r = &s->tasks[s->ntasks++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    DESCRIBE(r->coro, tv_coro_name, AS_TASK(task)->coro);
    snprintf(r->state, sizeof r->state, "%s", state ? state : "pending");
    r->hidden = tv_task_hidden(task);
}

static void task_line(DStr *d, Value task) {
    TaskObj *t = AS_TASK(task);
    char name[64], coro[128], buf[160];
    DESCRIBE(name, tv_task_name, task);
    DESCRIBE(coro, tv_coro_name, t->coro);
    Value lv = running_loop();
    bool running = lv && AS_LOOP(lv)->current_task == task;
    const char *state = running ? "running" : t->fut_waiter ? "waiting" : in_ready_queue(task) ? "ready" : "pending";
    ds_printf(d, "%-10s %-8s %s", name, state, coro);
    if (t->fut_waiter) {
        DESCRIBE(buf, tv_future_name, t->fut_waiter);
        ds_printf(d, "  awaits %s", buf);
    }
    ds_put(d, "\n", 1);
    DStr chain = {0};
    await_chain(&chain, task, "               ");
    if (chain.p) ds_put(d, chain.p, chain.n);
    free(chain.p);
}

static void view_tasks(DStr *d, Stepper *s) {
    size_t n;
    Value *live = live_tasks(&n);
    bool any = false;
    for (int i = 0; i < s->ntasks; i++) {
        TaskRecord *r = &s->tasks[i];
        if (r->hidden) continue;
        Value t = VNULL;
        for (size_t k = 0; k < n; k++) {
            char name[64];
            DESCRIBE(name, tv_task_name, live[k]);
            if (live[k] && strcmp(name, r->name) == 0) { t = live[k]; live[k] = VNULL; break; }
        }
        any = true;
        if (t) task_line(d, t);
        else ds_printf(d, "%-10s %-8s %s  %s\n", r->name, strncmp(r->state, "cancelled", 9) == 0 ? "cancelled" : "done",
                       r->coro, r->state);
    }
    for (size_t k = 0; k < n; k++)        /* created before tracing saw them (should not happen) */
        if (live[k] && !tv_task_hidden(live[k])) { task_line(d, live[k]); any = true; }
    free(live);
    if (!any) ds_printf(d, "(no tasks)\n");
}

static void view_ready(DStr *d) {
    Value lv = running_loop();
    if (!lv) { ds_printf(d, "(the event loop is not running)\n"); return; }
    LoopObj *l = AS_LOOP(lv);
    if (!l->rcount) { ds_printf(d, "(the ready queue is empty)\n"); return; }
    for (size_t i = 0; i < l->rcount; i++) {
        Value h = l->ready[(l->rhead + i) % l->rcap];
        char buf[TL_TEXT];
        DESCRIBE(buf, tv_handle, h);
        ds_printf(d, "%zu. %s%s\n", i + 1, buf, AS_HANDLE(h)->cancelled ? " (cancelled)" : "");
    }
}

static void view_timers(DStr *d) {
    Value lv = running_loop();
    if (!lv) { ds_printf(d, "(the event loop is not running)\n"); return; }
    LoopObj *l = AS_LOOP(lv);
    size_t n;
    Value *v = sorted_timers(l, &n);
    if (!n) { ds_printf(d, "(no timers)\n"); free(v); return; }
    for (size_t i = 0; i < n; i++) {
        HandleObj *h = AS_HANDLE(v[i]);
        char buf[TL_TEXT];
        DESCRIBE(buf, tv_handle, v[i]);
        double at = timer_at(l, h);
        ds_printf(d, "t=%.3f (in %.3f s)  %s%s\n", at, at - trace_now(), buf, h->cancelled ? " (cancelled)" : "");
    }
    free(v);
}

static void view_locals(DStr *d, Frame *f) {
    if (!f) { ds_printf(d, "(no frame here: control is in the event loop or a task's step)\n"); return; }
    CodeObj *co = f->code;
    char buf[TL_TEXT];
    bool any = false;
    ds_printf(d, "in ");
    frame_label(d, f);
    ds_printf(d, ":\n");
    if ((co->flags & CO_MODULE) && f->locals && IS_DICT(f->locals)) {
        size_t pos = 0;
        Value k, v;
        while (dict_next(f->locals, &pos, &k, &v)) {
            if (!IS_STR(k) || strncmp(STR_DATA(k), "__", 2) == 0 || IS_TYPE(v, &ModuleType)) continue;
            DESCRIBE(buf, tv_describe, v);
            ds_printf(d, "  %s = %s\n", STR_DATA(k), buf);
            any = true;
        }
    } else {
        for (int i = 0; i < co->nlocals; i++) {
            Value v = f->slots[i];
            if (!v) continue;
            DESCRIBE(buf, tv_describe, v);
            ds_printf(d, "  %s = %s\n", STR_DATA(TUPLE_ITEMS(co->varnames)[i]), buf);
            any = true;
        }
        for (int i = 0; i < co->ncells + co->nfrees; i++) {
            Value c = f->slots[co->nlocals + i];
            if (!c || !IS_TYPE(c, &CellType) || !AS_CELL(c)->ref) continue;
            Value name = i < co->ncells ? TUPLE_ITEMS(co->cellvars)[i] : TUPLE_ITEMS(co->freevars)[i - co->ncells];
            if (i < co->ncells && co->cell2arg && co->cell2arg[i] >= 0) continue;   /* shown as the argument */
            DESCRIBE(buf, tv_describe, AS_CELL(c)->ref);
            ds_printf(d, "  %s = %s\n", str_of(name, "?"), buf);
            any = true;
        }
    }
    if (!any) ds_printf(d, "  (none yet)\n");
}

/* Who will complete this future? */
static void who_completes(DStr *d, Value fut, int depth) {
    char name[160], buf[TL_TEXT];
    DESCRIBE(name, tv_future_name, fut);
    FutureObj *fo = AS_FUTURE(fut);
    if (fo->state != FUT_PENDING) { ds_printf(d, "  %s is already done: the waiting task's wake-up is scheduled\n", name); return; }
    if (task_check(fut)) {
        TaskObj *t = AS_TASK(fut);
        char coro[128];
        DESCRIBE(coro, tv_coro_name, t->coro);
        ds_printf(d, "  %s is completed by its own coroutine %s when it returns or raises;\n", name, coro);
        if (t->fut_waiter && depth < 8) {
            DESCRIBE(buf, tv_future_name, t->fut_waiter);
            ds_printf(d, "  %s itself waits for %s:\n", name, buf);
            who_completes(d, t->fut_waiter, depth + 1);
        } else if (in_ready_queue(fut)) {
            ds_printf(d, "  its next step is in the ready queue\n");
        } else {
            Value lv = running_loop();
            ds_printf(d, "  %s\n", lv && AS_LOOP(lv)->current_task == fut ? "it is running now" : "it is not waiting for anything");
        }
        return;
    }
    Value kids = gathering_children(fut);
    if (kids) {
        ds_printf(d, "  %s completes when all of its children are done:", name);
        size_t n = IS_TYPE(kids, &ListType) ? LIST_LEN(kids) : TUPLE_LEN(kids);
        Value *items = IS_TYPE(kids, &ListType) ? LIST_ITEMS(kids) : TUPLE_ITEMS(kids);
        for (size_t i = 0; i < n; i++) {
            DESCRIBE(buf, tv_future_name, items[i]);
            bool done = future_check(items[i]) && AS_FUTURE(items[i])->state != FUT_PENDING;
            ds_printf(d, "%s %s (%s)", i ? "," : "", buf, done ? "done" : "pending");
        }
        ds_printf(d, "\n");
        return;
    }
    Value lv = running_loop();
    bool found = false;
    if (lv) {
        LoopObj *l = AS_LOOP(lv);
        size_t n;
        Value *v = sorted_timers(l, &n);
        for (size_t i = 0; i < n; i++) {
            if (AS_HANDLE(v[i])->cancelled || !handle_refers_to(v[i], fut)) continue;
            DESCRIBE(buf, tv_handle, v[i]);
            ds_printf(d, "  the timer at t=%.3f will complete it: %s\n", timer_at(l, AS_HANDLE(v[i])), buf);
            found = true;
        }
        free(v);
        for (size_t i = 0; i < l->rcount; i++) {
            Value h = l->ready[(l->rhead + i) % l->rcap];
            if (AS_HANDLE(h)->cancelled || !handle_refers_to(h, fut)) continue;
            DESCRIBE(buf, tv_handle, h);
            ds_printf(d, "  the ready callback %s will complete it\n", buf);
            found = true;
        }
    }
    if (!found)
        ds_printf(d, "  no timer or ready callback refers to %s: some other code must call its set_result()\n"
                     "  (a Queue, Event, Lock or Condition keeps such futures for its waiters)\n", name);
}

static void why_one(DStr *d, Value task) {
    TaskObj *t = AS_TASK(task);
    char name[64], buf[160];
    DESCRIBE(name, tv_task_name, task);
    ds_printf(d, "%s runs ", name);
    DESCRIBE(buf, tv_coro_name, t->coro);
    ds_printf(d, "%s:\n", buf);
    await_chain(d, task, "  ");
    if (t->fut_waiter) {
        DESCRIBE(buf, tv_future_name, t->fut_waiter);
        ds_printf(d, "%s waits for %s: its wake-up is a done-callback of %s.\n", name, buf, buf);
        who_completes(d, t->fut_waiter, 0);
    } else if (in_ready_queue(task)) {
        ds_printf(d, "%s waits for nothing: its next step is in the ready queue.\n", name);
    } else {
        Value lv = running_loop();
        ds_printf(d, "%s %s.\n", name, lv && AS_LOOP(lv)->current_task == task ? "is running now" : "waits for nothing");
    }
}

static void view_why_all(DStr *d) {
    size_t n;
    Value *live = live_tasks(&n);
    for (size_t i = 0; i < n; i++) {
        if (tv_task_hidden(live[i])) continue;
        char name[64];
        DESCRIBE(name, tv_task_name, live[i]);
        ds_printf(d, "\x1d%s\n", name);          /* a section per task, for `why TASK` in the past */
        why_one(d, live[i]);
    }
    free(live);
}

static void tree_node(DStr *d, Value task, int indent, int depth) {
    TaskObj *t = AS_TASK(task);
    char name[64], coro[128], buf[160];
    DESCRIBE(name, tv_task_name, task);
    DESCRIBE(coro, tv_coro_name, t->coro);
    bool done = t->fut.state != FUT_PENDING;
    ds_printf(d, "%*s%s %s", indent, "", name, coro);
    if (done) { ds_printf(d, " (done)\n"); return; }
    Value w = t->fut_waiter;
    if (!w) { ds_printf(d, in_ready_queue(task) ? " (ready)\n" : "\n"); return; }
    DESCRIBE(buf, tv_future_name, w);
    ds_printf(d, " awaits %s\n", buf);
    if (depth > 16) return;
    if (task_check(w)) { tree_node(d, w, indent + 4, depth + 1); return; }
    Value kids = gathering_children(w);
    if (kids) {
        size_t n = IS_TYPE(kids, &ListType) ? LIST_LEN(kids) : TUPLE_LEN(kids);
        Value *items = IS_TYPE(kids, &ListType) ? LIST_ITEMS(kids) : TUPLE_ITEMS(kids);
        for (size_t i = 0; i < n; i++)
            if (task_check(items[i])) tree_node(d, items[i], indent + 4, depth + 1);
    }
}

static bool awaited_by_someone(Value task, Value *live, size_t n) {
    for (size_t i = 0; i < n; i++) {
        Value w = AS_TASK(live[i])->fut_waiter;
        if (!w) continue;
        if (w == task) return true;
        Value kids = gathering_children(w);
        if (kids && refers_to(kids, task, 0)) return true;
    }
    return false;
}

static void view_tree(DStr *d) {
    size_t n;
    Value *live = live_tasks(&n);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (tv_task_hidden(live[i]) || awaited_by_someone(live[i], live, n)) continue;
        tree_node(d, live[i], 0, 0);
        any = true;
    }
    free(live);
    if (!any) ds_printf(d, "(no pending tasks)\n");
}

/* ======================================================================================
 * Pausing
 * ====================================================================================== */
static void put_outline_line(DStr *d, const TraceLine *l) {
    if (l->kind == TL_NOTE) { ds_printf(d, "%44s |   + %s\n", "", l->why); return; }
    int w = 4 * l->depth + (int)strlen(l->place);
    ds_printf(d, "%*s%s%*s | %s\n", 4 * l->depth, "", l->place, w < 44 ? 44 - w : 0, "", l->why);
}

static void source_line(DStr *d, Frame *f) {
    if (!f) return;
    int line = frame_lineno(f);
    char text[512];
    int indent = 0;
    if (linecache_get(str_of(f->code->filename, "?"), line, text, sizeof text, &indent))
        ds_printf(d, "%5d |   %s\n", line, text);
}

static void instr_text(DStr *d, Frame *f) {
    CodeObj *co = f->code;
    uint32_t at = frame_lasti(f);
    if (at >= co->ncode) return;
    uint32_t ins = co->code[at];
    Opcode op = INSTR_OP(ins);
    uint32_t arg = INSTR_ARG(ins);
    ds_printf(d, "@%u %s", at, op < OP__COUNT ? opcode_info[op].name : "???");
    char buf[160];
    switch (op < OP__COUNT ? opcode_info[op].kind : ARG_NONE) {
    case ARG_NONE: break;
    case ARG_CONST: DESCRIBE(buf, tv_describe, TUPLE_ITEMS(co->consts)[arg]); ds_printf(d, " (%s)", buf); break;
    case ARG_NAME: ds_printf(d, " (%s)", str_of(TUPLE_ITEMS(co->names)[arg], "?")); break;
    case ARG_LOCAL: ds_printf(d, " (%s)", str_of(TUPLE_ITEMS(co->varnames)[arg], "?")); break;
    default: ds_printf(d, " %u", arg); break;
    }
}

/* The frame whose locals `locals` and `p` use: the place control is in, if it is a frame. */
static Frame *current_frame(TraceModel *m, const TraceEvent *ev) {
    if (ev->kind == TE_INSTR) return ev->frame;
    for (int i = tm_nplaces(m) - 1; i >= 0; i--) {
        Frame *f = tm_frame_at(m, i);
        if (f) return f;
        TraceLine l;
        tm_place_line(m, i, &l);
        if (l.pkind != PK_AWAIT) return NULL;      /* a loop or a task step: no frame of ours here */
    }
    return NULL;
}

static Snapshot *take_snapshot(Stepper *s, const TraceEvent *ev, const TraceLine *lines, int n, Frame *here) {
    Snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) return NULL;
    TraceModel *m = s->r.model;
    DStr d = {0};
    char task[64] = "";
    if (ev->task) DESCRIBE(task, tv_task_name, ev->task);
    ds_printf(&d, "-- #%llu  t=%.3f%s%s --\n", (unsigned long long)ev->seq, ev->time, task[0] ? "  " : "", task);
    if (ev->kind == TE_INSTR) {
        ds_printf(&d, "%*s", 4 * tm_depth(m), "");
        frame_label(&d, ev->frame);
        ds_printf(&d, "  ");
        instr_text(&d, ev->frame);
        ds_printf(&d, "\n");
    }
    for (int i = 0; i < n; i++) if (trace_line_shown(s->r.opts, &lines[i])) put_outline_line(&d, &lines[i]);
    source_line(&d, here);
    snap->header = ds_take(&d);
    snap->seq = ev->seq;
    view_where(&d, m);              snap->where = ds_take(&d);
    view_tasks(&d, s);              snap->tasks = ds_take(&d);
    view_ready(&d);                 snap->ready = ds_take(&d);
    view_timers(&d);                snap->timers = ds_take(&d);
    view_locals(&d, here);          snap->locals = ds_take(&d);
    view_tree(&d);                  snap->tree = ds_take(&d);
    view_why_all(&d);               snap->why = ds_take(&d);
    return snap;
}

static void free_snapshot(Snapshot *snap) {
    if (!snap) return;
    free(snap->header); free(snap->where); free(snap->tasks); free(snap->ready);
    free(snap->timers); free(snap->locals); free(snap->tree); free(snap->why);
    free(snap);
}

static void remember(Stepper *s, Snapshot *snap) {
    if (!snap) return;
    if (s->nhist == MAX_HISTORY) {
        free_snapshot(s->hist[0]);
        memmove(s->hist, s->hist + 1, (MAX_HISTORY - 1) * sizeof s->hist[0]);
        s->nhist--;
    }
    s->hist[s->nhist++] = snap;
}

static void out(const char *text) {
    fputs(text, stdout);
}

static void why_from_snapshot(const Snapshot *snap, const char *task) {
    size_t k = strlen(task);
    for (const char *p = snap->why; p && (p = strchr(p, '\x1d')); p++) {
        if (strncmp(p + 1, task, k) == 0 && p[1 + k] == '\n') {
            const char *body = p + 2 + k;
            const char *end = strchr(body, '\x1d');
            fwrite(body, 1, end ? (size_t)(end - body) : strlen(body), stdout);
            return;
        }
    }
    printf("no pending task named '%s' (tasks lists them)\n", task);
}

static void eval_print(Frame *f, const char *expr) {
    Value saved = err_fetch();
    Value code = compile_source(expr, strlen(expr), "<step>", 2);
    Value r = VNULL;
    if (code) {
        Value globals, locals;
        if (f) {
            globals = f->globals;
            locals = (f->code->flags & CO_MODULE) && f->locals ? incref(f->locals) : frame_locals_dict(f);
        } else {
            globals = vm.main_module ? ((ModuleObj *)AS_OBJ(vm.main_module))->dict : VNULL;
            locals = globals ? incref(globals) : VNULL;
        }
        if (globals && locals) r = vm_run_code(AS_CODE(code), globals, locals);
        else if (!err_occurred()) err_format(&Exc_RuntimeError, "no namespace to evaluate in");
        decref(locals);
        decref(code);
    }
    if (r) {
        Value s = obj_repr(r);
        if (s) { printf("%s\n", STR_DATA(s)); decref(s); }
        decref(r);
    }
    if (err_occurred()) {
        Value e = err_fetch();
        Value msg = e ? obj_str(e) : VNULL;
        if (!msg) err_clear();
        const char *m = msg && IS_STR(msg) ? STR_DATA(msg) : "";
        printf("%s%s%s\n", e ? obj_type_name(e) : "error", m[0] ? ": " : "", m);
        decref(msg);
        decref(e);
    }
    err_clear();
    if (saved) err_restore(saved);
}

static const char help_text[] =
    "n, Enter   next event                  s          next instruction in this frame\n"
    "c          continue to a breakpoint    b FUNC | b FILE:LINE | b   set / list breakpoints\n"
    "tasks      every task                  ready      the ready queue\n"
    "timers     the scheduled timers        where      from the program down to here\n"
    "locals     this frame's variables      p EXPR     evaluate EXPR in this frame\n"
    "why TASK   what TASK waits for, and who will complete it\n"
    "tree       which task awaits which     back       one pause back in time (n: forward)\n"
    "q          quit\n";

static void add_breakpoint(Stepper *s, const char *arg) {
    if (!*arg) {
        if (!s->nbps) printf("no breakpoints\n");
        for (int i = 0; i < s->nbps; i++) {
            if (s->bps[i].line) printf("%d. %s:%d\n", i + 1, s->bps[i].file, s->bps[i].line);
            else printf("%d. %s\n", i + 1, s->bps[i].func);
        }
        return;
    }
    if (s->nbps == MAX_BREAKPOINTS) { printf("too many breakpoints\n"); return; }
    Breakpoint *b = &s->bps[s->nbps];
    memset(b, 0, sizeof *b);
    const char *colon = strrchr(arg, ':');
    char *end = NULL;
    long line = colon ? strtol(colon + 1, &end, 10) : 0;
    if (colon && end && !*end && line > 0) {
        snprintf(b->file, sizeof b->file, "%.*s", (int)(colon - arg), arg);
        b->line = (int)line;
        s->line_bps = true;
        printf("breakpoint %d at %s:%d\n", s->nbps + 1, b->file, b->line);
    } else {
        snprintf(b->func, sizeof b->func, "%s", arg);
        printf("breakpoint %d at %s()\n", s->nbps + 1, b->func);
    }
    s->nbps++;
}

static bool file_matches(const char *want, Value filename) {
    const char *have = str_of(filename, "");
    size_t lw = strlen(want), lh = strlen(have);
    if (lh < lw || strcmp(have + lh - lw, want) != 0) return false;
    return lh == lw || have[lh - lw - 1] == '/';
}

static bool at_breakpoint(Stepper *s, const TraceEvent *ev) {
    Frame *f = ev->frame;
    if (!f || !s->nbps) return false;
    bool frame_event = ev->kind == TE_CALL || ev->kind == TE_RESUME;
    for (int i = 0; i < s->nbps; i++) {
        Breakpoint *b = &s->bps[i];
        if (b->line) {
            if ((ev->kind == TE_INSTR || frame_event) && frame_lineno(f) == b->line && file_matches(b->file, f->code->filename))
                return true;
        } else if (frame_event) {
            if (strcmp(str_of(f->code->qualname, ""), b->func) == 0 || strcmp(str_of(f->code->name, ""), b->func) == 0)
                return true;
        }
    }
    return false;
}

static void set_mode(Stepper *s, RunMode mode, const Frame *instr_frame) {
    s->mode = mode;
    s->instr_frame = instr_frame;
    trace_want_instr(mode == RUN_INSTR || (mode == RUN_CONTINUE && s->line_bps));
}

/* Read one command; false at end of input. */
static bool read_command(Stepper *s, char *buf, size_t cap) {
    fputs("(step) ", stdout);
    fflush(stdout);
    if (!fgets(buf, (int)cap, stdin)) {
        fputs("\n", stdout);
        return false;
    }
    size_t k = strlen(buf);
    while (k && (buf[k - 1] == '\n' || buf[k - 1] == '\r')) buf[--k] = 0;
    if (!s->tty) printf("%s\n", buf);      /* a transcript of a scripted session reads like a live one */
    return true;
}

static void pause_here(Stepper *s, const TraceEvent *ev, const TraceLine *lines, int n) {
    TraceModel *m = s->r.model;
    Frame *here = current_frame(m, ev);
    s->here = here;
    Snapshot *snap = take_snapshot(s, ev, lines, n, here);
    remember(s, snap);
    if (!snap) return;
    fflush(stdout);
    fflush(stderr);
    out(snap->header);
    int cursor = s->nhist - 1;             /* which snapshot we look at: the last one is the present */
    char cmd[1024];
    for (;;) {
        if (!read_command(s, cmd, sizeof cmd)) { set_mode(s, RUN_FREE, NULL); break; }
        char *arg = cmd;
        while (*arg && *arg != ' ') arg++;
        if (*arg) *arg++ = 0;
        while (*arg == ' ') arg++;
        Snapshot *view = s->hist[cursor];
        bool present = cursor == s->nhist - 1;
        if (!cmd[0] || strcmp(cmd, "n") == 0 || strcmp(cmd, "next") == 0) {
            if (present) { set_mode(s, RUN_STEP, NULL); break; }
            cursor++;
            printf(cursor == s->nhist - 1 ? "(the present)\n" : "(back in time: %d of %d)\n", cursor + 1, s->nhist);
            out(s->hist[cursor]->header);
        } else if (strcmp(cmd, "s") == 0 || strcmp(cmd, "step") == 0) {
            if (!present) { printf("s works at the present only (n goes forward)\n"); continue; }
            if (!here) { printf("no frame here to step through: use n\n"); continue; }
            set_mode(s, RUN_INSTR, here);
            break;
        } else if (strcmp(cmd, "c") == 0 || strcmp(cmd, "continue") == 0) {
            set_mode(s, RUN_CONTINUE, NULL);
            break;
        } else if (strcmp(cmd, "b") == 0 || strcmp(cmd, "break") == 0) {
            add_breakpoint(s, arg);
        } else if (strcmp(cmd, "back") == 0) {
            if (cursor == 0) { printf("this is the oldest moment kept\n"); continue; }
            cursor--;
            printf("(back in time: %d of %d)\n", cursor + 1, s->nhist);
            out(s->hist[cursor]->header);
        } else if (strcmp(cmd, "tasks") == 0) {
            out(view->tasks);
        } else if (strcmp(cmd, "ready") == 0) {
            out(view->ready);
        } else if (strcmp(cmd, "timers") == 0) {
            out(view->timers);
        } else if (strcmp(cmd, "where") == 0 || strcmp(cmd, "w") == 0) {
            out(view->where);
        } else if (strcmp(cmd, "locals") == 0) {
            out(view->locals);
        } else if (strcmp(cmd, "tree") == 0) {
            out(view->tree);
        } else if (strcmp(cmd, "why") == 0) {
            if (!*arg) { printf("why TASK: which task? (tasks lists them)\n"); continue; }
            why_from_snapshot(view, arg);
        } else if (strcmp(cmd, "p") == 0 || strcmp(cmd, "print") == 0) {
            if (!present) { printf("p works at the present only: the past keeps text, not objects (n goes forward)\n"); continue; }
            if (!*arg) { printf("p EXPR: what should I evaluate?\n"); continue; }
            eval_print(here, arg);
        } else if (strcmp(cmd, "q") == 0 || strcmp(cmd, "quit") == 0) {
            printf("(quit)\n");
            fflush(stdout);
            s->quit = true;
            exit(0);
        } else if (strcmp(cmd, "h") == 0 || strcmp(cmd, "help") == 0 || strcmp(cmd, "?") == 0) {
            out(help_text);
        } else {
            printf("unknown command '%s' (h for help)\n", cmd);
        }
    }
    fflush(stdout);
    s->here = NULL;
}

/* ======================================================================================
 * The renderer
 * ====================================================================================== */
static void stepper_event(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n) {
    Stepper *s = (Stepper *)r;
    /* keep the task records up to date, paused or not */
    if (ev->kind == TE_TASK_CREATED) record_task(s, ev->subject, NULL);
    else if (ev->kind == TE_FUTURE_DONE && task_check(ev->subject)) {
        char buf[200], v[160];
        DESCRIBE(v, tv_describe, ev->value);
        const char *d = ev->detail ? ev->detail : "";
        if (strcmp(d, "cancelled") == 0) snprintf(buf, sizeof buf, "cancelled");
        else if (strcmp(d, "exception") == 0) snprintf(buf, sizeof buf, "exception %s", v);
        else snprintf(buf, sizeof buf, "result %s", v);
        record_task(s, ev->subject, buf);
    }
    if (s->mode == RUN_FREE) return;
    bool shown = false;
    for (int i = 0; i < n; i++) shown |= trace_line_shown(r->opts, &lines[i]);
    if (ev->kind == TE_INSTR) {
        if (s->mode == RUN_INSTR && ev->frame == s->instr_frame) { pause_here(s, ev, lines, n); return; }
        if (s->mode == RUN_CONTINUE && s->line_bps) {
            int line = frame_lineno(ev->frame);
            bool moved = s->last_line.f != ev->frame || s->last_line.line != line;
            s->last_line.f = ev->frame;
            s->last_line.line = line;
            if (moved && at_breakpoint(s, ev)) pause_here(s, ev, lines, n);
        }
        return;
    }
    if (ev->frame && (ev->kind == TE_CALL || ev->kind == TE_RESUME)) {
        s->last_line.f = ev->frame;
        s->last_line.line = frame_lineno(ev->frame);
    }
    if (s->mode == RUN_CONTINUE) {
        if (at_breakpoint(s, ev)) pause_here(s, ev, lines, n);
        return;
    }
    if (shown) pause_here(s, ev, lines, n);
}

static void stepper_finish(Renderer *r) {
    if (((Stepper *)r)->quit) return;
    fflush(stdout);
    printf("-- the program has finished --\n");
    fflush(stdout);
}

Renderer *stepper_renderer(void) {
    stepper.r.event = stepper_event;
    stepper.r.finish = stepper_finish;
    stepper.tty = isatty(0);
    stepper.mode = RUN_STEP;
    return &stepper.r;
}
