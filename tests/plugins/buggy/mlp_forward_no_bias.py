"""Bug: the forward pass forgets every layer's bias."""

import numpy as np
from _lecture import G

from harness import hookimpl


@hookimpl
def mlp_forward(params, X, activations):
    A = np.asarray(X, dtype=float)
    for (W, _b), name in zip(params, activations, strict=True):
        A = G[name](W @ A)  # BUG: + b is missing
    return A
