"""A run's terminal: thinkbench's lines stay on it while everything written to descriptors 1 and 2
(C++ code, Python warnings, child processes) goes to engine.log; the ledger of engine work; the
processes an engine leaves when its start fails."""
import subprocess
import sys
import time

import psutil
import pytest

from thinkbench.harness import processes
from thinkbench.harness.engine import ledger

NOISY = """
import os, subprocess, sys, warnings
from pathlib import Path
from thinkbench.harness import terminal

with terminal.engine_output_to(Path(sys.argv[1])):
    print("progress line", file=terminal.err(), flush=True)
    print("summary line", file=terminal.out(), flush=True)
    os.write(2, b"C++ warning\\n")
    warnings.warn("a Python warning")
    print("vllm INFO line", flush=True)
    subprocess.run([sys.executable, "-c", "import sys; print('from a child', file=sys.stderr)"])
print("after the engine", flush=True)
"""


def test_engine_output_goes_to_the_log_and_thinkbench_lines_to_the_terminal(tmp_path):
    log = tmp_path / "run" / "engine.log"
    done = subprocess.run([sys.executable, "-c", NOISY, str(log)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "progress line\n"
    assert done.stdout == "summary line\nafter the engine\n"
    text = log.read_text()
    for line in ("C++ warning", "a Python warning", "vllm INFO line", "from a child"):
        assert line in text


def test_the_ledger_appends_only_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "ledger.jsonl"
    monkeypatch.delenv(ledger.VARIABLE, raising=False)
    ledger.record("start", kind="vllm")
    assert ledger.read(path) == []
    monkeypatch.setenv(ledger.VARIABLE, str(path))
    ledger.record("start", kind="vllm", seconds=1.5)
    ledger.record("tokens", kind="vllm", tokens=12)
    assert [(e["event"], e.get("tokens")) for e in ledger.read(path)] == [("start", None), ("tokens", 12)]


def test_processes_started_by_a_failed_start_are_ended():
    with pytest.raises(KeyboardInterrupt):
        with processes.ended_on_failure() as started:
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            assert [p.pid for p in started()] == [child.pid]
            raise KeyboardInterrupt
    deadline = time.monotonic() + 10
    while child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert child.poll() is not None
    assert not psutil.pid_exists(child.pid) or psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE
