/* trace.c — the trace bus (see trace.h).
 *
 * Owns: the list of subscribed sinks, sequence numbers, and turning a
 * call from the VM or the loop into one TraceEvent delivered to each sink
 * whose categories match.
 * Must not touch: rendering (the sinks do that) or control flow.
 */
#include <string.h>
#include "trace.h"

#define MAX_SINKS 8
typedef struct { TraceSink fn; void *ctx; uint32_t categories; } Sub;
static Sub subs[MAX_SINKS];
static int nsubs;
static uint64_t seq;

void trace_subscribe(TraceSink sink, void *ctx, uint32_t categories) {
    if (nsubs == MAX_SINKS) return;
    subs[nsubs++] = (Sub){ sink, ctx, categories };
    vm.trace_mask |= categories;
}

void trace_unsubscribe_all(void) {
    nsubs = 0;
    vm.trace_mask = 0;
}

static uint32_t frame_category(Frame *f) {
    uint32_t fl = f->code->flags;
    if (fl & CO_COROUTINE) return TRACE_COROUTINES;
    if (fl & (CO_GENERATOR | CO_ASYNC_GEN)) return TRACE_GENERATORS;
    return TRACE_FUNCTIONS;
}

static void deliver(TraceEvent *ev, uint32_t cat) {
    ev->seq = ++seq;
    for (int i = 0; i < nsubs; i++)
        if (subs[i].categories & cat) subs[i].fn(ev, subs[i].ctx);
}

void trace_frame(TraceKind kind, Frame *f, Value value) {
    if (!nsubs) return;
    TraceEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.frame = f;
    ev.value = value;
    ev.depth = vm.depth;
    deliver(&ev, frame_category(f));
}

void trace_loop(TraceKind kind, Value subject, Value value, const char *detail) {
    if (!nsubs) return;
    TraceEvent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.subject = subject;
    ev.value = value;
    ev.detail = detail;
    ev.depth = vm.depth;
    uint32_t cat = kind <= TE_LOOP_STOP ? TRACE_LOOP : kind == TE_FUTURE_DONE ? TRACE_FUTURES : TRACE_TASKS;
    deliver(&ev, cat);
}

const char *trace_kind_name(TraceKind kind) {
    static const char *const names[TE__COUNT] = {
        "call", "resume", "yield", "yield_delegated", "return", "raise", "unwind",
        "loop_start", "loop_iteration", "loop_wait", "timer_fired", "handle_run", "loop_stop",
        "task_created", "task_step", "task_step_end", "task_wakeup", "future_done",
        "callback_scheduled", "cancel_requested", "cancel_delivered",
    };
    return kind < TE__COUNT ? names[kind] : "?";
}
