/* cli.c — the `apy` command line.
 *
 * Owns: option parsing, the teaching views (--tokens, --ast, --dis),
 * running a script / -c / stdin, exit statuses (0 fine, 1 an error in the
 * program, 2 a usage error), the limits for auto-graders (--max-steps,
 * --max-memory, --timeout), and running the interpreter on a thread with a
 * large stack so that deep (but bounded) recursion in C never overflows.
 * Must not touch: the interpreter's internals beyond their public entry points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <libgen.h>
#include "cli.h"
#include "parse.h"
#include "compiler.h"
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "errors.h"

#define APY_VERSION "0.1.0"

static const char usage[] =
"usage: apy [option] ... [FILE | -c CODE | -] [ARG] ...\n"
"\n"
"Run an .apy program (a Python 3.11 subset with async/await), or start the REPL.\n"
"\n"
"  FILE               run the program in FILE; ARGs become sys.argv[1:]\n"
"  -c CODE            run CODE\n"
"  -                  read the program from standard input\n"
"  (no FILE)          the REPL if standard input is a terminal, else run standard input\n"
"\n"
"Looking inside:\n"
"  --tokens FILE      print the tokens, one per line, with their positions\n"
"  --ast FILE         print the syntax tree\n"
"  --dis FILE         print the bytecode of every function\n"
"  --trace[=CATS]     show control flow as an indented outline on stderr;\n"
"                     CATS: loop,tasks,coroutines,generators,futures,functions,all\n"
"  --trace-format=F   outline (default), story, jsonl or chrome\n"
"  --trace-out PATH   write the trace to PATH instead of stderr\n"
"  --trace-lib        include frames of the library in lib/\n"
"  --trace-depth N    hide frames nested deeper than N\n"
"  --step             pause at each event (type h for help)\n"
"\n"
"Time and limits:\n"
"  --virtual-time     asyncio's clock jumps to the next timer when nothing is ready\n"
"                     (also APY_VIRTUAL_TIME=1)\n"
"  --real-time        keep the real clock even when tracing\n"
"  --max-steps N      stop after N loop iterations and calls (RuntimeError)\n"
"  --max-memory MB    cap the heap (MemoryError beyond it)\n"
"  --timeout S        stop after S seconds of wall time (TimeoutError)\n"
"  --gc-stress        collect garbage at every safe point after an allocation\n"
"\n"
"  --version          print the version\n"
"  -h, --help         print this help\n";

typedef enum { MODE_RUN, MODE_TOKENS, MODE_AST, MODE_DIS } Mode;

static CliOptions opts;

static char *read_all(FILE *f, size_t *len) {
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
    }
    *len = n;
    return buf;
}

static char *read_path(const char *path, size_t *len) {
    if (strcmp(path, "-") == 0) return read_all(stdin, len);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = read_all(f, len);
    fclose(f);
    return s;
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "apy: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'apy --help' for more information.\n");
    return 2;
}

static void on_sigint(int sig) {
    (void)sig;
    vm.pending |= PENDING_SIGNAL;
}

/* The exit status for an uncaught exception (SystemExit's code, or 1). */
static int report_uncaught(void) {
    Value e = err_fetch();
    if (!e) return 0;
    int code = 1;
    if (obj_isinstance_type(e, &Exc_SystemExit)) {
        Value c = AS_EXC(e)->value;
        if (!c || IS_NONE(c)) code = 0;
        else if (IS_INT(c)) code = (int)AS_INT(c);
        else {
            fflush(stdout);
            Value s = obj_str(c);
            if (s) { fprintf(stderr, "%s\n", STR_DATA(s)); decref(s); }
            else err_clear();
            code = 1;
        }
    } else {
        err_print(e);
        if (obj_isinstance_type(e, &Exc_KeyboardInterrupt)) code = 130;
    }
    decref(e);
    return code;
}

