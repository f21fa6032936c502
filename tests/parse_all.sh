#!/bin/bash
# parse_all.sh — every .apy in the repository must parse, and where python3
# is present its tree must equal CPython's (same positions, same shape).
#
# Owns: this whole-repository front-end check. Must not touch: anything else.
# Usage: tests/parse_all.sh [APY_BINARY]     (default: build/apy)
# A program whose expected output (.out beside it) names a SyntaxError,
# IndentationError or TabError is meant not to parse and is skipped.
here=$(cd "$(dirname "$0")/.." && pwd)
apy=${1:-$here/build/apy}
dump="$here/tests/tools/pyast_dump.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0
while IFS= read -r -d '' f; do
    out="${f%.apy}.out" err="${f%.apy}.err"
    if { [ -f "$out" ] && grep -qE '^(SyntaxError|IndentationError|TabError)' "$out"; } ||
       { [ -f "$err" ] && grep -qE '^(SyntaxError|IndentationError|TabError|RecursionError|MemoryError)' "$err"; }; then
        skipped=$((skipped + 1)); continue       # meant not to parse (or too deep for CPython's ast)
    fi
    if [ "$(stat -c %s "$f")" -gt 200000 ]; then
        skipped=$((skipped + 1)); continue       # hostile giants: tests/hostile checks them
    fi
    if ! "$apy" --ast "$f" > "$tmp/got" 2> "$tmp/err"; then
        echo "FAIL (does not parse): $f"; cat "$tmp/err"; failed=$((failed + 1)); continue
    fi
    if command -v python3 > /dev/null && python3 "$dump" "$f" > "$tmp/want" 2> /dev/null &&
       ! cmp -s "$tmp/want" "$tmp/got"; then
        echo "FAIL (tree differs from CPython's): $f"
        diff "$tmp/want" "$tmp/got" | head -10
        failed=$((failed + 1)); continue
    fi
    passed=$((passed + 1))
done < <(find "$here" -name '*.apy' -not -path "$here/build*" -not -path '*/.git/*' -print0 | sort -z)
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
