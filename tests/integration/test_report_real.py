"""A real small run on the embedded model ends in a report that opens offline in Chromium, and a
gate of the run against itself passes."""
import pytest
from report_browser import chromium_or_skip, exercise_report

from thinkbench.harness.cli import main
from thinkbench.harness.config import make_run_config
from thinkbench.harness.runner import run
from thinkbench.reports.run_files import write_run_files

pytestmark = pytest.mark.integration


def test_a_real_run_gives_a_report_that_opens_in_the_browser(engine, tmp_path):
    out = tmp_path / "run"
    config = make_run_config({"name": "report-it", "out": str(out), "tasks": [{"name": "arith", "limit": 8}],
                              "strategies": [{"name": "sample", "n": 4, "max_tokens": 64}]}, "test")
    write_run_files(run(config, None, out, engine=engine))
    assert main(["report", str(out)]) == 0
    assert main(["gate", "--baseline", str(out), "--candidate", str(out)]) == 0
    chromium_or_skip()
    exercise_report(out / "report.html", tmp_path / "screenshots", samples_in_first_problem=4)
