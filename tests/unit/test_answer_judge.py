"""The answer judge (verifiers/judge.py) with a fake engine: whom it is asked about, what it changes,
and how runs and `thinkbench score` record who decided each verdict."""
import json
import math

import pytest
from fakes import FakeEngine

from thinkbench.harness.cli import main
from thinkbench.harness.config import make_run_config
from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.errors import InputError
from thinkbench.harness.runner import run
from thinkbench.harness.store import Store
from thinkbench.reports.run_files import summary_text
from thinkbench.verifiers import Verdict
from thinkbench.verifiers.judge import AnswerJudge, JudgeSpec, p_word
from thinkbench.verifiers.math import MathVerifier


class JudgingEngine(FakeEngine):
    """A policy that answers "seven" to every problem, and a judge (a request asking for
    log-probabilities) that says Yes, with P = 0.9, exactly when the prompt has `accept` in it."""

    def __init__(self, accept="Reference answer: 7\nStudent's answer: seven\n", yes="Yes", no="No"):
        super().__init__(answer=lambda request, i: "seven")
        self.accept, self.yes, self.no = accept, yes, no
        self.judge_prompts: list[str] = []

    def generate(self, requests, on_result):
        asks = [r for r in requests if r.sampling.logprobs]
        for r in asks:
            prompt = r.messages[-1][1]
            self.judge_prompts.append(prompt)
            p = 0.9 if self.accept in prompt else 0.1
            top = ({self.yes: math.log(p), self.no: math.log(1 - p), "Maybe": math.log(0.01)},)
            on_result(GenResult(r.key, len(prompt), 0, (GenOutput(self.yes, 1, "length", top_logprobs=top),)))
        super().generate([r for r in requests if not r.sampling.logprobs], on_result)


def test_p_word_normalises_the_two_words_over_spellings():
    top = {" True": math.log(0.3), "true": math.log(0.1), "False": math.log(0.4), "Maybe": math.log(0.2)}
    assert p_word(top, "True", "False") == pytest.approx(0.5)
    assert p_word({"Hmm": -0.1}, "Yes", "No") == 0.5


def test_only_plain_rejections_the_rules_could_have_missed_go_to_the_judge():
    engine = JudgingEngine()
    judge = AnswerJudge(JudgeSpec(), lambda: engine)
    rules = [Verdict("seven", False), Verdict("seven", False), Verdict("eight", False), Verdict("8", False),
             Verdict(None, False, "no answer"), Verdict("x^{99}", False, "unverified: timeout"), Verdict("7", True)]
    items = [("What is 3 + 4?", "7")] * len(rules)
    verdicts, tally = judge.review(MathVerifier(), items, rules)
    assert [(v.correct, v.decided_by) for v in verdicts] == [
        (True, "judge"), (True, "judge"), (False, "judge"), (False, "rules"), (False, "rules"), (False, "rules"),
        (True, "rules")]
    assert verdicts[0].extracted == "seven" and verdicts[5].reason == "unverified: timeout"
    # Two plain numbers are the rules' to decide; the same question twice is one call.
    assert tally.consulted == 3 and tally.changed == 2 and tally.calls == 2 == len(engine.judge_prompts)
    assert "What is 3 + 4?" in engine.judge_prompts[0] and "Reference answer: 7" in engine.judge_prompts[0]


def test_no_rejection_to_judge_starts_no_engine():
    def no_engine():
        raise AssertionError("the judge's engine was started")

    verdicts, tally = AnswerJudge(JudgeSpec(), no_engine).review(MathVerifier(), [(None, "7")], [Verdict("7", True)])
    assert verdicts == [Verdict("7", True)] and tally.calls == 0


def test_a_purpose_built_verifier_brings_its_own_prompt_and_words():
    engine = JudgingEngine(accept="answer=seven;", yes="True", no="False")
    spec = JudgeSpec(prompt="Q: {question}; answer={answer}; truth={gold}. True or False?", yes="True", no="False")
    (verdict,), _ = AnswerJudge(spec, lambda: engine).review(MathVerifier(), [(None, "7")], [Verdict("seven", False)])
    assert verdict.correct and engine.judge_prompts == ["Q: (not given); answer=seven; truth=7. True or False?"]


@pytest.mark.parametrize("fields, message", [
    ({"prompt": "Is {answer} right?"}, "judge.prompt: must contain {gold}"),
    ({"yes": "Yes", "no": "yes"}, "judge.yes/no"),
    ({"top_logprobs": 0}, "judge.top_logprobs"),
])
def test_bad_judge_settings_are_one_line_naming_the_field(fields, message):
    with pytest.raises(InputError, match=message.replace("{", r"\{").replace("}", r"\}")):
        JudgeSpec(**fields)


