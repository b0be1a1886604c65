"""The long-trace pool: 500 problems x 64 samples of about 8k tokens (about 1 GB of text), built from
generated text without an engine, then the store's size against its raw text, the time to write the
report and its size, and the report in headless Chromium: first paint, every chart drawn, and one
sample of the largest problem opened. Run as a subprocess; prints one JSON line.

    python -m bench.long_traces [PROBLEMS SAMPLES MEAN_TOKENS]   # a smaller pool for a quick look

The text stands in for reasoning traces: sentences of reasoning phrases, formulas with random
numbers and made-up words, drawn from a bank. Its zlib ratio (printed) is about that of MATH-500's
human solutions (0.35 in 32 kB pieces), denser than real model traces, which repeat themselves more:
the store's ratio here is on the safe side.
"""
from __future__ import annotations

import json
import math
import random
import resource
import string
import sys
import tempfile
import time
import zlib
from pathlib import Path

from thinkbench.harness.engine.base import GenOutput
from thinkbench.reports.bench import synthetic_run
from thinkbench.reports.html import write_report
from thinkbench.reports.problems import SAMPLES_DIR

PROBLEMS, SAMPLES, MEAN_TOKENS = 500, 64, 8000
MAX_TOKENS = 12288  # about one trace in nine runs past it: the cut warning shows
CHARS_PER_TOKEN = 4
_SIGMA = 0.45  # of log thinking length
# Headless Chromium as in ../shared/ENVIRONMENT.md (and tests/report_browser.py).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

_OPEN = ["So", "Now", "Then", "Next,", "Hmm,", "Wait,", "Alternatively,", "Let me check:", "That means", "Okay,",
         "But", "Therefore", "Hence", "Actually,", "First,", "Also,"]
_VERBS = ["we get", "I have", "this gives", "it follows that", "substituting gives", "simplifying,", "expanding,",
          "we need", "the equation becomes", "so", "I compute", "which means", "plugging in,"]
_NOUNS = ["the sum", "the product", "the area", "the remainder", "the total", "x", "y", "n", "the ratio",
          "the denominator", "the discriminant", "the slope", "the number of ways", "the perimeter", "the radius"]
_TAILS = ["Let me double-check that.", "That seems right.", "Hmm, that doesn't look right.",
          "Let me verify with another approach.", "So far so good.", "Wait, I made a mistake earlier.",
          "Let me recompute.", "", "\n\n"]


class TraceWriter:
    """Reasoning-like traces of a given length from a bank of generated sentences, and a count of
    the raw bytes written."""

    def __init__(self, seed: int = 0, mean_tokens: int = MEAN_TOKENS) -> None:
        rng = random.Random(seed)
        words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 8))) for _ in range(4000)]
        weights = [1 / math.sqrt(i + 1) for i in range(len(words))]

        def formula() -> str:
            a, b = rng.randint(2, 99), rng.randint(2, 99)
            return rng.choice([f"${a}x + {b} = {rng.randint(1, 999)}$", f"$\\frac{{{a}}}{{{b}}}$",
                               f"${a} \\cdot {b} = {a * b}$", f"$x^2 - {a}x + {b} = 0$", f"$\\sqrt{{{a}}}$",
                               f"${a} + {b} = {a + b}$", f"$({a} - {b})^2$", str(rng.randint(1, 999))])

        self.bank = [f"{rng.choice(_OPEN)} {rng.choice(_VERBS)} {rng.choice(_NOUNS)} "
                     f"{' '.join(rng.choices(words, weights, k=9))} is {formula()}, and {rng.choice(_NOUNS)} "
                     f"{rng.choice(_VERBS)} {formula()}. {rng.choice(_TAILS)}" for _ in range(6000)]
        self.mean_chars = sum(map(len, self.bank)) / len(self.bank) + 1
        # lognormal thinking lengths with the given mean
        self.mu = math.log(mean_tokens) - _SIGMA ** 2 / 2
        self.raw_bytes = 0

    def _thinking(self, rng: random.Random, chars: int) -> str:
        text = " ".join(rng.choices(self.bank, k=int(chars / self.mean_chars) + 2))
        return text[:chars]

    def sample(self, rng: random.Random, answer: str) -> GenOutput:
        thinking = int(rng.lognormvariate(self.mu, _SIGMA))
        reply = f"\n</think>\n\nAfter all that, the final answer is $\\boxed{{{answer}}}$."
        if thinking * CHARS_PER_TOKEN + len(reply) > MAX_TOKENS * CHARS_PER_TOKEN:
            text, tokens, finish = "<think>\n" + self._thinking(rng, MAX_TOKENS * CHARS_PER_TOKEN - 8), MAX_TOKENS, \
                "length"
        else:
            text = "<think>\n" + self._thinking(rng, thinking * CHARS_PER_TOKEN) + reply
            tokens, finish = len(text) // CHARS_PER_TOKEN, "stop"
        self.raw_bytes += len(text.encode())
        return GenOutput(text, tokens, finish)

    def zlib_ratio(self, pieces: int = 50) -> float:
        rng = random.Random(1)
        texts = [self._thinking(rng, 32_000).encode() for _ in range(pieces)]
        return sum(len(zlib.compress(t, 6)) for t in texts) / sum(map(len, texts))


