/* repl.c — the interactive session: `apy` with no file at a terminal.
 *
 * Owns: the terminal (line editing, history in ~/.apy_history and tab
 * completion with libedit, or plain line reading without it), deciding when
 * an input is complete (the parser says; a blank line ends a block), running
 * each input on the session's event loop (top-level `await` included), the
 * loop running in the background between inputs, Ctrl-C and Ctrl-D, and the
 * meta-commands (:trace, :step, :dis, :ast, :tasks, :help, :quit).
 * Must not touch: the interpreter's internals beyond their public entry
 * points; the loop is driven only through its own methods (stop, run_forever,
 * run_until_complete), as `python -m asyncio` drives it.
 *
 * How the loop and the keyboard share one thread. `python -m asyncio` runs
 * the loop in the main thread and reads the console in another. Here the
 * REPL is the loop's driver instead: while a prompt is on the screen it
 * waits in poll() on standard input (and on a pipe the SIGINT handler
 * writes to) with a timeout that ends when the loop's next timer is due.
 * When the loop has work, one iteration runs (`loop.stop(); loop.run_forever()`,
 * which CPython documents as "run one iteration"); whatever it prints is
 * caught (standard output and error point at a memory file for that time)
 * and shown above the prompt, which is then drawn again with the line being
 * edited. libedit reads one key at a time (EL_UNBUFFERED), only when poll()
 * says a key is there, so the loop never waits for the keyboard.
 *
 * An input runs inside the loop, as a callback (so get_running_loop() and
 * create_task() work at top level, as in `python -m asyncio`). If it awaits,
 * it compiled into a coroutine: it becomes a task, and the loop runs until
 * that task is done. Ctrl-C then cancels the task, lets it unwind, and
 * prints KeyboardInterrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>
#ifdef APY_HAVE_LIBEDIT
#include <histedit.h>
#include <limits.h>
#include <locale.h>
#include <wchar.h>
#endif
#include "cli.h"
#include "vm.h"
#include "parse.h"
#include "compiler.h"
#include "errors.h"
#include "names.h"
#include "aio.h"
#include "trace.h"

/* ======================================================================================
 * The session's state
 * ====================================================================================== */
typedef struct {
    CliOptions opts;          /* the command line's options (trace format, depth …) */
    Value loop;               /* the session's event loop (owned) */
    Value globals;            /* __main__.__dict__ (borrowed: the module keeps it) */
    Value run_input_cb;       /* the callable that runs an input inside the loop (owned) */
    char *buf;                /* the lines of the input collected so far */
    size_t len, cap;
    bool prompt_shown;        /* a prompt is on the screen and the editor owns the line */
    bool eof;                 /* Ctrl-D on an empty line */
    bool quit;
    int status;               /* the exit status */
    bool tracing;             /* :trace on */
    const char *trace_cats;   /* the categories of :trace on CATS (NULL: the default) */
    char trace_cats_buf[128];
    bool step_next;           /* :step — the next input runs under the stepper */
    /* the input being run (set by run_input_cb inside the loop) */
    Value input_code;         /* owned while it waits for the callback */
    Value input_task;         /* top-level await: the task running the input (owned) */
    Value input_exc;          /* what the input raised (owned) */
    bool input_ran;
    /* Ctrl-C: the handler sets vm.pending and writes a byte here, so poll() wakes */
    int sigpipe[2];
    /* output that appears while a prompt is shown goes through a memory file */
    int capture_fd;           /* -1: not available (output goes straight out) */
    int tty_out, tty_err;     /* the real standard output / error */
    bool capture_err;         /* stderr is the same terminal as stdout: catch it too */
} Repl;

static Repl R;

#define PS1 ">>> "
#define PS2 "... "

static void write_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        s += w;
        n -= (size_t)w;
    }
}

static void say(const char *s) { fflush(stdout); fputs(s, stdout); fflush(stdout); }

/* sys.ps1 / sys.ps2, as str, if the user changed them (else the defaults). */
static const char *prompt_text(bool continuation) {
    static char buf[256];
    const char *dflt = continuation ? PS2 : PS1;
    Value p = vm.sys ? obj_getattr_cstr(vm.sys, continuation ? "ps2" : "ps1") : VNULL;
    if (!p) { err_clear(); return dflt; }
    Value s = obj_str(p);
    decref(p);
    if (!s) { err_clear(); return dflt; }
    snprintf(buf, sizeof buf, "%s", STR_DATA(s));
    decref(s);
    return buf;
}

/* ======================================================================================
 * Ctrl-C
 * ====================================================================================== */
static pthread_t interpreter_thread;
static struct sigaction saved_sigint;

static void on_sigint(int sig) {
    int saved = errno;
    /* The interpreter runs on a thread of its own (cli.c); the kernel may
     * hand the signal to the main thread, which only waits for it. Pass it
     * on, so that a blocking call here (input(), the stepper) returns EINTR. */
    if (!pthread_equal(pthread_self(), interpreter_thread)) {
        pthread_kill(interpreter_thread, sig);
        errno = saved;
        return;
    }
    vm.pending |= PENDING_SIGNAL;
    if (R.sigpipe[1] >= 0) { ssize_t w = write(R.sigpipe[1], "!", 1); (void)w; }
    errno = saved;
}

/* Back from Ctrl-Z (fg): the shell may have put the terminal back in its
 * own mode; the main loop sets the editor's mode again and redraws. */
static volatile sig_atomic_t continued;

static void on_sigcont(int sig) {
    (void)sig;
    int saved = errno;
    continued = 1;
    if (R.sigpipe[1] >= 0) { ssize_t w = write(R.sigpipe[1], "c", 1); (void)w; }
    errno = saved;
}

static void drain_sigpipe(void) {
    char junk[64];
    while (R.sigpipe[0] >= 0 && read(R.sigpipe[0], junk, sizeof junk) > 0) {}
}

static void install_sigint(void) {
    R.sigpipe[0] = R.sigpipe[1] = -1;
    if (pipe2(R.sigpipe, O_NONBLOCK | O_CLOEXEC) < 0) R.sigpipe[0] = R.sigpipe[1] = -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;                 /* no SA_RESTART: a blocking read in input() returns */
    interpreter_thread = pthread_self();
    sigaction(SIGINT, &sa, &saved_sigint);
    sa.sa_handler = on_sigcont;
    sigaction(SIGCONT, &sa, NULL);
}

