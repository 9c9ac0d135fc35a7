"""Bug: the forward pass forgets every layer's bias."""

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
def mlp_forward(params, X, activations):
    A = np.asarray(X, dtype=float)
    for (W, _b), name in zip(params, activations, strict=True):
        A = G[name](W @ A)  # BUG: + b is missing
    return A
