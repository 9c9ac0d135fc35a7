"""Isolation of a worker process: limits, namespaces, Landlock, a pids cgroup.

What each layer does (README, "Security model"):

* ``unshare --net --pid --fork --kill-child``: the worker is process 1 of a new
  PID namespace (when it dies the kernel kills every process it started, also
  those that called ``setsid``) and of a network namespace with no interface
  up (no network, loopback included);
* resource limits: CPU seconds (per case: the worker moves its soft limit
  before each case, and a cpuacct cgroup lets the grading side stop a case
  whose processes together used more), address space (memory), size of a
  written file (output), open files, no core dumps;
* a pids cgroup caps the number of processes (a fork storm), a memory cgroup
  caps the memory of all of them together (a fork of memory hogs), on cgroup
  v1 or v2 (:mod:`harness.cgroups`); cgroups left behind by a harness that
  was killed are emptied and removed by the next run;
* applied by the worker itself before it imports the plugin: every
  capability is dropped (a worker started as root cannot lift its limits or
  leave its namespaces); Landlock: no file can be written outside the
  worker's scratch directory, no TCP, no signals to processes outside the
  sandbox; seccomp: no socket other than IPv4/IPv6 (which the empty network
  namespace cuts off), so no Unix-domain socket of the host (a system
  daemon's control socket) can be reached, and no io_uring.

Layers the OS does not offer are skipped and named in :func:`probe` 's notes.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import resource
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.cgroups import WorkerCgroups

#: The hard RLIMIT_CPU of a worker process, in cases' worth of CPU time: the soft
#: limit is moved before each case (to the CPU time used so far + one case's
#: limit), and a process can move its soft limit up to the hard one only.
CPU_BACKSTOP_CASES = 100


@dataclass(frozen=True)
class Limits:
    """Limits of one plugin's grading (README, "Security model")."""

    case_seconds: float = 10.0  # wall time of one case
    cpu_seconds: int = 300  # CPU time of one case (every process of the worker together)
    memory_mb: int = 4096  # address space of the worker, and memory of all its processes
    output_mb: int = 256  # largest file the worker may write (an output)
    max_processes: int = 64  # processes alive at once in the sandbox
    start_seconds: float = 120.0  # importing the plugin (Numba may compile)
    cpu: int | None = None  # pin the worker to this CPU (speed: both sides on one core)
    timed: bool = False  # speed: account the worker's CPU time and let it be frozen (cgroups)
    pool_bytes: int = 0  # speed: memory shared with the grading side for the timed calls' fresh inputs


@dataclass(frozen=True)
class Capabilities:
    namespaces: bool
    landlock_abi: int
    pids_cgroup: bool
    memory_cgroup: bool = False
    seccomp: bool = False
    cpuacct_cgroup: bool = False
    freezer_cgroup: bool = False
    cgroup_notes: tuple[str, ...] = ()  # one per missing cgroup capability, saying how to get it

    def notes(self) -> list[str]:
        out = []
        if not self.namespaces:
            out.append("no PID/network namespaces here: plugins are NOT cut off from the network "
                       "and a process that escapes its session may outlive grading")
        if self.landlock_abi < 1:
            out.append("no Landlock here: plugins can read and write every file the harness's user can, "
                       "the reference solution and other submissions included")
        elif self.landlock_abi < 4:
            out.append(f"Landlock ABI {self.landlock_abi} here: TCP is cut off only by the network namespace")
        out += self.cgroup_notes
        if not self.seccomp:
            out.append("no seccomp filter here: plugins can reach the host's Unix-domain sockets")
        return out


