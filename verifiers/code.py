"""The `code` verifier: run the Python code a completion gives against the problem's tests, in the
bubblewrap sandbox (harness.sandbox), and say why it failed.

Verdict reasons start with one of: passed, failed, timeout, memory limit, runtime error, syntax
error, no code found; then, where it helps, which test ("test 2 of 3", "extended test 5 of 40") and
what happened.

A sample's tests run one after another and stop at the first failure; `check_many` spreads
samples over threads (each waits on its own sandboxed process), which `grade_all` uses.
"""
from __future__ import annotations

import ast
import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Callable, Sequence

from thinkbench.harness.errors import InputError
from thinkbench.harness.sandbox import ExecResult, Limits, require_sandbox, run_sandboxed
from thinkbench.harness.types import Problem
from thinkbench.verifiers import SameByForm, Verdict, VerdictView, register
from thinkbench.verifiers.code_driver import MARKER, REFERENCE_MODULE
from thinkbench.verifiers.code_extract import COMPILE_ERRORS, complete_function, extract_code, quiet_compile
from thinkbench.verifiers.code_gold import FunctionTests, StdioTests, parse_gold
from thinkbench.verifiers.code_limits import (CEILING_S, RULE, WALL_FACTOR, Timed, limit_seconds,
                                              measure_references)
from thinkbench.verifiers.output_match import first_difference, tokens_match

PASSED = "passed"
NO_CODE_REASON = "no code found"
EXTENDED = "extended"  # names where an extended test failed: "failed: extended test 3 of 40: ..."
_DETAIL_WIDTH = 160  # a reason stays one short line

# Sandbox statuses other than ok/error, as a verdict reason's category and detail.
_STATUS_REASONS: dict[str, tuple[str, str | None]] = {
    "timeout": ("timeout", None),
    "memory": ("memory limit", None),
    "output_limit": ("runtime error", "output limit exceeded"),
    "killed": ("runtime error", "killed by a signal"),
}


@cache
def _driver_source() -> str:
    return Path(__file__).with_name("code_driver.py").read_text(encoding="utf-8")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_WIDTH else text[: _DETAIL_WIDTH - 3] + "..."


def _reason(category: str, where: str | None = None, detail: str | None = None) -> str:
    return ": ".join([category] + [part for part in (where, detail and _clip(detail)) if part])


def _which(index: int, total: int, part: str | None = None) -> str:
    return f"{part + ' ' if part else ''}test {index + 1} of {total}"


def passed_base_tests(correct: bool, reason: str) -> bool:
    """Whether a verdict passed the task's own tests: it passed, or failed only in extended tests."""
    parts = reason.split(": ", 2)
    return correct or (len(parts) > 1 and parts[1].startswith(EXTENDED + " test "))


def syntax_error(source: str) -> str | None:
    """The compiler's complaint about `source` ("line 3: invalid syntax"), or None if it compiles.
    Compiling runs nothing, so it happens here rather than in a sandbox."""
    try:
        quiet_compile(source, "solution.py")
    except SyntaxError as e:
        return f"line {e.lineno}: {e.msg}" if e.lineno else e.msg
    except COMPILE_ERRORS as e:
        return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return None


def _last_stderr_line(result: ExecResult) -> str | None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _driver_reports(stdout: str) -> list[dict]:
    reports = []
    for chunk in stdout.split(MARKER)[1:]:
        try:
            report = json.loads(chunk.split("\n", 1)[0])
        except json.JSONDecodeError:
            continue  # the solution printed the marker itself, or output was cut off
        if isinstance(report, dict):
            reports.append(report)
    return reports


def _function_verdict(result: ExecResult, tests: FunctionTests) -> str:
    totals = {None: len(tests.tests), EXTENDED: len(tests.extended.inputs) if tests.extended else 0}
    reports = _driver_reports(result.stdout)
    outcome = next((r for r in reversed(reports) if "outcome" in r), None)
    started = next((r for r in reversed(reports) if "started" in r), None)
    if outcome is None:
        where = "at import"
        if started is not None and isinstance(started["started"], int) and started.get("part") in totals:
            where = _which(started["started"], totals[started.get("part")], started.get("part"))
        if result.status in _STATUS_REASONS:
            category, detail = _STATUS_REASONS[result.status]
            return _reason(category, where, detail)
        detail = f"exited with code {result.returncode} before the tests finished"
        return _reason("runtime error", where, _last_stderr_line(result) or detail)
    if outcome["outcome"] == "passed":
        return PASSED
    test, part = outcome.get("test"), outcome.get("part")
    if isinstance(test, int) and part in totals:
        where = _which(test, totals[part], part)
    else:
        where = f"at {outcome.get('stage', 'import')}"
    error, line = outcome.get("error") or "", outcome.get("line")
    if outcome["outcome"] == "failed":
        return _reason("failed", where, line or error)
    if error.startswith("MemoryError"):
        return _reason("memory limit", where)
    return _reason("runtime error", where, f"{line}: {error}" if part and line else error)


