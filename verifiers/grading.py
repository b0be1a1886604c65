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
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections.abc import Mapping
from typing import Any, Sequence

from thinkbench.harness.types import Problem
from thinkbench.verifiers import Verdict, VerdictView, Verifier, get_verifier

log = logging.getLogger(__name__)

NO_ANSWER_REASON = "no answer"
POOL_MIN_PAIRS = 64  # below this, starting processes (seconds: sympy imports) costs more than it saves
_POOL_BATCH = 64  # pairs a worker takes at a time

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


class _PoolChecks:
    """Checks in worker processes, sent a batch at a time while answers are still being extracted, so
    that the workers' start-up (seconds: sympy and math-verify imports, their warm-up) overlaps the
    extraction. Small batches keep both workers busy to the end."""

    def __init__(self, verifier: Any, workers: int) -> None:
        self._verifier, self._spec = verifier, _worker_spec(verifier)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        self._sent: list[tuple[list[tuple[str, str]], Future | None]] = []
        self._failed = False

    def _fail(self, error: BaseException) -> None:
        # A worker died (killed for memory, or spawn could not start): finish here rather than lose
        # the whole grading pass.
        if not self._failed:
            log.warning("grading pool failed (%s); grading the remaining answers in this process", error)
        self._failed = True

    def send(self, pairs: list[tuple[str, str]]) -> None:
        future = None
        if not self._failed:
            try:
                future = self._pool.submit(_worker_check, self._spec, pairs)
            except BrokenProcessPool as e:
                self._fail(e)
        self._sent.append((pairs, future))

    def results(self) -> list[tuple[bool, str]]:
        """(correct, reason) of every pair sent, in the order sent."""
        out: list[tuple[bool, str]] = []
        for pairs, future in self._sent:
            result = None
            if future is not None:
                try:
                    result = future.result()
                except BrokenProcessPool as e:
                    self._fail(e)
            out.extend(result if result is not None else _check_inline(self._verifier, pairs))
        return out

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


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


def _extract_and_decide(verifier: Verifier, items: Sequence[tuple[str, str]], extra: list[dict], cache: GradeCache,
                        n_workers: int) -> list[str | None]:
    """Each item's extracted answer; every distinct (answer, gold) pair not in `cache` is decided into it."""
    pooled = n_workers > 1 and getattr(verifier, "check_in_pool", False) and not hasattr(verifier, "check_many")
    extracted: list[str | None] = []
    pairs: list[tuple[str, str]] = []  # a representative of each distinct pending pair, in order
    pending: set[tuple[str, str]] = set()
    pool: _PoolChecks | None = None
    sent = 0
    try:
        for (completion, gold), kw in zip(items, extra):
            answer = verifier.extract(completion, **kw)
            extracted.append(answer)
            if answer is None or cache.get(verifier, answer, gold) is not None:
                continue
            key = (_answer_key(verifier, answer), gold)
            if key in pending:
                continue
            pending.add(key)
            pairs.append((answer, gold))
            if pooled and len(pairs) >= POOL_MIN_PAIRS and len(pairs) - sent >= _POOL_BATCH:
                pool = pool or _PoolChecks(verifier, n_workers)
                pool.send(pairs[sent:])
                sent = len(pairs)
        if hasattr(verifier, "check_many"):
            # The verifier parallelises its own checks (code: threads waiting on sandboxed processes).
            results = [(v.correct, v.reason) for v in verifier.check_many(pairs, n_workers)]
        elif pool is not None:
            if sent < len(pairs):
                pool.send(pairs[sent:])
            results = pool.results()
        else:
            results = _check_inline(verifier, pairs)
    finally:
        if pool is not None:
            pool.close()
    for (answer, gold), (correct, reason) in zip(pairs, results):
        cache.put(verifier, answer, gold, correct, reason)
    return extracted


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

    extracted = _extract_and_decide(verifier, items, extra, cache, workers if workers is not None else usable_cores())
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
