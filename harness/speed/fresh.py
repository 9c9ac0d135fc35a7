"""Fresh inputs for every timed call: :func:`make_pool` and its kernels, one pass over the pool each.

Each kernel writes a round's inputs into the pool in a single pass over it (the
NumPy version took three: the random draws, the factors, the product; 4 ms
for 16 MiB against 1.3 ms), drawing from SplitMix64 seeded anew from the
system's random source for every round: nothing about one round's inputs
tells the next's.
"""

from __future__ import annotations

import random
from typing import Any

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


# Moved inputs (make_pool): pieces of up to 64 elements (telling where a piece came from, to copy a kept answer,
# costs about what computing it does), from 16 places at least, as small as 2^15 pieces a round allow (16 MiB moved,
# caches warm: 6.3 ms in pieces of 16, 2^17 a round, a random read every 128 bytes; 1.35 ms in pieces of 64. In a
# run, caches cold, the large size's pieces of 62: median 1.7 ms, 6.7 before moved_pieces copied by slices).
PIECE, MIN_PLACES, MAX_PIECES = 64, 16, 1 << 15
SYSTEM_RANDOM = random.SystemRandom()  # inputs, checked calls, orders: not predictable from the run's seed


def unpredictable() -> np.random.Generator:
    """A fast generator seeded from the system's random source (not from the run's seed)."""
    return np.random.Generator(np.random.SFC64(SYSTEM_RANDOM.getrandbits(128)))


def make_pool(base: Any, count: int, jitter: float, out: np.ndarray | None = None, moved: bool = True) -> np.ndarray:
    """``count`` fresh inputs: every element of ``base`` scaled anew, in place or (``moved``) moved too.

    Written to ``out`` when given (float64, ``count`` times ``base``'s size
    at least), memory whose pages are in place already (a new 16 MiB array a
    round costs its page faults).

    Not ``moved``: every element stays where it is, times its own factor in
    (1 - jitter, 1], drawn for every element of every call (one of 256 levels
    in an input of 16 elements or more, where no two inputs can be alike; at
    double precision in a smaller one). The input keeps its structure (the
    samples of a training set keep their labels), so a training run stays
    as well-posed as the staged one: moved, the 4 XOR samples of the tiny
    network's training set became conflicting data that trained
    chaotically, and two right implementations ended beyond the tolerance
    of each other once in 200 calls.

    ``moved``: the inputs are cut in pieces of up to :data:`PIECE` elements, as small
    as :data:`MAX_PIECES` pieces a round allow (one element where a round's
    inputs are few), and no larger than a :data:`MIN_PLACES`-th of the input;
    each piece is copied from a place of the staged input drawn for it and
    scaled by its own factor in (1 - jitter, 1] at double precision. So signs,
    zeros and the staged range are kept (labels of 0 and 1 stay in [0, 1],
    probabilities stay probabilities), but not where they lie: an output that
    depends on its input's signs alone (a derivative of 0s and 1s, a
    prediction of classes) is new in every call too, and an answer kept from
    another call is wrong. No piece comes twice, not even a one-number
    input's; places and factors come from the system's random source, and
    none can be known before its window.

    Made in one pass over the pool (the kernels above: SplitMix64
    seeded from the system's source anew each round; the NumPy version took
    three passes: 3.5 to 4.4 ms for 16 MiB scaled in place, 1.3 to 1.7 now;
    moved, 3.4 to 5.0 ms, now 0.8 to 1.0 in pieces of 64 or 62; caches
    warm; a ``numpy`` run's moved inputs 0.5 s in all, 1.4 s when pieces
    other than 64 were copied element by element).
    """
    base = np.asarray(base, dtype=np.float64)
    flat = np.ascontiguousarray(base.reshape(-1))
    size, n = flat.size, count * flat.size
    pool = out[:n] if out is not None else np.empty(n)
    seed = np.uint64(SYSTEM_RANDOM.getrandbits(64))
    if not moved and size >= 16:  # a byte a factor (one pass over the pool)
        scaled_in_place(flat, count, jitter, seed, pool)
    elif not moved:
        grid = pool.reshape(count, size)
        unpredictable().random(out=pool)
        grid *= flat * jitter
        np.subtract(flat, grid, out=grid)  # base * (1 - jitter * factor)
    else:
        piece = min(PIECE, max(-(-n // MAX_PIECES), 1), max(size // MIN_PLACES, 1))
        moved_pieces(flat, n, piece, jitter, seed, pool)
    return pool.reshape(count, *base.shape)
