"""A finished run folder read back for reports, leaderboards and the gate: its config, engine and
metric points as a pandas frame, with each point's per-problem values, checked once here so every
reader can trust the fields.

A metric point is plotted against its `budget` when it has one (thinking tokens, beams, rounds, ...)
and against its `k` (samples) otherwise, so any new family of points fits without special cases.
Per-problem values come from per_problem.json (see harness.run_files), or from a point's own
`per_problem` object in metrics.json; folders written by thinkbench 0.1.0 have neither.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from thinkbench.harness.errors import InputError
from thinkbench.reports.run_files import PER_PROBLEM_FORMAT

# A point's per-problem values must average to its value; metrics.json rounds nothing, so only float
# noise may differ.
_AGREEMENT = 1e-9
# Mean compute per problem that a point may carry; a missing or null measure is NaN in the frame.
COMPUTE_FIELDS = ("prompt_tokens", "cached_prompt_tokens", "generated_tokens", "flops", "cost")
POINT_COLUMNS = ["task", "strategy", "metric", "axis", "x", "name", "value", "low", "high", "exact",
                 *COMPUTE_FIELDS, "problems_sha256", "per_problem", "outcomes"]


@dataclass(frozen=True)
class RunFolder:
    path: Path
    name: str
    model: str
    config: dict
    engine: dict
    provenance: dict
    metrics: dict
    results: pd.DataFrame  # one row per task x strategy
    points: pd.DataFrame  # one row per metric point, POINT_COLUMNS; per_problem: {problem id: value} or None

    def without_values(self) -> str | None:
        """Why some point has no per-problem values, with the command that adds them; None when all have."""
        missing = self.points[self.points["per_problem"].isna()]
        if missing.empty:
            return None
        p = missing.iloc[0]
        return (f"{self.path}: {len(missing)} metric point(s), e.g. {p['task']}/{p['strategy']} {p['name']}, have no "
                "per-problem values (a run folder of thinkbench 0.1.0 has no per_problem.json); "
                f"`thinkbench rescore {self.path}` re-scores its stored samples and writes them, generating nothing")


def point_name(metric: str, axis: str, x: float) -> str:
    """"pass@4" for a k-family, "accuracy" for a single sample, "accuracy (budget=512)" otherwise."""
    shown = f"{x:g}"
    if axis == "k" and "@k" in metric:
        return metric.replace("@k", f"@{shown}")
    if axis == "k" and x == 1:
        return metric
    return f"{metric} ({axis}={shown})"


def _read_json(path: Path) -> dict:
    if not path.exists():
        raise InputError(f"{path}: not found (is {path.parent} a finished run folder?)")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not readable JSON ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data


def _number(value, where: str, *, optional: bool = False) -> float:
    if value is None and optional:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _object(value, where: str) -> dict | None:
    """An optional JSON object (fields newer than some run folders)."""
    if value is not None and not isinstance(value, dict):
        raise InputError(f"{where}: expected an object")
    return value


def _point_row(point, result: dict, where: str, stored_values: dict | None) -> dict:
    if not isinstance(point, dict):
        raise InputError(f"{where}: expected an object")
    if point.get("budget") is not None:
        axis, x = "budget", _number(point["budget"], f"{where}.budget")
    elif point.get("k") is not None:
        axis, x = "k", _number(point["k"], f"{where}.k")
    else:
        raise InputError(f"{where}: needs `k` or `budget`")
    metric = _text(point.get("metric"), f"{where}.metric")
    compute = point.get("compute") or {}
    if not isinstance(compute, dict):
        raise InputError(f"{where}.compute: expected an object")
    per_problem = point.get("per_problem", stored_values)
    if per_problem is not None:
        if not (isinstance(per_problem, dict) and per_problem and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in per_problem.values())):
            raise InputError(f"{where}.per_problem: expected an object of problem id -> number")
        per_problem = {str(pid): float(v) for pid, v in per_problem.items()}
    row = {
        "task": result["task"], "strategy": result["strategy"], "metric": metric, "axis": axis, "x": x,
        "name": point_name(metric, axis, x),
        "value": _number(point.get("value"), f"{where}.value"),
        "low": _number(point.get("low"), f"{where}.low"),
        "high": _number(point.get("high"), f"{where}.high"),
        "exact": bool(point.get("exact", True)),
        "problems_sha256": result["problems_sha256"], "per_problem": per_problem,
        "outcomes": _object(point.get("outcomes"), f"{where}.outcomes"),
    }
    for field in COMPUTE_FIELDS:
        row[field] = _number(compute.get(field), f"{where}.compute.{field}", optional=True)
    if per_problem is not None and abs(sum(per_problem.values()) / len(per_problem) - row["value"]) > _AGREEMENT:
        raise InputError(f"{where}.per_problem: the values average to "
                         f"{sum(per_problem.values()) / len(per_problem)!r}, not the point's value {row['value']!r}")
    return row


def _per_problem(path: Path, results: list) -> list[list[dict | None]]:
    """Per result and point (metrics.json's order), {problem id: value} from per_problem.json, or None."""
    if not path.exists():
        return [[None] * len(r.get("points") or []) if isinstance(r, dict) else [] for r in results]
    data = _read_json(path)
    if data.get("format") != PER_PROBLEM_FORMAT:
        raise InputError(f"{path}.format: expected {PER_PROBLEM_FORMAT!r}")
    stored = data.get("results")
    if not isinstance(stored, list) or len(stored) != len(results):
        raise InputError(f"{path}.results: does not match metrics.json (written by another run?)")
    out = []
    for i, (entry, result) in enumerate(zip(stored, results)):
        at = f"{path}.results[{i}]"
        points = (result.get("points") or []) if isinstance(result, dict) else []
        if not isinstance(entry, dict) or not isinstance(result, dict) \
                or [entry.get("task"), entry.get("strategy")] != [result.get("task"), result.get("strategy")] \
                or len(entry.get("points") or []) != len(points):
            raise InputError(f"{at}: does not match metrics.json's results[{i}] (written by another run?)")
        ids = entry.get("problems")
        if not isinstance(ids, list):
            raise InputError(f"{at}.problems: expected a list of problem ids")
        values = []
        for j, (stored_point, point) in enumerate(zip(entry["points"], points)):
            if not isinstance(stored_point, dict) or not isinstance(point, dict) or not isinstance(
                    column := stored_point.get("values"), list) or len(column) != len(ids) or [
                    stored_point.get("metric"), stored_point.get("k")] != [point.get("metric"), point.get("k")]:
                raise InputError(f"{at}.points[{j}]: does not match metrics.json's point")
            values.append({str(pid): v for pid, v in zip(ids, column) if v is not None} or None)
        out.append(values)
    return out


def _frames(metrics: dict, where: str, per_problem_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = metrics.get("results")
    if not isinstance(results, list):
        raise InputError(f"{where}.results: expected a list")
    stored_values = _per_problem(per_problem_path, results)
    result_rows, point_rows = [], []
    for i, result in enumerate(results):
        at = f"{where}.results[{i}]"
        if not isinstance(result, dict):
            raise InputError(f"{at}: expected an object")
        row = {key: _text(result.get(key), f"{at}.{key}") for key in ("task", "strategy", "problems_sha256")}
        for key in ("problems", "samples"):
            row[key] = int(_number(result.get(key), f"{at}.{key}"))
        row["no_answer_rate"] = _number(result.get("no_answer_rate"), f"{at}.no_answer_rate", optional=True)
        row["lengths"] = _object(result.get("lengths"), f"{at}.lengths")
        result_rows.append(row)
        points = result.get("points")
        if not isinstance(points, list):
            raise InputError(f"{at}.points: expected a list")
        point_rows += [_point_row(p, row, f"{at}.points[{j}]", stored_values[i][j]) for j, p in enumerate(points)]
    return pd.DataFrame(result_rows, columns=["task", "strategy", "problems_sha256", "problems", "samples",
                                              "no_answer_rate", "lengths"]), pd.DataFrame(point_rows, columns=POINT_COLUMNS)


def load_run(path: Path) -> RunFolder:
    """Read RUN_DIR/metrics.json (required), config.yaml, engine.json and provenance.json."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a run folder")
    metrics_path = path / "metrics.json"
    metrics = _read_json(metrics_path)
    results, points = _frames(metrics, str(metrics_path), path / "per_problem.json")
    config = {}
    if (path / "config.yaml").exists():
        try:
            config = yaml.safe_load((path / "config.yaml").read_text()) or {}
        except yaml.YAMLError as e:
            raise InputError(f"{path / 'config.yaml'}: not valid YAML ({e})") from None
    engine = _read_json(path / "engine.json") if (path / "engine.json").exists() else {}
    provenance = _read_json(path / "provenance.json") if (path / "provenance.json").exists() else {}
    model = str(engine.get("model") or config.get("model") or "unknown model")
    return RunFolder(path, str(config.get("name") or path.name), model, config, engine, provenance, metrics,
                     results, points)


def model_label(run: RunFolder) -> str:
    """A model folder by its last part; a Hub id as written."""
    model = run.model.rstrip("/")
    return Path(model).name if model.startswith(("/", ".")) else model
