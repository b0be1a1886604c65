"""Run untrusted Python code in a bubblewrap (bwrap) jail with resource limits.

The jail sees a read-only copy of the host root with the user's home, /run,
the caller's working directory and this repository hidden behind empty
tmpfs mounts; it has no network, its own PID namespace and a scrubbed
environment. Its only writable place is a fresh host directory mounted as
/tmp (also the working directory) and deleted afterwards.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import select
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from thinkbench.harness.errors import InputError

BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
PYTHON_ENV_VAR = "THINKBENCH_SANDBOX_PYTHON"
MISSING_MESSAGE = (
    "code execution needs a working bwrap sandbox: install bubblewrap "
    "(apt-get install bubblewrap), or pass --unsafe-no-sandbox to run code unjailed"
)

NOBODY = 65534
_SCRIPT = "main.py"
_CHUNK = 65536
# After the main process exits, how long leftover writers may keep the pipes open.
_EXIT_GRACE_S = 0.5
# The jail's init enforces the wall limit; ours is the backstop.
_BACKSTOP_S = 0.5
_REPO_ROOT = Path(__file__).resolve().parents[1]
_ALWAYS_HIDDEN = ("/root", "/home", "/run", "/var/tmp")
# Hiding one of these (as the caller's cwd, say) would break the interpreter.
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/dev", "/proc", "/sys")
_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}

# A small init runs first, as PID 1 of the jail (bwrap --as-pid-1): it forks the
# script and reaps every process, so the rusage of the whole tree reaches our
# wait4 (bwrap's own init exits before it is reaped, losing it). It enforces
# the wall limit itself, killing and reaping the tree, because processes that
# die in a namespace teardown take their rusage with them. Limits are set in
# the forked child, after bwrap has entered the new user namespace: set
# earlier, RLIMIT_NPROC would count every concurrent jail against one per-user
# budget. No preexec_fn runs in the host process, so run_many's threads
# cannot deadlock a fork.
_TIMEOUT_EXIT = 124
_BOOTSTRAP = """\
import os, sys

def limit_and_exec():
    import resource as r

    def cap(kind, soft, hard):
        ceiling = r.getrlimit(kind)[1]
        if ceiling != r.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        r.setrlimit(kind, (soft, hard))

    cpu, mem, nproc, fsize = (int(a) for a in sys.argv[1:5])
    cap(r.RLIMIT_CORE, 0, 0)
    cap(r.RLIMIT_CPU, cpu, cpu + 1)
    cap(r.RLIMIT_AS, mem, mem)
    cap(r.RLIMIT_NPROC, nproc, nproc)
    cap(r.RLIMIT_FSIZE, fsize, fsize)
    os.execv(sys.executable, [sys.executable, "-s", sys.argv[6]])

child = os.fork()
if child == 0:
    try:
        limit_and_exec()
    finally:
        import traceback
        traceback.print_exc()
        os._exit(127)
expired = []
if os.getpid() == 1:  # unjailed, kill(-1) would hit every process of this user
    import signal

    def expire(*_):
        expired.append(True)
        os.kill(-1, signal.SIGKILL)

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(sys.argv[5]))
while True:
    pid, status = os.waitpid(-1, 0)
    if pid == child:
        code = os.waitstatus_to_exitcode(status)
        os._exit(%d if expired else code if code >= 0 else 128 - code)
""" % _TIMEOUT_EXIT

_unsafe_allowed = False
_plan_lock = threading.Lock()
_MEMORY_MARKERS = (b"MemoryError", b"Cannot allocate memory", b"std::bad_alloc")


@dataclasses.dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 10
    wall_seconds: float = 15
    memory_mb: int = 1024
    max_processes: int = 64
    max_output_bytes: int = 1_000_000
    max_file_bytes: int = 64 * 1024 * 1024


@dataclasses.dataclass
class ExecResult:
    """status: ok, error (non-zero exit), timeout, memory, output_limit or killed.

    returncode is the exit code, or minus the signal number (a jailed process
    killed by signal N shows up as 128 + N, as bwrap reports it).
    """

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    wall_time: float
    cpu_time: float
    # An upper bound: Linux carries the launching process's memory high-water mark into the jail's
    # accounting, so from a large host process (one running vLLM) this reads at least that size.
    max_rss_kb: int
    sandboxed: bool = True


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How to launch: which bwrap and interpreter, and as which host user."""

    bwrap: str | None  # None: unsafe, no jail
    python: str
    as_nobody: bool
    python_dirs: tuple[str, ...]  # to re-expose where a hidden directory covers them


