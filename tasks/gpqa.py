"""Task hook for `gpqa_diamond`: reads the official password-protected zip (or the gated Hub dataset)
and shuffles the four choices with a seed fixed per question.

The GPQA authors ask that questions never appear in plain text online, so nothing here writes them
to disk; they only reach prompts and the run outputs the user asked for.
"""
from __future__ import annotations

import csv
import hashlib
import io
import random
import zipfile
from pathlib import Path

from thinkbench.harness.data import DataUnavailable, load_split, mirror_path
from thinkbench.harness.errors import InputError

ZIP_PASSWORD = b"deserted-untie-orchid"  # published with the dataset, to keep it away from crawlers
_CSV_MEMBERS = {"gpqa_diamond": "dataset/gpqa_diamond.csv", "gpqa_main": "dataset/gpqa_main.csv",
                "gpqa_extended": "dataset/gpqa_extended.csv"}
_COLUMNS = ["Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"]


def zip_path(data_dir: Path, hub: str) -> Path:
    return mirror_path(data_dir, hub, None, "dataset", suffix=".zip")


def _read_zip(path: Path, config: str) -> list[dict]:
    try:
        with zipfile.ZipFile(path) as z:
            data = z.read(_CSV_MEMBERS[config], pwd=ZIP_PASSWORD)
    except (zipfile.BadZipFile, KeyError, RuntimeError) as e:
        raise InputError(f"{path}: not the official GPQA zip ({e})") from None
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def load_rows(dataset, data_dir) -> list[dict]:
    config = dataset.config or "gpqa_diamond"
    if data_dir is not None and zip_path(data_dir, dataset.hub).exists():
        raw = _read_zip(zip_path(data_dir, dataset.hub), config)
    elif data_dir is not None:
        raise DataUnavailable(f"no GPQA zip at {zip_path(data_dir, dataset.hub)} (the official dataset.zip)")
    else:
        raw = load_split(dataset.hub, config, dataset.split, None)
    rows = []
    for index, record in enumerate(raw):
        missing = [c for c in _COLUMNS if c not in record]
        if missing:
            raise InputError(f"task gpqa_diamond: row {index} has no column {missing[0]!r}")
        question = record["Question"].strip()
        correct = record["Correct Answer"].strip()
        choices = [correct] + [record[f"Incorrect Answer {i}"].strip() for i in (1, 2, 3)]
        # Seeded by the question itself, so the order is stable whatever else is in the file.
        qid = record.get("Record ID") or hashlib.sha256(question.encode()).hexdigest()[:12]
        random.Random(f"gpqa-{qid}").shuffle(choices)
        rows.append({"id": qid, "question": question, "choices": choices,
                     "answer": "ABCD"[choices.index(correct)]})
    return rows
