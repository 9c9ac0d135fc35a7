"""Bug: parallel perceptrons fire for W x + b >= T (should be strict, > T)."""

import numpy as np

from harness import hookimpl


@hookimpl
def perceptron_predict(W, b, X, threshold):
    return np.where(W @ X + b >= threshold, 1.0, 0.0)  # BUG: should be > threshold
