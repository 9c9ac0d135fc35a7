"""Correct relu whose first call in a process spends 80 ms of CPU (as loading
compiled kernels does): a long first call, short calls after it."""

from __future__ import annotations

import time

import numpy as np

from harness import hookimpl

_loaded = False


@hookimpl
def relu(z):
    global _loaded
    if not _loaded:
        _loaded = True
        end = time.thread_time() + 0.08
        while time.thread_time() < end:
            pass
    return np.maximum(np.asarray(z, dtype=float), 0.0)
