"""Bad input gets one line naming what is wrong, and exit code 2."""
import json

import pytest

from thinkbench.harness.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def test_a_misspelled_task_name(capsys):
    code, err = _run(capsys, "run", "--tasks", "gsm8kk")
    assert code == 2 and len(err) == 1 and "unknown task 'gsm8kk'" in err[0] and "gsm8k" in err[0]


def test_a_task_file_with_a_missing_field(capsys, tmp_path):
    task = tmp_path / "mine.yaml"
    task.write_text("name: mine\ndataset: {hub: a/b}\nverifier: math\n")
    code, err = _run(capsys, "run", "--tasks", str(task))
    assert code == 2 and len(err) == 1 and str(task) in err[0] and "'prompt'" in err[0]


def test_a_task_file_with_a_wrongly_typed_field(capsys, tmp_path):
    task = tmp_path / "mine.yaml"
    task.write_text("name: mine\nprompt: '{{ question }}'\nverifier: math\ndataset: {hub: a/b}\nfields: {meta: level}\n")
    code, err = _run(capsys, "run", "--tasks", str(task))
    assert code == 2 and "fields.meta" in err[0] and "expected a list" in err[0]


def test_a_config_with_an_unknown_strategy_parameter(capsys, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("strategies: [{name: sample, samples: 4}]\n")
    code, err = _run(capsys, "run", str(config))
    assert code == 2 and "strategies[0](sample)" in err[0] and "'samples'" in err[0]


@pytest.mark.parametrize("row, message", [
    ("not json", "not valid JSON"),
    (json.dumps({"problem_id": "L1-0"}), "'completion'"),
    (json.dumps({"completion": "\\boxed{3}"}), "'problem_id'"),
    (json.dumps({"problem_id": "nope", "completion": "3"}), "'nope' is not a problem"),
])
def test_a_predictions_file_with_a_bad_row(capsys, tmp_path, row, message):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"problem_id": "L1-0", "completion": "\\boxed{3}"}) + "\n" + row + "\n")
    code, err = _run(capsys, "score", "--task", "arith", "--predictions", str(predictions),
                     "--out", str(tmp_path / "o"))
    assert code == 2 and len(err) == 1 and f"{predictions}:2" in err[0] and message in err[0]


def test_score_grades_rows_in_input_order(capsys, tmp_path):
    from thinkbench.harness.task import load_task

    problems = load_task("arith").problems(None)[:2]
    rows = [{"problem_id": problems[0].id, "completion": f"so \\boxed{{{problems[0].gold}}}"},
            {"problem_id": problems[1].id, "completion": "I don't know"},
            {"completion": "The answer is $\\frac{1}{2}$", "gold": "0.5"}]
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["score", "--task", "arith", "--predictions", str(predictions), "--out", str(tmp_path / "o")]) == 0
    verdicts = [json.loads(line) for line in (tmp_path / "o" / "verdicts.jsonl").read_text().splitlines()]
    assert verdicts == [
        {"problem_id": problems[0].id, "correct": True, "extracted": problems[0].gold, "reason": "correct",
         "decided_by": "rules"},
        {"problem_id": problems[1].id, "correct": False, "extracted": None, "reason": "no answer", "decided_by": "rules"},
        {"correct": True, "extracted": verdicts[2]["extracted"], "reason": "correct", "decided_by": "rules"},
    ]
    out = capsys.readouterr().out
    assert "2/3 correct" in out and "verdicts: correct 2, no answer 1" in out


def test_score_treats_a_cut_off_prediction_like_a_run_does(tmp_path):
    predictions = tmp_path / "p.jsonl"
    rows = [{"completion": "so far we have 18 and", "gold": "18", "finish_reason": "length"},
            {"completion": "so far we have 18 and", "gold": "18"}]
    predictions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["score", "--task", "arith", "--predictions", str(predictions), "--out", str(tmp_path / "o")]) == 0
    verdicts = [json.loads(line) for line in (tmp_path / "o" / "verdicts.jsonl").read_text().splitlines()]
    assert [v["correct"] for v in verdicts] == [False, True]
