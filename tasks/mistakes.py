"""Known mistakes that are an algorithm of their own: training loops and back-propagation done wrong.

A task's known mistake is what a typical wrong answer computes; a failing
output that equals it gets the mistake's hint. Most are a small change of the
right answer and are computed from the reference's output where the task is
(a flipped sign, a missing 1/m, a transposed dW, the cost after the update...).
The ones here change a step inside a loop, so they need the loop: the slides'
L1 and Huber derivative errata inside a fit or back-propagation, a batch
perceptron, a bias never updated, errors counted per sample, g'(A) for g'(Z).
Each function is the lecture's algorithm with a switch per mistake (off: the
lecture's). Never an expected value and never a check: those are the
reference's (``reference/``), the one trusted statement of the formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tasks import MLP_DELTA

ALPHA = 0.1  # leaky ReLU slope of the lecture (and of the MLP hooks)
EPS = 1e-12  # logistic loss: y_hat is read in [EPS, 1 - EPS]

Params = list[tuple[np.ndarray, np.ndarray]]


def sigmoid(z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activation(name: str, z: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, alpha * z)
    if name == "linear":
        return np.array(z, dtype=np.float64)
    raise ValueError(f"unknown activation {name!r}")


def activation_grad(name: str, z: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, alpha)
    if name == "linear":
        return np.ones_like(z, dtype=np.float64)
    raise ValueError(f"unknown activation {name!r}")


# ---------------------------------------------------------------------- losses


def _clip(y_hat: np.ndarray) -> np.ndarray:
    return np.clip(y_hat, EPS, 1.0 - EPS)


def loss(name: str, y_hat: Any, y: Any, delta: float = MLP_DELTA) -> np.ndarray:
    y_hat, y = np.asarray(y_hat, dtype=np.float64), np.asarray(y, dtype=np.float64)
    r = y - y_hat
    if name == "l1":
        return np.abs(r)
    if name == "l2":
        return r**2
    if name == "huber":
        return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r) - 0.5 * delta**2)
    if name == "logistic":
        p = _clip(y_hat)
        return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    raise ValueError(f"unknown loss {name!r}")


def loss_grad(name: str, y_hat: Any, y: Any, delta: float = MLP_DELTA, *, erratum: bool = False) -> np.ndarray:
    """dL/dy_hat; ``erratum=True`` uses the slide's wrong outer branches (L1, Huber)."""
    y_hat, y = np.asarray(y_hat, dtype=np.float64), np.asarray(y, dtype=np.float64)
    r = y - y_hat
    if name == "l1":
        return np.where(y < y_hat, -1.0, 1.0) if erratum else np.sign(y_hat - y)
    if name == "l2":
        return -2.0 * r
    if name == "huber":
        if erratum:
            return np.where(r < -delta, -delta, np.where(r > delta, delta, -r))
        return np.clip(y_hat - y, -delta, delta)
    if name == "logistic":
        p = _clip(y_hat)
        return -y / p + (1.0 - y) / (1.0 - p)
    raise ValueError(f"unknown loss {name!r}")


def as_rows(a: Any) -> np.ndarray:
    """``cost`` reads a 1-D (m,) array as (1, m)."""
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(1, -1) if a.ndim < 2 else a


def cost(y_hat: Any, y: Any, name: str, delta: float = MLP_DELTA) -> float:
    """J = (1/m) sum L."""
    y_hat, y = as_rows(y_hat), as_rows(y)
    return float(loss(name, y_hat, y, delta).sum()) / y_hat.shape[1]


# ---------------------------------------------------------------- optimisation


# ------------------------------------------------------------------ regression


def linear_fit(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray, b0: float, lr: float, epochs: int, loss_name: str,
    delta: float, *, per_m: bool = True, cost_after: bool = False, erratum: bool = False,
) -> tuple[np.ndarray, float, np.ndarray]:
    w, b = np.array(w0, dtype=np.float64), float(b0)
    m = X.shape[1]
    costs = []
    for _ in range(epochs):
        y_hat = w.T @ X + b
        if not cost_after:
            costs.append(cost(y_hat, y, loss_name, delta))
        g = loss_grad(loss_name, y_hat, y, delta, erratum=erratum)
        if per_m:
            g = g / m
        w = w - lr * (X @ g.T)
        b = b - lr * float(g.sum())
        if cost_after:
            costs.append(cost(w.T @ X + b, y, loss_name, delta))
    return w, b, np.array(costs, dtype=np.float64)


