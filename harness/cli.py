"""The `thinkbench` command. Exit codes: 0 success, 1 run failed, 2 bad input (one line on stderr)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
from pathlib import Path

from thinkbench.harness.errors import InputError
from thinkbench.harness.validate import packaged


def _data_dir(args) -> Path | None:
    from thinkbench.harness.data import default_data_dir

    return Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()


def _allow_unjailed_code(args) -> None:
    # Only an opt-in: code tasks check for the sandbox themselves and refuse without it.
    if args.unsafe_no_sandbox:
        from thinkbench.harness.sandbox import require_sandbox

        require_sandbox(unsafe_no_sandbox=True)  # warns when it will really run code unjailed


def cmd_run(args) -> int:
    from thinkbench.harness import terminal
    from thinkbench.harness.config import config_file, load_run_config, make_run_config
    from thinkbench.harness.runner import run
    from thinkbench.reports.html import write_report
    from thinkbench.reports.run_files import write_run_files

    if args.rerun:
        if args.config:
            raise InputError("run: give a config file or --rerun RUN_DIR, not both")
        args.config = str(Path(args.rerun) / "config.yaml")
        if args.out is None:
            args.out = str(Path(args.rerun).with_name(Path(args.rerun).name + "-rerun"))
    _allow_unjailed_code(args)
    config_path = config_file(args.config) if args.config else None
    data = load_run_config(config_path)
    if args.tasks:
        limits = {t.get("name"): t for t in data.get("tasks", []) if isinstance(t, dict)}
        data["tasks"] = [limits.get(name, {"name": name}) for name in args.tasks.split(",") if name]
    if args.limit is not None:
        data["tasks"] = [{**t, "limit": args.limit} for t in data.get("tasks", [{"name": "arith"}])]
    if args.strategy:
        data["strategies"] = [{"name": args.strategy}]
    overrides = {"n": args.n, "temperature": args.temperature, "max_tokens": args.max_tokens}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides:
        data["strategies"] = [{**s, **overrides} for s in data.get("strategies", [{"name": "sample"}])]
    for field in ("model", "seed", "out"):
        if getattr(args, field) is not None:
            data[field] = getattr(args, field)
    config = make_run_config(data, str(config_path) if config_path else "command line")
    run_dir = Path(config.out or Path("runs") / config.name)
    with terminal.engine_output_to(None if args.verbose else run_dir / "engine.log"):
        outcome = run(config, _data_dir(args), run_dir)
    print(write_run_files(outcome), end="")
    print(f"report: {write_report(run_dir)}")
    return 0


def cmd_rescore(args) -> int:
    _allow_unjailed_code(args)
    from thinkbench.harness.config import load_run_config, make_run_config
    from thinkbench.reports.run_files import write_run_files
    from thinkbench.harness.runner import run
    from thinkbench.reports.html import write_report

    run_dir = Path(args.run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise InputError(f"{config_path}: not found (is {run_dir} a run folder?)")
    config = make_run_config({**load_run_config(config_path), "out": str(run_dir)}, str(config_path))
    print(write_run_files(run(config, _data_dir(args), run_dir, rescore=True)), end="")
    print(f"report: {write_report(run_dir)}")
    return 0


def cmd_tasks(args) -> int:
    from thinkbench.harness.data import DataUnavailable
    from thinkbench.harness.task import available_tasks, load_task

    data_dir = _data_dir(args)
    for name in available_tasks():
        task = load_task(name)
        try:
            size = str(len(task.rows(data_dir)))
        except DataUnavailable as e:
            size = f"n/a ({e})"
        print(f"{name:<14} {size:>6}  {task.spec.description}")
    return 0


def _judge_spec(value: str):
    """`--judge`: the embedded model (no value), a model folder or Hub id, or a YAML file of judge settings."""
    from thinkbench.harness.validate import build, read_yaml
    from thinkbench.verifiers.judge import JudgeSpec

    try:
        if value.endswith((".yaml", ".yml")):
            return build(JudgeSpec, read_yaml(Path(value)), value)
        return JudgeSpec(model=value or None)
    except InputError as e:  # a setting's own check names the field; say which file too
        raise InputError(str(e) if str(e).startswith(value) else f"{value}: {e}") from None


def cmd_score(args) -> int:
    from thinkbench.harness.metrics.views import describe_gap
    from thinkbench.harness.provenance import record_preparation
    from thinkbench.harness.scoring import read_predictions, score, write_verdicts
    from thinkbench.harness.task import load_task
    from thinkbench.reports.describe import describe_outcomes

    _allow_unjailed_code(args)
    task = load_task(args.task)
    if args.task_option:
        task = task.with_options(dict(_task_option(o) for o in args.task_option))
    path = Path(args.predictions)
    predictions = read_predictions(path)
    judge, engines = None, []
    if args.judge is not None:
        from thinkbench.harness.engine import build_engine
        from thinkbench.harness.models import resolve_model
        from thinkbench.verifiers.judge import AnswerJudge

        spec = _judge_spec(args.judge)
        model = resolve_model(spec.model)

        def judge_engine():
            print(f"starting the answer judge's engine with {model}", file=sys.stderr, flush=True)
            engines.append(build_engine("vllm", model, spec.engine, seed=0))
            return engines[-1]

        judge = AnswerJudge(spec, judge_engine)
    try:
        scored = score(task, predictions, path, _data_dir(args), judge)
    finally:
        for engine in engines:
            engine.close()
    verdicts = scored.verdicts
    record_preparation(Path(args.out), task.name, scored.preparation)
    correct, unanswered = sum(v.correct for v in verdicts), sum(v.extracted is None for v in verdicts)
    print(f"{task.name}: {correct}/{len(verdicts)} correct, {unanswered} without an answer")
    print(f"  outcomes: {describe_outcomes(dataclasses.asdict(scored.points[0].outcomes))}")
    for p in scored.points:
        name = p.metric if p.metric == "accuracy" else p.metric.replace("@k", f"@{p.k}")
        print(f"  {name:<15} {p.value:.4f}  [{p.low:.4f}, {p.high:.4f}]")
    for name, gap in scored.views.items():
        print(f"  {describe_gap(name, gap)}")
    if (tally := scored.judge) is not None:
        print(f"judge: decided {tally.consulted} verdicts the rules rejected, changed {tally.changed} to correct "
              f"({tally.calls} calls, {tally.prompt_tokens} prompt tokens)")
    out = write_verdicts(predictions, scored, Path(args.out))
    print(f"verdicts: {out}")
    return 0


def _task_option(text: str) -> tuple[str, object]:
    """KEY=VALUE, the value read as JSON where it is JSON (a number, true) and as text otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InputError(f"--task-option {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def cmd_data_pull(args) -> int:
    from thinkbench.harness.data import load_split, write_mirror
    from thinkbench.harness.task import load_task

    for name in args.tasks:
        ds = load_task(name).spec.dataset
        if ds.hook:
            print(f"{name}: not pulled (its data comes from its hook {ds.hook}; see the task file)")
            continue
        rows = load_split(ds.hub, ds.config, ds.split, None)
        print(f"{name}: {len(rows)} rows -> {write_mirror(rows, Path(args.to), ds.hub, ds.config, ds.split)}")
    return 0


def cmd_models_prepare(args) -> int:
    from thinkbench.harness.models import prepare_embedded_model

    print(prepare_embedded_model())
    return 0


def cmd_report(args) -> int:
    from thinkbench.reports.html import write_report

    print(write_report(Path(args.run_dir)))
    return 0


def cmd_analyze(args) -> int:
    from thinkbench.reports.analyze_runs import analyze_runs

    run_dirs = [Path(d) for d in args.run_dirs]
    out = Path(args.out) if args.out else (run_dirs[0] if len(run_dirs) == 1 else Path("analysis"))
    for path in analyze_runs(run_dirs, out):
        print(path)
    return 0


def cmd_leaderboard(args) -> int:
    from thinkbench.reports import leaderboard

    out = Path(args.out) if args.out else (Path("leaderboard.html") if args.format == "html" else None)
    board = leaderboard.build([Path(d) for d in args.run_dirs], out, args.compute_optimal)
    text = leaderboard.write(board, args.format, out)
    print(f"leaderboard: {out}" if text is None else text, end="\n" if text is None else "")
    return 0


def cmd_gate(args) -> int:
    from thinkbench.reports import gate

    def path(value: str | None) -> Path | None:
        return Path(value) if value else None

    settings = gate.GateSettings(args.max_drop, args.alpha, args.per_point_alpha)
    return gate.main(path(args.baseline), Path(args.candidate), settings, path(args.junit), path(args.markdown),
                     path(args.save_baseline))


UNSAFE_HELP = ("where bubblewrap is missing, run code tasks' generated code without a jail "
               "(dangerous: it can read your files and use the network)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="thinkbench", description="How LLM accuracy scales with test-time compute.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run tasks x strategies on a model", description="Run tasks x strategies; "
                       "a run folder that already holds finished requests is resumed.")
    r.add_argument("config", nargs="?", help="run config YAML, or the name of one that comes with thinkbench "
                   f"({', '.join(packaged('configs'))})")
    r.add_argument("--tasks", help="comma-separated task names (overrides the config)")
    r.add_argument("--limit", type=int, help="first N problems of each task")
    r.add_argument("--n", type=int, help="samples per problem")
    r.add_argument("--strategy", help="strategy name (greedy, sample, ...)")
    r.add_argument("--temperature", type=float)
    r.add_argument("--max-tokens", type=int, dest="max_tokens")
    r.add_argument("--model", help="model folder or Hub id (default: the embedded SmolLM2-135M-Instruct)")
    r.add_argument("--seed", type=int)
    r.add_argument("--out", help="run folder (default runs/<name>)")
    r.add_argument("--data-dir", help="local dataset mirror (default $THINKBENCH_DATA_DIR, else the Hub)")
    r.add_argument("--rerun", metavar="RUN_DIR", help="repeat a run from its folder's config.yaml into a new "
                   "folder (default RUN_DIR-rerun)")
    r.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    r.add_argument("--verbose", action="store_true", help="show the engine's own output (vLLM's log, warnings) "
                   "here instead of in RUN_DIR/engine.log")
    r.set_defaults(func=cmd_run)

    rs = sub.add_parser("rescore", help="grade, group votes and compute every metric again from a run folder's "
                        "store, generating nothing (e.g. a folder of thinkbench 0.1.0)")
    rs.add_argument("run_dir")
    rs.add_argument("--data-dir", help="the dataset mirror the run read its problems from")
    rs.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    rs.set_defaults(func=cmd_rescore)

    t = sub.add_parser("tasks", help="list tasks with their sizes")
    t.add_argument("--data-dir")
    t.set_defaults(func=cmd_tasks)

    s = sub.add_parser("score", help="grade completions made elsewhere")
    s.add_argument("--task", required=True)
    s.add_argument("--predictions", required=True, help='JSONL rows {"problem_id"|"gold": ..., "completion": ...}')
    s.add_argument("--out", default="scored", help="folder for verdicts.jsonl")
    s.add_argument("--data-dir")
    s.add_argument("--task-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a task option, as in a run config's task `options` (repeatable), e.g. "
                   "extended_tests=HumanEvalPlus.jsonl for humaneval")
    s.add_argument("--judge", nargs="?", const="", metavar="MODEL|YAML",
                   help="ask a judge model about the answers the rules reject (no value: the embedded model; "
                        "a YAML file: judge settings such as model, prompt, yes, no, engine)")
    s.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    s.set_defaults(func=cmd_score)

    d = sub.add_parser("data", help="dataset mirror tools")
    dsub = d.add_subparsers(dest="data_command", required=True)
    pull = dsub.add_parser("pull", help="write a local mirror of the tasks' datasets from the Hub")
    pull.add_argument("tasks", nargs="+")
    pull.add_argument("--to", required=True, help="mirror folder")
    pull.set_defaults(func=cmd_data_pull)

    m = sub.add_parser("models", help="model tools")
    msub = m.add_subparsers(dest="models_command", required=True)
    prep = msub.add_parser("prepare", help="convert the embedded default model into the models cache")
    prep.set_defaults(func=cmd_models_prepare)

    rep = sub.add_parser("report", help="write RUN_DIR/report.html (self-contained, opens offline)")
    rep.add_argument("run_dir")
    rep.set_defaults(func=cmd_report)

    an = sub.add_parser("analyze", help="compute-optimal policy, coverage fits and adaptive sampling across runs",
                        description="The report's analysis across run folders of one model and problem set "
                        "(strategies or budgets run separately): OUT/analysis.html and OUT/analysis.json.")
    an.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    an.add_argument("-o", "--out", help="output folder (default: the run folder for one run, ./analysis for several)")
    an.set_defaults(func=cmd_analyze)

    lb = sub.add_parser("leaderboard", help="rank model x strategy per task at matched compute budgets")
    lb.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    lb.add_argument("-o", "--out", help="output file (default leaderboard.html; md and csv print without it)")
    lb.add_argument("--format", choices=["html", "md", "csv"], default="html")
    lb.add_argument("--compute-optimal", action="store_true", dest="compute_optimal",
                    help="add each model's cross-fitted compute-optimal policy over its strategies as a row "
                    "(ranks in generated tokens)")
    lb.set_defaults(func=cmd_leaderboard)

    g = sub.add_parser("gate", help="CI gate: exit 1 when a candidate run drops significantly below a baseline",
                       description="Paired comparison per task, strategy and budget, with the smallest drop each can "
                       "detect. Exit 0 pass, 1 a drop larger than --max-drop that is significant at --alpha (Holm's "
                       "correction over all points), 2 bad input (e.g. different problem sets).")
    g.add_argument("--baseline", help="baseline run folder, or a JSON written by --save-baseline")
    g.add_argument("--candidate", required=True, metavar="RUN_DIR")
    g.add_argument("--max-drop", type=float, default=0.02, dest="max_drop", help="tolerated drop (default 0.02)")
    g.add_argument("--alpha", type=float, default=0.05,
                   help="chance of any false alarm over all compared points (Holm; default 0.05)")
    g.add_argument("--per-point-alpha", action="store_true", dest="per_point_alpha",
                   help="test each point at --alpha on its own (more power, more false alarms over many points)")
    g.add_argument("--junit", help="JUnit XML output (default RUN_DIR/gate.xml)")
    g.add_argument("--markdown", help="Markdown summary output (default RUN_DIR/gate.md)")
    g.add_argument("--save-baseline", metavar="OUT.json", dest="save_baseline",
                   help="instead of gating, save the candidate's per-problem values as a baseline JSON")
    g.set_defaults(func=cmd_gate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # SIGTERM takes Ctrl-C's way out: the same cleanup on the way up (the engine and its processes
    # shut down, the store closed) and the same one line.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if in_main_thread else None
    try:
        return args.func(args)
    except InputError as e:
        print(f"thinkbench: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        resume = "; finished requests are in the run folder, run again to resume" if args.func is cmd_run else ""
        print(f"thinkbench: interrupted{resume}", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
