"""The answer judge on the real engine: the embedded model is asked about the answers the rules
reject, and every verdict says who decided it. Two judge calls, one generated token each."""
import json

import pytest

from thinkbench.harness.scoring import Prediction, score, write_verdicts
from thinkbench.harness.task import load_task
from thinkbench.verifiers.judge import AnswerJudge, JudgeSpec

pytestmark = pytest.mark.integration


def test_score_with_the_embedded_model_as_answer_judge(engine, tmp_path):
    predictions = [Prediction(1, r"so \boxed{seven}", None, "7", question="What is 3 + 4?"),
                   Prediction(2, r"so \boxed{x = 8}", None, "7"),
                   Prediction(3, r"so \boxed{7}", None, "7"),
                   Prediction(4, r"so \boxed{8}", None, "7")]
    judge = AnswerJudge(JudgeSpec(), lambda: engine)
    scored = score(load_task("arith"), predictions, tmp_path / "p.jsonl", None, judge)
    verdicts, tally = scored.verdicts, scored.judge
    assert [v.decided_by for v in verdicts] == ["judge", "judge", "rules", "rules"]
    assert verdicts[2].correct and not verdicts[3].correct  # the rules' own verdicts stand
    assert tally.consulted == tally.calls == 2 and tally.prompt_tokens > 100
    rows = [json.loads(line) for line in write_verdicts(predictions, scored, tmp_path / "o").read_text().splitlines()]
    assert [r["decided_by"] for r in rows] == ["judge", "judge", "rules", "rules"]
    assert scored.points[0].metric == "accuracy"
