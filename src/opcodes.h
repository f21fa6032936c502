/* opcodes.h — the instruction set, in one table.
 *
 * Owns: every opcode's name, the kind of its argument (how `--dis` shows
 * it) and its effect on the value stack when it falls through and when it
 * jumps. The compiler computes stack depths from it, the VM's dispatch table
 * and the disassembler are generated from it: they cannot disagree.
 * Must not touch: what the instructions do (vm.c) or when they are emitted
 * (compiler.c).
 *
 * An instruction is one 32-bit word: the opcode in the low 8 bits, the
 * argument in the upper 24. Jump arguments are absolute instruction indices.
 * Stack effects are C expressions of `arg`; the second is taken when the
 * instruction jumps (for non-jumps it is unused).
 */
#ifndef APY_OPCODES_H
#define APY_OPCODES_H

#include <stdint.h>

typedef enum {
    ARG_NONE,      /* no argument */
    ARG_CONST,     /* index into co_consts */
    ARG_NAME,      /* index into co_names */
    ARG_LOCAL,     /* index of a fast local (co_varnames) */
    ARG_DEREF,     /* index of a cell or free variable */
    ARG_JUMP,      /* absolute target */
    ARG_COUNT,     /* a count */
    ARG_CMP,       /* a RichCmpOp */
    ARG_BINOP,     /* a BinOpKind, maybe + BINOP_INPLACE */
    ARG_MISC       /* flags; --dis shows the number */
} ArgKind;

