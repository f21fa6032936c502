#!/usr/bin/env python3
"""gen_text_cases.py — writes tests/unit/str_cases.inc (str, bytes, format,
%-formatting) and tests/unit/float_cases.inc (float, complex) for test_str.c
and test_float.c: each case with the answer python3 gives.

    python3 tests/unit/gen_text_cases.py      (from anywhere)

Every case is a call through the C API (a method call, an operator, format(),
repr()) and the expected repr of the result, or the expected exception type
and message. Values are written with the helpers in test_str.c:
S("utf-8") str, B("bytes", n) bytes, I(n) int, F(bits) float (exact bits),
T(n, ...) tuple, L(n, ...) list, D(n, k, v, ...) dict, NONE.
"""
import math, random, struct, sys

out = []

def cstr(s):
    if isinstance(s, str):
        s = s.encode('utf-8')
    r = '"'
    for b in s:
        c = chr(b)
        if c in '"\\':
            r += '\\' + c
        elif 32 <= b < 127 and c != '?':
            r += c
        else:
            r += '\\x%02x""' % b   # split so following hex digits don't extend the escape
    return r + '"'

def cval(v):
    if v is None:
        return 'NONE'
    if v is True:
        return 'TRUE_'
    if v is False:
        return 'FALSE_'
    if isinstance(v, int):
        if -2**62 <= v < 2**62:
            return 'I(%dLL)' % v
        return 'BIG("%d")' % v
    if isinstance(v, float):
        return 'F(0x%016xULL)' % struct.unpack('<Q', struct.pack('<d', v))[0]
    if isinstance(v, str):
        if '\0' in v:
            return 'SN(%s, %d)' % (cstr(v), len(v.encode()))
        return 'S(%s)' % cstr(v)
    if isinstance(v, bytes):
        return 'B(%s, %d)' % (cstr(v), len(v))
    if isinstance(v, tuple):
        return 'T(%d%s)' % (len(v), ''.join(', ' + cval(x) for x in v))
    if isinstance(v, list):
        return 'L(%d%s)' % (len(v), ''.join(', ' + cval(x) for x in v))
    if isinstance(v, dict):
        return 'D(%d%s)' % (len(v), ''.join(', %s, %s' % (cval(k), cval(x)) for k, x in v.items()))
    if isinstance(v, complex):
        return 'C(%s, %s)' % (cval(v.real), cval(v.imag))
    raise TypeError(v)

def outcome(thunk):
    try:
        r = thunk()
    except Exception as e:
        return ('err', type(e).__name__, str(e))
    return ('ok', repr(r))

def emit(kind, cexpr, res):
    if res[0] == 'ok':
        out.append('    %s_OK(%s, %s);' % (kind, cexpr, cstr(res[1])))
    else:
        out.append('    %s_ERR(%s, &Exc_%s, %s);' % (kind, cexpr, res[1], cstr(res[2])))

def method(recv, name, *args, **kw):
    """recv.name(*args, **kw)"""
    # Call with real method-call syntax: CPython words some errors differently
    # for a bound-method object than for obj.method(...) (e.g. "str.count()").
    env = {'r': recv}
    parts = []
    for i, a in enumerate(args):
        env['a%d' % i] = a
        parts.append('a%d' % i)
    for i, (k, v) in enumerate(kw.items()):
        env['k%d' % i] = v
        parts.append('%s=k%d' % (k, i))
    src = 'r.%s(%s)' % (name, ', '.join(parts))
    res = outcome(lambda: eval(src, env))
    vals = [recv] + list(args) + list(kw.values())
    kwn = 'NULL'
    if kw:
        kwn = '(const char *[]){%sNULL}' % ''.join(cstr(k) + ', ' for k in kw)
    arr = '(Value[]){%s}' % ', '.join(cval(v) for v in vals)
    emit('CALL', '%s, %d, %s, %s' % (arr, len(args), kwn, cstr(name)), res)

def expr(cexpr, thunk):
    emit('EXPR', cexpr, outcome(thunk))

def section(name):
    out.append('')
    out.append('/* ---- %s ---- */' % name)

# =====================================================================================
section('str methods')
CASES = 'str_method_cases'
out.append('static void %s(void) {' % CASES)
samples = ['', 'a', 'abc', '  hello world  ', 'a,b,,c', 'Hello World', 'héllo wörld', 'ΑΣ ΟΔΟΣ',
           'straße', 'İstanbul', 'ﬁx', 'tab\there', 'a\nb\r\nc\rd\x0be\x1cf\u2028g', "it's o'clock",
           '123', '١٢٣', '½', 'MiXeD CaSe', 'x' * 3 + 'é', '\t \n', 'Ǆungla', 'hello_world9', '9abc', '',
           'Привет мир', 'ǅ', 'ß', 'ŉ']
