/* compiler.c — from the tree to bytecode.
 *
 * Owns: code generation for every statement and expression, the block
 * stack used to unwind `return`/`break`/`continue` through `finally`,
 * `with` and loops, exception tables (which handler covers which
 * instructions, at what stack depth), line tables, constant folding of the
 * simplest kind, and compile-time SyntaxErrors.
 * Must not touch: scope decisions (symtable.c) or execution (vm.c).
 *
 * Stack depths are tracked while emitting: every instruction's effect comes
 * from the table in opcodes.h; a jump records the depth at its target; a
 * label placed after an unconditional jump takes the depth recorded there;
 * statements leave the stack as they found it.
 *
 * Exception handling follows CPython 3.11 ("zero-cost"): no setup
 * instructions run; each instruction remembers the innermost handler that
 * covers it, and the assembler turns those into ranges. On an exception the
 * VM pops the stack to the handler's depth, pushes the exception and jumps.
 *
 *   try body        handler H (depth d)      →  H: [exc]
 *   H: PUSH_EXC_INFO                               [prev, exc]      (exc is now "being handled")
 *      <match, store name, handler body>      cleanup C (depth d+1)
 *      POP_EXCEPT                                  []               (restore prev)
 *   C: SWAP 2; POP_EXCEPT; RERAISE 0               an error inside a handler
 */
#include <string.h>
#include <stdlib.h>
#include <stdarg.h>
#include "compiler.h"
#include "symtable.h"
#include "opcodes.h"
#include "object.h"
#include "vm.h"
#include "gc.h"
#include "names.h"
#include "errors.h"

#define MAX_FBLOCKS 20
#define MAX_NESTING 3000     /* recursion on the tree: beyond it, RecursionError like CPython */

typedef struct {
    uint32_t op, arg;        /* jumps: arg is a label until assembly */
    int line, col, end_line, end_col;
    int handler;             /* index into handlers, -1 = none */
} Instr;

typedef struct { int label; int depth; } Handler;

typedef enum {
    FB_WHILE, FB_FOR, FB_ASYNC_FOR, FB_TRY_EXCEPT, FB_FINALLY_TRY, FB_FINALLY_END,
    FB_WITH, FB_ASYNC_WITH, FB_HANDLER_CLEANUP, FB_POP_VALUE
} FBKind;

typedef struct {
    FBKind kind;
    int start, exit;         /* loops: continue and break targets */
    Node *node;              /* FINALLY_TRY: the Try node (its finalbody) */
    const char *name;        /* HANDLER_CLEANUP: the `as` name, or NULL */
    int hdepth;              /* handler-stack height when the block began */
} FBlock;

typedef struct Unit {
    struct Unit *prev;
    Scope *scope;
    Instr *ins; int nins, capins;
    int *labels; int *label_depth; int nlabels, caplabels;
    Handler *handlers; int nhandlers, caphandlers;
    int hstack[64]; int nhstack;
    FBlock fblocks[MAX_FBLOCKS]; int nfblocks;
    Value consts, const_index;       /* list, dict for de-duplication */
    Value names, name_index;         /* list of str, dict str -> index */
    Value varnames, cellvars, freevars; /* lists of str */
    int depth, maxdepth;
    int line, col, end_line, end_col;
    Value qualname;
    const char *name;
    int firstline;
    uint32_t flags;
    int argcount, posonly, kwonly;
} Unit;

typedef struct {
    Unit *u;
    Scope *root;
    const char *filename;
    int flags;
    SyntaxErr *err;
    bool failed;
    int nesting;
    Arena *arena;
} Compiler;

/* ======================================================================================
 * Errors
 * ====================================================================================== */
/* The offending source line, for the traceback's quote and SyntaxError.text. */
static void error_text(SyntaxErr *e) {
    char buf[1024];
    int indent = 0;
    if (e->text || !e->line || !linecache_get(e->filename, e->line, buf, sizeof buf, &indent)) return;
    size_t n = strlen(buf);
    e->text = malloc((size_t)indent + n + 1);
    if (e->text) {
        memset(e->text, ' ', (size_t)indent);
        memcpy(e->text + indent, buf, n + 1);
    }
}

static void compile_error(Compiler *c, Node *at, const char *fmt, ...) {
    if (c->failed) return;
    c->failed = true;
    if (err_occurred()) return;            /* a Python exception (MemoryError …) wins */
    SyntaxErr *e = c->err;
    memset(e, 0, sizeof *e);
    e->kind = SE_SYNTAX;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    snprintf(e->filename, sizeof e->filename, "%s", c->filename);
    if (at) {
        e->line = at->line;
        e->col = at->col + 1;
        e->end_line = at->end_line;
        e->end_col = at->end_col + 1;
        error_text(e);
    }
}

static void out_of_memory(Compiler *c) {
    c->failed = true;
    if (!err_occurred()) err_no_memory();
}

/* ======================================================================================
 * Emitting
 * ====================================================================================== */
static int new_label(Compiler *c) {
    Unit *u = c->u;
    if (u->nlabels == u->caplabels) {
        int nc = u->caplabels ? u->caplabels * 2 : 32;
        int *nl = realloc(u->labels, sizeof(int) * (size_t)nc);
        int *nd = realloc(u->label_depth, sizeof(int) * (size_t)nc);
        if (!nl || !nd) { free(nl == u->labels ? NULL : nl); out_of_memory(c); return 0; }
        u->labels = nl;
        u->label_depth = nd;
        u->caplabels = nc;
    }
    u->labels[u->nlabels] = -1;
    u->label_depth[u->nlabels] = -1;
    return u->nlabels++;
}

static void note_depth(Unit *u) {
    if (u->depth > u->maxdepth) u->maxdepth = u->depth;
}

static void place_label(Compiler *c, int label) {
    Unit *u = c->u;
    if (c->failed) return;
    u->labels[label] = u->nins;
    if (u->label_depth[label] >= 0) u->depth = u->label_depth[label];
}

static void set_label_depth(Unit *u, int label, int depth) {
    if (u->label_depth[label] < depth) u->label_depth[label] = depth;
    if (depth > u->maxdepth) u->maxdepth = depth;
}

static void emit(Compiler *c, Opcode op, uint32_t arg) {
    Unit *u = c->u;
    if (c->failed) return;
    if (arg > MAX_ARG) { compile_error(c, NULL, "too many constants or names"); return; }
    if (u->nins == u->capins) {
        int nc = u->capins ? u->capins * 2 : 64;
        Instr *ni = realloc(u->ins, sizeof(Instr) * (size_t)nc);
        if (!ni) { out_of_memory(c); return; }
        u->ins = ni;
        u->capins = nc;
    }
    Instr *i = &u->ins[u->nins++];
    i->op = op;
    i->arg = arg;
    i->line = u->line;
    i->col = u->col;
    i->end_line = u->end_line;
    i->end_col = u->end_col;
    i->handler = u->nhstack ? u->hstack[u->nhstack - 1] : -1;
    if (opcode_is_jump(op)) set_label_depth(u, (int)arg, u->depth + opcode_stack_effect(op, arg, 1));
    u->depth += opcode_stack_effect(op, arg, 0);
    note_depth(u);
}

#define EMIT(op) emit(c, OP_##op, 0)
#define EMIT_ARG(op, a) emit(c, OP_##op, (uint32_t)(a))

/* Handlers: `label` is where control goes, with the stack cut to `depth`
 * and the exception pushed. */
static void push_handler(Compiler *c, int label, int depth) {
    Unit *u = c->u;
    if (c->failed) return;
    if (u->nhstack >= 64) { compile_error(c, NULL, "too many statically nested blocks"); return; }
    if (u->nhandlers == u->caphandlers) {
        int nc = u->caphandlers ? u->caphandlers * 2 : 16;
        Handler *nh = realloc(u->handlers, sizeof(Handler) * (size_t)nc);
        if (!nh) { out_of_memory(c); return; }
        u->handlers = nh;
        u->caphandlers = nc;
    }
    u->handlers[u->nhandlers] = (Handler){ label, depth };
    u->hstack[u->nhstack++] = u->nhandlers++;
    set_label_depth(u, label, depth + 1);
}

static void pop_handler(Compiler *c) {
    if (c->u->nhstack > 0) c->u->nhstack--;
}

static FBlock *push_fblock(Compiler *c, Node *at, FBKind kind, int start, int exit) {
    Unit *u = c->u;
    if (u->nfblocks >= MAX_FBLOCKS) {
        compile_error(c, at, "too many statically nested blocks");
        return NULL;
    }
    FBlock *f = &u->fblocks[u->nfblocks++];
    f->kind = kind;
    f->start = start;
    f->exit = exit;
    f->node = at;
    f->name = NULL;
    f->hdepth = u->nhstack;
    return f;
}

static void pop_fblock(Compiler *c) {
    if (c->u->nfblocks > 0) c->u->nfblocks--;
}

/* Positions: each node compiled sets the position the next instructions carry. */
typedef struct { int line, col, end_line, end_col; } Pos;

static Pos set_pos(Compiler *c, Node *n) {
    Unit *u = c->u;
    Pos old = { u->line, u->col, u->end_line, u->end_col };
    if (n) {
        u->line = n->line;
        u->col = n->col;
        u->end_line = n->end_line;
        u->end_col = n->end_col;
    }
    return old;
}

static void restore_pos(Compiler *c, Pos p) {
    Unit *u = c->u;
    u->line = p.line; u->col = p.col; u->end_line = p.end_line; u->end_col = p.end_col;
}

/* ======================================================================================
 * Constants and names
 * ====================================================================================== */
static int add_const_raw(Compiler *c, Value v) {
    Unit *u = c->u;
    if (!v) { out_of_memory(c); return 0; }
    int idx = (int)LIST_LEN(u->consts);
    if (list_append(u->consts, v) < 0) { out_of_memory(c); return 0; }
    return idx;
}

/* Steals v. Equal ints, strs and bytes share a slot (keyed with their type,
 * so that 1, 1.0 and True stay apart). */
static int add_const(Compiler *c, Value v) {
    Unit *u = c->u;
    if (!v) { out_of_memory(c); return 0; }
    bool dedupe = IS_INT(v) || IS_STR(v) || IS_TYPE(v, &BytesType) || v == None || v == True_ ||
                  v == False_ || v == Ellipsis;
    if (!dedupe) { int i = add_const_raw(c, v); decref(v); return i; }
    Value key = tuple_pack(2, OBJ_VAL(TYPE_OF(v)), v);
    if (!key) { decref(v); out_of_memory(c); return 0; }
    Value found = dict_get(u->const_index, key);
    if (found) { decref(key); decref(v); return (int)AS_INT(found); }
    if (err_occurred()) { decref(key); decref(v); c->failed = true; return 0; }
    int idx = add_const_raw(c, v);
    dict_set(u->const_index, key, MK_INT(idx));
    decref(key);
    decref(v);
    return idx;
}

static int add_name_value(Compiler *c, Value name) {
    Unit *u = c->u;
    Value found = dict_get(u->name_index, name);
    if (found) return (int)AS_INT(found);
    int idx = (int)LIST_LEN(u->names);
    if (list_append(u->names, name) < 0 || dict_set(u->name_index, name, MK_INT(idx)) < 0) {
        out_of_memory(c);
        return 0;
    }
    return idx;
}

