"""Loss functions, their derivatives with respect to y_hat, and the cost J.

Points: 1 per elementwise loss hook (eight), 2 for ``cost`` (it reduces over
outputs and samples and has four losses). Tolerance: rtol 1e-7, atol 1e-9.
Boundary cases: y_hat = y for L1 (any derivative in [-1, 1] accepted there),
|y - y_hat| = delta for Huber, y_hat at 1e-12 and 1 - 1e-12 for the logistic
loss, every loss for ``cost``. Known mistakes include the slides' two errata
(the L1 and Huber derivatives' outer signs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.grading.cases import (
    claim_case,
    expected_output,
    hidden_cases,
    make_task,
    need,
    template,
    value_case,
)
from harness.grading.compare import Interval, Printed, compare
from harness.grading.model import Call, Case, Mistake, Task, Verdict
from tasks import LOSSES
from tasks.elementwise import (
    HIDDEN_SHAPES,
    Elementwise,
    away_from,
    elementwise_task,
    flipped_sign,
    public_rng,
    uniform,
)

GROUP = "losses"
SLIDE = "Loss Functions"
LOGISTIC_SLIDE = "Example - Logistic Regression - Logistic Loss"


def _regression(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"y_hat": uniform(rng, shape), "y": uniform(rng, shape)}


def _l1_smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    y = uniform(rng, shape)
    return {"y_hat": y + away_from(rng, shape, (0.0,), 0.05), "y": y}


def _huber(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {**_regression(rng, shape), "delta": float(rng.uniform(0.5, 2.0))}


def _huber_smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    delta = float(rng.uniform(0.5, 2.0))
    y = uniform(rng, shape)
    return {"y_hat": y + away_from(rng, shape, (-delta, delta), 0.05), "y": y, "delta": delta}


def _logistic(rng: np.random.Generator, shape: tuple[int, ...], lo: float = 0.02) -> dict[str, Any]:
    return {"y_hat": rng.uniform(lo, 1.0 - lo, size=shape), "y": rng.integers(0, 2, size=shape).astype(np.float64)}


def _logistic_smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return _logistic(rng, shape, 0.05)


# ------------------------------------------------------------ special cases

EQUAL = {"y_hat": np.array([-1.5, 0.0, 0.25, 2.0, 3.0]), "y": np.array([-1.5, 0.0, 1.25, 2.0, -1.0])}
ERRATUM_L1 = {"y_hat": np.array([1.0, -1.0, 2.5]), "y": np.array([0.0, 0.0, 0.0])}
AT_DELTA = {"y_hat": np.array([0.5, 2.0, -1.0, 0.25, 4.0]), "y": np.array([1.5, 1.0, -2.5, 0.25, 0.0]),
            "delta": 1.0}
AT_HALF_DELTA = {"y_hat": np.array([0.0, 1.0, -0.25]), "y": np.array([0.5, 0.5, 0.25]), "delta": 0.5}
ERRATUM_HUBER = {"y_hat": np.array([3.0, -3.0, 0.5]), "y": np.array([0.0, 0.0, 0.0]), "delta": 1.0}
EDGE_PROBABILITIES = {"y_hat": np.array([1e-12, 1e-12, 1.0 - 1e-12, 1.0 - 1e-12, 0.5]),
                      "y": np.array([0.0, 1.0, 0.0, 1.0, 1.0])}
L1_ERRATUM_NOTE = ("erratum: the slide prints dL/dy_hat = -1 for y < y_hat; the true derivative "
                   "there is +1 (sign(y_hat - y))")
HUBER_ERRATUM_NOTE = ("erratum: the slide's outer branches have flipped signs; the derivative is "
                      "clip(y_hat - y, -delta, delta)")


def _cases(*specs: tuple[str, str, dict[str, Any], str]) -> Any:
    """Special cases from (kind, label, kwargs, note) rows."""

    def special(task: Task) -> list[Case]:
        return [value_case(task, kind, label, kwargs, note=note) for kind, label, kwargs, note in specs]

    return special


def _l1_grad_special(task: Task) -> list[Case]:
    ref = expected_output("l1_loss_grad", EQUAL)
    equal = EQUAL["y_hat"] == EQUAL["y"]
    accepted = Interval(np.where(equal, -1.0, ref), np.where(equal, 1.0, ref))
    return [
        value_case(task, "boundary", "y_hat=y", EQUAL, expected=accepted,
                   note="at y_hat = y any value in [-1, 1] is accepted"),
        value_case(task, "lecture", "slide-erratum", ERRATUM_L1, note=L1_ERRATUM_NOTE,
                   slide="Loss Functions - Absolute Error - L1 Loss"),
    ]


def _logistic_special(task: Task) -> list[Case]:
    a = 0.6537370640403052  # a at the example's new weights, before rounding
    return [
        value_case(task, "boundary", "edge-probabilities", EDGE_PROBABILITIES,
                   note="y_hat at 1e-12 and 1 - 1e-12"),
        value_case(task, "lecture", "verification-L", {"y_hat": np.array(a), "y": np.array(1.0)},
                   expected=Printed(np.array(0.42505), 1e-5),
                   note="verification at the new weights: a = 0.6537... and y = 1 give L = 0.42505",
                   slide="Example - Logistic Regression - Verification"),
    ]


# ----------------------------------------------------------------- mistakes


def _residual(y_hat: Any, y: Any) -> np.ndarray:
    return np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)


L1_ERRATUM = Mistake(
    "l1_slide_erratum",
    "slide erratum: the slide's L1 derivative (-1 if y < y_hat, 1 otherwise) has its sign flipped; "
    "dL/dy_hat = sign(y_hat - y)",
    lambda y_hat, y, **_: np.where(_residual(y_hat, y) < 0, -1.0, 1.0))
HUBER_ERRATUM = Mistake(
    "huber_slide_erratum",
    "slide erratum: the slide's Huber derivative (-delta if (y - y_hat) < -delta, delta if (y - y_hat) > delta) "
    "has its outer signs flipped; dL/dy_hat = clip(y_hat - y, -delta, delta)",
    lambda y_hat, y, delta, **_: np.where((r := _residual(y_hat, y)) < -delta, -delta, np.where(r > delta, delta, -r)))
ROWS = (
    Elementwise("l1_loss", GROUP, f"{SLIDE} - Absolute Error - L1 Loss", _regression, "|y - y_hat|",
                special=_cases(("boundary", "y_hat=y", EQUAL, "y_hat = y gives 0")),
                mistakes=(Mistake("l1_without_abs", "the L1 loss is |y - y_hat| (take the absolute value)",
                                  lambda y_hat, y, **_: np.asarray(y) - np.asarray(y_hat)),)),
    Elementwise("l1_loss_grad", GROUP, f"{SLIDE} - Absolute Error - L1 Loss", _regression, "sign(y_hat - y)",
                derivative_of="l1_loss", wrt="y_hat", draw_smooth=_l1_smooth, special=_l1_grad_special,
                mistakes=(L1_ERRATUM, flipped_sign("l1_loss_grad"))),
    Elementwise("l2_loss", GROUP, f"{SLIDE} - Square Error - L2 Loss", _regression, "(y - y_hat)^2",
                mistakes=(Mistake("l2_halved", "the L2 loss is (y - y_hat)^2, without a factor 1/2",
                                  lambda **kw: 0.5 * expected_output("l2_loss", kw)),)),
    Elementwise("l2_loss_grad", GROUP, f"{SLIDE} - Square Error - L2 Loss", _regression, "-2 (y - y_hat)",
                derivative_of="l2_loss", wrt="y_hat",
                mistakes=(flipped_sign("l2_loss_grad"),
                          Mistake("l2_grad_without_2", "dL/dy_hat = -2 (y - y_hat): the factor 2 is missing",
                                  lambda **kw: 0.5 * expected_output("l2_loss_grad", kw)))),
    Elementwise("huber_loss", GROUP, f"{SLIDE} - Huber Loss", _huber, "1/2 r^2 or delta |r| - 1/2 delta^2",
                special=_cases(("boundary", "|r|=delta", AT_DELTA, "|y - y_hat| = delta, delta = 1"),
                               ("boundary", "|r|=delta/2", AT_HALF_DELTA, "|y - y_hat| = delta, delta = 0.5")),
                mistakes=(Mistake(
                    "huber_outer_without_half_delta_squared",
                    "the outer branch is delta |y - y_hat| - 1/2 delta^2",
                    lambda y_hat, y, delta, **_: np.where(
                        np.abs(_residual(y_hat, y)) <= delta,
                        expected_output("huber_loss", {"y_hat": y_hat, "y": y, "delta": delta}),
                        delta * np.abs(_residual(y_hat, y)))),)),
    Elementwise("huber_loss_grad", GROUP, f"{SLIDE} - Huber Loss", _huber, "clip(y_hat - y, -delta, delta)",
                derivative_of="huber_loss", wrt="y_hat", draw_smooth=_huber_smooth,
                special=_cases(("boundary", "|r|=delta", AT_DELTA, "|y - y_hat| = delta, delta = 1"),
                               ("lecture", "slide-erratum", ERRATUM_HUBER, HUBER_ERRATUM_NOTE)),
                mistakes=(HUBER_ERRATUM, flipped_sign("huber_loss_grad"))),
    Elementwise("logistic_loss", GROUP, LOGISTIC_SLIDE, _logistic, "-(y log y_hat + (1 - y) log(1 - y_hat))",
                special=_logistic_special,
                mistakes=(Mistake("logistic_without_minus", "the logistic loss is -(y log y_hat + (1 - y) log(1 - y_hat))",
                                  lambda **kw: -expected_output("logistic_loss", kw)),)),
    Elementwise("logistic_loss_grad", GROUP, "Example - Logistic Regression - Functions and Their Derivatives",
                _logistic, "-y / y_hat + (1 - y) / (1 - y_hat)", derivative_of="logistic_loss", wrt="y_hat",
                draw_smooth=_logistic_smooth,
                special=_cases(("boundary", "edge-probabilities", EDGE_PROBABILITIES, "y_hat at 1e-12 and 1 - 1e-12")),
                mistakes=(flipped_sign("logistic_loss_grad"),)),
)


# --------------------------------------------------------------------- cost


def _cost_kwargs(rng: np.random.Generator, shape: tuple[int, ...], loss: str, delta: float = 1.0) -> dict[str, Any]:
    arrays = _logistic(rng, shape) if loss == "logistic" else _regression(rng, shape)
    return {**arrays, "loss": loss, "delta": delta}


def _cost_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng("cost")
    fixed = [("l2", (1, 5), 1.0), ("huber", (2, 4), 0.5), ("l1", (6,), 1.0), ("logistic", (3, 4), 1.0)]
    cases = [value_case(task, "fixed", f"{loss}-{len(shape)}-D", _cost_kwargs(public, shape, loss, delta),
                        note=f"loss {loss!r}, shape {shape}" + (" (read as (1, m))" if len(shape) == 1 else ""))
             for loss, shape, delta in fixed]
    cases += [value_case(task, "boundary", f"loss={loss}", _cost_kwargs(public, (2, 5), loss, 0.75),
                         note=f"loss {loss!r}, 2 outputs, 5 samples: J = (1/m) sum over outputs and samples")
              for loss in LOSSES]
    cases.append(value_case(task, "boundary", "one-sample", _cost_kwargs(public, (1, 1), "l2"),
                            note="one sample"))
    kw = _cost_kwargs(public, (3, 6), "l2")
    losses = expected_output("l2_loss", {"y_hat": kw["y_hat"], "y": kw["y"]})

    def verify(outputs: list[Any]) -> Verdict:
        J = need(outputs[0], template(0.0), "cost")
        return compare(J, np.array(losses.sum() / losses.shape[1]), rtol=1e-9, atol=1e-12,
                       name="cost vs (1/m) sum of the reference's l2_loss")

    cases.append(claim_case(task, "property", "cost-of-losses", [Call("cost", kw)], verify,
                            note="J(Theta) = 1/m sum_i L(h(x_i), y_i), L the l2 loss"))

    def hidden(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[dict[str, Any], str]:
        loss = str(rng.choice(LOSSES))
        delta = float(rng.uniform(0.5, 2.0))
        return _cost_kwargs(rng, shape, loss, delta), f"random, loss {loss!r}, shape {shape}"

    return cases + hidden_cases(task, rng, (*HIDDEN_SHAPES[:2], (4, 7), (10, 1000)), hidden)


COST_MISTAKES = (
    Mistake("missing_1_over_m", "J = (1/m) sum of L: divide the sum by m, the number of samples",
            lambda **kw: expected_output("cost", kw) * np.atleast_2d(kw["y_hat"]).shape[1]),
    Mistake("mean_over_outputs", "J = (1/m) sum over all outputs and samples: divide by m (columns), "
            "not by n_out m (a mean over every entry)",
            lambda **kw: expected_output("cost", kw) / np.atleast_2d(kw["y_hat"]).shape[0]),
)
COST_SPEED = {"tiny": (1, 8), "medium": (10, 1000), "large": (10, 100_000)}


def tasks() -> list[Task]:
    rows = [elementwise_task(row) for row in ROWS]
    cost = make_task("cost", GROUP, 2, "Loss & Cost (J = 1/m sum_i L(h(x_i), y_i))", _cost_cases,
                     lambda rng, size: _cost_kwargs(rng, COST_SPEED[size], "huber"),
                     mistakes=COST_MISTAKES, description="J = (1/m) sum over outputs and samples of L")
    return [*rows, cost]
