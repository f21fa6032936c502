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
Usage: golden.py APY NAME.apy [extra apy options...]
Exit status 0 when everything matches; otherwise a diff on stdout.
"""
import difflib
import os
import subprocess
import sys


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
        got = err_lines[-1] if err_lines else ''
        if got != want_err:
            ok = False
            print(f'--- last stderr line: python3 {want_err!r}, apy {got!r}')
    if p.returncode < 0 or p.returncode >= 128:
        ok = False
        print(f'--- apy died with a signal ({p.returncode})')
    if not ok and p.stderr:
        print('--- apy stderr (tail):')
        print('\n'.join(err_lines[-15:]))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
