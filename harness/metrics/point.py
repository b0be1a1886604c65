"""A metric point and the per-problem values behind it."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from thinkbench.harness.metrics.estimators import mean_ci
from thinkbench.harness.metrics.outcomes import Outcomes
from thinkbench.harness.types import CompletionRow


@dataclass(frozen=True)
class MetricPoint:
    """One metric at one k (or budget) over a task's problems.

    `per_problem` keeps each problem's own value (problem id -> value), so that a point can be
    broken down by group of problems, compared problem by problem with another run (the gate), or
    analysed further without going back to the samples; `value` is their mean.
    """

    metric: str  # "accuracy", "pass@k", "maj@k", "best@k", "budget:maj@4", ...
    k: int  # samples per problem, or the strategy's budget (thinking tokens, Waits, round, search budget)
    value: float  # mean of per_problem
    low: float  # 95% bootstrap interval over problems
    high: float
    exact: bool  # False where some problem's value is a Monte Carlo estimate
    # Mean per problem of what this point costs: prompt_tokens, cached_prompt_tokens,
    # generated_tokens, flops (None without a model shape), cost (None without a price); strategies
    # add their own measures (scorer_*, thinking_tokens, ...).
    compute: dict
    per_problem: dict[str, float]  # problem id -> value
    outcomes: Outcomes | None = None  # how the samples behind the point ended (cut, no answer, verdicts)


def metric_point(metric: str, k: int, per_problem: Mapping[str, float], compute: dict, exact: bool = True,
                 outcomes: Outcomes | None = None) -> MetricPoint:
    """The point whose value is the mean of `per_problem`, with its bootstrap interval."""
    values = {pid: float(v) for pid, v in per_problem.items()}
    ci = mean_ci(list(values.values()))
    return MetricPoint(metric, k, ci.mean, ci.low, ci.high, exact, compute, values, outcomes)


def by_problem(rows: Sequence[CompletionRow]) -> dict[str, list[CompletionRow]]:
    groups: dict[str, list[CompletionRow]] = defaultdict(list)
    for row in rows:
        groups[row.problem_id].append(row)
    return dict(groups)