def browser_figures(html: Path) -> dict:
    """Headless Chromium from file:// with the network cut: first paint, load, every chart drawn;
    then the largest problem (most generated tokens) opened and one of its samples shown whole."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(offline=True, viewport={"width": 1280, "height": 900}).new_page()
            start = time.perf_counter()
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_function("[...document.querySelectorAll('.tb-chart')].every(c => c.querySelector('svg'))")
            drawn = time.perf_counter() - start
            paint = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000
            loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
            charts = page.locator(".tb-chart").count()
            rows = page.locator("tr.problem")
            tokens = rows.evaluate_all("rs => rs.map(r => +r.querySelector('td[data-tokens]').dataset.tokens)")
            largest = rows.nth(max(range(len(tokens)), key=tokens.__getitem__))
            start = time.perf_counter()
            largest.click()
            sample = page.locator("tr.detail tr.sample").first
            sample.wait_for()
            sample.locator("summary").first.click()
            page.locator("tr.detail pre.answer").first.wait_for()
            opened = time.perf_counter() - start
        finally:
            browser.close()
    return {"first_paint_seconds": paint, "load_seconds": loaded, "charts_drawn_seconds": drawn, "charts": charts,
            "open_largest_problem_seconds": opened}


def measure(out: Path, problems: int, samples: int, mean_tokens: int) -> dict:
    writer = TraceWriter(mean_tokens=mean_tokens)
    start = time.perf_counter()
    run_dir = synthetic_run(out / "long", problems, samples, sample=writer.sample)
    build = time.perf_counter() - start
    store_bytes = sum(f.stat().st_size for f in run_dir.glob("store.sqlite*"))
    start = time.perf_counter()
    page = write_report(run_dir)
    report = time.perf_counter() - start
    return {"problems": problems, "samples": samples, "mean_tokens": mean_tokens, "max_tokens": MAX_TOKENS,
            "raw_text_bytes": writer.raw_bytes, "text_zlib_ratio": writer.zlib_ratio(), "build_seconds": build,
            "store_bytes": store_bytes, "report_seconds": report, "report_bytes": page.stat().st_size,
            "sample_files_bytes": sum(f.stat().st_size for f in (run_dir / SAMPLES_DIR).rglob("*.js")),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            **browser_figures(page)}


if __name__ == "__main__":
    size = [int(a) for a in sys.argv[1:4]] or [PROBLEMS, SAMPLES, MEAN_TOKENS]
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(Path(tmp), *size)))
