"""Task hook for `arith`: arithmetic problems generated from a seed, with exact answers.

Each problem depends only on (seed, level, index), so asking for more problems per level keeps
the earlier ones and their ids.
"""
from __future__ import annotations

import random
from typing import Callable

from thinkbench.harness.errors import InputError

_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon"]
_ITEMS = ["apples", "pencils", "marbles", "stickers", "books", "cookies", "cards", "shells"]


def _one_digit_addition(r: random.Random) -> tuple[str, int]:
    a, b = r.randint(1, 9), r.randint(1, 9)
    return f"What is {a} + {b}?", a + b


def _two_digit_addition(r: random.Random) -> tuple[str, int]:
    a, b = r.randint(10, 99), r.randint(10, 99)
    return f"What is {a} + {b}?", a + b


def _one_step_word(r: random.Random) -> tuple[str, int]:
    name, item = r.choice(_NAMES), r.choice(_ITEMS)
    a, b = r.randint(5, 30), r.randint(2, 15)
    if r.random() < 0.5:
        return f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?", a + b
    a += b
    return f"{name} has {a} {item} and gives away {b}. How many {item} does {name} have left?", a - b


def _subtract_or_multiply(r: random.Random) -> tuple[str, int]:
    if r.random() < 0.5:
        a, b = r.randint(50, 99), r.randint(10, 49)
        return f"What is {a} - {b}?", a - b
    a, b = r.randint(11, 99), r.randint(2, 9)
    return f"What is {a} * {b}?", a * b


def _two_step_expression(r: random.Random) -> tuple[str, int]:
    a, b, c = r.randint(2, 20), r.randint(2, 9), r.randint(2, 9)
    return f"What is {a} + {b} * {c}?", a + b * c


def _two_step_word(r: random.Random) -> tuple[str, int]:
    name, item = r.choice(_NAMES), r.choice(_ITEMS)
    boxes, per_box, extra = r.randint(2, 9), r.randint(2, 12), r.randint(1, 20)
    question = (f"{name} buys {boxes} boxes of {item} with {per_box} {item} in each box, "
                f"and already had {extra} {item}. How many {item} does {name} have now?")
    return question, boxes * per_box + extra


LEVELS: dict[int, Callable[[random.Random], tuple[str, int]]] = {
    1: _one_digit_addition,
    2: _two_digit_addition,
    3: _one_step_word,
    4: _subtract_or_multiply,
    5: _two_step_expression,
    6: _two_step_word,
}


def load_rows(dataset, data_dir) -> list[dict]:
    options = dataset.options
    levels, per_level, seed = options.get("levels", [1, 2, 3]), options.get("per_level", 10), options.get("seed", 0)
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not isinstance(per_level, int) or per_level < 1:
        raise InputError(f"task arith: options need levels from {sorted(LEVELS)} and per_level >= 1 "
                         f"(got levels={levels}, per_level={per_level})")
    rows = []
    for index in range(per_level):  # interleave levels so --limit keeps a mix of difficulties
        for level in levels:
            question, answer = LEVELS[level](random.Random(f"{seed}-{level}-{index}"))
            rows.append({"id": f"L{level}-{index}", "question": question, "answer": str(answer), "level": level})
    return rows
