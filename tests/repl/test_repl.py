#!/usr/bin/env python3
"""test_repl.py — drive apy's REPL through a pseudo-terminal.

    test_repl.py APY SCENARIO      run one scenario (meson runs each as a test)
    test_repl.py APY               run them all

Each scenario starts `apy` on a fresh pty (80x24, TERM=xterm, UTF-8, its
history in a temporary file), types into it as a user would, and waits for
what must appear on the screen. The screen text is compared after removing
terminal escape sequences and carriage returns, so the checks read like a
transcript. On failure the whole transcript is printed.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

TIMEOUT = float(os.environ.get("APY_REPL_TIMEOUT", "20"))
ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|[\x07\x08\r]")


class Failure(Exception):
    pass


class Session:
    def __init__(self, apy, args=(), history=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="apy-repl-")
        self.history = history or os.path.join(self.tmp.name, "history")
        env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", HOME=self.tmp.name,
                   APY_HISTORY=self.history)
        env.pop("LC_ALL", None)
        # CI's slow runs ask for the virtual clock; a person at the keyboard
        # lives in real time (the scenarios wait for real timers and Ctrl-C).
        env.pop("APY_VIRTUAL_TIME", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(apy, [apy, *args], env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.raw = b""
        self.mark = 0          # expect() looks at the text after this point
        self.status = None

    # ---- reading -------------------------------------------------------------------
    def _pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            return False
        self.raw += data
        return True

    def text(self):
        return ESCAPES.sub(b"", self.raw).decode("utf-8", "replace")

    def expect(self, pattern, timeout=TIMEOUT, what=None):
        """Wait until `pattern` (a regex) appears after the mark; move the mark past it."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.text(), self.mark)
            if m:
                self.mark = m.end()
                return m
            left = end - time.time()
            if left <= 0 or not self._pump(min(left, 0.1)):
                m = rx.search(self.text(), self.mark)
                if m:
                    self.mark = m.end()
                    return m
                raise Failure(f"timed out waiting for {what or pattern!r}")

    def expect_prompt(self, timeout=TIMEOUT):
        return self.expect(r">>> $|>>> (?=\S)", timeout, "the >>> prompt")

    def settle(self, seconds):
        end = time.time() + seconds
        while time.time() < end and self._pump(end - time.time()):
            pass

    def since_mark(self):
        return self.text()[self.mark:]

    # ---- typing -------------------------------------------------------------------------
    def send(self, s):
        os.write(self.fd, s.encode("utf-8"))

    def line(self, s):
        """Type a line and press Enter."""
        self.send(s + "\r")

    def run(self, s, timeout=TIMEOUT):
        """Type a line, press Enter, and wait for the next >>> prompt; returns what
        came between (without the echo of the line itself)."""
        self.line(s)
        start = self.mark
        self.expect_prompt(timeout)
        out = self.text()[start:self.mark]
        out = out[out.index("\n") + 1:] if "\n" in out else ""
        return out[:-4] if out.endswith(">>> ") else out

    def block(self, lines):
        """Type a compound statement line by line (each gets '... '), then the blank line."""
        for ln in lines:
            self.line(ln)
            self.expect(r"\.\.\. ", what="the ... prompt after " + repr(ln))
        return self.run("")

    # ---- ending ---------------------------------------------------------------------------
    def wait_exit(self, timeout=TIMEOUT):
        end = time.time() + timeout
        while time.time() < end:
            self._pump(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        raise Failure("apy did not exit")

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)
        self.tmp.cleanup()


def check(cond, message):
    if not cond:
        raise Failure(message)


# ======================================================================================
# Scenarios
# ======================================================================================
def multiline_def(s):
    s.expect_prompt()
    s.block(["def f(x):", "    y = x * 2", "    return y"])
    out = s.run("f(21)")
    check("42" in out, "f(21) should show 42")
    # a one-line compound statement still waits for the blank line, as in python3
    s.line("for i in range(3): print(i)")
    s.expect(r"\.\.\. ")
    out = s.run("")
    check(re.search(r"0\n1\n2\n", out), "the for loop should print 0 1 2")
    # an open bracket continues; a blank line inside it is just a line
    s.line("(1,")
    s.expect(r"\.\.\. ")
    s.line("")
    s.expect(r"\.\.\. ")
    out = s.run("2)")
    check("(1, 2)" in out, "the tuple should be (1, 2)")
    s.block(["class Point:", "    def __init__(self, x):", "        self.x = x"])
    out = s.run("Point(7).x")
    check("7" in out, "Point(7).x should be 7")


