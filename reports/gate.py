"""`thinkbench gate`: does a candidate run fall significantly below a baseline?

Each task x strategy x point (metric at a k or budget) is compared problem by problem (paired
bootstrap interval of the difference; exact McNemar test where every value is a single pass/fail).
A point fails only when its drop is larger than the tolerance *and* significant at alpha; alpha
applies to each comparison on its own. Different problem sets, or a baseline point the candidate
lacks, are bad input rather than a pass or a fail.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.paired import PairedComparison, compare
from thinkbench.reports.run_folder import RunFolder, load_run, model_label
from thinkbench.reports.run_samples import point_values, read_samples

BASELINE_FORMAT = "thinkbench-gate-baseline/1"
# Six decimals keep a committed baseline small; a rounding of 5e-7 cannot move a verdict.
_DECIMALS = 6

PointKey = tuple[str, str, str, str, float]  # task, strategy, metric, axis, x


@dataclass
class GateSide:
    """What one side of the comparison offers: per-problem values for each point it has them for."""

    source: str
    problem_sets: dict[str, str]  # task -> problems_sha256
    names: dict[PointKey, str]  # every point -> its display name
    values: dict[PointKey, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class GateRow:
    key: PointKey
    name: str
    status: str  # "ok", "FAIL" or "skipped"
    note: str
    comparison: PairedComparison | None = None


def _side(run: RunFolder) -> GateSide:
    samples = read_samples(run)
    if samples.warnings:  # a folder mixing runs cannot say which samples its metrics came from
        raise InputError(f"{run.path}: {samples.warnings[0]}")
    found = point_values(run, samples)
    if found.unreproduced:
        p = run.points.loc[found.unreproduced[0]]
        raise InputError(f"{run.path}: the stored samples do not reproduce {p['task']}/{p['strategy']} {p['name']} "
                         "of metrics.json (does the folder hold runs with different settings?)")
    values = found.values
    side = GateSide(str(run.path), dict(zip(run.results["task"], run.results["problems_sha256"])), {})
    for idx, p in run.points.iterrows():
        key = (p["task"], p["strategy"], p["metric"], p["axis"], float(p["x"]))
        side.names[key] = p["name"]
        if idx in values:
            side.values[key] = values[idx]
    return side


def save_baseline(run_dir: Path, out: Path) -> Path:
    """A small JSON holding what the gate needs from a run: problem sets and per-problem values."""
    run = load_run(run_dir)
    side = _side(run)
    tasks: dict[str, dict] = {t: {"problems_sha256": sha, "points": []} for t, sha in side.problem_sets.items()}
    for key, name in side.names.items():
        task, strategy, metric, axis, x = key
        values = side.values.get(key)
        tasks[task]["points"].append({
            "strategy": strategy, "metric": metric, "axis": axis, "x": x, "name": name,
            "values": None if values is None else {pid: round(v, _DECIMALS) for pid, v in sorted(values.items())},
        })
    data = {"format": BASELINE_FORMAT, "run": run.name, "model": model_label(run), "tasks": tasks}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    return out


def side_from_baseline(path: Path) -> GateSide:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not a readable baseline JSON ({e})") from None
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise InputError(f"{path}.format: expected {BASELINE_FORMAT!r} (write one with --save-baseline)")
    side = GateSide(str(path), {}, {})
    for task, entry in (data.get("tasks") or {}).items():
        where = f"{path}: tasks.{task}"
        if not isinstance(entry, dict) or not isinstance(entry.get("problems_sha256"), str):
            raise InputError(f"{where}.problems_sha256: missing")
        side.problem_sets[task] = entry["problems_sha256"]
        for i, p in enumerate(entry.get("points") or []):
            try:
                key = (task, str(p["strategy"]), str(p["metric"]), str(p["axis"]), float(p["x"]))
                values = p["values"]
                side.names[key] = str(p.get("name") or p["metric"])
                if values is not None:
                    side.values[key] = {str(pid): float(v) for pid, v in values.items()}
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise InputError(f"{where}.points[{i}]: malformed ({e!r})") from None
    return side


def load_side(path: Path) -> GateSide:
    """A run folder, or a JSON written by --save-baseline."""
    return _side(load_run(path)) if path.is_dir() else side_from_baseline(path)


def _check_problem_sets(baseline: GateSide, candidate: GateSide) -> None:
    for task, sha in baseline.problem_sets.items():
        if task not in candidate.problem_sets:
            raise InputError(f"{candidate.source}: has no results for task {task!r}, which the baseline has")
        if candidate.problem_sets[task] != sha:
            raise InputError(f"task {task!r}: the baseline and the candidate ran different problem sets "
                             f"(problems_sha256 {sha[:12]} vs {candidate.problem_sets[task][:12]}); "
                             "a paired comparison needs the same problems")


def gate(baseline: GateSide, candidate: GateSide, max_drop: float, alpha: float) -> list[GateRow]:
    if not max_drop >= 0:
        raise InputError(f"--max-drop: must be >= 0, got {max_drop}")
    if not 0 < alpha < 1:
        raise InputError(f"--alpha: must be in (0, 1), got {alpha}")
    _check_problem_sets(baseline, candidate)
    rows = []
    for key, name in baseline.names.items():
        if key not in candidate.names:
            task, strategy = key[:2]
            raise InputError(f"{candidate.source}: has no point {task}/{strategy} {name}, which the baseline has")
        if key not in baseline.values or key not in candidate.values:
            rows.append(GateRow(key, name, "skipped", "no per-problem values to pair"))
            continue
        try:
            c = compare(baseline.values[key], candidate.values[key], level=1 - alpha)
        except ValueError as e:
            raise InputError(f"{key[0]}/{key[1]} {name}: {e}") from None
        drop = c.baseline - c.candidate
        significant = c.significant(alpha)
        test = f"McNemar p={c.p_value:.3g}" if c.p_value is not None else f"{1 - alpha:.0%} interval"
        if drop > max_drop and significant:
            rows.append(GateRow(key, name, "FAIL", f"drop {drop:.3f} > {max_drop:g} and significant ({test})", c))
        elif drop > max_drop:
            rows.append(GateRow(key, name, "ok", f"drop {drop:.3f} > {max_drop:g} but not significant ({test})", c))
        elif drop > 0:
            rows.append(GateRow(key, name, "ok", f"drop {drop:.3f} within tolerance", c))
        else:
            rows.append(GateRow(key, name, "ok", "no drop", c))
    for key, name in candidate.names.items():
        if key not in baseline.names:
            rows.append(GateRow(key, name, "skipped", "not in the baseline"))
    return rows


def _cells(row: GateRow) -> list[str]:
    task, strategy = row.key[:2]
    c = row.comparison
    if c is None:
        return [task, strategy, row.name, "", "", "", "", row.status, row.note]
    diff = f"{c.diff.mean:+.3f} [{c.diff.low:+.3f}, {c.diff.high:+.3f}]"
    p = "" if c.p_value is None else f"{c.p_value:.3g}"
    return [task, strategy, row.name, f"{c.baseline:.3f}", f"{c.candidate:.3f}", diff, p, row.status, row.note]


HEADER = ["task", "strategy", "point", "baseline", "candidate", "difference [CI]", "McNemar p", "status", "why"]


def text_table(rows: list[GateRow]) -> str:
    table = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in table) + "\n"


def markdown(rows: list[GateRow], baseline: str, candidate: str, max_drop: float, alpha: float) -> str:
    failed = sum(r.status == "FAIL" for r in rows)
    verdict = f"**FAIL**: {failed} significant drop(s)" if failed else "**PASS**: no significant drop"
    lines = [f"## thinkbench gate: {verdict}", "",
             f"Baseline `{baseline}`, candidate `{candidate}`. A point fails when the candidate is more than "
             f"{max_drop:g} below the baseline and the drop is significant at alpha = {alpha:g} (per comparison; "
             "paired bootstrap over problems, exact McNemar for single pass/fail samples).", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def junit(rows: list[GateRow], baseline: str, candidate: str, max_drop: float, alpha: float) -> str:
    suite = ET.Element("testsuite", name="thinkbench gate", tests=str(len(rows)),
                       failures=str(sum(r.status == "FAIL" for r in rows)),
                       skipped=str(sum(r.status == "skipped" for r in rows)))
    props = ET.SubElement(suite, "properties")
    for name, value in (("baseline", baseline), ("candidate", candidate), ("max_drop", max_drop), ("alpha", alpha)):
        ET.SubElement(props, "property", name=name, value=str(value))
    for row in rows:
        task, strategy = row.key[:2]
        case = ET.SubElement(suite, "testcase", classname=f"{task}.{strategy}", name=row.name)
        detail = " | ".join(f"{h}: {c}" for h, c in zip(HEADER, _cells(row)) if c)
        if row.status == "FAIL":
            ET.SubElement(case, "failure", message=row.note).text = detail
        elif row.status == "skipped":
            ET.SubElement(case, "skipped", message=row.note)
        else:
            ET.SubElement(case, "system-out").text = detail
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def main(baseline: Path | None, candidate: Path, max_drop: float, alpha: float, junit_path: Path | None,
         markdown_path: Path | None, save_to: Path | None) -> int:
    """The `thinkbench gate` command: 1 when some point fails, else 0 (bad input raises InputError)."""
    if save_to is not None:
        print(f"baseline: {save_baseline(candidate, save_to)}")
        return 0
    if baseline is None:
        raise InputError("gate: needs --baseline RUN_DIR|BASELINE.json (or --save-baseline OUT.json)")
    if not baseline.exists():
        raise InputError(f"{baseline}: no such run folder or baseline JSON")
    rows = gate(load_side(baseline), load_side(candidate), max_drop, alpha)
    print(text_table(rows), end="")
    junit_path = junit_path or candidate / "gate.xml"
    markdown_path = markdown_path or candidate / "gate.md"
    junit_path.write_text(junit(rows, str(baseline), str(candidate), max_drop, alpha))
    markdown_path.write_text(markdown(rows, str(baseline), str(candidate), max_drop, alpha))
    failed = sum(r.status == "FAIL" for r in rows)
    print(f"{'FAIL' if failed else 'PASS'}: {failed} significant drop(s) larger than {max_drop:g}; "
          f"wrote {junit_path} and {markdown_path}")
    return 1 if failed else 0