/* Private names: `__x` inside class C is `_C__x` (see symtable_mangle). CPython
 * mangles every name an instruction refers to: variables, attributes, imports. */
static const char *mangle(Compiler *c, const char *name) {
    return symtable_mangle(c->arena, c->u->scope, name);
}

static int add_name(Compiler *c, const char *name) {
    name = mangle(c, name);
    Value s = str_intern_cstr(name);
    if (!s) { out_of_memory(c); return 0; }
    return add_name_value(c, s);
}

static int index_in(Value list, const char *name) {
    for (size_t i = 0; i < LIST_LEN(list); i++)
        if (str_eq_cstr(LIST_ITEMS(list)[i], name)) return (int)i;
    return -1;
}

static void load_const(Compiler *c, Value v) { EMIT_ARG(LOAD_CONST, add_const(c, v)); }
static void load_none(Compiler *c) { load_const(c, none_new()); }

/* A constant from the tree. */
static Value constant_value(Compiler *c, const Constant *k) {
    switch (k->kind) {
    case CONST_NONE: return none_new();
    case CONST_TRUE: return bool_new(1);
    case CONST_FALSE: return bool_new(0);
    case CONST_ELLIPSIS: return incref(Ellipsis);
    case CONST_INT: {
        Value v = int_from_string(k->s, k->len, k->base);
        if (!v) c->failed = true;
        return v;
    }
    case CONST_FLOAT: return float_new(k->f);
    case CONST_IMAG: return complex_new(0.0, k->f);
    case CONST_STR: return str_new(k->s, k->len);
    case CONST_BYTES: return bytes_new(k->s, k->len);
    }
    return VNULL;
}

/* ======================================================================================
 * Units
 * ====================================================================================== */
static Value make_qualname(Compiler *c, Scope *s, const char *name) {
    /* CPython: parent qualname + "." (+ "<locals>." for functions) + name */
    Unit *p = c->u;
    if (!p || p->scope->kind == SCOPE_MODULE) return str_from_cstr(name);
    if (s->kind != SCOPE_CLASS && s->kind != SCOPE_FUNCTION) return str_from_cstr(name);
    /* A global declaration of the name at module level keeps it unqualified. */
    if (p->scope->kind == SCOPE_FUNCTION)
        return str_from_fmt("%S.<locals>.%s", p->qualname, name);
    return str_from_fmt("%S.%s", p->qualname, name);
}

static bool enter_unit(Compiler *c, Scope *s, const char *name, int firstline) {
    Unit *u = calloc(1, sizeof *u);
    if (!u) { out_of_memory(c); return false; }
    u->scope = s;
    u->name = name;
    u->firstline = firstline;
    u->line = firstline;
    u->consts = list_new(0);
    u->const_index = dict_new();
    u->names = list_new(0);
    u->name_index = dict_new();
    u->varnames = list_new(0);
    u->cellvars = list_new(0);
    u->freevars = list_new(0);
    u->qualname = s->kind == SCOPE_MODULE ? str_from_cstr(name) : make_qualname(c, s, name);
    if (!u->consts || !u->const_index || !u->names || !u->name_index || !u->varnames ||
        !u->cellvars || !u->freevars || !u->qualname) {
        out_of_memory(c);
        free(u);
        return false;
    }
    /* Locals: parameters first, then the other locals in order of appearance. */
    if (s->kind == SCOPE_FUNCTION) {
        for (int i = 0; i < s->nparams; i++) list_append(u->varnames, str_intern_cstr(s->params[i]));
        for (int i = 0; i < s->nsyms; i++) {
            Symbol *sym = &s->syms[i];
            if ((sym->scope == NAME_LOCAL || sym->scope == NAME_CELL) && !(sym->flags & DEF_PARAM))
                if (sym->scope == NAME_LOCAL) list_append(u->varnames, str_intern_cstr(sym->name));
        }
    }
    for (int i = 0; i < s->nsyms; i++) {
        Symbol *sym = &s->syms[i];
        if (sym->scope == NAME_CELL) list_append(u->cellvars, str_intern_cstr(sym->name));
    }
    if (s->kind == SCOPE_CLASS && s->needs_class_cell) list_append(u->cellvars, str_intern_cstr("__class__"));
    for (int i = 0; i < s->nsyms; i++) {
        Symbol *sym = &s->syms[i];
        if (sym->scope == NAME_FREE || (sym->flags & DEF_FREE_CLASS))
            if (index_in(u->freevars, sym->name) < 0) list_append(u->freevars, str_intern_cstr(sym->name));
    }
    u->prev = c->u;
    c->u = u;
    return true;
}

static void free_unit(Unit *u) {
    free(u->ins); free(u->labels); free(u->label_depth); free(u->handlers);
    decref(u->consts); decref(u->const_index); decref(u->names); decref(u->name_index);
    decref(u->varnames); decref(u->cellvars); decref(u->freevars); decref(u->qualname);
    free(u);
}

static Value list_to_tuple_owned(Value l) {
    Value t = tuple_from_array(LIST_ITEMS(l), LIST_LEN(l));
    return t;
}

/* Resolve labels, build the exception and line tables, make the CodeObj. */
static Value assemble(Compiler *c) {
    Unit *u = c->u;
    if (c->failed) return VNULL;
    CodeObj *co = code_new();
    if (!co) { out_of_memory(c); return VNULL; }
    co->ncode = (uint32_t)u->nins;
    co->code = gc_malloc(sizeof(uint32_t) * (size_t)(u->nins ? u->nins : 1));
    if (!co->code) goto oom;
    for (int i = 0; i < u->nins; i++) {
        Instr *in = &u->ins[i];
        uint32_t arg = in->arg;
        if (opcode_is_jump((Opcode)in->op)) arg = (uint32_t)u->labels[arg];
        co->code[i] = INSTR(in->op, arg);
    }
    /* exception table: runs of instructions with the same handler */
    int nexc = 0;
    for (int i = 0; i < u->nins; i++)
        if (u->ins[i].handler >= 0 && (i == 0 || u->ins[i - 1].handler != u->ins[i].handler)) nexc++;
    if (nexc) {
        co->exctable = gc_malloc(sizeof(ExcEntry) * (size_t)nexc);
        if (!co->exctable) goto oom;
        int k = 0;
        for (int i = 0; i < u->nins;) {
            int h = u->ins[i].handler;
            int j = i + 1;
            while (j < u->nins && u->ins[j].handler == h) j++;
            if (h >= 0) {
                co->exctable[k].start = (uint32_t)i;
                co->exctable[k].end = (uint32_t)j;
                co->exctable[k].target = (uint32_t)u->labels[u->handlers[h].label];
                co->exctable[k].depth = (uint16_t)u->handlers[h].depth;
                co->exctable[k].lasti = 0;
                k++;
            }
            i = j;
        }
        co->nexc = (uint32_t)k;
    }
    /* line table: runs of the same position */
    int nlines = 0;
    for (int i = 0; i < u->nins; i++) {
        Instr *a = &u->ins[i], *b = i ? &u->ins[i - 1] : NULL;
        if (!b || a->line != b->line || a->col != b->col || a->end_line != b->end_line || a->end_col != b->end_col) nlines++;
    }
    if (nlines) {
        co->lines = gc_malloc(sizeof(LineEntry) * (size_t)nlines);
        if (!co->lines) goto oom;
        int k = 0;
        for (int i = 0; i < u->nins; i++) {
            Instr *a = &u->ins[i], *b = i ? &u->ins[i - 1] : NULL;
            if (!b || a->line != b->line || a->col != b->col || a->end_line != b->end_line || a->end_col != b->end_col) {
                co->lines[k++] = (LineEntry){ (uint32_t)i, a->line, a->col, a->end_line, a->end_col };
            }
        }
        co->nlines = (uint32_t)k;
    }
    co->flags = u->flags;
    co->argcount = (uint16_t)u->argcount;
    co->posonlyargcount = (uint16_t)u->posonly;
    co->kwonlyargcount = (uint16_t)u->kwonly;
    co->nlocals = (uint16_t)LIST_LEN(u->varnames);
    co->ncells = (uint16_t)LIST_LEN(u->cellvars);
    co->nfrees = (uint16_t)LIST_LEN(u->freevars);
    co->stacksize = (uint16_t)(u->maxdepth + 2);
    co->plain_argc = co->kwonlyargcount || co->ncells || co->nfrees || (co->flags & (CO_VARARGS | CO_VARKEYWORDS))
                     ? -1 : co->argcount;
    co->firstline = u->firstline;
    co->consts = list_to_tuple_owned(u->consts);
    co->names = list_to_tuple_owned(u->names);
    co->varnames = list_to_tuple_owned(u->varnames);
    co->cellvars = list_to_tuple_owned(u->cellvars);
    co->freevars = list_to_tuple_owned(u->freevars);
    co->name = str_from_cstr(u->name);
    co->qualname = incref(u->qualname);
    co->filename = str_from_cstr(c->filename);
    if (!co->consts || !co->names || !co->varnames || !co->cellvars || !co->freevars || !co->name || !co->filename)
        goto oom;
    if (u->maxdepth > 60000 || LIST_LEN(u->varnames) + LIST_LEN(u->cellvars) + LIST_LEN(u->freevars) > 60000) {
        decref(OBJ_VAL(co));
        compile_error(c, NULL, "too many local variables or too deep an expression");
        return VNULL;
    }
    /* Cells that are also arguments start with the argument's value. */
    if (co->ncells) {
        bool any = false;
        int32_t *c2a = gc_malloc(sizeof(int32_t) * co->ncells);
        if (!c2a) goto oom;
        for (int i = 0; i < co->ncells; i++) {
            c2a[i] = -1;
            Value name = TUPLE_ITEMS(co->cellvars)[i];
            for (int j = 0; j < co->nlocals; j++) {
                if (TUPLE_ITEMS(co->varnames)[j] == name) {
                    int nargs = co->argcount + co->kwonlyargcount + !!(co->flags & CO_VARARGS) + !!(co->flags & CO_VARKEYWORDS);
                    if (j < nargs) { c2a[i] = j; any = true; }
                }
            }
        }
        if (any) co->cell2arg = c2a;
        else gc_free(c2a);
    }
    return OBJ_VAL(co);
oom:
    decref(OBJ_VAL(co));
    out_of_memory(c);
    return VNULL;
}

static Value leave_unit(Compiler *c) {
    Value co = assemble(c);
    Unit *u = c->u;
    c->u = u->prev;
    free_unit(u);
    return co;
}

/* ======================================================================================
 * Names
 * ====================================================================================== */
typedef enum { ACC_LOAD, ACC_STORE, ACC_DEL } Access;

static int deref_index(Unit *u, const char *name) {
    int i = index_in(u->cellvars, name);
    if (i >= 0) return i;
    i = index_in(u->freevars, name);
    return i >= 0 ? (int)LIST_LEN(u->cellvars) + i : -1;
}

