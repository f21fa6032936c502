/* obj_file.c — file objects: open(), and sys.stdin/stdout/stderr.
 *
 * Owns: FileObj (private to this file), the open() builtin's mode rules,
 * text decoding/encoding at the file boundary, newline translation, the
 * io.UnsupportedOperation exception, and OSError-from-errno.
 * Must not touch: print()'s argument handling (builtins.c) and the sys
 * module (mod_sys.c); they reach files through file.h.
 *
 * A file is a C stdio stream (FILE*): stdio does the buffering, which keeps
 * print() fast. Text files hold UTF-8 on disk by default, which is also how
 * str keeps its characters, so reading and writing UTF-8 text is a copy;
 * other encodings go through bytes.decode/str.encode.
 *
 * CPython's io stack has three layers (raw, buffered, text); apy has one
 * object that plays the role of each: a text file's repr is
 * <_io.TextIOWrapper …>, a binary one's <_io.BufferedReader …> and so on.
 *
 * Buffering as a user sees it (CPython's rules): stdout is line-buffered on
 * a terminal and block-buffered into a pipe (stdio does the same); stderr
 * is unbuffered here, and writing to it first flushes stdout when stdout is
 * a terminal, so that on screen the two appear in the order they were
 * written.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "names.h"
#include "file.h"

/* How line endings are read and written (the newline= argument). */
typedef enum {
    NL_UNIVERSAL,   /* None: read \r, \r\n and \n as \n; write \n */
    NL_UNTRANSLATED,/* '': lines end at any of them, nothing is translated */
    NL_LF,          /* '\n' */
    NL_CR,          /* '\r': lines end at \r; \n is written as \r */
    NL_CRLF,        /* '\r\n': lines end at \r\n; \n is written as \r\n */
} NewlineMode;

/* The last operation on an update ('+') stream: C requires a flush or a
 * seek between a write and a following read, and the other way round. */
typedef enum { IO_NONE, IO_READ, IO_WRITE } LastIO;

typedef struct {
    Obj h;
    FILE *fp;                 /* NULL once closed (for streams we own) */
    Value name;               /* str, or int for open(fd) */
    Value mode;               /* str, as given to open() (binary: normalised "rb" …) */
    Value encoding, errors;   /* str; VNULL for binary files */
    Value buffer;             /* text files: the binary file over the same stream (.buffer), or VNULL */
    uint8_t readable, writable, binary, closed;
    uint8_t owns_fp;          /* fclose() on close; the standard streams are only flushed */
    uint8_t utf8;             /* text in UTF-8: no codec calls */
    uint8_t newline;          /* NewlineMode */
    uint8_t last_io;          /* LastIO */
    uint8_t flush_stdout_first; /* stderr while stdout is a terminal */
    uint8_t tty_input;        /* reading a terminal: wait with poll() so Ctrl-C can interrupt */
    uint8_t pushed_back;      /* a byte was given back with ungetc (poll would not see it) */
} FileObj;

#define AS_FILE(v) ((FileObj *)AS_OBJ(v))

Type BufferedReaderType, BufferedWriterType, BufferedRandomType;

bool file_check(Value v) { return IS_OBJ(v) && type_is_subtype(AS_OBJ(v)->type, &FileType); }

/* ===== errors ======================================================================== */

Value err_from_errno(int code, Value filename) {
    Value args[3];
    args[0] = MK_INT(code);
    args[1] = str_from_cstr(strerror(code));
    if (!args[1]) return VNULL;
    args[2] = filename;
    /* OSError(errno, strerror, filename) picks the subclass (FileNotFoundError …). */
    Value e = exc_new(&Exc_OSError, args, filename ? 3 : 2);
    if (e && filename) {
        /* CPython keeps the filename out of args: (2, 'No such file or directory'). */
        Value two = tuple_from_array(args, 2);
        if (two) setref(&AS_EXC(e)->args, two);
    }
    decref(args[1]);
    if (e) err_set(e);
    return VNULL;
}

/* io.UnsupportedOperation: both an OSError and a ValueError. Built like a
 * static type whose MRO lists both (their instances have the same layout). */
static Type UnsupportedOperationType = {
    STATIC_TYPE_HEAD, .name = "UnsupportedOperation",
    .flags = TF_GC | TF_BASETYPE | TF_EXCEPTION, .size = sizeof(ExcObj), .base = &Exc_OSError,
};

static void unsupported_init_type(void) {
    Type *t = &UnsupportedOperationType;
    t->module = str_from_cstr("io");
    t->bases = tuple_pack(2, OBJ_VAL(&Exc_OSError), OBJ_VAL(&Exc_ValueError));
    t->mro = tuple_pack(6, OBJ_VAL(t), OBJ_VAL(&Exc_OSError), OBJ_VAL(&Exc_ValueError),
                        OBJ_VAL(&Exc_Exception), OBJ_VAL(&Exc_BaseException), OBJ_VAL(&ObjectType));
    type_ready(t);
}

