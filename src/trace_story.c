/* trace_story.c — `--trace-format=story`: the trace as numbered sentences.
 *
 * Owns: composing one sentence per place control reaches, in the manner of
 * the notes ("7. Control is now in Task-1.step: main() yielded Task-2, …"):
 * how control got there, then what happens there (the notes of the outline,
 * joined with "; "), then — when control leaves by ending a task step — how
 * it left. A sentence is printed when control moves on, so it is complete.
 * Must not touch: the model (trace_model.c).
 */
#include <string.h>
#include "trace_sink.h"

typedef struct {
    Renderer r;
    char sentence[8192];
    TBuf b;
    bool open, any_clause;
    int number;
} Story;

static void end_sentence(Story *s) {
    if (!s->open) return;
    tb_puts(&s->b, ".");
    fprintf(s->r.out, "%s\n", s->sentence);
    s->open = false;
}

static void add_clause(Story *s, const char *text) {
    if (!text[0]) return;
    tb_puts(&s->b, s->any_clause ? "; " : ": ");
    tb_puts(&s->b, text);
    s->any_clause = true;
}

/* "the event loop", "Task-1.step", "main() (line 9)", "program (line 16)" */
static void story_place(TBuf *b, const TraceLine *l, bool first) {
    switch (l->pkind) {
    case PK_LOOP: tb_puts(b, "the event loop"); return;
    case PK_STEP: {
        const char *sp = strchr(l->slice, ' ');
        tb_put(b, l->slice, sp ? (size_t)(sp - l->slice) : strlen(l->slice));
        return;
    }
    case PK_FRAME: case PK_PROGRAM: case PK_MODULE: {
        if (first) { tb_puts(b, l->slice); return; }
        const char *ln = strstr(l->place, " line ");
        if (!ln) { tb_puts(b, l->place); return; }
        tb_put(b, l->place, (size_t)(ln - l->place));
        const char *num = ln + 1;
        const char *paren = strstr(num, " (");
        tb_puts(b, " (");
        tb_put(b, num, paren ? (size_t)(paren - num) : strlen(num));
        if (paren) { tb_puts(b, ", "); tb_puts(b, paren + 2); }
        else tb_puts(b, ")");
        return;
    }
    default: tb_puts(b, l->place); return;
    }
}

static void story_event(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n) {
    (void)ev;
    Story *s = (Story *)r;
    for (int i = 0; i < n; i++) {
        const TraceLine *l = &lines[i];
        if (!trace_line_shown(r->opts, l)) continue;
        if (l->kind == TL_NOTE) {
            if (!s->open) continue;
            add_clause(s, l->story);
            continue;
        }
        if (s->open && l->depart[0]) {
            tb_puts(&s->b, s->any_clause ? ", " : ": ");
            tb_puts(&s->b, l->depart);
            s->any_clause = true;
        }
        end_sentence(s);
        tb_init(&s->b, s->sentence, sizeof s->sentence);
        bool first = s->number == 0;
        tb_printf(&s->b, "%d. Control %s ", ++s->number, first ? "begins in" : "is now in");
        story_place(&s->b, l, first);
        s->open = true;
        s->any_clause = false;
        add_clause(s, l->story);
    }
    if (r->flush_each) fflush(r->out);
}

static void story_finish(Renderer *r) {
    end_sentence((Story *)r);
}

static Story story = { .r = { .event = story_event, .finish = story_finish } };

Renderer *story_renderer(void) { return &story.r; }
