"""Polar coordinates, the lecture's hand-crafted representation.

Points: 2. Tolerance: rtol 1e-7, atol 1e-9. phi = atan2(y, x) in (-pi, pi],
so points with x < 0 (quadrants II and III, and the negative x axis, phi = pi)
are boundary cases: arctan(y / x) is wrong there. Property: concentric rings
become separable by one threshold on r (checked on the plugin's own output,
without the reference).
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
from harness.grading.model import FAIL, PASS, Call, Case, Mistake, Task, Verdict
from tasks.elementwise import public_rng

SLIDE = "Representation Learning - How About Now? (Polar Coordinates Representation)"


def _points(rng: np.random.Generator, m: int) -> dict[str, Any]:
    return {"X": rng.uniform(-3.0, 3.0, size=(2, m))}


def _rings_claim(task: Task, rng: np.random.Generator) -> Case:
    m = 40
    radius = np.concatenate([rng.uniform(0.3, 1.0, m // 2), rng.uniform(2.0, 3.0, m // 2)])
    angle = rng.uniform(-np.pi, np.pi, m)
    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)])
    inner = radius < 1.5
    shape = template(np.zeros((2, m)))

    def verify(outputs: list[Any]) -> Verdict:
        r = need(outputs[0], shape, "output")[0]
        if r[inner].max() < r[~inner].min() and r.min() >= 0:
            return Verdict(PASS)
        return Verdict(FAIL, f"row 0 (r) must separate the rings: inner ring r up to {r[inner].max():.4g}, "
                             f"outer ring r from {r[~inner].min():.4g} (a threshold such as r = 1.5 must split them)")

    return claim_case(task, "property", "rings-separable", [Call(task.hook, {"X": X})], verify,
                      note="concentric rings become linearly separable: one threshold on r splits them")


def _cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    axes = np.array([[1.0, 0.0, -1.0, 0.0, 3.0], [0.0, 1.0, 0.0, -1.0, 4.0]])
    cases = [
        value_case(task, "fixed", "axes", {"X": axes}, note="(1, 0), (0, 1), (-1, 0), (0, -1), (3, 4)"),
        value_case(task, "fixed", "random-points", _points(public, 8), note="8 points"),
        value_case(task, "boundary", "x<0", {"X": np.array([[-1.0, -2.0, -0.5, -3.0], [1.0, -2.0, 0.25, -0.1]])},
                   note="x < 0 (quadrants II and III): phi = atan2(y, x), not arctan(y / x)"),
        value_case(task, "boundary", "negative-x-axis", {"X": np.array([[-2.0], [0.0]])},
                   note="(-2, 0): phi = pi"),
        value_case(task, "boundary", "origin", {"X": np.zeros((2, 1))}, note="the origin: r = 0, phi = atan2(0, 0) = 0"),
        value_case(task, "boundary", "no-points", {"X": np.zeros((2, 0))}, note="m = 0: shape (2, 0)"),
        _rings_claim(task, rng),
    ]
    return cases + hidden_cases(task, rng, (5, 9, 12, 5000), lambda rng, m: (_points(rng, m), f"random, {m} points"))


def _speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    return _points(rng, {"tiny": 4, "medium": 5000, "large": 500_000}[size])


def _polar(X: np.ndarray, phi: np.ndarray | None = None, r_power: int = 1) -> np.ndarray:
    """The reference's (r, phi), with another phi or a power of r for a mistake."""
    out = expected_output("to_polar", {"X": X})
    out[0] **= r_power
    if phi is not None:
        out[1] = phi
    return out


MISTAKES = (
    Mistake("arctan_not_atan2", "phi = atan2(y, x): arctan(y / x) loses the quadrant when x < 0",
            lambda X, **_: _polar(X, np.arctan(X[1] / X[0]))),
    Mistake("atan2_arguments_swapped", "phi = atan2(y, x): y first, then x",
            lambda X, **_: _polar(X, np.arctan2(X[0], X[1]))),
    Mistake("degrees", "phi is in radians, in (-pi, pi]", lambda X, **_: _polar(X, np.degrees(_polar(X)[1]))),
    Mistake("r_squared", "r = sqrt(x^2 + y^2) (take the square root)", lambda X, **_: _polar(X, r_power=2)),
)


def tasks() -> list[Task]:
    return [make_task("to_polar", "representation", 2, SLIDE, _cases, _speed, mistakes=MISTAKES,
                      description="rows r = sqrt(x^2 + y^2), phi = atan2(y, x)")]
