"""Processes an engine starts (vLLM's engine core and workers), ended when it closes or fails to
start, so that a stopped run leaves none behind."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import psutil


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


@contextmanager
def ended_on_failure() -> Iterator[Callable[[], list[psutil.Process]]]:
    """Yields a function that lists the processes started inside the block; they are ended when
    the block raises (a failed start, or Ctrl-C / SIGTERM during it)."""
    before = {p.pid for p in _children()}

    def started() -> list[psutil.Process]:
        return [p for p in _children() if p.pid not in before]

    try:
        yield started
    except BaseException:
        end(started())
        raise


def end(processes: list[psutil.Process], grace_seconds: float = 5.0) -> None:
    """SIGTERM, then SIGKILL for those still there after the grace period; gone ones are skipped."""
    alive = [p for p in processes if p.is_running()]
    for p in alive:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, left = psutil.wait_procs(alive, timeout=grace_seconds)
    for p in left:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(left, timeout=grace_seconds)