def run_function_tests(code: str, tests: FunctionTests, limits: Limits) -> Timed:
    """Import the solution beside the driver, run the tests in order, stop at the first failure; then
    the extended tests, if any, in the same process."""
    if tests.prompt is not None and tests.entry_point is not None:
        source = complete_function(tests.prompt, code, tests.entry_point)
    else:
        source = tests.prelude + ("\n" if tests.prelude else "") + code
    complaint = syntax_error(source)
    if complaint:
        return Timed(Verdict(code, False, _reason("syntax error", None, complaint)), 0.0)
    spec: dict = {"setup": tests.setup, "tests": list(tests.tests)}
    files = {"solution.py": source}
    if tests.extended is not None:
        ext = tests.extended
        spec["extended"] = {"entry_point": ext.entry_point, "inputs": list(ext.inputs), "atol": ext.atol,
                            "oracle": ext.oracle}
        files[REFERENCE_MODULE + ".py"] = ext.reference
    files["tests.json"] = json.dumps(spec)
    result = run_sandboxed(_driver_source(), limits=limits, files=files)
    reason = _function_verdict(result, tests)
    return Timed(Verdict(code, reason == PASSED, reason), result.cpu_time)


def run_stdio_tests(code: str, tests: StdioTests, limits: Limits) -> Timed:
    """Run the program once per case, stopping at the first case it fails."""
    complaint = syntax_error(code)
    if complaint:
        return Timed(Verdict(code, False, _reason("syntax error", None, complaint)), 0.0)
    total, slowest = len(tests.cases), 0.0
    for index, (stdin, want) in enumerate(tests.cases):
        result = run_sandboxed(code, stdin=stdin, limits=limits)
        slowest = max(slowest, result.cpu_time)
        where = _which(index, total)
        if result.status in _STATUS_REASONS:
            category, detail = _STATUS_REASONS[result.status]
            return Timed(Verdict(code, False, _reason(category, where, detail)), slowest)
        if result.status != "ok":
            detail = _last_stderr_line(result) or f"exit code {result.returncode}"
            return Timed(Verdict(code, False, _reason("runtime error", where, detail)), slowest)
        if not tokens_match(result.stdout, want, tests.float_tolerance):
            detail = "wrong answer, " + first_difference(result.stdout, want, tests.float_tolerance)
            return Timed(Verdict(code, False, _reason("failed", where, detail)), slowest)
    return Timed(Verdict(code, True, PASSED), slowest)


_RUNNERS: dict[type, Callable[[str, object, Limits], Timed]] = {
    FunctionTests: run_function_tests,
    StdioTests: run_stdio_tests,
}


def normalized_program(code: str) -> str:
    """The program as Python's parser reads it (comments, blank lines and layout gone); code that does
    not parse, with its whitespace collapsed."""
    try:
        return ast.unparse(quiet_compile(code, "<vote>", ast.PyCF_ONLY_AST))
    except COMPILE_ERRORS:
        return " ".join(code.split())


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputError(f"verifier 'code': {name} must be a positive number, not {value!r}")
    return float(value)


def _limits_summary(record: dict) -> str:
    """One line for the user: how many problems got more than the floor, and anything wrong."""
    limits = {pid: entry["cpu_limit_s"] for pid, entry in record["problems"].items()}
    floor = record["floor_s"]
    if not limits:
        count = len(record["without_reference"])
        return f"CPU time limit {floor:g} s for all {count} problems (none has a reference solution)"
    above = sorted((s, pid) for pid, s in limits.items() if s > floor)
    text = f"CPU time limits of {len(limits)} problems from their reference solutions' CPU times: "
    text += f"{len(limits) - len(above)} at the {floor:g} s floor"
    if above:
        text += f", {len(above)} above it (up to {above[-1][0]:.1f} s, problem {above[-1][1]})"
    machine = record["machine"]
    text += f"; measured on {machine['host']} ({machine['cpu']}, {machine['cores']} cores)"
    text += f", {record['measured_now']} of them now" if record["measured_now"] else ", read from the cache"
    if record["without_reference"]:
        text += f"; {len(record['without_reference'])} problems without a reference get the floor"
    failures = record["reference_failures"]
    if failures:
        text += (f"; the reference solutions of {len(failures)} problems fail their own tests: "
                 f"{', '.join(list(failures)[:5])}{' ...' if len(failures) > 5 else ''}")
    return text


