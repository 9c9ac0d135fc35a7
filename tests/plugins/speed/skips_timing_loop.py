"""Correct relu, but it rewrites the harness's timing loop in its own process
so that a block of N calls makes only one: its speed must be voided."""

from __future__ import annotations

import sys

import numpy as np

from harness import hookimpl

_bench = sys.modules["harness.worker.bench"].Bench  # the worker's timing loop, loaded before the plugin
_real_run = _bench.run
_bench.run = lambda self, number, fresh=True: _real_run(self, min(number, 1), fresh)


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
