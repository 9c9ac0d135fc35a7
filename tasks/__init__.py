"""What is graded: one task per hook, in the order of SPEC.md's table.

``all_tasks()`` builds every :class:`~harness.model.Task`; ``select_tasks``
picks some by comma-separated fnmatch patterns over task and group names
("sigmoid*,losses"). See ``tasks/README.md`` for points, tolerances, case
kinds and known mistakes.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from harness.model import Task

#: Group names, in the order of SPEC.md's table.
GROUPS = ("activations", "losses", "optimisation", "graph", "regression", "logistic_regression", "perceptron",
          "mlp", "representation")


def all_tasks() -> list[Task]:
    """Every task, one per hook, in the order of SPEC.md's table (the kit's: its public cases)."""
    from harness import kit

    if kit.IS_KIT:
        return kit.kit_tasks()
    from tasks import activations, losses, mlp, optimisation, perceptron, regression, representation

    modules = (activations, losses, optimisation, regression, perceptron, mlp, representation)
    return [task for module in modules for task in module.tasks()]


def select_tasks(pattern: str | None) -> list[Task]:
    """The tasks whose name or group matches one of the comma-separated fnmatch ``pattern`` s.

    ``None`` selects every task. A pattern that matches nothing raises
    ``ValueError`` naming it and listing the groups.
    """
    tasks = all_tasks()
    if pattern is None:
        return tasks
    patterns = [p.strip().lower() for p in pattern.split(",") if p.strip()]
    if not patterns:
        raise ValueError(f"empty task pattern {pattern!r}; groups: {', '.join(GROUPS)}")

    def matches(p: str, task: Task) -> bool:
        return fnmatchcase(task.name, p) or fnmatchcase(task.group, p)

    unknown = [p for p in patterns if not any(matches(p, t) for t in tasks)]
    if unknown:
        raise ValueError(
            f"no task or group matches {', '.join(map(repr, unknown))}; groups: {', '.join(GROUPS)}; "
            f"tasks are named after the hooks (e.g. sigmoid, mlp_backward), see `harness list`"
        )
    return [t for t in tasks if any(matches(p, t) for p in patterns)]


__all__ = ["GROUPS", "all_tasks", "select_tasks"]