static Value unsupported(const char *msg) { return err_format(&UnsupportedOperationType, "%s", msg); }

/* fileno(), readable() … say it without the full stop (CPython's raw layer). */
static Value closed_error_no_period(void) { return err_format(&Exc_ValueError, "I/O operation on closed file"); }

static Value closed_error(void) { return err_format(&Exc_ValueError, "I/O operation on closed file."); }

/* The checks every method starts with. */
static int check_open(FileObj *f) {
    if (f->closed) { closed_error(); return -1; }
    return 0;
}

static int check_readable(FileObj *f) {
    if (check_open(f) < 0) return -1;
    if (!f->readable) { unsupported(f->binary ? "read" : "not readable"); return -1; }
    if (f->last_io == IO_WRITE) fflush(f->fp);
    f->last_io = IO_READ;
    return 0;
}

static int check_writable(FileObj *f) {
    if (check_open(f) < 0) return -1;
    if (!f->writable) { unsupported(f->binary ? "write" : "not writable"); return -1; }
    if (f->last_io == IO_READ) fseek(f->fp, 0, SEEK_CUR);
    f->last_io = IO_WRITE;
    if (f->flush_stdout_first) fflush(stdout);
    return 0;
}

/* A read failed or was interrupted. EINTR (Ctrl-C at a prompt): let the
 * VM raise KeyboardInterrupt, else retry. Returns 1 to retry, -1 to fail. */
static int read_error(FileObj *f) {
    int e = errno;
    clearerr(f->fp);
    if (e == EINTR) {
        if (vm.pending & PENDING_SIGNAL) {
            vm_safepoint();
            if (err_occurred()) return -1;
        }
        return 1;
    }
    err_from_errno(e, VNULL);
    return -1;
}

/* A size argument: None or absent means "all" (-1). */
static int size_arg(Value v, intptr_t *out) {
    *out = -1;
    if (!v || IS_NONE(v)) return 0;
    if (!int_check(v)) {
        err_format(&Exc_TypeError, "argument should be integer or None, not '%s'", obj_type_name(v));
        return -1;
    }
    return int_as_ssize(v, out);
}

/* ===== decoding and encoding ========================================================= */

/* The text (str) or bytes value of raw file bytes. */
static Value finish_read(FileObj *f, const char *data, size_t len) {
    if (f->binary) return bytes_new(data, len);
    if (f->utf8 && str_utf8_valid(data, len)) return str_new(data, len);
    /* Another codec, or bad UTF-8: bytes.decode gives the result or CPython's error. */
    Value b = bytes_new(data, len);
    if (!b) return VNULL;
    Value r = obj_call_method_cstr(b, "decode", 2, f->encoding, f->errors ? f->errors : str_intern_cstr("strict"));
    decref(b);
    return r;
}

/* Is byte c the first byte of a character (of the file's encoding)? */
static inline bool starts_char(FileObj *f, int c) {
    return f->binary || !f->utf8 || (c & 0xC0) != 0x80;
}

/* Translate \r\n and \r to \n in place (universal newlines). Returns the new length. */
static size_t translate_newlines(char *s, size_t len) {
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r') {
            s[j++] = '\n';
            if (i + 1 < len && s[i + 1] == '\n') i++;
        } else {
            s[j++] = s[i];
        }
    }
    return j;
}

/* ===== reading ======================================================================== */

/* Everything up to the end of the file. */
static Value read_chars(FileObj *f, intptr_t limit, bool line);

static Value read_all(FileObj *f) {
    if (f->tty_input) return read_chars(f, -1, false);   /* byte by byte, interruptible */
    StrBuf b;
    sb_init(&b);
    char chunk[16384];
    for (;;) {
        size_t n = fread_unlocked(chunk, 1, sizeof chunk, f->fp);
        sb_add(&b, chunk, n);
        if (n < sizeof chunk) {
            if (!ferror(f->fp)) break;
            if (read_error(f) == 1) continue;
            sb_free(&b);
            return VNULL;
        }
    }
    if (b.failed) { sb_free(&b); return err_no_memory(); }
    size_t len = b.len;
    if (!f->binary && f->newline == NL_UNIVERSAL && b.data) len = translate_newlines(b.data, len);
    Value r = finish_read(f, b.data ? b.data : "", len);
    sb_free(&b);
    return r;
}

/* Wait until a terminal has input. The interpreter may run in a thread
 * other than the one the SIGINT handler runs in, so a blocked read would
 * not be interrupted: poll in short slices and look at vm.pending. */
