"""Paired comparison of two runs on the same problems: per-problem differences, a paired bootstrap
interval of the mean difference, and an exact McNemar test where each value is a single pass/fail."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from thinkbench.harness.metrics.estimators import Interval, mcnemar_exact, paired_bootstrap_diff


@dataclass(frozen=True)
class PairedComparison:
    problems: int
    baseline: float  # mean over problems
    candidate: float
    diff: Interval  # candidate - baseline, with its paired bootstrap interval
    p_value: float | None  # exact McNemar, only when every value is 0 or 1; None otherwise

    def significant(self, alpha: float) -> bool:
        """McNemar's p below alpha for pass/fail values; otherwise the interval (computed at
        level 1 - alpha) excludes zero."""
        if self.p_value is not None:
            return self.p_value < alpha
        return self.diff.low > 0 or self.diff.high < 0


def per_problem_diff(baseline: Mapping[str, float], candidate: Mapping[str, float]) -> dict[str, float]:
    """candidate - baseline for each problem; both must cover the same problems."""
    if set(baseline) != set(candidate):
        only_a, only_b = sorted(set(baseline) - set(candidate)), sorted(set(candidate) - set(baseline))
        raise ValueError(f"different problems: {len(only_a)} only in the baseline (e.g. {only_a[:1]}), "
                         f"{len(only_b)} only in the candidate (e.g. {only_b[:1]})")
    return {pid: candidate[pid] - baseline[pid] for pid in sorted(baseline)}


def compare(baseline: Mapping[str, float], candidate: Mapping[str, float], *, level: float = 0.95,
            n_boot: int = 2000, seed: int = 0) -> PairedComparison:
    """Compare per-problem values (problem id -> value) of a baseline and a candidate."""
    ids = sorted(per_problem_diff(baseline, candidate))
    if not ids:
        raise ValueError("no problems to compare")
    a = [float(baseline[i]) for i in ids]
    b = [float(candidate[i]) for i in ids]
    diff = paired_bootstrap_diff(a, b, level=level, n_boot=n_boot, seed=seed)
    binary = all(v in (0.0, 1.0) for v in a + b)
    p_value = mcnemar_exact([v == 1.0 for v in a], [v == 1.0 for v in b]) if binary else None
    return PairedComparison(len(ids), sum(a) / len(a), sum(b) / len(b), diff, p_value)
