/* vm.h — the virtual machine: frames, the interpreter state, errors, calls.
 *
 * Owns: Frame and generator layouts, the global interpreter state `vm`, the
 * error indicator (err_*), and the entry points that run bytecode.
 * Must not touch: sinks of the trace (it only emits events), the parser.
 *
 * Frames are heap objects. Calling an apy function from apy pushes a frame
 * on the chain and stays in the same C loop (no C recursion); a generator
 * keeps its frame while suspended and resuming it pushes that frame back.
 * C code that calls apy code (a builtin calling __repr__, a Task step) runs a
 * nested loop until the frame it pushed returns or yields.
 */
#ifndef APY_VM_H
#define APY_VM_H

#include <signal.h>
#include "object.h"

/* ===== frames ==================================================================== */
typedef enum {
    FRAME_CREATED, FRAME_EXECUTING, FRAME_SUSPENDED, FRAME_COMPLETED
} FrameState;

typedef struct Frame {
    Obj h;
    struct Frame *back;        /* the frame below on the chain (borrowed; NULL when off the chain) */
    CodeObj *code;
    Value func;                /* the function (VNULL for module/class bodies) */
    Value globals, builtins;
    Value locals;              /* dict for module and class bodies, else VNULL */
    uint32_t *ip;              /* next instruction */
    Value *sp;                 /* top of the value stack (exact at safe points) */
    struct GenObj *gen;        /* the generator owning this frame, or NULL (borrowed) */
    uint8_t state;             /* FrameState */
    uint8_t is_entry;          /* a C caller waits for this frame (nested run) */
    uint8_t escaped;           /* referenced from outside the chain (traceback, gi_frame …) */
    uint8_t owns_ns;           /* holds its own references to globals/builtins (no func to keep them) */
    uint16_t nslots;           /* localsplus size: locals + cells + frees + stack */
    int32_t lineno;            /* unused: f_lineno is computed from ip */
    Value slots[];             /* locals, cells, frees, then the value stack */
} Frame;

#define FRAME_STACK(f) ((f)->slots + (f)->code->nlocals + (f)->code->ncells + (f)->code->nfrees)
uint32_t frame_lasti(const Frame *f);   /* offset of the instruction being executed */
void     frame_escape(Frame *f);
Frame   *frame_new_call_slow(CodeObj *code, Value func);
void     frame_release_slow(Frame *f);
void     frame_drop(Frame *f);          /* a finished generator lets go of its frame (fast when it was the only holder) */

/* frame.c's dead frames, kept by slot count for reuse. */
#define FRAME_FREE_SLOTS 32
#define FRAME_FREE_KEPT 64
extern Frame *frame_free[FRAME_FREE_SLOTS + 1];
extern uint8_t frame_free_count[FRAME_FREE_SLOTS + 1];

/* The frame for calling a function with exactly its positional arguments
 * (code->plain_argc): the VM's hottest path, inline, doing only what such a
 * frame needs. Takes func's reference; the caller moves the arguments into
 * slots [0, argcount). */
static inline Frame *frame_new_call(CodeObj *code, Value func) {
    size_t nlocals = code->nlocals;
    size_t nslots = nlocals + code->stacksize;     /* no cells, no free variables here */
    Frame *f = nslots <= FRAME_FREE_SLOTS ? frame_free[nslots] : NULL;
    if (!f) return frame_new_call_slow(code, func);
    /* rc, gen, locals and the flags are as frame_release/frame_recycle left them */
    frame_free[nslots] = f->back;
    frame_free_count[nslots]--;
    f->back = NULL;
    f->code = code;
    f->func = func;
    f->globals = ((FuncObj *)AS_OBJ(func))->globals;
    f->builtins = ((FuncObj *)AS_OBJ(func))->builtins;
    f->ip = code->code;
    /* The other locals must read as unbound: a recycled frame last served
     * another code object whose value stack may have overlapped them. */
    for (size_t i = code->argcount; i < nlocals; i++) f->slots[i] = VNULL;
    f->sp = f->slots + nlocals;
    f->state = FRAME_CREATED;
    return f;
}

/* The chain lets go of a finished frame: if nothing else holds it, clear
 * it and keep it for the next call (without the general deallocation path). */
