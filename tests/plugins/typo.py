"""A plugin with a misspelled hook name: a usage error that names it."""

from __future__ import annotations

import numpy as np

from harness import hookimpl


@hookimpl
def sigmod(z):
    return 1.0 / (1.0 + np.exp(-z))