for s in samples:
    for m in ['upper', 'lower', 'title', 'capitalize', 'swapcase', 'casefold', 'isalpha', 'isdigit',
              'isalnum', 'isspace', 'isupper', 'islower', 'istitle', 'isidentifier', 'isnumeric',
              'isdecimal', 'isascii', 'isprintable', 'split', 'rsplit', 'splitlines', 'strip',
              'lstrip', 'rstrip']:
        method(s, m)
for s in ['a,b,,c', ',a,', '  a  b  c  ', 'a b c d']:
    for sep in [None, ',', ' ', 'b', ',,']:
        for mx in [-1, 0, 1, 2]:
            method(s, 'split', sep, mx)
            method(s, 'rsplit', sep, mx)
method('a b', 'split', maxsplit=1)
method('a b', 'split', sep=None, maxsplit=0)
method('a', 'split', '')
method('a', 'split', 1)
method('a', 'split', x=1)
method('a', 'split', 'a', sep='b')
method('ab\ncd\n', 'splitlines', True)
method('ab\ncd\n', 'splitlines', keepends=True)
for s, chars in [('xxaxx', 'x'), ('  a  ', None), ('abcba', 'ab'), ('ééaé', 'é'), ('a', 1)]:
    for m in ['strip', 'lstrip', 'rstrip']:
        method(s, m, chars)
for s in ['hello world', 'héllo wörld', 'aaaa']:
    for sub in ['o', 'l', 'wö', 'xyz', '', 'aa']:
        for m in ['find', 'rfind', 'count', 'index', 'rindex', 'startswith', 'endswith']:
            method(s, m, sub)
            method(s, m, sub, 2)
            method(s, m, sub, -5, -1)
            method(s, m, sub, 20)
method('abc', 'startswith', ('x', 'ab'))
method('abc', 'endswith', ('x', 1))
method('abc', 'startswith', 1)
method('abc', 'find')
method('abc', 'find', 1)
method('abc', 'find', 'a', 'x')
method('abc', 'find', 'a', None, None)
method('abc', 'count', '', 1)
for s in ['aaa', 'hello', 'héllo', '']:
    for old, new in [('a', 'b'), ('l', 'LL'), ('', '-'), ('é', 'e'), ('xyz', 'q'), ('aa', '')]:
        method(s, 'replace', old, new)
        method(s, 'replace', old, new, 1)
method('a', 'replace', 1, 'b')
method('a', 'replace')
for s in ['abc', 'é', '']:
    for w in [0, 2, 5, 6]:
        method(s, 'center', w)
        method(s, 'center', w, '*')
        method(s, 'ljust', w, 'é')
        method(s, 'rjust', w)
        method(s, 'zfill', w)
method('-42', 'zfill', 6)
method('+42', 'zfill', 6)
method('a', 'center', 3, 'ab')
method('a', 'center', 3, 1)
method('a', 'center')
method('a', 'zfill')
method('a', 'zfill', 'x')
for s in ['a=b=c', 'abc', 'é=ö']:
    for sep in ['=', 'x', 'é=']:
        method(s, 'partition', sep)
        method(s, 'rpartition', sep)
method('a', 'partition', '')
method('a', 'partition', 1)
method(',', 'join', ['a', 'b', 'c'])
method('', 'join', ['a'])
method('é', 'join', ('x', 'y'))
method(',', 'join', [])
method(',', 'join', ['a', 1])
method(',', 'join', 5)
method(',', 'join', 'abc')
for s in ['a\tb', '\tx\ty\n\tz', 'é\tb']:
    method(s, 'expandtabs')
    method(s, 'expandtabs', 4)
    method(s, 'expandtabs', tabsize=0)
method('prefix-body', 'removeprefix', 'prefix-')
method('prefix-body', 'removesuffix', '-body')
method('abc', 'removeprefix', 'x')
method('abc', 'removeprefix', 1)
method('abc', 'removeprefix')
for s in ['héllo', 'abc', '€']:
    method(s, 'encode')
    method(s, 'encode', 'ascii')
    method(s, 'encode', 'ascii', 'replace')
    method(s, 'encode', 'ascii', 'ignore')
    method(s, 'encode', 'latin-1')
    method(s, 'encode', 'ascii', 'backslashreplace')
    method(s, 'encode', encoding='UTF8')
