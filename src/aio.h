/* aio.h — the asyncio core written in C: event loop, handles, Future, Task.
 *
 * Owns: the layouts shared by loop.c, future.c and task.c, and their
 * internal API. The rest of asyncio (gather, wait_for, Queue, Lock,
 * TaskGroup …) is apy code in lib/asyncio/, built on the `_asyncio` module
 * these files export.
 * Must not touch: the VM's internals (a Task resumes its coroutine with
 * gen_send_ex / iter_send like any C caller).
 *
 * Everything follows CPython 3.11's asyncio (base_events.py, futures.py,
 * tasks.py and _asynciomodule.c) so that every interleaving is the real one.
 */
#ifndef APY_AIO_H
#define APY_AIO_H

#include "vm.h"

/* ---- handles ------------------------------------------------------------------------------ */
typedef struct {
    Obj h;
    Value callback;
    Value args;          /* tuple */
    Value loop;
    Value context;
    double when;         /* timers only */
    uint8_t cancelled;
    uint8_t scheduled;   /* timers: in the heap */
    uint8_t is_timer;
    Value repr_cache;
} HandleObj;

/* ---- the loop ------------------------------------------------------------------------------- */
typedef struct {
    Obj h;
    Value dict;
    Value *ready;                 /* a ring buffer of handles: the ready queue */
    size_t rhead, rcount, rcap;
    Value *heap;                  /* timer handles, a binary heap ordered like heapq */
    size_t nheap, capheap;
    size_t timer_cancelled_count;
    double clock;                 /* the virtual clock (seconds) */
    double clock_base;            /* monotonic time when the loop was made (real time) */
    uint8_t virtual_time;
    uint8_t stopping;
    uint8_t running;
    uint8_t closed;
    uint8_t asyncgens_shutdown_called;
    Value exception_handler;      /* callable or VNULL */
    size_t nasyncgens;            /* live async generators first iterated in this loop (the
                                     table that holds them weakly is in loop.c) */
    Value current_task;           /* the task whose step is running, or VNULL */
    uint64_t iteration;           /* _run_once count (traces) */
} LoopObj;

extern Type LoopType, HandleType, TimerHandleType, FutureType, TaskType;
extern Type FutureIterType;                   /* what Future.__await__() returns */
void aio_asyncgen_forget(Obj *gen);           /* gen.c: an async generator is being freed */

#define AS_LOOP(v) ((LoopObj *)AS_OBJ(v))
#define AS_HANDLE(v) ((HandleObj *)AS_OBJ(v))

Value loop_new(void);
double loop_time(LoopObj *l);
/* call_soon(callback, *args): returns the new Handle (owned) */
Value loop_call_soon(Value loop, Value callback, Value *args, size_t nargs, Value context);
Value loop_call_at(Value loop, double when, Value callback, Value *args, size_t nargs, Value context);
int   loop_call_exception_handler(Value loop, Value context);   /* context: a dict */
Value loop_get_running(void);                 /* borrowed, VNULL if none */
Value loop_get_event_loop(void);              /* borrowed: running, else the set one (creating it) */
Value loop_run_until_complete(Value loop, Value fut);
int   loop_check_closed(LoopObj *l);

/* ---- futures -------------------------------------------------------------------------------- */
typedef enum { FUT_PENDING, FUT_CANCELLED, FUT_FINISHED } FutState;

typedef struct {
    Obj h;
    Value dict;
    Value loop;
    Value result;
    Value exception;
    Value exception_tb;
    Value cb0, ctx0;             /* the first done-callback and its context, or VNULL: most
                                    futures have one, and need no list (as CPython's C Future) */
    Value callbacks;             /* the others: a list of (fn, context) tuples, or VNULL */
    Value cancel_message;
    Value cancelled_exc;
    uint8_t state;               /* FutState */
    uint8_t blocking;            /* _asyncio_future_blocking */
    uint8_t log_traceback;
    uint32_t id;                 /* Future-N in traces */
} FutureObj;

#define AS_FUTURE(v) ((FutureObj *)AS_OBJ(v))
bool  future_check(Value v);                  /* a Future (or Task), also subclasses */
bool  isfuture(Value v);                      /* duck-typed like asyncio.isfuture */
Value future_new(Value loop);
int   future_init(FutureObj *f, Value loop);  /* loop may be VNULL: the current loop */
int   future_set_result(Value fut, Value result);
int   future_set_exception(Value fut, Value exc);
int   future_cancel(Value fut, Value msg);    /* 1 cancelled, 0 already done */
int   future_add_done_callback(Value fut, Value fn, Value context);
Value future_result(Value fut);               /* raises like Future.result() */
int   future_schedule_callbacks(FutureObj *f);
Value future_make_cancelled_error(FutureObj *f);
Value future_repr_info(Value fut);            /* "pending cb=[...]" etc. */
void  future_dealloc_fields(FutureObj *f);
void  future_traverse_fields(FutureObj *f, VisitFn visit, void *arg);
Value future_await_iter(Value fut);           /* Future.__await__() */
void aio_ready_dotted(Type *t, const char *name); /* tp_name "_asyncio.NAME" */
const char *aio_type_name(Value v);        /* type(v).__name__ */

/* ---- tasks ------------------------------------------------------------------------------------ */
typedef struct TaskObj {
    FutureObj fut;
    Value coro;
    Value name;
    Value fut_waiter;
    Value context;
    uint8_t must_cancel;
    uint8_t log_destroy_pending;
    int num_cancels_requested;
    uint32_t task_id;
    Value step_cb;               /* cached bound callables: Task.__step and Task.task_wakeup */
    Value wakeup_cb;
    struct TaskObj *live_prev, *live_next;   /* the registry of live tasks, in creation order */
    uint8_t live;                /* on that list */
} TaskObj;

#define AS_TASK(v) ((TaskObj *)AS_OBJ(v))
bool  task_check(Value v);
Value task_new(Value coro, Value loop, Value name, Value context);
Value task_current(Value loop);               /* borrowed */
Value task_all(Value loop);                   /* a new set of the loop's pending tasks */
int   task_cancel(Value task, Value msg);
Value task_repr_coro(TaskObj *t);             /* "coro=<main() running at x.apy:3>" */

void  aio_init_types(void);

/* ---- added for lib/asyncio: callback reprs as format_helpers makes them ---- */
void  aio_add_function_source(StrBuf *b, Value fn);   /* " at file:line" for a plain function */
int   aio_add_short_repr(StrBuf *b, Value v);          /* reprlib.repr(v); -1 on error */

#endif
