"""The tiny course's contract: two hooks."""

from __future__ import annotations

from harness import hookspec


@hookspec(firstresult=True)
def double(x):
    """Twice every element of x.

    Slide: Tiny course, page 1.

    Args:
        x: array of any shape.

    Returns:
        array of x's shape.
    """


@hookspec(firstresult=True)
def min_max(x):
    """The smallest and the largest element of x.

    Slide: Tiny course, page 2.

    Args:
        x: a non-empty array.

    Returns:
        tuple (lo, hi) of floats.
    """


OUTPUTS = {"min_max": ("lo", "hi")}
