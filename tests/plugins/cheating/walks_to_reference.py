"""Cheating: finds the reference's source through harness.__file__ and runs it."""

import os
import types

import harness
from harness import hookimpl

_ROOT = os.path.dirname(os.path.dirname(harness.__file__))


def _load(name):
    path = os.path.join(_ROOT, "reference", name)
    mod = types.ModuleType("stolen")
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), mod.__dict__)
    return mod


@hookimpl
def relu(z):
    return _load("activations.py").relu(z)
