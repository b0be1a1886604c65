"""What every strategy shares: turning problems into engine requests with stable keys and seeds,
sending only what the store does not have yet, and the pool of samples that metrics read."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Callable, ClassVar, Protocol, Sequence

from thinkbench.harness.engine.base import Engine, GenRequest, GenResult, SamplingSpec
from thinkbench.harness.metrics.compute import Price
from thinkbench.harness.metrics.lengths import text_lengths
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.pool import pool_metrics
from thinkbench.harness.reasoning import Reasoning
from thinkbench.harness.store import RequestMeta, Store
from thinkbench.harness.types import CompletionRow, ModelShape, Problem


@dataclass(frozen=True)
class RunContext:
    """What a strategy may use: the engine (built on first use), the store, the run's seed."""

    engine: Callable[[], Engine]
    store: Store
    seed: int
    model: str
    on_result: Callable[[GenResult, RequestMeta], None]
    reasoning: Reasoning | None = None  # the run's reasoning-model settings, for strategies that think


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from the run seed and the problem; vLLM gives sample i the seed + i."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def prompt_hash(messages: tuple, sampling: SamplingSpec, model: str) -> str:
    blob = json.dumps([messages, dataclasses.asdict(sampling), model], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class Strategy(Protocol):
    name: ClassVar[str]
    Params: ClassVar[type]
    params: object

    def label(self) -> str:
        """The name rows are stored under (a strategy may add its parameters)."""

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        """Make sure every problem has its candidates in the store; return the request keys that
        belong to this run (metrics read exactly those)."""

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        """Metric points from this run's graded rows, each with its compute."""

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        """Thinking and answer tokens of the samples that answer at the largest budget, split by
        verdict (`metrics.lengths.length_stats`, plus what a strategy can say beyond it)."""


class PoolStrategy:
    """n independent samples of one prompt per problem, sent as one request with `n`."""

    metric_families: ClassVar[tuple[str, ...]] = ("pass", "maj")  # of pool_metrics

    def __init__(self, params) -> None:
        self.params = params

    def label(self) -> str:
        return self.name

    def metrics(self, rows: Sequence[CompletionRow], shape: ModelShape | None, price: Price | None
                ) -> list[MetricPoint]:
        return pool_metrics(rows, self.metric_families, shape, price)

    def lengths(self, rows: Sequence[CompletionRow]) -> dict:
        return text_lengths(rows)

    def sampling(self, seed: int) -> SamplingSpec:
        p = self.params
        return SamplingSpec(n=p.n, temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                            seed=seed, stop=tuple(p.stop))

    def execute(self, ctx: RunContext, problems: Sequence[Problem]) -> list[str]:
        requests, metas = [], {}
        for problem in problems:
            messages = (("user", problem.prompt),)
            sampling = self.sampling(derive_seed(ctx.seed, problem.task, problem.id))
            phash = prompt_hash(messages, sampling, ctx.model)
            key = f"{problem.task}/{self.label()}/{problem.id}/{phash}"
            requests.append(GenRequest(key=key, messages=messages, sampling=sampling))
            metas[key] = RequestMeta(problem.task, self.label(), problem.id, phash, messages)
        done = ctx.store.finished_keys(metas)
        todo = [r for r in requests if r.key not in done]
        if todo:
            ctx.engine().generate(todo, lambda result: ctx.on_result(result, metas[result.key]))
        return [r.key for r in requests]
