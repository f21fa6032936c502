/* trace_chrome.c — `--trace-format=chrome`: a Chrome Trace Event file for Perfetto.
 *
 * Owns: the JSON object {"traceEvents": [...], "displayTimeUnit": "ms"} with
 * one track (tid) for the program, one for the event loop and one per task
 * (named by thread_name metadata), a slice (B/E) for every place of the
 * outline — the loop, each task step, each frame inside it, each
 * Future.__await__ — and an instant event (ph "i") for every note. Open it
 * in https://ui.perfetto.dev or chrome://tracing.
 *
 * Timestamps are in microseconds: the virtual time × 10^6 plus the event's
 * sequence number, so the file is the same on every run, slices never have
 * zero length, and the clock's jumps show as gaps.
 * Must not touch: the model (trace_model.c).
 */
#include <string.h>
#include "trace_sink.h"

#define MAX_OPEN 4096

typedef struct {
    Renderer r;
    bool started, named[TM_MAX_TRACKS];
    int open_tid[MAX_OPEN];
    bool open_shown[MAX_OPEN];   /* --trace-depth: deeper slices are tracked, not written */
    int nopen;
    double last_ts;
} Chrome;

static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { fputc('\\', out); fputc(*p, out); }
        else if (*p == '\n') fputs("\\n", out);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

static void sep(Chrome *c) {
    fputs(c->started ? ",\n" : "{\"traceEvents\": [\n", c->r.out);
    c->started = true;
}

static void name_track(Chrome *c, int tid) {
    if (tid < 0 || tid >= TM_MAX_TRACKS || c->named[tid]) return;
    c->named[tid] = true;
    sep(c);
    fprintf(c->r.out, "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %d, \"args\": {\"name\": ", tid);
    json_str(c->r.out, tm_track_name(c->r.model, tid));
    fputs("}}", c->r.out);
    sep(c);
    fprintf(c->r.out, "{\"name\": \"thread_sort_index\", \"ph\": \"M\", \"pid\": 1, \"tid\": %d, \"args\": {\"sort_index\": %d}}", tid, tid);
}

static void end_slice(Chrome *c, double ts) {
    if (!c->nopen) return;
    int tid = c->open_tid[--c->nopen];
    if (!c->open_shown[c->nopen]) return;
    sep(c);
    fprintf(c->r.out, "{\"ph\": \"E\", \"ts\": %.3f, \"pid\": 1, \"tid\": %d}", ts, tid);
}

static void chrome_event(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n) {
    Chrome *c = (Chrome *)r;
    FILE *out = r->out;
    double ts = ev->time * 1e6 + (double)ev->seq;
    c->last_ts = ts;
    for (int i = 0; i < n; i++) {
        const TraceLine *l = &lines[i];
        for (int k = 0; k < l->popped; k++) end_slice(c, ts);
        bool shown = trace_line_shown(r->opts, l);
        if (l->kind == TL_ENTER) {
            if (c->nopen == MAX_OPEN) continue;
            c->open_shown[c->nopen] = shown;
            c->open_tid[c->nopen++] = l->track;
        }
        if (!shown) continue;
        name_track(c, l->track);
        if (l->kind == TL_ENTER) {
            sep(c);
            fputs("{\"name\": ", out);
            json_str(out, l->slice);
            fprintf(out, ", \"cat\": \"%s\", \"ph\": \"B\", \"ts\": %.3f, \"pid\": 1, \"tid\": %d, \"args\": {\"place\": ",
                    l->pkind == PK_LOOP ? "loop" : l->pkind == PK_STEP ? "task" : l->pkind == PK_AWAIT ? "future" : "frame",
                    ts, l->track);
            json_str(out, l->place);
            fputs(", \"why\": ", out);
            json_str(out, l->why);
            fprintf(out, ", \"seq\": %llu}}", (unsigned long long)ev->seq);
        } else if (l->kind == TL_NOTE) {
            sep(c);
            fputs("{\"name\": ", out);
            json_str(out, l->why);
            fprintf(out, ", \"cat\": \"note\", \"ph\": \"i\", \"s\": \"t\", \"ts\": %.3f, \"pid\": 1, \"tid\": %d, "
                    "\"args\": {\"seq\": %llu}}", ts, l->track, (unsigned long long)ev->seq);
        }
    }
}

static void chrome_finish(Renderer *r) {
    Chrome *c = (Chrome *)r;
    while (c->nopen) end_slice(c, c->last_ts + 1);
    sep(c);
    fputs("{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": \"apy\"}}", r->out);
    fputs("\n], \"displayTimeUnit\": \"ms\"}\n", r->out);
}

static Chrome chrome = { .r = { .event = chrome_event, .finish = chrome_finish } };

Renderer *chrome_renderer(void) { return &chrome.r; }
