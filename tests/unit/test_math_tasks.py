"""The math task files against the dataset mirror: ids, golds, prompts; and `data pull`."""
import json

import pytest

from thinkbench.harness import data
from thinkbench.harness.cli import main
from thinkbench.harness.task import load_task


@pytest.mark.parametrize("name, size, first_id", [
    ("gsm8k", 1319, "0"), ("math500", 500, "test/precalculus/807.json"), ("aime24", 30, "60"),
    ("aime25", 30, "2025-I-1"),
])
def test_tasks_load_from_the_mirror_with_stable_ids(data_dir, name, size, first_id):
    problems = load_task(name).problems(data_dir)
    assert len(problems) == size and problems[0].id == first_id
    assert len({p.id for p in problems}) == size
    assert all("\\boxed{ANSWER}" in p.prompt for p in problems[:5])


def test_gsm8k_gold_is_the_number_after_the_hashes(data_dir):
    problem = load_task("gsm8k").problems(data_dir, limit=1)[0]
    assert problem.gold == "18"


def test_math500_keeps_level_and_subject(data_dir):
    problem = load_task("math500").problems(data_dir, limit=1)[0]
    assert problem.meta == {"level": 2, "subject": "Precalculus"}


def test_a_missing_mirror_file_means_unavailable_not_broken(tmp_path):
    with pytest.raises(data.DataUnavailable, match="no mirror file"):
        load_task("gsm8k").problems(tmp_path)


def test_data_pull_writes_the_mirror_layout(tmp_path, monkeypatch):
    rows = [{"question": "1+1?", "answer": "so #### 2"}]
    monkeypatch.setattr(data, "_load_from_hub", lambda hub, config, split: rows)
    assert main(["data", "pull", "gsm8k", "--to", str(tmp_path)]) == 0
    path = tmp_path / "openai" / "gsm8k" / "main" / "test.jsonl"
    assert [json.loads(line) for line in path.read_text().splitlines()] == rows
    assert load_task("gsm8k").problems(tmp_path)[0].gold == "2"
