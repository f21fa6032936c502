#!/usr/bin/env python3
"""make_golden.py — write NAME.out (and .err/.exit) for golden programs by
running them under python3 3.11, the oracle. Usage: make_golden.py FILE.apy...
Review the output before committing: it becomes the specification."""
import os
import subprocess
import sys

for prog in sys.argv[1:]:
    prog = os.path.abspath(prog)
    base = prog[:-4]
    p = subprocess.run(['python3', os.path.basename(prog)], cwd=os.path.dirname(prog),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    with open(base + '.out', 'wb') as f:
        f.write(p.stdout)
    for ext in ('.err', '.exit'):
        if os.path.exists(base + ext):
            os.remove(base + ext)
    if p.returncode != 0:
        lines = p.stderr.decode().strip().splitlines()
        if lines:
            with open(base + '.err', 'w') as f:
                f.write(lines[-1] + '\n')
        if p.returncode != 1:
            with open(base + '.exit', 'w') as f:
                f.write(f'{p.returncode}\n')
    print(f'{prog}: exit {p.returncode}')
