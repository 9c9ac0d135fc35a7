"""Loss functions, their derivatives and the cost J (slides "Loss Functions", "Loss & Cost").

Each loss sits next to its derivative dL/dy_hat:

==========  ==============================================  =====================================
loss        L(y_hat, y)                                     dL/dy_hat
==========  ==============================================  =====================================
l1          |y - y_hat|                                     sign(y_hat - y)          (slide: erratum)
l2          (y - y_hat)^2                                   -2 (y - y_hat)
huber       1/2 (y - y_hat)^2            if |y-y_hat| <= d   clip(y_hat - y, -d, d)   (slide: erratum)
            d |y - y_hat| - 1/2 d^2      otherwise
logistic    -(y log y_hat + (1 - y) log(1 - y_hat))         -y / y_hat + (1 - y) / (1 - y_hat)
==========  ==============================================  =====================================

The cost is J = (1/m) sum over all outputs and samples of L (slide "Loss &
Cost": J(Theta) = 1/m sum_i L(h(x_i), y_i)).

Shapes: the loss hooks are elementwise, ``y_hat`` and ``y`` of the same, any
shape (0-d and empty included) -> an array of that shape. ``cost`` reads them as
``(n_out, m)`` (a 1-D ``(m,)`` as ``(1, m)``) and returns a float.

The derivatives are the true ones, which two slides misprint (checked by
finite differences in ``tests/test_reference_gradients.py``):

* L1: the slide prints dL/dy_hat = -1 for y < y_hat and 1 otherwise; for
  y < y_hat the loss is y_hat - y, whose derivative is +1. The reference
  returns sign(y_hat - y), and 0 at y_hat = y (a subgradient);
* Huber: the slide prints -delta where (y - y_hat) < -delta and delta where
  (y - y_hat) > delta; the true values are +delta and -delta, i.e.
  clip(y_hat - y, -delta, delta). The middle branch, -(y - y_hat), is right.

The logistic loss uses the convention 0 log 0 = 0: a term whose weight y or
1 - y is exactly 0 is left out, so L(0, 0) = L(1, 1) = 0 and the derivative
has no 0/0. log(1 - y_hat) is computed as log1p(-y_hat) where that matters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._linalg import total
from ._numba_cache import inline_kernel, kernel, math_kernel, reduction_kernel
from ._validate import as_float, elementwise2, pair
from ._vmath import exp, log

L1, L2, HUBER, LOGISTIC = 0, 1, 2, 3
LOSS_CODES: dict[str, int] = {"l1": L1, "l2": L2, "huber": HUBER, "logistic": LOGISTIC}


def loss_code(name: str) -> int:
    """The kernel code of a loss name ("l1", "l2", "huber", "logistic")."""
    try:
        return LOSS_CODES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown loss {name!r}; expected one of {', '.join(LOSS_CODES)}"
        ) from None


def loss_delta(loss: str, delta: object) -> float:
    """Huber's delta as a float; ignored (may be None) for the other losses."""
    if delta is None:
        if loss == "huber":
            raise ValueError("the huber loss needs a delta")
        return 1.0
    return as_float(delta, "delta")


# ------------------------------------------------------ per-element formulas


@kernel
def _l1(y_hat, y):
    return abs(y - y_hat)


@kernel
def _l1_grad(y_hat, y):
    d = y_hat - y
    return 1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0 * d)  # 0 at y_hat = y, NaN stays NaN


@kernel
def _l2(y_hat, y):
    r = y - y_hat
    return r * r


@kernel
def _l2_grad(y_hat, y):
    return -2.0 * (y - y_hat)


@kernel
def _huber(y_hat, y, delta):
    r = abs(y - y_hat)
    return 0.5 * r * r if r <= delta else delta * r - 0.5 * delta * delta


@kernel
def _huber_grad(y_hat, y, delta):
    d = y_hat - y
    return delta if d > delta else (-delta if d < -delta else d)


@inline_kernel
def _log1p(x):
    """log(1 + x), accurate for small |x| too, at the price of one log.

    Goldberg's trick ("What every computer scientist should know about
    floating-point arithmetic", Theorem 4): with u = 1 + x rounded,
    log(u) * x / (u - 1) is within a few ulp of log1p(x); libm's log1p is about
    twice as slow.
    """
    u = 1.0 + x
    return x if u == 1.0 else log(u) * (x / (u - 1.0))


