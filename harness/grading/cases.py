"""Building a task's cases: value cases, lecture values, property checks; each case's random stream.

A course's tasks (:mod:`harness.course`) build their cases with these:

* :func:`value_case` - one call whose output must equal the reference's output
  for a copy of the same arguments (or an explicit expected tree).
* :class:`~harness.grading.compare.Printed` - an expected leaf printed on a
  slide, with its own ``atol`` (one unit in the last printed digit).
* :func:`fd_case` - a derivative against finite differences of the
  reference's forward function (computed here, never by the plugin);
  :func:`param_fd_case` - gradients a hook returns against finite
  differences of the cost the same hook returns.
* :func:`claim_case` - several calls and a trusted check of a lecture claim.
* :func:`hidden_cases` - the task's hidden cases: fresh random inputs each run.

Expected values are the course's reference's outputs, computed here on the
trusted side. Every judge runs on the trusted side on decoded outputs (float64
ndarrays, lists, :class:`~harness.codec.Invalid`); a failing output is matched
against the task's known mistakes (:func:`harness.grading.compare.explain`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from harness import course
from harness.grading.compare import Interval, Shape, compare, explain, value_judge
from harness.grading.model import PASS, Call, Case, Judge, Mistake, Task, Verdict

P = TypeVar("P")

#: Size names of the speed inputs, smallest first.
SIZES = ("tiny", "medium", "large")

#: Tolerance of a finite-difference derivative (central differences, h = 1e-6).
FD_H = 1e-6
FD_RTOL = 1e-5
FD_ATOL = 1e-6


# ---------------------------------------------------------------------- seeds


def task_rng(seed: int, task_name: str) -> np.random.Generator:
    """The random stream of one task's cases: derived from (seed, task name) only.

    So a task's hidden inputs are the same whichever other tasks run with it.
    """
    name_key = int.from_bytes(hashlib.sha256(task_name.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence([seed, name_key]))


# ------------------------------------------------------------------ reference


def reference_function(hook: str) -> Callable[..., Any]:
    """The course's reference implementation of ``hook`` (imported on first use)."""
    return getattr(course.reference(), hook)


def output_names(hook: str) -> tuple[str, ...]:
    """The names of a tuple-returning hook's outputs, from the contract (for messages)."""
    return tuple(name.rstrip("*") for name in course.outputs().get(hook, ()))


def plain(value: Any) -> Any:
    """An output as the runner decodes it: float64 ndarrays, lists for tuples."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return np.array(value, dtype=np.float64)


def expected_output(hook: str, kwargs: dict[str, Any]) -> Any:
    """The reference's decoded output for a deep copy of ``kwargs``."""
    return plain(reference_function(hook)(**copy.deepcopy(kwargs)))


# ---------------------------------------------------------- expected leaves


def anything(shape: tuple[int, ...] | None = None) -> Interval:
    """A leaf of a mistake's output that matches any value of ``shape`` (None: a scalar)."""
    if shape is None:
        return Interval(-np.inf, np.inf)
    return Interval(np.full(shape, -np.inf), np.full(shape, np.inf))


def template(tree: Any) -> Any:
    """The shape of an output tree: every leaf accepts any value of its shape."""
    if isinstance(tree, list | tuple):
        return [template(t) for t in tree]
    tree = np.asarray(tree)
    return Shape(tree.shape if tree.ndim else None)


def scalar(x: Any) -> float:
    """A 1-element output (0-d, (1,), (1, 1), ...) as a float."""
    return float(np.asarray(x).reshape(()))


