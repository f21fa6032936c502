#!/bin/sh
# fuzz/build.sh — build the libFuzzer harnesses (clang, ASan + UBSan + coverage).
#
#   fuzz/build.sh [DIR]     build into DIR (default: build-fuzz), giving
#                           DIR/fuzz_parse, DIR/fuzz_compile and DIR/fuzz_exec
#
# The interpreter's library is built by meson in DIR with clang, the
# sanitizers and -fsanitize=fuzzer-no-link (coverage instrumentation without
# libFuzzer's main); each harness is then linked with -fsanitize=fuzzer.
# UBSan errors abort (-fno-sanitize-recover), so the fuzzer sees them as crashes.
# Needs clang and its runtime (Debian: clang, libclang-rt-14-dev).
set -eu
cd "$(dirname "$0")/.."
B=${1:-build-fuzz}
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

if [ ! -f "$B/build.ninja" ]; then
    CC=$CC meson setup "$B" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
        "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
fi
ninja -C "$B" libapycore.a

libs=$(pkg-config --libs gmp 2>/dev/null || echo -lgmp)
for h in parse compile exec; do
    echo "fuzz/build.sh: $B/fuzz_$h"
    $CC -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-strict-aliasing -fno-omit-frame-pointer $SAN -fsanitize=fuzzer \
        -Wall -Wextra -Isrc -I"$B" "fuzz/fuzz_$h.c" "$B/libapycore.a" $libs -lm -lpthread -o "$B/fuzz_$h"
done
