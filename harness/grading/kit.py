"""The student kit's side of grading: public cases stored as data (see :mod:`harness.cli.release`).

In the kit ``harness/kit_cases.npz`` exists and the course's ``all_tasks()``
returns :func:`kit_tasks`: the public cases (lecture, fixed, boundary) with the
reference's outputs computed when the kit was built, and the finite-difference
property checks, which need no solution (they compare a derivative with the
student's own forward function; they are feedback). Known mistakes are stored
as the wrong outputs they give on each case. Nothing here computes a solution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness import codec
from harness.grading.cases import checked, fd_check, output_names
from harness.grading.compare import Interval, Printed, Shape, value_judge
from harness.grading.model import Call, Case, Judge, Mistake, Task

DATA = Path(__file__).parents[1] / "kit_cases.npz"
IS_KIT = DATA.is_file()
#: What the kit prints once: what it does not do.
NOTICE = "kit: public cases only; hidden cases and speed are graded when you submit"


_TAGS = ("$printed", "$shape", "$interval", "$list")


def _decode(node: Any) -> Any:
    """The expected tree with its Printed and Shape leaves back (stored as tagged lists)."""
    if isinstance(node, list) and node and isinstance(node[0], str) and node[0] in _TAGS:
        tag = node[0]
        if tag == "$printed":
            return Printed(node[1], node[2])
        if tag == "$interval":
            return Interval(node[1], node[2])
        if tag == "$shape":
            return Shape(None if node[1] is None else tuple(int(n) for n in node[1]))
        return [_decode(v) for v in node[1]]
    return node


def encode_expected(tree: Any) -> Any:
    """Build side: an expected tree as plain data for :mod:`harness.codec`."""
    if isinstance(tree, Printed):
        return ["$printed", np.asarray(tree.value, dtype=np.float64), np.asarray(tree.atol, dtype=np.float64)]
    if isinstance(tree, Interval):
        return ["$interval", np.asarray(tree.lo, dtype=np.float64), np.asarray(tree.hi, dtype=np.float64)]
    if isinstance(tree, Shape):
        return ["$shape", None if tree.shape is None else list(tree.shape)]
    if isinstance(tree, list | tuple):
        return ["$list", [encode_expected(t) for t in tree]]
    return np.asarray(tree, dtype=np.float64)


def _fd_judge(fd: dict[str, Any], kwargs: dict[str, Any]) -> Judge:
    """The derivative against central differences of the reference's forward, computed when the kit was built."""
    x = np.asarray(kwargs[fd["arg"]], dtype=np.float64)
    return checked(fd_check(fd["forward"], x, np.asarray(_decode(fd["expected"]), dtype=np.float64)), kwargs)


def kit_tasks() -> list[Task]:
    """The kit's tasks, rebuilt from ``kit_cases.npz``."""
    data = codec.read(DATA, 1 << 30)
    tasks = []
    for t in data:
        task = Task(name=t["name"], hook=t["hook"], group=t["group"], points=float(t["points"]),
                    slide=t["slide"], make_cases=lambda rng: [], rtol=float(t["rtol"]),
                    atol=float(t["atol"]), description=t["description"], elementwise=bool(t["elementwise"]),
                    curve=None if t["curve"] is None else (int(t["curve"][0]), str(t["curve"][1])))
        cases = []
        for c in t["cases"]:
            calls = [Call(hook, kwargs) for hook, kwargs in c["calls"]]
            if c["fd"] is not None:
                judge = _fd_judge(c["fd"], calls[0].kwargs)
            else:
                mistakes = [Mistake(name, hint, lambda _w=wrong, **_: _w) for name, hint, wrong in c["mistakes"]]
                judge = value_judge(_decode(c["expected"]), rtol=task.rtol, atol=task.atol,
                                    names=output_names(task.hook), kwargs=calls[0].kwargs, mistakes=mistakes)
            cases.append(Case(c["id"], c["kind"], calls, judge, note=c["note"], slide=c["slide"]))
        task.make_cases = lambda rng, cases=cases: cases
        tasks.append(task)
    return tasks


def _fd_data(fd: dict[str, Any] | None) -> dict[str, Any] | None:
    """A finite-difference case as data: the reference's central differences the full harness judges by."""
    return None if fd is None else {**fd, "expected": encode_expected(fd["expected"])}


def build_data(tasks: list[Task], seed: int) -> tuple[list[dict[str, Any]], int]:
    """Build side: every task's public value and finite-difference cases as plain data.

    Returns the data and how many public cases were left out (lecture claims
    checked by code of the full harness only).
    """
    rng = np.random.default_rng(seed)
    out, left_out = [], 0
    for task in tasks:
        cases = []
        for case in task.make_cases(rng):
            if case.hidden:
                continue
            if case.expected is None and case.fd is None:
                left_out += 1
                continue
            kwargs = case.calls[0].kwargs
            mistakes = []
            if case.fd is None:
                for m in task.mistakes:
                    try:
                        with np.errstate(all="ignore"):
                            wrong = _plain_tree(m.wrong(**kwargs))
                    except Exception:  # a mistake that does not apply, or matches any value
                        continue
                    mistakes.append([m.name, m.hint, wrong])
            cases.append({"id": case.id, "kind": case.kind, "note": case.note, "slide": case.slide,
                          "calls": [[c.hook, c.kwargs] for c in case.calls], "fd": _fd_data(case.fd),
                          "expected": None if case.fd is not None else encode_expected(case.expected),
                          "mistakes": mistakes})
        out.append({"name": task.name, "hook": task.hook, "group": task.group, "points": task.points,
                    "slide": task.slide, "rtol": task.rtol, "atol": task.atol,
                    "description": task.description, "elementwise": task.elementwise,
                    "curve": None if task.curve is None else list(task.curve), "cases": cases})
    return out, left_out


def _plain_tree(value: Any) -> Any:
    """A mistake's output as float64 arrays; TypeError for other leaves (an "anything" interval)."""
    if isinstance(value, list | tuple):
        return [_plain_tree(v) for v in value]
    if not isinstance(value, np.ndarray | float | int | np.generic):
        raise TypeError(type(value).__name__)
    return np.asarray(value, dtype=np.float64)
