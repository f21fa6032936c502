/* trace_sinks.c — choosing and starting the trace sink named on the command line. */
#include <stdio.h>
#include "cli.h"
#include "trace.h"

void cli_start_trace(const CliOptions *opts) {
    (void)opts;
    fprintf(stderr, "apy: tracing is not available in this build yet\n");
}
