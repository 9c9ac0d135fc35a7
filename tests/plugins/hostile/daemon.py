"""Hostile: processes that try to outlive grading.

At import, and in sigmoid, a child leaves the session (setsid), forks again
and becomes a sleeping program whose command line holds $HOSTILE_MARKER
(SIGTERM/SIGHUP ignored). sigmoid then returns the right answer; relu_grad
then sleeps for ten minutes (to be caught busy). Expect: sigmoid passes, and
no process with the marker survives the end of grading, even when the
grading process itself is killed.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from harness import hookimpl

_SLEEPER = "import signal, time; [signal.signal(s, signal.SIG_IGN) for s in (1, 2, 15)]; time.sleep(600)"


def _daemon(tag: str) -> None:
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            marker = os.environ.get("HOSTILE_MARKER", "hostile-marker")
            os.execv(sys.executable, [sys.executable, "-c", _SLEEPER, marker, tag])
        os._exit(0)
    os.waitpid(pid, 0)


_daemon("import")


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    _daemon("sigmoid")
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    return np.tanh(z)


@hookimpl
def relu_grad(z):
    _daemon("relu_grad")
    time.sleep(600)
    return (z > 0).astype(float)
