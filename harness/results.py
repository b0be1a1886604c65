"""What a run produced, as plain data: per task x strategy its metric points and counts. The runner
makes them; reports/run_files.py writes them into the run folder."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thinkbench.harness.metrics.point import MetricPoint


@dataclass
class TaskResult:
    task: str
    strategy: str
    problems: int
    problems_sha256: str
    samples: int
    reused_requests: int
    generated_requests: int
    points: list[MetricPoint]
    no_answer_rate: float
    mean_generated_tokens: float  # per problem, all samples
    generation_seconds: float  # wall time spent waiting on the engine in this invocation
    lengths: dict | None = None  # thinking and answer tokens by verdict (Strategy.lengths)
    # Per weaker reading of the verdicts (code with extended tests: "base"), how many samples pass it
    # and how many of those the full verdict rejects; its points are among `points` as "<name>:<metric>".
    views: dict[str, dict] = field(default_factory=dict)
    judge_consulted: int | None = None  # verdicts the answer judge decided (None: no judge in this run)
    judge_changed: int | None = None  # of those, "not equal" by the rules and "equal" by the judge


@dataclass
class RunResult:
    run_dir: Path
    results: list[TaskResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # task -> why
    engine_info: dict | None = None
