"""Correct relu in a worker that says a process number no fork of its has, so
the grading side cannot open its memory (a plugin could as well keep its
fork non-dumpable): where the reference's memory can be read, the outputs
of its timed calls are not asked of it instead (a lazy plugin would compute
them then), its speed is voided."""

from __future__ import annotations

import os

import numpy as np

from harness import hookimpl

os.getpid = lambda: 99_999  # what the task's fork answers the grading side


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
