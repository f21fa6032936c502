/* symtable.h — scopes: which names are local, global, free or cells.
 *
 * Owns: the first pass of the compiler over the AST, in the manner of
 * CPython's symtable.c: one Scope per module, class, function, lambda and
 * comprehension, each knowing how every name it uses is bound. Also the
 * SyntaxErrors that depend only on scoping (global/nonlocal misuse,
 * 'yield'/'return'/'await' outside a function …).
 * Must not touch: objects or bytecode.
 */
#ifndef APY_SYMTABLE_H
#define APY_SYMTABLE_H

#include "ast.h"
#include "parse.h"

typedef enum { SCOPE_MODULE, SCOPE_CLASS, SCOPE_FUNCTION } ScopeKind;

/* Where a name lives, after analysis. */
typedef enum {
    NAME_UNKNOWN,
    NAME_LOCAL,             /* function: fast local; module/class: dict */
    NAME_GLOBAL_EXPLICIT,   /* declared `global` */
    NAME_GLOBAL_IMPLICIT,   /* not bound anywhere visible: globals, then builtins */
    NAME_FREE,              /* bound in an enclosing function */
    NAME_CELL               /* local, and captured by an inner function */
} NameScope;

/* Flags gathered while walking. */
enum {
    DEF_GLOBAL   = 1 << 0,
    DEF_LOCAL    = 1 << 1,
    DEF_PARAM    = 1 << 2,
    DEF_NONLOCAL = 1 << 3,
    DEF_USE      = 1 << 4,
    DEF_FREE_CLASS = 1 << 5,  /* free in a method, bound in the class: the class sees it via a cell */
    DEF_IMPORT   = 1 << 6,
};

typedef struct Symbol {
    const char *name;
    uint32_t hash;
    int flags;
    NameScope scope;
} Symbol;

typedef struct Scope Scope;
struct Scope {
    ScopeKind kind;
    const char *name;          /* "<module>", class name, function name, "<lambda>", "<listcomp>" … */
    Node *node;
    Scope *parent;
    Symbol *syms;
    int nsyms, capsyms;
    int *index; int mask;      /* open-addressing hash over syms */
    const char **params;       /* parameter names in order */
    int nparams;
    Scope **children;
    int nchildren, capchildren;
    int is_generator;          /* contains yield */
    int is_coroutine;          /* async def, or an async comprehension */
    int is_comprehension;
    int is_lambda;
    int has_yield_from;
    int has_await;             /* contains await (for comprehensions inside async functions) */
    int needs_class_cell;      /* class: some method uses super() or __class__ */
    int child_free_class;      /* function: uses __class__ */
    int in_async_function;     /* lexically inside an async def (for comprehensions) */
    int returns_value;         /* has `return expr` (async generators may not) */
    Node *return_node;         /* the first such return, for the error's position */
    int first_line;
    void *node_map;            /* module scope only: Node -> Scope, for symtable_scope_of */
};

/* Build and analyse. NULL with err filled on a scoping SyntaxError.
 * allow_top_level_await: the REPL's mode, where a module may await. */
Scope *symtable_build(Arena *arena, Node *module, const char *filename,
                      int allow_top_level_await, SyntaxErr *err);
Scope *symtable_scope_of(Scope *root, Node *n);       /* the scope a def/class/lambda/comprehension opened */
Symbol *symtable_lookup(Scope *s, const char *name);  /* NULL if the scope never saw it */
NameScope symtable_name_scope(Scope *s, const char *name);

/* ---- private name mangling (added by the lang-tests helper) ----
 * Inside class C (its body and everything nested in it, up to another
 * class), an identifier `__x` not ending in `__` means `_C__x`, as CPython's
 * _Py_Mangle. Returns `name` itself or an arena copy. */
const char *symtable_mangle(Arena *arena, Scope *s, const char *name);

#endif
