"""Runs many searches in lockstep so that each round is one engine batch and one scorer batch.

A search is a generator: it yields a list of `Expand` asks, receives the children of each (scored as
asked), and finally returns its `Outcome`s (one per budget it covers). Written that way, beam search,
DVTS and MCTS read as the sequential algorithms they are, while the driver batches the asks of every
problem and budget in flight, sends a call that several searches share once, and keeps a ledger of
what each search used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator, Sequence

from thinkbench.harness.engine.base import GenResult
from thinkbench.harness.scorers.base import ScoreCost, Scorer, ScorerContext
from thinkbench.harness.scorers.cache import ScoreCache, ScoreItem
from thinkbench.harness.search.calls import PolicyCalls, Sampling
from thinkbench.harness.search.tree import Expand, Limits, Path, children, with_score
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.types import Problem


class Ledger:
    """What one search spent: each policy call it used (once, however often it used it) and each
    candidate scored for it."""

    def __init__(self) -> None:
        self.calls: dict[str, tuple[int, int, tuple[int, ...]]] = {}  # key -> (prompt, cached, generated each)
        self.scored: dict[str, ScoreCost] = {}  # candidate digest -> cost

    def add_call(self, key: str, result: GenResult) -> None:
        self.calls.setdefault(key, (result.prompt_tokens, result.cached_prompt_tokens or 0,
                                    tuple(o.tokens for o in result.outputs)))

    def add_score(self, digest: str, cost: ScoreCost) -> None:
        self.scored.setdefault(digest, cost)

    @property
    def generated_tokens(self) -> int:
        return sum(sum(gen) for _, _, gen in self.calls.values())

    def snapshot(self) -> dict:
        """The compute record stored with a search's final candidates (see search.compute)."""
        scorer = sum(self.scored.values(), ScoreCost())
        return {"policy": [[p, c, list(g)] for p, c, g in self.calls.values()], "scorer": scorer.as_dict()}


@dataclass(frozen=True)
class Outcome:
    budget: int
    candidates: list[Path]  # finished (or, if none finished, the best unfinished) paths, scored
    compute: dict  # Ledger.snapshot() at the moment the budget was reached


Search = Generator[list[Expand], list[list[Path]], list[Outcome]]


@dataclass
class SearchRun:
    problem: Problem
    search: Search
    ledger: Ledger
    asks: list[Expand] | None = None
    outcomes: list[Outcome] = field(default_factory=list)


def run_searches(ctx: RunContext, runs: Sequence[SearchRun], scorer: Scorer, limits: Limits, temperature: float,
                 top_p: float, label: str, stored_as: str) -> PolicyCalls:
    """Every search to its end with the run's engine and store; the calls made, for their keys.
    `label` goes into the call keys, `stored_as` is the strategy name the calls are stored under."""
    calls = PolicyCalls(ctx, label, stored_as, Sampling(temperature, top_p, scorer.logprobs), limits)
    scorer.bind(ScorerContext(ctx.engine, ctx.model, ctx.seed))
    try:
        drive(runs, calls, ScoreCache(scorer, ctx.store, limits.delimiter), limits,
              score_in_callback=scorer.logprobs is not None)
    finally:
        scorer.close()
    return calls


def drive(runs: Sequence[SearchRun], calls: PolicyCalls, cache: ScoreCache, limits: Limits,
          score_in_callback: bool) -> None:
    """Run every search to its end. `score_in_callback`: score new children while the engine hands
    over their call, before it is stored (a scorer that reads the policy's log-probs, which are not
    stored), so a resumed run finds those scores in the cache."""
    for run in runs:
        _advance(run, None)
    while True:
        active = [r for r in runs if r.asks is not None]
        if not active:
            return
        wanted = [(run, ask, calls.call(run.problem, ask)) for run in active for ask in run.asks]
        hook = None
        if score_in_callback:
            def hook(result: GenResult) -> None:
                items = [ScoreItem(run.problem, child.segments) for run, ask, call in wanted if call.key == result.key
                         for child in children(ask, result, limits)]
                cache.score(items)

        results = calls.fetch([call for _, _, call in wanted], hook)
        kids: dict[int, list[list[Path]]] = {id(r): [] for r in active}
        todo: list[tuple[SearchRun, list[Path], int]] = []
        for run, ask, call in wanted:
            result = results[call.key]
            run.ledger.add_call(call.key, result)
            made = children(ask, result, limits)
            kids[id(run)].append(made)
            todo += [(run, made, i) for i, child in enumerate(made) if ask.needs_score(child)]
        scores = cache.score([ScoreItem(run.problem, made[i].segments) for run, made, i in todo])
        for (run, made, i), s in zip(todo, scores):
            made[i] = with_score(made[i], s.values, s.value)
            run.ledger.add_score(s.digest, s.cost)
        for run in active:
            _advance(run, kids[id(run)])


def _advance(run: SearchRun, answer: list[list[Path]] | None) -> None:
    try:
        run.asks = next(run.search) if answer is None else run.search.send(answer)
    except StopIteration as stop:
        run.asks, run.outcomes = None, stop.value