/* Back to cli.c's handler when the session ends (the thread we forward to goes away). */
static void restore_sigint(void) {
    sigaction(SIGINT, &saved_sigint, NULL);
    signal(SIGCONT, SIG_DFL);
}

/* ======================================================================================
 * The terminal: libedit, or plain line reading without it
 * ====================================================================================== */
typedef enum { KEY_NONE, KEY_LINE, KEY_EOF } KeyResult;

static const char *current_prompt = PS1;
static char *history_path;

#ifdef APY_HAVE_LIBEDIT
static int term_columns(void) {
    struct winsize ws;
    if (ioctl(R.tty_out, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

static void complete_at(const char *line, size_t cursor_off, size_t *word_start,
                        char ***matches, size_t *nmatches);
static void free_matches(char **m, size_t n);

/* Display width of UTF-8 text, counting code points (good enough for a prompt line). */
static size_t text_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) if (((unsigned char)s[i] & 0xC0) != 0x80) w++;
    return w;
}

static EditLine *el;
static History *hist;

static bool input_closed;      /* the terminal hung up (or read failed) */

static char *el_prompt(EditLine *e) { (void)e; return (char *)current_prompt; }

/* libedit's reader, but one that tells end of input (a hang-up) apart from a
 * line the user emptied: el_gets returns NULL for both in unbuffered mode. */
static int read_key(EditLine *e, wchar_t *wc) {
    (void)e;
    char bytes[MB_LEN_MAX];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(0, bytes + n, 1);
        if (r < 0 && errno == EINTR) continue;     /* inside a multibyte key: finish it */
        if (r <= 0) { input_closed = true; return r < 0 ? -1 : 0; }
        n++;
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t k = mbrtowc(wc, bytes, n, &st);
        if (k == (size_t)-2 && n < sizeof bytes) continue;
        if (k == (size_t)-1 || k == (size_t)-2) *wc = (wchar_t)(unsigned char)bytes[0];
        return 1;
    }
}

/* Ctrl-D: end of input on an empty line, else delete the character under the cursor. */
static unsigned char key_ctrl_d(EditLine *e, int ch) {
    (void)ch;
    const LineInfo *li = el_line(e);
    if (li->buffer == li->lastchar) { R.eof = true; return CC_NEWLINE; }
    if (li->cursor == li->lastchar) return CC_ERROR;
    el_cursor(e, 1);
    el_deletestr(e, 1);
    return CC_REFRESH;
}

/* Print the matches in columns under the line being edited. */
static void list_matches(char **m, size_t n) {
    size_t width = 0;
    for (size_t i = 0; i < n; i++) { size_t w = text_width(m[i], strlen(m[i])); if (w > width) width = w; }
    width += 2;
    size_t cols = (size_t)term_columns() / width;
    if (cols == 0) cols = 1;
    size_t rows = (n + cols - 1) / cols;
    fputs("\n", stdout);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            size_t i = c * rows + r;
            if (i >= n) break;
            bool last = c + 1 == cols || (c + 1) * rows + r >= n;
            if (last) fputs(m[i], stdout);
            else printf("%-*s", (int)(width + strlen(m[i]) - text_width(m[i], strlen(m[i]))), m[i]);
        }
        fputs("\n", stdout);
    }
    fflush(stdout);
}

/* Tab: indent on a blank line; else complete the name or attribute before the cursor. */
static unsigned char key_tab(EditLine *e, int ch) {
    (void)ch;
    const LineInfo *li = el_line(e);
    size_t off = (size_t)(li->cursor - li->buffer);
    bool blank = true;
    for (const char *p = li->buffer; p < li->cursor; p++) if (*p != ' ' && *p != '\t') blank = false;
    if (blank) { el_insertstr(e, "    "); return CC_REFRESH; }
    char *line = strndup(li->buffer, (size_t)(li->lastchar - li->buffer));
    if (!line) return CC_ERROR;
    size_t start;
    char **m = NULL;
    size_t n = 0;
    complete_at(line, off, &start, &m, &n);
    free(line);
    if (n == 0) { free_matches(m, n); return CC_REFRESH_BEEP; }
    /* m[i] are whole words from `start`: insert what they all share beyond what is typed */
    size_t typed = off - start;
    size_t common = strlen(m[0]);
    for (size_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < common && m[i][k] == m[0][k]) k++;
        common = k;
    }
    unsigned char rc = CC_REFRESH;
    if (common > typed) {
        char *ins = strndup(m[0] + typed, common - typed);
        if (ins) { el_insertstr(e, ins); free(ins); }
    } else if (n > 1) {
        list_matches(m, n);
        rc = CC_REDISPLAY;
    } else {
        rc = CC_REFRESH_BEEP;
    }
    free_matches(m, n);
    return rc;
}

static void term_open(void) {
    /* UTF-8 keys and display. In the C locale python3 switches to UTF-8
     * (PEP 538): so do we, or libedit would take é for two Latin-1 letters. */
    const char *loc = setlocale(LC_CTYPE, "");
    if (!loc || strcmp(loc, "C") == 0 || strcmp(loc, "POSIX") == 0) setlocale(LC_CTYPE, "C.UTF-8");
    if (!isatty(1)) return;                   /* output to a file: no editor drawing into it */
    el = el_init("apy", stdin, stdout, stderr);
    if (!el) return;
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_SIGNAL, 0);                 /* SIGINT is ours (see install_sigint) */
    el_set(el, EL_PROMPT, el_prompt);
    el_set(el, EL_GETCFN, read_key);
    hist = history_init();
    if (hist) {
        HistEvent ev;
        history(hist, &ev, H_SETSIZE, 1000);
        history(hist, &ev, H_SETUNIQUE, 1);
        if (history_path) history(hist, &ev, H_LOAD, history_path);
        el_set(el, EL_HIST, history, hist);
    }
    el_set(el, EL_ADDFN, "apy-complete", "complete a name or an attribute", key_tab);
    el_set(el, EL_BIND, "^I", "apy-complete", NULL);
    el_set(el, EL_ADDFN, "apy-eof", "end of input on an empty line, else delete", key_ctrl_d);
    el_set(el, EL_BIND, "^D", "apy-eof", NULL);
    el_source(el, NULL);                      /* ~/.editrc, as every libedit program does */
}

static void term_save_history(void) {
    if (hist && history_path) {
        HistEvent ev;
        history(hist, &ev, H_SAVE, history_path);
    }
}

