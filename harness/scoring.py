"""`thinkbench score`: grade completions made elsewhere with a task's verifier."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from thinkbench.harness.data import iter_jsonl
from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.outcomes import verdict_category
from thinkbench.harness.metrics.point import MetricPoint
from thinkbench.harness.metrics.pool import pool_metrics
from thinkbench.harness.metrics.views import view_points
from thinkbench.harness.task_spec import Task
from thinkbench.harness.types import CompletionRow
from thinkbench.verifiers import Verdict
from thinkbench.verifiers.grading import grade_all, prepare, verdict_views, vote_groups
from thinkbench.verifiers.judge import AnswerJudge, JudgeTally


@dataclass(frozen=True)
class Prediction:
    line: int
    completion: str
    problem_id: str | None
    gold: str | None
    finish_reason: str = ""  # "length": cut at the token limit, so only an explicit answer counts
    question: str | None = None  # shown to the answer judge; a problem of the task brings its own


def read_predictions(path: Path) -> list[Prediction]:
    rows = []
    for lineno, row in iter_jsonl(path):
        where = f"{path}:{lineno}"
        if not isinstance(row.get("completion"), str):
            raise InputError(f"{where}: needs a string field 'completion'")
        pid, gold = row.get("problem_id"), row.get("gold")
        if pid is None and gold is None:
            raise InputError(f"{where}: needs 'problem_id' (a problem of the task) or 'gold' (an inline reference)")
        finish = row.get("finish_reason", "")
        if not isinstance(finish, str):
            raise InputError(f"{where}: 'finish_reason' must be a string such as \"stop\" or \"length\"")
        question = row.get("question")
        if question is not None and not isinstance(question, str):
            raise InputError(f"{where}: 'question' must be a string")
        rows.append(Prediction(lineno, row["completion"], None if pid is None else str(pid),
                               None if gold is None else str(gold), finish, question))
    if not rows:
        raise InputError(f"{path}: no predictions")
    return rows


@dataclass(frozen=True)
class Scored:
    verdicts: list[Verdict]  # one per prediction, in order
    points: list[MetricPoint]  # with any weaker reading's points, named "<view>:<metric>"
    rows: list[CompletionRow]  # the predictions as graded samples
    views: dict[str, dict]  # per weaker reading: samples passing it, and how many of those are rejected
    preparation: dict | None  # what the verifier prepared for these problems (code: time limits)
    judge: JudgeTally | None = None  # what the answer judge did, when one was asked


def score(task: Task, predictions: list[Prediction], path: Path, data_dir: Path | None,
          judge: AnswerJudge | None = None) -> Scored:
    problems = {}
    if any(p.gold is None for p in predictions):
        problems = {p.id: p for p in task.problems(data_dir)}
    items, choices, questions = [], [], []
    for p in predictions:
        if p.gold is not None:
            items.append((p.completion, task.verifier.gold(p.gold)))
            choices.append(None)
            questions.append(p.question)
        elif p.problem_id in problems:
            items.append((p.completion, problems[p.problem_id].gold))
            choices.append(problems[p.problem_id].meta.get("choices"))
            questions.append(p.question or problems[p.problem_id].prompt)
        else:
            raise InputError(f"{path}:{p.line}: problem_id {p.problem_id!r} is not a problem of task {task.name}")
    used = [problems[pid] for pid in dict.fromkeys(p.problem_id for p in predictions if p.gold is None)]
    preparation = prepare(task.verifier, used) if used else None
    verdicts = grade_all(task.verifier, items, choices=choices,
                         truncated=[p.finish_reason == "length" for p in predictions])
    tally = None
    if judge is not None:
        verdicts, tally = judge.review(task.verifier, [(q, gold) for q, (_, gold) in zip(questions, items)], verdicts)
    ids = [p.problem_id if p.problem_id is not None else f"line{p.line}" for p in predictions]
    votes = vote_groups(task.verifier, [(pid, v.extracted) for pid, v in zip(ids, verdicts)])
    rows = [CompletionRow(key="", sample=i, task=task.name, strategy="score", problem_id=pid, prompt_hash="",
                          text=p.completion, generated_tokens=0, finish_reason=p.finish_reason,
                          extracted=v.extracted, correct=v.correct, verdict_reason=v.reason,
                          prompt_tokens=0, cached_prompt_tokens=None, vote=vote, decided_by=v.decided_by)
            for i, (p, v, pid, vote) in enumerate(zip(predictions, verdicts, ids, votes))]
    counts = {r.problem_id for r in rows}
    families = ("accuracy",) if len(counts) == len(rows) else ("accuracy", "pass", "maj")
    more_points, views = view_points(rows, verdict_views(task.verifier, [gold for _, gold in items]),
                                     lambda seen: pool_metrics(seen, families))
    return Scored(verdicts, pool_metrics(rows, families) + more_points, rows, views, preparation, tally)


def write_verdicts(predictions: list[Prediction], scored: Scored, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "verdicts.jsonl"
    with path.open("w") as f:
        for p, v, graded in zip(predictions, scored.verdicts, scored.rows):
            row = {"problem_id": p.problem_id} if p.problem_id is not None else {}
            # A verdict without a reason of its own (a math answer found equal) says its category.
            row.update(correct=v.correct, extracted=v.extracted, reason=v.reason or verdict_category(graded),
                       decided_by=v.decided_by)
            f.write(json.dumps(row) + "\n")
    return path
