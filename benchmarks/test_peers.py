"""The reference against its peers: ``reference``, ``numpy``, ``python`` and ``torch``.

    pytest benchmarks/test_peers.py --benchmark-enable --benchmark-json=peers.json
    python benchmarks/peers_table.py peers.json

Every task × speed size × plugin is one pytest-benchmark test in the group
``task[size]``. The plugin functions are called directly, in this process, on
the task's own speed inputs (``task.speed_inputs(rng, size)``, with one seed per
task and size, so every plugin gets the same inputs); one untimed warm-up call
comes first (Numba loads its kernels then, PyTorch its dispatch tables).

Fairness: every plugin runs on one thread (``conftest.py`` sizes the BLAS and
OpenMP pools to one thread before NumPy loads, the torch plugin sets
``torch.set_num_threads(1)``, the reference is compiled with ``parallel=False``).

Skipped: ``torch`` when PyTorch is not installed; ``python`` where one call takes
more than about a second (:data:`PYTHON_OVER_BUDGET`, measured; any other call
whose warm-up exceeds :data:`CALL_BUDGET_S` is skipped too, and says so).

Not part of the default test run (``testpaths`` is ``tests``); timings on a
shared machine are reported, never asserted.
"""

from __future__ import annotations

import importlib
import time
import zlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from harness.course import all_tasks
from harness.grading.model import Task

PLUGINS = ("reference", "numpy", "python", "torch")
#: a call slower than this is not benchmarked (its rounds would take minutes)
CALL_BUDGET_S = 1.0
#: (task, size) where one call of the ``python`` plugin takes over CALL_BUDGET_S
#: (measured on the project's machine: 1.1 s to minutes), skipped without a try
PYTHON_OVER_BUDGET = frozenset(
    (task, "large")
    for task in ("linear_regression_fit", "perceptron_predict", "perceptron_train",
                 "dense_forward", "mlp_forward", "mlp_backward", "mlp_train")
)

TASKS: dict[str, Task] = {task.name: task for task in all_tasks() if task.speed_sizes}
CASES = [(name, size) for name, task in TASKS.items() for size in task.speed_sizes]


def group_name(task: str, size: str) -> str:
    """The benchmark group of a task and size: ``"task[size]"``."""
    return f"{task}[{size}]"


@cache
def plugin_module(plugin: str) -> ModuleType:
    """The bundled plugin module (skips ``torch`` when PyTorch is not installed)."""
    if plugin == "torch":
        pytest.importorskip("torch", reason="PyTorch is not installed (extra 'torch')")
    if plugin == "reference":
        import reference

        reference.warmup()
    return importlib.import_module(f"plugins.{plugin}_plugin")


@cache
def speed_inputs(task: str, size: str) -> dict[str, Any]:
    """The task's speed inputs at ``size``; the same ones for every plugin."""
    rng = np.random.default_rng(zlib.crc32(group_name(task, size).encode()))
    return TASKS[task].speed_inputs(rng, size)


def warm_up(fn: Callable[..., Any], kwargs: dict[str, Any], label: str) -> None:
    """One untimed call; skip the benchmark when it is over the call budget."""
    start = time.perf_counter()
    fn(**kwargs)
    seconds = time.perf_counter() - start
    if seconds > CALL_BUDGET_S:
        pytest.skip(f"{label}: one call takes {seconds:.1f} s, over the {CALL_BUDGET_S:g} s budget")


@pytest.mark.parametrize("plugin", PLUGINS)
@pytest.mark.parametrize(("task", "size"), CASES, ids=[group_name(*c) for c in CASES])
def test_peer(benchmark, task: str, size: str, plugin: str) -> None:
    label = f"{plugin} {group_name(task, size)}"
    if plugin == "python" and (task, size) in PYTHON_OVER_BUDGET:
        pytest.skip(f"{label}: one call takes over {CALL_BUDGET_S:g} s (PYTHON_OVER_BUDGET)")
    fn = getattr(plugin_module(plugin), TASKS[task].hook)
    kwargs = speed_inputs(task, size)
    warm_up(fn, kwargs, label)
    benchmark.group = group_name(task, size)
    benchmark.extra_info.update(task=task, size=size, plugin=plugin)
    benchmark(fn, **kwargs)
