"""A deterministic stand-in for the engine, for unit tests of the logic around it."""
from __future__ import annotations

import hashlib
from typing import Callable, Sequence

from harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from harness.metrics.compute import ModelShape


class FakeEngine:
    """Answers with a number in \\boxed{}; whether it is `right` is a fixed function of the request
    key and the sample index, so every test run sees the same pool."""

    def __init__(self, answer: Callable[[GenRequest, int], str] | None = None) -> None:
        self.info = EngineInfo(kind="fake", model="fake", shape=ModelShape(1000, 2, 8))
        self.answer = answer or self._digit_answer
        self.calls: list[list[str]] = []

    @staticmethod
    def _digit_answer(request: GenRequest, i: int) -> str:
        h = hashlib.sha256(f"{request.key}/{request.sampling.seed}/{i}".encode()).digest()
        return str(h[0] % 3)

    # One token per character keeps token arithmetic easy to check.
    def render(self, messages) -> str:
        return "".join(f"<{role}>{content}\n" for role, content in messages) + "<assistant>"

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, token_ids) -> str:
        return "".join(map(chr, token_ids))

    def generate(self, requests: Sequence[GenRequest], on_result) -> None:
        self.calls.append([r.key for r in requests])
        for r in requests:
            texts = [f"Let me think. \\boxed{{{self.answer(r, i)}}}" for i in range(r.sampling.n)]
            outputs = tuple(GenOutput(text=t, tokens=len(t), finish_reason="stop", token_ids=tuple(self.tokenize(t)))
                            for t in texts)
            prompt = r.prompt if r.prompt is not None else self.render(r.messages)
            on_result(GenResult(key=r.key, prompt_tokens=len(prompt), cached_prompt_tokens=0, outputs=outputs))

    def close(self) -> None:
        pass
