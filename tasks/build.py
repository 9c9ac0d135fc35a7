"""Shared builders of the tasks' cases: value cases, lecture cases, property checks.

* :func:`value_case` - one call whose output must equal the reference's output
  for a copy of the same arguments (or an explicit expected tree).
* :class:`Printed` - an expected leaf printed on a slide, with its own ``atol``
  (one unit in the last printed digit).
* :func:`fd_case` - a derivative against finite differences of the
  reference's forward function (computed here, never by the plugin);
  :func:`param_fd_case` - gradients a hook returns against finite
  differences of the cost the same hook returns.
* :func:`claim_case` - several calls and a trusted check of a lecture claim.

Every judge runs on the trusted side on decoded outputs (float64 ndarrays,
lists, :class:`~harness.model.Invalid`); a failing output is matched against
the task's known mistakes (:func:`harness.compare.explain`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.compare import Interval, compare, explain
from harness.model import INVALID, PASS, Call, Case, Invalid, Judge, Task, Verdict

#: Names of the positional outputs of the tuple-returning hooks (for messages).
OUTPUT_NAMES: dict[str, tuple[str, ...]] = {
    "chain_rule_example": ("f", "g", "h", "dh_dg", "dh_df", "dh_dx"),
    "linear_regression_fit": ("w", "b", "costs"),
    "logistic_regression_step": ("cost", "dw", "db", "w_new", "b_new"),
    "perceptron_train": ("W", "b", "errors"),
    "dense_forward": ("Z", "A"),
    "mlp_backward": ("cost", "grads"),
    "mlp_train": ("params", "costs"),
}

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
    """The reference implementation of ``hook`` (imported on first use)."""
    import reference

    return getattr(reference, hook)


def plain(value: Any) -> Any:
    """An output as the runner decodes it: float64 ndarrays, lists for tuples."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return np.array(value, dtype=np.float64)


def expected_output(hook: str, kwargs: dict[str, Any]) -> Any:
    """The reference's decoded output for a deep copy of ``kwargs``."""
    return plain(reference_function(hook)(**copy.deepcopy(kwargs)))


# ---------------------------------------------------------- expected leaves


@dataclass(frozen=True)
class Printed:
    """A value printed on a slide; passes within ``atol`` (one unit in its last digit)."""

    value: Any
    atol: float


def anything(shape: tuple[int, ...] | None = None) -> Interval:
    """A leaf of a mistake's output that matches any value of ``shape`` (None: a scalar)."""
    if shape is None:
        return Interval(-np.inf, np.inf)
    return Interval(np.full(shape, -np.inf), np.full(shape, np.inf))


@dataclass(frozen=True)
class Shape:
    """An expected leaf that accepts any numeric array of ``shape`` (None: any 1-element array)."""

    shape: tuple[int, ...] | None


def template(tree: Any) -> Any:
    """The shape of an output tree: every leaf accepts any value of its shape."""
    if isinstance(tree, list | tuple):
        return [template(t) for t in tree]
    tree = np.asarray(tree)
    return Shape(tree.shape if tree.ndim else None)


def _check_shape(got: Any, expected: Shape, name: str) -> Verdict:
    if isinstance(got, Invalid):
        return Verdict(INVALID, f"{name}: {got.reason}")
    if isinstance(got, list):
        return Verdict(INVALID, f"{name}: expected one array, got a sequence of {len(got)} items")
    if expected.shape is None and got.size != 1:
        return Verdict(INVALID, f"{name}: expected a scalar, got shape {got.shape}")
    if expected.shape is not None and got.shape != expected.shape:
        return Verdict(INVALID, f"{name}: shape {got.shape}, expected {expected.shape}")
    return Verdict(PASS)


def check(
    got: Any, expected: Any, *, rtol: float, atol: float, name: str = "output",
    names: Sequence[str] = (), reveal: bool = True,
) -> Verdict:
    """:func:`harness.compare.compare` that also understands :class:`Printed` leaves."""
    if isinstance(expected, list | tuple):
        if not isinstance(got, list) or len(got) != len(expected):
            what = f"{len(got)} items" if isinstance(got, list) else "one array"
            return Verdict(INVALID, f"{name}: expected a sequence of {len(expected)} items, got {what}")
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            sub = names[i] if i < len(names) else f"{name}[{i}]"
            v = check(g, e, rtol=rtol, atol=atol, name=sub, reveal=reveal)
            if v.outcome != PASS:
                return v
        return Verdict(PASS)
    if _both_empty(got, expected):
        return Verdict(PASS)
    if isinstance(expected, Shape):
        return _check_shape(got, expected, name)
    if isinstance(expected, Printed):
        value = np.asarray(expected.value, dtype=np.float64)
        return compare(got, value, rtol=0.0, atol=expected.atol, name=f"{name} (printed on the slide)")
    return compare(got, expected, rtol=rtol, atol=atol, name=name, reveal=reveal)


