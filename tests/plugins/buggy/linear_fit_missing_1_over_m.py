"""Bug: linear_regression_fit forgets the 1/m in its gradients (a sum instead of a mean)."""

import numpy as np
from _lecture import loss as _loss
from _lecture import loss_grad as _loss_grad

from harness import hookimpl


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
