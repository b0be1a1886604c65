"""A record of engine starts and generated tokens across processes, for compute budgets (the
integration suite's CI budget reads it). Off unless THINKBENCH_ENGINE_LEDGER names a file; every
process that inherits the variable (a `thinkbench run` subprocess, Ray's workers) appends to it."""
from __future__ import annotations

import json
import os
from pathlib import Path

VARIABLE = "THINKBENCH_ENGINE_LEDGER"


def record(event: str, **fields) -> None:
    """Append one JSON line: `start` (an engine was built: kind, model, seconds) or `tokens`
    (generated tokens, counted from the engine's own results)."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    line = json.dumps({"event": event, "pid": os.getpid(), **fields}) + "\n"
    # One short write in append mode: lines from several processes do not interleave.
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
