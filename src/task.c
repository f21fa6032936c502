/* task.c — asyncio.Task: a Future that drives a coroutine.
 *
 * Owns: Task creation (its first step scheduled with call_soon), the step
 * that sends into (or throws into) the coroutine and acts on what it
 * yields, the wake-up that runs when the awaited future is done,
 * cancellation as in Python 3.11 (cancel/cancelling/uncancel, the pending
 * cancel delivered at the next step, cancelling the awaited future),
 * names (Task-N), current_task, all_tasks, get_stack/print_stack, repr.
 * Must not touch: the loop's queues (it calls loop_call_soon) or Future
 * internals beyond future.c's API.
 *
 * The step, in the words of the notes (tasks.py's __step, simplified):
 *
 *     try:    result = coro.send(None)          # or coro.throw(exc)
 *     except StopIteration as e:  self.set_result(e.value)
 *     else:
 *         if result is a Future with _asyncio_future_blocking:
 *             result._asyncio_future_blocking = False
 *             result.add_done_callback(self.__wakeup)
 *         elif result is None:                    # a bare yield: sleep(0)
 *             loop.call_soon(self.__step)
 *         else:  loop.call_soon(self.__step, RuntimeError(...))
 */
#include <string.h>
#include <stdlib.h>
#include <stddef.h>
#include <inttypes.h>
#include "aio.h"
#include "gc.h"
#include "names.h"
#include "trace.h"

static uint64_t task_name_counter;

/* Every live task (weak: removed when a task dies), for all_tasks(): a
 * doubly-linked list in creation order, so that a task leaves it in O(1)
 * (100,000 tasks finishing must not cost 100,000 searches). */
static TaskObj *live_head, *live_tail;

static void register_task(TaskObj *t) {
    if (t->live) return;                       /* Task.__init__ called again */
    t->live_prev = live_tail;
    t->live_next = NULL;
    if (live_tail) live_tail->live_next = t;
    else live_head = t;
    live_tail = t;
    t->live = 1;
}

static void unregister_task(TaskObj *t) {
    if (!t->live) return;
    if (t->live_prev) t->live_prev->live_next = t->live_next;
    else live_head = t->live_next;
    if (t->live_next) t->live_next->live_prev = t->live_prev;
    else live_tail = t->live_prev;
    t->live_prev = t->live_next = NULL;
    t->live = 0;
}

bool task_check(Value v) { return IS_OBJ(v) && obj_isinstance_type(v, &TaskType); }

/* ---- current task ------------------------------------------------------------------------------ */
Value task_current(Value loop) {
    if (!loop) loop = loop_get_running();
    if (!loop || !IS_OBJ(loop) || !obj_isinstance_type(loop, &LoopType)) return VNULL;
    return AS_LOOP(loop)->current_task;
}

static int enter_task(LoopObj *l, Value task) {
    if (l->current_task) {
        err_format(&Exc_RuntimeError, "Cannot enter into task %R while another task %R is being executed.",
                   task, l->current_task);
        return -1;
    }
    l->current_task = incref(task);
    return 0;
}

static void leave_task(LoopObj *l, Value task) {
    if (l->current_task == task) clearref(&l->current_task);
}

Value task_all(Value loop) {
    Value s = set_new(VNULL);
    if (!s) return VNULL;
    for (TaskObj *t = live_head; t; t = t->live_next) {
        if (t->fut.state != FUT_PENDING) continue;
        if (loop && t->fut.loop != loop) continue;
        if (set_add(s, OBJ_VAL(t)) < 0) { decref(s); return VNULL; }
    }
    return s;
}

/* ---- the step ----------------------------------------------------------------------------------- */
static Value task_step_cfunc(Value self, Value *args, size_t nargs, Value kw);
static Value task_wakeup_cfunc(Value self, Value *args, size_t nargs, Value kw);

/* A new callable bound to the task, for one call_soon or one done-callback,
 * as CPython makes a new TaskStepMethWrapper / task_wakeup each time. (A
 * callable cached on the task would make a task <-> callable cycle, so a
 * finished task would wait for the cycle collector instead of going away
 * with its last reference, and "Task exception was never retrieved" would
 * come late.) */
