/* trace_sinks.c — choosing and starting the trace sink named on the command line.
 *
 * Owns: cli_start_trace (parsing --trace=CATS, opening --trace-out, picking
 * the renderer for --trace-format or --step), the one bus subscriber that
 * feeds the shared model (trace_model.c) and hands each event with its
 * outline lines to the renderer, the depth limit, and finishing the trace
 * at exit.
 * Must not touch: the program's state: the error indicator is saved around
 * every event so that a sink never changes what the program sees.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trace_sink.h"

bool trace_line_shown(const CliOptions *opts, const TraceLine *l) {
    return opts->trace_depth < 0 || l->depth <= opts->trace_depth;
}

#ifndef APY_NO_TRACE_HOOKS
static TraceModel model;
static Renderer *renderer;
static CliOptions options;
static bool finished;

static void on_event(const TraceEvent *ev, void *ctx) {
    (void)ctx;
    if (finished) return;
    Value saved = err_fetch();          /* an exception in flight stays exactly as it is */
    if (saved) err_restore(incref(saved));
    TraceLine lines[6];
    int n = tm_feed(&model, ev, lines);
    renderer->event(renderer, ev, lines, n);
    if (saved) {
        if (vm.exc != saved) { err_clear(); err_restore(incref(saved)); }
        decref(saved);
    } else if (err_occurred()) {
        err_clear();
    }
}

static void finish(void) {
    if (finished || !renderer) return;
    finished = true;
    trace_unsubscribe_all();
    if (renderer->finish) renderer->finish(renderer);
    if (renderer->out) fflush(renderer->out);
    if (renderer->out && renderer->out != stderr && renderer->out != stdout) fclose(renderer->out);
}

static const struct { const char *name; uint32_t bits; } categories[] = {
    { "loop", TRACE_LOOP }, { "tasks", TRACE_TASKS }, { "coroutines", TRACE_COROUTINES },
    { "generators", TRACE_GENERATORS }, { "futures", TRACE_FUTURES }, { "functions", TRACE_FUNCTIONS },
    { "all", TRACE_ALL }, { "default", TRACE_DEFAULT },
};

static uint32_t parse_categories(const char *spec) {
    if (!spec || !*spec) return TRACE_DEFAULT;
    uint32_t bits = TRACE_MODULES;      /* the program's own place is always there */
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++) {
            if (strlen(categories[i].name) == len && strncmp(categories[i].name, p, len) == 0) {
                bits |= categories[i].bits;
                found = true;
            }
        }
        if (!found && len) {
            fprintf(stderr, "apy: unknown trace category '%.*s' (use loop, tasks, coroutines, generators, "
                    "futures, functions or all)\n", (int)len, p);
            exit(2);
        }
        p += len;
        if (*p == ',') p++;
    }
    return bits;
}

#endif

void cli_start_trace(const CliOptions *opts) {
#ifdef APY_NO_TRACE_HOOKS
    (void)opts;
    fprintf(stderr, "apy: this build has no trace hooks (meson -Dtrace_hooks=false)\n");
    return;
#else
    options = *opts;
    const char *fmt = opts->trace_format ? opts->trace_format : "outline";
    if (opts->step) renderer = stepper_renderer();
    else if (strcmp(fmt, "outline") == 0) renderer = outline_renderer();
    else if (strcmp(fmt, "story") == 0) renderer = story_renderer();
    else if (strcmp(fmt, "jsonl") == 0) renderer = jsonl_renderer();
    else if (strcmp(fmt, "chrome") == 0) renderer = chrome_renderer();
    else {
        fprintf(stderr, "apy: unknown trace format '%s' (use outline, story, jsonl or chrome)\n", fmt);
        exit(2);
    }
    uint32_t cats = parse_categories(opts->trace_categories);
    FILE *out = stderr;
    if (opts->trace_out && !opts->step) {
        out = fopen(opts->trace_out, "w");
        if (!out) {
            fprintf(stderr, "apy: can't open trace output '%s'\n", opts->trace_out);
            exit(2);
        }
    }
    if (opts->step) { out = stdout; cats |= TRACE_INSTRS; }
    /* Not a terminal: a big buffer and no flush per event (the program's own
     * writes to stderr share this buffer, so they stay in order). */
    renderer->flush_each = isatty(fileno(out));
    if (!renderer->flush_each && !opts->step) setvbuf(out, NULL, _IOFBF, 1 << 16);
    tm_init(&model);
    renderer->out = out;
    renderer->model = &model;
    renderer->opts = &options;
    trace_set_include_lib(opts->trace_lib);
    trace_subscribe(on_event, NULL, cats);
    atexit(finish);
#endif
}
