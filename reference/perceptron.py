"""The discrete perceptron: k parallel step units and Rosenblatt's learning rule.

Slides "Perceptron" (1958 - Rosenblatt - Discrete Perceptron: step activation,
classification of linearly separable patterns) and "Single-Layer Perceptron"
(multiple classes - multiple parallel perceptrons, one per row of W).

Shapes: ``W`` is ``(k, n)``, ``b`` is ``(k, 1)``, ``X`` is ``(n, m)`` (one
sample per column), ``Y`` is ``(k, m)`` of 0/1. The step is strict:
y_hat = 1 if W x + b > T else 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._linalg import matmul_into
from ._numba_cache import kernel
from ._validate import as_count, as_float, column, matrix


@kernel
def _perceptron_predict_kernel(W, b, X, threshold):
    out = np.empty((W.shape[0], X.shape[1]))
    matmul_into(W, X, out)  # W X
    for r in range(out.shape[0]):
        z = out[r]
        br = b[r]
        for j in range(z.size):
            z[j] = 1.0 if z[j] + br > threshold else 0.0  # step(W x + b), strict z > T
    return out


@kernel
def _perceptron_train_kernel(X, Y, W0, b0, lr, epochs, threshold):
    k, n = W0.shape
    m = X.shape[1]
    W = W0.copy()
    b = b0.copy()
    errors = np.zeros(epochs)
    for e in range(epochs):
        wrong = 0
        for j in range(m):  # online: one sample (column) at a time, in order
            for r in range(k):  # the k perceptrons are independent
                z = b[r]
                for i in range(n):
                    z += W[r, i] * X[i, j]
                err = Y[r, j] - (1.0 if z > threshold else 0.0)  # y - y_hat
                if err != 0.0:
                    wrong += 1  # counted before this sample's update
                    step = lr * err
                    for i in range(n):
                        W[r, i] += step * X[i, j]  # W += lr (y - y_hat) x^T
                    b[r] += step  # b += lr (y - y_hat)
        errors[e] = wrong
    return W, b, errors


def perceptron_predict(W: ArrayLike, b: ArrayLike, X: ArrayLike, threshold: float) -> np.ndarray:
    """k parallel discrete perceptrons: Y_hat = step(W X + b, T), strict z > T.

    Slide: Perceptron; Single-Layer Perceptron (multiple parallel perceptrons).

    Args:
        W: array (k, n).
        b: array (k, 1).
        X: array (n, m), samples are columns.
        threshold: float T.

    Returns:
        float64 array (k, m) of 0.0 and 1.0.
    """
    W = matrix(W, "W")
    X = matrix(X, "X")
    if X.shape[0] != W.shape[1]:
        raise ValueError(f"W {W.shape} and X {X.shape} do not chain (W X)")
    return _perceptron_predict_kernel(W, column(b, W.shape[0], "b"), X, as_float(threshold))


def perceptron_train(
    X: ArrayLike,
    Y: ArrayLike,
    W0: ArrayLike,
    b0: ArrayLike,
    lr: float,
    epochs: int,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rosenblatt's rule, online, samples in column order.

    Slide: Perceptron (1958 - Rosenblatt - classification of linearly separable
    patterns).

    For each epoch, for each column x of X in order, with target column y:
    y_hat = step(W x + b, T); W += lr (y - y_hat) x^T; b += lr (y - y_hat).
    errors[e] counts the wrong outputs (y_hat != y, over all k rows) seen in
    epoch e, each judged before that sample's update. It reaches 0 on linearly
    separable data and never on XOR (Minsky, 1969).

    Args:
        X: array (n, m), samples are columns.
        Y: array (k, m) of 0.0 and 1.0 (a 1-D (m,) is read as (1, m)).
        W0: array (k, n), the initial weights (not modified).
        b0: array (k, 1), the initial biases (not modified).
        lr: float, the learning rate.
        epochs: int >= 0.
        threshold: float T.

    Returns:
        tuple (W, b, errors): W float64 array (k, n), b float64 array of b0's
        shape (k, 1), errors float64 array (epochs,) of whole counts.
    """
    X = matrix(X, "X")
    W0 = matrix(W0, "W0")
    k, n = W0.shape
    m = X.shape[1]
    Yarr = np.asarray(Y, dtype=np.float64)
    if Yarr.ndim == 1 and k == 1:
        Yarr = Yarr.reshape(1, -1)
    if Yarr.shape != (k, m) or X.shape[0] != n:
        raise ValueError(
            f"shapes do not agree: X {X.shape}, Y {np.shape(Y)}, W0 {W0.shape}; "
            "expected X (n, m), Y (k, m), W0 (k, n)"
        )
    b0_shape = np.shape(b0)
    W, b, errors = _perceptron_train_kernel(
        X,
        matrix(Yarr, "Y"),
        W0,
        column(b0, k, "b0"),
        as_float(lr, "lr"),
        as_count(epochs, "epochs"),
        as_float(threshold, "threshold"),
    )
    return W, b.reshape(b0_shape), errors
