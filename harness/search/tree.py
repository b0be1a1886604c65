"""Paths of reasoning steps, what a search asks the policy for, and how an answer becomes children.

A path is the text generated so far, kept as the pieces each call returned (a piece ends with the
step delimiter unless it is the last). Steps are generated with the delimiter as a stop string; the
engine leaves the stop string out of its text, and the calls put it back before storing, so a stored
piece ends with the delimiter exactly when the model reached a step boundary.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from thinkbench.harness.engine.base import GenResult
from thinkbench.harness.scorers.base import Segment


@dataclass(frozen=True)
class Limits:
    delimiter: str = "\n\n"
    max_steps: int = 8
    step_tokens: int = 128  # per step
    max_tokens: int = 512  # per path, all steps together


@dataclass(frozen=True)
class Path:
    segments: tuple[Segment, ...] = ()
    tokens: int = 0  # generated along the path
    finished: bool = False  # reached its end (end of sequence, a limit, or generated to the end)
    values: tuple[float, ...] = ()  # the scorer's per-step values, once scored
    score: float | None = None  # their aggregate

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def depth(self) -> int:
        return len(self.segments)


ROOT = Path()


@dataclass(frozen=True)
class Expand:
    """Ask for `n` continuations of `path`: its next step, or (`to_end`) everything up to the answer.

    `tag` separates independent draws from one prefix (DVTS subtrees, MCTS rollouts): it goes into
    the seed, so equal tags and prefixes mean the very same call. `scored`: which children need a
    score ("all", "finished" or "none").
    """

    path: Path
    n: int
    to_end: bool = False
    tag: str = ""
    scored: str = "all"

    def max_tokens(self, limits: Limits) -> int:
        left = limits.max_tokens - self.path.tokens
        return left if self.to_end else min(limits.step_tokens, left)

    def needs_score(self, child: Path) -> bool:
        return self.scored == "all" or (self.scored == "finished" and child.finished)


def next_step(path: Path, n: int, limits: Limits, tag: str = "", scored: str = "all") -> Expand:
    """The next step of `path`; at the last allowed step, the rest of the solution."""
    return Expand(path, n, to_end=path.depth + 1 >= limits.max_steps, tag=tag, scored=scored)


def children(ask: Expand, result: GenResult, limits: Limits) -> list[Path]:
    out = []
    for o in result.outputs:
        tokens = ask.path.tokens + o.tokens
        at_boundary = not ask.to_end and o.text.endswith(limits.delimiter)
        # "stop" without the delimiter is the end of the sequence; "length" mid-step just goes on.
        ended = ask.to_end or (o.finish_reason == "stop" and not at_boundary)
        segment = Segment(o.text, o.logprobs, o.top_logprobs)
        out.append(Path(ask.path.segments + (segment,), tokens, ended or tokens >= limits.max_tokens))
    return out


def with_score(path: Path, values: tuple[float, ...], score: float) -> Path:
    return replace(path, values=values, score=score)


def top_unique(paths: list[Path], k: int) -> list[Path]:
    """The k best-scoring paths, one per distinct text (a duplicate would only repeat the same
    expansion); ties keep the earlier path, so the choice is deterministic."""
    seen: set[str] = set()
    ranked = []
    for i, p in sorted(enumerate(paths), key=lambda ip: (-(ip[1].score or 0.0), ip[0])):
        if p.text not in seen:
            seen.add(p.text)
            ranked.append(p)
    return ranked[:k]