static int wait_for_input(FileObj *f) {
    for (;;) {
        struct pollfd p = { fileno(f->fp), POLLIN, 0 };
        int r = poll(&p, 1, 100);
        if (r > 0 || (r < 0 && errno != EINTR)) return 0;   /* data, EOF or an error: read says which */
        if (vm.pending & PENDING_SIGNAL) {
            vm_safepoint();
            if (err_occurred()) return -1;
        }
    }
}

/* Read one byte; EOF at the end. Ctrl-C at a terminal prompt raises. */
static int read_byte(FileObj *f, bool *failed) {
    if (f->tty_input && !f->pushed_back && wait_for_input(f) < 0) { *failed = true; return EOF; }
    f->pushed_back = 0;
    for (;;) {
        int c = getc_unlocked(f->fp);
        if (c != EOF || !ferror(f->fp)) return c;
        int r = read_error(f);
        if (r < 0) { *failed = true; return EOF; }
    }
}

static void unread_byte(FileObj *f, int c) {
    ungetc(c, f->fp);
    f->pushed_back = 1;
}

/* Read up to `limit` characters (bytes for binary files; -1 = no limit),
 * stopping after a line ending when `line` is set. Line endings follow the
 * newline mode. */
static Value read_chars(FileObj *f, intptr_t limit, bool line) {
    StrBuf b;
    sb_init(&b);
    intptr_t nchars = 0;
    bool failed = false;
    for (;;) {
        int c = read_byte(f, &failed);
        if (c == EOF) break;
        if (starts_char(f, c)) {
            if (limit >= 0 && nchars >= limit) { unread_byte(f, c); break; }
            nchars++;
        }
        if (f->binary) {
            sb_addc(&b, (char)c);
            if (line && c == '\n') break;
            continue;
        }
        if (c == '\r' && f->newline != NL_LF) {
            int next = f->newline == NL_CR ? EOF : read_byte(f, &failed);
            bool crlf = next == '\n';
            if (next != EOF && !crlf) unread_byte(f, next);
            if (f->newline == NL_UNIVERSAL) {
                sb_addc(&b, '\n');          /* \r and \r\n both read as \n */
                if (line) break;
                continue;
            }
            sb_addc(&b, '\r');
            if (crlf) {
                /* The \n is a character of its own: it still fits when the limit allows. */
                if (limit >= 0 && nchars >= limit) unread_byte(f, '\n');
                else { sb_addc(&b, '\n'); nchars++; }
            }
            if (line && (f->newline != NL_CRLF || crlf)) break;
            continue;
        }
        sb_addc(&b, (char)c);
        if (line && c == '\n' && f->newline != NL_CR && f->newline != NL_CRLF) break;
    }
    if (failed) { sb_free(&b); return VNULL; }
    if (b.failed) { sb_free(&b); return err_no_memory(); }
    Value r = finish_read(f, b.data ? b.data : "", b.len);
    sb_free(&b);
    return r;
}

static intptr_t value_len(Value v) {
    return IS_STR(v) ? (intptr_t)AS_STR(v)->nchars : (intptr_t)AS_BYTES(v)->len;
}

Value file_readline(Value file) {
    FileObj *f = AS_FILE(file);
    if (check_readable(f) < 0) return VNULL;
    return read_chars(f, -1, true);
}

/* ===== writing ========================================================================= */

static int write_bytes(FileObj *f, const char *s, size_t len) {
    if (len && fwrite_unlocked(s, 1, len, f->fp) != len) {
        int e = errno;
        clearerr(f->fp);
        err_from_errno(e ? e : EIO, VNULL);
        return -1;
    }
    return 0;
}

/* Text in UTF-8, with \n written as the newline mode asks. */
static int write_utf8(FileObj *f, const char *s, size_t len) {
    if (f->newline != NL_CR && f->newline != NL_CRLF) return write_bytes(f, s, len);
    const char *nl = f->newline == NL_CR ? "\r" : "\r\n";
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\n') continue;
        if (write_bytes(f, s + start, i - start) < 0 || write_bytes(f, nl, strlen(nl)) < 0) return -1;
        start = i + 1;
    }
    return write_bytes(f, s + start, len - start);
}

/* Text through the file's codec (non-UTF-8 encodings). */
static int write_encoded(FileObj *f, Value s) {
    Value b = obj_call_method_cstr(s, "encode", 2, f->encoding, f->errors ? f->errors : str_intern_cstr("strict"));
    if (!b) return -1;
    if (!IS_TYPE(b, &BytesType)) {
        decref(b);
        err_format(&Exc_TypeError, "encoder should return a bytes object");
        return -1;
    }
    int r = write_utf8(f, (const char *)AS_BYTES(b)->data, AS_BYTES(b)->len);
    decref(b);
    return r;
}

