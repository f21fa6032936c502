#!/usr/bin/env python3
"""golden.py — run one golden program and compare with what CPython printed.

Owns: the golden-test convention, used by meson for tests/golden, samples/
and the tutorial:
    NAME.apy   the program (run with its own directory as the working directory)
    NAME.out   the exact standard output python3 3.11 produced
    NAME.err   optional: the last line python3 wrote to standard error
               (the uncaught exception, e.g. "ZeroDivisionError: division by zero")
    NAME.exit  optional: the exit status (default 1 when NAME.err exists, else 0)
    NAME.args  optional: extra apy options, one per line (e.g. --virtual-time)
Traced programs (apy --trace, see tutorial/tracing.md) may also have:
    NAME.trace-FORMAT  the exact trace for FORMAT = outline, story, jsonl or chrome:
               the program runs again with --trace-format=FORMAT --trace-out FILE
               (plus NAME.trace-args), stdout must still be NAME.out and FILE must
               be these bytes; every jsonl line must parse as a JSON object with
               the documented keys; a chrome file must load as Chrome Trace Event
               JSON (traceEvents with ph/pid/tid/ts, B/E balanced per track)
    NAME.trace-args    optional: extra apy options for the traced runs only
    NAME.places        optional: the places of the outline, one per line, in order
               (the lines whose place column is not blank, " line N" removed)
    NAME.step-in       optional: commands for apy --step, fed on stdin; the
               transcript on stdout must be NAME.step-out
Usage: golden.py APY NAME.apy [extra apy options...]
Exit status 0 when everything matches; otherwise a diff on stdout.
"""
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile


def main():
    apy, prog = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    extra = sys.argv[3:]
    base = prog[:-4]
    argsfile = base + '.args'
    if os.path.exists(argsfile):
        extra += [l.strip() for l in open(argsfile) if l.strip()]
    with open(base + '.out', 'rb') as f:
        want_out = f.read()
    want_err = None
    if os.path.exists(base + '.err'):
        want_err = open(base + '.err', encoding='utf-8').read().strip()
    want_exit = 1 if want_err is not None else 0
    if os.path.exists(base + '.exit'):
        want_exit = int(open(base + '.exit').read().strip())
    timeout = float(os.environ.get('GOLDEN_TIMEOUT', '60'))
    try:
        p = subprocess.run([apy] + extra + [os.path.basename(prog)], cwd=os.path.dirname(prog),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f'TIMEOUT after {timeout}s: {prog}')
        return 1
    ok = True
    if p.stdout != want_out:
        ok = False
        print(f'--- stdout differs: {prog}')
        a = want_out.decode('utf-8', 'replace').splitlines(keepends=True)
        b = p.stdout.decode('utf-8', 'replace').splitlines(keepends=True)
        sys.stdout.writelines(list(difflib.unified_diff(a, b, 'python3', 'apy'))[:80])
    if p.returncode != want_exit:
        ok = False
        print(f'--- exit status: python3 {want_exit}, apy {p.returncode}')
    err_lines = p.stderr.decode('utf-8', 'replace').strip().splitlines()
    if want_err is not None:
        # (stripped: an exception group's last line is indented, "    +-----...")
        got = err_lines[-1].strip() if err_lines else ''
        if got != want_err:
            ok = False
            print(f'--- last stderr line: python3 {want_err!r}, apy {got!r}')
    if p.returncode < 0 or p.returncode >= 128:
        ok = False
        print(f'--- apy died with a signal ({p.returncode})')
    if not ok and p.stderr:
        print('--- apy stderr (tail):')
        print('\n'.join(err_lines[-15:]))
    if not check_traces(apy, prog, base, extra, want_out, want_exit, timeout):
        ok = False
    return 0 if ok else 1


JSONL_KEYS = ['seq', 'time', 'kind', 'task', 'frame', 'function', 'file', 'line',
              'depth', 'place', 'subject', 'value', 'detail']


def show_diff(what, want, got):
    print(f'--- {what} differs')
    a = want.decode('utf-8', 'replace').splitlines(keepends=True)
    b = got.decode('utf-8', 'replace').splitlines(keepends=True)
    sys.stdout.writelines(list(difflib.unified_diff(a, b, 'expected', 'apy'))[:80])