static inline void frame_release(Frame *f) {
    if (f->h.rc > 1) { f->h.rc--; return; }
    if (f->escaped || f->owns_ns || f->locals || f->nslots > FRAME_FREE_SLOTS ||
        frame_free_count[f->nslots] >= FRAME_FREE_KEPT) {
        frame_release_slow(f);
        return;
    }
    for (Value *p = f->slots; p < f->sp; p++) clearref(p);   /* a recycled frame starts with unbound locals */
    Value func = f->func;
    f->func = VNULL;
    f->back = frame_free[f->nslots];
    frame_free[f->nslots] = f;
    frame_free_count[f->nslots]++;
    decref(func);
}        /* something outside the chain holds f: let the GC see it */
int      frame_lineno(const Frame *f);

/* ===== generators, coroutines, async generators ==================== gen.c ======= */
typedef struct ExcStackItem {          /* sys.exc_info(): the exception being handled */
    Value exc;
    struct ExcStackItem *previous;
} ExcStackItem;

typedef enum { GEN_KIND_GENERATOR, GEN_KIND_COROUTINE, GEN_KIND_ASYNC_GEN } GenKind;

typedef struct GenObj {
    Obj h;
    Frame *frame;              /* NULL once finished */
    Value name, qualname;
    Value code;                /* CodeObj, kept after the frame is gone */
    ExcStackItem exc_state;
    uint8_t kind;              /* GenKind */
    uint8_t running;           /* gi_running */
    uint8_t closed;            /* frame finished or never started and closed */
    uint8_t awaited;           /* coroutine was awaited/sent at least once (no "never awaited" warning) */
    uint8_t ag_running_async;  /* async generator: an asend/athrow is in flight */
    uint8_t ag_hooks_inited;
    uint8_t ag_closed;
    Value ag_finalizer;        /* async generator: loop hook called at finalisation */
    Value weakreflist;
    uint32_t id;               /* stable id for traces */
} GenObj;

#define AS_GEN(v) ((GenObj *)AS_OBJ(v))
#define IS_GEN_LIKE(v) (IS_OBJ(v) && (AS_OBJ(v)->type == &GeneratorType || \
    AS_OBJ(v)->type == &CoroutineType || AS_OBJ(v)->type == &AsyncGenType))

typedef enum { SEND_RETURN = 0, SEND_YIELD = 1, SEND_ERROR = -1 } SendResult;

Value gen_new(Frame *f, Value func);                   /* steals f */
void  gen_finished(GenObj *g);                         /* the frame completed: release it */
void  gen_convert_stop_iteration(GenObj *g);           /* StopIteration escaping a generator → RuntimeError */
Value asyncgen_wrap_value(Value v);                    /* a value yielded by an async generator body */
/* generator.send and builtins.next: the VM resumes generators inline for these calls */
Value gen_send_m(Value self, Value *args, size_t nargs, Value kwnames);
Value builtin_next(Value self, Value *args, size_t nargs, Value kwnames);
/* Resume g: send `arg` (borrowed) or, if `exc` is set, throw it (borrowed).
 * *result receives the yielded or returned value (owned). */
SendResult gen_send_ex(GenObj *g, Value arg, Value exc, Value *result);
/* The generic form for any iterator: generators fast, else send()/__next__. */
SendResult iter_send(Value iter, Value arg, Value *result);
Value gen_throw_value(Value gen, Value typ, Value val, Value tb); /* gen.throw(...) */
int   gen_close(Value gen);                            /* gen.close(): 0 or -1 */
Value gen_yieldfrom(GenObj *g);                        /* borrowed: the iterator being delegated to */
Value coro_get_awaitable_iter(Value v);                /* for `await v`: the iterator, or TypeError */
const char *gen_state_name(GenObj *g);                 /* GEN_CREATED …/CORO_CREATED … */
void  gen_set_asyncgen_hooks(Value firstiter, Value finalizer);
void  gen_get_asyncgen_hooks(Value *firstiter, Value *finalizer); /* borrowed */

/* ===== interpreter state ========================================================== */
enum {
    PENDING_GC       = 1 << 0,   /* the collector wants to run */
    PENDING_FINALIZE = 1 << 1,   /* finalizers are queued */
    PENDING_SIGNAL   = 1 << 2,   /* SIGINT arrived */
    PENDING_STEPS    = 1 << 3,   /* counting instructions (--max-steps, stepping) */
    PENDING_TIMEOUT  = 1 << 4,
};