static Value task_bound_cb(TaskObj *t, bool wakeup) {
    Value f = wakeup ? cfunc_new("task_wakeup", task_wakeup_cfunc, OBJ_VAL(t))
                     : cfunc_new("__step", task_step_cfunc, OBJ_VAL(t));
    if (f) ((CFuncObj *)AS_OBJ(f))->qualname_owner = incref(OBJ_VAL(&TaskType));
    return f;
}

static int call_step_soon(TaskObj *t, Value exc) {
    Value cb = task_bound_cb(t, false);
    if (!cb) return -1;
    Value h = loop_call_soon(t->fut.loop, cb, exc ? &exc : NULL, exc ? 1 : 0, t->context);
    decref(cb);
    if (!h) return -1;
    decref(h);
    return 0;
}

/* fmt names the task first (%R), then what it yielded (%R) if result is
 * given; with self_first false, fmt has only one %R: the yielded value. */
static Value bad_yield_msg(TaskObj *t, const char *fmt, Value result, bool self_first) {
    Value self = OBJ_VAL(t);
    Value msg = !self_first ? str_from_fmt(fmt, result)
              : result ? str_from_fmt(fmt, self, result) : str_from_fmt(fmt, self);
    if (!msg) return VNULL;
    Value e = exc_new(&Exc_RuntimeError, &msg, 1);
    decref(msg);
    if (!e) return VNULL;
    int r = call_step_soon(t, e);
    decref(e);
    return r < 0 ? VNULL : none_new();
}

static Value bad_yield(TaskObj *t, const char *fmt, Value result) {
    return bad_yield_msg(t, fmt, result, true);
}

static const char *step_detail;   /* what the last step did, for traces */

/* Act on what the coroutine yielded (result is owned). */
static Value handle_yield(TaskObj *t, Value result) {
    Value self = OBJ_VAL(t);
    if (result == self) {
        decref(result);
        return bad_yield(t, "Task cannot await on itself: %R", VNULL);
    }
    if (future_check(result)) {
        FutureObj *fut = AS_FUTURE(result);
        if (fut->loop != t->fut.loop) {
            Value r = bad_yield(t, "Task %R got Future %R attached to a different loop", result);
            decref(result);
            return r;
        }
        if (!fut->blocking) {
            Value r = bad_yield(t, "yield was used instead of yield from in task %R with %R", result);
            decref(result);
            return r;
        }
        fut->blocking = 0;
        Value wcb = task_bound_cb(t, true);
        int added = wcb ? future_add_done_callback(result, wcb, t->context) : -1;
        decref(wcb);
        if (added < 0) { decref(result); return VNULL; }
        setref(&t->fut_waiter, result);
        step_detail = "waits for it: adds its wake-up as a done-callback";
        if (t->must_cancel) {
            Value msg = t->fut.cancel_message ? t->fut.cancel_message : None;
            Value r = obj_call_method(result, NM.cancel, &msg, 1);
            if (!r) return VNULL;
            int truth = obj_truth(r);
            decref(r);
            if (truth < 0) return VNULL;
            if (truth) t->must_cancel = 0;
        }
        return none_new();
    }
    if (IS_NONE(result)) {
        decref(result);
        step_detail = "bare yield: schedules its next step";
        if (call_step_soon(t, VNULL) < 0) return VNULL;
        return none_new();
    }
    /* A duck-typed future (has _asyncio_future_blocking). */
    Value blocking = obj_getattr_opt(result, NM._asyncio_future_blocking);
    if (blocking && !IS_NONE(blocking)) {
        int truth = obj_truth(blocking);
        decref(blocking);
        if (truth < 0) { decref(result); return VNULL; }
        if (!truth) {
            Value r = bad_yield(t, "yield was used instead of yield from in task %R with %R", result);
            decref(result);
            return r;
        }
        if (obj_setattr(result, NM._asyncio_future_blocking, False_) < 0) { decref(result); return VNULL; }
        Value args[1] = { task_bound_cb(t, true) };
        if (!args[0]) { decref(result); return VNULL; }
        Value r = obj_call_method(result, NM.add_done_callback, args, 1);
        decref(args[0]);
        if (!r) { decref(result); return VNULL; }
        decref(r);
        setref(&t->fut_waiter, result);
        step_detail = "waits for it: adds its wake-up as a done-callback";
        if (t->must_cancel) {
            Value msg = t->fut.cancel_message ? t->fut.cancel_message : None;
            Value c = obj_call_method(result, NM.cancel, &msg, 1);
            if (!c) return VNULL;
            int tr = obj_truth(c);
            decref(c);
            if (tr > 0) t->must_cancel = 0;
        }
        return none_new();
    }
    decref(blocking);
    if (err_occurred()) { decref(result); return VNULL; }
    Value r;
    if (IS_TYPE(result, &GeneratorType))
        r = bad_yield(t, "yield was used instead of yield from for generator in task %R with %R", result);
    else
        r = bad_yield_msg(t, "Task got bad yield: %R", result, false);
    decref(result);
    return r;
}

