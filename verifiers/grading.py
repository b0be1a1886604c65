"""Grade many completions at once: extract every answer, then decide each distinct
(answer, gold) pair once, in worker processes when there are many. Then group each problem's
answers for votes, comparing answers with each other and never with the gold.

Sampling strategies produce many completions per problem that state the same answer, and
equivalence (sympy) costs far more than extraction (regexes), so deduplicating first is most of
the speed-up. The pool uses 'spawn' processes: the harness process also runs vLLM, whose threads
and CUDA state do not survive a fork.
"""
from __future__ import annotations

import inspect
import logging
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Mapping
from typing import Any, Sequence

from thinkbench.harness.types import Problem
from thinkbench.verifiers import Verdict, VerdictView, Verifier, get_verifier

log = logging.getLogger(__name__)

NO_ANSWER_REASON = "no answer"
POOL_MIN_PAIRS = 64  # below this, starting processes (seconds: sympy imports) costs more than it saves
_BATCHES_PER_WORKER = 4  # several batches each, so one slow batch does not idle the others

_Key = tuple[str, str, str]  # (verifier identity, answer (whitespace collapsed unless exact_answers), gold)


def _answer_key(verifier: Any, extracted: str) -> str:
    # Whitespace is noise in a math answer but meaning in code: verifiers say which (exact_answers).
    return extracted if getattr(verifier, "exact_answers", False) else " ".join(extracted.split())


def _verifier_identity(verifier: Any) -> str:
    # Two verifiers of the same name with different options may judge the same pair differently.
    options = getattr(verifier, "options", None)
    return f"{verifier.name}:{sorted(options.items())!r}" if isinstance(options, dict) else verifier.name


class GradeCache:
    """Verdicts of (answer, gold) pairs already decided, kept in memory across `grade_all` calls."""

    def __init__(self) -> None:
        self._decided: dict[_Key, tuple[bool, str]] = {}

    def __len__(self) -> int:
        return len(self._decided)

    def get(self, verifier: Any, extracted: str, gold: str) -> tuple[bool, str] | None:
        """(correct, reason) for the pair, or None if it has not been decided yet."""
        return self._decided.get((_verifier_identity(verifier), _answer_key(verifier, extracted), gold))

    def put(self, verifier: Any, extracted: str, gold: str, correct: bool, reason: str) -> None:
        self._decided[(_verifier_identity(verifier), _answer_key(verifier, extracted), gold)] = (correct, reason)


# Worker side. A verifier with `options` is rebuilt from its name; others travel pickled.
_worker_verifiers: dict[str, Any] = {}


def _worker_check(spec: tuple, pairs: list[tuple[str, str]]) -> list[tuple[bool, str]]:
    kind, payload = spec
    if kind == "named":
        name, options = payload
        ident = f"{name}:{sorted(options.items())!r}"
        if ident not in _worker_verifiers:
            _worker_verifiers[ident] = get_verifier(name, **options)
        verifier = _worker_verifiers[ident]
    else:
        verifier = payload
    return _check_inline(verifier, pairs)


def _worker_spec(verifier: Any) -> tuple:
    options = getattr(verifier, "options", None)
    if isinstance(options, dict):
        return ("named", (verifier.name, options))
    return ("object", verifier)


def _check_inline(verifier: Any, pairs: list[tuple[str, str]]) -> list[tuple[bool, str]]:
    results = []
    for extracted, gold in pairs:
        verdict = verifier.check(extracted, gold)
        results.append((verdict.correct, verdict.reason))
    return results


def _check_in_pool(verifier: Any, pairs: list[tuple[str, str]], workers: int) -> list[tuple[bool, str]]:
    size = max(1, math.ceil(len(pairs) / (workers * _BATCHES_PER_WORKER)))
    batches = [pairs[i:i + size] for i in range(0, len(pairs), size)]
    spec = _worker_spec(verifier)
    results: list[list[tuple[bool, str]] | None] = [None] * len(batches)
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=context) as pool:
            futures = [pool.submit(_worker_check, spec, batch) for batch in batches]
            for i, future in enumerate(futures):
                results[i] = future.result()
    except BrokenProcessPool as e:
        # A worker died (killed for memory, or spawn could not start): finish here rather than
        # lose the whole grading pass.
        log.warning("grading pool failed (%s); grading the remaining answers in this process", e)
    out: list[tuple[bool, str]] = []
    for batch, result in zip(batches, results):
        out.extend(result if result is not None else _check_inline(verifier, batch))
    return out


def usable_cores() -> int:
    # The cores this process may run on, which in a container can be far fewer than the host's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def prepare(verifier: Verifier, problems: Sequence[Problem]) -> dict | None:
    """Let a verifier fit itself to the problems it is about to grade, once per task (code: time
    limits from the reference solutions' runtimes on this machine). What it returns describes what
    it did, for the run folder; None from verifiers with nothing to prepare."""
    method = getattr(verifier, "prepare", None)
    return method(problems) if method is not None else None


