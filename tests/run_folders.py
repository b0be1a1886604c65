"""Finished run folders made with the fake engine, for the report, leaderboard and gate tests."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from fakes import FakeEngine

from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.harness.task import load_task
from thinkbench.reports.run_files import write_run_files

LEVELS = [1, 2, 3]


def arith_golds(per_level: int) -> dict[str, str]:
    """Prompt -> gold of the arith problems a run with `per_level` asks."""
    task = load_task("arith").with_options({"levels": LEVELS, "per_level": per_level})
    return {p.prompt: p.gold for p in task.problems(None)}


def answering(per_level: int, right: Callable[[str, int], bool]) -> FakeEngine:
    """A fake engine whose sample i of a problem is right exactly when right(prompt, i)."""
    golds = arith_golds(per_level)

    def answer(request, i):
        prompt = request.messages[0][1]
        return golds[prompt] if right(prompt, i) else str(int(golds[prompt]) + 1)

    return FakeEngine(answer)


def fake_run(root: Path, name: str, *, per_level: int = 4, strategies: list[dict] | None = None,
             engine: FakeEngine | None = None, seed: int = 0) -> Path:
    """RUN_DIR with config, store, metrics.json and summary.txt, as `thinkbench run` leaves it."""
    model = root / "model"
    model.mkdir(parents=True, exist_ok=True)
    (model / "config.json").write_text("{}")
    out = root / name
    config = make_run_config({
        "name": name, "model": str(model), "out": str(out), "seed": seed,
        "tasks": [{"name": "arith", "options": {"levels": LEVELS, "per_level": per_level}}],
        "strategies": strategies or [{"name": "sample", "n": 8}, {"name": "greedy"}],
    }, "test")
    write_run_files(run(config, None, out, engine=engine or FakeEngine()))
    return out
