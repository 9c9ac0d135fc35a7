"""Hostile: forges the worker's answers.

sigmoid writes megabytes of forged answer lines ("pass"-looking results, for
past, present and future request ids, and a forged hello) to stdout, stderr
and every descriptor it can find in /proc/self/fd, then returns a wrong
answer (zeros). tanh finds the id of the request it is serving on the stack,
answers it itself (claiming "ok") and writes its own output file with wrong
values, waits, then returns the right answer. Expect: nothing better than their real
answers (sigmoid: fail or invalid output; tanh: fail); relu, graded right
after each, passes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from harness import codec, hookimpl

OK = {"status": "ok", "seconds": 0.0, "warnings": [], "mutated": []}


def _lines(ids: list) -> bytes:
    out = [{"type": "hello", "hooks": ["relu", "sigmoid", "tanh"], "notes": [], "unmarked": []}]
    out += [{"id": i, "results": [OK], "path": "/dev/null"} for i in ids]
    return ("\n".join(json.dumps(m) for m in out) + "\n").encode()


def _fds() -> list[int]:
    return [int(fd) for fd in os.listdir("/proc/self/fd")]


def _request_id() -> str:
    frame = sys._getframe()
    while frame is not None:
        req = frame.f_locals.get("req")
        if isinstance(req, dict) and "id" in req:
            return req["id"]
        frame = frame.f_back
    raise LookupError("no request on the stack")


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    blob = _lines([*range(0, 50), *(f"{i}-{'0' * 16}" for i in range(50))]) * 200  # about 3 MB
    for fd in _fds():
        try:
            os.write(fd, blob)
        except OSError:
            pass
    return np.zeros(z.shape)


@hookimpl
def tanh(z):
    rid = _request_id()
    codec.write(Path(f"../out/out-{rid}.npz"), [np.full(z.shape, 0.25)])
    line = (json.dumps({"id": rid, "results": [OK], "path": "forged"}) + "\n").encode()
    for fd in _fds():
        if fd > 2:
            try:
                os.write(fd, line)
            except OSError:
                pass
    time.sleep(0.3)  # let the grading side read the forged file before the worker's own
    return np.tanh(z)
