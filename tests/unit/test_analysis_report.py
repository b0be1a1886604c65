"""The analysis in the report, in `thinkbench analyze` across run folders, and on the leaderboard."""
import json
import re
import zlib

import pytest
from run_folders import answering, fake_run

from thinkbench.harness.cli import main
from thinkbench.reports import leaderboard
from thinkbench.reports.html import render_report


def _skill(prompt: str, i: int) -> bool:
    """Problem-dependent success rates, so difficulty varies: sample i of a problem is right when a hash
    of (prompt, i) falls under the problem's own rate."""
    rate = zlib.crc32(prompt.encode()) % 100 / 100
    return zlib.crc32(f"{prompt}/{i}".encode()) % 100 / 100 < rate


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("analysis")
    return {
        "a": fake_run(root, "a", strategies=[{"name": "sample", "n": 8}, {"name": "greedy"}],
                      engine=answering(4, _skill)),
        "b": fake_run(root, "b", strategies=[{"name": "sample", "n": 4, "temperature": 1.0}],
                      engine=answering(4, _skill)),
        "other": fake_run(root, "other", per_level=5, strategies=[{"name": "greedy"}]),
    }


def _script(html: str, element_id: str):
    return json.loads(re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)[1])


def test_the_report_shows_the_policy_the_coverage_fit_and_adaptive_sampling(runs):
    html = render_report(runs["a"])
    for heading in ("Compute-optimal policy per difficulty", "Coverage scaling law", "Adaptive sampling"):
        assert heading in html
    assert "The compute-optimal policy " in html and "cross-fitting" in html
    assert re.search(r"n = 8: 0\.\d{3} \[", html)  # the held-out prediction of pass@8 from k <= 2
    (by_k,) = _script(html, "chart-0-0")["series"][-1:]
    assert by_k["name"] == "sample · pass@k fit" and by_k["style"] == "fit"
    tokens = _script(html, "compute-0")["variants"][0]
    names = [s["name"] for s in tokens["series"]]
    assert {"compute-optimal policy (cross-fitted)", "sample · stop at m votes",
            "sample · Adaptive-Consistency"} <= set(names)
    policy = tokens["series"][names.index("compute-optimal policy (cross-fitted)")]
    assert policy["style"] == "policy" and all(p["lo"] <= p["y"] <= p["hi"] for p in policy["points"])


def test_analyze_across_runs_writes_the_section_and_every_number(runs, tmp_path, capsys):
    out = tmp_path / "both"
    assert main(["analyze", str(runs["a"]), str(runs["b"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / "analysis.html"), str(out / "analysis.json")]
    data = json.loads((out / "analysis.json").read_text())
    arith = data["tasks"]["arith"]
    optimal = arith["compute_optimal"]
    # Both runs have `sample`: each keeps its run's name. Difficulty comes from the larger pool.
    assert arith["difficulty_pool"] == "a/sample" and arith["pools"] == ["a/sample", "b/sample"]
    assert {"a/sample · maj@4", "b/sample · maj@2", "greedy · accuracy"} <= set(optimal["settings"])
    for point in optimal["curve"]:
        values = list(point["values"].values())
        assert len(values) == 12 and point["accuracy"]["mean"] == pytest.approx(sum(values) / 12)
        assert len(point["choice"]) == len(optimal["bins"])
    assert set(arith["coverage"]) == {"a/sample", "b/sample"}
    assert arith["coverage"]["a/sample"]["held_out"]["fit_ks"] == [1, 2]
    html = (out / "analysis.html").read_text()
    assert "Compute-optimal policy per difficulty" in html and "a/sample" in html


def test_analyze_refuses_runs_on_different_problem_sets_in_one_line(runs, tmp_path, capsys):
    assert main(["analyze", str(runs["a"]), str(runs["other"]), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "different problem sets" in err and "arith" in err


def test_without_a_pool_the_report_says_why_there_is_no_policy(runs):
    assert "no compute-optimal policy: it needs a pool" in render_report(runs["other"])


def test_the_leaderboard_can_rank_each_models_compute_optimal_policy(runs):
    board = leaderboard.build([runs["a"], runs["b"]], None, compute_optimal=True)
    assert (board.frame["measure"] == "generated_tokens").all()
    rows = board.frame[board.frame["strategy"].str.startswith("compute-optimal policy")]
    assert set(rows["strategy"]) == {"compute-optimal policy (cross-fitted over a, b)"}
    assert (rows["compute"] <= rows["budget"]).all()
    assert "compute-optimal" not in " ".join(leaderboard.build([runs["a"]], None).frame["strategy"])
