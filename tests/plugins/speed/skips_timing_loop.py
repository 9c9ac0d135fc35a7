"""Correct relu, but it rewrites the harness's timing loop in its own process
so that a block of N calls makes only one: its speed must be voided."""

from __future__ import annotations

import sys

import numpy as np

from harness import hookimpl

_worker = sys.modules["__main__"]  # the worker runs as ``python -m harness.worker.serve``
_real_bench = _worker.Worker.bench
_worker.Worker.bench = lambda self, number, *args, **kwargs: _real_bench(self, min(number, 1), *args, **kwargs)


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
