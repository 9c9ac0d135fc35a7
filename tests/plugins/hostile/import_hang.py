"""Hostile: blocks forever at import, deaf to SIGTERM/SIGINT.

Expect: every case "error" (import failed: not imported within start_seconds).
"""

from __future__ import annotations

import signal
import time

import numpy as np

from harness import hookimpl

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, signal.SIG_IGN)


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


time.sleep(10_000)