method('éé', 'encode', 'ascii')
method('a', 'encode', 'foo')
method('a', 'encode', 1)
method('abc', 'translate', {97: 'x', 98: None, 99: 100})
method('abc', 'translate', {})
method('abc', 'translate', {97: 1.5})
method('abc', 'translate', {97: -1})
method('abc', 'upper', 1)
method('abc', 'isdigit', 1)
# format / format_map
for fmt, args, kw in [
        ('{} {}', (1, 2), {}), ('{0} {0}', ('a',), {}), ('{1}{0}', ('a', 'b'), {}),
        ('{x}-{y}', (), {'x': 1, 'y': 'z'}), ('{!r}', ('é',), {}), ('{0!a}', ('é',), {}),
        ('{:>6}|{:<4}|{:^5}', ('a', 'b', 'c'), {}), ('{:08.3f}', (3.14159,), {}),
        ('{0[1]}', ([1, 2],), {}), ('{0[a]}', ({'a': 5},), {}), ('{0:{1}}', (5, '>4'), {}),
        ('{{}} {{{}}}', (1,), {}), ('{} {0}', (1, 2), {}), ('{0} {}', (1, 2), {}),
        ('{2}', (1,), {}), ('{x}', (), {}), ('{', (), {}), ('}', (), {}), ('{0!x}', (1,), {}),
        ('{:{:{}}}', (1, 2, 3), {}), ('{0[}', (1,), {}), ('{!}', (1,), {}), ('{0.}', (1,), {}),
        ('{0[]}', (1,), {}), ('{0[0]x}', ([1],), {}), ('{:d}', ('a',), {}), ('{:,}', (1234567,), {}),
        ('{0:x} {0:#b} {0:o}', (255,), {}), ('{:%}', (0.25,), {}), ('{:e}', (12345.6789,), {}),
        ('{}', (True,), {}), ('{:d}', (True,), {}), ('{:5}', (None,), {}), ('{}', (None,), {}),
        ('{:>{w}}', ('a',), {'w': 4}), ('é{}é', ('ö',), {}), ('{!r:>5}', ('a',), {}),
        ]:
    method(fmt, 'format', *args, **kw)
for m, kw in [('zfill', {'width': 3}), ('partition', {'sep': 'a'}), ('removeprefix', {'prefix': 'a'}),
              ('translate', {'table': {}}), ('format_map', {'mapping': {}}), ('__format__', {'format_spec': ''}),
              ('center', {'width': 3}), ('count', {'x': 1}), ('upper', {'x': 1}), ('find', {'sub': 'a'}),
              ('strip', {'chars': 'a'}), ('replace', {'old': 'a', 'new': 'b'}), ('startswith', {'prefix': 'a'}),
              ('join', {'iterable': []}), ('split', {'sep': ' ', 'maxsplit': 1}), ('encode', {'errors': 'strict'}),
              ('expandtabs', {'tabsize': 2}), ('splitlines', {'keepends': 1})]:
    method('a b', m, **kw)
method('a', 'split', ' ', 1, 2)
method('a', 'zfill')
method('a', 'partition')
method('{x} {y}', 'format_map', {'x': 1, 'y': 2})
method('{}', 'format_map', {'x': 1})
method('{a}', 'format_map', 1)
out.append('}')

# =====================================================================================
section('operators, indexing, repr')
out.append('static void str_expr_cases(void) {')
reprs = ['', 'a', "it's", 'say "hi"', 'both \' and "', 'back\\slash', 'tab\tnl\ncr\r', '\x00\x07\x1b\x7f',
         'é', '€', '\u200b', '\u00a0', '\u2028', '\ud7ff', '\U0001F600', '\U000E0001', '\x85', '\xad',
         '\u0378', '\ue000', 'ǅ', '\u3000', 'x\u0301']
for s in reprs:
    expr('obj_repr(%s)' % cval(s), lambda s=s: repr(s))
    expr('obj_str(%s)' % cval(s), lambda s=s: str(s))
for s in ['hello', 'héllo wörld', '€uro', '']:
    for i in [0, 1, -1, 4, 5, -6, 10]:
        expr('obj_getitem(%s, I(%d))' % (cval(s), i), lambda s=s, i=i: s[i])
    for a, b, c in [(None, None, None), (1, 3, None), (-3, None, None), (None, None, -1), (None, None, 2),
                    (1, None, 3), (10, 0, -2), (-100, 100, None), (3, 1, None), (None, -1, -1)]:
        expr('obj_getitem(%s, SL(%s, %s, %s))' % (cval(s), cval(a), cval(b), cval(c)),
             lambda s=s, a=a, b=b, c=c: s[a:b:c])
expr('obj_getitem(S("abc"), S("x"))', lambda k='x': 'abc'[k])
expr('obj_getitem(S("abc"), F(0x3ff0000000000000ULL))', lambda k=1.0: 'abc'[k])
expr('obj_getitem(S("abc"), BIG("100000000000000000000"))', lambda: 'abc'[10**20])
expr('obj_getitem(S("abc"), TRUE_)', lambda: 'abc'[True])
for a, b in [('ab', 'cd'), ('', 'x'), ('é', 'ö'), ('a', '')]:
    expr('obj_binop(%s, %s, OP_ADD)' % (cval(a), cval(b)), lambda a=a, b=b: a + b)
for a, n in [('ab', 3), ('é', 2), ('x', 0), ('x', -1), ('', 5)]:
    expr('obj_binop(%s, I(%d), OP_MUL)' % (cval(a), n), lambda a=a, n=n: a * n)
    expr('obj_binop(I(%d), %s, OP_MUL)' % (n, cval(a)), lambda a=a, n=n: n * a)
