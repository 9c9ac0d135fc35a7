"""Bug: the step is 1 for z >= T (should be strict, z > T)."""

import numpy as np

from harness import hookimpl


@hookimpl
def step(z, threshold):
    return np.where(np.asarray(z) >= threshold, 1.0, 0.0)  # BUG: should be z > threshold
