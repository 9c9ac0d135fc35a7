"""Plain-data channel between the trusted side and a worker: JSON plus ``.npz``.

A value tree (arrays, numbers, strings, lists, tuples) is written as one
``.npz`` file: the arrays under ``a0, a1, ...`` and the tree's structure as JSON
under ``__meta__``. Reading uses ``allow_pickle=False`` and checks the sizes
of the archive's members before anything is loaded, so a hostile file can
neither run code nor exhaust the reader's memory.
"""

from __future__ import annotations

import json
import math
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

META = "__meta__"
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


@dataclass(frozen=True)
class Invalid:
    """A leaf of a plugin's output that is no usable float64 array (made in the worker, judged on the trusted side)."""

    reason: str


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

    The file is opened without following a symbolic link and without waiting
    (a FIFO), and must be a regular file no larger than ``max_bytes``, packed
    and unpacked; every array header is read before any array is, and the
    arrays must fit in ``max_bytes`` also once turned into float64.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
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
                headers = _check_members(zf, max_bytes)
                arrays = {_key(info.filename): _member(zf, info, *header) for info, header in headers}
        except TooLarge:
            raise
        except MemoryError as exc:
            raise TooLarge("cannot be held in memory") from exc
        except Exception as exc:  # zipfile, zlib, lzma, numpy: whatever a crafted file makes them raise
            raise Malformed(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if META not in arrays:
        raise Malformed("no __meta__ entry")
    try:
        tree = json.loads(str(arrays.pop(META)[()]))
        return _decode(tree, arrays)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise Malformed(str(exc)) from exc


_Header = tuple[tuple[int, ...], bool, np.dtype, int]  # shape, Fortran order, dtype, where the data starts


def _check_members(zf: zipfile.ZipFile, max_bytes: int | None) -> list[tuple[zipfile.ZipInfo, _Header]]:
    """Sizes declared by the archive and by each array's header, before anything is unpacked.

    An ``.npy`` header names its array's shape; an array is allocated that
    large before its data is read, so a header must not promise more than
    its member holds. Returns each member's header. Raises TooLarge or Malformed.
    """
    infos = zf.infolist()
    unpacked = sum(info.file_size for info in infos)
    if max_bytes is not None and unpacked > max_bytes:
        raise TooLarge(f"{unpacked} bytes unpacked")
    as_float, headers = 0, []
    for info in infos:
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version not in _HEADER_READERS:
                raise Malformed(f"{info.filename}: .npy version {version} is not used here")
            shape, fortran, dtype = _HEADER_READERS[version](member)
            start = member.tell()
        count = math.prod(shape)
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.itemsize == 0 \
                or count * dtype.itemsize > info.file_size - start:
            raise Malformed(f"{info.filename}: its header does not match its data")
        if info.filename != META + ".npy":
            as_float += count * 8
        headers.append((info, (tuple(shape), bool(fortran), dtype, start)))
    if max_bytes is not None and as_float > max_bytes:
        raise TooLarge(f"{as_float} bytes as float64")
    return headers


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, shape: tuple[int, ...], fortran: bool, dtype: np.dtype,
            start: int) -> np.ndarray:
    """One member's array, its header checked already (the archive is parsed once, each header once)."""
    array = np.empty(math.prod(shape), dtype=dtype)  # an array of its own memory, as np.load makes
    with zf.open(info) as member:
        member.read(start)
        if member.readinto(array.view(np.uint8)) != array.nbytes:  # one read gives all the member has
            raise Malformed(f"{info.filename}: its data ends before its header says")
    return array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)


def _key(name: str) -> str:
    return name.removesuffix(".npy")


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
