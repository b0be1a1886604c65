"""Dataset rows from a local mirror folder or the Hugging Face Hub, through `datasets`."""
from __future__ import annotations

import json
import os
import socket
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from thinkbench.harness.errors import InputError


class DataUnavailable(Exception):
    """The task's data cannot be reached (no mirror file, no Hub access): the task is skipped, not failed."""


def default_data_dir() -> Path | None:
    value = os.environ.get("THINKBENCH_DATA_DIR")
    return Path(value) if value else None


def mirror_path(data_dir: Path, hub: str, config: str | None, split: str, suffix: str = ".jsonl") -> Path:
    """The mirror layout: <hub org>/<hub name>/[<config>/]<split>.jsonl."""
    parts = [hub] + ([config] if config else []) + [split + suffix]
    return data_dir.joinpath(*parts)


def load_split(hub: str, config: str | None, split: str, data_dir: Path | None) -> list[dict]:
    if data_dir is not None:
        path = mirror_path(data_dir, hub, config, split)
        if not path.exists():
            raise DataUnavailable(f"no mirror file {path}")
        return read_jsonl(path)
    return _load_from_hub(hub, config, split)


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, row) of each non-empty line; a broken line is an InputError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object")
        yield lineno, row


def read_jsonl(path: Path) -> list[dict]:
    return [row for _, row in iter_jsonl(path)]


def _load_from_hub(hub: str, config: str | None, split: str) -> list[dict]:
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1":
        raise DataUnavailable(f"{hub}: Hugging Face Hub is offline (HF_HUB_OFFLINE) and no --data-dir given")
    if not _hub_reachable():
        raise DataUnavailable(f"{hub}: the Hugging Face Hub cannot be reached and no --data-dir was given")
    try:
        import datasets

        ds = datasets.load_dataset(hub, config, split=split)
    except Exception as e:  # any failure to reach or read the Hub means "not available here"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataUnavailable(f"{hub}: cannot load from the Hub ({first[:160]})") from None
    return [dict(row) for row in ds]


def write_mirror(rows: list[dict], data_dir: Path, hub: str, config: str | None, split: str) -> Path:
    path = mirror_path(data_dir, hub, config, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    with tmp.open("w") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    tmp.rename(path)
    return path


@lru_cache(maxsize=1)
def _hub_reachable() -> bool:
    """A quick look before `datasets` spends minutes retrying against a Hub it cannot reach."""
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=5).close()
        return True
    except OSError:
        return False
