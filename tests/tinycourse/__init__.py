"""A second course, as small as one can be: two hooks, a reference, three cases.

It proves the seam: the engine that grades Lecture 1 grades this course too,
unchanged, when ``HARNESS_COURSE=tinycourse`` (with ``tests/`` on
``PYTHONPATH``); nothing in ``harness/`` knows it (tests/test_second_course.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.grading.cases import make_task, value_case
from harness.grading.model import Case, Mistake, Task

CONTRACT = "tinycourse.contract"
REFERENCE = "tinycourse.reference"
FORBIDDEN = {"tinycourse": "the tiny course (its tasks and reference)"}


def _double_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    return [value_case(task, "fixed", "small", {"x": np.array([1.0, -2.5, 0.0])}, note="three numbers"),
            value_case(task, "hidden", "random-1", {"x": rng.normal(size=7)}, note="random, 7 numbers")]


def _min_max_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    return [value_case(task, "fixed", "small", {"x": np.array([3.0, -1.0, 2.0])}, note="three numbers")]


def _swapped(x: Any, **_: Any) -> list[float]:
    return [float(np.max(x)), float(np.min(x))]


def all_tasks() -> list[Task]:
    return [
        make_task("double", "arithmetic", 1, "Tiny course, page 1", _double_cases, sizes=()),
        make_task("min_max", "arithmetic", 2, "Tiny course, page 2", _min_max_cases, sizes=(),
                  mistakes=[Mistake("swapped", "lo is the smallest element, hi the largest", _swapped)]),
    ]
