"""Honest code that answers Python lists where the contract has arrays (as
pure-Python code would): relu as a nested list, dense_forward as (Z, A),
two nested lists. Correctness reads a list as its array; so must the timed
calls' checks (they once read 10^4 numbers where the reference had one
array, and voided the task as "wrong or stale")."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(np.asarray(z), 0.0).tolist()


@hookimpl
def dense_forward(W, b, A_prev, activation):
    Z = np.asarray(W) @ np.asarray(A_prev) + np.asarray(b).reshape(-1, 1)
    acts = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0.0),
            "tanh": np.tanh, "leaky_relu": lambda z: np.maximum(0.1 * z, z), "linear": lambda z: z}
    return Z.tolist(), acts[activation](Z).tolist()
