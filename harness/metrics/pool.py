"""Metric points from the one pool of samples per problem: every k from the same samples."""
from __future__ import annotations

from typing import Sequence

from thinkbench.harness.metrics.compute import Price, ProblemCompute, mean_compute_at_k
from thinkbench.harness.metrics.estimators import ks_for, maj_at_ks, pass_at_k
from thinkbench.harness.metrics.outcomes import outcome_stats
from thinkbench.harness.metrics.point import MetricPoint, by_problem, metric_point
from thinkbench.harness.types import CompletionRow, ModelShape


def pool_metrics(rows: Sequence[CompletionRow], families: Sequence[str], shape: ModelShape | None = None,
                 price: Price | None = None) -> list[MetricPoint]:
    """`accuracy` (the mean over samples), `pass@k` and `maj@k` (a gold-blind majority vote over the
    samples' vote groups) for k = 1, 2, 4, ... n, as `families` asks."""
    groups = by_problem(rows)
    if not groups:
        return []
    n = min(len(g) for g in groups.values())
    compute = [ProblemCompute.of_pool(g) for g in groups.values()]
    hits = {pid: sum(bool(r.correct) for r in g) for pid, g in groups.items()}
    ks = ks_for(n)
    points = []
    outcomes = outcome_stats(rows)  # every k reads the same pool
    if "accuracy" in families:
        points.append(metric_point("accuracy", 1, {pid: hits[pid] / len(g) for pid, g in groups.items()},
                                   mean_compute_at_k(compute, 1, shape, price), outcomes=outcomes))
    # Every k at once: the exact vote table is built once per problem.
    votes = {pid: maj_at_ks([r.vote for r in g], [bool(r.correct) for r in g], ks) for pid, g in groups.items()} \
        if "maj" in families else {}
    for i, k in enumerate(ks):
        cost = mean_compute_at_k(compute, k, shape, price)
        if "pass" in families:
            points.append(metric_point("pass@k", k, {pid: pass_at_k(len(g), hits[pid], k) for pid, g in groups.items()},
                                       cost, outcomes=outcomes))
        if "maj" in families:
            points.append(metric_point("maj@k", k, {pid: v[i].value for pid, v in votes.items()}, cost,
                                       all(v[i].exact for v in votes.values()), outcomes))
    return points
