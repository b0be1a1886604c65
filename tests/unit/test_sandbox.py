"""Containment tests for harness.sandbox: each one tries to break out and checks it failed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from thinkbench.harness import sandbox
from thinkbench.harness.errors import InputError
from thinkbench.harness.sandbox import Limits, run_many, run_sandboxed

if not sandbox.sandbox_available():
    pytest.skip("bubblewrap (bwrap) is missing or cannot create namespaces here",
                allow_module_level=True)

SMALL = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=256, max_processes=16,
               max_output_bytes=100_000)


def jailed(code: str, **kwargs) -> sandbox.ExecResult:
    kwargs.setdefault("limits", SMALL)
    return run_sandboxed(code, **kwargs)


def processes_with(token: str, settle: float = 0.2) -> list[int]:
    """Host pids whose command line contains token.

    A process that is still inside execve has an empty command line, so give
    any (wrongly) surviving sleeper a moment to show up.
    """
    time.sleep(settle)
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline:
                found.append(int(entry))
    return found


def sleep_token() -> str:
    """An argument for sleep(1) that no other process on the host will have."""
    return f"{900 + uuid.uuid4().int % 99}.{uuid.uuid4().int % 10**9}"


# --- positive behaviour -------------------------------------------------------------


def test_stdin_reaches_stdout() -> None:
    result = jailed("import sys\nprint(sys.stdin.read()[::-1])", stdin="hello")
    assert (result.status, result.returncode, result.stdout) == ("ok", 0, "olleh\n")
    assert result.sandboxed
    assert result.cpu_time > 0 and result.max_rss_kb > 1000


def test_exit_code_propagates() -> None:
    result = jailed("import sys\nsys.exit(7)")
    assert (result.status, result.returncode) == ("error", 7)


def test_stderr_captured() -> None:
    result = jailed("import sys\nprint('to-err', file=sys.stderr)\nraise ValueError('boom')")
    assert result.status == "error"
    assert "to-err" in result.stderr and "ValueError: boom" in result.stderr


def test_files_are_written_next_to_the_script() -> None:
    code = "import helper\nprint(open('data/in.txt').read(), helper.X)"
    result = jailed(code, files={"data/in.txt": "hello", "helper.py": "X = 42\n"})
    assert result.stdout == "hello 42\n"


def test_bad_file_names_are_refused() -> None:
    with pytest.raises(InputError):
        jailed("pass", files={"../escape.txt": "x"})


def test_jail_folder_is_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh parent that the jail's (possibly unprivileged) bwrap can traverse.
    parent = tempfile.mkdtemp(prefix="thinkbench-jails-test-")
    os.chmod(parent, 0o755)
    monkeypatch.setattr(tempfile, "tempdir", parent)
    try:
        result = jailed("import os\nos.makedirs('a/b')\nopen('a/b/f', 'w').write('x')\n"
                        "os.chmod('a', 0)\nprint(os.getcwd())")
        assert (result.status, result.stdout) == ("ok", "/tmp\n")
        assert os.listdir(parent) == []
    finally:
        os.rmdir(parent)


def test_run_many_keeps_job_order() -> None:
    jobs = [(f"import time, sys\ntime.sleep({0.3 - i * 0.1})\nprint(sys.stdin.read())", str(i))
            for i in range(3)]
    results = run_many(jobs, SMALL, workers=3)
    assert [r.stdout for r in results] == ["0\n", "1\n", "2\n"]


# --- containment --------------------------------------------------------------------


def test_no_internet() -> None:
    code = ("import socket\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
            "    print('CONNECTED')\n"
            "except OSError as exc:\n"
            "    print('BLOCKED', exc.errno)\n"
            "print([name for _, name in socket.if_nameindex()])")
    result = jailed(code)
    assert result.stdout.startswith("BLOCKED"), result
    assert "['lo']" in result.stdout


def test_no_host_loopback() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    port = server.getsockname()[1]
    try:
        # Control: the server does take connections from the host.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            server.accept()[0].close()
        code = ("import socket\n"
                "try:\n"
                f"    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
                "    print('CONNECTED')\n"
                "except OSError as exc:\n"
                "    print('BLOCKED', exc.errno)")
        result = jailed(code)
        assert result.stdout.startswith("BLOCKED"), result
        with pytest.raises(TimeoutError):
            server.accept()
    finally:
        server.close()


def test_cannot_write_outside_its_folder(tmp_path: Path) -> None:
    targets = [tmp_path / "pwned.txt", Path("/etc/thinkbench-pwned"),
               Path("/usr/thinkbench-pwned"), Path(sys.prefix) / "thinkbench-pwned"]
    code = ("import json, sys\n"
            "for path in json.loads(sys.stdin.read()):\n"
            "    try:\n"
            "        open(path, 'w').write('pwned')\n"
            "        print('WROTE', path)\n"
            "    except OSError as exc:\n"
            "        print('DENIED', path, exc.errno)")
    result = jailed(code, stdin=json.dumps([str(t) for t in targets]))
    assert result.status == "ok"
    assert "WROTE" not in result.stdout
    assert not any(t.exists() for t in targets)


def test_home_is_hidden() -> None:
    secret = Path.home() / ".thinkbench_secret_test"
    secret.write_text("home-secret-7f3a")
    try:
        code = ("import os\n"
                f"try:\n    print(open({str(secret)!r}).read())\n"
                "except OSError as exc:\n    print('DENIED', exc.errno)\n"
                f"try:\n    print(os.listdir({str(Path.home())!r}))\n"
                "except OSError as exc:\n    print('DENIED', exc.errno)")
        result = jailed(code)
        assert result.status == "ok", result
        assert "home-secret-7f3a" not in result.stdout
        assert result.stdout.startswith("DENIED")
        assert secret.name not in result.stdout
    finally:
        secret.unlink()


def test_repo_and_cwd_are_hidden() -> None:
    repo = Path(__file__).resolve().parents[2]
    secrets = [str(Path(__file__).resolve()), str(repo / "harness" / "sandbox.py")]
    code = ("import os\n"
            f"for path in {secrets!r}:\n"
            "    try:\n        open(path).read()\n        print('READ', path)\n"
            "    except OSError:\n        pass\n"
            "def listing(path):\n"
            "    try:\n        return os.listdir(path)\n"
            "    except OSError:\n        return 'absent'\n"
            f"print(listing({str(repo)!r}), listing({os.getcwd()!r}))\n"
            "try:\n    import harness\n    print('IMPORTED')\n"
            "except ImportError:\n    pass")
    result = jailed(code)
    assert result.status == "ok", result
    assert "READ" not in result.stdout and "IMPORTED" not in result.stdout
    assert "sandbox.py" not in result.stdout and "tests" not in result.stdout


def test_environment_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THINKBENCH_SECRET_TEST", "env-secret-91c2")
    result = jailed("import os, json\nprint(json.dumps(dict(os.environ)))")
    env = json.loads(result.stdout)
    assert "env-secret-91c2" not in result.stdout
    assert set(env) <= {"PATH", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "PWD"}
    assert (env["HOME"], env["PYTHONHASHSEED"]) == ("/tmp", "0")


def test_own_pid_namespace() -> None:
    result = jailed("import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))")
    assert os.getpid() not in json.loads(result.stdout)
    assert len(json.loads(result.stdout)) <= 3


def require_process_limit() -> None:
    plan = sandbox._current_plan(None)
    if os.geteuid() == 0 and not plan.as_nobody:
        pytest.skip("as root without a uid-nobody interpreter RLIMIT_NPROC is not enforced; "
                    "a fork bomb would hit the whole host")


def test_process_count_is_capped() -> None:
    require_process_limit()
    code = ("import os, time\nn = 0\n"
            "for _ in range(200):\n"
            "    try:\n        pid = os.fork()\n"
            "    except OSError:\n        break\n"
            "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n"
            "    n += 1\n"
            "print(n)")
    result = jailed(code)
    assert result.status == "ok", result
    assert 0 < int(result.stdout) < SMALL.max_processes
    assert result.wall_time < SMALL.wall_seconds  # the sleepers went down with the jail


def test_fork_bomb_is_contained() -> None:
    require_process_limit()
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    start = time.monotonic()
    result = jailed(code, limits=Limits(cpu_seconds=2, wall_seconds=2, max_processes=16))
    assert result.status in ("timeout", "killed")
    assert time.monotonic() - start < 30  # ended by the limits, not by the test's patience
    assert subprocess.run(["true"], timeout=10).returncode == 0


def test_memory_bomb() -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 2**20))"
    result = jailed(code)
    assert result.status == "memory", result


def test_infinite_loop_times_out() -> None:
    result = jailed("while True:\n    pass", limits=Limits(wall_seconds=1.5, cpu_seconds=10))
    assert result.status == "timeout"
    assert result.wall_time >= 1.5
    assert result.cpu_time > 0  # usage of the killed process is still accounted


def test_sleeping_forever_times_out() -> None:
    result = jailed("import time\ntime.sleep(100)", limits=Limits(wall_seconds=1))
    assert result.status == "timeout" and result.wall_time < 50  # killed, not slept out


def test_cpu_limit() -> None:
    result = jailed("while True:\n    pass", limits=Limits(cpu_seconds=1, wall_seconds=10))
    assert result.status == "timeout"
    assert result.wall_time < 9  # the CPU limit struck, well before the wall limit would have


def test_print_bomb() -> None:
    result = jailed("while True:\n    print('x' * 1000)")
    assert result.status == "output_limit"
    assert len(result.stdout) <= SMALL.max_output_bytes
    assert result.wall_time < SMALL.wall_seconds


def test_background_processes_do_not_survive() -> None:
    host_token, token = sleep_token(), sleep_token()
    control = subprocess.Popen(["sleep", host_token])
    try:
        assert processes_with(host_token)  # the scan does see sleepers
    finally:
        control.kill()
        control.wait()
    code = ("import os, subprocess\n"
            f"subprocess.Popen(['sleep', {token!r}], start_new_session=True)\n"
            "if os.fork() == 0:\n"
            "    os.setsid()\n"
            f"    os.execvp('sleep', ['sleep', {token!r}])\n"
            "print('left them behind')")
    result = jailed(code)
    assert result.stdout == "left them behind\n"
    assert processes_with(token) == []
    # Also when the jail is killed at the wall limit rather than exiting.
    code += "\nimport time\ntime.sleep(60)"
    result = jailed(code, limits=Limits(wall_seconds=1))
    assert result.status == "timeout"
    assert processes_with(token) == []


def test_cannot_kill_parent_or_host() -> None:
    code = ("import os, signal, sys\n"
            "host_pid = int(sys.stdin.read())\n"
            "for pid in (os.getppid(), 1, host_pid, -1):\n"
            "    try:\n        os.kill(pid, signal.SIGKILL)\n"
            "    except OSError:\n        pass\n"
            "print('alive')")
    result = jailed(code, stdin=str(os.getpid()))
    assert (result.status, result.stdout) == ("ok", "alive\n")


# --- without bubblewrap -------------------------------------------------------------


def test_missing_bwrap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox, "_unsafe_allowed", False)
    assert not sandbox.sandbox_available()
    with pytest.raises(InputError, match=r"apt-get install bubblewrap"):
        sandbox.require_sandbox()
    with pytest.raises(InputError, match=r"bubblewrap"):
        run_sandboxed("print(1)")


def test_unsafe_fallback_warns(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sandbox, "BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox, "_unsafe_allowed", False)
    sandbox.require_sandbox(unsafe_no_sandbox=True)
    assert "WITHOUT a jail" in capsys.readouterr().err
    result = run_sandboxed("print(input())", stdin="hi", limits=SMALL)
    assert (result.status, result.stdout, result.sandboxed) == ("ok", "hi\n", False)
    assert jailed("while True:\n    pass", limits=Limits(wall_seconds=1)).status == "timeout"


# --- HumanEval-style use ------------------------------------------------------------


def test_humaneval_canonical_solutions_pass(data_dir: Path) -> None:
    path = data_dir / "openai" / "openai_humaneval" / "test.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rows = [json.loads(line) for line in path.read_text().splitlines()[:5]]
    programs = [row["prompt"] + row["canonical_solution"] + "\n" + row["test"]
                + f"\ncheck({row['entry_point']})\n" for row in rows]
    results = run_many([(p, "") for p in programs], SMALL)
    assert [r.status for r in results] == ["ok"] * 5, [r.stderr for r in results]
    broken = rows[0]["prompt"] + "    return None\n" + "\n" + rows[0]["test"] + \
        f"\ncheck({rows[0]['entry_point']})\n"
    assert jailed(broken).status == "error"
