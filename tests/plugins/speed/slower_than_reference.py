"""Correct relu doing about three times the work it needs: honestly slower
than the reference, it earns part of the speed points."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    out = np.where(z > 0.0, z, 0.0)
    out = np.where(out > 0.0, out, 0.0)
    return np.where(out > 0.0, out, 0.0)
