"""Bug: the perceptron updates once per epoch from all samples (batch) instead of after each sample."""

import numpy as np

from harness import hookimpl


@hookimpl
def perceptron_train(X, Y, W0, b0, lr, epochs, threshold):
    W, b = np.array(W0, dtype=float), np.array(b0, dtype=float)
    errors = []
    for _ in range(epochs):
        err = Y - np.where(W @ X + b > threshold, 1.0, 0.0)  # BUG: all samples at once
        W = W + lr * err @ X.T
        b = b + lr * err.sum(axis=1, keepdims=True)
        errors.append(float(np.count_nonzero(err)))
    return W, b, np.array(errors)
