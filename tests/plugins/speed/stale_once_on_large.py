"""Correct relu everywhere but in one timed call at the large size, which
answers the call before's output again: one stale output among ~20 large
calls, past the warm-up round. A check of a sampled call or two a round
would let it pass three times in four; every timed call's fingerprint is
compared with the reference's, so it is caught every time (40 of 40 runs;
before the inputs moved wherever two answers' sums of squares are less than
256 tolerances apart, they stayed in place in 3 runs of 40 and the stale
answer passed its fingerprint in 1 of those)."""

from __future__ import annotations

import numpy as np

from harness import hookimpl

LARGE = 1 << 18  # elements: the large size's inputs only
_large = {"n": 0, "last": None}


@hookimpl
def relu(z):
    if np.size(z) < LARGE:
        return np.maximum(z, 0.0)
    _large["n"] += 1
    if _large["n"] == 8 and _large["last"] is not None:  # the first call, the one-call window, a warm-up
        return _large["last"]  # round of two calls, then round 0 and round 1: its second call
    _large["last"] = np.maximum(z, 0.0)
    return _large["last"]