static Value task_step_impl(TaskObj *t, Value exc) {
    Value self = OBJ_VAL(t);
    if (t->fut.state != FUT_PENDING)
        return err_format(&Exc_InvalidStateError, "_step(): already done: %R %R", self, exc ? exc : None);
    Value made = VNULL;
    if (t->must_cancel) {
        if (!exc || !obj_isinstance_type(exc, &Exc_CancelledError)) {
            exc = made = future_make_cancelled_error(&t->fut);
            if (!exc) return VNULL;
        }
        t->must_cancel = 0;
        if (UNLIKELY(vm.trace_mask)) trace_loop(TE_CANCEL_DELIVERED, self, exc, "the pending cancel is thrown in");
    }
    clearref(&t->fut_waiter);
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TASK_STEP, self, exc ? exc : None, exc ? "throw" : "send");
    step_detail = NULL;
    Value result = VNULL;
    SendResult sr;
    if (!exc) {
        sr = iter_send(t->coro, None, &result);
    } else {
        if (IS_GEN_LIKE(t->coro)) {
            result = gen_throw_value(t->coro, exc, VNULL, VNULL);
        } else {
            result = obj_call_method(t->coro, NM.throw, &exc, 1);
        }
        if (result) sr = SEND_YIELD;
        else if (err_matches(&Exc_StopIteration)) { result = err_stop_iteration_value(); sr = SEND_RETURN; }
        else sr = SEND_ERROR;
    }
    decref(made);
    Value r;
    if (sr == SEND_RETURN) {
        if (t->must_cancel) {
            t->must_cancel = 0;
            step_detail = "the coroutine returned, but a cancel was pending: the task is cancelled";
            r = future_cancel(self, t->fut.cancel_message) < 0 ? VNULL : none_new();
        } else {
            step_detail = "the coroutine returned: the task's result is set";
            r = future_set_result(self, result) < 0 ? VNULL : none_new();
        }
        decref(result);
    } else if (sr == SEND_ERROR) {
        if (err_matches(&Exc_CancelledError)) {
            setref(&t->fut.cancelled_exc, err_fetch());
            step_detail = "the coroutine raised CancelledError: the task is cancelled";
            r = future_cancel(self, VNULL) < 0 ? VNULL : none_new();
        } else {
            Value e = err_fetch();
            step_detail = "the coroutine raised: the task's exception is set";
            int rr = future_set_exception(self, e);
            if (rr < 0) { decref(e); return VNULL; }
            if (obj_isinstance_type(e, &Exc_KeyboardInterrupt) || obj_isinstance_type(e, &Exc_SystemExit)) {
                err_restore(e);
                return VNULL;
            }
            decref(e);
            r = none_new();
        }
    } else {
        if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TASK_STEP_END, self, result, "yielded");
        r = handle_yield(t, result);
    }
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TASK_STEP_END, self, VNULL, step_detail ? step_detail : "");
    return r;
}

static Value task_step(TaskObj *t, Value exc) {
    LoopObj *l = AS_LOOP(t->fut.loop);
    Value self = OBJ_VAL(t);
    if (enter_task(l, self) < 0) return VNULL;
    incref(self);
    Value r = task_step_impl(t, exc);
    leave_task(l, self);
    decref(self);
    return r;
}

/* Task.__step(exc=None): what call_soon runs */
static Value task_step_cfunc(Value self, Value *args, size_t nargs, Value kw) {
    (void)kw;
    return task_step(AS_TASK(self), nargs ? args[0] : VNULL);
}

