"""Extended test sets in EvalPlus's layout (HumanEval+, MBPP+), from a small file of our own: graded
with the task's own tests in one execution; a run and `score` report base and extended pass@k and
the gap, the share of base-passing samples that the extended tests reject."""
import json
from pathlib import Path

import pytest
from fakes import FakeEngine

from thinkbench.harness import sandbox
from thinkbench.harness.cli import main
from thinkbench.harness.config import make_run_config
from thinkbench.harness.errors import InputError
from thinkbench.harness.runner import run
from thinkbench.reports.run_files import summary_text
from thinkbench.verifiers.code import passed_base_tests
from thinkbench.verifiers.code_driver import compare
from thinkbench.verifiers.evalplus import HUMANEVAL_ORACLES, MBPP_ORACLES, read_extended_tests

needs_sandbox = pytest.mark.skipif(not sandbox.sandbox_available(), reason="needs bubblewrap (bwrap)")

# Two HumanEval problems in EvalPlus's layout. The references are our own; a solution must match
# their outputs. The last plus_input of each is where a solution that is right only on small or
# typical inputs goes wrong.
EXTENDED = [
    {"task_id": "HumanEval/0", "entry_point": "has_close_elements",
     "prompt": "def has_close_elements(numbers, threshold):\n",
     "canonical_solution": "    ordered = sorted(numbers)\n"
                           "    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))\n",
     "base_input": [[[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3]],
     "plus_input": [[[float(i) for i in range(60)] + [10.5], 0.6]], "atol": 0},
    {"task_id": "HumanEval/2", "entry_point": "truncate_number", "prompt": "def truncate_number(number):\n",
     "canonical_solution": "    return number % 1.0\n", "base_input": [[3.5]], "plus_input": [[1.33], [1234.5]],
     "atol": 0},
]

CLOSE = "def has_close_elements(numbers, threshold):\n{guard}    ordered = sorted(numbers)\n" \
        "    return any(b - a < threshold for a, b in zip(ordered, ordered[1:]))\n"
SAMPLES = {  # four samples per problem: problem -> (completion, expected verdict reason)
    "has_close_elements": [
        (CLOSE.format(guard=""), "passed"),
        (CLOSE.format(guard="    if len(numbers) > 50:\n        return False\n"),
         "failed: extended test 2 of 2: has_close_elements([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, "),
        ("def has_close_elements(numbers, threshold):\n    return True\n", "failed: test 1 of 1"),
        (None, "no code found")],
    "separate_paren_groups": [(None, "no code found")] * 4,
    "truncate_number": [
        ("def truncate_number(number):\n    return number % 1.0\n", "passed"),
        ("def truncate_number(number):\n    return round(number - int(number), 12)\n", "passed"),  # within 1e-6
        ("def truncate_number(number):\n    return number % 1.0 if number < 1000 else 0.0\n",
         "failed: extended test 3 of 3: truncate_number(1234.5) returned 0.0, expected 0.5"),
        ("def truncate_number(number)\n    return 0\n", "syntax error: line ")],
}


def _completion(code: str | None) -> str:
    return "I am not sure." if code is None else f"```python\n{code}```"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _script(request, i):
    prompt = request.messages[-1][1]
    (name,) = [name for name in SAMPLES if f"def {name}(" in prompt]
    return _completion(SAMPLES[name][i][0])


def _model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


@pytest.mark.parametrize("oracle,out,expected,args,atol,same", [
    ("equal", [1, 2], [1, 2], [], 0, True),
    ("equal", (1, 2), [1, 2], [], 0, False),  # a tuple is not the list the reference returned
    ("equal", 0.1 + 0.2, 0.3, [], 0, True),  # floats: within 1e-6 even when atol is 0
    ("equal", [0.1 + 0.2, 1.0], [0.3, 1.0], [], 0, True),
    ("equal", 0.31, 0.3, [], 0, False),
    ("equal", 0.31, 0.3, [], 0.02, True),
    ("equal", 3, 3.0000001, [], 0, False),  # within tolerance only when the types agree
    ("set", [2, 1, 1], [1, 2], [], 0, True),
    ("not_none", "a match", "found", [], 0, True),
    ("not_none", None, "found", [], 0, False),
    ("not_none", True, None, [], 0, False),  # a bool counts as itself
    ("poly_root", 2.0, -1.0, [[-4, 0, 1]], 1e-6, True),  # any root of x^2 - 4, not only the reference's
    ("poly_root", 1.0, -2.0, [[-4, 0, 1]], 1e-6, False),
])
def test_outputs_are_compared_as_evalplus_compares_them(oracle, out, expected, args, atol, same):
    assert compare(oracle, out, expected, args, atol) is same


def test_the_layout_is_read_and_special_rules_follow_the_entry_point(tmp_path):
    rows = [{**EXTENDED[1], "task_id": "Mbpp/7", "entry_point": "similar_elements"},
            {**EXTENDED[1], "task_id": "Mbpp/8", "plus_input": []}]
    tests = read_extended_tests(_write(tmp_path / "MbppPlus.jsonl", rows), MBPP_ORACLES,
                                lambda task_id: task_id.split("/")[1])
    assert tests["7"] == {"reference": "def truncate_number(number):\n    return number % 1.0\n",
                          "entry_point": "similar_elements", "inputs": [[3.5], [1.33], [1234.5]], "atol": 0.0,
                          "oracle": "set"}
    assert tests["8"]["inputs"] == [[3.5]] and tests["8"]["oracle"] == "equal"
    assert read_extended_tests(_write(tmp_path / "he.jsonl", EXTENDED[:1]), HUMANEVAL_ORACLES, str)[
        "HumanEval/0"]["oracle"] == "equal"


@pytest.mark.parametrize("row,message", [
    ({"task_id": "HumanEval/0"}, "needs a string field 'entry_point'"),
    ({**EXTENDED[0], "plus_input": [1, 2]}, "'plus_input' must be a list of argument lists"),
    ({**EXTENDED[0], "atol": -1}, "'atol' must be a number >= 0"),
])
def test_a_bad_row_is_named(tmp_path, row, message):
    path = _write(tmp_path / "bad.jsonl", [EXTENDED[1], row])
    with pytest.raises(InputError, match=f"{path}:2: .*{message}"):
        read_extended_tests(path, {}, str)


def test_a_verdict_failing_only_extended_tests_passed_the_base_ones():
    assert passed_base_tests(True, "passed")
    assert passed_base_tests(False, "failed: extended test 2 of 9: f(1) returned 2, expected 1")
    assert passed_base_tests(False, "timeout: extended test 4 of 9")
    assert not passed_base_tests(False, "failed: test 1 of 3: assert f(1) == 1")
    assert not passed_base_tests(False, "runtime error: at import: NameError: name 'extended' is not defined")


def _check_reasons(reasons_by_problem: dict[str, list[str]]) -> None:
    for name, samples in SAMPLES.items():
        assert [r[:len(want)] for r, (_, want) in zip(reasons_by_problem[name], samples)] == [w for _, w in samples]


@needs_sandbox
def test_a_run_with_extended_tests_reports_base_and_extended_pass_at_k_and_the_gap(data_dir, tmp_path, capsys):
    extended = _write(tmp_path / "HumanEvalPlus.jsonl", EXTENDED)
    config = make_run_config({
        "name": "plus", "model": str(_model_dir(tmp_path)), "out": str(tmp_path / "run"),
        "tasks": [{"name": "humaneval", "limit": 3, "options": {"extended_tests": str(extended)}}],
        "strategies": [{"name": "sample", "n": 4}]}, "test")
    outcome = run(config, data_dir, tmp_path / "run", engine=FakeEngine(script=_script))
    assert "extended tests for 2 of 164 problems" in capsys.readouterr().err
    (result,) = outcome.results
    points = {(p.metric, p.k): p.value for p in result.points}
    assert points[("pass@k", 1)] == pytest.approx((1 / 4 + 0 + 2 / 4) / 3)
    assert points[("base:pass@k", 1)] == pytest.approx((2 / 4 + 0 + 3 / 4) / 3)
    assert points[("base:pass@k", 4)] == pytest.approx(2 / 3) and points[("pass@k", 4)] == pytest.approx(2 / 3)
    assert result.views == {"base": {"passing": 5, "rejected": 2, "rejected_by": "extended tests", "gap": 0.4}}
    assert result.points[0].outcomes.verdicts == {"no code found": 5, "passed": 3, "failed": 3, "syntax error": 1}
    assert all(p.outcomes is None for p in result.points if p.metric.startswith("base:"))

    text = summary_text(outcome)
    assert "humaneval/sample: extended tests reject 2 of 5 base-passing samples (40.0%)" in text
    assert "base:pass@1 0.417" in text
    limits = json.loads((tmp_path / "run" / "calibration.json").read_text())["humaneval"]
    assert set(limits["problems"]) == {"HumanEval/0", "HumanEval/1", "HumanEval/2"}


@needs_sandbox
def test_score_takes_extended_tests_as_a_task_option(data_dir, tmp_path, capsys):
    extended = _write(tmp_path / "HumanEvalPlus.jsonl", EXTENDED)
    ids = {"has_close_elements": "HumanEval/0", "separate_paren_groups": "HumanEval/1", "truncate_number": "HumanEval/2"}
    rows = [{"problem_id": ids[name], "completion": _completion(code)}
            for name, samples in SAMPLES.items() for code, _ in samples]
    predictions = _write(tmp_path / "preds.jsonl", rows)
    assert main(["score", "--task", "humaneval", "--predictions", str(predictions), "--out", str(tmp_path / "o"),
                 "--task-option", f"extended_tests={extended}"]) == 0
    out = capsys.readouterr().out
    assert "humaneval: 3/12 correct" in out
    assert "base:pass@1" in out and "extended tests reject 2 of 5 base-passing samples (40.0%)" in out
    verdicts = [json.loads(line) for line in (tmp_path / "o" / "verdicts.jsonl").read_text().splitlines()]
    reasons = [v["reason"] for v in verdicts]
    _check_reasons({name: reasons[4 * i:4 * i + 4] for i, name in enumerate(SAMPLES)})


def test_a_missing_extended_test_file_is_named(data_dir, tmp_path):
    from thinkbench.harness.task import load_task

    task = load_task("humaneval").with_options({"extended_tests": str(tmp_path / "nope.jsonl")})
    with pytest.raises(InputError, match="task humaneval: options.extended_tests: no file .*nope.jsonl"):
        task.problems(data_dir)