static void compile_name(Compiler *c, const char *name, Access acc, Node *at) {
    Unit *u = c->u;
    Scope *s = u->scope;
    if (strcmp(name, "__debug__") == 0 && acc != ACC_LOAD) {
        compile_error(c, at, acc == ACC_DEL ? "cannot delete __debug__" : "cannot assign to __debug__");
        return;
    }
    name = mangle(c, name);
    NameScope ns = symtable_name_scope(s, name);
    static const Opcode fast[] = { OP_LOAD_FAST, OP_STORE_FAST, OP_DELETE_FAST };
    static const Opcode deref[] = { OP_LOAD_DEREF, OP_STORE_DEREF, OP_DELETE_DEREF };
    static const Opcode global[] = { OP_LOAD_GLOBAL, OP_STORE_GLOBAL, OP_DELETE_GLOBAL };
    static const Opcode byname[] = { OP_LOAD_NAME, OP_STORE_NAME, OP_DELETE_NAME };
    if (s->kind == SCOPE_FUNCTION) {
        switch (ns) {
        case NAME_LOCAL: {
            int i = index_in(u->varnames, name);
            if (i >= 0) { emit(c, fast[acc], (uint32_t)i); return; }
            break;
        }
        case NAME_CELL: case NAME_FREE: {
            int i = deref_index(u, name);
            if (i >= 0) { emit(c, deref[acc], (uint32_t)i); return; }
            break;
        }
        default: break;
        }
        emit(c, global[acc], (uint32_t)add_name(c, name));
        return;
    }
    if (s->kind == SCOPE_CLASS) {
        if (ns == NAME_GLOBAL_EXPLICIT) { emit(c, global[acc], (uint32_t)add_name(c, name)); return; }
        /* A name bound in the class body is a class local (LOAD_NAME) even when a
         * method captures the outer variable of the same name (DEF_FREE_CLASS). */
        if (ns == NAME_FREE && acc == ACC_LOAD) {
            int i = deref_index(u, name);
            if (i >= 0) { EMIT_ARG(LOAD_CLASSDEREF, i); return; }
        }
        if (ns == NAME_FREE && acc != ACC_LOAD) {
            int i = deref_index(u, name);
            if (i >= 0) { emit(c, deref[acc], (uint32_t)i); return; }
        }
        emit(c, byname[acc], (uint32_t)add_name(c, name));
        return;
    }
    if (ns == NAME_GLOBAL_EXPLICIT) emit(c, global[acc], (uint32_t)add_name(c, name));
    else emit(c, byname[acc], (uint32_t)add_name(c, name));
}

/* ======================================================================================
 * Expressions
 * ====================================================================================== */
static void compile_expr(Compiler *c, Node *n);
static void compile_stmts(Compiler *c, NodeList *l);
static void compile_store(Compiler *c, Node *target);
static void compile_function_body(Compiler *c, Node *n, Scope *s);
static void compile_make_closure(Compiler *c, Value code, Scope *child, uint32_t flags);

static bool enter_nesting(Compiler *c) {
    if (++c->nesting > MAX_NESTING) {
        if (!c->failed) {
            c->failed = true;
            err_format(&Exc_RecursionError, "maximum recursion depth exceeded during compilation");
        }
        return false;
    }
    return true;
}

static bool is_const_node(Node *n) {
    if (n->kind == N_Constant) return true;
    if (n->kind == N_Tuple) {
        for (int i = 0; i < n->v.seq.elts.len; i++)
            if (!is_const_node(n->v.seq.elts.items[i])) return false;
        return true;
    }
    if (n->kind == N_UnaryOp && n->v.unaryop.op == UOP_USUB && n->v.unaryop.operand->kind == N_Constant) {
        ConstKind k = n->v.unaryop.operand->v.constant.kind;
        return k == CONST_INT || k == CONST_FLOAT || k == CONST_IMAG;
    }
    return false;
}

/* The value of a constant tree (see is_const_node). */
static Value const_of(Compiler *c, Node *n) {
    if (n->kind == N_Constant) return constant_value(c, &n->v.constant);
    if (n->kind == N_UnaryOp) {
        Value v = const_of(c, n->v.unaryop.operand);
        if (!v) return VNULL;
        Value r = obj_unop(v, UNOP_NEG);
        decref(v);
        return r;
    }
    size_t len = (size_t)n->v.seq.elts.len;
    Value t = tuple_new(len);
    if (!t) return VNULL;
    for (size_t i = 0; i < len; i++) {
        Value v = const_of(c, n->v.seq.elts.items[i]);
        if (!v) { decref(t); return VNULL; }
        TUPLE_ITEMS(t)[i] = v;
    }
    return t;
}

static bool has_starred(NodeList *l) {
    for (int i = 0; i < l->len; i++) if (l->items[i]->kind == N_Starred) return true;
    return false;
}

/* Build a list/tuple/set from elements that may include *starred ones. */
static void compile_sequence(Compiler *c, NodeList *elts, Opcode build, bool to_tuple) {
    if (!has_starred(elts)) {
        for (int i = 0; i < elts->len; i++) compile_expr(c, elts->items[i]);
        emit(c, build, (uint32_t)elts->len);
        return;
    }
    bool is_set = build == OP_BUILD_SET;
    emit(c, is_set ? OP_BUILD_SET : OP_BUILD_LIST, 0);
    for (int i = 0; i < elts->len; i++) {
        Node *e = elts->items[i];
        if (e->kind == N_Starred) {
            compile_expr(c, e->v.starred.value);
            emit(c, is_set ? OP_SET_UPDATE : OP_LIST_EXTEND, 1);
        } else {
            compile_expr(c, e);
            emit(c, is_set ? OP_SET_ADD : OP_LIST_APPEND, 1);
        }
    }
    if (to_tuple) EMIT(LIST_TO_TUPLE);
}

static void compile_dict(Compiler *c, Node *n) {
    NodeList *keys = &n->v.dict.keys, *vals = &n->v.dict.values;
    bool simple = true;
    for (int i = 0; i < keys->len; i++) if (!keys->items[i]) simple = false;
    if (simple && keys->len < 64) {
        for (int i = 0; i < keys->len; i++) {
            compile_expr(c, keys->items[i]);
            compile_expr(c, vals->items[i]);
        }
        EMIT_ARG(BUILD_MAP, keys->len);
        return;
    }
    EMIT_ARG(BUILD_MAP, 0);
    for (int i = 0; i < keys->len; i++) {
        if (keys->items[i]) {
            compile_expr(c, keys->items[i]);
            compile_expr(c, vals->items[i]);
            EMIT_ARG(MAP_ADD, 1);
        } else {
            compile_expr(c, vals->items[i]);
            EMIT_ARG(DICT_UPDATE, 1);
        }
    }
}

/* The SEND/YIELD loop behind `await` and `yield from`: [iter] -> [result]. */
static void compile_delegate(Compiler *c) {
    int l_send = new_label(c), l_exit = new_label(c);
    load_none(c);
    place_label(c, l_send);
    EMIT_ARG(SEND, l_exit);
    EMIT_ARG(YIELD_VALUE, 1);
    EMIT_ARG(JUMP, l_send);
    place_label(c, l_exit);
}

static void compile_await_value(Compiler *c, int where) {
    EMIT_ARG(GET_AWAITABLE, where);
    compile_delegate(c);
}

static void compile_compare(Compiler *c, Node *n) {
    int nops = n->v.compare.comparators.len;
    compile_expr(c, n->v.compare.left);
    int l_cleanup = nops > 1 ? new_label(c) : -1;
    for (int i = 0; i < nops; i++) {
        compile_expr(c, n->v.compare.comparators.items[i]);
        if (i < nops - 1) {
            EMIT_ARG(SWAP, 2);
            EMIT_ARG(COPY, 2);
        }
        switch (n->v.compare.ops[i]) {
        case CMP_EQ: EMIT_ARG(COMPARE_OP, RC_EQ); break;
        case CMP_NOTEQ: EMIT_ARG(COMPARE_OP, RC_NE); break;
        case CMP_LT: EMIT_ARG(COMPARE_OP, RC_LT); break;
        case CMP_LTE: EMIT_ARG(COMPARE_OP, RC_LE); break;
        case CMP_GT: EMIT_ARG(COMPARE_OP, RC_GT); break;
        case CMP_GTE: EMIT_ARG(COMPARE_OP, RC_GE); break;
        case CMP_IS: EMIT_ARG(IS_OP, 0); break;
        case CMP_ISNOT: EMIT_ARG(IS_OP, 1); break;
        case CMP_IN: EMIT_ARG(CONTAINS_OP, 0); break;
        case CMP_NOTIN: EMIT_ARG(CONTAINS_OP, 1); break;
        }
        if (i < nops - 1) EMIT_ARG(JUMP_IF_FALSE_OR_POP, l_cleanup);
    }
    if (nops > 1) {
        int l_end = new_label(c);
        EMIT_ARG(JUMP, l_end);
        place_label(c, l_cleanup);
        EMIT_ARG(SWAP, 2);
        EMIT(POP_TOP);
        place_label(c, l_end);
    }
}

/* Keyword names of a call as a constant tuple; checks for repeats. */
static Value kwnames_tuple(Compiler *c, NodeList *kws) {
    Value t = tuple_new((size_t)kws->len);
    if (!t) { out_of_memory(c); return VNULL; }
    for (int i = 0; i < kws->len; i++) {
        const char *name = kws->items[i]->v.keyword.arg;
        for (int j = 0; j < i; j++) {
            if (strcmp(kws->items[j]->v.keyword.arg, name) == 0) {
                decref(t);
                compile_error(c, kws->items[i], "keyword argument repeated: %s", name);
                return VNULL;
            }
        }
        TUPLE_ITEMS(t)[i] = incref(str_intern_cstr(name));
    }
    return t;
}

/* CPython's forbidden_name: no parameter, keyword or attribute may be
 * assigned under the name __debug__; the error points at `at`. */
static bool debug_name(Compiler *c, const char *name, Node *at) {
    if (!name || strcmp(name, "__debug__") != 0) return false;
    compile_error(c, at, "cannot assign to __debug__");
    return true;
}

static bool debug_in_args(Compiler *c, Node *args, Node *at) {
    NodeList *lists[] = { &args->v.arguments.posonlyargs, &args->v.arguments.args, &args->v.arguments.kwonlyargs };
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < lists[l]->len; i++)
            if (debug_name(c, lists[l]->items[i]->v.arg.arg, at)) return true;
    if (args->v.arguments.vararg && debug_name(c, args->v.arguments.vararg->v.arg.arg, at)) return true;
    return args->v.arguments.kwarg && debug_name(c, args->v.arguments.kwarg->v.arg.arg, at);
}

