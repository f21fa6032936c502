/* cli.h — what the command line hands to the REPL and the trace sinks. */
#ifndef APY_CLI_H
#define APY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct CliOptions {
    bool trace, trace_lib, step, virtual_time, real_time, gc_stress;
    const char *trace_categories;   /* NULL = the default set for class */
    const char *trace_format;       /* outline, story, jsonl, chrome */
    const char *trace_out;          /* NULL = stderr */
    int trace_depth;                /* -1 = unlimited */
    uint64_t max_steps;
    size_t max_memory_mb;
    double timeout;
} CliOptions;

int  cli_main(int argc, char **argv);
void cli_start_trace(const CliOptions *opts);   /* trace_sinks: subscribe the chosen sink */
int  repl_main(const CliOptions *opts);         /* repl.c */

#endif
