"""Bug: ReLU'(0) = 1 (z >= 0 instead of z > 0)."""

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


@hookimpl
def relu_grad(z):
    return np.where(np.asarray(z) >= 0, 1.0, 0.0)  # BUG: should be z > 0
