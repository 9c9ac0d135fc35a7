"""Correct relu that remembers answers by the bytes of its argument: a pool of
inputs cycled in the timed loop would make it a lookup. So that a test can
see whether it ever found an input it had seen, an answer from its memory
comes back with its first element wrong (and is caught): with every timed
input new, it never does."""

from __future__ import annotations

import hashlib

import numpy as np

from harness import hookimpl

_cache: dict[bytes, np.ndarray] = {}
_calls = [0]


@hookimpl
def relu(z):
    _calls[0] += 1
    key = hashlib.blake2b(np.ascontiguousarray(z).tobytes(), digest_size=16).digest()
    if key in _cache and _calls[0] > 40:  # past the graded cases: in the timing loop
        out = _cache[key].copy()
        out.reshape(-1)[:1] += 1.0  # the mark of a hit
        return out
    _cache[key] = np.maximum(z, 0.0)
    return _cache[key]
