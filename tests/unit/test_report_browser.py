"""The report and the leaderboard in a real browser (headless Chromium, network cut off): charts
drawn, series toggled, problems opened. Screenshots land in the test's tmp folder."""
from report_browser import chromium_or_skip, exercise_leaderboard, exercise_report, open_largest_problem
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


def test_a_long_trace_report_shows_a_sample_of_its_largest_problem_whole_with_its_verdict(tmp_path):
    chromium_or_skip()
    from bench.long_traces import TraceWriter

    from thinkbench.harness.store import Store
    from thinkbench.reports.bench import synthetic_run

    run_dir = synthetic_run(tmp_path / "long", problems=6, samples=4, sample=TraceWriter(mean_tokens=8000).sample)
    assert main(["report", str(run_dir)]) == 0
    shown = open_largest_problem(run_dir / "report.html", tmp_path / "screenshots")

    store = Store(run_dir / "store.sqlite")
    rows = store.completions("math500", "sample")
    store.close()
    tokens = {pid: sum(r.generated_tokens for r in rows if r.problem_id == pid) for pid in {r.problem_id for r in rows}}
    assert shown["problem_id"] == max(tokens, key=tokens.get)
    longest = next(r for r in rows if r.problem_id == shown["problem_id"] and r.sample == shown["sample"])
    assert longest.generated_tokens == max(r.generated_tokens for r in rows if r.problem_id == shown["problem_id"])
    assert len(longest.text) > 20_000 and shown["text"] == longest.text
    assert ("\u2713 correct" if longest.correct else "\u2717 wrong") in shown["verdict"]
    if longest.extracted is None:
        assert "reason: no answer" in shown["verdict"] and shown["marked"] == []
    else:
        assert shown["marked"] == [f"\\boxed{{{longest.extracted}}}"]
