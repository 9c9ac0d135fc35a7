"""Bug: dL/dy_hat of the L2 loss with its sign flipped, 2 (y - y_hat)."""

import numpy as np

from harness import hookimpl


@hookimpl
def l2_loss(y_hat, y):
    return (np.asarray(y) - y_hat) ** 2


@hookimpl
def l2_loss_grad(y_hat, y):
    return 2.0 * (np.asarray(y) - y_hat)  # BUG: should be -2 (y - y_hat)
