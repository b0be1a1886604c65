"""Answers made of parts, which whole-answer equivalence misses when two answers write their parts
differently:
  * several solutions in any order: `x = 2 \\text{ or } x = -4`, `\\{-4, 2\\}`;
  * named parts: `Smallest: 4, Largest: 10` against `4, 10`; `p(t)=t, q(t)=3` against
    `(p(t), q(t)) = (t, 3)`;
  * function definitions up to the name of their variable: `g(y) = 2y` against `g(x) = 2x`;
  * conditions joined by "or"/"and": `x \\le -1 \\text{ or } x \\ge 2` against
    `(-\\infty, -1] \\cup [2, \\infty)`; set-builder `\\{m : m \\geq 3\\}`; "for all x" clauses;
    "all real numbers", "no solution".

`parts()` reads an answer into parts (string work only); `same_parts()` matches two answers' parts
with a comparison of single values that the caller supplies. Both sides are read by the same rules,
so they serve answer against gold and answer against answer alike. Tuples, points and vectors stay
ordered: (1, 2) is not (2, 1).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from thinkbench.verifiers.math_extract import normalize_answer, strip_layout, unwrap_text

Same = Callable[[str, str], bool]

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta kappa lambda mu nu xi rho sigma "
          "tau phi varphi chi psi omega").split()
_VAR = r"(?:[A-Za-z](?:_\{?\w+\}?)?|\\(?:" + "|".join(_GREEK) + r")(?![A-Za-z]))"
_VARS = rf"{_VAR}(?:\s*,\s*{_VAR})*"
_NUMBER_SET = (r"(?:\\mathbb\s*\{?[RZNQC]\}?|\\(?:R|Z|N|Q|C|reals)(?![A-Za-z]))"
               r"(?:\s*\^\s*\{?[+*]\}?|\s*_\s*\{[^{}]*\}|\s*_\s*\S)?")  # with ^+ or _{>0}
_IN = r"(?:\\in(?![A-Za-z])|∈)"
# "for all real x", "\forall x \in \mathbb{R}", "for any constant c": the answer holds everywhere,
# which the question already says. A condition ("for x > 0") is not a quantifier and stays.
_FOR_ALL_END_RE = re.compile(
    r"\s*[,;]?\s*(?:for\s+(?:all|every|each|any)|\\forall)\s+"
    r"(?:(?:real|positive|negative|nonnegative|non-negative|integer|natural|rational|complex|constant)\s+)*"
    r"(?:(?:numbers?|integers?|reals|values?|constants?)\s+)?"
    rf"{_VARS}(?:\s*{_IN}\s*{_NUMBER_SET})?\s*\.?$", re.IGNORECASE)
_FOR_ALL_START_RE = re.compile(rf"^\\forall\s*{_VARS}(?:\s*{_IN}\s*{_NUMBER_SET})?\s*[,:]?\s*")
_DOMAIN_END_RE = re.compile(rf"\s*[,;]?\s*\(?\s*{_VARS}\s*{_IN}\s*{_NUMBER_SET}\s*\)?\s*$")
_SET_BUILDER_RE = re.compile(rf"^\\\{{\s*{_VAR}\s*(?:{_IN}\s*{_NUMBER_SET}\s*)?(?::|\\mid|\|)\s*(.+?)\s*\\\}}$")
_PHRASES = (
    (re.compile(rf"^(?:all|any|every)\s+real\s+(?:numbers?|values?)(?:\s+(?:of\s+)?{_VAR})?$|^all\s+reals$", re.I),
     r"\mathbb{R}"),
    (re.compile(r"^(?:there\s+(?:is|are)\s+)?no\s+(?:real\s+)?(?:solutions?|roots?)$|^(?:the\s+)?empty\s+set$", re.I),
     r"\emptyset"),
)
# Separators of a bare list, at bracket depth 0. "or"/"and" also say how joined conditions combine.
_SEPARATOR_RE = re.compile(
    r"\s*(?:[,;]|\\\\|\\q?quad(?![A-Za-z]))\s*|\s+(and|or)\s+|\s*\\(lor|vee|land|wedge)(?![A-Za-z])\s*", re.IGNORECASE)
_OPENERS, _CLOSERS = "([{", ")]}"
# A name given to a value: "Smallest: 4", "a = 7", "x_1 = 2", "\theta = 3", "the area is 12", "f(2) = 5".
_COLON_LABEL_RE = re.compile(r"^([A-Za-z][A-Za-z ]*?)\s*:\s*(\S.*)$")
_NAME_LABEL_RE = re.compile(rf"^({_VAR}'*|[A-Za-z]{{3,}}(?: [A-Za-z]+)*)\s*=\s*(\S.*)$")
_IS_LABEL_RE = re.compile(r"^(?:the\s+)?([A-Za-z]{3,}(?: [A-Za-z]+)*?)\s+(?:is|are)\s+(\S.*)$", re.IGNORECASE)
_CALL_LABEL_RE = re.compile(r"^([A-Za-z]|\\[A-Za-z]+)\s*\(([^()=]*)\)\s*=\s*(\S.*)$")
_TUPLE_EQUATION_RE = re.compile(r"^\((.*)\)\s*=\s*\((.*)\)$")
_MATRIX_RE = re.compile(r"^\\begin\{([pbvB]?matrix)\}(.*)\\end\{\1\}$", re.DOTALL)
_RELATION_OPS = {"<": "<", ">": ">", r"\lt": "<", r"\gt": ">", r"\le": "<=", r"\leq": "<=", r"\leqslant": "<=",
                 r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", "≤": "<=", "≥": ">=", "<=": "<=", ">=": ">="}
_OP = r"(<=|>=|<|>|≤|≥|\\(?:leqslant|geqslant|leq|geq|le|ge|lt|gt)(?![A-Za-z]))"
_VALUE = r"([^<>=≤≥]+?)"
_RELATION_RES = (
    (re.compile(rf"^{_VALUE}\s*{_OP}\s*({_VAR})\s*{_OP}\s*{_VALUE}$"), "between"),
    (re.compile(rf"^({_VAR})\s*{_OP}\s*{_VALUE}$"), "var first"),
    (re.compile(rf"^{_VALUE}\s*{_OP}\s*({_VAR})$"), "var last"),
)
_GROUPED_NUMBER_RE = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMBER_RE = re.compile(r"[-+]?\d*(?:\.\d+)?(?:/\d+)?%?")  # nothing to take apart: the common case, fast
_MAX_PARTS = 24  # matching is quadratic in the parts; longer lists are left to whole-answer equivalence


@dataclass(frozen=True)
class Part:
    value: str
    label: str | None = None  # the name the value is given: "a", "x_1", "smallest", "p" of "p(t) = t"
    params: tuple[str, ...] = ()  # a function definition's variables: "g(y) = 2y" -> ("y",)


@dataclass(frozen=True)
class Parts:
    items: tuple[Part, ...]
    kind: str = "list"  # "tuple" (a pair, point or vector: position matters), "set" (in braces) or a bare "list"


def _plain_latex(answer: str) -> str:
    return " ".join(unwrap_text(strip_layout(answer).replace("\\$", "").replace("$", "")).split())


def _clean(answer: str) -> str:
    """The answer without what states no part of it: typesetting, \\text wrappers, "for all x"."""
    text = _plain_latex(answer)
    text = _FOR_ALL_START_RE.sub("", _FOR_ALL_END_RE.sub("", text))
    if "=" in text:  # "f(x) = x, x \in \mathbb{R}"; a lone "x \in \mathbb{R}" is an answer
        text = _DOMAIN_END_RE.sub("", text)
    if (m := _SET_BUILDER_RE.match(text)) is not None:
        text = m.group(1)
    for pattern, replacement in _PHRASES:
        if pattern.match(text):
            return replacement
    return text.strip()


def _token(text: str, i: int) -> tuple[int, int]:
    """(depth change, length) of the token at `i`: brackets, \\{ \\}, \\langle \\rangle and
    environments (\\begin ... \\end: a matrix is one value) open and close; any other command or
    escape is one token."""
    for opener in ("\\{", "\\langle", "\\begin"):
        if text.startswith(opener, i):
            return 1, len(opener)
    for closer in ("\\}", "\\rangle", "\\end"):
        if text.startswith(closer, i):
            return -1, len(closer)
    c = text[i]
    if c == "\\":
        return 0, 2 if i + 1 < len(text) and not text[i + 1].isalpha() else 1
    return (1 if c in _OPENERS else -1 if c in _CLOSERS else 0), 1


def _wrapped(text: str, open_: str, close: str) -> str | None:
    """The inside of `text` when one bracket pair encloses all of it."""
    if not (text.startswith(open_) and text.endswith(close)):
        return None
    depth, i = 0, 0
    while i < len(text):
        delta, size = _token(text, i)
        depth, i = depth + delta, i + size
        if depth <= 0:
            return text[len(open_):-len(close)] if i == len(text) else None
    return None


def _split(text: str) -> tuple[list[str], set[str]]:
    """The items of a list at bracket depth 0, and the words that joined them ("or", "and")."""
    items, joiners = [], set()
    depth, start, i = 0, 0, 0
    while i < len(text):
        if depth == 0 and (m := _SEPARATOR_RE.match(text, i)) is not None and m.end() > i:
            items.append(text[start:i])
            word = (m.group(1) or m.group(2) or "").lower()
            joiners.add({"lor": "or", "vee": "or", "land": "and", "wedge": "and"}.get(word, word))
            start = i = m.end()
            continue
        delta, size = _token(text, i)
        depth, i = max(depth + delta, 0), i + size
    items.append(text[start:])
    return [item.strip() for item in items], joiners


def _label_key(label: str) -> str:
    label = " ".join(label.split())
    return label.lower() if re.fullmatch(r"[A-Za-z]{2,}(?: [A-Za-z]+)*", label) else label.replace(" ", "")


def _value(text: str) -> str:
    return normalize_answer(text) or text


def _part(item: str) -> Part:
    if (m := _CALL_LABEL_RE.match(item)) is not None:
        args = [a.strip() for a in m.group(2).split(",")]
        if all(re.fullmatch(_VAR, a) for a in args):
            return Part(_value(m.group(3)), m.group(1), tuple(args))
        return Part(_value(m.group(3)), _label_key(f"{m.group(1)}({','.join(args)})"))
    for pattern in (_NAME_LABEL_RE, _COLON_LABEL_RE, _IS_LABEL_RE):
        if (m := pattern.match(item)) is not None:
            return Part(_value(m.group(2)), _label_key(m.group(1)))
    return Part(_value(item))


_Bound = tuple[str, bool] | None  # (value, closed); None: infinite


def _bounds(match: re.Match, shape: str) -> tuple[_Bound, _Bound] | None:
    """The lower and upper bound one relation in one variable states: "x \\le -1" -> (None, ("-1", True))."""
    if shape == "between":
        low, op1, _, op2, high = match.groups()
        op1, op2 = _RELATION_OPS[op1], _RELATION_OPS[op2]
        if op1[0] != op2[0]:
            return None
        if op1[0] == ">":
            low, high, op1, op2 = high, low, op2, op1
        return (low.strip(), op1.endswith("=")), (high.strip(), op2.endswith("="))
    if shape == "var first":
        _, op, value = match.groups()
        op = _RELATION_OPS[op]
    else:
        value, op, _ = match.groups()
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[_RELATION_OPS[op]]
    bound = (value.strip(), op.endswith("="))
    return (None, bound) if op[0] == "<" else (bound, None)


def _interval(low: _Bound, high: _Bound) -> str:
    left = f"{'[' if low[1] else '('}{low[0]}" if low else r"(-\infty"
    right = f"{high[0]}{']' if high[1] else ')'}" if high else r"\infty)"
    return f"{left}, {right}"


def _condition(items: list[str], joiners: set[str]) -> str | None:
    """Relations in one variable joined by "or" as a union of intervals; two joined by "and" as the
    interval between the lower bound of one and the upper bound of the other."""
    if len(items) < 2 or joiners not in ({"or"}, {"and"}):
        return None
    bounds, variables = [], set()
    for item in items:
        for pattern, shape in _RELATION_RES:
            if (m := pattern.match(item)) is not None:
                variables.add(m.group(1 if shape == "var first" else 3))
                bounds.append(_bounds(m, shape))
                break
        else:
            return None
    if len(variables) != 1 or None in bounds:
        return None
    if joiners == {"or"}:
        return r" \cup ".join(_interval(low, high) for low, high in bounds)
    lows = [low for low, _ in bounds if low is not None]
    highs = [high for _, high in bounds if high is not None]
    return _interval(lows[0], highs[0]) if len(bounds) == 2 and len(lows) == len(highs) == 1 else None


def parts(answer: str) -> Parts:
    """The parts an answer states; one unnamed part for an answer without any."""
    if _NUMBER_RE.fullmatch(answer):
        return Parts((Part(answer),))
    text = _clean(answer)
    if _GROUPED_NUMBER_RE.fullmatch(text):  # "10,\\!080" is one number, not a list
        return Parts((Part(text.replace(",", "")),))
    if (m := _TUPLE_EQUATION_RE.match(text)) is not None:
        names, values = _wrapped(f"({m.group(1)})", "(", ")"), _wrapped(f"({m.group(2)})", "(", ")")
        if names is not None and values is not None:
            labels, items = _split(names)[0], _split(values)[0]
            if len(labels) == len(items) > 1:
                return Parts(tuple(_part(f"{label} = {item}") for label, item in zip(labels, items)), "tuple")
    if (m := _MATRIX_RE.match(text)) is not None:
        rows = [[cell.strip() for cell in row.split("&")] for row in re.split(r"\\\\", m.group(2)) if row.strip()]
        if rows and (all(len(row) == 1 for row in rows) or len(rows) == 1):
            return Parts(tuple(Part(_value(cell)) for row in rows for cell in row), "tuple")
    for open_, close, kind in (("(", ")", "tuple"), ("\\langle", "\\rangle", "tuple"), ("\\{", "\\}", "set")):
        if (inside := _wrapped(text, open_, close)) is not None:
            items, joiners = _split(inside)
            if len(items) > 1 or kind == "set":
                return Parts(tuple(_part(item) for item in items if item), kind if joiners <= {""} else "set")
    items, joiners = _split(text)
    if (condition := _condition(items, joiners)) is not None:
        return Parts((Part(condition),))
    if len(items) == 1 and text == _plain_latex(answer) and _part(text).label is None:
        return Parts((Part(answer),))  # nothing but typesetting to take off: no parts
    return Parts(tuple(_part(item) for item in items if item))


def _distinct_labels(p: Parts) -> list[str] | None:
    """The names of the parts when each part has its own; None for a list of solutions, whose
    names are one name over several values ("x = 2 or x = -4") or one name numbered ("x_1, x_2")."""
    labels = [item.label for item in p.items]
    if None in labels or len(set(labels)) != len(labels):
        return None
    if len(labels) > 1 and len({re.sub(r"_\{?\w+\}?$", "", label) for label in labels}) == 1:
        return None
    return labels


def _in_order(p: Parts) -> list[Part]:
    """The parts in the order they stand for: a bare list named by single letters is read in
    alphabetical order ("y = 2, x = 1" is the pair (1, 2))."""
    labels = _distinct_labels(p)
    if p.kind == "list" and labels and all(re.fullmatch(r"[A-Za-z](?:_\{?\w+\}?)?", label) for label in labels):
        return sorted(p.items, key=lambda item: item.label)
    return list(p.items)


def _variables(names) -> re.Pattern:
    """Where any of `names` stands alone as a variable: "t" but not the t of \\sqrt or \\theta."""
    return re.compile("|".join(
        re.escape(v) + r"(?![A-Za-z])" if v.startswith("\\") else rf"(?<![A-Za-z\\]){re.escape(v)}(?![A-Za-z])"
        for v in sorted(names, key=len, reverse=True)))


def _same_part(p: Part, q: Part, same: Same) -> bool:
    if not (p.params and q.params):
        return same(p.value, q.value)
    if p.label != q.label or len(p.params) != len(q.params):
        return False
    mapping = dict(zip(p.params, q.params))
    value = p.value
    if any(a != b for a, b in mapping.items()):
        taken = set(q.params) - set(p.params)
        # "g(y) = 2x" is not "g(x) = 2x": a name the renaming brings in must not be free already.
        if taken and _variables(taken).search(p.value):
            return False
        value = _variables(mapping).sub(lambda m: mapping[m.group(0)], p.value)
    return same(value, q.value)


def same_parts(a: Parts, b: Parts, same: Same) -> bool | None:
    """Whether two answers state the same parts: by name where both name all their parts, by
    position where either is a tuple or names its parts, else in any order. None where the parts
    cannot settle it (an unnamed list against a set or tuple of the same values may still be equal
    as a whole); False only where they do: named parts are compared by name or in their order."""
    labels_a, labels_b = _distinct_labels(a), _distinct_labels(b)
    named = labels_a is not None or labels_b is not None
    decisive = named and len(a.items) == len(b.items) > 1 and "set" not in (a.kind, b.kind)
    if len(a.items) != len(b.items) or len(a.items) > _MAX_PARTS:
        return None  # a missing or extra part: whole-answer equivalence says no, unless it reads them alike
    if labels_a is not None and labels_b is not None:
        if set(labels_a) != set(labels_b):
            return False if decisive else None  # different names: different parts
        by_label = {item.label: item for item in b.items}
        equal = all(_same_part(p, by_label[p.label], same) for p in a.items)
    elif "tuple" in (a.kind, b.kind) or named:
        equal = all(_same_part(p, q, same) for p, q in zip(_in_order(a), _in_order(b)))
    else:
        unmatched = list(b.items)
        for p in a.items:
            match = next((q for q in unmatched if _same_part(p, q, same)), None)
            if match is None:
                break
            unmatched.remove(match)
        equal = not unmatched
    return True if equal else (False if decisive else None)


def _plain(p: Parts, answer: str) -> bool:
    return len(p.items) == 1 and p.items[0] == Part(answer)


def equal_by_parts(a: str, b: str, same: Same) -> bool | None:
    """Whether answers `a` and `b` state the same parts; None where their parts do not settle it
    (neither has any, or they differ in a way whole-answer equivalence may still accept)."""
    pa, pb = parts(a), parts(b)
    if _plain(pa, a) and _plain(pb, b):
        return None

    def same_values(x: str, y: str) -> bool:
        return (x, y) != (a, b) and same(x, y)  # a value that is the whole answer again: no progress

    # One value written another way ("all real numbers", "\{x : x > 3\}") against the other answer
    # whole: "(3, \infty)" is an interval here, not a pair.
    for (one, answer), other in (((pa, a), b), ((pb, b), a)):
        if len(one.items) == 1 and one.items[0].label is None and one.items[0].value != answer:
            if same_values(one.items[0].value, other):
                return True
    return same_parts(pa, pb, same_values)
