/* errors.c — the error indicator and the printing of tracebacks.
 *
 * Owns: vm.exc (the exception in flight), __context__ chaining when an
 * exception is raised while another is being handled, CPython's traceback
 * layout on stderr (chained exceptions included), "Exception ignored in",
 * and a small line cache so tracebacks can show source lines.
 * Must not touch: the dispatch loop (it only reads frames and tracebacks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "errors.h"

/* ---- raising ------------------------------------------------------------------------ */
Value exc_get_handled(void) {
    for (ExcStackItem *it = vm.exc_info; it; it = it->previous)
        if (it->exc && !IS_NONE(it->exc)) return it->exc;
    return VNULL;
}

/* Link the new exception to the one being handled, as CPython does, taking
 * care not to make a cycle of contexts. */
static void chain_context(Value exc) {
    Value handled = exc_get_handled();
    if (!handled || handled == exc || !IS_OBJ(exc) || !exc_type_check(OBJ_VAL(AS_OBJ(exc)->type)))
        return;
    Value o = handled;
    while (o) {
        Value ctx = AS_EXC(o)->context;
        if (ctx == exc) { clearref(&AS_EXC(o)->context); break; }
        o = ctx;
    }
    setref(&AS_EXC(exc)->context, incref(handled));
}

void err_set(Value exc) {
    chain_context(exc);
    setref(&vm.exc, exc);
}

void err_restore(Value exc) { setref(&vm.exc, exc); }

void err_set_type(Type *t, Value arg) {
    Value e = exc_new(t, arg ? &arg : NULL, arg ? 1 : 0);
    if (e) err_set(e);
}

Value err_format(Type *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    Value msg = str_from_vfmt(fmt, ap);
    va_end(ap);
    if (!msg) return VNULL;
    Value e = exc_new(t, &msg, 1);
    decref(msg);
    if (e) err_set(e);
    return VNULL;
}

/* MemoryError must work when nothing can be allocated: keep one ready. */
static Value memory_error;

Value err_no_memory(void) {
    if (!memory_error) {
        /* Before the types exist (very early start-up) there is nothing to raise. */
        if (!(Exc_MemoryError.flags & TF_READY)) { fprintf(stderr, "apy: out of memory\n"); exit(1); }
        return VNULL;
    }
    clearref(&AS_EXC(memory_error)->traceback);
    clearref(&AS_EXC(memory_error)->context);
    setref(&vm.exc, incref(memory_error));
    return VNULL;
}

void errors_init(void) {
    memory_error = exc_new(&Exc_MemoryError, NULL, 0);
}

bool err_occurred(void) { return vm.exc != VNULL; }

bool err_matches(Type *t) {
    return vm.exc && type_is_subtype(TYPE_OF(vm.exc), t);
}

bool exc_matches(Value exc, Value cls) {
    if (IS_TYPE(cls, &TupleType)) {
        for (size_t i = 0; i < TUPLE_LEN(cls); i++)
            if (exc_matches(exc, TUPLE_ITEMS(cls)[i])) return true;
        return false;
    }
    if (!exc_type_check(cls)) return false;
    return type_is_subtype(TYPE_OF(exc), (Type *)AS_OBJ(cls));
}

Value err_fetch(void) {
    Value e = vm.exc;
    vm.exc = VNULL;
    return e;
}

void err_clear(void) { clearref(&vm.exc); }

Value err_stop_iteration_value(void) {
    Value e = err_fetch();
    Value v = AS_EXC(e)->value ? incref(AS_EXC(e)->value) : none_new();
    decref(e);
    return v;
}

/* ---- the line cache ----------------------------------------------------------------- */
typedef struct SourceFile {
    char *name;
    char *text;
    size_t len;
    struct SourceFile *next;
} SourceFile;
static SourceFile *sources;

void linecache_add(const char *filename, const char *src, size_t len) {
    for (SourceFile *s = sources; s; s = s->next) {
        if (strcmp(s->name, filename) == 0) {
            char *t = malloc(len + 1);
            if (!t) return;
            memcpy(t, src, len);
            t[len] = 0;
            free(s->text);
            s->text = t;
            s->len = len;
            return;
        }
    }
    SourceFile *s = malloc(sizeof *s);
    if (!s) return;
    s->name = strdup(filename);
    s->text = malloc(len + 1);
    if (!s->name || !s->text) { free(s->name); free(s->text); free(s); return; }
    memcpy(s->text, src, len);
    s->text[len] = 0;
    s->len = len;
    s->next = sources;
    sources = s;
}

