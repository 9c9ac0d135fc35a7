"""Plain-data channel between the trusted side and a worker: JSON plus ``.npz``.

A value tree (arrays, numbers, strings, lists, tuples) is written as one
``.npz`` file: the arrays under ``a0, a1, ...`` and the tree's structure as JSON
under ``__meta__``. Reading uses ``allow_pickle=False`` and checks the sizes
of the archive's members before anything is loaded, so a hostile file can
neither run code nor exhaust the reader's memory.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from harness.model import Invalid

META = "__meta__"


class TooLarge(Exception):
    """An ``.npz`` file, or what it unpacks to, is larger than allowed."""


class Malformed(Exception):
    """An ``.npz`` file that is no valid message."""


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"$a": key}
    if isinstance(value, tuple):
        return {"$t": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"$d": {k: _encode(v, arrays) for k, v in value.items()}}
    if isinstance(value, Invalid):
        return {"$invalid": value.reason}
    if isinstance(value, np.generic):
        return value.item()
    return value  # str, float, int, bool, None


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if isinstance(node, dict):
        if "$a" in node:
            return arrays[node["$a"]]
        if "$t" in node:
            return tuple(_decode(v, arrays) for v in node["$t"])
        if "$d" in node:
            return {k: _decode(v, arrays) for k, v in node["$d"].items()}
        if "$invalid" in node:
            return Invalid(str(node["$invalid"]))
        raise Malformed(f"unknown node {sorted(node)[:3]}")
    return node


def write(path: Path, value: Any) -> None:
    """Write a value tree to ``path`` (an ``.npz`` file, uncompressed)."""
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps(_encode(value, arrays))
    with open(path, "wb") as f:
        np.savez(f, **{META: np.array(meta)}, **arrays)


def read(path: Path, max_bytes: int | None = None) -> Any:
    """Read a value tree written by :func:`write`; arrays come back as plain ndarrays.

    The file is opened without following a symbolic link and must be a
    regular file no larger than ``max_bytes``, packed and unpacked.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise Malformed(f"cannot open {path.name}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Malformed(f"{path.name} is not a regular file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise TooLarge(f"{st.st_size} bytes")
        try:
            with zipfile.ZipFile(f) as zf:
                unpacked = sum(info.file_size for info in zf.infolist())
            if max_bytes is not None and unpacked > max_bytes:
                raise TooLarge(f"{unpacked} bytes unpacked")
            f.seek(0)
            with np.load(f, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise Malformed(str(exc)) from exc
    if META not in arrays:
        raise Malformed("no __meta__ entry")
    try:
        tree = json.loads(str(arrays.pop(META)[()]))
        return _decode(tree, arrays)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise Malformed(str(exc)) from exc


def as_float64(value: Any) -> Any:
    """Turn a decoded output tree into float64 ndarrays (lists stay lists).

    Runs on the trusted side: every leaf becomes a fresh plain ``float64``
    ndarray, or an :class:`Invalid` that says why it could not.
    """
    if isinstance(value, list | tuple):
        return [as_float64(v) for v in value]
    if isinstance(value, Invalid):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return Invalid(f"dtype {value.dtype} is not numeric")
        return np.array(value, dtype=np.float64)
    if isinstance(value, bool | int | float):
        return np.array(float(value))
    return Invalid(f"{type(value).__name__} is not a number")
