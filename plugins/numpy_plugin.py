"""Bundled plugin ``numpy``: every hook of the contract in vectorised NumPy.

This is the solution a strong student writes: whole-array expressions, no
Python loop over elements (the only loops are over epochs, layers, gradient
descent steps and -- because Rosenblatt's rule is online -- over samples).

It is written to be benchmarked against the Numba reference, so it

* is numerically careful: the sigmoid is ``1 / (1 + e^-z)`` with the overflow
  of ``e^-z`` (``z < -709``) masked, which gives the correct limit 0 without a
  RuntimeWarning; the derivatives of sigmoid and tanh go through ``cosh``
  (``0.5 / (1 + cosh z)`` and ``1 / cosh^2 z``) so they keep full relative
  precision far into the tails, where ``s (1 - s)`` and ``1 - tanh^2`` cancel
  to 0; the logistic loss uses ``log1p(-y_hat)``; the logistic cost of a
  sigmoid unit is computed from ``z`` (``log1p(e^-|z|) + max(z, 0) - y z``);
* allocates few temporaries: every result is one fresh array that the
  remaining passes update in place through ``out=`` (a fresh multi-megabyte
  array costs about as much as a pass over it); the losses that need a second
  buffer (Huber, logistic) run in cache-sized blocks with one small scratch
  buffer; ``w^T X`` is a gemv; ``sign`` avoids the slow ``np.sign`` loop;
* shortcuts where the maths allows: the gradient-descent trajectory on
  ``f(p) = sum p^2`` is ``(1 - 2 lr)^k x0`` in one outer product; Rosenblatt's
  online rule skips runs of right samples with one block matmul; back-prop
  never computes the unused gradient of the input ``X``;
* keeps the per-call overhead small for tiny inputs (no ``np.where``, no
  boolean-mask assignment, one ``errstate`` only where an overflow is expected).

Elementwise hooks take any shape, 0-d and empty included, and return a float64
ndarray of that shape (a 0-d array for a 0-d input). No hook changes its inputs.
"""

from __future__ import annotations

import numpy as np

from harness import hookimpl

_F64 = np.float64
_LEAKY_ALPHA = 0.1  # the MLP hooks' LeakyReLU slope (SPEC: "leaky_relu" (alpha 0.1))
_MLP_DELTA = 1.0  # the MLP hooks' Huber delta
_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
_LOSSES = ("l1", "l2", "huber", "logistic")

# ------------------------------------------------------------------- helpers


def _arr(x) -> np.ndarray:
    """``x`` as a float64 ndarray (no copy when it already is one)."""
    return np.asarray(x, dtype=_F64)


def _empty(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """A fresh float64 array shaped like ``a`` (or like ``a`` broadcast with ``b``)."""
    if b is None or b.shape == a.shape:
        return np.empty(a.shape)
    return np.empty(np.broadcast_shapes(a.shape, b.shape))


def _float(x) -> float:
    """A Python float from a number, a 0-d or a 1-element array."""
    if isinstance(x, float | int):
        return float(x)
    return float(np.asarray(x, dtype=_F64).item())


def _as_2d(a: np.ndarray) -> np.ndarray:
    """Read a 0-d as (1, 1) and a 1-D ``(m,)`` as ``(1, m)``."""
    return a if a.ndim >= 2 else a.reshape(1, -1)


def _check_loss(loss: str) -> None:
    if loss not in _LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(_LOSSES)}")


def _check_activation(name: str) -> None:
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(_ACTIVATIONS)}")


# ------------------------------------------------------------ kernels (out=)
# Each kernel writes into ``out``, a fresh array that it may overwrite, and
# returns it. ``z`` is never written (except where ``out is z`` is allowed).


