/* stepper.c — placeholder (being written) */
#include "trace_sink.h"
Renderer *stepper_renderer(void) { return outline_renderer(); }