static void term_add_history(const char *line) {
    if (!hist) return;
    HistEvent ev;
    history(hist, &ev, H_ENTER, line);
}

/* Show the prompt and hand the keyboard to the editor (raw mode). */
static void term_prompt(const char *prompt) {
    current_prompt = prompt;
    fflush(stdout);
    if (el) el_set(el, EL_UNBUFFERED, 1);     /* prints the prompt, raw mode */
    else { fputs(prompt, stdout); fflush(stdout); }
}

/* The editor lets go of the terminal (cooked mode) before code runs. */
static void term_release(void) {
    if (el) el_set(el, EL_UNBUFFERED, 0);
}

static char *plain_line;
static KeyResult plain_read(char **line);

/* A key is there: let the editor have it. */
static KeyResult term_read(char **line) {
    if (!el) return plain_read(line);
    int n = 0;
    R.eof = false;
    const char *s = el_gets(el, &n);
    if (R.eof || input_closed) return KEY_EOF;
    if (!s) return KEY_NONE;
    if (n > 0 && s[n - 1] == '\n') {
        *line = strndup(s, (size_t)n - 1);
        return *line ? KEY_LINE : KEY_NONE;
    }
    return KEY_NONE;
}

static bool term_has_buffered_line(void) { return !el && plain_line && strchr(plain_line, '\n'); }

/* Erase the prompt and the line being edited, so that output can take their place. */
static void term_hide(void) {
    if (!el) { write_all(R.tty_out, "\r\033[K", 4); return; }
    const LineInfo *li = el_line(el);
    size_t before = text_width(current_prompt, strlen(current_prompt)) +
                    text_width(li->buffer, (size_t)(li->cursor - li->buffer));
    size_t up = before / (size_t)term_columns();
    char seq[32];
    write_all(R.tty_out, "\r", 1);
    if (up) { int k = snprintf(seq, sizeof seq, "\033[%zuA", up); write_all(R.tty_out, seq, (size_t)k); }
    write_all(R.tty_out, "\033[J", 3);
}

/* Draw the prompt and the line being edited again, below the output. */
static void term_redraw(void) {
    if (el) el_set(el, EL_REFRESH);
    else { fputs(current_prompt, stdout); fflush(stdout); }
}

/* After a stop and continue: the editor's terminal mode again, and the line. */
static void term_resume(void) {
    if (!el) return;
    el_set(el, EL_PREP_TERM, 0);
    el_set(el, EL_PREP_TERM, 1);
    el_set(el, EL_REFRESH);
}

static void term_close(void) {
    term_save_history();
    if (el) { el_set(el, EL_UNBUFFERED, 0); el_end(el); el = NULL; }
    if (hist) { history_end(hist); hist = NULL; }
}

#else   /* no libedit: the terminal's own line editing (cooked mode) */
static char *plain_line;
static KeyResult plain_read(char **line);
static void term_open(void) {}
static void term_add_history(const char *line) { (void)line; }
static void term_prompt(const char *prompt) { current_prompt = prompt; fputs(prompt, stdout); fflush(stdout); }
static void term_release(void) {}
static KeyResult term_read(char **line) { return plain_read(line); }
static bool term_has_buffered_line(void) { return plain_line && strchr(plain_line, '\n'); }
static void term_hide(void) { write_all(R.tty_out, "\r\033[K", 4); }
static void term_redraw(void) { fputs(current_prompt, stdout); fflush(stdout); }
static void term_resume(void) {}
static void term_close(void) {}
#endif

/* Without the editor: collect bytes until a newline (the terminal edits the line). */
static KeyResult plain_read(char **line) {
    size_t have = plain_line ? strlen(plain_line) : 0;
    char *nl = plain_line ? strchr(plain_line, '\n') : NULL;
    if (!nl) {
        char chunk[4096];
        ssize_t n = read(0, chunk, sizeof chunk - 1);
        if (n < 0) return errno == EINTR || errno == EAGAIN ? KEY_NONE : KEY_EOF;
        if (n == 0) {
            if (!have) return KEY_EOF;
            *line = plain_line;           /* a last line without its newline */
            plain_line = NULL;
            return KEY_LINE;
        }
        char *grown = realloc(plain_line, have + (size_t)n + 1);
        if (!grown) return KEY_NONE;
        plain_line = grown;
        memcpy(plain_line + have, chunk, (size_t)n);
        plain_line[have + (size_t)n] = 0;
        nl = strchr(plain_line, '\n');
        if (!nl) return KEY_NONE;
    }
    *line = strndup(plain_line, (size_t)(nl - plain_line));
    memmove(plain_line, nl + 1, strlen(nl + 1) + 1);
    return *line ? KEY_LINE : KEY_NONE;
}

static void term_atexit(void) {
    term_close();
}

/* ======================================================================================
 * Output that appears while a prompt is on the screen
 * ====================================================================================== */
static void capture_open(void) {
    R.capture_fd = -1;
    R.tty_out = dup(1);
    R.tty_err = dup(2);
    if (R.tty_out < 0) R.tty_out = 1;
    if (R.tty_err < 0) R.tty_err = 2;
    if (!isatty(1)) return;                   /* no prompt to keep clear of output */
    R.capture_err = isatty(2);
#ifdef MFD_CLOEXEC
    R.capture_fd = memfd_create("apy-repl-output", MFD_CLOEXEC);
#endif
    if (R.capture_fd < 0) {
        FILE *f = tmpfile();
        if (f) R.capture_fd = dup(fileno(f));
        if (f) fclose(f);
    }
}

/* From here on, what the program writes goes to the memory file. */
static void capture_begin(void) {
    if (R.capture_fd < 0) return;
    fflush(stdout);
    fflush(stderr);
    dup2(R.capture_fd, 1);
    if (R.capture_err) dup2(R.capture_fd, 2);
}

/* Back to the terminal; if anything was written, show it above the prompt. */
static void capture_end(void) {
    if (R.capture_fd < 0) return;
    fflush(stdout);
    fflush(stderr);
    dup2(R.tty_out, 1);
    if (R.capture_err) dup2(R.tty_err, 2);
    off_t size = lseek(R.capture_fd, 0, SEEK_CUR);
    if (size <= 0) return;
    term_hide();
    char chunk[8192];
    off_t at = 0;
    char last = '\n';
    while (at < size) {
        ssize_t n = pread(R.capture_fd, chunk, sizeof chunk, at);
        if (n <= 0) break;
        write_all(R.tty_out, chunk, (size_t)n);
        last = chunk[n - 1];
        at += n;
    }
    if (last != '\n') write_all(R.tty_out, "\n", 1);   /* the prompt starts a line of its own */
    if (ftruncate(R.capture_fd, 0) < 0) {}
    lseek(R.capture_fd, 0, SEEK_SET);
    term_redraw();
}

