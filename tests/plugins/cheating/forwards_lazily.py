"""Cheating: imports the reference inside one hook; its other hook is its own work."""

import numpy as np

from harness import hookimpl


@hookimpl
def sigmoid(z):
    import importlib

    return importlib.import_module("reference").sigmoid(z)


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)