static void compile_call(Compiler *c, Node *n) {
    Node *func = n->v.call.func;
    NodeList *args = &n->v.call.args, *kws = &n->v.call.keywords;
    for (int i = 0; i < kws->len; i++)
        if (debug_name(c, kws->items[i]->v.keyword.arg, n)) return;
    bool dynamic = has_starred(args);
    for (int i = 0; i < kws->len; i++) if (!kws->items[i]->v.keyword.arg) dynamic = true;
    if (!dynamic) {
        bool method = func->kind == N_Attribute;
        if (method) {
            compile_expr(c, func->v.attribute.value);
            Pos p = set_pos(c, func);
            EMIT_ARG(LOAD_METHOD, add_name(c, func->v.attribute.attr));
            restore_pos(c, p);
        } else {
            compile_expr(c, func);
        }
        for (int i = 0; i < args->len; i++) compile_expr(c, args->items[i]);
        for (int i = 0; i < kws->len; i++) compile_expr(c, kws->items[i]->v.keyword.value);
        int total = args->len + kws->len;
        if (kws->len) {
            Value names = kwnames_tuple(c, kws);
            if (!names) return;
            load_const(c, names);
            if (method) EMIT_ARG(CALL_METHOD_KW, total); else EMIT_ARG(CALL_KW, total);
        } else {
            if (method) EMIT_ARG(CALL_METHOD, total); else EMIT_ARG(CALL, total);
        }
        return;
    }
    /* f(*a, **k): build a tuple and a dict, then CALL_EX. */
    compile_expr(c, func);
    if (args->len == 1 && args->items[0]->kind == N_Starred) {
        /* f(*x): CALL_EX takes x as it is (a tuple passes straight through) and
         * names f if x is not iterable, as CPython does */
        compile_expr(c, args->items[0]->v.starred.value);
    } else {
        compile_sequence(c, args, OP_BUILD_TUPLE, true);
    }
    if (kws->len) {
        bool seen_mapping = false;
        EMIT_ARG(BUILD_MAP, 0);
        for (int i = 0; i < kws->len; i++) {
            Node *k = kws->items[i];
            if (k->v.keyword.arg) {
                for (int j = 0; j < i; j++) {
                    const char *o = kws->items[j]->v.keyword.arg;
                    if (o && strcmp(o, k->v.keyword.arg) == 0) {
                        compile_error(c, k, "keyword argument repeated: %s", k->v.keyword.arg);
                        return;
                    }
                }
                /* after a **mapping, a keyword goes in through DICT_MERGE too, which
                 * reports "got multiple values for keyword argument" */
                if (seen_mapping) EMIT_ARG(BUILD_MAP, 0);
                load_const(c, incref(str_intern_cstr(k->v.keyword.arg)));
                compile_expr(c, k->v.keyword.value);
                EMIT_ARG(MAP_ADD, 1);
                if (seen_mapping) EMIT_ARG(DICT_MERGE, 1);
            } else {
                compile_expr(c, k->v.keyword.value);
                EMIT_ARG(DICT_MERGE, 1);
                seen_mapping = true;
            }
        }
        EMIT_ARG(CALL_EX, 1);
    } else {
        EMIT_ARG(CALL_EX, 0);
    }
}

static void compile_joinedstr(Compiler *c, Node *n) {
    NodeList *parts = &n->v.joinedstr.values;
    if (parts->len == 0) { load_const(c, str_from_cstr("")); return; }
    for (int i = 0; i < parts->len; i++) compile_expr(c, parts->items[i]);
    if (parts->len > 1 || parts->items[0]->kind != N_FormattedValue) EMIT_ARG(BUILD_STRING, parts->len);
}

static void compile_formatted(Compiler *c, Node *n) {
    compile_expr(c, n->v.formatted.value);
    int conv = n->v.formatted.conversion;
    uint32_t flags = conv == 's' ? 1 : conv == 'r' ? 2 : conv == 'a' ? 3 : 0;
    if (n->v.formatted.format_spec) {
        compile_expr(c, n->v.formatted.format_spec);
        flags |= 4;
    }
    EMIT_ARG(FORMAT_VALUE, flags);
}

static void compile_subscript_key(Compiler *c, Node *s) {
    if (s->kind == N_Slice) {
        if (s->v.slice.lower) compile_expr(c, s->v.slice.lower); else load_none(c);
        if (s->v.slice.upper) compile_expr(c, s->v.slice.upper); else load_none(c);
        if (s->v.slice.step) { compile_expr(c, s->v.slice.step); EMIT_ARG(BUILD_SLICE, 3); }
        else EMIT_ARG(BUILD_SLICE, 2);
    } else {
        compile_expr(c, s);
    }
}

/* ---- comprehensions --------------------------------------------------------------------- */
static void compile_comp_generator(Compiler *c, Node *n, int gen_index, int depth_of_acc);

static void compile_comprehension(Compiler *c, Node *n) {
    Scope *s = symtable_scope_of(c->root, n);
    if (!s) { compile_error(c, n, "internal error: no scope for comprehension"); return; }
    static const char *const names[] = { [N_ListComp] = "<listcomp>", [N_SetComp] = "<setcomp>",
                                         [N_DictComp] = "<dictcomp>", [N_GeneratorExp] = "<genexpr>" };
    const char *name = names[n->kind];
    Node *first = n->v.comp.generators.items[0];
    if (!enter_unit(c, s, name, n->line)) return;
    Unit *u = c->u;
    u->argcount = 1;
    bool is_gen = n->kind == N_GeneratorExp;
    if (is_gen && s->is_coroutine) u->flags |= CO_ASYNC_GEN;
    else if (is_gen) u->flags |= CO_GENERATOR;
    else if (s->is_coroutine) u->flags |= CO_COROUTINE;
    if (u->prev->scope->kind == SCOPE_FUNCTION) u->flags |= CO_NESTED;
    if (c->flags & COMPILE_LIB) u->flags |= CO_LIB;
    Pos p = set_pos(c, n);
    if (n->kind == N_ListComp) EMIT_ARG(BUILD_LIST, 0);
    else if (n->kind == N_SetComp) EMIT_ARG(BUILD_SET, 0);
    else if (n->kind == N_DictComp) EMIT_ARG(BUILD_MAP, 0);
    compile_comp_generator(c, n, 0, 0);
    if (is_gen) load_none(c);
    EMIT(RETURN_VALUE);
    restore_pos(c, p);
    Value code = leave_unit(c);
    if (!code) return;
    compile_make_closure(c, code, s, 0);
    compile_expr(c, first->v.comprehension.iter);
    if (first->v.comprehension.is_async) EMIT(GET_AITER);
    else EMIT(GET_ITER);
    EMIT_ARG(CALL, 1);
    if (s->is_coroutine && !is_gen) compile_await_value(c, 0);
}

static void compile_comp_element(Compiler *c, Node *n, int nloops) {
    /* the accumulator sits below nloops+1 iterators */
    switch (n->kind) {
    case N_ListComp:
        compile_expr(c, n->v.comp.elt);
        EMIT_ARG(LIST_APPEND, nloops + 2);
        break;
    case N_SetComp:
        compile_expr(c, n->v.comp.elt);
        EMIT_ARG(SET_ADD, nloops + 2);
        break;
    case N_DictComp:
        compile_expr(c, n->v.comp.elt);
        compile_expr(c, n->v.comp.value);
        EMIT_ARG(MAP_ADD, nloops + 2);
        break;
    default: /* generator expression */
        compile_expr(c, n->v.comp.elt);
        if (c->u->flags & CO_ASYNC_GEN) EMIT(ASYNC_GEN_WRAP);
        EMIT_ARG(YIELD_VALUE, 0);
        EMIT(POP_TOP);
        break;
    }
}

/* One `for` clause (index gen_index) and everything inside it. `nloops`
 * counts the iterators above the accumulator, not counting this one. */
static void compile_comp_generator(Compiler *c, Node *n, int gen_index, int nloops) {
    NodeList *gens = &n->v.comp.generators;
    Node *g = gens->items[gen_index];
    bool is_async = g->v.comprehension.is_async;
    int l_start = new_label(c), l_end = new_label(c), l_next = new_label(c), l_handler = -1;
    if (gen_index == 0) {
        EMIT_ARG(LOAD_FAST, 0);   /* .0: the iterator made by the caller */
    } else {
        compile_expr(c, g->v.comprehension.iter);
        if (is_async) EMIT(GET_AITER); else EMIT(GET_ITER);
    }
    int base = c->u->depth;       /* the iterator is on top */
    place_label(c, l_start);
    if (is_async) {
        l_handler = new_label(c);
        push_handler(c, l_handler, base);
        EMIT(GET_ANEXT);
        compile_delegate(c);
        pop_handler(c);
    } else {
        EMIT_ARG(FOR_ITER, l_end);
    }
    compile_store(c, g->v.comprehension.target);
    for (int i = 0; i < g->v.comprehension.ifs.len; i++) {
        compile_expr(c, g->v.comprehension.ifs.items[i]);
        EMIT_ARG(POP_JUMP_IF_FALSE, l_next);
    }
    if (gen_index + 1 < gens->len) compile_comp_generator(c, n, gen_index + 1, nloops + 1);
    else compile_comp_element(c, n, nloops);
    place_label(c, l_next);
    EMIT_ARG(JUMP_BACKWARD, l_start);
    if (is_async) {
        place_label(c, l_handler);    /* [aiter, exc] */
        c->u->depth = base + 1;
        EMIT(END_ASYNC_FOR);
    }
    place_label(c, l_end);
    c->u->depth = base - 1;
}

/* ---- lambda ---------------------------------------------------------------------------------- */
static uint32_t compile_defaults(Compiler *c, Node *args) {
    uint32_t flags = 0;
    NodeList *defs = &args->v.arguments.defaults;
    if (defs->len) {
        for (int i = 0; i < defs->len; i++) compile_expr(c, defs->items[i]);
        EMIT_ARG(BUILD_TUPLE, defs->len);
        flags |= 1;
    }
    NodeList *kwo = &args->v.arguments.kwonlyargs, *kwd = &args->v.arguments.kw_defaults;
    int nkw = 0;
    for (int i = 0; i < kwd->len; i++) {
        if (!kwd->items[i]) continue;
        load_const(c, incref(str_intern_cstr(mangle(c, kwo->items[i]->v.arg.arg))));
        compile_expr(c, kwd->items[i]);
        nkw++;
    }
    if (nkw) {
        EMIT_ARG(BUILD_MAP, nkw);
        flags |= 2;
    }
    return flags;
}

static void compile_annotation_pair(Compiler *c, const char *name, Node *ann, int *count) {
    if (!ann) return;
    load_const(c, incref(str_intern_cstr(mangle(c, name))));
    compile_expr(c, ann);
    (*count)++;
}

/* __annotations__ of a def: evaluated when the def runs, like CPython 3.11. */
static uint32_t compile_annotations(Compiler *c, Node *args, Node *returns) {
    int n = 0;
    NodeList *lists[] = { &args->v.arguments.posonlyargs, &args->v.arguments.args };
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < lists[k]->len; i++)
            compile_annotation_pair(c, lists[k]->items[i]->v.arg.arg, lists[k]->items[i]->v.arg.annotation, &n);
    Node *va = args->v.arguments.vararg;
    if (va) compile_annotation_pair(c, va->v.arg.arg, va->v.arg.annotation, &n);
    NodeList *kwo = &args->v.arguments.kwonlyargs;
    for (int i = 0; i < kwo->len; i++)
        compile_annotation_pair(c, kwo->items[i]->v.arg.arg, kwo->items[i]->v.arg.annotation, &n);
    Node *kw = args->v.arguments.kwarg;
    if (kw) compile_annotation_pair(c, kw->v.arg.arg, kw->v.arg.annotation, &n);
    compile_annotation_pair(c, "return", returns, &n);
    if (!n) return 0;
    EMIT_ARG(BUILD_MAP, n);
    return 4;
}

static void set_arg_counts(Unit *u, Node *args) {
    u->posonly = args->v.arguments.posonlyargs.len;
    u->argcount = u->posonly + args->v.arguments.args.len;
    u->kwonly = args->v.arguments.kwonlyargs.len;
    if (args->v.arguments.vararg) u->flags |= CO_VARARGS;
    if (args->v.arguments.kwarg) u->flags |= CO_VARKEYWORDS;
}

