"""Time limits of code problems, calibrated on the machine that grades.

A correct program's runtime depends on the machine: MBPP 123 (amicable numbers by brute force) runs
its tests in 5.7 s on a slow 2-core machine and in well under that on a fast one, so one fixed limit
grades the same program right on one machine and wrong on another. As EvalPlus does, each problem's
limit comes instead from its reference solution's runtime, measured here in the same sandbox:

    CPU limit = max(floor, factor x the reference's CPU seconds);  wall limit = WALL_FACTOR x CPU limit

* CPU time, not wall-clock time: on a shared machine a program waits for a core, and its wall time
  follows the load (4x its CPU time at a load of 17 on 2 cores, seen here), while its CPU time
  hardly moves. A limit measured in a quiet moment and applied in a busy one (or the reverse) must
  not flip a verdict. The wall limit only stops programs that wait rather than compute.
* factor (the verifier's `time_factor`, 4 by default, EvalPlus's default too): a correct solution
  may be a few times slower than the reference (a plainer algorithm), while one doing 20x the
  reference's work still runs out of time.
* floor (the verifier's `timeout_s`, 5 s by default, the fixed limit of earlier versions): a Python
  start in the sandbox costs about 0.1 CPU seconds; below the floor the factor would turn start-up
  noise into verdicts. Problems without a reference solution get the floor.
* reference CPU seconds: the most of REPEATS runs, for references slow enough that the factor can
  matter (factor x the first run >= floor / 2); one run otherwise, since even a measurement twice
  too short leaves such a limit at the floor. The kernel counts CPU limits in whole seconds, so a
  limit is enforced rounded up.

Measurements are cached per machine (host name, CPU model, usable cores, sandbox interpreter) in
~/.cache/thinkbench/time_limits/ (THINKBENCH_TIME_LIMITS_DIR moves it), one entry per problem keyed by
the hash of its tests, reference and memory limit: a new version of a task is measured again, and
nothing else is.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from thinkbench.harness import sandbox
from thinkbench.verifiers import Verdict
from thinkbench.verifiers.grading import usable_cores

REPEATS = 3
WALL_FACTOR = 5  # above the 4x wall/CPU ratio seen on a machine at a load of 17 on 2 cores
CEILING_S = 60.0  # the most CPU seconds a reference may take while it is measured
RULE = ("cpu_limit_s = max(floor_s, factor x reference_cpu_s), wall_limit_s = wall_factor x cpu_limit_s; "
        f"reference_cpu_s: the most of up to {REPEATS} runs of the reference solution in the sandbox on "
        "this machine; CPU limits are enforced in whole seconds, rounded up")


@dataclass(frozen=True)
class Timed:
    verdict: Verdict
    seconds: float  # CPU time of its slowest execution


@dataclass(frozen=True)
class Measurement:
    seconds: float  # CPU seconds of the slowest run
    runs: int
    reason: str  # the reference's own verdict: "passed", or what is wrong with the data


def limit_seconds(measurement: Measurement, floor: float, factor: float) -> float:
    return max(floor, factor * measurement.seconds)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """What a measured runtime depends on, beyond the code: recorded beside every limit."""
    python = sandbox.sandbox_python()
    return {"host": platform.node(), "cpu": _cpu_model(), "cores": usable_cores(),
            "python": python or sys.executable, "sandboxed": python is not None}


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "thinkbench" / "time_limits"
    return Path(os.environ.get("THINKBENCH_TIME_LIMITS_DIR", default))


def _digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class _Cache:
    """One JSON file per machine: problem key -> measurement. Concurrent runs may both write; each
    write merges what is on disk, so the worst case is measuring a problem twice."""

    def __init__(self, machine_info: dict) -> None:
        self.path = cache_dir() / f"{_digest(machine_info)[:16]}.json"
        self.machine = machine_info

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        entries = data.get("problems") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def load(self, keys: Sequence[str]) -> dict[str, Measurement]:
        entries, found = self._read(), {}
        for key in keys:
            entry = entries.get(key)
            try:
                found[key] = Measurement(float(entry["seconds"]), int(entry["runs"]), str(entry["reason"]))
            except (TypeError, KeyError, ValueError):
                continue
        return found

    def save(self, new: dict[str, Measurement]) -> None:
        entries = self._read()
        entries.update({key: {"seconds": m.seconds, "runs": m.runs, "reason": m.reason} for key, m in new.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(handle, "w") as f:
            json.dump({"machine": self.machine, "problems": entries}, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


def measure_references(items: Sequence[tuple[str, str]], run: Callable[[str, str], Timed], memory_mb: int,
                       floor: float, factor: float) -> tuple[list[Measurement], dict]:
    """The measurement of each (reference, gold) pair, from the cache or measured now with `run`
    (which grades the reference against the gold under CEILING_S), as many at once as the machine
    has cores, as grading runs them; and how it went: the machine, the cache file, how many were
    measured now."""
    info = machine()
    cache = _Cache(info)
    keys = [_digest([gold, reference, memory_mb]) for reference, gold in items]
    known = cache.load(keys)
    todo = {key: item for key, item in zip(keys, items) if key not in known}
    if todo:
        print(f"measuring {len(todo)} reference solutions on this machine for their time limits "
              f"(once; cached in {cache.path})", file=sys.stderr, flush=True)
        known.update(_measure(todo, run, floor, factor, info["cores"]))
        cache.save({key: known[key] for key in todo})
    return [known[key] for key in keys], {"machine": info, "cache": str(cache.path), "measured_now": len(todo)}


def _measure(todo: dict[str, tuple[str, str]], run: Callable[[str, str], Timed], floor: float, factor: float,
             workers: int) -> dict[str, Measurement]:
    runs: dict[str, list[Timed]] = {key: [] for key in todo}
    pending = list(todo)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for repeat in range(REPEATS):
            for key, timed in zip(pending, pool.map(lambda key: run(*todo[key]), pending)):
                runs[key].append(timed)
            # Repeat only passing references whose limit the factor decides.
            pending = [key for key in pending
                       if runs[key][0].verdict.correct and factor * runs[key][0].seconds >= floor / 2]
    measured = {}
    for key, timed in runs.items():
        reason = next((t.verdict.reason for t in timed if not t.verdict.correct), timed[0].verdict.reason)
        measured[key] = Measurement(round(max(t.seconds for t in timed), 3), len(timed), reason)
    return measured
