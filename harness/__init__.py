"""Grading and benchmark harness for neural-network course work: plugins graded against a reference.

Plugins mark their hook functions with :data:`hookimpl`, each named after a
hook of the course's contract (``harness list`` shows them)::

    from harness import hookimpl

    @hookimpl
    def name_of_a_hook(z):
        ...

The engine knows no course: it reaches the one it grades (Lecture 1 by
default) through :mod:`harness.course`. docs/architecture.md has the stages.
"""

from __future__ import annotations

import pluggy

PROJECT = "harness"
__version__ = "0.1.0"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "__version__", "hookimpl", "hookspec"]
