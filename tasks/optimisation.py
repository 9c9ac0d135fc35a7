"""Gradient descent on f(p) = sum(p^2) (group "optimisation") and the chain rule (group "graph").

Points: 2 each (a loop, a trajectory or a six-value tuple). Tolerance: rtol
1e-7, atol 1e-9 (the trajectory is computed step by step: x := x - lr 2x).
Lecture cases: alpha = 0.3 (x_k = 0.4^k x0) and alpha = 1.5 (x_k = (-2)^k x0);
at x = 2, h = 36, dh/dg = 12 and dh/dx = 24 (printed integers: atol 1).
Properties: alpha = 0.3 converges and alpha = 1.5 diverges on the plugin's
own trajectory; dh/dx agrees with central differences of the plugin's own h,
and each backward value is the previous one times a local derivative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.grading.cases import (
    FD_ATOL,
    FD_RTOL,
    claim_case,
    expected_output,
    hidden_cases,
    make_task,
    need,
    scalar,
    template,
    value_case,
)
from harness.grading.compare import Printed, compare
from harness.grading.model import FAIL, PASS, Call, Case, Mistake, Task, Verdict

GD_SLIDE = "Gradient Descent (alpha = 0.3, alpha = 1.5)"
GRAPH_SLIDE = "Computational Graph - Backward Pass"


# ----------------------------------------------------------- gradient descent


def _norms_claim(task: Task, label: str, lr: float, steps: int, x0: np.ndarray, converges: bool) -> Case:
    kwargs = {"x0": x0, "lr": lr, "steps": steps}
    shape = template(np.zeros((steps + 1, x0.size)))

    def verify(outputs: list[Any]) -> Verdict:
        traj = need(outputs[0], shape, "trajectory")
        norms = np.linalg.norm(traj, axis=1)
        ratio = norms[1:] / norms[:-1]
        if converges and (np.all(ratio < 1.0) and norms[-1] < 1e-6 * norms[0]):
            return Verdict(PASS)
        if not converges and (np.all(ratio > 1.0) and norms[-1] > 1e5 * norms[0]):
            return Verdict(PASS)
        k = int(np.argmax(ratio >= 1.0)) if converges else int(np.argmax(ratio <= 1.0))
        what = "converge" if converges else "diverge"
        return Verdict(FAIL, f"with lr = {lr} gradient descent on x^2 must {what}; |x| went from "
                             f"{norms[k]:.6g} to {norms[k + 1]:.6g} at step {k + 1} (final |x| {norms[-1]:.6g})")

    what = "converges: |x_k| shrinks by 0.4 each step" if converges else "diverges: |x_k| doubles each step"
    return claim_case(task, "property", label, [Call("gradient_descent", kwargs)], verify,
                      note=f"alpha = {lr} {what}")


def _gd_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    cases = [
        value_case(task, "lecture", "alpha=0.3", {"x0": np.array([1.0]), "lr": 0.3, "steps": 10},
                   note="f(x) = x^2, alpha = 0.3: x_k = 0.4^k x0 (converges)"),
        value_case(task, "lecture", "alpha=1.5", {"x0": np.array([1.0]), "lr": 1.5, "steps": 10},
                   note="f(x) = x^2, alpha = 1.5: x_k = (-2)^k x0 (diverges)"),
        _norms_claim(task, "converges", 0.3, 40, np.array([2.0, -1.5, 0.5]), True),
        _norms_claim(task, "diverges", 1.5, 20, np.array([0.5, -0.25]), False),
        value_case(task, "fixed", "lr=0.1", {"x0": np.array([3.0, -2.0]), "lr": 0.1, "steps": 5},
                   note="2-D, lr = 0.1"),
        value_case(task, "fixed", "lr=0.5", {"x0": np.array([1.5, -0.5, 2.0]), "lr": 0.5, "steps": 3},
                   note="lr = 0.5 jumps to the minimum x_min = 0 in one step"),
        value_case(task, "fixed", "lr=1.0", {"x0": np.array([1.0, -2.0]), "lr": 1.0, "steps": 4},
                   note="lr = 1 oscillates between x0 and -x0"),
        value_case(task, "boundary", "steps=0", {"x0": np.array([0.7, -0.3]), "lr": 0.3, "steps": 0},
                   note="no step: the trajectory is x0 alone, shape (1, n)"),
        value_case(task, "boundary", "x0=0", {"x0": np.zeros(3), "lr": 0.3, "steps": 4},
                   note="starting at the minimum x_min = 0"),
    ]

    def hidden(rng: np.random.Generator, _: int) -> tuple[dict[str, Any], str]:
        n, steps = int(rng.integers(1, 5)), int(rng.integers(3, 16))
        kwargs = {"x0": rng.uniform(-5.0, 5.0, size=n), "lr": float(rng.uniform(0.05, 0.95)), "steps": steps}
        return kwargs, f"random, n = {n}, {steps} steps"

    cases += hidden_cases(task, rng, range(3), hidden)
    cases.append(value_case(task, "hidden", "medium", {"x0": rng.uniform(-5, 5, 100), "lr": float(rng.uniform(0.05, 0.45)),
                                                        "steps": 99}, note="random, n = 100, 99 steps"))
    return cases


def _gd_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    n, steps = {"tiny": (1, 10), "medium": (10, 1000), "large": (10, 100_000)}[size]
    # a small lr for the long runs: x shrinks by 1 - 2 lr per step and never reaches subnormal numbers
    return {"x0": rng.uniform(-5.0, 5.0, size=n), "lr": 0.3 if size == "tiny" else 1e-4, "steps": steps}


GD_MISTAKES = (
    Mistake("gradient_without_2", "the gradient of x^2 is 2x: x := x - lr * 2x",
            lambda lr, **kw: expected_output("gradient_descent", {**kw, "lr": lr / 2})),
    Mistake("gradient_ascent", "step against the gradient: x := x - lr grad f(x), not x + lr grad f(x)",
            lambda lr, **kw: expected_output("gradient_descent", {**kw, "lr": -lr})),
    Mistake("trajectory_without_x0", "the trajectory starts with x0: it has steps + 1 rows",
            lambda **kw: expected_output("gradient_descent", kw)[1:]),
)


# ---------------------------------------------------------------- chain rule


def _fd_claim(task: Task, x: float, h: float = 1e-6) -> Case:
    shape = template([0.0] * 6)
    calls = [Call("chain_rule_example", {"x": x}), Call("chain_rule_example", {"x": x + h}),
             Call("chain_rule_example", {"x": x - h})]

    def verify(outputs: list[Any]) -> Verdict:
        base, up, down = (need(o, shape, name) for o, name in zip(outputs, ("output", "at x + h", "at x - h"),
                                                                       strict=True))
        fd = (scalar(up[2]) - scalar(down[2])) / (2 * h)
        return compare(base[5], np.array(fd), rtol=FD_RTOL, atol=FD_ATOL,
                       name="dh_dx vs central differences of your h")

    return claim_case(task, "property", "finite-differences", calls, verify,
                      note=f"dh/dx at x = {x} by central differences of your own h")


def _chain_claim(task: Task, x: float) -> Case:
    shape = template([0.0] * 6)

    def verify(outputs: list[Any]) -> Verdict:
        f, g, h, dh_dg, dh_df, dh_dx = (scalar(v) for v in need(outputs[0], shape, "output"))
        links = (("h", h, g * g, "h = g^2"), ("dh_dg", dh_dg, 2 * g, "dh/dg = 2g"),
                 ("dh_df", dh_df, 2 * dh_dg, "dh/df = dh/dg * dg/df = dh/dg * 2"),
                 ("dh_dx", dh_dx, dh_df, "dh/dx = dh/df * df/dx = dh/df * 1"))
        for name, got, want, rule in links:
            v = compare(np.array(got), np.array(want), rtol=1e-12, atol=1e-12, name=f"{name} ({rule})")
            if v.outcome != PASS:
                return v
        return Verdict(PASS)

    return claim_case(task, "property", "chain-rule-links", [Call("chain_rule_example", {"x": x})], verify,
                      note="each backward value is the previous one times a local derivative")


def _chain_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    ref = expected_output("chain_rule_example", {"x": 2.0})
    printed = [ref[0], ref[1], Printed(np.array(36.0), 1.0), Printed(np.array(12.0), 1.0), ref[4],
               Printed(np.array(24.0), 1.0)]
    cases = [value_case(task, "lecture", "x=2", {"x": 2.0}, expected=printed,
                        note="at x = 2: h = 36, dh/dg = 2g = 12, h'(2) = 16 + 8 = 24")]
    cases += [value_case(task, "fixed", f"x={x}", {"x": x}, note=f"h'(x) = 8x + 8 at x = {x}")
              for x in (0.0, 0.5, 3.0, -2.5)]
    cases += [value_case(task, "boundary", "x=-1", {"x": -1.0}, note="x = -1: f = 0, h'(-1) = 0 (the minimum)"),
              value_case(task, "boundary", "x=1e6", {"x": 1e6}, note="a large x")]
    cases += [_chain_claim(task, float(rng.uniform(-5, 5))), _fd_claim(task, float(rng.uniform(-5, 5)))]
    return cases + hidden_cases(task, rng, range(3), lambda rng, _: ({"x": float(rng.uniform(-10.0, 10.0))}, "random x"))


def _inner_missing(x: float, **_: Any) -> list[float]:
    f = x + 1.0
    g = 2.0 * f
    return [f, g, g * g, 2 * g, 2 * g, 2 * g]


CHAIN_MISTAKES = (
    Mistake("chain_without_inner_derivative",
            "chain rule: dh/df = dh/dg * dg/df = 2g * 2; multiply by each inner function's derivative",
            _inner_missing),
)


def tasks() -> list[Task]:
    return [
        make_task("gradient_descent", "optimisation", 2, GD_SLIDE, _gd_cases, _gd_speed, mistakes=GD_MISTAKES,
                  description="trajectory of x := x - lr 2x on f(p) = sum(p^2)"),
        make_task("chain_rule_example", "graph", 2, GRAPH_SLIDE, _chain_cases,
                  lambda rng, size: {"x": float(rng.uniform(-5.0, 5.0))}, sizes=("tiny",),
                  mistakes=CHAIN_MISTAKES, description="f = x + 1, g = 2f, h = g^2, forward and backward"),
    ]
