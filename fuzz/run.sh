#!/bin/bash
# fuzz/run.sh — build the harnesses and run each for a bounded time, one after the other.
#
#   fuzz/run.sh [--ci] [--seconds N] [HARNESS...]
#
#   HARNESS     parse, compile, exec (default: all three)
#   --seconds N run each harness N seconds (default 600)
#   --ci        60 seconds each (FUZZ_SECONDS overrides), fresh corpora
#
# Environment: FUZZ_BUILD (default build-fuzz) the build directory,
# FUZZ_WORK (default $FUZZ_BUILD/work) corpora, seeds, logs and crash artifacts.
# The seeds are every .apy file of the repository (up to 64 KiB: the giant
# hostile programs are the golden suite's business), the dictionary fuzz/apy.dict.
# Prints per harness its executions, coverage (edges) and features; exits
# non-zero when any harness crashed, leaked, timed out or ran out of memory —
# the input is then in $FUZZ_WORK/artifacts/, reproduce with
#   $FUZZ_BUILD/fuzz_HARNESS $FUZZ_WORK/artifacts/crash-...
set -u
cd "$(dirname "$0")/.."
seconds=600
ci=0
harnesses=()
while [ $# -gt 0 ]; do
    case $1 in
        --ci) ci=1; seconds=${FUZZ_SECONDS:-60} ;;
        --seconds) seconds=$2; shift ;;
        parse|compile|exec) harnesses+=("$1") ;;
        *) echo "usage: fuzz/run.sh [--ci] [--seconds N] [parse|compile|exec]..." >&2; exit 2 ;;
    esac
    shift
done
[ ${#harnesses[@]} -eq 0 ] && harnesses=(parse compile exec)
B=${FUZZ_BUILD:-build-fuzz}
W=${FUZZ_WORK:-$B/work}
mkdir -p "$B" "$W"
B=$(cd "$B" && pwd)
W=$(cd "$W" && pwd)
dict=$(pwd)/fuzz/apy.dict

if ! fuzz/build.sh "$B" > "$B.log" 2>&1; then
    tail -30 "$B.log"
    echo "fuzz/run.sh: the build failed"
    exit 1
fi
rm -f "$B.log"

# Seeds: every .apy of the repository, flattened into one directory.
mkdir -p "$W/seeds" "$W/artifacts" "$W/cwd"
find . -name '*.apy' -size -64k -not -path './build*' -not -path './.git/*' -not -path './bench/*' | while read -r f; do
    cp "$f" "$W/seeds/$(echo "${f#./}" | tr '/' '_')"
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for h in "${harnesses[@]}"; do
    corpus="$W/corpus-$h"
    [ $ci -eq 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus"
    log="$W/fuzz-$h.log"
    start=$(date +%s)
    # From a scratch directory: programs may write files.
    (cd "$W/cwd" && exec "$B/fuzz_$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=16384 \
        -dict="$dict" -close_fd_mask=3 -print_final_stats=1 \
        -artifact_prefix="$W/artifacts/$h-" "$corpus" "$W/seeds") > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
    ft=$(echo "$last" | sed -nE 's/.*ft: ([0-9]+).*/\1/p')
    corp=$(echo "$last" | sed -nE 's/.*corp: ([0-9]+).*/\1/p')
    if [ $rc -eq 0 ]; then
        echo "fuzz_$h: ${took}s, ${execs:-?} executions, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}: no crash"
    else
        status=1
        echo "fuzz_$h: ${took}s, ${execs:-?} executions, coverage ${cov:-?} edges: FAILED (exit $rc)"
        grep -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|Test unit written|ERROR: libFuzzer' "$log" | head -8
    fi
done
exit $status
