"""What the user sees during a run: thinkbench's own lines (what is starting, progress bars, the
summary, where the report is) on the terminal, and everything the engine prints in the run folder's
engine.log.

vLLM writes from C++ code, from Python's logging and warnings, and from any process it starts, so
its output is moved where all of them write: inside `engine_output_to`, file descriptors 1 and 2
point at engine.log, and thinkbench's lines go to copies of the terminal's descriptors.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

from thinkbench.harness.errors import InputError


@dataclass
class _Redirect:
    out: TextIO
    err: TextIO
    log: Path


_active: list[_Redirect] = []


def out() -> TextIO:
    """Where thinkbench's results go (the terminal's stdout)."""
    return _active[-1].out if _active else sys.stdout


def err() -> TextIO:
    """Where thinkbench's progress and notes go (the terminal's stderr)."""
    return _active[-1].err if _active else sys.stderr


def engine_log() -> Path | None:
    """The file the engine's output goes to, or None when it is on the terminal."""
    return _active[-1].log if _active else None


@contextmanager
def engine_output_to(log: Path | None) -> Iterator[None]:
    """Within the block, descriptors 1 and 2 (and so vLLM, its warnings and its processes) write
    to `log`; `out()` and `err()` still reach the terminal. None leaves everything where it is."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    kept = (os.dup(1), os.dup(2))
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    redirect = _Redirect(_terminal(sys.stdout, 1, kept[0]), _terminal(sys.stderr, 2, kept[1]), log)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)
    _active.append(redirect)
    try:
        yield
    except InputError:
        raise
    except Exception:
        print(f"thinkbench: the engine's own output is in {log}", file=redirect.err, flush=True)
        raise
    finally:
        _active.pop()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(kept[0], 1)
        os.dup2(kept[1], 2)
        for stream, fd in ((redirect.out, kept[0]), (redirect.err, kept[1])):
            if _owns(stream, fd):
                stream.close()  # closes the copy
            else:
                stream.flush()
                os.close(fd)


def _terminal(stream: TextIO, fd: int, copy: int) -> TextIO:
    """A stream on the terminal for `stream`: a new one on the descriptor's copy where `stream`
    writes to `fd` itself, `stream` as it is otherwise (a test's capture, a notebook)."""
    try:
        writes_to_fd = stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        writes_to_fd = False
    if not writes_to_fd:
        return stream
    return os.fdopen(copy, "w", buffering=1, encoding=getattr(stream, "encoding", None) or "utf-8",
                     errors="replace", closefd=True)


def _owns(stream: TextIO, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False
