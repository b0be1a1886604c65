"""A real small run on the embedded model ends in a report that opens offline in Chromium, with its
analysis (compute-optimal policy, coverage fit, adaptive sampling), and a gate of the run against itself
passes."""
import shutil

import pytest
from report_browser import chromium_or_skip, exercise_report
from workloads import SMALL_RUN

from thinkbench.harness.cli import main

pytestmark = pytest.mark.integration


def test_a_real_run_gives_a_report_that_opens_in_the_browser(small_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(small_run[1], out)  # the shared run folder stays as it was
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "Compute-optimal policy per difficulty" in html and "stop at 2 votes" in html
    assert "compute-optimal policy (cross-fitted)" in html  # its curve on the compute chart
    # A fit needs coverage at two k at least; a 135M model may solve nothing at k = 1.
    assert "sample · pass@k fit" in html or "sample: no coverage fit" in html
    assert main(["gate", "--baseline", str(out), "--candidate", str(out)]) == 0
    chromium_or_skip()
    exercise_report(out / "report.html", tmp_path / "screenshots",
                    samples_in_first_problem=SMALL_RUN["strategies"][0]["n"])
