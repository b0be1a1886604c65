"""`thinkbench gate`: does a candidate run fall significantly below a baseline?

Each task x strategy x point (metric at a k or budget) is compared problem by problem (harness.metrics.
paired: one-sided exact McNemar where every value is a single pass/fail, else a z-test on the mean
difference). A point fails only when its drop is larger than the tolerance *and* significant. The gate
compares many points at once, so by default significance is Holm's over all of them (the chance of
any false alarm stays below alpha); `per_point_alpha` tests each at alpha on its own. Each comparison
also says the smallest drop it can detect, and flags one too small to detect the tolerance. Different
problem sets, a baseline point the candidate lacks, or a point without per-problem values are bad
input rather than a pass or a fail.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from thinkbench.harness.errors import InputError
from thinkbench.harness.metrics.paired import POWER, PairedComparison, compare, holm
from thinkbench.reports.run_folder import RunFolder, load_run, model_label

BASELINE_FORMAT = "thinkbench-gate-baseline/1"
# Six decimals keep a committed baseline small; a rounding of 5e-7 cannot move a verdict.
_DECIMALS = 6

PointKey = tuple[str, str, str, str, float]  # task, strategy, metric, axis, x


@dataclass
class GateSide:
    """What one side of the comparison offers: every point's per-problem values."""

    source: str
    problem_sets: dict[str, str]  # task -> problems_sha256
    names: dict[PointKey, str] = field(default_factory=dict)  # every point -> its display name
    values: dict[PointKey, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class GateRow:
    key: PointKey
    name: str
    status: str  # "ok", "FAIL" or "skipped" (a candidate point the baseline lacks)
    note: str
    comparison: PairedComparison | None = None
    p_value: float | None = None  # what significance is judged on: Holm-adjusted, or per point
    detectable: float | None = None  # the smallest drop detectable at the power POWER


def _side(run: RunFolder) -> GateSide:
    if (missing := run.without_values()) is not None:
        raise InputError(missing)
    side = GateSide(str(run.path), dict(zip(run.results["task"], run.results["problems_sha256"])))
    for _, p in run.points.iterrows():
        key = (p["task"], p["strategy"], p["metric"], p["axis"], float(p["x"]))
        side.names[key] = p["name"]
        side.values[key] = p["per_problem"]
    return side


def save_baseline(run_dir: Path, out: Path) -> Path:
    """A small JSON holding what the gate needs from a run: problem sets and per-problem values."""
    run = load_run(run_dir)
    side = _side(run)
    tasks: dict[str, dict] = {t: {"problems_sha256": sha, "points": []} for t, sha in side.problem_sets.items()}
    for key, name in side.names.items():
        task, strategy, metric, axis, x = key
        tasks[task]["points"].append({
            "strategy": strategy, "metric": metric, "axis": axis, "x": x, "name": name,
            "values": {pid: round(v, _DECIMALS) for pid, v in sorted(side.values[key].items())},
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
    side = GateSide(str(path), {})
    for task, entry in (data.get("tasks") or {}).items():
        where = f"{path}: tasks.{task}"
        if not isinstance(entry, dict) or not isinstance(entry.get("problems_sha256"), str):
            raise InputError(f"{where}.problems_sha256: missing")
        side.problem_sets[task] = entry["problems_sha256"]
        for i, p in enumerate(entry.get("points") or []):
            try:
                key = (task, str(p["strategy"]), str(p["metric"]), str(p["axis"]), float(p["x"]))
                side.names[key] = str(p.get("name") or p["metric"])
                side.values[key] = {str(pid): float(v) for pid, v in p["values"].items()}
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise InputError(f"{where}.points[{i}]: malformed ({e!r}); a baseline saved from a run folder "
                                 "without per-problem values has none: save it again from a rescored folder") from None
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


@dataclass(frozen=True)
class GateSettings:
    max_drop: float = 0.02  # the tolerated drop
    alpha: float = 0.05  # the chance of any false alarm (Holm), or of one per point (per_point_alpha)
    per_point_alpha: bool = False

    def __post_init__(self) -> None:
        if not self.max_drop >= 0:
            raise InputError(f"--max-drop: must be >= 0, got {self.max_drop}")
        if not 0 < self.alpha < 1:
            raise InputError(f"--alpha: must be in (0, 1), got {self.alpha}")

    def describe(self) -> str:
        scope = "at alpha per point" if self.per_point_alpha else "with Holm's correction over all compared points"
        return (f"A point fails when the candidate is more than {self.max_drop:g} below the baseline and the drop is "
                f"significant at alpha = {self.alpha:g} {scope} (one-sided; exact McNemar for single pass/fail "
                f"values, else a z-test on the paired differences). `detectable` is the smallest drop caught with "
                f"probability {POWER:g} at that level.")


def gate(baseline: GateSide, candidate: GateSide, settings: GateSettings) -> list[GateRow]:
    _check_problem_sets(baseline, candidate)
    compared: list[tuple[PointKey, str, PairedComparison]] = []
    for key, name in baseline.names.items():
        if key not in candidate.names:
            task, strategy = key[:2]
            raise InputError(f"{candidate.source}: has no point {task}/{strategy} {name}, which the baseline has")
        try:
            compared.append((key, name, compare(baseline.values[key], candidate.values[key])))
        except ValueError as e:
            raise InputError(f"{key[0]}/{key[1]} {name}: {e}") from None
    raw = [c.p_value for _, _, c in compared]
    p_values = raw if settings.per_point_alpha else holm(raw)
    # Holm tests the most significant point at alpha / m: a drop detectable there is detectable
    # whatever the other points do.
    level = settings.alpha if settings.per_point_alpha else settings.alpha / max(len(compared), 1)
    rows = [_row(key, name, c, p, settings, level) for (key, name, c), p in zip(compared, p_values)]
    for key, name in candidate.names.items():
        if key not in baseline.names:
            rows.append(GateRow(key, name, "skipped", "not in the baseline"))
    return rows


def _row(key: PointKey, name: str, c: PairedComparison, p: float, settings: GateSettings, level: float) -> GateRow:
    drop, max_drop = c.baseline - c.candidate, settings.max_drop
    detectable = c.detectable_drop(level)
    test = f"{c.test}, {'' if settings.per_point_alpha else 'Holm '}p={p:.3g}"
    if drop > max_drop and p <= settings.alpha:
        return GateRow(key, name, "FAIL", f"drop {drop:.3f} > {max_drop:g} and significant ({test})", c, p, detectable)
    if drop > max_drop:
        note = f"drop {drop:.3f} > {max_drop:g} but not significant ({test})"
    elif drop > 0:
        note = f"drop {drop:.3f} within tolerance"
    else:
        note = "no drop"
    if max_drop > 0 and detectable > max_drop:
        note += f"; underpowered: needs about {c.problems_needed(max_drop, level)} problems to detect {max_drop:g}"
    return GateRow(key, name, "ok", note, c, p, detectable)


HEADER = ["task", "strategy", "point", "baseline", "candidate", "difference [CI]", "p", "detectable", "status", "why"]


def _cells(row: GateRow, alpha: float) -> list[str]:
    task, strategy = row.key[:2]
    c = row.comparison
    if c is None:
        return [task, strategy, row.name, "", "", "", "", "", row.status, row.note]
    low, high = c.interval(alpha)
    diff = f"{c.diff:+.3f} [{low:+.3f}, {high:+.3f}]"
    return [task, strategy, row.name, f"{c.baseline:.3f}", f"{c.candidate:.3f}", diff, f"{row.p_value:.3g}",
            f"{row.detectable:.3f}", row.status, row.note]


def text_table(rows: list[GateRow], settings: GateSettings) -> str:
    table = [HEADER] + [_cells(r, settings.alpha) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in table) + "\n"


def markdown(rows: list[GateRow], baseline: str, candidate: str, settings: GateSettings) -> str:
    failed = sum(r.status == "FAIL" for r in rows)
    verdict = f"**FAIL**: {failed} significant drop(s)" if failed else "**PASS**: no significant drop"
    lines = [f"## thinkbench gate: {verdict}", "",
             f"Baseline `{baseline}`, candidate `{candidate}`. {settings.describe()}", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r, settings.alpha)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def junit(rows: list[GateRow], baseline: str, candidate: str, settings: GateSettings) -> str:
    suite = ET.Element("testsuite", name="thinkbench gate", tests=str(len(rows)),
                       failures=str(sum(r.status == "FAIL" for r in rows)),
                       skipped=str(sum(r.status == "skipped" for r in rows)))
    props = ET.SubElement(suite, "properties")
    for name, value in (("baseline", baseline), ("candidate", candidate), ("max_drop", settings.max_drop),
                        ("alpha", settings.alpha), ("per_point_alpha", settings.per_point_alpha)):
        ET.SubElement(props, "property", name=name, value=str(value))
    for row in rows:
        task, strategy = row.key[:2]
        case = ET.SubElement(suite, "testcase", classname=f"{task}.{strategy}", name=row.name)
        detail = " | ".join(f"{h}: {c}" for h, c in zip(HEADER, _cells(row, settings.alpha)) if c)
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


def main(baseline: Path | None, candidate: Path, settings: GateSettings, junit_path: Path | None,
         markdown_path: Path | None, save_to: Path | None) -> int:
    """The `thinkbench gate` command: 1 when some point fails, else 0 (bad input raises InputError)."""
    if save_to is not None:
        print(f"baseline: {save_baseline(candidate, save_to)}")
        return 0
    if baseline is None:
        raise InputError("gate: needs --baseline RUN_DIR|BASELINE.json (or --save-baseline OUT.json)")
    if not baseline.exists():
        raise InputError(f"{baseline}: no such run folder or baseline JSON")
    rows = gate(load_side(baseline), load_side(candidate), settings)
    print(text_table(rows, settings), end="")
    junit_path = junit_path or candidate / "gate.xml"
    markdown_path = markdown_path or candidate / "gate.md"
    junit_path.write_text(junit(rows, str(baseline), str(candidate), settings))
    markdown_path.write_text(markdown(rows, str(baseline), str(candidate), settings))
    failed = sum(r.status == "FAIL" for r in rows)
    underpowered = sum("underpowered" in r.note for r in rows)
    print(f"{'FAIL' if failed else 'PASS'}: {failed} significant drop(s) larger than {settings.max_drop:g}"
          f"{f'; {underpowered} underpowered comparison(s)' if underpowered else ''}; "
          f"wrote {junit_path} and {markdown_path}")
    return 1 if failed else 0