int file_write_text(Value file, const char *s, size_t len) {
    FileObj *f = AS_FILE(file);
    if (check_writable(f) < 0) return -1;
    if (f->binary) {
        err_format(&Exc_TypeError, "a bytes-like object is required, not 'str'");
        return -1;
    }
    if (f->utf8) return write_utf8(f, s, len);
    Value v = str_new(s, len);
    if (!v) return -1;
    int r = write_encoded(f, v);
    decref(v);
    return r;
}

int file_flush(Value file) {
    FileObj *f = AS_FILE(file);
    if (check_open(f) < 0) return -1;
    if (f->writable && fflush(f->fp) != 0) {
        int e = errno;
        clearerr(f->fp);
        err_from_errno(e, VNULL);
        return -1;
    }
    return 0;
}

/* ===== closing =========================================================================== */

static int file_do_close(FileObj *f) {
    if (f->closed) return 0;
    f->closed = 1;
    int r;
    if (f->owns_fp) r = fclose(f->fp);
    else r = fflush(f->fp);
    int e = errno;
    if (f->owns_fp) f->fp = NULL;
    if (r != 0) { err_from_errno(e, VNULL); return -1; }
    return 0;
}

static void file_dealloc(Obj *o) {
    FileObj *f = (FileObj *)o;
    if (!f->closed && f->fp) {
        /* Like CPython's finaliser: flush and close; an error here has nowhere to go. */
        if (f->owns_fp) fclose(f->fp);
        else fflush(f->fp);
    }
    clearref(&f->name);
    clearref(&f->mode);
    clearref(&f->encoding);
    clearref(&f->errors);
    clearref(&f->buffer);
}

static void file_traverse(Obj *o, VisitFn visit, void *arg) {
    FileObj *f = (FileObj *)o;
    if (f->buffer) visit(f->buffer, arg);
}

/* ===== construction ======================================================================= */

static Type *type_for(bool binary, bool readable, bool writable) {
    if (!binary) return &FileType;
    if (readable && writable) return &BufferedRandomType;
    return readable ? &BufferedReaderType : &BufferedWriterType;
}

static FileObj *file_alloc(Type *t, FILE *fp) {
    FileObj *f = (FileObj *)gc_alloc(t, sizeof(FileObj));
    if (!f) return NULL;
    f->fp = fp;
    return f;
}

Value file_from_stream(FILE *fp, const char *name, const char *mode) {
    bool reading = mode[0] == 'r';
    FileObj *f = file_alloc(&FileType, fp);
    if (!f) return VNULL;
    f->readable = reading;
    f->writable = !reading;
    f->utf8 = 1;
    f->newline = NL_LF;       /* CPython's std streams on POSIX: no translation */
    f->flush_stdout_first = fp == stderr && isatty(STDOUT_FILENO);
    if (reading && isatty(fileno(fp))) {
        /* Unbuffered, so that poll() sees every byte not yet read (a
         * terminal delivers a line at a time: no cost worth counting). */
        setvbuf(fp, NULL, _IONBF, 0);
        f->tty_input = 1;
    }
    f->name = str_from_cstr(name);
    f->mode = str_from_cstr(mode);
    f->encoding = str_from_cstr("utf-8");
    f->errors = str_from_cstr("strict");
    if (!f->name || !f->mode || !f->encoding || !f->errors) { decref(OBJ_VAL(f)); return VNULL; }
    return OBJ_VAL(f);
}

typedef struct {
    bool reading, writing, appending, creating, updating, binary;
} ModeFlags;

/* CPython's mode checks, with its messages. */
static int parse_mode(Value mode, ModeFlags *m) {
    memset(m, 0, sizeof *m);
    bool text = false;
    const char *s = STR_DATA(mode);
    for (size_t i = 0; i < STR_LEN(mode); i++) {
        char c = s[i];
        if (!strchr("rwaxbt+", c) || c == 0 || memchr(s, c, i)) {
            err_format(&Exc_ValueError, "invalid mode: '%s'", s);
            return -1;
        }
        switch (c) {
        case 'r': m->reading = true; break;
        case 'w': m->writing = true; break;
        case 'a': m->appending = true; break;
        case 'x': m->creating = true; break;
        case '+': m->updating = true; break;
        case 'b': m->binary = true; break;
        case 't': text = true; break;
        }
    }
    if (text && m->binary) {
        err_format(&Exc_ValueError, "can't have text and binary mode at once");
        return -1;
    }
    int kinds = m->reading + m->writing + m->appending + m->creating;
    if (kinds > 1) {
        err_format(&Exc_ValueError, "must have exactly one of create/read/write/append mode");
        return -1;
    }
    if (kinds == 0) {
        err_format(&Exc_ValueError, "Must have exactly one of create/read/write/append mode and at most one plus");
        return -1;
    }
    return 0;
}

