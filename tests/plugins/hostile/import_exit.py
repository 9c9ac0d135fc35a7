"""Hostile: ends its process with status 0 at import. Expect: every case "error" (import failed)."""

from __future__ import annotations

import os

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


os._exit(0)
