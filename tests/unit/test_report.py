"""`thinkbench report`: one self-contained page from a run folder, built the same way for any
family of metric points."""
import base64
import json
import re
import sqlite3
import zlib

import pytest
from run_folders import answering, fake_run

from thinkbench.harness.cli import main
from thinkbench.reports.charts import compute_chart, scaling_charts
from thinkbench.reports.html import render_report
from thinkbench.reports.run_folder import load_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return fake_run(tmp_path_factory.mktemp("report"), "run")


def _script(html: str, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_the_report_command_writes_one_page_that_needs_no_network(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text()
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert len(re.findall(r'<tr class="problem"', html)) == 12


def _sample_file(path):
    """The arguments a sample file passes to the page: its own path, the problem, the texts."""
    match = re.fullmatch(r'thinkbenchSamples\("([^"]+)","([^"]+)",\[(.*)\]\);\n', path.read_text(), re.S)
    texts = [zlib.decompress(base64.b64decode(t)).decode() for t in re.findall(r'"([^"]*)"', match.group(3))]
    return match.group(1), json.loads(zlib.decompress(base64.b64decode(match.group(2)))), texts


def test_each_problem_row_loads_its_prompt_gold_and_every_sample_from_a_side_file(run_dir):
    main(["report", str(run_dir)])
    html = (run_dir / "report.html").read_text()
    files = re.findall(r'<tr class="problem" data-pid="([^"]+)"[^>]* data-file="([^"]+)"', html)
    assert len(files) == 12 and all((run_dir / f).is_file() for _, f in files)
    assert "Let me think" not in html  # the samples stay out of the page
    file = dict(files)["L1-0"]
    own, problem, texts = _sample_file(run_dir / file)
    assert own == file
    samples = [dict(zip(problem["fields"], s)) for s in problem["samples"]]
    assert sorted((s["strategy"], s["sample"]) for s in samples) == sorted(
        [("sample", i) for i in range(8)] + [("greedy", 0)])
    assert all(s["correct"] in (0, 1) and s["tokens"] > 0 for s in samples)
    assert len(texts) == len(samples) and all("\\boxed" in t for t in texts)
    assert problem["gold"] and "What is" in problem["prompts"][0][0][1]


def test_every_point_of_the_run_folder_carries_its_per_problem_values(run_dir):
    run = load_run(run_dir)
    assert run.without_values() is None
    for _, point in run.points.iterrows():
        assert len(point["per_problem"]) == 12
        assert sum(point["per_problem"].values()) / 12 == pytest.approx(point["value"], abs=1e-12)


def test_charts_draw_every_series_and_the_frontier_leaves_out_oracles(run_dir):
    points = load_run(run_dir).points
    (chart,) = scaling_charts(points)
    assert chart["xlog"] and {s["name"] for s in chart["series"]} == {
        "sample · pass@k", "sample · maj@k", "greedy · accuracy"}
    compute = compute_chart(points)
    assert [v["label"] for v in compute["variants"]] == [
        "generated tokens per problem", "prompt + generated tokens per problem", "FLOPs per problem"]
    for variant in compute["variants"]:
        frontier = variant["frontier"]
        assert frontier and not any("pass@" in p["tip"] for p in frontier)
        assert [p["y"] for p in frontier] == sorted(p["y"] for p in frontier)
        assert [p["x"] for p in frontier] == sorted(p["x"] for p in frontier)


def _add_budget_family(run_dir):
    """A strategy that reports on a `budget` axis, as thinking-budget sweeps will: one family with
    per-problem values and one without."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    ids = [f"L{level}-{i}" for level in (1, 2, 3) for i in range(4)]
    compute = {"prompt_tokens": 20.0, "cached_prompt_tokens": 0.0, "flops": None, "cost": None}
    points = []
    for j, budget in enumerate((128, 256, 512)):
        per_problem = {pid: float((i + j) % 3 == 0) for i, pid in enumerate(ids)}
        value = sum(per_problem.values()) / len(ids)
        points.append({"metric": "accuracy", "budget": budget, "value": value, "low": value / 2, "high": value,
                       "exact": True, "compute": {**compute, "generated_tokens": budget * 0.9},
                       "per_problem": per_problem})
        points.append({"metric": "judge", "budget": budget, "value": 0.3, "low": 0.2, "high": 0.4,
                       "compute": {**compute, "generated_tokens": budget * 1.1}})
    metrics["results"].append({**metrics["results"][0], "strategy": "think", "points": points})
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    values = json.loads((run_dir / "per_problem.json").read_text())
    values["results"].append({"task": "arith", "strategy": "think", "problems": [],
                              "points": [{"metric": p["metric"], "k": None, "values": []} for p in points]})
    (run_dir / "per_problem.json").write_text(json.dumps(values))


def test_a_new_family_on_a_budget_axis_plots_and_breaks_down_without_changes(tmp_path):
    run_dir = fake_run(tmp_path, "run")
    _add_budget_family(run_dir)
    html = render_report(run_dir)
    charts = [_script(html, f"chart-0-{i}") for i in range(2)]
    budget_chart = next(c for c in charts if c["xlabel"] == "budget")
    assert {s["name"]: len(s["points"]) for s in budget_chart["series"]} == {"think · accuracy": 3, "think · judge": 3}
    compute = _script(html, "compute-0")
    assert "think · judge" in {s["name"] for s in compute["variants"][0]["series"]}
    # Per-problem values make a family part of the breakdowns; without them it is charted only, and said so.
    assert "think · accuracy (budget=128)" in html and "think · accuracy (budget=512)" in html
    assert "think · judge (budget=" not in html
    assert "left out of the breakdowns" in html and "thinkbench rescore" in html


def test_a_folder_without_metrics_is_bad_input_named_in_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "metrics.json" in err


def test_a_malformed_point_is_named_by_its_field(run_dir, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    del metrics["results"][0]["points"][1]["value"]
    (broken / "metrics.json").write_text(json.dumps(metrics))
    assert main(["report", str(broken)]) == 2
    assert "results[0].points[1].value" in capsys.readouterr().err


def test_a_folder_reused_for_a_smaller_run_is_shown_with_a_warning_and_reports_the_last_run(tmp_path):
    engine = answering(4, lambda prompt, i: len(prompt) % 3 == i % 2)  # pass rates vary by problem
    run_dir = fake_run(tmp_path, "run", per_level=4, engine=engine)
    fake_run(tmp_path, "run", per_level=2)  # same folder: the store keeps the first run's samples
    html = render_report(run_dir)
    assert "metrics.json counts 6" in html
    # The breakdowns read the values the last run wrote, not the store's samples.
    assert "left out of the breakdowns" not in html
    assert all(len(v) == 6 for v in load_run(run_dir).points["per_problem"])


def test_a_run_folder_of_0_1_0_loads_and_says_how_to_rescore_it(run_dir, tmp_path, capsys):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("metrics.json", "config.yaml", "store.sqlite"):
        (old / name).write_bytes((run_dir / name).read_bytes())
    with sqlite3.connect(old / "store.sqlite") as db:  # 0.1.0 stores had no vote groups
        db.execute("UPDATE completions SET vote = NULL")
    assert "thinkbench rescore" in load_run(old).without_values()
    assert main(["gate", "--baseline", str(old), "--candidate", str(old)]) == 2
    assert f"thinkbench rescore {old}" in capsys.readouterr().err
    assert main(["rescore", str(old)]) == 0
    assert load_run(old).without_values() is None
    assert main(["gate", "--baseline", str(run_dir), "--candidate", str(old), "--max-drop", "0"]) == 0
    assert load_run(old).points["value"].tolist() == load_run(run_dir).points["value"].tolist()
