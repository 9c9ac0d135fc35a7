"""Correct relu with a thread that works whenever it can, as a plugin
precomputing answers in the background would: all its work is charged (the
plugin is frozen outside its timed windows, and the whole window is timed),
so it must not earn the full speed points."""

from __future__ import annotations

import threading

import numpy as np

from harness import hookimpl


def _work() -> None:
    x = np.ones(4096)
    while True:
        x = np.sqrt(x + 1.0)


threading.Thread(target=_work, daemon=True).start()


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
