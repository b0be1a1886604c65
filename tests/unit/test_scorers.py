"""Scorers without a real model: step splitting, aggregation, confidence, the judge's P(Yes) and its
step bookkeeping, the score cache, and the start-up checks of reward-model scorers."""
import json
import math

import pytest
from fakes import FakeEngine
from search_fakes import ScriptedScorer

from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.errors import InputError
from thinkbench.harness.scorers import build_scorer
from thinkbench.harness.scorers.base import ScorerContext, ScoreRequest, Segment, split_steps
from thinkbench.harness.scorers.cache import ScoreCache, ScoreItem
from thinkbench.harness.scorers.llm_judge import p_yes
from thinkbench.harness.store import Store
from thinkbench.harness.types import Problem

PROBLEM = Problem("arith", "7", "What is 3 + 4?", "7")


def request(*texts, known=(), known_segments=0, logprobs=None, delimiter="\n\n"):
    segments = tuple(Segment(t, logprobs, None if logprobs is None else tuple({"x": lp} for lp in logprobs))
                     for t in texts)
    return ScoreRequest(PROBLEM.prompt, segments, delimiter, known, known_segments)


def test_steps_are_the_non_blank_pieces_between_delimiters():
    assert split_steps("a\n\nb\n\n\n\nc\n\n", "\n\n") == ["a", "b", "c"]
    assert split_steps("one; two", ";") == ["one", "two"]
    assert split_steps("", "\n\n") == [""]  # never empty: an empty solution is one empty step


@pytest.mark.parametrize("aggregation, expected", [("last", 0.5), ("min", 0.2), ("product", 0.08), ("mean", 0.5)])
def test_aggregations(aggregation, expected):
    scorer = build_scorer({"name": "scripted", "aggregation": aggregation}, "s")
    assert scorer.aggregate([0.8, 0.2, 0.5]) == pytest.approx(expected)


def test_an_unknown_aggregation_is_one_line_naming_the_field():
    with pytest.raises(InputError, match=r"^beam\.scorer\(confidence\)\.aggregation: must be one of last, min, "
                                         r"product, mean; got 'median'"):
        build_scorer({"name": "confidence", "aggregation": "median"}, "beam.scorer")
    with pytest.raises(InputError, match=r"beam\.scorer\.name: unknown scorer 'nope'"):
        build_scorer({"name": "nope"}, "beam.scorer")


def test_confidence_is_the_geometric_mean_token_probability_per_piece():
    scorer = build_scorer({"name": "confidence"}, "s")
    assert scorer.logprobs == 0
    (scored,) = scorer.score([request("ab", logprobs=(-0.2, -0.4))])
    assert scored.values == (pytest.approx(math.exp(-0.3)),)
    assert scored.cost.calls == 0


def test_confidence_keeps_the_parents_values_and_needs_logprobs_for_new_pieces():
    scorer = build_scorer({"name": "confidence"}, "s")
    child = ScoreRequest(PROBLEM.prompt, (Segment("a\n\n"), Segment("b", (-1.0,))), "\n\n", (0.9,), 1)
    assert scorer.score([child])[0].values == (0.9, pytest.approx(math.exp(-1.0)))
    with pytest.raises(RuntimeError, match="no token log-probabilities"):
        scorer.score([request("a")])


def test_self_certainty_ranks_a_peaked_distribution_above_a_flat_one():
    scorer = build_scorer({"name": "confidence", "measure": "self_certainty", "top_k": 3}, "s")
    assert scorer.logprobs == 3
    peaked = Segment("x", (-0.01,), ({"a": -0.01, "b": -5.0, "c": -6.0},))
    flat = Segment("x", (-1.1,), ({"a": -1.1, "b": -1.1, "c": -1.1},))
    values = [s.values[0] for s in scorer.score([ScoreRequest("q", (seg,), "\n\n") for seg in (peaked, flat)])]
    assert values[0] > values[1] == pytest.approx(0.0, abs=1e-9)


def test_p_yes_normalises_yes_against_no_over_spellings():
    assert p_yes({" Yes": math.log(0.3), "yes": math.log(0.1), "No": math.log(0.4), "Maybe": math.log(0.2)}) == \
        pytest.approx(0.5)
    assert p_yes({"Hmm": -0.1}) == 0.5


class JudgeEngine(FakeEngine):
    """Answers every judge question with one token: Yes with probability 0.8 when the text under
    judgement contains "good", 0.2 otherwise."""

    def __init__(self):
        super().__init__()
        self.prompts = []

    def generate(self, requests, on_result):
        self.calls.append([r.key for r in requests])
        for r in requests:
            question = r.messages[-1][1]
            self.prompts.append(question)
            judged = question.rsplit("Next step:", 1)[-1] if "Next step:" in question else question
            p = 0.8 if "good" in judged.split("Is the")[0] else 0.2
            top = ({"Yes": math.log(p), "No": math.log(1 - p)},)
            prompt = self.render(r.messages)
            on_result(GenResult(r.key, len(prompt), 10, (GenOutput("Yes", 1, "length", top_logprobs=top),)))


