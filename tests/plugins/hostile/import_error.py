"""Hostile: raises at import. Expect: every case "error", naming the plugin's own message."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


raise RuntimeError("hostile plugin refuses to load: 42")
