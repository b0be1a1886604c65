"""Truncation as an outcome of its own and thinking-length analytics, on constructed pools: the pure
functions, and the figures in metrics.json, summary.txt and the report."""
import json

from fakes import FakeEngine
from run_folders import arith_golds, fake_run

from thinkbench.harness.metrics.lengths import BudgetTrace, first_correct, length_stats, overthinking, \
    SampleLength, text_split
from thinkbench.harness.metrics.outcomes import cut_warning, no_answer_reason, outcome_groups, outcome_stats, \
    verdict_category
from thinkbench.harness.types import CompletionRow

PER_LEVEL = 2
MAX_TOKENS = 60


def _row(text="", extracted=None, correct=False, reason="", finish="stop", tokens=10):
    return CompletionRow("k", 0, "t", "s", "p", "h", text, tokens, finish, extracted, correct, reason, 5, 0)


def test_no_answer_reasons_are_told_apart_in_order():
    assert no_answer_reason(_row("<think>long", finish="length")) == "cut off"
    assert no_answer_reason(_row("<think>went quiet")) == "thinking never closed"
    assert no_answer_reason(_row("<think>x</think> So \\boxed{")) == "extraction failed"
    assert no_answer_reason(_row("<think>x</think> I do not know.")) == "no final answer"
    assert no_answer_reason(_row("\\boxed{4}", extracted="4")) is None


def test_verdict_categories_are_the_reason_up_to_its_first_colon():
    assert verdict_category(_row(reason="failed: test 2 of 3: assert f(1) == 2")) == "failed"
    assert verdict_category(_row(reason="runtime error: ZeroDivisionError")) == "runtime error"
    assert verdict_category(_row(reason="passed", correct=True)) == "passed"
    assert verdict_category(_row(reason="", correct=True)) == "correct"
    assert verdict_category(_row(reason="", correct=False)) == "wrong"
    assert verdict_category(_row(correct=None)) == "ungraded"


def test_outcomes_count_cut_samples_apart():
    rows = [_row("a \\boxed{1}", "1", True), _row("b \\boxed{2}", "2", False),
            _row("c \\boxed{1}", "1", True, finish="length", tokens=64),
            _row("<think>d", None, False, "no answer", finish="length", tokens=64)]
    o = outcome_stats(rows)
    assert (o.samples, o.cut, o.cut_share, o.max_tokens) == (4, 2, 0.5, 64)
    assert (o.accuracy_finished, o.accuracy_cut) == (0.5, 0.5)
    assert o.no_answer == {"cut off": 1, "thinking never closed": 0, "extraction failed": 0, "no final answer": 0}
    assert o.verdicts == {"correct": 2, "wrong": 1, "no answer": 1}
    assert cut_warning(o.__dict__) == "50% of samples hit max_tokens=64: accuracy is bounded by the budget"
    assert cut_warning(outcome_stats(rows[:2]).__dict__) is None
    unknown = outcome_stats([_row("x", finish="length", tokens=0)])  # `score` rows count no tokens
    assert unknown.max_tokens is None
    assert cut_warning(unknown.__dict__) == "100% of samples hit their token limit: accuracy is bounded by the budget"


def test_points_with_the_same_samples_share_one_group():
    same = {"samples": 4}
    assert outcome_groups([{"metric": "pass@k", "k": 1, "outcomes": same},
                           {"metric": "maj@k", "k": 4, "outcomes": same}]) == [("", same)]
    other = {"samples": 5}
    assert outcome_groups([{"metric": "budget:pass@1", "k": 32, "outcomes": same},
                           {"metric": "budget:maj@2", "k": 32, "outcomes": same},
                           {"metric": "budget:pass@1", "k": 64, "outcomes": other}]) == [
        ("budget=32", same), ("budget=64", other)]


def test_lengths_split_at_the_end_of_thinking_in_proportion_to_characters():
    assert text_split(_row("<think>" + "x" * 25 + "</think>" + "y" * 20, tokens=30)) == SampleLength(20, 10, False)
    assert text_split(_row("<think>never closed", tokens=7)) == SampleLength(7, 0, False)
    assert text_split(_row("plain answer", tokens=3, correct=True)) == SampleLength(0, 3, True)
    stats = length_stats([SampleLength(t, 4, t < 300) for t in (100, 200, 300, 400, 1000)], exact=True)
    assert stats["thinking"]["correct"] == {"count": 2, "mean": 150.0, "p10": 100, "p50": 100, "p90": 200,
                                            "max": 200, "histogram": [[128, 1], [256, 1]]}
    assert stats["thinking"]["wrong"]["histogram"] == [[512, 2], [1024, 1]]
    assert stats["answer"]["wrong"]["p50"] == 4 and stats["exact"]


