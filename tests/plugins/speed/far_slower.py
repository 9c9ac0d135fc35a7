"""Correct relu doing forty times the work it needs: far slower than the
reference, it is timed for one pair of rounds (its points hardly move)."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    out = np.asarray(z, dtype=float)
    for _ in range(40):
        out = np.where(out > 0.0, out, 0.0)
    return out