/* The line without its leading and trailing whitespace, in buf. */
bool linecache_get(const char *filename, int lineno, char *buf, size_t bufsize, int *indent) {
    SourceFile *s = sources;
    while (s && strcmp(s->name, filename) != 0) s = s->next;
    if (!s) {
        FILE *f = fopen(filename, "rb");
        if (!f) return false;
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (n < 0 || n > (1L << 26)) { fclose(f); return false; }
        char *t = malloc((size_t)n + 1);
        if (!t) { fclose(f); return false; }
        size_t got = fread(t, 1, (size_t)n, f);
        fclose(f);
        linecache_add(filename, t, got);
        free(t);
        return linecache_get(filename, lineno, buf, bufsize, indent);
    }
    const char *p = s->text, *end = s->text + s->len;
    for (int l = 1; l < lineno && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return false;
        p = nl + 1;
    }
    if (p >= end && lineno > 1) return false;
    const char *e = memchr(p, '\n', (size_t)(end - p));
    if (!e) e = end;
    const char *start = p;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\f')) p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    if (indent) *indent = (int)(p - start);
    size_t n = (size_t)(e - p);
    if (n >= bufsize) n = bufsize - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return true;
}

/* ---- printing ------------------------------------------------------------------------- */
static void print_value_str(FILE *out, Value v) {
    Value s = obj_str(v);
    if (!s) { err_clear(); fputs("<exception str() failed>", out); return; }
    fwrite(STR_DATA(s), 1, STR_LEN(s), out);
    decref(s);
}

/* "ValueError: msg", with the module for classes defined outside builtins. */
static void print_exception_line(FILE *out, Value exc) {
    Type *t = TYPE_OF(exc);
    Value mod = type_lookup(t, NM.__module__);
    if (mod && IS_STR(mod) && !str_eq_cstr(mod, "builtins") && !str_eq_cstr(mod, "__main__")) {
        fwrite(STR_DATA(mod), 1, STR_LEN(mod), out);
        fputc('.', out);
    }
    if (t->qualname && IS_STR(t->qualname)) fwrite(STR_DATA(t->qualname), 1, STR_LEN(t->qualname), out);
    else fputs(t->name, out);
    Value s = obj_str(exc);
    if (!s) { err_clear(); fputs(": <exception str() failed>\n", out); return; }
    if (STR_LEN(s)) {
        fputs(": ", out);
        fwrite(STR_DATA(s), 1, STR_LEN(s), out);
    }
    fputc('\n', out);
    decref(s);
}

