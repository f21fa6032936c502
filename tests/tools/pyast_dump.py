#!/usr/bin/env python3
"""pyast_dump.py — print CPython's AST of a file in exactly the layout of
`apy --ast`, so the two can be diffed (tests/parse_all.sh, front-end work).

Owns: the mirror of ast_dump's format. Must not touch: anything else.
apy folds AsyncFunctionDef/AsyncFor/AsyncWith into the sync node with
is_async=1; so does this script."""
import ast, sys

SCALAR_TYPES = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)
ASYNC = {ast.AsyncFunctionDef: "FunctionDef", ast.AsyncFor: "For", ast.AsyncWith: "With"}
SYNC = {ast.FunctionDef, ast.For, ast.With}

def fields(node):
    out = []
    for name in node._fields:
        if name in ("type_ignores", "type_comment", "kind"):
            continue
        value = getattr(node, name, None)
        if value is None and not isinstance(node, ast.Constant):
            continue
        out.append((name, value))
    if type(node) in ASYNC or type(node) in SYNC:
        out.append(("is_async", 1 if type(node) in ASYNC else 0))
    return out

def float_repr(f):
    r = repr(f)
    return r

def scalar(value):
    if isinstance(value, SCALAR_TYPES):
        return type(value).__name__ + "()"
    if isinstance(value, list) and all(isinstance(v, (SCALAR_TYPES, str)) for v in value) and value:
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, complex):
        return repr(value.imag) .replace(".0", "") + "j" if value.imag == int(value.imag) else repr(value.imag) + "j"
    if isinstance(value, bool) or value is None or value is Ellipsis:
        return repr(value)
    return repr(value)

def is_node(v):
    return isinstance(v, ast.AST) and not isinstance(v, SCALAR_TYPES)

def simple(node):
    for _, v in fields(node):
        if is_node(v):
            return False
        if isinstance(v, list) and v and any(is_node(x) or x is None for x in v):
            return False
    return True

def pos(node):
    if hasattr(node, "lineno") and not isinstance(node, (ast.arguments, ast.comprehension, ast.withitem)):
        return " <%d:%d-%d:%d>" % (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
    return ""

def name(node):
    return ASYNC.get(type(node), type(node).__name__)

def dump(node, depth, out):
    if node is None:
        out.append("None"); return
    if simple(node):
        parts = []
        for k, v in fields(node):
            parts.append("%s=%s" % (k, "[]" if v == [] else scalar(v)))
        out.append("%s(%s)%s" % (name(node), ", ".join(parts), pos(node)))
        return
    out.append("%s(%s" % (name(node), pos(node)))
    first = True
    for k, v in fields(node):
        if not first:
            out.append(",")
        first = False
        out.append("\n" + "  " * (depth + 1) + k + "=")
        if is_node(v):
            dump(v, depth + 1, out)
        elif isinstance(v, list) and v and any(is_node(x) or x is None for x in v):
            out.append("[")
            for i, x in enumerate(v):
                if i:
                    out.append(",")
                out.append("\n" + "  " * (depth + 2))
                dump(x, depth + 2, out)
            out.append("]")
        else:
            out.append("[]" if v == [] else scalar(v))
    out.append(")")

src = open(sys.argv[1], "rb").read()
tree = ast.parse(src)
out = []
dump(tree, 0, out)
sys.stdout.write("".join(out) + "\n")
