/* trace.c — the trace bus (see trace.h).
 *
 * Owns: the list of subscribed sinks, sequence numbers, the trace clock, the
 * lib/ filter, and turning a call from the VM or the loop into one
 * TraceEvent delivered to each sink whose categories match; the switch that
 * routes the VM's dispatch through TE_INSTR for the stepper's `s`.
 * Must not touch: rendering (the sinks do that) or control flow.
 *
 * Re-entrancy: a sink may run apy code (the stepper's `p EXPR`); events that
 * code would emit are dropped, so a sink never sees itself.
 */
#include <string.h>
#include <time.h>
#include "trace.h"
#include "aio.h"

#undef trace_mask    /* this file writes the mask (see trace.h: APY_NO_TRACE_HOOKS) */

#define MAX_SINKS 8
typedef struct { TraceSink fn; void *ctx; uint32_t categories; } Sub;
static Sub subs[MAX_SINKS];
static int nsubs;
static uint64_t seq;
static bool include_lib;
static bool delivering;           /* inside a sink: drop nested events */
static double real_start = -1;    /* monotonic time of the first event (real-time traces) */

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void trace_subscribe(TraceSink sink, void *ctx, uint32_t categories) {
    if (nsubs == MAX_SINKS) return;
    subs[nsubs++] = (Sub){ sink, ctx, categories };
    vm.trace_mask |= categories;
    if (real_start < 0) real_start = monotonic();
}

void trace_unsubscribe_all(void) {
    nsubs = 0;
    vm.trace_mask = 0;
    trace_want_instr(false);
}

void trace_set_include_lib(bool on) { include_lib = on; }
bool trace_includes_lib(void) { return include_lib; }

uint32_t trace_frame_category(const Frame *f) {
    uint32_t fl = f->code->flags;
    if (fl & CO_COROUTINE) return TRACE_COROUTINES;
    if (fl & (CO_GENERATOR | CO_ASYNC_GEN)) return TRACE_GENERATORS;
    if ((fl & CO_MODULE) && !(fl & CO_CLASS_BODY)) return TRACE_MODULES;
    return TRACE_FUNCTIONS;
}

bool trace_frame_visible(const Frame *f) {
    if ((f->code->flags & CO_LIB) && !include_lib) return false;
    return (vm.trace_mask & trace_frame_category(f)) != 0;
}

/* Under the virtual clock the time is the sum of the clock's jumps: the same
 * on every run. In real time it is the elapsed wall time. */
double trace_now(void) {
    if (vm.virtual_time) return vm_time_offset();
    return real_start < 0 ? 0 : monotonic() - real_start;
}

static void deliver(TraceEvent *ev) {
    if (delivering || !(vm.trace_mask & ev->category)) return;
    ev->seq = ++seq;
    ev->time = trace_now();
    ev->depth = vm.depth;
    if (vm.running_loop) {
        ev->loop = OBJ_VAL((Obj *)vm.running_loop);
        ev->task = AS_LOOP(ev->loop)->current_task;
    }
    delivering = true;
    for (int i = 0; i < nsubs; i++)
        if (subs[i].categories & ev->category) subs[i].fn(ev, subs[i].ctx);
    delivering = false;
}

void trace_frame(TraceKind kind, Frame *f, Value value) {
    if (!nsubs || delivering) return;
    if ((f->code->flags & CO_LIB) && !include_lib) return;
    TraceEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.category = trace_frame_category(f);
    ev.frame = f;
    ev.value = value;
    deliver(&ev);
}

static uint32_t loop_event_category(TraceKind kind) {
    switch (kind) {
    case TE_LOOP_START: case TE_LOOP_ITERATION: case TE_LOOP_WAIT: case TE_TIMER_FIRED:
    case TE_HANDLE_RUN: case TE_LOOP_STOP:
        return TRACE_LOOP;
    case TE_FUTURE_DONE: case TE_CALLBACK_SCHEDULED: case TE_AWAIT_YIELD: case TE_AWAIT_RETURN:
        return TRACE_FUTURES;
    default:
        return TRACE_TASKS;
    }
}

void trace_loop(TraceKind kind, Value subject, Value value, const char *detail) {
    if (!nsubs || delivering) return;
    TraceEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.category = loop_event_category(kind);
    ev.frame = vm.frame;
    ev.subject = subject;
    ev.value = value;
    ev.detail = detail;
    deliver(&ev);
}

/* ---- TE_INSTR: the VM's dispatch table, switched on demand ------------------------------------ */
static void **instr_table;        /* the VM's dispatch table (static in vm_execute) */
static void *instr_real[256];     /* its real targets */
static void *instr_stub;
static bool instr_wanted, instr_installed;

static void instr_sync(void) {
    if (!instr_table) return;
    if (instr_wanted && !instr_installed) {
        for (int i = 0; i < 256; i++) instr_table[i] = instr_stub;
        instr_installed = true;
    } else if (!instr_wanted && instr_installed) {
        memcpy(instr_table, instr_real, sizeof instr_real);
        instr_installed = false;
    }
}

void trace_instr_table(void **table, void *stub) {
    if (!instr_table) {
        instr_table = table;
        instr_stub = stub;
        memcpy(instr_real, table, sizeof instr_real);
    }
    instr_sync();
}

void *trace_instr_target(unsigned op) { return instr_real[op & 0xFF]; }

void trace_want_instr(bool on) {
    instr_wanted = on;
    if (on) vm.trace_mask |= TRACE_INSTRS;
    instr_sync();
}

void trace_instr(Frame *f) {
    if (!nsubs || delivering || !instr_wanted) return;
    if ((f->code->flags & CO_LIB) && !include_lib) return;
    TraceEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TE_INSTR;
    ev.category = TRACE_INSTRS;
    ev.frame = f;
    deliver(&ev);
}

const char *trace_kind_name(TraceKind kind) {
    static const char *const names[TE__COUNT] = {
        "call", "resume", "yield", "yield_delegated", "return", "raise", "unwind",
        "loop_start", "loop_iteration", "loop_wait", "timer_fired", "handle_run", "loop_stop",
        "task_created", "task_step", "task_step_end", "task_wakeup", "future_done",
        "callback_scheduled", "cancel_requested", "cancel_delivered",
        "await_yield", "await_return", "instr",
    };
    return kind < TE__COUNT ? names[kind] : "?";
}
