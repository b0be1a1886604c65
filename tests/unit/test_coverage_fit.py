"""Coverage scaling-law fits: a curve drawn from a known law is recovered within the fit's intervals."""
import math

import numpy as np
import pytest

from thinkbench.harness.analysis.coverage_fit import PowerLaw, coverage_fit, fit_power_law

KS = [1, 2, 4, 8, 16, 32, 64]


def drawn_from(law: PowerLaw, problems: int, seed: int) -> dict[int, dict[str, float]]:
    """Problems whose first correct sample comes at draw K, with P(K <= k) = exp(a k^b): inverting the law,
    K = max(1, ceil((log U / a)^(1/b))) for U uniform. A problem's pass@k is then 1 when K <= k."""
    rng = np.random.default_rng(seed)
    first = [max(1, math.ceil((math.log(u) / law.a) ** (1 / law.b))) for u in rng.random(problems)]
    return {k: {f"p{i}": float(f <= k) for i, f in enumerate(first)} for k in KS}


def test_a_known_power_law_is_recovered_within_its_interval():
    law = PowerLaw(-2.0, -0.5)
    fit = coverage_fit(drawn_from(law, 600, seed=3))
    assert fit.a.low <= law.a <= fit.a.high
    assert fit.b.low <= law.b <= fit.b.high
    assert fit.a.high - fit.a.low < 0.5 and fit.b.high - fit.b.low < 0.3
    assert fit.k_for_target.low <= law.k_for(0.9) <= fit.k_for_target.high
    # Fitted on k <= 16, it predicts coverage at 64 to within a few points.
    assert fit.held_out.fit_ks == (1, 2, 4, 8, 16)
    assert abs(fit.held_out.error) < 0.05
    assert fit.held_out.predicted.low <= law.coverage(64) <= fit.held_out.predicted.high


def test_an_exact_curve_is_fitted_exactly():
    law = PowerLaw(-1.3, -0.7)
    fitted = fit_power_law(np.array(KS), np.array([law.coverage(k) for k in KS]))
    assert (fitted.a, fitted.b) == pytest.approx((law.a, law.b), rel=5e-3)  # b on a grid 0.7% apart


def test_k_for_a_target():
    law = PowerLaw(-2.0, -0.5)
    assert law.coverage(law.k_for(0.9)) == pytest.approx(0.9)
    assert PowerLaw(-0.01, -0.5).k_for(0.9) == 1.0  # already there at one sample
    assert PowerLaw(-2.0, 0.0).k_for(0.9) == math.inf  # a flat curve never gets there


def test_a_curve_without_coverage_has_no_fit():
    assert coverage_fit({k: {"p1": 0.0, "p2": 0.0} for k in KS}) is None
    with pytest.raises(ValueError, match="same problems"):
        coverage_fit({1: {"p1": 0.5}, 2: {"p2": 0.5}})


def test_too_few_early_points_leave_out_the_held_out_check():
    fit = coverage_fit({1: {"p1": 0.2, "p2": 0.0}, 2: {"p1": 0.4, "p2": 0.1}, 4: {"p1": 0.6, "p2": 0.2}})
    assert fit.held_out is None  # k <= 4/4 is a single point
