"""Time limits calibrated per problem and machine: a reference solution's runtime sets its problem's
limit (factor x runtime, never under the floor), measured once per machine and problem version and
recorded; a solution doing 20x the reference's work times out, the reference itself passes."""
import json

import pytest

import thinkbench.verifiers.code_limits as limits_module
from thinkbench.harness import sandbox
from thinkbench.harness.types import Problem
from thinkbench.verifiers import Verdict, get_verifier
from thinkbench.verifiers.code_gold import function_gold
from thinkbench.verifiers.code_limits import Timed
from thinkbench.verifiers.grading import grade_all

if not sandbox.sandbox_available():
    pytest.skip("bubblewrap (bwrap) is missing or cannot create namespaces here", allow_module_level=True)

# Work counted in loop iterations, not seconds: the variant does 20x the reference's.
WORK = "def work(n):\n    total = 0\n    for i in range(n * {times}):\n        total += i % 7\n    return total\n"
REFERENCE, SLOW_VARIANT = WORK.format(times=1), WORK.format(times=20)
SLOW_TESTS = function_gold(["assert work(4_000_000) >= 0"])
ADD_TESTS = function_gold(["assert add(1, 2) == 3"])


def _problem(verifier, pid: str, gold: str, reference: str | None) -> Problem:
    return Problem(task="t", id=pid, prompt="", gold=verifier.gold(gold), reference=reference)


@pytest.fixture
def runs(monkeypatch):
    """Counts the reference runs that calibration starts."""
    calls = []
    real = limits_module._measure

    def counting(todo, *args):
        calls.extend(todo)
        return real(todo, *args)

    monkeypatch.setattr(limits_module, "_measure", counting)
    return calls


def test_a_slow_variant_times_out_where_the_reference_passes():
    verifier = get_verifier("code", timeout_s=1, memory_mb=256)
    problem = _problem(verifier, "slow", SLOW_TESTS, REFERENCE)
    record = verifier.prepare([problem])
    entry = record["problems"]["slow"]
    assert entry["cpu_limit_s"] == pytest.approx(max(1.0, 4 * entry["reference_cpu_s"]), abs=1e-3)
    assert entry["wall_limit_s"] == pytest.approx(5 * entry["cpu_limit_s"], abs=1e-3)
    assert record["reference_failures"] == {}
    reference, slow = grade_all(verifier, [(REFERENCE, problem.gold), (SLOW_VARIANT, problem.gold)])
    assert (reference.correct, reference.reason) == (True, "passed")
    assert (slow.correct, slow.reason) == (False, "timeout: test 1 of 1")


def test_limits_are_recorded_with_the_rule_and_the_machine():
    verifier = get_verifier("code", timeout_s=3, memory_mb=256, time_factor=6)
    problems = [_problem(verifier, "add", ADD_TESTS, "def add(a, b):\n    return a + b\n"),
                _problem(verifier, "bare", ADD_TESTS, None)]
    record = verifier.prepare(problems)
    assert (record["factor"], record["floor_s"]) == (6.0, 3.0)
    assert "cpu_limit_s = max(floor_s, factor x reference_cpu_s)" in record["rule"]
    assert set(record["machine"]) == {"host", "cpu", "cores", "python", "sandboxed"}
    assert record["problems"]["add"]["cpu_limit_s"] == 3.0  # a fast reference: its limit is the floor
    assert record["without_reference"] == ["bare"]
    assert "CPU time limits of 1 problems" in record["summary"] and "1 problems without a reference" in record["summary"]


def test_a_reference_failing_its_own_tests_is_reported():
    verifier = get_verifier("code", timeout_s=2, memory_mb=256)
    record = verifier.prepare([_problem(verifier, "7", ADD_TESTS, "def add(a, b):\n    return a - b\n")])
    assert record["reference_failures"] == {"7": "failed: test 1 of 1: assert add(1, 2) == 3"}
    assert "fail their own tests: 7" in record["summary"]


def test_measurements_are_cached_per_machine_and_problem_version(runs, monkeypatch, time_limits_cache):
    verifier = get_verifier("code", timeout_s=2, memory_mb=256)
    add = _problem(verifier, "add", ADD_TESTS, "def add(a, b):\n    return a + b\n")
    first = verifier.prepare([add])
    assert first["measured_now"] == 1 and len(runs) == 1
    assert first["cache"].startswith(str(time_limits_cache))

    again = get_verifier("code", timeout_s=2, memory_mb=256).prepare([add])
    assert again["measured_now"] == 0 and len(runs) == 1
    assert again["problems"] == first["problems"]

    changed = _problem(verifier, "add", function_gold(["assert add(2, 2) == 4"]), add.reference)  # a new task version
    assert verifier.prepare([add, changed])["measured_now"] == 1 and len(runs) == 2

    other = {**limits_module.machine(), "host": "another-machine"}
    monkeypatch.setattr(limits_module, "machine", lambda: other)
    assert verifier.prepare([add])["measured_now"] == 1 and len(runs) == 3
    cached = [json.loads(p.read_text()) for p in time_limits_cache.glob("*.json")]
    assert sorted(c["machine"]["host"] for c in cached) == sorted([first["machine"]["host"], "another-machine"])


def test_only_references_whose_limit_the_factor_decides_are_run_again():
    seconds = {"fast": [0.2, 0.2, 0.2], "slow": [1.0, 3.0, 2.0], "broken": [0.9]}
    calls = {name: 0 for name in seconds}

    def run(reference, gold):  # stands in for a sandboxed run: known runtimes, in order
        calls[reference] += 1
        correct = reference != "broken"
        return Timed(Verdict(reference, correct, "passed" if correct else "failed: test 1 of 1"),
                     seconds[reference][calls[reference] - 1])

    measured, how = limits_module.measure_references([(name, "gold-" + name) for name in seconds], run, 256,
                                                     floor=5.0, factor=4.0)
    # 4 x 0.2 s stays under half the 5 s floor: one run; 4 x 1.0 s does not: the slowest of three.
    assert [(m.seconds, m.runs, m.reason) for m in measured] == [
        (0.2, 1, "passed"), (3.0, 3, "passed"), (0.9, 1, "failed: test 1 of 1")]
    assert how["measured_now"] == 3
    assert limits_module.limit_seconds(measured[1], 5.0, 4.0) == 12.0
