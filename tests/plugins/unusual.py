"""Correct but unusual: lists instead of arrays, a naive sigmoid that warns,
np.maximum for LeakyReLU, a NamedTuple, 1-element arrays for scalars.
It must score 100% on the hooks it implements."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from harness import hookimpl


@hookimpl
def sigmoid(z):
    return (1.0 / (1.0 + np.exp(-np.asarray(z)))).tolist()  # overflows at z = -1e3: a note


@hookimpl
def leaky_relu(z, alpha):
    return np.maximum(alpha * np.asarray(z), z)


@hookimpl
def chain_rule_example(x):
    f = np.array([x + 1.0])
    g = 2 * f
    return [f, g, g**2, 2 * g, 4 * g, 4 * g]


class Step(NamedTuple):
    cost: np.ndarray
    dw: list
    db: np.ndarray
    w_new: np.ndarray
    b_new: float


@hookimpl
def logistic_regression_step(w, b, X, y, lr):
    m = X.shape[1]
    a = 1.0 / (1.0 + np.exp(-(w.T @ X + b)))
    cost = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    dz = a - y
    dw = X @ dz.T / m
    db = np.array([[dz.sum() / m]])
    return Step(np.array([cost]), dw.tolist(), db, w - lr * dw, float(b - lr * db[0, 0]))
