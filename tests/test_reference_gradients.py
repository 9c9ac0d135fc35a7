"""Every derivative of the reference against centred finite differences in float64.

(f(x + h) - f(x - h)) / 2h has an error of order h^2 f''' + eps f / h; with
h = 1e-6 and smooth functions of moderate size that is ~1e-9, so the checks
use rtol = 1e-6 and a small atol. Points are kept away from the kinks
(ReLU at 0, L1 at y_hat = y, Huber at |y - y_hat| = delta).
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

import reference as ref

H = 1e-6
RTOL = 1e-6
ATOL = 1e-8
SEEDS = [0, 1, 2]
SHAPES = [(7,), (3, 4), (2, 3, 2)]


def fd_elementwise(f, x: np.ndarray, *args) -> np.ndarray:
    """Centred difference of an elementwise f, all entries perturbed at once."""
    return (f(x + H, *args) - f(x - H, *args)) / (2 * H)


def away_from(x: np.ndarray, kink: float, margin: float = 1e-3) -> np.ndarray:
    """x with every entry at least ``margin`` away from ``kink``."""
    close = np.abs(x - kink) < margin
    return np.where(close, kink + np.copysign(2 * margin, x - kink + 1e-300), x)


# ------------------------------------------------------------- activations


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "f, df, args",
    [
        (ref.sigmoid, ref.sigmoid_grad, ()),
        (ref.tanh, ref.tanh_grad, ()),
        (ref.relu, ref.relu_grad, ()),
        (ref.leaky_relu, ref.leaky_relu_grad, (0.1,)),
        (ref.leaky_relu, ref.leaky_relu_grad, (0.3,)),
    ],
    ids=["sigmoid", "tanh", "relu", "leaky_relu_0.1", "leaky_relu_0.3"],
)
def test_activation_grad_matches_fd(f, df, args, shape, seed) -> None:
    z = away_from(np.random.default_rng(seed).normal(scale=3.0, size=shape), 0.0)
    np.testing.assert_allclose(df(z, *args), fd_elementwise(f, z, *args), rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------ losses


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("loss", ["l1", "l2", "huber_1", "huber_0.3"])
def test_regression_loss_grad_matches_fd(loss, shape, seed) -> None:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    y_hat = y + rng.normal(scale=2.0, size=shape)
    if loss == "l1":
        y_hat = away_from(y_hat - y, 0.0) + y
        f, df, args = ref.l1_loss, ref.l1_loss_grad, ()
    elif loss == "l2":
        f, df, args = ref.l2_loss, ref.l2_loss_grad, ()
    else:
        delta = float(loss.split("_")[1])
        d = away_from(away_from(y_hat - y, delta), -delta)
        y_hat = y + d
        f, df, args = ref.huber_loss, ref.huber_loss_grad, (delta,)
    fd = (f(y_hat + H, y, *args) - f(y_hat - H, y, *args)) / (2 * H)
    np.testing.assert_allclose(df(y_hat, y, *args), fd, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("targets", ["binary", "soft"])
def test_logistic_loss_grad_matches_fd(targets, shape, seed) -> None:
    rng = np.random.default_rng(seed)
    y_hat = rng.uniform(0.02, 0.98, size=shape)
    y = (rng.random(shape) > 0.5).astype(float) if targets == "binary" else rng.random(shape)
    fd = (ref.logistic_loss(y_hat + H, y) - ref.logistic_loss(y_hat - H, y)) / (2 * H)
    np.testing.assert_allclose(ref.logistic_loss_grad(y_hat, y), fd, rtol=RTOL, atol=ATOL)


def test_l1_and_huber_grads_are_the_true_derivatives_not_the_slides() -> None:
    """Slide errata: for y < y_hat the L1 slope is +1, and the Huber outer branches
    are -delta for y - y_hat > delta, +delta for y - y_hat < -delta."""
    y = np.array([0.0, 0.0])
    y_hat = np.array([2.0, -2.0])  # y < y_hat, y > y_hat
    np.testing.assert_array_equal(ref.l1_loss_grad(y_hat, y), [1.0, -1.0])
    np.testing.assert_array_equal(ref.huber_loss_grad(y_hat, y, 1.0), [1.0, -1.0])


# ------------------------------------------------- logistic regression step


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n, m", [(1, 1), (2, 5), (4, 9)])
def test_logistic_regression_step_grads_match_fd_of_its_cost(n, m, seed) -> None:
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n, 1))
    b = float(rng.normal())
    X = rng.normal(size=(n, m))
    y = (rng.random((1, m)) > 0.5).astype(float)
    lr = 0.7

    def J(w_, b_):
        return ref.logistic_regression_step(w_, b_, X, y, lr)[0]

    c, dw, db, w_new, b_new = ref.logistic_regression_step(w, b, X, y, lr)
    fd_w = np.empty_like(w)
    for k in range(n):
        e = np.zeros_like(w)
        e[k, 0] = H
        fd_w[k, 0] = (J(w + e, b) - J(w - e, b)) / (2 * H)
    fd_b = (J(w, b + H) - J(w, b - H)) / (2 * H)
    np.testing.assert_allclose(dw, fd_w, rtol=RTOL, atol=ATOL)
    assert db == pytest.approx(fd_b, rel=RTOL, abs=ATOL)
    np.testing.assert_allclose(w_new, w - lr * dw, rtol=1e-15)
    assert b_new == pytest.approx(b - lr * db, rel=1e-15)
    # the cost is the logistic cost of sigma(w^T X + b)
    a = ref.sigmoid(ref.linear_forward(w, b, X))
    assert c == pytest.approx(ref.cost(a, y, "logistic", None), rel=1e-12)


# ------------------------------------------ linear regression, first step


def _J_linear(w, b, X, y, loss, delta):
    return ref.cost(ref.linear_forward(w, b, X), y, loss, delta)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n, m", [(1, 4), (3, 10)])
@pytest.mark.parametrize(
    "loss, delta", [("l2", None), ("l1", None), ("huber", 0.7), ("logistic", None)]
)
def test_linear_regression_fit_first_step_is_minus_lr_fd_gradient(loss, delta, n, m, seed) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    if loss == "logistic":  # keep y_hat = w^T x + b inside (0, 1)
        w0 = rng.normal(scale=0.05, size=(n, 1))
        b0 = 0.5
        y = (rng.random((1, m)) > 0.5).astype(float)
    else:
        w0 = rng.normal(size=(n, 1))
        b0 = float(rng.normal())
        y = rng.normal(size=(1, m))
    lr = 0.05
    w1, b1, costs = ref.linear_regression_fit(X, y, w0, b0, lr, 1, loss, delta)
    fd_w = np.empty_like(w0)
    for k in range(n):
        e = np.zeros_like(w0)
        e[k, 0] = H
        fd_w[k, 0] = (
            _J_linear(w0 + e, b0, X, y, loss, delta) - _J_linear(w0 - e, b0, X, y, loss, delta)
        ) / (2 * H)
    fd_b = (_J_linear(w0, b0 + H, X, y, loss, delta) - _J_linear(w0, b0 - H, X, y, loss, delta)) / (
        2 * H
    )
    assert costs.shape == (1,)
    assert costs[0] == pytest.approx(_J_linear(w0, b0, X, y, loss, delta), rel=1e-13)
    np.testing.assert_allclose(w1, w0 - lr * fd_w, rtol=1e-7, atol=1e-9)
    assert b1 == pytest.approx(b0 - lr * fd_b, rel=1e-7, abs=1e-9)


# ------------------------------------------------------------ MLP backward

ACTS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]


def _make_net(rng, sizes, out_act, loss):
    params = []
    for i in range(len(sizes) - 1):
        W = rng.normal(scale=0.8, size=(sizes[i + 1], sizes[i]))
        b = rng.normal(scale=0.3, size=(sizes[i + 1], 1))
        params.append((W, b))
    if loss == "logistic" and out_act == "linear":  # keep A_L inside (0, 1)
        W, b = params[-1]
        params[-1] = (W * 0.02, np.full_like(b, 0.5))
    return params


def _flat_fd(params, X, Y, acts, loss):
    """Centred differences of J (the cost mlp_backward returns) for every entry."""
    grads = []
    for li, (W, b) in enumerate(params):
        pair = []
        for which, arr in ((0, W), (1, b)):
            g = np.empty_like(arr)
            for idx in np.ndindex(arr.shape):
                plus = [(w.copy(), bb.copy()) for w, bb in params]
                minus = [(w.copy(), bb.copy()) for w, bb in params]
                plus[li][which][idx] += H
                minus[li][which][idx] -= H
                g[idx] = (
                    ref.mlp_backward(plus, X, Y, acts, loss)[0]
                    - ref.mlp_backward(minus, X, Y, acts, loss)[0]
                ) / (2 * H)
            pair.append(g)
        grads.append(tuple(pair))
    return grads


def _targets_for(rng, loss, shape):
    if loss == "logistic":
        return (rng.random(shape) > 0.5).astype(float)
    return rng.normal(size=shape)


def _check_mlp(params, X, Y, acts, loss):
    cost, grads = ref.mlp_backward(params, X, Y, acts, loss)
    assert isinstance(cost, float)
    delta = 1.0
    assert cost == pytest.approx(
        ref.cost(ref.mlp_forward(params, X, acts), Y, loss, delta), rel=1e-12
    )
    fd = _flat_fd(params, X, Y, acts, loss)
    assert len(grads) == len(params)
    for (dW, db), (fW, fb), (W, b) in zip(grads, fd, params, strict=True):
        assert dW.shape == W.shape and db.shape == b.shape
        np.testing.assert_allclose(dW, fW, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(db, fb, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "hidden, out_act, loss",
    [
        (h, o, loss)
        for h, o, loss in itertools.product(ACTS, ACTS, ["l2", "huber", "l1", "logistic"])
        if loss != "logistic" or o in ("sigmoid", "linear")
    ],
)
def test_mlp_backward_matches_fd(hidden, out_act, loss) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{hidden}/{out_act}/{loss}".encode()))
    sizes = [3, 4, 2]
    X = rng.normal(size=(sizes[0], 5))
    params = _make_net(rng, sizes, out_act, loss)
    Y = _targets_for(rng, loss, (sizes[-1], 5))
    _check_mlp(params, X, Y, [hidden, out_act], loss)


@pytest.mark.parametrize("seed", SEEDS)
def test_mlp_backward_three_layers_matches_fd(seed) -> None:
    rng = np.random.default_rng(seed)
    sizes = [2, 5, 3, 1]
    X = rng.normal(size=(2, 6))
    params = _make_net(rng, sizes, "sigmoid", "logistic")
    Y = _targets_for(rng, "logistic", (1, 6))
    _check_mlp(params, X, Y, ["tanh", "leaky_relu", "sigmoid"], "logistic")


def test_mlp_train_first_update_is_minus_lr_grad() -> None:
    rng = np.random.default_rng(5)
    params = _make_net(rng, [2, 3, 1], "sigmoid", "l2")
    X = rng.normal(size=(2, 7))
    Y = rng.normal(size=(1, 7))
    acts = ["tanh", "linear"]
    cost, grads = ref.mlp_backward(params, X, Y, acts, "l2")
    trained, costs = ref.mlp_train(params, X, Y, acts, "l2", 0.1, 1)
    assert costs.shape == (1,) and costs[0] == pytest.approx(cost, rel=1e-14)
    for (W1, b1), (W0, b0), (dW, db) in zip(trained, params, grads, strict=True):
        np.testing.assert_allclose(W1, W0 - 0.1 * dW, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(b1, b0 - 0.1 * db, rtol=1e-14, atol=1e-16)
