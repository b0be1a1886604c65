"""A model-based fallback for what the rules reject: a judge model is asked whether an answer equals
the gold one, only where the rules said "not equal" and a rule could have missed an equality (the
verifier's `judgeable`: not for two plain numbers).

The design follows TinyV (Xu et al. 2025, arXiv:2505.14625), which found that rule-based checkers
reject many correct answers and that a small model consulted only on the rejections recovers most of
them, and xVerify (Chen et al. 2025, arXiv:2504.10481), a model trained to judge answer equivalence
for evaluations. Any chat model serves (the policy model by default in a run); a purpose-built
verifier model takes its own prompt and verdict words. The verdict is the judge's first token:
P(yes word) / (P(yes word) + P(no word)) over its top log-probabilities, equal above one half.

Every verdict records who decided it (`Verdict.decided_by`): "rules", or "judge" where the judge was
consulted, whichever way it answered.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from thinkbench.harness.engine.base import Engine, GenRequest, GenResult, SamplingSpec
from thinkbench.harness.errors import InputError
from thinkbench.verifiers import Verdict

DEFAULT_PROMPT = (
    "You check answers to math problems. Decide whether the student's final answer states the same "
    "mathematical content as the reference answer, possibly in another form: another order of a set's "
    "elements, another name for a function's variable, an inequality for an interval, words around a "
    "number.\n\nProblem:\n{question}\n\nReference answer: {gold}\nStudent's answer: {answer}\n\n"
    "Is the student's answer equivalent to the reference answer? Answer Yes or No.")
NO_QUESTION = "(not given)"


@dataclass(frozen=True)
class JudgeSpec:
    """The `judge` section of a run config, or `thinkbench score --judge`."""

    model: str | None = None  # a model folder or Hub id; None: the policy model (run), the embedded model (score)
    prompt: str = DEFAULT_PROMPT  # {question}, {gold} and {answer} are filled in
    yes: str = "Yes"  # the judge's first word for "equivalent" (TinyV: True, xVerify: Correct)
    no: str = "No"
    top_logprobs: int = 20  # the first token's alternatives searched for the two words
    engine: dict = field(default_factory=dict)  # vLLM settings when the judge has its own model

    def __post_init__(self) -> None:
        for name in ("{gold}", "{answer}"):
            if name not in self.prompt:
                raise InputError(f"judge.prompt: must contain {name}")
        if not self.yes.strip() or not self.no.strip() or self.yes.strip().lower() == self.no.strip().lower():
            raise InputError("judge.yes/no: two different non-empty words")
        if self.top_logprobs < 1:
            raise InputError(f"judge.top_logprobs: must be at least 1, got {self.top_logprobs}")

    def ask(self, question: str | None, answer: str, gold: str) -> str:
        return (self.prompt.replace("{question}", question if question else NO_QUESTION)
                .replace("{gold}", gold).replace("{answer}", answer))


def p_word(top: dict[str, float], yes: str, no: str) -> float:
    """P(yes) / (P(yes) + P(no)) over one token's top log-probabilities, spellings that differ only
    in case or surrounding space counted together; 0.5 when neither is among them."""
    yes, no = yes.strip().lower(), no.strip().lower()
    p_yes = sum(math.exp(lp) for token, lp in top.items() if token.strip().lower() == yes)
    p_no = sum(math.exp(lp) for token, lp in top.items() if token.strip().lower() == no)
    return p_yes / (p_yes + p_no) if p_yes + p_no > 0 else 0.5


@dataclass
class JudgeTally:
    """What the judge did: verdicts it was asked about and changed, and the calls it cost."""

    consulted: int = 0
    changed: int = 0  # rules said "not equal", the judge "equal"
    calls: int = 0  # distinct questions sent (the same answer to one problem is asked once)
    prompt_tokens: int = 0
    cached_prompt_tokens: int = 0


class AnswerJudge:
    """`engine` is called once, on the first question, so a run whose rules reject nothing the judge
    could help with starts no engine."""

    def __init__(self, spec: JudgeSpec, engine: Callable[[], Engine]) -> None:
        self.spec = spec
        self._engine = engine

    def review(self, verifier: Any, items: Sequence[tuple[str | None, str]], verdicts: Sequence[Verdict]
               ) -> tuple[list[Verdict], JudgeTally]:
        """`verdicts` of the rules with the judge's where it was consulted. `items` are per verdict
        (question or None, gold); only verifiers with `judgeable(answer, gold)` are judged."""
        tally = JudgeTally()
        judgeable = getattr(verifier, "judgeable", None)
        if judgeable is None:
            return list(verdicts), tally
        asks: dict[int, str] = {}
        for i, ((question, gold), v) in enumerate(zip(items, verdicts)):
            # Only a plain "not equal": no answer, a timeout or an acceptance is not the judge's to change.
            if v.extracted is not None and not v.correct and not v.reason and judgeable(v.extracted, gold):
                asks[i] = self.spec.ask(question, v.extracted, gold)
        if not asks:
            return list(verdicts), tally
        prompts = {hashlib.sha256(p.encode()).hexdigest()[:24]: p for p in asks.values()}
        results: dict[str, GenResult] = {}
        sampling = SamplingSpec(n=1, temperature=0.0, max_tokens=1, logprobs=self.spec.top_logprobs)
        self._engine().generate([GenRequest(key, (("user", p),), sampling) for key, p in prompts.items()],
                                lambda r: results.__setitem__(r.key, r))
        tally.calls = len(results)
        tally.prompt_tokens = sum(r.prompt_tokens for r in results.values())
        tally.cached_prompt_tokens = sum(r.cached_prompt_tokens or 0 for r in results.values())
        out = list(verdicts)
        for i, prompt in asks.items():
            r = results[hashlib.sha256(prompt.encode()).hexdigest()[:24]]
            top = r.outputs[0].top_logprobs[0] if r.outputs and r.outputs[0].top_logprobs else {}
            equal = p_word(top, self.spec.yes, self.spec.no) > 0.5
            out[i] = replace(verdicts[i], correct=equal, decided_by="judge")
            tally.consulted += 1
            tally.changed += equal
        return out, tally
