"""Open thinkbench's HTML pages in headless Chromium (Debian's package, driven by playwright) from
file:// URLs with the network cut off, and use them as a reader would."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from thinkbench.reports.problems import natural_key

# Flags from ../shared/ENVIRONMENT.md: headless Chromium in a container, talking to nothing.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (apt-get install chromium; `make system-packages` does it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; it is in the test extra)")
    return path


@dataclass
class Page:
    page: object  # playwright Page
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every non-file:// request the page tried


@contextmanager
def offline_page(html: Path):
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            seen = Page(context.new_page())

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    seen.requests.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            seen.page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
            seen.page.on("pageerror", lambda e: seen.errors.append(str(e)))
            seen.page.goto(html.resolve().as_uri())
            seen.page.wait_for_load_state("load")
            yield seen
        finally:
            browser.close()


def exercise_report(html: Path, screenshots: Path, samples_in_first_problem: int) -> None:
    """Charts are drawn with data points, a legend button hides and restores its series, hover
    shows values, the measure switch redraws, the filter and sort work, and opening a problem
    shows its samples and, on demand, a sample's text."""
    from playwright.sync_api import expect

    screenshots.mkdir(parents=True, exist_ok=True)
    with offline_page(html) as seen:
        page = seen.page
        charts = page.locator(".tb-chart")
        assert charts.count() >= 2
        first = charts.first
        points = first.locator("circle.tb-point")
        drawn = points.count()
        assert drawn > 0 and first.locator("svg polyline").count() > 0
        toggle = first.locator(".tb-toggle").first
        series = toggle.inner_text().removesuffix(" (oracle)")
        in_series = first.locator(f'g.tb-series[data-series="{series}"] circle.tb-point').count()
        toggle.click()
        assert first.locator(".tb-toggle").first.get_attribute("aria-pressed") == "false"
        assert points.count() == drawn - in_series
        assert first.locator(f'g.tb-series[data-series="{series}"]').count() == 0
        first.locator(".tb-toggle").first.click()
        assert points.count() == drawn

        points.last.hover()  # drawn last, so on top of any point it overlaps
        tip = first.locator(".tb-tip")
        assert tip.is_visible() and "[" in tip.inner_text()

        compute = page.locator(".tb-chart:has(select.tb-measure)").first
        options = compute.locator("select.tb-measure option")
        compute.locator("select.tb-measure").select_option(index=options.count() - 1)
        assert compute.locator("circle.tb-point").count() > 0
        assert compute.locator("circle.tb-frontier-point").count() > 0

        rows = page.locator("table.problems tr.problem")
        total = rows.count()
        controls = page.locator(".controls").first
        controls.locator(".solved-filter").select_option("none")
        visible = page.locator("table.problems tr.problem:visible")
        assert all(r.get_attribute("data-solved") == "none" for r in visible.all())
        controls.locator(".solved-filter").select_option("any")
        assert visible.count() == total

        page.locator("table.problems th[data-key=id]").first.click()
        page.locator("table.problems th[data-key=id]").first.click()
        ids = [r.get_attribute("data-pid") for r in rows.all()]
        assert ids == sorted(ids, key=natural_key, reverse=True)

        rows.first.click()
        samples = page.locator("tr.detail tr.sample")
        samples.first.wait_for()
        assert samples.count() == samples_in_first_problem
        assert page.locator("tr.detail pre").count() >= 1  # the prompt
        texts = page.locator("tr.detail tr.sample pre.answer")
        assert texts.count() == 0  # sample texts are built only when asked for
        samples.first.locator("summary").first.click()
        expect(texts).to_have_count(1)  # the details' toggle event fires after the click returns
        assert texts.first.inner_text().strip()
        page.screenshot(path=str(screenshots / f"{html.parent.name}-report.png"), full_page=True)
        assert seen.errors == [] and seen.requests == []


def exercise_leaderboard(html: Path, screenshots: Path) -> None:
    screenshots.mkdir(parents=True, exist_ok=True)
    with offline_page(html) as seen:
        page = seen.page
        assert page.locator("table.leaderboard tr").count() > 1
        assert page.locator(".tb-chart circle.tb-point").count() > 0
        for href in page.locator("table.leaderboard a").evaluate_all("links => links.map(a => a.href)"):
            url = urlparse(href)
            assert url.scheme == "file" and Path(unquote(url.path)).exists()
        page.screenshot(path=str(screenshots / "leaderboard.png"), full_page=True)
        assert seen.errors == [] and seen.requests == []


def open_largest_problem(html: Path, screenshots: Path) -> dict:
    """Open the problem with the most generated tokens, then its longest sample, unfold its thinking,
    and return what the page shows: the problem id, the sample's index, its text (thinking and
    answer as shown, joined), the verdict line and the highlighted spans."""
    screenshots.mkdir(parents=True, exist_ok=True)
    with offline_page(html) as seen:
        page = seen.page
        rows = page.locator("table.problems tr.problem")
        tokens = rows.evaluate_all("rs => rs.map(r => +r.querySelector('td[data-tokens]').dataset.tokens)")
        largest = rows.nth(max(range(len(tokens)), key=tokens.__getitem__))
        pid = largest.get_attribute("data-pid")
        largest.click()
        samples = page.locator("tr.detail tr.sample")
        samples.first.wait_for()
        lengths = samples.evaluate_all("rs => rs.map(r => +r.children[5].textContent)")
        sample = samples.nth(max(range(len(lengths)), key=lengths.__getitem__))
        index = int(sample.locator("td").nth(1).inner_text())
        sample.locator("summary").first.click()
        view = sample.locator(".sample-view")
        view.wait_for()
        thinking = view.locator("details.thinking")
        if thinking.count():
            thinking.locator("summary").click()
        shown = {"problem_id": pid, "sample": index, "verdict": view.locator(".verdict-line").inner_text(),
                 "text": "".join(view.locator("pre").all_text_contents()),
                 "marked": view.locator("pre.answer mark").all_text_contents()}
        page.screenshot(path=str(screenshots / f"{html.parent.name}-largest.png"))
        assert seen.errors == [] and seen.requests == []
    return shown
