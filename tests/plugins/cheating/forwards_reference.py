"""Cheating: forwards every hook to the reference solution."""

import reference as r
from harness import hookimpl


@hookimpl
def sigmoid(z):
    return r.sigmoid(z)


@hookimpl
def relu(z):
    return r.relu(z)
