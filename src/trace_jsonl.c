/* trace_jsonl.c — `--trace-format=jsonl`: one JSON object per event.
 *
 * Owns: the JSONL schema. Every line is one object with these keys, always
 * in this order:
 *
 *   seq       int     1, 2, 3 … in the order the events happened
 *   time      float   seconds since the start: under tracing the virtual
 *                     clock, so it only moves when the loop jumps to a timer
 *   kind      string  call, resume, yield, yield_delegated, return, raise,
 *                     unwind, loop_start, loop_iteration, loop_wait,
 *                     timer_fired, handle_run, loop_stop, task_created,
 *                     task_step, task_step_end, task_wakeup, future_done,
 *                     callback_scheduled, cancel_requested,
 *                     cancel_delivered, await_yield, await_return
 *   task      string  the task whose step is running (its get_name()), or null
 *   frame     int     a stable id of the frame the event is about (frame
 *                     events) or of the innermost traced frame running
 *                     (others); ids count frames in the order they start; null
 *                     when no traced frame is running
 *   function  string  that frame's qualified name ("<module>" for the program), or null
 *   file      string  its file (lib/ files relative to lib/), or null
 *   line      int     its current line, or null
 *   depth     int     the outline depth of the place control is in after the event
 *   place     string  that place, as the outline names it ("main() line 10")
 *   subject   string  the task/future/handle the event is about, or null
 *   value     string  the value sent (or the exception thrown), yielded, returned or raised, the
 *                     ready-queue size, the timeout … described without
 *                     addresses, or null
 *   detail    string  the outline's words for the event (what it did and why)
 *
 * Values are descriptions, not reprs: no user __repr__ runs while tracing.
 * Must not touch: the model (trace_model.c).
 */
#include <string.h>
#include "trace_sink.h"

static void json_str(FILE *out, const char *s) {
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20) fprintf(out, "\\u%04x", *p);
            else fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* Words for the events that move nothing on the outline */
static void default_detail(TBuf *b, const TraceEvent *ev) {
    char v[200];
    TBuf vb;
    tb_init(&vb, v, sizeof v);
    switch (ev->kind) {
    case TE_HANDLE_RUN:
        tv_handle(&vb, ev->value);
        tb_printf(b, "the loop runs the ready handle %s", v);
        break;
    case TE_TASK_STEP_END:
        if (ev->value) {
            tv_describe(&vb, ev->value);
            tb_printf(b, "the coroutine yielded %s to the step", v);
        } else {
            tb_puts(b, ev->detail ? ev->detail : "");
        }
        break;
    case TE_TASK_WAKEUP:
        tv_future_name(&vb, ev->value);
        tb_printf(b, "%s is done: the task's wake-up runs", v);
        break;
    default:
        tb_puts(b, ev->detail ? ev->detail : "");
        break;
    }
}

static Frame *reported_frame(const TraceEvent *ev) {
    if (ev->kind <= TE_UNWIND) return ev->frame;
    for (Frame *f = ev->frame; f; f = f->back)
        if (trace_frame_visible(f)) return f;
    return NULL;
}

static void jsonl_event(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n) {
    FILE *out = r->out;
    TraceModel *m = r->model;
    if (ev->kind == TE_INSTR) return;
    /* the depth limit: an event whose lines are all too deep is not shown */
    if (n && r->opts->trace_depth >= 0) {
        bool any = false;
        for (int i = 0; i < n; i++) any |= trace_line_shown(r->opts, &lines[i]);
        if (!any) return;
    } else if (!n && r->opts->trace_depth >= 0 && tm_depth(m) > r->opts->trace_depth) {
        return;
    }
    fprintf(out, "{\"seq\": %llu, \"time\": %.6f, \"kind\": ", (unsigned long long)ev->seq, ev->time);
    json_str(out, trace_kind_name(ev->kind));
    char buf[TL_TEXT * 4];
    TBuf b;
    fputs(", \"task\": ", out);
    if (ev->task) { tb_init(&b, buf, sizeof buf); tv_task_name(&b, ev->task); json_str(out, buf); }
    else fputs("null", out);
    Frame *f = reported_frame(ev);
    if (f) {
        fprintf(out, ", \"frame\": %llu, \"function\": ", (unsigned long long)tm_frame_id(m, f));
        json_str(out, f->code->qualname && IS_STR(f->code->qualname) ? STR_DATA(f->code->qualname) : "?");
        fputs(", \"file\": ", out);
        json_str(out, tv_relpath(f->code->filename && IS_STR(f->code->filename) ? STR_DATA(f->code->filename) : "?"));
        fprintf(out, ", \"line\": %d", frame_lineno(f));
    } else {
        fputs(", \"frame\": null, \"function\": null, \"file\": null, \"line\": null", out);
    }
    /* the place control is in after the event */
    const TraceLine *last = NULL;
    for (int i = 0; i < n; i++) if (lines[i].kind != TL_NOTE) last = &lines[i];
    fprintf(out, ", \"depth\": %d, \"place\": ", last ? last->depth : tm_depth(m));
    if (last) json_str(out, last->place);
    else {
        TraceLine here;
        tm_here(m, &here);
        json_str(out, here.place);
    }
    fputs(", \"subject\": ", out);
    if (ev->subject && ev->kind != TE_LOOP_START && ev->kind != TE_LOOP_STOP && ev->kind != TE_LOOP_ITERATION &&
        ev->kind != TE_LOOP_WAIT && ev->kind != TE_TIMER_FIRED && ev->kind != TE_HANDLE_RUN) {
        tb_init(&b, buf, sizeof buf);
        tv_describe(&b, ev->subject);
        json_str(out, buf);
    } else {
        fputs(ev->kind >= TE_LOOP_START && ev->kind <= TE_LOOP_STOP ? "\"event loop\"" : "null", out);
    }
    fputs(", \"value\": ", out);
    if (ev->value && ev->kind == TE_LOOP_WAIT && float_check(ev->value)) {
        double d = 0;
        float_as_double(ev->value, &d);
        fprintf(out, "\"%.6f\"", d);     /* rounded: the clock's last digits differ from run to run */
    } else if (ev->kind == TE_RESUME && err_occurred()) {
        tb_init(&b, buf, sizeof buf);          /* thrown in (gen.throw, a cancel): the exception */
        tv_describe(&b, vm.exc);
        json_str(out, buf);
    } else if (ev->value) { tb_init(&b, buf, sizeof buf); tv_describe(&b, ev->value); json_str(out, buf); }
    else fputs("null", out);
    fputs(", \"detail\": ", out);
    tb_init(&b, buf, sizeof buf);
    for (int i = 0; i < n; i++) {
        if (i) tb_puts(&b, "; ");
        tb_puts(&b, lines[i].why);
    }
    if (!n) default_detail(&b, ev);
    json_str(out, buf);
    fputs("}\n", out);
}

static Renderer jsonl = { .event = jsonl_event };

Renderer *jsonl_renderer(void) { return &jsonl; }
