"""A plugin of the tiny test course with one bug: min_max answers (hi, lo)."""

from harness import hookimpl


@hookimpl
def double(x):
    return x * 2


@hookimpl
def min_max(x):
    return x.max(), x.min()  # BUG: swapped
