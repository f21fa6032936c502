/* fuzz_exec.c — libFuzzer harness for whole programs: compile and run each
 * input, with an instruction budget, a heap cap and a wall-clock deadline.
 *
 * Owns: nothing but the harness. The interpreter is initialised once per
 * process; each input runs as a fresh __main__ module, and whatever a
 * program may change for the next one (builtins, sys, sys.modules, the
 * recursion limit, the collector's switch, the int-digits limit) is put back
 * afterwards, so that a crash reproduces from its input alone.
 * Every input ends with the frame chain empty and no exception pending: a
 * violation aborts, because the CLI depends on the same invariants.
 *
 * The program runs on a worker thread with the CLI's 1 GB stack (the
 * recursion limits are sized for it) and reads /dev/null as standard input.
 * Programs may write files: run the harness in a scratch directory (run.sh
 * does), and use -close_fd_mask=3 to silence the programs' output.
 * Must not touch: the interpreter's internals beyond their public entry points.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "int_internal.h"

#define STEP_BUDGET   50000           /* loop back-edges and calls per input */
#define HEAP_CAP      (64u << 20)     /* bytes the program may add to the heap */
#define WALL_SECONDS  2.0             /* time.sleep and friends */
#define STACK_BYTES   ((size_t)1 << 30)

static Value builtins_snapshot, sys_snapshot, modules_snapshot;
static unsigned long inputs;

/* ---- the worker thread: one input at a time -------------------------------------------- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static const uint8_t *job_data;
static size_t job_size;
static enum { IDLE, POSTED, DONE } job_state = IDLE;

static void run_input(const uint8_t *data, size_t size);

static void *worker(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (job_state != POSTED) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        run_input(job_data, job_size);
        pthread_mutex_lock(&mu);
        job_state = DONE;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* ---- state a program may change, put back after it ---------------------------------------- */
/* Make d hold exactly the items of snap again (the same objects). */
static void restore_dict(Value d, Value snap) {
    Value extra = dict_keys_list(d);
    if (extra) {
        for (size_t i = 0; i < LIST_LEN(extra); i++) {
            Value k = LIST_ITEMS(extra)[i];
            if (!dict_get(snap, k) && dict_del(d, k) < 0) err_clear();
        }
        decref(extra);
    }
    size_t pos = 0;
    Value k, v;
    while (dict_next(snap, &pos, &k, &v))
        if (dict_get(d, k) != v && dict_set(d, k, v) < 0) err_clear();
    err_clear();
}

static Value module_dict(Value m) { return ((ModuleObj *)AS_OBJ(m))->dict; }

static void reset_interpreter(void) {
    restore_dict(vm.builtins, builtins_snapshot);
    restore_dict(module_dict(vm.sys), sys_snapshot);
    restore_dict(vm.modules, modules_snapshot);
    vm.recursion_limit = 1000;
    gc_enable(true);
    int_set_str_digits_limit(4300);
    gen_set_asyncgen_hooks(None, None);
    err_clear();
}

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_input(const uint8_t *data, size_t size) {
    /* The limits an auto-grader would set. */
    vm.steps = 0;
    vm.max_steps = STEP_BUDGET;
    vm.deadline = monotonic_now() + WALL_SECONDS;
    vm.pending &= ~PENDING_TIMEOUT;
    vm.pending |= PENDING_STEPS;
    vm.virtual_time = true;
    gc_set_heap_limit(gc_heap_bytes() + HEAP_CAP);

    Value name = str_intern_cstr("__main__");
    Value main = module_new(name);
    if (!main) abort();
    Value d = module_dict(main);
    dict_set(d, NM.__builtins__, import_builtin_module("builtins"));
    Value file = str_from_cstr("<fuzz>");
    dict_set(d, NM.__file__, file);
    decref(file);
    dict_set(vm.modules, name, main);

    Value code = compile_source((const char *)data, size, "<fuzz>", 0);
    if (code) {
        Value r = vm_run_code(AS_CODE(code), d, d);
        decref(r);     /* decref tolerates VNULL */
        decref(code);
    }
    err_clear();       /* SystemExit included: exit() and sys.exit() end only this input */

    /* Tear the module down as CPython does (its globals go first), then
     * collect and run the finalizers this input queued, still under its budget. */
    dict_clear(d);
    decref(main);
    reset_interpreter();
    gc_collect();
    if (vm.pending & (PENDING_GC | PENDING_FINALIZE)) gc_safepoint();
    err_clear();

    if (vm.frame || vm.depth || vm.c_depth) {
        fprintf(stderr, "fuzz_exec: the frame chain is not empty after a program (depth %d, c_depth %d)\n",
                vm.depth, vm.c_depth);
        abort();
    }
    if (vm.exc_info != &vm.exc_base) {
        fprintf(stderr, "fuzz_exec: the handled-exception stack is not empty after a program\n");
        abort();
    }
    gc_set_heap_limit(0);
    inputs++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    int fd = open("/dev/null", O_RDONLY);      /* input() meets end of file */
    if (fd >= 0) { dup2(fd, 0); close(fd); }

    static char *vargv[] = { "<fuzz>", NULL };
    vm_init(1, vargv);
    builtins_snapshot = dict_copy(vm.builtins);
    sys_snapshot = dict_copy(module_dict(vm.sys));
    modules_snapshot = dict_copy(vm.modules);
    if (!builtins_snapshot || !sys_snapshot || !modules_snapshot) abort();

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    pthread_t th;
    if (pthread_create(&th, &attr, worker, NULL) != 0) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pthread_mutex_lock(&mu);
    job_data = data;
    job_size = size;
    job_state = POSTED;
    pthread_cond_broadcast(&cv);
    while (job_state != DONE) pthread_cond_wait(&cv, &mu);
    job_state = IDLE;
    pthread_mutex_unlock(&mu);
    return 0;
}
