/* symtable.c — scope analysis (see symtable.h).
 *
 * Two passes, as in CPython: walk the tree recording how each scope uses
 * each name, then resolve every name to local / global / free / cell,
 * passing the set of names bound by enclosing functions downwards and the
 * set of free names upwards.
 * Must not touch: objects, bytecode.
 */
#include <string.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdbool.h>
#include "symtable.h"

/* Symbol flags private to this file (the public ones are in symtable.h). */
enum { DEF_ANNOT = 1 << 12 };   /* target of a simple annotated assignment */

typedef struct {
    Arena *arena;
    const char *filename;
    SyntaxErr *err;
    int failed;
    int allow_top_await;
    Scope *cur;
    Scope *root;
    /* Node → Scope map */
    Node **map_nodes;
    Scope **map_scopes;
    size_t map_cap, map_n;
} ST;

/* ---- errors ---------------------------------------------------------------------------- */
static void st_error(ST *st, Node *at, const char *fmt, ...) {
    if (st->failed) return;
    st->failed = 1;
    SyntaxErr *e = st->err;
    memset(e, 0, sizeof *e);
    e->kind = SE_SYNTAX;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    snprintf(e->filename, sizeof e->filename, "%s", st->filename);
    if (at) {
        e->line = at->line;
        e->col = at->col + 1;
        e->end_line = at->end_line;
        e->end_col = at->end_col + 1;
    }
}

