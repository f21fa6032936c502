/* trace_sink.h — what the trace sinks share (private to trace_*.c and stepper.c).
 *
 * Owns: the "where is control" model that turns bus events into outline
 * lines (trace_model.c), deterministic descriptions of values (no user code
 * runs, no addresses), and the renderer interface the front (trace_sinks.c)
 * drives.
 * Must not touch: the bus (trace.c) or anything the program can observe.
 */
#ifndef APY_TRACE_SINK_H
#define APY_TRACE_SINK_H

#include <stdio.h>
#include "trace.h"
#include "cli.h"

/* ---- a bounded text buffer (truncates with "...") -------------------------------------------- */
typedef struct { char *p; size_t n, cap; } TBuf;
void tb_init(TBuf *b, char *mem, size_t cap);
void tb_puts(TBuf *b, const char *s);
void tb_put(TBuf *b, const char *s, size_t n);
void tb_printf(TBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- describing values (trace_model.c) ---------------------------------------------------------- */
/* Never runs apy code and never prints an address: Task-1, Future-3,
 * coroutine main(), 15, 'text', [1, 2], ValueError('x'), <Point object>. */
void tv_describe(TBuf *b, Value v);
void tv_task_name(TBuf *b, Value task);        /* its get_name() */
void tv_future_name(TBuf *b, Value fut);       /* Task-1 / Future-3 */
void tv_coro_name(TBuf *b, Value coro);        /* main() */
void tv_callback(TBuf *b, Value fn);           /* Task-1.step, Task-1.wakeup, cb() */
void tv_handle(TBuf *b, Value handle);         /* cb(args) */
const char *tv_relpath(const char *filename);  /* lib paths relative to lib/ */
int  tv_task_callback_kind(Value fn);          /* 1 a task's step, 2 a task's wake-up, 0 other */
bool tv_task_hidden(Value task);               /* a task of the library's own (not --trace-lib) */

/* ---- the model: a stack of places ------------------------------------------------------------ */
typedef enum { PK_PROGRAM, PK_MODULE, PK_LOOP, PK_STEP, PK_FRAME, PK_AWAIT } PlaceKind;
typedef enum { TL_ENTER, TL_BACK, TL_NOTE } LineKind;

#define TL_PLACE 200
#define TL_TEXT 480

typedef struct {
    LineKind kind;
    PlaceKind pkind;        /* the place control is in (ENTER/BACK) or where the note happens */
    int depth;              /* outline depth of that place */
    int track;              /* chrome: the track of that place */
    int popped;             /* BACK: places that ended (chrome closes that many slices) */
    char place[TL_PLACE];   /* "main() line 10", "Task-1.step [main()]", "event loop" */
    char slice[TL_PLACE];   /* the place without its line: a chrome slice name */
    char why[TL_TEXT];      /* outline: how control got here / the note */
    char story[TL_TEXT];    /* story: the same as a clause */
    char depart[TL_PLACE];  /* story: a clause that ends the previous sentence (how control left it) */
    bool drop;              /* (model-internal) inside a silent place: not shown */
} TraceLine;

typedef struct {
    PlaceKind kind;
    const void *key;        /* identity only (never dereferenced after the place ends) */
    Frame *frame;           /* PK_FRAME/PK_PROGRAM/PK_MODULE: alive while on the stack */
    char name[TL_PLACE];
    int track;
    /* A silent place is one of the library's own (a lib task's step, a loop run
     * that only runs lib tasks, as asyncio.run's shutdown does): its lines are
     * not shown unless traced code runs inside it, which announces it then. */
    bool silent;
    char why[TL_TEXT], story[TL_TEXT];
} Place;

#define TM_MAX_PLACES 512
#define TM_MAX_TRACKS 256

typedef struct TraceModel {
    Place stack[TM_MAX_PLACES];
    int n;                  /* places (may exceed TM_MAX_PLACES: the rest are not stored) */
    bool await_pending;     /* the top is a Future.__await__ that yielded: it ends at the next event */
    bool last_pop_silent;   /* the place the last pop ended was silent */
    int pending_handle;     /* 0, 1 = a task step handle, 2 = a task wake-up */
    char wakeup_future[64]; /* the future whose completion woke the task */
    char yielded[160];      /* what the coroutine yielded to the step */
    char main_file[1024];
    char track_names[TM_MAX_TRACKS][64];
    int ntracks;
    uint64_t next_frame_id;
    const Frame *finished_frame;   /* returned or unwound: forget its id at the next event */
    struct { const Frame *f; uint64_t id; } frame_ids[1024];
    int nframe_ids;
} TraceModel;

void tm_init(TraceModel *m);
/* Feed one event; writes up to 4 lines into out, returns how many. */
int  tm_feed(TraceModel *m, const TraceEvent *ev, TraceLine *out);
int  tm_depth(const TraceModel *m);            /* depth of the place control is in now */
uint64_t tm_frame_id(TraceModel *m, const Frame *f);
const char *tm_track_name(const TraceModel *m, int track);
int  tm_nplaces(const TraceModel *m);
void tm_place_line(TraceModel *m, int i, TraceLine *l);    /* place i as a line (place, depth) */
Frame *tm_frame_at(const TraceModel *m, int i);            /* the frame of place i, or NULL */
bool tm_silent_at(const TraceModel *m, int i);
void tm_here(TraceModel *m, TraceLine *l);                 /* the place control is in now */
void tm_frame_place(TraceModel *m, TBuf *b, Frame *f, bool with_line); /* "main() line 10" */

/* ---- renderers ----------------------------------------------------------------------------- */
typedef struct Renderer Renderer;
struct Renderer {
    void (*event)(Renderer *r, const TraceEvent *ev, const TraceLine *lines, int n);
    void (*finish)(Renderer *r);
    FILE *out;
    bool flush_each;        /* out is a terminal: flush after every event, so the trace and
                             * the program's own output appear in the order they happened */
    TraceModel *model;
    const CliOptions *opts;
};

Renderer *outline_renderer(void);
Renderer *story_renderer(void);
Renderer *jsonl_renderer(void);
Renderer *chrome_renderer(void);
Renderer *stepper_renderer(void);

/* the depth limit (--trace-depth): lines deeper than this are not shown */
bool trace_line_shown(const CliOptions *opts, const TraceLine *l);

#endif
