"""The elementwise hooks agree with the plain NumPy formula, on random inputs,
at the boundary points, on 0-d and empty arrays and at |z| = 1e3; no hook
warns, and no hook changes its inputs or returns one of them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import reference as ref


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@dataclass(frozen=True)
class Hook:
    name: str
    ref: Callable
    numpy: Callable
    kind: str  # "z": f(z, *args); "loss": f(y_hat, y, *args) with real targets; "prob": logistic
    args: tuple = ()
    rtol: float = 0.0
    atol: float = 0.0


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


HOOKS = [
    Hook("sigmoid", ref.sigmoid, _sig, "z", rtol=1e-14),
    Hook(
        "sigmoid_grad",
        ref.sigmoid_grad,
        lambda z: _sig(z) * (1 - _sig(z)),
        "z",
        rtol=1e-8,
        atol=1e-16,
    ),
    Hook("tanh", ref.tanh, np.tanh, "z", rtol=1e-14),
    Hook("tanh_grad", ref.tanh_grad, lambda z: 1 - np.tanh(z) ** 2, "z", rtol=1e-14, atol=1e-15),
    Hook("relu", ref.relu, lambda z: np.maximum(z, 0.0), "z"),
    Hook("relu_grad", ref.relu_grad, lambda z: (z > 0).astype(float), "z"),
    Hook("leaky_relu", ref.leaky_relu, lambda z, a: np.maximum(a * z, z), "z", (0.1,)),
    Hook("leaky_relu_grad", ref.leaky_relu_grad, lambda z, a: np.where(z > 0, 1.0, a), "z", (0.1,)),
    Hook("step", ref.step, lambda z, t: (z > t).astype(float), "z", (0.25,)),
    Hook("l1_loss", ref.l1_loss, lambda p, y: np.abs(y - p), "loss"),
    Hook("l1_loss_grad", ref.l1_loss_grad, lambda p, y: np.sign(p - y), "loss"),
    Hook("l2_loss", ref.l2_loss, lambda p, y: (y - p) ** 2, "loss"),
    Hook("l2_loss_grad", ref.l2_loss_grad, lambda p, y: -2 * (y - p), "loss"),
    Hook(
        "huber_loss",
        ref.huber_loss,
        lambda p, y, d: np.where(
            np.abs(y - p) <= d, 0.5 * (y - p) ** 2, d * np.abs(y - p) - 0.5 * d**2
        ),
        "loss",
        (0.8,),
        rtol=1e-15,
    ),
    Hook(
        "huber_loss_grad",
        ref.huber_loss_grad,
        lambda p, y, d: np.clip(p - y, -d, d),
        "loss",
        (0.8,),
    ),
    Hook(
        "logistic_loss",
        ref.logistic_loss,
        lambda p, y: -(y * np.log(p) + (1 - y) * np.log1p(-p)),
        "prob",
        rtol=1e-14,
    ),
    Hook(
        "logistic_loss_grad",
        ref.logistic_loss_grad,
        lambda p, y: -y / p + (1 - y) / (1 - p),
        "prob",
        rtol=1e-13,
        atol=1e-12,
    ),
]
IDS = [h.name for h in HOOKS]


def _inputs(hook: Hook, rng: np.random.Generator, shape) -> tuple[np.ndarray, ...]:
    if hook.kind == "z":
        return (np.clip(rng.normal(scale=4.0, size=shape), -15, 15),)
    if hook.kind == "loss":
        y = rng.normal(size=shape)
        return (y + rng.normal(scale=1.5, size=shape), y)
    p = rng.uniform(1e-6, 1 - 1e-6, size=shape)
    y = np.where(
        rng.random(shape) < 0.8, (rng.random(shape) > 0.5).astype(float), rng.random(shape)
    )
    return (p, y)


def _check(hook: Hook, got, want) -> None:
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=hook.rtol, atol=hook.atol)


# ---------------------------------------------------------- random inputs


@pytest.mark.parametrize("shape", [(1,), (17,), (4, 5), (2, 3, 4), (1000,)])
@pytest.mark.parametrize("hook", HOOKS, ids=IDS)
def test_agrees_with_numpy_on_random_inputs(hook: Hook, shape) -> None:
    rng = np.random.default_rng(sum(map(ord, hook.name)) + len(shape))
    arrays = _inputs(hook, rng, shape)
    _check(hook, hook.ref(*arrays, *hook.args), hook.numpy(*arrays, *hook.args))


def _strided_copy(a: np.ndarray) -> np.ndarray:
    """A non-contiguous view holding the values of a."""
    wide = np.full((a.shape[0], 2 * a.shape[1]), np.nan)
    wide[:, ::2] = a
    return wide[:, ::2]


@pytest.mark.parametrize("hook", HOOKS, ids=IDS)
def test_accepts_lists_ints_float32_fortran_strided_and_read_only(hook: Hook) -> None:
    rng = np.random.default_rng(99)
    base = _inputs(hook, rng, (6, 4))
    want = hook.ref(*base, *hook.args)
    variants = {
        "list": tuple(a.tolist() for a in base),
        "fortran": tuple(np.asfortranarray(a) for a in base),
        "strided": tuple(_strided_copy(a) for a in base),
        "transposed twice": tuple(a.T.copy().T for a in base),
    }
    ro = tuple(a.copy() for a in base)
    for a in ro:
        a.flags.writeable = False
    variants["read-only"] = ro
    for label, arrays in variants.items():
        got = hook.ref(*arrays, *hook.args)
        assert got.shape == want.shape, label
        np.testing.assert_array_equal(got, want, err_msg=label)
    if hook.kind == "z":  # integers and float32 are read as float64
        zi = np.arange(-3, 4)
        _check(hook, hook.ref(zi, *hook.args), hook.numpy(zi.astype(float), *hook.args))
        z32 = base[0].astype(np.float32)
        _check(hook, hook.ref(z32, *hook.args), hook.numpy(z32.astype(float), *hook.args))


# ---------------------------------------------------------- boundary points


def test_activation_boundaries() -> None:
    z = np.array([-0.0, 0.0])
    np.testing.assert_array_equal(ref.relu(z), [0.0, 0.0])
    np.testing.assert_array_equal(ref.relu_grad(z), [0.0, 0.0])  # ReLU'(0) = 0
    np.testing.assert_array_equal(ref.leaky_relu(z, 0.1), [0.0, 0.0])
    np.testing.assert_array_equal(ref.leaky_relu_grad(z, 0.1), [0.1, 0.1])  # lReLU'(0) = alpha
    np.testing.assert_array_equal(
        ref.leaky_relu_grad(z, 0.37), [0.37, 0.37]
    )  # alpha from the argument
    assert ref.sigmoid(np.array(0.0)) == 0.5 and ref.tanh(np.array(0.0)) == 0.0
    assert ref.tanh_grad(np.array(0.0)) == 1.0
    T = 0.3
    np.testing.assert_array_equal(
        ref.step(np.array([np.nextafter(T, -1), T, np.nextafter(T, 1)]), T), [0.0, 0.0, 1.0]
    )


def test_loss_boundaries() -> None:
    y = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_array_equal(ref.l1_loss(y, y), 0.0)
    g = ref.l1_loss_grad(y, y)  # any value in [-1, 1] is right at y_hat = y; the reference says 0
    np.testing.assert_array_equal(g, 0.0)
    np.testing.assert_array_equal(ref.l2_loss_grad(y, y), 0.0)
    np.testing.assert_array_equal(ref.huber_loss_grad(y, y, 1.0), 0.0)
    # |y - y_hat| = delta: both branches of the loss meet, the derivative is +-delta
    d = 0.5
    y0 = np.zeros(2)
    y_hat = np.array([d, -d])
    np.testing.assert_allclose(ref.huber_loss(y_hat, y0, d), 0.5 * d * d, rtol=1e-15)
    np.testing.assert_array_equal(ref.huber_loss_grad(y_hat, y0, d), [d, -d])
    # logistic loss at a perfect prediction: 0 log 0 = 0
    np.testing.assert_array_equal(
        ref.logistic_loss(np.array([0.0, 1.0]), np.array([0.0, 1.0])), 0.0
    )


def test_extreme_but_valid_inputs_are_finite_and_quiet() -> None:
    z = np.array([-1e3, -710.0, -50.0, 50.0, 710.0, 1e3])
    s = ref.sigmoid(z)
    assert np.all(np.isfinite(s))
    assert s[0] == 0.0 and 0.0 <= s[1] < 1e-300  # e^-710 is subnormal, e^-1000 underflows
    np.testing.assert_array_equal(s[[4, 5]], 1.0)
    assert s[2] == pytest.approx(np.exp(-50.0), rel=1e-14)  # no cancellation for z < 0
    assert np.all(np.isfinite(ref.sigmoid_grad(z))) and ref.sigmoid_grad(z)[2] == pytest.approx(
        np.exp(-50.0), rel=1e-13
    )
    np.testing.assert_array_equal(ref.tanh(z), np.sign(z))
    p = np.array([1e-12, 1 - 1e-12, 1e-12, 1 - 1e-12])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    L = ref.logistic_loss(p, y)
    # (1 - 1e-12 is not exact in binary: -log of it is 9.99978e-13, not 1e-12)
    np.testing.assert_allclose(L, -(y * np.log(p) + (1 - y) * np.log1p(-p)), rtol=1e-12)
    assert np.all(np.isfinite(ref.logistic_loss_grad(p, y)))
    assert np.isfinite(ref.cost(p, y, "logistic", None))


# ---------------------------------------------------------- 0-d and empty


@pytest.mark.parametrize("hook", HOOKS, ids=IDS)
def test_zero_dimensional_in_zero_dimensional_out(hook: Hook) -> None:
    arrays = (np.array(0.3),) if hook.kind == "z" else (np.array(0.3), np.array(1.0))
    got = hook.ref(*arrays, *hook.args)
    assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float64
    np.testing.assert_allclose(got, hook.numpy(*arrays, *hook.args), rtol=1e-14)
    # a Python float is read as 0-d too
    assert np.shape(hook.ref(*(float(a) for a in arrays), *hook.args)) == ()


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 2, 1)])
@pytest.mark.parametrize("hook", HOOKS, ids=IDS)
def test_empty_in_empty_out(hook: Hook, shape) -> None:
    arrays = (np.empty(shape),) if hook.kind == "z" else (np.empty(shape), np.empty(shape))
    got = hook.ref(*arrays, *hook.args)
    assert got.shape == shape and got.dtype == np.float64


def test_cost_shapes() -> None:
    y_hat = np.array([[0.2, 0.4, 0.9], [0.1, 0.5, 0.3]])
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    for loss, L in [
        ("l1", np.abs(y - y_hat)),
        ("l2", (y - y_hat) ** 2),
        (
            "huber",
            np.where(
                np.abs(y - y_hat) <= 0.5, 0.5 * (y - y_hat) ** 2, 0.5 * np.abs(y - y_hat) - 0.125
            ),
        ),
        ("logistic", -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))),
    ]:
        got = ref.cost(y_hat, y, loss, 0.5)
        assert isinstance(got, float)
        assert got == pytest.approx(L.sum() / 3, rel=1e-14)  # (1/m) sum over outputs and samples
        # a 1-D (m,) is read as (1, m)
        assert ref.cost(y_hat[0], y[0], loss, 0.5) == pytest.approx(L[0].mean(), rel=1e-14)
    with pytest.raises(ValueError, match="unknown loss"):
        ref.cost(y_hat, y, "l3", None)


# ---------------------------------------------------- inputs stay unchanged


def _every_hook_call():
    """(name, args) for one call of each of the 30 hooks, on fresh arrays."""
    rng = np.random.default_rng(21)
    z = rng.normal(size=(3, 4))
    p = rng.uniform(0.1, 0.9, size=(3, 4))
    y = (rng.random((3, 4)) > 0.5).astype(float)
    X = rng.normal(size=(2, 5))
    y1 = (rng.random((1, 5)) > 0.5).astype(float)
    w = rng.normal(size=(2, 1))
    params = [
        (rng.normal(size=(3, 2)), rng.normal(size=(3, 1))),
        (rng.normal(size=(1, 3)), rng.normal(size=(1, 1))),
    ]
    acts = ["relu", "sigmoid"]
    yield from [
        ("sigmoid", (z,)),
        ("sigmoid_grad", (z,)),
        ("tanh", (z,)),
        ("tanh_grad", (z,)),
        ("relu", (z,)),
        ("relu_grad", (z,)),
        ("leaky_relu", (z, 0.1)),
        ("leaky_relu_grad", (z, 0.1)),
        ("step", (z, 0.0)),
        ("l1_loss", (p, y)),
        ("l1_loss_grad", (p, y)),
        ("l2_loss", (p, y)),
        ("l2_loss_grad", (p, y)),
        ("huber_loss", (p, y, 0.3)),
        ("huber_loss_grad", (p, y, 0.3)),
        ("logistic_loss", (p, y)),
        ("logistic_loss_grad", (p, y)),
        ("cost", (p, y, "huber", 0.3)),
        ("gradient_descent", (np.array([1.0, -2.0]), 0.3, 4)),
        ("chain_rule_example", (2.0,)),
        ("linear_forward", (w, 0.1, X)),
        ("linear_regression_fit", (X, y1, w, 0.1, 0.1, 3, "l2", None)),
        ("logistic_regression_step", (w, 0.1, X, y1, 0.5)),
        ("perceptron_predict", (w.T, np.zeros((1, 1)), X, 0.0)),
        ("perceptron_train", (X, y1, w.T, np.zeros((1, 1)), 1.0, 3, 0.0)),
        ("dense_forward", (params[0][0], params[0][1], X, "tanh")),
        ("mlp_forward", (params, X, acts)),
        ("mlp_backward", (params, X, y1, acts, "logistic")),
        ("mlp_train", (params, X, y1, acts, "logistic", 0.1, 3)),
        ("to_polar", (X,)),
    ]


def _arrays_in(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, list | tuple):
        for o in obj:
            yield from _arrays_in(o)


def test_every_hook_is_called_here_once() -> None:
    assert sorted(name for name, _ in _every_hook_call()) == sorted(ref.__all__)
    assert len(ref.__all__) == 30


@pytest.mark.parametrize(
    "name, args", list(_every_hook_call()), ids=[n for n, _ in _every_hook_call()]
)
def test_inputs_unchanged_and_not_returned(name, args) -> None:
    before = [a.copy() for a in _arrays_in(args)]
    out = getattr(ref, name)(*args)
    after = list(_arrays_in(args))
    for b, a in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    for o in _arrays_in(out):
        assert o.dtype == np.float64
        for a in after:
            assert not np.shares_memory(o, a), f"{name} returned a view of an input"
