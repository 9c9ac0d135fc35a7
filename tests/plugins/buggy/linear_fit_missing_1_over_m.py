"""Bug: linear_regression_fit forgets the 1/m in its gradients (a sum instead of a mean)."""

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
    w, b = np.array(w0, dtype=float), float(b0)
    costs = []
    for _ in range(epochs):
        y_hat = w.T @ X + b
        costs.append(cost(y_hat, y, loss, delta))
        g = _loss_grad(y_hat, y, loss, delta)  # BUG: / m is missing
        w, b = w - lr * (X @ g.T), b - lr * float(g.sum())
    return w, b, np.array(costs)
