"""A run: tasks x strategies through one engine, every request persisted as it finishes, then
grading, metrics, and the record of what was run."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Sequence

import yaml
from tqdm import tqdm

from thinkbench.harness import provenance, terminal
from thinkbench.harness.config import RunConfig
from thinkbench.harness.data import DataUnavailable
from thinkbench.harness.errors import InputError
from thinkbench.harness.engine import Engine, GenResult, build_engine
from thinkbench.harness.metrics.views import view_points
from thinkbench.harness.models import resolve_model
from thinkbench.harness.results import RunResult, TaskResult
from thinkbench.harness.store import RequestMeta, Store
from thinkbench.harness.strategies import build_strategy
from thinkbench.harness.strategies.base import RunContext
from thinkbench.harness.task import load_task
from thinkbench.harness.task_spec import Task
from thinkbench.harness.types import ModelShape, Problem
from thinkbench.verifiers.grading import grade_all, prepare, verdict_views, vote_groups
from thinkbench.verifiers.judge import AnswerJudge


class Progress:
    """A progress bar per task x strategy: engine requests done / sent so far, tokens/s, ETA.

    Pool strategies send all their requests at once, so the total and the ETA are exact; chained
    and search strategies send round after round, and the total grows as they do."""

    def __init__(self, label: str) -> None:
        self.label, self.tokens = label, 0
        self.bar: tqdm | None = None

    def sent(self, requests: int) -> None:
        if self.bar is None:
            stream = terminal.err()
            # Redrawn in place on a terminal; a log (CI) gets a line now and then instead of hundreds.
            self.bar = tqdm(total=requests, desc=self.label, unit="req", file=stream, dynamic_ncols=True,
                            mininterval=0.5 if stream.isatty() else 30)
        else:
            self.bar.total += requests
            self.bar.refresh()

    def done(self, result: GenResult) -> None:
        self.tokens += sum(o.tokens for o in result.outputs)
        elapsed = self.bar.format_dict["elapsed"]
        self.bar.set_postfix_str(f"{self.tokens} tok, {self.tokens / max(elapsed, 1e-9):.0f} tok/s", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Metered:
    """The run's engine as a strategy sees it: what it sends and gets back moves the progress bar
    (judge questions on the policy model included; stored results never reach the engine)."""

    def __init__(self, engine: Engine, progress: Progress) -> None:
        self._engine, self._progress = engine, progress

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def generate(self, requests, on_result) -> None:
        self._progress.sent(len(requests))

        def counted(result: GenResult) -> None:
            on_result(result)  # on disk first, then counted as done
            self._progress.done(result)

        self._engine.generate(requests, counted)


class _Session:
    """The engines of a run (the policy's, and the answer judge's when it has its own model), each
    built on first need, and what the run folder keeps about them."""

    def __init__(self, config: RunConfig, model: str, run_dir: Path, engine: Engine | None, rescore: bool) -> None:
        self.config, self.model, self.run_dir, self.rescore = config, model, run_dir, rescore
        self.engine, self.owns_engine = engine, engine is None
        self._judge_engine: Engine | None = None
        # Resolved now so that a missing judge model fails at start, not after generating.
        self.judge_model = resolve_model(config.judge.model) if config.judge and config.judge.model else None
        if engine is not None:
            self._record(engine)

    def get(self) -> Engine:
        if self.engine is None and self.rescore:
            raise InputError(f"{self.run_dir}: the store lacks requests this config needs, so it cannot be re-scored "
                             f"without generating; run `thinkbench run {self.run_dir / 'config.yaml'} --out "
                             f"{self.run_dir}` to finish it")
        if self.engine is None:
            log = terminal.engine_log()
            print(f"starting engine {self.config.engine.kind} with {self.model}"
                  + (f" (its output: {log})" if log else ""), file=terminal.err(), flush=True)
            t0 = time.monotonic()
            self.engine = build_engine(self.config.engine.kind, self.model, self.config.engine.settings,
                                       self.config.seed)
            print(f"engine ready in {time.monotonic() - t0:.0f} s", file=terminal.err(), flush=True)
            self._record(self.engine)
        return self.engine

    def judge(self) -> AnswerJudge | None:
        return None if self.config.judge is None else AnswerJudge(self.config.judge, self._judge_engine_for)

    def _judge_engine_for(self) -> Engine:
        if self.judge_model is None or self.judge_model == self.model:
            return self.get()  # the policy model judges, on its own engine
        if self._judge_engine is None:
            print(f"starting the answer judge's engine with {self.judge_model}", file=terminal.err(), flush=True)
            self._judge_engine = build_engine("vllm", self.judge_model, self.config.judge.engine, self.config.seed)
        return self._judge_engine

    def _record(self, engine: Engine) -> None:
        (self.run_dir / "engine.json").write_text(json.dumps(dataclasses.asdict(engine.info), indent=2) + "\n")

    def info(self) -> dict | None:
        path = self.run_dir / "engine.json"
        return json.loads(path.read_text()) if path.exists() else None

    def shape(self) -> ModelShape | None:
        """From this or an earlier invocation, so a fully resumed run still has its FLOPs."""
        info = self.info()
        return ModelShape(**info["shape"]) if info and info.get("shape") else None

    def close(self) -> None:
        if self.engine is not None and self.owns_engine:
            self.engine.close()
        if self._judge_engine is not None:
            self._judge_engine.close()


def run(config: RunConfig, data_dir: Path | None, run_dir: Path, engine: Engine | None = None,
        rescore: bool = False) -> RunResult:
    """Run every task x strategy. An `engine` passed in is used as it is and left open (tests and
    notebooks reuse one); otherwise one is built on first need and closed at the end. `rescore`: a
    finished run folder graded, grouped and scored again from its store alone; no engine is started,
    and its config and provenance stay those of the run that generated it."""
    # Everything the config names is checked before the model is resolved or any data is loaded.
    strategies = [build_strategy(s, f"strategies[{i}]") for i, s in enumerate(config.strategies)]
    tasks: list[tuple[Task, int | None]] = []
    for entry in config.tasks:
        task = load_task(entry.name)
        tasks.append((task.with_options(entry.options) if entry.options else task, entry.limit))
    model = resolve_model(config.model)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not rescore:
        (run_dir / "config.yaml").write_text(yaml.safe_dump(dataclasses.asdict(config), sort_keys=False))
        (run_dir / "provenance.json").write_text(json.dumps(
            {**provenance.environment(), "model": provenance.model_fingerprint(model)}, indent=2) + "\n")

    store = Store(run_dir / "store.sqlite")
    session = _Session(config, model, run_dir, engine, rescore)
    outcome = RunResult(run_dir)
    try:
        for task, limit in tasks:
            try:
                problems = task.problems(data_dir, limit)
            except DataUnavailable as e:
                outcome.skipped[task.name] = str(e)
                print(f"skipping {task.name}: {e}", file=terminal.err(), flush=True)
                continue
            store.save_problems(problems)
            provenance.record_preparation(run_dir, task.name, prepare(task.verifier, problems))
            for strategy in strategies:
                outcome.results.append(_run_one(task, problems, strategy, store, session, config, model))
    finally:
        session.close()
        store.close()
    outcome.engine_info = session.info()
    return outcome


def _grade(task: Task, label: str, problems: Sequence[Problem], store: Store, judge: AnswerJudge | None) -> None:
    """Verdicts for the strategy's ungraded samples (the answer judge reviewing what the rules reject,
    when the run has one), then vote groups for its ungrouped answers."""
    by_id = {p.id: p for p in problems}
    todo = store.ungraded(task.name, label)
    verdicts = grade_all(task.verifier, [(text, by_id[pid].gold) for _, _, pid, text, _ in todo],
                         choices=[by_id[pid].meta.get("choices") for _, _, pid, _, _ in todo],
                         truncated=[finish == "length" for *_, finish in todo])
    if judge is not None:
        questions = [(by_id[pid].prompt, by_id[pid].gold) for _, _, pid, _, _ in todo]
        verdicts, tally = judge.review(task.verifier, questions, verdicts)
        if tally.calls:
            store.log("judge", json.dumps({"task": task.name, "strategy": label, **dataclasses.asdict(tally)}))
    store.set_verdicts((key, sample, v.extracted, v.correct, v.reason, v.decided_by)
                       for (key, sample, *_), v in zip(todo, verdicts))
    answers = store.ungrouped(task.name, label)
    groups = vote_groups(task.verifier, [(pid, extracted) for _, _, pid, extracted in answers],
                         store.vote_groups(task.name, label))
    store.set_votes((key, sample, group) for (key, sample, *_), group in zip(answers, groups))


def _run_one(task: Task, problems, strategy, store: Store, session: _Session, config: RunConfig,
             model: str) -> TaskResult:
    label = f"{task.name}/{strategy.label()}"
    progress = Progress(label)
    generated = 0

    def on_result(result: GenResult, meta: RequestMeta) -> None:
        nonlocal generated
        store.save(result, meta)
        generated += 1

    t0 = time.monotonic()
    ctx = RunContext(engine=lambda: _Metered(session.get(), progress), store=store, seed=config.seed, model=model,
                     on_result=on_result, reasoning=config.reasoning)
    try:
        keys = set(strategy.execute(ctx, problems))
    finally:
        progress.close()
    waiting = time.monotonic() - t0
    reused = len(keys) - generated
    if reused:
        store.log("reused", f"{label}: {reused} requests")
        print(f"  [{label}] reused {reused} finished requests from the run folder", file=terminal.err(), flush=True)

    _grade(task, strategy.label(), problems, store, session.judge())
    rows = [r for r in store.completions(task.name, strategy.label()) if r.key in keys]
    shape = session.shape()
    more_points, views = view_points(rows, verdict_views(task.verifier, [p.gold for p in problems]),
                                     lambda seen: strategy.metrics(seen, shape, config.price))
    return TaskResult(
        task=task.name, strategy=strategy.label(), problems=len(problems),
        problems_sha256=provenance.problems_fingerprint(problems), samples=len(rows),
        reused_requests=reused, generated_requests=generated,
        points=strategy.metrics(rows, shape, config.price) + more_points,
        no_answer_rate=sum(r.extracted is None for r in rows) / max(len(rows), 1),
        mean_generated_tokens=sum(r.generated_tokens for r in rows) / max(len(problems), 1),
        generation_seconds=waiting, lengths=strategy.lengths(rows),
        views=views,
        judge_consulted=None if config.judge is None else sum(r.decided_by == "judge" for r in rows),
        judge_changed=None if config.judge is None else sum(r.decided_by == "judge" and bool(r.correct) for r in rows),
    )