/* sys.path starts with the script's directory, then lib/. */
static void set_sys_path(const char *script) {
    char *copy = strdup(script ? script : ".");
    Value d = str_from_cstr(script ? dirname(copy) : ".");
    free(copy);
    Value items[2] = { d, vm.lib_path };
    Value path = d ? list_from_array(items, 2) : VNULL;
    if (path && vm.sys) obj_setattr(vm.sys, NM.path, path);
    decref(path);
    decref(d);
    err_clear();
}

static int run_source(const char *filename, const char *src, size_t len, Mode mode) {
    if (mode == MODE_DIS) {
        Value code = compile_source(src, len, filename, 0);
        if (!code) return report_uncaught();
        dis_code(stdout, code);
        decref(code);
        return 0;
    }
    if (opts.trace) cli_start_trace(&opts);
    Value r = import_run_main(filename, src, len);
    int status = 0;
    if (!r) status = report_uncaught();
    else decref(r);
    vm_finish();
    if (err_occurred()) err_print_and_clear();
    return status;
}

typedef struct { int argc; char **argv; int status; } ThreadArgs;

static void *interpreter_thread(void *p) {
    ThreadArgs *ta = p;
    ta->status = cli_main(ta->argc, ta->argv);
    return NULL;
}

int cli_main(int argc, char **argv) {
    Mode mode = MODE_RUN;
    const char *file = NULL, *code = NULL;
    int i = 1;
    memset(&opts, 0, sizeof opts);
    opts.trace_format = "outline";
    opts.trace_depth = -1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (a[0] != '-' || strcmp(a, "-") == 0) break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { fputs(usage, stdout); return 0; }
        if (strcmp(a, "--version") == 0) { printf("apy %s (Python 3.11 subset)\n", APY_VERSION); return 0; }
        if (strcmp(a, "-c") == 0) {
            if (++i >= argc) return usage_error("%s", "-c needs an argument");
            code = argv[i];
            i++;
            break;
        }
        if (strcmp(a, "--tokens") == 0) { mode = MODE_TOKENS; continue; }
        if (strcmp(a, "--ast") == 0) { mode = MODE_AST; continue; }
        if (strcmp(a, "--dis") == 0) { mode = MODE_DIS; continue; }
        if (strcmp(a, "--gc-stress") == 0) { opts.gc_stress = true; continue; }
        if (strcmp(a, "--virtual-time") == 0) { opts.virtual_time = true; continue; }
        if (strcmp(a, "--real-time") == 0) { opts.real_time = true; continue; }
        if (strcmp(a, "--trace-lib") == 0) { opts.trace_lib = true; continue; }
        if (strcmp(a, "--step") == 0) { opts.step = true; opts.trace = true; continue; }
        if (strcmp(a, "--trace") == 0) { opts.trace = true; continue; }
        if (strncmp(a, "--trace=", 8) == 0) { opts.trace = true; opts.trace_categories = a + 8; continue; }
        if (strncmp(a, "--trace-format=", 15) == 0) { opts.trace = true; opts.trace_format = a + 15; continue; }
        if (strcmp(a, "--trace-out") == 0 || strcmp(a, "--max-steps") == 0 || strcmp(a, "--max-memory") == 0 ||
            strcmp(a, "--timeout") == 0 || strcmp(a, "--trace-depth") == 0) {
            if (i + 1 >= argc) return usage_error("option %s needs an argument", a);
            const char *v = argv[++i];
            char *end;
            if (strcmp(a, "--trace-out") == 0) { opts.trace_out = v; opts.trace = true; continue; }
            double d = strtod(v, &end);
            if (*end || d < 0) return usage_error("bad number '%s'", v);
            if (strcmp(a, "--max-steps") == 0) opts.max_steps = (uint64_t)d;
            else if (strcmp(a, "--max-memory") == 0) opts.max_memory_mb = (size_t)d;
            else if (strcmp(a, "--timeout") == 0) opts.timeout = d;
            else opts.trace_depth = (int)d;
            continue;
        }
        return usage_error("unknown option '%s'", a);
    }
    if (!code && i < argc) file = argv[i++];

    /* The front-end views need no interpreter. */
    if (mode == MODE_TOKENS || mode == MODE_AST) {
        if (!file) return usage_error("%s", "--tokens and --ast need a FILE");
        size_t len;
        char *src = read_path(file, &len);
        if (!src) { fprintf(stderr, "apy: can't open file '%s': No such file or directory\n", file); return 2; }
        SyntaxErr err;
        memset(&err, 0, sizeof err);
        int rc = 0;
        if (mode == MODE_TOKENS) {
            if (parse_dump_tokens(stdout, src, len, file, &err) < 0) rc = 1;
        } else {
            Arena arena;
            arena_init(&arena);
            Node *tree = parse_source(&arena, src, len, file, PARSE_FILE, &err);
            if (tree) ast_dump(stdout, tree); else rc = 1;
            arena_free(&arena);
        }
        fflush(stdout);
        if (rc) syntax_error_print(stderr, &err);
        syntax_error_free(&err);
        free(src);
        return rc;
    }

    /* sys.argv: the script (or -c / '') followed by its arguments */
    int sargc = argc - i + 1;
    char **sargv = malloc(sizeof(char *) * (size_t)(sargc + 1));
    sargv[0] = code ? "-c" : file ? (char *)file : "";
    for (int k = 1; k < sargc; k++) sargv[k] = argv[i + k - 1];
    sargv[sargc] = NULL;

    vm_init(sargc, sargv);
    if (opts.gc_stress) gc_set_stress(true);
    if (opts.max_memory_mb) gc_set_heap_limit(opts.max_memory_mb * 1024 * 1024 + gc_heap_bytes());
    if (opts.max_steps) { vm.max_steps = opts.max_steps; vm.pending |= PENDING_STEPS; }
    if (opts.timeout > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        vm.deadline = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 + opts.timeout;
        vm.pending |= PENDING_STEPS;
    }
    /* APY_VIRTUAL_TIME=1 does what --virtual-time does: CI's slow runs (sanitizers,
     * GC stress) use it so that timers cannot race a slowed-down program. */
    const char *vt = getenv("APY_VIRTUAL_TIME");
    if (vt && vt[0] && vt[0] != '0') opts.virtual_time = true;
    vm.virtual_time = opts.virtual_time || (opts.trace && !opts.real_time);
    /* Ctrl-C becomes KeyboardInterrupt at the next safe point — unless SIGINT
     * was ignored when we started (a background job), as CPython leaves it. */
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, NULL, &old_sa) == 0 && old_sa.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);

    int status;
    if (code) {
        set_sys_path(NULL);
        status = run_source("<string>", code, strlen(code), mode);
    } else if (file && strcmp(file, "-") != 0) {
        size_t len;
        char *src = read_path(file, &len);
        if (!src) {
            fprintf(stderr, "apy: can't open file '%s': No such file or directory\n", file);
            free(sargv);
            return 2;
        }
        set_sys_path(file);
        /* Like CPython 3.9+, the main script's __file__ and co_filename are absolute. */
        char *abs = realpath(file, NULL);
        status = run_source(abs ? abs : file, src, len, mode);
        free(abs);
        free(src);
    } else if (!file && isatty(0) && mode == MODE_RUN) {
        set_sys_path(NULL);
        status = repl_main(&opts);
    } else {
        size_t len;
        char *src = read_all(stdin, &len);
        set_sys_path(NULL);
        status = src ? run_source("<stdin>", src, len, mode) : 1;
        free(src);
    }
    fflush(stdout);
    fflush(stderr);
    free(sargv);
    return status;
}

int main(int argc, char **argv) {
    /* A big stack for the interpreter thread: deep recursion in C (nested
     * calls from builtins, the compiler on deep trees) stays well inside it,
     * and the recursion limits turn anything deeper into RecursionError. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)1 << 30);
    ThreadArgs ta = { argc, argv, 0 };
    pthread_t th;
    if (pthread_create(&th, &attr, interpreter_thread, &ta) != 0) return cli_main(argc, argv);
    pthread_join(th, NULL);
    return ta.status;
}
