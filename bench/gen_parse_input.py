#!/usr/bin/env python3
"""gen_parse_input.py — write a large file of mixed apy/Python code for the
parser benchmark (bench/parse_bench.sh). Deterministic: same output for the
same line count. Usage: gen_parse_input.py LINES > file.apy

Owns: the benchmark's input. Must not touch: anything else."""
import sys

BLOCK = '''\
# block {n}: a little of everything the front end handles
import mod{n}
from pkg.sub import name{n} as alias{n}, other

CONST_{n} = 0x{n:x} + 1_000 * {n} - 3.5e-2 / (2 ** 8)

@decorator(option={n})
class Shape{n}(Base, metaclass=Meta):
    """A docstring for shape {n}."""
    sides: int = {m}

    def __init__(self, width, height=2, *args, scale=1.0, **kwargs):
        self.width = width
        self.height = height
        self.tags = [t.upper() for t in args if t and not t.startswith("_")]
        self.lookup = {{k: v for k, v in kwargs.items()}}

    def area(self) -> float:
        if self.width > 0 and self.height > 0:
            return self.width * self.height * {m}
        elif self.width == 0 or self.height is None:
            return 0.0
        else:
            raise ValueError(f"bad size {{self.width!r}} x {{self.height:>{m}}}")

    async def fetch(self, session, url=None):
        async with session.get(url or "http://example/{n}") as response:
            data = await response.json()
        for i, item in enumerate(data):
            if i % 2:
                continue
            yield item["value"], item.get("label", "n/a")

def helper_{n}(xs, /, key=lambda x: -x, *, reverse=False):
    total = 0
    while xs:
        head, *tail = xs
        total += head if head > 0 else -head
        xs = tail
    try:
        result = sorted(xs, key=key, reverse=reverse)[::{m}]
    except (TypeError, KeyError) as exc:
        result = None
    finally:
        total <<= 1
    return total, result, {{1, 2, {m}}}, (a := len(xs))

'''

def main():
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    out, count, n = [], 0, 0
    while count < lines:
        text = BLOCK.format(n=n, m=n % 7 + 1)
        out.append(text)
        count += text.count("\n")
        n += 1
    sys.stdout.write("".join(out))

main()
