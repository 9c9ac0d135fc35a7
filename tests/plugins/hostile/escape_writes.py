"""Hostile: sigmoid tries to write outside its scratch directory.

Targets: the harness package, the reference and tasks packages, this plugin's
folder, the report directory and a file in /tmp named in $HOSTILE_TARGETS
(JSON), the worker's scratch root, /dev/shm; by creating, appending,
truncating, renaming, linking, making a directory or a FIFO. No existing file
is changed even if a write were allowed (files are opened, never written).
It returns the right answer only if every one of those writes was refused
and a write in its own work directory succeeded. Expect: pass, and no new
file anywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

import harness
from harness import hookimpl


def _targets() -> list[Path]:
    extra = json.loads(os.environ.get("HOSTILE_TARGETS", "{}"))
    root = Path(harness.__file__).parent.parent  # the reference and the tasks cannot be imported
    dirs = [Path(harness.__file__).parent, root / "reference", root / "tasks",
            Path(__file__).parent, Path.cwd().parent, Path.cwd().parent / "in", Path("/dev/shm"), Path("/tmp")]
    return dirs + [Path(p) for p in extra.get("dirs", [])]


def _attempts(d: Path, tag: str) -> list:
    existing = Path(harness.__file__)
    return [
        lambda: open(d / f"{tag}.txt", "x").close(),
        lambda: os.mkdir(d / f"{tag}.dir"),
        lambda: os.mkfifo(d / f"{tag}.fifo"),
        lambda: os.symlink("/etc/passwd", d / f"{tag}.lnk"),
        lambda: os.link(Path.cwd() / "mine.txt", d / f"{tag}.hard"),
        lambda: os.rename(Path.cwd() / "mine.txt", d / f"{tag}.moved"),
        lambda: os.close(os.open(existing, os.O_WRONLY | os.O_APPEND)),  # opened, never written
        lambda: os.close(os.open(d, os.O_TMPFILE | os.O_WRONLY)),
    ]


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    Path("mine.txt").write_text("my own scratch is writable")
    tag = os.environ.get("HOSTILE_MARKER", "hostile-marker")
    allowed = []
    for d in _targets():
        for i, attempt in enumerate(_attempts(d, tag)):
            try:
                attempt()
                allowed.append(f"{d} #{i}")
            except OSError:
                pass
    if allowed or not Path("mine.txt").exists():
        raise PermissionError(f"writes outside the scratch were allowed: {allowed}")
    return 1.0 / (1.0 + np.exp(-z))


@hookimpl
def tanh(z):
    return np.tanh(z)
