"""Best-of-N and weighted best-of-N: one pool of n samples per problem, each sample scored once, and
every k <= n read from that pool with exact estimators (no resampling runs).

The pool is one request with `n` (one prefill) and the same seed as the `sample` strategy's pool; the
scores go into the completions' `score` column and each sample's scoring cost into the request's
`compute` column, so metrics need nothing but the run store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Generator, Sequence

from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.lengths import text_lengths
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.pool import pool_metrics
from thinkbench.harness.metrics.select import pool_scored_metrics
from thinkbench.harness.scorers import build_scorer, check_scorer
from thinkbench.harness.scorers.base import ScoreCost
from thinkbench.harness.scorers.cache import candidate_digest
from thinkbench.harness.search.driver import Ledger, Outcome, SearchRun, run_searches
from thinkbench.harness.search.tree import ROOT, Expand, Limits, Path
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.types import CompletionRow, ModelShape, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class ScoredPoolParams:
    n: int = param(16, ge=1)
    temperature: float = param(0.8, ge=0)
    top_p: float = param(1.0, gt=0, le=1)
    max_tokens: int = param(256, ge=1)
    scorer: dict = param(factory=lambda: {"name": "confidence"}, check=check_scorer)
    delimiter: str = param("\n\n", nonempty=True)  # how step scorers split a sample into steps


def _pool_ask(n: int) -> Expand:
    return Expand(ROOT, n, to_end=True)


def _pool(n: int, ledger: Ledger) -> Generator[list[Expand], list[list[Path]], list[Outcome]]:
    answer = yield [_pool_ask(n)]
    return [Outcome(n, answer[0], ledger.snapshot())]


class ScoredPool:
    Params: ClassVar[type] = ScoredPoolParams
    name: ClassVar[str]
    select: ClassVar[str]  # "best" or "vote" (metrics.select.SELECTIONS)
    pool_families: ClassVar[tuple[str, ...]]  # unscored metrics of the same pool (pool_metrics)

    def __init__(self, params: ScoredPoolParams) -> None:
        self.params = params
        self.scorer = build_scorer(params.scorer, f"{self.name}.scorer")
        self.limits = Limits(params.delimiter, max_steps=1, step_tokens=params.max_tokens,
                             max_tokens=params.max_tokens)

    def label(self) -> str:
        return self.name

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        runs = []
        for problem in problems:
            ledger = Ledger()
            runs.append(SearchRun(problem, _pool(self.params.n, ledger), ledger))
        # The pool is stored under the strategy's own name: its samples are what gets graded.
        calls = run_searches(ctx, runs, self.scorer, self.limits, self.params.temperature, self.params.top_p,
                             self.label(), self.label())
        for run in runs:
            (outcome,) = run.outcomes
            key = calls.call(run.problem, _pool_ask(self.params.n)).key
            ctx.store.set_scores(key, [c.score for c in outcome.candidates],
                                 {"scorer": _per_sample_costs(outcome.candidates, run.ledger)})
        return calls.used

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        return pool_metrics(rows, self.pool_families, shape, price) + \
            pool_scored_metrics(rows, self.select, shape, price)

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        return text_lengths(rows)


def _per_sample_costs(samples: list[Path], ledger: Ledger) -> list[dict]:
    """What scoring each sample cost; a sample equal to an earlier one was scored once, with it."""
    seen: set[str] = set()
    costs = []
    for sample in samples:
        digest = candidate_digest(sample.segments)
        costs.append((ScoreCost() if digest in seen else ledger.scored[digest]).as_dict())
        seen.add(digest)
    return costs
