"""Bug: the Huber derivative as the slide prints it (outer branches with flipped signs)."""

import numpy as np

from harness import hookimpl


@hookimpl
def huber_loss(y_hat, y, delta):
    r = np.abs(np.asarray(y) - y_hat)
    return np.where(r <= delta, 0.5 * r**2, delta * r - 0.5 * delta**2)


@hookimpl
def huber_loss_grad(y_hat, y, delta):
    r = np.asarray(y) - y_hat
    return np.where(r < -delta, -delta, np.where(r > delta, delta, -r))  # BUG: the slide's erratum