expr('obj_binop(S("ab"), BIG("4611686018427387904"), OP_MUL)', lambda: 'ab' * 2**62)
expr('obj_binop(S("ab"), BIG("100000000000000000000"), OP_MUL)', lambda: 'ab' * 10**20)
expr('obj_binop(S("ab"), F(0x4000000000000000ULL), OP_MUL)', lambda: 'ab' * 2.0)
expr('obj_binop(S("a"), I(1), OP_ADD)', lambda: 'a' + 1)
expr('obj_binop(S("a"), B("x", 1), OP_ADD)', lambda: 'a' + b'x')
expr('obj_binop(I(1), S("a"), OP_ADD)', lambda: 1 + 'a')
for a, b in [('abc', 'abd'), ('ab', 'abc'), ('b', 'abc'), ('é', 'z'), ('', ''), ('a', 'a'), ('\U0001F600', '\uffff')]:
    for op, name in [('RC_LT', '<'), ('RC_LE', '<='), ('RC_EQ', '=='), ('RC_NE', '!='), ('RC_GT', '>'), ('RC_GE', '>=')]:
        expr('obj_richcmp(%s, %s, %s)' % (cval(a), cval(b), op), lambda a=a, b=b, name=name: eval('a %s b' % name))
expr('obj_richcmp(S("a"), I(1), RC_LT)', lambda: 'a' < 1)
expr('obj_richcmp(S("a"), I(1), RC_EQ)', lambda: 'a' == 1)
for h, n in [('hello world', 'o w'), ('abc', ''), ('héllo', 'é'), ('abc', 'abcd')]:
    expr('CONTAINS(%s, %s)' % (cval(h), cval(n)), lambda h=h, n=n: n in h)
expr('CONTAINS(S("abc"), I(1))', lambda: 1 in 'abc')
for s in ['', 'abc', 'héllo', '€\U0001F600']:
    expr('LEN(%s)' % cval(s), lambda s=s: len(s))
    expr('LIST_OF(%s)' % cval(s), lambda s=s: list(s))
# % formatting
for fmt, args in [
        ('%s and %r, %d%%, %5.2f, %-4s|, %x, %o, %e, %g, %c', ('a', 'b', 42, 3.14159, 'ab', 255, 8, 12345.678, 0.0001, 65)),
        ('%(name)s is %(age)d', {'name': 'Ann', 'age': 30}), ('%s', 'single'), ('%s', (1,)), ('%s', ((1, 2),)),
        ('%s %s', (1,)), ('%s', (1, 2)), ('%d', 'x'), ('%x', 1.5), ('%c', 'ab'), ('%c', 0x110000),
        ('%(a)s', 1), ('%(a)s', {}), ('%z', 1), ('%', 1), ('%5%', (1,)), ('%%', ()), ('abc', ()), ('abc', 5),
        ('abc', []), ('abc', {}), ('%s', [1]), ('%s %(a)s', {'a': 1}), ('%(a)s %s', {'a': 1}), ('%(a', {'a': 1}),
        ('%.3d|%5.3d|%-5.3x|%.0d', (5, 5, 255, 0)), ('%-*s|', (5, 'a')), ('%.*f', (2, 3.14159)),
        ('%*d', ('a', 1)), ('%d', True), ('%d', 2**70), ('%x', -255), ('%#X', 255), ('%#o', 8),
        ('%10.4s|', 'abcdefg'), ('%c', 233), ('%d', 3.99), ('%i %u', (1, 2)), ('%F %E %G', (float('inf'), 1e-10, 1e20)),
        ('%5s', True), ('%-5d|', -3), ('%+.2e', 0.0), ('%#.0f', 1.0), ('%#g', 1.0), ('%g', 1e16), ('%r', 1e16),
        ('% 05d', 42), ('%0-5d|', 42), ('%05.1f', -2.5), ('%+05d', 7), ('%#08x', 255), ('%ld', 5), ('a%', ()),
        ('%s %', (1,)), ('%d%s', (1, 2, 3)), ('%é', 1), ('%s', b'x'), ('%d', None), ('%f', 'a'), ('%a', 'é'),
        ('%.2s', 'héllo'), ('%5s|', 'é'), ('%c', 'é'), ('%3c|', 65), ('%-3c|', 'x'), ('%o', 3.0),
        ]:
    expr('obj_binop(%s, %s, OP_MOD)' % (cval(fmt), cval(args)), lambda fmt=fmt, args=args: fmt % args)
out.append('}')

# =====================================================================================
section('format()')
out.append('static void format_cases(void) {')
fvals = [0.0, -0.0, 1.0, 100.0, 123.456, 1e16, 1e15, 1.5e-5, 0.0001, 1e22, 123456789012345678.0,
         2.5e-310, 5e-324, float('inf'), float('-inf'), float('nan'), 1/3, 1e100, 0.1 + 0.2, -1234.5]
fspecs = ['', '.3', '.0', '#', '#.3', 'g', '#g', '.3g', '#.3g', 'e', '.0e', '#.0e', 'f', '.0f', '#.0f',
          '%', '.1%', 'n', '10', '<10', '^10', '=10', '010', '+', ' ', 'z.1f', '010,.2f', ',', '_', '015,',
          'E', 'F', 'G', '+.2e', 'z', '.17g', '.20e', '012.3e', ',.2f', '_.3f', '*^12.2f', 'é>9', '-', 'd', 'x', 'c',
          '.', ',_', '_,', '10.2s', 'zz']
