#!/usr/bin/env python3
"""make_traces.py APY NAME.apy... — write the expected traces of traced golden programs.

Owns: regenerating NAME.trace-FORMAT (for each FORMAT file that already
exists, or outline/story/jsonl for a program that has none yet and is
named with --new) and NAME.step-out (when NAME.step-in exists), with the
same command lines as golden.py. Look at the diff before committing: the
traces are meant to be read.
Usage: make_traces.py [--new] APY NAME.apy...
"""
import os
import subprocess
import sys
import tempfile


def main():
    args = sys.argv[1:]
    new = args and args[0] == '--new'
    if new:
        args = args[1:]
    apy = os.path.abspath(args[0])
    for prog in map(os.path.abspath, args[1:]):
        base, cwd, name = prog[:-4], os.path.dirname(prog), os.path.basename(prog)
        extra = []
        for suffix in ('.args', '.trace-args'):
            if os.path.exists(base + suffix):
                extra += [l.strip() for l in open(base + suffix) if l.strip()]
        formats = [f for f in ('outline', 'story', 'jsonl', 'chrome') if os.path.exists(base + '.trace-' + f)]
        if new and not formats:
            formats = ['outline', 'story', 'jsonl']
        for fmt in formats:
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, 'trace')
                subprocess.run([apy] + extra + ['--trace-format=' + fmt, '--trace-out', out, name], cwd=cwd,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
                with open(out, 'rb') as f, open(base + '.trace-' + fmt, 'wb') as g:
                    g.write(f.read())
            print('wrote', base + '.trace-' + fmt)
        if os.path.exists(base + '.step-in'):
            with open(base + '.step-in', 'rb') as f:
                p = subprocess.run([apy] + extra + ['--step', name], cwd=cwd, stdin=f, capture_output=True, timeout=120)
            with open(base + '.step-out', 'wb') as g:
                g.write(p.stdout)
            print('wrote', base + '.step-out')


if __name__ == '__main__':
    main()