/* ---- symbols ----------------------------------------------------------------------------- */
static uint32_t hash_name(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static void rehash(Arena *a, Scope *s, int newcap) {
    s->index = arena_alloc(a, sizeof(int) * (size_t)newcap);
    s->mask = newcap - 1;
    for (int i = 0; i < newcap; i++) s->index[i] = -1;
    for (int i = 0; i < s->nsyms; i++) {
        uint32_t h = s->syms[i].hash & (uint32_t)s->mask;
        while (s->index[h] >= 0) h = (h + 1) & (uint32_t)s->mask;
        s->index[h] = i;
    }
}

Symbol *symtable_lookup(Scope *s, const char *name) {
    if (!s->index) return NULL;
    uint32_t hv = hash_name(name);
    uint32_t h = hv & (uint32_t)s->mask;
    while (s->index[h] >= 0) {
        Symbol *sym = &s->syms[s->index[h]];
        if (sym->hash == hv && strcmp(sym->name, name) == 0) return sym;
        h = (h + 1) & (uint32_t)s->mask;
    }
    return NULL;
}

static Symbol *add_sym(ST *st, Scope *s, const char *name, int flags) {
    Symbol *sym = symtable_lookup(s, name);
    if (sym) { sym->flags |= flags; return sym; }
    if (s->nsyms == s->capsyms) {
        int nc = s->capsyms ? s->capsyms * 2 : 16;
        Symbol *ns = arena_alloc(st->arena, sizeof(Symbol) * (size_t)nc);
        if (s->nsyms) memcpy(ns, s->syms, sizeof(Symbol) * (size_t)s->nsyms);
        s->syms = ns;
        s->capsyms = nc;
    }
    if (!s->index || (s->nsyms + 1) * 2 > s->mask + 1) rehash(st->arena, s, s->index ? (s->mask + 1) * 2 : 32);
    sym = &s->syms[s->nsyms];
    sym->name = name;
    sym->hash = hash_name(name);
    sym->flags = flags;
    sym->scope = NAME_UNKNOWN;
    uint32_t h = sym->hash & (uint32_t)s->mask;
    while (s->index[h] >= 0) h = (h + 1) & (uint32_t)s->mask;
    s->index[h] = s->nsyms++;
    return sym;
}

NameScope symtable_name_scope(Scope *s, const char *name) {
    Symbol *sym = symtable_lookup(s, name);
    return sym ? sym->scope : NAME_UNKNOWN;
}

/* ---- scopes -------------------------------------------------------------------------------- */
static void map_put(ST *st, Node *n, Scope *s) {
    if (st->map_n * 2 >= st->map_cap) {
        size_t nc = st->map_cap ? st->map_cap * 2 : 64;
        Node **nn = calloc(nc, sizeof *nn);
        Scope **ns = calloc(nc, sizeof *ns);
        for (size_t i = 0; i < st->map_cap; i++) {
            if (!st->map_nodes[i]) continue;
            size_t h = ((uintptr_t)st->map_nodes[i] >> 4) & (nc - 1);
            while (nn[h]) h = (h + 1) & (nc - 1);
            nn[h] = st->map_nodes[i];
            ns[h] = st->map_scopes[i];
        }
        free(st->map_nodes);
        free(st->map_scopes);
        st->map_nodes = nn;
        st->map_scopes = ns;
        st->map_cap = nc;
    }
    size_t h = ((uintptr_t)n >> 4) & (st->map_cap - 1);
    while (st->map_nodes[h]) h = (h + 1) & (st->map_cap - 1);
    st->map_nodes[h] = n;
    st->map_scopes[h] = s;
    st->map_n++;
}

/* After the build the map is copied into the arena and hung off the module scope. */
typedef struct { Node **nodes; Scope **scopes; size_t cap; } ScopeMap;

static Scope *new_scope(ST *st, ScopeKind kind, const char *name, Node *node) {
    Scope *s = arena_alloc(st->arena, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->node = node;
    s->parent = st->cur;
    s->first_line = node ? node->line : 1;
    if (st->cur) {
        Scope *p = st->cur;
        if (p->nchildren == p->capchildren) {
            int nc = p->capchildren ? p->capchildren * 2 : 4;
            Scope **na = arena_alloc(st->arena, sizeof(Scope *) * (size_t)nc);
            if (p->nchildren) memcpy(na, p->children, sizeof(Scope *) * (size_t)p->nchildren);
            p->children = na;
            p->capchildren = nc;
        }
        p->children[p->nchildren++] = s;
        s->in_async_function = p->in_async_function;
    }
    if (node) map_put(st, node, s);
    return s;
}

static void add_param(ST *st, Scope *s, Node *arg) {
    const char *name = symtable_mangle(st->arena, s, arg->v.arg.arg);
    Symbol *sym = symtable_lookup(s, name);
    if (sym && (sym->flags & DEF_PARAM)) {
        st_error(st, arg, "duplicate argument '%s' in function definition", name);
        return;
    }
    add_sym(st, s, name, DEF_PARAM);
    const char **np = arena_alloc(st->arena, sizeof(char *) * (size_t)(s->nparams + 1));
    if (s->nparams) memcpy(np, s->params, sizeof(char *) * (size_t)s->nparams);
    np[s->nparams++] = name;
    s->params = np;
}

/* ---- the walk ------------------------------------------------------------------------------ */
static void visit_expr(ST *st, Node *n);
static void visit_stmts(ST *st, NodeList *l);

static void visit_exprs(ST *st, NodeList *l) {
    for (int i = 0; i < l->len; i++) if (l->items[i]) visit_expr(st, l->items[i]);
}

static Scope *function_scope(Scope *s) {
    while (s && s->is_comprehension) s = s->parent;
    return s;
}

const char *symtable_mangle(Arena *arena, Scope *s, const char *name) {
    if (name[0] != '_' || name[1] != '_' || strchr(name, '.')) return name;
    size_t n = strlen(name);
    if (n >= 4 && name[n - 1] == '_' && name[n - 2] == '_') return name;     /* __dunder__ */
    while (s && s->kind != SCOPE_CLASS) s = s->parent;
    if (!s) return name;
    const char *cls = s->name;
    while (*cls == '_') cls++;
    if (!*cls) return name;                                                /* class ___ */
    size_t cn = strlen(cls);
    char *m = arena_alloc(arena, 1 + cn + n + 1);
    m[0] = '_';
    memcpy(m + 1, cls, cn);
    memcpy(m + 1 + cn, name, n + 1);
    return m;
}

static void use_name(ST *st, const char *name, int flags, Node *at) {
    Scope *s = st->cur;
    name = symtable_mangle(st->arena, s, name);
    Symbol *sym = symtable_lookup(s, name);
    if (sym && (flags & DEF_LOCAL) && (sym->flags & (DEF_GLOBAL | DEF_NONLOCAL)) == 0) {
        /* fine */
    }
    (void)at;
    add_sym(st, s, name, flags);
    if ((flags & DEF_USE) && s->kind == SCOPE_FUNCTION &&
        (strcmp(name, "super") == 0 || strcmp(name, "__class__") == 0)) {
        /* super() needs the class being defined: a free __class__ in this function. */
        add_sym(st, s, "__class__", DEF_USE);
    }
}

static void visit_args(ST *st, Node *args) {
    /* defaults and kw defaults are evaluated in the enclosing scope */
    visit_exprs(st, &args->v.arguments.defaults);
    visit_exprs(st, &args->v.arguments.kw_defaults);
}

static void declare_params(ST *st, Scope *s, Node *args) {
    NodeList *l = &args->v.arguments.posonlyargs;
    for (int i = 0; i < l->len; i++) add_param(st, s, l->items[i]);
    l = &args->v.arguments.args;
    for (int i = 0; i < l->len; i++) add_param(st, s, l->items[i]);
    l = &args->v.arguments.kwonlyargs;
    for (int i = 0; i < l->len; i++) add_param(st, s, l->items[i]);
    if (args->v.arguments.vararg) add_param(st, s, args->v.arguments.vararg);
    if (args->v.arguments.kwarg) add_param(st, s, args->v.arguments.kwarg);
}

static void visit_comprehension(ST *st, Node *n, const char *name) {
    NodeList *gens = &n->v.comp.generators;
    Node *first = gens->items[0];
    /* The outermost iterable is evaluated in the enclosing scope. */
    visit_expr(st, first->v.comprehension.iter);
    Scope *s = new_scope(st, SCOPE_FUNCTION, name, n);
    s->is_comprehension = 1;
    if (n->kind == N_GeneratorExp) s->is_generator = 1;
    Scope *saved = st->cur;
    st->cur = s;
    add_sym(st, s, ".0", DEF_PARAM);
    s->params = arena_alloc(st->arena, sizeof(char *));
    s->params[0] = ".0";
    s->nparams = 1;
    int is_async = 0;
    for (int i = 0; i < gens->len; i++) {
        Node *g = gens->items[i];
        if (g->v.comprehension.is_async) is_async = 1;
        visit_expr(st, g->v.comprehension.target);
        if (i > 0) visit_expr(st, g->v.comprehension.iter);
        visit_exprs(st, &g->v.comprehension.ifs);
    }
    if (n->v.comp.elt) visit_expr(st, n->v.comp.elt);
    if (n->v.comp.value) visit_expr(st, n->v.comp.value);
    st->cur = saved;
    if (is_async || s->has_await) {
        if (n->kind == N_GeneratorExp) {
            /* an async generator expression: fine anywhere */
            s->is_coroutine = 1;
        } else {
            s->is_coroutine = 1;
            Scope *f = function_scope(saved);
            int ok = (f && f->kind == SCOPE_FUNCTION && f->is_coroutine) ||
                     (saved->is_comprehension && saved->is_coroutine) ||
                     (f && f->kind == SCOPE_MODULE && st->allow_top_await);
            if (!ok) st_error(st, n, "asynchronous comprehension outside of an asynchronous function");
            /* Awaiting the comprehension makes the enclosing comprehension async too. */
            saved->has_await = 1;
        }
    }
}

static void check_yield(ST *st, Node *n, const char *what) {
    Scope *s = st->cur;
    if (s->is_comprehension && s->node && s->node->kind != N_GeneratorExp) {
        const char *kind = s->node->kind == N_ListComp ? "list comprehension" :
                           s->node->kind == N_SetComp ? "set comprehension" : "dict comprehension";
        st_error(st, n, "'%s' inside %s", what, kind);
        return;
    }
    if (s->is_comprehension) {
        st_error(st, n, "'%s' inside generator expression", what);
        return;
    }
    if (s->kind != SCOPE_FUNCTION) {
        st_error(st, n, "'%s' outside function", what);
        return;
    }
    s->is_generator = 1;
}

/* Does the assignment target bind `name` (a comprehension's `for` target)? */
static bool target_binds(Node *t, const char *name) {
    if (!t) return false;
    switch (t->kind) {
    case N_Name: return strcmp(t->v.name.id, name) == 0;
    case N_Starred: return target_binds(t->v.starred.value, name);
    case N_List: case N_Tuple:
        for (int i = 0; i < t->v.seq.elts.len; i++)
            if (target_binds(t->v.seq.elts.items[i], name)) return true;
        return false;
    default: return false;
    }
}

static void visit_expr(ST *st, Node *n) {
    if (!n || st->failed) return;
    switch (n->kind) {
    case N_BoolOp: visit_exprs(st, &n->v.boolop.values); break;
    case N_NamedExpr: {
        visit_expr(st, n->v.namedexpr.value);
        const char *name = symtable_mangle(st->arena, st->cur, n->v.namedexpr.target->v.name.id);
        if (st->cur->is_comprehension) {
            for (Scope *c = st->cur; c && c->is_comprehension; c = c->parent) {
                NodeList *gens = &c->node->v.comp.generators;
                for (int i = 0; i < gens->len; i++)
                    if (target_binds(gens->items[i]->v.comprehension.target, name)) {
                        st_error(st, n, "assignment expression cannot rebind comprehension iteration variable '%s'", name);
                        return;
                    }
            }
            /* PEP 572: binds in the enclosing function (or module). */
            Scope *f = function_scope(st->cur);
            if (f->kind == SCOPE_CLASS) {
                st_error(st, n, "assignment expression within a comprehension cannot be used in a class body");
                return;
            }
            add_sym(st, f, name, DEF_LOCAL);
            for (Scope *s = st->cur; s != f; s = s->parent)
                add_sym(st, s, name, f->kind == SCOPE_MODULE ? DEF_GLOBAL : DEF_NONLOCAL);
        } else {
            use_name(st, name, DEF_LOCAL, n);
        }
        break;
    }
    case N_BinOp: visit_expr(st, n->v.binop.left); visit_expr(st, n->v.binop.right); break;
    case N_UnaryOp: visit_expr(st, n->v.unaryop.operand); break;
    case N_Lambda: {
        visit_args(st, n->v.lambda.args);
        Scope *s = new_scope(st, SCOPE_FUNCTION, "<lambda>", n);
        s->is_lambda = 1;
        s->in_async_function = 0;
        Scope *saved = st->cur;
        st->cur = s;
        declare_params(st, s, n->v.lambda.args);
        visit_expr(st, n->v.lambda.body);
        st->cur = saved;
        break;
    }
    case N_IfExp:
        visit_expr(st, n->v.ifexp.test); visit_expr(st, n->v.ifexp.body); visit_expr(st, n->v.ifexp.orelse);
        break;
    case N_Dict: visit_exprs(st, &n->v.dict.keys); visit_exprs(st, &n->v.dict.values); break;
    case N_Set: visit_exprs(st, &n->v.set.elts); break;
    case N_ListComp: visit_comprehension(st, n, "<listcomp>"); break;
    case N_SetComp: visit_comprehension(st, n, "<setcomp>"); break;
    case N_DictComp: visit_comprehension(st, n, "<dictcomp>"); break;
    case N_GeneratorExp: visit_comprehension(st, n, "<genexpr>"); break;
    case N_Await: {
        Scope *s = st->cur;
        Scope *f = function_scope(s);
        if (s->is_comprehension) {
            s->has_await = 1;
            if (!(f->kind == SCOPE_FUNCTION && f->is_coroutine) &&
                !(f->kind == SCOPE_MODULE && st->allow_top_await) && s->node->kind != N_GeneratorExp) {
                st_error(st, s->node, "asynchronous comprehension outside of an asynchronous function");
                return;
            }
        } else if (s->kind == SCOPE_FUNCTION) {
            if (!s->is_coroutine) {
                st_error(st, n, s->is_lambda ? "'await' outside async function" : "'await' outside async function");
                return;
            }
        } else if (!(s->kind == SCOPE_MODULE && st->allow_top_await)) {
            st_error(st, n, "'await' outside function");
            return;
        }
        s->has_await = 1;
        visit_expr(st, n->v.await.value);
        break;
    }
    case N_Yield:
        check_yield(st, n, "yield");
        visit_expr(st, n->v.await.value);
        break;
    case N_YieldFrom:
        check_yield(st, n, "yield from");
        if (st->cur->is_coroutine && !st->failed) { st_error(st, n, "'yield from' inside async function"); return; }
        st->cur->has_yield_from = 1;
        visit_expr(st, n->v.await.value);
        break;
    case N_Compare: visit_expr(st, n->v.compare.left); visit_exprs(st, &n->v.compare.comparators); break;
    case N_Call:
        visit_expr(st, n->v.call.func);
        visit_exprs(st, &n->v.call.args);
        for (int i = 0; i < n->v.call.keywords.len; i++) visit_expr(st, n->v.call.keywords.items[i]->v.keyword.value);
        break;
    case N_FormattedValue:
        visit_expr(st, n->v.formatted.value);
        visit_expr(st, n->v.formatted.format_spec);
        break;
    case N_JoinedStr: visit_exprs(st, &n->v.joinedstr.values); break;
    case N_Constant: break;
    case N_Attribute: visit_expr(st, n->v.attribute.value); break;
    case N_Subscript: visit_expr(st, n->v.subscript.value); visit_expr(st, n->v.subscript.slice); break;
    case N_Starred: visit_expr(st, n->v.starred.value); break;
    case N_Name: {
        int flags = n->v.name.ctx == CTX_LOAD ? DEF_USE : DEF_LOCAL;
        use_name(st, n->v.name.id, flags, n);
        break;
    }
    case N_List: case N_Tuple: visit_exprs(st, &n->v.seq.elts); break;
    case N_Slice:
        visit_expr(st, n->v.slice.lower); visit_expr(st, n->v.slice.upper); visit_expr(st, n->v.slice.step);
        break;
    default: break;
    }
}

/* The first `global`/`nonlocal` statement of a scope naming `name`: CPython
 * reports directive conflicts there. Nested defs and classes are other scopes. */
static Node *find_directive(NodeList *body, const char *name) {
    for (int i = 0; i < body->len; i++) {
        Node *n = body->items[i], *r = NULL;
        switch (n->kind) {
        case N_Global: case N_Nonlocal:
            for (int k = 0; k < n->v.global.count; k++)
                if (strcmp(n->v.global.names[k], name) == 0) return n;
            break;
        case N_If: if (!(r = find_directive(&n->v.ifstmt.body, name))) r = find_directive(&n->v.ifstmt.orelse, name); break;
        case N_While: if (!(r = find_directive(&n->v.whilestmt.body, name))) r = find_directive(&n->v.whilestmt.orelse, name); break;
        case N_For: if (!(r = find_directive(&n->v.forstmt.body, name))) r = find_directive(&n->v.forstmt.orelse, name); break;
        case N_With: r = find_directive(&n->v.with.body, name); break;
        case N_Try:
            r = find_directive(&n->v.trystmt.body, name);
            for (int h = 0; !r && h < n->v.trystmt.handlers.len; h++)
                r = find_directive(&n->v.trystmt.handlers.items[h]->v.handler.body, name);
            if (!r) r = find_directive(&n->v.trystmt.orelse, name);
            if (!r) r = find_directive(&n->v.trystmt.finalbody, name);
            break;
        default: break;
        }
        if (r) return r;
    }
    return NULL;
}

static Node *directive_of(Scope *s, const char *name) {
    Node *r = NULL;
    if (s->node && s->node->kind == N_FunctionDef) r = find_directive(&s->node->v.funcdef.body, name);
    else if (s->node && s->node->kind == N_ClassDef) r = find_directive(&s->node->v.classdef.body, name);
    return r ? r : s->node;
}

static void declare_global(ST *st, Node *n, int nonlocal) {
    Scope *s = st->cur;
    const char *what = nonlocal ? "nonlocal" : "global";
    if (nonlocal && s->kind == SCOPE_MODULE) {
        st_error(st, n, "nonlocal declaration not allowed at module level");
        return;
    }
    for (int i = 0; i < n->v.global.count; i++) {
        const char *name = symtable_mangle(st->arena, s, n->v.global.names[i]);
        Symbol *sym = symtable_lookup(s, name);
        if (sym) {
            /* CPython's order of checks */
            if (sym->flags & DEF_PARAM) { st_error(st, n, "name '%s' is parameter and %s", name, what); return; }
            if (sym->flags & DEF_USE) { st_error(st, n, "name '%s' is used prior to %s declaration", name, what); return; }
            if (sym->flags & DEF_ANNOT) { st_error(st, n, "annotated name '%s' can't be %s", name, what); return; }
            if (sym->flags & DEF_LOCAL) { st_error(st, n, "name '%s' is assigned to before %s declaration", name, what); return; }
            if ((nonlocal && (sym->flags & DEF_GLOBAL)) || (!nonlocal && (sym->flags & DEF_NONLOCAL))) {
                Node *first = directive_of(s, name);
                st_error(st, first ? first : n, "name '%s' is nonlocal and global", name);
                return;
            }
        }
        add_sym(st, s, name, nonlocal ? DEF_NONLOCAL : DEF_GLOBAL);
    }
}

static void visit_stmt(ST *st, Node *n) {
    if (!n || st->failed) return;
    switch (n->kind) {
    case N_FunctionDef: {
        visit_exprs(st, &n->v.funcdef.decorators);
        visit_args(st, n->v.funcdef.args);
        use_name(st, n->v.funcdef.name, DEF_LOCAL, n);
        Scope *s = new_scope(st, SCOPE_FUNCTION, n->v.funcdef.name, n);
        s->is_coroutine = n->v.funcdef.is_async;
        s->in_async_function = n->v.funcdef.is_async;
        Scope *saved = st->cur;
        st->cur = s;
        declare_params(st, s, n->v.funcdef.args);
        visit_stmts(st, &n->v.funcdef.body);
        st->cur = saved;
        break;
    }
    case N_ClassDef: {
        visit_exprs(st, &n->v.classdef.decorators);
        visit_exprs(st, &n->v.classdef.bases);
        for (int i = 0; i < n->v.classdef.keywords.len; i++) visit_expr(st, n->v.classdef.keywords.items[i]->v.keyword.value);
        use_name(st, n->v.classdef.name, DEF_LOCAL, n);
        Scope *s = new_scope(st, SCOPE_CLASS, n->v.classdef.name, n);
        s->in_async_function = 0;
        Scope *saved = st->cur;
        st->cur = s;
        visit_stmts(st, &n->v.classdef.body);
        st->cur = saved;
        break;
    }
    case N_Return:
        if (st->cur->kind != SCOPE_FUNCTION || st->cur->is_comprehension) { st_error(st, n, "'return' outside function"); return; }
        if (n->v.ret.value) {
            if (!st->cur->returns_value) st->cur->return_node = n;
            st->cur->returns_value = 1;
            visit_expr(st, n->v.ret.value);
        }
        break;
    case N_Delete: visit_exprs(st, &n->v.del.targets); break;
    case N_Assign: visit_expr(st, n->v.assign.value); visit_exprs(st, &n->v.assign.targets); break;
    case N_AugAssign:
        visit_expr(st, n->v.augassign.value);
        if (n->v.augassign.target->kind == N_Name)
            use_name(st, n->v.augassign.target->v.name.id, DEF_LOCAL | DEF_USE, n);
        else visit_expr(st, n->v.augassign.target);
        break;
    case N_AnnAssign:
        if (n->v.annassign.target->kind == N_Name && n->v.annassign.simple) {
            const char *name = symtable_mangle(st->arena, st->cur, n->v.annassign.target->v.name.id);
            Symbol *sym = symtable_lookup(st->cur, name);
            if (sym && (sym->flags & (DEF_GLOBAL | DEF_NONLOCAL)) && st->cur->kind != SCOPE_MODULE) {
                st_error(st, n, "annotated name '%s' can't be %s", name,
                         sym->flags & DEF_GLOBAL ? "global" : "nonlocal");
                return;
            }
            use_name(st, name, DEF_LOCAL | DEF_ANNOT, n);
        } else if (n->v.annassign.target->kind == N_Name && n->v.annassign.value)
            use_name(st, n->v.annassign.target->v.name.id, DEF_LOCAL, n);
        else if (n->v.annassign.target->kind == N_Name)
            use_name(st, n->v.annassign.target->v.name.id, DEF_LOCAL, n);
        else visit_expr(st, n->v.annassign.target);
        visit_expr(st, n->v.annassign.value);
        break;
    case N_For:
        if (n->v.forstmt.is_async) {
            Scope *f = st->cur;
            if (!((f->kind == SCOPE_FUNCTION && f->is_coroutine) || (f->kind == SCOPE_MODULE && st->allow_top_await))) {
                st_error(st, n, "'async for' outside async function");
                return;
            }
        }
        visit_expr(st, n->v.forstmt.iter);
        visit_expr(st, n->v.forstmt.target);
        visit_stmts(st, &n->v.forstmt.body);
        visit_stmts(st, &n->v.forstmt.orelse);
        break;
    case N_While:
        visit_expr(st, n->v.whilestmt.test);
        visit_stmts(st, &n->v.whilestmt.body);
        visit_stmts(st, &n->v.whilestmt.orelse);
        break;
    case N_If:
        visit_expr(st, n->v.ifstmt.test);
        visit_stmts(st, &n->v.ifstmt.body);
        visit_stmts(st, &n->v.ifstmt.orelse);
        break;
    case N_With:
        if (n->v.with.is_async) {
            Scope *f = st->cur;
            if (!((f->kind == SCOPE_FUNCTION && f->is_coroutine) || (f->kind == SCOPE_MODULE && st->allow_top_await))) {
                st_error(st, n, "'async with' outside async function");
                return;
            }
        }
        for (int i = 0; i < n->v.with.items.len; i++) {
            Node *it = n->v.with.items.items[i];
            visit_expr(st, it->v.withitem.context_expr);
            visit_expr(st, it->v.withitem.optional_vars);
        }
        visit_stmts(st, &n->v.with.body);
        break;
    case N_Raise: visit_expr(st, n->v.raise.exc); visit_expr(st, n->v.raise.cause); break;
    case N_Try:
        visit_stmts(st, &n->v.trystmt.body);
        for (int i = 0; i < n->v.trystmt.handlers.len; i++) {
            Node *h = n->v.trystmt.handlers.items[i];
            visit_expr(st, h->v.handler.type);
            if (h->v.handler.name) use_name(st, h->v.handler.name, DEF_LOCAL, h);
            visit_stmts(st, &h->v.handler.body);
        }
        visit_stmts(st, &n->v.trystmt.orelse);
        visit_stmts(st, &n->v.trystmt.finalbody);
        break;
    case N_Assert: visit_expr(st, n->v.assertstmt.test); visit_expr(st, n->v.assertstmt.msg); break;
    case N_Import:
        for (int i = 0; i < n->v.import.names.len; i++) {
            Node *a = n->v.import.names.items[i];
            const char *bind = a->v.alias.asname;
            if (!bind) {
                const char *dot = strchr(a->v.alias.name, '.');
                bind = dot ? arena_strndup(st->arena, a->v.alias.name, (size_t)(dot - a->v.alias.name)) : a->v.alias.name;
            }
            use_name(st, bind, DEF_LOCAL | DEF_IMPORT, a);
        }
        break;
    case N_ImportFrom:
        for (int i = 0; i < n->v.importfrom.names.len; i++) {
            Node *a = n->v.importfrom.names.items[i];
            if (strcmp(a->v.alias.name, "*") == 0) {
                if (st->cur->kind != SCOPE_MODULE) { st_error(st, a, "import * only allowed at module level"); return; }
                continue;
            }
            use_name(st, a->v.alias.asname ? a->v.alias.asname : a->v.alias.name, DEF_LOCAL | DEF_IMPORT, a);
        }
        break;
    case N_Global: declare_global(st, n, 0); break;
    case N_Nonlocal: declare_global(st, n, 1); break;
    case N_Expr: visit_expr(st, n->v.expr.value); break;
    default: break;
    }
}

static void visit_stmts(ST *st, NodeList *l) {
    for (int i = 0; i < l->len && !st->failed; i++) visit_stmt(st, l->items[i]);
}

/* ---- analysis ---------------------------------------------------------------------------------- */
/* A tiny set of names (arena strings), compared with strcmp. */
typedef struct { const char **names; int n, cap; } NameSet;

static bool set_has(NameSet *s, const char *name) {
    for (int i = 0; i < s->n; i++) if (strcmp(s->names[i], name) == 0) return true;
    return false;
}

static void set_add(NameSet *s, const char *name) {
    if (set_has(s, name)) return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->names = realloc(s->names, sizeof(char *) * (size_t)s->cap);
    }
    s->names[s->n++] = name;
}

static void set_remove(NameSet *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) { s->names[i] = s->names[--s->n]; return; }
}

