"""Hostile: sigmoid tries to lift its memory limit, then allocates 8 GiB.

tanh forks 8 children that each fill 300 MiB (2.4 GiB together, each under the
per-process limit). Expect: error naming the memory limit for sigmoid; for
tanh, the worker's memory cgroup keeps all its processes together under the
limit (children are killed), and the hook reports what it saw as an error.
"""

from __future__ import annotations

import os
import resource
import signal
import time

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    try:  # a root worker with CAP_SYS_RESOURCE could do this: capabilities are dropped
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass
    hog = np.ones(1 << 30)  # 8 GiB
    return hog[: z.size].reshape(z.shape)


def _child() -> None:
    try:
        block = np.ones(300 * 1024 * 1024 // 8)
        block += 1.0
        time.sleep(1.0)
    finally:
        os._exit(0)


@hookimpl
def tanh(z):
    pids = []
    for _ in range(8):
        pid = os.fork()
        if pid == 0:
            _child()
        pids.append(pid)
    killed = sum(os.waitpid(pid, 0)[1] & 0x7F == signal.SIGKILL for pid in pids)
    if killed:
        raise MemoryError(f"{killed} of my 8 children were killed")
    return np.tanh(z)
