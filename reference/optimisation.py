"""Gradient descent on f(p) = sum(p^2) and the chain rule on a computational graph.

Slides "Gradient Descent" (x := x - alpha grad f(x); alpha = 0.3 and
alpha = 1.5 on f(x) = x^2) and "Computational Graph - Backward Pass"
(h(x) = (2(x + 1))^2 as f = x + 1, g = 2f, h = g^2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._numba_cache import kernel
from ._validate import as_count, as_float


@kernel
def _gradient_descent_kernel(x0, lr, steps):
    n = x0.size
    traj = np.empty((steps + 1, n))
    for j in range(n):
        traj[0, j] = x0[j]
    for k in range(steps):
        for j in range(n):
            x = traj[k, j]
            traj[k + 1, j] = x - lr * (2.0 * x)  # x := x - alpha grad f(x), grad f = 2x
    return traj


def _chain_rule(x: float) -> tuple[float, float, float, float, float, float]:
    # Plain Python, not a kernel: six float operations cost less than one call
    # through numba's dispatcher (about 0.2 us; see docs/peers.md).
    # forward pass
    f = x + 1.0
    g = 2.0 * f
    h = g * g
    # backward pass: multiply the local derivatives from the output back
    dh_dg = 2.0 * g  # d(g^2)/dg
    dh_df = dh_dg * 2.0  # dg/df = 2
    dh_dx = dh_df * 1.0  # df/dx = 1
    return f, g, h, dh_dg, dh_df, dh_dx


def gradient_descent(x0: ArrayLike, lr: float, steps: int) -> np.ndarray:
    """Gradient descent x := x - lr * grad f(x) on f(p) = sum(p^2), so grad f(p) = 2p.

    Slide: Gradient Descent (alpha = 0.3 converges, x_k = (1 - 2 alpha)^k x0 =
    0.4^k x0; alpha = 1.5 diverges, x_k = (-2)^k x0). Every step is computed as
    the slide writes it, x - alpha (2x), not as the closed form.

    Args:
        x0: array (n,), the starting point (a scalar is read as (1,); any other
            shape is flattened).
        lr: float, the learning rate alpha.
        steps: int >= 0, the number of updates.

    Returns:
        float64 array (steps + 1, n): the trajectory, x0 first.
    """
    x = np.asarray(x0, dtype=np.float64).ravel()
    return _gradient_descent_kernel(x, as_float(lr, "lr"), as_count(steps, "steps"))


def chain_rule_example(x: float) -> tuple[float, float, float, float, float, float]:
    """The computational graph f = x + 1, g = 2f, h = g^2, forward and backward.

    Slide: Computational Graph - Backward Pass. Forward: f = x + 1, g = 2f,
    h = g^2 = (2(x + 1))^2 = 4x^2 + 8x + 4. Backward, by the chain rule
    (f(y) = h(g(y)) => f'(y) = h'(g(y)) g'(y)): dh/dg = 2g, dh/df = dh/dg * 2,
    dh/dx = dh/df * 1 = 8x + 8. At x = 2: h = 36, dh/dg = 12, dh/dx = 24.

    Args:
        x: float.

    Returns:
        tuple of six Python floats (f, g, h, dh_dg, dh_df, dh_dx).
    """
    return _chain_rule(as_float(x, "x"))