@functools.cache
def probe() -> Capabilities:
    """Find out once which isolation layers this machine offers (cgroups: :func:`harness.cgroups.plan`)."""
    # imported here, not above: the worker imports this module and never needs cgroups
    from harness.cgroups import plan

    unshare = shutil.which("unshare")
    ns = False
    if unshare:
        try:
            ns = subprocess.run([unshare, "--net", "--pid", "--fork", "--kill-child", "true"],
                                capture_output=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ns = False
    cgroups = plan()
    return Capabilities(namespaces=ns, landlock_abi=landlock_abi(),
                        pids_cgroup=cgroups.has("pids"), memory_cgroup=cgroups.has("memory"),
                        seccomp=_SECCOMP_ARCH is not None, cpuacct_cgroup=cgroups.has("cpu"),
                        freezer_cgroup=cgroups.has("freezer"), cgroup_notes=tuple(cgroups.notes()))


def wrap_command(argv: list[str]) -> list[str]:
    """Prefix ``argv`` with the namespace wrapper when this machine has it."""
    if probe().namespaces:
        # --mount-proc: the worker's /proc shows its own PID namespace only (no other process of the host)
        return [shutil.which("unshare") or "unshare", "--net", "--pid", "--fork", "--kill-child",
                "--mount", "--mount-proc", "--", *argv]
    return argv


# ------------------------------------------------------------------ processes
def inner_pid(pid: int) -> int | None:
    """The number of host process ``pid`` in its innermost PID namespace (None: gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return pid


def preexec(limits: Limits, cgroups: WorkerCgroups) -> None:
    """Runs in the forked child before exec: new session, limits, cgroups.

    The child (the namespace wrapper) also gets SIGKILL when the thread of the
    harness that started it ends, so a harness killed mid-run leaves no worker
    behind (PR_SET_PDEATHSIG; a worker must be used by the thread that made it).
    """
    os.setsid()
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    cgroups.join()
    mb = 1024 * 1024
    # the worker moves the soft limit before each case (harness.worker.Worker.limit_cpu)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds * CPU_BACKSTOP_CASES))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb * mb, limits.output_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if limits.cpu is not None:
        os.sched_setaffinity(0, {limits.cpu})


# ------------------------------------------------------------------- Landlock
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FS_WRITE_DIR = sum(1 << i for i in (4, 5, 6, 7, 8, 9, 10, 11, 12))  # remove/make
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_ALL = (1 << 0) | (1 << 1)  # bind, connect TCP
_SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract unix sockets, signals


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


_PRCTL = _libc().prctl  # resolved here: a preexec_fn must not take the loader's lock


def landlock_abi() -> int:
    try:
        return max(int(_libc().syscall(_SYS_CREATE_RULESET, None, 0, 1)), 0)
    except (OSError, AttributeError):
        return 0


def restrict_files(writable: list[Path], readable: list[Path]) -> tuple[bool, bool]:
    """Forbid this process (and its children) to write outside ``writable`` and read outside both.

    Reading covers opening a file, listing a directory and executing a program;
    a path that does not exist is skipped. Also forbids TCP and signalling
    processes outside the sandbox where the kernel's Landlock is recent enough.
    Returns (writes restricted, reads restricted): both False without Landlock.
    """
    abi = landlock_abi()
    if abi < 1:
        return False, False
    libc = _libc()
    fs = _FS_WRITE_FILE | _FS_WRITE_DIR | _FS_READ
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:  # ioctl on devices opened from now on (a terminal's TIOCSTI)
        fs |= _FS_IOCTL_DEV
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return False, False
    file_only = _FS_WRITE_FILE | _FS_READ_FILE | _FS_EXECUTE | (_FS_TRUNCATE if abi >= 3 else 0)
    rules = [(p, fs, file_only) for p in writable]
    rules += [(p, _FS_READ, _FS_READ_FILE | _FS_EXECUTE) for p in readable]
    for path, dir_rights, file_rights in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rule = _PathBeneath(dir_rights if os.path.isdir(f"/proc/self/fd/{fd}") else file_rights, fd)
        libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        os.close(fd)
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    ok = libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) == 0
    os.close(ruleset)
    return ok, ok


def forbid_tracing() -> None:
    """Make this process (and its forks) non-dumpable: no process of the same user can ptrace it
    or read its memory without a capability (and the worker holds none)."""
    _libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


# --------------------------------------------------------------- capabilities
_SYS_CAPGET, _SYS_CAPSET = "capget", "capset"
_CAP_VERSION_3 = 0x20080522
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> bool:
    """Give up every capability, also for programs this process executes.

    A worker started as root would otherwise keep CAP_SYS_RESOURCE (lift its
    own limits), CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_TIME... Returns True
    when the process is left with no capability.
    """
    libc = _libc()
    for cap in range(64):  # the bounding set: what an exec'd program can regain
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    libc.capset(ctypes.byref(header), data)
    libc.capget(ctypes.byref(header), data)
    return not any(d.effective or d.permitted or d.inheritable for d in data)


# -------------------------------------------------------------------- seccomp
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_RET_ALLOW, _RET_EACCES = 0x7FFF0000, 0x00050000 | 13
_LD_W_ABS, _JEQ_K, _JGE_K, _AND_K, _RET_K = 0x20, 0x15, 0x35, 0x54, 0x06
_AF_INET, _AF_INET6, _SOCK_DGRAM, _SOCK_TYPE_MASK = 2, 10, 2, 0xF
_IO_URING = (425, 426, 427)  # io_uring_setup/enter/register: the same on every architecture
#: machine -> (AUDIT_ARCH, socket, socketpair, first number of a foreign ABI or None)
_SECCOMP_ARCHES = {"x86_64": (0xC000003E, 41, 53, 0x40000000), "aarch64": (0xC00000B7, 198, 199, None)}
_SECCOMP_ARCH = _SECCOMP_ARCHES.get(platform.machine())


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program() -> list[tuple[int, int, int, int]]:
    """BPF: refuse (EACCES) socket() but for IPv4/IPv6, datagram socketpairs, io_uring, foreign ABIs.

    A datagram socketpair could send to any path-named datagram socket of the
    host; io_uring can make sockets without the socket() system call.
    """
    arch, sys_socket, sys_socketpair, foreign = _SECCOMP_ARCH
    ret_allow, ret_deny = (_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, _RET_EACCES)
    return _assemble([
        (_LD_W_ABS, 0, 0, 4), (_JEQ_K, None, "deny", arch),  # seccomp_data.arch
        (_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        *([(_JGE_K, "deny", None, foreign)] if foreign is not None else []),
        (_JEQ_K, "socket", None, sys_socket),
        (_JEQ_K, "socketpair", None, sys_socketpair),
        *[(_JEQ_K, "deny", None, nr) for nr in _IO_URING],
        ret_allow,
        "socket", (_LD_W_ABS, 0, 0, 16),  # args[0]: the address family
        (_JEQ_K, "allow", None, _AF_INET), (_JEQ_K, "allow", "deny", _AF_INET6),
        "socketpair", (_LD_W_ABS, 0, 0, 24), (_AND_K, 0, 0, _SOCK_TYPE_MASK),  # args[1]: the type
        (_JEQ_K, "deny", "allow", _SOCK_DGRAM),
        "deny", ret_deny,
        "allow", ret_allow,
    ])


def _assemble(prog: list) -> list[tuple[int, int, int, int]]:
    """Resolve jump labels: a string marks the next instruction, None jumps to the following one."""
    labels, code = {}, []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(code)
        else:
            code.append(item)

    def offset(target: str | int | None, here: int) -> int:
        return labels[target] - here - 1 if isinstance(target, str) else 0

    return [(op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(code)]


def restrict_sockets() -> bool:
    """Install the seccomp filter of :func:`_seccomp_program`; False where it cannot be."""
    if _SECCOMP_ARCH is None:
        return False
    code = _seccomp_program()
    filters = (_SockFilter * len(code))(*[_SockFilter(*ins) for ins in code])
    prog = _SockFprog(len(code), filters)
    libc = _libc()
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0