static void compile_lambda(Compiler *c, Node *n) {
    Scope *s = symtable_scope_of(c->root, n);
    if (!s) { compile_error(c, n, "internal error: no scope for lambda"); return; }
    if (debug_in_args(c, n->v.lambda.args, n)) return;
    uint32_t flags = compile_defaults(c, n->v.lambda.args);
    if (!enter_unit(c, s, "<lambda>", n->line)) return;
    Unit *u = c->u;
    set_arg_counts(u, n->v.lambda.args);
    if (s->is_generator) u->flags |= CO_GENERATOR;
    if (u->prev->scope->kind == SCOPE_FUNCTION) u->flags |= CO_NESTED;
    if (c->flags & COMPILE_LIB) u->flags |= CO_LIB;
    /* no docstring: consts[0] must not be mistaken for one */
    Pos p = set_pos(c, n->v.lambda.body);
    compile_expr(c, n->v.lambda.body);
    if (!s->is_generator) EMIT(RETURN_VALUE);
    else { EMIT(POP_TOP); load_none(c); EMIT(RETURN_VALUE); }
    restore_pos(c, p);
    Value code = leave_unit(c);
    if (!code) return;
    compile_make_closure(c, code, s, flags);
}

/* Push the closure cells a child scope needs, then MAKE_FUNCTION. */
static void compile_make_closure(Compiler *c, Value code, Scope *child, uint32_t flags) {
    (void)child;
    CodeObj *co = AS_CODE(code);
    if (co->nfrees) {
        Unit *u = c->u;
        for (int i = 0; i < co->nfrees; i++) {
            Value name = TUPLE_ITEMS(co->freevars)[i];
            int idx = deref_index(u, STR_DATA(name));
            if (idx < 0) {
                decref(code);
                compile_error(c, NULL, "internal error: no cell for free variable '%s'", STR_DATA(name));
                return;
            }
            EMIT_ARG(LOAD_CLOSURE, idx);
        }
        EMIT_ARG(BUILD_TUPLE, co->nfrees);
        flags |= 8;
    }
    load_const(c, code);
    EMIT_ARG(MAKE_FUNCTION, flags);
}

/* ---- expressions ------------------------------------------------------------------------------- */
static void compile_boolop(Compiler *c, Node *n) {
    int l_end = new_label(c);
    NodeList *vals = &n->v.boolop.values;
    for (int i = 0; i < vals->len; i++) {
        compile_expr(c, vals->items[i]);
        if (i < vals->len - 1)
            emit(c, n->v.boolop.op == BOOL_AND ? OP_JUMP_IF_FALSE_OR_POP : OP_JUMP_IF_TRUE_OR_POP, (uint32_t)l_end);
    }
    place_label(c, l_end);
}

static void compile_expr_inner(Compiler *c, Node *n) {
    switch (n->kind) {
    case N_BoolOp: compile_boolop(c, n); break;
    case N_NamedExpr:
        compile_expr(c, n->v.namedexpr.value);
        EMIT_ARG(COPY, 1);
        compile_store(c, n->v.namedexpr.target);
        break;
    case N_BinOp:
        compile_expr(c, n->v.binop.left);
        compile_expr(c, n->v.binop.right);
        EMIT_ARG(BINARY_OP, n->v.binop.op);
        break;
    case N_UnaryOp:
        if (is_const_node(n)) { load_const(c, const_of(c, n)); break; }
        compile_expr(c, n->v.unaryop.operand);
        switch (n->v.unaryop.op) {
        case UOP_INVERT: EMIT(UNARY_INVERT); break;
        case UOP_NOT: EMIT(UNARY_NOT); break;
        case UOP_UADD: EMIT(UNARY_POSITIVE); break;
        case UOP_USUB: EMIT(UNARY_NEGATIVE); break;
        }
        break;
    case N_Lambda: compile_lambda(c, n); break;
    case N_IfExp: {
        int l_else = new_label(c), l_end = new_label(c);
        compile_expr(c, n->v.ifexp.test);
        EMIT_ARG(POP_JUMP_IF_FALSE, l_else);
        compile_expr(c, n->v.ifexp.body);
        EMIT_ARG(JUMP, l_end);
        place_label(c, l_else);
        compile_expr(c, n->v.ifexp.orelse);
        place_label(c, l_end);
        break;
    }
    case N_Dict: compile_dict(c, n); break;
    case N_Set: compile_sequence(c, &n->v.set.elts, OP_BUILD_SET, false); break;
    case N_ListComp: case N_SetComp: case N_DictComp: case N_GeneratorExp:
        compile_comprehension(c, n);
        break;
    case N_Await:
        compile_expr(c, n->v.await.value);
        compile_await_value(c, 0);
        break;
    case N_Yield:
        if (n->v.await.value) compile_expr(c, n->v.await.value); else load_none(c);
        if (c->u->flags & CO_ASYNC_GEN) EMIT(ASYNC_GEN_WRAP);
        EMIT_ARG(YIELD_VALUE, 0);
        break;
    case N_YieldFrom:
        compile_expr(c, n->v.await.value);
        EMIT(GET_YIELD_FROM_ITER);
        compile_delegate(c);
        break;
    case N_Compare: compile_compare(c, n); break;
    case N_Call: compile_call(c, n); break;
    case N_FormattedValue: compile_formatted(c, n); break;
    case N_JoinedStr: compile_joinedstr(c, n); break;
    case N_Constant: load_const(c, constant_value(c, &n->v.constant)); break;
    case N_Attribute:
        compile_expr(c, n->v.attribute.value);
        EMIT_ARG(LOAD_ATTR, add_name(c, n->v.attribute.attr));
        break;
    case N_Subscript:
        compile_expr(c, n->v.subscript.value);
        compile_subscript_key(c, n->v.subscript.slice);
        EMIT(BINARY_SUBSCR);
        break;
    case N_Starred:
        compile_error(c, n, "can't use starred expression here");
        break;
    case N_Name: compile_name(c, n->v.name.id, ACC_LOAD, n); break;
    case N_List: compile_sequence(c, &n->v.seq.elts, OP_BUILD_LIST, false); break;
    case N_Tuple:
        if (is_const_node(n)) { load_const(c, const_of(c, n)); break; }
        compile_sequence(c, &n->v.seq.elts, OP_BUILD_TUPLE, true);
        break;
    case N_Slice:
        compile_subscript_key(c, n);
        break;
    default:
        compile_error(c, n, "internal error: unexpected %s in an expression", ast_kind_names[n->kind]);
    }
}

static void compile_expr(Compiler *c, Node *n) {
    if (c->failed) return;
    if (!enter_nesting(c)) return;
    Pos p = set_pos(c, n);
    compile_expr_inner(c, n);
    restore_pos(c, p);
    c->nesting--;
}

/* ---- assignment targets ----------------------------------------------------------------------- */
static void compile_unpack(Compiler *c, Node *target) {
    NodeList *elts = &target->v.seq.elts;
    int star = -1;
    for (int i = 0; i < elts->len; i++) {
        if (elts->items[i]->kind == N_Starred) {
            if (star >= 0) { compile_error(c, target, "multiple starred expressions in assignment"); return; }
            star = i;
        }
    }
    if (star >= 0) {
        int before = star, after = elts->len - star - 1;
        if (before > 255 || after > 255) { compile_error(c, target, "too many expressions in star-unpacking assignment"); return; }
        EMIT_ARG(UNPACK_EX, before | (after << 8));
    } else {
        EMIT_ARG(UNPACK_SEQUENCE, elts->len);
    }
    for (int i = 0; i < elts->len; i++) {
        Node *e = elts->items[i];
        compile_store(c, e->kind == N_Starred ? e->v.starred.value : e);
    }
}

static void compile_store(Compiler *c, Node *t) {
    if (c->failed) return;
    Pos p = set_pos(c, t);
    switch (t->kind) {
    case N_Name: compile_name(c, t->v.name.id, ACC_STORE, t); break;
    case N_Attribute:
        if (debug_name(c, t->v.attribute.attr, t)) break;
        compile_expr(c, t->v.attribute.value);
        EMIT_ARG(STORE_ATTR, add_name(c, t->v.attribute.attr));
        break;
    case N_Subscript:
        compile_expr(c, t->v.subscript.value);
        compile_subscript_key(c, t->v.subscript.slice);
        EMIT(STORE_SUBSCR);
        break;
    case N_Tuple: case N_List: compile_unpack(c, t); break;
    case N_Starred: compile_error(c, t, "starred assignment target must be in a list or tuple"); break;
    default: compile_error(c, t, "cannot assign to %s", ast_kind_names[t->kind]); break;
    }
    restore_pos(c, p);
}

static void compile_delete(Compiler *c, Node *t) {
    Pos p = set_pos(c, t);
    switch (t->kind) {
    case N_Name: compile_name(c, t->v.name.id, ACC_DEL, t); break;
    case N_Attribute:
        compile_expr(c, t->v.attribute.value);
        EMIT_ARG(DELETE_ATTR, add_name(c, t->v.attribute.attr));
        break;
    case N_Subscript:
        compile_expr(c, t->v.subscript.value);
        compile_subscript_key(c, t->v.subscript.slice);
        EMIT(DELETE_SUBSCR);
        break;
    case N_Tuple: case N_List:
        for (int i = 0; i < t->v.seq.elts.len; i++) compile_delete(c, t->v.seq.elts.items[i]);
        break;
    default: compile_error(c, t, "cannot delete %s", ast_kind_names[t->kind]); break;
    }
    restore_pos(c, p);
}

/* ======================================================================================
 * Unwinding blocks for return / break / continue
 * ====================================================================================== */
static void call_exit_with_nones(Compiler *c) {
    /* [exit] -> exit(None, None, None) result */
    load_none(c);
    load_none(c);
    load_none(c);
    EMIT_ARG(CALL, 3);
}

/* Emit what leaving block f requires; `preserve` keeps the return value on top. */
static void unwind_fblock(Compiler *c, FBlock *f, bool preserve) {
    Unit *u = c->u;
    switch (f->kind) {
    case FB_WHILE: case FB_TRY_EXCEPT: break;
    case FB_FOR:
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_TOP);
        break;
    case FB_ASYNC_FOR:
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_TOP);
        break;
    case FB_POP_VALUE:
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_TOP);
        break;
    case FB_FINALLY_TRY: {
        /* run the finally body here, outside its own handler and block */
        int saved_n = u->nfblocks;
        u->nfblocks = (int)(f - u->fblocks);
        if (preserve) {
            /* keep the value safe below the finally body */
            FBlock *pv = push_fblock(c, f->node, FB_POP_VALUE, -1, -1);
            (void)pv;
            compile_stmts(c, &f->node->v.trystmt.finalbody);
            pop_fblock(c);
        } else {
            compile_stmts(c, &f->node->v.trystmt.finalbody);
        }
        u->nfblocks = saved_n;
        break;
    }
    case FB_FINALLY_END:
        /* [prev, exc (, value)] */
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_TOP);
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_EXCEPT);
        break;
    case FB_WITH: case FB_ASYNC_WITH:
        /* [exit (, value)] */
        if (preserve) EMIT_ARG(SWAP, 2);
        call_exit_with_nones(c);
        if (f->kind == FB_ASYNC_WITH) compile_await_value(c, 2);
        EMIT(POP_TOP);
        break;
    case FB_HANDLER_CLEANUP:
        /* [prev (, value)] */
        if (preserve) EMIT_ARG(SWAP, 2);
        EMIT(POP_EXCEPT);
        if (f->name) {
            load_none(c);
            compile_name(c, f->name, ACC_STORE, NULL);
            compile_name(c, f->name, ACC_DEL, NULL);
        }
        break;
    }
}