/* Task.task_wakeup(future): the done-callback added to the awaited future */
static Value task_wakeup_cfunc(Value self, Value *args, size_t nargs, Value kw) {
    (void)kw;
    if (nargs != 1) return err_format(&Exc_TypeError, "task_wakeup() takes exactly one argument");
    TaskObj *t = AS_TASK(self);
    Value fut = args[0];
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TASK_WAKEUP, self, fut, "the future it waited for is done");
    Value res;
    if (future_check(fut)) {
        FutureObj *f = AS_FUTURE(fut);
        if (f->state == FUT_CANCELLED) {
            Value e = future_make_cancelled_error(f);
            if (!e) return VNULL;
            res = task_step(t, e);
            decref(e);
            return res;
        }
        if (f->state == FUT_FINISHED && f->exception) {
            f->log_traceback = 0;
            Value e = incref(f->exception);
            res = task_step(t, e);
            decref(e);
            return res;
        }
        if (f->state == FUT_PENDING) {
            /* result() raises InvalidStateError: throw that in */
            err_format(&Exc_InvalidStateError, "Result is not set.");
            Value e = err_fetch();
            res = task_step(t, e);
            decref(e);
            return res;
        }
        return task_step(t, VNULL);
    }
    Value r = obj_call_method(fut, NM.result, NULL, 0);
    if (r) { decref(r); return task_step(t, VNULL); }
    Value e = err_fetch();
    res = task_step(t, e);
    decref(e);
    return res;
}

/* ---- cancellation ---------------------------------------------------------------------------------- */
int task_cancel(Value task, Value msg) {
    TaskObj *t = AS_TASK(task);
    t->fut.log_traceback = 0;
    if (t->fut.state != FUT_PENDING) return 0;
    t->num_cancels_requested++;
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_CANCEL_REQUESTED, task, msg ? msg : None, "cancel() requested");
    if (t->fut_waiter) {
        Value m = msg ? msg : None;
        Value r = obj_call_method(t->fut_waiter, NM.cancel, &m, 1);
        if (!r) return -1;
        int truth = obj_truth(r);
        decref(r);
        if (truth < 0) return -1;
        if (truth) return 1;
    }
    t->must_cancel = 1;
    setref(&t->fut.cancel_message, msg && !IS_NONE(msg) ? incref(msg) : VNULL);
    return 1;
}

/* ---- creation ------------------------------------------------------------------------------------- */
/* asyncio.iscoroutine: coroutines, any generator (CPython still runs
 * old-style generator tasks), and collections.abc.Coroutine look-alikes */
static bool is_coroutine(Value v) {
    if (IS_TYPE(v, &CoroutineType) || IS_TYPE(v, &GeneratorType)) return true;
    Type *t = TYPE_OF(v);
    return type_lookup(t, NM.send) && type_lookup(t, NM.throw) && type_lookup(t, NM.close) &&
           type_lookup(t, NM.__await__);
}

static int task_setup(TaskObj *t, Value coro, Value loop, Value name, Value context) {
    if (future_init(&t->fut, loop) < 0) return -1;
    if (!is_coroutine(coro)) {
        t->log_destroy_pending = 0;
        err_format(&Exc_TypeError, "a coroutine was expected, got %R", coro);
        return -1;
    }
    if (loop_check_closed(AS_LOOP(t->fut.loop)) < 0) return -1;
    t->must_cancel = 0;
    t->log_destroy_pending = 1;
    t->num_cancels_requested = 0;
    setref(&t->coro, incref(coro));
    Value n;
    if (!name || IS_NONE(name)) n = str_from_fmt("Task-%llu", (unsigned long long)++task_name_counter);
    else if (IS_STR(name)) n = incref(name);
    else n = obj_str(name);
    if (!n) return -1;
    setref(&t->name, n);
    setref(&t->context, incref(context && !IS_NONE(context) ? context : None));
    Value self = OBJ_VAL(t);
    if (UNLIKELY(vm.trace_mask)) trace_loop(TE_TASK_CREATED, self, coro, "created: its first step is scheduled");
    if (call_step_soon(t, VNULL) < 0) return -1;
    register_task(t);
    return 0;
}