def check_jsonl(data):
    for n, line in enumerate(data.decode('utf-8').splitlines(), 1):
        obj = json.loads(line)
        if not isinstance(obj, dict) or list(obj) != JSONL_KEYS:
            print(f'--- jsonl line {n}: keys {list(obj)}, want {JSONL_KEYS}')
            return False
        if obj['seq'] < 1 or not isinstance(obj['time'], float):
            print(f'--- jsonl line {n}: bad seq/time')
            return False
    return True


def check_chrome(data):
    doc = json.loads(data.decode('utf-8'))
    events = doc.get('traceEvents')
    if not isinstance(events, list) or not events:
        print('--- chrome: no traceEvents list')
        return False
    stacks, names = {}, set()
    for e in events:
        if not all(k in e for k in ('ph', 'pid')):
            print(f'--- chrome: event without ph/pid: {e}')
            return False
        if e['ph'] == 'M':
            if e.get('name') == 'thread_name':
                names.add(e['tid'])
            continue
        if not isinstance(e.get('ts'), (int, float)) or 'tid' not in e:
            print(f'--- chrome: event without ts/tid: {e}')
            return False
        if e['ph'] == 'B':
            stacks.setdefault(e['tid'], []).append(e['name'])
        elif e['ph'] == 'E':
            if not stacks.get(e['tid']):
                print(f'--- chrome: E without B on track {e["tid"]}')
                return False
            stacks[e['tid']].pop()
    if any(stacks.values()) or not set(stacks) <= names:
        print('--- chrome: unbalanced slices or unnamed tracks')
        return False
    return True


def outline_places(data):
    places = []
    for line in data.decode('utf-8').splitlines():
        left = line.split(' | ', 1)[0].strip()
        if left:
            places.append(re.sub(r' line \d+', '', left))
    return places


def check_traces(apy, prog, base, extra, want_out, want_exit, timeout):
    ok = True
    targs = []
    if os.path.exists(base + '.trace-args'):
        targs = [l.strip() for l in open(base + '.trace-args') if l.strip()]
    formats = [f for f in ('outline', 'story', 'jsonl', 'chrome') if os.path.exists(base + '.trace-' + f)]
    if os.path.exists(base + '.places') and 'outline' not in formats:
        formats.append('outline')
    for fmt in formats:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'trace')
            try:
                p = subprocess.run([apy] + extra + targs + ['--trace-format=' + fmt, '--trace-out', out,
                                   os.path.basename(prog)], cwd=os.path.dirname(prog),
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f'TIMEOUT after {timeout}s: {prog} traced as {fmt}')
                return False
            got = open(out, 'rb').read() if os.path.exists(out) else b''
        if p.stdout != want_out or p.returncode != want_exit:
            print(f'--- traced as {fmt}: stdout or exit status changed (exit {p.returncode})')
            ok = False
        if os.path.exists(base + '.trace-' + fmt):
            want = open(base + '.trace-' + fmt, 'rb').read()
            if got != want:
                show_diff(f'{fmt} trace of {prog}', want, got)
                ok = False
        try:
            if fmt == 'jsonl' and not check_jsonl(got):
                ok = False
            if fmt == 'chrome' and not check_chrome(got):
                ok = False
        except (ValueError, UnicodeDecodeError) as e:
            print(f'--- {fmt} trace is not valid JSON: {e}')
            ok = False
        if fmt == 'outline' and os.path.exists(base + '.places'):
            want = [l.rstrip('\n') for l in open(base + '.places', encoding='utf-8') if l.strip()]
            got_places = outline_places(got)
            if got_places != want:
                print('--- the outline\'s places differ')
                sys.stdout.writelines(difflib.unified_diff([w + '\n' for w in want],
                                      [g + '\n' for g in got_places], 'expected', 'apy'))
                ok = False
    if os.path.exists(base + '.step-in'):
        with open(base + '.step-in', 'rb') as f:
            try:
                p = subprocess.run([apy] + extra + targs + ['--step', os.path.basename(prog)],
                                   cwd=os.path.dirname(prog), stdin=f, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                print(f'TIMEOUT after {timeout}s: {prog} under --step')
                return False
        want = open(base + '.step-out', 'rb').read() if os.path.exists(base + '.step-out') else b''
        if p.stdout != want:
            show_diff(f'--step transcript of {prog}', want, p.stdout)
            ok = False
    return ok


if __name__ == '__main__':
    sys.exit(main())
