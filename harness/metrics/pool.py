"""Metric points from the one pool of samples per problem: every k from the same samples."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.metrics.compute import ModelShape, Price, ProblemCompute, mean_compute_at_k
from thinkbench.harness.metrics.estimators import ks_for, maj_at_k, mean_ci, pass_at_k
from thinkbench.harness.metrics.outcomes import Outcomes, outcome_stats
from thinkbench.harness.store import CompletionRow


@dataclass(frozen=True)
class MetricPoint:
    metric: str  # "accuracy", "pass@k", "maj@k"
    k: int
    value: float
    low: float  # 95% bootstrap interval over problems
    high: float
    exact: bool  # False where maj@k fell back to Monte Carlo
    # Mean per problem of what this point costs: prompt_tokens, cached_prompt_tokens,
    # generated_tokens, flops (None without a model shape), cost (None without a price).
    compute: dict
    outcomes: Outcomes | None = None  # how the samples behind the point ended (cut, no answer, verdicts)


def by_problem(rows: Sequence[CompletionRow]) -> dict[str, list[CompletionRow]]:
    groups: dict[str, list[CompletionRow]] = defaultdict(list)
    for row in rows:
        groups[row.problem_id].append(row)
    return dict(groups)


def vote_key(row: CompletionRow) -> str | None:
    """What a majority vote counts. Answers verified equal to the gold are one answer however they
    are written ("0.5", "1/2"); wrong answers are grouped by their extracted text."""
    if row.correct:
        return "\x00gold"
    return row.extracted


def pool_metrics(rows: Sequence[CompletionRow], families: Sequence[str], shape: ModelShape | None = None,
                 price: Price | None = None) -> list[MetricPoint]:
    groups = by_problem(rows)
    if not groups:
        return []
    n = min(len(g) for g in groups.values())
    compute = [ProblemCompute(g[0].prompt_tokens, g[0].cached_prompt_tokens, [r.generated_tokens for r in g])
               for g in groups.values()]
    points = []
    outcomes = outcome_stats(rows)  # every k reads the same pool

    def point(metric: str, k: int, per_problem: list[float], exact: bool = True) -> MetricPoint:
        ci = mean_ci(per_problem)
        return MetricPoint(metric, k, ci.mean, ci.low, ci.high, exact, mean_compute_at_k(compute, k, shape, price),
                           outcomes)

    if "accuracy" in families:
        points.append(point("accuracy", 1, [sum(bool(r.correct) for r in g) / len(g) for g in groups.values()]))
    for k in ks_for(n) if ("pass" in families or "maj" in families) else []:
        if "pass" in families:
            per = [pass_at_k(len(g), sum(bool(r.correct) for r in g), k) for g in groups.values()]
            points.append(point("pass@k", k, per))
        if "maj" in families:
            estimates = [maj_at_k([vote_key(r) for r in g], [bool(r.correct) for r in g], k) for g in groups.values()]
            points.append(point("maj@k", k, [e.value for e in estimates], all(e.exact for e in estimates)))
    return points