@inline_kernel
def _logistic_pos(y_hat, y):
    """y log y_hat; 0 log 0 = 0: a term of weight 0 is dropped (a select: y is random)."""
    return 0.0 if y == 0.0 else y * log(y_hat)


@inline_kernel
def _logistic_neg(y_hat, y):
    """(1 - y) log(1 - y_hat), the term of weight 0 dropped likewise."""
    return 0.0 if y == 1.0 else (1.0 - y) * _log1p(-y_hat)


@inline_kernel
def _logistic(y_hat, y):
    return 0.0 - (_logistic_pos(y_hat, y) + _logistic_neg(y_hat, y))


@kernel
def _logistic_grad(y_hat, y):
    a = y / y_hat
    b = (1.0 - y) / (1.0 - y_hat)
    return (0.0 if y == 1.0 else b) - (0.0 if y == 0.0 else a)  # weight-0 terms dropped


@inline_kernel
def _softplus(t):
    """log(1 + e^t) without overflow: max(t, 0) + log1p(e^-|t|)."""
    return max(t, 0.0) + _log1p(exp(-abs(t)))


@inline_kernel
def logistic_of_logit(z, y):
    """L(sigma(z), y) from the logit z: y softplus(-z) + (1 - y) softplus(z).

    Equal to the logistic loss of a = sigma(z) in exact arithmetic, and finite
    even where a rounds to 0 or 1 (e.g. z = -800, y = 1 gives 800, not inf).
    """
    a = y * _softplus(-z)
    b = (1.0 - y) * _softplus(z)
    return (0.0 if y == 0.0 else a) + (0.0 if y == 1.0 else b)  # selects: y is random


# ------------------------------------------------------------- kernels (N,)


@kernel
def _l1_kernel(y_hat, y, out):
    for i in range(y_hat.size):
        out[i] = _l1(y_hat[i], y[i])


@kernel
def _l1_grad_kernel(y_hat, y, out):
    for i in range(y_hat.size):
        out[i] = _l1_grad(y_hat[i], y[i])


@kernel
def _l2_kernel(y_hat, y, out):
    for i in range(y_hat.size):
        out[i] = _l2(y_hat[i], y[i])


@kernel
def _l2_grad_kernel(y_hat, y, out):
    for i in range(y_hat.size):
        out[i] = _l2_grad(y_hat[i], y[i])


@kernel
def _huber_kernel(y_hat, y, out, delta):
    for i in range(y_hat.size):
        out[i] = _huber(y_hat[i], y[i], delta)


@kernel
def _huber_grad_kernel(y_hat, y, out, delta):
    for i in range(y_hat.size):
        out[i] = _huber_grad(y_hat[i], y[i], delta)


@math_kernel
def _logistic_kernel(y_hat, y, out):
    # Two passes of one log each: one loop with both logs keeps more values
    # than there are vector registers, and LLVM spills them to unaligned
    # stack slots, 30% slower or not depending on where the stack happens to be.
    for i in range(y_hat.size):
        out[i] = _logistic_pos(y_hat[i], y[i])
    for i in range(y_hat.size):
        out[i] = 0.0 - (out[i] + _logistic_neg(y_hat[i], y[i]))  # _logistic, term by term


@kernel
def _logistic_grad_kernel(y_hat, y, out):
    for i in range(y_hat.size):
        out[i] = _logistic_grad(y_hat[i], y[i])


# ------------------------------------------------- sums of the logistic terms
# The logistic terms call exp/log of ``_vmath``, which numba inlines into the
# loop. A running sum in that loop would keep it from vectorizing, and
# ``fastmath={"reassoc"}`` (which lets a sum vectorize) must not reach those
# functions: it would undo their careful order of operations. So the terms go
# block by block into a small buffer (a loop that vectorizes), and ``total``
# (a reduction kernel of its own) adds each block.

#: elements per block: the buffer stays in the L1 cache
SUM_BLOCK = 512