def _judge(mode, engine):
    scorer = build_scorer({"name": "llm_judge", "mode": mode}, "s")
    asked = []
    scorer.bind(ScorerContext(lambda: asked.append(1) or engine, "policy", 0))
    return scorer, asked


def test_the_judge_shares_the_policy_engine_and_scores_p_yes():
    engine = JudgeEngine()
    scorer, asked = _judge("solution", engine)
    first, second = scorer.score([request("a good answer"), request("a bad answer")])
    assert asked and len(engine.calls) == 1  # both questions in one batch on the policy engine
    assert first.values == (pytest.approx(0.8),) and second.values == (pytest.approx(0.2),)
    assert first.cost.calls == 1 and first.cost.generated_tokens == 1 and first.cost.cached_prompt_tokens == 10
    assert first.cost.flops > 0  # the policy model's shape prices the judge's tokens


def test_the_step_judge_asks_only_about_steps_its_parent_did_not_cover():
    engine = JudgeEngine()
    scorer, _ = _judge("step", engine)
    (scored,) = scorer.score([request("good\n\n", "bad\n\n", "good", known=(0.8,), known_segments=1)])
    assert scored.values == (0.8, pytest.approx(0.2), pytest.approx(0.8))
    assert len(engine.prompts) == 2 and scored.cost.calls == 2
    # A parent cut mid-step (no delimiter at its end): its last step goes on in the child, so it is
    # judged again.
    engine.prompts.clear()
    (scored,) = scorer.score([request("good", " and more", known=(0.1,), known_segments=1)])
    assert len(engine.prompts) == 1 and scored.values == (pytest.approx(0.8),)


def test_the_score_cache_scores_each_candidate_once_across_runs(tmp_path):
    ScriptedScorer.judged.clear()
    segments = (Segment("s0.3\n\n"), Segment("s1.6"))
    for _ in range(2):
        store = Store(tmp_path / "store.sqlite")
        cache = ScoreCache(build_scorer({"name": "scripted", "aggregation": "min"}, "s"), store, "\n\n")
        (parent,) = cache.score([ScoreItem(PROBLEM, segments[:1])])
        child, again = cache.score([ScoreItem(PROBLEM, segments), ScoreItem(PROBLEM, segments)])
        store.close()
    assert ScriptedScorer.judged == ["s0.3\n\n", "s0.3\n\ns1.6"]  # the second store never asked the scorer
    assert child.values == (0.3, 0.6) and child.value == 0.3 and again == child
    assert parent.cost.calls == 1 and child.cost.prompt_tokens == len("s0.3\n\ns1.6")


def test_the_cache_hands_the_parents_values_to_the_scorer(tmp_path):
    seen = []

    class Recording(ScriptedScorer):
        def score(self, requests):
            seen.extend((r.known, r.known_segments) for r in requests)
            return super().score(requests)

    cache = ScoreCache(Recording(ScriptedScorer.Params(), "s"), Store(tmp_path / "s.sqlite"), "\n\n")
    cache.score([ScoreItem(PROBLEM, (Segment("s0.3\n\n"),))])
    cache.score([ScoreItem(PROBLEM, (Segment("s0.3\n\n"), Segment("s1.6")))])
    assert seen == [((), 0), ((0.3,), 1)]


def _model_folder(tmp_path, architecture):
    folder = tmp_path / architecture
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"architectures": [architecture]}))
    return str(folder)


def test_reward_scorers_refuse_a_model_that_is_not_a_reward_model_at_start(tmp_path):
    chat = _model_folder(tmp_path, "LlamaForCausalLM")
    with pytest.raises(InputError, match=r"^s\(prm\)\.model: .* is not a process reward model \(architectures: "
                                         r"LlamaForCausalLM\)$"):
        build_scorer({"name": "prm", "model": chat}, "s")
    with pytest.raises(InputError, match=r"is not an outcome reward model"):
        build_scorer({"name": "orm", "model": _model_folder(tmp_path, "Qwen2ForProcessRewardModel")}, "s")
    assert build_scorer({"name": "orm", "model": _model_folder(tmp_path, "LlamaForSequenceClassification")}, "s")
    assert build_scorer({"name": "prm", "model": _model_folder(tmp_path, "Qwen2ForProcessRewardModel")}, "s")


def test_reward_scorers_refuse_a_missing_model_at_start(tmp_path):
    (tmp_path / "missing").mkdir()
    with pytest.raises(InputError, match=r"^s\(prm\)\.model: .*missing.* has no config.json"):
        build_scorer({"name": "prm", "model": str(tmp_path / "missing")}, "s")
    with pytest.raises(InputError, match=r"^s\(orm\)\.model: no such folder /nonexistent/orm$"):
        build_scorer({"name": "orm", "model": "/nonexistent/orm"}, "s")
    with pytest.raises(InputError, match=r"missing required field 'model'"):
        build_scorer({"name": "orm"}, "s")
    with pytest.raises(InputError, match=r"llm_judge\)\.model: "):
        build_scorer({"name": "llm_judge", "model": str(tmp_path / "missing")}, "s")
