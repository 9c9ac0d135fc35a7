"""Correct relu whose timed loop does no work: it answers made-up results for
the block and computes an output only when the harness asks for it after the
block (the lazy cheater). Its answers do not match what it later shows."""

from __future__ import annotations

import sys

import numpy as np

from harness import hookimpl

_worker = sys.modules["__main__"]  # the worker runs as ``python -m harness.worker.serve``
_real_bench = _worker.Worker.bench


def _lazy_bench(self, number, seed=0):
    if number == 0:
        return _real_bench(self, 0)
    self.kept = [None] * number
    made_up = np.zeros((number, 2))
    return {"status": "ok", "fingerprints": made_up.tobytes().hex()}


def _reveal(self, indices):
    hook, kwargs = self.staged
    return [np.maximum(kwargs["z"], 0.0) for _ in indices]


_worker.Worker.bench = _lazy_bench
_worker.Worker.reveal = _reveal


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