static int parse_newline(Value v, uint8_t *out) {
    *out = NL_UNIVERSAL;
    if (!v || IS_NONE(v)) return 0;
    if (!str_check(v)) {
        err_format(&Exc_TypeError, "open() argument 'newline' must be str or None, not %s", obj_type_name(v));
        return -1;
    }
    const char *s = STR_DATA(v);
    if (STR_LEN(v) == 0) *out = NL_UNTRANSLATED;
    else if (strcmp(s, "\n") == 0) *out = NL_LF;
    else if (strcmp(s, "\r") == 0) *out = NL_CR;
    else if (strcmp(s, "\r\n") == 0) *out = NL_CRLF;
    else {
        err_format(&Exc_ValueError, "illegal newline value: %s", s);
        return -1;
    }
    return 0;
}

/* "utf-8", "UTF8", "utf_8" … all name the fast path. */
static bool is_utf8_name(Value enc) {
    char norm[16];
    size_t j = 0;
    for (const char *p = STR_DATA(enc); *p && j < sizeof norm - 1; p++) {
        if (*p == '-' || *p == '_') continue;
        norm[j++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    norm[j] = 0;
    return strcmp(norm, "utf8") == 0;
}

static int str_or_none_arg(const char *what, Value v) {
    if (v && !IS_NONE(v) && !str_check(v)) {
        err_format(&Exc_TypeError, "open() argument '%s' must be str or None, not %s", what, obj_type_name(v));
        return -1;
    }
    return 0;
}

/* The path as a C string (str or bytes), or -1 with CPython's TypeError. */
static int path_arg(Value file, const char **path, int *fd) {
    *path = NULL;
    *fd = -1;
    if (str_check(file)) *path = STR_DATA(file);
    else if (IS_OBJ(file) && obj_isinstance_type(file, &BytesType)) *path = (const char *)AS_BYTES(file)->data;
    else if (int_check(file) && !IS_TYPE(file, &BoolType)) {
        intptr_t n;
        if (int_as_ssize(file, &n) < 0) return -1;
        if (n < 0 || n > INT32_MAX) { err_format(&Exc_ValueError, "negative file descriptor"); return -1; }
        *fd = (int)n;
        return 0;
    } else {
        err_format(&Exc_TypeError, "expected str, bytes or os.PathLike object, not %s", obj_type_name(file));
        return -1;
    }
    if (strlen(*path) != (str_check(file) ? STR_LEN(file) : AS_BYTES(file)->len)) {
        err_format(&Exc_ValueError, "embedded null byte");
        return -1;
    }
    return 0;
}

Value file_open(Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = {
        "file", "mode", "buffering", "encoding", "errors", "newline", "closefd", "opener", NULL
    };
    Value a[8];
    if (args_parse("open", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    Value file = a[0], mode = a[1], encoding = a[3], errors = a[4], newline = a[5];
    if (mode && !str_check(mode))
        return err_format(&Exc_TypeError, "open() argument 'mode' must be str, not %s", obj_type_name(mode));
    if (str_or_none_arg("encoding", encoding) < 0 || str_or_none_arg("errors", errors) < 0) return VNULL;
    intptr_t buffering = -1;
    if (a[2] && int_as_ssize(a[2], &buffering) < 0) return VNULL;
    if (encoding && IS_NONE(encoding)) encoding = VNULL;
    if (errors && IS_NONE(errors)) errors = VNULL;

    ModeFlags m;
    if (parse_mode(mode ? mode : str_intern_cstr("r"), &m) < 0) return VNULL;
    if (m.binary) {
        if (encoding) return err_format(&Exc_ValueError, "binary mode doesn't take an encoding argument");
        if (errors) return err_format(&Exc_ValueError, "binary mode doesn't take an errors argument");
        if (newline && !IS_NONE(newline)) return err_format(&Exc_ValueError, "binary mode doesn't take a newline argument");
    } else if (buffering == 0) {
        return err_format(&Exc_ValueError, "can't have unbuffered text I/O");
    }
    uint8_t nl;
    if (parse_newline(newline, &nl) < 0) return VNULL;
    if (encoding && !is_utf8_name(encoding)) {
        /* An unknown codec is a LookupError now, as in CPython, not at the first read. */
        Value probe = obj_call_method_cstr(str_intern_cstr(""), "encode", 1, encoding);
        if (!probe) return VNULL;
        decref(probe);
    }

    const char *path;
    int fd;
    if (path_arg(file, &path, &fd) < 0) return VNULL;
    int flags = O_CLOEXEC;
    const char *cmode;
    if (m.reading) { flags |= m.updating ? O_RDWR : O_RDONLY; cmode = m.updating ? "r+" : "r"; }
    else if (m.appending) { flags |= (m.updating ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND; cmode = m.updating ? "a+" : "a"; }
    else {
        flags |= (m.updating ? O_RDWR : O_WRONLY) | O_CREAT | (m.creating ? O_EXCL : O_TRUNC);
        cmode = m.updating ? "w+" : "w";
    }
    if (path) {
        do fd = open(path, flags, 0666); while (fd < 0 && errno == EINTR);
        if (fd < 0) return err_from_errno(errno, file);
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (path) close(fd);
        return err_from_errno(EISDIR, file);
    }
    FILE *fp = fdopen(fd, m.creating ? (m.updating ? "w+" : "w") : cmode);
    if (!fp) {
        int e = errno;
        if (path) close(fd);
        return err_from_errno(e, file);
    }
    if (buffering == 0) setvbuf(fp, NULL, _IONBF, 0);
    else if (buffering == 1 && !m.binary) setvbuf(fp, NULL, _IOLBF, BUFSIZ);
    else if (buffering > 1) setvbuf(fp, NULL, _IOFBF, (size_t)buffering);

    bool readable = m.reading || m.updating, writable = !m.reading || m.updating;
    FileObj *f = file_alloc(type_for(m.binary, readable, writable), fp);
    if (!f) { fclose(fp); return VNULL; }
    f->owns_fp = 1;
    f->readable = readable;
    f->writable = writable;
    f->binary = m.binary;
    f->newline = nl;
    f->name = incref(file);
    if (m.binary) {
        /* CPython shows a binary file's mode normalised: 'rb', 'wb', 'rb+' … */
        char bm[4] = {0};
        bm[0] = m.reading ? 'r' : m.appending ? 'a' : m.creating ? 'x' : 'w';
        bm[1] = 'b';
        if (m.updating) bm[2] = '+';
        f->mode = str_from_cstr(bm);
    } else {
        f->mode = incref(mode ? mode : str_intern_cstr("r"));
        f->encoding = encoding ? incref(encoding) : str_from_cstr("UTF-8");
        f->errors = errors ? incref(errors) : str_from_cstr("strict");
        f->utf8 = encoding ? is_utf8_name(encoding) : 1;
    }
    if (!f->mode || (!m.binary && (!f->encoding || !f->errors))) { decref(OBJ_VAL(f)); return VNULL; }
    return OBJ_VAL(f);
}

/* ===== methods ============================================================================ */

#define SELF FileObj *f = AS_FILE(self)

static Value fm_read(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("read", kwnames) || args_count("read", nargs, 0, 1)) return VNULL;
    intptr_t n;
    if (size_arg(nargs ? args[0] : VNULL, &n) < 0 || check_readable(f) < 0) return VNULL;
    return n < 0 ? read_all(f) : read_chars(f, n, false);
}

static Value fm_readline(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("readline", kwnames) || args_count("readline", nargs, 0, 1)) return VNULL;
    intptr_t n;
    if (size_arg(nargs ? args[0] : VNULL, &n) < 0 || check_readable(f) < 0) return VNULL;
    return read_chars(f, n, true);
}

static Value fm_readlines(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("readlines", kwnames) || args_count("readlines", nargs, 0, 1)) return VNULL;
    intptr_t hint;
    if (size_arg(nargs ? args[0] : VNULL, &hint) < 0 || check_readable(f) < 0) return VNULL;
    Value lines = list_new(0);
    if (!lines) return VNULL;
    intptr_t total = 0;
    for (;;) {
        Value line = read_chars(f, -1, true);
        if (!line) { decref(lines); return VNULL; }
        intptr_t len = value_len(line);
        if (len == 0) { decref(line); break; }
        int r = list_append(lines, line);
        decref(line);
        if (r < 0) { decref(lines); return VNULL; }
        total += len;
        if (hint > 0 && total >= hint) break;
    }
    return lines;
}

/* One value written: str for text files, bytes for binary ones. Returns the count. */
static Value write_value(FileObj *f, Value s) {
    if (check_writable(f) < 0) return VNULL;
    if (f->binary) {
        if (!IS_OBJ(s) || !obj_isinstance_type(s, &BytesType))
            return err_format(&Exc_TypeError, "a bytes-like object is required, not '%s'", obj_type_name(s));
        if (write_bytes(f, (const char *)AS_BYTES(s)->data, AS_BYTES(s)->len) < 0) return VNULL;
        return int_from_u64(AS_BYTES(s)->len);
    }
    if (!str_check(s))
        return err_format(&Exc_TypeError, "write() argument must be str, not %s", obj_type_name(s));
    int r = f->utf8 ? write_utf8(f, STR_DATA(s), STR_LEN(s)) : write_encoded(f, s);
    if (r < 0) return VNULL;
    return int_from_u64(AS_STR(s)->nchars);
}

static Value fm_write(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("write", kwnames) || args_count("write", nargs, 1, 1)) return VNULL;
    return write_value(f, args[0]);
}

static Value fm_writelines(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("writelines", kwnames) || args_count("writelines", nargs, 1, 1)) return VNULL;
    if (check_open(f) < 0) return VNULL;
    Value it = obj_iter(args[0]);
    if (!it) return VNULL;
    Value line;
    while ((line = obj_next(it))) {
        Value r = write_value(f, line);
        decref(line);
        if (!r) { decref(it); return VNULL; }
        decref(r);
    }
    decref(it);
    if (err_occurred()) return VNULL;
    return none_new();
}