# ------------------------------------------------------------------ perceptron


def step(z: Any, threshold: float) -> np.ndarray:
    return np.where(np.asarray(z, dtype=np.float64) > threshold, 1.0, 0.0)


def perceptron_train(
    X: np.ndarray, Y: np.ndarray, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int,
    threshold: float, *, batch: bool = False, update_bias: bool = True, count: str = "outputs",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rosenblatt's rule; ``count`` "outputs" (right) or "samples" (samples with any wrong output)."""
    W, b = np.array(W0, dtype=np.float64), np.array(b0, dtype=np.float64)

    def wrong_of(err: np.ndarray) -> int:
        return int(np.count_nonzero(err) if count == "outputs" else np.count_nonzero(np.any(err != 0, axis=0)))

    errors = []
    for _ in range(epochs):
        if batch:
            err = Y - step(W @ X + b, threshold)
            W = W + lr * err @ X.T
            if update_bias:
                b = b + lr * err.sum(axis=1, keepdims=True)
            errors.append(float(wrong_of(err)))
            continue
        wrong = 0
        for j in range(X.shape[1]):
            x = X[:, j : j + 1]
            err = Y[:, j : j + 1] - step(W @ x + b, threshold)
            W = W + lr * err @ x.T
            if update_bias:
                b = b + lr * err
            wrong += wrong_of(err)
        errors.append(float(wrong))
    return W, b, np.array(errors, dtype=np.float64)


# ------------------------------------------------------------------------- MLP


def forward(params: Params, X: np.ndarray, activations: list[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Z and A of every layer (A[0] = X)."""
    Zs, As = [], [np.asarray(X, dtype=np.float64)]
    for (W, b), name in zip(params, activations, strict=True):
        Zs.append(W @ As[-1] + b)
        As.append(activation(name, Zs[-1]))
    return Zs, As


def backward(
    params: Params, X: np.ndarray, Y: np.ndarray, activations: list[str], loss_name: str, *,
    divide: str = "m", transpose: bool = False, sign: float = 1.0, erratum: bool = False,
    grad_of_a: bool = False,
) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """Cost and gradients; the keywords switch on known mistakes.

    ``divide``: "m" (right), "none" (gradients summed), "all" (divided by n_out m).
    ``grad_of_a``: the activation's derivative is evaluated at A instead of Z.
    """
    Zs, As = forward(params, X, activations)
    Y = np.asarray(Y, dtype=np.float64)
    J = cost(As[-1], Y, loss_name, MLP_DELTA)
    scale = {"m": 1.0 / Y.shape[1], "none": 1.0, "all": 1.0 / Y.size}[divide]
    dA = sign * scale * loss_grad(loss_name, As[-1], Y, MLP_DELTA, erratum=erratum)
    grads: list[tuple[np.ndarray, np.ndarray]] = []
    for layer in range(len(params) - 1, -1, -1):
        W = params[layer][0]
        at = As[layer + 1] if grad_of_a else Zs[layer]
        dZ = dA * activation_grad(activations[layer], at)
        dW = dZ @ As[layer].T
        grads.append((dW.T if transpose else dW, dZ.sum(axis=1, keepdims=True)))
        dA = W.T @ dZ
    return J, grads[::-1]


def train(
    params: Params, X: np.ndarray, Y: np.ndarray, activations: list[str], loss_name: str, lr: float,
    epochs: int, *, cost_after: bool = False, divide: str = "m",
) -> tuple[Params, np.ndarray]:
    params = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in params]
    costs = []
    for _ in range(epochs):
        J, grads = backward(params, X, Y, activations, loss_name, divide=divide)
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
        if cost_after:
            J = cost(forward(params, X, activations)[1][-1], Y, loss_name, MLP_DELTA)
        costs.append(J)
    return params, np.array(costs, dtype=np.float64)
