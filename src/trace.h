/* trace.h — the trace bus: what the VM and the event loop report.
 *
 * Owns: the event record and the emit functions. The VM (frames) and the
 * loop/Future/Task code call these at every transfer of control; sinks
 * (trace_outline.c, trace_story.c, trace_jsonl.c, trace_chrome.c, the
 * stepper) subscribe. With no sink attached vm.trace_mask is 0 and every
 * call site costs one predictable branch: `if (UNLIKELY(vm.trace_mask))`.
 * Built with -Dtrace_hooks=false (APY_NO_TRACE_HOOKS) every such read is the
 * constant 0, so the compiler removes the branches and the calls entirely.
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
    TE_LOOP_ITERATION,  /* one _run_once: value = ready queue size */
    TE_LOOP_WAIT,       /* waiting for the next timer: value = timeout (float) or None */
    TE_TIMER_FIRED,     /* a timer handle became ready: value = the handle */
    TE_HANDLE_RUN,      /* a ready handle's callback runs: value = the handle */
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
    /* Future.__await__ (future.c: FutureIter, which is C, so it has no frame) */
    TE_AWAIT_YIELD,     /* subject = the future: pending, so __await__ yields it */
    TE_AWAIT_RETURN,    /* subject = the future: done, so __await__ returns value = its result */
    /* the stepper's `s` only (vm.c, when trace_want_instr() asked for it) */
    TE_INSTR,           /* frame is about to execute the instruction at frame_lasti(frame) */
    TE__COUNT
} TraceKind;

/* Category bits for --trace=loop,tasks,coroutines,generators,futures,functions */
enum {
    TRACE_LOOP = 1 << 0,
    TRACE_TASKS = 1 << 1,
    TRACE_COROUTINES = 1 << 2,
    TRACE_GENERATORS = 1 << 3,
    TRACE_FUTURES = 1 << 4,
    TRACE_FUNCTIONS = 1 << 5,
    TRACE_MODULES = 1 << 6,     /* module bodies: always wanted (the "program" place) */
    TRACE_INSTRS = 1 << 7,      /* TE_INSTR: only while the stepper asks */
    TRACE_ALL = 0x7F,
    /* the default for class: every transfer of control in the program's own
     * code (lib/ is hidden by its own switch, --trace-lib) */
    TRACE_DEFAULT = TRACE_ALL,
};

typedef struct TraceEvent {
    TraceKind kind;
    uint32_t category;        /* the TRACE_* bit this event belongs to */
    uint64_t seq;             /* 1, 2, 3 … over the delivered events */
    double time;              /* seconds since tracing began: the virtual clock's jumps under
                               * --virtual-time (deterministic), else real elapsed time */
    Frame *frame;             /* frame events: the frame; others: the innermost executing frame (may be lib) */
    Value value;              /* borrowed: sent/yielded/returned value, exception, future … */
    Value task;               /* borrowed: the current task of the running loop, or VNULL */
    Value loop;               /* borrowed: the running loop, or VNULL */
    Value subject;            /* borrowed: the future/task/handle the event is about */
    const char *detail;       /* a short phrase: what the step did, … */
    int depth;                /* vm.depth: frames on the chain (sinks compute their own outline depth) */
} TraceEvent;

typedef void (*TraceSink)(const TraceEvent *ev, void *ctx);

void trace_subscribe(TraceSink sink, void *ctx, uint32_t categories);
void trace_unsubscribe_all(void);
void trace_frame(TraceKind kind, Frame *f, Value value);
void trace_loop(TraceKind kind, Value subject, Value value, const char *detail);
const char *trace_kind_name(TraceKind kind);

/* ---- added by the tracing work (trace.c) ------------------------------------------------- */
/* Frames of lib/ (CO_LIB) are dropped unless include_lib. */
void trace_set_include_lib(bool include_lib);
bool trace_includes_lib(void);
bool trace_frame_visible(const Frame *f);     /* not lib (or lib shown), category subscribed */
uint32_t trace_frame_category(const Frame *f);
double trace_now(void);                        /* the time an event emitted now would carry */
/* The stepper's `s`: ask for TE_INSTR before every instruction (of every frame;
 * the sink filters). vm.c routes its dispatch through trace_instr_table(). */
void trace_want_instr(bool on);
void trace_instr(Frame *f);
/* vm.c (computed goto): called on entry to the dispatch loop when tracing is on;
 * `table` is the dispatch table, `stub` the label that calls trace_instr and then
 * jumps to trace_instr_target(op). */
void  trace_instr_table(void **table, void *stub);
void *trace_instr_target(unsigned op);

#ifdef APY_NO_TRACE_HOOKS
/* Every `vm.trace_mask` read becomes `vm.trace_mask & 0`: a constant 0, so each
 * `if (UNLIKELY(vm.trace_mask)) …` call site compiles to nothing. */
#define trace_mask trace_mask & 0
#endif

#endif
