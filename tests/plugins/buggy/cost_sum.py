"""Bug: the cost is a sum over samples, the 1/m is missing."""

import numpy as np
from _lecture import loss as _loss

from harness import hookimpl


@hookimpl
def l2_loss(y_hat, y):
    return (np.asarray(y) - y_hat) ** 2


@hookimpl
def cost(y_hat, y, loss, delta):
    y_hat, y = np.atleast_2d(y_hat), np.atleast_2d(y)
    return float(_loss(y_hat, y, loss, delta).sum())  # BUG: should be divided by m = y.shape[1]
