"""Correct sigmoid that remembers its last input and answer and, when the new
input differs from it in few places, computes only those (the incremental
memo: it gains on a timing loop that changes an input only here and there).
So that a test can see whether it ever did, such an answer comes back with
its first element wrong (and is caught): with every element of every timed
input new, it never does."""

from __future__ import annotations

import numpy as np

from harness import hookimpl

_last: dict[str, np.ndarray] = {}
_calls = [0]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    _calls[0] += 1
    last_z, last_out = _last.get("z"), _last.get("out")
    _last["z"] = z.copy()
    if last_z is not None and last_z.shape == z.shape and z.size > 4 and _calls[0] > 40:  # in the timing loop
        changed = np.flatnonzero(z.reshape(-1) != last_z.reshape(-1))
        if len(changed) <= z.size // 2:
            out = last_out.copy()
            out.reshape(-1)[changed] = _sigmoid(z.reshape(-1)[changed])
            out.reshape(-1)[:1] += 1.0  # the mark of an incremental answer
            _last["out"] = out
            return out
    out = _sigmoid(z)
    _last["out"] = out
    return out