class Rejected(Exception):
    """Raised inside a property check when an output cannot be used."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


def need(got: Any, shape_of: Any, name: str) -> Any:
    """``got`` if it has the structure and shapes of ``shape_of`` (a template), else reject."""
    v = compare(got, shape_of, rtol=0.0, atol=0.0, name=name)
    if v.outcome != PASS:
        raise Rejected(v)
    return got


# ------------------------------------------------------------------- cases


def checked(verify: Callable[[list[Any]], Verdict], kwargs: dict[str, Any], mistakes: Sequence[Mistake] = (),
            *, rtol: float = 0.0, atol: float = 0.0) -> Judge:
    """The judge that runs a trusted check (which may raise :class:`Rejected`) and names the first of
    ``mistakes`` that a failing first output matches."""

    def judge(outputs: list[Any]) -> Verdict:
        try:
            verdict = verify(outputs)
        except Rejected as exc:
            verdict = exc.verdict
        return explain(verdict, outputs[0], kwargs, mistakes, rtol=rtol, atol=atol)

    return judge


def fd_check(forward: str, x: Any, fd: Any) -> Callable[[list[Any]], Verdict]:
    """A derivative's output, of ``x``'s shape, against the central differences ``fd`` of ``forward``."""
    shape = template(x)

    def verify(outputs: list[Any]) -> Verdict:
        grad = need(outputs[0], shape, "output")
        return compare(grad, fd, rtol=FD_RTOL, atol=FD_ATOL,
                       name=f"output vs central differences of the reference's {forward}")

    return verify


def value_case(
    task: Task, kind: str, label: str, kwargs: dict[str, Any], *, note: str = "",
    expected: Any = None, slide: str = "",
) -> Case:
    """One call of the task's hook; its output must equal ``expected``.

    ``expected`` defaults to the reference's output for a copy of ``kwargs``.
    A "hidden" case never shows expected values in its messages.
    """
    kwargs = copy.deepcopy(kwargs)
    if expected is None:
        expected = expected_output(task.hook, kwargs)
    judge = value_judge(expected, rtol=task.rtol, atol=task.atol, names=output_names(task.hook), kwargs=kwargs,
                        mistakes=task.mistakes, reveal=kind != "hidden")
    return Case(f"{kind}:{label}", kind, [Call(task.hook, kwargs)], judge, note=note, slide=slide or task.slide,
                expected=expected)


def hidden_cases(
    task: Task, rng: np.random.Generator, params: Iterable[P],
    draw: Callable[[np.random.Generator, P], tuple[dict[str, Any], str]],
) -> list[Case]:
    """The task's hidden cases ``random-1``, ``random-2``, ...: one per item of ``params``.

    ``draw(rng, p)`` gives a case's keyword arguments and its note, drawn in
    turn from the task's stream of the run (:func:`task_rng`); a hidden case
    never shows its inputs or expected values.
    """
    cases = []
    for i, p in enumerate(params, start=1):
        kwargs, note = draw(rng, p)
        cases.append(value_case(task, "hidden", f"random-{i}", kwargs, note=note))
    return cases


def claim_case(
    task: Task, kind: str, label: str, calls: list[Call], verify: Callable[[list[Any]], Verdict], *,
    note: str, slide: str = "",
) -> Case:
    """Calls of the task's own hook and a trusted check of what they return.

    Only the task's hook is ever called: what else a check needs comes from
    the reference, so one hook's verdict never depends on another hook.
    ``verify`` may raise :class:`Rejected` (see :func:`need`).
    """
    if any(c.hook != task.hook for c in calls):
        raise ValueError(f"a case of {task.name} may call {task.hook} only")
    calls = [Call(c.hook, copy.deepcopy(c.kwargs)) for c in calls]
    judge = checked(verify, calls[0].kwargs, task.mistakes, rtol=task.rtol, atol=task.atol)
    return Case(f"{kind}:{label}", kind, calls, judge, note=note, slide=slide or task.slide)


def fd_case(
    task: Task, label: str, kwargs: dict[str, Any], forward: str, arg: str, *, note: str,
    kind: str = "property", h: float = FD_H,
) -> Case:
    """An elementwise derivative against central differences of the REFERENCE's ``forward``.

    The differences are computed here, on the trusted side: the verdict depends
    on the task's own hook only, never on the plugin's ``forward``.
    """
    x = np.asarray(kwargs[arg], dtype=np.float64)
    with np.errstate(all="ignore"):
        fd = (expected_output(forward, {**kwargs, arg: x + h})
              - expected_output(forward, {**kwargs, arg: x - h})) / (2 * h)
    case = claim_case(task, kind, label, [Call(task.hook, kwargs)], fd_check(forward, x, fd), note=note)
    case.fd = {"forward": forward, "arg": arg, "h": h, "expected": fd}  # the kit keeps it as data
    return case


@dataclass(frozen=True)
class Partial:
    """One parameter of a finite-difference check: where it is in the inputs and in the output."""

    name: str  # shown in messages, e.g. "dW of layer 1 at (0, 2)"
    arg_path: tuple[Any, ...]  # kwargs[p0][p1]... (the last step may index an array)
    out_path: tuple[Any, ...]  # output[q0][q1]...


def _nudged(kwargs: dict[str, Any], path: tuple[Any, ...], delta: float) -> dict[str, Any]:
    kw = copy.deepcopy(kwargs)
    obj: Any = kw
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = obj[path[-1]] + delta
    return kw


def _at(tree: Any, path: tuple[Any, ...]) -> float:
    for key in path:
        tree = tree[key]
    return scalar(tree)


def param_fd_case(
    task: Task, label: str, kwargs: dict[str, Any], partials: Sequence[Partial], cost_path: tuple[Any, ...],
    *, note: str, h: float = FD_H,
) -> Case:
    """Gradients returned by the task's hook against central differences of the cost it returns."""
    shape = template(expected_output(task.hook, kwargs))
    calls = [Call(task.hook, kwargs)]
    for p in partials:
        calls += [Call(task.hook, _nudged(kwargs, p.arg_path, h)), Call(task.hook, _nudged(kwargs, p.arg_path, -h))]

    def verify(outputs: list[Any]) -> Verdict:
        base = need(outputs[0], shape, "output")
        for i, p in enumerate(partials):
            up = need(outputs[1 + 2 * i], shape, f"output at {p.name} + h")
            down = need(outputs[2 + 2 * i], shape, f"output at {p.name} - h")
            fd = (_at(up, cost_path) - _at(down, cost_path)) / (2 * h)
            v = compare(np.array(_at(base, p.out_path)), np.array(fd), rtol=FD_RTOL, atol=FD_ATOL,
                        name=f"{p.name} vs central differences of your cost")
            if v.outcome != PASS:
                return v
        return Verdict(PASS)

    return claim_case(task, "property", label, calls, verify, note=note)


def make_task(
    name: str, group: str, points: float, slide: str,
    cases: Callable[[Task, np.random.Generator], list[Case]],
    speed: Callable[[np.random.Generator, str], dict[str, Any]] | None = None, *,
    sizes: tuple[str, ...] = SIZES, rtol: float = 1e-7, atol: float = 1e-9,
    mistakes: Sequence[Any] = (), description: str = "", elementwise: bool = False,
    curve: tuple[int, str] | None = None,
) -> Task:
    """A :class:`Task` whose ``make_cases(rng)`` calls ``cases(task, rng)``."""
    task = Task(name=name, hook=name, group=group, points=points, slide=slide, make_cases=lambda rng: [],
                speed_sizes=sizes if speed else (), speed_inputs=speed, rtol=rtol, atol=atol,
                mistakes=list(mistakes), description=description, elementwise=elementwise, curve=curve)
    task.make_cases = lambda rng: cases(task, rng)
    return task
