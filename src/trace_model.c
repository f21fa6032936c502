/* trace_model.c — where control is: the model every trace sink shares.
 *
 * Owns: the stack of places (program → event loop → task step → coroutine
 * frames → a Future's __await__), turning each bus event into the outline's
 * lines — ENTER (control moves into a new place), BACK (control comes back
 * to a place below) and NOTE (something happens without moving control) —
 * with the reason in words; and describing values without running any apy
 * code and without addresses, so that every trace is the same on every run.
 * Must not touch: the program's state. Nothing here calls into apy code or
 * changes a reference count the program could see.
 */
#include <stdarg.h>
#include <string.h>
#include "trace_sink.h"
#include "aio.h"
#include "opcodes.h"

/* ======================================================================================
 * TBuf: bounded text
 * ====================================================================================== */
void tb_init(TBuf *b, char *mem, size_t cap) {
    b->p = mem;
    b->cap = cap;
    b->n = 0;
    if (cap) mem[0] = 0;
}

void tb_put(TBuf *b, const char *s, size_t n) {
    if (b->cap == 0) return;
    size_t room = b->cap - 1 - b->n;
    if (n > room) {
        memcpy(b->p + b->n, s, room);
        b->n += room;
        if (b->cap > 4) memcpy(b->p + b->cap - 4, "...", 3);
    } else {
        memcpy(b->p + b->n, s, n);
        b->n += n;
    }
    b->p[b->n] = 0;
}

void tb_puts(TBuf *b, const char *s) { tb_put(b, s, strlen(s)); }

void tb_printf(TBuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    tb_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* ======================================================================================
 * Describing values
 * ====================================================================================== */
static void put_str_repr(TBuf *b, const char *s, size_t len) {
    /* repr() of a str, shortened: quotes as Python chooses them */
    bool sq = memchr(s, '\'', len) != NULL, dq = memchr(s, '"', len) != NULL;
    char q = sq && !dq ? '"' : '\'';
    tb_put(b, &q, 1);
    size_t shown = len > 40 ? 37 : len;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') { tb_put(b, "\\", 1); tb_put(b, (char *)&c, 1); }
        else if (c == '\n') tb_puts(b, "\\n");
        else if (c == '\t') tb_puts(b, "\\t");
        else if (c == '\r') tb_puts(b, "\\r");
        else if (c < 0x20 || c == 0x7f) tb_printf(b, "\\x%02x", c);
        else tb_put(b, (char *)&c, 1);
    }
    if (shown < len) {
        /* do not cut a UTF-8 sequence in half */
        while (b->n && ((unsigned char)b->p[b->n - 1] & 0xC0) == 0x80) b->n--;
        if (b->n && ((unsigned char)b->p[b->n - 1] & 0xC0) == 0xC0) b->n--;
        b->p[b->n] = 0;
        tb_puts(b, "...");
    }
    tb_put(b, &q, 1);
}

void tv_task_name(TBuf *b, Value task) {
    if (task_check(task) && AS_TASK(task)->name && IS_STR(AS_TASK(task)->name)) tb_puts(b, STR_DATA(AS_TASK(task)->name));
    else tb_puts(b, "Task-?");
}

void tv_future_name(TBuf *b, Value fut) {
    if (task_check(fut)) tv_task_name(b, fut);
    else if (future_check(fut)) {
        /* a subclass (gather's _GatheringFuture) shows its class */
        tb_printf(b, "%s-%u", aio_type_name(fut), (unsigned)AS_FUTURE(fut)->id);
    }
    else tb_printf(b, "<%s object>", aio_type_name(fut));
}

static const char *str_or(Value s, const char *dflt) { return s && IS_STR(s) ? STR_DATA(s) : dflt; }

void tv_coro_name(TBuf *b, Value coro) {
    if (IS_GEN_LIKE(coro)) tb_printf(b, "%s()", str_or(AS_GEN(coro)->qualname, "?"));
    else tb_printf(b, "<%s object>", obj_type_name(coro));
}

static void describe(TBuf *b, Value v, int depth);

static void describe_items(TBuf *b, const Value *items, size_t n, int depth) {
    for (size_t i = 0; i < n; i++) {
        if (i) tb_puts(b, ", ");
        if (i == 4) { tb_printf(b, "... %zu more", n - 4); break; }
        describe(b, items[i], depth + 1);
    }
}

static void describe(TBuf *b, Value v, int depth) {
    if (!v) { tb_puts(b, "<nothing>"); return; }
    if (IS_INT(v)) { tb_printf(b, "%lld", (long long)AS_INT(v)); return; }
    Type *t = TYPE_OF(v);
    if (v == None) { tb_puts(b, "None"); return; }
    if (v == True_) { tb_puts(b, "True"); return; }
    if (v == False_) { tb_puts(b, "False"); return; }
    if (t == &IntType) {
        Value r = int_repr(v);
        if (r) {
            if (STR_LEN(r) > 30) tb_printf(b, "%.12s...(%zu digits)", STR_DATA(r), STR_LEN(r));
            else tb_puts(b, STR_DATA(r));
            decref(r);
        }
        return;
    }
    if (t == &FloatType) {
        char buf[64];
        if (float_format_repr(((FloatObj *)AS_OBJ(v))->v, buf, sizeof buf) >= 0) tb_puts(b, buf);
        return;
    }
    if (t == &StrType) { put_str_repr(b, STR_DATA(v), STR_LEN(v)); return; }
    if (t == &BytesType) {
        tb_puts(b, "b");
        put_str_repr(b, (const char *)AS_BYTES(v)->data, AS_BYTES(v)->len);
        return;
    }
    if (depth > 2 && (t == &TupleType || t == &ListType || t == &DictType || t == &SetType)) {
        tb_puts(b, t == &TupleType ? "(...)" : t == &ListType ? "[...]" : "{...}");
        return;
    }
    if (t == &TupleType) {
        tb_puts(b, "(");
        describe_items(b, TUPLE_ITEMS(v), TUPLE_LEN(v), depth);
        tb_puts(b, TUPLE_LEN(v) == 1 ? ",)" : ")");
        return;
    }
    if (t == &ListType) {
        tb_puts(b, "[");
        describe_items(b, LIST_ITEMS(v), LIST_LEN(v), depth);
        tb_puts(b, "]");
        return;
    }
    if (t == &DictType) {
        DictObj *d = AS_DICT(v);
        tb_puts(b, "{");
        size_t pos = 0, i = 0;
        Value k, val;
        while (dict_next(v, &pos, &k, &val)) {
            if (i) tb_puts(b, ", ");
            if (i == 3) { tb_printf(b, "... %zu more", d->used - 3); break; }
            describe(b, k, depth + 1);
            tb_puts(b, ": ");
            describe(b, val, depth + 1);
            i++;
        }
        tb_puts(b, "}");
        return;
    }
    if (t == &SetType || t == &FrozenSetType) {
        /* a set's order depends on hashes of objects (addresses): show its size only */
        tb_printf(b, "<%s of %zu>", t->name, AS_SET(v)->used);
        return;
    }
    if (future_check(v)) { tv_future_name(b, v); return; }
    if (IS_GEN_LIKE(v)) {
        GenObj *g = AS_GEN(v);
        tb_puts(b, g->kind == GEN_KIND_COROUTINE ? "coroutine " : g->kind == GEN_KIND_ASYNC_GEN ? "async generator " : "generator ");
        tv_coro_name(b, v);
        return;
    }
    if (IS_OBJ(v) && (t->flags & TF_EXCEPTION)) {
        tb_puts(b, t->name);
        Value args = AS_EXC(v)->args;
        tb_puts(b, "(");
        if (args && IS_TYPE(args, &TupleType)) describe_items(b, TUPLE_ITEMS(args), TUPLE_LEN(args), depth);
        tb_puts(b, ")");
        return;
    }
    if (t == &FunctionType) { tb_printf(b, "function %s", str_or(AS_FUNC(v)->qualname, "?")); return; }
    if (IS_OBJ(v) && obj_isinstance_type(v, &TypeType)) { tb_printf(b, "<class '%s'>", ((Type *)AS_OBJ(v))->name); return; }
    if (t == &ModuleType) { tb_printf(b, "<module %s>", str_or(((ModuleObj *)AS_OBJ(v))->name, "?")); return; }
    if (t == &HandleType || t == &TimerHandleType) { tv_handle(b, v); return; }
    if (strcmp(t->name, "async_generator_wrapped_value") == 0) {
        /* gen.c's WrappedObj { Obj h; Value value; }: what an async generator yielded */
        describe(b, ((struct { Obj h; Value value; } *)AS_OBJ(v))->value, depth);
        return;
    }
    Value *ds = (t->flags & TF_HEAPTYPE) ? type_dict_slot(t, AS_OBJ(v)) : NULL;
    if (ds) {
        /* a partial (functools.partial, asyncio's _partial): its function and arguments */
        Value d = *ds;
        Value fn = d && IS_DICT(d) ? dict_get_str(d, "func") : VNULL;
        if (fn && obj_callable(fn)) {
            Value args = dict_get_str(d, "args");
            tb_printf(b, "%s(", t->name);
            tv_callback(b, fn);
            if (b->n >= 2 && b->p[b->n - 1] == ')' && b->p[b->n - 2] == '(') { b->n -= 2; b->p[b->n] = 0; }
            if (args && IS_TYPE(args, &TupleType) && TUPLE_LEN(args)) {
                tb_puts(b, ", ");
                describe_items(b, TUPLE_ITEMS(args), TUPLE_LEN(args), depth + 1);
            }
            tb_puts(b, ")");
            return;
        }
    }
    if (t == &MethodType || t == &CFunctionType) { tv_callback(b, v); return; }
    tb_printf(b, "<%s object>", t->name);
}