@pytest.fixture
def model_dir(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    return tmp_path / "model"


def test_a_run_with_the_judge_records_who_decided_each_verdict(tmp_path, model_dir):
    config = make_run_config({
        "name": "t", "model": str(model_dir), "out": str(tmp_path / "run"),
        "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": 3}}],
        "strategies": [{"name": "sample", "n": 2}], "judge": {},
    }, "test")
    engine = JudgingEngine()
    result = run(config, None, tmp_path / "run", engine=engine).results[0]
    store = Store(tmp_path / "run" / "store.sqlite")
    rows = store.completions("arith", "sample")
    assert len(rows) == 6 and all(r.decided_by == "judge" and r.extracted == "seven" for r in rows)
    # The judge takes "seven" for 7, so it is right where the gold is 7.
    assert [r.correct for r in rows] == [r.problem_id in _sevens(store) for r in rows]
    assert result.judge_consulted == 6 and result.judge_changed == sum(r.correct for r in rows) == 2
    assert json.loads(store.events("judge")[0])["calls"] == len(engine.judge_prompts)
    store.close()
    assert f"changed {result.judge_changed} of them" in summary_text(run(config, None, tmp_path / "run", engine=engine))


def _sevens(store):
    return {pid for pid, (gold, _) in store.problems("arith").items() if gold == "7"}


def test_without_a_judge_every_verdict_is_the_rules(tmp_path, model_dir):
    config = make_run_config({"name": "t", "model": str(model_dir), "out": str(tmp_path / "run"),
                              "tasks": [{"name": "arith", "options": {"levels": [1], "per_level": 2}}],
                              "strategies": [{"name": "sample", "n": 2}]}, "test")
    engine = JudgingEngine()
    result = run(config, None, tmp_path / "run", engine=engine).results[0]
    store = Store(tmp_path / "run" / "store.sqlite")
    assert {r.decided_by for r in store.completions("arith", "sample")} == {"rules"}
    assert result.judge_consulted is None and engine.judge_prompts == []


def test_score_with_the_judge_writes_who_decided(tmp_path, model_dir, capsys, monkeypatch):
    engine = JudgingEngine()
    built = []
    monkeypatch.setattr("thinkbench.harness.engine.build_engine",
                        lambda kind, model, settings, seed: built.append((kind, model, settings)) or engine)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("\n".join(json.dumps(r) for r in [
        {"gold": "7", "completion": r"so \boxed{seven}", "question": "What is 3 + 4?"},
        {"gold": "7", "completion": r"so \boxed{eight}"},
        {"gold": "7", "completion": r"so \boxed{7}"},
        {"gold": "7", "completion": r"so \boxed{8}"}]) + "\n")
    settings = tmp_path / "judge.yaml"
    settings.write_text(f"model: {model_dir}\nengine: {{max_model_len: 2048}}\n")
    assert main(["score", "--task", "arith", "--predictions", str(predictions), "--out", str(tmp_path / "o"),
                 "--judge", str(settings)]) == 0
    rows = [json.loads(line) for line in (tmp_path / "o" / "verdicts.jsonl").read_text().splitlines()]
    assert [(r["correct"], r["decided_by"]) for r in rows] == [
        (True, "judge"), (False, "judge"), (True, "rules"), (False, "rules")]
    assert built == [("vllm", str(model_dir.resolve()), {"max_model_len": 2048})]
    assert "What is 3 + 4?" in engine.judge_prompts[0]
    out = capsys.readouterr().out
    assert "2/4 correct" in out and "judge: decided 2 verdicts the rules rejected, changed 1 to correct" in out


def test_score_with_bad_judge_settings_is_one_line(tmp_path, capsys):
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"gold": "7", "completion": "7"}) + "\n")
    settings = tmp_path / "judge.yaml"
    settings.write_text("modle: x\n")
    assert main(["score", "--task", "arith", "--predictions", str(predictions), "--judge", str(settings)]) == 2
    assert "unknown field 'modle'" in capsys.readouterr().err
    settings.write_text("prompt: Is {answer} right?\n")
    assert main(["score", "--task", "arith", "--predictions", str(predictions), "--judge", str(settings)]) == 2
    assert f"{settings}: judge.prompt: must contain {{gold}}" in capsys.readouterr().err
