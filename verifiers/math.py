"""The `math` verifier: free-form math answers, graded by mathematical equivalence.

Extraction lives in `verifiers.math_extract`. Equivalence is decided part by part where answers
have parts (`verifiers.math_structure`: solutions in any order, named parts, functions up to their
variable's name, joined conditions) and otherwise by math-verify (sympy-based: fractions vs
decimals, intervals, sets, tuples, matrices, `x = 3` vs `3`, symbolic forms), all under our own
time limit so that one pathological answer cannot stall a run, from any thread.
"""
from __future__ import annotations

import cmath
import logging
import math
import re
from fractions import Fraction
from functools import cache, lru_cache

from thinkbench.harness.errors import InputError
from thinkbench.verifiers import Verdict, register
from thinkbench.verifiers.math_extract import extract_final_answer, gold_answer
from thinkbench.verifiers.math_structure import equal_by_parts
from thinkbench.verifiers.time_limit import TimeLimitExceeded, call_with_time_limit

TIMEOUT_REASON = "unverified: timeout"
NO_ANSWER_REASON = "no answer"

_INT_RE = re.compile(r"[+-]?\d+")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_RATIO_RE = re.compile(r"([+-]?\d+)/(\d+)")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PERCENT_RE = re.compile(r"(.+?)\s*\\?%")
# Past this many digits, sympy's exact integer arithmetic takes seconds inside single C calls,
# which only a signal can interrupt, and only in the main thread.
_MAX_DIGITS = 1e6


class _DropDisabledTimeoutNotice(logging.Filter):
    # We switch math-verify's SIGALRM limit off on purpose (ours replaces it); its one-time warning
    # about that would only mislead whoever reads the run log.
    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


@cache
def _math_verify():
    """Import math-verify on first use: it pulls in sympy and antlr, seconds of start-up that
    workers and tasks that never grade math should not pay."""
    import math_verify

    for name in ("math_verify.parser", "math_verify.grader"):
        logging.getLogger(name).addFilter(_DropDisabledTimeoutNotice())
    return math_verify


def _as_number(text: str) -> Fraction | None:
    """A plain integer, decimal or a/b as an exact number; None for anything else."""
    t = text.strip()
    if _GROUPED_RE.fullmatch(t):
        t = t.replace(",", "")
    if _DECIMAL_RE.fullmatch(t):
        return Fraction(t)
    if (m := _RATIO_RE.fullmatch(t)) and int(m.group(2)) != 0:
        return Fraction(int(m.group(1)), int(m.group(2)))
    return None


def _as_math_text(answer: str) -> str:
    text = answer.replace("\\$", "")
    if "$" in text or "\\(" in text or "\\[" in text:
        return text
    return f"${text}$"


# One of each kind of answer: the first parse and comparison import parts of sympy, antlr and
# latex2sympy lazily, and an import cut short by the time limit leaves them broken for the rest
# of the process, so they happen once, unlimited, before any timed check.
_WARM_UP = [("0.5", r"\frac{1}{2}"), ("[1, 2)", r"\left[1,2\right)"), (r"\{1, 2\}", "2, 1"),
            ("x = 3", "3"), (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}"),
            (r"\sqrt{2}\pi", r"\pi\sqrt{2}"), ("x^2 - 1", "(x-1)(x+1)"), (r"50\%", "0.5"), ("-1 < x", "x > -1")]
_warmed_up = False


def _warm_up() -> None:
    global _warmed_up
    if not _warmed_up:
        for gold, pred in _WARM_UP:
            _sympy_equivalent(pred, gold)
        _warmed_up = True


@lru_cache(maxsize=8192)
def _parse(answer: str) -> tuple:
    mv = _math_verify()
    targets = (mv.LatexExtractionConfig(), mv.ExprExtractionConfig())
    return tuple(mv.parse(_as_math_text(answer), extraction_config=targets, parsing_timeout=None))


def _log10_bound(expr) -> float | None:
    """An upper bound on log10 of the size of a number built from integers; None if symbolic."""
    import sympy

    if isinstance(expr, sympy.Rational):
        return math.log10(max(abs(expr.p), expr.q))
    if isinstance(expr, sympy.Float):
        return math.log10(abs(float(expr))) if expr != 0 and math.isfinite(expr) else 0.0
    if isinstance(expr, sympy.Pow):
        base, exponent = _log10_bound(expr.base), _log10_bound(expr.exp)
        if base is None or exponent is None:
            return None
        return math.inf if exponent > 300 else 10**exponent * base
    if isinstance(expr, sympy.factorial):
        n = _log10_bound(expr.args[0])
        if n is None:
            return None
        return math.inf if n > 300 else 10**n * max(n, 1.0)
    if isinstance(expr, (sympy.Mul, sympy.Add)):
        parts = [_log10_bound(a) for a in expr.args]
        if any(p is None for p in parts):
            return None
        return sum(parts) if isinstance(expr, sympy.Mul) else max(parts) + 1.0
    return None


