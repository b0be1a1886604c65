"""The per-problem values behind the pool metrics (accuracy, pass@k, maj@k), recomputed from stored
samples with the same estimators `pool_metrics` uses, so that a point can be broken down by group of
problems or compared problem by problem with another run."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from thinkbench.harness.metrics.estimators import maj_at_ks, pass_at_k
from thinkbench.harness.metrics.pool import vote_key
from thinkbench.harness.store import CompletionRow

POOL_METRICS = ("accuracy", "pass@k", "maj@k")


def pool_pass_rates(groups: Mapping[str, Sequence[CompletionRow]]) -> dict[str, float]:
    """Fraction of each problem's samples graded correct."""
    return {pid: sum(bool(r.correct) for r in rows) / len(rows) for pid, rows in groups.items() if rows}


def pool_problem_values(groups: Mapping[str, Sequence[CompletionRow]], metric: str,
                        ks: Sequence[int]) -> dict[int, dict[str, float]] | None:
    """{k: {problem id: value}} for one pool metric at every k in `ks` (problem id -> its samples
    in `groups`); None for a metric that is not a pool metric."""
    if metric not in POOL_METRICS:
        return None
    out: dict[int, dict[str, float]] = {k: {} for k in ks}
    for pid, rows in groups.items():
        correct = [bool(r.correct) for r in rows]
        if metric == "maj@k":
            # All k at once: the exact vote table is built once per problem.
            usable = [k for k in ks if k <= len(rows)]
            for k, estimate in zip(usable, maj_at_ks([vote_key(r) for r in rows], correct, usable)):
                out[k][pid] = estimate.value
            continue
        for k in ks:
            if metric == "accuracy":
                out[k][pid] = sum(correct) / len(correct)
            elif k <= len(rows):
                out[k][pid] = pass_at_k(len(rows), sum(correct), k)
    return out
