"""Bug: 1 - tanh(z) instead of 1 - tanh(z)^2."""

import numpy as np

from harness import hookimpl


@hookimpl
def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


@hookimpl
def tanh_grad(z):
    return 1.0 - np.tanh(np.asarray(z, dtype=float))  # BUG: the square is missing