/* ======================================================================================
 * Tracing: :trace on|off and :step (the sinks are trace_sinks.c's)
 * ====================================================================================== */
static void trace_start(bool step) {
    CliOptions o = R.opts;
    o.trace = true;
    o.step = step;
    o.trace_categories = step ? NULL : R.trace_cats;
    o.trace_format = o.trace_format ? o.trace_format : "outline";
    if (step) o.trace_out = NULL;
    fflush(stdout);
    trace_unsubscribe_all();
    cli_start_trace(&o);
}

static void trace_stop(void) {
    fflush(stdout);
    fflush(stderr);
    trace_unsubscribe_all();
}

/* After a stepped input: back to the outline (if :trace is on) or to nothing.
 * Starting the outline renderer also makes it the one finished at exit, so
 * the stepper does not announce "the program has finished" when the REPL ends. */
static void trace_after_step(void) {
    trace_start(false);
    if (!R.tracing) trace_stop();
}

/* ======================================================================================
 * The event loop
 * ====================================================================================== */
static LoopObj *loop_obj(void) { return AS_LOOP(R.loop); }

/* How long the loop can wait for the keyboard: 0 if it has work now, -1 if none is scheduled. */
static int loop_idle_timeout_ms(void) {
    LoopObj *l = loop_obj();
    if (l->rcount) return 0;
    if (!l->nheap) return -1;
    if (l->virtual_time) return 0;            /* the virtual clock jumps to the next timer */
    double dt = AS_HANDLE(l->heap[0])->when - loop_time(l);
    if (dt <= 0) return 0;
    if (dt > 3600) return 3600 * 1000;
    return (int)ceil(dt * 1000.0);
}

static bool loop_has_work(void) { return loop_idle_timeout_ms() == 0; }

/* One iteration: CPython's `loop.stop(); loop.run_forever()` idiom. */
static int loop_run_once(void) {
    Value r = obj_call_method_cstr(R.loop, "stop", 0);
    if (!r) return -1;
    decref(r);
    r = obj_call_method_cstr(R.loop, "run_forever", 0);
    if (!r) return -1;
    decref(r);
    return 0;
}

static Value make_loop(void) {
    Value asyncio = import_module(str_intern_cstr("asyncio"), R.globals, VNULL, 0);
    Value loop = VNULL;
    if (asyncio) {
        dict_set_str(R.globals, "asyncio", asyncio);   /* as `python -m asyncio` does */
        loop = obj_call_method_cstr(asyncio, "new_event_loop", 0);
        if (loop) {
            Value r = obj_call_method_cstr(asyncio, "set_event_loop", 1, loop);
            if (!r) err_print_and_clear();
            decref(r);
        }
        decref(asyncio);
    }
    if (!loop) {
        /* lib/asyncio does not load: the C loop alone still runs tasks */
        err_print_and_clear();
        loop = loop_new();
        if (!loop) return VNULL;
    }
    AS_LOOP(loop)->virtual_time = R.opts.virtual_time;
    return loop;
}

/* ======================================================================================
 * Running one input
 * ====================================================================================== */
static void set_last_exception(Value e) {
    if (!vm.sys) return;
    obj_setattr(vm.sys, str_intern_cstr("last_type"), OBJ_VAL(TYPE_OF(e)));
    obj_setattr(vm.sys, str_intern_cstr("last_value"), e);
    Value tb = obj_getattr_cstr(e, "__traceback__");
    if (tb) { obj_setattr(vm.sys, str_intern_cstr("last_traceback"), tb); decref(tb); }
    err_clear();
}

/* SystemExit ends the session with its code, as in python3. */
static void exit_with(Value e) {
    Value c = AS_EXC(e)->value;
    int code = 0;
    if (!c || IS_NONE(c)) code = 0;
    else if (IS_INT(c)) code = (int)AS_INT(c);
    else {
        Value s = obj_str(c);
        if (s) { fflush(stdout); fprintf(stderr, "%s\n", STR_DATA(s)); decref(s); }
        else err_clear();
        code = 1;
    }
    R.quit = true;
    R.status = code;
}

/* Show an exception that ended an input (the session goes on). Steals e. */
static void report(Value e) {
    if (!e) return;
    fflush(stdout);
    if (obj_isinstance_type(e, &Exc_SystemExit)) exit_with(e);
    else { set_last_exception(e); err_print(e); }
    decref(e);
    fflush(stderr);
}

static void report_pending(void) { report(err_fetch()); }

/* The callback the loop runs for an input: the module code, or its first step. */
static Value run_input(Value self, Value *args, size_t nargs, Value kw) {
    (void)self; (void)args; (void)nargs; (void)kw;
    R.input_ran = true;
    Value code = R.input_code;
    R.input_code = VNULL;
    if (!code) return none_new();
    bool awaits = (AS_CODE(code)->flags & CO_COROUTINE) != 0;
    Value r = vm_run_code(AS_CODE(code), R.globals, R.globals);
    decref(code);
    if (!r) { R.input_exc = err_fetch(); return none_new(); }
    if (awaits && IS_TYPE(r, &CoroutineType)) {
        Value t = obj_call_method_cstr(R.loop, "create_task", 1, r);
        if (!t) R.input_exc = err_fetch();
        else R.input_task = t;
    }
    decref(r);
    return none_new();
}

/* Run the loop until the input's task is done. Ctrl-C cancels it and waits
 * for it to unwind (its finally blocks run), then says KeyboardInterrupt. */
