"""Every value the lecture prints, from the reference, at the printed precision.

SPEC.md "Values printed in the lecture": the tolerance of a printed value is one
unit in its last printed digit (the slides round and sometimes truncate).
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref


def ulp_of_print(printed: str) -> float:
    """One unit in the last printed digit of a number as printed on a slide."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 10.0**-decimals


def assert_printed(value: float, printed: str) -> None:
    tol = ulp_of_print(printed)
    assert abs(float(value) - float(printed)) <= tol, f"{value!r} is not {printed} (+-{tol})"


# ------------------------------------------- Example - Logistic Regression

X_EX = np.array([[0.1], [0.7]])  # one sample (x1, x2) as a column
Y_EX = np.array([[1.0]])
W_EX = np.array([[0.8], [0.2]])
B_EX = 0.1
ALPHA_EX = 0.5


@pytest.fixture(scope="module")
def example_step():
    return ref.logistic_regression_step(W_EX, B_EX, X_EX, Y_EX, ALPHA_EX)


def test_logistic_example_gradients(example_step) -> None:
    _, dw, db, _, _ = example_step
    assert dw.shape == (2, 1)
    assert_printed(dw[0, 0], "-0.04207")
    assert_printed(dw[1, 0], "-0.29447")
    assert_printed(db, "-0.4207")
    assert isinstance(db, float)


def test_logistic_example_update(example_step) -> None:
    _, _, _, w_new, b_new = example_step
    assert w_new.shape == (2, 1)
    assert_printed(w_new[0, 0], "0.82103")
    assert_printed(w_new[1, 0], "0.3472")
    assert_printed(b_new, "0.31033")
    assert isinstance(b_new, float)


def test_logistic_example_cost_is_loss_at_start(example_step) -> None:
    cost = example_step[0]
    a = 1.0 / (1.0 + np.exp(-(0.8 * 0.1 + 0.2 * 0.7 + 0.1)))  # z = 0.32
    assert isinstance(cost, float)
    assert cost == pytest.approx(-np.log(a), rel=1e-14)


def test_logistic_example_verification(example_step) -> None:
    """Slide "Verification": at the new weights z = 0.6355, a = 0.6537, L = 0.42505."""
    _, _, _, w_new, b_new = example_step
    z = ref.linear_forward(w_new, b_new, X_EX)
    assert z.shape == (1, 1)
    a = ref.sigmoid(z)
    loss = ref.logistic_loss(a, Y_EX)
    assert_printed(z[0, 0], "0.6355")
    assert_printed(a[0, 0], "0.6537")
    assert_printed(loss[0, 0], "0.42505")
    assert_printed(ref.cost(a, Y_EX, "logistic", None), "0.42505")
    # the same verification through the next step's cost
    assert_printed(ref.logistic_regression_step(w_new, b_new, X_EX, Y_EX, ALPHA_EX)[0], "0.42505")


def test_logistic_example_by_hand_formulas() -> None:
    """dL/dw_i = x_i (a - y), dL/db = a - y (slide "Backward Pass")."""
    z = ref.linear_forward(W_EX, B_EX, X_EX)
    a = ref.sigmoid(z)[0, 0]
    assert_printed(a - 1.0, "-0.4207")
    assert_printed(0.1 * (a - 1.0), "-0.04207")
    assert_printed(0.7 * (a - 1.0), "-0.29447")


