"""Correct relu that remembers its last answer by the identity of its argument:
the timed loop used to call it on one staged array, so every call after the
first was a dict lookup. It must gain nothing (its stale answers are caught)."""

from __future__ import annotations

import numpy as np

from harness import hookimpl

_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}


@hookimpl
def relu(z):
    seen = _cache.get(id(z))
    if seen is None or seen[0] is not z:  # the argument is kept, so its id is not reused
        seen = _cache[id(z)] = (z, np.maximum(z, 0.0))
    return seen[1]
