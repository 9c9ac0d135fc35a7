"""What the worker applies to itself before it imports a plugin: Landlock, seccomp, no capabilities.

The outside of the sandbox (limits, namespaces, cgroups) is set up by the
grading side when it starts the worker (:mod:`harness.sandbox.launch`); these layers
can only be applied by the process itself, so they run in the worker:

* Landlock (:func:`restrict_files`): no file can be read outside the worker's
  read list (:mod:`harness.sandbox.confine`) or written outside its scratch
  directory, no TCP, no signals to processes outside the sandbox;
* every capability is dropped (:func:`drop_capabilities`): a worker started as
  root cannot lift its limits or leave its namespaces;
* seccomp (:func:`restrict_sockets`): no socket other than IPv4/IPv6 (which the
  empty network namespace cuts off), so no Unix-domain socket of the host can
  be reached, and no io_uring;
* a task's process may not trace the worker that forked it (:func:`forbid_tracing`).

Plain ctypes, no other module of the harness: the grading side imports
:func:`landlock_abi` and :func:`seccomp_available` to say which layers hold.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
from pathlib import Path

# ------------------------------------------------------------------- Landlock
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
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
def libc() -> ctypes.CDLL:
    """This process's C library (for the system calls that have no Python function)."""
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    try:
        return max(int(libc().syscall(_SYS_CREATE_RULESET, None, 0, 1)), 0)
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
    lib = libc()
    fs = _FS_WRITE_FILE | _FS_WRITE_DIR | _FS_READ
    if abi >= 2:
        fs |= _FS_REFER
    if abi >= 3:
        fs |= _FS_TRUNCATE
    if abi >= 5:  # ioctl on devices opened from now on (a terminal's TIOCSTI)
        fs |= _FS_IOCTL_DEV
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    ruleset = lib.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
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
        lib.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
        os.close(fd)
    lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    ok = lib.syscall(_SYS_RESTRICT_SELF, ruleset, 0) == 0
    os.close(ruleset)
    return ok, ok


def forbid_tracing() -> None:
    """Make this process (and its forks) non-dumpable: no process of the same user can ptrace it
    or read its memory without a capability (and the worker holds none)."""
    libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def allow_tracing() -> None:
    """Make this process dumpable again, until :func:`forbid_tracing`: a speed task's fork runs no
    plugin code before the grading side has opened its memory (see ``harness.worker.serve.fork_task``)."""
    libc().prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)


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
    lib = libc()
    for cap in range(64):  # the bounding set: what an exec'd program can regain
        if lib.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # EINVAL: past the last capability this kernel knows
    lib.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    lib.capset(ctypes.byref(header), data)
    lib.capget(ctypes.byref(header), data)
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
    lib = libc()
    lib.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return lib.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


def seccomp_available() -> bool:
    """Whether :func:`restrict_sockets` has a filter for this machine's architecture."""
    return _SECCOMP_ARCH is not None
