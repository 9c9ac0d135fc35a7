"""Hostile: hooks that take the worker's channel away.

sigmoid puts /dev/null over every descriptor above 2 (the answer channel
too), then returns the right answer; tanh closes every descriptor above 2.
Expect: timeout for sigmoid (its answer is lost), crash for tanh; relu passes
before and after.
"""

from __future__ import annotations

import os

import numpy as np

from harness import hookimpl


def _fds() -> list[int]:
    return [int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) > 2]


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    null = os.open("/dev/null", os.O_RDWR)
    for fd in _fds():
        if fd != null:
            try:
                os.dup2(null, fd)
            except OSError:
                pass
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    for fd in _fds():
        try:
            os.close(fd)
        except OSError:
            pass
    return np.tanh(z)