/*  X(name, argument kind, stack effect falling through, stack effect jumping) */
#define APY_OPCODES(X) \
    X(NOP,                ARG_NONE,  0, 0) \
    X(POP_TOP,            ARG_NONE, -1, 0) \
    X(COPY,               ARG_COUNT, 1, 0)       /* push a copy of the arg-th item (1 = top) */ \
    X(SWAP,               ARG_COUNT, 0, 0)       /* swap the top with the arg-th item */ \
    X(LOAD_CONST,         ARG_CONST, 1, 0) \
    X(LOAD_FAST,          ARG_LOCAL, 1, 0) \
    X(STORE_FAST,         ARG_LOCAL,-1, 0) \
    X(DELETE_FAST,        ARG_LOCAL, 0, 0) \
    X(LOAD_DEREF,         ARG_DEREF, 1, 0) \
    X(LOAD_CLASSDEREF,    ARG_DEREF, 1, 0)       /* class body: its dict first, then the cell */ \
    X(STORE_DEREF,        ARG_DEREF,-1, 0) \
    X(DELETE_DEREF,       ARG_DEREF, 0, 0) \
    X(LOAD_CLOSURE,       ARG_DEREF, 1, 0)       /* push the cell itself (for MAKE_FUNCTION) */ \
    X(LOAD_GLOBAL,        ARG_NAME,  1, 0) \
    X(STORE_GLOBAL,       ARG_NAME, -1, 0) \
    X(DELETE_GLOBAL,      ARG_NAME,  0, 0) \
    X(LOAD_NAME,          ARG_NAME,  1, 0) \
    X(STORE_NAME,         ARG_NAME, -1, 0) \
    X(DELETE_NAME,        ARG_NAME,  0, 0) \
    X(LOAD_ATTR,          ARG_NAME,  0, 0) \
    X(STORE_ATTR,         ARG_NAME, -2, 0)       /* [value, obj] */ \
    X(DELETE_ATTR,        ARG_NAME, -1, 0) \
    X(LOAD_METHOD,        ARG_NAME,  1, 0)       /* obj -> [method, obj] or [callable, NULL] */ \
    X(BINARY_SUBSCR,      ARG_NONE, -1, 0) \
    X(STORE_SUBSCR,       ARG_NONE, -3, 0)       /* [value, obj, key] */ \
    X(DELETE_SUBSCR,      ARG_NONE, -2, 0) \
    X(BINARY_OP,          ARG_BINOP,-1, 0) \
    X(UNARY_NEGATIVE,     ARG_NONE,  0, 0) \
    X(UNARY_POSITIVE,     ARG_NONE,  0, 0) \
    X(UNARY_INVERT,       ARG_NONE,  0, 0) \
    X(UNARY_NOT,          ARG_NONE,  0, 0) \
    X(COMPARE_OP,         ARG_CMP,  -1, 0) \
    X(IS_OP,              ARG_MISC, -1, 0)       /* arg 1: is not */ \
    X(CONTAINS_OP,        ARG_MISC, -1, 0)       /* arg 1: not in */ \
    X(BUILD_TUPLE,        ARG_COUNT, 1 - (int)arg, 0) \
    X(BUILD_LIST,         ARG_COUNT, 1 - (int)arg, 0) \
    X(BUILD_SET,          ARG_COUNT, 1 - (int)arg, 0) \
    X(BUILD_MAP,          ARG_COUNT, 1 - 2 * (int)arg, 0) \
    X(BUILD_SLICE,        ARG_COUNT, 1 - (int)arg, 0) \
    X(BUILD_STRING,       ARG_COUNT, 1 - (int)arg, 0) \
    X(LIST_APPEND,        ARG_COUNT,-1, 0)       /* append TOS to the list arg items down */ \
    X(SET_ADD,            ARG_COUNT,-1, 0) \
    X(MAP_ADD,            ARG_COUNT,-2, 0)       /* [key, value] */ \
    X(LIST_EXTEND,        ARG_COUNT,-1, 0) \
    X(SET_UPDATE,         ARG_COUNT,-1, 0) \
    X(DICT_UPDATE,        ARG_COUNT,-1, 0) \
    X(DICT_MERGE,         ARG_COUNT,-1, 0)       /* for f(**kw): duplicate keys are an error */ \
    X(LIST_TO_TUPLE,      ARG_NONE,  0, 0) \
    X(FORMAT_VALUE,       ARG_MISC, -((int)(arg) >> 2 & 1), 0) /* low 2 bits conversion, bit 2: spec on stack */ \
    X(UNPACK_SEQUENCE,    ARG_COUNT, (int)arg - 1, 0) \
    X(UNPACK_EX,          ARG_MISC, ((int)(arg) & 0xFF) + ((int)(arg) >> 8), 0) /* before | after << 8 */ \
    X(JUMP,               ARG_JUMP,  0, 0) \
    X(JUMP_BACKWARD,      ARG_JUMP,  0, 0)       /* a loop's back edge: a safe point */ \
    X(POP_JUMP_IF_FALSE,  ARG_JUMP, -1, -1) \
    X(POP_JUMP_IF_TRUE,   ARG_JUMP, -1, -1) \
    X(POP_JUMP_IF_NONE,   ARG_JUMP, -1, -1) \
    X(POP_JUMP_IF_NOT_NONE, ARG_JUMP, -1, -1) \
    X(JUMP_IF_FALSE_OR_POP, ARG_JUMP, -1, 0) \
    X(JUMP_IF_TRUE_OR_POP,  ARG_JUMP, -1, 0) \
    X(GET_ITER,           ARG_NONE,  0, 0) \
    X(FOR_ITER,           ARG_JUMP,  1, -1)      /* exhausted: pop the iterator and jump */ \
    X(CALL,               ARG_COUNT, -(int)(arg), 0)            /* [f, args…] */ \
    X(CALL_KW,            ARG_COUNT, -(int)(arg) - 1, 0)        /* [f, args…, kwnames] */ \
    X(CALL_METHOD,        ARG_COUNT, -(int)(arg) - 1, 0)        /* [m, self|NULL, args…] */ \
    X(CALL_METHOD_KW,     ARG_COUNT, -(int)(arg) - 2, 0) \
    X(CALL_EX,            ARG_MISC, -1 - ((int)(arg) & 1), 0)   /* [f, args tuple, (kwargs dict)] */ \
    X(MAKE_FUNCTION,      ARG_MISC, -__builtin_popcount(arg), 0) /* 1 defaults, 2 kwdefaults, 4 annotations, 8 closure */ \
    X(RETURN_VALUE,       ARG_NONE, -1, 0) \
    X(YIELD_VALUE,        ARG_NONE,  0, 0)       /* yield TOS; resumed: TOS is the value sent */ \
    X(SEND,               ARG_JUMP,  0, -1)      /* [recv, v] -> [recv, yielded], or [result] and jump */ \
    X(GET_YIELD_FROM_ITER,ARG_NONE,  0, 0) \
    X(GET_AWAITABLE,      ARG_MISC,  0, 0)       /* 0 await, 1 after __aenter__, 2 after __aexit__ */ \
    X(GET_AITER,          ARG_NONE,  0, 0) \
    X(GET_ANEXT,          ARG_NONE,  1, 0) \
    X(END_ASYNC_FOR,      ARG_NONE, -2, 0)       /* [aiter, exc]: StopAsyncIteration ends the loop */ \
    X(ASYNC_GEN_WRAP,     ARG_NONE,  0, 0) \
    X(BEFORE_WITH,        ARG_NONE,  1, 0)       /* mgr -> [exit, enter()] */ \
    X(BEFORE_ASYNC_WITH,  ARG_NONE,  1, 0)       /* mgr -> [aexit, aenter() awaitable] */ \
    X(WITH_EXCEPT_START,  ARG_NONE,  1, 0)       /* [exit, lasti, prev, exc] -> + exit(type, exc, tb) */ \
    X(PUSH_EXC_INFO,      ARG_NONE,  1, 0)       /* [exc] -> [prev handled, exc]; exc is now handled */ \
    X(POP_EXCEPT,         ARG_NONE, -1, 0)       /* restore the handled exception from TOS */ \
    X(CHECK_EXC_MATCH,    ARG_NONE,  0, 0)       /* [exc, cls] -> [exc, bool] */ \
    X(RERAISE,            ARG_COUNT,-1, 0)       /* re-raise TOS; arg: take lasti from the arg-th item */ \
    X(RAISE_VARARGS,      ARG_COUNT, -(int)(arg), 0) \
    X(LOAD_ASSERTION_ERROR, ARG_NONE, 1, 0) \
    X(LOAD_BUILD_CLASS,   ARG_NONE,  1, 0) \
    X(IMPORT_NAME,        ARG_NAME, -1, 0)       /* [level, fromlist] -> module */ \
    X(IMPORT_FROM,        ARG_NAME,  1, 0) \
    X(IMPORT_STAR,        ARG_NONE, -1, 0) \
    X(PRINT_EXPR,         ARG_NONE, -1, 0)       /* REPL: show repr, store in _ */ \
    X(RETURN_CLASSCELL,   ARG_NONE,  0, 0)       /* unused slot kept for numbering stability */ \
    X(SETUP_ANNOTATIONS,  ARG_NONE,  0, 0) \
    X(LOAD_LOCALS,        ARG_NONE,  1, 0)

typedef enum {
#define X(name, kind, eff, jeff) OP_##name,
    APY_OPCODES(X)
#undef X
    OP__COUNT
} Opcode;

#define INSTR(op, arg) ((uint32_t)(op) | ((uint32_t)(arg) << 8))
#define INSTR_OP(i)    ((Opcode)((i) & 0xFF))
#define INSTR_ARG(i)   ((uint32_t)(i) >> 8)
#define MAX_ARG        0xFFFFFF

typedef struct { const char *name; ArgKind kind; } OpcodeInfo;
extern const OpcodeInfo opcode_info[OP__COUNT];

/* Stack effect of `op` with argument `arg`; `jump` selects the jumping branch. */
int opcode_stack_effect(Opcode op, uint32_t arg, int jump);
/* Does `op` (conditionally) transfer control to its argument? */
int opcode_is_jump(Opcode op);

#endif
