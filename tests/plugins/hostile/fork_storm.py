"""Hostile: sigmoid forks without end (every child forks too).

Expect: the pids cgroup caps the storm (fork fails), the case times out, and
every process of the storm is gone after grading; relu and tanh still pass.
"""

from __future__ import annotations

import os

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    while True:
        try:
            os.fork()
        except OSError:
            pass


@hookimpl
def tanh(z):
    return np.tanh(z)
