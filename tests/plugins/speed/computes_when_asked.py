"""Correct relu whose timed loop does no work on large inputs: it commits
made-up fingerprints for the block and computes an output only when the
harness asks for it after the block (the lazy cheater; honest on small
inputs, whose outputs are committed whole). What it later shows does not
match what it committed."""

from __future__ import annotations

import sys

import numpy as np

from harness import hookimpl

_bench = sys.modules["harness.worker.bench"].Bench  # the worker's timing loop, loaded before the plugin
_real = {name: getattr(_bench, name) for name in ("run", "commit", "show")}


def _lazy(self) -> bool:
    return self.shape is not None and int(np.prod(self.shape)) > 1024


def _run(self, number, fresh=True):
    if not _lazy(self) or number == 0:
        return _real["run"](self, number, fresh)
    self.kept = [None] * number
    return number


def _commit(self, whole=True, prints=True):
    if not _lazy(self):
        return _real["commit"](self, whole, prints)
    return {"fingerprints": np.zeros((len(self.kept), 2)).tobytes().hex(), "bytes": 8 * int(np.prod(self.shape))}


def _show(self, indices):
    if _lazy(self):
        for i in indices:
            self.kept[i] = np.maximum(self.calls[i]["z"], 0.0)
    return _real["show"](self, indices)


_bench.run, _bench.commit, _bench.show = _run, _commit, _show


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