def top_level_await(s):
    s.expect_prompt()
    s.block(["async def g(x):", "    await asyncio.sleep(0.01)", "    return x + 1"])
    out = s.run("await g(41)")
    check(re.search(r"^42$", out, re.M), "await g(41) should show 42")
    out = s.run("_")
    check(re.search(r"^42$", out, re.M), "_ should hold 42")
    out = s.run("r = await asyncio.gather(g(1), g(2))")
    out = s.run("r")
    check("[2, 3]" in out, "gather should give [2, 3]")
    out = s.run("asyncio.get_running_loop().is_running()")
    check("True" in out, "inputs run inside the running loop")
    out = s.run("None")
    check(out == "", "None is not shown")


def background_task(s):
    s.expect_prompt()
    s.block(["async def ticker(n):", "    for i in range(n):",
             "        await asyncio.sleep(0.4)", "        print('tick', i)"])
    s.run("t = asyncio.create_task(ticker(3))")
    s.expect(r"tick 0\n>>> ", what="tick 0 between prompts")
    s.send("x = 4")                         # a half-typed line survives the output
    s.expect(r"tick 1\n>>> x = 4", what="tick 1, then the prompt with the line being typed")
    s.send("2\r")
    s.expect_prompt()
    s.expect(r"tick 2\n>>> ", what="tick 2 between prompts")
    out = s.run("x")
    check(re.search(r"^42$", out, re.M), "the edited line should have given x = 42")
    out = s.run("t.done()")
    check("True" in out, "the ticker should be done")
    # a task that fails in the background is reported when it is dropped
    s.block(["async def bad():", "    raise ValueError('boom')"])
    s.run("b = asyncio.create_task(bad())")
    s.settle(0.3)
    out = s.run("del b")
    check("Task exception was never retrieved" in out and "ValueError: boom" in out,
          "the failed background task should be reported")


def error_recovery(s):
    s.expect_prompt()
    out = s.run("1/0")
    check("Traceback (most recent call last):" in out and "ZeroDivisionError: division by zero" in out,
          "1/0 should show a traceback")
    out = s.run("undefined_name")
    check("NameError: name 'undefined_name' is not defined" in out, "NameError expected")
    out = s.run("1 +")
    check("SyntaxError: invalid syntax" in out, "'1 +' is a SyntaxError at once, as in python3")
    s.block(["def f():", "    return g()"])
    out = s.run("f()")
    check('File "<stdin>", line 2, in f' in out, "the traceback should name f's line")
    s.block(["async def bad():", "    await asyncio.sleep(0)", "    raise KeyError('k')"])
    out = s.run("await bad()")
    check("KeyError: 'k'" in out, "an awaited error should show its traceback")
    s.run("x = 5")
    out = s.run("x * 2")
    check(re.search(r"^10$", out, re.M), "the session should go on after errors")


def trace_on(s):
    s.expect_prompt()
    s.block(["async def g():", "    await asyncio.sleep(0)", "    return 'done'"])
    out = s.run(":trace on")
    check("tracing on" in out, ":trace on should say so")
    out = s.run("await g()")
    check("event loop" in out and "Task-" in out and "g() line" in out and "'done'" in out,
          "the outline should show the loop, the task and g()")
    out = s.run(":trace off")
    check("tracing off" in out, ":trace off should say so")
    out = s.run("await g()")
    check("'done'" in out and "event loop" not in out and "|" not in out, "no trace after :trace off")


def ctrl_c(s):
    s.expect_prompt()
    s.block(["async def slow():", "    try:", "        await asyncio.sleep(100)",
             "    finally:", "        print('cleaned up')"])
    s.line("await slow()")
    s.settle(0.5)
    start = time.time()
    s.send("\x03")
    s.expect(r"cleaned up", what="the task's finally block (cancelled cleanly)")
    s.expect(r"KeyboardInterrupt\n>>> ", what="KeyboardInterrupt, then the prompt")
    check(time.time() - start < 10, "Ctrl-C should interrupt the sleep at once")
    out = s.run(":tasks")
    check("no pending tasks" in out, "the cancelled task should be gone")
    # running code
    s.line("while True: pass")
    s.expect(r"\.\.\. ")
    s.line("")
    s.settle(0.5)
    s.send("\x03")
    s.expect(r"KeyboardInterrupt\n>>> ", what="KeyboardInterrupt from a busy loop")
    # a blocking read: input()
    s.line("input('name? ')")
    s.expect(r"name\? ")
    s.settle(0.3)
    s.send("\x03")
    s.expect(r"KeyboardInterrupt\n>>> ", what="KeyboardInterrupt from input()")
    # at the prompt: the line is dropped
    s.send("abc")
    s.settle(0.2)
    s.send("\x03")
    s.expect(r"KeyboardInterrupt\n>>> ")
    out = s.run("1 + 2")
    check(re.search(r"^3$", out, re.M), "the session goes on, with the line cleared")


def ctrl_d(s):
    s.expect_prompt()
    s.run("x = 1")
    s.send("12\x02\x04")                    # Ctrl-B, Ctrl-D: inside a line it deletes, it does not quit
    out = s.run("")
    check(re.search(r"^1$", out, re.M), "Ctrl-D inside a line deletes the character under the cursor")
    s.send("\x04")
    status = s.wait_exit()
    check(status == 0, f"Ctrl-D should exit with status 0, not {status}")