static void await_input_task(void) {
    Value task = R.input_task;
    R.input_task = VNULL;
    Value r = loop_run_until_complete(R.loop, task);
    if (r) { decref(r); decref(task); return; }
    if (err_matches(&Exc_KeyboardInterrupt) && AS_FUTURE(task)->state == FUT_PENDING) {
        err_clear();
        task_cancel(task, VNULL);
        r = loop_run_until_complete(R.loop, task);
        if (r) decref(r);
        else if (err_matches(&Exc_CancelledError)) err_clear();
        else report_pending();
        fflush(stdout);
        fputs("\nKeyboardInterrupt\n", stderr);   /* as python -m asyncio says it */
        fflush(stderr);
        decref(task);
        return;
    }
    /* The task ended with what we show now (a KeyboardInterrupt in its own
     * code comes out of the loop): it was retrieved, as the REPL's future is
     * in python -m asyncio, so no "exception was never retrieved" later. */
    if (AS_FUTURE(task)->state != FUT_PENDING) AS_FUTURE(task)->log_traceback = 0;
    report_pending();
    decref(task);
}

/* Compile one input as python3's REPL does ('single' mode: expression
 * statements print their value, a leading string is not a docstring), with
 * top-level await. */
static Value compile_input(const char *src, size_t len, ParseMode mode, int flags) {
    linecache_add("<stdin>", src, len);       /* the compiler quotes it in its SyntaxErrors */
    Arena a;
    arena_init(&a);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Node *tree = parse_source(&a, src, len, "<stdin>", mode, &err);
    Value code = tree ? compiler_compile(tree, "<stdin>", flags, &err) : VNULL;
    arena_free(&a);
    if (!code && !err_occurred()) {
        Value e = syntax_error_to_exc(&err);
        if (e) err_restore(e);
    }
    syntax_error_free(&err);
    return code;
}

static void run_source(const char *src, size_t len) {
    bool step = R.step_next;
    R.step_next = false;
    Value code = compile_input(src, len, PARSE_SINGLE, COMPILE_INTERACTIVE | COMPILE_TOP_AWAIT);
    /* python3 shows no source lines for <stdin> in tracebacks: each input
     * would quote the latest one. The stepper does show them. */
    if (!step || !code) linecache_add("<stdin>", "", 0);
    if (!code) { report_pending(); return; }
    if (step) trace_start(true);
    drain_sigpipe();
    R.input_code = code;
    R.input_task = R.input_exc = VNULL;
    R.input_ran = false;
    Value h = loop_call_soon(R.loop, R.run_input_cb, NULL, 0, VNULL);
    if (!h) { clearref(&R.input_code); report_pending(); goto done; }
    int rc = loop_run_once();
    if (!R.input_ran) {                    /* Ctrl-C came first: the input does not run */
        Value saved = err_fetch();
        decref(obj_call_method_cstr(h, "cancel", 0));
        err_clear();
        if (saved) err_restore(saved);
    }
    decref(h);
    clearref(&R.input_code);
    if (rc < 0) report_pending();          /* KeyboardInterrupt or SystemExit from another callback */
    if (R.input_exc) { report(R.input_exc); R.input_exc = VNULL; }
    if (R.input_task) {
        if (R.quit) clearref(&R.input_task);
        else await_input_task();
    }
done:
    if (step) {
        trace_stop();
        trace_after_step();
        linecache_add("<stdin>", "", 0);
    }
    fflush(stdout);
    fflush(stderr);
}

/* ======================================================================================
 * Is the input complete? (the parser decides; a blank line ends a block)
 * ====================================================================================== */
static bool is_blank(const char *s) {
    for (; *s; s++) if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\f') return false;
    return true;
}

/* true: ask for another line; false: run what we have (or show its error).
 * The parser marks an error "incomplete" when the input ended inside a
 * construct; it also asks for a blank line after a compound statement, even
 * a one-line one (`for x in y: print(x)`), as python3's REPL does. */
static bool needs_more(const char *src, size_t len, bool last_blank) {
    Arena a;
    arena_init(&a);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Node *tree = parse_source(&a, src, len, "<stdin>", PARSE_SINGLE, &err);
    bool more = false;
    if (!tree && err.incomplete) {
        /* Inside brackets or a triple-quoted string a blank line is just a line. */
        bool open = strstr(err.msg, "was never closed") || strstr(err.msg, "unterminated triple-quoted");
        /* `1 +` then Enter: the parser stopped at the end of the line, not
         * at the end of the input (col 0): python3 says "invalid syntax" now. */
        bool at_newline = strcmp(err.msg, "invalid syntax") == 0 && err.col > 0;
        more = !at_newline && (!last_blank || open);
    }
    syntax_error_free(&err);
    arena_free(&a);
    return more;
}

static int buf_append(const char *line) {
    size_t n = strlen(line);
    if (R.len + n + 2 > R.cap) {
        size_t cap = R.cap ? R.cap * 2 : 256;
        while (cap < R.len + n + 2) cap *= 2;
        char *b = realloc(R.buf, cap);
        if (!b) return -1;
        R.buf = b;
        R.cap = cap;
    }
    memcpy(R.buf + R.len, line, n);
    R.len += n;
    R.buf[R.len++] = '\n';
    R.buf[R.len] = 0;
    return 0;
}

/* ======================================================================================
 * Meta-commands
 * ====================================================================================== */
static const char help_text[] =
"Type Python (3.11) statements; expression results are shown with repr() and kept in _.\n"
"`await` works at top level; tasks you create keep running while you type.\n"
"Keys: Tab completes names, attributes and keywords; Up/Down walk the history;\n"
"      Ctrl-C interrupts what runs (or clears the line); Ctrl-D on an empty line quits.\n"
"\n"
"  :trace on [CATS]  trace every following input as an outline on stderr\n"
"                    (CATS: loop,tasks,coroutines,generators,futures,functions,all)\n"
"  :trace off        stop tracing\n"
"  :step             step through the next input (the stepper's commands; h for help)\n"
"  :dis NAME         the bytecode of a function, method, class or code object\n"
"  :ast CODE         the syntax tree of CODE\n"
"  :tasks            every pending task: its state, where it is suspended, what it awaits\n"
"  :help             this help\n"
"  :quit             leave (so does Ctrl-D, or exit())\n";

static Value eval_in_main(const char *expr) {
    Value code = compile_input(expr, strlen(expr), PARSE_EVAL, 0);
    linecache_add("<stdin>", "", 0);
    if (!code) return VNULL;
    Value r = vm_run_code(AS_CODE(code), R.globals, R.globals);
    decref(code);
    return r;
}

/* The code object behind a function, method, coroutine, generator … (new ref),
 * or VNULL. `depth` bounds the search (an object may answer __func__ with itself). */
