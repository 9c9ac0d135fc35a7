"""Linear regression and logistic regression (one sigmoid unit), samples as columns.

Slides "Regression - Linear Regression" (y = w^T x + w_0), "Loss & Cost -
Minimizing Cost" (Theta := Theta - alpha grad J(Theta)) and "Example - Logistic
Regression" (forward pass, backward pass with dL/dz = a - y, one step of
gradient descent).

Shapes: ``w`` is ``(n, 1)``, ``b`` a float, ``X`` is ``(n, m)`` (one sample per
column), ``y`` is ``(1, m)``. Returned weights have the shape of the ``w`` or
``w0`` given.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._linalg import linear_into, matvec_into, total
from ._numba_cache import kernel
from ._validate import as_count, as_float, column, matrix, row
from .activations import _sigmoid1
from .losses import logistic_of_logit_sum, loss_code, loss_delta, loss_grad, loss_sum


@kernel
def _linear_forward_kernel(w, b, X):
    out = np.empty((1, X.shape[1]))
    linear_into(w, b, X, out[0])
    return out


@kernel
def _linear_regression_fit_kernel(X, y, w0, b0, lr, epochs, code, delta):
    n, m = X.shape
    w = w0.copy()
    b = b0
    y_hat = np.empty(m)
    g = np.empty(m)  # dJ/dy_hat = (1/m) L'(y_hat, y)
    dw = np.empty(n)
    costs = np.empty(epochs)
    for e in range(epochs):
        linear_into(w, b, X, y_hat)
        costs[e] = loss_sum(code, y_hat, y, delta) / m  # J before update e
        loss_grad(code, y_hat, y, delta, 1.0 / m, g)
        matvec_into(X, g, dw)  # dJ/dw = X g
        db = total(g)  # dJ/db = sum_j g
        for k in range(n):
            w[k] -= lr * dw[k]
        b -= lr * db
    return w, b, costs


@kernel
def _logistic_regression_step_kernel(w, b, X, y, lr):
    n, m = X.shape
    z = np.empty(m)
    linear_into(w, b, X, z)  # z = w^T X + b
    cost = logistic_of_logit_sum(z, y) / m  # J = (1/m) sum L(sigma(z), y)
    dz = np.empty(m)
    for j in range(m):
        dz[j] = _sigmoid1(z[j]) - y[j]  # dL/dz = a - y
    dw = np.empty(n)
    matvec_into(X, dz, dw)
    db = total(dz)
    for k in range(n):
        dw[k] /= m  # dw = X dz^T / m
    db /= m  # db = sum(dz) / m
    w_new = np.empty(n)
    for k in range(n):
        w_new[k] = w[k] - lr * dw[k]
    b_new = b - lr * db
    return cost, dw, db, w_new, b_new


def linear_forward(w: ArrayLike, b: float, X: ArrayLike) -> np.ndarray:
    """Linear model y = w^T X + b for m samples at once.

    Slide: Regression - Linear Regression (y = w^T x + w_0); Vectorized Form.

    Args:
        w: array (n, 1).
        b: float.
        X: array (n, m), samples are columns.

    Returns:
        float64 array (1, m).
    """
    X = matrix(X, "X")
    return _linear_forward_kernel(column(w, X.shape[0], "w"), as_float(b, "b"), X)


def linear_regression_fit(
    X: ArrayLike,
    y: ArrayLike,
    w0: ArrayLike,
    b0: float,
    lr: float,
    epochs: int,
    loss: str,
    delta: float | None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Full-batch gradient descent on J(w, b) = (1/m) sum L(w^T x + b, y).

    Slide: Loss & Cost - Minimizing Cost (Theta := Theta - alpha grad J(Theta)).

    Each epoch: y_hat = w^T X + b; costs[e] = J(w, b) (before the update);
    g = (1/m) dL/dy_hat (y_hat, y); w := w - lr X g; b := b - lr sum(g). The
    loss derivatives are the true ones (see ``losses.py`` for the two slide
    errata). With ``loss="logistic"`` the linear output y_hat = w^T X + b is
    passed to the logistic loss as it is (no sigmoid, no clipping): use it only
    while y_hat stays inside (0, 1).

    Args:
        X: array (n, m), samples are columns.
        y: array (1, m), the targets.
        w0: array (n, 1), the initial weights (not modified).
        b0: float, the initial bias.
        lr: float, the learning rate.
        epochs: int >= 0, the number of updates.
        loss: str, one of "l1", "l2", "huber", "logistic".
        delta: float, Huber's delta (ignored by the other losses).

    Returns:
        tuple (w, b, costs): w float64 array of w0's shape (n, 1), b float,
        costs float64 array (epochs,) where costs[e] is J before update e.
    """
    code = loss_code(loss)
    d = loss_delta(loss, delta)
    X = matrix(X, "X")
    n, m = X.shape
    w0_shape = np.shape(w0)
    w, b, costs = _linear_regression_fit_kernel(
        X,
        row(y, m, "y"),
        column(w0, n, "w0"),
        as_float(b0, "b0"),
        as_float(lr, "lr"),
        as_count(epochs, "epochs"),
        code,
        d,
    )
    return w.reshape(w0_shape), b, costs


def logistic_regression_step(
    w: ArrayLike, b: float, X: ArrayLike, y: ArrayLike, lr: float
) -> tuple[float, np.ndarray, float, np.ndarray, float]:
    """One step of back-propagation for a sigmoid unit with the logistic loss.

    Slide: Example - Logistic Regression (x = (0.1, 0.7), y = 1, w = (0.8, 0.2),
    b = 0.1, alpha = 0.5 give grad_w = (-0.04207, -0.29447), grad_b = -0.4207,
    w_new = (0.82103, 0.3472), b_new = 0.31033).

    Forward: z = w^T X + b, a = sigma(z), cost = J = (1/m) sum L(a, y).
    Backward: dz = a - y (= a (1 - a) dL/da, slide "Backward Pass");
    dw = X dz^T / m; db = sum(dz) / m. Step: w_new = w - lr dw,
    b_new = b - lr db.

    The cost is evaluated from z as y log(1 + e^-z) + (1 - y) log(1 + e^z),
    the same value as -(y log a + (1 - y) log(1 - a)) but finite where a
    rounds to 0 or 1.

    Args:
        w: array (n, 1).
        b: float.
        X: array (n, m), samples are columns.
        y: array (1, m) of 0.0 and 1.0.
        lr: float, the learning rate alpha.

    Returns:
        tuple (cost, dw, db, w_new, b_new): cost float (J at w, b), dw float64
        array of w's shape (n, 1), db float, w_new array of w's shape, b_new
        float.
    """
    X = matrix(X, "X")
    n, m = X.shape
    w_shape = np.shape(w)
    c, dw, db, w_new, b_new = _logistic_regression_step_kernel(
        column(w, n, "w"), as_float(b, "b"), X, row(y, m, "y"), as_float(lr, "lr")
    )
    return c, dw.reshape(w_shape), db, w_new.reshape(w_shape), b_new
