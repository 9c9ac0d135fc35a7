"""Hostile: crafted output files, written by patching the worker's own codec.write.

Each hook returns the right answer, but the file that carries it is replaced:
- sigmoid: an .npy header that announces 10**11 float64 (800 GB) over 24 bytes;
- tanh: a FIFO (opening it for reading would block forever);
- relu_grad: 60 MB of int8 (480 MB once float64, over a 64 MiB limit);
- sigmoid_grad: a zip member with an unknown compression method;
- tanh_grad: a __meta__ tree nested 100 000 deep;
- leaky_relu_grad: a symbolic link to /etc/passwd.
Expect: invalid output for each, quickly; the grading process's memory stays
small; relu passes.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

from harness import codec, hookimpl

_real_write = codec.write


def _npy(header: str, data: bytes) -> bytes:
    header = header.ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _meta(tree: str) -> bytes:
    out = io.BytesIO()
    np.save(out, np.array(tree))
    return out.getvalue()


def _bomb(path: Path) -> None:
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    path.write_bytes(_zip({"__meta__.npy": _meta('[{"$a": "a0"}]'), "a0.npy": _npy(header, b"\0" * 24)}))


def _int8(path: Path) -> None:
    buf = io.BytesIO()
    np.save(buf, np.zeros(60_000_000, dtype=np.int8))
    path.write_bytes(_zip({"__meta__.npy": _meta('[{"$a": "a0"}]'), "a0.npy": buf.getvalue()}))


def _bad_method(path: Path) -> None:
    data = bytearray(_zip({"__meta__.npy": _meta("[0.5]")}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # local header and central directory entry
        at = data.find(sig)
        offset = 8 if sig == b"PK\x03\x04" else 10
        data[at + offset:at + offset + 2] = struct.pack("<H", 99)
    path.write_bytes(bytes(data))


def _deep(path: Path) -> None:
    path.write_bytes(_zip({"__meta__.npy": _meta("[" * 100_000 + "]" * 100_000)}))


def _hook_name() -> str:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "handle" and "calls" in frame.f_locals:
            return frame.f_locals["calls"][0][0]
        frame = frame.f_back
    return ""


_CRAFT = {
    "sigmoid": _bomb,
    "tanh": lambda path: os.mkfifo(path),
    "relu_grad": _int8,
    "sigmoid_grad": _bad_method,
    "tanh_grad": _deep,
    "leaky_relu_grad": lambda path: os.symlink("/etc/passwd", path),
}


def _write(path, value):
    craft = _CRAFT.get(_hook_name())
    if craft is None:
        return _real_write(path, value)
    Path(path).unlink(missing_ok=True)
    craft(Path(path))


codec.write = _write


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    return np.tanh(z)


@hookimpl
def relu_grad(z):
    return (z > 0).astype(float)


@hookimpl
def sigmoid_grad(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


@hookimpl
def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


@hookimpl
def leaky_relu_grad(z, alpha):
    return np.where(z > 0, 1.0, alpha)