static void set_copy(NameSet *dst, NameSet *src) {
    for (int i = 0; i < src->n; i++) set_add(dst, src->names[i]);
}

/* Resolve every name of `s`; `bound` holds the names bound by enclosing
 * functions, `globals` those declared global above. Adds s's free names to `free_out`. */
static void analyze(ST *st, Scope *s, NameSet *bound, NameSet *globals, NameSet *free_out) {
    NameSet local = {0}, own_free = {0}, newbound = {0}, newglobals = {0}, childfree = {0};
    set_copy(&newglobals, globals);
    for (int i = 0; i < s->nsyms && !st->failed; i++) {
        Symbol *sym = &s->syms[i];
        int f = sym->flags;
        if (f & DEF_GLOBAL) {
            sym->scope = NAME_GLOBAL_EXPLICIT;
            set_add(&newglobals, sym->name);
        } else if (f & DEF_NONLOCAL) {
            if (!set_has(bound, sym->name)) {
                Node *at = directive_of(s, sym->name);
                st_error(st, at, "no binding for nonlocal '%s' found", sym->name);
                break;
            }
            sym->scope = NAME_FREE;
            set_add(&own_free, sym->name);
        } else if (f & (DEF_LOCAL | DEF_PARAM | DEF_IMPORT)) {
            sym->scope = NAME_LOCAL;
            set_add(&local, sym->name);
            set_remove(&newglobals, sym->name);
        } else if (s->kind != SCOPE_MODULE && set_has(bound, sym->name)) {
            sym->scope = NAME_FREE;
            set_add(&own_free, sym->name);
        } else {
            sym->scope = NAME_GLOBAL_IMPLICIT;
        }
    }
    /* What children may capture. Class names are not visible to methods,
     * except the implicit __class__ cell. */
    if (s->kind == SCOPE_FUNCTION) {
        set_copy(&newbound, bound);
        set_copy(&newbound, &local);
    } else if (s->kind == SCOPE_CLASS) {
        set_copy(&newbound, bound);
        set_add(&newbound, "__class__");
    }
    /* `global x` hides an enclosing function's x from nested scopes too (CPython
     * discards it from the bound set): they read the global. */
    for (int i = 0; i < s->nsyms; i++)
        if (s->syms[i].scope == NAME_GLOBAL_EXPLICIT) set_remove(&newbound, s->syms[i].name);
    for (int i = 0; i < s->nchildren && !st->failed; i++)
        analyze(st, s->children[i], &newbound, &newglobals, &childfree);
    if (s->kind == SCOPE_CLASS && set_has(&childfree, "__class__")) {
        s->needs_class_cell = 1;
        set_remove(&childfree, "__class__");
    }
    /* Captured locals become cells; anything else free in a child passes through us. */
    for (int i = 0; i < childfree.n; i++) {
        const char *name = childfree.names[i];
        Symbol *sym = symtable_lookup(s, name);
        if (s->kind == SCOPE_FUNCTION && sym && sym->scope == NAME_LOCAL) {
            sym->scope = NAME_CELL;
            continue;
        }
        if (s->kind == SCOPE_CLASS && sym && sym->scope == NAME_LOCAL) {
            /* bound in the class, but a method's free variable refers further out */
            sym->flags |= DEF_FREE_CLASS;
            set_add(&own_free, name);
            continue;
        }
        if (sym && (sym->scope == NAME_GLOBAL_EXPLICIT)) continue;
        if (!sym) {
            sym = add_sym(st, s, name, 0);
            sym->scope = NAME_FREE;
        } else if (sym->scope == NAME_GLOBAL_IMPLICIT) {
            sym->scope = NAME_FREE;
        }
        set_add(&own_free, name);
    }
    for (int i = 0; i < own_free.n; i++) set_add(free_out, own_free.names[i]);
    free(local.names); free(own_free.names); free(newbound.names); free(newglobals.names); free(childfree.names);
}

