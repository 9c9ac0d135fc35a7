"""Correct but slow: every relu call burns about 0.6 s of CPU time first; tanh is quick."""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    end = time.process_time() + 0.6
    while time.process_time() < end:
        pass
    return np.maximum(z, 0.0)


@hookimpl
def tanh(z):
    return np.tanh(z)
