"""Bug: leaky_relu ignores its alpha argument (the lecture's 0.1 is hard-coded); leaky_relu_grad is right."""

import numpy as np

from harness import hookimpl


@hookimpl
def leaky_relu(z, alpha):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, 0.1 * z)  # BUG: should be alpha * z


@hookimpl
def leaky_relu_grad(z, alpha):
    return np.where(np.asarray(z) > 0, 1.0, alpha)
