"""Hostile: outputs too large to travel.

sigmoid returns an 80 MB array (over a 64 MiB output limit); tanh returns a
broadcast view of 2**34 elements (128 GiB once copied). Expect: invalid
output ("output too large") for sigmoid, error naming the memory limit for tanh.
"""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    return np.zeros(10_000_000)


@hookimpl
def tanh(z):
    return np.broadcast_to(np.float64(0.5), (1 << 34,))
