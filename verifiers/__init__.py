"""Verifiers: turn a completion into an extracted answer and a verdict against the gold answer, and
say which answers are the same as each other, for votes that never see the gold.

A verifier is one module in this package that registers a class with `@register("name")`.
Task files name their verifier; `get_verifier(name, **options)` builds it.

Beyond the Verifier protocol, a verifier may offer (see verifiers.grading): `prepare(problems)`,
called once per task before grading, returning a JSON record for the run folder (code: time limits
measured on the reference solutions), `views(golds)`, the weaker readings of its verdicts to
report beside them (VerdictView), and `judgeable(answer, gold)`, whether the answer judge
(verifiers.judge) may be asked about an answer its rules rejected; verifiers without it are never judged.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable, Protocol

from thinkbench.harness.errors import InputError


@dataclass(frozen=True)
class Verdict:
    extracted: str | None  # None: the completion states no answer
    correct: bool
    reason: str = ""  # "", "no answer", "unverified: timeout", ...
    decided_by: str = "rules"  # "judge" where the answer judge (verifiers/judge.py) was consulted


@dataclass(frozen=True)
class VerdictView:
    """A weaker reading of verdicts that a verifier reports beside them: code graded on extended tests
    also reports how the samples did on the task's own tests ("base"). Its metric points are named
    "<name>:<metric>"; `rejected_by` says what the full verdict adds ("extended tests")."""

    name: str
    passes: Callable[[bool, str], bool]  # (correct, reason) -> passed this weaker reading
    rejected_by: str


class Verifier(Protocol):
    name: str

    def gold(self, raw: str) -> str:
        """The canonical gold answer from a dataset field (e.g. GSM8K's '... #### 72' -> '72')."""

    def extract(self, completion: str) -> str | None:
        """The final answer stated in a completion, or None when it states none."""

    def grade(self, completion: str, gold: str) -> Verdict:
        """Extract and compare against an already canonical gold answer."""

    def canonical(self, answer: str) -> str:
        """The form an extracted answer is counted under in a vote: answers of one form are one answer
        without any comparison ("3.0" and "3" for math). Cheap: no equivalence check."""

    def same_answer(self, a: str, b: str) -> bool:
        """Whether two answers (canonical forms) state the same thing, by the verifier's own rules but
        never against the gold: votes group a problem's answers with it (grading.vote_groups)."""


class SameByForm:
    """For verifiers whose answers are the same exactly when their canonical forms are (a letter, a
    program): the form is the answer with its whitespace collapsed, unless a verifier says otherwise."""

    def canonical(self, answer: str) -> str:
        return " ".join(answer.split())

    def same_answer(self, a: str, b: str) -> bool:
        return a == b


_REGISTRY: dict[str, Callable[..., Verifier]] = {}


def register(name: str):
    def deco(cls):
        # A verifier missing part of the protocol would fail only when a run first votes.
        missing = [m for m in ("gold", "extract", "grade", "canonical", "same_answer")
                   if not callable(getattr(cls, m, None))]
        if missing:
            raise TypeError(f"verifier {name!r}: {cls.__name__} lacks {', '.join(missing)} (see Verifier; "
                            "SameByForm gives canonical and same_answer)")
        _REGISTRY[name] = cls
        cls.name = name
        return cls

    return deco


def _load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")


def get_verifier(name: str, **options) -> Verifier:
    _load_all()
    if name not in _REGISTRY:
        raise InputError(f"unknown verifier {name!r} (known: {', '.join(sorted(_REGISTRY))})")
    try:
        return _REGISTRY[name](**options)
    except TypeError as e:
        raise InputError(f"verifier {name!r}: bad options {options}: {e}") from None


def verifier_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)
