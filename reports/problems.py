"""The per-problem table of the report, and the samples behind each row in side files.

The table itself is small (a row per problem); the samples are most of a run's bytes (64 traces of
8k tokens are 2 MB a problem), so they stay out of the page: each problem is one script file in
SAMPLES_DIR beside report.html, loaded with a <script> tag only when its row opens (a script tag
works from file://, where fetch does not). A file carries the problem's prompt, gold and sample
fields as one zlib-compressed JSON, and each sample's text as the store keeps it (zlib), inflated by
the page only when that sample is opened. Compressed, questions never sit in the files as plain text
(GPQA's authors ask for that), and the report copies the store's bytes instead of compressing again.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.point import by_problem
from thinkbench.harness.store import Store
from thinkbench.harness.types import CompletionRow
from thinkbench.reports.run_folder import RunFolder

SAMPLES_DIR = "report_samples"
# The JSONP callback every sample file calls; report.js defines it.
CALLBACK = "thinkbenchSamples"
# Sample fields in a problem file, in this order (arrays instead of objects keep the JSON short).
SAMPLE_FIELDS = ["strategy", "sample", "extracted", "correct", "reason", "tokens", "finish", "score",
                 "prompt"]  # prompt: index into the problem's list of distinct prompts


@dataclass
class TaskSamples:
    task: str
    problems: dict[str, tuple[str, dict]]  # problem id -> (gold, meta)
    by_strategy: dict[str, dict[str, list[CompletionRow]]]  # strategy -> problem id -> samples
    prompts: dict[str, list] = field(default_factory=dict)  # prompt hash -> messages


@dataclass
class RunSamples:
    tasks: dict[str, TaskSamples]
    warnings: list[str]


def read_samples(run: RunFolder) -> RunSamples:
    """Every sample of each task x strategy in metrics.json, with problems and prompts; without
    their texts (a pool of long traces is gigabytes: what reads a text reads it from the store).
    The drill-down's content: metric values come from the run folder's points, never from here."""
    path = run.path / "store.sqlite"
    if not path.exists():
        raise InputError(f"{path}: not found (a run folder keeps its samples there)")
    store = Store(path)
    tasks: dict[str, TaskSamples] = {}
    warnings = []
    try:
        for task, strategy, problems in run.results[["task", "strategy", "problems"]].itertuples(index=False):
            entry = tasks.get(task) or tasks.setdefault(task, TaskSamples(task, store.problems(task), {}))
            groups = by_problem(store.completions(task, strategy, texts=False))
            entry.by_strategy[strategy] = groups
            # The store keeps every invocation's samples; metrics.json describes the last one only.
            # (Several requests per problem are no sign of that: searches store one per budget.)
            if len(groups) != problems:
                warnings.append(f"{task}/{strategy}: the store holds samples of {len(groups)} problems, "
                                f"metrics.json counts {problems}: this folder holds runs with different "
                                "settings; all samples are shown")
            for rows in groups.values():
                for h in {r.prompt_hash for r in rows} - entry.prompts.keys():
                    entry.prompts[h] = store.prompt(h) or []
    finally:
        store.close()
    return RunSamples(tasks, warnings)


@dataclass
class ProblemTable:
    frame: pd.DataFrame  # one row per problem, with the file of its samples ("file")
    strategies: list[str]
    drills: dict[str, tuple[dict, list[tuple[str, int]]]]  # problem id -> (file data, (key, sample) per sample)


def natural_key(text: str) -> list:
    """"L2-10" after "L2-9": digit runs compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def _solved(correct: int, samples: int) -> str:
    return "none" if correct == 0 else "all" if correct == samples else "some"


def _b64(packed: bytes) -> str:
    return base64.b64encode(packed).decode("ascii")


def problem_table(samples: TaskSamples, bins: dict[str, int], task_index: int) -> ProblemTable:
    """Rows need the samples' verdicts and lengths only: `samples` may come without texts."""
    strategies = list(samples.by_strategy)
    rows, drills = [], {}
    # The problems with samples: the store also keeps problems of earlier, larger invocations.
    sampled = {pid for groups in samples.by_strategy.values() for pid in groups}
    for index, pid in enumerate(sorted(sampled, key=natural_key)):
        gold, meta = samples.problems.get(pid, ("", {}))
        row = {"id": pid, "gold": gold, "bin": bins.get(pid), "level": meta.get("level"),
               "subject": meta.get("subject"), "correct": 0, "samples": 0, "tokens": 0,
               "file": f"{SAMPLES_DIR}/{task_index}/{index}.js"}
        drill, keys = [], []
        for strategy in strategies:
            group = samples.by_strategy[strategy].get(pid, [])
            hits = sum(bool(r.correct) for r in group)
            row[f"correct:{strategy}"], row[f"samples:{strategy}"] = hits, len(group)
            row["correct"] += hits
            row["samples"] += len(group)
            row["tokens"] += sum(r.generated_tokens for r in group)
            drill += [[strategy, r.sample, r.extracted, None if r.correct is None else int(r.correct),
                       r.verdict_reason, r.generated_tokens, r.finish_reason, r.score, r.prompt_hash] for r in group]
            keys += [(r.key, r.sample) for r in group]
        row["solved"] = _solved(row["correct"], row["samples"])
        rows.append(row)
        # Strategies with different sampling settings have different prompt hashes for the same
        # messages: show each distinct prompt once, and let a sample point at its prompt by index.
        prompts: list = []
        for d in drill:
            messages = samples.prompts.get(d[-1], [])
            if messages not in prompts:
                prompts.append(messages)
            d[-1] = prompts.index(messages)
        drills[pid] = ({"gold": gold, "meta": meta, "prompts": prompts, "fields": SAMPLE_FIELDS, "samples": drill},
                       keys)
    # object columns keep ids and labels as they are (no NaN for a missing level, no 3.0 for 3)
    return ProblemTable(pd.DataFrame(rows, dtype=object), strategies, drills)


def write_sample_files(folder: Path, table: ProblemTable, store: Store) -> None:
    """One script file per problem of `table` under `folder` (the report's SAMPLES_DIR, being
    written). Texts are read problem by problem, so memory holds one problem's samples at a time
    whatever the size of the run."""
    for pid, file in table.frame[["id", "file"]].itertuples(index=False):
        data, keys = table.drills[pid]
        packed = store.packed_texts(dict.fromkeys(key for key, _ in keys))
        info = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        texts = ",".join(f'"{_b64(packed[key])}"' for key in keys)
        # Base64 and JSON only: nothing from a model's output can end or escape the script.
        body = f'{CALLBACK}("{file}","{_b64(zlib.compress(info, 6))}",[{texts}]);\n'
        path = folder / Path(file).relative_to(SAMPLES_DIR)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="ascii")


def replace_folder(new: Path, final: Path) -> None:
    """Put a freshly written folder in place of the old one."""
    if final.exists():
        shutil.rmtree(final)
    new.rename(final)