def verdict_views(verifier: Verifier, golds: Sequence[str]) -> list[VerdictView]:
    """The weaker readings of verdicts a verifier reports for these gold answers (code with extended
    tests: "base"); none from most verifiers."""
    method = getattr(verifier, "views", None)
    return method(golds) if method is not None else []


def grade_all(
    verifier: Verifier,
    items: Sequence[tuple[str, str]],
    workers: int | None = None,
    cache: GradeCache | None = None,
    choices: Sequence[list[str] | None] | None = None,
    truncated: Sequence[bool] | None = None,
) -> list[Verdict]:
    """Verdicts for (completion, gold) pairs, in order.

    workers: processes for equivalence checks (default: all usable cores; 1 keeps everything
        inline). Fewer than POOL_MIN_PAIRS distinct pairs are always checked inline. A verifier
        with `check_many(pairs, workers)` gets all distinct pairs at once and spreads them itself.
    cache: decided pairs to reuse and extend; a fresh one per call if None.
    choices: per item, option texts for verifiers whose `extract` takes them (multiple_choice).
    truncated: per item, whether the completion was cut at its token limit, for verifiers whose
        `extract` takes it (a cut-off text has no conclusion to fall back on).
    """
    if choices is not None and len(choices) != len(items):
        raise ValueError(f"grade_all: {len(choices)} choice lists for {len(items)} items")
    cache = cache if cache is not None else GradeCache()
    # Option texts and truncation are passed only where known and taken, so verifiers without
    # the parameter still work.
    method = getattr(verifier, "extract", None) or verifier.grade
    takes_truncated = "truncated" in inspect.signature(method).parameters
    extra = [{} if choices is None or choices[i] is None else {"choices": choices[i]} for i in range(len(items))]
    if truncated is not None and takes_truncated:
        for kw, cut in zip(extra, truncated):
            if cut:
                kw["truncated"] = True

    if not hasattr(verifier, "check"):
        # A verifier that only knows `grade` cannot split the work; grade one by one.
        return [verifier.grade(completion, gold, **kw) for (completion, gold), kw in zip(items, extra)]

    extracted = [verifier.extract(completion, **kw) for (completion, _), kw in zip(items, extra)]
    pending: dict[tuple[str, str], tuple[str, str]] = {}  # key -> a representative pair to check
    for answer, (_, gold) in zip(extracted, items):
        if answer is not None and cache.get(verifier, answer, gold) is None:
            pending.setdefault((_answer_key(verifier, answer), gold), (answer, gold))

    pairs = list(pending.values())
    n_workers = workers if workers is not None else usable_cores()
    if hasattr(verifier, "check_many"):
        # The verifier parallelises its own checks (code: threads waiting on sandboxed processes).
        results = [(v.correct, v.reason) for v in verifier.check_many(pairs, n_workers)]
    elif len(pairs) >= POOL_MIN_PAIRS and n_workers > 1 and getattr(verifier, "check_in_pool", False):
        results = _check_in_pool(verifier, pairs, n_workers)
    else:
        results = _check_inline(verifier, pairs)
    for (answer, gold), (correct, reason) in zip(pairs, results):
        cache.put(verifier, answer, gold, correct, reason)

    verdicts = []
    for answer, (_, gold) in zip(extracted, items):
        if answer is None:
            verdicts.append(Verdict(None, False, getattr(verifier, "no_answer_reason", NO_ANSWER_REASON)))
        else:
            correct, reason = cache.get(verifier, answer, gold)
            verdicts.append(Verdict(answer, correct, reason))
    return verdicts


class SameAnswerCache:
    """Answer-vs-answer decisions already made, kept across problems (many share answers like "2")."""

    def __init__(self) -> None:
        self._decided: dict[tuple[str, str, str], bool] = {}

    def same(self, verifier: Verifier, a: str, b: str) -> bool:
        key = (_verifier_identity(verifier), *sorted((a, b)))
        if key not in self._decided:
            self._decided[key] = a == b or verifier.same_answer(a, b)
        return self._decided[key]


def vote_groups(verifier: Verifier, answers: Sequence[tuple[str, str | None]],
                known: Mapping[str, Sequence[str]] | None = None, cache: SameAnswerCache | None = None
                ) -> list[str | None]:
    """The vote group of each (problem id, extracted answer), None where there is no answer.

    Within a problem, an answer joins the first group whose founding answer the verifier judges the
    same as it (`same_answer`, on canonical forms), or founds a new group named by its own canonical
    form. `known`: each problem's groups from earlier samples, in the order they were founded, so a
    resumed run extends them instead of regrouping. The gold answer is never consulted: a vote counts
    what the answers say, and only the winner is graded.
    """
    cache = cache if cache is not None else SameAnswerCache()
    groups = {pid: list(gs) for pid, gs in (known or {}).items()}
    out: list[str | None] = []
    for pid, answer in answers:
        if answer is None:
            out.append(None)
            continue
        form = verifier.canonical(answer)
        founded = groups.setdefault(pid, [])
        group = next((g for g in founded if cache.same(verifier, form, g)), None)
        if group is None:
            founded.append(form)
            group = form
        out.append(group)
    return out
