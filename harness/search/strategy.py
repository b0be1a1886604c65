"""The frame of beam search, DVTS and MCTS: parameters, running every problem's searches through the
driver, storing each search's final candidates with their scores and compute, and the metrics.

A search's engine calls are stored under `<name>:calls` (they are steps, not answers, so they are
not graded); its final candidates are stored under the strategy's name as one request per problem
and budget, whose `compute` column records what that search used. A restarted run skips searches
whose final candidates are stored and replays the others from stored calls and cached scores.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import ClassVar, Sequence

from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.lengths import text_lengths
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.select import SELECTIONS, search_metrics
from thinkbench.harness.scorers import build_scorer, check_scorer
from thinkbench.harness.search.driver import Ledger, Outcome, Search, SearchRun, run_searches
from thinkbench.harness.search.tree import Limits
from thinkbench.harness.store import RequestMeta
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.types import CompletionRow, ModelShape, Problem
from thinkbench.harness.validate import param


@dataclass(frozen=True)
class SearchParams:
    # N, one search per budget (MCTS: see there)
    budgets: list[int] = param(factory=lambda: [4], nonempty=True, distinct=True, ge=1)
    expansions: int = param(2, ge=1)  # M: continuations sampled from each expanded path, in one call
    scorer: dict = param(factory=lambda: {"name": "confidence"}, check=check_scorer)
    select: str = param("best", choices=SELECTIONS)  # the final answer: best score, or score-weighted vote
    delimiter: str = param("\n\n", nonempty=True)  # what ends a reasoning step
    max_steps: int = param(6, ge=1)  # the last step is generated to the end of the solution
    step_tokens: int = param(64, ge=1)  # per step
    max_tokens: int = param(256, ge=1)  # per path, all steps together
    temperature: float = param(0.8, ge=0)
    top_p: float = param(1.0, gt=0, le=1)


@dataclass(frozen=True)
class SplitSearchParams(SearchParams):
    """A budget N is N paths per step, in N/M groups of M continuations (beam search, DVTS)."""

    budgets: list[int] = param(factory=lambda: [4], nonempty=True, distinct=True, ge=1, multiple_of="expansions")


class SearchStrategy:
    Params: ClassVar[type]
    name: ClassVar[str]

    def __init__(self, params: SearchParams) -> None:
        self.params = params
        self.scorer = build_scorer(params.scorer, f"{self.name}.scorer")
        self.limits = Limits(params.delimiter, params.max_steps, params.step_tokens, params.max_tokens)

    def label(self) -> str:
        return self.name

    def groups(self) -> list[list[int]]:
        """Budgets answered by one search each; a search may cover several (MCTS grows one tree)."""
        return [[b] for b in self.params.budgets]

    def search(self, budgets: list[int], ledger: Ledger) -> Search:
        raise NotImplementedError

    def _final(self, ctx: RunContext, problem: Problem, budget: int) -> tuple[str, str]:
        """The key and prompt hash of the final candidates of (problem, budget)."""
        options = {k: v for k, v in dataclasses.asdict(self.params).items() if k != "budgets"}
        blob = json.dumps([options, budget, ctx.seed, ctx.model], sort_keys=True)
        phash = f"final-{budget}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"
        return f"{problem.task}/{self.label()}/{problem.id}/{phash}", phash

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        finals = {(p.id, b): self._final(ctx, p, b) for p in problems for b in self.params.budgets}
        done = ctx.store.finished_keys(key for key, _ in finals.values())
        runs = []
        for problem in problems:
            for group in self.groups():
                if any(finals[problem.id, b][0] not in done for b in group):
                    ledger = Ledger()
                    runs.append(SearchRun(problem, self.search(group, ledger), ledger))
        calls = run_searches(ctx, runs, self.scorer, self.limits, self.params.temperature, self.params.top_p,
                             self.label(), f"{self.label()}:calls")
        for run in runs:
            for outcome in run.outcomes:
                key, phash = finals[run.problem.id, outcome.budget]
                if key not in done:
                    _save_final(ctx, run.problem, self.label(), key, phash, outcome)
        return calls.used + [key for key, _ in finals.values()]

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        return search_metrics(rows, self.params.select, shape, price)

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        largest = max((r.compute["budget"] for r in rows), default=None)
        return text_lengths([r for r in rows if r.compute["budget"] == largest])


def _save_final(ctx: RunContext, problem: Problem, label: str, key: str, phash: str, outcome: Outcome) -> None:
    """The final candidates as one request: graded like samples, with their scores and the search's compute."""
    outputs = tuple(GenOutput(text=c.text, tokens=c.tokens, finish_reason="stop" if c.finished else "length")
                    for c in outcome.candidates)
    meta = RequestMeta(problem.task, label, problem.id, phash, (("user", problem.prompt),),
                       compute={**outcome.compute, "budget": outcome.budget},
                       scores=tuple(c.score for c in outcome.candidates))
    ctx.on_result(GenResult(key, 0, 0, outputs), meta)