def test_overthinking_is_the_thinking_after_the_first_right_forced_answer():
    budgets = [10, 20, 50]
    assert first_correct(BudgetTrace("p", [False, True, True], 50), budgets) == (20, 30)
    assert first_correct(BudgetTrace("p", [True, False, True], 8), budgets) == (10, 0)  # ended within it
    assert first_correct(BudgetTrace("p", [False, False, False], 50), budgets) == (None, 0)
    o = overthinking([BudgetTrace("p", [False, True, True], 50), BudgetTrace("p", [False] * 3, 50),
                      BudgetTrace("q", [True] * 3, 30)], budgets)
    assert (o["samples"], o["solved"], o["first_correct"]) == (3, 2, [[10, 1], [20, 1], [50, 0]])
    assert o["share_after"] == (30 + 20) / 130
    assert o["per_sample"] == {"p": [[20, 30], [None, 0]], "q": [[10, 20]]}


def _mixed_endings() -> FakeEngine:
    """Per problem, sample i: 0 thinks past max_tokens, 1 answers right, 2 answers wrong, 3 gives no
    answer, 4 never closes its thinking, 5 leaves its box open, 6 and 7 answer right after longer thinking."""
    golds = arith_golds(PER_LEVEL)

    def script(request, i):
        gold = golds[request.messages[-1][1]]
        return ["<think>" + "hmm " * 40,
                f"<think>ok</think> The answer is \\boxed{{{gold}}}.",
                f"<think>ok</think> The answer is \\boxed{{{int(gold) + 1}}}.",
                "<think>ok</think> I give up.",
                "<think>short and unclosed",
                "<think>ok</think> So \\boxed{",
                f"<think>{'long ' * 6}</think> \\boxed{{{gold}}}",
                f"<think>{'longer ' * 4}</think> \\boxed{{{gold}}}"][i % 8]

    return FakeEngine(script=script)


def test_a_run_without_thinking_describes_its_answers_only():
    from thinkbench.reports.describe import describe_lengths

    plain = describe_lengths(length_stats([SampleLength(0, n, n < 40) for n in (20, 30, 50)], exact=False))
    assert plain.startswith("answer correct 20 [20, 30]; answer wrong 50 [50, 50]") and "thinking" not in plain
    thinking = describe_lengths(length_stats([SampleLength(100, 4, True)], exact=True))
    assert thinking.startswith("thinking correct 100 [100, 100]; answer correct 4")


def test_truncation_and_lengths_reach_metrics_summary_and_report(tmp_path):
    from thinkbench.harness.cli import main

    run_dir = fake_run(tmp_path, "run", per_level=PER_LEVEL, engine=_mixed_endings(),
                       strategies=[{"name": "sample", "n": 8, "max_tokens": MAX_TOKENS}])
    (result,) = json.loads((run_dir / "metrics.json").read_text())["results"]
    problems = 3 * PER_LEVEL
    for point in result["points"]:
        o = point["outcomes"]
        assert (o["samples"], o["cut"], o["max_tokens"]) == (8 * problems, problems, MAX_TOKENS)
        assert o["cut_share"] == 1 / 8 and o["accuracy_cut"] == 0.0 and o["accuracy_finished"] == 3 / 7
        assert o["no_answer"] == {"cut off": problems, "thinking never closed": problems,
                                  "extraction failed": problems, "no final answer": problems}
        assert o["verdicts"] == {"no answer": 4 * problems, "correct": 3 * problems, "wrong": problems}
    lengths = result["lengths"]
    assert lengths["exact"] is False and lengths["samples"] == 8 * problems
    assert lengths["thinking"]["correct"]["count"] == 3 * problems
    assert lengths["answer"]["wrong"]["count"] == 5 * problems

    summary = (run_dir / "summary.txt").read_text()
    assert f"arith/sample: {8 * problems} samples, 12.5% cut at max_tokens={MAX_TOKENS}" in summary
    assert f"warning: arith/sample: 12% of samples hit max_tokens={MAX_TOKENS}: accuracy is bounded by the budget" \
        in summary
    assert "arith/sample: thinking correct" in summary

    assert main(["report", str(run_dir)]) == 0
    html = (run_dir / "report.html").read_text()
    assert f"12% of samples hit max_tokens={MAX_TOKENS}: accuracy is bounded by the budget" in html
    assert "thinking never closed" in html and "extraction failed" in html
    assert 'id="lengths-0"' in html


def test_a_thinking_budget_sweep_reports_overthinking(tmp_path):
    from test_thinking_strategies import CLOSE, _run, _script

    golds = arith_golds(1)  # level 1's problem among them; the answer is right once 20 tokens were thought

    def answer(request):
        thought = request.prompt.rsplit(CLOSE, 1)[0].rsplit("<think>", 1)[-1].strip("\n")
        gold = next(g for p, g in golds.items() if p in request.prompt)
        return f"{gold if len(thought) >= 20 else 'x'}}}"

    result = _run(tmp_path, {"name": "thinking_budget", "budgets": [10, 20, 50], "n": 2},
                  FakeEngine(script=_script("abcdefghij" * 20, answer)))
    over = result.lengths["overthinking"]
    assert (over["samples"], over["solved"], over["first_correct"]) == (2, 2, [[10, 0], [20, 2], [50, 0]])
    assert over["share_after"] == 60 / 100  # 50 thought, right from 20 on: 30 of 50 after, per sample
    assert result.lengths["exact"] and result.lengths["thinking"]["correct"]["p50"] == 50
