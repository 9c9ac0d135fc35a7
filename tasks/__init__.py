"""Lecture 1 of "Neural Networks" as a course the harness grades: one task per hook, in the order of SPEC.md's table.

The engine reaches this module only through :mod:`harness.course` (it is the
default course). ``all_tasks()`` builds every :class:`~harness.grading.model.Task`
(in the student kit: its public cases, stored as data); the contract is
:mod:`contract`, the reference :mod:`reference`. See ``tasks/README.md`` for
points, tolerances, case kinds and known mistakes.
"""

from __future__ import annotations

from pathlib import Path

from harness.grading import kit
from harness.grading.model import Task

#: The hooks a plugin implements (the one module of the course a plugin's worker may read).
CONTRACT = "contract"
#: The reference solution: a Numba function per hook.
REFERENCE = "reference"
#: The bundled plugins (none in the student kit).
BUNDLED = {} if kit.IS_KIT else {
    "reference": "plugins.reference_plugin",
    "numpy": "plugins.numpy_plugin",
    "python": "plugins.python_plugin",
    "torch": "plugins.torch_plugin",
}
#: The course's packages a plugin may not use, and what they are (said when one tries).
FORBIDDEN = {"reference": "the reference solution", "plugins": "a bundled solution",
             "tasks": "the grading tasks (and so the reference solution)"}


#: The lecture's activation names (the MLP hooks' ``activations``), loss names (``cost``, the fits,
#: the MLP hooks) and Huber's delta in the MLP hooks.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
LOSSES = ("l1", "l2", "huber", "logistic")
MLP_DELTA = 1.0


def all_tasks() -> list[Task]:
    """Every task, one per hook, in the order of SPEC.md's table (the kit's: its public cases)."""
    if kit.IS_KIT:
        return kit.kit_tasks()
    from tasks import activations, losses, mlp, optimisation, perceptron, regression, representation

    modules = (activations, losses, optimisation, regression, perceptron, mlp, representation)
    return [task for module in modules for task in module.tasks()]


def reference_cache_dir() -> Path | None:
    """Where the reference keeps its compiled Numba kernels."""
    from reference._numba_cache import _BASE

    return _BASE


__all__ = ["ACTIVATIONS", "BUNDLED", "CONTRACT", "FORBIDDEN", "LOSSES", "MLP_DELTA", "REFERENCE", "all_tasks",
           "reference_cache_dir"]
