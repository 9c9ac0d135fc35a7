"""Bug: phi = arctan(y / x), which loses the quadrant for x < 0."""

import numpy as np

from harness import hookimpl


@hookimpl
def to_polar(X):
    x, y = X[0], X[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.arctan(y / x)  # BUG: should be np.arctan2(y, x)
    return np.vstack([np.hypot(x, y), phi])
