/* names.h — interned identifier strings that C code looks up often.
 *
 * Owns: the table NM of pre-interned names (NM.__init__, NM.send …), made
 * once at start-up by names_init(). Lookups in type dicts compare these by
 * pointer first, so using NM.x instead of building a string is also faster.
 * Must not touch: anything else. To add a name, add it to the list.
 */
#ifndef APY_NAMES_H
#define APY_NAMES_H

#include "value.h"

#define APY_NAMES(X) \
    X(__init__) X(__new__) X(__repr__) X(__str__) X(__format__) X(__hash__) \
    X(__eq__) X(__ne__) X(__lt__) X(__le__) X(__gt__) X(__ge__) X(__bool__) \
    X(__len__) X(__contains__) X(__iter__) X(__next__) X(__getitem__) \
    X(__setitem__) X(__delitem__) X(__call__) X(__enter__) X(__exit__) \
    X(__aenter__) X(__aexit__) X(__aiter__) X(__anext__) X(__await__) \
    X(__getattr__) X(__getattribute__) X(__setattr__) X(__delattr__) \
    X(__get__) X(__set__) X(__delete__) X(__set_name__) X(__init_subclass__) \
    X(__class__) X(__dict__) X(__name__) X(__qualname__) X(__module__) \
    X(__doc__) X(__main__) X(__builtins__) X(__file__) X(__package__) \
    X(__spec__) X(__path__) X(__all__) X(__import__) X(__build_class__) X(__annotations__) \
    X(__mro__) X(__bases__) X(__base__) X(__slots__) X(__class_getitem__) \
    X(__index__) X(__int__) X(__float__) X(__neg__) X(__pos__) X(__invert__) \
    X(__abs__) X(__round__) X(__reversed__) X(__missing__) X(__del__) \
    X(__traceback__) X(__context__) X(__cause__) X(__suppress_context__) \
    X(__classcell__) X(__wrapped__) X(__self__) \
    X(__closure__) X(__code__) X(__defaults__) X(__kwdefaults__) \
    X(__add__) X(__radd__) X(__iadd__) X(__sub__) X(__rsub__) X(__isub__) \
    X(__mul__) X(__rmul__) X(__imul__) X(__matmul__) X(__rmatmul__) X(__imatmul__) \
    X(__truediv__) X(__rtruediv__) X(__itruediv__) X(__floordiv__) \
    X(__rfloordiv__) X(__ifloordiv__) X(__mod__) X(__rmod__) X(__imod__) \
    X(__pow__) X(__rpow__) X(__ipow__) X(__lshift__) X(__rlshift__) \
    X(__ilshift__) X(__rshift__) X(__rrshift__) X(__irshift__) X(__and__) \
    X(__rand__) X(__iand__) X(__or__) X(__ror__) X(__ior__) X(__xor__) \
    X(__rxor__) X(__ixor__) X(__divmod__) X(__rdivmod__) \
    X(send) X(throw) X(close) X(append) X(args) X(keys) X(items) X(values) \
    X(get) X(mro) X(write) X(flush) X(read) X(readline) X(value) X(name) \
    X(result) X(exception) X(cancel) X(cancelled) X(done) \
    X(add_done_callback) X(remove_done_callback) X(get_loop) X(call_soon) \
    X(_asyncio_future_blocking) X(_loop) X(metaclass) X(sep) X(end) X(file) \
    X(key) X(reverse) X(start) X(stop) X(step) X(self) X(cls) \
    X(msg) X(strerror) X(filename) X(lineno) X(offset) X(text) \
    X(print_file_and_line) X(end_lineno) X(end_offset) X(code) X(obj) \
    X(asend) X(athrow) X(aclose) X(__notes__) X(add_note) X(with_traceback) \
    X(fileno) X(encoding) X(strict) X(base) X(object) X(builtins) X(lambda) \
    X(genexpr) X(listcomp) X(setcomp) X(dictcomp) X(module) X(top) \
    X(argv) X(path) X(modules) X(asyncio) \
    X(context) X(loop) X(empty) X(__length_hint__) X(fget) X(fset) X(fdel) \
    X(getter) X(setter) X(deleter) X(__isabstractmethod__) X(__prepare__) \
    X(__instancecheck__) X(__subclasscheck__) X(__sizeof__) X(__weakref__) \
    X(_is_coroutine) X(__reduce__) X(__copy__) X(__deepcopy__)

typedef struct Names {
#define X(n) Value n;
    APY_NAMES(X)
#undef X
} Names;

extern Names NM;
void names_init(void);

#endif
