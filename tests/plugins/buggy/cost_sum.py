"""Bug: the cost is a sum over samples, the 1/m is missing."""

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


@hookimpl
def l2_loss(y_hat, y):
    return (np.asarray(y) - y_hat) ** 2


@hookimpl
def cost(y_hat, y, loss, delta):
    y_hat, y = np.atleast_2d(y_hat), np.atleast_2d(y)
    return float(_loss(y_hat, y, loss, delta).sum())  # BUG: should be divided by m = y.shape[1]