def completion(s):
    s.expect_prompt()
    s.run("import math")
    s.send("math.sq\t")
    s.expect(r"math\.sqrt\(", what="math.sq<Tab> -> math.sqrt(")
    out = s.run("16)")
    check(re.search(r"^4\.0$", out, re.M), "math.sqrt(16) should be 4.0")
    s.run("my_long_variable = 5")
    s.send("my_lo\t")
    s.expect(r"my_long_variable", what="a global name completes")
    out = s.run(" + 1")
    check(re.search(r"^6$", out, re.M), "my_long_variable + 1 should be 6")
    s.send("math.co\t")
    s.expect(r"math\.cosh\(", what="the matches listed")
    s.send("\x15")                          # kill the line
    s.send("whi\t")
    s.expect(r"while ", what="a keyword completes")
    s.send("\x15")
    out = s.run("")
    check("Error" not in out, "an emptied line runs nothing")


def history(s):
    s.expect_prompt()
    s.run("x = 1234")
    s.send("\x04")
    s.wait_exit()
    with open(s.history, encoding="utf-8") as f:
        saved = f.read()
    check("1234" in saved, "the history file should keep the line")
    s2 = Session(sys.argv[1], history=s.history)
    try:
        s2.expect_prompt()
        s2.send("\x1b[A")                   # Up: the line from the last session
        s2.expect(r"x = 1234")
        s2.run("")
        out = s2.run("x")
        check(re.search(r"^1234$", out, re.M), "the recalled line should run")
    finally:
        s2.close()


def meta_commands(s):
    s.expect_prompt()
    out = s.run(":help")
    check(":trace on" in out and ":dis NAME" in out and ":tasks" in out, ":help lists the commands")
    s.block(["def f(a):", "    return a + 1"])
    out = s.run(":dis f")
    check("LOAD_FAST" in out and "RETURN_VALUE" in out, ":dis f shows bytecode")
    out = s.run(":ast x = 1 + 2")
    check("Assign(" in out and "BinOp(" in out, ":ast shows the tree")
    s.block(["async def waiter():", "    await asyncio.sleep(30)"])
    s.run("w = asyncio.create_task(waiter(), name='the-waiter')")
    s.settle(0.2)
    out = s.run(":tasks")
    check("the-waiter" in out and "waiting" in out and "waiter() at <stdin>:2" in out,
          ":tasks shows the task, its state and where it waits")
    out = s.run(":nonsense")
    check("unknown command" in out, "an unknown command is reported")
    s.line(":quit")
    check(s.wait_exit() == 0, ":quit exits with 0")


def step(s):
    s.expect_prompt()
    s.block(["async def g():", "    await asyncio.sleep(0)", "    return 7"])
    s.run(":step")
    s.line("await g()")
    s.expect(r"\(step\) ", what="the stepper's prompt")
    s.line("n")
    s.expect(r"\(step\) ")
    s.line("c")
    s.expect(r"(?m)^7\n>>> ", what="the result after continuing")
    out = s.run("8")
    check("(step)" not in out and re.search(r"^8$", out, re.M), "only one input is stepped")


def exit_status(s):
    s.expect_prompt()
    s.line("exit(3)")
    check(s.wait_exit() == 3, "exit(3) should exit with status 3")


def stdin_not_a_terminal(apy):
    r = subprocess.run([apy], input="x = 6\nprint(x * 7)\n", capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout == "42\n" and ">>>" not in r.stdout + r.stderr,
          f"stdin as a program: got {r.returncode} {r.stdout!r} {r.stderr!r}")


SCENARIOS = {
    "multiline_def": multiline_def,
    "top_level_await": top_level_await,
    "background_task": background_task,
    "error_recovery": error_recovery,
    "trace_on": trace_on,
    "ctrl_c": ctrl_c,
    "ctrl_d": ctrl_d,
    "completion": completion,
    "history": history,
    "meta_commands": meta_commands,
    "step": step,
    "exit_status": exit_status,
    "stdin_not_a_terminal": None,
}


def run_one(apy, name):
    if name == "stdin_not_a_terminal":
        stdin_not_a_terminal(apy)
        return
    s = Session(apy)
    try:
        SCENARIOS[name](s)
    except Failure as e:
        s.settle(0.3)
        raise Failure(f"{e}\n---- transcript ----\n{s.text()}\n---- (the checks looked after offset {s.mark}) ----")
    finally:
        s.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    apy = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(SCENARIOS)
    failed = 0
    for name in names:
        if name not in SCENARIOS:
            print(f"unknown scenario {name}")
            return 2
        try:
            run_one(apy, name)
            print(f"ok   {name}")
        except Failure as e:
            failed += 1
            print(f"FAIL {name}: {e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
