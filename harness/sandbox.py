"""Isolation of a worker process: limits, namespaces, Landlock, a pids cgroup.

What each layer does (README, "Security model"):

* ``unshare --net --pid --fork --kill-child``: the worker is process 1 of a new
  PID namespace (when it dies the kernel kills every process it started, also
  those that called ``setsid``) and of a network namespace with no interface
  up (no network, loopback included);
* resource limits: CPU seconds, address space (memory), size of a written
  file (output), open files, no core dumps;
* a pids cgroup caps the number of processes (a fork storm);
* Landlock (applied by the worker itself before it imports the plugin): no
  file can be written outside the worker's scratch directory, no TCP, no
  signals to processes outside the sandbox.

Layers the OS does not offer are skipped and named in :func:`probe` 's notes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

PIDS_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")


@dataclass(frozen=True)
class Limits:
    """Limits of one plugin's grading (README, "Security model")."""

    case_seconds: float = 10.0  # wall time of one case
    cpu_seconds: int = 300  # CPU time of one worker process
    memory_mb: int = 4096  # address space of the worker
    output_mb: int = 256  # largest file the worker may write (an output)
    max_processes: int = 64  # processes alive at once in the sandbox
    start_seconds: float = 120.0  # importing the plugin (Numba may compile)


@dataclass(frozen=True)
class Capabilities:
    namespaces: bool
    landlock_abi: int
    pids_cgroup: bool

    def notes(self) -> list[str]:
        out = []
        if not self.namespaces:
            out.append("no PID/network namespaces here: plugins are NOT cut off from the network "
                       "and a process that escapes its session may outlive grading")
        if self.landlock_abi < 1:
            out.append("no Landlock here: plugins can write files outside their scratch directory")
        if not self.pids_cgroup:
            out.append("no pids cgroup here: the number of processes a plugin starts is not capped")
        return out


@functools.cache
def probe() -> Capabilities:
    """Find out once which isolation layers this machine offers."""
    unshare = shutil.which("unshare")
    ns = False
    if unshare:
        try:
            ns = subprocess.run([unshare, "--net", "--pid", "--fork", "--kill-child", "true"],
                                capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ns = False
    cg = False
    try:
        probe_dir = PIDS_CGROUP_ROOT / f"harness-probe-{uuid.uuid4().hex[:8]}"
        probe_dir.mkdir()
        probe_dir.rmdir()
        cg = True
    except OSError:
        cg = False
    return Capabilities(namespaces=ns, landlock_abi=landlock_abi(), pids_cgroup=cg)


def wrap_command(argv: list[str]) -> list[str]:
    """Prefix ``argv`` with the namespace wrapper when this machine has it."""
    if probe().namespaces:
        return [shutil.which("unshare") or "unshare", "--net", "--pid", "--fork", "--kill-child", "--", *argv]
    return argv


class PidsCgroup:
    """A pids cgroup for one worker; ``join`` runs in the child before exec."""

    def __init__(self, max_processes: int) -> None:
        self.path: Path | None = None
        if not probe().pids_cgroup:
            return
        path = PIDS_CGROUP_ROOT / f"harness-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_processes))
            self.path = path
        except OSError:
            self.path = None

    def join(self) -> None:
        if self.path is not None:
            with open(self.path / "cgroup.procs", "w") as f:
                f.write("0")

    def remove(self) -> None:
        if self.path is None:
            return
        try:
            self.path.rmdir()
        except OSError:
            pass  # processes still dying: removed by a later run's cleanup
        self.path = None


def preexec(limits: Limits, cgroup: PidsCgroup) -> None:
    """Runs in the forked child before exec: new session, limits, cgroup."""
    os.setsid()
    cgroup.join()
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb * mb, limits.output_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


# ------------------------------------------------------------------- Landlock
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_WRITE_DIR = sum(1 << i for i in (4, 5, 6, 7, 8, 9, 10, 11, 12))  # remove/make
_FS_REFER, _FS_TRUNCATE = 1 << 13, 1 << 14
_NET_ALL = (1 << 0) | (1 << 1)  # bind, connect TCP
_SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    try:
        return max(int(_libc().syscall(_SYS_CREATE_RULESET, None, 0, 1)), 0)
    except (OSError, AttributeError):
        return 0


def restrict_writes(writable: list[Path]) -> bool:
    """Forbid this process (and its children) to write outside ``writable``.

    Also forbids TCP and signalling processes outside the sandbox where the
    kernel's Landlock is recent enough. Returns False when Landlock is absent.
    """
    abi = landlock_abi()
    if abi < 1:
        return False
    libc = _libc()
    fs = _FS_WRITE_FILE | _FS_WRITE_DIR
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return False
    file_rights = _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)
    for path in writable:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rights = fs if path.is_dir() else file_rights
        rule = _PathBeneath(rights, fd)
        libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        os.close(fd)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    ok = libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) == 0
    os.close(ruleset)
    return ok
