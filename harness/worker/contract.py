"""The course's contract in the worker: read from the file the grading side names, never imported by name.

A contract is a module of ``@hookspec`` functions (one per hook, documented)
and an ``OUTPUTS`` table: the positional outputs of the hooks that return a
tuple (a name ending in ``*`` is a list of ``(W, b)`` pairs). The worker may
read that one file of the course (its access list names it), executes it as
``harness.hookspecs`` (what a plugin imports to see the contract) and builds
the plugin manager from it. The trusted side uses the same helpers on the
contract it gets from :mod:`harness.course`.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import harness
from harness import PROJECT

#: The name a plugin imports the contract by (``from harness import hookspecs``).
ALIAS = "harness.hookspecs"


def exec_file(name: str, path: Path) -> ModuleType:
    """Execute the Python file ``path`` as the module ``name`` (in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> ModuleType:
    """Execute the contract file ``path`` as the module :data:`ALIAS` (``OUTPUTS`` empty if it has none)."""
    module = exec_file(ALIAS, path)
    module.__dict__.setdefault("OUTPUTS", {})
    harness.hookspecs = module
    return module


def hook_names(contract: ModuleType) -> list[str]:
    """The hooks of a contract, in the order it defines them."""
    return [name for name, fn in vars(contract).items()
            if inspect.isfunction(fn) and hasattr(fn, f"{PROJECT}_spec")]


def outputs(contract: ModuleType) -> dict[str, tuple[str, ...]]:
    """Hook -> the names of its positional outputs, for the hooks that return a tuple."""
    return dict(getattr(contract, "OUTPUTS", {}))
