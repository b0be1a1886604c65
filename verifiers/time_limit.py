"""A time limit for CPU-bound Python calls (sympy) that works from any thread.

math-verify's own limit arms SIGALRM, which only the main thread may do, and the harness grades
from worker threads as well as from the main thread and worker processes. So:

* in the main thread we arm SIGALRM ourselves. A signal handler also runs inside CPython's long
  integer loops, so it stops a huge `9**(9**9)` too;
* in any other thread a watchdog thread raises the exception in the caller asynchronously
  (CPython's PyThreadState_SetAsyncExc). That lands between bytecodes only: it stops sympy's
  Python code but not one long C-level operation, which callers must screen out beforehand.

Both repeat the exception until the call ends, in case a bare `except:` swallowed the first.
"""
from __future__ import annotations

import ctypes
import signal
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")

_REPEAT_S = 0.25  # after the deadline, how often to raise again


class TimeLimitExceeded(BaseException):
    """A BaseException, so that libraries' `except Exception` clauses let it through."""


def call_with_time_limit(fn: Callable[[], T], seconds: float) -> T:
    """fn(), or TimeLimitExceeded once it has run for `seconds`."""
    if not seconds > 0:
        raise ValueError(f"time limit must be positive, not {seconds!r}")
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and signal.getsignal(signal.SIGALRM) is not None:
        return _with_alarm(fn, seconds)
    return _with_watchdog(fn, seconds)


# The exception can surface at any bytecode, including the first ones of a `finally:` block. So
# each guard's `finally:` starts with one C-level call that takes `finished`: from then on nothing
# raises again, and the only exception still in flight is one raised before, a timeout anyway.


def _with_alarm(fn: Callable[[], T], seconds: float) -> T:
    finished = threading.Lock()

    def on_alarm(signum, frame):
        if finished.acquire(blocking=False):
            finished.release()
            raise TimeLimitExceeded

    started = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_S)
    try:
        return fn()
    finally:
        finished.acquire()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay:  # someone else's alarm (e.g. a test timeout) keeps its own deadline
            remaining = old_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), old_interval)


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    # With exc=None this cancels an exception raised but not yet delivered.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    finished = threading.Lock()
    wake = threading.Event()
    target = threading.get_ident()

    def watch() -> None:
        wait = seconds
        while not wake.wait(wait):
            if not finished.acquire(blocking=False):
                return
            _raise_in(target, TimeLimitExceeded)
            finished.release()
            wait = _REPEAT_S

    threading.Thread(target=watch, name="time-limit-watchdog", daemon=True).start()
    try:
        return fn()
    finally:
        finished.acquire()
        wake.set()
        _raise_in(target, None)
