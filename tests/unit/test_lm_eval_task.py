"""lm-evaluation-harness tasks as thinkbench tasks: documents, prompts and targets from lm-eval,
sampling and metrics from thinkbench, grading with lm-eval's metric or a thinkbench verifier."""
import json
import sqlite3
from pathlib import Path

import pytest

from fakes import FakeEngine
from thinkbench.harness.config import make_run_config
from thinkbench.harness.errors import InputError
from thinkbench.harness.runner import run
from thinkbench.harness.task import load_task

pytest.importorskip("lm_eval")

HERE = Path(__file__).resolve().parent.parent / "data" / "lm_eval"
TASK_FILE = HERE / "thinkbench_gsm8k_boxed.yaml"


def _half_right(problems):
    """Samples 0 and 2 give the gold answer in \\boxed{}, 1 and 3 a wrong one."""
    golds = {p.prompt: json.loads(p.gold)["target"] for p in problems}  # lm-eval's doc_to_target
    return lambda request, i: golds[request.messages[0][1]] if i % 2 == 0 else "-1"


def test_an_lm_eval_task_runs_under_sample_with_n_4_and_gets_pass_and_maj(data_dir, tmp_path):
    task = load_task(str(TASK_FILE))
    problems = task.problems(data_dir, limit=5)
    assert problems[0].prompt.startswith("Question: Janet") and problems[0].prompt.endswith("\\boxed{}.\nAnswer:")
    engine = FakeEngine(answer=_half_right(problems))
    config = make_run_config({"name": "lm", "out": str(tmp_path / "run"),
                              "tasks": [{"name": str(TASK_FILE), "limit": 5}],
                              "strategies": [{"name": "sample", "n": 4}]}, "test")
    (result,) = run(config, data_dir, tmp_path / "run", engine=engine).results
    assert result.task == "lm_gsm8k_boxed" and result.samples == 20
    points = {(p.metric, p.k): p.value for p in result.points}
    assert points[("pass@k", 1)] == pytest.approx(0.5) and points[("pass@k", 4)] == pytest.approx(1.0)
    assert ("maj@k", 4) in points
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        verdicts = db.execute("SELECT extracted, correct FROM completions WHERE sample = 1").fetchall()
    assert verdicts and all(v == ("-1", 0) for v in verdicts)  # lm-eval's filter extracted the boxed answer


def test_a_named_thinkbench_verifier_can_grade_instead(data_dir, tmp_path):
    mine = tmp_path / "task.yaml"
    mine.write_text(f"name: lm_math\nlm_eval: {{task: {HERE / 'gsm8k_boxed.yaml'}}}\nverifier: math\n"
                    "prompt: '{{ question }} Think step by step.'\n")
    task = load_task(str(mine))
    (problem,) = task.problems(data_dir, limit=1)
    assert problem.gold == "18" and problem.prompt.endswith("Answer: Think step by step.")
    assert task.verifier.grade("so \\boxed{18}", problem.gold).correct


def test_the_builtin_gsm8k_task_reads_the_mirror_and_grades_with_its_own_metric(data_dir):
    task = load_task("lm_eval:gsm8k").with_options({"num_fewshot": 2})
    problems = task.problems(data_dir, limit=2)
    assert task.name == "lm_eval_gsm8k"
    assert problems[0].prompt.count("Question:") == 3  # two shots from the train split, then the question
    verdict = task.verifier.grade("Eggs: 16 - 3 - 4 = 9, sold at $2: 18.\n#### 18", problems[0].gold)
    assert verdict.extracted == "18" and verdict.correct
    assert task.verifier.grade("It is 18.", problems[0].gold).reason == "no answer"  # strict-match wants ####
    again = load_task("lm_eval:gsm8k").with_options({"num_fewshot": 2}).problems(data_dir, limit=2)
    assert [p.prompt for p in again] == [p.prompt for p in problems]  # same shots every run: resumable


def test_without_the_data_the_task_is_skipped_not_failed(tmp_path):
    from thinkbench.harness.data import DataUnavailable

    with pytest.raises(DataUnavailable, match="no mirror file"):
        load_task("lm_eval:gsm8k").problems(tmp_path)


@pytest.mark.parametrize("body, field", [
    ("name: x\nlm_eval: {task: gsm8k, num_shots: 2}\n", "'num_shots'"),
    ("name: x\nlm_eval: {task: gsm8k}\ndataset: {hub: a/b}\n", "dataset"),
    ("name: x\nlm_eval: {task: gsm8k}\nfields: {question: q}\n", "fields"),
    ("name: x\nlm_eval: {task: no_such_task_anywhere}\n", "lm_eval.task"),
    ("name: x\nlm_eval: {task: missing.yaml}\n", "lm_eval.task"),
])
def test_bad_lm_eval_task_files_are_one_line_input_errors(tmp_path, body, field):
    path = tmp_path / "t.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as e:
        load_task(str(path)).problems(tmp_path)
    assert field in str(e.value) and "\n" not in str(e.value)


def test_loglikelihood_tasks_are_refused_by_name(tmp_path):
    lm = tmp_path / "mc.yaml"
    lm.write_text("task: mc\ndataset_path: json\noutput_type: multiple_choice\ntest_split: test\n"
                  "doc_to_text: q\ndoc_to_target: 0\ndoc_to_choice: [a, b]\n")
    (tmp_path / "t.yaml").write_text("name: x\nlm_eval: {task: mc.yaml}\n")
    with pytest.raises(InputError, match="multiple_choice task; .* generate_until"):
        load_task(str(tmp_path / "t.yaml")).problems(None)
