/* trace_outline.c — `apy --trace`: the indented outline of where control is.
 *
 * Owns: the outline's layout. One line per transfer of control, indented four
 * spaces per level exactly like the notes' outline (program → event loop →
 * task step → coroutine frames → a Future's __await__), the place on the
 * left, why control got there after " | ". Things that happen without moving
 * control (a task is created, a future is done, a callback is scheduled) are
 * notes: their place column is blank and their text starts with "+", so the
 * places read top to bottom are exactly the path control took.
 *
 *     program                                  | the program starts (program.apy)
 *                                              |   + Task-1 is created for main(): its first step is scheduled
 *         event loop                           | line 16 starts the event loop
 *
 * Must not touch: the model (trace_model.c) — this file only lays out lines.
 */
#include <string.h>
#include "trace_sink.h"

#define PLACE_COLUMN 44

static void put_line(FILE *out, const TraceLine *l) {
    if (l->kind == TL_NOTE) {
        fprintf(out, "%*s |   + %s\n", PLACE_COLUMN, "", l->why);
        return;
    }
    int w = 4 * l->depth + (int)strlen(l->place);
    fprintf(out, "%*s%s%*s | %s\n", 4 * l->depth, "", l->place, w < PLACE_COLUMN ? PLACE_COLUMN - w : 0, "", l->why);
}

static void outline_event(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n) {
    (void)ev;
    for (int i = 0; i < n; i++)
        if (trace_line_shown(r->opts, &lines[i])) put_line(r->out, &lines[i]);
    if (n && r->flush_each) fflush(r->out);
}

static Renderer outline = { .event = outline_event };

Renderer *outline_renderer(void) { return &outline; }
