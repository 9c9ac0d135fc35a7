"""Plain, correct relu, relu_grad and sigmoid: what the cheating fixtures wrap (benchmarks/speed_cheats.py)."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def relu_grad(z):
    return (np.asarray(z) > 0).astype(np.float64)


@hookimpl
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))
