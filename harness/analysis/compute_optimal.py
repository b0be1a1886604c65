"""The compute-optimal policy per difficulty (Snell et al. 2024, "Scaling LLM Test-Time Compute Optimally
can be More Effective than Scaling Model Parameters").

At each compute budget the policy picks, for each difficulty bin, the setting (a strategy at one k,
budget or stopping rule) with the best accuracy among those whose mean compute in that bin fits the
budget. Bins are quantiles of each problem's pass rate (`difficulty_bins`, 1 easiest).

Estimated naively, such a policy is optimistic twice over: a problem's bin read from the samples that
are then scored puts lucky problems in the easy bins, and the best setting per bin chosen on the
problems it is then scored on is the luckiest one. Both are cross-fitted here:

* A problem's difficulty comes from samples its scored values never see. `split_views` cuts every pool
  into two halves per problem by sample index: one half of one pool gives the bin (its pass rate), the
  other half of every pool scores their settings; then the halves swap, and a problem's value is the
  mean of the two. Strategies without a pool (searches, thinking strategies, greedy) are scored whole:
  greedy decoding shares no randomness with a pool, but a search's or a thinking strategy's first
  request is seeded like a pool's first samples, so their values are not fully independent of the bins.
* The setting for a problem's bin is chosen on the other folds of problems (`FOLDS`-fold).

The policy's accuracy is then an honest estimate for a new problem whose bin is known. Like Snell et al.,
it does not charge for finding the bin (a deployment must estimate it, for example from its first
samples). Intervals are percentile bootstrap over problems of the cross-fitted per-problem values.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from thinkbench.harness.analysis.settings import Pool, Setting, pass_rates
from thinkbench.harness.metrics.breakdown import DIFFICULTY_BINS, difficulty_bins
from thinkbench.harness.metrics.estimators import Interval, mean_ci

FOLDS = 5
_BOOTSTRAP = 2000
_TOLERANCE = 1e-9  # relative: a cost equal to the budget up to float noise fits it


@dataclass(frozen=True)
class View:
    """Each problem's difficulty (its pass rate, higher is easier), and settings scored on samples that
    difficulty did not see."""

    difficulty: Mapping[str, float]
    settings: Sequence[Setting]


@dataclass(frozen=True)
class BinRange:
    bin: int
    problems: int
    low: float  # lowest and highest pass rate of its problems
    high: float


@dataclass(frozen=True)
class PolicyPoint:
    budget: float
    cost: float  # mean compute per problem of the cross-fitted choices
    accuracy: Interval  # cross-fitted
    values: dict[str, float]  # problem id -> cross-fitted value
    choice: tuple[str, ...]  # per bin (1 first), the setting chosen on all problems: the deployable policy
    baseline: str | None  # the best single setting costing at most `budget`, chosen on all problems
    gain: Interval | None  # policy - baseline, paired bootstrap over problems


@dataclass(frozen=True)
class Headline:
    strategy: str  # the fixed strategy compared against
    setting: str  # its best setting
    accuracy: float
    cost: float
    policy_cost: float | None  # the cheapest policy point reaching `accuracy`; None if none does
    ratio: Interval | None  # cost / policy_cost; a bootstrap replicate the policy never reaches counts 0
    significant: bool  # the ratio's interval lies above 1


@dataclass(frozen=True)
class ComputeOptimal:
    bins: tuple[BinRange, ...]
    folds: int
    views: int
    settings: tuple[str, ...]  # "strategy · name" of every setting chosen from
    curve: tuple[PolicyPoint, ...]
    headlines: tuple[Headline, ...]  # strongest strategy first


def label(setting: Setting) -> str:
    return f"{setting.strategy} · {setting.name}"


def split_views(source: str, pools: Mapping[str, Pool], settings_of: Callable[[str, Pool], list[Setting]],
                others: Sequence[Setting]) -> list[View]:
    """Two views of the pools cut in halves per problem, by sample index: even and odd samples, h = n // 2
    of each pool's n. In the first view the even half of `source` gives difficulty (pass rate) and
    `settings_of` scores every pool on its odd half; the second view is the reverse. Every pool is cut at
    the same indices because pools may hold the same samples (thinkbench seeds sample i of every
    strategy's pool alike). `others`, settings without a pool, join both views whole."""
    halves = []
    for strategy, pool in pools.items():
        h = min(len(s) for s in pool.values()) // 2
        if h < 1:
            raise ValueError(f"{strategy}: splitting a pool needs at least 2 samples per problem")
        halves.append((strategy, [{pid: list(s[i : 2 * h : 2]) for pid, s in pool.items()} for i in (0, 1)]))
    difficulty = dict(halves)[source]
    scored = [[x for strategy, half in halves for x in settings_of(strategy, half[1 - i])] for i in (0, 1)]
    return [View(pass_rates(difficulty[i]), [*scored[i], *others]) for i in (0, 1)]


def _choose(values: np.ndarray, costs: np.ndarray, budget: float) -> int:
    """The setting (row) with the best mean value whose mean cost fits the budget, the cheaper on a
    tie; the cheapest setting where none fits."""
    value, cost = values.mean(axis=1), costs.mean(axis=1)
    fits = cost <= budget * (1 + _TOLERANCE)
    if not fits.any():
        return int(np.argmin(cost))
    order = np.lexsort((cost, -value))
    return int(order[fits[order]][0])


def _policy(values: np.ndarray, costs: np.ndarray, bins: np.ndarray, train: np.ndarray, test: np.ndarray,
            budget: float, choice: np.ndarray) -> None:
    """Fill `choice` for the `test` problems: per bin, chosen on the `train` problems of that bin (on
    all `train` problems where the bin has none of them)."""
    for b in np.unique(bins[test]):
        members = train & (bins == b)
        if not members.any():
            members = train
        choice[test & (bins == b)] = _choose(values[:, members], costs[:, members], budget)


def _matrices(views: Sequence[View], problems: list[str]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([[[s.values[p] for p in problems] for s in v.settings] for v in views], dtype=np.float64)
    costs = np.array([[[s.costs[p] for p in problems] for s in v.settings] for v in views], dtype=np.float64)
    return values, costs


def _check(views: Sequence[View]) -> list[str]:
    if not views or not views[0].settings:
        raise ValueError("nothing to choose from: no settings")
    names = [label(s) for s in views[0].settings]
    problems = sorted(views[0].settings[0].values)
    for v in views:
        if [label(s) for s in v.settings] != names:
            raise ValueError("every view needs the same settings in the same order")
        for s in v.settings:
            if sorted(s.values) != problems or sorted(s.costs) != problems:
                raise ValueError(f"{label(s)}: its problems differ from {label(views[0].settings[0])}'s")
        if not set(problems) <= set(v.difficulty):
            raise ValueError("a view has no difficulty for some problems")
    if len(problems) < 2:
        raise ValueError("cross-fitting needs at least 2 problems")
    return problems


def _bootstrap_counts(problems: int, seed: int) -> np.ndarray:
    """How often each problem is drawn in each bootstrap replicate (rows)."""
    rng = np.random.default_rng(seed)
    return np.stack([np.bincount(rng.integers(0, problems, problems), minlength=problems)
                     for _ in range(_BOOTSTRAP)]).astype(np.float64)


def _headlines(settings: Sequence[Setting], values: np.ndarray, costs: np.ndarray,
               curve: Sequence[PolicyPoint], problems: list[str], seed: int) -> list[Headline]:
    """Per fixed strategy: its best accuracy, and how much less compute the policy needs to reach it.
    The bootstrap resamples problems and chooses the strategy's best setting again in each replicate;
    costs are held at their means (compute is counted, not estimated)."""
    weights = _bootstrap_counts(len(problems), seed) / len(problems)
    policy = weights @ np.array([[pt.values[q] for q in problems] for pt in curve]).T  # replicate x point
    policy_costs = np.array([pt.cost for pt in curve])
    mean_values, mean_costs = values.mean(axis=1), costs.mean(axis=1)
    out = []
    for strategy in dict.fromkeys(s.strategy for s in settings):
        rows = np.array([i for i, s in enumerate(settings) if s.strategy == strategy])
        best = rows[np.lexsort((mean_costs[rows], -mean_values[rows]))[0]]
        accuracy, cost = float(mean_values[best]), float(mean_costs[best])
        reached = [pt.cost for pt in curve if pt.accuracy.mean >= accuracy - _TOLERANCE]
        if not reached:
            out.append(Headline(strategy, settings[best].name, accuracy, cost, None, None, False))
            continue
        boot = weights @ values[rows].T  # replicate x setting of this strategy
        pick = np.argmax(boot, axis=1)
        reach = policy >= boot[np.arange(len(pick)), pick][:, None] - _TOLERANCE
        cheapest = np.where(reach, policy_costs[None, :], np.inf).min(axis=1)
        ratios = np.where(np.isfinite(cheapest), mean_costs[rows][pick] / cheapest, 0.0)
        low, high = np.quantile(ratios, [0.025, 0.975])
        out.append(Headline(strategy, settings[best].name, accuracy, cost, min(reached),
                            Interval(cost / min(reached), float(low), float(high)), bool(low > 1)))
    return sorted(out, key=lambda h: -h.accuracy)


def compute_optimal(views: Sequence[View], *, bins: int = DIFFICULTY_BINS, folds: int = FOLDS,
                    seed: int = 0) -> ComputeOptimal:
    """The cross-fitted compute-optimal policy at every budget (each setting's mean cost), its
    deployable table, its gain over the best single setting, and the headline per fixed strategy."""
    problems = _check(views)
    p = len(problems)
    values, costs = _matrices(views, problems)  # view x setting x problem
    view_bins = np.array([[b[q] for q in problems] for b in (difficulty_bins(v.difficulty, bins) for v in views)])
    fold = np.random.default_rng(seed).permutation(p) % max(1, min(folds, p))
    all_problems = np.ones(p, dtype=bool)
    # The deployable table and the baselines: every view's values averaged, chosen on all problems.
    mean_values, mean_costs = values.mean(axis=0), costs.mean(axis=0)
    difficulty = {q: float(np.mean([v.difficulty[q] for v in views])) for q in problems}
    table_bin_of = difficulty_bins(difficulty, bins)
    table_bins = np.array([table_bin_of[q] for q in problems])
    settings = list(views[0].settings)
    curve: list[PolicyPoint] = []
    for budget in np.unique(mean_costs.mean(axis=1)):
        value, cost = np.zeros(p), np.zeros(p)
        for v in range(len(views)):
            choice = np.zeros(p, dtype=np.int64)
            for f in np.unique(fold):
                _policy(values[v], costs[v], view_bins[v], fold != f, fold == f, budget, choice)
            value += values[v][choice, np.arange(p)] / len(views)
            cost += costs[v][choice, np.arange(p)] / len(views)
        if curve and np.array_equal(value, [curve[-1].values[q] for q in problems]) and cost.mean() == curve[-1].cost:
            continue
        table = np.zeros(p, dtype=np.int64)
        _policy(mean_values, mean_costs, table_bins, all_problems, all_problems, float(budget), table)
        chosen = tuple(label(settings[table[table_bins == b][0]]) for b in sorted(set(table_bins)))
        ci = mean_ci(value, seed=seed)
        per_problem = dict(zip(problems, value.tolist()))
        fits = mean_costs.mean(axis=1) <= budget * (1 + _TOLERANCE)
        baseline, gain = None, None
        if fits.any():
            best = int(np.flatnonzero(fits)[np.argmax(mean_values[fits].mean(axis=1))])
            baseline = label(settings[best])
            gain = mean_ci(value - mean_values[best], seed=seed)  # paired: problems resampled together
        curve.append(PolicyPoint(float(budget), float(cost.mean()), ci, per_problem, chosen, baseline, gain))
    ranges = tuple(BinRange(int(b), int((table_bins == b).sum()),
                            min(difficulty[q] for q, x in zip(problems, table_bins) if x == b),
                            max(difficulty[q] for q, x in zip(problems, table_bins) if x == b))
                   for b in sorted(set(table_bins)))
    return ComputeOptimal(ranges, int(fold.max()) + 1, len(views), tuple(label(s) for s in settings), tuple(curve),
                          tuple(_headlines(settings, mean_values, mean_costs, curve, problems, seed)))
