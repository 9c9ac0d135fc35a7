"""The discrete perceptron: k parallel step units and Rosenblatt's online rule.

Points: ``perceptron_predict`` 2, ``perceptron_train`` 3 (an online training
loop). Tolerance: exact (rtol 0, atol 0): outputs are 0/1, error counts are
whole numbers, and the updates W += lr (y - y_hat) x^T add the same terms in
the same order in every correct implementation.

Boundary cases: z = T exactly (the step is strict: step(T) = 0), zero
epochs. Properties (the lecture's claims): on linearly separable data the
rule reaches an epoch without errors and stays there, and the final weights
classify every sample; on XOR no epoch is ever free of errors.
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
from tasks import mistakes as M
from tasks.elementwise import public_rng

SLIDE = "Perceptron (1958 - Rosenblatt - Discrete Perceptron); Single-Layer Perceptron"
GATES_X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
AND, OR, XOR = np.array([[0.0, 0.0, 0.0, 1.0]]), np.array([[0.0, 1.0, 1.0, 1.0]]), np.array([[0.0, 1.0, 1.0, 0.0]])


def _teacher_data(rng: np.random.Generator, k: int, n: int, m: int, margin: float = 0.0) -> dict[str, np.ndarray]:
    """Samples labelled by k random perceptrons (separable), at least ``margin`` from each boundary."""
    W, b = rng.normal(size=(k, n)), rng.normal(0.0, 0.3, size=(k, 1))
    X = rng.uniform(-1.0, 1.0, size=(n, 4 * m))
    z = (W @ X + b) / np.linalg.norm(W, axis=1, keepdims=True)
    keep = np.flatnonzero(np.all(np.abs(z) > margin, axis=0))[:m]
    return {"X": X[:, keep], "Y": (z[:, keep] > 0).astype(np.float64)}


def _predict_data(rng: np.random.Generator, k: int, n: int, m: int) -> dict[str, Any]:
    return {"W": rng.normal(size=(k, n)), "b": rng.normal(size=(k, 1)), "X": rng.uniform(-2.0, 2.0, size=(n, m)),
            "threshold": float(rng.uniform(-1.0, 1.0))}


def _train_data(rng: np.random.Generator, k: int, n: int, m: int, epochs: int) -> dict[str, Any]:
    data = _teacher_data(rng, k, n, m)
    return {**data, "W0": rng.normal(0.0, 0.5, size=(k, n)), "b0": rng.normal(0.0, 0.5, size=(k, 1)),
            "lr": float(rng.uniform(0.1, 1.0)), "epochs": epochs, "threshold": float(rng.uniform(-0.5, 0.5))}


def _gates(Y: np.ndarray, lr: float = 1.0, epochs: int = 6, threshold: float = 0.0) -> dict[str, Any]:
    k = Y.shape[0]
    return {"X": GATES_X, "Y": Y, "W0": np.zeros((k, 2)), "b0": np.zeros((k, 1)), "lr": lr, "epochs": epochs,
            "threshold": threshold}


# -------------------------------------------------------- perceptron_predict


def _predict_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    and_or = {"W": np.ones((2, 2)), "b": np.array([[-1.5], [-0.5]]), "X": GATES_X, "threshold": 0.0}
    cases = [
        value_case(task, "fixed", "and-or", and_or, note="two parallel perceptrons: AND and OR of two inputs"),
        value_case(task, "fixed", "k=1", _predict_data(public, 1, 2, 6), note="one perceptron, 2 inputs, 6 samples"),
        value_case(task, "fixed", "k=3", _predict_data(public, 3, 4, 5), note="3 parallel perceptrons, 4 inputs"),
        value_case(task, "boundary", "z=T", {"W": np.ones((1, 2)), "b": np.array([[1.0]]), "X": GATES_X,
                                             "threshold": 2.0},
                   note="z = W x + b = T = 2 for two samples: step(T) = 0 (strict z > T)"),
        value_case(task, "boundary", "z=T=1", {"W": np.array([[1.0, 1.0], [2.0, -1.0]]), "b": np.array([[0.5], [0.0]]),
                                               "X": GATES_X, "threshold": 1.0},
                   note="T = 1 and a bias: z = T gives 0"),
        value_case(task, "boundary", "no-samples", {**_predict_data(public, 2, 3, 0)}, note="m = 0: shape (k, 0)"),
    ]
    return cases + hidden_cases(task, rng, ((1, 3, 8), (2, 2, 9), (4, 3, 5), (10, 100, 100)), lambda rng, s: (
        _predict_data(rng, *s), "random, k = {}, n = {}, m = {}".format(*s)))


def _predict_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    k, n, m = {"tiny": (1, 2, 4), "medium": (10, 100, 100), "large": (10, 100, 10_000)}[size]
    return _predict_data(rng, k, n, m)


PREDICT_MISTAKES = (
    Mistake("forgot_bias", "the bias is missing: y_hat = step(W x + b)",
            lambda b, **kw: expected_output("perceptron_predict", {**kw, "b": np.zeros_like(b)})),
    Mistake("step_inclusive", "the step is 1 only if z > T (strict), so z = T gives 0, not 1",
            lambda W, b, X, threshold, **_: np.where(np.asarray(W) @ X + b >= threshold, 1.0, 0.0)),
)


# ---------------------------------------------------------- perceptron_train


def _separable_claim(task: Task, kwargs: dict[str, Any]) -> Case:
    shape = template(expected_output(task.hook, kwargs))

    def verify(outputs: list[Any]) -> Verdict:
        W, b, errors = need(outputs[0], shape, "output")
        zero = np.flatnonzero(errors == 0)
        if zero.size == 0:
            return Verdict(FAIL, f"on linearly separable data the perceptron must reach an epoch without errors "
                                 f"within {errors.size} epochs; errors went {errors[:8].tolist()} ...")
        if np.any(errors[zero[0]:] != 0):
            return Verdict(FAIL, f"after an epoch without errors (epoch {zero[0]}) nothing changes, so every later "
                                 f"epoch has no errors either; got errors {errors.tolist()}")
        got = expected_output("perceptron_predict", {"W": W, "b": b, "X": kwargs["X"], "threshold": kwargs["threshold"]})
        wrong = int(np.count_nonzero(got != kwargs["Y"]))
        if wrong:
            return Verdict(FAIL, f"the trained W, b misclassify {wrong} sample outputs of the separable data")
        return Verdict(PASS)

    return claim_case(task, "property", "separable-converges", [Call(task.hook, kwargs)], verify,
                      note="linearly separable data: an epoch with 0 errors is reached, and the result separates it")


def _xor_claim(task: Task) -> Case:
    kwargs = _gates(XOR, epochs=25)
    shape = template(expected_output(task.hook, kwargs))

    def verify(outputs: list[Any]) -> Verdict:
        errors = need(outputs[0], shape, "output")[2]
        if np.all(errors > 0):
            return Verdict(PASS)
        e = int(np.flatnonzero(errors <= 0)[0])
        return Verdict(FAIL, f"XOR is not linearly separable: no epoch can be free of errors, but errors[{e}] = "
                             f"{errors[e]:g}")

    return claim_case(task, "property", "xor-never-separates", [Call(task.hook, kwargs)], verify,
                      note="XOR is not linearly separable: every epoch has errors (Minsky 1969)")


def _train_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    separable = {**_teacher_data(public, 1, 2, 24, margin=0.15), "W0": np.zeros((1, 2)), "b0": np.zeros((1, 1)),
                 "lr": 1.0, "epochs": 60, "threshold": 0.0}
    cases = [
        value_case(task, "fixed", "and", _gates(AND), note="AND of two inputs from zero weights, lr = 1, T = 0"),
        value_case(task, "fixed", "and+or", _gates(np.vstack([AND, OR]), lr=0.5, epochs=8, threshold=0.5),
                   note="AND and OR in parallel, lr = 0.5, T = 0.5: errors count wrong outputs of both"),
        value_case(task, "fixed", "k=2-teacher", _train_data(public, 2, 3, 10, 4), note="2 perceptrons, 3 inputs"),
        value_case(task, "boundary", "epochs=0", {**_gates(OR), "epochs": 0},
                   note="no epoch: W0, b0 and an empty errors array"),
        value_case(task, "boundary", "z=T", _gates(OR, epochs=3, threshold=0.0),
                   note="zero weights give z = T = 0: step(T) = 0, so the first sample with y = 1 is an error"),
        _separable_claim(task, separable),
        _xor_claim(task),
    ]
    return cases + hidden_cases(task, rng, ((1, 2, 8, 5), (2, 3, 10, 4), (3, 4, 12, 3), (5, 10, 200, 3)), lambda rng, s: (
        _train_data(rng, *s), "random, k = {}, n = {}, m = {}, {} epochs".format(*s)))


def _train_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    if size == "tiny":
        return _gates(AND, epochs=10)
    k, n, m, epochs = {"medium": (5, 10, 200, 5), "large": (10, 100, 10_000, 2)}[size]
    return _train_data(rng, k, n, m, epochs)


def _train(**switches: Any) -> Any:
    def wrong(X: Any, Y: Any, W0: Any, b0: Any, lr: float, epochs: int, threshold: float, **_: Any) -> list[Any]:
        return list(M.perceptron_train(X, Y, W0, b0, lr, epochs, threshold, **switches))

    return wrong


TRAIN_MISTAKES = (
    Mistake("batch_update", "Rosenblatt's rule is online: update W and b after each sample (in column order), "
            "not once per epoch from all samples", _train(batch=True)),
    Mistake("bias_not_updated", "update the bias too: b += lr (y - y_hat)", _train(update_bias=False)),
    Mistake("errors_count_samples", "errors[e] counts wrong outputs (over all k rows), not wrong samples",
            _train(count="samples")),
)


def tasks() -> list[Task]:
    return [
        make_task("perceptron_predict", "perceptron", 2, SLIDE, _predict_cases, _predict_speed, rtol=0.0, atol=0.0,
                  mistakes=PREDICT_MISTAKES, description="step(W X + b, T), strict z > T"),
        make_task("perceptron_train", "perceptron", 3, SLIDE, _train_cases, _train_speed, rtol=0.0, atol=0.0,
                  mistakes=TRAIN_MISTAKES, description="Rosenblatt's online rule; errors per epoch",
                  curve=(2, "errors")),
    ]
