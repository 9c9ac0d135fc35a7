"""Bug: linear_regression_fit records the cost after each update instead of before it."""

import numpy as np

from harness import hookimpl


def _loss(y_hat, y, loss, delta):
    r = y - y_hat
    if loss == "l1":
        return np.abs(r)
    if loss == "l2":
        return r**2
    if loss == "huber":
        return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r) - 0.5 * delta**2)
    return -(y * np.log(y_hat) + (1 - y) * np.log1p(-y_hat))


def _loss_grad(y_hat, y, loss, delta):
    if loss == "l1":
        return np.sign(y_hat - y)
    if loss == "l2":
        return -2.0 * (y - y_hat)
    if loss == "huber":
        return np.clip(y_hat - y, -delta, delta)
    return -y / y_hat + (1 - y) / (1 - y_hat)


@hookimpl
def l2_loss(y_hat, y):
    return (np.asarray(y) - y_hat) ** 2


@hookimpl
def cost(y_hat, y, loss, delta):
    y_hat, y = np.atleast_2d(y_hat), np.atleast_2d(y)
    return float(_loss(y_hat, y, loss, delta).sum() / y.shape[1])



@hookimpl
def linear_regression_fit(X, y, w0, b0, lr, epochs, loss, delta):
    w, b, m = np.array(w0, dtype=float), float(b0), X.shape[1]
    costs = []
    for _ in range(epochs):
        g = _loss_grad(w.T @ X + b, y, loss, delta) / m
        w, b = w - lr * (X @ g.T), b - lr * float(g.sum())
        costs.append(cost(w.T @ X + b, y, loss, delta))  # BUG: recorded after the update
    return w, b, np.array(costs)
