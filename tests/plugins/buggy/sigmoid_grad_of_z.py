"""Bug: sigma(z) (1 - z) instead of sigma(z) (1 - sigma(z))."""

import numpy as np

from harness import hookimpl


@hookimpl
def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


@hookimpl
def sigmoid_grad(z):
    z = np.asarray(z, dtype=float)
    return sigmoid(z) * (1.0 - z)  # BUG: should be 1 - sigmoid(z)