/* Unwind the blocks from the innermost outwards, stopping at a loop if
 * `stop_at_loop`; returns that loop (or NULL). Handlers of the blocks left
 * are popped while their cleanup code is emitted, and restored afterwards
 * by the caller via the saved handler stack. */
static FBlock *unwind_blocks(Compiler *c, bool preserve, bool stop_at_loop) {
    Unit *u = c->u;
    for (int i = u->nfblocks - 1; i >= 0; i--) {
        FBlock *f = &u->fblocks[i];
        if (stop_at_loop && (f->kind == FB_WHILE || f->kind == FB_FOR || f->kind == FB_ASYNC_FOR)) return f;
        u->nhstack = f->hdepth;
        unwind_fblock(c, f, preserve);
        if (c->failed) return NULL;
    }
    return NULL;
}

typedef struct { int h[64]; int n; int nfb; } SavedBlocks;

static void save_blocks(Compiler *c, SavedBlocks *s) {
    memcpy(s->h, c->u->hstack, sizeof s->h);
    s->n = c->u->nhstack;
    s->nfb = c->u->nfblocks;
}

static void restore_blocks(Compiler *c, SavedBlocks *s) {
    memcpy(c->u->hstack, s->h, sizeof s->h);
    c->u->nhstack = s->n;
    c->u->nfblocks = s->nfb;
}

static void compile_return(Compiler *c, Node *n) {
    Scope *s = c->u->scope;
    if (s->kind != SCOPE_FUNCTION) { compile_error(c, n, "'return' outside function"); return; }
    bool has_value = n->v.ret.value != NULL;
    if (has_value) compile_expr(c, n->v.ret.value);
    SavedBlocks saved;
    save_blocks(c, &saved);
    unwind_blocks(c, has_value, false);
    if (!has_value) load_none(c);
    EMIT(RETURN_VALUE);
    restore_blocks(c, &saved);
}

static void compile_break_continue(Compiler *c, Node *n, bool is_break) {
    SavedBlocks saved;
    save_blocks(c, &saved);
    FBlock *loop = unwind_blocks(c, false, true);
    if (!loop) {
        restore_blocks(c, &saved);
        if (!c->failed) compile_error(c, n, is_break ? "'break' outside loop" : "'continue' not properly in loop");
        return;
    }
    if (is_break) {
        c->u->nhstack = loop->hdepth;
        unwind_fblock(c, loop, false);
        EMIT_ARG(JUMP, loop->exit);
    } else {
        EMIT_ARG(JUMP_BACKWARD, loop->start);
    }
    restore_blocks(c, &saved);
}

/* ======================================================================================
 * Statements
 * ====================================================================================== */
static void compile_stmt(Compiler *c, Node *n);

static void compile_stmts(Compiler *c, NodeList *l) {
    for (int i = 0; i < l->len && !c->failed; i++) compile_stmt(c, l->items[i]);
}

static bool is_docstring(NodeList *body) {
    if (!body->len) return false;
    Node *s = body->items[0];
    return s->kind == N_Expr && s->v.expr.value->kind == N_Constant &&
           s->v.expr.value->v.constant.kind == CONST_STR;
}

/* Does this body (not nested functions/classes) annotate a simple name? */
static bool has_annotations(NodeList *body) {
    for (int i = 0; i < body->len; i++) {
        Node *s = body->items[i];
        switch (s->kind) {
        case N_AnnAssign: if (s->v.annassign.simple) return true; break;
        case N_If: if (has_annotations(&s->v.ifstmt.body) || has_annotations(&s->v.ifstmt.orelse)) return true; break;
        case N_For: if (has_annotations(&s->v.forstmt.body) || has_annotations(&s->v.forstmt.orelse)) return true; break;
        case N_While: if (has_annotations(&s->v.whilestmt.body) || has_annotations(&s->v.whilestmt.orelse)) return true; break;
        case N_With: if (has_annotations(&s->v.with.body)) return true; break;
        case N_Try:
            if (has_annotations(&s->v.trystmt.body) || has_annotations(&s->v.trystmt.orelse) ||
                has_annotations(&s->v.trystmt.finalbody)) return true;
            for (int k = 0; k < s->v.trystmt.handlers.len; k++)
                if (has_annotations(&s->v.trystmt.handlers.items[k]->v.handler.body)) return true;
            break;
        default: break;
        }
    }
    return false;
}

static void compile_if(Compiler *c, Node *n) {
    int l_else = new_label(c), l_end = new_label(c);
    compile_expr(c, n->v.ifstmt.test);
    EMIT_ARG(POP_JUMP_IF_FALSE, l_else);
    compile_stmts(c, &n->v.ifstmt.body);
    if (n->v.ifstmt.orelse.len) {
        EMIT_ARG(JUMP, l_end);
        place_label(c, l_else);
        compile_stmts(c, &n->v.ifstmt.orelse);
    } else {
        place_label(c, l_else);
    }
    place_label(c, l_end);
}

static bool is_true_constant(Node *n) {
    return n->kind == N_Constant && (n->v.constant.kind == CONST_TRUE ||
           (n->v.constant.kind == CONST_INT && !(n->v.constant.len == 1 && n->v.constant.s[0] == '0')));
}

static void compile_while(Compiler *c, Node *n) {
    int l_loop = new_label(c), l_orelse = new_label(c), l_exit = new_label(c);
    place_label(c, l_loop);
    if (!is_true_constant(n->v.whilestmt.test)) {
        compile_expr(c, n->v.whilestmt.test);
        EMIT_ARG(POP_JUMP_IF_FALSE, l_orelse);
    }
    if (!push_fblock(c, n, FB_WHILE, l_loop, l_exit)) return;
    compile_stmts(c, &n->v.whilestmt.body);
    pop_fblock(c);
    EMIT_ARG(JUMP_BACKWARD, l_loop);
    place_label(c, l_orelse);
    compile_stmts(c, &n->v.whilestmt.orelse);
    place_label(c, l_exit);
}

static void compile_for(Compiler *c, Node *n) {
    int l_start = new_label(c), l_cleanup = new_label(c), l_exit = new_label(c);
    compile_expr(c, n->v.forstmt.iter);
    EMIT(GET_ITER);
    place_label(c, l_start);
    Pos p = set_pos(c, n->v.forstmt.target);
    EMIT_ARG(FOR_ITER, l_cleanup);
    restore_pos(c, p);
    compile_store(c, n->v.forstmt.target);
    if (!push_fblock(c, n, FB_FOR, l_start, l_exit)) return;
    compile_stmts(c, &n->v.forstmt.body);
    pop_fblock(c);
    EMIT_ARG(JUMP_BACKWARD, l_start);
    place_label(c, l_cleanup);
    compile_stmts(c, &n->v.forstmt.orelse);
    place_label(c, l_exit);
}

static void compile_async_for(Compiler *c, Node *n) {
    int l_start = new_label(c), l_handler = new_label(c), l_exit = new_label(c);
    compile_expr(c, n->v.forstmt.iter);
    EMIT(GET_AITER);
    int base = c->u->depth;            /* aiter on top */
    place_label(c, l_start);
    push_handler(c, l_handler, base);
    EMIT(GET_ANEXT);
    compile_delegate(c);
    pop_handler(c);
    compile_store(c, n->v.forstmt.target);
    if (!push_fblock(c, n, FB_ASYNC_FOR, l_start, l_exit)) return;
    compile_stmts(c, &n->v.forstmt.body);
    pop_fblock(c);
    EMIT_ARG(JUMP_BACKWARD, l_start);
    place_label(c, l_handler);          /* [aiter, exc] */
    c->u->depth = base + 1;
    EMIT(END_ASYNC_FOR);                /* StopAsyncIteration: pops both and falls through */
    compile_stmts(c, &n->v.forstmt.orelse);
    place_label(c, l_exit);
}

/* try: body / except …: handlers / else: orelse */
static void compile_try_except(Compiler *c, Node *n) {
    Unit *u = c->u;
    int l_except = new_label(c), l_end = new_label(c), l_cleanup = new_label(c);
    int d = u->depth;
    int hdepth = u->nhstack;
    push_handler(c, l_except, d);
    FBlock *fb = push_fblock(c, n, FB_TRY_EXCEPT, -1, -1);
    if (!fb) return;
    fb->hdepth = hdepth;
    compile_stmts(c, &n->v.trystmt.body);
    pop_fblock(c);
    pop_handler(c);
    compile_stmts(c, &n->v.trystmt.orelse);
    EMIT_ARG(JUMP, l_end);

    place_label(c, l_except);                 /* [exc] */
    u->depth = d + 1;
    int hdepth2 = u->nhstack;
    push_handler(c, l_cleanup, d + 1);
    EMIT(PUSH_EXC_INFO);                      /* [prev, exc] */
    NodeList *hs = &n->v.trystmt.handlers;
    for (int i = 0; i < hs->len && !c->failed; i++) {
        Node *h = hs->items[i];
        Pos p = set_pos(c, h);
        if (!h->v.handler.type && i < hs->len - 1) {
            compile_error(c, h, "default 'except:' must be last");
            return;
        }
        int l_next = new_label(c);
        if (h->v.handler.type) {
            compile_expr(c, h->v.handler.type);
            EMIT(CHECK_EXC_MATCH);            /* [prev, exc, bool] */
            EMIT_ARG(POP_JUMP_IF_FALSE, l_next);
        }
        const char *name = h->v.handler.name;
        if (name) compile_name(c, name, ACC_STORE, h);
        else EMIT(POP_TOP);                   /* [prev] */
        int l_name_cleanup = -1;
        if (name) {
            l_name_cleanup = new_label(c);
            push_handler(c, l_name_cleanup, d + 1);
        }
        FBlock *hb = push_fblock(c, h, FB_HANDLER_CLEANUP, -1, -1);
        if (!hb) return;
        hb->name = name;
        hb->hdepth = hdepth2;
        restore_pos(c, p);
        compile_stmts(c, &h->v.handler.body);
        pop_fblock(c);
        if (name) pop_handler(c);
        EMIT(POP_EXCEPT);                     /* [] */
        if (name) {
            load_none(c);
            compile_name(c, name, ACC_STORE, h);
            compile_name(c, name, ACC_DEL, h);
        }
        EMIT_ARG(JUMP, l_end);
        if (name) {
            /* an exception inside the handler: drop the name, then the cleanup below */
            place_label(c, l_name_cleanup);   /* [prev, exc2] */
            load_none(c);
            compile_name(c, name, ACC_STORE, h);
            compile_name(c, name, ACC_DEL, h);
            EMIT_ARG(RERAISE, 0);
        }
        place_label(c, l_next);
        u->depth = d + 2;                     /* [prev, exc] */
    }
    EMIT_ARG(RERAISE, 0);                     /* no handler matched */
    pop_handler(c);
    place_label(c, l_cleanup);                /* [prev, exc2] */
    u->depth = d + 2;
    EMIT_ARG(SWAP, 2);
    EMIT(POP_EXCEPT);
    EMIT_ARG(RERAISE, 0);
    place_label(c, l_end);
    u->depth = d;
}

