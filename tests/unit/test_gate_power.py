"""The gate's promises, checked by simulation on the fake engine: runs of one configuration with
different seeds fail together at most at alpha (Holm over every compared point), and a real drop of
the size the gate says it can detect is caught about as often as its power says."""
import hashlib
import statistics

import pytest
from fakes import FakeEngine
from run_folders import arith_golds, fake_run

import thinkbench.verifiers.grading as grading
from thinkbench.reports.gate import GateSettings, gate, load_side

PER_LEVEL = 15  # 45 problems
STRATEGIES = [{"name": "sample", "n": 4}]
ALPHA = 0.05
DROP = 0.15  # about the drop the gate says it detects in pass@1 with these 45 problems and 4 samples


def _uniform(*parts) -> float:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big") / 2**64


def engine(drop: float) -> FakeEngine:
    """Each problem has its own chance to be solved (0.35 .. 0.95), lowered by `drop`; which samples
    succeed depends on the request's seed, so runs with different seeds draw different samples."""
    golds = arith_golds(PER_LEVEL)

    def answer(request, i):
        prompt = request.messages[0][1]
        solved = _uniform(request.sampling.seed, i) < 0.35 + 0.6 * _uniform(prompt) - drop
        return golds[prompt] if solved else str(int(golds[prompt]) + 1)

    return FakeEngine(answer)


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    root = tmp_path_factory.mktemp("power")

    def runs(drop, seeds):
        return [load_side(fake_run(root, f"d{drop}-s{seed}", per_level=PER_LEVEL, strategies=STRATEGIES,
                                   engine=engine(drop), seed=seed)) for seed in seeds]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading, "POOL_MIN_PAIRS", 10**9)  # integers grade fast inline; worker start-ups would not
        return {"same": runs(0.0, range(30)), "worse": runs(DROP, range(100, 116))}


def test_runs_of_one_configuration_with_different_seeds_fail_at_most_at_alpha(sides):
    same = sides["same"]
    pairs = [(a, b) for i, a in enumerate(same) for b in same[i + 1:]]
    settings = GateSettings(max_drop=0.0, alpha=ALPHA)
    holm = sum(any(r.status == "FAIL" for r in gate(a, b, settings)) for a, b in pairs) / len(pairs)
    per_point = GateSettings(max_drop=0.0, alpha=ALPHA, per_point_alpha=True)
    loose = sum(any(r.status == "FAIL" for r in gate(a, b, per_point)) for a, b in pairs) / len(pairs)
    assert holm <= ALPHA
    assert loose > 2 * ALPHA  # testing each of the six points at alpha alarms far more often


def test_a_drop_of_the_detectable_size_is_caught_at_about_the_promised_power(sides):
    settings = GateSettings(max_drop=0.0, alpha=ALPHA)
    point = ("arith", "sample", "pass@k", "k", 1.0)

    def row(a, b):
        return next(r for r in gate(a, b, settings) if r.key == point)

    same = sides["same"]
    detectable = statistics.median(row(a, b).detectable for a, b in zip(same, same[1:]))
    assert detectable == pytest.approx(DROP, abs=0.02)
    caught = [row(a, b).status == "FAIL" for a in same for b in sides["worse"]]
    assert 0.7 <= sum(caught) / len(caught) <= 0.9
