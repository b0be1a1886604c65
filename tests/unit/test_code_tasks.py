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

# MBPP reference solutions that fail their own tests in the sanitized test split: none so far.
MBPP_KNOWN_FAILURES: dict[str, str] = {}


def _reference_verdicts(task_name: str, data_dir: Path, solution_column: str):
    task = load_task(task_name)
    rows, problems = task.rows(data_dir), task.problems(data_dir)
    verdicts = grade_all(task.verifier, [(row[solution_column], p.gold) for row, p in zip(rows, problems)])
    return problems, verdicts


@needs_sandbox
def test_humaneval_canonical_solutions_pass_164_of_164(data_dir):
    problems, verdicts = _reference_verdicts("humaneval", data_dir, "canonical_solution")
    failures = {p.id: v.reason for p, v in zip(problems, verdicts) if not v.correct}
    assert len(problems) == 164
    assert failures == {}


@needs_sandbox
def test_mbpp_reference_solutions_pass(data_dir):
    problems, verdicts = _reference_verdicts("mbpp", data_dir, "code")
    failures = {p.id: v.reason for p, v in zip(problems, verdicts) if not v.correct}
    assert len(problems) == 257
    assert failures == MBPP_KNOWN_FAILURES


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
