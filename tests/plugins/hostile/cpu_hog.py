"""Hostile: sigmoid burns CPU in four threads. Expect: crash, CPU-time limit."""

from __future__ import annotations

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
