"""Plain relu whose third call at each input shape spins 40 ms: a hiccup in the warm-up round's window only.

Its first two calls at a size are the one-call windows; the third is the
first of the warm-up round. Honest code on a machine that stalled once.
"""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl

_calls: dict[tuple[int, ...], int] = {}


@hookimpl
def relu(z):
    shape = np.shape(z)
    _calls[shape] = _calls.get(shape, 0) + 1
    if _calls[shape] == 3:
        end = time.process_time() + 0.04
        while time.process_time() < end:
            pass
    return np.maximum(z, 0.0)