static Value fm_close(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("close", kwnames) || args_count("close", nargs, 0, 0)) return VNULL;
    if (file_do_close(AS_FILE(self)) < 0) return VNULL;
    return none_new();
}

static Value fm_flush(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("flush", kwnames) || args_count("flush", nargs, 0, 0)) return VNULL;
    if (file_flush(self) < 0) return VNULL;
    return none_new();
}

static Value fm_tell(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("tell", kwnames) || args_count("tell", nargs, 0, 0) || check_open(f) < 0) return VNULL;
    long pos = ftell(f->fp);
    if (pos < 0) return err_from_errno(errno, VNULL);
    return int_from_i64(pos);
}

static Value fm_seek(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("seek", kwnames) || args_count("seek", nargs, 1, 2)) return VNULL;
    if (check_open(f) < 0) return VNULL;
    int64_t off, whence = 0;
    if (int_as_i64(args[0], &off) < 0 || (nargs > 1 && int_as_i64(args[1], &whence) < 0)) return VNULL;
    if (whence < 0 || whence > 2)
        return err_format(&Exc_ValueError, "invalid whence (%lld, should be 0, 1 or 2)", (long long)whence);
    if (!f->binary && whence != 0 && off != 0)
        return unsupported(whence == 1 ? "can't do nonzero cur-relative seeks" : "can't do nonzero end-relative seeks");
    if (!f->binary && off < 0) return err_format(&Exc_ValueError, "negative seek position %lld", (long long)off);
    if (fseek(f->fp, (long)off, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END) != 0)
        return err_from_errno(errno, VNULL);
    f->last_io = IO_NONE;
    return int_from_i64(ftell(f->fp));
}

