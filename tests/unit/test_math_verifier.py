"""The `math` verifier: answer extraction, equivalence, and the time limit.

tests/data/math_verification_cases.jsonl holds hand-labelled model-style completions. Cases left
out of it on purpose, because the right verdict is not clear-cut or math-verify cannot express it:
  * "(1, 2)" against gold "\\{1, 2\\}": "(1, 2)" is as much an open interval or a list of two
    solutions as an ordered pair, and math-verify accepts it; no label would be right every time.
  * "e^{i\\pi}" against "-1" and "i" against "\\sqrt{-1}": math-verify reads `i` as the imaginary
    unit only when the text looks complex, so both are graded wrong; this is a limit of the
    library, not something answer normalization can fix.
  * Answers right only under a reading of the question we cannot see: "0.05" against gold "5"
    (a percent?), "90 minutes" against "1.5" (hours?), "\\frac{\\pi}{6}" against "30^\\circ"
    (radians vs degrees). We grade them wrong, but a careful human might not.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from thinkbench.harness.errors import InputError
from thinkbench.verifiers import Verdict, get_verifier, verifier_names
from thinkbench.verifiers.math import MathVerifier
from thinkbench.verifiers.math_extract import (
    boxed_contents,
    extract_final_answer,
    gold_answer,
    last_number,
    normalize_answer,
    strip_reasoning,
)
from thinkbench.verifiers.time_limit import TimeLimitExceeded, call_with_time_limit

CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "math_verification_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]

# Equivalence that sympy cannot settle quickly (expanding a 40th power of a trinomial).
SLOW_PRED, SLOW_GOLD = r"(x+y+z)^{40}", r"(x+y+z+1)^{40}"


@pytest.fixture(scope="module")
def verifier() -> MathVerifier:
    return MathVerifier()


def test_case_file_is_large_and_well_formed():
    assert len(CASES) >= 200
    for case in CASES:
        assert {"prediction", "gold", "expected", "note"} <= set(case)
        assert isinstance(case["expected"], bool)
    assert sum(c["expected"] for c in CASES) > 50 and sum(not c["expected"] for c in CASES) > 50


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['note']}" for i, c in enumerate(CASES)])
def test_labelled_case(verifier, case):
    verdict = verifier.grade(case["prediction"], verifier.gold(case["gold"]))
    assert verdict.correct is case["expected"], verdict
    if "reason" in case:
        assert verdict.reason == case["reason"]
    if verdict.reason == "no answer":
        assert verdict.extracted is None


# --- extraction as pure functions -------------------------------------------------------------


def test_strip_reasoning():
    assert strip_reasoning("plain") == "plain"
    assert strip_reasoning("<think>a</think>b</think>c") == "c"
    assert strip_reasoning("<think>never closed") is None
    # Other formats: the reply is the solution part, after the thought part.
    assert strip_reasoning("<|begin_of_thought|>a<|end_of_thought|><|begin_of_solution|>b<|end_of_solution|>c") == "b"
    assert strip_reasoning("<|begin_of_thought|>never closed") is None
    assert strip_reasoning("<|begin_of_solution|>cut off") == "cut off"
    assert strip_reasoning("<think>a</think> <answer>42</answer>") == "42"


def test_boxed_contents_nested_and_truncated():
    text = r"\boxed{\frac{1}{\sqrt{2}}} then \fbox{ {a}{b} } and \boxed{open"
    assert [c for _, c in boxed_contents(text)] == [r"\frac{1}{\sqrt{2}}", " {a}{b} "]
    assert [c for _, c in boxed_contents(r"\boxed{\{1,2\}}")] == [r"\{1,2\}"]


@pytest.mark.parametrize(
    "text, answer",
    [
        (r"so \boxed{4} or rather \boxed{5}", "5"),
        ("The answer is (2, 3).", "(2, 3)"),
        ("The answer is 1,000,000 people", "1000000"),
        ("Answer: $x \\in [1, 2]$", "x \\in [1, 2]"),
        ("The answer is $\\$4.50$.", "4.50"),
        ("#### 1,024", "1024"),
        (r"so $\boxed{10,\!080}$", "10080"),  # a thin space between digit groups
        ("#### Step 1: add\nWe get 5.\n#### Step 2\nThe answer is 7.", "7"),  # markdown headings
        ("Final Answer\n\n$$\\frac{1}{4}$$", "\\frac{1}{4}"),
        ("the answer is correct, so we are done", None),
        # several boxes listing one answer's solutions, and revisions that are not lists
        (r"$x = \boxed{2}$ or $x = \boxed{-4}$.", "2, -4"),
        (r"$x_1 = \boxed{2}, \quad x_2 = \boxed{-4}$", "2, -4"),
        (r"$n = \boxed{1}$, $n = \boxed{3}$, and $n = \boxed{7}$", "1, 3, 7"),
        (r"\boxed{5} and \boxed{5}", "5"),
        (r"(a) $\boxed{3}$ (b) $\boxed{4}$", "4"),
        (r"so \boxed{4}. Wait, \boxed{5}", "5"),
        ("The answer is $x = 2$ or $x = -4$.", "x = 2, x = -4"),
        ("The answer is $5$, and $6$ is wrong.", "5"),
        # a number in a boxed sentence, unless the words qualify it
        (r"\boxed{Tom has 12.00 apples left}", "12.00"),
        (r"\boxed{\text{She earns \$1,250 per month}}", "1250"),
        (r"\boxed{at least 12}", "at least 12"),
        (r"\boxed{a multiple of 2}", "a multiple of 2"),
        (r"\boxed{5 pi}", "5 pi"),
        # the formula a finished output closes on
        ("so\n\n$$\\cot B = 3$$\n\n**End of solution**", "\\cot B = 3"),
        ("Hence\n\\[ x = \\frac{1}{2} \\quad \\blacksquare \\]", "x = \\frac{1}{2}"),
        ("First $x = 5$ but that fails", None),
        ("So $2x = 10$ gives 5 for $x$.", None),  # a lone name is no closing value
    ],
)
def test_extract_final_answer(text, answer):
    assert extract_final_answer(text, last_number_fallback=False) == answer


def test_no_closing_formula_in_a_cut_output():
    text = "Let me compute.\n$$\\cot B = 3$$"
    assert extract_final_answer(text, last_number_fallback=False) == "\\cot B = 3"
    assert extract_final_answer(text, last_number_fallback=False, closing_fallback=False) is None
    assert MathVerifier().grade(text, "3", truncated=True) == Verdict(None, False, "no answer")


def test_fallback_can_be_switched_off():
    text = "We add 3 and 4 to get 7"
    assert extract_final_answer(text) == "7"
    assert extract_final_answer(text, last_number_fallback=False) is None
    assert MathVerifier(last_number_fallback=False).grade(text, "7") == Verdict(None, False, "no answer")


def test_last_number_does_not_split_fractions_or_ranges():
    assert last_number(r"so $p = \frac{3}{10}$") == r"\frac{3}{10}"
    assert last_number("pages 3-4") == "4"
    assert last_number("no digits here") is None


def test_normalize_answer_keeps_meaningful_commas_and_text():
    assert normalize_answer("1, 234") == "1, 234"
    assert normalize_answer("(1,234)") == "(1,234)"
    assert normalize_answer(r"\text{Monday}") == r"\text{Monday}"
    assert normalize_answer("2 and 3") == "2 and 3"
    assert normalize_answer("   ") is None


@pytest.mark.parametrize(
    "raw, gold",
    [
        ("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 1,072", "1072"),
        (r"So the answer is $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
        ("  070 ", "070"),
        (r"\left( 3, \frac{\pi}{2} \right)", r"\left( 3, \frac{\pi}{2} \right)"),
    ],
)
def test_gold(raw, gold):
    assert gold_answer(raw) == gold
    assert MathVerifier().gold(raw) == gold


# --- equivalence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extracted, gold, correct",
    [("070", "70", True), ("70", "070", True), ("72.00", "72", True), ("1,000", "1000", True),
     ("71", "72", False), ("0.5", "1/2", True), ("12.5\\%", "12.5", True), ("5%", "0.05", True)],
)
def test_check(verifier, extracted, gold, correct):
    assert verifier.check(extracted, gold) == Verdict(extracted, correct, "")


@pytest.mark.parametrize(
    "extracted, gold, symbolic",
    [(r"\frac{3}{7}", r"\frac{1}{2}", False), ("x + 1", r"2\sqrt{3}", False), (r"\sqrt{2}", "1.41", False),
     (r"\sin^2 y + \cos^2 y", r"\frac{4}{4}", True), ("y + 3", "y + 4", True)],
)
def test_answers_apart_by_value_skip_the_symbolic_check(verifier, monkeypatch, extracted, gold, symbolic):
    # Most answers in a pool are wrong, and sympy's check of each costs about 10 ms: a number that
    # differs from the gold by value, or an expression whose value at one point does, is told apart
    # without it. Expressions that may be the same (or equal the number everywhere) still get it.
    import math_verify

    verifier.check("1", "1")  # the unlimited warm-up, before the patch
    asked = []
    monkeypatch.setattr(math_verify, "verify", lambda *args, **kwargs: asked.append(args) or False)
    assert verifier.check(extracted, gold).correct is False
    assert bool(asked) is symbolic


def test_registered_and_options():
    assert "math" in verifier_names()
    v = get_verifier("math", last_number_fallback=False, timeout_s=2)
    assert isinstance(v, MathVerifier) and v.options == {"last_number_fallback": False, "timeout_s": 2.0}
    with pytest.raises(InputError):
        get_verifier("math", timeout_s=0)
    with pytest.raises(InputError):
        get_verifier("math", fallback=True)


# --- time limits ------------------------------------------------------------------------------


def test_power_tower_returns_quickly(verifier):
    start = time.monotonic()
    verdict = verifier.grade(r"The answer is $\boxed{9^{9^{9^{9}}}}$.", "1")
    assert time.monotonic() - start < 5
    assert verdict.correct is False and verdict.reason in ("", "unverified: timeout")


def test_power_tower_returns_quickly_off_the_main_thread(verifier):
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(verifier.grade, r"\boxed{9^{9^{9^{9}}}}", "1")
        verdict = future.result(timeout=10)
    assert verdict.correct is False and verdict.reason in ("", "unverified: timeout")


def test_slow_equivalence_times_out_in_main_thread():
    start = time.monotonic()
    verdict = MathVerifier(timeout_s=0.5).check(SLOW_PRED, SLOW_GOLD)
    assert verdict == Verdict(SLOW_PRED, False, "unverified: timeout")
    assert time.monotonic() - start < 3


def test_slow_equivalence_times_out_in_a_worker_thread():
    v = MathVerifier(timeout_s=0.5)
    with ThreadPoolExecutor(1) as pool:
        verdict = pool.submit(v.check, SLOW_PRED, SLOW_GOLD).result(timeout=10)
    assert verdict == Verdict(SLOW_PRED, False, "unverified: timeout")


def test_a_timeout_on_the_very_first_check_leaves_math_verify_working():
    # Cutting short the first check used to cut short math-verify's own imports, after which
    # every later answer was graded wrong. Needs a process that has not graded anything yet.
    script = (
        "from thinkbench.verifiers.math import MathVerifier\n"
        "MathVerifier(timeout_s=0.01).check(r'\\frac{1}{4}', '0.25')\n"
        "print(MathVerifier().check(r'\\frac{2}{4}', '0.5').correct)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


def test_grading_from_threads_matches_main_thread(verifier):
    sample = CASES[:40]
    expected = [verifier.grade(c["prediction"], verifier.gold(c["gold"])) for c in sample]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda c: verifier.grade(c["prediction"], verifier.gold(c["gold"])), sample))
    assert got == expected


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@pytest.mark.parametrize("in_thread", [False, True])
def test_time_limit_interrupts_and_survives_a_swallowing_except(in_thread):
    def stubborn() -> str:
        try:
            _spin(5)
        except BaseException:  # noqa: B036 - a library that swallows everything
            pass
        _spin(5)
        return "finished"

    def run() -> float:
        start = time.monotonic()
        with pytest.raises(TimeLimitExceeded):
            call_with_time_limit(stubborn, 0.2)
        return time.monotonic() - start

    if in_thread:
        with ThreadPoolExecutor(1) as pool:
            elapsed = pool.submit(run).result(timeout=10)
    else:
        elapsed = run()
    assert elapsed < 2
    _spin(0.6)  # nothing may still be pending once the call has returned


@pytest.mark.parametrize("in_thread", [False, True])
def test_time_limit_returns_value_and_leaves_no_alarm(in_thread):
    def run():
        return call_with_time_limit(lambda: 41 + 1, 0.1)

    if in_thread:
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(run).result() == 42
    else:
        assert run() == 42
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    _spin(0.4)


def test_time_limit_restores_an_outer_alarm():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        assert call_with_time_limit(lambda: "ok", 5) == "ok"
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 1.0
        signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert fired == []
