"""A generative verifier: a chat model asked whether a solution (or its latest step) is correct,
scored by the probability it gives "Yes" as its first answer token.

The score is P(Yes) / (P(Yes) + P(No)) over the first token's top log-probabilities (spellings that
differ only in case or surrounding space count together), 0.5 when neither is among them. With no
`model` the judge is the policy model itself and shares its engine, so its prompts meet the policy's
in the same prefix cache.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

from thinkbench.harness.engine import Engine, GenRequest, GenResult, SamplingSpec, build_engine
from thinkbench.harness.errors import InputError
from thinkbench.harness.models import resolve_model
from thinkbench.harness.scorers import register
from thinkbench.harness.engine.vllm_settings import vllm_settings
from thinkbench.harness.scorers.base import AGGREGATIONS, ScoreCost, Scored, ScorerBase, ScoreRequest, split_steps
from thinkbench.harness.validate import param
from thinkbench.verifiers.judge import p_word

_SOLUTION_PROMPT = (
    "Here is a problem and a proposed solution.\n\nProblem:\n{question}\n\nProposed solution:\n{solution}\n\n"
    "Is the proposed solution correct? Answer with Yes or No.")
_STEP_PROMPT = (
    "Here is a problem, the beginning of a solution, and its next step.\n\nProblem:\n{question}\n\n"
    "Solution so far:\n{before}\n\nNext step:\n{step}\n\nIs the next step correct? Answer with Yes or No.")


@dataclass(frozen=True)
class Verdict:
    """One question to the judge: about the whole solution, or about one step after the ones before."""

    question: str
    solution: str
    step: str | None = None

    def prompt(self) -> str:
        if self.step is None:
            return _SOLUTION_PROMPT.format(question=self.question, solution=self.solution)
        return _STEP_PROMPT.format(question=self.question, before=self.solution or "(nothing yet)", step=self.step)


def _solution_verdicts(request: ScoreRequest) -> tuple[tuple[float, ...], list[Verdict]]:
    return (), [Verdict(request.question, "\n\n".join(request.steps()))]


def _step_verdicts(request: ScoreRequest) -> tuple[tuple[float, ...], list[Verdict]]:
    """Judge only the steps the parent's values do not cover. The parent's last step is judged again
    unless the parent ended on a delimiter: a step cut by the token limit goes on in the child."""
    steps = request.steps()
    parent = "".join(s.text for s in request.segments[:request.known_segments])
    complete = split_steps(parent, request.delimiter) if parent.strip() else []
    if parent and not parent.endswith(request.delimiter):
        complete = complete[:-1]
    keep = request.known[:min(len(request.known), len(complete), len(steps))]
    return keep, [Verdict(request.question, "\n\n".join(steps[:i]), steps[i]) for i in range(len(keep), len(steps))]


MODES: dict[str, Callable[[ScoreRequest], tuple[tuple[float, ...], list[Verdict]]]] = {
    "solution": _solution_verdicts,
    "step": _step_verdicts,
}


@dataclass(frozen=True)
class LLMJudgeParams:
    model: str | None = None  # None: the policy model, on its engine
    mode: str = param("solution", choices=MODES)  # solution: one verdict per candidate; step: one per step
    aggregation: str = param("last", choices=AGGREGATIONS)
    top_logprobs: int = param(20, ge=1)  # the first token's alternatives searched for Yes and No
    engine: dict = param(factory=dict, check=vllm_settings)  # vLLM settings when the judge has its own model


def _key(verdict: Verdict) -> str:
    return hashlib.sha256(verdict.prompt().encode()).hexdigest()[:24]


def p_yes(top: dict[str, float]) -> float:
    return p_word(top, "yes", "no")


@register("llm_judge")
class LLMJudge(ScorerBase):
    Params = LLMJudgeParams

    def __init__(self, params: LLMJudgeParams, where: str) -> None:
        super().__init__(params, where)
        # Resolved now so that a missing model folder fails at start, not mid-run.
        try:
            self._model = None if params.model is None else resolve_model(params.model)
        except InputError as e:
            raise InputError(f"{where}.{e}") from None
        self._own: Engine | None = None

    def identity(self) -> str:
        return f"{self.name}:{self._model or 'policy'}:{self.params.mode}:{self.params.top_logprobs}"

    def _engine(self) -> Engine:
        if self._model is None or self._model == self.ctx.policy_model:
            return self.ctx.policy_engine()
        if self._own is None:
            self._own = build_engine("vllm", self._model, self.params.engine, self.ctx.seed)
        return self._own

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        plans = [MODES[self.params.mode](r) for r in requests]
        prompts = {_key(v): v.prompt() for _, verdicts in plans for v in verdicts}
        results: dict[str, GenResult] = {}
        shape = None
        if prompts:
            sampling = SamplingSpec(n=1, temperature=0.0, max_tokens=1, logprobs=self.params.top_logprobs)
            engine = self._engine()
            shape = engine.info.shape
            engine.generate([GenRequest(k, (("user", p),), sampling) for k, p in prompts.items()],
                            lambda r: results.__setitem__(r.key, r))
        charged: set[str] = set()  # a question asked for two candidates was one call: charge it once
        out = []
        for keep, verdicts in plans:
            values, cost = list(keep), ScoreCost()
            for v in verdicts:
                key = _key(v)
                r = results[key]
                values.append(p_yes(r.outputs[0].top_logprobs[0] if r.outputs and r.outputs[0].top_logprobs else {}))
                if key not in charged:
                    charged.add(key)
                    cost = cost + ScoreCost.of_call(shape, r.prompt_tokens, r.cached_prompt_tokens,
                                                    [o.tokens for o in r.outputs])
            out.append(Scored(tuple(values), cost))
        return out

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None
