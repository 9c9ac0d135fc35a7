"""A harness's temporary folders (worker scratch, Numba caches), named by its process group; gone ones' removed.

A worker's scratch folder and a plugin's Numba cache are removed by the
harness that made them; one killed outright (SIGKILL, a lost machine)
cannot. Each name carries its maker's process group and PID namespace
(``harness-worker-PGID-NS-XXXX``): the group, not the process, because a
folder may outlive the process that made it while its run goes on (``harness
grade`` compiles a plugin's Numba kernels in a grading process of its pool
and times the plugin in the main process, all of one group). The next
harness process on the machine removes, once, the folders of a kind whose
group has no process left: only its own user's, only of its PID namespace
(another's process numbers are not its to check).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def _exists(send: Callable[[int, int], None], number: int) -> bool:
    """Whether signal 0 (no signal) to ``number`` finds a process (one we may not signal counts)."""
    try:
        send(number, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    return _exists(os.kill, pid)


def group_alive(pgid: int) -> bool:
    return _exists(os.killpg, pgid)


def pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def make_tempdir(kind: str) -> Path:
    """A new private folder ``harness-KIND-PGID-NS-*`` in the temporary folder (gone groups' removed first)."""
    remove_stale_tempdirs(kind)
    return Path(tempfile.mkdtemp(prefix=f"harness-{kind}-{os.getpgid(0)}-{pid_namespace()}-"))


@functools.cache
def remove_stale_tempdirs(kind: str) -> int:
    """Once per process: remove this user's ``harness-KIND-*`` folders whose group is gone. Returns how many."""
    removed, ours = 0, str(pid_namespace())
    for path in Path(tempfile.gettempdir()).glob(f"harness-{kind}-*-*-*"):
        owner, ns = path.name.split("-")[2:4]
        if not owner.isdigit() or ns != ours or int(owner) == os.getpgid(0) or group_alive(int(owner)):
            continue
        try:
            if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += not path.exists()
    return removed
