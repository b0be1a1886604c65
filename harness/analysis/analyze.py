"""Every analysis of one task, from plain inputs: coverage fits per pool, adaptive stopping read from each
pool, and the cross-fitted compute-optimal policy over all of the task's settings."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from thinkbench.harness.analysis.adaptive_stopping import adaptive_settings
from thinkbench.harness.analysis.compute_optimal import ComputeOptimal, compute_optimal, split_views
from thinkbench.harness.analysis.coverage_fit import CoverageFit, coverage_fit
from thinkbench.harness.analysis.settings import Pool, Setting, pool_settings


@dataclass(frozen=True)
class TaskInputs:
    settings: Sequence[Setting]  # the task's achievable points with per-problem values, cost in generated tokens
    pools: Mapping[str, Pool]  # strategy -> its pool of independent samples, votes gold-blind
    pool_metrics: Mapping[str, Sequence[str]]  # strategy -> the POOL_METRICS families its points report
    coverage: Mapping[str, Mapping[int, Mapping[str, float]]]  # strategy -> {k: {problem id: pass@k}}


@dataclass(frozen=True)
class TaskAnalysis:
    coverage: dict[str, CoverageFit]
    adaptive: dict[str, list[Setting]]  # strategy -> its stopping rules read from its whole pool
    compute_optimal: ComputeOptimal | None
    difficulty_pool: str | None  # whose samples give difficulty, cut in halves of `half` samples
    half: int
    pools: tuple[str, ...]  # every pool, each cut in halves at the same sample indices
    notes: list[str] = field(default_factory=list)  # what could not be done, and why


def _common(inputs: TaskInputs) -> set[str]:
    problems = [set(s.values) for s in inputs.settings] + [set(p) for p in inputs.pools.values()]
    return set.intersection(*problems) if problems else set()


def _restricted(setting: Setting, problems: set[str]) -> Setting:
    return Setting(setting.strategy, setting.name, {p: v for p, v in setting.values.items() if p in problems},
                   {p: c for p, c in setting.costs.items() if p in problems})


def analyze_task(inputs: TaskInputs) -> TaskAnalysis:
    notes = []
    coverage = {}
    for strategy, curve in inputs.coverage.items():
        fit = coverage_fit(curve)
        if fit is None:
            notes.append(f"{strategy}: no coverage fit (fewer than two k with any problem solved)")
        else:
            coverage[strategy] = fit
    adaptive = {strategy: adaptive_settings(strategy, pool) for strategy, pool in inputs.pools.items()}
    # Difficulty from the largest pool (the first listed on a tie), split in halves.
    sizes = {strategy: min(len(s) for s in pool.values()) for strategy, pool in inputs.pools.items() if pool}
    if not sizes or max(sizes.values()) < 2:
        notes.append("no compute-optimal policy: it needs a pool of at least 2 samples per problem to estimate "
                     "each problem's difficulty")
        return TaskAnalysis(coverage, adaptive, None, None, 0, (), notes)
    source = max(sizes, key=lambda s: sizes[s])
    problems = _common(inputs)
    every = set().union(*(set(s.values) for s in inputs.settings), *(set(p) for p in inputs.pools.values()))
    if len(problems) < 2:
        notes.append("no compute-optimal policy: cross-fitting needs at least 2 problems with a value from "
                     "every strategy")
        return TaskAnalysis(coverage, adaptive, None, None, 0, (), notes)
    if problems != every:
        notes.append(f"compute-optimal policy over the {len(problems)} problems every strategy has "
                     f"({len(every) - len(problems)} left out)")
    # Pools are scored on halves (below), every other strategy's settings whole. A one-sample pool
    # cannot be cut, and whole it would share its sample with the half that gives difficulty.
    for strategy in [s for s in inputs.pools if sizes.get(s, 0) < 2]:
        notes.append(f"{strategy}: left out of the compute-optimal policy (one sample per problem cannot be "
                     "cut in halves)")
    others = [_restricted(s, problems) for s in inputs.settings if s.strategy not in inputs.pools]
    pools = {strategy: {p: samples for p, samples in pool.items() if p in problems}
             for strategy, pool in inputs.pools.items() if sizes.get(strategy, 0) >= 2}

    def settings_of(strategy: str, half: Pool) -> list[Setting]:
        return pool_settings(strategy, half, inputs.pool_metrics[strategy]) + adaptive_settings(strategy, half)

    optimal = compute_optimal(split_views(source, pools, settings_of, others))
    return TaskAnalysis(coverage, adaptive, optimal, source, sizes[source] // 2, tuple(pools), notes)
