/* frame.c — frame objects: the heap-allocated activation records.
 *
 * Owns: allocating a frame for a code object (locals, cells, free
 * variables and the value stack in one block), its GC hooks, and the
 * attributes students inspect (f_lineno, f_code, f_locals, f_back …).
 * Must not touch: execution (vm.c) or generator state (gen.c).
 */
#include <string.h>
#include "vm.h"
#include "gc.h"
#include "names.h"

/* Dead frames are kept by size for reuse: a call then costs a pop, not an
 * allocation (the GC header and the type stay as they were). The lists are
 * public for the inline fast paths in vm.h (frame_new_call, frame_release). */
#define FREE_FRAME_SLOTS FRAME_FREE_SLOTS
#define FREE_FRAMES_KEPT FRAME_FREE_KEPT
Frame *frame_free[FRAME_FREE_SLOTS + 1];
uint8_t frame_free_count[FRAME_FREE_SLOTS + 1];
#define free_frames frame_free
#define free_frames_count frame_free_count

static void frame_dealloc(Obj *o);
static void frame_clear_values(Frame *f);

static bool frame_recycle(Obj *o) {
    Frame *f = (Frame *)o;
    size_t n = f->nslots;
    if (n > FREE_FRAME_SLOTS || free_frames_count[n] >= FREE_FRAMES_KEPT) return false;
    /* On the free list every frame looks as frame_release leaves one, so
     * that frame_new_call need not set these again. */
    f->h.rc = 1;
    f->gen = NULL;
    f->is_entry = f->escaped = f->owns_ns = 0;
    f->locals = VNULL;
    f->back = free_frames[n];           /* the free list threads through `back` */
    free_frames[n] = f;
    free_frames_count[n]++;
    return true;
}

Frame *frame_new(CodeObj *code, Value func, Value globals, Value builtins, Value locals) {
    size_t nlocalsplus = (size_t)code->nlocals + code->ncells + code->nfrees;
    size_t nslots = nlocalsplus + code->stacksize;
    Frame *f;
    if (nslots <= FREE_FRAME_SLOTS && free_frames[nslots]) {
        f = free_frames[nslots];
        free_frames[nslots] = f->back;
        free_frames_count[nslots]--;
        f->h.rc = 1;
        f->back = NULL;
        f->gen = NULL;
        f->is_entry = f->escaped = 0;
        for (size_t i = 0; i < nlocalsplus; i++) f->slots[i] = VNULL;
    } else {
        /* A running frame is always reachable from the VM's chain, so the cycle
         * collector need not see it; frame_escape() tracks it once something
         * else (a generator, a traceback) can hold it. */
        f = (Frame *)gc_alloc_untracked(&FrameType, sizeof(Frame) + nslots * sizeof(Value),
                                        sizeof(Frame) + nlocalsplus * sizeof(Value));
        if (!f) return NULL;
    }
    f->code = code;
    f->func = incref(func);
    if (!func) incref(OBJ_VAL(code));         /* otherwise the function keeps its code alive */
    /* A function keeps its globals and builtins alive for as long as its frame does. */
    f->owns_ns = !func;
    f->globals = f->owns_ns ? incref(globals) : globals;
    f->builtins = f->owns_ns ? incref(builtins) : builtins;
    f->locals = incref(locals);
    f->ip = code->code;
    f->nslots = (uint16_t)nslots;
    f->sp = FRAME_STACK(f);
    f->state = FRAME_CREATED;
    return f;
}

/* frame_new_call when no dead frame of the right size is kept. */
Frame *frame_new_call_slow(CodeObj *code, Value func) {
    Frame *f = frame_new(code, func, AS_FUNC(func)->globals, AS_FUNC(func)->builtins, VNULL);
    decref(func);                   /* frame_new took its own reference */
    return f;
}

/* frame_release when the frame cannot go back on a free list. */
void frame_release_slow(Frame *f) {
    decref(OBJ_VAL(f));
}

/* Drop a finished generator's frame (its generator held the only
 * reference): when nothing else holds it, it goes straight back to the free
 * list, without the general deallocation path; every coroutine awaited
 * ends here. */
void frame_drop(Frame *f) {
    if (f->h.rc != 1 || f->owns_ns || f->locals || f->nslots > FREE_FRAME_SLOTS ||
        free_frames_count[f->nslots] >= FREE_FRAMES_KEPT) {
        decref(OBJ_VAL(f));
        return;
    }
    gc_untrack_dead(&f->h);
    frame_clear_values(f);
    clearref(&f->func);
    frame_recycle(&f->h);
}

void frame_escape(Frame *f) {
    f->escaped = 1;
    gc_track(&f->h);
}

