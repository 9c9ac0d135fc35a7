"""Bug: linear_regression_fit records the cost after each update instead of before it."""

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
    w, b, m = np.array(w0, dtype=float), float(b0), X.shape[1]
    costs = []
    for _ in range(epochs):
        g = _loss_grad(w.T @ X + b, y, loss, delta) / m
        w, b = w - lr * (X @ g.T), b - lr * float(g.sum())
        costs.append(cost(w.T @ X + b, y, loss, delta))  # BUG: recorded after the update
    return w, b, np.array(costs)
