"""The `code` verifier: each kind of verdict, early stopping, and batch grading through grade_all."""
import json

import pytest

import thinkbench.verifiers.code as code_module
from thinkbench.harness import sandbox
from thinkbench.harness.errors import InputError
from thinkbench.verifiers import get_verifier
from thinkbench.verifiers.code_gold import function_gold, parse_gold, stdio_gold
from thinkbench.verifiers.grading import grade_all

if not sandbox.sandbox_available():
    pytest.skip("bubblewrap (bwrap) is missing or cannot create namespaces here", allow_module_level=True)

ADD_TESTS = function_gold(["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0"])
ADD = "def add(a, b):\n    return a + b\n"
HUMANEVAL_STYLE = function_gold(
    ["check(add)"], setup="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(5, 5) == 10\n",
    prompt='def add(a, b):\n    """The sum of a and b."""\n', entry_point="add")
SUM_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture(scope="module")
def verifier():
    return get_verifier("code", timeout_s=2, memory_mb=256)


@pytest.fixture
def executions(monkeypatch):
    """Counts the sandboxed executions the verifier starts."""
    calls = []

    def counting(code, **kwargs):
        calls.append(kwargs.get("stdin", ""))
        return sandbox.run_sandboxed(code, **kwargs)

    monkeypatch.setattr(code_module, "run_sandboxed", counting)
    return calls


def reason(verifier, code, gold=ADD_TESTS):
    return verifier.check(code, verifier.gold(gold)).reason


def test_a_correct_function_passes(verifier):
    verdict = verifier.check(ADD, verifier.gold(ADD_TESTS))
    assert (verdict.extracted, verdict.correct, verdict.reason) == (ADD, True, "passed")


def test_a_failed_test_is_named_and_later_tests_never_run(verifier):
    tests = function_gold(["assert add(1, 2) == 3", "assert add(2, 2) == 4", "while True: pass"])
    code = "def add(a, b):\n    return 3\n"
    assert reason(verifier, code, tests) == "failed: test 2 of 3: assert add(2, 2) == 4"


@pytest.mark.parametrize("code,expected", [
    ("def add(a, b)\n    return a + b\n", "syntax error: line 1: expected ':'"),
    ("def add(a, b):\n    return a / 0\n", "runtime error: test 1 of 3: ZeroDivisionError: division by zero"),
    ("undefined_name()\n", "runtime error: at import: NameError: name 'undefined_name' is not defined"),
    ("def add(a, b):\n    return add(a, b)\n",
     "runtime error: test 1 of 3: RecursionError: maximum recursion depth exceeded"),
    ("def add(a, b):\n    while True:\n        pass\n", "timeout: test 1 of 3"),
    ("import time\ntime.sleep(60)\n", "timeout: at import"),
    ("def add(a, b):\n    return bytearray(2**31)\n", "memory limit: test 1 of 3"),
    ("def add(a, b):\n    while True:\n        print('x' * 1000)\n",
     "runtime error: test 1 of 3: output limit exceeded"),
    ("import sys\nsys.exit(0)\n", "runtime error: at import: SystemExit: 0"),
    ("import os\nos._exit(0)\n", "runtime error: at import: exited with code 0 before the tests finished"),
])
def test_verdict_reasons(verifier, code, expected):
    verdict = verifier.check(code, verifier.gold(ADD_TESTS))
    assert not verdict.correct
    assert verdict.reason == expected


def test_a_broken_test_setup_is_told_apart_from_the_solution(verifier):
    tests = function_gold(["assert add(1, 2) == 3"], setup="raise ValueError('bad setup')")
    assert reason(verifier, ADD, tests) == "runtime error: at setup: ValueError: bad setup"


def test_a_solution_that_hides_stdout_or_leaves_threads_behind_still_passes(verifier):
    hidden = "import io, sys\nsys.stdout = io.StringIO()\n" + ADD
    lingering = "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\n" + ADD
    noisy = "print('hello ' * 50)\n" + ADD + "if __name__ == '__main__':\n    print(input())\n"
    assert [reason(verifier, c) for c in (hidden, lingering, noisy)] == ["passed"] * 3


def test_humaneval_style_completion_as_a_body_or_a_whole_function(verifier):
    assert reason(verifier, "    return a + b\n", HUMANEVAL_STYLE) == "passed"
    assert reason(verifier, "return a + b", HUMANEVAL_STYLE) == "passed"
    assert reason(verifier, ADD, HUMANEVAL_STYLE) == "passed"
    assert reason(verifier, "return a * 2", HUMANEVAL_STYLE) == \
        "failed: test 1 of 1: assert candidate(1, 2) == 3"


