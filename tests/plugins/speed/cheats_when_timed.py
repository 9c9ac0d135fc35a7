"""Correct relu when graded; when it finds itself timed (its input lives in the
harness's shared memory, not in an array of its own) it answers its input as
it is, a cheap wrong answer. Whatever tells it so, the outputs of timed calls
are checked: its speed is voided."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


def _timed(z: np.ndarray) -> bool:
    base = z
    while getattr(base, "base", None) is not None:
        base = base.base
    return isinstance(base, memoryview)  # a view of memory mapped from elsewhere (its arrays own theirs)


@hookimpl
def relu(z):
    return z if _timed(z) else np.maximum(z, 0.0)