Value task_new(Value coro, Value loop, Value name, Value context) {
    TaskObj *t = (TaskObj *)gc_alloc(&TaskType, sizeof(TaskObj));
    if (!t) return VNULL;
    t->fut.id = 0;
    if (task_setup(t, coro, loop, name, context) < 0) { decref(OBJ_VAL(t)); return VNULL; }
    return OBJ_VAL(t);
}

static Value task_tp_new(Type *tp, Value *args, size_t nargs, Value kwnames) {
    (void)args; (void)nargs; (void)kwnames;
    TaskObj *t = (TaskObj *)gc_alloc(tp, tp->size);
    return t ? OBJ_VAL(t) : VNULL;
}

static Value task_tp_init(Value self, Value *args, size_t nargs, Value kwnames) {
    static const char *const names[] = { "coro", "loop", "name", "context", NULL };
    Value a[4];
    if (nargs > 1) return err_format(&Exc_TypeError, "Task() takes at most 1 positional argument (%zu given)", nargs);
    if (args_parse("Task", args, nargs, kwnames, names, 1, a) < 0) return VNULL;
    if (task_setup(AS_TASK(self), a[0], a[1], a[2], a[3]) < 0) return VNULL;
    return none_new();
}

/* ---- repr -------------------------------------------------------------------------------------------- */
Value task_repr_coro(TaskObj *t) {
    Value coro = t->coro;
    if (!coro) return str_from_cstr("coro=<None>");
    Value qn = obj_getattr_opt(coro, NM.__qualname__);
    if (!qn) { err_clear(); qn = str_from_fmt("<%s without __name__>", obj_type_name(coro)); }
    Value r;
    if (IS_GEN_LIKE(coro)) {
        GenObj *g = AS_GEN(coro);
        CodeObj *co = AS_CODE(g->code);
        if (g->frame && g->frame->state != FRAME_COMPLETED)
            r = str_from_fmt("coro=<%S() running at %S:%d>", qn, co->filename, frame_lineno(g->frame));
        else
            r = str_from_fmt("coro=<%S() done, defined at %S:%d>", qn, co->filename, co->firstline);
    } else {
        r = str_from_fmt("coro=<%S()>", qn);
    }
    decref(qn);
    return r;
}

static Value task_repr(Value self) {
    TaskObj *t = AS_TASK(self);
    Value info = future_repr_info(self);
    if (!info) return VNULL;
    /* future_repr_info starts with the state; splice name, coro, wait_for after it */
    const char *s = STR_DATA(info);
    const char *sp = strchr(s, ' ');
    size_t statelen = sp ? (size_t)(sp - s) : STR_LEN(info);
    StrBuf b;
    sb_init(&b);
    sb_addf(&b, "<%s ", aio_type_name(self));
    if (t->num_cancels_requested > 0 && t->fut.state == FUT_PENDING) sb_adds(&b, "cancelling");
    else sb_add(&b, s, statelen);
    sb_adds(&b, " name=");
    if (sb_add_value_repr(&b, t->name ? t->name : None) < 0) { decref(info); sb_free(&b); return VNULL; }
    Value coro = task_repr_coro(t);
    if (!coro) { decref(info); sb_free(&b); return VNULL; }
    sb_addc(&b, ' ');
    sb_add(&b, STR_DATA(coro), STR_LEN(coro));
    decref(coro);
    if (t->fut_waiter) {
        sb_adds(&b, " wait_for=");
        if (sb_add_value_repr(&b, t->fut_waiter) < 0) { decref(info); sb_free(&b); return VNULL; }
    }
    if (sp) sb_adds(&b, sp);
    sb_addc(&b, '>');
    decref(info);
    return sb_finish(&b);
}

/* ---- life cycle ------------------------------------------------------------------------------------ */
static void task_dealloc(Obj *o) {
    TaskObj *t = (TaskObj *)o;
    unregister_task(t);
    future_dealloc_fields(&t->fut);
    clearref(&t->coro); clearref(&t->name); clearref(&t->fut_waiter); clearref(&t->context);
    clearref(&t->step_cb); clearref(&t->wakeup_cb);
}

