"""Finding the code in a completion, and joining it to a function prompt: pure functions."""
import pytest

from thinkbench.verifiers.code_extract import (body_indent, complete_function, defines_at_top_level, extract_code,
                                    fenced_blocks)

SOLUTION = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize("completion", [
    f"Here you go:\n```python\n{SOLUTION}```\nThat adds them.",
    f"```py\n{SOLUTION}```",
    f"```Python3 title=add.py\n{SOLUTION}```",
    f"~~~python\n{SOLUTION}~~~",
    f"````python\n{SOLUTION}````",
    f"```\n{SOLUTION}```",
])
def test_a_fenced_block_in_any_spelling(completion):
    assert extract_code(completion) == SOLUTION


def test_the_solution_beats_usage_examples_and_tests_that_follow_it():
    completion = (f"```python\n{SOLUTION}```\nExample:\n```python\nprint(add(1, 2))\n```\n"
                  "Tests:\n```python\ndef test_add():\n    assert add(1, 2) == 3\n```\n"
                  "```python\nassert add(2, 2) == 4\n```")
    assert extract_code(completion) == SOLUTION


def test_of_two_solutions_the_last_wins():
    draft = "def add(a, b):\n    return a - b\n"
    assert extract_code(f"```python\n{draft}```\nOops, fixed:\n```python\n{SOLUTION}```") == SOLUTION


def test_a_program_reading_stdin_beats_sample_input_and_output_blocks():
    program = "n = int(input())\nprint(n * 2)\n"
    completion = f"Input:\n```\n3\n1 2 3\n```\n```python\n{program}```\nOutput:\n```\n6\n```"
    assert extract_code(completion) == program


def test_other_languages_are_not_python():
    assert extract_code("```bash\npip install numpy\n```\n```python\nimport numpy\n```") == "import numpy\n"
    assert extract_code("```cpp\nint main() { return 0; }\n```\nThis is C++.") is None


def test_a_block_cut_off_by_the_token_limit_runs_to_the_end():
    assert extract_code("```python\ndef add(a, b):\n    return a") == "def add(a, b):\n    return a\n"
    assert [b.code for b in fenced_blocks("text\n```python\nx = 1\n")] == ["x = 1\n"]


def test_a_fence_closing_on_the_last_code_line():
    assert extract_code("```python\ndef add(a, b):\n    return a + b```") == SOLUTION


def test_a_block_indented_under_a_list_item():
    completion = "1. The function:\n   ```python\n   def add(a, b):\n       return a + b\n   ```\n"
    assert extract_code(completion) == SOLUTION


def test_reasoning_is_skipped():
    completion = "<think>maybe\n```python\ndef add(a, b): pass\n```</think>\n" + f"```python\n{SOLUTION}```"
    assert extract_code(completion) == SOLUTION
    assert extract_code("<think>```python\ndef add(a, b): pass\n```") is None


@pytest.mark.parametrize("completion,code", [
    (SOLUTION, SOLUTION),
    ("    return a + b\n", "    return a + b\n"),  # a completion continuing the prompt
    ("    return a + b\n\nThis adds the numbers.", "    return a + b\n"),
    (f"Here is the function:\n{SOLUTION}\nIt returns the sum.", SOLUTION),
    ("Read n, print double:\nn = int(input())\nprint(n * 2)", "n = int(input())\nprint(n * 2)\n"),
])
def test_bare_code(completion, code):
    assert extract_code(completion) == code


@pytest.mark.parametrize("completion", ["", "   \n", "Sorry", "I don't know how to do that.", "42",
                                        "Use a for loop over the list: it is simple."])
def test_no_code(completion):
    assert extract_code(completion) is None


PROMPT = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs."""\n'


def test_a_body_is_indented_under_the_stub():
    joined = complete_function(PROMPT, "return sum(xs)", "total")
    assert joined == PROMPT + "    return sum(xs)\n"
    assert complete_function(PROMPT, "  s = sum(xs)\n  return s\n", "total").endswith("    s = sum(xs)\n    return s\n")


def test_a_continuation_already_indented_is_kept():
    body = "    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    assert complete_function(PROMPT, body, "total") == PROMPT + body


def test_a_reply_repeating_the_signature_replaces_the_stub_and_keeps_the_imports():
    full = "def total(xs: List[int]) -> int:\n    return sum(xs)\n"
    joined = complete_function(PROMPT, full, "total")
    assert joined.startswith(PROMPT) and joined.endswith(full)
    namespace: dict = {}
    exec(compile(joined, "joined", "exec"), namespace)  # our own strings, not model output
    assert namespace["total"]([1, 2, 3]) == 6


def test_a_function_of_another_name_is_a_body_not_the_answer():
    assert not defines_at_top_level("def helper(xs):\n    return 1\n", "total")
    joined = complete_function(PROMPT, "def helper(xs):\n    return 1\n", "total")
    assert joined.startswith(PROMPT + "    def helper")


def test_top_level_definitions_even_in_code_that_does_not_parse():
    assert defines_at_top_level("def total(xs):\n    return (\n", "total")
    assert not defines_at_top_level("class A:\n    def total(self): pass\n", "total")


def test_body_indent_follows_the_prompt():
    assert body_indent(PROMPT) == "    "
    assert body_indent('def f():\n  """Doc."""\n') == "  "
    assert body_indent("def f():\n") == "    "