def run_sandboxed(
    code: str,
    *,
    stdin: str = "",
    limits: Limits = Limits(),
    python: str | None = None,
    files: dict[str, str] | None = None,
) -> ExecResult:
    """Run `code` as a Python script under the jail and `limits`.

    python: the interpreter; by default $THINKBENCH_SANDBOX_PYTHON, else the
    base (non-venv) interpreter running this harness or, when running as root
    and uid nobody cannot reach that one, a system python of the same version.
    `files` are written next to the script (names relative to the jail's
    /tmp) before it starts.
    """
    plan = _current_plan(python)
    if plan is None:
        if not _unsafe_allowed:
            raise InputError(MISSING_MESSAGE)
        plan = _Plan(None, python or _default_pythons()[0], False, ())
    return _execute(plan, code, stdin, limits, files or {})


def run_many(
    jobs: list[tuple[str, str]],
    limits: Limits = Limits(),
    workers: int | None = None,
    python: str | None = None,
) -> list[ExecResult]:
    """Run (code, stdin) jobs concurrently; results come back in job order."""
    _current_plan(python)  # probe once here rather than in every thread
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(run_sandboxed, code, stdin=stdin, limits=limits, python=python)
                   for code, stdin in jobs]
        return [f.result() for f in futures]


def sandbox_available() -> bool:
    """True when bwrap exists and can start the default interpreter in a jail."""
    return _current_plan(None) is not None


def sandbox_python() -> str | None:
    """The interpreter jailed code runs on, or None without a working jail."""
    plan = _current_plan(None)
    return plan.python if plan is not None else None


def require_sandbox(unsafe_no_sandbox: bool = False) -> None:
    """Refuse to go on without a jail, unless this caller or an earlier one (the CLI's
    --unsafe-no-sandbox) opted into running unjailed."""
    global _unsafe_allowed
    if sandbox_available() or _unsafe_allowed:
        return
    if not unsafe_no_sandbox:
        raise InputError(MISSING_MESSAGE)
    _unsafe_allowed = True
    print("WARNING: bubblewrap sandbox unavailable; running untrusted code WITHOUT a jail "
          "(only rlimits apply: it can read your files and use the network)", file=sys.stderr)


def _current_plan(python: str | None) -> _Plan | None:
    with _plan_lock:
        return _find_plan(BWRAP, python, os.environ.get(PYTHON_ENV_VAR))


@functools.lru_cache(maxsize=None)
def _find_plan(bwrap: str, python: str | None, _env_python: str | None) -> _Plan | None:
    """Probe bwrap once per (bwrap, interpreter) by running a trivial jailed script."""
    if not os.access(bwrap, os.X_OK):
        return None
    candidates = (python,) if python else _default_pythons()
    # As root, RLIMIT_NPROC is never enforced (uid 0 is exempt, also behind a
    # user namespace that maps to it), so run bwrap as nobody when it can reach
    # the interpreter; nobody cannot traverse a 0700 /root, say.
    modes = (True, False) if os.geteuid() == 0 else (False,)
    for as_nobody in modes:
        for candidate in candidates:
            dirs = _python_dirs(candidate)
            if dirs is None:
                continue
            plan = _Plan(bwrap, candidate, as_nobody, dirs)
            probe = _execute(plan, "print('ok')", "", Limits(wall_seconds=10), {})
            if probe.status == "ok" and probe.stdout == "ok\n":
                if os.geteuid() == 0 and not as_nobody:
                    print(f"WARNING: sandbox runs as root-mapped user: {candidate} is not usable "
                          f"by uid {NOBODY}, so max_processes is not enforced; set "
                          f"{PYTHON_ENV_VAR} to a world-readable interpreter", file=sys.stderr)
                return plan
    return None


def _default_pythons() -> tuple[str, ...]:
    configured = os.environ.get(PYTHON_ENV_VAR)
    if configured:
        return (configured,)
    # The base interpreter, not a venv's: the jail has no business with our packages.
    candidates = [getattr(sys, "_base_executable", None) or sys.executable]
    if os.geteuid() == 0:
        # Same version in a system location, which uid nobody can reach.
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        system = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
        if system and system not in candidates:
            candidates.append(system)
    return tuple(candidates)


