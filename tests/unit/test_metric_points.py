"""Every strategy's metric points keep their per-problem values, so the gate and the breakdowns cover
every strategy: runs of each registered strategy and of configs/search.yaml and configs/thinking.yaml
on fake engines."""
import hashlib
from pathlib import Path

import pytest
from fakes import FakeEngine
from search_fakes import StepEngine

from thinkbench.harness.config import load_run_config, make_run_config
from thinkbench.reports.run_files import write_run_files
from thinkbench.harness.runner import run
from thinkbench.harness.strategies import strategy_names
from thinkbench.harness.task import load_task
from thinkbench.reports.gate import GateSettings, gate, load_side
from thinkbench.reports.html import render_report
from thinkbench.reports.run_folder import load_run

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
CUE = "The final answer is \\boxed{"


def _digit(*parts) -> int:
    return hashlib.sha256("/".join(map(str, parts)).encode()).digest()[0] % 4


def thinking_engine() -> FakeEngine:
    """Thinking of a length that varies with the request's seed and the sample, and an answer that is
    right about half the time (the gold of the arith question in the prompt, else a wrong number)."""
    golds = {p.prompt: p.gold for p in load_task("arith").with_options({"levels": [1, 2, 3], "per_level": 4})
             .problems(None)}

    def reply(request, i):
        seed = request.sampling.seed
        if request.prompt.endswith(CUE):
            gold = next((g for q, g in golds.items() if q in request.prompt), "0")
            return f"{gold if _digit(request.prompt[-300:], i) < 2 else int(gold) + 1}}}"
        return "hmm " * (4 + 6 * _digit(seed, i)) + ("</think>" if _digit(seed, i, "end") else "")
    return FakeEngine(script=reply)


# Each registered strategy with an engine that can play it, at the smallest size that exercises it.
STRATEGIES = {
    "greedy": ({"name": "greedy"}, FakeEngine),
    "sample": ({"name": "sample", "n": 4}, FakeEngine),
    "best_of_n": ({"name": "best_of_n", "n": 4, "scorer": {"name": "scripted"}}, StepEngine),
    "weighted_best_of_n": ({"name": "weighted_best_of_n", "n": 4, "scorer": {"name": "scripted"}}, StepEngine),
    "beam_search": ({"name": "beam_search", "budgets": [2, 4], "scorer": {"name": "scripted"}}, StepEngine),
    "dvts": ({"name": "dvts", "budgets": [2, 4], "scorer": {"name": "scripted"}}, StepEngine),
    "mcts": ({"name": "mcts", "budgets": [2, 4], "select": "vote", "scorer": {"name": "scripted"}}, StepEngine),
    "thinking_budget": ({"name": "thinking_budget", "budgets": [8, 32], "n": 4}, thinking_engine),
    "budget_forcing": ({"name": "budget_forcing", "max_thinking_tokens": 40, "max_waits": 1, "n": 2},
                       thinking_engine),
    "self_refine": ({"name": "self_refine", "rounds": 1, "thinking_tokens": 24, "n": 2, "vote_over_rounds": True},
                    thinking_engine),
}


def _model(tmp_path: Path) -> str:
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text("{}")
    return str(model)


def test_the_table_above_covers_every_registered_strategy():
    assert set(STRATEGIES) == set(strategy_names())


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_point_of_every_strategy_has_per_problem_values_averaging_to_its_value(tmp_path, name):
    strategy, engine = STRATEGIES[name]
    config = make_run_config({"name": name, "model": _model(tmp_path), "reasoning": "prompted",
                              "tasks": [{"name": "arith", "options": {"levels": [1, 2], "per_level": 3}}],
                              "strategies": [strategy]}, "test")
    (result,) = run(config, None, tmp_path / "run", engine=engine()).results
    assert result.points
    for point in result.points:
        assert set(point.per_problem) == {f"L{level}-{i}" for level in (1, 2) for i in range(3)}, point.metric
        assert sum(point.per_problem.values()) / 6 == pytest.approx(point.value, abs=1e-12), point.metric


def _config_run(tmp_path: Path, config_name: str, seed: int, engine) -> Path:
    out = tmp_path / f"{config_name}-{seed}"
    data = load_run_config(CONFIGS / f"{config_name}.yaml")
    config = make_run_config({**data, "model": _model(tmp_path), "seed": seed, "out": str(out)}, config_name)
    write_run_files(run(config, None, out, engine=engine))
    return out


@pytest.mark.parametrize("config_name, engine", [("search", StepEngine), ("thinking", thinking_engine)])
def test_the_gate_compares_every_point_of_two_seeds_of_a_config_and_the_report_breaks_every_strategy_down(
        tmp_path, config_name, engine):
    baseline = _config_run(tmp_path, config_name, 0, engine())
    candidate = _config_run(tmp_path, config_name, 1, engine())
    points = load_run(baseline).points
    rows = gate(load_side(baseline), load_side(candidate), GateSettings())
    assert len(rows) == len(points) and all(r.comparison is not None and r.status != "skipped" for r in rows)
    assert 0 < points["value"].mean() < 1  # the runs answer some problems right and some wrong
    html = render_report(candidate)
    strategies = set(points["strategy"])
    assert len(strategies) == len(load_run(baseline).config["strategies"])
    for strategy in strategies:  # each strategy is a column of the difficulty-bin table
        assert f"{strategy} · " in html.split('class="breakdown"', 1)[1].split("</table>", 1)[0]
