"""One real vLLM engine (the embedded model) for the whole test session, one `vllm serve`, one small
run folder that several tests read, and the suite's compute budget.

The budget keeps `make test` (and so CI) within its time on the slow machine kind (2 cores, AVX2
only), where an in-process engine starts in about 25-60 s and generates 10-70 tokens/s. Every
engine start and every generated token of the session is counted, in this process and in the
processes the tests start (`thinkbench run`, Ray's workers: they inherit the ledger's variable;
a `vllm serve` is counted where the tests start it, its tokens where they come back). The counts
are printed at the end, and the session fails when they exceed the budget.
"""
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from workloads import ENGINE_SETTINGS, SMALL_RUN

from thinkbench.harness.engine import ledger
from thinkbench.harness.models import resolve_model


@dataclass(frozen=True)
class Budget:
    # Engine starts by kind, each with what it costs on the slow machine and why it is needed.
    starts: dict[str, int]
    generated_tokens: int


BUDGET = Budget(
    starts={
        # The session engine; the `thinkbench run` that is stopped with SIGTERM (vLLM's multiprocess
        # layout, as on a GPU, about 60 s); the engine inside the Ray actor (about 60 s with Ray).
        "vllm": 3,
        # `vllm serve` (about 60 s), and its restart in the test of a run that outlives its server.
        "vllm-serve": 2,
        # The two tiny reward models (2 layers, width 64; no other engine can host them), each in
        # processes of its own beside the in-process session engine: about 40 s each.
        "pooling": 2,
    },
    # About 2-3 minutes of generation here at the small batches tests use; the suite needs about
    # half of it, the rest is headroom for new tests.
    generated_tokens=15_000,
)


def pytest_configure(config):
    if ledger.VARIABLE not in os.environ:
        handle, path = tempfile.mkstemp(prefix="thinkbench-ledger-", suffix=".jsonl")
        os.close(handle)
        os.environ[ledger.VARIABLE] = path


def _usage() -> tuple[dict[str, int], int, float]:
    events = ledger.read(Path(os.environ[ledger.VARIABLE]))
    starts: dict[str, int] = {}
    for e in events:
        if e["event"] == "start":
            starts[e["kind"]] = starts.get(e["kind"], 0) + 1
    tokens = sum(e["tokens"] for e in events if e["event"] == "tokens")
    seconds = sum(e.get("seconds", 0) for e in events if e["event"] in ("start", "ready"))
    return starts, tokens, seconds


def _over_budget() -> list[str]:
    starts, tokens, _ = _usage()
    over = [f"{kind}: {n} engine starts (budget {BUDGET.starts.get(kind, 0)})"
            for kind, n in starts.items() if n > BUDGET.starts.get(kind, 0)]
    if tokens > BUDGET.generated_tokens:
        over.append(f"{tokens} generated tokens (budget {BUDGET.generated_tokens})")
    return over


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    if _over_budget() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    starts, tokens, seconds = _usage()
    listed = ", ".join(f"{kind} {n}/{BUDGET.starts.get(kind, 0)}" for kind, n in sorted(starts.items())) or "none"
    terminalreporter.write_line(f"engine budget: starts {listed} ({seconds:.0f} s starting); "
                                f"generated tokens {tokens}/{BUDGET.generated_tokens}")
    for line in _over_budget():
        terminalreporter.write_line(f"OVER BUDGET: {line}", red=True)


@pytest.fixture(scope="session")
def model_dir() -> str:
    return resolve_model(None)


@pytest.fixture(scope="session")
def engine(model_dir):
    from thinkbench.harness.engine import build_engine

    eng = build_engine("vllm", model_dir, ENGINE_SETTINGS, seed=0)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def vllm_server(model_dir, tmp_path_factory):
    """One `vllm serve` on loopback for the whole session; tests may kill and restart it."""
    from vllm_server import VLLMServer

    server = VLLMServer(model_dir, tmp_path_factory.mktemp("vllm-serve"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def small_run(engine, tmp_path_factory):
    """The folder of a small run (SMALL_RUN) on the session engine, for tests that only read one."""
    from thinkbench.harness.config import make_run_config
    from thinkbench.harness.runner import run
    from thinkbench.reports.run_files import write_run_files

    out = tmp_path_factory.mktemp("small-run")
    outcome = run(make_run_config({**SMALL_RUN, "out": str(out)}, "test"), None, out, engine=engine)
    write_run_files(outcome)
    return outcome, out