void tv_describe(TBuf *b, Value v) { describe(b, v, 0); }

/* 1: a task's __step, 2: a task's wake-up (task.c binds them to the task), 0: other */
int tv_task_callback_kind(Value fn) {
    if (!IS_TYPE(fn, &CFunctionType)) return 0;
    CFuncObj *c = (CFuncObj *)AS_OBJ(fn);
    if (!c->self || !task_check(c->self) || !c->name) return 0;
    if (strcmp(c->name, "__step") == 0) return 1;
    if (strcmp(c->name, "task_wakeup") == 0) return 2;
    return 0;
}

/* A callback as the loop will run it: Task-1.step, Task-1.wakeup, cb() */
void tv_callback(TBuf *b, Value fn) {
    if (IS_OBJ(fn) && (TYPE_OF(fn)->flags & TF_HEAPTYPE)) { describe(b, fn, 1); return; }
    if (IS_TYPE(fn, &CFunctionType)) {
        CFuncObj *c = (CFuncObj *)AS_OBJ(fn);
        int which = tv_task_callback_kind(fn);
        if (which) { tv_task_name(b, c->self); tb_puts(b, which == 1 ? ".step" : ".wakeup"); return; }
        tb_printf(b, "%s()", c->name);
        return;
    }
    if (IS_TYPE(fn, &FunctionType)) { tb_printf(b, "%s()", str_or(AS_FUNC(fn)->qualname, "?")); return; }
    if (IS_TYPE(fn, &MethodType)) {
        Value f = ((MethodObj *)AS_OBJ(fn))->func;
        if (IS_TYPE(f, &FunctionType)) { tb_printf(b, "%s()", str_or(AS_FUNC(f)->qualname, "?")); return; }
        tv_callback(b, f);
        return;
    }
    tb_printf(b, "<%s object>", obj_type_name(fn));
}

void tv_handle(TBuf *b, Value h) {
    HandleObj *ho = AS_HANDLE(h);
    if (!ho->callback) { tb_puts(b, "<handle>"); return; }
    tv_callback(b, ho->callback);
    Value args = ho->args;
    size_t n = args && IS_TYPE(args, &TupleType) ? TUPLE_LEN(args) : 0;
    if (!n) return;
    /* Task-1.wakeup(Task-2): the future it was waiting for */
    if (b->n >= 2 && b->p[b->n - 1] == ')' && b->p[b->n - 2] == '(') { b->n -= 2; b->p[b->n] = 0; }
    tb_puts(b, "(");
    describe_items(b, TUPLE_ITEMS(args), n, 1);
    tb_puts(b, ")");
}

static char main_dir[1024];     /* the main script's directory, with a final '/' */

/* Files as the trace names them: lib/ files relative to lib/, the program's
 * own files relative to its directory, so that a trace does not depend on
 * where the program is. */
const char *tv_relpath(const char *filename) {
    if (vm.lib_path && IS_STR(vm.lib_path)) {
        size_t k = STR_LEN(vm.lib_path);
        if (strncmp(filename, STR_DATA(vm.lib_path), k) == 0 && filename[k] == '/') return filename + k + 1;
    }
    size_t d = strlen(main_dir);
    if (d && strncmp(filename, main_dir, d) == 0 && filename[d]) return filename + d;
    return filename;
}

/* ======================================================================================
 * Places
 * ====================================================================================== */
void tm_init(TraceModel *m) {
    memset(m, 0, sizeof *m);
    m->next_frame_id = 1;
    strcpy(m->track_names[0], "?");
    strcpy(m->track_names[1], "program");
    strcpy(m->track_names[2], "event loop");
    m->ntracks = 3;
}

int tm_depth(const TraceModel *m) { return m->n > 0 ? m->n - 1 : 0; }

const char *tm_track_name(const TraceModel *m, int track) {
    return track >= 0 && track < m->ntracks ? m->track_names[track] : "?";
}

static int task_track(TraceModel *m, const char *name) {
    for (int i = 3; i < m->ntracks; i++) if (strcmp(m->track_names[i], name) == 0) return i;
    if (m->ntracks == TM_MAX_TRACKS) return 0;
    snprintf(m->track_names[m->ntracks], sizeof m->track_names[0], "%s", name);
    return m->ntracks++;
}

