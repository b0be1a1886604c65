from thinkbench.harness.task import load_task


def test_problems_depend_only_on_seed_level_and_index():
    task = load_task("arith")
    few = task.with_options({"per_level": 2}).problems(None)
    more = task.with_options({"per_level": 5}).problems(None)
    assert {p.id: p.prompt for p in few}.items() <= {p.id: p.prompt for p in more}.items()
    other_seed = task.with_options({"per_level": 2, "seed": 1}).problems(None)
    assert [p.prompt for p in other_seed] != [p.prompt for p in few]


def test_answers_are_exact_and_levels_are_mixed_under_a_limit():
    problems = load_task("arith").with_options({"levels": [1, 2, 5], "per_level": 4}).problems(None, limit=6)
    assert {p.meta["level"] for p in problems} == {1, 2, 5}
    for p in problems:
        expression = p.prompt.split("What is ")[1].split("?")[0]
        assert int(p.gold) == eval(expression)  # the generated expressions are plain integer arithmetic
    assert "\\boxed{" in problems[0].prompt
