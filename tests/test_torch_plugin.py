"""The bundled ``torch`` plugin (PyTorch, autograd for the derivatives).

PyTorch is an optional extra: every test that needs it is skipped without it.
Without it the plugin fails to import with a message that says what to install.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from clirun import run
from inprocess import module_impls, run_task

from harness.course import all_tasks


def test_without_torch_the_import_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    monkeypatch.delitem(sys.modules, "plugins.torch_plugin", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'nn-lecture1-harness\[torch\]'"):
        importlib.import_module("plugins.torch_plugin")


@pytest.fixture(scope="module")
def torch_plugin():
    pytest.importorskip("torch")
    return importlib.import_module("plugins.torch_plugin")


def test_implements_every_hook(torch_plugin) -> None:
    assert len(module_impls(torch_plugin)) == 30


@pytest.mark.parametrize("task", all_tasks(), ids=lambda t: t.name)
def test_passes_every_case_in_process(torch_plugin, task) -> None:
    impls = module_impls(torch_plugin)
    for seed in (0, 1):
        failed = [(case.id, v.message) for case, v in run_task(impls, task, seed) if v.outcome != "pass"]
        assert not failed, failed


def test_runs_on_one_thread(torch_plugin) -> None:
    import torch

    assert torch.get_num_threads() == 1


def test_inputs_are_left_alone_and_outputs_are_new(torch_plugin) -> None:
    z = np.array([-1.0, 0.0, 2.0])
    z.flags.writeable = False  # a read-only input is accepted too
    for hook in ("sigmoid", "sigmoid_grad", "relu", "tanh_grad"):
        out = getattr(torch_plugin, hook)(z)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == z.shape
        assert not np.shares_memory(out, z)
    assert np.array_equal(z, [-1.0, 0.0, 2.0])


@pytest.mark.slow
def test_harness_run_scores_100(torch_plugin, tmp_path: Path) -> None:
    res = run("torch", tmp_path / "out")
    assert res.code == 0, res.out + res.err
    summary = res.summary()
    assert summary["percent"] == 100.0
    assert summary["counts"]["pass"] == summary["cases"] > 300