static void compile_try_finally(Compiler *c, Node *n) {
    Unit *u = c->u;
    int l_exc = new_label(c), l_end = new_label(c), l_cleanup = new_label(c);
    int d = u->depth;
    int hdepth = u->nhstack;
    push_handler(c, l_exc, d);
    FBlock *fb = push_fblock(c, n, FB_FINALLY_TRY, -1, -1);
    if (!fb) return;
    fb->hdepth = hdepth;
    if (n->v.trystmt.handlers.len) compile_try_except(c, n);
    else compile_stmts(c, &n->v.trystmt.body);
    pop_fblock(c);
    pop_handler(c);
    compile_stmts(c, &n->v.trystmt.finalbody);
    EMIT_ARG(JUMP, l_end);

    place_label(c, l_exc);                    /* [exc] */
    u->depth = d + 1;
    int hdepth2 = u->nhstack;
    push_handler(c, l_cleanup, d + 1);
    EMIT(PUSH_EXC_INFO);                      /* [prev, exc] */
    FBlock *fe = push_fblock(c, n, FB_FINALLY_END, -1, -1);
    if (!fe) return;
    fe->hdepth = hdepth2;
    compile_stmts(c, &n->v.trystmt.finalbody);
    pop_fblock(c);
    EMIT_ARG(RERAISE, 0);
    pop_handler(c);
    place_label(c, l_cleanup);                /* [prev, exc2] */
    u->depth = d + 2;
    EMIT_ARG(SWAP, 2);
    EMIT(POP_EXCEPT);
    EMIT_ARG(RERAISE, 0);
    place_label(c, l_end);
    u->depth = d;
}

static void compile_try(Compiler *c, Node *n) {
    if (n->v.trystmt.finalbody.len) compile_try_finally(c, n);
    else compile_try_except(c, n);
}

/* with A as a, B as b: body  — one item at a time, nested. */
static void compile_with_item(Compiler *c, Node *n, int index) {
    Unit *u = c->u;
    bool is_async = n->v.with.is_async;
    Node *item = n->v.with.items.items[index];
    int l_exc = new_label(c), l_end = new_label(c), l_cleanup = new_label(c), l_suppress = new_label(c);
    Pos p = set_pos(c, item->v.withitem.context_expr);
    compile_expr(c, item->v.withitem.context_expr);
    if (is_async) {
        EMIT(BEFORE_ASYNC_WITH);              /* [aexit, aenter awaitable] */
        compile_await_value(c, 1);
    } else {
        EMIT(BEFORE_WITH);                    /* [exit, enter result] */
    }
    int d = u->depth - 1;                     /* [exit] stays below */
    int hdepth = u->nhstack;
    push_handler(c, l_exc, d);
    if (item->v.withitem.optional_vars) compile_store(c, item->v.withitem.optional_vars);
    else EMIT(POP_TOP);
    restore_pos(c, p);
    FBlock *fb = push_fblock(c, n, is_async ? FB_ASYNC_WITH : FB_WITH, -1, -1);
    if (!fb) return;
    fb->hdepth = hdepth;
    if (index + 1 < n->v.with.items.len) compile_with_item(c, n, index + 1);
    else compile_stmts(c, &n->v.with.body);
    pop_fblock(c);
    pop_handler(c);
    p = set_pos(c, item);
    call_exit_with_nones(c);                  /* [res] */
    if (is_async) compile_await_value(c, 2);
    EMIT(POP_TOP);
    EMIT_ARG(JUMP, l_end);

    place_label(c, l_exc);                    /* [exit, exc] */
    u->depth = d + 1;
    push_handler(c, l_cleanup, d + 1);
    EMIT(PUSH_EXC_INFO);                      /* [exit, prev, exc] */
    EMIT(WITH_EXCEPT_START);                  /* [exit, prev, exc, res] */
    if (is_async) compile_await_value(c, 2);
    EMIT_ARG(POP_JUMP_IF_TRUE, l_suppress);
    EMIT_ARG(RERAISE, 0);
    place_label(c, l_suppress);               /* [exit, prev, exc] */
    u->depth = d + 2;
    EMIT(POP_TOP);                            /* [exit, prev] */
    EMIT(POP_EXCEPT);                         /* [exit] */
    EMIT(POP_TOP);                            /* [] */
    pop_handler(c);
    EMIT_ARG(JUMP, l_end);
    place_label(c, l_cleanup);                /* [exit, prev, exc2] */
    u->depth = d + 2;
    EMIT_ARG(SWAP, 2);
    EMIT(POP_EXCEPT);
    EMIT_ARG(RERAISE, 0);
    place_label(c, l_end);
    u->depth = d;
    restore_pos(c, p);
}

static void compile_with(Compiler *c, Node *n) {
    int d = c->u->depth;
    compile_with_item(c, n, 0);
    c->u->depth = d;
}

static void compile_raise(Compiler *c, Node *n) {
    int nargs = 0;
    if (n->v.raise.exc) {
        compile_expr(c, n->v.raise.exc);
        nargs = 1;
        if (n->v.raise.cause) {
            compile_expr(c, n->v.raise.cause);
            nargs = 2;
        }
    }
    EMIT_ARG(RAISE_VARARGS, nargs);
}

static void compile_assert(Compiler *c, Node *n) {
    int l_ok = new_label(c);
    compile_expr(c, n->v.assertstmt.test);
    EMIT_ARG(POP_JUMP_IF_TRUE, l_ok);
    EMIT(LOAD_ASSERTION_ERROR);
    if (n->v.assertstmt.msg) {
        compile_expr(c, n->v.assertstmt.msg);
        EMIT_ARG(CALL, 1);
    }
    EMIT_ARG(RAISE_VARARGS, 1);
    place_label(c, l_ok);
}

static void compile_import(Compiler *c, Node *n) {
    for (int i = 0; i < n->v.import.names.len; i++) {
        Node *a = n->v.import.names.items[i];
        const char *full = a->v.alias.name;
        load_const(c, MK_INT(0));
        load_none(c);
        EMIT_ARG(IMPORT_NAME, add_name(c, full));
        if (a->v.alias.asname) {
            /* import a.b.c as x: walk down to a.b.c */
            const char *p = strchr(full, '.');
            while (p) {
                const char *q = strchr(p + 1, '.');
                size_t len = q ? (size_t)(q - p - 1) : strlen(p + 1);
                char *part = arena_strndup(c->arena, p + 1, len);
                EMIT_ARG(IMPORT_FROM, add_name(c, part));
                EMIT_ARG(SWAP, 2);
                EMIT(POP_TOP);
                p = q;
            }
            compile_name(c, a->v.alias.asname, ACC_STORE, a);
        } else {
            const char *dot = strchr(full, '.');
            const char *bind = dot ? arena_strndup(c->arena, full, (size_t)(dot - full)) : full;
            compile_name(c, bind, ACC_STORE, a);
        }
    }
}

static void compile_import_from(Compiler *c, Node *n) {
    NodeList *names = &n->v.importfrom.names;
    load_const(c, MK_INT(n->v.importfrom.level));
    Value fromlist = tuple_new((size_t)names->len);
    if (!fromlist) { out_of_memory(c); return; }
    for (int i = 0; i < names->len; i++)
        TUPLE_ITEMS(fromlist)[i] = incref(str_intern_cstr(names->items[i]->v.alias.name));
    load_const(c, fromlist);
    EMIT_ARG(IMPORT_NAME, add_name(c, n->v.importfrom.module ? n->v.importfrom.module : ""));
    for (int i = 0; i < names->len; i++) {
        Node *a = names->items[i];
        if (strcmp(a->v.alias.name, "*") == 0) {
            EMIT(IMPORT_STAR);
            return;
        }
        EMIT_ARG(IMPORT_FROM, add_name(c, a->v.alias.name));
        compile_name(c, a->v.alias.asname ? a->v.alias.asname : a->v.alias.name, ACC_STORE, a);
    }
    EMIT(POP_TOP);
}

static void compile_funcdef(Compiler *c, Node *n) {
    Scope *s = symtable_scope_of(c->root, n);
    if (!s) { compile_error(c, n, "internal error: no scope for function"); return; }
    if (debug_in_args(c, n->v.funcdef.args, n)) return;
    NodeList *decos = &n->v.funcdef.decorators;
    for (int i = 0; i < decos->len; i++) compile_expr(c, decos->items[i]);
    uint32_t flags = compile_defaults(c, n->v.funcdef.args);
    flags |= compile_annotations(c, n->v.funcdef.args, n->v.funcdef.returns);
    int firstline = decos->len ? decos->items[0]->line : n->line;
    if (!enter_unit(c, s, n->v.funcdef.name, firstline)) return;
    Unit *u = c->u;
    set_arg_counts(u, n->v.funcdef.args);
    compile_function_body(c, n, s);
    Value code = leave_unit(c);
    if (!code) return;
    compile_make_closure(c, code, s, flags);
    for (int i = 0; i < decos->len; i++) EMIT_ARG(CALL, 1);
    compile_name(c, n->v.funcdef.name, ACC_STORE, n);
}

static void compile_function_body(Compiler *c, Node *n, Scope *s) {
    Unit *u = c->u;
    if (s->is_coroutine && s->is_generator) u->flags |= CO_ASYNC_GEN;
    else if (s->is_coroutine) u->flags |= CO_COROUTINE;
    else if (s->is_generator) u->flags |= CO_GENERATOR;
    if (u->prev && u->prev->scope->kind == SCOPE_FUNCTION) u->flags |= CO_NESTED;
    if (c->flags & COMPILE_LIB) u->flags |= CO_LIB;
    NodeList *body = &n->v.funcdef.body;
    if (is_docstring(body)) {
        Node *k = body->items[0]->v.expr.value;
        add_const_raw(c, str_new(k->v.constant.s, k->v.constant.len));
        decref(LIST_ITEMS(u->consts)[0]);      /* add_const_raw doesn't steal: balance it */
        u->flags |= CO_HAS_DOCSTRING;
    } else {
        add_const_raw(c, incref(None));         /* consts[0] is always the docstring slot */
        decref(None);
    }
    for (int i = is_docstring(body) ? 1 : 0; i < body->len && !c->failed; i++) compile_stmt(c, body->items[i]);
    Pos p = set_pos(c, NULL);
    load_none(c);
    EMIT(RETURN_VALUE);
    restore_pos(c, p);
}