static Value code_of(Value v, int depth) {
    if (IS_TYPE(v, &CodeType)) return incref(v);
    if (depth >= 4) return VNULL;
    static const char *const attrs[] = { "__func__", "__code__", "gi_code", "cr_code", "ag_code", NULL };
    for (int i = 0; attrs[i]; i++) {
        Value a = obj_getattr_opt(v, str_intern_cstr(attrs[i]));
        if (!a) { err_clear(); continue; }
        Value c = code_of(a, depth + 1);
        decref(a);
        if (c) return c;
    }
    return VNULL;
}

static void meta_dis(const char *arg) {
    if (!*arg) { say("usage: :dis NAME (a function, method, class or code object)\n"); return; }
    Value v = eval_in_main(arg);
    if (!v) { report_pending(); return; }
    Value code = code_of(v, 0);
    if (code) {
        dis_code(stdout, code);
        decref(code);
    } else if (obj_isinstance_type(v, &TypeType)) {
        /* a class: each of its methods, as dis.dis(cls) does */
        Value d = ((Type *)AS_OBJ(v))->dict;
        size_t pos = 0;
        Value k, item;
        bool any = false;
        while (d && dict_next(d, &pos, &k, &item)) {
            Value c = code_of(item, 0);
            if (!c) continue;
            printf("%sDisassembly of %s:\n", any ? "\n" : "", STR_DATA(k));
            dis_code(stdout, c);
            decref(c);
            any = true;
        }
        if (!any) printf("%s has no methods to disassemble\n", arg);
    } else {
        printf("don't know how to disassemble %s objects\n", obj_type_name(v));
    }
    decref(v);
    fflush(stdout);
}

static void meta_ast(const char *arg) {
    if (!*arg) { say("usage: :ast CODE\n"); return; }
    Arena a;
    arena_init(&a);
    SyntaxErr err;
    memset(&err, 0, sizeof err);
    Node *tree = parse_source(&a, arg, strlen(arg), "<stdin>", PARSE_FILE, &err);
    fflush(stdout);
    if (tree) ast_dump(stdout, tree);
    else syntax_error_print(stderr, &err);
    fflush(stdout);
    fflush(stderr);
    syntax_error_free(&err);
    arena_free(&a);
}

/* "main() line 4 -> helper() line 9": where a coroutine chain is suspended. */
static void describe_chain(Value coro) {
    int hops = 0;
    while (coro && IS_GEN_LIKE(coro) && hops++ < 64) {
        GenObj *g = AS_GEN(coro);
        if (hops > 1) fputs(" -> ", stdout);
        if (!g->frame) { printf("%s() (finished)", STR_DATA(g->qualname)); break; }
        CodeObj *co = AS_CODE(g->code);
        if (co->flags & CO_LIB) {            /* asyncio's own frames: their name says enough */
            printf("%s() in the library", STR_DATA(g->qualname));
            break;
        }
        printf("%s() at %s:%d", STR_DATA(g->qualname), STR_DATA(co->filename), frame_lineno(g->frame));
        coro = gen_yieldfrom(g);
    }
}

static int cmp_task_id(const void *a, const void *b) {
    uint32_t x = AS_TASK(*(const Value *)a)->task_id, y = AS_TASK(*(const Value *)b)->task_id;
    return x < y ? -1 : x > y;
}

static bool in_ready_queue(Value task) {
    LoopObj *l = loop_obj();
    for (size_t i = 0; i < l->rcount; i++) {
        HandleObj *h = AS_HANDLE(l->ready[(l->rhead + i) % l->rcap]);
        if (h->callback && IS_OBJ(h->callback) && AS_OBJ(h->callback)->type == &CFunctionType &&
            ((CFuncObj *)AS_OBJ(h->callback))->self == task)
            return true;
    }
    return false;
}

static void meta_tasks(void) {
    Value set = task_all(R.loop);
    if (!set) { report_pending(); return; }
    Value *items;
    size_t n;
    Value lst = seq_to_array(set, &items, &n);
    decref(set);
    if (!lst) { report_pending(); return; }
    qsort(items, n, sizeof *items, cmp_task_id);
    if (n == 0) say("no pending tasks\n");
    for (size_t i = 0; i < n; i++) {
        TaskObj *t = AS_TASK(items[i]);
        Value name = t->name ? obj_str(t->name) : VNULL;
        if (!name) err_clear();
        const char *state = t->fut_waiter ? "waiting" : in_ready_queue(items[i]) ? "ready" : "pending";
        printf("%s  %s  ", name ? STR_DATA(name) : "?", state);
        decref(name);
        describe_chain(t->coro);
        if (t->fut_waiter) {
            Value rep = obj_repr(t->fut_waiter);
            if (rep) { printf("\n    awaits %s", STR_DATA(rep)); decref(rep); }
            else err_clear();
        }
        if (t->must_cancel) fputs("\n    (cancellation requested)", stdout);
        fputs("\n", stdout);
    }
    decref(lst);
    fflush(stdout);
}

static const char *const trace_categories[] = {
    "loop", "tasks", "coroutines", "generators", "futures", "functions", "all", "default", NULL
};

static bool valid_categories(const char *spec) {
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        bool ok = len == 0;
        for (int i = 0; trace_categories[i]; i++)
            if (strlen(trace_categories[i]) == len && strncmp(trace_categories[i], p, len) == 0) ok = true;
        if (!ok) return false;
        p += len;
        if (*p == ',') p++;
    }
    return true;
}

static void meta_trace(const char *arg) {
#ifdef APY_NO_TRACE_HOOKS
    (void)arg;
    say("this build has no trace hooks (meson -Dtrace_hooks=false)\n");
    return;
#else
    if (strncmp(arg, "on", 2) == 0 && (arg[2] == 0 || arg[2] == ' ')) {
        const char *cats = arg + 2;
        while (*cats == ' ') cats++;
        if (*cats && !valid_categories(cats)) {
            printf("unknown trace category in '%s' (use loop, tasks, coroutines, generators, futures, "
                   "functions or all)\n", cats);
            fflush(stdout);
            return;
        }
        snprintf(R.trace_cats_buf, sizeof R.trace_cats_buf, "%s", cats);
        R.trace_cats = *cats ? R.trace_cats_buf : NULL;
        R.tracing = true;
        trace_start(false);
        say("tracing on: every input is traced (an outline on stderr)\n");
    } else if (strcmp(arg, "off") == 0) {
        R.tracing = false;
        trace_stop();
        say("tracing off\n");
    } else {
        say(R.tracing ? "tracing is on (:trace off stops it)\n" : "tracing is off (:trace on starts it)\n");
    }
#endif
}

