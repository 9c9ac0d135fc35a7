"""Benchmarks run every plugin on one thread: the thread pools are sized before NumPy loads."""

from __future__ import annotations

import os
import sys
import warnings

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")

for _var in THREAD_VARS:
    os.environ.setdefault(_var, "1")
if "numpy" in sys.modules:  # pragma: no cover - a plugin of pytest imported it first
    warnings.warn("NumPy was imported before benchmarks/conftest.py: its BLAS may use several threads",
                  stacklevel=1)
