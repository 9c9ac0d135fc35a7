"""Cheating: reads the files beside the worker's own: the harness's grading code, the tasks, the contract.

relu reads harness/grading/runner.py, sigmoid the course's tasks/__init__.py: both refused. tanh reads
what the worker runs (harness/worker/serve.py, harness/codec.py) and the course's contract file: allowed,
and it answers right.
"""

import os

import numpy as np

import harness
from harness import hookimpl

_HARNESS = os.path.dirname(harness.__file__)
_ROOT = os.path.dirname(_HARNESS)


def _read(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


@hookimpl
def relu(z):
    _read(_HARNESS, "grading", "runner.py")
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    _read(_ROOT, "tasks", "__init__.py")
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    assert "def main" in _read(_HARNESS, "worker", "serve.py") and _read(_HARNESS, "codec.py")
    assert "def sigmoid" in _read(_ROOT, "contract", "__init__.py")
    return np.tanh(z)