def test_dl_dz_is_a_minus_y_through_the_sigmoid() -> None:
    """dL/dz = sigma'(z) dL/da = a (1 - a) (-y/a + (1-y)/(1-a)) = a - y."""
    z = np.linspace(-6.0, 6.0, 25)
    for y in (0.0, 1.0):
        yy = np.full_like(z, y)
        a = ref.sigmoid(z)
        dl_dz = ref.sigmoid_grad(z) * ref.logistic_loss_grad(a, yy)
        np.testing.assert_allclose(dl_dz, a - y, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------ Computational graph


def test_chain_rule_at_two() -> None:
    out = ref.chain_rule_example(2.0)
    assert len(out) == 6 and all(type(v) is float for v in out)
    f, g, h, dh_dg, dh_df, dh_dx = out
    assert (f, g, h) == (3.0, 6.0, 36.0)
    assert dh_dg == 12.0  # dh/dg = 2g = 12
    assert dh_df == 24.0
    assert dh_dx == 24.0  # h'(2) = 16 + 8 = 24


@pytest.mark.parametrize("x", [-3.5, -1.0, 0.0, 0.25, 2.0, 7.0])
def test_chain_rule_matches_expanded_polynomial(x: float) -> None:
    """h(x) = 4x^2 + 8x + 4 and h'(x) = 8x + 8."""
    _, _, h, _, _, dh_dx = ref.chain_rule_example(x)
    assert h == pytest.approx(4 * x * x + 8 * x + 4, rel=1e-15, abs=1e-15)
    assert dh_dx == pytest.approx(8 * x + 8, rel=1e-15, abs=1e-15)


# ---------------------------------------------------------- Gradient descent


def test_gradient_descent_alpha_0_3_contracts_by_0_4() -> None:
    x0 = np.array([2.0, -1.0, 0.5])
    traj = ref.gradient_descent(x0, 0.3, 12)
    assert traj.shape == (13, 3)
    np.testing.assert_array_equal(traj[0], x0)
    expected = 0.4 ** np.arange(13)[:, None] * x0
    np.testing.assert_allclose(traj, expected, rtol=1e-13)


def test_gradient_descent_alpha_1_5_doubles_with_flipped_sign() -> None:
    x0 = np.array([1.0, -3.0])
    traj = ref.gradient_descent(x0, 1.5, 10)
    expected = (-2.0) ** np.arange(11)[:, None] * x0
    np.testing.assert_array_equal(traj, expected)  # exact: powers of two


def test_gradient_descent_minimum_is_zero() -> None:
    """f(x) = x^2, f'(x) = 2x = 0 gives x_min = 0: a fixed point."""
    np.testing.assert_array_equal(ref.gradient_descent(np.zeros(2), 0.3, 3), np.zeros((4, 2)))


# ---------------------------------------------------------- Activation rules


def test_relu_grad_at_zero_is_zero() -> None:
    assert ref.relu_grad(np.array([0.0]))[0] == 0.0
    assert ref.relu_grad(np.array(0.0)) == 0.0


def test_leaky_relu_lecture_alpha() -> None:
    alpha = 0.1
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(ref.leaky_relu(z, alpha), [-0.2, -0.05, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(ref.leaky_relu_grad(z, alpha), [0.1, 0.1, 0.1, 1.0, 1.0])


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma() -> None:
    z = np.linspace(-8.0, 8.0, 33)
    s = ref.sigmoid(z)
    np.testing.assert_allclose(ref.sigmoid_grad(z), s * (1.0 - s), rtol=1e-12, atol=1e-16)
    assert ref.sigmoid(np.array(0.0)) == 0.5
    assert ref.sigmoid_grad(np.array(0.0)) == 0.25


def test_tanh_derivative_is_one_minus_tanh_squared() -> None:
    z = np.linspace(-4.0, 4.0, 33)
    np.testing.assert_allclose(ref.tanh_grad(z), 1.0 - ref.tanh(z) ** 2, rtol=1e-14, atol=1e-15)


def test_step_is_strict() -> None:
    """f(h) = 1 if h > T else 0."""
    np.testing.assert_array_equal(ref.step(np.array([0.49, 0.5, 0.51]), 0.5), [0.0, 0.0, 1.0])


# ---------------------------------------------------- Loss & Cost, MLP slide


def test_cost_is_the_mean_loss_for_one_output() -> None:
    y_hat = np.array([[0.5, 2.0, -1.0]])
    y = np.array([[1.0, 1.0, 1.0]])
    assert ref.cost(y_hat, y, "l2", None) == pytest.approx((0.25 + 1.0 + 4.0) / 3)
    assert ref.cost(y_hat, y, "l1", None) == pytest.approx((0.5 + 1.0 + 2.0) / 3)


def test_linear_layers_compose_to_a_linear_function() -> None:
    """Slide: f(x) = ax + b, g(x) = cx + d => g(f(x)) = acx + (cb + d)."""
    a, b, c, d = 2.0, -1.0, 0.5, 3.0
    x = np.array([[-1.0, 0.0, 2.0, 5.0]])
    params = [(np.array([[a]]), np.array([[b]])), (np.array([[c]]), np.array([[d]]))]
    out = ref.mlp_forward(params, x, ["linear", "linear"])
    np.testing.assert_allclose(out, a * c * x + (c * b + d), rtol=1e-15)
