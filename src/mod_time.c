/* mod_time.c — the time module.
 *
 * Owns: time_module_init and the time.* functions: the clocks (time,
 * monotonic, perf_counter, process_time and their _ns forms), sleep, and
 * calendar time (localtime, gmtime, mktime, strftime, ctime, asctime) with
 * struct_time.
 * Must not touch: the event loop's clock (loop.c owns loop.time() and
 * --virtual-time; time.sleep really sleeps, blocking the loop, as in CPython).
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "object.h"
#include "gc.h"
#include "vm.h"
#include "structseq.h"

static Type *struct_time_type;

static const char *const struct_time_fields[] = {
    "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst",
    "tm_zone", "tm_gmtoff", NULL
};

/* ===== clocks ========================================================================== */

static double clock_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static Value clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return int_from_i64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

#define NO_ARGS(name) \
    (void)self; (void)args; \
    if (args_no_kw(name, kwnames) || args_count(name, nargs, 0, 0)) return VNULL

static Value t_time(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("time");
    return float_new(clock_seconds(CLOCK_REALTIME));
}
static Value t_time_ns(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("time_ns");
    return clock_ns(CLOCK_REALTIME);
}
static Value t_monotonic(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("monotonic");
    return float_new(clock_seconds(CLOCK_MONOTONIC));
}
static Value t_monotonic_ns(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("monotonic_ns");
    return clock_ns(CLOCK_MONOTONIC);
}
static Value t_perf_counter(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("perf_counter");
    return float_new(clock_seconds(CLOCK_MONOTONIC));
}
static Value t_perf_counter_ns(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("perf_counter_ns");
    return clock_ns(CLOCK_MONOTONIC);
}
static Value t_process_time(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("process_time");
    return float_new(clock_seconds(CLOCK_PROCESS_CPUTIME_ID));
}
static Value t_process_time_ns(Value self, Value *args, size_t nargs, Value kwnames) {
    NO_ARGS("process_time_ns");
    return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* A number of seconds: int or float (CPython's _PyTime_FromSecondsObject). */
static int seconds_arg(Value v, double *out) {
    if (float_check(v)) {
        *out = ((FloatObj *)AS_OBJ(v))->v;
        if (isnan(*out)) { err_format(&Exc_ValueError, "Invalid value NaN (not a number)"); return -1; }
        return 0;
    }
    if (int_check(v)) {
        double d = int_as_double(v);
        if (d == -1.0 && err_occurred()) return -1;
        *out = d;
        return 0;
    }
    err_format(&Exc_TypeError, "'%s' object cannot be interpreted as an integer", obj_type_name(v));
    return -1;
}

/* The --timeout deadline passed during a sleep: the VM's own error. */
static bool past_deadline(double now) {
    if (vm.deadline <= 0 || now < vm.deadline) return false;
    vm.pending |= PENDING_TIMEOUT;     /* raised again at every safe point from now on */
    err_format(&Exc_TimeoutError, "time limit exceeded (--timeout)");
    return true;
}

/* sleep(secs): a real sleep, in slices of at most 50 ms so that Ctrl-C
 * (which may be delivered to another thread than the interpreter's) and
 * --timeout interrupt it promptly. */
static Value t_sleep(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("time.sleep", kwnames) || args_count("time.sleep", nargs, 1, 1)) return VNULL;
    double secs;
    if (seconds_arg(args[0], &secs) < 0) return VNULL;
    if (secs < 0) return err_format(&Exc_ValueError, "sleep length must be non-negative");
    if (secs > 1e15) return err_format(&Exc_OverflowError, "sleep length is too large");
    double deadline = clock_seconds(CLOCK_MONOTONIC) + secs;
    for (;;) {
        double now = clock_seconds(CLOCK_MONOTONIC), left = deadline - now;
        if (left <= 0) break;
        if (past_deadline(now)) return VNULL;
        if (left > 0.05) left = 0.05;
        struct timespec ts = { (time_t)left, (long)((left - floor(left)) * 1e9) };
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
            return err_format(&Exc_OSError, "sleep failed: %s", strerror(errno));
        if (vm.pending & PENDING_SIGNAL) {
            vm_safepoint();
            if (err_occurred()) return VNULL;
        }
    }
    return none_new();
}

/* ===== calendar time ===================================================================== */

static Value struct_time_from_tm(const struct tm *tm) {
    Value zone = str_from_cstr(tm->tm_zone ? tm->tm_zone : "UTC");
    if (!zone) return VNULL;
    Value items[11] = {
        MK_INT(tm->tm_year + 1900), MK_INT(tm->tm_mon + 1), MK_INT(tm->tm_mday),
        MK_INT(tm->tm_hour), MK_INT(tm->tm_min), MK_INT(tm->tm_sec),
        MK_INT((tm->tm_wday + 6) % 7),     /* Python: Monday is 0 */
        MK_INT(tm->tm_yday + 1), MK_INT(tm->tm_isdst), zone, MK_INT(tm->tm_gmtoff),
    };
    Value r = structseq_new(struct_time_type, items);
    decref(zone);
    return r;
}

/* The optional `secs` argument of localtime/gmtime/ctime: None means now. */
static int when_arg(const char *fname, Value *args, size_t nargs, Value kwnames, time_t *out) {
    if (args_no_kw(fname, kwnames) || args_count(fname, nargs, 0, 1)) return -1;
    if (nargs == 0 || IS_NONE(args[0])) { *out = time(NULL); return 0; }
    double d;
    if (seconds_arg(args[0], &d) < 0) return -1;
    d = floor(d);
    if (!(d >= -1e17 && d <= 1e17)) {
        err_format(&Exc_OverflowError, "timestamp out of range for platform time_t");
        return -1;
    }
    *out = (time_t)d;
    return 0;
}

static Value t_localtime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    time_t t;
    struct tm tm;
    if (when_arg("localtime", args, nargs, kwnames, &t) < 0) return VNULL;
    if (!localtime_r(&t, &tm)) return err_format(&Exc_OverflowError, "timestamp out of range for platform time_t");
    return struct_time_from_tm(&tm);
}

