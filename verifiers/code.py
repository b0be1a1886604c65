"""The `code` verifier: run the Python code a completion gives against the problem's tests, in the
bubblewrap sandbox (harness.sandbox), and say why it failed.

Verdict reasons start with one of: passed, failed, timeout, memory limit, runtime error, syntax
error, no code found; then, where it helps, which test ("test 2 of 3") and what happened.

A sample's tests run one after another and stop at the first failure; `check_many` spreads
samples over threads (each waits on its own sandboxed process), which `grade_all` uses.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Callable, Sequence

from thinkbench.harness.errors import InputError
from thinkbench.harness.sandbox import ExecResult, Limits, require_sandbox, run_sandboxed
from thinkbench.verifiers import Verdict, register
from thinkbench.verifiers.code_driver import MARKER
from thinkbench.verifiers.code_extract import COMPILE_ERRORS, complete_function, extract_code, quiet_compile
from thinkbench.verifiers.code_gold import FunctionTests, StdioTests, parse_gold
from thinkbench.verifiers.output_match import first_difference, tokens_match

PASSED = "passed"
NO_CODE_REASON = "no code found"
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


def _which(index: int, total: int) -> str:
    return f"test {index + 1} of {total}"


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


def _function_verdict(result: ExecResult, total: int) -> str:
    reports = _driver_reports(result.stdout)
    outcome = next((r for r in reversed(reports) if "outcome" in r), None)
    started = next((r["started"] for r in reversed(reports) if "started" in r), None)
    if outcome is None:
        where = _which(started, total) if isinstance(started, int) else "at import"
        if result.status in _STATUS_REASONS:
            category, detail = _STATUS_REASONS[result.status]
            return _reason(category, where, detail)
        detail = f"exited with code {result.returncode} before the tests finished"
        return _reason("runtime error", where, _last_stderr_line(result) or detail)
    if outcome["outcome"] == "passed":
        return PASSED
    test = outcome.get("test")
    where = _which(test, total) if isinstance(test, int) else f"at {outcome.get('stage', 'import')}"
    error, line = outcome.get("error") or "", outcome.get("line")
    if outcome["outcome"] == "failed":
        return _reason("failed", where, line or error)
    if error.startswith("MemoryError"):
        return _reason("memory limit", where)
    return _reason("runtime error", where, error)


def run_function_tests(code: str, tests: FunctionTests, limits: Limits) -> Verdict:
    """Import the solution beside the driver, run the tests in order, stop at the first failure."""
    if tests.prompt is not None and tests.entry_point is not None:
        source = complete_function(tests.prompt, code, tests.entry_point)
    else:
        source = tests.prelude + ("\n" if tests.prelude else "") + code
    complaint = syntax_error(source)
    if complaint:
        return Verdict(code, False, _reason("syntax error", None, complaint))
    spec = json.dumps({"setup": tests.setup, "tests": list(tests.tests)})
    result = run_sandboxed(_driver_source(), limits=limits, files={"solution.py": source, "tests.json": spec})
    reason = _function_verdict(result, len(tests.tests))
    return Verdict(code, reason == PASSED, reason)


def run_stdio_tests(code: str, tests: StdioTests, limits: Limits) -> Verdict:
    """Run the program once per case, stopping at the first case it fails."""
    complaint = syntax_error(code)
    if complaint:
        return Verdict(code, False, _reason("syntax error", None, complaint))
    total = len(tests.cases)
    for index, (stdin, want) in enumerate(tests.cases):
        result = run_sandboxed(code, stdin=stdin, limits=limits)
        where = _which(index, total)
        if result.status in _STATUS_REASONS:
            category, detail = _STATUS_REASONS[result.status]
            return Verdict(code, False, _reason(category, where, detail))
        if result.status != "ok":
            detail = _last_stderr_line(result) or f"exit code {result.returncode}"
            return Verdict(code, False, _reason("runtime error", where, detail))
        if not tokens_match(result.stdout, want, tests.float_tolerance):
            detail = "wrong answer, " + first_difference(result.stdout, want, tests.float_tolerance)
            return Verdict(code, False, _reason("failed", where, detail))
    return Verdict(code, True, PASSED)


_RUNNERS: dict[type, Callable[[str, object, Limits], Verdict]] = {
    FunctionTests: run_function_tests,
    StdioTests: run_stdio_tests,
}


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InputError(f"verifier 'code': {name} must be a positive number, not {value!r}")
    return float(value)


@register("code")
class CodeVerifier:
    """Options: `timeout_s` (wall-clock and CPU seconds for one execution: one test case of a
    program, or all tests of a function) and `memory_mb` (address space of one execution).

    Building one checks that code can run jailed: without bubblewrap it refuses (InputError),
    unless the user allowed unjailed runs (`thinkbench ... --unsafe-no-sandbox`)."""

    name = "code"
    check_in_pool = False  # executions wait on processes: threads in `check_many` overlap them
    exact_answers = True  # whitespace is meaningful in Python: two codes differing in it are two answers
    no_answer_reason = NO_CODE_REASON

    def __init__(self, timeout_s: float = 5.0, memory_mb: int = 1024) -> None:
        self.timeout_s = _positive("timeout_s", timeout_s)
        if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 64:
            raise InputError(f"verifier 'code': memory_mb must be an integer >= 64, not {memory_mb!r}")
        self.memory_mb = memory_mb
        self.limits = Limits(cpu_seconds=self.timeout_s, wall_seconds=self.timeout_s, memory_mb=memory_mb)
        require_sandbox()

    @property
    def options(self) -> dict:
        return {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb}

    def gold(self, raw: str) -> str:
        """The gold JSON (see verifiers.code_gold), checked and in canonical form."""
        parse_gold(raw)
        return json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False)

    def extract(self, completion: str) -> str | None:
        return extract_code(completion)

    def check(self, extracted: str, gold: str) -> Verdict:
        tests = parse_gold(gold)
        return _RUNNERS[type(tests)](extracted, tests, self.limits)

    def check_many(self, pairs: Sequence[tuple[str, str]], workers: int) -> list[Verdict]:
        """Verdicts for (code, gold) pairs in order, `workers` samples at a time."""
        if workers <= 1 or len(pairs) <= 1:
            return [self.check(code, gold) for code, gold in pairs]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda pair: self.check(*pair), pairs))

    def grade(self, completion: str, gold: str) -> Verdict:
        extracted = self.extract(completion)
        if extracted is None:
            return Verdict(None, False, NO_CODE_REASON)
        return self.check(extracted, gold)
