/* dis.c — `apy --dis`: bytecode shown the way Python's dis module shows it.
 *
 * Owns: the disassembler's layout (line numbers, offsets, jump targets
 * marked with >>, operands resolved to names and constants, the exception
 * table), recursing into nested code objects.
 * Must not touch: anything but code objects and the instruction table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler.h"
#include "opcodes.h"
#include "object.h"
#include "vm.h"

static const char *const cmp_names[] = { "<", "<=", "==", "!=", ">", ">=" };
static const char *const binop_names[] = { "+", "-", "*", "@", "/", "%", "**", "<<", ">>", "|", "^", "&", "//" };

static void print_value_repr(FILE *out, Value v) {
    Value r = obj_repr(v);
    if (!r) { err_clear(); fputs("<?>", out); return; }
    if (STR_LEN(r) > 60) fprintf(out, "%.57s...", STR_DATA(r));
    else fwrite(STR_DATA(r), 1, STR_LEN(r), out);
    decref(r);
}

static void print_operand(FILE *out, CodeObj *co, Opcode op, uint32_t arg) {
    switch (opcode_info[op].kind) {
    case ARG_CONST:
        fputc('(', out); print_value_repr(out, TUPLE_ITEMS(co->consts)[arg]); fputc(')', out);
        break;
    case ARG_NAME:
        fprintf(out, "(%s)", STR_DATA(TUPLE_ITEMS(co->names)[arg]));
        break;
    case ARG_LOCAL:
        fprintf(out, "(%s)", STR_DATA(TUPLE_ITEMS(co->varnames)[arg]));
        break;
    case ARG_DEREF: {
        Value n = arg < co->ncells ? TUPLE_ITEMS(co->cellvars)[arg] : TUPLE_ITEMS(co->freevars)[arg - co->ncells];
        fprintf(out, "(%s)", STR_DATA(n));
        break;
    }
    case ARG_JUMP: fprintf(out, "(to %u)", arg); break;
    case ARG_CMP: fprintf(out, "(%s)", arg < 6 ? cmp_names[arg] : "?"); break;
    case ARG_BINOP: {
        uint32_t base = arg & ~(uint32_t)BINOP_INPLACE;
        fprintf(out, "(%s%s)", base < 13 ? binop_names[base] : "?", (arg & BINOP_INPLACE) ? "=" : "");
        break;
    }
    default: break;
    }
}

static void dis_one(FILE *out, CodeObj *co) {
    /* which instructions are jump targets */
    uint8_t *target = calloc(co->ncode + 1, 1);
    for (uint32_t i = 0; i < co->ncode; i++) {
        Opcode op = INSTR_OP(co->code[i]);
        if (opcode_is_jump(op) && INSTR_ARG(co->code[i]) <= co->ncode) target[INSTR_ARG(co->code[i])] = 1;
    }
    for (uint32_t i = 0; i < co->nexc; i++) if (co->exctable[i].target <= co->ncode) target[co->exctable[i].target] = 1;
    int last_line = -1;
    for (uint32_t i = 0; i < co->ncode; i++) {
        uint32_t ins = co->code[i];
        Opcode op = INSTR_OP(ins);
        uint32_t arg = INSTR_ARG(ins);
        int line = code_line_of(co, i);
        if (line != last_line && i) fputc('\n', out);
        if (line != last_line) fprintf(out, "%4d ", line);
        else fputs("     ", out);
        last_line = line;
        fprintf(out, "%s %5u %-24s", target[i] ? ">>" : "  ", i, op < OP__COUNT ? opcode_info[op].name : "???");
        if (opcode_info[op].kind != ARG_NONE) {
            fprintf(out, " %3u ", arg);
            print_operand(out, co, op, arg);
        }
        fputc('\n', out);
    }
    if (co->nexc) {
        fputs("ExceptionTable:\n", out);
        for (uint32_t i = 0; i < co->nexc; i++) {
            ExcEntry *e = &co->exctable[i];
            fprintf(out, "  %u to %u -> %u [%u]\n", e->start, e->end - 1, e->target, e->depth);
        }
    }
    free(target);
}

void dis_code(FILE *out, Value code) {
    CodeObj *co = AS_CODE(code);
    dis_one(out, co);
    for (size_t i = 0; i < TUPLE_LEN(co->consts); i++) {
        Value c = TUPLE_ITEMS(co->consts)[i];
        if (IS_TYPE(c, &CodeType)) {
            fprintf(out, "\nDisassembly of <code object %s, file \"%s\", line %d>:\n",
                    STR_DATA(AS_CODE(c)->name), STR_DATA(AS_CODE(c)->filename), AS_CODE(c)->firstline);
            dis_code(out, c);
        }
    }
}
