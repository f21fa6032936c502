#!/usr/bin/env python3
"""trace_bench.py — what the trace hooks cost, and how fast the outline sink is.

Owns: the tracing benchmark (issue 6). It builds apy twice with the same
options — with the trace hooks (the default) and with -Dtrace_hooks=false,
which compiles every `if (UNLIKELY(vm.trace_mask))` call site away — and
times bench/trace_gen.apy (generator resumes and yields) and
bench/trace_tasks.apy (task switches through the event loop) on both,
alternating runs and taking the best and the median CPU time (user+sys) of
each. With valgrind installed it also counts the instructions executed
(cachegrind's I refs), which do not depend on how busy the machine is.
Then it times the hooked build with the outline sink on (--trace
--trace-out /dev/null) and counts the events.
Target: hooks off costs under 3% against the build without them.
Both builds use the project's default build type (debugoptimized, -O2)
unless --buildtype says otherwise.
Must not touch: the project's own build directory.

Usage: bench/trace_bench.py [--runs N] [--builds DIR] [--buildtype T]
       (default: 9 runs, /tmp/apy-trace-bench, debugoptimized)
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = ['bench/trace_gen.apy', 'bench/trace_tasks.apy']
TRACED_SIZE = {'bench/trace_gen.apy': '200000', 'bench/trace_tasks.apy': '5000'}   # smaller: every event is a line


def build(builds, name, hooks, buildtype):
    d = os.path.join(builds, f'{name}-{buildtype}')
    if not os.path.exists(os.path.join(d, 'build.ninja')):
        subprocess.run(['meson', 'setup', d, HERE, f'-Dtrace_hooks={"true" if hooks else "false"}',
                        f'-Dbuildtype={buildtype}'], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['ninja', '-C', d, 'apy'], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(d, 'apy')


def cpu_time(cmd):
    """CPU seconds (user+sys) of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(cmd):
    """Instructions executed by one run (valgrind's cachegrind, no cache simulation)."""
    p = subprocess.run(['valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'] + cmd,
                       cwd=HERE, capture_output=True, text=True)
    m = re.search(r'I\s+refs:\s+([\d,]+)', p.stderr)
    return int(m.group(1).replace(',', '')) if m else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', type=int, default=9)
    ap.add_argument('--builds', default='/tmp/apy-trace-bench')
    ap.add_argument('--buildtype', default='debugoptimized')
    a = ap.parse_args()
    hooked = build(a.builds, 'hooks', True, a.buildtype)
    bare = build(a.builds, 'nohooks', False, a.buildtype)
    print(f'build type {a.buildtype}')
    if shutil.which('valgrind'):
        print(f'{"instructions":<24}{"no hooks":>14}{"hooks off":>14}{"overhead":>10}')
        for prog in PROGRAMS:
            n = [instructions([exe, prog, TRACED_SIZE[prog]]) for exe in (bare, hooked)]
            print(f'{os.path.basename(prog):<24}{n[0]:>14,}{n[1]:>14,}{100 * (n[1] - n[0]) / n[0]:>9.2f}%')
        print()
    print(f'{"benchmark":<24}{"no hooks":>12}{"hooks off":>12}{"overhead":>10}   (best of {a.runs}; median in brackets)')
    for prog in PROGRAMS:
        t = {hooked: [], bare: []}
        for _ in range(a.runs):
            for exe in (bare, hooked):
                t[exe].append(cpu_time([exe, prog]))
        b, h = min(t[bare]), min(t[hooked])
        mb, mh = statistics.median(t[bare]), statistics.median(t[hooked])
        print(f'{os.path.basename(prog):<24}{b:>11.3f}s{h:>11.3f}s{100 * (h - b) / b:>9.1f}%'
              f'   [{mb:.3f}s {mh:.3f}s {100 * (mh - mb) / mb:+.1f}%]')
    print()
    print(f'{"outline sink on (smaller)":<24}{"hooks off":>12}{"tracing":>12}{"slower":>10}{"events":>10}{"events/s":>12}')
    for prog in PROGRAMS:
        size = TRACED_SIZE[prog]
        off = min(cpu_time([hooked, prog, size]) for _ in range(3))
        on = min(cpu_time([hooked, '--trace', '--trace-out', '/dev/null', prog, size]) for _ in range(3))
        p = subprocess.run([hooked, '--trace-format=jsonl', '--trace-out', '/dev/stderr', prog, size],
                           cwd=HERE, capture_output=True)
        events = p.stderr.count(b'{"seq"')
        print(f'{os.path.basename(prog):<24}{off:>11.3f}s{on:>11.3f}s{on / off:>9.1f}x{events:>10}{events / on:>12.0f}')


if __name__ == '__main__':
    sys.exit(main())
