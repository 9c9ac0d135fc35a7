"""Bug: relu changes its input in place (and returns it); relu_grad is right."""

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    np.maximum(z, 0.0, out=z)  # BUG: overwrites the caller's array
    return z


@hookimpl
def relu_grad(z):
    return (np.asarray(z) > 0).astype(float)
