"""The policy's own confidence in what it generated, from its token log-probabilities: no extra model.

Measures, per generated piece (a search step, or a whole sample):
- `mean_logprob`: exp of the mean token log-probability (the geometric-mean token probability). The
  exp keeps the ranking of the mean log-prob and makes the score a positive weight for voting.
- `self_certainty`: the mean over tokens of KL(uniform || p), as in Kang et al. (2025), "Scalable
  Best-of-N Selection for Large Language Models via Self-Certainty"; the engine returns only the top-k
  log-probabilities, so p is the next-token distribution renormalised over those k (an approximation
  that ranks peaked distributions above flat ones, as the full measure does).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from thinkbench.harness.scorers import register
from thinkbench.harness.scorers.base import AGGREGATIONS, ScoreCost, Scored, ScorerBase, ScoreRequest, Segment
from thinkbench.harness.validate import param


class MissingLogprobs(RuntimeError):
    """A candidate reached the confidence scorer without the log-probabilities it needs."""


def _mean_logprob(segment: Segment, top_k: int) -> float:
    logprobs = segment.logprobs or ()
    return math.exp(sum(logprobs) / len(logprobs)) if logprobs else 1.0


def _self_certainty(segment: Segment, top_k: int) -> float:
    per_token = []
    for top in segment.top_logprobs or ():
        lps = sorted(top.values(), reverse=True)[:top_k]
        if len(lps) < 2:
            per_token.append(0.0)  # a single known option: nothing to compare against
            continue
        peak = lps[0]
        log_z = peak + math.log(sum(math.exp(lp - peak) for lp in lps))
        # KL(U || p) = -log k - mean_j log p_j, with p renormalised over the k options.
        per_token.append(-math.log(len(lps)) - sum(lp - log_z for lp in lps) / len(lps))
    return sum(per_token) / len(per_token) if per_token else 0.0


MEASURES: dict[str, Callable[[Segment, int], float]] = {
    "mean_logprob": _mean_logprob,
    "self_certainty": _self_certainty,
}


@dataclass(frozen=True)
class ConfidenceParams:
    measure: str = param("mean_logprob", choices=MEASURES)
    top_k: int = param(5, ge=2)  # log-probabilities per token that self_certainty asks the engine for
    aggregation: str = param("mean", choices=AGGREGATIONS)  # over the generated pieces of a candidate


@register("confidence")
class Confidence(ScorerBase):
    Params = ConfidenceParams

    def __init__(self, params: ConfidenceParams, where: str) -> None:
        super().__init__(params, where)
        self._measure = MEASURES[params.measure]
        # The chosen token's log-prob is enough for the mean; self-certainty needs the top-k.
        self.logprobs = 0 if params.measure == "mean_logprob" else params.top_k

    def identity(self) -> str:
        top_k = self.params.top_k if self.params.measure == "self_certainty" else None
        return f"{self.name}:{self.params.measure}:{top_k}"

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        return [self._one(r) for r in requests]

    def _one(self, request: ScoreRequest) -> Scored:
        new = request.segments[request.known_segments:]
        if any(s.logprobs is None for s in new):
            raise MissingLogprobs(
                f"{self.where}: a candidate has no token log-probabilities (it was generated without them); "
                "start a new run folder for this scorer")
        values = request.known[:request.known_segments] + tuple(self._measure(s, self.params.top_k) for s in new)
        return Scored(values, ScoreCost())