@register("code")
class CodeVerifier(SameByForm):
    """Options: `timeout_s` (CPU seconds for one execution: one test case of a program, or all
    tests of a function; the floor of calibrated limits), `time_factor` (a problem with a reference
    solution gets max(timeout_s, time_factor x the reference's CPU time measured on this machine))
    and `memory_mb` (address space of one execution). Each execution may take WALL_FACTOR times its
    CPU limit in wall-clock time (see verifiers.code_limits).

    Building one checks that code can run jailed: without bubblewrap it refuses (InputError),
    unless the user allowed unjailed runs (`thinkbench ... --unsafe-no-sandbox`)."""

    name = "code"
    check_in_pool = False  # executions wait on processes: threads in `check_many` overlap them
    exact_answers = True  # whitespace is meaningful in Python: two codes differing in it are two answers
    no_answer_reason = NO_CODE_REASON

    def __init__(self, timeout_s: float = 5.0, memory_mb: int = 1024, time_factor: float = 4.0) -> None:
        self.timeout_s = _positive("timeout_s", timeout_s)
        self.time_factor = _positive("time_factor", time_factor)
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 64:
            raise InputError(f"verifier 'code': memory_mb must be an integer >= 64, not {memory_mb!r}")
        self.memory_mb = memory_mb
        self.limits = self._limits_of(self.timeout_s)
        self._calibrated: dict[str, Limits] = {}  # gold -> its problem's limits, set by `prepare`
        require_sandbox()

    def _limits_of(self, cpu_seconds: float) -> Limits:
        return Limits(cpu_seconds=cpu_seconds, wall_seconds=WALL_FACTOR * cpu_seconds, memory_mb=self.memory_mb)

    @property
    def options(self) -> dict:
        return {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb, "time_factor": self.time_factor}

    def gold(self, raw: str) -> str:
        """The gold JSON (see verifiers.code_gold), checked and in canonical form."""
        parse_gold(raw)
        return json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False)

    def extract(self, completion: str) -> str | None:
        return extract_code(completion)

    def prepare(self, problems: Sequence[Problem]) -> dict:
        """Set the time limit of each problem from its reference solution's runtime on this machine
        (measured now or read from the cache, see verifiers.code_limits). Returns the record of the
        limits, for the run folder."""
        with_reference = [p for p in problems if p.reference is not None]
        measurements, how = measure_references(
            [(p.reference, p.gold) for p in with_reference], self._run_reference, self.memory_mb,
            self.timeout_s, self.time_factor)
        record = {**how, "rule": RULE, "factor": self.time_factor, "floor_s": self.timeout_s,
                  "wall_factor": WALL_FACTOR, "problems": {},
                  "without_reference": [p.id for p in problems if p.reference is None], "reference_failures": {}}
        for problem, measured in zip(with_reference, measurements):
            limits = self._limits_of(limit_seconds(measured, self.timeout_s, self.time_factor))
            self._calibrated[problem.gold] = limits
            record["problems"][problem.id] = {"reference_cpu_s": measured.seconds,
                                              "cpu_limit_s": round(limits.cpu_seconds, 3),
                                              "wall_limit_s": round(limits.wall_seconds, 3)}
            if measured.reason != PASSED:
                record["reference_failures"][problem.id] = measured.reason
        record["summary"] = _limits_summary(record)
        return record

    def _run_reference(self, reference: str, gold: str) -> Timed:
        tests = parse_gold(gold)
        return _RUNNERS[type(tests)](reference, tests, self._limits_of(CEILING_S))

    def views(self, golds: Sequence[str]) -> list[VerdictView]:
        """With extended tests, how samples did on the task's own tests ("base") is reported too."""
        extended = any(isinstance(t, FunctionTests) and t.extended is not None
                       for t in map(parse_gold, set(golds)))
        return [VerdictView("base", passed_base_tests, "extended tests")] if extended else []

    def check(self, extracted: str, gold: str) -> Verdict:
        tests = parse_gold(gold)
        return _RUNNERS[type(tests)](extracted, tests, self._calibrated.get(gold, self.limits)).verdict

    def check_many(self, pairs: Sequence[tuple[str, str]], workers: int) -> list[Verdict]:
        """Verdicts for (code, gold) pairs in order, `workers` samples at a time."""
        if workers <= 1 or len(pairs) <= 1:
            return [self.check(code, gold) for code, gold in pairs]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda pair: self.check(*pair), pairs))

    def canonical(self, answer: str) -> str:
        """A vote counts programs, not their outcomes (running them on the tests would consult the gold):
        programs that are the same up to formatting and comments are one answer."""
        return normalized_program(answer)

    def grade(self, completion: str, gold: str) -> Verdict:
        extracted = self.extract(completion)
        if extracted is None:
            return Verdict(None, False, NO_CODE_REASON)
        return self.check(extracted, gold)
