"""Correct relu by a Numba kernel cached to disk (``cache=True``), as a
student writes it. So that a test can see where its timed worker got the
kernel from, a timed call (its input then lies in memory shared with the
grading side) answers wrong when the kernel was compiled in that worker
rather than loaded from the cache its correctness run wrote."""

from __future__ import annotations

import mmap

import numpy as np
from numba import njit

from harness import hookimpl


@njit(cache=True)
def _relu(z):
    out = np.empty_like(z)
    for i in range(z.size):
        out[i] = z[i] if z[i] > 0.0 else 0.0
    return out


def _in_shared_memory(a: np.ndarray) -> bool:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return isinstance(getattr(a.base, "obj", None), mmap.mmap)


@hookimpl
def relu(z):
    a = np.asarray(z, dtype=np.float64)
    out = _relu(np.ascontiguousarray(a).ravel()).reshape(a.shape)
    if isinstance(z, np.ndarray) and _in_shared_memory(z) and _relu.stats.cache_misses:
        out.flat[0] += 1.0  # compiled here, in a timed task: the mark
    return out if isinstance(z, np.ndarray) else float(out)