static void compile_classdef(Compiler *c, Node *n) {
    Scope *s = symtable_scope_of(c->root, n);
    if (!s) { compile_error(c, n, "internal error: no scope for class"); return; }
    NodeList *decos = &n->v.classdef.decorators;
    for (int i = 0; i < decos->len; i++) compile_expr(c, decos->items[i]);
    int firstline = decos->len ? decos->items[0]->line : n->line;
    if (!enter_unit(c, s, n->v.classdef.name, firstline)) return;
    Unit *u = c->u;
    u->flags |= CO_CLASS_BODY;
    if (c->flags & COMPILE_LIB) u->flags |= CO_LIB;
    /* __module__ = __name__; __qualname__ = "…" */
    EMIT_ARG(LOAD_NAME, add_name(c, "__name__"));
    EMIT_ARG(STORE_NAME, add_name(c, "__module__"));
    load_const(c, incref(u->qualname));
    EMIT_ARG(STORE_NAME, add_name(c, "__qualname__"));
    NodeList *body = &n->v.classdef.body;
    int start = 0;
    if (has_annotations(body)) EMIT(SETUP_ANNOTATIONS);
    if (is_docstring(body)) {
        Node *k = body->items[0]->v.expr.value;
        load_const(c, str_new(k->v.constant.s, k->v.constant.len));
        EMIT_ARG(STORE_NAME, add_name(c, "__doc__"));
        start = 1;
    }
    for (int i = start; i < body->len && !c->failed; i++) compile_stmt(c, body->items[i]);
    if (s->needs_class_cell) {
        int idx = index_in(u->cellvars, "__class__");
        EMIT_ARG(LOAD_CLOSURE, idx);
        EMIT_ARG(COPY, 1);
        EMIT_ARG(STORE_NAME, add_name(c, "__classcell__"));
    } else {
        load_none(c);
    }
    EMIT(RETURN_VALUE);
    Value code = leave_unit(c);
    if (!code) return;
    EMIT(LOAD_BUILD_CLASS);
    compile_make_closure(c, code, s, 0);
    load_const(c, str_from_cstr(n->v.classdef.name));
    NodeList *bases = &n->v.classdef.bases, *kws = &n->v.classdef.keywords;
    bool dynamic = has_starred(bases);
    for (int i = 0; i < kws->len; i++) if (!kws->items[i]->v.keyword.arg) dynamic = true;
    if (!dynamic) {
        for (int i = 0; i < bases->len; i++) compile_expr(c, bases->items[i]);
        for (int i = 0; i < kws->len; i++) compile_expr(c, kws->items[i]->v.keyword.value);
        int total = 2 + bases->len + kws->len;
        if (kws->len) {
            Value names = kwnames_tuple(c, kws);
            if (!names) return;
            load_const(c, names);
            EMIT_ARG(CALL_KW, total);
        } else {
            EMIT_ARG(CALL, total);
        }
    } else {
        /* __build_class__(func, name, *bases, **kw) */
        EMIT_ARG(BUILD_LIST, 2);
        for (int i = 0; i < bases->len; i++) {
            Node *b = bases->items[i];
            if (b->kind == N_Starred) { compile_expr(c, b->v.starred.value); EMIT_ARG(LIST_EXTEND, 1); }
            else { compile_expr(c, b); EMIT_ARG(LIST_APPEND, 1); }
        }
        EMIT(LIST_TO_TUPLE);
        EMIT_ARG(BUILD_MAP, 0);
        bool seen_mapping = false;
        for (int i = 0; i < kws->len; i++) {
            Node *k = kws->items[i];
            if (k->v.keyword.arg) {
                if (seen_mapping) EMIT_ARG(BUILD_MAP, 0);     /* see compile_call */
                load_const(c, incref(str_intern_cstr(k->v.keyword.arg)));
                compile_expr(c, k->v.keyword.value);
                EMIT_ARG(MAP_ADD, 1);
                if (seen_mapping) EMIT_ARG(DICT_MERGE, 1);
            } else {
                compile_expr(c, k->v.keyword.value);
                EMIT_ARG(DICT_MERGE, 1);
                seen_mapping = true;
            }
        }
        EMIT_ARG(CALL_EX, 1);
    }
    for (int i = 0; i < decos->len; i++) EMIT_ARG(CALL, 1);
    compile_name(c, n->v.classdef.name, ACC_STORE, n);
}

static void compile_augassign(Compiler *c, Node *n) {
    Node *t = n->v.augassign.target;
    int op = n->v.augassign.op | BINOP_INPLACE;
    switch (t->kind) {
    case N_Name:
        compile_name(c, t->v.name.id, ACC_LOAD, t);
        compile_expr(c, n->v.augassign.value);
        EMIT_ARG(BINARY_OP, op);
        compile_name(c, t->v.name.id, ACC_STORE, t);
        break;
    case N_Attribute: {
        compile_expr(c, t->v.attribute.value);
        EMIT_ARG(COPY, 1);
        int name = add_name(c, t->v.attribute.attr);
        EMIT_ARG(LOAD_ATTR, name);
        compile_expr(c, n->v.augassign.value);
        EMIT_ARG(BINARY_OP, op);
        EMIT_ARG(SWAP, 2);
        EMIT_ARG(STORE_ATTR, name);
        break;
    }
    case N_Subscript:
        compile_expr(c, t->v.subscript.value);
        compile_subscript_key(c, t->v.subscript.slice);
        EMIT_ARG(COPY, 2);
        EMIT_ARG(COPY, 2);
        EMIT(BINARY_SUBSCR);
        compile_expr(c, n->v.augassign.value);
        EMIT_ARG(BINARY_OP, op);
        EMIT_ARG(SWAP, 3);
        EMIT_ARG(SWAP, 2);
        EMIT(STORE_SUBSCR);
        break;
    default:
        compile_error(c, t, "'%s' is an illegal expression for augmented assignment", ast_kind_names[t->kind]);
    }
}

static void compile_stmt_inner(Compiler *c, Node *n) {
    switch (n->kind) {
    case N_FunctionDef: compile_funcdef(c, n); break;
    case N_ClassDef: compile_classdef(c, n); break;
    case N_Return: compile_return(c, n); break;
    case N_Delete:
        for (int i = 0; i < n->v.del.targets.len; i++) compile_delete(c, n->v.del.targets.items[i]);
        break;
    case N_Assign: {
        compile_expr(c, n->v.assign.value);
        NodeList *ts = &n->v.assign.targets;
        for (int i = 0; i < ts->len; i++) {
            if (i < ts->len - 1) EMIT_ARG(COPY, 1);
            compile_store(c, ts->items[i]);
        }
        break;
    }
    case N_AugAssign: compile_augassign(c, n); break;
    case N_AnnAssign:
        if (n->v.annassign.value) {
            compile_expr(c, n->v.annassign.value);
            compile_store(c, n->v.annassign.target);
        }
        if (n->v.annassign.simple && n->v.annassign.target->kind == N_Name && c->u->scope->kind != SCOPE_FUNCTION) {
            /* module and class bodies record the annotation: __annotations__['x'] = T */
            compile_expr(c, n->v.annassign.annotation);
            EMIT_ARG(LOAD_NAME, add_name(c, "__annotations__"));
            load_const(c, incref(str_intern_cstr(mangle(c, n->v.annassign.target->v.name.id))));
            EMIT(STORE_SUBSCR);
        }
        break;
    case N_For:
        if (n->v.forstmt.is_async) compile_async_for(c, n);
        else compile_for(c, n);
        break;
    case N_While: compile_while(c, n); break;
    case N_If: compile_if(c, n); break;
    case N_With: compile_with(c, n); break;
    case N_Raise: compile_raise(c, n); break;
    case N_Try: compile_try(c, n); break;
    case N_Assert: compile_assert(c, n); break;
    case N_Import: compile_import(c, n); break;
    case N_ImportFrom: compile_import_from(c, n); break;
    case N_Global: case N_Nonlocal: case N_Pass: break;
    case N_Expr:
        if ((c->flags & COMPILE_INTERACTIVE) && c->u->scope->kind == SCOPE_MODULE) {
            compile_expr(c, n->v.expr.value);
            EMIT(PRINT_EXPR);
        } else if (n->v.expr.value->kind == N_Constant) {
            /* a bare constant (docstring-like): nothing to do */
        } else {
            compile_expr(c, n->v.expr.value);
            EMIT(POP_TOP);
        }
        break;
    case N_Break: compile_break_continue(c, n, true); break;
    case N_Continue: compile_break_continue(c, n, false); break;
    default:
        compile_error(c, n, "internal error: unexpected %s statement", ast_kind_names[n->kind]);
    }
}

static void compile_stmt(Compiler *c, Node *n) {
    if (c->failed) return;
    if (!enter_nesting(c)) return;
    int depth = c->u->depth;
    Pos p = set_pos(c, n);
    compile_stmt_inner(c, n);
    restore_pos(c, p);
    c->u->depth = depth;      /* statements are stack-neutral */
    c->nesting--;
}

/* ======================================================================================
 * Entry points
 * ====================================================================================== */
Value compiler_compile(Node *tree, const char *filename, int flags, SyntaxErr *err) {
    Arena arena;
    arena_init(&arena);
    Compiler c = { .filename = filename, .flags = flags, .err = err, .arena = &arena };
    Scope *root = symtable_build(&arena, tree, filename, (flags & COMPILE_TOP_AWAIT) != 0, err);
    if (!root) { error_text(err); arena_free(&arena); return VNULL; }
    c.root = root;
    if (!enter_unit(&c, root, "<module>", 1)) { arena_free(&arena); return VNULL; }
    Unit *u = c.u;
    u->flags |= CO_MODULE;
    if (flags & COMPILE_LIB) u->flags |= CO_LIB;
    if (tree->kind == N_Expression) {
        compile_expr(&c, tree->v.expression.body);
        emit(&c, OP_RETURN_VALUE, 0);
    } else {
        NodeList *body = &tree->v.module.body;
        int start = 0;
        if (has_annotations(body)) emit(&c, OP_SETUP_ANNOTATIONS, 0);
        if (tree->kind == N_Module && is_docstring(body)) {
            Node *k = body->items[0]->v.expr.value;
            Compiler *cc = &c;
            cc->u->line = k->line;
            load_const(cc, str_new(k->v.constant.s, k->v.constant.len));
            emit(cc, OP_STORE_NAME, (uint32_t)add_name(cc, "__doc__"));
            start = 1;
        }
        for (int i = start; i < body->len && !c.failed; i++) compile_stmt(&c, body->items[i]);
        Compiler *cc = &c;
        load_none(cc);
        emit(cc, OP_RETURN_VALUE, 0);
    }
    if (root->has_await && (flags & COMPILE_TOP_AWAIT)) u->flags |= CO_COROUTINE;
    Value code = leave_unit(&c);
    while (c.u) { Unit *p = c.u->prev; free_unit(c.u); c.u = p; }
    arena_free(&arena);
    if (!code && !c.failed) err_no_memory();
    return code;
}

Value syntax_error_to_exc(const SyntaxErr *e) {
    Type *t = e->kind == SE_TAB ? &Exc_TabError : e->kind == SE_INDENTATION ? &Exc_IndentationError : &Exc_SyntaxError;
    Value msg = str_from_cstr(e->msg);
    Value fname = str_from_cstr(e->filename);
    Value text = e->text ? str_from_cstr(e->text) : none_new();
    if (!msg || !fname || !text) { decref(msg); decref(fname); decref(text); return err_no_memory(); }
    Value details = tuple_pack(6, fname, MK_INT(e->line), e->col ? MK_INT(e->col) : None, text,
                               MK_INT(e->end_line ? e->end_line : e->line), e->end_col ? MK_INT(e->end_col) : None);
    Value args[2] = { msg, details };
    Value exc = details ? exc_new(t, args, 2) : VNULL;
    decref(msg); decref(fname); decref(text); decref(details);
    return exc;
}