@kernel
def _blocks_of(n):
    return (n + SUM_BLOCK - 1) // SUM_BLOCK


@math_kernel
def _logistic_sum(y_hat, y):
    """sum_i L(y_hat[i], y[i]) of the logistic loss; y_hat, y (N,)."""
    n = y_hat.size
    buf = np.empty(min(n, SUM_BLOCK))
    s = 0.0
    for blk in range(_blocks_of(n)):
        lo = blk * SUM_BLOCK
        part = buf[: min(n - lo, SUM_BLOCK)]
        for i in range(part.size):
            part[i] = _logistic(y_hat[lo + i], y[lo + i])
        s += total(part)
    return s


@math_kernel
def logistic_of_logit_sum(z, y):
    """sum_i L(sigma(z[i]), y[i]) from the logits (:func:`logistic_of_logit`); z, y (N,)."""
    n = z.size
    buf = np.empty(min(n, SUM_BLOCK))
    s = 0.0
    for blk in range(_blocks_of(n)):
        lo = blk * SUM_BLOCK
        part = buf[: min(n - lo, SUM_BLOCK)]
        for i in range(part.size):
            part[i] = logistic_of_logit(z[lo + i], y[lo + i])
        s += total(part)
    return s


# -------------------------------------- a loss by its code (cost, fit, MLP)


@reduction_kernel
def loss_sum(code, y_hat, y, delta):
    """sum_i L(y_hat[i], y[i]) for the loss ``code``; y_hat, y (N,) -> float."""
    n = y_hat.size
    s = 0.0
    if code == L1:
        for i in range(n):
            s += _l1(y_hat[i], y[i])
    elif code == L2:
        for i in range(n):
            s += _l2(y_hat[i], y[i])
    elif code == HUBER:
        for i in range(n):
            s += _huber(y_hat[i], y[i], delta)
    else:  # LOGISTIC
        s = _logistic_sum(y_hat, y)
    return s


@kernel
def loss_grad(code, y_hat, y, delta, scale, out):
    """out = scale * dL/dy_hat for the loss ``code``; y_hat, y, out (N,)."""
    n = y_hat.size
    if code == L1:
        for i in range(n):
            out[i] = scale * _l1_grad(y_hat[i], y[i])
    elif code == L2:
        for i in range(n):
            out[i] = scale * _l2_grad(y_hat[i], y[i])
    elif code == HUBER:
        for i in range(n):
            out[i] = scale * _huber_grad(y_hat[i], y[i], delta)
    else:  # LOGISTIC
        for i in range(n):
            out[i] = scale * _logistic_grad(y_hat[i], y[i])


@kernel
def _cost_kernel(code, y_hat, y, delta, m):
    return loss_sum(code, y_hat, y, delta) / m if m > 0 else np.nan


# ------------------------------------------------------------- public hooks