for v in fvals:
    for sp in fspecs:
        expr('format_value(%s, S(%s))' % (cval(v), cstr(sp)), lambda v=v, sp=sp: format(v, sp))
ivals = [0, 1, -1, 1234, -1234567, 255, 65, 0x10FFFF, 2**70, -2**70, True, False]
ispecs = ['', 'b', 'o', 'x', 'X', '#b', '#o', '#x', '#X', 'c', 'd', 'n', ',', '_', '_b', '_x', '#_x', '010',
          '010,', '09,', '08,', '+', ' ', '=+10', '<10', '^10', '^11', '*^11', '+010', '#010x', 'e', 'f', '.2f',
          'g', '%', '010_', '011_x', '#011_x', '.2', '+c', '#c', ',c', ',x', 'z', 's', 'xx', '99999999999999999999',
          '05c', ',b', '_o', 'é^7']
for v in ivals:
    for sp in ispecs:
        expr('format_value(%s, S(%s))' % (cval(v), cstr(sp)), lambda v=v, sp=sp: format(v, sp))
svals = ['', 'abc', 'héllo', '€']
sspecs = ['', 's', '10', '>10', '^10', '*^9', '.2', '10.2', 'é>6', '<', '05', '^05', 'x<05', '+', ' ', '#', '=',
          ',', 'z', 'd', '.0', '1']
for v in svals:
    for sp in sspecs:
        expr('format_value(%s, S(%s))' % (cval(v), cstr(sp)), lambda v=v, sp=sp: format(v, sp))
expr('format_value(NONE, S(""))', lambda: format(None, ''))
expr('format_value(S("a"), I(1))', lambda: format('a', 1))
out.append('}')

# =====================================================================================
section('bytes')
out.append('static void bytes_cases(void) {')
for b in [b'', b'abc', b"a'b", b'a\'"b', b'\t\n\r\x7f\x80\\\x00', b'"']:
    expr('obj_repr(%s)' % cval(b), lambda b=b: repr(b))
for b in [b'hello', b'']:
    for i in [0, -1, 5, 10]:
        expr('obj_getitem(%s, I(%d))' % (cval(b), i), lambda b=b, i=i: b[i])
    for a, c in [(1, 3), (None, -1), (-100, 100)]:
        expr('obj_getitem(%s, SL(%s, %s, NONE))' % (cval(b), cval(a), cval(c)), lambda b=b, a=a, c=c: b[a:c])
    expr('obj_getitem(%s, SL(NONE, NONE, I(-2)))' % cval(b), lambda b=b: b[::-2])
expr('obj_getitem(B("abc", 3), S("x"))', lambda k='x': b'abc'[k])
expr('obj_binop(B("ab", 2), B("cd", 2), OP_ADD)', lambda: b'ab' + b'cd')
expr('obj_binop(B("ab", 2), S("c"), OP_ADD)', lambda: b'ab' + 'c')
expr('obj_binop(B("ab", 2), I(3), OP_MUL)', lambda: b'ab' * 3)
expr('obj_binop(I(2), B("ab", 2), OP_MUL)', lambda: 2 * b'ab')
expr('CONTAINS(B("abc", 3), I(98))', lambda: 98 in b'abc')
expr('CONTAINS(B("abc", 3), I(300))', lambda: 300 in b'abc')
expr('CONTAINS(B("abc", 3), B("bc", 2))', lambda: b'bc' in b'abc')
expr('CONTAINS(B("abc", 3), S("a"))', lambda: 'a' in b'abc')
expr('LIST_OF(B("ab\\xff", 3))', lambda: list(b'ab\xff'))
expr('obj_richcmp(B("abc", 3), B("abd", 3), RC_LT)', lambda: b'abc' < b'abd')
expr('obj_richcmp(B("abc", 3), S("abc"), RC_EQ)', lambda: b'abc' == 'abc')
expr('obj_richcmp(B("abc", 3), S("abc"), RC_LT)', lambda: b'abc' < 'abc')
for args in [(), (3,), ([1, 2, 255],), ([256],), ([-1],), (['a'],), ('abc', 'utf-8'), ('é', 'latin-1'), ('a',),
             (1, 'utf-8'), (-1,), (1.5,), (b'xy',), ('é', 'ascii')]:
    expr('CALLTYPE(&BytesType, %d%s)' % (len(args), ''.join(', ' + cval(a) for a in args)),
         lambda args=args: bytes(*args))