static void check_async_gen(ST *st, Scope *s) {
    if (st->failed) return;
    if (s->kind == SCOPE_FUNCTION && s->is_coroutine && s->is_generator && s->returns_value && !s->is_comprehension) {
        /* find the offending return for its position */
        st_error(st, s->return_node ? s->return_node : s->node, "'return' with value in async generator");
        return;
    }
    for (int i = 0; i < s->nchildren; i++) check_async_gen(st, s->children[i]);
}

/* ---- entry points ------------------------------------------------------------------------------- */
static ScopeMap *the_map(Scope *root) { return (ScopeMap *)root->node_map; }

Scope *symtable_build(Arena *arena, Node *module, const char *filename,
                      int allow_top_level_await, SyntaxErr *err) {
    ST st = { .arena = arena, .filename = filename, .err = err, .allow_top_await = allow_top_level_await };
    Scope *root = new_scope(&st, SCOPE_MODULE, "<module>", NULL);
    st.root = root;
    st.cur = root;
    if (module->kind == N_Expression) visit_expr(&st, module->v.expression.body);
    else visit_stmts(&st, &module->v.module.body);
    if (!st.failed) check_async_gen(&st, root);
    if (!st.failed) {
        NameSet bound = {0}, globals = {0}, free_out = {0};
        analyze(&st, root, &bound, &globals, &free_out);
        free(bound.names); free(globals.names); free(free_out.names);
    }
    /* Keep the node→scope map in the arena, hung off the module scope. */
    ScopeMap *m = arena_alloc(arena, sizeof *m);
    m->cap = st.map_cap;
    m->nodes = arena_alloc(arena, sizeof(Node *) * (m->cap ? m->cap : 1));
    m->scopes = arena_alloc(arena, sizeof(Scope *) * (m->cap ? m->cap : 1));
    if (m->cap) {
        memcpy(m->nodes, st.map_nodes, sizeof(Node *) * m->cap);
        memcpy(m->scopes, st.map_scopes, sizeof(Scope *) * m->cap);
    }
    free(st.map_nodes);
    free(st.map_scopes);
    root->node_map = m;
    return st.failed ? NULL : root;
}

Scope *symtable_scope_of(Scope *root, Node *n) {
    ScopeMap *m = the_map(root);
    if (!m->cap) return NULL;
    size_t h = ((uintptr_t)n >> 4) & (m->cap - 1);
    while (m->nodes[h]) {
        if (m->nodes[h] == n) return m->scopes[h];
        h = (h + 1) & (m->cap - 1);
    }
    return NULL;
}
