"""Bundled plugin ``torch``: every hook of the contract in PyTorch (CPU, float64).

This is the solution of a student who knows PyTorch: tensor expressions for the
forward functions and **autograd for every derivative**. ``sigmoid_grad``,
``tanh_grad``, ``relu_grad``, ``leaky_relu_grad`` and the loss derivatives are
``torch.autograd.grad`` of the forward function; ``chain_rule_example`` is the
slide's graph differentiated by autograd; ``linear_regression_fit``,
``logistic_regression_step``, ``mlp_backward`` and ``mlp_train`` build the
cost J and call ``backward()``. The loops that the lecture defines step by
step (Rosenblatt's online rule, the epochs of gradient descent) are loops over
torch operations.

It is a peer of the ``numpy`` and ``python`` plugins in the speed comparison
(``benchmarks/test_peers.py``), so it runs on **one thread**
(``torch.set_num_threads(1)``), like the others.

Numerics: the logistic cost of a sigmoid output is computed from the logits
(``binary_cross_entropy_with_logits``: finite where the sigmoid rounds to 0 or
1); the logistic loss uses ``xlogy`` / ``xlog1py`` (0 log 0 = 0). PyTorch's
own backward formulas give ReLU'(0) = 0, lReLU'(0) = alpha and the true L1
and Huber derivatives (``sign(y_hat - y)``, ``clip(y_hat - y, -delta, delta)``),
not the slides' misprints.

Boundary: inputs become tensors that share the caller's memory (never written);
outputs are new float64 NumPy arrays and Python floats. PyTorch is an optional
dependency (``pip install 'nn-lecture1-harness[torch]'``); without it, importing
this module raises an ImportError that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "the 'torch' plugin needs PyTorch: pip install 'nn-lecture1-harness[torch]'"
    ) from exc

from harness import hookimpl

torch.set_num_threads(1)  # a fair peer of the single-threaded plugins

_F64 = torch.float64
_LEAKY_ALPHA = 0.1  # the MLP hooks' LeakyReLU slope
_MLP_DELTA = 1.0  # the MLP hooks' Huber delta

Tensor = torch.Tensor
Pairs = list[tuple[np.ndarray, np.ndarray]]

# ------------------------------------------------------ boundary: numpy <-> torch


def _tensor(x) -> Tensor:
    """``x`` as a float64 tensor, sharing memory with a float64 ndarray (never written)."""
    a = np.asarray(x, dtype=np.float64)
    if not a.flags.writeable or any(s < 0 for s in a.strides):  # from_numpy refuses these
        a = np.array(a, order="C")
    return torch.from_numpy(a)


def _leaf(x) -> Tensor:
    """A new float64 leaf tensor that autograd differentiates with respect to."""
    return _tensor(x).detach().clone().requires_grad_(True)


def _scalar(x) -> float:
    """A Python float from a number, a 0-d or a 1-element array."""
    if isinstance(x, float | int):
        return float(x)
    return float(np.asarray(x, dtype=np.float64).item())


def _out(t: Tensor) -> np.ndarray:
    """A tensor as a float64 ndarray (the tensors returned are fresh)."""
    return t.detach().numpy()


def _as_2d(t: Tensor) -> Tensor:
    """Read a 0-d as (1, 1) and a 1-D ``(m,)`` as ``(1, m)``."""
    return t if t.dim() >= 2 else t.reshape(1, -1)


def _derivative(fn: Callable[..., Tensor], x, *args) -> np.ndarray:
    """d fn(x, *args) / dx of an elementwise ``fn``, elementwise, by autograd."""
    leaf = _leaf(x)
    y = fn(leaf, *args)
    (grad,) = torch.autograd.grad(y, leaf, grad_outputs=torch.ones_like(y))
    return _out(grad)


def _pair_derivative(fn: Callable[..., Tensor], y_hat, y, *args) -> np.ndarray:
    """dL/dy_hat of an elementwise loss ``fn(y_hat, y, *args)``, by autograd."""
    target = _tensor(y)
    return _derivative(lambda t: fn(t, target, *args), y_hat)


# ------------------------------------------------------------------ functions


def _step(z: Tensor, threshold: float) -> Tensor:
    return (z > threshold).to(_F64)  # strict z > T


def _l1(y_hat: Tensor, y: Tensor) -> Tensor:
    return (y - y_hat).abs()


def _l2(y_hat: Tensor, y: Tensor) -> Tensor:
    return (y - y_hat).square()


def _huber(y_hat: Tensor, y: Tensor, delta: float) -> Tensor:
    return F.huber_loss(y_hat, y, reduction="none", delta=delta)


def _logistic(y_hat: Tensor, y: Tensor) -> Tensor:
    # -(y log y_hat + (1 - y) log(1 - y_hat)); xlogy / xlog1py give 0 log 0 = 0
    return -(torch.special.xlogy(y, y_hat) + torch.special.xlog1py(1.0 - y, -y_hat))


def _leaky_relu(z: Tensor, alpha: float) -> Tensor:
    return torch.maximum(z * alpha, z)  # max(alpha z, z), as the slide writes it


_LOSSES: dict[str, Callable[..., Tensor]] = {
    "l1": lambda y_hat, y, delta: _l1(y_hat, y),
    "l2": lambda y_hat, y, delta: _l2(y_hat, y),
    "huber": _huber,
    "logistic": lambda y_hat, y, delta: _logistic(y_hat, y),
}

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: _leaky_relu(z, _LEAKY_ALPHA),
    "linear": lambda z: z,
}


def _loss_fn(loss: str) -> Callable[..., Tensor]:
    try:
        return _LOSSES[loss]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(_LOSSES)}") from None


def _activation_fn(name: str) -> Callable[[Tensor], Tensor]:
    try:
        return _ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(_ACTIVATIONS)}"
        ) from None


def _cost(y_hat: Tensor, y: Tensor, loss: str, delta: float) -> Tensor:
    """J = (1/m) sum of L over all outputs and samples; ``y_hat``, ``y`` 2-D."""
    m = y_hat.shape[-1]
    total = _loss_fn(loss)(y_hat, y, delta).sum()
    return total / m if m else total * float("nan")


# ---------------------------------------------------------------- activations


@hookimpl
def sigmoid(z):
    return _out(torch.sigmoid(_tensor(z)))


@hookimpl
def sigmoid_grad(z):
    return _derivative(torch.sigmoid, z)


@hookimpl
def tanh(z):
    return _out(torch.tanh(_tensor(z)))


@hookimpl
def tanh_grad(z):
    return _derivative(torch.tanh, z)


@hookimpl
def relu(z):
    return _out(torch.relu(_tensor(z)))


@hookimpl
def relu_grad(z):
    return _derivative(torch.relu, z)  # PyTorch's ReLU'(0) = 0, as on the slide


@hookimpl
def leaky_relu(z, alpha):
    return _out(_leaky_relu(_tensor(z), _scalar(alpha)))


@hookimpl
def leaky_relu_grad(z, alpha):
    # F.leaky_relu's backward: 1 if z > 0 else alpha, so lReLU'(0) = alpha
    return _derivative(F.leaky_relu, z, _scalar(alpha))


@hookimpl
def step(z, threshold):
    return _out(_step(_tensor(z), _scalar(threshold)))


# --------------------------------------------------------------------- losses


@hookimpl
def l1_loss(y_hat, y):
    return _out(_l1(_tensor(y_hat), _tensor(y)))


@hookimpl
def l1_loss_grad(y_hat, y):
    return _pair_derivative(_l1, y_hat, y)  # sign(y_hat - y): the true derivative


@hookimpl
def l2_loss(y_hat, y):
    return _out(_l2(_tensor(y_hat), _tensor(y)))


@hookimpl
def l2_loss_grad(y_hat, y):
    return _pair_derivative(_l2, y_hat, y)


@hookimpl
def huber_loss(y_hat, y, delta):
    return _out(_huber(_tensor(y_hat), _tensor(y), _scalar(delta)))


@hookimpl
def huber_loss_grad(y_hat, y, delta):
    return _pair_derivative(_huber, y_hat, y, _scalar(delta))  # clip(y_hat - y, -d, d)


@hookimpl
def logistic_loss(y_hat, y):
    return _out(_logistic(_tensor(y_hat), _tensor(y)))


@hookimpl
def logistic_loss_grad(y_hat, y):
    return _pair_derivative(_logistic, y_hat, y)


@hookimpl
def cost(y_hat, y, loss, delta):
    d = _scalar(delta) if loss == "huber" else _MLP_DELTA
    return _cost(_as_2d(_tensor(y_hat)), _as_2d(_tensor(y)), loss, d).item()


# --------------------------------------------------------------- optimisation


@hookimpl
def gradient_descent(x0, lr, steps):
    x = _tensor(x0).reshape(-1)
    lr, steps = _scalar(lr), int(steps)
    traj = torch.empty((steps + 1, x.shape[0]), dtype=_F64)
    traj[0] = x
    # grad f(p) = 2p is linear, so autograd is asked once, for the factor of one
    # step: x - lr grad f(x) = (1 - lr f''(x)) x with f'' = 2 (a constant)
    factor = 1.0 - lr * _second_derivative_of_square()
    traj[1:] = factor
    torch.cumprod(traj, dim=0, out=traj)  # x_{k+1} = factor x_k, all steps at once
    if not torch.isfinite(traj[-1]).all():  # diverged to inf: the loop's own inf - inf = nan
        return _out(_gradient_descent_steps(traj, lr))
    return _out(traj)


def _second_derivative_of_square() -> float:
    """f''(p) of f(p) = p^2, by autograd (2.0)."""
    p = torch.ones((), dtype=_F64, requires_grad=True)
    (g,) = torch.autograd.grad(p * p, p, create_graph=True)
    (h,) = torch.autograd.grad(g, p)
    return h.item()


def _gradient_descent_steps(traj: Tensor, lr: float) -> Tensor:
    """The literal loop x := x - lr (2x), step by step, rewriting ``traj[1:]``."""
    for k in range(traj.shape[0] - 1):
        x = traj[k]
        torch.sub(x, 2.0 * x, alpha=lr, out=traj[k + 1])
    return traj


@hookimpl
def chain_rule_example(x):
    xt = torch.tensor(_scalar(x), dtype=_F64, requires_grad=True)
    f = xt + 1.0
    g = 2.0 * f
    h = g * g
    dh_dg, dh_df, dh_dx = torch.autograd.grad(h, (g, f, xt))  # backward through the graph
    return tuple(t.item() for t in (f, g, h, dh_dg, dh_df, dh_dx))


# ----------------------------------------------------------------- regression


def _linear(w: Tensor, b: Tensor | float, X: Tensor) -> Tensor:
    """w^T X + b as a (1, m) tensor; ``w`` (n, 1) or (n,)."""
    return (torch.mv(X.T, w.reshape(-1)) + b).reshape(1, -1)


@hookimpl
def linear_forward(w, b, X):
    return _out(_linear(_tensor(w), _scalar(b), _tensor(X)))


@hookimpl
def linear_regression_fit(X, y, w0, b0, lr, epochs, loss, delta):
    X, y = _tensor(X), _tensor(y).reshape(1, -1)
    lr, epochs = _scalar(lr), int(epochs)
    d = _scalar(delta) if loss == "huber" else _MLP_DELTA
    _loss_fn(loss)
    w = _leaf(np.asarray(w0, dtype=np.float64).reshape(-1, 1))
    b = torch.tensor(_scalar(b0), dtype=_F64, requires_grad=True)
    costs = torch.empty(epochs, dtype=_F64)
    for e in range(epochs):
        J = _cost(_linear(w, b, X), y, loss, d)
        costs[e] = J.detach()  # J before update e
        _descend(J, (w, b), lr)
    return _out(w), b.item(), _out(costs)


def _descend(J: Tensor, leaves: Sequence[Tensor], lr: float) -> None:
    """One step of gradient descent: every leaf := leaf - lr dJ/dleaf."""
    grads = torch.autograd.grad(J, leaves)
    with torch.no_grad():
        for leaf, grad in zip(leaves, grads, strict=True):
            leaf.sub_(grad, alpha=lr)


@hookimpl
def logistic_regression_step(w, b, X, y, lr):
    X, y = _tensor(X), _tensor(y).reshape(1, -1)
    lr = _scalar(lr)
    w_leaf = _leaf(np.asarray(w, dtype=np.float64).reshape(-1, 1))
    b_leaf = torch.tensor(_scalar(b), dtype=_F64, requires_grad=True)
    z = _linear(w_leaf, b_leaf, X)
    # J = (1/m) sum L(sigma(z), y), from the logits: finite where sigma(z) rounds to 0 or 1
    J = F.binary_cross_entropy_with_logits(z, y, reduction="mean")
    dw, db = torch.autograd.grad(J, (w_leaf, b_leaf))  # autograd's dL/dz = a - y
    w_new = w_leaf.detach() - lr * dw
    b_new = b_leaf.item() - lr * db.item()
    return J.item(), _out(dw), db.item(), _out(w_new), b_new


# ----------------------------------------------------------------- perceptron


@hookimpl
def perceptron_predict(W, b, X, threshold):
    Z = torch.addmm(_tensor(b).reshape(-1, 1), _tensor(W), _tensor(X))  # W X + b
    return _out(_step(Z, _scalar(threshold)))


@hookimpl
def perceptron_train(X, Y, W0, b0, lr, epochs, threshold):
    XT = _tensor(X).T.contiguous()  # one sample per row
    YT = _as_2d(_tensor(Y)).T.contiguous()
    W = _tensor(W0).reshape(YT.shape[1], -1).clone()  # new tensors: the inputs are left alone
    b = _tensor(b0).reshape(-1).clone()
    lr, T, epochs = _scalar(lr), _scalar(threshold), int(epochs)
    errors = torch.zeros(epochs, dtype=_F64)
    z = torch.empty_like(b)
    err = torch.empty_like(b)
    for e in range(epochs):
        wrong = 0
        for x, y in zip(XT, YT, strict=True):  # online, samples in column order
            torch.addmv(b, W, x, out=z)  # z = W x + b
            torch.sub(y, _step(z, T), out=err)  # y - y_hat
            n_wrong = int(torch.count_nonzero(err))
            if n_wrong:  # a right sample changes nothing
                wrong += n_wrong  # counted before the update
                err.mul_(lr)  # lr (y - y_hat): exact, y - y_hat is 0 or +-1
                W.add_(torch.outer(err, x))  # W += lr (y - y_hat) x^T (no fused multiply-add)
                b.add_(err)  # b += lr (y - y_hat)
        errors[e] = wrong
    return _out(W), _out(b).reshape(np.shape(b0)), _out(errors)


# ------------------------------------------------------------------------ MLP


def _check_layers(params: Sequence, activations: Sequence[str]) -> None:
    if isinstance(activations, str) or len(activations) != len(params):
        raise ValueError(f"{len(params)} layers but activations {activations!r}")


def _forward(
    params: Sequence[tuple[Tensor, Tensor]], X: Tensor, activations: Sequence[str]
) -> tuple[Tensor, Tensor]:
    """(Z_L, A_L) of the forward pass; ``b`` tensors (n_l, 1)."""
    A = Z = X
    for (W, b), name in zip(params, activations, strict=True):
        Z = torch.addmm(b, W, A)  # Z = W A + b
        A = _activation_fn(name)(Z)
    return Z, A


def _mlp_cost(
    params: Sequence[tuple[Tensor, Tensor]], X: Tensor, Y: Tensor, activations: Sequence[str],
    loss: str,
) -> Tensor:
    """J of the network on (X, Y), differentiable with respect to the params."""
    _check_layers(params, activations)
    _loss_fn(loss)
    Z, A = _forward(params, X, activations)
    if loss == "logistic" and activations[-1] == "sigmoid":
        m = Z.shape[-1]  # J from the logits: finite where A rounds to 0 or 1
        return F.binary_cross_entropy_with_logits(Z, Y, reduction="sum") / m
    return _cost(A, Y, loss, _MLP_DELTA)


def _leaves(params) -> list[tuple[Tensor, Tensor]]:
    """New leaf tensors (W, b) with b as (n, 1), for autograd."""
    return [(_leaf(W), _leaf(np.asarray(b, dtype=np.float64).reshape(-1, 1))) for W, b in params]


def _flat(pairs: Sequence[tuple[Tensor, Tensor]]) -> list[Tensor]:
    return [t for pair in pairs for t in pair]


def _shaped_like(pairs: Sequence[tuple[Tensor, Tensor]], params) -> Pairs:
    """(W, b) tensors as arrays, each b shaped like the b the caller gave."""
    return [(_out(W), _out(b).reshape(np.shape(b0))) for (W, b), (_, b0) in
            zip(pairs, params, strict=True)]


@hookimpl
def dense_forward(W, b, A_prev, activation):
    g = _activation_fn(activation)
    Z = torch.addmm(_tensor(b).reshape(-1, 1), _tensor(W), _tensor(A_prev))
    A = g(Z)
    return _out(Z), _out(A.clone() if A is Z else A)


@hookimpl
def mlp_forward(params, X, activations):
    _check_layers(params, activations)
    pairs = [(_tensor(W), _tensor(b).reshape(-1, 1)) for W, b in params]
    return _out(_forward(pairs, _tensor(X), activations)[1])


@hookimpl
def mlp_backward(params, X, Y, activations, loss):
    leaves = _leaves(params)
    J = _mlp_cost(leaves, _tensor(X), _as_2d(_tensor(Y)), activations, loss)
    J.backward()  # back-propagation of errors
    return J.item(), _shaped_like([(W.grad, b.grad) for W, b in leaves], params)


@hookimpl
def mlp_train(params, X, Y, activations, loss, lr, epochs):
    X, Y = _tensor(X), _as_2d(_tensor(Y))
    lr, epochs = _scalar(lr), int(epochs)
    leaves = _leaves(params)  # new tensors: the caller's params are left alone
    costs = torch.empty(epochs, dtype=_F64)
    for e in range(epochs):
        J = _mlp_cost(leaves, X, Y, activations, loss)
        costs[e] = J.detach()  # J before update e
        _descend(J, _flat(leaves), lr)
    return _shaped_like(leaves, params), _out(costs)


# ------------------------------------------------------------- representation


@hookimpl
def to_polar(X):
    X = _tensor(X)
    x, y = X[0], X[1]
    # r = sqrt(x^2 + y^2) without overflow; y + 0.0 turns -0.0 into +0.0, so phi is in (-pi, pi]
    return _out(torch.stack((torch.hypot(x, y), torch.atan2(y + 0.0, x))))
