"""The grading side's read of a speed worker's memory: the outputs of its timed calls, to fingerprint and to check.

The worker says where each output is (:func:`harness.worker.bench.places`);
this process reads it there while the worker is frozen (README "Speed").
Two ways to the same bytes: ``process_vm_readv``, one copy (8 MiB in 0.7 to
1.4 ms on this project's machine), where the kernel lets this process read
the worker (root, or a worker still dumpable); else the descriptor of
``/proc/PID/mem`` opened when the task's fork started, still readable once
the fork made itself non-dumpable, through which the kernel copies a page
at a time (8 MiB in 3 to 8 ms).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import numpy as np


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def _process_vm_readv() -> Callable[..., int] | None:
    try:
        fn = ctypes.CDLL(None, use_errno=True).process_vm_readv
    except (OSError, AttributeError):  # not Linux, or a libc without it
        return None
    fn.argtypes = [ctypes.c_int, ctypes.POINTER(_Iovec), ctypes.c_ulong, ctypes.POINTER(_Iovec), ctypes.c_ulong,
                   ctypes.c_ulong]
    fn.restype = ctypes.c_ssize_t
    return fn


_READV = _process_vm_readv()


def _read_through(into: np.ndarray, address: int, fd: int | None) -> bool:
    """Fill ``into`` (contiguous) with the bytes at ``address``, read through ``fd`` (``/proc/PID/mem``).

    The way when the kernel refuses ``process_vm_readv`` (or it is missing).
    Whether every byte was read.
    """
    n = into.nbytes
    if n == 0:
        return True
    if fd is None:
        return False
    try:
        return os.preadv(fd, [into.view(np.uint8)], address) == n
    except (OSError, OverflowError, ValueError):
        return False


IOV_MAX = 1024  # remote pieces a process_vm_readv reads at most (Linux's UIO_MAXIOV)


def read_places(into: np.ndarray, places: list[tuple[int, int]], pid: int | None, fd: int | None) -> bool:
    """Fill ``into`` (float64, contiguous) with the values at each (address, count) of ``places``, one after another.

    One system call for up to :data:`IOV_MAX` places (a block's outputs: a
    call each, 200 a window at the medium size) of process ``pid``; where
    the kernel refuses that, a read a place through ``fd``
    (``/proc/PID/mem`` of the same process). Whether every value was read.
    """
    if sum(n for _, n in places) > into.size:
        return False
    if pid is not None and _READV is not None:
        at, done = into.ctypes.data, True
        for start in range(0, len(places), IOV_MAX):
            chunk = places[start:start + IOV_MAX]
            size = 8 * sum(n for _, n in chunk)
            try:
                remote = (_Iovec * len(chunk))(*[(address, 8 * n) for address, n in chunk])
            except (TypeError, OverflowError):  # not addresses at all
                return False
            if size and _READV(pid, ctypes.byref(_Iovec(at, size)), 1, remote, len(chunk), 0) != size:
                done = False
                break
            at += size
        if done:
            return True
    at = 0
    for address, n in places:
        if not _read_through(into[at:at + n], address, fd):
            return False
        at += n
    return True