def _hidden_dirs() -> list[str]:
    found = set(_ALWAYS_HIDDEN)
    for path in (os.getcwd(), str(_REPO_ROOT)):
        if path != "/" and not any(_is_within(path, d) for d in _SYSTEM_DIRS):
            found.add(path)
    found = {d for d in found if os.path.isdir(d)}
    # Parents before children: a tmpfs mounted later would cover an earlier one.
    return sorted(found, key=lambda d: d.count("/"))


@functools.lru_cache(maxsize=None)
def _python_dirs(python: str) -> tuple[str, ...] | None:
    """The interpreter's own directories and prefixes; None if it does not run."""
    try:
        out = subprocess.run(
            [python, "-s", "-c", "import sys; print(sys.prefix); print(sys.base_prefix)"],
            capture_output=True, text=True, env=_ENV, timeout=30, check=True,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    dirs = {out[0], out[1], os.path.dirname(os.path.abspath(python)),
            os.path.dirname(os.path.realpath(python))}
    return tuple(sorted(d for d in dirs if d))


def _is_within(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _jail_argv(plan: _Plan, jail_dir: str, info_fd: int) -> list[str]:
    assert plan.bwrap is not None
    argv = [plan.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    hidden = _hidden_dirs()
    for path in hidden:
        argv += ["--tmpfs", path]
    covered = [d for d in plan.python_dirs if any(_is_within(d, h) for h in hidden)]
    for path in covered:
        if not any(path != other and _is_within(path, other) for other in covered):
            argv += ["--ro-bind", path, path]
    argv += [
        "--bind", jail_dir, "/tmp", "--chdir", "/tmp",
        "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
        "--hostname", "sandbox", "--die-with-parent", "--new-session", "--as-pid-1",
        "--info-fd", str(info_fd), "--clearenv",
    ]
    if _bwrap_supports(plan.bwrap, "--disable-userns"):
        argv.append("--disable-userns")
    for key, value in _ENV.items():
        argv += ["--setenv", key, value]
    return argv + ["--"]


@functools.lru_cache(maxsize=None)
def _bwrap_supports(bwrap: str, flag: str) -> bool:
    try:
        helptext = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return flag in helptext.stdout + helptext.stderr


def _execute(plan: _Plan, code: str, stdin: str, limits: Limits,
             files: dict[str, str]) -> ExecResult:
    jail_dir = tempfile.mkdtemp(prefix="thinkbench-jail-")
    info_r, info_w = os.pipe()
    try:
        _populate(jail_dir, code, files, plan.as_nobody)
        bootstrap = [
            plan.python, "-S", "-c", _BOOTSTRAP,
            str(math.ceil(limits.cpu_seconds)), str(limits.memory_mb * 1024 * 1024),
            str(limits.max_processes), str(limits.max_file_bytes), str(limits.wall_seconds),
            _SCRIPT,
        ]
        if plan.bwrap is not None:
            argv, cwd, env = _jail_argv(plan, jail_dir, info_w) + bootstrap, None, _ENV
        else:
            argv, cwd, env = bootstrap, jail_dir, {**_ENV, "HOME": jail_dir}
        owner = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if plan.as_nobody else {}
        with tempfile.TemporaryFile() as stdin_file:
            stdin_file.write(stdin.encode())
            stdin_file.seek(0)
            start = time.monotonic()
            proc = subprocess.Popen(
                argv, stdin=stdin_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=cwd, env=env, pass_fds=(info_w,) if plan.bwrap else (),
                start_new_session=True, **owner,
            )
        os.close(info_w)
        info_w = -1
        return _supervise(proc, info_r, limits, start, sandboxed=plan.bwrap is not None)
    finally:
        if info_w >= 0:
            os.close(info_w)
        os.close(info_r)
        _rmtree(jail_dir)


def _populate(jail_dir: str, code: str, files: dict[str, str], as_nobody: bool) -> None:
    for name, content in files.items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts or name == _SCRIPT:
            raise InputError(f"sandbox file name {name!r} must be a relative path "
                             f"inside the jail other than {_SCRIPT}")
        target = Path(jail_dir, *rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    Path(jail_dir, _SCRIPT).write_text(code, encoding="utf-8")
    if as_nobody:
        for root, dirs, names in os.walk(jail_dir):
            for entry in [root, *(os.path.join(root, n) for n in dirs + names)]:
                os.chown(entry, NOBODY, NOBODY)


def _supervise(proc: subprocess.Popen, info_r: int, limits: Limits, start: float,
               sandboxed: bool) -> ExecResult:
    """Collect capped output until exit, the wall limit or the output cap; then reap."""
    assert proc.stdout is not None and proc.stderr is not None
    out, err, info = bytearray(), bytearray(), bytearray()
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    pidfd = os.pidfd_open(proc.pid)
    sel = selectors.DefaultSelector()
    for fd in (*streams, info_r, pidfd):
        sel.register(fd, selectors.EVENT_READ)
    deadline = start + limits.wall_seconds + (_BACKSTOP_S if sandboxed else 0.0)
    try:
        reason = _pump(sel, streams, info, pidfd, limits.max_output_bytes, deadline)
        _kill(proc.pid, pidfd, info)
        if reason:
            _drain(sel, set(streams), time.monotonic() + 1.0)
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        sel.close()
        os.close(pidfd)
        proc.stdout.close()
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    return ExecResult(
        status=_classify(reason, proc.returncode, bytes(err), sandboxed,
                         wall >= limits.wall_seconds),
        returncode=proc.returncode,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        wall_time=wall,
        cpu_time=usage.ru_utime + usage.ru_stime,
        max_rss_kb=usage.ru_maxrss,
        sandboxed=sandboxed,
    )


def _pump(sel: selectors.BaseSelector, streams: dict[int, bytearray], info: bytearray,
          pidfd: int, cap: int, deadline: float) -> str | None:
    """Read until the process is gone and its pipes are closed; say why we stopped early."""
    exited_at: float | None = None
    while exited_at is None or any(fd in sel.get_map() for fd in streams):
        # Unjailed, a leftover grandchild could hold the pipes open indefinitely.
        until = deadline if exited_at is None else min(deadline, exited_at + _EXIT_GRACE_S)
        now = time.monotonic()
        if now >= until:
            return "timeout" if exited_at is None else None
        for key, _ in sel.select(until - now):
            if key.fd == pidfd:
                exited_at = time.monotonic()
                sel.unregister(pidfd)
                continue
            chunk = os.read(key.fd, _CHUNK)
            if not chunk:
                sel.unregister(key.fd)
            elif key.fd not in streams:
                info += chunk
            else:
                buf = streams[key.fd]
                room = cap - len(buf)
                buf += chunk[:max(room, 0)]
                if len(chunk) > room:
                    return "output_limit"
    return None


def _kill(pid: int, pidfd: int, info: bytearray) -> None:
    """SIGKILL the jail's PID 1, taking its namespace down, then our process group."""
    try:
        child = json.loads(bytes(info).decode()).get("child-pid")
    except ValueError:
        child = None
    if isinstance(child, int) and child > 0:
        try:
            os.kill(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        else:
            # bwrap reaps PID 1 and exits by itself, passing us its rusage.
            select.select([pidfd], [], [], 1.0)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(sel: selectors.BaseSelector, pipes: set[int], until: float) -> None:
    """Wait for the killed jail to let go of its pipes, i.e. for all of it to be gone."""
    for fd in [fd for fd in sel.get_map() if fd not in pipes]:
        sel.unregister(fd)
    while sel.get_map() and time.monotonic() < until:
        for key, _ in sel.select(until - time.monotonic()):
            if not os.read(key.fd, _CHUNK):
                sel.unregister(key.fd)


def _classify(reason: str | None, returncode: int, stderr: bytes, sandboxed: bool,
              wall_exceeded: bool) -> str:
    if reason:
        return reason
    if sandboxed and returncode == _TIMEOUT_EXIT and wall_exceeded:
        return "timeout"
    if returncode == 0:
        return "ok"
    signum = -returncode if returncode < 0 else None
    if sandboxed and 128 < returncode <= 128 + 64:
        signum = returncode - 128
    if signum == signal.SIGXCPU:
        return "timeout"
    if any(marker in stderr[-4096:] for marker in _MEMORY_MARKERS):
        return "memory"
    return "killed" if signum else "error"


def _rmtree(path: str) -> None:
    def unlock_and_retry(func, failed, _exc) -> None:
        # Jailed code may have chmod-ed its own directories shut.
        try:
            os.chmod(os.path.dirname(failed), 0o700)
            if os.path.isdir(failed):
                os.chmod(failed, 0o700)
                shutil.rmtree(failed, ignore_errors=True)
            else:
                func(failed)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=unlock_and_retry)
    else:
        shutil.rmtree(path, onerror=unlock_and_retry)
