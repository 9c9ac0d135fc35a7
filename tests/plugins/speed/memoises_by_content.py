"""Correct relu that remembers answers by the bytes of its argument: honest
about stale answers, but a pool of inputs cycled in the timed loop would make
it a lookup. Every timed call gets an input not seen before, so it pays for
hashing on top of the work and earns at most the honest code's points."""

from __future__ import annotations

import hashlib

import numpy as np

from harness import hookimpl

_cache: dict[bytes, np.ndarray] = {}


@hookimpl
def relu(z):
    key = hashlib.blake2b(np.ascontiguousarray(z).tobytes(), digest_size=16).digest()
    if key not in _cache:
        _cache[key] = np.maximum(z, 0.0)
    return _cache[key]