def test_mbpp_style_prelude_comes_before_the_solution(verifier):
    tests = function_gold(["assert math.isclose(root(4.0), 2.0)"], setup="import math", prelude="import math")
    assert reason(verifier, "def root(x):\n    return math.sqrt(x)\n", tests) == "passed"


def test_stdio_program_passes_every_case_token_by_token(verifier):
    gold = stdio_gold([("1 2\n", "3\n"), ("10 -3", "7"), ("0 0\n", "0")])
    assert reason(verifier, SUM_PROGRAM, gold) == "passed"
    assert reason(verifier, "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b, end='')\n",
                  gold) == "passed"


def test_stdio_stops_at_the_first_failing_case(verifier, executions):
    gold = stdio_gold([("1 2", "3"), ("2 2", "5"), ("3 3", "6"), ("4 4", "8")])
    assert reason(verifier, SUM_PROGRAM, gold) == "failed: test 2 of 4: wrong answer, token 1: expected '5', got '4'"
    assert executions == ["1 2", "2 2"]


def test_stdio_float_tolerance(verifier):
    program = "print(1 / 3)\n"
    assert reason(verifier, program, stdio_gold([("", "0.333333")], float_tolerance=1e-6)) == "passed"
    assert reason(verifier, program, stdio_gold([("", "0.333333")])).startswith("failed: test 1 of 1")


@pytest.mark.parametrize("program,expected", [
    ("import sys\nsys.exit(3)\n", "runtime error: test 1 of 1: exit code 3"),
    ("print(int(input()))\n", "runtime error: test 1 of 1: ValueError: invalid literal for int() with base 10: 'x'"),
    ("while True:\n    pass\n", "timeout: test 1 of 1"),
    ("print(\n", "syntax error: line 1: '(' was never closed"),
])
def test_stdio_failures(verifier, program, expected):
    assert reason(verifier, program, stdio_gold([("x", "x")])) == expected


def test_grade_all_runs_each_distinct_code_once_and_says_when_there_is_none(verifier, executions):
    gold = verifier.gold(ADD_TESTS)
    wrong = "def add(a, b):\n    return a - b\n"
    items = [(f"```python\n{ADD}```", gold)] * 5 + [(f"Try:\n```python\n{wrong}```", gold), ("No idea.", gold)]
    verdicts = grade_all(verifier, items, workers=2)
    assert [v.correct for v in verdicts] == [True] * 5 + [False, False]
    assert verdicts[5].reason == "failed: test 1 of 3: assert add(1, 2) == 3"
    assert (verdicts[6].extracted, verdicts[6].reason) == (None, "no code found")
    assert len(executions) == 2


def test_codes_that_differ_only_in_whitespace_are_different_answers(verifier):
    gold = verifier.gold(function_gold(["assert f() == 'a  b'"]))
    right, wrong = "def f():\n    return 'a  b'\n", "def f():\n    return 'a b'\n"
    verdicts = grade_all(verifier, [(right, gold), (wrong, gold)], workers=2)
    assert [v.correct for v in verdicts] == [True, False]


def test_check_many_keeps_order(verifier):
    gold = verifier.gold(ADD_TESTS)
    codes = [ADD if i % 3 else "def add(a, b):\n    return 0\n" for i in range(9)]
    verdicts = verifier.check_many([(c, gold) for c in codes], workers=3)
    assert [v.correct for v in verdicts] == [bool(i % 3) for i in range(9)]


def test_gold_is_checked_and_canonical(verifier):
    canonical = verifier.gold(ADD_TESTS)
    assert verifier.gold(json.dumps(json.loads(canonical), indent=2)) == canonical
    with pytest.raises(InputError, match="not JSON"):
        verifier.gold("assert add(1, 2) == 3")
    with pytest.raises(InputError, match="'kind'"):
        verifier.gold('{"tests": ["assert True"]}')
    with pytest.raises(InputError, match="'tests'"):
        parse_gold('{"kind": "function", "tests": []}')
    with pytest.raises(InputError, match=r"cases\[1\]"):
        parse_gold('{"kind": "stdio", "cases": [{"input": "", "output": ""}, {"input": 1}]}')
    with pytest.raises(InputError, match="float_tolerance"):
        parse_gold('{"kind": "stdio", "cases": [{"input": "", "output": ""}], "float_tolerance": -1}')


def test_bad_options_are_refused():
    with pytest.raises(InputError, match="timeout_s"):
        get_verifier("code", timeout_s=0)
    with pytest.raises(InputError, match="memory_mb"):
        get_verifier("code", memory_mb=8)
