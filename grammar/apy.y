/* apy.y — the lemon (LALR(1)) grammar of apy: tokens in, AST out.
 *
 * Owns: the syntax of the Python-3.11-like subset, operator precedence and
 * associativity, and which builder each construct calls.
 * Must not touch: spans, validation and messages (the builders in parser.c
 * do those, so every action here stays a one-liner), tokens (lexer.re).
 *
 * The shape follows CPython 3.8's LL(1) Grammar/Grammar, made LALR-friendly:
 * assignment targets are parsed as expressions and converted by
 * set_context(); keyword arguments are `test '=' test` checked afterwards;
 * function parameters are a flat list validated by mk_arguments(). The
 * binary operators of `expr` use precedence declarations instead of one
 * non-terminal per level, which keeps the chains of unit reductions short.
 * One start rule per ParseMode: the driver feeds a START_* token first.
 */

%name ApyParse
%token_prefix TK_
%token_type {Token}
%default_type {Node *}
%extra_argument {ParseState *ps}
%stack_size 0

%include {
/* lempar.c's template leaves these unused when a grammar has no destructors. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-variable"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "lexer.h"
}

%syntax_error {
    parser_syntax_error(ps, yypParser, yymajor, &yyminor);
}
%stack_overflow {
    parser_error_at(ps, SE_SYNTAX, 1, 0, 0, 0, "too many nested expressions");
}

/* Token codes in a fixed order: --tokens output and the tests use them. */
%token ENDMARKER NAME NUMBER STRING NEWLINE INDENT DEDENT ERRORTOKEN.
%token FALSE NONE TRUE AND AS ASSERT ASYNC AWAIT BREAK CLASS CONTINUE DEF DEL
       ELIF ELSE EXCEPT FINALLY FOR FROM GLOBAL IF IMPORT IN IS LAMBDA NONLOCAL NOT
       OR PASS RAISE RETURN TRY WHILE WITH YIELD.
%token LPAR RPAR LSQB RSQB LBRACE RBRACE COLON COMMA SEMI PLUS MINUS STAR SLASH
       VBAR AMPER LESS GREATER EQUAL DOT PERCENT EQEQUAL NOTEQUAL LESSEQUAL
       GREATEREQUAL TILDE CIRCUMFLEX LEFTSHIFT RIGHTSHIFT DOUBLESTAR PLUSEQUAL
       MINEQUAL STAREQUAL SLASHEQUAL PERCENTEQUAL AMPEREQUAL VBAREQUAL
       CIRCUMFLEXEQUAL LEFTSHIFTEQUAL RIGHTSHIFTEQUAL DOUBLESTAREQUAL DOUBLESLASH
       DOUBLESLASHEQUAL AT ATEQUAL RARROW ELLIPSIS COLONEQUAL.
%token START_FILE START_SINGLE START_EVAL START_FSTRING.

/* Only the binary operators of `expr` (bitwise_or and below) use these. */
%left VBAR.
%left CIRCUMFLEX.
%left AMPER.
%left LEFTSHIFT RIGHTSHIFT.
%left PLUS MINUS.
%left STAR SLASH PERCENT DOUBLESLASH AT.

/* ==== start rules ======================================================== */

start ::= START_FILE file_body ENDMARKER.
start ::= START_SINGLE single_body ENDMARKER.
start ::= START_EVAL eval_body ENDMARKER.
start ::= START_FSTRING fstring_body ENDMARKER.

file_body ::= . {
    ps->result = ast_new(ps->arena, N_Module, 1, 0, 1, 0);
}
file_body ::= stmts(S). {
    ps->result = ast_new(ps->arena, N_Module, 1, 0, 1, 0);
    ps->result->v.module.body = S;
}

single_body ::= . {
    ps->result = ast_new(ps->arena, N_Interactive, 1, 0, 1, 0);
}
single_body ::= simple_line(S). {
    ps->result = ast_new(ps->arena, N_Interactive, 1, 0, 1, 0);
    ps->result->v.module.body = S;
}
single_body ::= compound_stmt(S). {
    ps->result = ast_new(ps->arena, N_Interactive, 1, 0, 1, 0);
    node_list_push(ps->arena, &ps->result->v.module.body, S);
}

eval_body ::= tsel(E) NEWLINE. {
    ps->result = ast_new(ps->arena, N_Expression, 1, 0, 1, 0);
    ps->result->v.expression.body = E;
}

fstring_body ::= tsel(E). { ps->result = E; }
fstring_body ::= yield_expr(E). { ps->result = E; }

/* ==== statements ========================================================== */

%type stmts {NodeList}
stmts(A) ::= compound_stmt(S). { A = (NodeList){0}; node_list_push(ps->arena, &A, S); }
stmts(A) ::= simple_line(S). { A = S; }
stmts(A) ::= stmts(L) compound_stmt(S). { A = L; node_list_push(ps->arena, &A, S); }
stmts(A) ::= stmts(L) simple_line(S). {
    A = L;
    for (int i = 0; i < S.len; i++) node_list_push(ps->arena, &A, S.items[i]);
}

%type simple_line {NodeList}
simple_line(A) ::= simple_stmts(S) NEWLINE. { A = S; }
simple_line(A) ::= simple_stmts(S) SEMI NEWLINE. { A = S; }

%type simple_stmts {NodeList}
simple_stmts(A) ::= small_stmt(S). { A = (NodeList){0}; node_list_push(ps->arena, &A, S); }
simple_stmts(A) ::= simple_stmts(L) SEMI small_stmt(S). { A = L; node_list_push(ps->arena, &A, S); }

%type suite {NodeList}
suite(A) ::= simple_line(S). { A = S; }
suite(A) ::= NEWLINE INDENT stmts(S) DEDENT. { A = S; }

/* ---- simple statements ---- */

small_stmt(A) ::= tsel(E). { A = mk_expr_stmt(ps, E); }
small_stmt(A) ::= yield_expr(E). { A = mk_expr_stmt(ps, E); }
small_stmt(A) ::= assign_chain(C). { A = mk_assign(ps, &C); }
small_stmt(A) ::= tsel(T) augassign(O) yield_or_tsel(V). { A = mk_augassign(ps, T, (BinOpKind)O, V); }
small_stmt(A) ::= tsel(T) COLON test(N). { A = mk_annassign(ps, T, N, NULL); }
small_stmt(A) ::= tsel(T) COLON test(N) EQUAL yield_or_tsel(V). { A = mk_annassign(ps, T, N, V); }
/* Any expressions parse as targets, so that set_context names what cannot
 * be deleted ("cannot delete conditional expression"), as CPython's
 * invalid_del_stmt does. */
small_stmt(A) ::= DEL(K) tsel_items(L). {
    A = node_tn(ps, N_Delete, &K, NULL);
    A->v.del.targets = L.elts;
    for (int i = 0; i < L.elts.len; i++) set_context(ps, L.elts.items[i], CTX_DEL, T_DEL);
    A->end_line = L.end_line; A->end_col = L.end_col;
}
small_stmt(A) ::= PASS(K). { A = node_at_tok(ps, N_Pass, &K); }
small_stmt(A) ::= BREAK(K). { A = node_at_tok(ps, N_Break, &K); }
small_stmt(A) ::= CONTINUE(K). { A = node_at_tok(ps, N_Continue, &K); }
small_stmt(A) ::= RETURN(K). { A = node_at_tok(ps, N_Return, &K); }
small_stmt(A) ::= RETURN(K) tsel(E). { A = node_tn(ps, N_Return, &K, E); A->v.ret.value = E; }
small_stmt(A) ::= RAISE(K). { A = node_at_tok(ps, N_Raise, &K); }
small_stmt(A) ::= RAISE(K) test(E). { A = node_tn(ps, N_Raise, &K, E); A->v.raise.exc = E; }
small_stmt(A) ::= RAISE(K) test(E) FROM test(C). {
    A = node_tn(ps, N_Raise, &K, C); A->v.raise.exc = E; A->v.raise.cause = C;
}
small_stmt(A) ::= GLOBAL(K) namelist(L). { A = mk_names_stmt(ps, N_Global, &K, &L); }
small_stmt(A) ::= NONLOCAL(K) namelist(L). { A = mk_names_stmt(ps, N_Nonlocal, &K, &L); }
small_stmt(A) ::= ASSERT(K) test(E). { A = node_tn(ps, N_Assert, &K, E); A->v.assertstmt.test = E; }
small_stmt(A) ::= ASSERT(K) test(E) COMMA test(M). {
    A = node_tn(ps, N_Assert, &K, M); A->v.assertstmt.test = E; A->v.assertstmt.msg = M;
}
small_stmt(A) ::= IMPORT(K) dotted_as_names(L). {
    A = node_tn(ps, N_Import, &K, L.items[L.len - 1]); A->v.import.names = L;
}
small_stmt(A) ::= FROM(K) import_module(M) IMPORT import_targets(T). {
    A = node_tn(ps, N_ImportFrom, &K, T.items[T.len - 1]);
    A->v.importfrom.module = M.name;
    A->v.importfrom.level = M.line;   /* import_module smuggles the level in `line` */
    A->v.importfrom.names = T;
}
small_stmt(A) ::= FROM(K) import_module(M) IMPORT LPAR import_names(T) RPAR(R). {
    A = node_tt(ps, N_ImportFrom, &K, &R);
    A->v.importfrom.module = M.name; A->v.importfrom.level = M.line; A->v.importfrom.names = T;
}
small_stmt(A) ::= FROM(K) import_module(M) IMPORT LPAR import_names(T) COMMA RPAR(R). {
    A = node_tt(ps, N_ImportFrom, &K, &R);
    A->v.importfrom.module = M.name; A->v.importfrom.level = M.line; A->v.importfrom.names = T;
}

%type assign_chain {NodeList}
assign_chain(A) ::= tsel(T) EQUAL yield_or_tsel(V). {
    A = (NodeList){0}; node_list_push(ps->arena, &A, T); node_list_push(ps->arena, &A, V);
}
assign_chain(A) ::= assign_chain(L) EQUAL yield_or_tsel(V). { A = L; node_list_push(ps->arena, &A, V); }

yield_or_tsel(A) ::= tsel(E). { A = E; }
yield_or_tsel(A) ::= yield_expr(E). { A = E; }

%type augassign {int}
augassign(A) ::= PLUSEQUAL. { A = OP_ADD; }
augassign(A) ::= MINEQUAL. { A = OP_SUB; }
augassign(A) ::= STAREQUAL. { A = OP_MUL; }
augassign(A) ::= ATEQUAL. { A = OP_MATMUL; }
augassign(A) ::= SLASHEQUAL. { A = OP_DIV; }
augassign(A) ::= PERCENTEQUAL. { A = OP_MOD; }
augassign(A) ::= AMPEREQUAL. { A = OP_BITAND; }
augassign(A) ::= VBAREQUAL. { A = OP_BITOR; }
augassign(A) ::= CIRCUMFLEXEQUAL. { A = OP_BITXOR; }
augassign(A) ::= LEFTSHIFTEQUAL. { A = OP_LSHIFT; }
augassign(A) ::= RIGHTSHIFTEQUAL. { A = OP_RSHIFT; }
augassign(A) ::= DOUBLESTAREQUAL. { A = OP_POW; }
augassign(A) ::= DOUBLESLASHEQUAL. { A = OP_FLOORDIV; }

%type namelist {NodeList}
namelist(A) ::= NAME(N). { A = (NodeList){0}; node_list_push(ps->arena, &A, mk_name(ps, &N)); }
namelist(A) ::= namelist(L) COMMA NAME(N). { A = L; node_list_push(ps->arena, &A, mk_name(ps, &N)); }

/* imports */
%type dotted_name {Dotted}
dotted_name(A) ::= NAME(N). {
    A.name = tok_str(ps, &N); A.line = N.line; A.col = N.col; A.end_line = N.end_line; A.end_col = N.end_col;
}
dotted_name(A) ::= dotted_name(D) DOT NAME(N). {
    size_t a = strlen(D.name), b = (size_t)N.len;
    char *s = arena_alloc(ps->arena, a + b + 2);
    memcpy(s, D.name, a); s[a] = '.'; memcpy(s + a + 1, N.start, b);
    A = D; A.name = s; A.end_line = N.end_line; A.end_col = N.end_col;
}

%type dotted_as_names {NodeList}
dotted_as_names(A) ::= dotted_as_name(N). { A = (NodeList){0}; node_list_push(ps->arena, &A, N); }
dotted_as_names(A) ::= dotted_as_names(L) COMMA dotted_as_name(N). { A = L; node_list_push(ps->arena, &A, N); }
dotted_as_name(A) ::= dotted_name(D). { A = mk_dotted_alias(ps, &D, NULL); }
dotted_as_name(A) ::= dotted_name(D) AS NAME(N). { A = mk_dotted_alias(ps, &D, &N); }

/* `from ...pkg.mod`: the level rides in Dotted.line (no position needed). */
%type import_module {Dotted}
%type dots {int}
import_module(A) ::= dotted_name(D). { A = D; A.line = 0; }
import_module(A) ::= dots(N). { A.name = NULL; A.line = N; }
import_module(A) ::= dots(N) dotted_name(D). { A = D; A.line = N; }
dots(A) ::= DOT. { A = 1; }
dots(A) ::= ELLIPSIS. { A = 3; }
dots(A) ::= dots(N) DOT. { A = N + 1; }
dots(A) ::= dots(N) ELLIPSIS. { A = N + 3; }

%type import_targets {NodeList}
%type import_names {NodeList}
import_targets(A) ::= STAR(S). {
    Node *n = node_at_tok(ps, N_alias, &S);
    n->v.alias.name = "*";
    A = (NodeList){0}; node_list_push(ps->arena, &A, n);
}
import_targets(A) ::= import_names(L). { A = L; }
import_names(A) ::= import_name(N). { A = (NodeList){0}; node_list_push(ps->arena, &A, N); }
import_names(A) ::= import_names(L) COMMA import_name(N). { A = L; node_list_push(ps->arena, &A, N); }
import_name(A) ::= NAME(N). { A = node_at_tok(ps, N_alias, &N); A->v.alias.name = tok_str(ps, &N); }
import_name(A) ::= NAME(N) AS NAME(M). {
    A = node_tt(ps, N_alias, &N, &M);
    A->v.alias.name = tok_str(ps, &N); A->v.alias.asname = tok_str(ps, &M);
}

/* ---- compound statements ---- */

compound_stmt(A) ::= if_stmt(S). { A = S; }
compound_stmt(A) ::= while_stmt(S). { A = S; }
compound_stmt(A) ::= for_stmt(S). { A = S; }
compound_stmt(A) ::= try_stmt(S). { A = S; }
compound_stmt(A) ::= with_stmt(S). { A = S; }
compound_stmt(A) ::= funcdef(S). { A = S; }
compound_stmt(A) ::= classdef(S). { A = S; }
compound_stmt(A) ::= ASYNC(K) for_stmt(S). { A = S; A->v.forstmt.is_async = 1; A->line = K.line; A->col = K.col; }
compound_stmt(A) ::= ASYNC(K) with_stmt(S). { A = S; A->v.with.is_async = 1; A->line = K.line; A->col = K.col; }
compound_stmt(A) ::= ASYNC(K) funcdef(S). { A = S; A->v.funcdef.is_async = 1; A->line = K.line; A->col = K.col; }
compound_stmt(A) ::= decorators(D) funcdef(S). { A = S; A->v.funcdef.decorators = D; }
compound_stmt(A) ::= decorators(D) ASYNC(K) funcdef(S). {
    A = S; A->v.funcdef.decorators = D; A->v.funcdef.is_async = 1; A->line = K.line; A->col = K.col;
}
compound_stmt(A) ::= decorators(D) classdef(S). { A = S; A->v.classdef.decorators = D; }

%type decorators {NodeList}
decorators(A) ::= AT namedexpr_test(E) NEWLINE. { A = (NodeList){0}; node_list_push(ps->arena, &A, E); }
decorators(A) ::= decorators(L) AT namedexpr_test(E) NEWLINE. { A = L; node_list_push(ps->arena, &A, E); }

if_stmt(A) ::= IF(K) namedexpr_test(C) COLON suite(B) if_tail(E). {
    A = node_tn(ps, N_If, &K, NULL);
    A->v.ifstmt.test = C; A->v.ifstmt.body = B; A->v.ifstmt.orelse = E;
    node_end_at_list(A, E.len ? &E : &B);
}
%type if_tail {NodeList}
if_tail(A) ::= . { A = (NodeList){0}; }
if_tail(A) ::= ELSE COLON suite(S). { A = S; }
if_tail(A) ::= ELIF(K) namedexpr_test(C) COLON suite(B) if_tail(E). {
    Node *n = node_tn(ps, N_If, &K, NULL);
    n->v.ifstmt.test = C; n->v.ifstmt.body = B; n->v.ifstmt.orelse = E;
    node_end_at_list(n, E.len ? &E : &B);
    A = (NodeList){0}; node_list_push(ps->arena, &A, n);
}

%type else_part {NodeList}
else_part(A) ::= . { A = (NodeList){0}; }
else_part(A) ::= ELSE COLON suite(S). { A = S; }

while_stmt(A) ::= WHILE(K) namedexpr_test(C) COLON suite(B) else_part(E). {
    A = node_tn(ps, N_While, &K, NULL);
    A->v.whilestmt.test = C; A->v.whilestmt.body = B; A->v.whilestmt.orelse = E;
    node_end_at_list(A, E.len ? &E : &B);
}

for_stmt(A) ::= FOR(K) exprlist(T) IN tsel(I) COLON suite(B) else_part(E). {
    A = node_tn(ps, N_For, &K, NULL);
    A->v.forstmt.target = mk_exprlist(ps, &T);
    set_context(ps, A->v.forstmt.target, CTX_STORE, T_FOR);
    A->v.forstmt.iter = I; A->v.forstmt.body = B; A->v.forstmt.orelse = E;
    node_end_at_list(A, E.len ? &E : &B);
}

try_stmt(A) ::= TRY(K) COLON suite(B) handlers(H) else_part(E). {
    A = node_tn(ps, N_Try, &K, NULL);
    A->v.trystmt.body = B; A->v.trystmt.handlers = H; A->v.trystmt.orelse = E;
    node_end_at_list(A, E.len ? &E : &H);
}
try_stmt(A) ::= TRY(K) COLON suite(B) handlers(H) else_part(E) FINALLY COLON suite(F). {
    A = node_tn(ps, N_Try, &K, NULL);
    A->v.trystmt.body = B; A->v.trystmt.handlers = H; A->v.trystmt.orelse = E;
    A->v.trystmt.finalbody = F;
    node_end_at_list(A, &F);
}
try_stmt(A) ::= TRY(K) COLON suite(B) FINALLY COLON suite(F). {
    A = node_tn(ps, N_Try, &K, NULL);
    A->v.trystmt.body = B; A->v.trystmt.finalbody = F;
    node_end_at_list(A, &F);
}

%type handlers {NodeList}
handlers(A) ::= handler(H). { A = (NodeList){0}; node_list_push(ps->arena, &A, H); }
handlers(A) ::= handlers(L) handler(H). { A = L; node_list_push(ps->arena, &A, H); }
handler(A) ::= EXCEPT(K) COLON suite(B). {
    A = node_tn(ps, N_ExceptHandler, &K, NULL); A->v.handler.body = B; node_end_at_list(A, &B);
}
handler(A) ::= EXCEPT(K) test(T) COLON suite(B). {
    A = node_tn(ps, N_ExceptHandler, &K, NULL);
    A->v.handler.type = T; A->v.handler.body = B; node_end_at_list(A, &B);
}
handler(A) ::= EXCEPT(K) test(T) AS NAME(N) COLON suite(B). {
    A = node_tn(ps, N_ExceptHandler, &K, NULL);
    A->v.handler.type = T; A->v.handler.name = tok_str(ps, &N); A->v.handler.body = B;
    node_end_at_list(A, &B);
}

with_stmt(A) ::= WITH(K) with_items(I) COLON suite(B). { A = mk_with(ps, &K, &I, &B); }
%type with_items {NodeList}
with_items(A) ::= with_item(W). { A = (NodeList){0}; node_list_push(ps->arena, &A, W); }
with_items(A) ::= with_items(L) COMMA with_item(W). { A = L; node_list_push(ps->arena, &A, W); }
with_item(A) ::= test(E). { A = E; }
with_item(A) ::= test(E) AS expr(T). { A = mk_as_marker(ps, E, T); A->parenthesized = 0; }

funcdef(A) ::= DEF(K) NAME(N) LPAR RPAR return_ann(R) COLON suite(B). {
    A = mk_funcdef(ps, &K, &N, NULL, R, &B);
}
funcdef(A) ::= DEF(K) NAME(N) LPAR params(P) RPAR return_ann(R) COLON suite(B). {
    A = mk_funcdef(ps, &K, &N, &P, R, &B);
}
funcdef(A) ::= DEF(K) NAME(N) LPAR params(P) COMMA RPAR return_ann(R) COLON suite(B). {
    A = mk_funcdef(ps, &K, &N, &P, R, &B);
}
return_ann(A) ::= . { A = NULL; }
return_ann(A) ::= RARROW test(E). { A = E; }

%type params {ParamList}
%type param {Param}
params(A) ::= param(P). { A = (ParamList){0}; param_push(ps, &A, P); }
params(A) ::= params(L) COMMA param(P). { A = L; param_push(ps, &A, P); }
param(A) ::= NAME(N). { A = make_param(ps, P_PLAIN, &N, &N, NULL, NULL, &N, NULL); }
param(A) ::= NAME(N) COLON test(T). { A = make_param(ps, P_PLAIN, &N, &N, T, NULL, NULL, T); }
param(A) ::= NAME(N) EQUAL test(D). { A = make_param(ps, P_PLAIN, &N, &N, NULL, D, NULL, D); }
param(A) ::= NAME(N) COLON test(T) EQUAL test(D). { A = make_param(ps, P_PLAIN, &N, &N, T, D, NULL, D); }
param(A) ::= STAR(S). { A = make_param(ps, P_STAR, &S, NULL, NULL, NULL, &S, NULL); }
param(A) ::= STAR(S) NAME(N). { A = make_param(ps, P_STAR, &S, &N, NULL, NULL, &N, NULL); }
param(A) ::= STAR(S) NAME(N) COLON test(T). { A = make_param(ps, P_STAR, &S, &N, T, NULL, NULL, T); }
param(A) ::= DOUBLESTAR(S) NAME(N). { A = make_param(ps, P_STARSTAR, &S, &N, NULL, NULL, &N, NULL); }
param(A) ::= DOUBLESTAR(S) NAME(N) COLON test(T). { A = make_param(ps, P_STARSTAR, &S, &N, T, NULL, NULL, T); }
param(A) ::= SLASH(S). { A = make_param(ps, P_SLASH, &S, NULL, NULL, NULL, &S, NULL); }

classdef(A) ::= CLASS(K) NAME(N) COLON suite(B). { A = mk_classdef(ps, &K, &N, NULL, &B); }
classdef(A) ::= CLASS(K) NAME(N) LPAR RPAR COLON suite(B). { A = mk_classdef(ps, &K, &N, NULL, &B); }
classdef(A) ::= CLASS(K) NAME(N) LPAR arglist(L) RPAR COLON suite(B). { A = mk_classdef(ps, &K, &N, &L, &B); }
classdef(A) ::= CLASS(K) NAME(N) LPAR arglist(L) COMMA RPAR COLON suite(B). { A = mk_classdef(ps, &K, &N, &L, &B); }

/* ==== expressions ========================================================== */

/* testlist_star_expr: a, *b, c  — one element, or a Tuple without parentheses. */
tsel(A) ::= tsel_items(S). { A = mk_exprlist(ps, &S); }
%type tsel_items {SeqBuild}
tsel_items(A) ::= tsel_items_seq(L). { A = L; }
tsel_items(A) ::= tsel_items_seq(L) COMMA(C). {       /* one trailing comma: `a,,` is an error */
    A = L; A.trailing_comma = 1; A.end_line = C.end_line; A.end_col = C.end_col;
}
%type tsel_items_seq {SeqBuild}
tsel_items_seq(A) ::= tsel_item(E). { A = (SeqBuild){0}; seq_push(ps, &A, E); }
tsel_items_seq(A) ::= tsel_items_seq(L) COMMA tsel_item(E). { A = L; seq_push(ps, &A, E); }
tsel_item(A) ::= test(E). { A = E; }
tsel_item(A) ::= star_expr(E). { A = E; }

/* exprlist: targets of for/del/comprehensions (no comparisons: `in` follows). */
%type exprlist {SeqBuild}
exprlist(A) ::= exprlist_seq(L). { A = L; }
exprlist(A) ::= exprlist_seq(L) COMMA(C). {       /* one trailing comma: `a,,` is an error */
    A = L; A.trailing_comma = 1; A.end_line = C.end_line; A.end_col = C.end_col;
}
%type exprlist_seq {SeqBuild}
exprlist_seq(A) ::= exprlist_item(E). { A = (SeqBuild){0}; seq_push(ps, &A, E); }
exprlist_seq(A) ::= exprlist_seq(L) COMMA exprlist_item(E). { A = L; seq_push(ps, &A, E); }
exprlist_item(A) ::= expr(E). { A = E; }
exprlist_item(A) ::= star_expr(E). { A = E; }

star_expr(A) ::= STAR(S) expr(E). { A = mk_starred(ps, &S, E); }

yield_expr(A) ::= YIELD(K). { A = node_at_tok(ps, N_Yield, &K); }
yield_expr(A) ::= YIELD(K) tsel(E). { A = node_tn(ps, N_Yield, &K, E); A->v.await.value = E; }
yield_expr(A) ::= YIELD(K) FROM test(E). { A = node_tn(ps, N_YieldFrom, &K, E); A->v.await.value = E; }

namedexpr_test(A) ::= test(E). { A = E; }
namedexpr_test(A) ::= test(T) COLONEQUAL test(V). { A = mk_namedexpr(ps, T, V); }

test(A) ::= or_test(E). { A = E; }
test(A) ::= ifexp_head(B) or_test(C) ELSE test(D). {
    A = node_nn(ps, N_IfExp, B, D);
    A->v.ifexp.test = C; A->v.ifexp.body = B; A->v.ifexp.orelse = D;
}
/* Reduced as soon as `if` is seen, so an error message can find the body. */
ifexp_head(A) ::= or_test(B) IF. { A = B; ps->ifexp_body = B; }
test(A) ::= LAMBDA(K) COLON test(B). { A = mk_lambda(ps, &K, NULL, B); }
test(A) ::= LAMBDA(K) lparams(P) COLON test(B). { A = mk_lambda(ps, &K, &P, B); }
test(A) ::= LAMBDA(K) lparams(P) COMMA COLON test(B). { A = mk_lambda(ps, &K, &P, B); }

%type lparams {ParamList}
%type lparam {Param}
lparams(A) ::= lparam(P). { A = (ParamList){0}; param_push(ps, &A, P); }
lparams(A) ::= lparams(L) COMMA lparam(P). { A = L; param_push(ps, &A, P); }
lparam(A) ::= NAME(N). { A = make_param(ps, P_PLAIN, &N, &N, NULL, NULL, &N, NULL); }
lparam(A) ::= NAME(N) EQUAL test(D). { A = make_param(ps, P_PLAIN, &N, &N, NULL, D, NULL, D); }
lparam(A) ::= STAR(S). { A = make_param(ps, P_STAR, &S, NULL, NULL, NULL, &S, NULL); }
lparam(A) ::= STAR(S) NAME(N). { A = make_param(ps, P_STAR, &S, &N, NULL, NULL, &N, NULL); }
lparam(A) ::= DOUBLESTAR(S) NAME(N). { A = make_param(ps, P_STARSTAR, &S, &N, NULL, NULL, &N, NULL); }
lparam(A) ::= SLASH(S). { A = make_param(ps, P_SLASH, &S, NULL, NULL, NULL, &S, NULL); }

or_test(A) ::= and_test(E). { A = E; }
or_test(A) ::= or_test(L) OR and_test(R). { A = mk_boolop(ps, L, BOOL_OR, R); }
and_test(A) ::= not_test(E). { A = E; }
and_test(A) ::= and_test(L) AND not_test(R). { A = mk_boolop(ps, L, BOOL_AND, R); }
not_test(A) ::= NOT(K) not_test(E). { A = mk_unary(ps, &K, UOP_NOT, E); }
not_test(A) ::= comparison(E). { A = E; }

comparison(A) ::= expr(E). { A = E; }
comparison(A) ::= comparison(L) compop(O) expr(R). { A = mk_compare(ps, L, (CmpOpKind)O, R); }
%type compop {int}
compop(A) ::= LESS. { A = CMP_LT; }
compop(A) ::= GREATER. { A = CMP_GT; }
compop(A) ::= EQEQUAL. { A = CMP_EQ; }
compop(A) ::= GREATEREQUAL. { A = CMP_GTE; }
compop(A) ::= LESSEQUAL. { A = CMP_LTE; }
compop(A) ::= NOTEQUAL. { A = CMP_NOTEQ; }
compop(A) ::= IN. { A = CMP_IN; }
compop(A) ::= NOT IN. { A = CMP_NOTIN; }
compop(A) ::= IS. { A = CMP_IS; }
compop(A) ::= IS NOT. { A = CMP_ISNOT; }

expr(A) ::= expr(L) VBAR expr(R). { A = mk_binop(ps, L, OP_BITOR, R); }
expr(A) ::= expr(L) CIRCUMFLEX expr(R). { A = mk_binop(ps, L, OP_BITXOR, R); }
expr(A) ::= expr(L) AMPER expr(R). { A = mk_binop(ps, L, OP_BITAND, R); }
expr(A) ::= expr(L) LEFTSHIFT expr(R). { A = mk_binop(ps, L, OP_LSHIFT, R); }
expr(A) ::= expr(L) RIGHTSHIFT expr(R). { A = mk_binop(ps, L, OP_RSHIFT, R); }
expr(A) ::= expr(L) PLUS expr(R). { A = mk_binop(ps, L, OP_ADD, R); }
expr(A) ::= expr(L) MINUS expr(R). { A = mk_binop(ps, L, OP_SUB, R); }
expr(A) ::= expr(L) STAR expr(R). { A = mk_binop(ps, L, OP_MUL, R); }
expr(A) ::= expr(L) SLASH expr(R). { A = mk_binop(ps, L, OP_DIV, R); }
expr(A) ::= expr(L) PERCENT expr(R). { A = mk_binop(ps, L, OP_MOD, R); }
expr(A) ::= expr(L) DOUBLESLASH expr(R). { A = mk_binop(ps, L, OP_FLOORDIV, R); }
expr(A) ::= expr(L) AT expr(R). { A = mk_binop(ps, L, OP_MATMUL, R); }
expr(A) ::= factor(E). { A = E; }

factor(A) ::= PLUS(K) factor(E). { A = mk_unary(ps, &K, UOP_UADD, E); }
factor(A) ::= MINUS(K) factor(E). { A = mk_unary(ps, &K, UOP_USUB, E); }
factor(A) ::= TILDE(K) factor(E). { A = mk_unary(ps, &K, UOP_INVERT, E); }
factor(A) ::= power(E). { A = E; }

power(A) ::= await_primary(E). { A = E; }
power(A) ::= await_primary(L) DOUBLESTAR factor(R). { A = mk_binop(ps, L, OP_POW, R); }

await_primary(A) ::= primary(E). { A = E; }
await_primary(A) ::= AWAIT(K) primary(E). { A = node_tn(ps, N_Await, &K, E); A->v.await.value = E; }

primary(A) ::= atom(E). { A = E; }
primary(A) ::= primary(P) DOT NAME(N). { A = mk_attribute(ps, P, &N); }
primary(A) ::= primary(P) LPAR(L) RPAR(R). { A = mk_call(ps, P, &L, NULL, 0, &R); }
primary(A) ::= primary(P) LPAR(L) arglist(G) RPAR(R). { A = mk_call(ps, P, &L, &G, 0, &R); }
primary(A) ::= primary(P) LPAR(L) arglist(G) COMMA RPAR(R). { A = mk_call(ps, P, &L, &G, 1, &R); }
primary(A) ::= primary(P) LSQB subscripts(S) RSQB(R). { A = mk_subscript(ps, P, &S, &R); }

%type arglist {NodeList}
arglist(A) ::= argument(E). { A = (NodeList){0}; node_list_push(ps->arena, &A, E); }
arglist(A) ::= arglist(L) COMMA argument(E). { A = L; node_list_push(ps->arena, &A, E); }
argument(A) ::= namedexpr_test(E). { A = E; }
argument(A) ::= test(E) comp_for(G). { A = mk_comp(ps, N_GeneratorExp, NULL, E, NULL, &G, NULL); }
argument(A) ::= test(N) EQUAL(Q) test(V). { A = mk_keyword_arg(ps, N, &Q, V); }
argument(A) ::= STAR(S) test(E). { A = mk_starred(ps, &S, E); }
argument(A) ::= DOUBLESTAR(S) test(E). {
    A = node_tn(ps, N_keyword, &S, E); A->v.keyword.value = E;
}

%type subscripts {SeqBuild}
subscripts(A) ::= subscripts_seq(L). { A = L; }
subscripts(A) ::= subscripts_seq(L) COMMA(C). {       /* one trailing comma: `a,,` is an error */
    A = L; A.trailing_comma = 1; A.end_line = C.end_line; A.end_col = C.end_col;
}
%type subscripts_seq {SeqBuild}
subscripts_seq(A) ::= subscript(E). { A = (SeqBuild){0}; seq_push(ps, &A, E); }
subscripts_seq(A) ::= subscripts_seq(L) COMMA subscript(E). { A = L; seq_push(ps, &A, E); }
subscript(A) ::= namedexpr_test(E). { A = E; }
subscript(A) ::= star_expr(E). { A = E; }
subscript(A) ::= opt_test(L) COLON(C) opt_test(U) slice_step(S). { A = mk_slice(ps, L, &C, U, &S); }
opt_test(A) ::= . { A = NULL; }
opt_test(A) ::= test(E). { A = E; }
%type slice_step {SliceStep}
slice_step(A) ::= . { A = (SliceStep){0}; }
slice_step(A) ::= COLON(C). { A = (SliceStep){NULL, 1, C.end_line, C.end_col}; }
slice_step(A) ::= COLON test(E). { A = (SliceStep){E, 1, E->end_line, E->end_col}; }

/* ---- atoms ---- */

atom(A) ::= NAME(N). { A = mk_name(ps, &N); }
atom(A) ::= NUMBER(N). { A = N.node; }
atom(A) ::= STRING(S). { A = S.node; }
atom(A) ::= NONE(K). { A = mk_const(ps, &K, CONST_NONE); }
atom(A) ::= TRUE(K). { A = mk_const(ps, &K, CONST_TRUE); }
atom(A) ::= FALSE(K). { A = mk_const(ps, &K, CONST_FALSE); }
atom(A) ::= ELLIPSIS(K). { A = mk_const(ps, &K, CONST_ELLIPSIS); }

atom(A) ::= LPAR(L) RPAR(R). { A = mk_paren(ps, &L, NULL, &R); }
atom(A) ::= LPAR(L) yield_expr(E) RPAR(R). {
    SeqBuild s = {0}; seq_push(ps, &s, E); A = mk_paren(ps, &L, &s, &R);
}
atom(A) ::= LPAR(L) seq_items(S) RPAR(R). { A = mk_paren(ps, &L, &S, &R); }
atom(A) ::= LPAR(L) star_expr(E) comp_for(G) RPAR(R). {
    A = mk_comp(ps, N_GeneratorExp, &L, E, NULL, &G, &R);
}
atom(A) ::= LSQB(L) star_expr(E) comp_for(G) RSQB(R). {
    A = mk_comp(ps, N_ListComp, &L, E, NULL, &G, &R);
}
atom(A) ::= LBRACE(L) star_expr(E) comp_for(G) RBRACE(R). {
    A = mk_comp(ps, N_SetComp, &L, E, NULL, &G, &R);
}
atom(A) ::= LPAR(L) namedexpr_test(E) comp_for(G) RPAR(R). {
    A = mk_comp(ps, N_GeneratorExp, &L, E, NULL, &G, &R);
}
atom(A) ::= LSQB(L) RSQB(R). { A = mk_list(ps, &L, NULL, &R); }
atom(A) ::= LSQB(L) seq_items(S) RSQB(R). { A = mk_list(ps, &L, &S, &R); }
atom(A) ::= LSQB(L) namedexpr_test(E) comp_for(G) RSQB(R). {
    A = mk_comp(ps, N_ListComp, &L, E, NULL, &G, &R);
}
atom(A) ::= LBRACE(L) RBRACE(R). { A = mk_dict(ps, &L, NULL, &R); }
atom(A) ::= LBRACE(L) dict_items(D) RBRACE(R). { A = mk_dict(ps, &L, &D, &R); }
atom(A) ::= LBRACE(L) dict_items(D) COMMA RBRACE(R). { A = mk_dict(ps, &L, &D, &R); }
atom(A) ::= LBRACE(L) test(K) COLON test(V) comp_for(G) RBRACE(R). {
    A = mk_comp(ps, N_DictComp, &L, K, V, &G, &R);
}
atom(A) ::= LBRACE(L) seq_items(S) RBRACE(R). { A = mk_set(ps, &L, &S, &R); }
atom(A) ::= LBRACE(L) namedexpr_test(E) comp_for(G) RBRACE(R). {
    A = mk_comp(ps, N_SetComp, &L, E, NULL, &G, &R);
}

/* Elements of (...), [...] and {...} displays. `a as b` is accepted here only
 * so that `with (a as b, c as d):` parses; mk_with consumes those markers and
 * any other one is an error. */
%type seq_items {SeqBuild}
seq_items(A) ::= seq_items_seq(L). { A = L; }
seq_items(A) ::= seq_items_seq(L) COMMA(C). {       /* one trailing comma: `a,,` is an error */
    A = L; A.trailing_comma = 1; A.end_line = C.end_line; A.end_col = C.end_col;
}
%type seq_items_seq {SeqBuild}
seq_items_seq(A) ::= seq_item(E). { A = (SeqBuild){0}; seq_push(ps, &A, E); }
seq_items_seq(A) ::= seq_items_seq(L) COMMA seq_item(E). { A = L; seq_push(ps, &A, E); }
seq_item(A) ::= namedexpr_test(E). { A = E; }
seq_item(A) ::= star_expr(E). { A = E; }
seq_item(A) ::= test(E) AS expr(T). { A = mk_as_marker(ps, E, T); }

%type dict_items {DictBuild}
dict_items(A) ::= dict_item(D). { A = D; }
dict_items(A) ::= dict_items(L) COMMA dict_item(D). {
    A = L;
    node_list_push(ps->arena, &A.keys, D.keys.items[0]);
    node_list_push(ps->arena, &A.values, D.values.items[0]);
}
%type dict_item {DictBuild}
dict_item(A) ::= test(K) COLON test(V). {
    A = (DictBuild){0}; node_list_push(ps->arena, &A.keys, K); node_list_push(ps->arena, &A.values, V);
}
dict_item(A) ::= DOUBLESTAR expr(V). {
    A = (DictBuild){0}; node_list_push(ps->arena, &A.keys, NULL); node_list_push(ps->arena, &A.values, V);
}

/* ---- comprehensions: for/if clauses ---- */

%type comp_for {NodeList}
comp_for(A) ::= comp_clause(C). { A = (NodeList){0}; node_list_push(ps->arena, &A, C); }
comp_for(A) ::= comp_for(L) comp_clause(C). { A = L; node_list_push(ps->arena, &A, C); }
comp_for(A) ::= comp_for(L) IF or_test(C). {
    A = L; node_list_push(ps->arena, &A.items[A.len - 1]->v.comprehension.ifs, C);
}
comp_clause(A) ::= FOR(K) exprlist(T) IN or_test(I). { A = mk_comprehension(ps, &K, &T, I, 0); }
comp_clause(A) ::= ASYNC(K) FOR exprlist(T) IN or_test(I). { A = mk_comprehension(ps, &K, &T, I, 1); }

%code {
/* Would `kind` be shifted if it came next instead of the token that caused
 * the syntax error? Replays lemon's reduce loop on a copy of the state stack,
 * so the real parser is left untouched. Used only to word error messages
 * ("expected ':'", "expected an indented block ..."). */
int apy_token_acceptable(void *parser, int kind) {
    yyParser *p = parser;
    int depth = (int)(p->yytos - p->yystack) + 1;
    int cap = depth + 16;
    YYACTIONTYPE *st = malloc((size_t)cap * sizeof *st);
    if (!st) return 0;
    for (int i = 0; i < depth; i++) st[i] = p->yystack[i].stateno;
    int top = depth - 1, ok = 0;
    for (int guard = 0; guard < 10000; guard++) {
        YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)kind, st[top]);
        if (act >= YY_MIN_REDUCE) {
            int rule = act - YY_MIN_REDUCE;
            int below = top + yyRuleInfoNRhs[rule];
            if (below < 0) break;
            YYACTIONTYPE go = yy_find_reduce_action(st[below], yyRuleInfoLhs[rule]);
            top = below + 1;
            if (top >= cap) break;
            st[top] = go;
            continue;
        }
        ok = act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION;
        break;
    }
    free(st);
    return ok;
}
}
