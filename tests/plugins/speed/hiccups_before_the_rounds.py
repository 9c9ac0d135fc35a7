"""Plain relu that spins 40 ms in its second and third calls at each input shape: in the one-call window
that gives the first estimate of its time per call, and in the warm-up round's window right after.

Honest code on a machine that stalled twice before the rounds: its warm-up makes one call, and a look
sized by that call's time (fixed cost over one call) would cut it to a few dozen calls a block.
"""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl

STALLED = (2, 3)  # the calls, at each shape, that spin
seen: dict[tuple[int, ...], int] = {}


@hookimpl
def relu(z):
    seen[np.shape(z)] = n = seen.get(np.shape(z), 0) + 1
    if n in STALLED:
        stop = time.process_time() + 0.04
        while time.process_time() < stop:
            pass
    return np.maximum(z, 0.0)
