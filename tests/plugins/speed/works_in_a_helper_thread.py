"""Correct relu computed by a helper thread: the hook hands its input over and
waits for the answer, so its own thread does almost nothing. The helper's CPU
time is the plugin's (the clock is its cgroup's: every process and thread)."""

from __future__ import annotations

import os
import queue
import threading

import numpy as np

from harness import hookimpl

_helper: dict[int, queue.Queue] = {}  # by process: a forked worker has no thread of its parent's


def _serve(asks: queue.Queue) -> None:
    while True:
        z, answer = asks.get()
        answer.put(np.maximum(z, 0.0))


@hookimpl
def relu(z):
    asks = _helper.get(os.getpid())
    if asks is None:
        asks = _helper[os.getpid()] = queue.Queue()
        threading.Thread(target=_serve, args=(asks,), daemon=True).start()
    answer: queue.Queue = queue.Queue(maxsize=1)
    asks.put((z, answer))
    return answer.get()