def _too_big(parsed: tuple) -> bool:
    import sympy

    for item in parsed:
        if isinstance(item, sympy.Basic):
            for node in sympy.preorder_traversal(item):
                if isinstance(node, (sympy.Pow, sympy.factorial)) and (_log10_bound(node) or 0) > _MAX_DIGITS:
                    return True
    return False


def _sympy_equivalent(extracted: str, gold: str) -> bool | None:
    gold_parsed, pred_parsed = _parse(gold), _parse(extracted)
    if not gold_parsed or not pred_parsed:
        return False  # nothing sympy understands (e.g. a word), and the strings differ
    if _too_big(gold_parsed) or _too_big(pred_parsed):
        return None
    # allow_set_relation_comp: "-2 < x < 3" states the same solution set as "(-2, 3)".
    return _math_verify().verify(
        list(gold_parsed), list(pred_parsed), allow_set_relation_comp=True, timeout_seconds=None
    )


def _equivalent(extracted: str, gold: str) -> bool | None:
    """Whether one reading of the answer equals the gold one; None if deciding would blow the
    time limit."""
    if " ".join(extracted.split()) == " ".join(gold.split()):
        return True
    pred_num, gold_num = _as_number(extracted), _as_number(gold)
    if pred_num is not None and gold_num is not None:
        if pred_num == gold_num:  # also "070" == "70", "72.00" == "72"
            return True
        if _INT_RE.fullmatch(extracted.strip()) and _INT_RE.fullmatch(gold.strip()):
            return False  # distinct integers: no tolerance can help
    if _apart(extracted, gold):
        return False  # most wrong answers: told apart by value, without sympy's symbolic check
    return _sympy_equivalent(extracted, gold)


def _readings(extracted: str, gold: str) -> list[tuple[str, str]]:
    """The pair as stated and, when only one side is a percentage, both without the sign:
    "12.5%" answers "12.5" when the question asked for a percent."""
    pairs = [(extracted, gold)]
    pred_pct, gold_pct = _PERCENT_RE.fullmatch(extracted.strip()), _PERCENT_RE.fullmatch(gold.strip())
    if (pred_pct is None) != (gold_pct is None):
        pairs.append((pred_pct.group(1) if pred_pct else extracted, gold_pct.group(1) if gold_pct else gold))
    return pairs


# Two numbers math-verify could call equal differ by under 1e-6 (it rounds floats to 6 decimals);
# equal values evaluated in floating point differ by a relative 1e-15 or so.
_APART_ABS, _APART_REL = 2e-6, 1e-9


def _value(expr) -> complex | None:
    """The numeric value of a sympy number, None where it has none (zoo, nan) or evaluation fails."""
    import sympy

    try:
        value = complex(sympy.N(expr, 15))
    except (TypeError, ValueError, ArithmeticError):
        return None
    return value if cmath.isfinite(value) else None


# Where an expression in variables is evaluated: one value per variable (in order of their names),
# none of them special (0, 1, a multiple of pi), all positive so that roots and logs are defined.
_POINT = (0.6180339887, 1.3247179572, 0.5772156649, 1.6066951524, 0.9159655942, 1.2020569032)


@lru_cache(maxsize=8192)
def _form(answer: str) -> tuple[str, complex | None] | None:
    """("number", its value) for an answer that parses to one number, ("expression", its value at
    _POINT or None) for one that parses to one expression in variables (x^2 + 1, not a lone symbol or
    a product of symbols, which math-verify reads as words), None for anything else: a percentage
    (equal to its number with or without the sign), a set, an interval, an equation, a matrix."""
    if "%" in answer:
        return None
    import sympy

    parsed = _parse(answer)
    exprs = [item for item in parsed if not isinstance(item, str)]
    if len(exprs) != 1 or _too_big(parsed) or not isinstance(exprs[0], sympy.Expr):
        return None
    expr = exprs[0]
    if expr.is_number:
        value = _value(expr)
        return None if value is None else ("number", value)
    words = isinstance(expr, sympy.Symbol) or (isinstance(expr, sympy.Mul) and all(
        isinstance(arg, sympy.Symbol) or arg == sympy.E for arg in expr.args))
    names = sorted(expr.free_symbols, key=str)
    if words or not names or len(names) > len(_POINT):
        return None
    return "expression", _value(expr.subs(dict(zip(names, _POINT))))


