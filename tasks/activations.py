"""Activation functions and their derivatives; the discrete perceptron's step.

Points: 1 per hook (all nine are elementwise). Tolerance: rtol 1e-7, atol 1e-9
against the float64 reference. Cases: the shared elementwise table
(:mod:`tasks.elementwise`) plus, per hook, its boundary and lecture cases:
|z| up to 1e3 for the sigmoid, ReLU'(0) = 0, lReLU'(0) = alpha, the lecture's
alpha = 0.1, step(T, T) = 0 and sigma' = sigma (1 - sigma).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.grading.cases import claim_case, expected_output, need, template, value_case
from harness.grading.compare import Printed, compare
from harness.grading.model import Call, Case, Mistake, Task, Verdict
from tasks.elementwise import Elementwise, away_from, elementwise_task, flipped_sign, uniform

GROUP = "activations"
LECTURE_Z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
HUGE_Z = np.array([-1000.0, -745.0, -710.0, -40.0, 0.0, 40.0, 710.0, 745.0, 1000.0])


def _z(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"z": uniform(rng, shape, -5.0, 5.0)}


def _z_smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"z": away_from(rng, shape, (0.0,), 0.05, -5.0, 5.0)}


def _z_alpha(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"z": uniform(rng, shape, -5.0, 5.0), "alpha": float(rng.uniform(0.02, 0.3))}


def _z_alpha_smooth(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"z": away_from(rng, shape, (0.0,), 0.05, -5.0, 5.0), "alpha": float(rng.uniform(0.02, 0.3))}


def _z_threshold(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"z": uniform(rng, shape, -3.0, 3.0), "threshold": float(rng.uniform(-1.0, 1.0))}


# ------------------------------------------------------------ special cases


def _huge(task: Task) -> list[Case]:
    return [value_case(task, "boundary", "huge-z", {"z": HUGE_Z.copy()},
                       note="|z| up to 1e3: correct and finite (an overflow warning is only a note)")]


def _sigma_identity(task: Task) -> list[Case]:
    z = np.linspace(-4.0, 4.0, 9)
    shape = template(z)
    s = expected_output("sigmoid", {"z": z})

    def verify(outputs: list[Any]) -> Verdict:
        grad = need(outputs[0], shape, "output")
        return compare(grad, s * (1.0 - s), rtol=1e-9, atol=1e-12,
                       name="output vs sigma(z) (1 - sigma(z)) with the reference's sigma")

    calls = [Call("sigmoid_grad", {"z": z})]
    return _huge(task) + [claim_case(task, "lecture", "sigma-identity", calls, verify,
                                     note="sigma'(z) = sigma(z) (1 - sigma(z))",
                                     slide="Example - Logistic Regression - Functions and Their Derivatives")]


def _sigmoid_special(task: Task) -> list[Case]:
    verify_z = 0.6355068108884379  # z at the example's new weights, before rounding
    return _huge(task) + [value_case(
        task, "lecture", "verification-a", {"z": np.array(verify_z)}, expected=Printed(np.array(0.6537), 1e-4),
        note="verification at the new weights: z = 0.6355... gives a = 0.6537",
        slide="Example - Logistic Regression - Verification")]


def _tanh_special(task: Task) -> list[Case]:
    z = np.array([-400.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 400.0])
    return [value_case(task, "boundary", "saturation", {"z": z}, note="tanh saturates to +-1 for large |z|")]


def _kink(task: Task, extra: dict[str, Any], slide_rule: str) -> list[Case]:
    z = np.array([-1.0, -1e-300, -0.0, 0.0, 1e-300, 1.0])
    return [
        value_case(task, "boundary", "z=0", {"z": z, **extra}, note=f"z at and around 0: {slide_rule}"),
        value_case(task, "lecture", "lecture-z", {"z": LECTURE_Z.copy(), **extra}, note=slide_rule),
    ]


def _relu_special(task: Task) -> list[Case]:
    return _kink(task, {}, "ReLU(0) = 0")


def _relu_grad_special(task: Task) -> list[Case]:
    return _kink(task, {}, "ReLU'(z) = 1 if z > 0 else 0, so ReLU'(0) = 0 as on the slide")


def _leaky_special(task: Task) -> list[Case]:
    return [
        value_case(task, "boundary", "z=0", {"z": np.array([-1.0, -0.0, 0.0, 1e-300, 1.0]), "alpha": 0.25},
                   note="z at and around 0, alpha = 0.25"),
        value_case(task, "lecture", "alpha=0.1", {"z": LECTURE_Z.copy(), "alpha": 0.1},
                   note="the lecture's alpha = 0.1"),
    ]


def _leaky_grad_special(task: Task) -> list[Case]:
    return [
        value_case(task, "boundary", "z=0", {"z": np.array([-1.0, -0.0, 0.0, 1e-300, 1.0]), "alpha": 0.25},
                   note="lReLU'(0) = alpha (1 only for z > 0), alpha = 0.25"),
        value_case(task, "lecture", "alpha=0.1", {"z": LECTURE_Z.copy(), "alpha": 0.1},
                   note="the lecture's alpha = 0.1: lReLU'(z) = 1 if z > 0 else alpha"),
    ]


def _step_special(task: Task) -> list[Case]:
    return [
        value_case(task, "boundary", "z=T", {"z": np.array([-0.5, 0.5, 0.5 + 1e-12, 0.5, 1.5]), "threshold": 0.5},
                   note="z = T gives 0 (1 only if z > T), T = 0.5"),
        value_case(task, "boundary", "z=T=0", {"z": np.array([-1.0, -0.0, 0.0, 1e-300]), "threshold": 0.0},
                   note="z = T = 0 gives 0"),
        value_case(task, "lecture", "step", {"z": LECTURE_Z.copy(), "threshold": 1.0},
                   note="f(h) = 1 if h > T else 0, T = 1",
                   slide="Classification - Linear Classification - Example (step function)"),
    ]


# ----------------------------------------------------------------- mistakes


def _exp_ratio(z: Any, **_: Any) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(z, dtype=np.float64))
        return e / (1.0 + e)


HARDCODED_ALPHA = "use the alpha argument: 0.1 is only the lecture's usual value"
SIGMOID_OVERFLOW = Mistake(
    "exp_ratio_overflow", "e^z / (1 + e^z) overflows to inf/inf = NaN for large z: use 1 / (1 + e^-z) for z >= 0",
    _exp_ratio)
SIGMA_OF_ONE_MINUS_Z = Mistake(
    "sigma_times_one_minus_z", "this is sigma(z) (1 - z); the derivative is sigma(z) (1 - sigma(z))",
    lambda z, **_: expected_output("sigmoid", {"z": z}) * (1.0 - np.asarray(z)))
TANH_NO_SQUARE = Mistake(
    "tanh_grad_without_square", "this is 1 - tanh(z); the derivative is 1 - tanh(z)^2 (squared)",
    lambda z, **_: 1.0 - np.tanh(z))
RELU_GRAD_ZERO = Mistake(
    "relu_grad_at_zero_is_one", "ReLU'(0) must be 0 as on the slide (1 only if z > 0, not z >= 0)",
    lambda z, **_: np.where(np.asarray(z) >= 0, 1.0, 0.0))
LEAKY_GRAD_ZERO = Mistake(
    "leaky_relu_grad_at_zero_is_one", "lReLU'(0) must be alpha (1 only if z > 0, not z >= 0)",
    lambda z, alpha, **_: np.where(np.asarray(z) >= 0, 1.0, alpha))
STEP_INCLUSIVE = Mistake(
    "step_inclusive", "the step is 1 only if z > T (strict), so z = T gives 0, not 1",
    lambda z, threshold, **_: np.where(np.asarray(z) >= threshold, 1.0, 0.0))
STEP_NO_THRESHOLD = Mistake(
    "step_ignores_threshold", "compare z with the threshold T, not with 0",
    lambda z, **_: expected_output("step", {"z": z, "threshold": 0.0}))

ROWS = (
    Elementwise("sigmoid", GROUP, "Activation Functions - Sigmoid; Continuous Perceptron", _z,
                "sigma(z) = 1 / (1 + e^-z)", special=_sigmoid_special, mistakes=(SIGMOID_OVERFLOW,)),
    Elementwise("sigmoid_grad", GROUP, "Activation Functions - Sigmoid", _z, "sigma(z) (1 - sigma(z))",
                derivative_of="sigmoid", special=_sigma_identity,
                mistakes=(SIGMA_OF_ONE_MINUS_Z, flipped_sign("sigmoid_grad"))),
    Elementwise("tanh", GROUP, "Activation Functions - TanH", _z, "tanh(z)", special=_tanh_special),
    Elementwise("tanh_grad", GROUP, "Activation Functions - TanH", _z, "1 - tanh(z)^2", derivative_of="tanh",
                special=_tanh_special, mistakes=(TANH_NO_SQUARE, flipped_sign("tanh_grad"))),
    Elementwise("relu", GROUP, "Activation Functions - ReLU", _z, "max(0, z)", special=_relu_special),
    Elementwise("relu_grad", GROUP, "Activation Functions - ReLU", _z, "1 if z > 0 else 0",
                derivative_of="relu", draw_smooth=_z_smooth, special=_relu_grad_special,
                mistakes=(RELU_GRAD_ZERO, flipped_sign("relu_grad"))),
    Elementwise("leaky_relu", GROUP, "Activation Functions - LeakyReLU", _z_alpha, "max(alpha z, z)",
                special=_leaky_special,
                mistakes=(Mistake("hardcoded_alpha", HARDCODED_ALPHA,
                                  lambda z, **_: expected_output("leaky_relu", {"z": z, "alpha": 0.1})),)),
    Elementwise("leaky_relu_grad", GROUP, "Activation Functions - LeakyReLU", _z_alpha, "1 if z > 0 else alpha",
                derivative_of="leaky_relu", draw_smooth=_z_alpha_smooth, special=_leaky_grad_special,
                mistakes=(LEAKY_GRAD_ZERO,
                          Mistake("hardcoded_alpha", HARDCODED_ALPHA,
                                  lambda z, **_: expected_output("leaky_relu_grad", {"z": z, "alpha": 0.1})),
                          flipped_sign("leaky_relu_grad"))),
    Elementwise("step", GROUP, "Perceptron - Discrete Perceptron (step function)", _z_threshold,
                "1 if z > T else 0", special=_step_special, mistakes=(STEP_INCLUSIVE, STEP_NO_THRESHOLD)),
)


def tasks() -> list[Task]:
    return [elementwise_task(row) for row in ROWS]