uint32_t frame_lasti(const Frame *f) {
    if (f->ip <= f->code->code) return 0;
    return (uint32_t)(f->ip - f->code->code - 1);
}

int frame_lineno(const Frame *f) {
    if (f->state == FRAME_CREATED) return f->code->firstline;
    int l = code_line_of(f->code, frame_lasti(f));
    return l > 0 ? l : f->code->firstline;
}

static void frame_clear_values(Frame *f) {
    Value *end = f->sp ? f->sp : FRAME_STACK(f);
    for (Value *p = f->slots; p < end; p++) clearref(p);
    f->sp = FRAME_STACK(f);
}

static void frame_dealloc(Obj *o) {
    Frame *f = (Frame *)o;
    frame_clear_values(f);
    if (f->owns_ns) decref(OBJ_VAL(f->code));
    if (f->owns_ns) {
        clearref(&f->globals);
        clearref(&f->builtins);
    }
    f->globals = f->builtins = VNULL;
    clearref(&f->func);
    clearref(&f->locals);
}

static void frame_traverse(Obj *o, VisitFn visit, void *arg) {
    Frame *f = (Frame *)o;
    if (f->code && f->owns_ns) visit(OBJ_VAL(f->code), arg);
    visit(f->func, arg);
    if (f->owns_ns) {
        visit(f->globals, arg);
        visit(f->builtins, arg);
    }
    visit(f->locals, arg);
    Value *end = f->sp ? f->sp : f->slots;
    for (Value *p = f->slots; p < end; p++) visit(*p, arg);
}

static void frame_clear(Obj *o) {
    Frame *f = (Frame *)o;
    if (f->state == FRAME_EXECUTING) return;   /* never clear a running frame */
    frame_clear_values(f);
    clearref(&f->locals);
}

/* ---- attributes -------------------------------------------------------------------------- */
static Value f_lineno(Value self) { return int_from_i64(frame_lineno((Frame *)AS_OBJ(self))); }
static Value f_code(Value self) { return incref(OBJ_VAL(((Frame *)AS_OBJ(self))->code)); }
static Value f_globals(Value self) { return incref(((Frame *)AS_OBJ(self))->globals); }
static Value f_lasti(Value self) { return int_from_i64((int64_t)frame_lasti((Frame *)AS_OBJ(self)) * 2); }
static Value f_back(Value self) {
    Frame *f = (Frame *)AS_OBJ(self);
    if (!f->back) return none_new();
    frame_escape(f->back);
    return incref(OBJ_VAL(f->back));
}

/* f_locals: a fresh dict of the fast locals (the namespace dict for module/class frames). */
Value frame_locals_dict(Frame *f) {
    if (f->locals) return incref(f->locals);
    Value d = dict_new();
    if (!d) return VNULL;
    CodeObj *co = f->code;
    for (int i = 0; i < co->nlocals; i++) {
        Value v = f->slots[i];
        if (v && dict_set(d, TUPLE_ITEMS(co->varnames)[i], v) < 0) { decref(d); return VNULL; }
    }
    for (int i = 0; i < co->ncells + co->nfrees; i++) {
        Value cell = f->slots[co->nlocals + i];
        Value name = i < co->ncells ? TUPLE_ITEMS(co->cellvars)[i] : TUPLE_ITEMS(co->freevars)[i - co->ncells];
        if (cell && IS_TYPE(cell, &CellType) && AS_CELL(cell)->ref) {
            /* a parameter that is also a cell shows once, with the cell's value */
            if (dict_set(d, name, AS_CELL(cell)->ref) < 0) { decref(d); return VNULL; }
        }
    }
    return d;
}

static Value f_locals(Value self) { return frame_locals_dict((Frame *)AS_OBJ(self)); }

static Value frame_repr(Value self) {
    Frame *f = (Frame *)AS_OBJ(self);
    return str_from_fmt("<frame at %p, file '%S', line %d, code %S>", (void *)self, f->code->filename,
                        frame_lineno(f), f->code->name);
}

static const GetSetDef frame_getsets[] = {
    { "f_lineno", f_lineno, NULL }, { "f_code", f_code, NULL }, { "f_globals", f_globals, NULL },
    { "f_locals", f_locals, NULL }, { "f_back", f_back, NULL }, { "f_lasti", f_lasti, NULL },
    { NULL, NULL, NULL }
};

Type FrameType = {
    STATIC_TYPE_HEAD, .name = "frame", .flags = TF_GC, .size = sizeof(Frame),
    .dealloc = frame_dealloc, .traverse = frame_traverse, .clear = frame_clear, .repr = frame_repr,
    .recycle = frame_recycle,
};

void frame_init_types(void) {
    type_add_getsets(&FrameType, frame_getsets);
    type_ready(&FrameType);
}
