"""A deterministic stand-in for the engine, for unit tests of the logic around it."""
from __future__ import annotations

import bisect
import hashlib
import os
from typing import Callable, Sequence

from thinkbench.harness.engine.base import EngineInfo, GenOutput, GenRequest, GenResult
from thinkbench.harness.types import ModelShape


class FakeEngine:
    """Answers with a number in \\boxed{}; whether it is `right` is a fixed function of the request
    key and the sample index, so every test run sees the same pool."""

    def __init__(self, answer: Callable[[GenRequest, int], str] | None = None,
                 script: Callable[[GenRequest, int], str] | None = None) -> None:
        """`script`, when given, is the whole text sample i of a request would say; stop strings,
        max_tokens and a prefix cache then apply to it the way vLLM applies them."""
        self.info = EngineInfo(kind="fake", model="fake", shape=ModelShape(1000, 2, 8))
        self.answer = answer or self._digit_answer
        self.script = script
        self.calls: list[list[str]] = []
        self.requests: list[GenRequest] = []
        self._seen: list[str] = []  # prompts and generations so far, sorted: what a prefix cache holds

    @staticmethod
    def _digit_answer(request: GenRequest, i: int) -> str:
        h = hashlib.sha256(f"{request.key}/{request.sampling.seed}/{i}".encode()).digest()
        return str(h[0] % 3)

    # One token per character keeps token arithmetic easy to check.
    def render(self, messages, template_kwargs=None) -> str:
        switches = "".join(f"<{k}={v}>" for k, v in sorted((template_kwargs or {}).items()))
        return switches + "".join(f"<{role}>{content}\n" for role, content in messages) + "<assistant>"

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, token_ids) -> str:
        return "".join(map(chr, token_ids))

    def generate(self, requests: Sequence[GenRequest], on_result) -> None:
        self.calls.append([r.key for r in requests])
        self.requests.extend(requests)
        if self.script is not None:
            for r in requests:
                on_result(self._scripted(r))
            return
        for r in requests:
            texts = [f"Let me think. \\boxed{{{self.answer(r, i)}}}" for i in range(r.sampling.n)]
            outputs = tuple(GenOutput(text=t, tokens=len(t), finish_reason="stop", token_ids=tuple(self.tokenize(t)))
                            for t in texts)
            prompt = r.prompt if r.prompt is not None else self.render(r.messages)
            on_result(GenResult(key=r.key, prompt_tokens=len(prompt), cached_prompt_tokens=0, outputs=outputs))

    def _scripted(self, r: GenRequest) -> GenResult:
        prompt = r.prompt if r.prompt is not None else self.render(r.messages)
        # The longest prefix shared with any seen text is shared with a neighbour in sorted order.
        at = bisect.bisect_left(self._seen, prompt)
        cached = max((len(os.path.commonprefix([prompt, seen])) for seen in self._seen[max(at - 1, 0):at + 1]),
                     default=0)
        outputs = []
        for i in range(r.sampling.n):
            text = self.script(r, i)
            hits = [(text.find(s), s) for s in r.sampling.stop
                    if 0 <= text.find(s) <= r.sampling.max_tokens - len(s)]
            if hits:  # like vLLM: the stop string's tokens are generated and counted, not returned
                at, stop = min(hits)
                out = GenOutput(text[:at], at + len(stop), "stop", tuple(self.tokenize(text[:at + len(stop)])),
                                stop_reason=stop)
            elif len(text) > r.sampling.max_tokens:
                cut = text[:r.sampling.max_tokens]
                out = GenOutput(cut, len(cut), "length", tuple(self.tokenize(cut)))
            else:
                out = GenOutput(text, len(text), "stop", tuple(self.tokenize(text)))
            outputs.append(out)
            bisect.insort(self._seen, prompt + out.text)
        bisect.insort(self._seen, prompt)
        return GenResult(key=r.key, prompt_tokens=len(prompt), cached_prompt_tokens=cached, outputs=tuple(outputs))

    def close(self) -> None:
        pass
