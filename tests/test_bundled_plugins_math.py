"""The math of the bundled plugins ``numpy`` and ``python``, called directly.

* the values printed in the lecture (SPEC.md, "Values printed in the lecture");
* the conventions of the contract (ReLU'(0) = 0, step strict, true L1/Huber
  derivatives, scalars as floats, shapes, 0-d and empty elementwise inputs);
* the two independent implementations agree on random inputs for every hook;
* every derivative agrees with centred finite differences of the plugin's own
  forward functions;
* no hook changes its inputs (checked on every call made through ``call``).
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pluggy
import pytest

import harness.hookspecs as hookspecs
import plugins.numpy_plugin as numpy_plugin
import plugins.python_plugin as python_plugin
from harness import PROJECT

PLUGINS = [numpy_plugin, python_plugin]
HOOKS = [name for name, f in vars(hookspecs).items() if hasattr(f, f"{PROJECT}_spec")]
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
LOSSES = ["l1", "l2", "huber", "logistic"]
SHAPES = [(), (0,), (3, 0), (7,), (4, 5), (2, 3, 4)]

by_name = pytest.mark.parametrize("plugin", PLUGINS, ids=["numpy", "python"])


# ---------------------------------------------------------------- helpers


def _same(a, b) -> bool:
    """Exact equality of (nested) arguments, NaN equal to NaN."""
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=True)
        )
    return type(a) is type(b) and (a == b or (a != a and b != b))


def call(plugin, hook: str, **kwargs):
    """Call a hook of ``plugin`` and check that it left its inputs alone."""
    before = copy.deepcopy(kwargs)
    out = getattr(plugin, hook)(**kwargs)
    for key, value in kwargs.items():
        assert _same(value, before[key]), f"{plugin.__name__}.{hook} changed its input {key!r}"
    return out


def assert_close(got, expected, *, rtol: float = 1e-9, atol: float = 0.0, what: str = "output"):
    """Recursive allclose for tuples/lists of arrays and floats, shapes included."""
    if isinstance(expected, list | tuple):
        assert isinstance(got, list | tuple), f"{what}: expected a sequence, got {type(got)}"
        assert len(got) == len(expected), f"{what}: {len(got)} items, expected {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_close(g, e, rtol=rtol, atol=atol, what=f"{what}[{i}]")
        return
    g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert g.shape == e.shape, f"{what}: shape {g.shape}, expected {e.shape}"
    np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=what)


def _mlp_params(rng, sizes):
    return [
        (rng.standard_normal((n_out, n_in)) * 0.8, rng.standard_normal((n_out, 1)) * 0.3)
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def _targets(rng, loss, shape):
    if loss == "logistic":
        return (rng.random(shape) < 0.5).astype(float)
    return rng.standard_normal(shape)


def _mlp_cases():
    """2- and 3-layer MLPs with every activation and every loss (logistic behind a sigmoid)."""
    cases = []
    for hidden in ACTIVATIONS:
        for out in ACTIVATIONS:
            for loss in LOSSES:
                if loss == "logistic" and out != "sigmoid":
                    continue  # the logistic loss needs y_hat in (0, 1)
                cases.append(([3, 4, 2], [hidden, out], loss))
    for i, (h1, h2) in enumerate(zip(ACTIVATIONS, ACTIVATIONS[1:] + ACTIVATIONS[:1], strict=True)):
        loss = LOSSES[i % len(LOSSES)]
        out = "sigmoid" if loss == "logistic" else ACTIVATIONS[(i + 2) % len(ACTIVATIONS)]
        cases.append(([3, 5, 4, 2], [h1, h2, out], loss))
    return cases


MLP_CASES = _mlp_cases()
MLP_IDS = ["-".join(map(str, s)) + ":" + "/".join(a) + ":" + loss for s, a, loss in MLP_CASES]


# --------------------------------------------------------------- the plugins


@by_name
def test_registers_all_30_hooks_and_nothing_else(plugin):
    assert len(HOOKS) == 30
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    pm.check_pending()  # a marked function whose name is no hook fails here
    for name in HOOKS:
        impls = getattr(pm.hook, name).get_hookimpls()
        assert [i.plugin for i in impls] == [plugin], name
    assert plugin.__doc__ and plugin.__doc__.strip()


# ------------------------------------------------------ values in the lecture


@by_name
def test_lecture_logistic_regression_example(plugin):
    w, X, y = np.array([[0.8], [0.2]]), np.array([[0.1], [0.7]]), np.array([[1.0]])
    J, dw, db, w_new, b_new = call(plugin, "logistic_regression_step", w=w, b=0.1, X=X, y=y, lr=0.5)
    # one unit in the last printed digit
    np.testing.assert_allclose(dw.ravel(), [-0.04207, -0.29447], atol=1e-5)
    assert dw.shape == (2, 1) and w_new.shape == (2, 1)
    assert db == pytest.approx(-0.4207, abs=1e-4)
    assert w_new[0, 0] == pytest.approx(0.82103, abs=1e-5)
    assert w_new[1, 0] == pytest.approx(0.3472, abs=1e-4)
    assert b_new == pytest.approx(0.31033, abs=1e-5)
    for value in (J, db, b_new):
        assert isinstance(value, float)
    assert J == pytest.approx(-math.log(1 / (1 + math.exp(-0.32))), rel=1e-12)
    # verification at the new weights: z = 0.6355, a = 0.6537, L = 0.42505
    z = call(plugin, "linear_forward", w=w_new, b=b_new, X=X)
    assert z.shape == (1, 1) and float(z[0, 0]) == pytest.approx(0.6355, abs=1e-4)
    a = call(plugin, "sigmoid", z=z)
    assert float(a[0, 0]) == pytest.approx(0.6537, abs=1e-4)
    L = call(plugin, "logistic_loss", y_hat=a, y=y)
    assert float(L[0, 0]) == pytest.approx(0.42505, abs=1e-5)
    # dL/dz = a - y through the sigmoid
    dL_da = call(plugin, "logistic_loss_grad", y_hat=a, y=y)
    da_dz = call(plugin, "sigmoid_grad", z=z)
    assert float((dL_da * da_dz)[0, 0]) == pytest.approx(float(a[0, 0]) - 1.0, rel=1e-12)


@by_name
def test_lecture_chain_rule(plugin):
    out = call(plugin, "chain_rule_example", x=2.0)
    assert len(out) == 6 and all(isinstance(v, float) for v in out)
    f, g, h, dh_dg, dh_df, dh_dx = out
    assert (f, g, h, dh_dg, dh_df, dh_dx) == (3.0, 6.0, 36.0, 12.0, 24.0, 24.0)
    for x in (-3.5, 0.0, 0.7, 11.0):
        assert call(plugin, "chain_rule_example", x=x)[5] == pytest.approx(8 * x + 8, rel=1e-14)


@by_name
@pytest.mark.parametrize(("lr", "factor"), [(0.3, 0.4), (1.5, -2.0)])
def test_lecture_gradient_descent(plugin, lr, factor):
    x0 = np.array([1.0, -2.5, 0.0])
    traj = call(plugin, "gradient_descent", x0=x0, lr=lr, steps=12)
    assert traj.shape == (13, 3) and traj.dtype == np.float64
    expected = factor ** np.arange(13)[:, None] * x0
    np.testing.assert_allclose(traj, expected, rtol=1e-13)
    assert call(plugin, "gradient_descent", x0=x0, lr=lr, steps=0).shape == (1, 3)


@by_name
def test_lecture_activation_rules(plugin):
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(call(plugin, "relu_grad", z=z), [0.0, 0.0, 1.0])  # ReLU'(0) = 0
    np.testing.assert_array_equal(call(plugin, "relu", z=z), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(call(plugin, "leaky_relu", z=z, alpha=0.1), [-0.2, 0.0, 3.0])
    np.testing.assert_array_equal(call(plugin, "leaky_relu_grad", z=z, alpha=0.1), [0.1, 0.1, 1.0])
    np.testing.assert_array_equal(call(plugin, "step", z=z, threshold=0.0), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        call(plugin, "step", z=z, threshold=3.0), [0.0, 0.0, 0.0]
    )  # strict
    s = call(plugin, "sigmoid", z=z)
    np.testing.assert_allclose(call(plugin, "sigmoid_grad", z=z), s * (1 - s), rtol=1e-12)
    t = np.tanh(z)
    np.testing.assert_allclose(call(plugin, "tanh_grad", z=z), 1 - t * t, rtol=1e-12)


@by_name
def test_true_l1_and_huber_derivatives(plugin):
    y = np.zeros(5)
    y_hat = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    # erratum: +1 where y < y_hat; 0 (in [-1, 1]) at y_hat = y
    np.testing.assert_array_equal(call(plugin, "l1_loss_grad", y_hat=y_hat, y=y), [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(
        call(plugin, "huber_loss_grad", y_hat=y_hat, y=y, delta=1.0), [-1, -0.5, 0, 0.5, 1]
    )
    np.testing.assert_allclose(
        call(plugin, "huber_loss", y_hat=y_hat, y=y, delta=1.0), [2.5, 0.125, 0, 0.125, 2.5]
    )
    np.testing.assert_allclose(call(plugin, "l2_loss_grad", y_hat=y_hat, y=y), 2 * y_hat)


@by_name
def test_sigmoid_extremes_without_warning_or_overflow(plugin):
    z = np.array([-1e3, -745.5, -710.0, -40.0, 0.0, 40.0, 710.0, 1e3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = call(plugin, "sigmoid", z=z)
        ds = call(plugin, "sigmoid_grad", z=z)
        t = call(plugin, "tanh", z=z)
        dt = call(plugin, "tanh_grad", z=z)
    for out in (s, ds, t, dt):
        assert np.isfinite(out).all()
    np.testing.assert_allclose(s[[0, 4, 7]], [0.0, 0.5, 1.0], atol=0)
    assert s[3] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-14)
    assert ds[3] == pytest.approx(math.exp(-40), rel=1e-12)  # keeps relative precision
    np.testing.assert_array_equal(ds[[0, 7]], [0.0, 0.0])
    np.testing.assert_array_equal(t[[0, 7]], [-1.0, 1.0])
    assert dt[3] == pytest.approx(4 * math.exp(-80), rel=1e-12)


@by_name
def test_logistic_loss_near_the_ends(plugin):
    y_hat = np.array([1e-12, 1 - 1e-12, 1e-12, 1 - 1e-12])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L = call(plugin, "logistic_loss", y_hat=y_hat, y=y)
        dL = call(plugin, "logistic_loss_grad", y_hat=y_hat, y=y)
    expected = [
        -math.log(y_hat[0]),
        -math.log(y_hat[1]),
        -math.log1p(-y_hat[2]),
        -math.log1p(-y_hat[3]),
    ]
    np.testing.assert_allclose(L, expected, rtol=1e-12)
    np.testing.assert_allclose(
        dL, [-1 / y_hat[0], -1 / y_hat[1], 1 / (1 - y_hat[2]), 1 / (1 - y_hat[3])], rtol=1e-9
    )


@by_name
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_elementwise_hooks_keep_any_shape(plugin, shape):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(shape)
    p = rng.uniform(0.05, 0.95, shape)
    calls = {
        "sigmoid": {"z": z},
        "sigmoid_grad": {"z": z},
        "tanh": {"z": z},
        "tanh_grad": {"z": z},
        "relu": {"z": z},
        "relu_grad": {"z": z},
        "leaky_relu": {"z": z, "alpha": 0.1},
        "leaky_relu_grad": {"z": z, "alpha": 0.1},
        "step": {"z": z, "threshold": 0.2},
        "l1_loss": {"y_hat": z, "y": p},
        "l1_loss_grad": {"y_hat": z, "y": p},
        "l2_loss": {"y_hat": z, "y": p},
        "l2_loss_grad": {"y_hat": z, "y": p},
        "huber_loss": {"y_hat": z, "y": p, "delta": 0.5},
        "huber_loss_grad": {"y_hat": z, "y": p, "delta": 0.5},
        "logistic_loss": {"y_hat": p, "y": (z > 0).astype(float)},
        "logistic_loss_grad": {"y_hat": p, "y": (z > 0).astype(float)},
    }
    for hook, kwargs in calls.items():
        out = call(plugin, hook, **kwargs)
        assert isinstance(out, np.ndarray), hook
        assert out.shape == shape and out.dtype == np.float64, hook
    # a Python float is a 0-d input too
    assert call(plugin, "sigmoid", z=0.0).shape == ()


@by_name
def test_cost_reads_1d_as_one_row(plugin):
    y_hat, y = np.array([0.2, 0.6, 0.9]), np.array([0.0, 1.0, 1.0])
    for loss in LOSSES:
        J1 = call(plugin, "cost", y_hat=y_hat, y=y, loss=loss, delta=0.3)
        J2 = call(plugin, "cost", y_hat=y_hat[None], y=y[None], loss=loss, delta=0.3)
        assert isinstance(J1, float) and J1 == pytest.approx(J2, rel=1e-14)
    # J = (1/m) sum over all outputs and samples
    Y_hat, Y = np.array([[1.0, 2.0], [3.0, 5.0]]), np.zeros((2, 2))
    assert call(plugin, "cost", y_hat=Y_hat, y=Y, loss="l2", delta=None) == pytest.approx(39 / 2)
    assert call(plugin, "cost", y_hat=Y_hat, y=Y, loss="l1", delta=None) == pytest.approx(11 / 2)


@by_name
def test_perceptron_learns_and_and_counts_errors(plugin):
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 1.0]])  # AND, OR: two parallel perceptrons
    W, b, errors = call(
        plugin,
        "perceptron_train",
        X=X,
        Y=Y,
        W0=np.zeros((2, 2)),
        b0=np.zeros((2, 1)),
        lr=1.0,
        epochs=8,
        threshold=0.0,
    )
    assert W.shape == (2, 2) and b.shape == (2, 1) and errors.shape == (8,)
    assert errors[0] > 0 and errors[-1] == 0
    np.testing.assert_array_equal(
        call(plugin, "perceptron_predict", W=W, b=b, X=X, threshold=0.0), Y
    )
    # hand-computed first epoch: counted before each sample's update
    _, _, errors1 = call(
        plugin,
        "perceptron_train",
        X=X,
        Y=Y,
        W0=np.zeros((2, 2)),
        b0=np.zeros((2, 1)),
        lr=1.0,
        epochs=1,
        threshold=0.0,
    )
    # AND: (0,0) ok, (0,1) ok, (1,0) ok, (1,1) wrong -> 1;
    # OR: (0,0) ok, (0,1) wrong -> w=(0,1), b=1; (1,0): z=1>0 ok; (1,1) ok -> 1
    assert errors1.tolist() == [2.0]


@by_name
def test_all_linear_layers_collapse(plugin):
    rng = np.random.default_rng(2)
    params = _mlp_params(rng, [3, 4, 2])
    X = rng.standard_normal((3, 6))
    (W1, b1), (W2, b2) = params
    A = call(plugin, "mlp_forward", params=params, X=X, activations=["linear", "linear"])
    np.testing.assert_allclose(A, (W2 @ W1) @ X + (W2 @ b1 + b2), rtol=1e-12, atol=1e-12)


# ------------------------------------------------- the two plugins agree


def _agreement_cases():
    rng = np.random.default_rng(1234)
    cases = []

    def add(hook, tol=None, **kwargs):
        cases.append(pytest.param(hook, kwargs, tol or {}, id=f"{hook}-{len(cases)}"))

    for shape in SHAPES:
        z = rng.standard_normal(shape) * 4
        if z.size >= 4:
            z.ravel()[:4] = [0.0, -1e3, 1e3, -720.0]
        p = rng.uniform(0.01, 0.99, shape)
        if p.size >= 2:
            p.ravel()[:2] = [1e-12, 1 - 1e-12]
        y01 = (rng.random(shape) < 0.5).astype(float)
        y = rng.standard_normal(shape)
        for hook in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad"):
            add(hook, z=z)
        for alpha in (0.1, 0.0, 2.5):
            add("leaky_relu", z=z, alpha=alpha)
            add("leaky_relu_grad", z=z, alpha=alpha)
        add("step", z=z, threshold=0.0)
        add("step", z=np.round(z), threshold=1.0)  # ties at T
        for hook in ("l1_loss", "l1_loss_grad", "l2_loss", "l2_loss_grad"):
            add(hook, y_hat=z, y=y)
        for delta in (0.5, 1.0, 3.0):
            add("huber_loss", y_hat=z, y=y, delta=delta)
            add("huber_loss_grad", y_hat=z, y=y, delta=delta)
        for target in (y01, rng.random(shape)):
            add("logistic_loss", y_hat=p, y=target)
            add("logistic_loss_grad", y_hat=p, y=target)
    for shape in [(), (5,), (1, 6), (3, 7)]:
        y_hat, p = rng.standard_normal(shape), rng.uniform(0.01, 0.99, shape)
        y, y01 = rng.standard_normal(shape), (rng.random(shape) < 0.5).astype(float)
        for loss in ("l1", "l2"):
            add("cost", y_hat=y_hat, y=y, loss=loss, delta=None)
        add("cost", y_hat=y_hat, y=y, loss="huber", delta=0.7)
        add("cost", y_hat=p, y=y01, loss="logistic", delta=None)
    # more elements than one block of the numpy plugin's blocked kernels (2^14)
    shape = (201, 203)
    y_hat, y = rng.standard_normal(shape), rng.standard_normal(shape)
    p, y01 = rng.uniform(0.01, 0.99, shape), (rng.random(shape) < 0.5).astype(float)
    add("huber_loss", y_hat=y_hat, y=y, delta=0.6)
    add("l1_loss_grad", y_hat=y_hat, y=np.where(rng.random(shape) < 0.1, y_hat, y))
    add("logistic_loss", y_hat=p, y=y01)
    add("logistic_loss_grad", y_hat=p, y=y01)
    for loss in LOSSES:
        args = (p, y01) if loss == "logistic" else (y_hat, y)
        add("cost", y_hat=args[0], y=args[1], loss=loss, delta=0.6, tol={"atol": 1e-12})
    for lr, steps in [(0.3, 10), (1.5, 10), (0.05, 40), (0.7, 0), (0.2, 1)]:
        add("gradient_descent", x0=rng.standard_normal(4), lr=lr, steps=steps)
    add("gradient_descent", x0=rng.standard_normal(1), lr=0.1, steps=5)
    # alpha = 1.5 long enough to overflow: inf, then inf - inf = nan, as the loop gives
    add("gradient_descent", x0=np.array([1.0, 0.0, -3.0]), lr=1.5, steps=1100)
    for x in rng.standard_normal(3) * 5:
        add("chain_rule_example", x=float(x))
    for n, m in [(3, 6), (1, 1), (4, 0)]:
        add(
            "linear_forward",
            w=rng.standard_normal((n, 1)),
            b=float(rng.standard_normal()),
            X=rng.standard_normal((n, m)),
        )
    for loss in LOSSES:
        for epochs in (0, 1, 25):
            X = rng.uniform(-0.5, 0.5, (3, 8))
            if loss == "logistic":  # y_hat = w^T x + b must stay in (0, 1)
                y, w0, b0, lr = (
                    (rng.random((1, 8)) < 0.5).astype(float),
                    rng.uniform(-0.1, 0.1, (3, 1)),
                    0.5,
                    0.01,
                )
            else:
                y, w0, b0, lr = rng.standard_normal((1, 8)), rng.standard_normal((3, 1)), 0.3, 0.2
            add(
                "linear_regression_fit",
                tol={"atol": 1e-12},
                X=X,
                y=y,
                w0=w0,
                b0=b0,
                lr=lr,
                epochs=epochs,
                loss=loss,
                delta=0.8 if loss == "huber" else None,
            )
    for loss in LOSSES:  # no samples: J is nan, nothing moves
        add(
            "linear_regression_fit",
            X=np.zeros((2, 0)),
            y=np.zeros((1, 0)),
            w0=np.ones((2, 1)),
            b0=0.5,
            lr=0.1,
            epochs=3,
            loss=loss,
            delta=1.0,
        )
    for acts, loss in [(["tanh", "sigmoid"], "logistic"), (["relu", "linear"], "l2")]:
        add(
            "mlp_backward",
            params=_mlp_params(rng, [3, 4, 2]),
            X=np.zeros((3, 0)),
            Y=np.zeros((2, 0)),
            activations=acts,
            loss=loss,
        )
    for n, m in [(2, 1), (3, 9), (1, 4)]:
        add(
            "logistic_regression_step",
            w=rng.standard_normal((n, 1)),
            b=float(rng.standard_normal()),
            X=rng.standard_normal((n, m)) * 3,
            y=(rng.random((1, m)) < 0.5).astype(float),
            lr=0.4,
        )
    add(
        "logistic_regression_step",
        w=np.array([[30.0]]),
        b=5.0,
        X=np.array([[1.0, -2.0]]),
        y=np.array([[0.0, 1.0]]),
        lr=0.1,
    )
    for k, n, m in [(1, 3, 5), (3, 4, 7), (2, 2, 0)]:
        add(
            "perceptron_predict",
            W=rng.standard_normal((k, n)),
            b=rng.standard_normal((k, 1)),
            X=rng.standard_normal((n, m)),
            threshold=0.3,
        )
    add(
        "perceptron_predict",
        W=np.ones((2, 2)),
        b=np.zeros((2, 1)),
        X=np.array([[0.0, 1.0], [1.0, 0.0]]),
        threshold=1.0,
    )
    for k, n, m, separable in [
        (1, 3, 20, True),
        (3, 4, 30, True),
        (2, 3, 25, False),
        (2, 2, 0, False),
        (2, 3, 300, True),  # long runs of right samples: the numpy plugin's block path
    ]:
        X = rng.standard_normal((n, m))
        Y = (
            (rng.standard_normal((k, n)) @ X > 0.1).astype(float)
            if separable
            else (rng.random((k, m)) < 0.5).astype(float)
        )
        for epochs in (0, 6):
            add(
                "perceptron_train",
                tol={"atol": 1e-12},
                X=X,
                Y=Y,
                W0=rng.standard_normal((k, n)) * 0.1,
                b0=np.zeros((k, 1)),
                lr=0.5,
                epochs=epochs,
                threshold=0.1,
            )
    for activation in ACTIVATIONS:
        add(
            "dense_forward",
            W=rng.standard_normal((4, 3)),
            b=rng.standard_normal((4, 1)),
            A_prev=rng.standard_normal((3, 5)),
            activation=activation,
        )
    add(
        "dense_forward",
        W=rng.standard_normal((2, 3)),
        b=rng.standard_normal((2, 1)),
        A_prev=rng.standard_normal((3, 0)),
        activation="relu",
    )
    for i, (sizes, acts, loss) in enumerate(MLP_CASES):
        params = _mlp_params(rng, sizes)
        X = rng.standard_normal((sizes[0], 5))
        Y = _targets(rng, loss, (sizes[-1], 5))
        add("mlp_forward", tol={"atol": 1e-12}, params=params, X=X, activations=acts)
        add(
            "mlp_backward",
            tol={"atol": 1e-12},
            params=params,
            X=X,
            Y=Y,
            activations=acts,
            loss=loss,
        )
        if i % 3 == 0 or len(sizes) == 4:
            add(
                "mlp_train",
                tol={"atol": 1e-11},
                params=params,
                X=X,
                Y=Y,
                activations=acts,
                loss=loss,
                lr=0.1,
                epochs=4,
            )
    for m in (0, 1, 9):
        X = rng.standard_normal((2, m)) * 3
        if m == 9:
            X[:, :6] = [[1.0, -1.0, -1.0, 0.0, 0.0, -0.0], [0.0, 0.0, -0.0, 0.0, -2.0, 3.0]]
        add("to_polar", X=X)
    add("to_polar", X=np.array([[1e200, 1e-200, 3e-170], [1e200, -1e-200, 4e-170]]))
    return cases


AGREEMENT_CASES = _agreement_cases()


def test_agreement_cases_cover_every_hook():
    assert {case.values[0] for case in AGREEMENT_CASES} == set(HOOKS)


@pytest.mark.parametrize(("hook", "kwargs", "tol"), AGREEMENT_CASES)
def test_plugins_agree(hook, kwargs, tol):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = call(numpy_plugin, hook, **kwargs)
        slow = call(python_plugin, hook, **kwargs)
    # rtol 1e-9; the atol only forgives subnormal values (sigmoid of z < -709)
    # unless the case says otherwise (long chains of float ops)
    assert_close(fast, slow, rtol=1e-9, atol=tol.get("atol", 1e-300), what=hook)
    for out in (fast, slow):
        leaves = out if isinstance(out, tuple | list) else [out]
        for leaf in leaves:
            if isinstance(leaf, np.ndarray):
                assert leaf.dtype == np.float64, hook


# ------------------------------------------ derivatives vs finite differences


def _central(f, x: np.ndarray, h: float) -> np.ndarray:
    """Centred differences of a scalar or elementwise function f at every element of x."""
    grad = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (np.sum(f(xp)) - np.sum(f(xm))) / (2 * h)
    return grad


@by_name
@pytest.mark.parametrize(
    ("forward", "derivative", "extra"),
    [
        ("sigmoid", "sigmoid_grad", {}),
        ("tanh", "tanh_grad", {}),
        ("relu", "relu_grad", {}),
        ("leaky_relu", "leaky_relu_grad", {"alpha": 0.1}),
        ("leaky_relu", "leaky_relu_grad", {"alpha": 0.3}),
    ],
)
def test_activation_derivatives_match_finite_differences(plugin, forward, derivative, extra):
    z = np.random.default_rng(3).standard_normal((3, 4)) * 3
    fd = _central(lambda v: call(plugin, forward, z=v, **extra), z, 1e-6)
    np.testing.assert_allclose(call(plugin, derivative, z=z, **extra), fd, rtol=1e-6, atol=1e-8)


@by_name
@pytest.mark.parametrize(
    ("forward", "derivative", "extra"),
    [
        ("l1_loss", "l1_loss_grad", {}),
        ("l2_loss", "l2_loss_grad", {}),
        ("huber_loss", "huber_loss_grad", {"delta": 1.0}),
        ("huber_loss", "huber_loss_grad", {"delta": 0.4}),
        ("logistic_loss", "logistic_loss_grad", {}),
    ],
)
def test_loss_derivatives_match_finite_differences(plugin, forward, derivative, extra):
    rng = np.random.default_rng(4)
    if forward == "logistic_loss":
        y_hat, y = (
            rng.uniform(0.05, 0.95, (2, 6)),
            np.concatenate([rng.random((1, 6)), (rng.random((1, 6)) < 0.5) * 1.0]),
        )
    else:
        y_hat, y = rng.standard_normal((2, 6)) * 2, rng.standard_normal((2, 6))
    fd = _central(lambda v: call(plugin, forward, y_hat=v, y=y, **extra), y_hat, 1e-6)
    np.testing.assert_allclose(
        call(plugin, derivative, y_hat=y_hat, y=y, **extra), fd, rtol=1e-6, atol=1e-8
    )


@by_name
def test_chain_rule_matches_finite_differences(plugin):
    h = 1e-5
    for x in (-1.3, 2.0, 4.2):
        fd = (
            call(plugin, "chain_rule_example", x=x + h)[2]
            - call(plugin, "chain_rule_example", x=x - h)[2]
        ) / (2 * h)
        assert call(plugin, "chain_rule_example", x=x)[5] == pytest.approx(fd, rel=1e-8)


@by_name
def test_logistic_regression_gradient_matches_finite_differences(plugin):
    rng = np.random.default_rng(5)
    w, b = rng.standard_normal((3, 1)), 0.2
    X, y = rng.standard_normal((3, 7)), (rng.random((1, 7)) < 0.5).astype(float)
    J, dw, db, _, _ = call(plugin, "logistic_regression_step", w=w, b=b, X=X, y=y, lr=0.1)
    fd_w = _central(lambda v: plugin.logistic_regression_step(v, b, X, y, 0.1)[0], w, 1e-6)
    np.testing.assert_allclose(dw, fd_w, rtol=1e-6, atol=1e-9)
    h = 1e-6
    fd_b = (
        plugin.logistic_regression_step(w, b + h, X, y, 0.1)[0]
        - plugin.logistic_regression_step(w, b - h, X, y, 0.1)[0]
    ) / (2 * h)
    assert db == pytest.approx(fd_b, rel=1e-6, abs=1e-9)
    # J is the cost of the sigmoid unit, through the plugin's own forward functions
    a = plugin.sigmoid(plugin.linear_forward(w, b, X))
    assert J == pytest.approx(plugin.cost(a, y, "logistic", None), rel=1e-12)


@by_name
@pytest.mark.parametrize("loss", LOSSES)
def test_linear_regression_step_is_the_gradient_of_the_cost(plugin, loss):
    rng = np.random.default_rng(6)
    X = rng.uniform(-0.5, 0.5, (3, 9))
    if loss == "logistic":
        y, w0, b0 = (rng.random((1, 9)) < 0.5).astype(float), rng.uniform(-0.1, 0.1, (3, 1)), 0.5
    else:
        y, w0, b0 = rng.standard_normal((1, 9)), rng.standard_normal((3, 1)), 0.3
    delta, lr = 0.6, 0.1

    def J(w, b):
        return plugin.cost(plugin.linear_forward(w, b, X), y, loss, delta)

    w1, b1, costs = call(
        plugin,
        "linear_regression_fit",
        X=X,
        y=y,
        w0=w0,
        b0=b0,
        lr=lr,
        epochs=1,
        loss=loss,
        delta=delta,
    )
    assert w1.shape == (3, 1) and isinstance(b1, float) and costs.shape == (1,)
    assert costs[0] == pytest.approx(J(w0, b0), rel=1e-12)  # J before update 0
    fd_w = _central(lambda v: J(v, b0), w0, 1e-6)
    np.testing.assert_allclose((w0 - w1) / lr, fd_w, rtol=1e-6, atol=1e-9)
    h = 1e-6
    assert (b0 - b1) / lr == pytest.approx(
        (J(w0, b0 + h) - J(w0, b0 - h)) / (2 * h), rel=1e-6, abs=1e-9
    )
    _, _, costs = call(
        plugin,
        "linear_regression_fit",
        X=X,
        y=y,
        w0=w0,
        b0=b0,
        lr=lr,
        epochs=30,
        loss=loss,
        delta=delta,
    )
    assert costs.shape == (30,) and costs[-1] < costs[0]


MLP_FD_CASES = [c for c in MLP_CASES if len(c[0]) == 4 or c[1][0] == c[1][1] or c[2] == "logistic"]


@by_name
@pytest.mark.parametrize(("sizes", "activations", "loss"), MLP_FD_CASES, ids=str)
def test_mlp_backward_matches_finite_differences(plugin, sizes, activations, loss):
    rng = np.random.default_rng(7)
    params = _mlp_params(rng, sizes)
    X = rng.standard_normal((sizes[0], 4))
    Y = _targets(rng, loss, (sizes[-1], 4))

    def J(ps):
        return plugin.cost(
            plugin.mlp_forward(ps, X, activations), Y, loss, 1.0
        )  # MLP hooks: delta = 1

    cost, grads = call(
        plugin, "mlp_backward", params=params, X=X, Y=Y, activations=activations, loss=loss
    )
    assert isinstance(cost, float) and cost == pytest.approx(J(params), rel=1e-12)
    assert len(grads) == len(params)
    h = 1e-6
    for layer, ((W, b), (dW, db)) in enumerate(zip(params, grads, strict=True)):
        assert dW.shape == W.shape and db.shape == b.shape
        for which, (P, dP) in enumerate(((W, dW), (b, db))):

            def J_of(v, layer=layer, which=which):
                ps = [list(p) for p in params]
                ps[layer][which] = v
                return J(ps)

            np.testing.assert_allclose(
                dP, _central(J_of, P, h), rtol=1e-5, atol=1e-8, err_msg=f"layer {layer}"
            )


@by_name
def test_mlp_train_is_gradient_descent_with_costs_before_each_update(plugin):
    rng = np.random.default_rng(8)
    acts, loss, lr = ["tanh", "sigmoid"], "logistic", 0.5
    params = _mlp_params(rng, [3, 4, 2])
    X, Y = rng.standard_normal((3, 6)), _targets(rng, loss, (2, 6))
    trained, costs = call(
        plugin, "mlp_train", params=params, X=X, Y=Y, activations=acts, loss=loss, lr=lr, epochs=1
    )
    J, grads = plugin.mlp_backward(params, X, Y, acts, loss)
    assert costs.shape == (1,) and costs[0] == pytest.approx(J, rel=1e-12)
    for (W, b), (dW, db), (W1, b1) in zip(params, grads, trained, strict=True):
        assert W1 is not W and b1 is not b
        np.testing.assert_allclose(W1, W - lr * dW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b1, b - lr * db, rtol=1e-12, atol=1e-14)
    _, costs = call(
        plugin, "mlp_train", params=params, X=X, Y=Y, activations=acts, loss=loss, lr=lr, epochs=40
    )
    assert costs.shape == (40,) and costs[-1] < costs[0]
    _, costs = call(
        plugin, "mlp_train", params=params, X=X, Y=Y, activations=acts, loss=loss, lr=lr, epochs=0
    )
    assert costs.shape == (0,)


@by_name
def test_to_polar_separates_concentric_circles(plugin):
    angles = np.linspace(-3, 3, 13)
    inner = np.stack([np.cos(angles), np.sin(angles)])
    outer = 3 * inner
    P = call(plugin, "to_polar", X=np.concatenate([inner, outer], axis=1))
    assert P.shape == (2, 26)
    np.testing.assert_allclose(P[0], [1.0] * 13 + [3.0] * 13, rtol=1e-14)
    np.testing.assert_allclose(P[1], np.concatenate([angles, angles]), rtol=1e-13)
    edge = call(plugin, "to_polar", X=np.array([[-1.0, -1.0], [0.0, -0.0]]))
    np.testing.assert_array_equal(edge[1], [np.pi, np.pi])  # phi in (-pi, pi]
