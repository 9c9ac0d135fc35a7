"""Grade cases in this process, decoding outputs the way the runner does.

For the tests of ``tasks/`` only: hooks are called directly (no worker, no
sandbox) on deep copies of the case's arguments, and their outputs are decoded
with :func:`harness.codec.as_float64`, exactly what a case's judge receives
from the runner.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from harness import PROJECT
from harness.codec import as_float64
from harness.grading.cases import task_rng
from harness.grading.model import ERROR, INVALID, NOT_IMPLEMENTED, Case, Task, Verdict
from harness.hookspecs import OUTPUTS
from harness.worker.serve import _changed, to_plain

Impls = dict[str, Callable[..., Any]]


def decode(value: Any, hook: str) -> Any:
    """A hook's return value as a judge receives it: float64 ndarrays, lists, Invalid leaves.

    The same two steps as the worker (:func:`harness.worker.serve.to_plain`, by the
    hook's outputs in ``hookspecs.OUTPUTS``) and the runner (``as_float64``).
    """
    return as_float64(to_plain(value, OUTPUTS.get(hook, ())))


def reference_impls() -> Impls:
    import reference

    return {name: getattr(reference, name) for name in reference.__all__}


def module_impls(module: ModuleType) -> Impls:
    """The functions of a plugin module that are marked ``@hookimpl``."""
    marker = f"{PROJECT}_impl"
    return {name: fn for name, fn in vars(module).items() if callable(fn) and hasattr(fn, marker)}


def load_path(path: Path) -> ModuleType:
    """Import a plugin file as the worker does: its folder first on ``sys.path``."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"buggy_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outputs_of(impls: Impls, case: Case) -> list[Any] | Verdict:
    """The decoded outputs of a case's calls, or the verdict the runner would give instead."""
    outputs = []
    for call in case.calls:
        fn = impls.get(call.hook)
        if fn is None:
            return Verdict(NOT_IMPLEMENTED, f"hook {call.hook!r} is not implemented")
        kwargs = copy.deepcopy(call.kwargs)
        try:
            with np.errstate(all="ignore"):
                outputs.append(decode(fn(**kwargs), call.hook))
        except Exception as exc:  # graded as "error" by the runner
            return Verdict(ERROR, f"{call.hook} raised {type(exc).__name__}: {exc}")
        changed = [k for k in kwargs if _changed(call.kwargs[k], kwargs[k])]
        if changed:  # as the worker reports it
            return Verdict(INVALID, f"{call.hook} changed its input {', '.join(changed)}")
    return outputs


def run_case(impls: Impls, case: Case) -> Verdict:
    got = outputs_of(impls, case)
    return got if isinstance(got, Verdict) else case.judge(got)


def run_task(impls: Impls, task: Task, seed: int) -> list[tuple[Case, Verdict]]:
    cases = task.make_cases(task_rng(seed, task.name))
    return [(case, run_case(impls, case)) for case in cases]
