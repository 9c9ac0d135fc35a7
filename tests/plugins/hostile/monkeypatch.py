"""Hostile: patches numpy, the harness, the reference and the clock in its own process.

At import it replaces numpy.allclose/array_equal/isclose/testing, the
harness's compare, codec and model helpers, the reference's sigmoid, and
time.perf_counter/monotonic/time, so that everything says "equal" and
"instant". sigmoid then returns a wrong answer (z itself). Expect: fail for
sigmoid (judged on the trusted side); relu and tanh pass.
"""

from __future__ import annotations

import time

import numpy as np

import harness.codec
from harness import hookimpl

try:  # the grading code cannot be imported in the worker: patch it where it can be
    import harness.grading.compare
    import harness.grading.model
    import reference

    grading = harness.grading
except ImportError:
    grading = reference = None


def _yes(*args, **kwargs):
    return True


def _pass(*args, **kwargs):
    return grading.model.Verdict(grading.model.PASS)


np.allclose = np.array_equal = _yes
np.isclose = lambda a, b, *args, **kwargs: np.ones_like(np.asarray(a), dtype=bool)
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
if grading is not None:
    grading.compare.compare = grading.compare._compare_leaf = _pass
    grading.compare.value_judge = lambda *a, **k: _pass
if reference is not None:
    reference.sigmoid = lambda z: z
harness.codec.as_float64 = lambda value: value
time.perf_counter = time.monotonic = time.time = lambda: 0.0


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    return z.copy()


@hookimpl
def tanh(z):
    return np.tanh(z)