uint64_t tm_frame_id(TraceModel *m, const Frame *f) {
    for (int i = 0; i < m->nframe_ids; i++) if (m->frame_ids[i].f == f) return m->frame_ids[i].id;
    uint64_t id = m->next_frame_id++;
    if (m->nframe_ids < (int)(sizeof m->frame_ids / sizeof m->frame_ids[0])) {
        m->frame_ids[m->nframe_ids].f = f;
        m->frame_ids[m->nframe_ids].id = id;
        m->nframe_ids++;
    }
    return id;
}

static void frame_id_forget(TraceModel *m, const Frame *f) {
    for (int i = 0; i < m->nframe_ids; i++)
        if (m->frame_ids[i].f == f) { m->frame_ids[i] = m->frame_ids[--m->nframe_ids]; return; }
}

static void frame_id_fresh(TraceModel *m, const Frame *f) {
    frame_id_forget(m, f);
    (void)tm_frame_id(m, f);
}

static bool is_main_module(const Frame *f) {
    if (!(f->code->flags & CO_MODULE) || (f->code->flags & CO_CLASS_BODY) || !f->globals) return false;
    Value n = IS_DICT(f->globals) ? dict_get_str(f->globals, "__name__") : VNULL;
    return n && IS_STR(n) && strcmp(STR_DATA(n), "__main__") == 0;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* "main()", "program", "module util", plus " (other.apy)" when not the main file */
static void frame_name(TraceModel *m, TBuf *b, const Frame *f) {
    const char *file = str_or(f->code->filename, "?");
    if (is_main_module(f)) { tb_puts(b, "program"); return; }
    if (f->code->flags & CO_CLASS_BODY) { tb_printf(b, "class %s", str_or(f->code->qualname, "?")); return; }
    if ((f->code->flags & CO_MODULE) && !(f->code->flags & CO_CLASS_BODY)) {
        tb_printf(b, "module %s", tv_relpath(file));
        return;
    }
    tb_printf(b, "%s()", str_or(f->code->qualname, "?"));
    if (m->main_file[0] && strcmp(file, m->main_file) != 0) tb_printf(b, " (%s)", tv_relpath(file));
}

void tm_frame_place(TraceModel *m, TBuf *b, Frame *f, bool with_line) {
    frame_name(m, b, f);
    if (!with_line) return;
    /* insert " line N" before a " (file)" suffix */
    char tail[TL_PLACE] = "";
    char *paren = strstr(b->p, " (");
    if (paren) { snprintf(tail, sizeof tail, "%s", paren); b->n = (size_t)(paren - b->p); b->p[b->n] = 0; }
    tb_printf(b, " line %d", frame_lineno(f));
    tb_puts(b, tail);
}

static Place *top(TraceModel *m) {
    int k = m->n < TM_MAX_PLACES ? m->n : TM_MAX_PLACES;
    return k > 0 && m->n <= TM_MAX_PLACES ? &m->stack[k - 1] : NULL;
}

static bool muted(TraceModel *m) {
    Place *p = top(m);
    return p && p->silent;
}

static Place *push(TraceModel *m, PlaceKind kind, const void *key, Frame *f, int track) {
    bool silent = muted(m);
    m->n++;
    if (m->n > TM_MAX_PLACES) return NULL;
    Place *p = &m->stack[m->n - 1];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->key = key;
    p->frame = f;
    p->track = track;
    p->silent = silent;
    return p;
}

/* Find the place with this key from the top; -1 if it is not on the stack. */
static int find(TraceModel *m, const void *key) {
    int k = m->n < TM_MAX_PLACES ? m->n : TM_MAX_PLACES;
    for (int i = k - 1; i >= 0; i--) if (m->stack[i].key == key) return i;
    return -1;
}

/* Write the place at index i into a line. */
static void place_at(TraceModel *m, int i, TraceLine *l) {
    l->depth = i;
    Place *p = i >= 0 && i < TM_MAX_PLACES && i < m->n ? &m->stack[i] : NULL;
    TBuf b, s;
    tb_init(&b, l->place, sizeof l->place);
    tb_init(&s, l->slice, sizeof l->slice);
    if (!p) { tb_puts(&b, m->n ? "(deeper)" : "(outside)"); tb_puts(&s, l->place); l->track = 1; return; }
    l->pkind = p->kind;
    l->track = p->track;
    tb_puts(&s, p->name);
    if ((p->kind == PK_FRAME || p->kind == PK_PROGRAM || p->kind == PK_MODULE) && p->frame &&
        !(l->kind == TL_ENTER && p->kind != PK_FRAME)) {
        tm_frame_place(m, &b, p->frame, true);
    } else {
        tb_puts(&b, p->name);
    }
}

/* Write the current place (the top) into a line. */
static void place_of_top(TraceModel *m, TraceLine *l) {
    place_at(m, tm_depth(m), l);
    if (l->kind == TL_BACK) l->drop = m->last_pop_silent || muted(m);
    else l->drop = muted(m);
    if (m->n > TM_MAX_PLACES) l->drop = true;
}

static TraceLine *new_line(TraceLine *out, int *n, LineKind kind) {
    TraceLine *l = &out[(*n)++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    return l;
}

static TraceLine *note(TraceModel *m, TraceLine *out, int *n) {
    TraceLine *l = new_line(out, n, TL_NOTE);
    place_of_top(m, l);
    if (m->n > TM_MAX_PLACES) l->drop = true;     /* deeper than the model keeps: not shown */
    return l;
}

/* A place deeper than TM_MAX_PLACES ends: it was never stored or shown. */
static bool pop_overflow(TraceModel *m) {
    if (m->n <= TM_MAX_PLACES) return false;
    m->n--;
    return true;
}

/* Pop down to (and including) index i; the new top is where control goes
 * back. Returns how many shown (not silent) places ended. */
static int pop_to(TraceModel *m, int i) {
    int shown = 0;
    for (int k = i; k < m->n && k < TM_MAX_PLACES; k++) shown += !m->stack[k].silent;
    m->last_pop_silent = i < TM_MAX_PLACES && i < m->n && m->stack[i].silent;
    m->n = i;
    return shown;
}

/* Traced code runs inside silent places: show them now, outermost first. */
static void announce(TraceModel *m, TraceLine *out, int *n) {
    int k = m->n < TM_MAX_PLACES ? m->n : TM_MAX_PLACES;
    int first = k;
    while (first > 0 && m->stack[first - 1].silent) first--;
    for (int i = first; i < k; i++) {
        Place *p = &m->stack[i];
        p->silent = false;
        TraceLine *l = new_line(out, n, TL_ENTER);
        place_at(m, i, l);
        memcpy(l->why, p->why, sizeof l->why);
        memcpy(l->story, p->story, sizeof l->story);
    }
}

/* A task running the library's own coroutine (asyncio.run's shutdown tasks …) */
static bool task_hidden(Value task) {
    if (!task || !task_check(task)) return false;
    Value coro = AS_TASK(task)->coro;
    if (!coro || trace_includes_lib()) return false;
    if (!IS_GEN_LIKE(coro)) return IS_OBJ(coro) && !(TYPE_OF(coro)->flags & TF_HEAPTYPE);  /* aclose() … */
    return AS_GEN(coro)->code && (AS_CODE(AS_GEN(coro)->code)->flags & CO_LIB);
}

/* A loop run whose ready queue holds only hidden tasks' steps */
static bool loop_run_hidden(LoopObj *l) {
    if (!l->rcount) return false;
    for (size_t i = 0; i < l->rcount; i++) {
        HandleObj *h = AS_HANDLE(l->ready[(l->rhead + i) % l->rcap]);
        if (!h->callback || !tv_task_callback_kind(h->callback)) return false;
        if (!task_hidden(((CFuncObj *)AS_OBJ(h->callback))->self)) return false;
    }
    return true;
}

/* ======================================================================================
 * Reasons
 * ====================================================================================== */
/* The caller frame's current instruction, if it is a frame on the chain. */
static Opcode caller_op(const Frame *caller) {
    if (!caller || caller->ip <= caller->code->code) return OP_NOP;
    return INSTR_OP(caller->ip[-1]);
}

static void frame_ref(TraceModel *m, TBuf *b, Frame *f) {
    /* "main()", "asyncio.sleep()" (lib, hidden), "total() (not traced)" */
    if ((f->code->flags & CO_LIB) && !trace_includes_lib()) {
        const char *rel = tv_relpath(str_or(f->code->filename, "?"));
        size_t k = strcspn(rel, "/.");
        tb_printf(b, "%.*s.%s()", (int)k, rel, str_or(f->code->qualname, "?"));
        return;
    }
    TBuf t;
    char mem[TL_PLACE];
    tb_init(&t, mem, sizeof mem);
    frame_name(m, &t, f);
    tb_puts(b, mem);
    if (!trace_frame_visible(f)) tb_puts(b, " (not traced)");
}

/* A frame starts (CALL) or resumes (RESUME). */
static void enter_frame(TraceModel *m, const TraceEvent *ev, TraceLine *out, int *n) {
    Frame *f = ev->frame;
    bool resume = ev->kind == TE_RESUME;
    if (!resume) frame_id_fresh(m, f);
    char name[TL_PLACE], me[TL_PLACE];
    TBuf nb, meb;
    tb_init(&nb, name, sizeof name);
    frame_name(m, &nb, f);
    tb_init(&meb, me, sizeof me);
    tb_puts(&meb, name);

    Place *parent = top(m);
    Frame *caller = f->back;
    Value task = ev->task;
    bool thrown = resume && err_occurred();
    char sent[160];
    TBuf sb;
    tb_init(&sb, sent, sizeof sent);
    if (thrown) tv_describe(&sb, vm.exc);
    else if (ev->value) tv_describe(&sb, ev->value);
    else tb_puts(&sb, "None");

    int track = parent ? parent->track : 1;
    PlaceKind kind = PK_FRAME;
    if (is_main_module(f)) kind = PK_PROGRAM;
    else if ((f->code->flags & CO_MODULE) && !(f->code->flags & CO_CLASS_BODY)) kind = PK_MODULE;
    if (kind == PK_PROGRAM && !m->main_file[0]) {
        snprintf(m->main_file, sizeof m->main_file, "%s", str_or(f->code->filename, ""));
        const char *slash = strrchr(m->main_file, '/');
        if (slash) snprintf(main_dir, sizeof main_dir, "%.*s", (int)(slash - m->main_file + 1), m->main_file);
    }

    if (muted(m)) {
        announce(m, out, n);
        parent = top(m);
    }
    Place *p = push(m, kind, f, f, track);
    if (!p) return;                                 /* deeper than the model keeps */
    snprintf(p->name, sizeof p->name, "%s", name);
    TraceLine *l = new_line(out, n, TL_ENTER);
    place_of_top(m, l);
    TBuf why, st;
    tb_init(&why, l->why, sizeof l->why);
    tb_init(&st, l->story, sizeof l->story);

    if (kind == PK_PROGRAM) {
        tb_printf(&why, "the program starts (%s)", base_name(m->main_file));
        tb_printf(&st, "%s starts", base_name(m->main_file));
        return;
    }
    if (kind == PK_MODULE) {
        tb_puts(&why, "an import runs the module's code");
        tb_puts(&st, "an import runs the module's code");
        return;
    }
    bool is_task_coro = task && parent && parent->kind == PK_STEP && parent->key == AS_OBJ(task) &&
                        f->gen && OBJ_VAL(f->gen) == AS_TASK(task)->coro;
    if (is_task_coro) {
        char tn[64];
        TBuf tnb;
        tb_init(&tnb, tn, sizeof tn);
        tv_task_name(&tnb, task);
        if (thrown) {
            tb_printf(&why, "%s.step throws %s into it at its await", tn, sent);
            tb_printf(&st, "%s.step throws %s into it, at the await where it was suspended", tn, sent);
        } else if (resume) {
            tb_printf(&why, "%s.step resumes it with send(%s)", tn, sent);
            tb_printf(&st, "%s.step resumes it with send(%s), right after the await where it was suspended", tn, sent);
        } else {
            tb_printf(&why, "%s.step starts it with send(None)", tn);
            tb_printf(&st, "%s.step starts the coroutine with send(None)", tn);
        }
        return;
    }
    if (parent && parent->frame == caller && caller) {
        char cr[TL_PLACE];
        TBuf crb;
        tb_init(&crb, cr, sizeof cr);
        frame_ref(m, &crb, caller);
        int line = frame_lineno(caller);
        Opcode op = caller_op(caller);
        bool coro = caller->code->flags & CO_COROUTINE;    /* await (a coroutine) or yield from */
        if (op == OP_SEND) {
            if (thrown) {
                tb_printf(&why, "%s passes %s on into it (line %d)", cr, sent, line);
                tb_printf(&st, "%s's await at line %d passes %s on into it", cr, line, sent);
            } else if (resume) {
                tb_printf(&why, "%s passes send(%s) on into it: its %s at line %d", cr, sent, coro ? "await" : "yield from", line);
                tb_printf(&st, "the %s at line %d of %s passes send(%s) on into it", coro ? "await" : "yield from", line, cr, sent);
            } else {
                tb_printf(&why, "%s %s it at line %d: it runs right here, no task switch", cr, coro ? "awaits" : "yields from", line);
                tb_printf(&st, "%s %s it at line %d, so it runs right away, inside the same task step", cr, coro ? "awaits" : "yields from", line);
            }
        } else if (op == OP_FOR_ITER) {
            tb_printf(&why, "the for loop in %s (line %d) asks for the %s item", cr, line, resume ? "next" : "first");
            tb_printf(&st, "the for loop in %s at line %d asks it for its %s item", cr, line, resume ? "next" : "first");
        } else if (f->gen) {
            if (thrown) {
                tb_printf(&why, "%s throws %s into it (line %d)", cr, sent, line);
                tb_printf(&st, "%s throws %s into it at line %d", cr, sent, line);
            } else {
                tb_printf(&why, "%s %s it at line %d: send(%s)", cr, resume ? "resumes" : "starts", line, sent);
                tb_printf(&st, "%s %s it at line %d, sending %s", cr, resume ? "resumes" : "starts", line, sent);
            }
        } else if (f->code->flags & CO_CLASS_BODY) {
            tb_printf(&why, "the class statement at line %d runs the class body", line);
            tb_printf(&st, "the class statement at line %d of %s runs the class body", line, cr);
        } else {
            tb_printf(&why, "called by %s at line %d", cr, line);
            tb_printf(&st, "%s calls it at line %d", cr, line);
        }
        return;
    }
    if (parent && parent->kind == PK_LOOP) {
        tb_puts(&why, "the loop runs it: a ready callback");
        tb_puts(&st, "the loop runs it as a ready callback");
        return;
    }
    /* the caller is hidden (lib/) or not traced */
    if (caller) {
        char cr[TL_PLACE];
        TBuf crb;
        tb_init(&crb, cr, sizeof cr);
        frame_ref(m, &crb, caller);
        tb_printf(&why, "%s by %s", resume ? "resumed" : f->gen ? "started" : "called", cr);
        tb_printf(&st, "%s %s it", cr, resume ? "resumes" : f->gen ? "starts" : "calls");
    } else {
        tb_printf(&why, "%s from C", resume ? "resumed" : f->gen ? "started" : "called");
        tb_printf(&st, "it is %s from C", resume ? "resumed" : f->gen ? "started" : "called");
    }
}

/* The Future.__await__ that yielded ends at the next event: control is back
 * in the frame that awaited it, which passes the yield on. */
static void end_pending_await(TraceModel *m, TraceLine *out, int *n) {
    if (!m->await_pending) return;
    m->await_pending = false;
    if (pop_overflow(m)) return;
    Place *p = top(m);
    char name[TL_PLACE] = "";
    if (p && p->kind == PK_AWAIT) snprintf(name, sizeof name, "%s", p->name);
    int popped = pop_to(m, m->n - 1);
    TraceLine *l = new_line(out, n, TL_BACK);
    l->popped = popped;
    place_of_top(m, l);
    char fut[TL_PLACE];
    snprintf(fut, sizeof fut, "%s", name);
    char *dot = strstr(fut, ".__await__");
    if (dot) *dot = 0;
    TBuf why, st;
    tb_init(&why, l->why, sizeof l->why);
    tb_init(&st, l->story, sizeof l->story);
    tb_printf(&why, "%s yielded %s: the await passes it up", name, fut);
    tb_printf(&st, "%s yielded %s to it, and the await passes that yield up", name, fut);
}

static void leave_frame(TraceModel *m, const TraceEvent *ev, TraceLine *out, int *n) {
    Frame *f = ev->frame;
    int i = find(m, f);
    if (ev->kind == TE_RETURN || ev->kind == TE_UNWIND) m->finished_frame = f;   /* its id goes after this event */
    if (i < 0) { pop_overflow(m); return; }
    bool program = m->stack[i].kind == PK_PROGRAM || m->stack[i].kind == PK_MODULE;
    char name[TL_PLACE];
    snprintf(name, sizeof name, "%s", i < TM_MAX_PLACES ? m->stack[i].name : "?");
    int popped = pop_to(m, i);
    char val[200];
    TBuf vb;
    tb_init(&vb, val, sizeof val);
    if (ev->kind == TE_UNWIND && ev->value) tv_describe(&vb, ev->value);
    else if (ev->value) tv_describe(&vb, ev->value);
    else tb_puts(&vb, "None");

    if (m->n == 0 || program) {
        if (m->n > 0) {
            TraceLine *l = new_line(out, n, TL_BACK);
            l->popped = popped;
            place_of_top(m, l);
            TBuf why, st;
            tb_init(&why, l->why, sizeof l->why);
            tb_init(&st, l->story, sizeof l->story);
            tb_printf(&why, "the import of %s is done", name);
            tb_printf(&st, "the import of %s is done", name);
            return;
        }
        TraceLine *l = new_line(out, n, TL_NOTE);
        l->popped = popped;
        l->depth = 0;
        l->track = 1;
        snprintf(l->place, sizeof l->place, "%s", name);
        snprintf(l->slice, sizeof l->slice, "%s", name);
        TBuf why, st;
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        if (ev->kind == TE_UNWIND) {
            tb_printf(&why, "the program ends with %s", val);
            tb_printf(&st, "the program ends with the uncaught %s", val);
        } else {
            tb_puts(&why, "the program ends");
            tb_puts(&st, "the program ends");
        }
        return;
    }
    Place *below = top(m);
    TraceLine *l = new_line(out, n, TL_BACK);
    l->popped = popped;
    place_of_top(m, l);
    TBuf why, st;
    tb_init(&why, l->why, sizeof l->why);
    tb_init(&st, l->story, sizeof l->story);
    bool coro = f->code->flags & CO_COROUTINE;
    Frame *caller = f->back;
    bool caller_coro = caller && (caller->code->flags & CO_COROUTINE);
    bool direct = below && below->frame && below->frame == caller && caller;
    Opcode op = direct ? caller_op(caller) : OP_NOP;
    int line = direct ? frame_lineno(caller) : 0;
    /* the receiver is not on the outline (lib, or not traced): name it */
    char to[TL_PLACE] = "";
    if (!direct && caller && !(below && below->kind == PK_LOOP) &&
        !(below && below->kind == PK_STEP && ev->kind != TE_UNWIND && ev->kind != TE_RETURN)) {
        TBuf tob;
        tb_init(&tob, to, sizeof to);
        tb_puts(&tob, " to ");
        frame_ref(m, &tob, caller);
    }
    switch (ev->kind) {
    case TE_YIELD:
        if (direct && op == OP_FOR_ITER) {
            tb_printf(&why, "%s yielded %s: the for loop's next item", name, val);
            tb_printf(&st, "%s yielded %s, the next item of its for loop at line %d", name, val, line);
        } else {
            tb_printf(&why, "%s yielded %s%s", name, val, to);
            tb_printf(&st, "%s yielded %s%s", name, val, to[0] ? to : " to it");
        }
        break;
    case TE_YIELD_DELEGATED:
        if (below && below->kind == PK_STEP) {
            tb_printf(&why, "%s yielded %s (passed up by its %s at line %d)", name, val, coro ? "await" : "yield from", frame_lineno(f));
            tb_printf(&st, "%s yielded %s, passed up by its %s at line %d", name, val, coro ? "await" : "yield from", frame_lineno(f));
        } else {
            tb_printf(&why, "%s passes %s up (its %s at line %d is not finished)", name, val, coro ? "await" : "yield from", frame_lineno(f));
            tb_printf(&st, "%s passed %s up, as its %s at line %d is not finished", name, val, coro ? "await" : "yield from", frame_lineno(f));
        }
        break;
    case TE_RETURN:
        if (below && below->kind == PK_STEP) {
            tb_printf(&why, "%s returned %s: StopIteration(%s) ends send()", name, val, val);
            tb_printf(&st, "%s returned %s, so send() raised StopIteration carrying %s", name, val, val);
        } else if (direct && op == OP_SEND) {
            tb_printf(&why, "%s returned %s: the %s at line %d evaluates to it", name, val, caller_coro ? "await" : "yield from", line);
            tb_printf(&st, "%s returned %s, which is the value of the %s at line %d", name, val, caller_coro ? "await" : "yield from", line);
        } else if (direct && op == OP_FOR_ITER) {
            tb_printf(&why, "%s returned: StopIteration ends the for loop at line %d", name, line);
            tb_printf(&st, "%s returned, and StopIteration ends the for loop at line %d", name, line);
        } else if (below && below->kind == PK_LOOP) {
            tb_printf(&why, "the callback %s returned %s", name, val);
            tb_printf(&st, "the callback %s returned %s", name, val);
        } else if (f->code->flags & CO_CLASS_BODY) {
            tb_printf(&why, "the body of %s is done", name);
            tb_printf(&st, "the body of %s is done and the class is made", name);
        } else {
            tb_printf(&why, "%s returned %s%s", name, val, to);
            tb_printf(&st, "%s returned %s%s", name, val, to);
        }
        break;
    default: /* TE_UNWIND */
        if (below && below->kind == PK_STEP) {
            tb_printf(&why, "%s raised %s: send() raises it", name, val);
            tb_printf(&st, "%s raised %s out of send()", name, val);
        } else {
            tb_printf(&why, "%s raised %s%s", name, val, to);
            tb_printf(&st, "%s raised %s%s, which now propagates here", name, val, to);
        }
        break;
    }
}

static const char *task_name_of(Value task, char *buf, size_t cap) {
    TBuf b;
    tb_init(&b, buf, cap);
    tv_task_name(&b, task);
    return buf;
}

static void ready_summary(TBuf *b, LoopObj *l) {
    if (!l->rcount) { tb_puts(b, "nothing is ready"); return; }
    tb_puts(b, "ready: ");
    for (size_t i = 0; i < l->rcount; i++) {
        if (i) tb_puts(b, ", ");
        if (i == 5) { tb_printf(b, "... %zu more", l->rcount - 5); break; }
        Value h = l->ready[(l->rhead + i) % l->rcap];
        tv_handle(b, h);
        if (AS_HANDLE(h)->cancelled) tb_puts(b, " (cancelled)");
    }
}

static void step_note(TraceModel *m, const TraceEvent *ev, TraceLine *out, int *n) {
    const char *d = ev->detail ? ev->detail : "";
    char tn[64];
    task_name_of(ev->subject, tn, sizeof tn);
    TaskObj *t = AS_TASK(ev->subject);
    if (strncmp(d, "waits for it", 12) == 0) {
        char fut[64];
        TBuf fb;
        tb_init(&fb, fut, sizeof fut);
        if (t->fut_waiter) tv_future_name(&fb, t->fut_waiter);
        else tb_puts(&fb, m->yielded);
        TraceLine *l = note(m, out, n);
        TBuf why, st;
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s waits for %s: it adds its wake-up as a done-callback of %s", tn, fut, fut);
        tb_printf(&st, "%s is not done, so %s adds its wake-up as a done-callback of %s", fut, tn, fut);
    } else if (strncmp(d, "bare yield", 10) == 0) {
        TraceLine *l = note(m, out, n);
        TBuf why, st;
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "a bare yield (as sleep(0) does): %s schedules its next step at once", tn);
        tb_printf(&st, "a bare yield, as sleep(0) makes, asks for nothing: %s schedules its next step at the back of the ready queue", tn);
    } else if (strstr(d, "cancel was pending")) {
        TraceLine *l = note(m, out, n);
        TBuf why, st;
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_puts(&why, "the coroutine returned, but a cancel was pending: the task is cancelled");
        tb_puts(&st, "the coroutine returned, but a cancel was pending, so the task is cancelled");
    } else if (d[0] && !strstr(d, "returned") && !strstr(d, "raised")) {
        TraceLine *l = note(m, out, n);
        snprintf(l->why, sizeof l->why, "%s", d);
        snprintf(l->story, sizeof l->story, "%s", d);
    }
}

/* What the place below called to start the loop: "asyncio.run()" (a lib
 * frame it called) or "run_until_complete()" (a C method still on its stack). */
static bool loop_starter(TraceModel *m, TBuf *b, const TraceEvent *ev) {
    Place *p = top(m);
    Frame *vis = p ? p->frame : NULL;
    if (!vis) return false;
    Frame *callee = NULL;
    for (Frame *f = ev->frame; f && f != vis; f = f->back) callee = f;
    if (callee && callee->back == vis) { frame_ref(m, b, callee); return true; }
    if (ev->frame != vis || vis->ip <= vis->code->code || !vis->sp) return false;
    uint32_t ins = vis->ip[-1];
    Opcode op = INSTR_OP(ins);
    size_t below = op == OP_CALL ? INSTR_ARG(ins) + 1 : op == OP_CALL_METHOD ? INSTR_ARG(ins) + 2 : 0;
    if (!below || vis->sp - (intptr_t)below < FRAME_STACK(vis)) return false;
    Value fn = vis->sp[-(intptr_t)below];
    if (!fn || !IS_OBJ(fn) || (TYPE_OF(fn) != &CFunctionType && TYPE_OF(fn) != &MethodDescrType)) return false;
    tb_printf(b, "%s()", ((CFuncObj *)AS_OBJ(fn))->name);
    return true;
}

static void loop_line_reason(TraceModel *m, const TraceEvent *ev, TraceLine *l) {
    TBuf why, st;
    tb_init(&why, l->why, sizeof l->why);
    tb_init(&st, l->story, sizeof l->story);
    Place *p = top(m);
    char who[TL_PLACE] = "";
    TBuf wb;
    tb_init(&wb, who, sizeof who);
    if (!loop_starter(m, &wb, ev)) who[0] = 0;
    /* The words are a contract: the tutorial's chapters check these traces
     * byte for byte (tests/tools/tutorial_test.py). `who` (asyncio.run(),
     * run_until_complete()) is kept for the stepper's and future use. */
    (void)who;
    if (p && p->frame) tb_printf(&why, "line %d starts the event loop", frame_lineno(p->frame));
    else tb_puts(&why, "the event loop starts");
    tb_puts(&st, "the event loop starts running");
}

/* ======================================================================================
 * The event → lines
 * ====================================================================================== */
int tm_feed(TraceModel *m, const TraceEvent *ev, TraceLine *out) {
    int n = 0;
    if (ev->kind == TE_INSTR) return 0;
    if (m->finished_frame) {            /* the sinks have shown the last event of that frame */
        frame_id_forget(m, m->finished_frame);
        m->finished_frame = NULL;
    }
    /* a Future.__await__ that yielded is over at the next event */
    if (m->await_pending && ev->kind != TE_YIELD_DELEGATED) end_pending_await(m, out, &n);
    TBuf why, st;
    char a[160], b[160];
    TBuf ab, bb;
    switch (ev->kind) {
    case TE_CALL:
    case TE_RESUME:
        enter_frame(m, ev, out, &n);
        break;
    case TE_YIELD_DELEGATED:
        end_pending_await(m, out, &n);
        /* fall through */
    case TE_YIELD:
    case TE_RETURN:
    case TE_UNWIND:
        leave_frame(m, ev, out, &n);
        break;
    case TE_RAISE: {
        Place *p = top(m);
        if (!p || p->frame != ev->frame) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_describe(&ab, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s is raised at line %d", a, frame_lineno(ev->frame));
        tb_printf(&st, "%s is raised at line %d", a, frame_lineno(ev->frame));
        break;
    }
    case TE_LOOP_START: {
        TraceLine tmp;
        memset(&tmp, 0, sizeof tmp);
        loop_line_reason(m, ev, &tmp);
        Place *p = push(m, PK_LOOP, AS_OBJ(ev->subject), NULL, 2);
        if (!p) break;
        snprintf(p->name, sizeof p->name, "event loop");
        if (loop_run_hidden(AS_LOOP(ev->subject))) p->silent = true;
        TraceLine *l = new_line(out, &n, TL_ENTER);
        place_of_top(m, l);
        memcpy(l->why, tmp.why, sizeof l->why);
        memcpy(l->story, tmp.story, sizeof l->story);
        break;
    }
    case TE_LOOP_STOP: {
        int i = find(m, AS_OBJ(ev->subject));
        if (i < 0) { pop_overflow(m); break; }
        int popped = pop_to(m, i);
        if (!m->n) break;
        TraceLine *l = new_line(out, &n, TL_BACK);
        l->popped = popped;
        place_of_top(m, l);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_puts(&why, "the event loop stops and returns");
        tb_puts(&st, "the event loop stopped and returned to it");
        break;
    }
    case TE_LOOP_ITERATION: {
        LoopObj *l = AS_LOOP(ev->subject);
        TraceLine *ln = note(m, out, &n);
        tb_init(&why, ln->why, sizeof ln->why);
        tb_init(&st, ln->story, sizeof ln->story);
        tb_printf(&why, "iteration %llu: ", (unsigned long long)l->iteration);
        ready_summary(&why, l);
        if (!l->rcount) {
            tb_printf(&st, "iteration %llu begins with nothing ready", (unsigned long long)l->iteration);
        } else {
            tb_printf(&st, "iteration %llu begins; the ready queue holds ", (unsigned long long)l->iteration);
            TBuf tmp;
            char mem[TL_TEXT];
            tb_init(&tmp, mem, sizeof mem);
            ready_summary(&tmp, l);
            tb_puts(&st, mem + 7);
        }
        break;
    }
    case TE_LOOP_WAIT: {
        TraceLine *l = note(m, out, &n);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        if (!ev->value || IS_NONE(ev->value)) {
            tb_puts(&why, "nothing is ready or scheduled: the loop would wait forever");
            tb_puts(&st, "nothing is ready and no timer is scheduled, so the loop would wait forever");
        } else {
            tb_init(&ab, a, sizeof a);
            double d = 0;
            if (float_check(ev->value)) float_as_double(ev->value, &d);
            tb_printf(&ab, "%.3f", d);     /* rounded: the clock's last digits differ from run to run */
            bool virt = ev->detail && strstr(ev->detail, "virtual");
            tb_printf(&why, "nothing is ready: %s %s s to the next timer", virt ? "the virtual clock jumps" : "the loop sleeps", a);
            tb_printf(&st, "nothing is ready, so %s %s seconds to the next timer", virt ? "the virtual clock jumps" : "the loop sleeps", a);
        }
        break;
    }
    case TE_TIMER_FIRED: {
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_handle(&ab, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "t=%.3f: the timer for %s is due: it joins the ready queue", ev->time, a);
        tb_printf(&st, "at t=%.3f the timer for %s is due and joins the ready queue", ev->time, a);
        break;
    }
    case TE_HANDLE_RUN: {
        HandleObj *h = AS_HANDLE(ev->value);
        Value cb = h->callback;
        m->pending_handle = cb ? tv_task_callback_kind(cb) : 0;
        if (m->pending_handle) break;
        if (cb && IS_TYPE(cb, &FunctionType) && !(AS_FUNC(cb)->code->flags & CO_LIB)) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_handle(&ab, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "the loop runs the ready callback %s", a);
        tb_printf(&st, "the loop runs the ready callback %s", a);
        break;
    }
    case TE_TASK_CREATED: {
        if (task_hidden(ev->subject)) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_task_name(&ab, ev->subject);
        tb_init(&bb, b, sizeof b);
        tv_coro_name(&bb, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s is created for %s: its first step is scheduled", a, b);
        tb_printf(&st, "it creates %s for %s, which puts %s's first step in the ready queue", a, b, a);
        break;
    }
    case TE_TASK_STEP: {
        Value task = ev->subject;
        TaskObj *t = AS_TASK(task);
        char tn[64];
        task_name_of(task, tn, sizeof tn);
        char coro[TL_PLACE];
        TBuf cb;
        tb_init(&cb, coro, sizeof coro);
        tv_coro_name(&cb, t->coro);
        bool hidden = task_hidden(task);
        if (!hidden && muted(m)) announce(m, out, &n);
        Place *p = push(m, PK_STEP, AS_OBJ(task), NULL, task_track(m, tn));
        if (!p) break;
        snprintf(p->name, sizeof p->name, "%s.step [%s]", tn, coro);
        if (hidden) p->silent = true;
        TraceLine *l = new_line(out, &n, TL_ENTER);
        place_of_top(m, l);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        bool first = IS_GEN_LIKE(t->coro) && AS_GEN(t->coro)->frame && AS_GEN(t->coro)->frame->state == FRAME_CREATED;
        bool thrown = ev->detail && strcmp(ev->detail, "throw") == 0;
        tb_init(&ab, a, sizeof a);
        if (thrown) tv_describe(&ab, ev->value);
        if (m->pending_handle == 2) {
            tb_printf(&why, "%s's wake-up runs (%s is done): it runs the step", tn, m->wakeup_future[0] ? m->wakeup_future : "the future");
            tb_printf(&st, "%s is done, so the loop runs %s's wake-up, which runs the step", m->wakeup_future[0] ? m->wakeup_future : "the future", tn);
        } else if (first) {
            tb_printf(&why, "the loop runs %s's first step", tn);
            tb_printf(&st, "the loop pops %s's first step from the ready queue and runs it", tn);
        } else {
            tb_printf(&why, "the loop runs %s's step", tn);
            tb_printf(&st, "the loop pops %s's step from the ready queue and runs it", tn);
        }
        if (thrown) {
            tb_printf(&why, "; it throws %s in", a);
            tb_printf(&st, "; it will throw %s into %s", a, coro);
        }
        m->pending_handle = 0;
        m->wakeup_future[0] = 0;
        m->yielded[0] = 0;
        break;
    }
    case TE_TASK_WAKEUP: {
        TBuf fb;
        tb_init(&fb, m->wakeup_future, sizeof m->wakeup_future);
        tv_future_name(&fb, ev->value);
        break;
    }
    case TE_TASK_STEP_END: {
        if (ev->value) {                      /* "yielded": what the coroutine gave the step */
            TBuf yb;
            tb_init(&yb, m->yielded, sizeof m->yielded);
            tv_describe(&yb, ev->value);
            break;
        }
        int i = find(m, AS_OBJ(ev->subject));
        if (i < 0) { pop_overflow(m); break; }
        if (i != tm_depth(m)) pop_to(m, i + 1);   /* frames the step left behind (should not happen) */
        step_note(m, ev, out, &n);
        int popped = pop_to(m, i);
        TraceLine *l = new_line(out, &n, TL_BACK);
        l->popped = popped;
        place_of_top(m, l);
        char tn[64];
        task_name_of(ev->subject, tn, sizeof tn);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s's step ends", tn);
        snprintf(l->depart, sizeof l->depart, "and the step returns to the event loop");
        break;
    }
    case TE_FUTURE_DONE: {
        if (task_hidden(ev->subject)) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_future_name(&ab, ev->subject);
        tb_init(&bb, b, sizeof b);
        tv_describe(&bb, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        const char *d = ev->detail ? ev->detail : "";
        if (strcmp(d, "cancelled") == 0) {
            tb_printf(&why, "%s is cancelled", a);
            tb_printf(&st, "%s is marked cancelled", a);
        } else if (strcmp(d, "exception") == 0) {
            tb_printf(&why, "%s is done: exception %s", a, b);
            tb_printf(&st, "%s is marked done with the exception %s", a, b);
        } else {
            tb_printf(&why, "%s is done: result %s", a, b);
            tb_printf(&st, "%s is marked done with the result %s", a, b);
        }
        break;
    }
    case TE_CALLBACK_SCHEDULED: {
        if (task_hidden(ev->subject) ||
            (tv_task_callback_kind(ev->value) && task_hidden(((CFuncObj *)AS_OBJ(ev->value))->self))) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_future_name(&ab, ev->subject);
        tb_init(&bb, b, sizeof b);
        tv_callback(&bb, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        size_t bl = strlen(b);
        if (bl > 7 && strcmp(b + bl - 7, ".wakeup") == 0) {
            b[bl - 7] = 0;
            tb_printf(&why, "%s's wake-up is scheduled (a done-callback of %s)", b, a);
            tb_printf(&st, "%s's done-callbacks are scheduled: %s's wake-up joins the ready queue", a, b);
        } else {
            tb_printf(&why, "%s is scheduled (a done-callback of %s)", b, a);
            tb_printf(&st, "%s's done-callback %s joins the ready queue", a, b);
        }
        break;
    }
    case TE_CANCEL_REQUESTED: {
        if (task_hidden(ev->subject)) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_task_name(&ab, ev->subject);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        TaskObj *t = AS_TASK(ev->subject);
        if (t->fut_waiter) {
            tb_init(&bb, b, sizeof b);
            tv_future_name(&bb, t->fut_waiter);
            tb_printf(&why, "%s.cancel() is requested: it cancels %s, which %s waits for", a, b, a);
            tb_printf(&st, "%s.cancel() is called, and since %s waits for %s, it cancels %s", a, a, b, b);
        } else {
            tb_printf(&why, "%s.cancel() is requested: CancelledError will be thrown in at its next step", a);
            tb_printf(&st, "%s.cancel() is called, so CancelledError will be thrown into it at its next step", a);
        }
        break;
    }
    case TE_CANCEL_DELIVERED: {
        if (task_hidden(ev->subject)) break;
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_task_name(&ab, ev->subject);
        tb_init(&bb, b, sizeof b);
        tv_coro_name(&bb, AS_TASK(ev->subject)->coro);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s had a pending cancel: CancelledError is thrown into %s", a, b);
        tb_printf(&st, "%s had a pending cancel, so CancelledError is thrown into %s", a, b);
        break;
    }
    case TE_AWAIT_YIELD: {
        tb_init(&ab, a, sizeof a);
        tv_future_name(&ab, ev->subject);
        Place *parent = top(m);
        char name[TL_PLACE];
        snprintf(name, sizeof name, "%s.__await__", a);
        Place *p = push(m, PK_AWAIT, AS_OBJ(ev->subject), NULL, parent ? parent->track : 1);
        m->await_pending = true;
        if (!p) break;
        snprintf(p->name, sizeof p->name, "%s", name);
        TraceLine *l = new_line(out, &n, TL_ENTER);
        place_of_top(m, l);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_init(&bb, b, sizeof b);
        if (ev->frame && (ev->frame->code->flags & CO_LIB) && !trace_includes_lib()) {
            frame_ref(m, &bb, ev->frame);
            tb_printf(&why, "%s awaits %s: not done, so __await__ yields %s", b, a, a);
            tb_printf(&st, "%s awaits %s; %s is not done, so __await__ yields %s", b, a, a, a);
        } else if (ev->frame) {
            frame_ref(m, &bb, ev->frame);
            tb_printf(&why, "%s awaits %s at line %d: not done, so __await__ yields %s", b, a, frame_lineno(ev->frame), a);
            tb_printf(&st, "%s awaits %s at line %d; %s is not done, so __await__ yields %s", b, a, frame_lineno(ev->frame), a, a);
        } else {
            tb_printf(&why, "%s is awaited: not done, so __await__ yields it", a);
            tb_printf(&st, "%s is awaited; it is not done, so __await__ yields it", a);
        }
        break;
    }
    case TE_AWAIT_RETURN: {
        TraceLine *l = note(m, out, &n);
        tb_init(&ab, a, sizeof a);
        tv_future_name(&ab, ev->subject);
        tb_init(&bb, b, sizeof b);
        tv_describe(&bb, ev->value);
        tb_init(&why, l->why, sizeof l->why);
        tb_init(&st, l->story, sizeof l->story);
        tb_printf(&why, "%s.__await__: %s is done, it returns %s", a, a, b);
        tb_printf(&st, "%s.__await__ finds %s done and returns its result, %s, as the value of the await", a, a, b);
        break;
    }
    default:
        break;
    }
    /* a silent place keeps the words of its ENTER line for when it is announced */
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (out[i].drop) {
            Place *p = top(m);
            if (out[i].kind == TL_ENTER && p && p->silent) {
                memcpy(p->why, out[i].why, sizeof p->why);
                memcpy(p->story, out[i].story, sizeof p->story);
            }
            continue;
        }
        if (k != i) out[k] = out[i];
        k++;
    }
    return k;
}

/* ---- for the stepper ------------------------------------------------------------------------- */
int tm_nplaces(const TraceModel *m) { return m->n < TM_MAX_PLACES ? m->n : TM_MAX_PLACES; }

void tm_place_line(TraceModel *m, int i, TraceLine *l) {
    memset(l, 0, sizeof *l);
    l->kind = TL_BACK;
    place_at(m, i, l);
}

Frame *tm_frame_at(const TraceModel *m, int i) {
    if (i < 0 || i >= tm_nplaces(m)) return NULL;
    return m->stack[i].frame;
}

bool tm_silent_at(const TraceModel *m, int i) {
    return i >= 0 && i < tm_nplaces(m) && m->stack[i].silent;
}

bool tv_task_hidden(Value task) { return task_hidden(task); }

void tm_here(TraceModel *m, TraceLine *l) {
    memset(l, 0, sizeof *l);
    l->kind = TL_BACK;
    place_at(m, tm_depth(m), l);
}
