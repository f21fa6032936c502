#!/usr/bin/env python3
"""tutorial_test.py — run the programs of a tutorial chapter and compare with the text.

Owns: the convention that makes tutorial/NN-*.md testable.

    ```python          a complete program (valid Python 3.11 and apy)
    ...
    ```
    ```output          right after it: exactly what the program prints on
    ...                standard output (what python3 prints)
    ```
    ```trace           optional, after the output block, when the program's
    ...                first line is a comment `# apy --trace... NAME.apy`:
    ```                the exact trace apy writes for those options
    ```trace --trace-format=story
    ...                more trace blocks may follow, each with its own options
    ```                (they replace the comment's options; the file name stays)
    ```dis             optional, after the output block: an excerpt of what
    ...                `apy --dis NAME.apy` prints; its lines must appear there,
    ```                in a row (trailing spaces ignored; addresses vary elsewhere)

Anything else is not run: fragments are fenced ```python-fragment, shell
sessions ```sh, other text ```text. A ```python block without an ```output
block after it is an error (fence it as a fragment), and so is an
```output or ```trace block that belongs to no program. Prose, and blocks
like ```text or ```sh, may sit between a program and its output and trace
blocks; a ```python-fragment may not.

Each program is written to a fresh temporary directory as NAME.apy (NAME
from its `# apy --trace ... NAME.apy` comment, else example.apy) and run
there with apy (standard input empty); it must exit with status 0 and print
the output block. A trace block is compared with the file written by
`apy OPTIONS --trace-out FILE NAME.apy`, OPTIONS taken from the block's
info string or else from the comment (tracing turns the virtual clock on,
so traces are deterministic); the program's standard output must not change.

Usage:
    tutorial_test.py CHAPTER.md APY [--oracle PYTHON] [-k N]
        run every program of CHAPTER.md under APY (and, with --oracle, also
        under PYTHON: its output must match the text too); -k N runs only
        program number N (1-based, as the report numbers them)
    tutorial_test.py --fix CHAPTER.md APY [--oracle PYTHON]
        rewrite the output blocks with what PYTHON (default python3) prints
        and the trace blocks with what APY writes; read the diff afterwards
    tutorial_test.py --extract DIR CHAPTER.md...
        write each program as DIR/NN-chapter-K.apy with its output as .out
        (a golden-test pair: tests/tools/golden.py can run it)
    tutorial_test.py --list DIR
        print the chapters (DIR/[0-9][0-9]-*.md), sorted, one per line
Exit status 0 when every program matches; a diff for each one that does not.
"""
import difflib
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

FENCE = re.compile(r'^(```+)\s*([^\s`]*)(.*)$')
TIMEOUT = float(os.environ.get('TUTORIAL_TIMEOUT', '60'))


class Block:
    def __init__(self, lang, info, text, line, start, end):
        self.lang, self.text, self.line = lang, text, line
        self.opts = shlex.split(info)          # ```trace --trace-format=story: its options
        self.start, self.end = start, end      # the content's line range [start, end)


class Program:
    def __init__(self, code):
        self.code = code
        self.output = None
        self.traces = []                       # (block, apy options) pairs
        self.dis = []                          # excerpts of apy --dis
        self.name = 'example.apy'
        self.trace_opts = None
        first = code.text.split('\n', 1)[0]
        m = re.match(r'#\s*apy\s+(.*)$', first)
        if m:
            words = shlex.split(m.group(1))
            opts = [w for w in words if w.startswith('-')]
            files = [w for w in words if not w.startswith('-')]
            if files:
                self.name = files[-1]
            if any(o.startswith('--trace') for o in opts):
                self.trace_opts = opts


def read_blocks(lines):
    """Every fenced block of the Markdown file, in order."""
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, info = m.group(1), m.group(2), m.group(3)
        j = i + 1
        while j < len(lines) and not (lines[j].startswith(fence) and lines[j].strip() == fence):
            j += 1
        if j >= len(lines):
            raise SystemExit(f'line {i + 1}: unterminated ``` block')
        blocks.append(Block(lang, info, ''.join(lines[i + 1:j]), i + 1, i + 1, j))
        i = j + 1
    return blocks


def read_programs(path):
    with open(path, encoding='utf-8') as f:
        lines = f.readlines()
    blocks = read_blocks(lines)
    programs, errors, current = [], [], None
    for b in blocks:
        if b.lang == 'python':
            current = Program(b)
            programs.append(current)
        elif b.lang == 'output' and current is not None and current.output is None and not current.traces:
            current.output = b
        elif b.lang == 'trace' and current is not None and current.output is not None and current.trace_opts:
            current.traces.append((b, b.opts or current.trace_opts))
        elif b.lang == 'dis' and current is not None and current.output is not None:
            current.dis.append(b)
        elif b.lang in ('output', 'trace', 'dis'):
            errors.append(f'{path}:{b.line}: a ```{b.lang} block that follows no program')
            current = None
        elif b.lang.startswith('python'):
            current = None                     # a fragment: nothing after it is its output
    for p in programs:
        if p.output is None:
            errors.append(f'{path}:{p.code.line}: a ```python block without an ```output block after it '
                          f'(fence a fragment as ```python-fragment)')
        if p.trace_opts and not p.traces:
            errors.append(f'{path}:{p.code.line}: `# apy --trace` program without a ```trace block')
    return lines, programs, errors


