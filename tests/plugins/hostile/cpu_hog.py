"""Hostile: hooks that burn CPU without end.

sigmoid burns CPU in four threads. relu_grad lifts its soft CPU-time limit to
the hard one, then burns in itself and two forked children (each under its
own per-process limit). Expect: crash, CPU-time limit, for both (relu_grad's
names all the plugin's processes together); relu and tanh pass.
"""

from __future__ import annotations

import os
import resource
import threading

import numpy as np

from harness import hookimpl


def _burn() -> None:
    x = 0
    while True:
        x += 1


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    for _ in range(3):
        threading.Thread(target=_burn, daemon=True).start()
    _burn()


@hookimpl
def tanh(z):
    return np.tanh(z)


@hookimpl
def relu_grad(z):
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    for _ in range(2):
        if os.fork() == 0:
            _burn()
    _burn()