static Value t_gmtime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    time_t t;
    struct tm tm;
    if (when_arg("gmtime", args, nargs, kwnames, &t) < 0) return VNULL;
    if (!gmtime_r(&t, &tm)) return err_format(&Exc_OverflowError, "timestamp out of range for platform time_t");
    return struct_time_from_tm(&tm);
}

/* A struct_time or a 9-tuple as a struct tm. */
static int tm_from_value(const char *fname, Value v, struct tm *tm) {
    memset(tm, 0, sizeof *tm);
    Value seq;
    if (structseq_check(v)) {
        seq = tuple_new(9);
        if (!seq) return -1;
        for (size_t i = 0; i < 9; i++) TUPLE_ITEMS(seq)[i] = incref(structseq_get(v, i));
    } else if (IS_TYPE(v, &TupleType)) {
        seq = incref(v);
    } else {
        err_format(&Exc_TypeError, "Tuple or struct_time argument required");
        return -1;
    }
    if (TUPLE_LEN(seq) != 9) {
        decref(seq);
        err_format(&Exc_TypeError, "%s(): illegal time tuple argument", fname);
        return -1;
    }
    int64_t f[9];
    for (int i = 0; i < 9; i++) {
        if (int_as_i64(TUPLE_ITEMS(seq)[i], &f[i]) < 0) { decref(seq); return -1; }
        if (f[i] < INT32_MIN || f[i] > INT32_MAX) {
            decref(seq);
            err_format(&Exc_OverflowError, "Python int too large to convert to C int");
            return -1;
        }
    }
    decref(seq);
    tm->tm_year = (int)f[0] - 1900;
    tm->tm_mon = (int)f[1] - 1;
    tm->tm_mday = (int)f[2];
    tm->tm_hour = (int)f[3];
    tm->tm_min = (int)f[4];
    tm->tm_sec = (int)f[5];
    tm->tm_wday = (int)((f[6] + 1) % 7);
    tm->tm_yday = (int)f[7] - 1;
    tm->tm_isdst = (int)f[8];
    return 0;
}

/* The struct tm for an optional time-tuple argument (now when absent). */
static int tm_arg(const char *fname, Value *args, size_t nargs, size_t i, struct tm *tm) {
    if (nargs > i && !IS_NONE(args[i])) return tm_from_value(fname, args[i], tm);
    time_t now = time(NULL);
    localtime_r(&now, tm);
    return 0;
}

static Value t_mktime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("mktime", kwnames) || args_count("time.mktime", nargs, 1, 1)) return VNULL;
    struct tm tm;
    if (tm_from_value("mktime", args[0], &tm) < 0) return VNULL;
    tm.tm_wday = -1;              /* mktime leaves it alone on failure */
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && tm.tm_wday == -1) return err_format(&Exc_OverflowError, "mktime argument out of range");
    return float_new((double)t);
}

