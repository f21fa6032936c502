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

Frame *frame_new(CodeObj *code, Value func, Value globals, Value builtins, Value locals) {
    size_t nslots = (size_t)code->nlocals + code->ncells + code->nfrees + code->stacksize;
    Frame *f = (Frame *)gc_alloc(&FrameType, sizeof(Frame) + nslots * sizeof(Value));
    if (!f) return NULL;
    f->code = code;
    incref(OBJ_VAL(code));
    f->func = incref(func);
    f->globals = incref(globals);
    f->builtins = incref(builtins);
    f->locals = incref(locals);
    f->ip = code->code;
    f->nslots = (uint16_t)nslots;
    f->sp = FRAME_STACK(f);
    f->state = FRAME_CREATED;
    f->lineno = code->firstline;
    return f;
}

uint32_t frame_lasti(const Frame *f) {
    if (f->ip <= f->code->code) return 0;
    return (uint32_t)(f->ip - f->code->code - 1);
}

int frame_lineno(const Frame *f) {
    if (f->state == FRAME_CREATED) return f->code->firstline;
    if (f->state == FRAME_COMPLETED) return f->lineno;
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
    decref(OBJ_VAL(f->code));
    clearref(&f->func);
    clearref(&f->globals);
    clearref(&f->builtins);
    clearref(&f->locals);
}

static void frame_traverse(Obj *o, VisitFn visit, void *arg) {
    Frame *f = (Frame *)o;
    if (f->code) visit(OBJ_VAL(f->code), arg);
    visit(f->func, arg);
    visit(f->globals, arg);
    visit(f->builtins, arg);
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
    f->back->escaped = 1;
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
};

void frame_init_types(void) {
    type_add_getsets(&FrameType, frame_getsets);
    type_ready(&FrameType);
}
