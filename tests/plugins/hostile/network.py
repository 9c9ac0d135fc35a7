"""Hostile: sigmoid tries to reach the network.

TCP and UDP to a port the test listens on at 127.0.0.1 ($HOSTILE_PORT), TCP
to a public address, a Unix-domain socket the test listens on
($HOSTILE_UNIX, stream, and $HOSTILE_UNIX_DGRAM through a socketpair), an
abstract Unix socket, and io_uring. It returns the right answer only if all
of them failed. Expect: pass, and the test's sockets received nothing.
"""

from __future__ import annotations

import ctypes
import os
import socket

import numpy as np

from harness import hookimpl


def _attempts() -> dict:
    port = int(os.environ.get("HOSTILE_PORT", "9"))
    return {
        "tcp loopback": lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5),
        "udp loopback": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port)),
        "tcp public": lambda: socket.create_connection(("1.1.1.1", 53), timeout=0.5),
        "udp public": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("1.1.1.1", 53)),
        "unix stream": lambda: socket.socket(socket.AF_UNIX).connect(os.environ["HOSTILE_UNIX"]),
        "unix dgram": lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)[0].sendto(
            b"x", os.environ["HOSTILE_UNIX_DGRAM"]),
        "abstract unix": lambda: socket.socket(socket.AF_UNIX).connect("\0hostile-abstract"),
        "io_uring": _io_uring,
    }


def _io_uring() -> None:
    params = ctypes.create_string_buffer(120)
    fd = ctypes.CDLL(None, use_errno=True).syscall(425, 8, params)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "io_uring_setup refused")


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    reached = []
    for name, attempt in _attempts().items():
        try:
            attempt()
            reached.append(name)
        except (OSError, KeyError):
            pass
    if reached:
        raise ConnectionError(f"reached: {reached}")
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    return np.tanh(z)
