"""The jinja2 environment shared by the HTML pages, its number filters, and safe JSON embedding."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"


def si(value: float | None, digits: int = 3) -> str:
    """1234 -> "1.23k", 5.6e12 -> "5.6T"; blank for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g}{suffix}"
    return f"{value:.{digits}g}"


def interval(value: float, low: float, high: float) -> str:
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def script_json(data) -> str:
    """JSON for a <script type="application/json"> block. "<" occurs only inside JSON strings, where
    its escape reads the same to JSON.parse, and without it "</script>" or "<!--" in a model's
    output would end or confuse the block."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


@lru_cache(maxsize=1)  # compiling the templates takes a second or more; every page shares them
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["si"] = si
    env.filters["interval"] = interval
    env.filters["script_json"] = lambda data: Markup(script_json(data))
    # The page's CSS and JavaScript go in as they are written, not through the template engine.
    env.globals["raw"] = lambda name: Markup((TEMPLATES / name).read_text(encoding="utf-8"))
    return env
