"""Bug: sigma(z) = e^z / (1 + e^z), which is inf/inf = NaN for large z."""

import numpy as np

from harness import hookimpl


@hookimpl
def sigmoid(z):
    e = np.exp(np.asarray(z, dtype=float))  # BUG: overflows for z > 709
    return e / (1.0 + e)
