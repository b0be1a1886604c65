"""Answers read into parts (verifiers/math_structure.py), and parts matched with a given comparison
of single values: pure string work, checked here without sympy."""
from __future__ import annotations

import pytest

from thinkbench.verifiers.math import MathVerifier
from thinkbench.verifiers.math_structure import Part, Parts, equal_by_parts, parts


def _same(a: str, b: str) -> bool:
    """A symmetric stand-in for equivalence: equal up to spaces, or equal as numbers."""
    a, b = a.replace(" ", ""), b.replace(" ", "")
    try:
        return a == b or float(a) == float(b)
    except ValueError:
        return False


@pytest.mark.parametrize("answer, expected", [
    ("42", Parts((Part("42"),))),
    (r"x = 2 \text{ or } x = -4", Parts((Part("2", "x"), Part("-4", "x")))),
    (r"\{-4, 2\}", Parts((Part("-4"), Part("2")), "set")),
    (r"\text{Smallest: } 4, \text{Largest: } 10", Parts((Part("4", "smallest"), Part("10", "largest")))),
    ("the area is 12", Parts((Part("12", "area"),))),
    ("(p(t), q(t)) = (t, 3)", Parts((Part("t", "p", ("t",)), Part("3", "q", ("t",))), "tuple")),
    (r"\left( 3, \frac{\pi}{2} \right)", Parts((Part("3"), Part(r"\frac{\pi}{2}")), "tuple")),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", Parts((Part("1"), Part("2")), "tuple")),
    (r"\langle 1, 2 \rangle", Parts((Part("1"), Part("2")), "tuple")),
    ("(1, 2), (3, 4)", Parts((Part("(1, 2)"), Part("(3, 4)")))),
    ("[1, 2)", Parts((Part("[1, 2)"),))),  # an interval, not a list
    ("f(2) = 5", Parts((Part("5", "f(2)"),))),
    (r"h(\theta) = \sin \theta", Parts((Part(r"\sin \theta", "h", (r"\theta",)),))),
    (r"f(x) = x \text{ for all } x", Parts((Part("x", "f", ("x",)),))),
    (r"\forall x \in \mathbb{R}, f(x) = x", Parts((Part("x", "f", ("x",)),))),
    (r"f(x) = cx \text{ for any constant } c", Parts((Part("cx", "f", ("x",)),))),
    (r"\{m : m \geq 3\}", Parts((Part(r"m \geq 3"),))),
    ("all real numbers", Parts((Part(r"\mathbb{R}"),))),
    ("no real solutions", Parts((Part(r"\emptyset"),))),
    (r"x \le -1 \text{ or } x \ge 2", Parts((Part(r"(-\infty, -1] \cup [2, \infty)"),))),
    (r"3 > x > -1 \text{ or } x > 7", Parts((Part(r"(-1, 3) \cup (7, \infty)"),))),
    (r"x \geq 1 \text{ and } x < 4", Parts((Part("[1, 4)"),))),
    (r"x > 1 \text{ and } y < 4", Parts((Part("x > 1"), Part("y < 4")))),  # two variables: no interval
])
def test_parts(answer, expected):
    assert parts(answer) == expected


@pytest.mark.parametrize("a, b, verdict", [
    ("42", "43", None),  # no parts: whole-answer equivalence decides
    ("9, 5, 2", "2, 5, 9", True),
    ("2, 5", "2, 5, 9", None),
    ("(2, 1)", "(1, 2)", None),  # ordered: not equal by parts; as intervals, for the caller to say
    ("Smallest: 4, Largest: 10", "4, 10", True),
    ("Smallest: 10, Largest: 4", "4, 10", False),  # named parts keep their order
    ("Largest: 10, Smallest: 4", "Smallest: 4, Largest: 10", True),
    ("a = 7, c = 2", "a = 7, b = 2", False),
    ("y = 2, x = 1", "(1, 2)", True),  # single letters read in alphabetical order
    ("y = 1, x = 2", "(1, 2)", False),
    ("x_1 = 4, x_2 = 3", "3, 4", True),  # numbered names list solutions, in any order
    ("a = 2, b = 7", r"\{7, 2\}", None),  # a set has no order to hold the names to
    ("p(t)=t, q(t)=3", "(p(t), q(t)) = (t, 3)", True),
    ("(t, 3)", "(p(t), q(t)) = (t, 3)", True),
    ("g(y) = 2y", "g(x) = 2x", True),
    ("g(y) = 2x", "g(x) = 2x", None),  # x is free on the left: renaming y to x would capture it
    ("f(x, y) = x + 2y", "f(y, x) = y + 2x", True),
    ("f(t) = t or f(t) = -t", "f(x) = -x, f(x) = x", True),
    ("f(x) = x^2", "g(x) = x^2", None),  # another function's name
])
def test_equal_by_parts_both_ways(a, b, verdict):
    assert equal_by_parts(a, b, _same) is verdict
    assert equal_by_parts(b, a, _same) is verdict  # the same rules read both sides


def test_answer_against_answer_is_symmetric():
    """What grouping answers among themselves needs: the verdict does not depend on which side is
    called the gold."""
    v = MathVerifier()
    for a, b in [("x = 2 \\text{ or } x = -4", "-4, 2"), ("g(y) = 2y", "g(x) = 2x"), ("(2, 1)", "(1, 2)"),
                 ("Smallest: 4, Largest: 10", "4, 10"), (r"x \le -1 \text{ or } x \ge 2", r"(-\infty, -1] \cup [2, \infty)")]:
        assert v.check(a, b).correct is v.check(b, a).correct
