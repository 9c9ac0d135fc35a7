"""Correct relu that spends 3 ms of CPU a call on 10^4 elements (hundreds of
times the reference's time: no speed points there) and 30 s on 10^6: its
first call at the large size is stopped at the call budget ("slower than"),
not at the case's time limit."""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    z = np.asarray(z, dtype=float)
    spend = 30.0 if z.size >= 100_000 else 0.003 if z.size >= 1000 else 0.0
    end = time.thread_time() + spend
    while time.thread_time() < end:
        pass
    return np.maximum(z, 0.0)
