"""Choosing the answer among scored candidates, and the metric points of scored and search strategies.

Both selections are exact expectations over the candidates: `best` keeps the top-scoring one (ties
broken uniformly at random), `vote` sums scores per vote group (answers the verifier judged equivalent
to each other, never to the gold) and keeps the heaviest group (ties alike).
Compute comes in the same dict as the pool metrics (policy prompt, cached prompt and generated
tokens, FLOPs, cost) plus engine `calls` and the scorer's own `scorer_*` tokens, calls and FLOPs,
counted apart so strategies can be compared on policy compute, scorer compute, or both.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Sequence

from thinkbench.harness.metrics.compute import (Price, ProblemCompute, cost, decode_flops, mean_compute_at_k,
                                                prefill_flops)
from thinkbench.harness.metrics.estimators import best_of_k, ks_for, weighted_maj_at_k
from thinkbench.harness.metrics.outcomes import Outcomes, outcome_stats
from thinkbench.harness.metrics.point import MetricPoint, by_problem, metric_point
from thinkbench.harness.types import CompletionRow, ModelShape


def _best(rows: Sequence[CompletionRow], k: int) -> tuple[float, bool]:
    return best_of_k([r.score for r in rows], [bool(r.correct) for r in rows], k), True


def _vote(rows: Sequence[CompletionRow], k: int) -> tuple[float, bool]:
    e = weighted_maj_at_k([r.vote for r in rows], [r.score for r in rows], [bool(r.correct) for r in rows], k)
    return e.value, e.exact


# name -> (expected accuracy of the selection over a uniformly random k-subset of the candidates,
# whether that expectation is exact rather than Monte Carlo)
SELECTIONS: dict[str, Callable[[Sequence[CompletionRow], int], tuple[float, bool]]] = {"best": _best, "vote": _vote}


def _scorer_keys(total: dict, scale: float) -> dict:
    return {f"scorer_{k}": None if v is None else v * scale for k, v in total.items()}


def search_compute(record: dict, shape: ModelShape | None, price: Price | None) -> dict:
    """One problem's compute from its search record: every policy call it used, and its scorer."""
    calls = record["policy"]
    prompt = sum(p for p, _, _ in calls)
    generated = sum(sum(g) for _, _, g in calls)
    flops = None
    if shape:
        flops = sum(prefill_flops(shape, p, c) + sum(decode_flops(shape, p, x) for x in g) for p, c, g in calls)
    return {"prompt_tokens": prompt, "cached_prompt_tokens": sum(c for _, c, _ in calls),
            "generated_tokens": generated, "flops": flops,
            "cost": cost(price, prompt, generated) if price else None, "calls": len(calls),
            **_scorer_keys(record["scorer"], 1.0)}


def _mean(dicts: Sequence[dict]) -> dict:
    return {k: None if any(d[k] is None for d in dicts) else sum(d[k] for d in dicts) / len(dicts) for k in dicts[0]}


def _point(metric: str, k: int, per_problem: dict[str, tuple[float, bool]], compute: dict, outcomes: Outcomes
           ) -> MetricPoint:
    return metric_point(metric, k, {pid: v for pid, (v, _) in per_problem.items()}, compute,
                        all(exact for _, exact in per_problem.values()), outcomes)


def search_metrics(rows: Sequence[CompletionRow], select: str, shape: ModelShape | None, price: Price | None
                   ) -> list[MetricPoint]:
    """Per budget: the selected answer's accuracy (`best@k` or `vote@k`) and `coverage@k`, whether any
    final candidate is correct; k is the budget, the compute is what each problem's search used."""
    budgets: dict[int, list[CompletionRow]] = defaultdict(list)
    for row in rows:
        budgets[row.compute["budget"]].append(row)
    points = []
    for budget in sorted(budgets):
        groups = by_problem(budgets[budget])
        compute = _mean([search_compute(g[0].compute, shape, price) for g in groups.values()])
        outcomes = outcome_stats(budgets[budget])  # the final candidates of this budget
        points.append(_point(f"{select}@k", budget, {pid: SELECTIONS[select](g, len(g)) for pid, g in groups.items()},
                             compute, outcomes))
        points.append(_point("coverage@k", budget,
                             {pid: (float(any(r.correct for r in g)), True) for pid, g in groups.items()}, compute,
                             outcomes))
    return points


def pool_scored_metrics(rows: Sequence[CompletionRow], select: str, shape: ModelShape | None, price: Price | None
                        ) -> list[MetricPoint]:
    """`best@k` or `vote@k` for every k <= n from one scored pool of n samples per problem: the exact
    expectation over k-subsets, charged one prefill, k samples and k samples' scoring."""
    groups = by_problem(rows)
    if not groups:
        return []
    n = min(len(g) for g in groups.values())
    pools = [ProblemCompute.of_pool(g) for g in groups.values()]
    points = []
    outcomes = outcome_stats(rows)
    for k in ks_for(n):
        policy = mean_compute_at_k(pools, k, shape, price)
        scorer = _mean([_scorer_keys(_mean(g[0].compute["scorer"]), k) for g in groups.values()])
        points.append(_point(f"{select}@k", k, {pid: SELECTIONS[select](g, k) for pid, g in groups.items()},
                             {**policy, **scorer}, outcomes))
    return points
