/* file.h — the file object's entry points for the rest of the interpreter.
 *
 * Owns: nothing but declarations; obj_file.c implements them. builtins.c
 * uses them for open(), print() and input(); mod_sys.c wraps the C standard
 * streams as sys.stdin/stdout/stderr. The FileObj layout stays private to
 * obj_file.c.
 * Must not touch: other objects.
 */
#ifndef APY_FILE_H
#define APY_FILE_H

#include <stdio.h>
#include "object.h"

/* A text file object around an already open C stream (sys.stdout …). The
 * stream is flushed, never closed, when the object is closed or dies. */
Value file_from_stream(FILE *fp, const char *name, const char *mode);

/* open(file, mode='r', buffering=-1, encoding=None, errors=None, newline=None, closefd=True) */
Value file_open(Value *args, size_t nargs, Value kwnames);

/* True for file objects (text or binary). */
bool file_check(Value v);

/* Write UTF-8 text to a text file object, as file.write(s) would, without
 * making a str: print()'s fast path. 0, or -1 with an exception set. */
int file_write_text(Value file, const char *s, size_t len);

/* file.flush() for a file object: 0 or -1. */
int file_flush(Value file);

/* One line from a text file object, without the line ending translated
 * away ("" at end of file): input()'s fast path. */
Value file_readline(Value file);

/* Raise the OSError subclass for errno `code` (FileNotFoundError …) with
 * CPython's message "[Errno 2] No such file or directory: 'x.txt'";
 * `filename` may be VNULL. Returns VNULL. */
Value err_from_errno(int code, Value filename);

#endif