static void print_syntax_error_location(FILE *out, ExcObj *e) {
    if (!e->filename || !IS_STR(e->filename)) return;
    fprintf(out, "  File \"%s\", line ", STR_DATA(e->filename));
    if (e->lineno) print_value_str(out, e->lineno);
    fputc('\n', out);
    if (e->text && IS_STR(e->text)) {
        const char *t = STR_DATA(e->text);
        size_t n = STR_LEN(e->text);
        size_t skip = 0;
        while (skip < n && (t[skip] == ' ' || t[skip] == '\t' || t[skip] == '\f')) skip++;
        while (n > skip && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ')) n--;
        fprintf(out, "    %.*s\n", (int)(n - skip), t + skip);
        int64_t off = 0, end_off = 0;
        if (e->offset && IS_INT(e->offset)) off = AS_INT(e->offset);
        if (e->end_offset && IS_INT(e->end_offset)) end_off = AS_INT(e->end_offset);
        if (off > 0) {
            /* offset counts characters from 1 in the unstripped line */
            int64_t col = off - 1 - (int64_t)skip;
            if (col < 0) col = 0;
            int64_t width = 1;
            int64_t end_line = e->end_lineno && IS_INT(e->end_lineno) ? AS_INT(e->end_lineno) : 0;
            int64_t line = e->lineno && IS_INT(e->lineno) ? AS_INT(e->lineno) : 0;
            if (end_off > off && (end_line == 0 || end_line == line)) width = end_off - off;
            fputs("    ", out);
            for (int64_t i = 0; i < col; i++) fputc(' ', out);
            for (int64_t i = 0; i < width; i++) fputc('^', out);
            fputc('\n', out);
        }
    }
}

static void print_repeats(FILE *out, int count) {
    if (count > 3)
        fprintf(out, "  [Previous line repeated %d more time%s]\n", count - 3, count - 3 > 1 ? "s" : "");
}

/* The frames of a traceback, oldest first ("  File ..., line N, in f" and the line). */
static void print_tb_entries(FILE *out, Value tbv) {
    TracebackObj *tb = tbv ? (TracebackObj *)AS_OBJ(tbv) : NULL;
    /* Like CPython, show a run of identical entries (deep recursion) three
     * times and then count the rest. */
    const char *last_file = NULL;
    int last_line = -1;
    Value last_name = VNULL;
    int count = 0;
    for (; tb; tb = tb->next) {
        CodeObj *co = ((Frame *)AS_OBJ(tb->frame))->code;
        const char *file = STR_DATA(co->filename);
        bool same = last_file && strcmp(file, last_file) == 0 &&
                    tb->lineno == last_line && co->name == last_name;
        if (same) {
            if (++count > 3) continue;
        } else {
            print_repeats(out, count);
            count = 1;
        }
        last_file = file;
        last_line = tb->lineno;
        last_name = co->name;
        fprintf(out, "  File \"%s\", line %d, in %s\n", file, tb->lineno, STR_DATA(co->name));
        char buf[1024];
        if (linecache_get(file, tb->lineno, buf, sizeof buf, NULL) && buf[0]) fprintf(out, "    %s\n", buf);
    }
    print_repeats(out, count);
}

/* The exception's notes (add_note), a line each after "Type: message". */
static void print_notes(FILE *out, Value exc) {
    Value d = obj_dict_of(exc);
    Value notes = d ? dict_get(d, NM.__notes__) : VNULL;
    if (!notes) return;
    if (!IS_TYPE(notes, &ListType) && !IS_TYPE(notes, &TupleType)) {
        print_value_str(out, notes);     /* CPython: str(__notes__) when it is not a sequence */
        fputc('\n', out);
        return;
    }
    size_t n = IS_TYPE(notes, &ListType) ? LIST_LEN(notes) : TUPLE_LEN(notes);
    for (size_t i = 0; i < n; i++) {
        Value note = IS_TYPE(notes, &ListType) ? LIST_ITEMS(notes)[i] : TUPLE_ITEMS(notes)[i];
        print_value_str(out, note);
        fputc('\n', out);
    }
}

#define MAX_SEEN 1024
#define MAX_GROUP_WIDTH 15
#define MAX_GROUP_DEPTH 10

/* CPython's exception_print_context: how deep in exception groups the printing is
 * (each level indents by two and draws a margin), whether the last box is still
 * open, and the exceptions already shown (a chain is not shown twice). */
typedef struct {
    FILE *out;
    int depth;
    bool need_close;
    Value seen[MAX_SEEN];
    int nseen;
} PrintCtx;

static bool ctx_seen(PrintCtx *c, Value exc) {
    for (int i = 0; i < c->nseen; i++) if (c->seen[i] == exc) return true;
    return c->nseen >= MAX_SEEN;          /* (full: stop following chains) */
}

static void ctx_indent(PrintCtx *c) {
    for (int i = 0; i < 2 * c->depth; i++) fputc(' ', c->out);
}

/* Write text with every line prefixed by the indent and margin ("  | "), as
 * traceback.py's _ExceptionPrintContext.emit does inside a group. */
static void emit_text(PrintCtx *c, const char *text, size_t len, char margin) {
    if (!c->depth) { fwrite(text, 1, len, c->out); return; }
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        if (j < len) j++;
        ctx_indent(c);
        fputc(margin, c->out);
        fputc(' ', c->out);
        fwrite(text + i, 1, j - i, c->out);
        i = j;
    }
}

/* Run a printer into memory, then emit its text with the margin. */
static void emit_with(PrintCtx *c, void (*fn)(FILE *, Value), Value v, char margin) {
    if (!c->depth) { fn(c->out, v); return; }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) { fn(c->out, v); return; }
    fn(m, v);
    fclose(m);
    emit_text(c, buf, len, margin);
    free(buf);
}

static void emit_str(PrintCtx *c, const char *s) { emit_text(c, s, strlen(s), '|'); }

static void print_tb_with_header(FILE *out, Value tb) {
    fputs("Traceback (most recent call last):\n", out);
    print_tb_entries(out, tb);
}

static void print_exception_only(FILE *out, Value exc) {
    ExcObj *e = AS_EXC(exc);
    if (type_is_subtype(TYPE_OF(exc), &Exc_SyntaxError)) {
        print_syntax_error_location(out, e);
        Type *t = TYPE_OF(exc);
        fputs(t->name, out);
        if (e->msg && IS_STR(e->msg)) { fputs(": ", out); print_value_str(out, e->msg); }
        fputc('\n', out);
    } else {
        print_exception_line(out, exc);
    }
    print_notes(out, exc);
}

