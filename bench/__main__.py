"""`make bench`: every figure beside its baseline, printed as a table and saved to bench/results.json.

Each part runs in its own process, so the peak memory of the pool part is the harness alone and
the engine part owns the whole machine while it generates.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench import engine_speed
from bench.figures import Figure, check, table
from thinkbench.harness.engine.cpu_settings import RECORDED_FLAGS, cpu_flags

RESULTS = Path(__file__).resolve().parent / "results.json"


def _part(module: str) -> dict:
    print(f"running {module} ...", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def pool_figures(p: dict) -> list[Figure]:
    if "error" in p:
        return [Figure("grading", "pool part failed", None, "", note=p["error"])]
    size = f"{p['completions']:,} completions ({p['task']}), {p['distinct_pairs']:,} distinct answer/gold pairs"
    figures = [
        Figure("grading", "grade pool, cold cache", p["grade_cold_seconds"], "s", "< 10",
               size, check(p["grade_cold_seconds"], "<", 10)),
        Figure("grading", "grade pool, warm cache", p["grade_warm_seconds"], "s", "", "same pool again"),
        Figure("grading", "verdicts per second, cold", p["completions"] / p["grade_cold_seconds"], "1/s"),
        Figure("memory", "peak RSS of harness, 32k-completion pool", p["peak_rss_mb"], "MiB", "",
               "store + grading + metrics + report, engine excluded"),
    ]
    if "report_seconds" in p:
        figures += [Figure("report", "write report.html, 500 x 64", p["report_seconds"], "s", "< 10", "",
                           check(p["report_seconds"], "<", 10)),
                    Figure("report", "report.html size, 500 x 64", p["report_mb"], "MB", "< 15", "",
                           check(p["report_mb"], "<", 15))]
    return figures


def long_trace_figures(t: dict) -> list[Figure]:
    if "error" in t:
        return [Figure("long", "long-trace part failed", None, "", note=t["error"])]
    size = (f"{t['problems']} x {t['samples']} x ~{t['mean_tokens']} tokens: {t['raw_text_bytes'] / 1e9:.2f} GB of text "
            f"(zlib ratio {t['text_zlib_ratio']:.3f}; MATH-500 solutions 0.35)")
    ratio = t["store_bytes"] / t["raw_text_bytes"]
    return [
        Figure("long", "build the long-trace pool (store + metrics)", t["build_seconds"], "s", "", size),
        Figure("long", "store.sqlite / raw text", ratio, "x", "<= 0.4",
               f"{t['store_bytes'] / 1e6:.0f} MB", check(ratio, "<=", 0.4)),
        Figure("long", "write report (page + sample files)", t["report_seconds"], "s", "< 60",
               f"sample files {t['sample_files_bytes'] / 1e6:.0f} MB", check(t["report_seconds"], "<", 60)),
        Figure("long", "report.html size", t["report_bytes"] / 1e6, "MB", "< 5", "samples load on demand",
               check(t["report_bytes"] / 1e6, "<", 5)),
        Figure("long", "Chromium: first contentful paint", t["first_paint_seconds"], "s", "< 3", "headless, file://",
               check(t["first_paint_seconds"], "<", 3)),
        Figure("long", "Chromium: every chart drawn", t["charts_drawn_seconds"], "s", "< 3",
               f"{t['charts']} charts, from navigation", check(t["charts_drawn_seconds"], "<", 3)),
        Figure("long", "Chromium: open largest problem and a sample", t["open_largest_problem_seconds"], "s", "",
               f"{t['samples']} samples listed, one text inflated"),
        Figure("memory", "peak RSS, long-trace pool", t["peak_rss_mb"], "MiB", "", "build, metrics and report"),
    ]


def hard_answer_figures(h: dict) -> list[Figure]:
    if "error" in h:
        return [Figure("grading", "hard answers part failed", None, "", note=h["error"])]
    n, rules, both, judge = h["cases"], h["rules"], h["rules_and_judge"], h["judge"]

    def errors(a: dict) -> str:
        return f"{a['false_accept']} wrong answers accepted, {a['false_reject']} right answers rejected"

    return [
        Figure("grading", "hard answer pairs: agreement, rules", rules["agree"] / n, "", "",
               f"{rules['agree']}/{n}; {errors(rules)}"),
        Figure("grading", "hard answer pairs: agreement, rules + judge", both["agree"] / n, "", "",
               f"{both['agree']}/{n}; {errors(both)}; the embedded 135M model as judge (machinery test): "
               f"consulted {judge['consulted']}, changed {judge['changed']}, {judge['calls']} calls, "
               f"{h['judge_seconds']:.1f} s"),
    ]


def engine_figures(e: dict) -> list[Figure]:
    if "error" in e:
        return [Figure("engine", "engine part failed", None, "", note=e["error"])]
    o, s = e["overhead"], e["sweep"]
    ratio = _ratio(o["harness_seconds"], o["direct_seconds"])
    return [
        Figure("engine", "engine start-up (excluded below)", e["engine_startup_seconds"], "s"),
        Figure("overhead", "thinkbench run / vllm.LLM.generate", ratio, "x", "<= 1.05",
               f"{o['task']} 16 x n=8, 256 tok: {o['harness_seconds']:.1f} s vs {o['direct_seconds']:.1f} s "
               f"({o['harness_tokens']} vs {o['direct_tokens']} tokens)", check(ratio, "<=", 1.05)),
        Figure("sweep", "k=1..64 tokens / largest budget alone", _ratio(s["pool_tokens"], s["largest_budget_tokens"]),
               "x", "== 1", f"one pool of n=64: {s['pool_tokens']} tokens",
               check(_ratio(s["pool_tokens"], s["largest_budget_tokens"]), "==", 1.0)),
        Figure("sweep", "per-budget runs / one pool (what is saved)",
               _ratio(s["separate_runs_tokens"], s["pool_tokens"]), "x", "",
               f"64 separate runs k=1..64: {s['separate_runs_tokens']} tokens"),
        Figure("prefix", "n-sampling prompt tokens computed / requested",
               _ratio(o["sampling_prompt_tokens_computed"], o["sampling_prompt_tokens_requested"]), "x", "",
               f"{o['sampling_prompt_tokens_computed']} of {o['sampling_prompt_tokens_requested']}"),
    ] + [Figure(**f) for f in e.get("extra", [])]


def speed_figures(s: dict) -> list[Figure]:
    if "error" in s:
        return [Figure("engine", "engine speed part failed", None, "", note=s["error"])]
    settings = ", ".join(f"{k}={v}" for k, v in s["settings"].items())
    flags = f"CPU flags: {' '.join(s['cpu_flags']) or 'none of note'}; {settings}"
    return [Figure("engine", "engine start-up, SmolLM2-135M", s["engine_startup_seconds"], "s", "", flags)] + [
        Figure("engine", f"generation, {n} prompt(s) x {engine_speed.TOKENS} tokens", rate, "tok/s", "", flags)
        for n, rate in s["generation"].items()]


def sandbox_figures(s: dict) -> list[Figure]:
    if "skipped" in s or "error" in s:
        return [Figure("sandbox", "HumanEval canonical executions", None, "", note=s.get("skipped", s.get("error")))]
    return [Figure("sandbox", "HumanEval canonical executions per second", s["executions"] / s["seconds"], "1/s",
                   "", f"{s['passed']}/{s['executions']} passed, {s['workers']} workers")]


def main() -> int:
    t0 = time.time()
    speed = _part("bench.engine_speed")
    figures = speed_figures(speed) + pool_figures(_part("bench.pool")) + long_trace_figures(_part("bench.long_traces")) + \
        sandbox_figures(_part("bench.sandbox_bench")) + engine_figures(_part("bench.engine_bench")) + \
        hard_answer_figures(_part("bench.hard_answers"))
    flags = speed.get("cpu_flags", [f for f in RECORDED_FLAGS if f in cpu_flags()])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"CPU flags: {' '.join(flags) or 'none of note'}")
    print(table(figures))
    RESULTS.write_text(json.dumps({"machine": {"platform": platform.platform(), "processor": platform.processor(),
                                               "cpus": len(os.sched_getaffinity(0)), "cpu_flags": flags},
                                   "seconds": time.time() - t0,
                                   "figures": [f.__dict__ for f in figures]}, indent=2) + "\n")
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
