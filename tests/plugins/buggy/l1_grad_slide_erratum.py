"""Bug: the L1 derivative as the slide prints it (-1 if y < y_hat, 1 otherwise)."""

import numpy as np

from harness import hookimpl


@hookimpl
def l1_loss(y_hat, y):
    return np.abs(np.asarray(y) - y_hat)


@hookimpl
def l1_loss_grad(y_hat, y):
    return np.where(np.asarray(y) < y_hat, -1.0, 1.0)  # BUG: the slide's erratum
