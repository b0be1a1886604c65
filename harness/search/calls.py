"""Policy calls of a scored or search strategy: stable keys and seeds, stored calls reused, the rest
sent to the engine together.

A call continues the problem's rendered prompt with a path's text (a raw `prompt`), so every call
that extends the same prefix is served by vLLM's prefix cache, and `n` continuations of one prefix
are one request. The key hashes the prompt, the path, the sampling and the model, and the seed comes
from the run seed, the problem, the path and the call's tag: a restarted run asks for the very same
calls, finds them in the store, and sends only what is missing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from thinkbench.harness.engine.base import GenRequest, GenResult, SamplingSpec
from thinkbench.harness.search.tree import Expand, Limits
from thinkbench.harness.store import RequestMeta
from thinkbench.harness.strategies.base import RunContext, derive_seed, prompt_hash
from thinkbench.harness.types import Problem


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.8
    top_p: float = 1.0
    logprobs: int | None = None  # what the scorer needs from generation


@dataclass(frozen=True)
class Call:
    key: str
    problem: Problem
    partial: str  # the path's text, appended to the rendered prompt
    sampling: SamplingSpec
    meta: RequestMeta


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class PolicyCalls:
    def __init__(self, ctx: RunContext, label: str, stored_as: str, sampling: Sampling, limits: Limits) -> None:
        """`label` goes into the keys; `stored_as` is the strategy name the rows are stored under (a
        search keeps its intermediate calls apart from the final candidates that get graded)."""
        self.ctx, self.label, self.stored_as = ctx, label, stored_as
        self.sampling, self.limits = sampling, limits
        self._have: dict[str, GenResult] = {}
        self.used: list[str] = []  # keys of every call this run needed, in first-use order
        self._used: set[str] = set()

    def call(self, problem: Problem, ask: Expand) -> Call:
        partial = ask.path.text
        # The root call of a pool uses the same seed as the `sample` strategy, so both see the same samples.
        extra = (ask.tag, _digest(partial)) if (partial or ask.tag) else ()
        spec = SamplingSpec(n=ask.n, temperature=self.sampling.temperature, top_p=self.sampling.top_p,
                            max_tokens=ask.max_tokens(self.limits),
                            seed=derive_seed(self.ctx.seed, problem.task, problem.id, *extra),
                            stop=() if ask.to_end else (self.limits.delimiter,), logprobs=self.sampling.logprobs)
        messages = (("user", problem.prompt),)
        hashed = messages + ((("assistant", partial),) if partial else ())
        phash = prompt_hash(hashed, spec, self.ctx.model)
        key = f"{problem.task}/{self.label}/{problem.id}/{phash}"
        return Call(key, problem, partial, spec, RequestMeta(problem.task, self.stored_as, problem.id, phash, hashed))

    def fetch(self, calls: Sequence[Call], before_save: Callable[[GenResult], None] | None = None
              ) -> dict[str, GenResult]:
        """Results by key: from this run's memory, from the store, or from one engine batch.
        `before_save` sees each new result before it is stored (scorers that need log-probs)."""
        unique = {c.key: c for c in calls}
        for key in unique:
            if key not in self._used:
                self._used.add(key)
                self.used.append(key)
        missing = [k for k in unique if k not in self._have]
        self._have.update(self.ctx.store.results(missing))
        todo = [unique[k] for k in missing if k not in self._have]
        if todo:
            engine = self.ctx.engine()
            requests = []
            for c in todo:
                messages = c.meta.messages[:1]
                prompt = engine.render(messages) + c.partial if c.partial else None
                requests.append(GenRequest(c.key, messages, c.sampling, prompt=prompt))

            def on_result(result: GenResult) -> None:
                result = _with_stop_strings(result)
                if before_save is not None:
                    before_save(result)
                self.ctx.on_result(result, unique[result.key].meta)
                self._have[result.key] = result

            engine.generate(requests, on_result)
        lost = [k for k in unique if k not in self._have]
        if lost:
            raise RuntimeError(f"the engine returned no result for {len(lost)} request(s), e.g. {lost[0]}")
        return {k: self._have[k] for k in unique}


def _with_stop_strings(result: GenResult) -> GenResult:
    """The text as the model generated it: the engine drops a matched stop string from the text."""
    outputs = tuple(replace(o, text=o.text + o.stop_reason) if o.stop_reason else o for o in result.outputs)
    return replace(result, outputs=outputs)