def _both_empty(got: Any, expected: Any) -> bool:
    """An empty output where an empty one is expected passes whatever its shape.

    A plugin that returns lists cannot keep the shape of an empty 2-D array
    (``np.zeros((0, 3)).tolist() == []``), and there is no value to get wrong.
    """
    shape = expected.shape if isinstance(expected, Shape) else np.shape(expected)
    return (isinstance(got, np.ndarray) and got.size == 0 and shape is not None and len(shape) > 0
            and int(np.prod(shape)) == 0)


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
    v = check(got, shape_of, rtol=0.0, atol=0.0, name=name)
    if v.outcome != PASS:
        raise Rejected(v)
    return got


# ------------------------------------------------------------------- cases


def _judge(task: Task, kwargs: dict[str, Any], verify: Callable[[list[Any]], Verdict]) -> Judge:
    """Run ``verify``; explain a failure of the first output with the task's mistakes."""

    def judge(outputs: list[Any]) -> Verdict:
        try:
            verdict = verify(outputs)
        except Rejected as exc:
            verdict = exc.verdict
        with np.errstate(all="ignore"):  # a mistake may overflow; "anything" leaves give inf - inf
            return explain(verdict, outputs[0], kwargs, task.mistakes, rtol=task.rtol, atol=task.atol)

    return judge


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
    names = OUTPUT_NAMES.get(task.hook, ())
    reveal = kind != "hidden"

    def verify(outputs: list[Any]) -> Verdict:
        return check(outputs[0], expected, rtol=task.rtol, atol=task.atol, names=names, reveal=reveal)

    return Case(f"{kind}:{label}", kind, [Call(task.hook, kwargs)], _judge(task, kwargs, verify),
                note=note, slide=slide or task.slide, expected=expected)


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
    return Case(f"{kind}:{label}", kind, calls, _judge(task, calls[0].kwargs, verify), note=note,
                slide=slide or task.slide)


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
    shape = template(x)

    def verify(outputs: list[Any]) -> Verdict:
        grad = need(outputs[0], shape, "output")
        return compare(grad, fd, rtol=FD_RTOL, atol=FD_ATOL,
                       name=f"output vs central differences of the reference's {forward}")

    case = claim_case(task, kind, label, [Call(task.hook, kwargs)], verify, note=note)
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
    mistakes: Sequence[Any] = (), description: str = "",
) -> Task:
    """A :class:`Task` whose ``make_cases(rng)`` calls ``cases(task, rng)``."""
    task = Task(name=name, hook=name, group=group, points=points, slide=slide, make_cases=lambda rng: [],
                speed_sizes=sizes if speed else (), speed_inputs=speed, rtol=rtol, atol=atol,
                mistakes=list(mistakes), description=description)
    task.make_cases = lambda rng: cases(task, rng)
    return task


# --------------------------------------------------------- random inputs


def uniform(rng: np.random.Generator, shape: Any, lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    return rng.uniform(lo, hi, size=shape)


def away_from(
    rng: np.random.Generator, shape: Any, kinks: Sequence[float] = (0.0,), gap: float = 0.05,
    lo: float = -3.0, hi: float = 3.0,
) -> np.ndarray:
    """Uniform values at least ``gap`` away from every kink (for finite differences)."""
    x = rng.uniform(lo, hi, size=shape)
    for k in kinks:
        close = np.abs(x - k) < gap
        x = np.where(close, k + np.where(x >= k, gap, -gap) * 2, x)
    return x


def layer_params(rng: np.random.Generator, sizes: Sequence[int], scale: float = 1.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random ``(W, b)`` pairs for layer sizes ``[n_0, n_1, ..., n_L]``."""
    return [
        (rng.normal(0.0, scale / np.sqrt(n_in), size=(n_out, n_in)), rng.normal(0.0, 0.5, size=(n_out, 1)))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


#: Shapes of the hidden cases of an elementwise hook, and of its one medium case.
HIDDEN_SHAPES: tuple[tuple[int, ...], ...] = ((9,), (3, 4), (2, 3, 2))
MEDIUM_SHAPE = (100, 100)
#: Element count of each speed size for elementwise hooks.
ELEMENTWISE_SPEED = {"tiny": (8,), "medium": (100, 100), "large": (1000, 1000)}