def _sigmoid_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z) is accurate to a few ulp for every z: e^-z is relatively
    # accurate, and so are 1 + e^-z and its reciprocal. For z < -709.78 e^-z
    # overflows to inf and 1 / inf = 0, the correct limit; the warning is masked.
    # ``out`` may be ``z`` (every pass is elementwise).
    np.negative(z, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def _sigmoid_grad_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # sigma(1 - sigma) = e^-|z| / (1 + e^-|z|)^2 = 1 / (2 + 2 cosh z):
    # full relative precision in both tails (sigma (1 - sigma) cancels to 0).
    with np.errstate(over="ignore"):
        np.cosh(z, out=out)
    out += 1.0
    return np.divide(0.5, out, out=out)


def _tanh_grad_into(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 1 - tanh^2 z = 1 / cosh^2 z, without the cancellation of 1 - tanh^2.
    with np.errstate(over="ignore"):
        np.cosh(z, out=out)
    np.divide(1.0, out, out=out)
    return np.square(out, out=out)


def _leaky_relu_into(z: np.ndarray, alpha: float, out: np.ndarray) -> np.ndarray:
    # max(alpha z, z); ``out`` must not be ``z``.
    np.multiply(z, alpha, out=out)
    return np.maximum(out, z, out=out)


def _leaky_relu_grad_into(z: np.ndarray, alpha: float, out: np.ndarray) -> np.ndarray:
    # 1 if z > 0 else alpha, without a boolean mask for the usual 0 <= alpha <= 1:
    # max([z > 0], alpha) is exactly 1 or alpha.
    np.greater(z, 0.0, out=out)  # 1.0 / 0.0
    if 0.0 <= alpha <= 1.0:
        return np.maximum(out, alpha, out=out)
    np.copyto(out, alpha, where=out == 0.0)  # any other alpha (rare): a masked copy
    return out


def _activate(name: str, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """g(Z) into ``out`` (``out`` may be ``Z`` except for leaky_relu)."""
    if name == "sigmoid":
        return _sigmoid_into(Z, out)
    if name == "tanh":
        return np.tanh(Z, out=out)
    if name == "relu":
        return np.maximum(Z, 0.0, out=out)
    if name == "leaky_relu":
        if out is Z:
            out = np.empty(Z.shape)
        return _leaky_relu_into(Z, _LEAKY_ALPHA, out)
    if name == "linear":
        if out is not Z:
            np.copyto(out, Z)
        return out
    _check_activation(name)
    raise AssertionError  # pragma: no cover


def _times_activation_grad(name: str, Z: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """dZ = dA * g'(Z), computed in place in ``dA`` (a fresh array)."""
    if name == "linear":
        return dA
    tmp = np.empty(Z.shape)
    if name == "sigmoid":
        _sigmoid_grad_into(Z, tmp)
    elif name == "tanh":
        _tanh_grad_into(Z, tmp)
    elif name == "relu":
        np.greater(Z, 0.0, out=tmp)
    elif name == "leaky_relu":
        _leaky_relu_grad_into(Z, _LEAKY_ALPHA, tmp)
    else:
        _check_activation(name)
    dA *= tmp
    return dA


def _sign_of_difference(a: np.ndarray, b, out: np.ndarray) -> np.ndarray:
    """sign(a - b): [a > b] - [a < b], 0 where equal (np.sign is a slow, branchy loop)."""
    np.greater(a, b, out=out)
    out -= np.less(a, b)
    return out


def _logistic_loss_into(
    y_hat: np.ndarray, y: np.ndarray, out: np.ndarray, tmp: np.ndarray
) -> np.ndarray:
    # -(y log y_hat + (1 - y) log(1 - y_hat)); (1 - y) log(1 - y_hat) is formed
    # as b - y b so that y = 1 gives exactly 0 (no cancellation against log y_hat).
    b = np.negative(y_hat, out=tmp)
    np.log1p(b, out=b)  # b = log(1 - y_hat)
    np.multiply(b, y, out=out)  # y b
    np.subtract(out, b, out=b)  # y b - b = -(1 - y) log(1 - y_hat)
    np.log(y_hat, out=out)
    out *= y  # y log y_hat
    return np.subtract(b, out, out=out)


def _logistic_loss_grad_into(
    y_hat: np.ndarray, y: np.ndarray, out: np.ndarray, tmp: np.ndarray
) -> np.ndarray:
    # -y / y_hat + (1 - y) / (1 - y_hat) = (y_hat - y) / (y_hat (1 - y_hat)):
    # one division, and no cancellation when y_hat is close to y.
    np.subtract(y_hat, y, out=out)
    den = np.subtract(1.0, y_hat, out=tmp)
    den *= y_hat
    return np.divide(out, den, out=out)


def _huber_into(
    y_hat: np.ndarray, y: np.ndarray, delta: float, out: np.ndarray, tmp: np.ndarray
) -> np.ndarray:
    a = np.subtract(y, y_hat, out=out)
    np.abs(a, out=a)
    g = np.minimum(a, delta, out=tmp)
    # L = g a - g^2 / 2 with g = min(a, delta) is 1/2 a^2 when a <= delta and
    # delta a - 1/2 delta^2 otherwise
    a *= g
    np.square(g, out=g)
    g *= 0.5
    return np.subtract(a, g, out=a)


# Elementwise work with temporaries runs over blocks of _BLOCK elements: the
# temporaries then stay in cache, instead of being fresh multi-megabyte arrays
# that are slower to touch than to compute.
_BLOCK = 1 << 14


def _flat_pair(y_hat: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if y_hat.shape != y.shape:
        y_hat, y = np.broadcast_arrays(y_hat, y)
    return y_hat.reshape(-1), y.reshape(-1)


def _blocked(kernel, y_hat: np.ndarray, y: np.ndarray, *args) -> np.ndarray:
    """out = kernel(y_hat, y, *args, out, tmp), block by block; out is a fresh array."""
    out = _empty(y_hat, y)
    f_out = out.reshape(-1)  # a view: out is fresh and contiguous
    a, b = _flat_pair(y_hat, y)
    n = f_out.shape[0]
    if n <= _BLOCK:
        kernel(a, b, *args, f_out, np.empty(n))
        return out
    tmp = np.empty(_BLOCK)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        kernel(a[start:stop], b[start:stop], *args, f_out[start:stop], tmp[: stop - start])
    return out


def _blocked_sum(kernel, y_hat: np.ndarray, y: np.ndarray, *args) -> float:
    """The sum over all elements of kernel(y_hat, y, *args, buf, tmp), block by block."""
    a, b = _flat_pair(y_hat, y)
    n = a.shape[0]
    if n <= _BLOCK:
        return kernel(a, b, *args, np.empty(n), np.empty(n))
    buf, tmp = np.empty(_BLOCK), np.empty(_BLOCK)
    total = 0.0
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        total += kernel(
            a[start:stop], b[start:stop], *args, buf[: stop - start], tmp[: stop - start]
        )
    return total


def _huber_sum(y_hat, y, delta, buf, tmp) -> float:
    a = np.subtract(y_hat, y, out=buf)
    np.abs(a, out=a)
    g = np.minimum(a, delta, out=tmp)
    # sum of g (a - g / 2) with g = min(a, delta): both branches at once
    return float(np.dot(g, a)) - 0.5 * float(np.dot(g, g))


def _logistic_sum(y_hat, y, buf, tmp) -> float:
    return float(_logistic_loss_into(y_hat, y, buf, tmp).sum())


def _logistic_cost_from_z(z: np.ndarray, y: np.ndarray) -> float:
    """Sum over all elements of L(sigma(z), y), stable for any z.

    -(y log s + (1 - y) log(1 - s)) = log(1 + e^-|z|) + max(z, 0) - y z.
    """
    t = np.maximum(z, 0.0, out=_empty(z, y))
    s = np.abs(z, out=_empty(z, y))
    np.negative(s, out=s)
    np.exp(s, out=s)
    np.log1p(s, out=s)  # log(1 + e^-|z|)
    yz = np.multiply(y, z)
    t -= yz  # max(z, 0) - y z: exactly 0 for y = 1, z > 0
    t += s
    return float(t.sum())


def _n_samples(a: np.ndarray) -> int:
    """m, the number of samples (columns; the last axis; 1 for a 0-d)."""
    return a.shape[-1] if a.ndim else 1


def _cost(y_hat: np.ndarray, y: np.ndarray, loss: str, delta: float) -> float:
    """J = (1/m) sum of L over all elements; ``y_hat``, ``y`` already 2-D."""
    m = _n_samples(y_hat)
    if loss == "l2":  # one temporary: a single pass each, no blocks needed
        d = np.subtract(y_hat, y, out=_empty(y_hat, y))
        total = float(np.vdot(d, d))
    elif loss == "l1":
        d = np.subtract(y_hat, y, out=_empty(y_hat, y))
        total = float(np.abs(d, out=d).sum())
    elif loss == "huber":
        total = _blocked_sum(_huber_sum, y_hat, y, delta)
    elif loss == "logistic":
        total = _blocked_sum(_logistic_sum, y_hat, y)
    else:
        _check_loss(loss)
        raise AssertionError  # pragma: no cover
    return total / m if m else float("nan")


def _cost_and_grad(
    y_hat: np.ndarray, y: np.ndarray, loss: str, delta: float
) -> tuple[float, np.ndarray]:
    """J and dJ/dy_hat (a fresh array), for 2-D ``y_hat`` (n_out, m) and ``y``."""
    m = _n_samples(y_hat)
    inv_m = 1.0 / m if m else float("nan")
    if loss == "logistic":
        J = _blocked_sum(_logistic_sum, y_hat, y) * inv_m
        G = _blocked(_logistic_loss_grad_into, y_hat, y)
        G *= inv_m
        return J, G
    d = np.subtract(y_hat, y, out=_empty(y_hat, y))
    if loss == "l2":
        J = float(np.vdot(d, d)) * inv_m
        d *= 2.0 * inv_m
        return J, d
    if loss == "l1":
        G = _sign_of_difference(d, 0.0, np.empty(d.shape))
        J = float(np.vdot(d, G)) * inv_m  # d sign(d) = |d|, exactly
        G *= inv_m
        return J, G
    if loss == "huber":
        G = np.clip(d, -delta, delta)
        # L = g (d - g / 2) with g = clip(d, -delta, delta) covers both branches
        J = (float(np.vdot(G, d)) - 0.5 * float(np.vdot(G, G))) * inv_m
        G *= inv_m
        return J, G
    _check_loss(loss)
    raise AssertionError  # pragma: no cover


# ---------------------------------------------------------------- activations


@hookimpl
def sigmoid(z):
    z = _arr(z)
    return _sigmoid_into(z, np.empty(z.shape))


@hookimpl
def sigmoid_grad(z):
    z = _arr(z)
    return _sigmoid_grad_into(z, np.empty(z.shape))


@hookimpl
def tanh(z):
    z = _arr(z)
    return np.tanh(z, out=np.empty(z.shape))


@hookimpl
def tanh_grad(z):
    z = _arr(z)
    return _tanh_grad_into(z, np.empty(z.shape))


@hookimpl
def relu(z):
    z = _arr(z)
    return np.maximum(z, 0.0, out=np.empty(z.shape))


@hookimpl
def relu_grad(z):
    z = _arr(z)
    return np.greater(z, 0.0, out=np.empty(z.shape))


@hookimpl
def leaky_relu(z, alpha):
    z = _arr(z)
    return _leaky_relu_into(z, _float(alpha), np.empty(z.shape))


@hookimpl
def leaky_relu_grad(z, alpha):
    z = _arr(z)
    return _leaky_relu_grad_into(z, _float(alpha), np.empty(z.shape))


@hookimpl
def step(z, threshold):
    z = _arr(z)
    return np.greater(z, _float(threshold), out=np.empty(z.shape))


# --------------------------------------------------------------------- losses


@hookimpl
def l1_loss(y_hat, y):
    y_hat, y = _arr(y_hat), _arr(y)
    out = np.subtract(y, y_hat, out=_empty(y_hat, y))
    return np.abs(out, out=out)


@hookimpl
def l1_loss_grad(y_hat, y):
    y_hat, y = _arr(y_hat), _arr(y)
    return _sign_of_difference(y_hat, y, _empty(y_hat, y))  # the true derivative (slide erratum)


@hookimpl
def l2_loss(y_hat, y):
    y_hat, y = _arr(y_hat), _arr(y)
    out = np.subtract(y, y_hat, out=_empty(y_hat, y))
    return np.square(out, out=out)


@hookimpl
def l2_loss_grad(y_hat, y):
    y_hat, y = _arr(y_hat), _arr(y)
    out = np.subtract(y_hat, y, out=_empty(y_hat, y))  # -(y - y_hat), exactly
    out *= 2.0
    return out


@hookimpl
def huber_loss(y_hat, y, delta):
    return _blocked(_huber_into, _arr(y_hat), _arr(y), _float(delta))


@hookimpl
def huber_loss_grad(y_hat, y, delta):
    y_hat, y = _arr(y_hat), _arr(y)
    delta = _float(delta)
    out = np.subtract(y_hat, y, out=_empty(y_hat, y))
    return np.clip(out, -delta, delta, out=out)  # the true derivative (slide erratum)


@hookimpl
def logistic_loss(y_hat, y):
    return _blocked(_logistic_loss_into, _arr(y_hat), _arr(y))


@hookimpl
def logistic_loss_grad(y_hat, y):
    return _blocked(_logistic_loss_grad_into, _arr(y_hat), _arr(y))


@hookimpl
def cost(y_hat, y, loss, delta):
    y_hat, y = _as_2d(_arr(y_hat)), _as_2d(_arr(y))
    return _cost(y_hat, y, loss, _float(delta) if loss == "huber" else 0.0)


# --------------------------------------------------------------- optimisation


@hookimpl
def gradient_descent(x0, lr, steps):
    x0 = _arr(x0).reshape(-1)
    lr = _float(lr)
    steps = int(steps)
    # x := x - lr grad f(x) with grad f(x) = 2x is x_{k+1} = (1 - 2 lr) x_k, so the
    # whole trajectory is one outer product x_k = (1 - 2 lr)^k x0 (within a few
    # ulp of the step-by-step loop, and more accurate than it).
    with np.errstate(over="ignore"):
        factors = np.power(1.0 - 2.0 * lr, np.arange(steps + 1, dtype=_F64))
    # |factors| is monotonic, so max |x_k| <= max(1, |factors[-1]|) max |x0|; when
    # that bound is not finite (divergence, or an inf/nan in x0), take the loop.
    if x0.size and not np.isfinite(max(1.0, abs(factors[-1])) * float(np.abs(x0).max())):
        return _gradient_descent_steps(x0, lr, steps)  # the loop's own inf / nan
    return np.multiply.outer(factors, x0)


def _gradient_descent_steps(x0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """The literal loop, step by step (inf - inf = nan once a diverging run overflows)."""
    traj = np.empty((steps + 1, x0.shape[0]))
    traj[0] = x0
    g = np.empty(x0.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            x = traj[k]
            np.multiply(x, 2.0, out=g)  # grad f(x) = 2x
            g *= lr
            np.subtract(x, g, out=traj[k + 1])  # x := x - lr grad f(x)
    return traj


@hookimpl
def chain_rule_example(x):
    x = _float(x)
    f = x + 1.0
    g = 2.0 * f
    h = g * g
    dh_dg = 2.0 * g
    dh_df = dh_dg * 2.0  # dg/df = 2
    dh_dx = dh_df * 1.0  # df/dx = 1
    return f, g, h, dh_dg, dh_df, dh_dx


# ----------------------------------------------------------------- regression


def _linear(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    out = w.reshape(-1) @ X  # (n,) @ (n, m): a fresh (m,); BLAS gemv, far faster than (1, n) @ X
    out += b
    return out.reshape(1, -1)


@hookimpl
def linear_forward(w, b, X):
    return _linear(_arr(w), _float(b), _arr(X))


@hookimpl
def linear_regression_fit(X, y, w0, b0, lr, epochs, loss, delta):
    X = _arr(X)
    y = _arr(y).reshape(1, -1)
    w = np.array(w0, dtype=_F64).reshape(-1, 1)  # a copy: w0 is left alone
    b = _float(b0)
    lr = _float(lr)
    epochs = int(epochs)
    _check_loss(loss)
    delta = _float(delta) if loss == "huber" else 0.0
    costs = np.empty(epochs)
    for e in range(epochs):
        y_hat = _linear(w, b, X)  # for "logistic" fed straight into the loss
        costs[e], G = _cost_and_grad(y_hat, y, loss, delta)  # G = dJ/dy_hat
        dw = X @ G.T  # (n, 1)
        dw *= lr
        w -= dw
        b -= lr * float(G.sum())
    return w, b, costs


@hookimpl
def logistic_regression_step(w, b, X, y, lr):
    w, X = _arr(w).reshape(-1, 1), _arr(X)
    y = _arr(y).reshape(1, -1)
    b, lr = _float(b), _float(lr)
    m = X.shape[1]
    z = _linear(w, b, X)
    J = _logistic_cost_from_z(z, y) / m
    dz = _sigmoid_into(z, np.empty(z.shape))  # a
    dz -= y  # dL/dz = a - y
    dw = X @ dz.T
    dw /= m
    db = float(dz.sum()) / m
    w_new = np.multiply(dw, -lr)
    w_new += w
    return J, dw, db, w_new, b - lr * db


# ----------------------------------------------------------------- perceptron


@hookimpl
def perceptron_predict(W, b, X, threshold):
    W, b, X = _arr(W), _arr(b), _arr(X)
    Z = W @ X
    Z += b.reshape(-1, 1)
    return np.greater(Z, _float(threshold), out=Z)  # strict z > T


@hookimpl
def perceptron_train(X, Y, W0, b0, lr, epochs, threshold):
    X = _arr(X)
    Y = _as_2d(_arr(Y))
    W = np.array(W0, dtype=_F64, ndmin=2)  # copies: the inputs are left alone
    b = np.array(b0, dtype=_F64).reshape(-1, 1)
    lr, T, epochs = _float(lr), _float(threshold), int(epochs)
    m = X.shape[1]
    errors = np.zeros(epochs)
    # Online, samples in column order. While mistakes are frequent, one lean
    # step per sample (contiguous rows of X^T, preallocated buffers). After a
    # run of right samples (which change nothing), switch to blocks: predict
    # the next samples at once with the current (W, b), jump to the first
    # wrong one, update there; the block doubles while all are right, so a
    # converged epoch costs a few matmuls.
    XT = np.ascontiguousarray(X.T)
    YT = np.ascontiguousarray(Y.T)
    bv = b[:, 0]  # a view: updating bv updates b
    z = np.empty(bv.shape)
    err = np.empty(bv.shape)
    dot, greater, subtract, count, outer = (
        np.dot,
        np.greater,
        np.subtract,
        np.count_nonzero,
        np.multiply.outer,
    )
    run_to_block = 8  # right samples in a row before trying blocks
    for e in range(epochs):
        wrong = 0
        j = 0
        run = 0
        block = 0  # 0: lean per-sample steps
        while j < m:
            if not block:
                x = XT[j]
                dot(W, x, out=z)
                z += bv
                greater(z, T, out=err)  # y_hat, strict z > T
                subtract(YT[j], err, out=err)  # y - y_hat
                n_wrong = count(err)
                j += 1
                if not n_wrong:
                    run += 1
                    if run >= run_to_block:
                        block = 2 * run_to_block
                    continue
            else:
                hi = min(j + block, m)
                Z = W @ X[:, j:hi]
                Z += b
                Y_hat = greater(Z, T, out=Z)
                miss = np.not_equal(Y_hat, Y[:, j:hi]).any(axis=0)
                first = int(miss.argmax())
                if not miss[first]:  # the whole block is right
                    j = hi
                    block = min(2 * block, 1 << 14)
                    continue
                col = j + first
                x = XT[col]
                subtract(YT[col], Y_hat[:, first], out=err)  # y - y_hat
                n_wrong = count(err)
                j = col + 1
                block = 0
            run = 0
            wrong += n_wrong  # counted before the update
            err *= lr
            W += outer(err, x)
            bv += err
        errors[e] = wrong
    return W, b, errors


# ------------------------------------------------------------------------ MLP


def _mlp_params(params) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(_arr(W), _arr(b).reshape(-1, 1)) for W, b in params]


def _dense(W: np.ndarray, b: np.ndarray, A_prev: np.ndarray) -> np.ndarray:
    Z = W @ A_prev
    Z += b
    return Z


def _backward(
    params: list[tuple[np.ndarray, np.ndarray]],
    X: np.ndarray,
    Y: np.ndarray,
    activations,
    loss: str,
) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    if len(activations) != len(params):
        raise ValueError(f"{len(params)} layers but {len(activations)} activations")
    _check_loss(loss)
    Zs, As = [], [X]
    A = X
    for (W, b), name in zip(params, activations, strict=True):
        Z = _dense(W, b, A)
        A = Z if name == "linear" else _activate(name, Z, np.empty(Z.shape))
        Zs.append(Z)
        As.append(A)
    m = _n_samples(A)
    if activations[-1] == "sigmoid" and loss == "logistic":
        # the lecture's dL/dz = a - y, and J computed from z (finite even when a saturates)
        J = _logistic_cost_from_z(Zs[-1], Y) / m if m else float("nan")
        dZ = np.subtract(A, Y)
        if m:
            dZ /= m
    else:
        J, dA = _cost_and_grad(A, Y, loss, _MLP_DELTA)
        dZ = _times_activation_grad(activations[-1], Zs[-1], dA)
    grads: list[tuple[np.ndarray, np.ndarray]] = [None] * len(params)  # type: ignore[list-item]
    for layer in range(len(params) - 1, -1, -1):
        W = params[layer][0]
        dW = dZ @ As[layer].T
        db = dZ.sum(axis=1, keepdims=True)
        grads[layer] = (dW, db)
        if layer:  # dA of the input X is never needed
            dA = W.T @ dZ
            dZ = _times_activation_grad(activations[layer - 1], Zs[layer - 1], dA)
    return J, grads


@hookimpl
def dense_forward(W, b, A_prev, activation):
    _check_activation(activation)
    Z = _dense(_arr(W), _arr(b).reshape(-1, 1), _arr(A_prev))
    return Z, _activate(activation, Z, np.empty(Z.shape))


@hookimpl
def mlp_forward(params, X, activations):
    if len(activations) != len(params):
        raise ValueError(f"{len(params)} layers but {len(activations)} activations")
    A = _arr(X)
    for (W, b), name in zip(_mlp_params(params), activations, strict=True):
        Z = _dense(W, b, A)  # fresh, so the activation can run in place
        A = _activate(name, Z, Z)
    return A


@hookimpl
def mlp_backward(params, X, Y, activations, loss):
    shaped = _mlp_params(params)
    J, grads = _backward(shaped, _arr(X), _as_2d(_arr(Y)), activations, loss)
    # db shaped like the b the caller gave
    return J, [
        (dW, db.reshape(np.shape(b))) for (dW, db), (_, b) in zip(grads, params, strict=True)
    ]


@hookimpl
def mlp_train(params, X, Y, activations, loss, lr, epochs):
    X, Y = _arr(X), _as_2d(_arr(Y))
    lr, epochs = _float(lr), int(epochs)
    # new arrays, updated in place below: the caller's params are left alone
    trained = [(np.array(W, dtype=_F64), np.array(b, dtype=_F64).reshape(-1, 1)) for W, b in params]
    costs = np.empty(epochs)
    for e in range(epochs):
        costs[e], grads = _backward(trained, X, Y, activations, loss)
        for (W, b), (dW, db) in zip(trained, grads, strict=True):
            dW *= lr
            W -= dW
            db *= lr
            b -= db
    return [
        (W, b.reshape(np.shape(b0))) for (W, b), (_, b0) in zip(trained, params, strict=True)
    ], costs


# ------------------------------------------------------------- representation


@hookimpl
def to_polar(X):
    X = _arr(X)
    x, y = X[0], X[1]
    out = np.empty((2,) + x.shape)
    r, phi = out[0], out[1]
    # r = sqrt(x^2 + y^2) is fast and accurate unless x^2 + y^2 over- or
    # underflows; np.hypot (slower) is exact there.
    with np.errstate(over="ignore"):  # handled by the hypot fallback
        np.multiply(x, x, out=r)
        np.multiply(y, y, out=phi)
        r += phi
    if r.size and not (float(r.max()) <= 1e300 and float(r.min()) >= 1e-290):
        np.hypot(x, y, out=r)
    else:
        np.sqrt(r, out=r)
    np.add(y, 0.0, out=phi)  # -0.0 + 0.0 = +0.0, so phi is in (-pi, pi]
    np.arctan2(phi, x, out=phi)
    return out
