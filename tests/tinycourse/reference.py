"""The tiny course's reference solution."""

from __future__ import annotations

import numpy as np


def double(x):
    return 2.0 * np.asarray(x, dtype=np.float64)


def min_max(x):
    return float(np.min(x)), float(np.max(x))