static void task_traverse(Obj *o, VisitFn visit, void *arg) {
    TaskObj *t = (TaskObj *)o;
    future_traverse_fields(&t->fut, visit, arg);
    visit(t->coro, arg); visit(t->name, arg); visit(t->fut_waiter, arg); visit(t->context, arg);
    visit(t->step_cb, arg); visit(t->wakeup_cb, arg);
}

static void task_clear(Obj *o) {
    TaskObj *t = (TaskObj *)o;
    future_dealloc_fields(&t->fut);
    clearref(&t->coro); clearref(&t->fut_waiter); clearref(&t->step_cb); clearref(&t->wakeup_cb);
}

static bool task_needs_finalize(Obj *o) {
    TaskObj *t = (TaskObj *)o;
    if (!t->fut.loop) return false;
    return (t->fut.state == FUT_PENDING && t->log_destroy_pending) || (t->fut.log_traceback && t->fut.exception);
}

static void task_finalize(Obj *o) {
    TaskObj *t = (TaskObj *)o;
    Value self = OBJ_VAL(o);
    if (t->fut.state == FUT_PENDING && t->log_destroy_pending) {
        Value ctx = dict_new();
        if (!ctx) return;
        Value m = str_from_cstr("Task was destroyed but it is pending!");
        dict_set_str(ctx, "message", m);
        decref(m);
        dict_set_str(ctx, "task", self);
        loop_call_exception_handler(t->fut.loop, ctx);
        decref(ctx);
        t->log_destroy_pending = 0;
        return;
    }
    FutureType.finalize(o);
}

/* ---- methods ---------------------------------------------------------------------------------------- */
static Value tm_get_name(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return incref(AS_TASK(self)->name ? AS_TASK(self)->name : None);
}
static Value tm_set_name(Value self, Value *args, size_t nargs, Value kw) {
    if (args_no_kw("set_name", kw) || args_count("set_name", nargs, 1, 1)) return VNULL;
    Value s = IS_STR(args[0]) ? incref(args[0]) : obj_str(args[0]);
    if (!s) return VNULL;
    setref(&AS_TASK(self)->name, s);
    return none_new();
}
static Value tm_get_coro(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return incref(AS_TASK(self)->coro ? AS_TASK(self)->coro : None);
}
static Value tm_get_context(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return incref(AS_TASK(self)->context ? AS_TASK(self)->context : None);
}
static Value tm_cancelling(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    return MK_INT(AS_TASK(self)->num_cancels_requested);
}
static Value tm_uncancel(Value self, Value *a, size_t n, Value kw) {
    (void)a; (void)n; (void)kw;
    TaskObj *t = AS_TASK(self);
    if (t->num_cancels_requested > 0) t->num_cancels_requested--;
    return MK_INT(t->num_cancels_requested);
}

/* The frames of the coroutine chain, outermost first (limit: the newest `limit`). */
static Value task_stack_list(TaskObj *t, intptr_t limit) {
    Value frames = list_new(0);
    if (!frames) return VNULL;
    Value c = t->coro;
    while (c && IS_GEN_LIKE(c)) {
        GenObj *g = AS_GEN(c);
        if (!g->frame || g->frame->state == FRAME_COMPLETED) break;
        frame_escape(g->frame);
        list_append(frames, OBJ_VAL(g->frame));
        c = gen_yieldfrom(g);
    }
    if (limit >= 0 && (size_t)limit < LIST_LEN(frames)) {
        Value cut = list_from_array(LIST_ITEMS(frames) + LIST_LEN(frames) - limit, (size_t)limit);
        decref(frames);
        return cut;
    }
    return frames;
}

static Value tm_get_stack(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = { "limit", NULL };
    Value a[1];
    if (args_parse("get_stack", args, nargs, kw, names, 0, a) < 0) return VNULL;
    intptr_t limit = -1;
    if (a[0] && !IS_NONE(a[0]) && int_as_ssize(a[0], &limit) < 0) return VNULL;
    return task_stack_list(AS_TASK(self), limit);
}