static Value t_strftime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("strftime", kwnames) || args_count("strftime", nargs, 1, 2)) return VNULL;
    if (!str_check(args[0]))
        return err_format(&Exc_TypeError, "strftime() argument 1 must be str, not %s", obj_type_name(args[0]));
    struct tm tm;
    if (tm_arg("strftime", args, nargs, 1, &tm) < 0) return VNULL;
    if (STR_LEN(args[0]) == 0) return str_from_cstr("");
    /* strftime returns 0 both for "too small" and for an empty result: grow a few times. */
    for (size_t cap = 256; cap <= 256 * 1024; cap *= 4) {
        char *buf = gc_malloc(cap);
        if (!buf) return VNULL;
        size_t n = strftime(buf, cap, STR_DATA(args[0]), &tm);
        if (n > 0 || cap >= 256 * 1024) {
            Value r = str_new(buf, n);
            gc_free(buf);
            return r;
        }
        gc_free(buf);
    }
    return str_from_cstr("");
}

/* 'Thu Jan  1 00:00:00 1970', CPython's asctime layout. */
static Value format_asctime(const struct tm *tm) {
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec" };
    int wday = tm->tm_wday >= 0 && tm->tm_wday < 7 ? tm->tm_wday : 0;
    int mon = tm->tm_mon >= 0 && tm->tm_mon < 12 ? tm->tm_mon : 0;
    return str_from_fmt("%s %s%3d %.2d:%.2d:%.2d %d", days[wday], months[mon], tm->tm_mday,
                        tm->tm_hour, tm->tm_min, tm->tm_sec, 1900 + tm->tm_year);
}

static Value t_asctime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    if (args_no_kw("asctime", kwnames) || args_count("asctime", nargs, 0, 1)) return VNULL;
    struct tm tm;
    if (tm_arg("asctime", args, nargs, 0, &tm) < 0) return VNULL;
    return format_asctime(&tm);
}

static Value t_ctime(Value self, Value *args, size_t nargs, Value kwnames) {
    (void)self;
    time_t t;
    struct tm tm;
    if (when_arg("ctime", args, nargs, kwnames, &t) < 0) return VNULL;
    if (!localtime_r(&t, &tm)) return err_format(&Exc_OverflowError, "timestamp out of range for platform time_t");
    return format_asctime(&tm);
}

static const MethodDef time_functions[] = {
    {"time", t_time, 0}, {"time_ns", t_time_ns, 0},
    {"monotonic", t_monotonic, 0}, {"monotonic_ns", t_monotonic_ns, 0},
    {"perf_counter", t_perf_counter, 0}, {"perf_counter_ns", t_perf_counter_ns, 0},
    {"process_time", t_process_time, 0}, {"process_time_ns", t_process_time_ns, 0},
    {"sleep", t_sleep, 0},
    {"localtime", t_localtime, 0}, {"gmtime", t_gmtime, 0}, {"mktime", t_mktime, 0},
    {"strftime", t_strftime, 0}, {"asctime", t_asctime, 0}, {"ctime", t_ctime, 0},
    {NULL, NULL, 0}
};

Value time_module_init(void) {
    if (!struct_time_type) {
        struct_time_type = structseq_new_type("struct_time", "time", "time.struct_time", struct_time_fields, 9);
        if (!struct_time_type) return VNULL;
    }
    Value m = module_from_methods("time", time_functions);
    if (!m) return VNULL;
    Value d = ((ModuleObj *)AS_OBJ(m))->dict;
    tzset();
    int r = dict_set_str(d, "struct_time", OBJ_VAL(struct_time_type));
    Value tz0 = str_from_cstr(tzname[0]), tz1 = str_from_cstr(tzname[1]);
    Value names = tz0 && tz1 ? tuple_pack(2, tz0, tz1) : VNULL;
    decref(tz0);
    decref(tz1);
    r |= names ? dict_set_str(d, "tzname", names) : -1;
    decref(names);
    r |= dict_set_str(d, "timezone", MK_INT(timezone));
    r |= dict_set_str(d, "altzone", MK_INT(timezone - 3600 * (daylight ? 1 : 0)));
    r |= dict_set_str(d, "daylight", MK_INT(daylight));
    if (r) { decref(m); return VNULL; }
    return m;
}