static bool is_meta(const char *line) {
    while (*line == ' ' || *line == '\t') line++;
    return *line == ':';
}

static void run_meta(const char *line) {
    while (*line == ' ' || *line == '\t') line++;
    line++;
    char cmd[32];
    size_t k = 0;
    while (*line && *line != ' ' && *line != '\t' && k < sizeof cmd - 1) cmd[k++] = *line++;
    cmd[k] = 0;
    while (*line == ' ' || *line == '\t') line++;
    char *arg = strdup(line);
    if (!arg) return;
    size_t n = strlen(arg);
    while (n && (arg[n - 1] == ' ' || arg[n - 1] == '\t' || arg[n - 1] == '\r')) arg[--n] = 0;
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "h") == 0 || strcmp(cmd, "?") == 0) say(help_text);
    else if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "q") == 0 || strcmp(cmd, "exit") == 0) R.quit = true;
    else if (strcmp(cmd, "trace") == 0) meta_trace(arg);
    else if (strcmp(cmd, "step") == 0) {
#ifdef APY_NO_TRACE_HOOKS
        say("this build has no trace hooks (meson -Dtrace_hooks=false)\n");
#else
        R.step_next = true;
        if (*arg) run_source(arg, strlen(arg));
        else say("the next input runs under the stepper (n: next event, c: continue, h: help)\n");
#endif
    }
    else if (strcmp(cmd, "dis") == 0) meta_dis(arg);
    else if (strcmp(cmd, "ast") == 0) meta_ast(arg);
    else if (strcmp(cmd, "tasks") == 0) meta_tasks();
    else { printf("unknown command ':%s' (:help lists them)\n", cmd); fflush(stdout); }
    free(arg);
}

/* ======================================================================================
 * Tab completion: keywords, names in __main__ and builtins, attributes (dir())
 * ====================================================================================== */
#ifdef APY_HAVE_LIBEDIT
static const char *const keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", NULL
};

typedef struct { char **items; size_t n, cap; } Matches;

static void add_match(Matches *m, const char *word, const char *suffix) {
    for (size_t i = 0; i < m->n; i++) {
        size_t wl = strlen(word);
        if (strncmp(m->items[i], word, wl) == 0 && (m->items[i][wl] == 0 || strchr("( :", m->items[i][wl])))
            return;   /* seen (a keyword or a global hides a builtin of the same name) */
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        char **grown = realloc(m->items, cap * sizeof *grown);
        if (!grown) return;
        m->items = grown;
        m->cap = cap;
    }
    size_t wl = strlen(word), sl = strlen(suffix);
    char *s = malloc(wl + sl + 1);
    if (!s) return;
    memcpy(s, word, wl);
    memcpy(s + wl, suffix, sl + 1);
    m->items[m->n++] = s;
}

