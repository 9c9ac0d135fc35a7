"""numba's disk cache of the reference works from a read-only install.

A copy of ``reference/`` goes into a read-only directory; subprocesses import it
with no ``NUMBA_CACHE_DIR`` and ``XDG_CACHE_HOME`` pointing into the test's
temporary directory. The first compiles into ``$XDG_CACHE_HOME/nn-harness/numba``,
the second loads everything from there (numba's own counters: cache hits, no
misses), and a change to a helper module drops the stale kernels.

root ignores file modes, so when the tests run as root (CI does) the
subprocesses run without the capabilities that let root do so
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, dropped from the bounding
set before exec): for them the chmod is real.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3


def _drop_root_file_powers() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


# A few hooks whose kernels span the modules: an elementwise one, a reduction,
# one calling a helper of another module (regression -> _linalg), polar.
SCRIPT = r"""
import json, os, sys
if "--numba-first" in sys.argv:
    import numba  # numba's config is read before reference sets the cache dir
import numpy as np
import reference
from reference import _numba_cache as nc
reference.linear_forward(np.ones((2, 1)), 0.5, np.ones((2, 3)))
if "--only-linear" not in sys.argv:
    reference.sigmoid(np.array([0.0, 1.0]))
    reference.cost(np.array([0.2, 0.7]), np.array([0.0, 1.0]), "logistic", None)
    reference.to_polar(np.ones((2, 2)))
hits, misses = nc.cache_stats()
per_kernel = {k: [sum(d.stats.cache_hits.values()), sum(d.stats.cache_misses.values())]
              for k, d in nc.dispatchers().items()}
import numba.core.config as cfg
print(json.dumps({
    "file": reference.__file__, "mode": nc.MODE, "env": os.environ.get("NUMBA_CACHE_DIR"),
    "config_cache_dir": cfg.CACHE_DIR, "kernel_dir": str(nc.KERNEL_CACHE_DIR),
    "hits": hits, "misses": misses, "per_kernel": per_kernel,
}))
"""


def _make_tree_read_only(root: Path) -> None:
    for p in sorted(root.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    root.chmod(0o555)


def _make_tree_writable(root: Path) -> None:
    if not root.exists():
        return
    root.chmod(0o755)
    for p in root.rglob("*"):
        p.chmod((0o755 if p.is_dir() else 0o644) | stat.S_IMODE(p.stat().st_mode))


@pytest.fixture
def sandbox(tmp_path: Path):
    """A read-only copy of the package and a writable XDG cache home."""
    pkg_parent = tmp_path / "site"
    shutil.copytree(
        REF_DIR,
        pkg_parent / "reference",
        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc", "*.md"),
    )
    xdg = tmp_path / "xdg"
    home = tmp_path / "home"
    xdg.mkdir()
    home.mkdir()
    _make_tree_read_only(pkg_parent)
    yield pkg_parent, xdg, home
    _make_tree_writable(pkg_parent)  # so that pytest can clean up


def _run(pkg_parent: Path, xdg: Path, home: Path, *flags: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_") and k != "PYTHONPATH"}
    env.update(
        PYTHONPATH=str(pkg_parent),
        XDG_CACHE_HOME=str(xdg),
        HOME=str(home),
        PYTHONDONTWRITEBYTECODE="1",
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, *flags],
            cwd=pkg_parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=_drop_root_file_powers if AS_ROOT else None,
        )
    except subprocess.TimeoutExpired:
        raise  # a hung child is a failure, never a skip
    except subprocess.SubprocessError as exc:  # pragma: no cover - a root without CAP_SETPCAP
        pytest.skip(f"cannot drop root's file capabilities to test a read-only install: {exc}")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _index_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.nbi"))


def test_read_only_install_caches_into_the_user_cache_and_starts_warm(sandbox) -> None:
    pkg_parent, xdg, home = sandbox
    fallback = xdg / "nn-harness" / "numba"

    cold = _run(pkg_parent, xdg, home)
    assert Path(cold["file"]).parent == pkg_parent / "reference"  # the read-only copy
    assert cold["mode"] == "fallback"
    assert cold["env"] == str(fallback) and cold["config_cache_dir"] == str(fallback)
    assert Path(cold["kernel_dir"]).parent == fallback
    assert cold["misses"] > 0 and cold["hits"] == 0  # compiled...
    assert _index_files(fallback), "no numba index files in the fallback cache dir"  # ...and saved
    assert not (pkg_parent / "reference" / "__pycache__").exists()

    # second process, numba imported before reference: starts warm from the fallback
    warm = _run(pkg_parent, xdg, home, "--numba-first")
    assert warm["mode"] == "fallback" and warm["config_cache_dir"] == str(fallback)
    assert warm["misses"] == 0, warm["per_kernel"]
    assert warm["hits"] >= 4


def test_a_changed_helper_module_invalidates_the_kernels_that_call_it(sandbox) -> None:
    """numba checks only the kernel's own file; the package stamps all its sources."""
    pkg_parent, xdg, home = sandbox
    assert _run(pkg_parent, xdg, home, "--only-linear")["misses"] > 0
    assert _run(pkg_parent, xdg, home, "--only-linear")["misses"] == 0
    helper = pkg_parent / "reference" / "_linalg.py"
    helper.chmod(0o644)
    with helper.open("a") as f:
        f.write("\n# an edit\n")
    helper.chmod(0o444)
    after = _run(pkg_parent, xdg, home, "--only-linear")
    hits, misses = after["per_kernel"]["regression._linear_forward_kernel"]
    assert misses == 1 and hits == 0  # recompiled, not loaded stale
    again = _run(pkg_parent, xdg, home, "--only-linear")
    assert again["misses"] == 0


def test_numba_cache_dir_from_the_environment_is_respected(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")
    code = "import reference._numba_cache as nc, os; print(nc.MODE, os.environ['NUMBA_CACHE_DIR'])"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["env", str(tmp_path / "mine")]
