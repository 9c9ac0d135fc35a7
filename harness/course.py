"""The one seam between the engine and the course it grades: Lecture 1's ``tasks`` and ``reference``.

Every other module of ``harness/`` reaches the course through these functions
(tests/test_lint.py checks it), so a course is swapped here and nowhere else.
The contract itself (:mod:`harness.hookspecs`) still lives in the engine; see
docs/architecture.md.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from harness.model import Task

#: The package that holds the course's tasks (its ``build`` module: case builders and checks).
TASKS_PACKAGE = "tasks"
#: The package of the course's reference solution (a bundled plugin, never imported by the grader).
REFERENCE_PACKAGE = "reference"


def all_tasks() -> list[Task]:
    """Every task of the course, in the course's order."""
    return importlib.import_module(TASKS_PACKAGE).all_tasks()


def select_tasks(pattern: str | None) -> list[Task]:
    """The tasks matching comma-separated globs of task or group names; ValueError names a bad one."""
    return importlib.import_module(TASKS_PACKAGE).select_tasks(pattern)


def build() -> ModuleType:
    """The course's case builders and value checks (``Printed``, ``Shape``, ``check``, ``task_rng``...)."""
    return importlib.import_module(f"{TASKS_PACKAGE}.build")


def task_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of one task's hidden cases, from (seed, task name) alone."""
    return build().task_rng(seed, name)


def reference_cache_dir() -> Path | None:
    """Where the reference's Numba kernels are cached (its worker may write there), if anywhere."""
    return importlib.import_module(f"{REFERENCE_PACKAGE}._numba_cache")._BASE
