"""Compare a plugin's decoded output with the expected one, on the trusted side.

Everything here receives plain float64 ndarrays (decoded from ``.npz`` with
``allow_pickle=False``), :class:`~harness.codec.Invalid` leaves, or lists of
those. Nothing from the plugin's process is ever called. An expected tree's
leaves are arrays, or: an :class:`Interval` (any value in a range), a
:class:`Printed` value (its own ``atol``), a :class:`Shape` (any value of a
shape). :func:`value_judge` is the judge of every value case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.codec import Invalid
from harness.grading.model import FAIL, INVALID, PASS, Judge, Mistake, Verdict


@dataclass(frozen=True)
class Interval:
    """An expected leaf that accepts any value in ``[lo, hi]`` elementwise."""

    lo: Any
    hi: Any


@dataclass(frozen=True)
class Printed:
    """A value printed on a slide; passes within ``atol`` (one unit in its last digit)."""

    value: Any
    atol: float


@dataclass(frozen=True)
class Shape:
    """An expected leaf that accepts any numeric array of ``shape`` (None: any 1-element array)."""

    shape: tuple[int, ...] | None


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _index(shape: tuple[int, ...], flat: int) -> str:
    if not shape:
        return ""
    return " at index " + str(tuple(int(i) for i in np.unravel_index(flat, shape)))


def _leaf_shape(expected: Any) -> tuple[int, ...] | None:
    """Shape an expected leaf demands; None for a scalar (any 1-element array fits)."""
    if isinstance(expected, Interval):
        return _leaf_shape(expected.lo)
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        return expected.shape
    return None


def _is_leaf(x: Any) -> bool:
    return not isinstance(x, list | tuple)


def compare(
    got: Any,
    expected: Any,
    *,
    rtol: float,
    atol: float,
    name: str = "output",
    names: Sequence[str] = (),
    reveal: bool = True,
    nan_ok: bool = False,
) -> Verdict:
    """Compare ``got`` with ``expected`` (a tree of the same structure).

    Returns a ``pass`` verdict, a ``fail`` verdict naming the output, the worst
    index, got vs expected and the error, or an ``invalid output`` verdict
    (wrong structure or shape, non-numeric, unexpected NaN). ``reveal=False``
    keeps expected values out of the message (hidden cases).
    """
    if not _is_leaf(expected):
        exp_items = list(expected)
        if _is_leaf(got) or len(got) != len(exp_items):
            what = "one array" if _is_leaf(got) else f"{len(got)} items"
            return Verdict(INVALID, f"{name}: expected a sequence of {len(exp_items)} items, got {what}")
        for i, (g, e) in enumerate(zip(got, exp_items, strict=True)):
            sub = names[i] if i < len(names) else f"{name}[{i}]"
            v = compare(g, e, rtol=rtol, atol=atol, name=sub, reveal=reveal, nan_ok=nan_ok)
            if v.outcome != PASS:
                return v
        return Verdict(PASS)
    if _both_empty(got, expected):
        return Verdict(PASS)
    if isinstance(got, Invalid):
        return Verdict(INVALID, f"{name}: {got.reason}")
    if not _is_leaf(got):
        return Verdict(INVALID, f"{name}: expected one array, got a sequence of {len(got)} items")
    if isinstance(expected, Shape):
        return _check_shape(got, expected, name)
    if isinstance(expected, Printed):
        return _compare_leaf(got, np.asarray(expected.value, dtype=np.float64), rtol=0.0, atol=expected.atol,
                             name=f"{name} (printed on the slide)", reveal=True, nan_ok=nan_ok)
    return _compare_leaf(got, expected, rtol=rtol, atol=atol, name=name, reveal=reveal, nan_ok=nan_ok)


def _both_empty(got: Any, expected: Any) -> bool:
    """An empty output where an empty one is expected passes whatever its shape.

    A plugin that returns lists cannot keep the shape of an empty 2-D array
    (``np.zeros((0, 3)).tolist() == []``), and there is no value to get wrong.
    """
    if isinstance(expected, Interval | Printed):
        return False
    shape = expected.shape if isinstance(expected, Shape) else np.shape(expected)
    return (isinstance(got, np.ndarray) and got.size == 0 and shape is not None and len(shape) > 0
            and int(np.prod(shape)) == 0)


def _check_shape(got: np.ndarray, expected: Shape, name: str) -> Verdict:
    if expected.shape is None and got.size != 1:
        return Verdict(INVALID, f"{name}: expected a scalar, got shape {got.shape}")
    if expected.shape is not None and got.shape != expected.shape:
        return Verdict(INVALID, f"{name}: shape {got.shape}, expected {expected.shape}")
    return Verdict(PASS)


def _compare_leaf(
    got: np.ndarray, expected: Any, *, rtol: float, atol: float, name: str, reveal: bool, nan_ok: bool
) -> Verdict:
    shape = _leaf_shape(expected)
    if shape is None:
        if got.size != 1:
            return Verdict(INVALID, f"{name}: expected a scalar, got shape {got.shape}")
        got = got.reshape(())
    elif got.shape != shape:
        return Verdict(INVALID, f"{name}: shape {got.shape}, expected {shape}")
    if isinstance(expected, Interval):
        lo = np.broadcast_to(np.asarray(expected.lo, dtype=np.float64), got.shape)
        hi = np.broadcast_to(np.asarray(expected.hi, dtype=np.float64), got.shape)
        exp = np.clip(got, lo, hi)
        exp = np.where(np.isnan(got), (lo + hi) / 2, exp)
    else:
        exp = np.asarray(expected, dtype=np.float64).reshape(got.shape)
    got_nan = np.isnan(got)
    exp_nan = np.isnan(exp)
    if not nan_ok and (got_nan & ~exp_nan).any():
        k = int(np.flatnonzero((got_nan & ~exp_nan).ravel())[0])
        return Verdict(INVALID, f"{name}: NaN{_index(got.shape, k)} where a number is expected")
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - exp)
        same = (got == exp) | (got_nan & exp_nan)
        # an expected inf or NaN is matched exactly: no tolerance around it
        bad = ~same & (~np.isfinite(exp) | ~(err <= atol + rtol * np.abs(exp)))
    if not bad.any():
        return Verdict(PASS)
    err = np.where(bad, np.where(np.isnan(err), np.inf, err), -1.0)
    k = int(np.argmax(err.ravel()))
    g, e = float(got.ravel()[k]), float(exp.ravel()[k])
    count = f" ({int(bad.sum())} of {bad.size} elements wrong)" if bad.size > 1 else ""
    # hidden: no error either, since got and |got - expected| would give the expected value away
    want = f", expected {_fmt(e)}, error {_fmt(abs(g - e))}" if reveal else " (expected value hidden)"
    return Verdict(FAIL, f"{name} wrong{_index(got.shape, k)}: got {_fmt(g)}{want}{count}")


def explain(
    verdict: Verdict,
    got: Any,
    kwargs: dict[str, Any],
    mistakes: Sequence[Mistake],
    *,
    rtol: float,
    atol: float,
) -> Verdict:
    """Add the hint of the first known mistake that ``got`` matches to a failing verdict."""
    if verdict.outcome == PASS:
        return verdict
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):  # a mistake may overflow
                wrong = mistake.wrong(**kwargs)
        except Exception:  # a mistake that does not apply to these arguments
            continue
        with np.errstate(all="ignore"):  # "anything" leaves give inf - inf
            matches = compare(got, wrong, rtol=max(rtol, 1e-6), atol=max(atol, 1e-9)).outcome == PASS
        if matches:
            return Verdict(verdict.outcome, f"{verdict.message} — known mistake: {mistake.hint}", mistake.name)
    return verdict


def value_judge(
    expected: Any,
    *,
    rtol: float,
    atol: float,
    names: Sequence[str] = (),
    kwargs: dict[str, Any] | None = None,
    mistakes: Sequence[Mistake] = (),
    reveal: bool = True,
    nan_ok: bool = False,
) -> Judge:
    """The judge of a single-call case whose output must equal ``expected``; a failure names the
    first of ``mistakes`` (computed for the call's ``kwargs``) that the output matches."""

    def judge(outputs: list[Any]) -> Verdict:
        got = outputs[0]
        v = compare(got, expected, rtol=rtol, atol=atol, names=names, reveal=reveal, nan_ok=nan_ok)
        return explain(v, got, kwargs or {}, mistakes, rtol=rtol, atol=atol)

    return judge