typedef struct VM {
    Frame *frame;              /* innermost executing frame */
    Value exc;                 /* the exception being raised (owned), VNULL if none */
    ExcStackItem exc_base;
    ExcStackItem *exc_info;    /* top of the handled-exception stack */
    int depth;                 /* frames on the chain (recursion check) */
    int recursion_limit;
    int c_depth;               /* nested C → VM entries */
    int c_depth_limit;
    volatile sig_atomic_t pending;  /* the "eval breaker": checked at safe points */
    Value builtins;            /* dict */
    Value modules;             /* sys.modules */
    Value sys;                 /* the sys module */
    Value main_module;
    Value lib_path;            /* str: directory of lib/ */
    Value argv;                /* list */
    uint64_t steps, max_steps; /* --max-steps */
    double deadline;           /* --timeout (monotonic seconds), 0 = none */
    bool virtual_time;         /* --virtual-time */
    double time_offset;        /* seconds the virtual clock has jumped: added to every clock (time module too) */
    bool in_finalize_all;
    int exit_code;
    /* tracing (trace.h): a mask of enabled event kinds; 0 = off */
    uint32_t trace_mask;
    void *running_loop;        /* the event loop running now (loop.c), or NULL */
} VM;

extern VM vm;

void  vm_init(int argc, char **argv);
void  vm_finish(void);

/* Run a module's top-level code object in `globals`. New ref or VNULL. */
Value vm_run_code(CodeObj *code, Value globals, Value locals);
/* Call an apy function (the FunctionType call slot). */
Value vm_call_function(Value func, Value *args, size_t nargs, Value kwnames);
/* Run a frame that was pushed for a C caller until it returns/yields.
 * Used by gen.c; `f` must be set up (ip, state). */
Value vm_execute(Frame *f, int *yielded);
/* Run a class body (a function whose code keeps names in a dict) with `ns`
 * as its namespace; returns the __class__ cell or None. */
Value vm_run_class_body(Value func, Value ns);
Frame *frame_new(CodeObj *code, Value func, Value globals, Value builtins, Value locals);
void  vm_safepoint(void);      /* handle vm.pending (GC, finalizers, signals, budgets) */
bool  vm_check_recursion(void); /* false + RecursionError if too deep */
bool  vm_check_recursion_in(const char *where); /* the same; the message ends with `where` (" in comparison") */
/* Under the virtual clock, time jumps instead of passing; every clock the
 * program can read (loop.time(), time.time(), time.monotonic() …) adds the
 * total jump, so a program prints what it would print in real time. */
static inline double vm_time_offset(void) { return vm.time_offset; }
static inline void vm_advance_time_offset(double dt) { vm.time_offset += dt; }

/* ===== the error indicator ========================================= errors.c ===== */
void  err_set(Value exc);                        /* steals an exception instance; chains __context__ */
void  err_set_type(Type *t, Value arg);          /* t(arg) (arg borrowed, VNULL for no args) */
Value err_format(Type *t, const char *fmt, ...); /* sets t(msg), returns VNULL; fmt as str_from_fmt */
Value err_no_memory(void);
bool  err_occurred(void);
bool  err_matches(Type *t);                      /* the pending exception is a t */
bool  exc_matches(Value exc, Value cls);         /* isinstance for except clauses (cls may be a tuple) */
Value err_fetch(void);                           /* owned; clears */
void  err_restore(Value exc);                    /* steals, no chaining */
void  err_clear(void);
void  err_print(Value exc);                      /* "Traceback (most recent call last): …" to stderr */
void  err_print_and_clear(void);
void  err_write_unraisable(Value exc, const char *where); /* "Exception ignored in: …" */
Value err_stop_iteration_value(void);            /* the pending StopIteration's value (owned), clears */
Value exc_get_handled(void);                     /* sys.exception(): borrowed or VNULL */

/* ===== modules ========================================================= import.c == */
void  import_init(int argc, char **argv);         /* sys, builtins, the module table */
Value import_module(Value name, Value globals, Value fromlist, int level);
Value import_builtin_module(const char *name);   /* borrowed, or VNULL if none */
void  import_register_builtin(const char *name, Value (*init)(void));
Value module_from_methods(const char *name, const MethodDef *defs); /* a new module with these functions */
Value frame_locals_dict(Frame *f);               /* f_locals / locals() */
Value import_run_main(const char *path, const char *src, size_t len);
Value compile_source(const char *src, size_t len, const char *filename, int mode); /* CodeObj, or VNULL + SyntaxError */

/* Every built-in module's init (import.c keeps the table). */
Value sys_module_init(void);
Value time_module_init(void);
Value math_module_init(void);
Value random_module_init(void);
Value gc_module_init(void);
Value collections_module_init(void);   /* _collections: deque and its iterators (obj_deque.c) */
Value asyncio_core_init(void);   /* _asyncio: loop, Future, Task in C */

#endif
