"""The test driver of "function" tests. Its source runs inside the sandbox as main.py, beside the
solution (solution.py) and the tests (tests.json); on the host this module is only read as text.

It imports the solution as a module (so its `if __name__ == "__main__":` block stays quiet), runs
the setup and then each test in a copy of the solution's namespace, and stops at the first test
that raises. Extended tests, when the tests all passed, call the entry point on each input and
compare its output with the reference solution's (REFERENCE_MODULE) on a copy of the same input
(`compare` says how, see verifiers.code_gold.ORACLES).

It reports on a duplicate of file descriptor 1, so a solution that replaces or closes sys.stdout
cannot hide the report: one JSON line behind MARKER as each test starts, and a last one with the
outcome. A solution that exits the process leaves no outcome line, which the verifier reads as a
runtime error. Nothing here defends against a solution written to fool it (it shares the process):
the sandbox contains code, the driver only reports on honest attempts.
"""
import copy
import json
import math
import os
import traceback

MARKER = "@@thinkbench-driver@@"
REFERENCE_MODULE = "_thinkbench_reference"
_REPR_WIDTH = 60


def _report(fd, **fields):
    os.write(fd, ("\n" + MARKER + json.dumps(fields) + "\n").encode())


def _error(exc):
    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else type(exc).__name__


def _line(exc, sources):
    """The line of our own test code (not the solution's) where the exception went through last."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in sources:
            lines = sources[frame.filename].splitlines()
            if frame.lineno and 0 < frame.lineno <= len(lines):
                return lines[frame.lineno - 1].strip()
    return None


def _floats(value):
    if isinstance(value, float):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, float) for v in value)


def _close(a, b, atol):
    # numpy's allclose rule (relative 1e-7), for numbers and flat sequences of them; no numpy in the jail
    if type(a) is not type(b):
        return False
    if isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y, atol) for x, y in zip(a, b))
    if not isinstance(b, (int, float)) or isinstance(b, bool):
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + 1e-7 * abs(b)


def _poly(coefficients, x):
    return sum(c * math.pow(x, i) for i, c in enumerate(coefficients))


def _present(value):
    return value if isinstance(value, bool) else value is not None


def compare(oracle, out, expected, args, atol):
    if oracle == "poly_root":
        return abs(_poly(args[0], out)) <= atol
    if oracle == "set":
        return set(out) == set(expected)
    if oracle == "not_none":
        return _present(out) == _present(expected)
    if out == expected:
        return True
    if atol == 0 and _floats(expected):
        atol = 1e-6
    return atol != 0 and _close(out, expected, atol)


def _short(value):
    text = repr(value)
    return text if len(text) <= _REPR_WIDTH else text[:_REPR_WIDTH - 3] + "..."


def run_extended(fd, spec, namespace):
    entry_point = spec["entry_point"]
    try:
        reference = getattr(__import__(REFERENCE_MODULE), entry_point)
    except BaseException as exc:
        _report(fd, outcome="error", stage="reference", error=_error(exc), line=None)
        return False
    function = namespace.get(entry_point)
    if not callable(function):
        _report(fd, outcome="error", stage="extended tests", error=f"NameError: no function {entry_point!r}",
                line=None)
        return False
    for index, args in enumerate(spec["inputs"]):
        _report(fd, started=index, part="extended")
        call = f"{entry_point}({_short(args)[1:-1]})"
        try:
            expected = reference(*copy.deepcopy(args))
        except BaseException as exc:
            _report(fd, outcome="error", test=index, part="extended",
                    error="the reference solution raised " + _error(exc), line=call)
            return False
        try:
            out = function(*copy.deepcopy(args))
        except BaseException as exc:
            _report(fd, outcome="error", test=index, part="extended", error=_error(exc), line=call)
            return False
        try:
            same = compare(spec["oracle"], out, expected, args, spec["atol"])
        except Exception:  # an output of the wrong kind (set() of a number, say) is a wrong output
            same = False
        if not same:
            _report(fd, outcome="failed", test=index, part="extended", error="",
                    line=f"{call} returned {_short(out)}, expected {_short(expected)}")
            return False
    return True


def main():
    fd = os.dup(1)
    with open("tests.json", encoding="utf-8") as f:
        spec = json.load(f)
    try:
        import solution
    except BaseException as exc:
        _report(fd, outcome="error", stage="import", error=_error(exc), line=None)
        return
    namespace = dict(vars(solution))
    sources = {"<setup>": spec["setup"]}
    try:
        exec(compile(spec["setup"], "<setup>", "exec"), namespace)
    except BaseException as exc:
        _report(fd, outcome="error", stage="setup", error=_error(exc), line=_line(exc, sources))
        return
    for index, test in enumerate(spec["tests"]):
        name = f"<test {index}>"
        sources[name] = test
        _report(fd, started=index)
        try:
            exec(compile(test, name, "exec"), namespace)
        except AssertionError as exc:
            _report(fd, outcome="failed", test=index, error=_error(exc), line=_line(exc, sources))
            return
        except BaseException as exc:
            _report(fd, outcome="error", test=index, error=_error(exc), line=_line(exc, sources))
            return
    if spec.get("extended") and not run_extended(fd, spec["extended"], namespace):
        return
    _report(fd, outcome="passed")


if __name__ == "__main__":
    main()
    # Now, not at a normal exit: threads or atexit handlers the solution left must not hold it up.
    os._exit(0)