static Value fm_truncate(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    if (args_no_kw("truncate", kwnames) || args_count("truncate", nargs, 0, 1)) return VNULL;
    if (check_writable(f) < 0) return VNULL;
    fflush(f->fp);
    int64_t size = ftell(f->fp);
    if (nargs && !IS_NONE(args[0]) && int_as_i64(args[0], &size) < 0) return VNULL;
    if (ftruncate(fileno(f->fp), (off_t)size) != 0) return err_from_errno(errno, VNULL);
    return int_from_i64(size);
}

static Value fm_fileno(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("fileno", kwnames) || args_count("fileno", nargs, 0, 0)) return VNULL;
    if (f->closed) return closed_error_no_period();
    return int_from_i64(fileno(f->fp));
}

static Value fm_isatty(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("isatty", kwnames) || args_count("isatty", nargs, 0, 0)) return VNULL;
    if (f->closed) return closed_error_no_period();
    return bool_new(isatty(fileno(f->fp)));
}

static Value fm_readable(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("readable", kwnames) || args_count("readable", nargs, 0, 0)) return VNULL;
    if (f->closed) return closed_error_no_period();
    return bool_new(f->readable);
}

static Value fm_writable(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("writable", kwnames) || args_count("writable", nargs, 0, 0)) return VNULL;
    return bool_new(f->writable && !f->closed);   /* no error when closed: CPython's quirk */
}

static Value fm_seekable(Value self, Value *args, size_t nargs, Value kwnames) {
    SELF;
    (void)args;
    if (args_no_kw("seekable", kwnames) || args_count("seekable", nargs, 0, 0)) return VNULL;
    if (f->closed) return closed_error_no_period();
    return bool_new(lseek(fileno(f->fp), 0, SEEK_CUR) != (off_t)-1);
}

static Value fm_enter(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args;
    if (args_no_kw("__enter__", kwnames) || args_count("__enter__", nargs, 0, 0)) return VNULL;
    if (check_open(AS_FILE(self)) < 0) return VNULL;
    return incref(self);
}

static Value fm_exit(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs;
    if (args_no_kw("__exit__", kwnames)) return VNULL;
    if (file_do_close(AS_FILE(self)) < 0) return VNULL;
    return none_new();
}

