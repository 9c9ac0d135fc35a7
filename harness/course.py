"""The one seam between the engine and the course it grades: its contract, tasks, reference and bundled plugins.

The engine knows no lecture: every module of ``harness/`` that needs the
course asks here (``tests/test_lint.py`` checks that no other one imports a
course's package, and that none names a hook of Lecture 1). The course is a
module named by the ``HARNESS_COURSE`` environment variable, ``tasks`` (Lecture
1) when it is unset. It provides:

* ``CONTRACT``: the dotted name of its contract, a module of ``@hookspec``
  functions and an ``OUTPUTS`` table (:mod:`harness.worker.contract`); the
  one file of the course a plugin's worker may read;
* ``REFERENCE``: the dotted name of its reference solution, a module with a
  function per hook (expected values come from it, on the trusted side);
* ``all_tasks()``: its :class:`~harness.grading.model.Task` s, in order;

and may provide ``BUNDLED`` (name -> module of its bundled plugins; the one
named :data:`REFERENCE_PLUGIN` is the reference speed is measured against),
``FORBIDDEN`` (top-level package -> what it is: packages a plugin may not use)
and ``reference_cache_dir()`` (where the reference keeps compiled code).
"""

from __future__ import annotations

import importlib
import os
from fnmatch import fnmatchcase
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from harness.worker import contract as _contract

if TYPE_CHECKING:
    from harness.grading.model import Task

#: The environment variable that names the course module, and the course graded without it.
ENV = "HARNESS_COURSE"
DEFAULT = "tasks"
#: The bundled plugin that is the course's reference (speed is a ratio to it).
REFERENCE_PLUGIN = "reference"


def current() -> ModuleType:
    """The course module."""
    return importlib.import_module(os.environ.get(ENV) or DEFAULT)


def all_tasks() -> list[Task]:
    """Every task of the course, in the course's order."""
    return current().all_tasks()


def groups() -> list[str]:
    """The course's task groups, in the order of its tasks."""
    return list(dict.fromkeys(t.group for t in all_tasks()))


def select_tasks(pattern: str | None) -> list[Task]:
    """The tasks whose name or group matches one of the comma-separated fnmatch ``pattern`` s.

    ``None`` selects every task; matching ignores case. A pattern that matches
    nothing raises ``ValueError`` naming it and listing the groups.
    """
    tasks = all_tasks()
    if pattern is None:
        return tasks
    kinds = ", ".join(groups())
    patterns = [p.strip().lower() for p in pattern.split(",") if p.strip()]
    if not patterns:
        raise ValueError(f"empty task pattern {pattern!r}; groups: {kinds}")

    def matches(p: str, task: Task) -> bool:
        return fnmatchcase(task.name, p) or fnmatchcase(task.group, p)

    unknown = [p for p in patterns if not any(matches(p, t) for t in tasks)]
    if unknown:
        examples = ", ".join(dict.fromkeys([tasks[0].name, max(tasks, key=lambda t: t.points).name]))
        raise ValueError(
            f"no task or group matches {', '.join(map(repr, unknown))}; groups: {kinds}; "
            f"tasks are named after the hooks (e.g. {examples}), see `harness list`"
        )
    return [t for t in tasks if any(matches(p, t) for p in patterns)]


def contract() -> ModuleType:
    """The course's contract (its hookspecs), imported on the trusted side."""
    return importlib.import_module(current().CONTRACT)


def contract_file() -> Path:
    """The contract's file: what a worker is told to load, and may read."""
    return Path(contract().__file__).resolve()


def hook_names() -> list[str]:
    """The hooks of the course's contract, in its order."""
    return _contract.hook_names(contract())


def outputs() -> dict[str, tuple[str, ...]]:
    """Hook -> the names of its positional outputs (hooks that return a tuple)."""
    return _contract.outputs(contract())


def reference() -> ModuleType:
    """The course's reference solution (trusted: expected values and checks come from it)."""
    return importlib.import_module(current().REFERENCE)


def bundled() -> dict[str, str]:
    """The course's bundled plugins: name -> module."""
    return dict(getattr(current(), "BUNDLED", {}))


def forbidden() -> dict[str, str]:
    """The course's packages a plugin may not use (top-level name -> what it is)."""
    return dict(getattr(current(), "FORBIDDEN", {}))


def reference_package() -> str:
    """The top-level package of the reference (the bundled reference plugin may use it)."""
    return str(current().REFERENCE).split(".")[0]


def reference_cache_dir() -> Path | None:
    """Where the reference's compiled kernels are cached (its worker may write there), if anywhere."""
    find: Any = getattr(current(), "reference_cache_dir", None)
    return find() if find is not None else None
