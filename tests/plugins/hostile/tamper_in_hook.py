"""Hostile: relu leaves its process in a mess, then returns the right answer.

On its first call relu replaces numpy's tanh, exp, maximum and where and the
harness's codec helpers with wrong ones, changes directory, fills the
environment, sets a tiny recursion limit, leaves a thread that keeps undoing
any repair and a child process that sleeps. Every other hook is right (the
test adds the bundled numpy plugin's). Expect: relu's own task fails (its
worker can no longer write an answer), and no other task sees any of it.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

from harness import codec, hookimpl

_done = []


def _wrong(*args, **kwargs):
    return np.zeros(np.shape(args[0])) if args else 0.0


def _mess() -> None:
    for name in ("tanh", "exp", "maximum", "where", "cosh", "log1p", "logaddexp"):
        setattr(np, name, _wrong)
    codec.as_float64 = _wrong
    codec.write = lambda path, value: None
    os.chdir("/")
    os.environ["OMP_NUM_THREADS"] = "64"
    sys.setrecursionlimit(60)


def _keep_messing() -> None:
    while True:
        _mess()
        time.sleep(0.001)


@hookimpl
def relu(z):
    out = np.array(z, dtype=float, copy=True)
    out[out < 0] = 0.0
    if not _done:
        _done.append(True)
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        threading.Thread(target=_keep_messing, daemon=True).start()
        _mess()
    return out