def l1_loss(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Absolute error, L(y_hat, y) = |y - y_hat|, elementwise.

    Slide: Loss Functions - Absolute Error - L1 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        float64 array of y_hat's shape.
    """
    return elementwise2(_l1_kernel, y_hat, y)


def l1_loss_grad(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dL/dy_hat of the L1 loss = sign(y_hat - y), elementwise; 0 at y_hat = y.

    Slide: Loss Functions - Absolute Error - L1 Loss. Erratum: the slide prints
    "dL/dy_hat = -1 if y < y_hat, 1 otherwise"; for y < y_hat the loss is
    y_hat - y, so the true derivative there is +1 (and -1 for y > y_hat). The
    reference returns the true derivative.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        float64 array of y_hat's shape, of -1.0, 0.0 and 1.0.
    """
    return elementwise2(_l1_grad_kernel, y_hat, y)


def l2_loss(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Square error, L(y_hat, y) = (y - y_hat)^2, elementwise.

    Slide: Loss Functions - Square Error - L2 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        float64 array of y_hat's shape.
    """
    return elementwise2(_l2_kernel, y_hat, y)


def l2_loss_grad(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dL/dy_hat of the L2 loss = -2 (y - y_hat), elementwise.

    Slide: Loss Functions - Square Error - L2 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        float64 array of y_hat's shape.
    """
    return elementwise2(_l2_grad_kernel, y_hat, y)


def huber_loss(y_hat: ArrayLike, y: ArrayLike, delta: float) -> np.ndarray:
    """Huber loss: 1/2 (y - y_hat)^2 if |y - y_hat| <= delta, else delta |y - y_hat| - 1/2 delta^2.

    Slide: Loss Functions - Huber Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.
        delta: float > 0.

    Returns:
        float64 array of y_hat's shape.
    """
    return elementwise2(_huber_kernel, y_hat, y, as_float(delta, "delta"))


def huber_loss_grad(y_hat: ArrayLike, y: ArrayLike, delta: float) -> np.ndarray:
    """dL/dy_hat of the Huber loss = clip(y_hat - y, -delta, delta), elementwise.

    Slide: Loss Functions - Huber Loss. Erratum: the slide prints
    "-delta if (y - y_hat) < -delta; -(y - y_hat) if |y - y_hat| <= delta;
    delta if (y - y_hat) > delta": its two outer branches have their signs
    flipped. Where y - y_hat > delta the loss is delta (y - y_hat) - delta^2/2,
    whose derivative is -delta; where y - y_hat < -delta it is +delta. The
    reference returns the true derivative, continuous at |y - y_hat| = delta.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.
        delta: float > 0.

    Returns:
        float64 array of y_hat's shape, in [-delta, delta].
    """
    return elementwise2(_huber_grad_kernel, y_hat, y, as_float(delta, "delta"))


def logistic_loss(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Logistic loss, L(y_hat, y) = -(y log y_hat + (1 - y) log(1 - y_hat)), elementwise.

    Slide: Example - Logistic Regression - Logistic Loss.

    log(1 - y_hat) is evaluated as log1p(-y_hat) (exact for small y_hat), and a
    term whose weight y or 1 - y is 0 is left out (0 log 0 = 0).

    Args:
        y_hat: array of any shape, probabilities in [1e-12, 1 - 1e-12].
        y: array of y_hat's shape, targets in [0, 1].

    Returns:
        float64 array of y_hat's shape, finite for y_hat in (0, 1).
    """
    return elementwise2(_logistic_kernel, y_hat, y)


def logistic_loss_grad(y_hat: ArrayLike, y: ArrayLike) -> np.ndarray:
    """dL/dy_hat of the logistic loss = -y / y_hat + (1 - y) / (1 - y_hat), elementwise.

    Slide: Example - Logistic Regression - Functions and Their Derivatives.

    Through the sigmoid a = sigma(z) this gives dL/dz = a (1 - a) dL/da = a - y
    (slide "Backward Pass").

    Args:
        y_hat: array of any shape, probabilities in [1e-12, 1 - 1e-12].
        y: array of y_hat's shape, targets in [0, 1].

    Returns:
        float64 array of y_hat's shape.
    """
    return elementwise2(_logistic_grad_kernel, y_hat, y)


def cost(y_hat: ArrayLike, y: ArrayLike, loss: str, delta: float | None) -> float:
    """Cost J = (1/m) * sum over all outputs and samples of L(y_hat, y).

    Slide: Loss & Cost (J(Theta) = 1/m sum_i L(h(x_i), y_i)).

    With one output unit this is the mean loss; with n_out outputs it is n_out
    times the mean over all entries (the sum over outputs, averaged over the m
    samples). The loss values are summed in one fused loop, never stored.

    Args:
        y_hat: array (n_out, m), the predictions; a 1-D (m,) is read as (1, m)
            and a 0-d as (1, 1).
        y: array of y_hat's shape, the targets.
        loss: str, one of "l1", "l2", "huber", "logistic".
        delta: float, Huber's delta (ignored by the other losses; None is
            accepted for them).

    Returns:
        float J (NaN when m = 0).
    """
    code = loss_code(loss)
    d = loss_delta(loss, delta)
    a, b, shape = pair(y_hat, y)
    if len(shape) > 2:
        raise ValueError(f"cost reads y_hat as (n_out, m); got shape {shape}")
    m = shape[-1] if shape else 1
    return _cost_kernel(code, a, b, d, m)