for b, m, args in [(b'hello world', 'split', ()), (b'a,b,,c', 'split', (b',',)), (b'a,b,,c', 'rsplit', (b',', 1)),
                   (b'  x  ', 'strip', ()), (b'xxaxx', 'strip', (b'x',)), (b'abc', 'strip', ('a',)),
                   (b'hello', 'find', (b'l',)), (b'hello', 'rfind', (b'l',)), (b'hello', 'find', (108,)),
                   (b'hello', 'find', ('l',)), (b'hello', 'find', (300,)), (b'hello', 'index', (b'z',)),
                   (b'hello', 'count', (b'l',)), (b'hello', 'count', (b'',)), (b'hello', 'startswith', (b'he',)),
                   (b'hello', 'endswith', ((b'x', b'lo'),)), (b'hello', 'startswith', ('h',)),
                   (b'a-b-c', 'replace', (b'-', b'+')), (b'a-b-c', 'replace', (b'-', b'', 1)),
                   (b'abc', 'replace', (b'', b'.')), (b',', 'join', ([b'a', b'b'],)), (b',', 'join', ([b'a', 'b'],)),
                   (b'Hello', 'upper', ()), (b'Hello', 'lower', ()), (b'Hello', 'swapcase', ()),
                   (b'123', 'isdigit', ()), (b'abc', 'isalpha', ()), (b'', 'isalpha', ()), (b'a1', 'isalnum', ()),
                   (b'h\xc3\xa9', 'decode', ()), (b'\xff', 'decode', ()), (b'\xe4\xb8', 'decode', ()),
                   (b'\xe4\xb8x', 'decode', ()), (b'\xe4x', 'decode', ()), (b'a\xffb', 'decode', ('utf-8', 'replace')),
                   (b'a\xffb', 'decode', ('utf-8', 'ignore')), (b'a\xffb', 'decode', ('utf-8', 'backslashreplace')),
                   (b'\xff', 'decode', ('ascii',)), (b'\xe9', 'decode', ('latin-1',)), (b'a', 'decode', ('foo',)),
                   (b'\x00\xff', 'hex', ()), (b'\x01\x02\x03', 'hex', (':',)), (b'\x01\x02\x03', 'hex', (':', 2)),
                   (b'\x01\x02\x03', 'hex', (':', -2)), (b'abc', 'hex', ('::',)), (b'a=b', 'partition', (b'=',)),
                   (b'hello', 'upper', (1,))]:
    method(b, m, *args)
for m, kw in [('hex', {'sep': ':'}), ('join', {'x': 1}), ('strip', {'x': 1}), ('upper', {'x': 1}), ('find', {'x': 1}),
              ('replace', {'x': 1}), ('partition', {'x': 1}), ('decode', {'encoding': 'utf-8'}), ('split', {'sep': b'a'})]:
    method(b'a a', m, **kw)
expr('CALLCLASS(&BytesType, "fromhex", S("ab cd"))', lambda: bytes.fromhex('ab cd'))
expr('CALLCLASS(&BytesType, "fromhex", S("abc"))', lambda: bytes.fromhex('abc'))
expr('CALLCLASS(&BytesType, "fromhex", S(" a b"))', lambda: bytes.fromhex(' a b'))
expr('HASH_EQ(B("abc", 3), S("abc"))', lambda: hash(b'abc') == hash('abc'))
out.append('}')

# =====================================================================================
section('str() constructor and codecs')
out.append('static void str_ctor_cases(void) {')
for args in [(), (1,), (1.5,), (None,), ([1, 'a'],), (b'abc',), (b'h\xc3\xa9', 'utf-8'), (b'\xe9', 'latin-1'),
             (b'\xff', 'utf-8'), (b'\xff', 'utf-8', 'replace'), (1, 'utf-8'), (b'a', 1), (b'a', 'foo'), ('abc',)]:
    expr('CALLTYPE(&StrType, %d%s)' % (len(args), ''.join(', ' + cval(a) for a in args)), lambda args=args: str(*args))
expr('CALLCLASS(&StrType, "maketrans", S("ab"), S("cd"))', lambda: str.maketrans('ab', 'cd'))
expr('CALLCLASS(&StrType, "maketrans", S("ab"), S("a"))', lambda: str.maketrans('ab', 'a'))
expr('CALLCLASS(&StrType, "maketrans", I(1))', lambda: str.maketrans(1))
expr('CALLCLASS(&StrType, "maketrans", D(1, S("ab"), I(1)))', lambda: str.maketrans({'ab': 1}))
out.append('}')

# =====================================================================================
str_part = out
out = []
section('float')
out.append('static void float_cases(void) {')
fv = [0.1, 1e16, 1e-5, 123456789012345678.0, 2.5e-310, float('nan'), -0.0, 0.0, 1.0, -1.5, 1e22, 1e-7,
      1/3, 2/3, 9007199254740993.0, 1.7976931348623157e308, 5e-324, 100.0, 1234567.0, 0.5, 2.0**-1074 * 3,
      float('inf'), -float('inf'), 4.35, 0.30000000000000004]
for v in fv:
    expr('obj_repr(%s)' % cval(v), lambda v=v: repr(v))
    expr('obj_str(%s)' % cval(v), lambda v=v: str(v))
