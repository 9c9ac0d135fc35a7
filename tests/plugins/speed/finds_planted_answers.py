"""Correct relu that looks for an answer a classmate left in the shared memory (plants_answers.py). So
that a test can see whether it ever found one, a found answer comes back with its first element wrong
(and is caught): no worker can write to that memory (a write gives it a copy of its own, and a mapping
of its own that would share its writes is refused), so it never finds one."""

from __future__ import annotations

import numpy as np

from harness import hookimpl

PLACE, MARK = 1 << 20, 4242.0


def _memory(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


@hookimpl
def relu(z):
    z = np.asarray(z, dtype=np.float64)
    memory = _memory(z).reshape(-1)
    if isinstance(z.base, np.ndarray) and memory.size > PLACE + 1 + z.size and memory[PLACE] == MARK:
        found = memory[PLACE + 1:PLACE + 1 + z.size].reshape(z.shape).copy()
        found.flat[0] += 1.0  # the mark of an answer found, not computed
        return found
    return np.maximum(z, 0.0)
