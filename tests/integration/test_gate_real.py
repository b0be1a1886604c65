"""The gate and the breakdowns cover a search and a thinking strategy on the real engine: two runs of
one tiny config with different seeds, every point compared problem by problem, none skipped."""
import sqlite3

import pytest

from thinkbench.harness.config import make_run_config
from thinkbench.reports.run_files import write_run_files
from thinkbench.harness.runner import run
from thinkbench.reports.gate import GateSettings, gate, load_side
from thinkbench.reports.html import render_report
from thinkbench.reports.run_folder import load_run

pytestmark = pytest.mark.integration

# The smallest config with a search and a thinking strategy: two problems, one DVTS subtree of two
# short steps, two thinking trajectories of 16 tokens read at two budgets.
STRATEGIES = [
    {"name": "dvts", "budgets": [2], "expansions": 2, "max_steps": 2, "step_tokens": 12, "max_tokens": 24,
     "scorer": {"name": "confidence"}},
    {"name": "thinking_budget", "budgets": [8, 16], "n": 2, "answer_tokens": 6},
]


def _run(engine, tmp_path, seed):
    out = tmp_path / f"seed{seed}"
    config = make_run_config({"name": f"seed{seed}", "out": str(out), "seed": seed, "reasoning": "prompted",
                              "tasks": [{"name": "arith", "options": {"levels": [1]}, "limit": 2}],
                              "strategies": STRATEGIES}, "test")
    write_run_files(run(config, None, out, engine=engine))
    with sqlite3.connect(out / "store.sqlite") as db:
        (generated,) = db.execute("SELECT total(generated_tokens) FROM completions WHERE strategy != 'dvts'").fetchone()
    return out, generated  # dvts's final candidates repeat tokens its calls (dvts:calls) generated


def test_the_gate_compares_every_point_of_a_search_and_a_thinking_strategy(engine, tmp_path):
    (baseline, spent_a), (candidate, spent_b) = _run(engine, tmp_path, 0), _run(engine, tmp_path, 1)
    assert spent_a + spent_b <= 500
    points = load_run(baseline).points
    assert set(points["strategy"]) == {"dvts", "thinking_budget"}
    rows = gate(load_side(baseline), load_side(candidate), GateSettings())
    assert len(rows) == len(points) and all(r.comparison is not None for r in rows)
    assert {r.key[1] for r in rows} == {"dvts", "thinking_budget"}
    breakdown = render_report(candidate).split('class="breakdown"', 1)[1].split("</table>", 1)[0]
    assert "dvts · " in breakdown and "thinking_budget · " in breakdown
