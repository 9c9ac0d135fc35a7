"""Bug: the dense layer forgets its bias."""

import numpy as np

from harness import hookimpl

G = {
    "sigmoid": lambda z: np.exp(-np.logaddexp(0.0, -z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z),
    "linear": lambda z: z.copy(),
}


@hookimpl
def dense_forward(W, b, A_prev, activation):
    Z = W @ A_prev  # BUG: + b is missing
    return Z, G[activation](Z)