static void print_rec(PrintCtx *c, Value exc);

/* An exception group, boxed as CPython's print_exception_group draws it. */
static void print_group(PrintCtx *c, Value exc) {
    ExcObj *e = AS_EXC(exc);
    if (c->depth > MAX_GROUP_DEPTH) {
        char msg[64];
        snprintf(msg, sizeof msg, "... (max_group_depth is %d)\n", MAX_GROUP_DEPTH);
        emit_str(c, msg);
        return;
    }
    bool toplevel = c->depth == 0;
    if (toplevel) c->depth++;
    if (e->traceback) {
        static const char head[] = "Exception Group Traceback (most recent call last):\n";
        emit_text(c, head, sizeof head - 1, toplevel ? '+' : '|');
        emit_with(c, print_tb_entries, e->traceback, '|');
    }
    emit_with(c, print_exception_only, exc, '|');
    Value excs = e->value;
    size_t num = excs && IS_TYPE(excs, &TupleType) ? TUPLE_LEN(excs) : 0;
    size_t n = num <= MAX_GROUP_WIDTH ? num : MAX_GROUP_WIDTH + 1;
    c->need_close = false;
    for (size_t i = 0; i < n; i++) {
        bool last = i == n - 1;
        if (last) c->need_close = true;       /* a nested group may draw the closing line */
        bool truncated = i >= MAX_GROUP_WIDTH;
        ctx_indent(c);
        if (truncated) fprintf(c->out, "%s+---------------- ... ----------------\n", i == 0 ? "+-" : "  ");
        else fprintf(c->out, "%s+---------------- %zu ----------------\n", i == 0 ? "+-" : "  ", i + 1);
        c->depth++;
        if (!truncated) {
            print_rec(c, TUPLE_ITEMS(excs)[i]);
        } else {
            char msg[80];
            size_t rest = num - MAX_GROUP_WIDTH;
            snprintf(msg, sizeof msg, "and %zu more exception%s\n", rest, rest > 1 ? "s" : "");
            emit_str(c, msg);
        }
        if (last && c->need_close) {
            ctx_indent(c);
            fputs("+------------------------------------\n", c->out);
            c->need_close = false;
        }
        c->depth--;
    }
    if (toplevel) c->depth = 0;
}

/* One exception after the ones it was chained from (cause, or context). */
static void print_rec(PrintCtx *c, Value exc) {
    if (c->nseen < MAX_SEEN) c->seen[c->nseen++] = exc;
    ExcObj *e = AS_EXC(exc);
    Value prev = VNULL;
    const char *sep = NULL;
    if (e->cause) {
        prev = e->cause;
        sep = "\nThe above exception was the direct cause of the following exception:\n\n";
    } else if (e->context && !e->suppress_context) {
        prev = e->context;
        sep = "\nDuring handling of the above exception, another exception occurred:\n\n";
    }
    if (prev && exc_type_check(OBJ_VAL(TYPE_OF(prev))) && !ctx_seen(c, prev)) {
        print_rec(c, prev);
        emit_str(c, sep);
    }
    if (type_is_subtype(TYPE_OF(exc), &Exc_BaseExceptionGroup) && e->value) {
        print_group(c, exc);
        return;
    }
    if (e->traceback) emit_with(c, print_tb_with_header, e->traceback, '|');
    emit_with(c, print_exception_only, exc, '|');
}

void err_print(Value exc) {
    fflush(stdout);
    if (!IS_OBJ(exc) || !(TYPE_OF(exc)->flags & TF_EXCEPTION)) {
        fputs("apy: a non-exception was raised\n", stderr);
        return;
    }
    PrintCtx *c = calloc(1, sizeof *c);
    if (!c) return;
    c->out = stderr;
    print_rec(c, exc);
    free(c);
    fflush(stderr);
}

void err_print_and_clear(void) {
    Value e = err_fetch();
    if (e) { err_print(e); decref(e); }
}

void err_write_unraisable(Value exc, const char *where) {
    if (!exc) return;
    fflush(stdout);
    if (where) fprintf(stderr, "Exception ignored in: %s\n", where);
    else fputs("Exception ignored in finalizer\n", stderr);
    err_print(exc);
    decref(exc);
}