static const MethodDef file_methods[] = {
    {"read", fm_read, 0}, {"readline", fm_readline, 0}, {"readlines", fm_readlines, 0},
    {"write", fm_write, 0}, {"writelines", fm_writelines, 0},
    {"close", fm_close, 0}, {"flush", fm_flush, 0},
    {"tell", fm_tell, 0}, {"seek", fm_seek, 0}, {"truncate", fm_truncate, 0},
    {"fileno", fm_fileno, 0}, {"isatty", fm_isatty, 0},
    {"readable", fm_readable, 0}, {"writable", fm_writable, 0}, {"seekable", fm_seekable, 0},
    {"__enter__", fm_enter, 0}, {"__exit__", fm_exit, 0},
    {NULL, NULL, 0}
};

/* ===== attributes ========================================================================= */

static Value get_closed(Value self) { return bool_new(AS_FILE(self)->closed); }
static Value get_name(Value self) { return incref(AS_FILE(self)->name); }
static Value get_mode(Value self) { return incref(AS_FILE(self)->mode); }

static Value get_encoding(Value self) {
    FileObj *f = AS_FILE(self);
    if (!f->encoding)
        return err_format(&Exc_AttributeError, "'_io.%s' object has no attribute 'encoding'", obj_type_name(self));
    return incref(f->encoding);
}

static Value get_errors(Value self) {
    FileObj *f = AS_FILE(self);
    if (!f->errors)
        return err_format(&Exc_AttributeError, "'_io.%s' object has no attribute 'errors'", obj_type_name(self));
    return incref(f->errors);
}

/* sys.stdout.buffer: the same stream seen as bytes. */
static Value get_buffer(Value self) {
    FileObj *f = AS_FILE(self);
    if (f->binary)
        return err_format(&Exc_AttributeError, "'_io.%s' object has no attribute 'buffer'", obj_type_name(self));
    if (!f->buffer) {
        FileObj *b = file_alloc(type_for(true, f->readable, f->writable), f->fp);
        if (!b) return VNULL;
        b->binary = 1;
        b->readable = f->readable;
        b->writable = f->writable;
        b->closed = f->closed;
        b->flush_stdout_first = f->flush_stdout_first;
        b->name = incref(f->name);
        b->mode = str_from_fmt("%sb", f->readable && !f->writable ? "r" : "w");
        if (!b->mode) { decref(OBJ_VAL(b)); return VNULL; }
        f->buffer = OBJ_VAL(b);
    }
    return incref(f->buffer);
}

static const GetSetDef file_getsets[] = {
    {"closed", get_closed, NULL}, {"name", get_name, NULL}, {"mode", get_mode, NULL},
    {"encoding", get_encoding, NULL}, {"errors", get_errors, NULL}, {"buffer", get_buffer, NULL},
    {NULL, NULL, NULL}
};

/* ===== slots ================================================================================ */

static Value file_repr(Value self) {
    FileObj *f = AS_FILE(self);
    if (f->binary) return str_from_fmt("<_io.%s name=%R>", obj_type_name(self), f->name);
    return str_from_fmt("<_io.TextIOWrapper name=%R mode=%R encoding=%R>", f->name, f->mode, f->encoding);
}

static Value file_iter(Value self) {
    if (check_open(AS_FILE(self)) < 0) return VNULL;
    return incref(self);
}

/* Lines until an empty read: VNULL with no error ends the loop. */
static Value file_iternext(Value self) {
    FileObj *f = AS_FILE(self);
    if (check_readable(f) < 0) return VNULL;
    Value line = read_chars(f, -1, true);
    if (!line) return VNULL;
    if (value_len(line) == 0) { decref(line); return VNULL; }
    return line;
}

static Value file_no_new(Type *t, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    return err_format(&Exc_TypeError, "cannot create '_io.%s' instances", t->name);
}

#define FILE_SLOTS \
    .size = sizeof(FileObj), .tp_new = file_no_new, .dealloc = file_dealloc, \
    .traverse = file_traverse, .repr = file_repr, .iter = file_iter, .iternext = file_iternext

Type FileType = { STATIC_TYPE_HEAD, .name = "TextIOWrapper", .flags = TF_GC, FILE_SLOTS };
Type BufferedReaderType = { STATIC_TYPE_HEAD, .name = "BufferedReader", .flags = TF_GC, .base = &FileType, FILE_SLOTS };
Type BufferedWriterType = { STATIC_TYPE_HEAD, .name = "BufferedWriter", .flags = TF_GC, .base = &FileType, FILE_SLOTS };
Type BufferedRandomType = { STATIC_TYPE_HEAD, .name = "BufferedRandom", .flags = TF_GC, .base = &FileType, FILE_SLOTS };

void file_init_types(void) {
    Type *types[] = { &FileType, &BufferedReaderType, &BufferedWriterType, &BufferedRandomType };
    unsupported_init_type();
    type_add_methods(&FileType, file_methods);
    type_add_getsets(&FileType, file_getsets);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        types[i]->module = str_from_cstr("_io");
        type_ready(types[i]);
    }
}
