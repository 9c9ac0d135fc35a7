"""Linear regression (group "regression") and one logistic-regression step (group "logistic_regression").

Points: ``linear_forward`` 2; ``linear_regression_fit`` 3 (a training loop
with four losses); ``logistic_regression_step`` 3 (forward, backward and
update of the lecture's worked example). Tolerance: rtol 1e-7, atol 1e-9,
except ``linear_regression_fit``: rtol 1e-6, atol 1e-8 (an iterative fit whose
summation order may differ from the reference's).

Lecture cases: the worked example (grad_w = (-0.04207, -0.29447),
grad_b = -0.4207, w_new = (0.82103, 0.3472), b_new = 0.31033) and its
verification z = 0.6355, each within one unit of its last printed digit;
dL/dz = a - y (dw = X (a - y)^T / m, db = mean(a - y)). Every loss is a
boundary case of the fit; its costs[0] is checked against the reference's
``cost`` at (w0, b0), and the gradients of the step against central differences of the
cost the step returns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.grading.cases import (
    Partial,
    anything,
    claim_case,
    expected_output,
    hidden_cases,
    make_task,
    need,
    param_fd_case,
    template,
    value_case,
)
from harness.grading.compare import Printed, Shape, compare
from harness.grading.model import FAIL, PASS, Call, Case, Mistake, Task, Verdict
from tasks import LOSSES
from tasks import mistakes as M
from tasks.elementwise import public_rng

REGRESSION_SLIDE = "Regression - Linear Regression (y = w^T x + w_0); Vectorized Form"
FIT_SLIDE = "Loss & Cost - Minimizing Cost (Theta := Theta - alpha grad J(Theta))"
STEP_SLIDE = "Example - Logistic Regression"
#: The lecture's worked example and its rounded new weights.
EXAMPLE = {"w": np.array([[0.8], [0.2]]), "b": 0.1, "X": np.array([[0.1], [0.7]]), "y": np.array([[1.0]]),
           "lr": 0.5}
NEW_WEIGHTS = {"w": np.array([[0.82103], [0.3472]]), "b": 0.31033, "X": np.array([[0.1], [0.7]])}


def _linear_data(rng: np.random.Generator, n: int, m: int) -> dict[str, Any]:
    return {"w": rng.normal(size=(n, 1)), "b": float(rng.normal()), "X": rng.uniform(-2.0, 2.0, size=(n, m))}


# ------------------------------------------------------------ linear_forward


def _forward_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    cases = [
        value_case(task, "lecture", "verification-z", NEW_WEIGHTS, expected=Printed(np.array([[0.6355]]), 1e-4),
                   note="verification at the new weights w = (0.82103, 0.3472), b = 0.31033: z = 0.6355",
                   slide="Example - Logistic Regression - Verification"),
        value_case(task, "fixed", "example-forward", {k: EXAMPLE[k] for k in ("w", "b", "X")},
                   note="the worked example's forward pass: x = (0.1, 0.7), w = (0.8, 0.2), b = 0.1"),
        value_case(task, "fixed", "one-feature", _linear_data(public, 1, 5), note="y = w_1 x + w_0, 5 samples"),
        value_case(task, "fixed", "three-features", _linear_data(public, 3, 4), note="n = 3, m = 4"),
        value_case(task, "boundary", "no-samples", {"w": np.array([[1.0], [2.0]]), "b": 0.5, "X": np.zeros((2, 0))},
                   note="m = 0 samples: shape (1, 0)"),
        value_case(task, "boundary", "one-sample", _linear_data(public, 4, 1), note="m = 1: shape (1, 1)"),
    ]
    return cases + hidden_cases(task, rng, ((2, 6), (3, 9), (1, 7), (10, 1000)),
                                lambda rng, s: (_linear_data(rng, *s), "random, n = {}, m = {}".format(*s)))


def _forward_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    n, m = {"tiny": (2, 1), "medium": (10, 1000), "large": (100, 10_000)}[size]
    return _linear_data(rng, n, m)


FORWARD_MISTAKES = (
    Mistake("forgot_bias", "the bias b is missing: y = w^T X + b",
            lambda w, X, **_: np.asarray(w).T @ X),
    Mistake("samples_as_rows", "samples are columns: return w^T X + b of shape (1, m), not (m, 1)",
            lambda w, b, X, **_: np.asarray(X).T @ w + b),
)


# ----------------------------------------------------- linear_regression_fit


def _fit_data(rng: np.random.Generator, n: int, m: int, loss: str, *, lr: float = 0.1, epochs: int = 12,
              delta: float = 0.5) -> dict[str, Any]:
    X = rng.uniform(-1.0, 1.0, size=(n, m))
    if loss == "logistic":  # y_hat = w^T X + b must stay inside (0, 1): small weights around b = 0.5
        X = rng.uniform(0.0, 1.0, size=(n, m))
        y = rng.integers(0, 2, size=(1, m)).astype(np.float64)
        return {"X": X, "y": y, "w0": rng.uniform(-0.1, 0.1, size=(n, 1)), "b0": 0.5, "lr": 0.02,
                "epochs": epochs, "loss": loss, "delta": delta}
    y = rng.normal(size=(1, n)) @ X + 1.0 + rng.normal(0.0, 0.8, size=(1, m))
    return {"X": X, "y": y, "w0": rng.normal(0.0, 0.3, size=(n, 1)), "b0": 0.0, "lr": lr, "epochs": epochs,
            "loss": loss, "delta": delta}


def _costs_start_claim(task: Task, kwargs: dict[str, Any]) -> Case:
    y_hat = expected_output("linear_forward", {"w": kwargs["w0"], "b": kwargs["b0"], "X": kwargs["X"]})
    shape = template(expected_output(task.hook, kwargs))
    J = expected_output("cost", {"y_hat": y_hat, "y": kwargs["y"], "loss": kwargs["loss"],
                                 "delta": kwargs["delta"]})

    def verify(outputs: list[Any]) -> Verdict:
        costs = need(outputs[0], shape, "output")[2]
        return compare(costs[:1].reshape(()), J.reshape(()), rtol=1e-9, atol=1e-12,
                       name="costs[0] vs the reference's cost(w0^T X + b0, y)")

    return claim_case(task, "property", "costs[0]-is-J(w0,b0)", [Call(task.hook, kwargs)], verify,
                      note="costs[e] is J before update e: costs[0] = J(w0, b0)")


def _decreasing_claim(task: Task, kwargs: dict[str, Any]) -> Case:
    shape = template(expected_output(task.hook, kwargs))

    def verify(outputs: list[Any]) -> Verdict:
        costs = need(outputs[0], shape, "output")[2]
        rises = np.flatnonzero(np.diff(costs) >= 0)
        if rises.size == 0:
            return Verdict(PASS)
        e = int(rises[0])
        return Verdict(FAIL, f"with the l2 loss and a small lr the cost must fall every epoch; "
                             f"costs[{e}] = {costs[e]:.6g}, costs[{e + 1}] = {costs[e + 1]:.6g}")

    return claim_case(task, "property", "cost-decreases", [Call(task.hook, kwargs)], verify,
                      note="gradient descent with a small lr lowers J every epoch (l2 loss)")


def _fit_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    x = np.linspace(-1.0, 1.0, 8).reshape(1, 8)
    slide = {"X": x, "y": 2.0 * x + 1.0 + public.normal(0.0, 0.2, size=(1, 8)), "w0": np.zeros((1, 1)), "b0": 0.0,
             "lr": 0.3, "epochs": 20, "loss": "l2", "delta": 1.0}
    cases = [value_case(task, "fixed", "y=w1x+w0", slide, note="one feature, y = w_1 x + w_0, l2, 20 epochs")]
    cases += [value_case(task, "boundary", f"loss={loss}", _fit_data(public, 2, 6, loss),
                         note=f"loss {loss!r}, 2 features, 6 samples, 12 epochs")
              for loss in LOSSES]
    cases += [
        value_case(task, "fixed", "huber-delta-2", _fit_data(public, 3, 8, "huber", delta=2.0, epochs=6),
                   note="huber with delta = 2, 3 features"),
        value_case(task, "boundary", "epochs=0", {**_fit_data(public, 2, 5, "l2"), "epochs": 0},
                   note="no epoch: (w0, b0) and an empty costs array"),
        _costs_start_claim(task, _fit_data(public, 2, 7, "huber")),
        _decreasing_claim(task, _fit_data(rng, 3, 10, "l2", lr=0.05, epochs=15)),
    ]

    def hidden(rng: np.random.Generator, _: int) -> tuple[dict[str, Any], str]:
        loss = str(rng.choice(("l1", "l2", "huber")))
        n, m, epochs = int(rng.integers(1, 4)), int(rng.integers(5, 13)), int(rng.integers(5, 26))
        kwargs = _fit_data(rng, n, m, loss, lr=float(rng.uniform(0.01, 0.2)), epochs=epochs,
                           delta=float(rng.uniform(0.3, 1.5)))
        return kwargs, f"random, loss {loss!r}, n = {n}, m = {m}, {epochs} epochs"

    cases += hidden_cases(task, rng, range(3), hidden)
    cases.append(value_case(task, "hidden", "medium", _fit_data(rng, 10, 1000, "l2", lr=0.05, epochs=5),
                            note="random, loss 'l2', n = 10, m = 1000, 5 epochs"))
    return cases


def _fit_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    n, m, epochs = {"tiny": (1, 4, 10), "medium": (10, 1000, 20), "large": (100, 10_000, 10)}[size]
    return _fit_data(rng, n, m, "l2", lr=0.05, epochs=epochs)


def _fit(loss_only: str | None = None, **switches: Any) -> Any:
    def wrong(X: Any, y: Any, w0: Any, b0: float, lr: float, epochs: int, loss: str, delta: float, **_: Any) -> Any:
        if loss_only is not None and loss != loss_only:
            raise ValueError("does not apply")
        w, b, costs = M.linear_fit(X, y, w0, b0, lr, epochs, loss, delta, **switches)
        return [w, b, anything(costs.shape) if not switches.get("per_m", True) else costs]

    return wrong


FIT_MISTAKES = (
    Mistake("missing_1_over_m", "the gradient of J = (1/m) sum L is missing its 1/m (a sum instead of a mean)",
            _fit(per_m=False)),
    Mistake("cost_after_update", "costs[e] is J before update e (record the cost, then update)",
            _fit(cost_after=True)),
    Mistake("l1_slide_erratum", "slide erratum: the L1 derivative is sign(y_hat - y), not the slide's "
            "-1 if y < y_hat", _fit("l1", erratum=True)),
    Mistake("huber_slide_erratum", "slide erratum: the Huber derivative is clip(y_hat - y, -delta, delta); "
            "the slide's outer branches have flipped signs", _fit("huber", erratum=True)),
    Mistake("gradient_ascent", "step against the gradient: Theta := Theta - alpha grad J",
            lambda lr, **kw: _fit()(lr=-lr, **kw)),
)


# -------------------------------------------------- logistic_regression_step


def _step_data(rng: np.random.Generator, n: int, m: int) -> dict[str, Any]:
    return {"w": rng.normal(size=(n, 1)), "b": float(rng.normal(0.0, 0.5)), "X": rng.uniform(-1.5, 1.5, size=(n, m)),
            "y": rng.integers(0, 2, size=(1, m)).astype(np.float64), "lr": float(rng.uniform(0.1, 1.0))}


def _a_minus_y_case(task: Task, kwargs: dict[str, Any]) -> Case:
    z = expected_output("linear_forward", {k: kwargs[k] for k in ("w", "b", "X")})
    dz = expected_output("sigmoid", {"z": z}) - kwargs["y"]
    m = kwargs["X"].shape[1]
    expected = [Shape(None), kwargs["X"] @ dz.T / m, np.array(dz.sum() / m), Shape(kwargs["w"].shape), Shape(None)]
    return value_case(task, "lecture", "dL/dz=a-y", kwargs, expected=expected,
                      note="dL/dz = a - y: dw = X (a - y)^T / m and db = mean(a - y), 4 samples",
                      slide="Example - Logistic Regression - Backward Pass (dL/dz = a - y)")


def _step_fd_case(task: Task, kwargs: dict[str, Any]) -> Case:
    n = kwargs["w"].shape[0]
    partials = [Partial(f"dw[{i}]", ("w", (i, 0)), (1, (i, 0))) for i in range(n)] + [Partial("db", ("b",), (2,))]
    return param_fd_case(task, "finite-differences", kwargs, partials, (0,),
                         note="dw and db by central differences of the cost your step returns")


def _step_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    ref = expected_output(task.hook, EXAMPLE)
    printed = [ref[0], Printed(np.array([[-0.04207], [-0.29447]]), 1e-5), Printed(np.array(-0.4207), 1e-4),
               Printed(np.array([[0.82103], [0.3472]]), np.array([[1e-5], [1e-4]])), Printed(np.array(0.31033), 1e-5)]
    cases = [
        value_case(task, "lecture", "worked-example", EXAMPLE, expected=printed,
                   note="x = (0.1, 0.7), y = 1, w = (0.8, 0.2), b = 0.1, alpha = 0.5: grad_w = (-0.04207, "
                        "-0.29447), grad_b = -0.4207, w_new = (0.82103, 0.3472), b_new = 0.31033"),
        _a_minus_y_case(task, _step_data(public, 2, 4)),
        value_case(task, "fixed", "n=2,m=3", _step_data(public, 2, 3), note="2 features, 3 samples"),
        value_case(task, "fixed", "n=3,m=5", _step_data(public, 3, 5), note="3 features, 5 samples"),
        value_case(task, "boundary", "all-zero-labels", {**_step_data(public, 2, 4), "y": np.zeros((1, 4))},
                   note="every y = 0"),
        value_case(task, "boundary", "all-one-labels", {**_step_data(public, 2, 4), "y": np.ones((1, 4))},
                   note="every y = 1"),
        value_case(task, "boundary", "zero-weights", {**_step_data(public, 3, 4), "w": np.zeros((3, 1)), "b": 0.0},
                   note="w = 0, b = 0: a = 0.5 everywhere"),
        _step_fd_case(task, _step_data(rng, 3, 4)),
    ]
    return cases + hidden_cases(task, rng, ((2, 5), (3, 8), (1, 6), (10, 1000)),
                                lambda rng, s: (_step_data(rng, *s), "random, n = {}, m = {}".format(*s)))


def _step_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    if size == "tiny":
        return {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in EXAMPLE.items()}
    n, m = {"medium": (10, 1000), "large": (100, 10_000)}[size]
    return _step_data(rng, n, m)


def _step(mistake: str) -> Any:
    """A wrong step, from the reference's: the gradients of a sum (m times as large, so is the update),
    the cost summed, the sign of dz flipped (the update goes up) or an update that goes up."""

    def wrong(**kw: Any) -> list[Any]:
        J, dw, db, w_new, b_new = expected_output("logistic_regression_step", kw)
        m = np.shape(kw["X"])[1]
        if mistake == "missing_1_over_m":
            *_, w_new, b_new = expected_output("logistic_regression_step", {**kw, "lr": kw["lr"] * m})
            return [anything(), m * dw, m * db, w_new, b_new]
        if mistake == "cost_sum_not_mean":
            return [m * J, dw, db, w_new, b_new]
        *_, w_up, b_up = expected_output("logistic_regression_step", {**kw, "lr": -kw["lr"]})
        return [J, -dw, -db, w_up, b_up] if mistake == "flipped_sign" else [J, dw, db, w_up, b_up]

    return wrong


STEP_MISTAKES = (
    Mistake("missing_1_over_m", "dw = X (a - y)^T / m and db = sum(a - y) / m: the 1/m is missing "
            "(a sum instead of a mean)", _step("missing_1_over_m")),
    Mistake("cost_sum_not_mean", "the cost is J = (1/m) sum L (a mean over samples, not a sum)",
            _step("cost_sum_not_mean")),
    Mistake("flipped_sign", "the sign is flipped: dL/dz = a - y, not y - a", _step("flipped_sign")),
    Mistake("gradient_ascent", "step against the gradient: w := w - alpha dw, b := b - alpha db",
            _step("gradient_ascent")),
)


def tasks() -> list[Task]:
    return [
        make_task("linear_forward", "regression", 2, REGRESSION_SLIDE, _forward_cases, _forward_speed,
                  mistakes=FORWARD_MISTAKES, description="y = w^T X + b, shape (1, m)"),
        make_task("linear_regression_fit", "regression", 3, FIT_SLIDE, _fit_cases, _fit_speed, rtol=1e-6, atol=1e-8,
                  mistakes=FIT_MISTAKES, description="full-batch gradient descent on J(w, b)", curve=(2, "cost")),
        make_task("logistic_regression_step", "logistic_regression", 3, STEP_SLIDE, _step_cases, _step_speed,
                  mistakes=STEP_MISTAKES, description="forward, backward and one update of a sigmoid unit"),
    ]
