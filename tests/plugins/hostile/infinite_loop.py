"""Hostile: sigmoid ignores SIGTERM/SIGINT/SIGHUP and loops forever. Expect: timeout."""

from __future__ import annotations

import signal

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass


@hookimpl
def tanh(z):
    return np.tanh(z)
