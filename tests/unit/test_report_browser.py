"""The report and the leaderboard in a real browser (headless Chromium, network cut off): charts
drawn, series toggled, problems opened. Screenshots land in the test's tmp folder."""
from report_browser import chromium_or_skip, exercise_leaderboard, exercise_report
from run_folders import fake_run

from thinkbench.harness.cli import main


def test_the_report_works_offline_in_chromium(tmp_path):
    chromium_or_skip()
    run_dir = fake_run(tmp_path, "run")  # sample n=8 and greedy: 9 samples per problem
    assert main(["report", str(run_dir)]) == 0
    exercise_report(run_dir / "report.html", tmp_path / "screenshots", samples_in_first_problem=9)


def test_the_leaderboard_works_offline_in_chromium(tmp_path):
    chromium_or_skip()
    runs = [fake_run(tmp_path, name, strategies=[{"name": "sample", "n": n}]) for name, n in (("a", 4), ("b", 8))]
    out = tmp_path / "leaderboard.html"
    assert main(["leaderboard", *map(str, runs), "-o", str(out)]) == 0
    exercise_leaderboard(out, tmp_path / "screenshots")
