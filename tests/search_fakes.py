"""A scripted engine that writes solutions step by step, and a scripted scorer, for search tests.

StepEngine: a solution is `steps` steps "s<depth>.<digit>" separated by the delimiter, then
"\\boxed{<digit>}"; each digit is a fixed function of the request seed and sample index, so every run
sees the same tree. It honours stop strings like vLLM (the matched string is left out of the text and
reported as stop_reason) and returns per-token log-probabilities when asked (one token per character).

Scripted scorer: a step's value is its last digit / 10, so which paths a search keeps is known.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from fakes import FakeEngine

from thinkbench.harness.engine.base import GenOutput, GenRequest, GenResult
from thinkbench.harness.scorers import register
from thinkbench.harness.scorers.base import AGGREGATIONS, ScoreCost, Scored, ScorerBase, ScoreRequest
from thinkbench.harness.validate import param


def digit(seed, i: int) -> int:
    return hashlib.sha256(f"{seed}/{i}".encode()).digest()[0] % 10


class StepEngine(FakeEngine):
    def __init__(self, steps: int = 3, delimiter: str = "\n\n", cached: int = 5) -> None:
        super().__init__()
        self.steps, self.delimiter, self.cached = steps, delimiter, cached
        self.requests: list[GenRequest] = []
        self.results: list[GenResult] = []
        self.batches: list[list[str]] = []

    def partial(self, request: GenRequest) -> str:
        return request.prompt[len(self.render(request.messages)):] if request.prompt is not None else ""

    def continuation(self, request: GenRequest, i: int) -> tuple[str, str, str | None]:
        """(text, finish_reason, stop_reason) of sample i."""
        depth = self.partial(request).count(self.delimiter)
        d = digit(request.sampling.seed, i)
        pieces = [f"s{k}.{d}" for k in range(depth, self.steps)] + [f"\\boxed{{{d}}}"]
        text = self.delimiter.join(pieces)
        for stop in request.sampling.stop:
            if stop in text:
                return text[:text.index(stop)], "stop", stop
        return text, "stop", None

    def generate(self, requests: Sequence[GenRequest], on_result) -> None:
        self.calls.append([r.key for r in requests])
        self.batches.append([r.key for r in requests])
        for r in requests:
            self.requests.append(r)
            outputs = []
            for i in range(r.sampling.n):
                text, reason, stop = self.continuation(r, i)
                tokens = len(text) + (len(stop) if stop else 0)
                logprobs = top = None
                if r.sampling.logprobs is not None:
                    logprobs = tuple(-0.1 * (1 + digit(r.sampling.seed, i) % 3) for _ in range(tokens))
                    top = tuple({"a": lp, "b": lp - 1.0} for lp in logprobs)
                outputs.append(GenOutput(text, tokens, reason, logprobs=logprobs, top_logprobs=top, stop_reason=stop))
            prompt = r.prompt if r.prompt is not None else self.render(r.messages)
            result = GenResult(r.key, len(prompt), min(self.cached, len(prompt)) if r.prompt else 0, tuple(outputs))
            self.results.append(result)
            on_result(result)


@dataclass(frozen=True)
class ScriptedParams:
    aggregation: str = param("last", choices=AGGREGATIONS)


@register("scripted")
class ScriptedScorer(ScorerBase):
    """Each step is worth its last digit / 10; counts what it judged, across instances."""

    Params = ScriptedParams
    judged: list[str] = []

    def score(self, requests: Sequence[ScoreRequest]) -> list[Scored]:
        out = []
        for r in requests:
            ScriptedScorer.judged.append(r.text)
            values = tuple(int(re.findall(r"\d", s)[-1]) / 10 if re.findall(r"\d", s) else 0.0 for s in r.steps())
            out.append(Scored(values, ScoreCost(prompt_tokens=len(r.text), calls=1, flops=None)))
        return out
