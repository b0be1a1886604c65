"""`thinkbench leaderboard`: entries ranked at matched compute, mixed problem sets and differing
settings flagged instead of mixed."""
import csv
import io
import re

import pytest
from run_folders import answering, fake_run

from thinkbench.harness.cli import main
from thinkbench.reports import leaderboard


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    strong = answering(4, lambda prompt, i: i % 2 == 0)
    return {
        "strong": fake_run(root, "strong", strategies=[{"name": "sample", "n": 4}], engine=strong),
        "weak": fake_run(root, "weak", strategies=[{"name": "sample", "n": 4}, {"name": "greedy"}]),
        "hot": fake_run(root, "hot", strategies=[{"name": "sample", "n": 4, "temperature": 1.2}]),
        "more": fake_run(root, "more", per_level=5, strategies=[{"name": "sample", "n": 4}]),
    }


def test_entries_are_ranked_per_budget_with_intervals(runs):
    board = leaderboard.build([runs["strong"], runs["weak"]], None)
    frame = board.frame
    assert set(frame["run"]) == {"strong", "weak"} and (frame["measure"] == "flops").all()
    assert (frame["low"] <= frame["value"]).all() and (frame["value"] <= frame["high"]).all()
    assert (frame["compute"] <= frame["budget"]).all()
    for _, column in frame.groupby("budget"):
        assert column.sort_values("rank")["value"].is_monotonic_decreasing
    top = frame[frame["budget"] == frame["budget"].max()].sort_values("rank").iloc[0]
    assert top["run"] == "strong" and top["rank"] == 1
    assert not frame["point"].str.startswith("pass@").any()  # coverage is not something a system reaches


def test_different_problem_sets_are_flagged_and_ranked_apart(runs):
    board = leaderboard.build([runs["strong"], runs["more"]], None)
    assert any("2 different problem sets" in n and "more" in n for n in board.notes)
    sets = board.frame.groupby("problem_set")["run"].agg(set).tolist()
    assert sorted(map(sorted, sets)) == [["more"], ["strong"]]


def test_runs_whose_strategy_settings_differ_are_flagged(runs):
    board = leaderboard.build([runs["strong"], runs["hot"]], None)
    assert any("temperature" in n for n in board.notes)
    assert board.frame["flags"].str.contains("temperature").all()
    same = leaderboard.build([runs["strong"], runs["weak"]], None)
    assert same.notes == [] and (same.frame["flags"] == "").all()


def test_cli_writes_html_with_working_report_links_and_prints_md_and_csv(runs, tmp_path, capsys):
    out = tmp_path / "site" / "leaderboard.html"
    dirs = [str(runs["strong"]), str(runs["more"])]
    assert main(["leaderboard", *dirs, "-o", str(out)]) == 0
    html = out.read_text()
    assert "different problem sets" in html
    linked = {(out.parent / href).resolve() for href in re.findall(r'href="([^"]+)"', html)}
    assert linked == {(runs[name] / "report.html").resolve() for name in ("strong", "more")}
    assert all(path.exists() for path in linked)
    capsys.readouterr()
    assert main(["leaderboard", *dirs, "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# thinkbench leaderboard") and "| model | strategy | run |" in md and "**flag**" in md
    assert main(["leaderboard", *dirs, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and set(rows[0]) == set(leaderboard.COLUMNS)
