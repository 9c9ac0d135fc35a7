"""Fresh inputs in one pass: the kernels of :func:`harness.speed.measure.make_pool`.

Each writes a round's inputs into the pool in a single pass over it (the
NumPy version took three: the random draws, the factors, the product; 4 ms
for 16 MiB against 1.3 ms), drawing from SplitMix64 seeded anew from the
system's random source for every round: nothing about one round's inputs
tells the next's.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1, _M2 = uint64(0xBF58476D1CE4E5B9), uint64(0x94D049BB133111EB)


@njit(inline="always")
def _next(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """SplitMix64: the state moved on, and its next 64 random bits."""
    state += _GOLDEN
    z = (state ^ (state >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return state, z ^ (z >> uint64(31))


@njit(cache=True, nogil=True)
def scaled_in_place(flat: np.ndarray, count: int, jitter: float, seed: np.uint64, out: np.ndarray) -> None:
    """``count`` copies of ``flat`` side by side in ``out``, every element times its own factor in (1 - jitter, 1].

    One of 256 levels a factor (a byte of the generator's word each).
    """
    size, n = flat.size, count * flat.size
    words = np.empty((n + 7) // 8, dtype=np.uint64)
    state = uint64(seed)
    for w in range(words.size):  # the draws first (a byte a factor), then a loop NumPy-like code vectorises
        state, words[w] = _next(state)
    levels = words.view(np.uint8)
    unit = jitter / 256.0
    for c in range(count):
        base = c * size
        for j in range(size):
            out[base + j] = flat[j] * (1.0 - unit * levels[base + j])


@njit(cache=True, nogil=True)
def moved_pieces(flat: np.ndarray, n: int, piece: int, jitter: float, seed: np.uint64, out: np.ndarray) -> None:
    """``n`` values in ``out``: pieces of ``piece`` values, each copied from a random place of ``flat``
    (a multiple of ``piece``) and scaled by its own factor in (1 - jitter, 1] (double precision)."""
    places, pieces = flat.size // piece, -(-n // piece)
    starts = np.empty(pieces, dtype=np.int64)
    factors = np.empty(pieces)
    state = uint64(seed)
    for i in range(pieces):  # the draws first: the copies below then overlap their memory reads
        state, bits = _next(state)
        starts[i] = int(((bits >> uint64(32)) * uint64(places)) >> uint64(32)) * piece  # a place in [0, places)
        state, bits = _next(state)
        factors[i] = 1.0 - jitter * (float(bits >> uint64(11)) * 2.0 ** -53)
    whole = n // piece
    for i in range(whole):  # by slices, any piece: vectorised (element by element, as pieces other than 64 were
        src, dst, factor = flat[starts[i]:starts[i] + piece], out[i * piece:i * piece + piece], factors[i]
        for k in range(piece):  # copied before, 16 MiB in pieces of 62 took 2.6 to 4.3 ms; now 0.5 to 0.8)
            dst[k] = src[k] * factor
    for k in range(n - whole * piece):  # the rest of the last input: a piece cut short
        out[whole * piece + k] = flat[starts[-1] + k] * factors[-1]