static void free_matches(char **m, size_t n) {
    for (size_t i = 0; i < n; i++) free(m[i]);
    free(m);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* rlcompleter's rules: keywords get a space (or ':'), callables a '('. */
static void keyword_matches(Matches *m, const char *prefix, size_t plen) {
    for (int i = 0; keywords[i]; i++) {
        const char *w = keywords[i];
        if (strncmp(w, prefix, plen) != 0) continue;
        const char *suffix = " ";
        if (!strcmp(w, "finally") || !strcmp(w, "try")) suffix = ":";
        else if (!strcmp(w, "False") || !strcmp(w, "None") || !strcmp(w, "True") || !strcmp(w, "break") ||
                 !strcmp(w, "continue") || !strcmp(w, "pass") || !strcmp(w, "else")) suffix = "";
        add_match(m, w, suffix);
    }
}

static void dict_matches(Matches *m, Value d, const char *prefix, size_t plen) {
    size_t pos = 0;
    Value k, v;
    while (d && dict_next(d, &pos, &k, &v)) {
        if (!IS_STR(k) || strncmp(STR_DATA(k), prefix, plen) != 0) continue;
        add_match(m, STR_DATA(k), obj_callable(v) ? "(" : "");
    }
}

/* The object a dotted name stands for (new ref), or VNULL (no error). No
 * code runs but attribute lookups, as rlcompleter evaluates `a.b.c`. */
static Value resolve_dotted(const char *expr, size_t len) {
    char *s = strndup(expr, len);
    if (!s) return VNULL;
    char *save = NULL;
    char *part = strtok_r(s, ".", &save);
    Value cur = VNULL;
    if (part) {
        Value v = dict_get_str(R.globals, part);
        if (!v) v = dict_get_str(vm.builtins, part);
        if (v) cur = incref(v);
    }
    while (cur && (part = strtok_r(NULL, ".", &save))) {
        Value next = obj_getattr_cstr(cur, part);
        decref(cur);
        cur = next;
    }
    if (!cur) err_clear();
    free(s);
    return cur;
}

static void attr_matches(Matches *m, const char *expr, size_t elen, const char *prefix, size_t plen) {
    Value obj = resolve_dotted(expr, elen);
    if (!obj) return;
    Value dirf = dict_get_str(vm.builtins, "dir");
    Value names = dirf ? obj_call1(dirf, obj) : VNULL;
    if (!names) { err_clear(); decref(obj); return; }
    Value *items;
    size_t n;
    Value lst = seq_to_array(names, &items, &n);
    decref(names);
    if (!lst) { err_clear(); decref(obj); return; }
    for (size_t i = 0; i < n; i++) {
        if (!IS_STR(items[i])) continue;
        const char *w = STR_DATA(items[i]);
        if (strncmp(w, prefix, plen) != 0) continue;
        if (plen == 0 && w[0] == '_') continue;                      /* private names on request */
        if (plen == 1 && prefix[0] == '_' && w[1] == '_') continue;
        /* callable? look on the type first, so that no property code runs */
        Value on_type = type_lookup(TYPE_OF(obj), items[i]);
        bool callable = false;
        if (on_type && !IS_TYPE(on_type, &PropertyType)) callable = obj_callable(on_type);
        else if (!on_type) {
            Value a = obj_getattr_opt(obj, items[i]);
            if (a) { callable = obj_callable(a); decref(a); }
            else err_clear();
        }
        char full[512];
        snprintf(full, sizeof full, "%.*s.%s", (int)elen, expr, w);
        add_match(m, full, callable ? "(" : "");
    }
    decref(lst);
    decref(obj);
}

static bool word_char(unsigned char c) { return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') ||
                                                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* The completions of the word that ends at `cursor_off` in `line`; each is the
 * whole word (from *word_start), sorted. */
static void complete_at(const char *line, size_t cursor_off, size_t *word_start,
                        char ***matches, size_t *nmatches) {
    size_t s = cursor_off;
    while (s > 0 && (word_char((unsigned char)line[s - 1]) || line[s - 1] == '.')) s--;
    *word_start = s;
    const char *word = line + s;
    size_t wlen = cursor_off - s;
    Matches m = { NULL, 0, 0 };
    Value saved = err_fetch();
    const char *dot = NULL;
    for (size_t i = 0; i < wlen; i++) if (word[i] == '.') dot = word + i;
    if (dot) {
        if (dot > word && word_char((unsigned char)word[0]) && !(word[0] >= '0' && word[0] <= '9'))
            attr_matches(&m, word, (size_t)(dot - word), dot + 1, (size_t)(word + wlen - dot - 1));
    } else {
        keyword_matches(&m, word, wlen);
        dict_matches(&m, R.globals, word, wlen);
        dict_matches(&m, vm.builtins, word, wlen);
    }
    if (err_occurred()) err_clear();
    if (saved) err_restore(saved);
    qsort(m.items, m.n, sizeof *m.items, cmp_str);
    *matches = m.items;
    *nmatches = m.n;
}
#endif

/* ======================================================================================
 * The session
 * ====================================================================================== */
static void handle_line(char *line) {
    if (R.len == 0 && is_meta(line)) {
        term_add_history(line);
        run_meta(line);
        return;
    }
    bool blank = is_blank(line);
    if (R.len == 0 && blank) return;
    if (!blank) term_add_history(line);
    if (buf_append(line) < 0) { say("MemoryError: the input is too long\n"); R.len = 0; return; }
    if (needs_more(R.buf, R.len, blank)) return;
    size_t len = R.len;
    R.len = 0;
    run_source(R.buf, len);
}

/* Ctrl-C with a prompt on the screen: drop the line (and the block being typed). */
static void interrupt_prompt(void) {
    vm.pending &= ~PENDING_SIGNAL;
    term_release();
    tcflush(0, TCIFLUSH);                     /* what was typed goes, as with the terminal's own ^C */
    free(plain_line);
    plain_line = NULL;
    fflush(stdout);
    fputs("\nKeyboardInterrupt\n", stderr);
    fflush(stderr);
    R.len = 0;
    R.prompt_shown = false;
}

/* Let the loop run one iteration with the prompt on the screen. */
static void run_background(void) {
    capture_begin();
    int rc = loop_run_once();
    Value e = rc < 0 ? err_fetch() : VNULL;
    if (e && obj_isinstance_type(e, &Exc_KeyboardInterrupt)) {
        decref(e);
        e = VNULL;
        fputs("KeyboardInterrupt\n", stderr);
    }
    if (e) report(e);
    capture_end();
}

enum { WAKE_KEY = 1, WAKE_SIGINT = 2 };

static int wait_for_something(int timeout_ms) {
    struct pollfd p[2] = { { 0, POLLIN, 0 }, { R.sigpipe[0], POLLIN, 0 } };
    int n = poll(p, R.sigpipe[0] >= 0 ? 2 : 1, timeout_ms);
    int wake = 0;
    if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) wake |= WAKE_KEY;
    if (n > 0 && R.sigpipe[0] >= 0 && (p[1].revents & POLLIN)) { drain_sigpipe(); wake |= WAKE_SIGINT; }
    if (vm.pending & PENDING_SIGNAL) wake |= WAKE_SIGINT;
    return wake;
}

static void print_banner(void) {
    printf("apy — a Python 3.11 subset with asyncio; the event loop runs while you type.\n"
           "Use \"await\" directly instead of \"asyncio.run()\". :help lists the commands.\n");
    fflush(stdout);
}

static void find_history_path(void) {
    const char *env = getenv("APY_HISTORY");
    if (env) { history_path = *env ? strdup(env) : NULL; return; }
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home) return;
    size_t n = strlen(home) + sizeof "/.apy_history";
    history_path = malloc(n);
    if (history_path) snprintf(history_path, n, "%s/.apy_history", home);
}

int repl_main(const CliOptions *opts) {
    memset(&R, 0, sizeof R);
    R.opts = *opts;
    R.globals = ((ModuleObj *)AS_OBJ(vm.main_module))->dict;
    if (vm.sys) {
        Value p1 = str_from_cstr(PS1), p2 = str_from_cstr(PS2);
        if (p1) obj_setattr(vm.sys, str_intern_cstr("ps1"), p1);
        if (p2) obj_setattr(vm.sys, str_intern_cstr("ps2"), p2);
        decref(p1);
        decref(p2);
        err_clear();
    }
    install_sigint();
    capture_open();
    find_history_path();
    term_open();
    atexit(term_atexit);
    print_banner();
    R.loop = make_loop();
    R.run_input_cb = cfunc_new("<input>", run_input, VNULL);
    if (!R.loop || !R.run_input_cb) { report_pending(); return 1; }
    if (opts->trace && !opts->step) { R.tracing = true; R.trace_cats = opts->trace_categories; trace_start(false); }
    if (opts->step) R.step_next = true;

    while (!R.quit) {
        if (!R.prompt_shown) {
            term_prompt(prompt_text(R.len > 0));
            R.prompt_shown = true;
        }
        int wake = term_has_buffered_line() ? WAKE_KEY : wait_for_something(loop_idle_timeout_ms());
        if (wake & WAKE_SIGINT) {
            if (vm.pending & PENDING_SIGNAL) { interrupt_prompt(); continue; }
        }
        if (continued) { continued = 0; term_resume(); }
        if (wake & WAKE_KEY) {
            char *line = NULL;
            KeyResult k = term_read(&line);
            if (k == KEY_EOF) { term_release(); say("\n"); break; }
            if (k == KEY_LINE) {
                term_release();
                R.prompt_shown = false;
                handle_line(line);
                free(line);
                continue;
            }
        }
        if (loop_has_work()) run_background();
    }
    term_close();
    restore_sigint();
    fflush(stdout);
    fflush(stderr);
    return R.status;
}
