"""A cheap commitment to a timed call's output (speed, README "Speed").

The worker returns, with every timed block, one fingerprint per call; after
the block the grading side asks for the outputs of a few calls it picks at
random and checks each against its fingerprint and against the reference's
output for the same input. A plugin that skips calls, returns stale answers
or computes only the outputs it is later asked for cannot make the
fingerprints match without doing every call's work.

A fingerprint is two numbers: the CRC-32 of the small leaves' float64 bytes
(exact, 0.2 us) and the dot product of each large leaf with itself (BLAS,
about 10% of a memory-bound pass; compared with a relative tolerance). The
grading side also holds every call's dot product to the reference's for the
same input, to the task's tolerance: a stale or made-up output is caught in
every call, not only in the calls it picks.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

SMALL = 1024  # elements: CRC-32 up to here, a dot product above
RTOL = 1e-9


def leaves(value: Any) -> list[Any]:
    """The arrays and numbers of an output, in order (lists and tuples opened)."""
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def fingerprint(value: Any) -> tuple[float, float]:
    """The fingerprint of one output (an array, a number, or nested lists/tuples of them)."""
    return of_leaves([np.asarray(leaf, dtype=np.float64) for leaf in leaves(value)])


def of_leaves(arrays: list[np.ndarray]) -> tuple[float, float]:
    """The fingerprint of an output given as its leaves, float64 arrays (a worker's commit: contiguous already)."""
    crc, dot = 0, 0.0
    for a in arrays:
        if a.size <= SMALL:
            crc = zlib.crc32(np.ascontiguousarray(a), crc)
        else:
            r = a.ravel()
            dot += float(r @ r)
    return float(crc), dot


def matches(committed: np.ndarray, value: Any) -> bool:
    """Whether ``value`` is the output a committed fingerprint ``(crc, dot)`` was made of."""
    crc, dot = fingerprint(value)
    same_dot = bool(np.isclose(committed[1], dot, rtol=RTOL, atol=0.0, equal_nan=True))
    return committed[0] == crc and same_dot
