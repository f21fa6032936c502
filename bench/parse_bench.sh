#!/bin/bash
# parse_bench.sh — time apy's front end against CPython's ast.parse on a
# generated 100,000-line file of mixed code.
#
# Owns: the parser benchmark. Must not touch: anything else.
# Usage: bench/parse_bench.sh [BUILD_DIR] [LINES]     (default: build 100000)
# `apy --ast FILE >/dev/null` parses AND dumps the whole tree, so apy's
# number is an upper bound on its parse time; the target is >= 3x faster.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
lines=${2:-100000}
apy=$build/apy
input=$(mktemp --suffix=.apy)
trap 'rm -f "$input"' EXIT

python3 "$here/bench/gen_parse_input.py" "$lines" > "$input"
echo "input: $(wc -l < "$input") lines, $(wc -c < "$input") bytes"
"$apy" --ast "$input" > /dev/null     # must parse

py="python3 -c 'import ast,sys; ast.parse(open(sys.argv[1]).read())' $input"
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs 5 -N "$py" "$apy --ast $input" "$apy --tokens $input" 2>/dev/null ||
    hyperfine --warmup 1 --runs 5 "$py" "$apy --ast $input > /dev/null" "$apy --tokens $input > /dev/null"
else
    echo "CPython ast.parse:"; time (eval "$py")
    echo "apy --ast:"; time ("$apy" --ast "$input" > /dev/null)
fi