static Value tm_print_stack(Value self, Value *args, size_t nargs, Value kw) {
    static const char *const names[] = { "limit", "file", NULL };
    Value a[2];
    if (args_parse("print_stack", args, nargs, kw, names, 0, a) < 0) return VNULL;
    intptr_t limit = -1;
    if (a[0] && !IS_NONE(a[0]) && int_as_ssize(a[0], &limit) < 0) return VNULL;
    Value frames = task_stack_list(AS_TASK(self), limit);
    if (!frames) return VNULL;
    StrBuf b;
    sb_init(&b);
    if (LIST_LEN(frames)) sb_adds(&b, "Stack for ");
    else sb_adds(&b, "No stack for ");
    if (sb_add_value_repr(&b, self) < 0) { sb_free(&b); decref(frames); return VNULL; }
    sb_adds(&b, LIST_LEN(frames) ? " (most recent call last):\n" : "\n");
    for (size_t i = 0; i < LIST_LEN(frames); i++) {
        Frame *f = (Frame *)AS_OBJ(LIST_ITEMS(frames)[i]);
        sb_addf(&b, "  File \"%s\", line %d, in %s\n", STR_DATA(f->code->filename), frame_lineno(f), STR_DATA(f->code->name));
    }
    decref(frames);
    Value text = sb_finish(&b);
    if (!text) return VNULL;
    Value file = a[1] && !IS_NONE(a[1]) ? incref(a[1]) : (vm.sys ? obj_getattr_cstr(vm.sys, "stderr") : VNULL);
    if (!file) { decref(text); return VNULL; }
    Value r = obj_call_method(file, NM.write, &text, 1);
    decref(file);
    decref(text);
    if (!r) return VNULL;
    decref(r);
    return none_new();
}

/* A task's result comes from its coroutine only. */
static Value tm_set_result(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return err_format(&Exc_RuntimeError, "Task does not support set_result operation");
}
static Value tm_set_exception(Value self, Value *a, size_t n, Value kw) {
    (void)self; (void)a; (void)n; (void)kw;
    return err_format(&Exc_RuntimeError, "Task does not support set_exception operation");
}

static const MethodDef task_methods[] = {
    { "set_result", tm_set_result, 0 }, { "set_exception", tm_set_exception, 0 },
    { "get_name", tm_get_name, 0 }, { "set_name", tm_set_name, 0 }, { "get_coro", tm_get_coro, 0 },
    { "get_context", tm_get_context, 0 }, { "cancelling", tm_cancelling, 0 }, { "uncancel", tm_uncancel, 0 },
    { "get_stack", tm_get_stack, 0 }, { "print_stack", tm_print_stack, 0 },
    { NULL, NULL, 0 }
};

static Value tg_coro(Value self) { Value c = AS_TASK(self)->coro; return incref(c ? c : None); }
static Value tg_fut_waiter(Value self) { Value c = AS_TASK(self)->fut_waiter; return incref(c ? c : None); }
static Value tg_must_cancel(Value self) { return bool_new(AS_TASK(self)->must_cancel); }
static Value tg_log_destroy(Value self) { return bool_new(AS_TASK(self)->log_destroy_pending); }
static int ts_log_destroy(Value self, Value v) {
    int t = v ? obj_truth(v) : 0;
    if (t < 0) return -1;
    AS_TASK(self)->log_destroy_pending = (uint8_t)t;
    return 0;
}
static const GetSetDef task_getsets[] = {
    { "_coro", tg_coro, NULL }, { "_fut_waiter", tg_fut_waiter, NULL },
    { "_must_cancel", tg_must_cancel, NULL }, { "_log_destroy_pending", tg_log_destroy, ts_log_destroy },
    { NULL, NULL, NULL }
};

Type TaskType = {
    /* dotted tp_name, as Future's (src/future.c) */
    STATIC_TYPE_HEAD, .name = "_asyncio.Task", .flags = TF_GC | TF_BASETYPE, .size = sizeof(TaskObj),
    .base = &FutureType, .tp_new = task_tp_new, .tp_init = task_tp_init, .dealloc = task_dealloc,
    .traverse = task_traverse, .clear = task_clear, .repr = task_repr,
    .finalize = task_finalize, .needs_finalize = task_needs_finalize,
    .dict_offset = offsetof(FutureObj, dict),
};

void task_init_types(void) {
    type_add_methods(&TaskType, task_methods);
    type_add_getsets(&TaskType, task_getsets);
    aio_ready_dotted(&TaskType, "Task");
}
