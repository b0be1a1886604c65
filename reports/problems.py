"""The per-problem table of the report and the samples behind each row.

The table itself is small (a row per problem); the samples are most of a run's bytes, so each
problem's prompt, gold and samples are one gzip-compressed, base64 JSON string that the page
decompresses only when its row is opened. That keeps a 500 x 64 report well under its size budget,
and keeps questions out of the file in plain text (GPQA's authors ask for that).
"""
from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass

import pandas as pd

from thinkbench.reports.run_samples import TaskSamples

# Level 6, fast: the texts repeat a lot within a problem, and level 9 buys little for twice the time.
_GZIP_LEVEL = 6
# Sample fields in the payload, in this order (arrays instead of objects keep the JSON short).
SAMPLE_FIELDS = ["strategy", "sample", "extracted", "correct", "reason", "tokens", "finish", "score", "text",
                 "prompt"]  # prompt: index into the payload's list of distinct prompts


@dataclass
class ProblemTable:
    frame: pd.DataFrame  # one row per problem
    strategies: list[str]
    payloads: dict  # {"fields": SAMPLE_FIELDS, "problems": {problem id: base64 gzip JSON}}


def natural_key(text: str) -> list:
    """"L2-10" after "L2-9": digit runs compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def _solved(correct: int, samples: int) -> str:
    return "none" if correct == 0 else "all" if correct == samples else "some"


def _payload(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=_GZIP_LEVEL, mtime=0)).decode("ascii")


def problem_table(samples: TaskSamples, bins: dict[str, int]) -> ProblemTable:
    strategies = list(samples.by_strategy)
    rows, payloads = [], {}
    # The problems with samples: the store also keeps problems of earlier, larger invocations.
    sampled = {pid for groups in samples.by_strategy.values() for pid in groups}
    for pid in sorted(sampled, key=natural_key):
        gold, meta = samples.problems.get(pid, ("", {}))
        row = {"id": pid, "gold": gold, "bin": bins.get(pid), "level": meta.get("level"),
               "subject": meta.get("subject"), "correct": 0, "samples": 0}
        drill = []
        for strategy in strategies:
            group = samples.by_strategy[strategy].get(pid, [])
            hits = sum(bool(r.correct) for r in group)
            row[f"correct:{strategy}"], row[f"samples:{strategy}"] = hits, len(group)
            row["correct"] += hits
            row["samples"] += len(group)
            drill += [[strategy, r.sample, r.extracted, None if r.correct is None else int(r.correct),
                       r.verdict_reason, r.generated_tokens, r.finish_reason, r.score, r.text,
                       r.prompt_hash] for r in group]
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
        payloads[pid] = _payload({"gold": gold, "meta": meta, "prompts": prompts, "samples": drill})
    # object columns keep ids and labels as they are (no NaN for a missing level, no 3.0 for 3)
    return ProblemTable(pd.DataFrame(rows, dtype=object), strategies, {"fields": SAMPLE_FIELDS, "problems": payloads})
