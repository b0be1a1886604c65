"""The `multiple_choice` verifier: which option letter a completion picks."""
from __future__ import annotations

import pytest

from thinkbench.harness.errors import InputError
from thinkbench.verifiers import Verdict, get_verifier
from thinkbench.verifiers.multiple_choice import MultipleChoiceVerifier

CHOICES = ["London", "Paris", "Berlin", "Rome"]


@pytest.fixture(scope="module")
def mc() -> MultipleChoiceVerifier:
    return MultipleChoiceVerifier()


@pytest.mark.parametrize(
    "completion, letter",
    [
        ("The answer is (C).", "C"),
        ("Reasoning...\n\n**C**", "C"),
        ("Answer: C) 42", "C"),
        (r"So the answer is $\boxed{C}$.", "C"),
        (r"$\boxed{\text{B}}$", "B"),
        (r"\boxed{(D)}", "D"),
        ("Thus the answer is (c).", "C"),
        ("answer: b", "B"),
        ("The answer is: **B**", "B"),
        ("**Answer: C**", "C"),
        ("The correct answer is option D.", "D"),
        ("The best answer is choice (A).", "A"),
        ("I choose B.", "B"),
        ("The answer is clearly B.", "B"),
        ("Option A is wrong. Option B is wrong. Option C is correct.", "C"),
        ("The answer is: (d) Rome", "D"),
        ("Final Answer: D", "D"),
        ("Answer: $C$", "C"),
        (r"The answer is \(\text{B}\).", "B"),
        # last stated answer wins
        ("The answer is A. Wait, that ignores friction; the answer is D.", "D"),
        ("Answer: B\n\nHmm, reconsidering...\nAnswer: D", "D"),
        (r"First guess \boxed{A}. Checking again, the answer is (B).", "B"),
        # no explicit statement: a lone letter on the final line
        ("A is incorrect because the units differ.\nB", "B"),
        ("So it must be\n(C)", "C"),
        ("Comparing all four, the best fit is\nC. Berlin", "C"),
        # reasoning is not the reply
        ("<think>Answer: A</think>\nAnswer: B", "B"),
    ],
)
def test_extract_letter(mc, completion, letter):
    assert mc.extract(completion) == letter


@pytest.mark.parametrize(
    "completion",
    [
        "A train leaves the station at 3pm and arrives at 5pm.",
        "The answer is a prime number, but I can't tell which.",
        "I am not sure.",
        "",
        "Answer: E",  # not an option here
        "<think>Answer: A",  # ran out of tokens while thinking
        "Let's look at **(A)** 42 and **(B)** 17.\nI'm unsure which.",
        "Option A says the rate doubles. Option B says it halves.",
    ],
)
def test_no_answer(mc, completion):
    assert mc.extract(completion) is None
    assert mc.grade(completion, "A") == Verdict(None, False, "no answer")


@pytest.mark.parametrize(
    "completion, letter",
    [
        ("The answer is Paris.", "B"),
        ("Paris", "B"),
        (r"\boxed{Rome}", "D"),
        ("The answer is the city of Berlin.", "C"),
        ("After weighing the options:\n**london**", "A"),
    ],
)
def test_option_text_counts_when_choices_are_known(mc, completion, letter):
    assert mc.extract(completion, choices=CHOICES) == letter
    assert mc.grade(completion, letter, choices=CHOICES).correct
    assert mc.extract(completion) is None  # without the texts, a city name picks nothing


def test_ambiguous_option_text_is_no_answer(mc):
    assert mc.extract("The answer is Paris or Rome.", choices=CHOICES) is None
    assert mc.extract("It is surely not London.", choices=CHOICES) is None


def test_grade(mc):
    assert mc.grade("Answer: C", "C") == Verdict("C", True, "")
    assert mc.grade("Answer: C", "B") == Verdict("C", False, "")


@pytest.mark.parametrize("raw, gold", [("C", "C"), ("(b)", "B"), (" D. ", "D"), ("a", "A")])
def test_gold(mc, raw, gold):
    assert mc.gold(raw) == gold


@pytest.mark.parametrize("raw", ["E", "2", "Paris", ""])
def test_bad_gold_is_an_input_error(mc, raw):
    with pytest.raises(InputError):
        mc.gold(raw)


def test_more_letters():
    v = get_verifier("multiple_choice", letters="ABCDEFGHIJ")
    assert v.extract("The answer is (J).") == "J"
    assert v.gold("h") == "H"
    assert MultipleChoiceVerifier().extract("The answer is (J).") is None


@pytest.mark.parametrize("letters", ["", "abc", "AAB", "A1", 4])
def test_bad_letters(letters):
    with pytest.raises(InputError):
        get_verifier("multiple_choice", letters=letters)
