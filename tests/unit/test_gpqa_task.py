"""GPQA Diamond from the official password-protected zip (made-up questions in its column layout)."""
import csv
import shutil
import subprocess

import pytest

from thinkbench.harness.data import DataUnavailable
from thinkbench.harness.task import load_task

COLUMNS = ["Pre-Revision Question", "Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
           "Incorrect Answer 3", "Explanation", "Record ID", "High-level domain"]


@pytest.fixture
def mirror(tmp_path):
    if shutil.which("zip") is None:
        pytest.skip("needs the zip command to build a password-protected zip")
    src = tmp_path / "src" / "dataset"
    src.mkdir(parents=True)
    with (src / "gpqa_diamond.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS)
        writer.writeheader()
        for i in range(6):
            writer.writerow({"Pre-Revision Question": "x", "Question": f"Made-up question {i}: which is right?",
                             "Correct Answer": f"right {i}", "Incorrect Answer 1": f"wrong a{i}",
                             "Incorrect Answer 2": f"wrong b{i}", "Incorrect Answer 3": f"wrong c{i}",
                             "Explanation": "", "Record ID": f"rec{i}", "High-level domain": "Physics"})
    target = tmp_path / "mirror" / "Idavidrein" / "gpqa"
    target.mkdir(parents=True)
    subprocess.run(["zip", "-q", "-P", "deserted-untie-orchid", str(target / "dataset.zip"),
                    "dataset/gpqa_diamond.csv"], cwd=tmp_path / "src", check=True)
    return tmp_path / "mirror"


def test_questions_load_from_the_zip_with_shuffled_choices_and_the_right_letter(mirror):
    problems = load_task("gpqa_diamond").problems(mirror)
    assert [p.id for p in problems] == [f"rec{i}" for i in range(6)]
    for i, p in enumerate(problems):
        choices = p.meta["choices"]
        assert sorted(choices) == sorted([f"right {i}", f"wrong a{i}", f"wrong b{i}", f"wrong c{i}"])
        assert choices["ABCD".index(p.gold)] == f"right {i}"
        assert f"({p.gold}) right {i}" in p.prompt
    assert len({p.gold for p in problems}) > 1, "the correct answer must not always sit in one place"


def test_the_shuffle_is_fixed_per_question(mirror):
    first = load_task("gpqa_diamond").problems(mirror)
    again = load_task("gpqa_diamond").problems(mirror, limit=3)
    assert [p.meta["choices"] for p in again] == [p.meta["choices"] for p in first[:3]]


def test_a_mirror_without_the_zip_skips_the_task(tmp_path):
    with pytest.raises(DataUnavailable, match="dataset.zip"):
        load_task("gpqa_diamond").problems(tmp_path)


def test_letters_are_graded(mirror):
    task = load_task("gpqa_diamond")
    problem = task.problems(mirror)[0]
    wrong = next(letter for letter in "ABCD" if letter != problem.gold)
    assert task.verifier.grade(f"Reasoning...\nAnswer: {problem.gold}", problem.gold).correct
    assert not task.verifier.grade(f"Reasoning...\nAnswer: {wrong}", problem.gold).correct
