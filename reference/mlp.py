"""The multi-layer perceptron: dense layers, forward pass, back-propagation, training.

Slides "Vectorized Form - Multiple Samples" (Z = W X + b, A = g(Z)), "Forward
Pass" (a[0] = x; z[l] = W[l] a[l-1] + b[l]; a[l] = g[l](z[l])), "Matrix
Dimensions" (W[l] is (n[l] x n[l-1])) and "Training of MLPs" (1986 -
back-propagation of errors, the chain rule applied layer by layer).

Shapes: ``params`` is a list of ``(W, b)`` pairs, first layer first, ``W[l]``
``(n_l, n_{l-1})``, ``b[l]`` ``(n_l, 1)``; ``X`` is ``(n_0, m)`` (samples are
columns), ``Y`` is ``(n_L, m)``; ``activations`` one name per layer from
"sigmoid", "tanh", "relu", "leaky_relu" (alpha 0.1), "linear"; ``loss`` one of
"l1", "l2", "huber" (delta 1.0), "logistic".

Back-propagation, with J = (1/m) sum over outputs and samples of L(A_L, Y):

    dA_L = (1/m) dL/dA_L (A_L, Y)
    dZ_l = dA_l * g_l'(Z_l)             (sigma' = a (1 - a), tanh' = 1 - a^2)
    dW_l = dZ_l A_{l-1}^T,   db_l = sum over samples of dZ_l
    dA_{l-1} = W_l^T dZ_l

For a sigmoid output with the logistic loss the two output steps are fused,
dZ_L = (A_L - Y) / m (slide "Backward Pass": dL/dz = a - y), and J is computed
from Z_L as y log(1 + e^-z) + (1 - y) log(1 + e^z), finite where A_L rounds to
0 or 1.

Inside the kernels all weights and biases live in one flat float64 vector
(layer by layer: W_l row-major, then b_l), so one compiled signature serves
every architecture; the wrappers pack and unpack it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._linalg import grad_weights_into, matmul_into, transpose_matmul_into
from ._numba_cache import kernel
from ._validate import as_count, as_float, column, matrix
from .activations import SIGMOID, activation_backward, activation_code, bias_activation_into
from .losses import LOGISTIC, logistic_of_logit_sum, loss_code, loss_grad, loss_sum

#: Huber's delta in the MLP hooks (SPEC.md: "the MLP hooks use delta = 1.0")
MLP_HUBER_DELTA = 1.0

Params = Sequence[tuple[ArrayLike, ArrayLike]]


# ---------------------------------------------------- flat parameter vector


@kernel
def _offsets(sizes, m):
    """Start of W_l in the flat parameters and of Z_l / A_l in the layer buffers."""
    n_layers = sizes.size - 1
    w_off = np.zeros(n_layers + 1, dtype=np.int64)
    z_off = np.zeros(n_layers + 1, dtype=np.int64)
    for layer in range(n_layers):
        w_off[layer + 1] = w_off[layer] + sizes[layer + 1] * sizes[layer] + sizes[layer + 1]
        z_off[layer + 1] = z_off[layer] + sizes[layer + 1] * m
    return w_off, z_off


@kernel
def _layer(theta, sizes, w_off, layer):
    """Views (W_l, b_l) of layer l in the flat parameters (or gradients)."""
    n = sizes[layer + 1]
    p = sizes[layer]
    o = w_off[layer]
    return theta[o : o + n * p].reshape((n, p)), theta[o + n * p : o + n * p + n]


# ------------------------------------------------------------------ kernels


@kernel
def _dense_kernel(W, b, A_prev, code):
    n = W.shape[0]
    m = A_prev.shape[1]
    Z = np.empty((n, m))
    A = np.empty((n, m))
    matmul_into(W, A_prev, Z)
    bias_activation_into(code, Z, b, A)
    return Z, A


@kernel
def _mlp_forward_kernel(theta, sizes, acts, X):
    m = X.shape[1]
    w_off, _ = _offsets(sizes, m)
    A = X
    for layer in range(acts.size):
        W, b = _layer(theta, sizes, w_off, layer)
        n = W.shape[0]
        Z = np.empty((n, m))
        matmul_into(W, A, Z)
        bias_activation_into(acts[layer], Z, b, Z)  # in place: A = g(Z)
        A = Z
    return A


@kernel
def _forward_backward(theta, sizes, acts, loss, X, Y, Zbuf, Abuf, grad, d_cur, d_prev):
    """Forward pass into Zbuf/Abuf, gradients of J into grad; returns J."""
    n_layers = acts.size
    m = X.shape[1]
    w_off, z_off = _offsets(sizes, m)
    scale = 1.0 / m

    # forward: a[0] = x; z[l] = W[l] a[l-1] + b[l]; a[l] = g[l](z[l])
    A_prev = X
    for layer in range(n_layers):
        n = sizes[layer + 1]
        W, b = _layer(theta, sizes, w_off, layer)
        Zl = Zbuf[z_off[layer] : z_off[layer + 1]]
        Al = Abuf[z_off[layer] : z_off[layer + 1]]
        matmul_into(W, A_prev, Zl.reshape((n, m)))
        bias_activation_into(acts[layer], Zl.reshape((n, m)), b, Al.reshape((n, m)))
        A_prev = Al.reshape((n, m))

    # output layer: J and dZ_L
    last = n_layers - 1
    ZL = Zbuf[z_off[last] : z_off[n_layers]]
    AL = Abuf[z_off[last] : z_off[n_layers]]
    y = Y.reshape(Y.size)
    size_out = ZL.size
    dZ = d_cur[:size_out]
    if loss == LOGISTIC and acts[last] == SIGMOID:
        J = logistic_of_logit_sum(ZL, y) / m
        for i in range(size_out):
            dZ[i] = scale * (AL[i] - y[i])  # dL/dz = a - y
    else:
        J = loss_sum(loss, AL, y, MLP_HUBER_DELTA) / m
        loss_grad(loss, AL, y, MLP_HUBER_DELTA, scale, dZ)  # dJ/dA_L
        activation_backward(acts[last], ZL, AL, dZ, dZ)  # dZ_L = dA_L * g'(Z_L)

    # backward, last layer first
    for layer in range(last, -1, -1):
        n = sizes[layer + 1]
        p = sizes[layer]
        dZl = d_cur[: n * m].reshape((n, m))
        dW, db = _layer(grad, sizes, w_off, layer)
        if layer == 0:
            grad_weights_into(dZl, X, dW, db)
        else:
            Ap = Abuf[z_off[layer - 1] : z_off[layer]]
            grad_weights_into(dZl, Ap.reshape((p, m)), dW, db)
            W, _ = _layer(theta, sizes, w_off, layer)
            dA = d_prev[: p * m]
            transpose_matmul_into(W, dZl, dA.reshape((p, m)))
            Zp = Zbuf[z_off[layer - 1] : z_off[layer]]
            activation_backward(acts[layer - 1], Zp, Ap, dA, dA)  # dZ_{l-1}
            d_cur, d_prev = d_prev, d_cur
    return J


@kernel
def _workspace(theta, sizes, m):
    n_layers = sizes.size - 1
    total = 0
    widest = 0
    for layer in range(n_layers):
        total += sizes[layer + 1] * m
        widest = max(widest, sizes[layer + 1] * m)  # dZ / dA of a layer's output (never of X)
    return (
        np.empty(total),
        np.empty(total),
        np.empty_like(theta),
        np.empty(widest),
        np.empty(widest),
    )


@kernel
def _mlp_backward_kernel(theta, sizes, acts, loss, X, Y):
    Zbuf, Abuf, grad, d_cur, d_prev = _workspace(theta, sizes, X.shape[1])
    J = _forward_backward(theta, sizes, acts, loss, X, Y, Zbuf, Abuf, grad, d_cur, d_prev)
    return J, grad


@kernel
def _mlp_train_kernel(theta, sizes, acts, loss, X, Y, lr, epochs):
    """Trains ``theta`` in place (the wrapper passes a fresh copy)."""
    Zbuf, Abuf, grad, d_cur, d_prev = _workspace(theta, sizes, X.shape[1])
    costs = np.empty(epochs)
    for e in range(epochs):
        costs[e] = _forward_backward(
            theta, sizes, acts, loss, X, Y, Zbuf, Abuf, grad, d_cur, d_prev
        )  # J before update e
        for i in range(theta.size):
            theta[i] -= lr * grad[i]
    return costs


# ----------------------------------------------------------------- wrappers


def _pack(params: Params, n_in: int) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(theta, sizes, shapes): the params as one new flat vector, the layer
    widths (n_0, ..., n_L) and each (W.shape, b.shape) to unpack with."""
    if len(params) == 0:
        raise ValueError("params must have at least one (W, b) layer")
    chunks: list[np.ndarray] = []
    sizes = [n_in]
    shapes = []
    for layer, (W, b) in enumerate(params):
        W = np.asarray(W, dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
        if W.ndim != 2 or W.shape[1] != sizes[-1]:
            raise ValueError(
                f"layer {layer}: W has shape {W.shape}, expected ({W.shape[0] if W.ndim else '?'}, "
                f"{sizes[-1]}) to follow a layer of {sizes[-1]} units"
            )
        if b.size != W.shape[0] or b.ndim > 2 or (b.ndim == 2 and b.shape[1] != 1):
            raise ValueError(f"layer {layer}: b has shape {b.shape}, expected ({W.shape[0]}, 1)")
        chunks += [W.ravel(), b.ravel()]
        sizes.append(W.shape[0])
        shapes.append((W.shape, b.shape))
    theta = np.concatenate(chunks)  # always a new array
    return theta, np.array(sizes, dtype=np.int64), shapes


def _unpack(theta: np.ndarray, shapes: list[tuple]) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    o = 0
    for w_shape, b_shape in shapes:
        nw = w_shape[0] * w_shape[1]
        nb = w_shape[0]
        out.append(
            (theta[o : o + nw].reshape(w_shape), theta[o + nw : o + nw + nb].reshape(b_shape))
        )
        o += nw + nb
    return out


def _codes(activations: Sequence[str], n_layers: int) -> np.ndarray:
    if isinstance(activations, str) or len(activations) != n_layers:
        raise ValueError(
            f"activations must be a list of {n_layers} names (one per layer), got {activations!r}"
        )
    return np.array([activation_code(a) for a in activations], dtype=np.int64)


def _targets(Y: ArrayLike, n_out: int, m: int) -> np.ndarray:
    Yarr = np.asarray(Y, dtype=np.float64)
    if Yarr.ndim == 1 and n_out == 1:
        Yarr = Yarr.reshape(1, -1)
    if Yarr.shape != (n_out, m):
        raise ValueError(f"Y has shape {np.shape(Y)}, expected ({n_out}, {m})")
    return matrix(Yarr, "Y")


def dense_forward(
    W: ArrayLike, b: ArrayLike, A_prev: ArrayLike, activation: str
) -> tuple[np.ndarray, np.ndarray]:
    """One fully-connected layer: Z = W A_prev + b, A = g(Z).

    Slide: Vectorized Form - Multiple Samples (Z = W X + b, A = g(Z)).

    Args:
        W: array (n_l, n_{layer-1}).
        b: array (n_l, 1).
        A_prev: array (n_{layer-1}, m).
        activation: str, one of "sigmoid", "tanh", "relu", "leaky_relu"
            (alpha 0.1), "linear".

    Returns:
        tuple (Z, A), two new float64 arrays (n_l, m) ("linear": A equals Z but
        is a separate array).
    """
    code = activation_code(activation)
    W = matrix(W, "W")
    A_prev = matrix(A_prev, "A_prev")
    if A_prev.shape[0] != W.shape[1]:
        raise ValueError(f"W {W.shape} and A_prev {A_prev.shape} do not chain (W A_prev)")
    return _dense_kernel(W, column(b, W.shape[0], "b"), A_prev, code)


def mlp_forward(params: Params, X: ArrayLike, activations: Sequence[str]) -> np.ndarray:
    """Forward pass: A[0] = X; Z[layer] = W[layer] A[layer-1] + b[layer]; A[layer] = g[layer](Z[layer]).

    Slide: Forward Pass; Matrix Dimensions. All-"linear" layers collapse to one
    linear layer (slide "g(f(x)) is linear": c(ax + b) + d = acx + (cb + d)).

    Args:
        params: list of (W, b) pairs, first layer first; W (n_l, n_{layer-1}),
            b (n_l, 1).
        X: array (n_0, m), samples are columns.
        activations: list of str, one per layer.

    Returns:
        float64 array A_L (n_L, m).
    """
    X = matrix(X, "X")
    theta, sizes, _ = _pack(params, X.shape[0])
    return _mlp_forward_kernel(theta, sizes, _codes(activations, sizes.size - 1), X)


def mlp_backward(
    params: Params, X: ArrayLike, Y: ArrayLike, activations: Sequence[str], loss: str
) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """Back-propagation of errors: the cost J and its gradient for every layer.

    J = (1/m) sum over all outputs and samples of L(A_L, Y); "huber" uses
    delta = 1.0. The loss derivatives are the true ones (l1: sign(a - y);
    huber: clip(a - y, -1, 1)), not the slides' misprints.

    Slide: Training of MLPs (1986 - back-propagation of errors); Chain Rule.

    Args:
        params: list of (W, b) pairs, first layer first.
        X: array (n_0, m).
        Y: array (n_L, m).
        activations: list of str, one per layer.
        loss: str, one of "l1", "l2", "huber", "logistic".

    Returns:
        tuple (cost, grads): cost float; grads a list of (dW, db) pairs, new
        float64 arrays shaped like the given (W, b), the gradients of J.
    """
    code = loss_code(loss)
    X = matrix(X, "X")
    theta, sizes, shapes = _pack(params, X.shape[0])
    acts = _codes(activations, sizes.size - 1)
    Yc = _targets(Y, int(sizes[-1]), X.shape[1])
    J, grad = _mlp_backward_kernel(theta, sizes, acts, code, X, Yc)
    return J, _unpack(grad, shapes)


def mlp_train(
    params: Params,
    X: ArrayLike,
    Y: ArrayLike,
    activations: Sequence[str],
    loss: str,
    lr: float,
    epochs: int,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Full-batch gradient descent of an MLP: params := params - lr grad J.

    Slide: Loss & Cost - Minimizing Cost; Training of MLPs. Each epoch is one
    :func:`mlp_backward` followed by the update of every W and b.

    Args:
        params: list of (W, b) pairs, first layer first (left unchanged).
        X: array (n_0, m).
        Y: array (n_L, m).
        activations: list of str, one per layer.
        loss: str, one of "l1", "l2", "huber", "logistic".
        lr: float, the learning rate.
        epochs: int >= 0.

    Returns:
        tuple (params, costs): the trained params, a new list of new (W, b)
        float64 arrays shaped like the given ones, and costs float64 array
        (epochs,) where costs[e] is J before update e.
    """
    code = loss_code(loss)
    X = matrix(X, "X")
    theta, sizes, shapes = _pack(params, X.shape[0])
    acts = _codes(activations, sizes.size - 1)
    Yc = _targets(Y, int(sizes[-1]), X.shape[1])
    costs = _mlp_train_kernel(
        theta, sizes, acts, code, X, Yc, as_float(lr, "lr"), as_count(epochs, "epochs")
    )
    return _unpack(theta, shapes), costs