pairs = [(7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (-7.5, -2.0), (1.0, 0.0), (0.0, 0.0), (5.0, 3), (1e308, 10.0),
         (-0.0, 1.0), (0.0, -1.0), (3.0, 0.1), (2.0, 0.5), (-8.0, 1/3), (0.0, -1.0), (10.0, 400.0), (-2.0, 3.0),
         (float('inf'), 2.0), (float('nan'), 0.0), (1.0, float('nan')), (-1.0, float('inf')), (2, 0.5)]
for a, b in pairs:
    for op, sym in [('OP_ADD', '+'), ('OP_SUB', '-'), ('OP_MUL', '*'), ('OP_DIV', '/'), ('OP_FLOORDIV', '//'),
                    ('OP_MOD', '%'), ('OP_POW', '**')]:
        expr('obj_binop(%s, %s, %s)' % (cval(a), cval(b), op), lambda a=a, b=b, sym=sym: eval('a %s b' % sym))
expr('obj_binop(F(0x3ff0000000000000ULL), BIG("%d"), OP_ADD)' % 10**400, lambda: 1.0 + 10**400)
expr('obj_binop(I(1), F(0x0000000000000000ULL), OP_DIV)', lambda: 1 / 0.0)
expr('obj_binop(TRUE_, F(0x3ff8000000000000ULL), OP_ADD)', lambda: True + 1.5)
# comparisons with big ints
for x, i in [(2.0**63, 2**63), (2.0**63, 2**63 + 1), (2.0**63, 2**63 - 1), (1e300, 10**300), (9007199254740992.0, 9007199254740993),
             (0.5, 0), (-0.5, 0), (-0.5, -1), (float('inf'), 10**400), (float('nan'), 1), (1.0, 1), (-1e20, -10**20)]:
    for op, sym in [('RC_LT', '<'), ('RC_EQ', '=='), ('RC_GT', '>'), ('RC_NE', '!=')]:
        expr('obj_richcmp(%s, %s, %s)' % (cval(x), cval(i), op), lambda x=x, i=i, sym=sym: eval('x %s i' % sym))
        expr('obj_richcmp(%s, %s, %s)' % (cval(i), cval(x), op), lambda x=x, i=i, sym=sym: eval('i %s x' % sym))
for v in [0.0, -0.0, 1.0, 1.5, -1.5, 1e300, 2.0**100, float('inf'), float('-inf'), 0.1, 12345678.9, 2.0**-1074]:
    expr('HASH(%s)' % cval(v), lambda v=v: hash(v))
for i in [0, 1, -1, 2**61 - 1, 2**61, 2**100, -(2**100)]:
    expr('HASH_EQ(%s, F(0x%016xULL))' % (cval(i), struct.unpack('<Q', struct.pack('<d', float(i)))[0]),
         lambda i=i: hash(i) == hash(float(i)))
for s in ['1.5', ' 1.5 ', '1e5', 'inf', '-Infinity', 'nan', '+NaN', '1_000.5', 'abc', ' ', '1__0', '_1', '1_',
          '0x10', '1e', '.5', '5.', '.', '1e-3', '\u00a01.5\u2003', '1e500', '-0', 'infinit', '1.5j']:
    expr('CALLTYPE(&FloatType, 1, %s)' % cval(s), lambda s=s: float(s))
expr('CALLTYPE(&FloatType, 0)', lambda: float())
expr('CALLTYPE(&FloatType, 1, I(7))', lambda: float(7))
expr('CALLTYPE(&FloatType, 1, BIG("%d"))' % 10**400, lambda: float(10**400))
expr('CALLTYPE(&FloatType, 1, L(0))', lambda: float([]))
expr('CALLTYPE(&FloatType, 1, TRUE_)', lambda: float(True))
for v, args in [(2.5, ()), (3.5, ()), (-2.5, ()), (0.5, ()), (1.5, ()), (float('inf'), ()), (float('nan'), ()),
                (2.675, (2,)), (1.15, (1,)), (1234.5678, (-2,)), (5.5, (0,)), (-0.4, (0,)), (1e300, (-400,)),
                (1.5, (400,)), (float('inf'), (2,)), (0.125, (2,)), (0.375, (2,)), (1.7976931348623157e308, (-308,)),
                (123.456, (None,)), (2.5, ('a',)), (1e22, (-22,)), (5e-324, (323,)), (5e-324, (324,))]:
    method(v, '__round__', *args)
for v in [1.0, 1.5, -2.0, float('inf'), float('nan'), 0.0, 1e300]:
    method(v, 'is_integer')
for v in [0.5, -0.75, 10.0, 0.1, 0.0, 1e300, float('inf'), float('nan'), 5e-324]:
    method(v, 'as_integer_ratio')
for v in [1.0, -0.5, 0.1, 0.0, -0.0, 5e-324, 1.7976931348623157e308, float('inf'), 3.0]:
    method(v, 'hex')
for s in ['0x1.8p1', '0x1p-1074', '1.8p1', '-0x1.fffffffffffffp+1023', '0x1p1024', 'inf', 'zz', ' 0x10 ', '0x.8']:
    expr('CALLCLASS(&FloatType, "fromhex", %s)' % cval(s), lambda s=s: float.fromhex(s))
for v in [2.7, -2.7, 1e20]:
    method(v, '__trunc__')
    method(v, '__floor__')
    method(v, '__ceil__')
    method(v, '__int__')
method(float('inf'), '__trunc__')
method(-3.5, '__abs__')
method(1.5, '__round__', ndigits=1)
method(1.5, '__round__', 1, 2)
method(1.5, 'is_integer', x=1)
method(1.5, '__format__', x='')
method(1.5, '__format__')
method(7.5, '__divmod__', 2.0)
method(-7.5, '__divmod__', 2)
method(7.5, '__divmod__', 0.0)
method(7.5, '__rdivmod__', 100)
expr('GETATTR(F(0x3ff8000000000000ULL), "real")', lambda: (1.5).real)
expr('GETATTR(F(0x3ff8000000000000ULL), "imag")', lambda: (1.5).imag)
method(2.5, 'conjugate')
# complex
cv = [1j, 1 + 2j, complex(-0.0, -1), complex(0, 0), complex(-0.0, 0), complex(1.5, -0.0), complex(float('inf'), float('nan')),
      complex(1e16, 1e-5), -1j, complex(0.0, -0.0)]
for c in cv:
    expr('obj_repr(%s)' % cval(c), lambda c=c: repr(c))
for a, b in [(1 + 2j, 3 - 1j), (1 + 2j, 2), (1 + 2j, 0.5), (2, 1j), (1j, 0), (1 + 1j, 1 + 1j), (2j, 3), (-8, 1 / 3),
             (0j, -1), (1e200j, 1e200j), (1j, 2), (1 + 1j, 0.5j)]:
    for op, sym in [('OP_ADD', '+'), ('OP_SUB', '-'), ('OP_MUL', '*'), ('OP_DIV', '/'), ('OP_POW', '**')]:
        expr('obj_binop(%s, %s, %s)' % (cval(a), cval(b), op), lambda a=a, b=b, sym=sym: eval('a %s b' % sym))
for a, b in [(1 + 0j, 1), (1 + 0j, 1.0), (1 + 1j, 1), (1j, 1j), (2 + 0j, 2**70)]:
    expr('obj_richcmp(%s, %s, RC_EQ)' % (cval(a), cval(b)), lambda a=a, b=b: a == b)
expr('obj_richcmp(C(F(0x3ff0000000000000ULL), F(0)), C(F(0), F(0)), RC_LT)', lambda: 1 + 0j < 0j)
for c in [1j, 1 + 2j, complex(3, 0), complex(0, 0)]:
    expr('HASH(%s)' % cval(c), lambda c=c: hash(c))
expr('HASH_EQ(C(F(0x4008000000000000ULL), F(0)), I(3))', lambda: hash(3 + 0j) == hash(3))
method(3 + 4j, '__abs__')
method(complex(1e308, 1e308), '__abs__')
method(1 + 2j, 'conjugate')
expr('GETATTR(C(F(0x3ff0000000000000ULL), F(0x4000000000000000ULL)), "imag")', lambda: (1 + 2j).imag)
for args in [(), (1,), (1, 2), (1.5, -0.0), (1j, 1j), ('1+2j',), ('  (3-4j) ',), ('j',), ('-1.5e3J',), ('x',), (1, 'a'),
             ([],), ('1', 1)]:
    expr('CALLTYPE(&ComplexType, %d%s)' % (len(args), ''.join(', ' + cval(a) for a in args)),
         lambda args=args: complex(*args))
out.append('}')

# =====================================================================================
section('known reprs of random doubles (python3)')
random.seed(20240611)
rows = []
for _ in range(2000):
    r = random.random()
    if r < 0.5:
        bits = random.getrandbits(64)
        d = struct.unpack('<d', struct.pack('<Q', bits))[0]
        if d != d:
            continue
    elif r < 0.8:
        d = round(random.uniform(-1e4, 1e4), random.randint(0, 8))
    else:
        d = random.choice([1, -1]) * 2.0 ** random.randint(-1074, 1023)
    bits = struct.unpack('<Q', struct.pack('<d', d))[0]
    rows.append('    {0x%016xULL, "%s"},' % (bits, repr(d)))
out.append('static const struct { uint64_t bits; const char *repr; } known_reprs[] = {')
out.extend(rows)
out.append('};')

import os
here = os.path.dirname(os.path.abspath(__file__))
for name, lines in [('str_cases.inc', str_part), ('float_cases.inc', out)]:
    with open(os.path.join(here, name), 'w') as f:
        f.write('/* %s — GENERATED by tests/unit/gen_text_cases.py with python3 %s.\n' % (name, sys.version.split()[0]))
        f.write(' * Do not edit: rerun the generator. */\n')
        f.write('\n'.join(lines) + '\n')
