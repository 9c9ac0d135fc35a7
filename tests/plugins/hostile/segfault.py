"""Hostile: sigmoid dereferences NULL. Expect: crash naming SIGSEGV."""

from __future__ import annotations

import ctypes

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    ctypes.string_at(0)
    return z


@hookimpl
def tanh(z):
    return np.tanh(z)
