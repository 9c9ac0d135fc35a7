"""Cheating: tries to carry every case's inputs out through what it prints, raises and returns."""

import sys
import warnings

from harness import hookimpl


@hookimpl
def relu(z):
    print("LEAK-STDOUT", repr(z.tolist()))
    print("LEAK-STDERR", repr(z.tolist()), file=sys.stderr)
    warnings.warn("LEAK-WARN " + repr(z.tolist()), stacklevel=1)
    raise ValueError("LEAK-RAISE " + repr(z.tolist()))


@hookimpl
def sigmoid(z):
    raise type("LEAK_" + str(abs(int(z.ravel()[0] * 1000))) if z.size else "LEAK", (Exception,), {})("x")


@hookimpl
def tanh(z):
    return z  # wrong: the message "got ..." would show an input
