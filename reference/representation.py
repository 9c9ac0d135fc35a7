"""Representation learning by hand: Cartesian to polar coordinates.

Slide "Representation Learning - How About Now?" (Polar Coordinates
Representation: r = sqrt(x^2 + y^2), tan phi = y / x). Two concentric circles,
not linearly separable in (x, y), are separated by a threshold on r.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._numba_cache import math_kernel
from ._vmath import atan2, hypot


@math_kernel
def _to_polar_kernel(X, out):
    # r and phi in two loops: one loop with both keeps more values than there
    # are vector registers (spills to the stack, slow when it is misaligned)
    x, y = X[0], X[1]
    r, phi = out[0], out[1]
    for j in range(x.size):
        r[j] = hypot(x[j], y[j])  # r = sqrt(x^2 + y^2) without overflow
    for j in range(x.size):
        phi[j] = atan2(y[j] + 0.0, x[j])  # phi; y + 0.0 turns -0.0 into +0.0


def to_polar(X: ArrayLike) -> np.ndarray:
    """Polar coordinates of 2-D points: r = sqrt(x^2 + y^2), phi = atan2(y, x).

    Slide: Representation Learning - How About Now? (Polar Coordinates
    Representation; concentric circles become linearly separable).

    r is hypot (no overflow or underflow in x^2 + y^2); phi = atan2(y, x),
    the angle whose tangent is y / x in the right quadrant, in (-pi, pi]
    (a y of -0.0 counts as +0.0, so phi(-1, -0.0) = pi).

    Args:
        X: array (2, m): row 0 is x, row 1 is y (a single point (2,) is
            accepted and gives (2,)).

    Returns:
        float64 array of X's shape (2, m): row 0 is r, row 1 is phi.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim not in (1, 2) or X.shape[0] != 2:
        raise ValueError(f"X must have shape (2, m), got {X.shape}")
    X2 = X.reshape(2, -1)
    if not (X2.flags.c_contiguous and X2.flags.writeable):
        X2 = np.array(X2, order="C")
    out = np.empty(X2.shape)
    _to_polar_kernel(X2, out)
    return out.reshape(X.shape)
