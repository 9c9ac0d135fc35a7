"""Correct gradient_descent that, in the timed loop, looks in the memory its
input lives in for an answer another side left there (the reference's whole
trajectories were once committed at the end of the memory all sides share).
So that a test can see whether it ever found one, a found trajectory comes
back with its first element wrong (and is caught): every side commits to
memory of its own, so it never finds one."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


def _memory(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


_LEFT = {"any": True}  # whether anything but zeros is in the tail, looked at once a block


@hookimpl
def gradient_descent(x0, lr, steps):
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.size == 1 and isinstance(x0.base, np.ndarray):
        memory = _memory(x0)
        tail = memory[-(1 << 19):]  # the last 4 MiB: where whole commits go
        if x0.__array_interface__["data"][0] == memory.__array_interface__["data"][0]:  # a block's first call
            _LEFT["any"] = bool(tail.any())  # (nothing writes the memory within a block)
        # a trajectory starts at its input (only zeros there: none can, but one of a zero input)
        hits = np.flatnonzero(tail == x0[0]) if _LEFT["any"] or x0[0] == 0.0 else []
        if len(hits) and hits[0] + steps + 1 <= tail.size:
            found = tail[hits[0]:hits[0] + steps + 1].reshape(steps + 1, 1).copy()
            found[0, 0] += 1.0  # the mark of an answer found, not computed
            return found
    trajectory = [x0.copy()]
    for _ in range(steps):
        trajectory.append(trajectory[-1] - lr * 2.0 * trajectory[-1])
    return np.array(trajectory)
