"""Correct relu that takes 3 s on a million elements: stopped, "slower than"."""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    if np.size(z) >= 10**6:
        time.sleep(3.0)
    return np.maximum(z, 0.0)
