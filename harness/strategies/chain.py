"""Chains of engine calls, for strategies that continue their own output (thinking budgets, budget
forcing, self-refinement): deterministic keys, reuse of stored calls, saving each call as it finishes.

A chain starts with one request of n samples, keyed like a pool request (`task/strategy/problem/hash`).
Every later call belongs to one sample and is keyed `<first key>#<tag>#<settings hash>`: the tag says
where in the chain the call is (e.g. `s3.b128`: sample 3's answer after 128 thinking tokens), the hash
covers whatever else shapes its prompt and sampling, so a changed configuration never reuses an old
result. Among one run's rows `<first key>#<tag>` is unique, which is how metrics find a call again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Sequence

from thinkbench.harness.engine.base import Engine, GenRequest, GenResult, SamplingSpec
from thinkbench.harness.metrics.point import by_problem
from thinkbench.harness.store import RequestMeta
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.types import CompletionRow, Problem


@dataclass(frozen=True)
class Call:
    """One engine call: the prompt is the thinking start of `messages` followed by `continuation`
    (built only when the call must be sent: it may need the engine's tokenizer)."""

    key: str
    problem: Problem
    messages: tuple[tuple[str, str], ...]
    sampling: SamplingSpec
    continuation: str | Callable[[Engine], str] = ""
    shown: str = ""  # stored in front of each output's text, so a grader reads it as what it is


@dataclass(frozen=True)
class Reply:
    text: str  # as generated, without `shown`
    tokens: int
    finish_reason: str
    token_ids: tuple[int, ...] | None = None  # None when read back from the store, which keeps no ids


def settings_hash(settings: object) -> str:
    blob = json.dumps(settings, sort_keys=True, default=_jsonable)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot hash {type(value).__name__} into a key")


def follow_key(first_key: str, tag: str, settings: object) -> str:
    return f"{first_key}#{tag}#{settings_hash(settings)}"


class Calls:
    """Sends a strategy's calls phase by phase: a call already in the store is read back instead of
    sent, a new one is saved through `ctx.on_result` the moment it finishes, and every key is kept
    for `execute` to return."""

    def __init__(self, ctx: RunContext, label: str, start: Callable[[Engine, tuple], str]) -> None:
        self.ctx, self.label, self.start = ctx, label, start
        self._keys: dict[str, None] = {}  # insertion-ordered set
        self._fresh: dict[str, list[Reply]] = {}
        self._starts: dict[tuple, str] = {}

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def run(self, calls: Sequence[Call]) -> dict[str, list[Reply]]:
        unique = list({c.key: c for c in calls}.values())
        self._keys.update(dict.fromkeys(c.key for c in unique))
        stored = self.ctx.store.results(c.key for c in unique if c.key not in self._fresh)
        todo = [c for c in unique if c.key not in self._fresh and c.key not in stored]
        if todo:
            self._send(todo)
        replies = {}
        for c in unique:
            if c.key in self._fresh:
                replies[c.key] = self._fresh[c.key]
            elif c.key in stored:
                replies[c.key] = [_stored_reply(o.text, o.tokens, o.finish_reason, c.shown)
                                  for o in stored[c.key].outputs]
            else:
                raise RuntimeError(f"the engine returned no result for {c.key}")
        return replies

    def _send(self, calls: list[Call]) -> None:
        engine = self.ctx.engine()
        by_key = {c.key: c for c in calls}
        requests, metas = [], {}
        for c in calls:
            if c.messages not in self._starts:
                self._starts[c.messages] = self.start(engine, c.messages)
            continuation = c.continuation(engine) if callable(c.continuation) else c.continuation
            prompt = self._starts[c.messages] + continuation
            requests.append(GenRequest(key=c.key, messages=c.messages, sampling=c.sampling, prompt=prompt))
            # The prompts table keeps the chat plus the partial assistant turn the call continued.
            record = c.messages + ((("assistant", continuation),) if continuation else ())
            phash = hashlib.sha256(prompt.encode()).hexdigest()[:16]
            metas[c.key] = RequestMeta(c.problem.task, self.label, c.problem.id, phash, record)

        def finished(result: GenResult) -> None:
            shown = by_key[result.key].shown
            outputs = tuple(dataclasses.replace(o, text=shown + o.text) for o in result.outputs)
            self.ctx.on_result(dataclasses.replace(result, outputs=outputs), metas[result.key])
            self._fresh[result.key] = [Reply(o.text, o.tokens, o.finish_reason, tuple(o.token_ids) or None)
                                       for o in result.outputs]

        engine.generate(requests, finished)


def _stored_reply(text: str, tokens: int, finish_reason: str, shown: str) -> Reply:
    return Reply(text[len(shown):] if text.startswith(shown) else text, tokens, finish_reason)


@dataclass(frozen=True)
class ChainRows:
    """One problem's rows of a chain strategy, as metrics read them."""

    first: list[CompletionRow]  # the first request's samples, in sample order
    follow: dict[str, CompletionRow]  # tag -> the one row of that follow-up call


def read_chains(rows: Sequence[CompletionRow]) -> dict[str, ChainRows]:
    """Problem id -> its chain rows."""
    chains = {}
    for pid, group in by_problem(rows).items():
        first_key = min((r.key for r in group), key=len)  # every follow-up key extends it
        first = sorted((r for r in group if r.key == first_key), key=lambda r: r.sample)
        follow = {}
        for r in group:
            if r.key != first_key:
                head, tag, _ = r.key.rsplit("#", 2)
                if head != first_key:
                    raise ValueError(f"row {r.key} does not continue {first_key}")
                follow[tag] = r
        chains[pid] = ChainRows(first, follow)
    return chains
