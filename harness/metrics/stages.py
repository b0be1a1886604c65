"""Metric points for strategies that read several budgets off one trajectory per sample: at every
stage (a thinking budget, a number of "Wait"s, a refinement round) each sample has one answer and a
cost to get there, and the stage is scored like a pool of n samples.

Point names are `<stage family>:<metric>` (`budget:pass@1`, `round:maj@4`) and a point's `k` holds the
stage's value (the budget in tokens, the waits, the round). Compute is the mean per problem for the
samples a metric uses (1 for pass@1, k for maj@k); thinking and answer tokens are counted apart.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from thinkbench.harness.metrics.compute import Price, cost, decode_flops, prefill_flops
from thinkbench.harness.metrics.estimators import ks_for, maj_at_ks
from thinkbench.harness.metrics.lengths import SampleLength, length_stats
from thinkbench.harness.metrics.outcomes import outcome_stats
from thinkbench.harness.metrics.point import MetricPoint, metric_point
from thinkbench.harness.types import CompletionRow, ModelShape


@dataclass(frozen=True)
class Part:
    """One engine call on a sample's way to its answer at a stage, and what it cost that sample."""

    prompt_tokens: int
    cached_prompt_tokens: int
    generated_tokens: int
    thinking: bool  # thinking tokens, or answer tokens
    shared: bool = False  # the chain's first request: one prefill serves all n samples

    @classmethod
    def of(cls, row: CompletionRow, thinking: bool, shared: bool = False, generated: int | None = None) -> "Part":
        return cls(row.prompt_tokens, row.cached_prompt_tokens or 0,
                   row.generated_tokens if generated is None else generated, thinking, shared)


@dataclass(frozen=True)
class Attempt:
    answer: CompletionRow  # the graded row whose answer counts at this stage
    parts: tuple[Part, ...]


def attempt_lengths(attempts: Sequence[Attempt]) -> dict:
    """length_stats of attempts, counted: their thinking and answer calls are apart."""
    return length_stats([SampleLength(sum(p.generated_tokens for p in a.parts if p.thinking),
                                      sum(p.generated_tokens for p in a.parts if not p.thinking),
                                      bool(a.answer.correct)) for a in attempts], exact=True)


def latest_majority(answers: Sequence[CompletionRow]) -> CompletionRow:
    """The answer a majority vote over one sample's successive answers keeps: the most frequent vote
    group, ties going to the latest; with no answer at all, the latest attempt."""
    counts = Counter(a.vote for a in answers if a.vote is not None)
    if not counts:
        return answers[-1]
    top = max(counts.values())
    return next(a for a in reversed(answers) if counts.get(a.vote) == top)


def stage_compute(problems: Sequence[Sequence[Attempt]], k: int, shape: ModelShape | None,
                  price: Price | None) -> dict[str, float | None]:
    """Mean cost per problem of k samples at one stage: shared prefills once, the rest k times the
    mean over the problem's samples."""
    names = ("prompt_tokens", "cached_prompt_tokens", "generated_tokens", "thinking_tokens", "answer_tokens")
    total = dict.fromkeys(names, 0.0)
    flops = 0.0
    for attempts in problems:
        for p in (p for p in attempts[0].parts if p.shared):
            total["prompt_tokens"] += p.prompt_tokens
            total["cached_prompt_tokens"] += p.cached_prompt_tokens
            flops += prefill_flops(shape, p.prompt_tokens, p.cached_prompt_tokens) if shape else 0.0
        weight = k / len(attempts)
        for p in (p for a in attempts for p in a.parts):
            if not p.shared:
                total["prompt_tokens"] += weight * p.prompt_tokens
                total["cached_prompt_tokens"] += weight * p.cached_prompt_tokens
                flops += weight * prefill_flops(shape, p.prompt_tokens, p.cached_prompt_tokens) if shape else 0.0
            total["generated_tokens"] += weight * p.generated_tokens
            total["thinking_tokens" if p.thinking else "answer_tokens"] += weight * p.generated_tokens
            flops += weight * decode_flops(shape, p.prompt_tokens, p.generated_tokens) if shape else 0.0
    count = max(len(problems), 1)
    out: dict[str, float | None] = {name: value / count for name, value in total.items()}
    out["flops"] = flops / count if shape else None
    out["cost"] = cost(price, out["prompt_tokens"], out["generated_tokens"]) if price else None
    return out


def stage_points(family: str, stage: int, problems: Mapping[str, Sequence[Attempt]], shape: ModelShape | None,
                 price: Price | None, extra: dict | None = None) -> list[MetricPoint]:
    """pass@1 and maj@k (k = 2, 4, ... n) of one stage (problem id -> its samples' attempts); `extra`
    joins every point's compute."""
    if not problems:
        return []

    def compute(k: int) -> dict:
        return {**stage_compute(list(problems.values()), k, shape, price), **(extra or {})}

    outcomes = outcome_stats([a.answer for att in problems.values() for a in att])  # the answers of this stage
    points = [metric_point(f"{family}:pass@1", stage,
                           {pid: sum(bool(a.answer.correct) for a in att) / len(att) for pid, att in problems.items()},
                           compute(1), outcomes=outcomes)]
    ks = ks_for(min(len(att) for att in problems.values()))[1:]
    votes = {pid: maj_at_ks([a.answer.vote for a in att], [bool(a.answer.correct) for a in att], ks)
             for pid, att in problems.items()}
    for i, k in enumerate(ks):
        points.append(metric_point(f"{family}:maj@{k}", stage, {pid: v[i].value for pid, v in votes.items()},
                                   compute(k), all(v[i].exact for v in votes.values()), outcomes))
    return points
