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
from dataclasses import dataclass, field
from typing import ClassVar, Sequence

from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.compute import ModelShape, Price
from thinkbench.harness.metrics.lengths import text_lengths
from thinkbench.harness.metrics.pool import MetricPoint
from thinkbench.harness.scorers import build_scorer
from thinkbench.harness.search.driver import Ledger, Outcome, Search, SearchRun, run_searches
from thinkbench.harness.search.select import SELECTIONS, search_metrics
from thinkbench.harness.search.tree import Limits
from thinkbench.harness.store import CompletionRow, RequestMeta
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.types import Problem


@dataclass(frozen=True)
class SearchParams:
    budgets: list[int] = field(default_factory=lambda: [4])  # N, one search per budget (MCTS: see there)
    expansions: int = 2  # M: continuations sampled from each expanded path, in one call
    scorer: dict = field(default_factory=lambda: {"name": "confidence"})
    select: str = "best"  # the final answer: best score, or score-weighted vote
    delimiter: str = "\n\n"  # what ends a reasoning step
    max_steps: int = 6  # the last step is generated to the end of the solution
    step_tokens: int = 64  # per step
    max_tokens: int = 256  # per path, all steps together
    temperature: float = 0.8
    top_p: float = 1.0


def check_sampling(params, where: str) -> None:
    if params.temperature < 0:
        raise InputError(f"{where}.temperature: must be >= 0, got {params.temperature}")
    if not 0 < params.top_p <= 1:
        raise InputError(f"{where}.top_p: must be in (0, 1], got {params.top_p}")
    if params.max_tokens < 1:
        raise InputError(f"{where}.max_tokens: must be >= 1, got {params.max_tokens}")
    if not params.delimiter:
        raise InputError(f"{where}.delimiter: must not be empty")


def _check(params: SearchParams, where: str) -> None:
    check_sampling(params, where)
    if not params.budgets or any(b < 1 for b in params.budgets) or len(set(params.budgets)) < len(params.budgets):
        raise InputError(f"{where}.budgets: needs distinct positive budgets, got {params.budgets}")
    for name in ("expansions", "max_steps", "step_tokens"):
        if getattr(params, name) < 1:
            raise InputError(f"{where}.{name}: must be >= 1, got {getattr(params, name)}")
    if params.select not in SELECTIONS:
        raise InputError(f"{where}.select: unknown selection {params.select!r} (known: {', '.join(SELECTIONS)})")


class SearchStrategy:
    Params: ClassVar[type]
    name: ClassVar[str]
    # True where a budget N is N paths per step, in N/M groups of M continuations.
    splits_budget: ClassVar[bool] = False

    def __init__(self, params: SearchParams) -> None:
        self.params = params
        _check(params, self.name)
        if self.splits_budget and any(b % params.expansions for b in params.budgets):
            raise InputError(f"{self.name}.budgets: each must be a multiple of expansions "
                             f"({params.expansions}), got {params.budgets}")
        self.check(params)
        self.scorer = build_scorer(params.scorer, f"{self.name}.scorer")
        self.limits = Limits(params.delimiter, params.max_steps, params.step_tokens, params.max_tokens)

    def check(self, params) -> None:
        """Strategy-specific parameter checks (one-line InputError naming the field)."""

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
