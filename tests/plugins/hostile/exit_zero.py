"""Hostile: sigmoid ends its process with status 0; tanh calls sys.exit(0).

Expect: crash ("exited with status 0") for sigmoid, error (SystemExit) for tanh.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    os._exit(0)


@hookimpl
def tanh(z):
    sys.exit(0)