def _apart(a: str, b: str) -> bool:
    """Whether two answers cannot be equal: numbers too far apart for math-verify's rounding, or a
    number and an expression in variables whose value at one point is far from it (so it is not
    that constant: sin^2 x + cos^2 x is 1 everywhere). Most wrong answers are told apart so, and
    sympy's symbolic check costs about 10 ms a pair: grading a pool and voting (every answer of a
    problem against the others) compare mostly different answers."""
    fa, fb = _form(a), _form(b)
    if fa is None or fb is None or fa[0] == fb[0] == "expression" or fa[1] is None or fb[1] is None:
        return False
    if {s for s in _parse(a) if isinstance(s, str)} & {s for s in _parse(b) if isinstance(s, str)}:
        return False
    x, y = fa[1], fb[1]
    return abs(x - y) > max(_APART_ABS, _APART_REL * max(abs(x), abs(y)))


def _decide(extracted: str, gold: str) -> bool | None:
    """Whether the answer equals the gold one; None if deciding would blow the time limit. Both
    arguments are read by the same rules, so it also compares two answers."""
    # Part by part first (several solutions, named parts, function definitions, joined conditions):
    # most answers have no parts and skip this at once, and for those that do, parts are cheaper to
    # compare than the whole (sympy may take seconds to refute sin(theta) = sin(x)).
    # Named parts are compared by name or in order, so parts may also settle a "no" that whole-answer
    # equivalence would get wrong (it reads "a = 2, b = 7" and "7, 2" as equal sets).
    if " ".join(extracted.split()) == " ".join(gold.split()):
        return True
    if (by_parts := equal_by_parts(extracted, gold, lambda a, b: _decide(a, b) is True)) is not None:
        return by_parts
    timed_out = False
    for pred, ref in _readings(extracted, gold):
        result = _equivalent(pred, ref)
        if result:
            return True
        timed_out = timed_out or result is None
    return None if timed_out else False


@register("math")
class MathVerifier:
    """Options: `last_number_fallback` (take the last number when no answer is stated) and
    `timeout_s` (the most seconds spent deciding one answer's equivalence)."""

    name = "math"
    check_in_pool = True  # equivalence is sympy work: worth spreading over processes

    def __init__(self, last_number_fallback: bool = True, timeout_s: float = 5.0) -> None:
        if not isinstance(last_number_fallback, bool):
            raise InputError(
                f"verifier 'math': last_number_fallback must be true or false, not {last_number_fallback!r}"
            )
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
            raise InputError(f"verifier 'math': timeout_s must be a positive number, not {timeout_s!r}")
        self.last_number_fallback = last_number_fallback
        self.timeout_s = float(timeout_s)

    @property
    def options(self) -> dict:
        return {"last_number_fallback": self.last_number_fallback, "timeout_s": self.timeout_s}

    def gold(self, raw: str) -> str:
        return gold_answer(raw)

    def extract(self, completion: str, truncated: bool = False) -> str | None:
        """`truncated`: the output was cut at its token limit. Its last number is wherever the cut
        fell, not a conclusion, so only an explicitly stated answer counts."""
        return extract_final_answer(completion, last_number_fallback=self.last_number_fallback and not truncated,
                                    closing_fallback=not truncated)

    def check(self, extracted: str, gold: str) -> Verdict:
        """Whether an extracted answer equals the gold one."""
        _warm_up()
        try:
            correct = call_with_time_limit(lambda: _decide(extracted, gold), self.timeout_s)
        except TimeLimitExceeded:
            correct = None
        if correct is None:
            return Verdict(extracted, False, TIMEOUT_REASON)
        return Verdict(extracted, correct)

    def canonical(self, answer: str) -> str:
        """A plain number by its exact value ("3.0" and "3", "0.5" and "1/2"), anything else as written
        with its whitespace collapsed."""
        number = _as_number(answer)
        return str(number) if number is not None else " ".join(answer.split())

    def same_answer(self, a: str, b: str) -> bool:
        """Equivalent by the rules answers are graded by; an undecided comparison (time limit) is not."""
        _warm_up()
        try:
            return call_with_time_limit(lambda: _decide(a, b) is True, self.timeout_s)
        except TimeLimitExceeded:
            return False

    def judgeable(self, extracted: str, gold: str) -> bool:
        """Whether an answer the rules rejected could still equal the gold one in a way no rule
        reads: not when both are plain numbers, which the rules compare exactly."""
        return _as_number(extracted) is None or _as_number(gold) is None

    def grade(self, completion: str, gold: str, truncated: bool = False) -> Verdict:
        extracted = self.extract(completion, truncated)
        if extracted is None:
            return Verdict(None, False, NO_ANSWER_REASON)
        return self.check(extracted, gold)
