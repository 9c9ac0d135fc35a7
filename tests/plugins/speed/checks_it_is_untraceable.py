"""Correct relu, as long as its process is non-dumpable (no process of the same
user can read its memory or ptrace it): a speed task's fork is dumpable until
the grading side has opened its memory, and never while plugin code runs."""

from __future__ import annotations

import ctypes

import numpy as np

from harness import hookimpl

_prctl = ctypes.CDLL(None).prctl
_PR_GET_DUMPABLE = 3


@hookimpl
def relu(z):
    if _prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
        return np.full_like(z, -1.0)  # wrong: called in a process others could read
    return np.maximum(z, 0.0)
