"""Bug: dw and db of the logistic-regression step are sums over samples (the 1/m is missing)."""

import numpy as np

from harness import hookimpl


@hookimpl
def logistic_regression_step(w, b, X, y, lr):
    z = w.T @ X + b
    a = np.exp(-np.logaddexp(0.0, -z))
    cost = float(np.mean(np.logaddexp(0.0, -z) * y + np.logaddexp(0.0, z) * (1 - y)))
    dz = a - y
    dw = X @ dz.T  # BUG: / m is missing
    db = float(dz.sum())  # BUG: / m is missing
    return cost, dw, db, w - lr * dw, b - lr * db
