"""Hostile: sigmoid hunts for the expected values instead of computing them.

It walks every frame of its stack and every object the garbage collector
knows, and tries to read the memory and environment of the grading process
(found through /proc). It returns the first float64 array of the right shape
that is not its input, else zeros. Expect: fail (the expected values never
enter the worker; the grading process's memory is out of reach); relu passes.
"""

from __future__ import annotations

import gc
import os
import sys

import numpy as np

from harness import hookimpl


def _from_stack(z: np.ndarray) -> list[np.ndarray]:
    found, frame = [], sys._getframe()
    while frame is not None:
        found += [v for v in frame.f_locals.values() if isinstance(v, np.ndarray)]
        frame = frame.f_back
    return found


def _from_gc() -> list[np.ndarray]:
    found = []
    for obj in gc.get_objects():  # arrays are not tracked themselves: look inside containers
        values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list | tuple) else ()
        found += [v for v in values if isinstance(v, np.ndarray)]
    return found


def _grader_memory() -> list[str]:
    """Try to open the memory of every process outside this sandbox (it must fail)."""
    opened = []
    try:
        pids = os.listdir("/proc")
    except OSError:  # the process list itself is not readable
        pids = ["1", str(os.getppid()), *map(str, range(2, 400))]
    for pid in filter(str.isdigit, pids):
        for name in ("mem", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    f.read(1)
                opened.append(f"{pid}/{name}")
            except OSError:
                pass
    return opened


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    me = os.readlink("/proc/self")  # this process's number as /proc counts
    opened = [p for p in _grader_memory() if not p.startswith(f"{me}/")]
    if opened:
        raise PermissionError(f"could open another process's memory: {opened[:5]}")
    for candidate in _from_stack(z) + _from_gc():
        if candidate.shape == z.shape and candidate.dtype == np.float64 and not np.array_equal(candidate, z):
            return candidate.copy()
    return np.zeros(z.shape)
