"""Bug: lReLU'(0) = 1 (z >= 0 instead of z > 0)."""

import numpy as np

from harness import hookimpl


@hookimpl
def leaky_relu(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


@hookimpl
def leaky_relu_grad(z, alpha):
    return np.where(np.asarray(z) >= 0, 1.0, alpha)  # BUG: should be z > 0
