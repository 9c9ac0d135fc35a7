"""Correct gradient_descent that, in the timed loop, looks in the memory its
input lives in for an answer another side left there (the reference's whole
trajectories, committed through the memory all sides share, would lie right
after the inputs). So that a test can see whether it ever found one, a found
trajectory comes back with its first element wrong (and is caught): the
grading side wipes what it read back, so it never finds one."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


def _memory(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


@hookimpl
def gradient_descent(x0, lr, steps):
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.size == 1 and isinstance(x0.base, np.ndarray):
        memory = _memory(x0)
        i = (x0.__array_interface__["data"][0] - memory.__array_interface__["data"][0]) // 8
        j = (steps + 1) * i  # where the reference's trajectory of this call would be
        if 0 < i and j + steps + 1 <= memory.size and memory[j] == x0[0]:
            found = memory[j:j + steps + 1].reshape(steps + 1, 1).copy()
            found[0, 0] += 1.0  # the mark of an answer found, not computed
            return found
    trajectory = [x0.copy()]
    for _ in range(steps):
        trajectory.append(trajectory[-1] - lr * 2.0 * trajectory[-1])
    return np.array(trajectory)
