"""Scores through the run store: a (scorer, problem, candidate) is scored once, ever.

Search scores a path every time it grows by a step; the parent's values are looked up here and
handed to the scorer, so a step scorer judges only the new step. A run killed mid-search finds
every score it had computed and pays nothing for it again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Sequence

from thinkbench.harness.scorers.base import ScoreCost, Scored, Scorer, ScoreRequest, Segment
from thinkbench.harness.store import Store
from thinkbench.harness.types import Problem


def candidate_digest(segments: Sequence[Segment]) -> str:
    return hashlib.sha256(json.dumps([s.text for s in segments]).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ScoreItem:
    problem: Problem
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class CachedScore:
    digest: str
    values: tuple[float, ...]
    value: float  # the aggregated score
    cost: ScoreCost  # of computing this candidate's new values, whether now or in an earlier run


class ScoreCache:
    def __init__(self, scorer: Scorer, store: Store, delimiter: str) -> None:
        self.scorer, self.store, self.delimiter = scorer, store, delimiter
        self.identity = scorer.identity()
        self._memory: dict[tuple[str, str, str], Scored] = {}
        self.computed = 0  # candidates the scorer judged in this invocation (not found in the cache)

    def _lookup(self, problem: Problem, digests: Sequence[str]) -> dict[str, Scored]:
        found = {d: self._memory[(problem.task, problem.id, d)] for d in digests
                 if (problem.task, problem.id, d) in self._memory}
        missing = [d for d in digests if d not in found]
        if missing:
            for d, (values, cost) in self.store.cached_scores(self.identity, problem.task, problem.id, missing).items():
                found[d] = self._memory[(problem.task, problem.id, d)] = Scored(tuple(values), ScoreCost.from_dict(cost))
        return found

    def score(self, items: Sequence[ScoreItem]) -> list[CachedScore]:
        digests = [candidate_digest(item.segments) for item in items]
        known: dict[tuple[str, str, str], Scored] = {}
        for problem, ds in _by_problem(items, digests):
            known.update(((problem.task, problem.id, d), s) for d, s in self._lookup(problem, ds).items())
        todo: dict[tuple[str, str, str], ScoreItem] = {}
        for item, d in zip(items, digests):
            slot = (item.problem.task, item.problem.id, d)
            if slot not in known:
                todo.setdefault(slot, item)
        if todo:
            requests = [self._request(item) for item in todo.values()]
            results = self.scorer.score(requests)
            self.store.save_scores(self.identity, [
                (task, pid, d, list(r.values), r.cost.as_dict()) for (task, pid, d), r in zip(todo, results)])
            for slot, result in zip(todo, results):
                known[slot] = self._memory[slot] = result
            self.computed += len(todo)
        out = []
        for item, d in zip(items, digests):
            s = known[(item.problem.task, item.problem.id, d)]
            out.append(CachedScore(d, s.values, self.scorer.aggregate(s.values), s.cost))
        return out

    def _request(self, item: ScoreItem) -> ScoreRequest:
        """The candidate, with its parent's values when the parent was scored (search paths)."""
        parent = item.segments[:-1]
        known: tuple[float, ...] = ()
        if parent:
            found = self._lookup(item.problem, [candidate_digest(parent)])
            if found:
                known = next(iter(found.values())).values
        return ScoreRequest(item.problem.prompt, item.segments, self.delimiter, known,
                            len(parent) if known else 0)


def _by_problem(items: Sequence[ScoreItem], digests: Sequence[str]) -> list[tuple[Problem, list[str]]]:
    groups: dict[tuple[str, str], tuple[Problem, list[str]]] = {}
    for item, d in zip(items, digests):
        groups.setdefault((item.problem.task, item.problem.id), (item.problem, []))[1].append(d)
    return list(groups.values())
