/* trace.h — the trace bus: what the VM and the event loop report.
 *
 * Owns: the event record and the emit functions. The VM (frames) and the
 * loop/Future/Task code call these at every transfer of control; sinks
 * (trace_outline.c, trace_story.c, trace_jsonl.c, trace_chrome.c, the
 * stepper) subscribe. With no sink attached vm.trace_mask is 0 and every
 * call site costs one predictable branch: `if (UNLIKELY(vm.trace_mask))`.
 * Must not touch: how any sink renders an event.
 */
#ifndef APY_TRACE_H
#define APY_TRACE_H

#include "vm.h"

typedef enum {
    /* frames (vm.c) */
    TE_CALL,            /* a frame starts running (function called, generator first resumed) */
    TE_RESUME,          /* a suspended generator/coroutine frame resumes; value = what was sent */
    TE_YIELD,           /* a frame yields `value` to whoever resumed it */
    TE_YIELD_DELEGATED, /* await / yield from passing a yield of the inner iterator upward */
    TE_RETURN,          /* a frame returns `value` */
    TE_RAISE,           /* an exception is raised in a frame */
    TE_UNWIND,          /* an exception leaves a frame */
    /* the event loop (loop.c) */
    TE_LOOP_START,      /* run_forever / run_until_complete begins */
    TE_LOOP_ITERATION,  /* one _run_once: detail = ready queue size */
    TE_LOOP_WAIT,       /* waiting for the next timer: value = timeout (float) or None */
    TE_TIMER_FIRED,     /* a timer handle became ready */
    TE_HANDLE_RUN,      /* a ready handle's callback runs */
    TE_LOOP_STOP,
    /* futures and tasks (future.c, task.c) */
    TE_TASK_CREATED,
    TE_TASK_STEP,       /* a task's step begins: value = what it sends/throws in */
    TE_TASK_STEP_END,   /* the step ended: value = what the coroutine yielded; detail = what the step did */
    TE_TASK_WAKEUP,     /* a task's wake-up ran because the future it waited on is done */
    TE_FUTURE_DONE,     /* a future got its result/exception/cancellation */
    TE_CALLBACK_SCHEDULED, /* a done-callback was scheduled with call_soon */
    TE_CANCEL_REQUESTED,
    TE_CANCEL_DELIVERED,
    TE__COUNT
} TraceKind;

/* Category bits for --trace=loop,tasks,coroutines,generators,futures */
enum {
    TRACE_LOOP = 1 << 0,
    TRACE_TASKS = 1 << 1,
    TRACE_COROUTINES = 1 << 2,
    TRACE_GENERATORS = 1 << 3,
    TRACE_FUTURES = 1 << 4,
    TRACE_FUNCTIONS = 1 << 5,
    TRACE_ALL = 0xFF,
};

typedef struct TraceEvent {
    TraceKind kind;
    uint64_t seq;
    double time;              /* the loop's clock (virtual under tracing) */
    Frame *frame;             /* frame events */
    Value value;              /* borrowed: sent/yielded/returned value, exception, future … */
    Value task;               /* borrowed: the current task, or VNULL */
    Value subject;            /* borrowed: the future/task/handle the event is about */
    const char *detail;       /* a short phrase: what the step did, … */
    int depth;                /* nesting depth of control (for the outline) */
} TraceEvent;

typedef void (*TraceSink)(const TraceEvent *ev, void *ctx);

void trace_subscribe(TraceSink sink, void *ctx, uint32_t categories);
void trace_unsubscribe_all(void);
void trace_frame(TraceKind kind, Frame *f, Value value);
void trace_loop(TraceKind kind, Value subject, Value value, const char *detail);
const char *trace_kind_name(TraceKind kind);

#endif
