"""The lecture's claims, as properties of the reference.

* gradient descent on f(x) = x^2: alpha = 0.3 converges, alpha = 1.5 diverges;
* Rosenblatt's perceptron learns linearly separable patterns and never XOR
  (Minsky, 1969); an MLP trained by back-propagation learns XOR;
* without non-linear activations an MLP is one linear layer;
* concentric circles become linearly separable in polar coordinates;
* the conventions of the contract: costs before each update, errors counted
  before each sample's update, new arrays returned, inputs left unchanged.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref

# --------------------------------------------------------- gradient descent


@pytest.mark.parametrize("x0", [[1.0], [-3.0, 0.5], [10.0, -10.0, 2.0]])
def test_alpha_0_3_converges_to_the_minimum(x0) -> None:
    traj = ref.gradient_descent(np.array(x0), 0.3, 60)
    norms = np.linalg.norm(traj, axis=1)
    assert np.all(np.diff(norms) < 0)
    assert norms[-1] < 1e-20


@pytest.mark.parametrize("x0", [[1.0], [-3.0, 0.5]])
def test_alpha_1_5_diverges(x0) -> None:
    traj = ref.gradient_descent(np.array(x0), 1.5, 60)
    norms = np.linalg.norm(traj, axis=1)
    assert np.all(np.diff(norms) > 0)
    assert norms[-1] > 1e15
    assert np.all(np.sign(traj[1:, 0]) == -np.sign(traj[:-1, 0]))  # it jumps across 0


def test_gradient_descent_zero_steps_is_the_start() -> None:
    x0 = np.array([1.5, -2.0])
    traj = ref.gradient_descent(x0, 0.3, 0)
    assert traj.shape == (1, 2)
    np.testing.assert_array_equal(traj[0], x0)


# -------------------------------------------------------------- perceptron

AND = (np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 0.0, 1.0]]))
OR = (AND[0], np.array([[0.0, 1.0, 1.0, 1.0]]))
XOR = (AND[0], np.array([[0.0, 1.0, 1.0, 0.0]]))


@pytest.mark.parametrize("data", [AND, OR], ids=["AND", "OR"])
def test_perceptron_learns_linearly_separable_gates(data) -> None:
    X, Y = data
    W, b, errors = ref.perceptron_train(X, Y, np.zeros((1, 2)), np.zeros((1, 1)), 0.1, 50, 0.0)
    assert errors.shape == (50,)
    assert errors[-1] == 0
    first_clean = int(np.argmax(errors == 0))
    assert np.all(errors[first_clean:] == 0)  # once clean, nothing changes any more
    np.testing.assert_array_equal(ref.perceptron_predict(W, b, X, 0.0), Y)


def test_perceptron_never_learns_xor() -> None:
    """Minsky (1969): no line separates XOR, so every epoch has a wrong output."""
    X, Y = XOR
    for seed in range(5):
        rng = np.random.default_rng(seed)
        _, _, errors = ref.perceptron_train(
            X, Y, rng.normal(size=(1, 2)), rng.normal(size=(1, 1)), 0.1, 200, 0.0
        )
        assert np.all(errors >= 1)


def test_perceptron_learns_random_separable_data_with_parallel_units() -> None:
    """k = 3 parallel perceptrons, each on its own linearly separable labelling."""
    rng = np.random.default_rng(7)
    n, m, k = 3, 60, 3
    X = rng.uniform(-1.0, 1.0, size=(n, m))
    W_true = rng.normal(size=(k, n))
    b_true = rng.normal(scale=0.2, size=(k, 1))
    margin = W_true @ X + b_true
    keep = np.all(np.abs(margin) > 0.1, axis=0)  # a margin makes convergence fast
    X = X[:, keep]
    Y = (margin[:, keep] > 0).astype(float)
    W, b, errors = ref.perceptron_train(X, Y, np.zeros((k, n)), np.zeros((k, 1)), 0.5, 300, 0.0)
    assert errors[-1] == 0
    np.testing.assert_array_equal(ref.perceptron_predict(W, b, X, 0.0), Y)


def test_perceptron_errors_are_counted_before_each_update() -> None:
    # one sample, x = 1, y = 1, W = b = 0, T = 0: epoch 0 sees z = 0 (wrong),
    # updates to W = b = 1 (lr = 1); epoch 1 sees z = 2 > 0 (right).
    W, b, errors = ref.perceptron_train(
        np.array([[1.0]]), np.array([[1.0]]), np.zeros((1, 1)), np.zeros((1, 1)), 1.0, 2, 0.0
    )
    np.testing.assert_array_equal(errors, [1.0, 0.0])
    assert W[0, 0] == 1.0 and b[0, 0] == 1.0
    # two rows wrong on the same sample count twice
    _, _, errors = ref.perceptron_train(
        np.array([[1.0]]), np.array([[1.0], [1.0]]), np.zeros((2, 1)), np.zeros((2, 1)), 1.0, 1, 0.0
    )
    np.testing.assert_array_equal(errors, [2.0])


def test_perceptron_threshold_is_strict() -> None:
    W = np.array([[1.0]])
    X = np.array([[0.5, 0.50001]])
    np.testing.assert_array_equal(ref.perceptron_predict(W, np.zeros((1, 1)), X, 0.5), [[0.0, 1.0]])


# --------------------------------------------------------------------- MLP


def test_mlp_learns_xor() -> None:
    X, Y = XOR
    rng = np.random.default_rng(0)
    params = [
        (rng.normal(size=(4, 2)), np.zeros((4, 1))),
        (rng.normal(size=(1, 4)), np.zeros((1, 1))),
    ]
    acts = ["tanh", "sigmoid"]
    trained, costs = ref.mlp_train(params, X, Y, acts, "logistic", 0.5, 3000)
    assert costs.shape == (3000,)
    assert costs[0] > 0.5 and costs[-1] < 0.05
    pred = ref.mlp_forward(trained, X, acts)
    np.testing.assert_array_equal((pred > 0.5).astype(float), Y)


def test_all_linear_mlp_is_one_linear_layer() -> None:
    rng = np.random.default_rng(3)
    sizes = [3, 5, 4, 2]
    params = [
        (rng.normal(size=(sizes[i + 1], sizes[i])), rng.normal(size=(sizes[i + 1], 1)))
        for i in range(3)
    ]
    X = rng.normal(size=(3, 8))
    W, b = params[0]
    for W2, b2 in params[1:]:
        W, b = W2 @ W, W2 @ b + b2
    out = ref.mlp_forward(params, X, ["linear"] * 3)
    np.testing.assert_allclose(out, W @ X + b, rtol=1e-12, atol=1e-12)
    Z, A = ref.dense_forward(W, b, X, "linear")
    np.testing.assert_allclose(A, out, rtol=1e-12, atol=1e-12)


def test_mlp_forward_is_dense_forward_layer_by_layer() -> None:
    rng = np.random.default_rng(4)
    sizes = [2, 3, 3, 1]
    acts = ["relu", "leaky_relu", "sigmoid"]
    params = [
        (rng.normal(size=(sizes[i + 1], sizes[i])), rng.normal(size=(sizes[i + 1], 1)))
        for i in range(3)
    ]
    X = rng.normal(size=(2, 5))
    A = X
    for (W, b), act in zip(params, acts, strict=True):
        Z, A = ref.dense_forward(W, b, A, act)
        assert Z.shape == A.shape == (W.shape[0], X.shape[1])
    np.testing.assert_allclose(ref.mlp_forward(params, X, acts), A, rtol=1e-15)


def test_mlp_train_returns_new_arrays_and_leaves_params_unchanged() -> None:
    rng = np.random.default_rng(1)
    params = [
        (rng.normal(size=(3, 2)), rng.normal(size=(3, 1))),
        (rng.normal(size=(1, 3)), rng.normal(size=(1, 1))),
    ]
    before = [(W.copy(), b.copy()) for W, b in params]
    X = rng.normal(size=(2, 6))
    Y = rng.normal(size=(1, 6))
    trained, costs = ref.mlp_train(params, X, Y, ["tanh", "linear"], "l2", 0.05, 25)
    for (W, b), (W0, b0), (W1, b1) in zip(params, before, trained, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
        assert W1.shape == W0.shape and b1.shape == b0.shape
        assert not np.shares_memory(W1, W) and not np.shares_memory(b1, b)
    assert np.all(np.diff(costs) < 0)  # small lr: J goes down
    # costs[e] is J before update e: costs[0] is J at the start
    assert costs[0] == pytest.approx(
        ref.mlp_backward(params, X, Y, ["tanh", "linear"], "l2")[0], rel=1e-14
    )
    # and the J after the last update is the next one the training would record
    after = ref.mlp_backward(trained, X, Y, ["tanh", "linear"], "l2")[0]
    assert after < costs[-1]


def test_mlp_backward_gradient_shapes_follow_params() -> None:
    params = [(np.ones((4, 3)), np.zeros((4, 1))), (np.ones((2, 4)), np.zeros((2, 1)))]
    cost, grads = ref.mlp_backward(
        params, np.ones((3, 5)), np.zeros((2, 5)), ["relu", "linear"], "l2"
    )
    assert isinstance(cost, float)
    assert [(dW.shape, db.shape) for dW, db in grads] == [((4, 3), (4, 1)), ((2, 4), (2, 1))]


# ------------------------------------------------------- linear regression


def test_linear_regression_fit_recovers_a_line_and_records_costs_before_updates() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(-1, 1, size=(2, 40))
    w_true = np.array([[1.5], [-0.7]])
    y = w_true.T @ X + 0.3
    w0 = np.zeros((2, 1))
    w, b, costs = ref.linear_regression_fit(X, y, w0, 0.0, 0.5, 400, "l2", None)
    assert w.shape == (2, 1) and isinstance(b, float) and costs.shape == (400,)
    np.testing.assert_allclose(w, w_true, atol=1e-6)
    assert b == pytest.approx(0.3, abs=1e-6)
    assert costs[0] == pytest.approx(ref.cost(ref.linear_forward(w0, 0.0, X), y, "l2", None))
    assert np.all(np.diff(costs) <= 0)
    np.testing.assert_array_equal(w0, 0.0)  # untouched
    # costs[1] is J after exactly one update
    w1, b1, _ = ref.linear_regression_fit(X, y, w0, 0.0, 0.5, 1, "l2", None)
    assert costs[1] == pytest.approx(
        ref.cost(ref.linear_forward(w1, b1, X), y, "l2", None), rel=1e-13
    )


def test_fit_with_zero_epochs_returns_the_start() -> None:
    X = np.ones((1, 3))
    w, b, costs = ref.linear_regression_fit(
        X, np.ones((1, 3)), np.array([[2.0]]), 1.0, 0.1, 0, "huber", 1.0
    )
    assert costs.shape == (0,)
    np.testing.assert_array_equal(w, [[2.0]])
    assert b == 1.0


# ---------------------------------------------------------- representation


def _circles(rng, m):
    angle = rng.uniform(-np.pi, np.pi, m)
    outer = rng.random(m) > 0.5
    radius = np.where(outer, rng.uniform(2.0, 3.0, m), rng.uniform(0.0, 1.0, m))
    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, outer.astype(float).reshape(1, m)


def test_concentric_circles_are_separable_in_polar_coordinates() -> None:
    rng = np.random.default_rng(11)
    X, Y = _circles(rng, 200)
    # in (x, y) no line separates them: the perceptron never gets a clean epoch
    _, _, raw_errors = ref.perceptron_train(X, Y, np.zeros((1, 2)), np.zeros((1, 1)), 0.1, 100, 0.0)
    assert np.all(raw_errors > 0)
    # in (r, phi) the line r = const does: zero errors
    P = ref.to_polar(X)
    np.testing.assert_allclose(P[0], np.hypot(X[0], X[1]), rtol=1e-15)
    W, b, errors = ref.perceptron_train(P, Y, np.zeros((1, 2)), np.zeros((1, 1)), 0.1, 100, 0.0)
    assert errors[-1] == 0
    np.testing.assert_array_equal(ref.perceptron_predict(W, b, P, 0.0), Y)


def test_to_polar_round_trips() -> None:
    rng = np.random.default_rng(12)
    X = rng.normal(size=(2, 50))
    r, phi = ref.to_polar(X)
    np.testing.assert_allclose(r * np.cos(phi), X[0], atol=1e-14)
    np.testing.assert_allclose(r * np.sin(phi), X[1], atol=1e-14)
    assert np.all((phi > -np.pi) & (phi <= np.pi))
    assert ref.to_polar(np.array([[-1.0], [-0.0]]))[1, 0] == np.pi  # (-pi, pi]
