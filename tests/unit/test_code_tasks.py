"""The code tasks: HumanEval and MBPP from the mirror (their reference solutions must pass), and the
stdin/stdout task from a JSONL file of made-up problems."""
import json
from pathlib import Path

import pytest

from thinkbench.harness import sandbox
from thinkbench.harness.data import DataUnavailable
from thinkbench.harness.errors import InputError
from thinkbench.harness.task import load_task
from thinkbench.verifiers.code_gold import StdioTests, parse_gold
from thinkbench.verifiers.grading import grade_all

needs_sandbox = pytest.mark.skipif(not sandbox.sandbox_available(), reason="needs bubblewrap (bwrap)")

def _calibrated_references(task_name: str, data_dir: Path, size: int):
    """Every reference solution measured for its time limit (this runs each in the sandbox against
    its problem's tests); then the references of the problems with the longest limits graded under
    them, like any sample."""
    task = load_task(task_name)
    problems = task.problems(data_dir)
    assert len(problems) == size
    record = task.verifier.prepare(problems)
    slowest = sorted(problems, key=lambda p: record["problems"][p.id]["cpu_limit_s"])[-3:]
    verdicts = grade_all(task.verifier, [(p.reference, p.gold) for p in slowest])
    return record, {p.id: v.reason for p, v in zip(slowest, verdicts)}


@needs_sandbox
def test_every_humaneval_canonical_solution_passes_within_its_calibrated_limit(data_dir):
    record, slowest = _calibrated_references("humaneval", data_dir, 164)
    assert record["reference_failures"] == {}
    assert set(slowest.values()) == {"passed"}


@needs_sandbox
def test_every_mbpp_reference_solution_passes_within_its_calibrated_limit(data_dir):
    # MBPP 123 (amicable numbers by brute force) needs more than the 5 s floor on a slow machine.
    record, slowest = _calibrated_references("mbpp", data_dir, 257)
    assert record["reference_failures"] == {}
    assert set(slowest.values()) == {"passed"}
    assert all(entry["cpu_limit_s"] >= record["floor_s"] for entry in record["problems"].values())


@needs_sandbox
def test_score_gives_reasons_and_records_the_time_limits(data_dir, tmp_path, capsys):
    from thinkbench.harness.cli import main

    reference = {p.id: p.reference for p in load_task("mbpp").problems(data_dir, limit=3)}
    rows = [{"problem_id": "11", "completion": f"```python\n{reference['11']}```"},
            {"problem_id": "12", "completion": "```python\ndef sort_matrix(M):\n    return M\n```"},
            {"problem_id": "14", "completion": "I cannot write this one."}]
    predictions = _write_jsonl(tmp_path / "preds.jsonl", rows)
    out = tmp_path / "scored"
    assert main(["score", "--task", "mbpp", "--predictions", str(predictions), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "mbpp: 1/3 correct" in printed.out
    assert "verdicts: passed 1, failed 1, no code found 1" in printed.out
    verdicts = [json.loads(line) for line in (out / "verdicts.jsonl").read_text().splitlines()]
    assert [v["reason"].split(":")[0] for v in verdicts] == ["passed", "failed", "no code found"]
    assert verdicts[1]["reason"].startswith("failed: test 1 of 3: assert sort_matrix(")
    limits = json.loads((out / "calibration.json").read_text())["mbpp"]
    assert set(limits["problems"]) == {"11", "12", "14"}  # only the problems scored were measured
    assert "CPU time limits of 3 problems" in printed.err


@needs_sandbox
def test_code_prompts_show_what_to_write(data_dir):
    (first,) = load_task("humaneval").problems(data_dir, limit=1)
    assert first.id == "HumanEval/0" and "def has_close_elements(" in first.prompt and "```python" in first.prompt
    (mbpp,) = load_task("mbpp").problems(data_dir, limit=1)
    assert mbpp.id == "11" and 'assert remove_Occ("hello","l") == "heo"' in mbpp.prompt


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


PROBLEMS = [
    {"id": "sum", "question": "Print the sum of two integers.", "tests": [{"input": "1 2", "output": "3"}]},
    {"id": "half", "question": "Print half of n.", "float_tolerance": 1e-6,
     "tests": json.dumps([{"input": "3", "output": "1.5", "testtype": "stdin"}])},
    {"id": "leetcode", "question": "A function, not a program.",
     "tests": [{"input": "[1]", "output": "1", "testtype": "functional"}]},
]


def test_stdio_problems_from_a_jsonl_file(tmp_path, capsys):
    path = _write_jsonl(tmp_path / "problems.jsonl", PROBLEMS)
    task = load_task("stdio").with_options({"path": str(path)})
    rows = task.rows(None)
    assert [r["id"] for r in rows] == ["sum", "half"]
    assert "left out 1 problems" in capsys.readouterr().err
    golds = [parse_gold(r["gold"]) for r in rows]
    assert golds[0] == StdioTests(cases=(("1 2", "3"),), float_tolerance=None)
    assert golds[1] == StdioTests(cases=(("3", "1.5"),), float_tolerance=1e-6)


def test_stdio_column_names_and_default_tolerance_come_from_the_options(tmp_path):
    path = _write_jsonl(tmp_path / "lcb.jsonl", [{"question_id": "q7", "question_content": "Echo n.",
                                                  "public_test_cases": '[{"input": "5", "output": "5"}]'}])
    task = load_task("stdio").with_options({"path": str(path), "id_field": "question_id",
                                            "question_field": "question_content",
                                            "tests_field": "public_test_cases", "float_tolerance": 1e-4})
    (row,) = task.rows(None)
    assert (row["id"], row["question"], parse_gold(row["gold"]).float_tolerance) == ("q7", "Echo n.", 1e-4)


@needs_sandbox
def test_stdio_problems_are_graded(tmp_path):
    path = _write_jsonl(tmp_path / "problems.jsonl", PROBLEMS[:2])
    task = load_task("stdio").with_options({"path": str(path)})
    problems = task.problems(None)
    completions = ["```python\na, b = map(int, input().split())\nprint(a + b)\n```",
                   "```python\nprint(int(input()) / 2 + 1e-9)\n```"]
    verdicts = grade_all(task.verifier, [(c, p.gold) for c, p in zip(completions, problems)])
    assert [v.reason for v in verdicts] == ["passed", "passed"]


def test_stdio_without_a_source_is_unavailable_and_bad_rows_are_named(tmp_path):
    with pytest.raises(DataUnavailable, match="path"):
        load_task("stdio").rows(None)
    with pytest.raises(InputError, match="no file"):
        load_task("stdio").with_options({"path": str(tmp_path / "missing.jsonl")}).rows(None)
    bad = _write_jsonl(tmp_path / "bad.jsonl", [PROBLEMS[0], {"id": "x", "question": "q", "tests": [{"input": 1}]}])
    with pytest.raises(InputError, match=r"bad.jsonl: row 1: tests\[0\]"):
        load_task("stdio").with_options({"path": str(bad)}).rows(None)
    with pytest.raises(InputError, match="row 0: no string column 'statement'"):
        load_task("stdio").with_options({"path": str(bad), "question_field": "statement"}).rows(None)