def run(cmd, code, name, trace=False):
    """Run cmd + [name] with code in NAME inside a fresh directory: (stdout, exit, stderr, trace bytes)."""
    with tempfile.TemporaryDirectory(prefix='tutorial-') as tmp:
        with open(os.path.join(tmp, name), 'w', encoding='utf-8') as f:
            f.write(code)
        out = os.path.join(tmp, 'trace.out')
        if trace:
            cmd = cmd + ['--trace-out', out]
        try:
            p = subprocess.run(cmd + [name], cwd=tmp, stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, 'timeout', b'', b''
        got_trace = b''
        if trace and os.path.exists(out):
            with open(out, 'rb') as f:
                got_trace = f.read()
        return p.stdout, p.returncode, p.stderr, got_trace


def diff(want, got, a, b):
    return ''.join(list(difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                             a, b))[:60])


def check(path, apy, oracle, only):
    lines, programs, errors = read_programs(path)
    for e in errors:
        print(e)
    failed = 0
    for n, p in enumerate(programs, 1):
        if only and n != only:
            continue
        if p.output is None:
            continue
        where = f'{os.path.basename(path)}:{p.code.line} (program {n})'
        runs = [('apy', [apy])]
        if oracle:
            runs.append((oracle, [oracle]))
        ok = True
        for label, cmd in runs:
            out, code, err, _ = run(cmd, p.code.text, p.name)
            if out is None:
                print(f'FAIL {where}: {label} timed out after {TIMEOUT}s')
                ok = False
                continue
            got = out.decode('utf-8', 'replace')
            if got != p.output.text or code != 0:
                print(f'FAIL {where}: {label} (exit status {code})')
                print(diff(p.output.text, got, 'tutorial', label), end='')
                tail = err.decode('utf-8', 'replace').strip().splitlines()[-10:]
                if tail:
                    print(f'--- {label} stderr (tail):')
                    print('\n'.join(tail))
                ok = False
        for block, opts in p.traces:
            out, code, err, got_trace = run([apy] + opts, p.code.text, p.name, trace=True)
            got = got_trace.decode('utf-8', 'replace')
            if out is None:
                print(f'FAIL {where}: traced run timed out')
                ok = False
            elif got != block.text or out.decode('utf-8', 'replace') != p.output.text or code != 0:
                print(f'FAIL {where}: the trace at line {block.line} (apy {" ".join(opts)}) differs'
                      f' (exit status {code})')
                print(diff(block.text, got, 'tutorial', 'apy'), end='')
                ok = False
        for block in p.dis:
            out, code, err, _ = run([apy, '--dis'], p.code.text, p.name)
            got = [l.rstrip() for l in (out or b'').decode('utf-8', 'replace').splitlines()]
            want = [l.rstrip() for l in block.text.splitlines()]
            if not any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1)):
                print(f'FAIL {where}: the --dis excerpt at line {block.line} is not in apy --dis')
                print('\n'.join(got[:60]))
                ok = False
        if ok:
            print(f'ok   {where}')
        else:
            failed += 1
    print(f'{os.path.basename(path)}: {len(programs) - failed} of {len(programs)} programs match'
          + (f' (apy and {oracle})' if oracle else '') + (f'; {len(errors)} misplaced blocks' if errors else ''))
    return 0 if failed == 0 and not errors else 1


def fix(path, apy, oracle):
    lines, programs, errors = read_programs(path)
    for e in errors:
        print(e)
    edits = []                           # (start, end, new text) of block contents
    for n, p in enumerate(programs, 1):
        if p.output is None:
            continue
        out, code, err, _ = run([oracle], p.code.text, p.name)
        if out is None or code != 0:
            print(f'{path}:{p.code.line}: {oracle} failed (exit {code}):')
            print(err.decode('utf-8', 'replace'))
            continue
        edits.append((p.output.start, p.output.end, out.decode('utf-8')))
        for block, opts in p.traces:
            _, _, _, got = run([apy] + opts, p.code.text, p.name, trace=True)
            edits.append((block.start, block.end, got.decode('utf-8')))
    for start, end, text in sorted(edits, reverse=True):
        if text and not text.endswith('\n'):
            text += '\n'                 # a fence must start a line (check() would then differ: fine)
        lines[start:end] = [text] if text else []
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(lines)
    print(f'{path}: rewrote {len(edits)} blocks')
    return 0


def extract(outdir, paths):
    os.makedirs(outdir, exist_ok=True)
    for path in paths:
        _, programs, errors = read_programs(path)
        for e in errors:
            print(e)
        chapter = os.path.splitext(os.path.basename(path))[0]
        for k, p in enumerate(programs, 1):
            if p.output is None:
                continue
            base = os.path.join(outdir, f'{chapter}-{k}')
            with open(base + '.apy', 'w', encoding='utf-8') as f:
                f.write(p.code.text)
            with open(base + '.out', 'w', encoding='utf-8') as f:
                f.write(p.output.text)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == '--list':
        for md in sorted(glob.glob(os.path.join(argv[1], '[0-9][0-9]-*.md'))):
            print(md)
        return 0
    if len(argv) >= 2 and argv[0] == '--extract':
        return extract(argv[1], argv[2:])
    oracle, only, do_fix, rest = None, 0, False, []
    i = 0
    while i < len(argv):
        if argv[i] == '--oracle':
            oracle = argv[i + 1]
            i += 2
        elif argv[i] == '-k':
            only = int(argv[i + 1])
            i += 2
        elif argv[i] == '--fix':
            do_fix = True
            i += 1
        else:
            rest.append(argv[i])
            i += 1
    if len(rest) != 2:
        print(__doc__)
        return 2
    path, apy = rest[0], os.path.abspath(rest[1]) if os.sep in rest[1] else rest[1]
    import shutil
    for exe in (apy, oracle or 'python3'):
        if not shutil.which(exe):
            print(f'tutorial_test.py: no interpreter at {exe!r}')
            return 2
    if do_fix:
        return fix(path, apy, oracle or 'python3')
    return check(path, apy, oracle, only)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
