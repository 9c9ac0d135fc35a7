"""Correct relu with a background thread that works only while relu is not
being called: between the timed blocks, as a plugin precomputing answers
would. That work is charged, so it must not earn the full speed points."""

from __future__ import annotations

import threading
import time

import numpy as np

from harness import hookimpl

_last_call = [0.0]


def _work_between_calls() -> None:
    x = np.ones(4096)
    while True:
        if time.monotonic() - _last_call[0] < 0.001:
            time.sleep(0.0002)
            continue
        for _ in range(50):
            x = np.sqrt(x + 1.0)


threading.Thread(target=_work_between_calls, daemon=True).start()


@hookimpl
def relu(z):
    _last_call[0] = time.monotonic()
    return np.maximum(z, 0.0)
