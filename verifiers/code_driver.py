"""The test driver of "function" tests. Its source runs inside the sandbox as main.py, beside the
solution (solution.py) and the tests (tests.json); on the host this module is only read as text.

It imports the solution as a module (so its `if __name__ == "__main__":` block stays quiet), runs
the setup and then each test in a copy of the solution's namespace, and stops at the first test
that raises. It reports on a duplicate of file descriptor 1, so a solution that replaces or closes
sys.stdout cannot hide the report: one JSON line behind MARKER as each test starts, and a last one
with the outcome. A solution that exits the process leaves no outcome line, which the verifier
reads as a runtime error. Nothing here defends against a solution written to fool it (it shares the
process): the sandbox contains code, the driver only reports on honest attempts.
"""
import json
import os
import traceback

MARKER = "@@thinkbench-driver@@"


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
    _report(fd, outcome="passed")


if __name__ == "__main__":
    main()
    # Now, not at a normal exit: threads or atexit handlers the solution left must not hold it up.
    os._exit(0)
