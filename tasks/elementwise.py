"""One table-driven builder for every elementwise hook (activations and losses).

Every elementwise task gets the same cases, drawn by its row's ``draw(rng, shape)``:

* fixed: public inputs of shapes (7,), (3, 4) and (1,) (a fixed seed per task);
* boundary: a 0-d array and empty arrays (0,) and (0, 3), plus the row's own
  boundary and lecture cases (``special``);
* property: for a derivative, two finite-difference checks against the
  reference's forward function, on inputs away from kinks (``draw_smooth``);
* hidden: fresh random inputs of shapes (9,), (3, 4), (2, 3, 2) and one
  medium (100, 100) case.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.grading.cases import expected_output, fd_case, hidden_cases, make_task, value_case
from harness.grading.model import Case, Mistake, Task

Draw = Callable[[np.random.Generator, tuple[int, ...]], dict[str, Any]]

#: Shapes of the hidden cases of an elementwise hook, and of its one medium case.
HIDDEN_SHAPES: tuple[tuple[int, ...], ...] = ((9,), (3, 4), (2, 3, 2))
MEDIUM_SHAPE = (100, 100)
#: Element count of each speed size for elementwise hooks.
ELEMENTWISE_SPEED = {"tiny": (8,), "medium": (100, 100), "large": (1000, 1000)}
FIXED_SHAPES = (("1-D", (7,)), ("2-D", (3, 4)), ("one-element", (1,)))
EDGE_SHAPES = (("0-d", ()), ("empty", (0,)), ("empty-2-D", (0, 3)))
FD_SHAPES = ((12,), (3, 4))


@dataclass(frozen=True)
class Elementwise:
    """A row of the table: one elementwise hook and how to grade it."""

    name: str
    group: str
    slide: str
    draw: Draw
    description: str = ""
    derivative_of: str = ""  # the forward function (the reference's) a derivative is checked against
    wrt: str = "z"  # the argument the derivative is taken with respect to
    draw_smooth: Draw | None = None  # inputs away from kinks, for finite differences
    special: Callable[[Task], list[Case]] = lambda task: []  # boundary and lecture cases
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0


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


def public_rng(name: str) -> np.random.Generator:
    """A generator with a fixed seed per task: the public cases are the same on every run."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def _cases(row: Elementwise, task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(row.name)
    cases = [value_case(task, "fixed", label, row.draw(public, shape), note=f"{label} array, shape {shape}")
             for label, shape in FIXED_SHAPES]
    cases += [value_case(task, "boundary", label, row.draw(public, shape), note=f"{label} array, shape {shape}")
              for label, shape in EDGE_SHAPES]
    cases += row.special(task)
    if row.derivative_of:
        smooth = row.draw_smooth or row.draw
        cases += [fd_case(task, f"finite-differences-{i + 1}", smooth(rng, shape), row.derivative_of, row.wrt,
                          note=f"d{row.derivative_of}/d{row.wrt} by central differences of the "
                               f"reference's {row.derivative_of}, shape {shape}")
                  for i, shape in enumerate(FD_SHAPES)]
    return cases + hidden_cases(task, rng, (*HIDDEN_SHAPES, MEDIUM_SHAPE),
                                lambda rng, shape: (row.draw(rng, shape), f"random, shape {shape}"))


def elementwise_task(row: Elementwise, *, rtol: float = 1e-7, atol: float = 1e-9) -> Task:
    """The task of one row of the table."""
    return make_task(
        row.name, row.group, row.points, row.slide, lambda task, rng: _cases(row, task, rng),
        lambda rng, size: row.draw(rng, ELEMENTWISE_SPEED[size]),
        rtol=rtol, atol=atol, mistakes=row.mistakes, description=row.description, elementwise=True,
    )


def flipped_sign(hook: str) -> Mistake:
    """The derivative ``hook`` with its sign flipped (the reference's, negated)."""
    return Mistake("flipped_sign", "the sign of the derivative is flipped",
                   lambda **kw: -expected_output(hook, kw))
