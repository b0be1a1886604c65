"""Paired comparison of two runs on the same problems, following Miller (2024), "Adding Error Bars to
Evals: A Statistical Approach to Language Model Evaluations": per-problem differences, the standard
error of their mean (the paired design lets per-problem difficulty cancel), a one-sided test of a
drop (exact McNemar where every value is a single pass/fail, else a z-test on the mean difference),
the smallest drop the comparison can detect, and Holm's step-down control of the family-wise error
over many compared points."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from thinkbench.harness.metrics.estimators import mcnemar_drop

POWER = 0.8  # the chance to catch a real drop of the detectable size
_Z = NormalDist()


@dataclass(frozen=True)
class PairedComparison:
    problems: int
    baseline: float  # mean over problems
    candidate: float
    diff: float  # mean of candidate - baseline
    stderr: float  # of diff, from the spread of the per-problem differences
    p_value: float  # one-sided: the chance of a difference this low if the candidate were no worse
    binary: bool  # every value a single pass/fail: p_value is exact McNemar; otherwise a z-test

    @property
    def test(self) -> str:
        return "McNemar" if self.binary else "z-test"

    def interval(self, alpha: float) -> tuple[float, float]:
        """The two-sided 1 - alpha interval of the difference (normal approximation)."""
        half = _Z.inv_cdf(1 - alpha / 2) * self.stderr
        return self.diff - half, self.diff + half

    def detectable_drop(self, alpha: float, power: float = POWER) -> float:
        """The smallest true drop this comparison catches with probability `power` when it is tested
        at level `alpha`: (z_{1-alpha} + z_power) * stderr. Pass/fail values can never be significant
        with fewer than `_fewest_drops(alpha)` problems dropped, so that many is the floor."""
        drop = (_Z.inv_cdf(1 - alpha) + _Z.inv_cdf(power)) * self.stderr
        return max(drop, _fewest_drops(alpha) / self.problems) if self.binary else drop

    def problems_needed(self, drop: float, alpha: float, power: float = POWER) -> int:
        """About how many problems would make `drop` detectable, with the spread of differences seen here."""
        spread = self.stderr * math.sqrt(self.problems)
        needed = ((_Z.inv_cdf(1 - alpha) + _Z.inv_cdf(power)) * spread / drop) ** 2
        if self.binary:
            needed = max(needed, _fewest_drops(alpha) / drop)
        return math.ceil(needed)


def _fewest_drops(alpha: float) -> int:
    """With no problem improving, m problems dropping give McNemar p = 2^-m: the fewest with p <= alpha."""
    return math.ceil(math.log2(1 / alpha))


def per_problem_diff(baseline: Mapping[str, float], candidate: Mapping[str, float]) -> dict[str, float]:
    """candidate - baseline for each problem; both must cover the same problems."""
    if set(baseline) != set(candidate):
        only_a, only_b = sorted(set(baseline) - set(candidate)), sorted(set(candidate) - set(baseline))
        raise ValueError(f"different problems: {len(only_a)} only in the baseline (e.g. {only_a[:1]}), "
                         f"{len(only_b)} only in the candidate (e.g. {only_b[:1]})")
    return {pid: candidate[pid] - baseline[pid] for pid in sorted(baseline)}


def compare(baseline: Mapping[str, float], candidate: Mapping[str, float]) -> PairedComparison:
    """Compare per-problem values (problem id -> value) of a baseline and a candidate."""
    diffs = per_problem_diff(baseline, candidate)
    if not diffs:
        raise ValueError("no problems to compare")
    n = len(diffs)
    a = [float(baseline[i]) for i in diffs]
    b = [float(candidate[i]) for i in diffs]
    mean = sum(diffs.values()) / n
    spread = math.sqrt(sum((d - mean) ** 2 for d in diffs.values()) / (n - 1)) if n > 1 else 0.0
    stderr = spread / math.sqrt(n)
    binary = all(v in (0.0, 1.0) for v in a + b)
    if binary:
        p_value = mcnemar_drop([v == 1.0 for v in a], [v == 1.0 for v in b])
    elif stderr > 0:
        p_value = _Z.cdf(mean / stderr)
    else:  # every problem moved by the same amount: a drop is certain, anything else is none
        p_value = 0.0 if mean < 0 else 1.0
    return PairedComparison(n, sum(a) / n, sum(b) / n, mean, stderr, p_value, binary)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values: rejecting every hypothesis whose adjusted p is <= alpha keeps
    the chance of any false rejection among them <= alpha, however the tests depend on each other."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
