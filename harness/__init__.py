"""Grading and benchmark harness for Lecture 1 of "Neural Networks".

Plugins mark their hook functions with :data:`hookimpl`::

    from harness import hookimpl

    @hookimpl
    def sigmoid(z):
        ...
"""

from __future__ import annotations

import pluggy

PROJECT = "harness"
__version__ = "0.1.0"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "__version__", "hookimpl", "hookspec"]
