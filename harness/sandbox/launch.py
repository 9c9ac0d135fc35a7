"""Starting a worker process isolated: limits, namespaces, cgroups (Landlock and seccomp: the worker's own).

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
  caps the memory of all of them together (a fork of memory hogs); cgroups
  left behind by a harness that was killed are emptied and removed by the
  next run;
* applied by the worker itself before it imports the plugin
  (:mod:`harness.worker.lockdown`): every
  capability is dropped (a worker started as root cannot lift its limits or
  leave its namespaces); Landlock: no file can be written outside the
  worker's scratch directory, no TCP, no signals to processes outside the
  sandbox; seccomp: no socket other than IPv4/IPv6 (which the empty network
  namespace cuts off), so no Unix-domain socket of the host (a system
  daemon's control socket) can be reached, and no io_uring.

Layers the OS does not offer are skipped and named in :func:`probe` 's notes.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.worker.lockdown import landlock_abi, libc, seccomp_available

CGROUP_ROOT = Path("/sys/fs/cgroup")
PIDS_CGROUP_ROOT = CGROUP_ROOT / "pids"
MEMORY_CGROUP_ROOT = CGROUP_ROOT / "memory"
CPUACCT_CGROUP_ROOT = CGROUP_ROOT / "cpuacct"
#: The hard RLIMIT_CPU of a worker process, in cases' worth of CPU time: the soft
#: limit is moved before each case (to the CPU time used so far + one case's
#: limit), and a process can move its soft limit up to the hard one only.
CPU_BACKSTOP_CASES = 100
FREEZER_CGROUP_ROOT = CGROUP_ROOT / "freezer"


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


@dataclass(frozen=True)
class Capabilities:
    namespaces: bool
    landlock_abi: int
    pids_cgroup: bool
    memory_cgroup: bool = False
    seccomp: bool = False
    cpuacct_cgroup: bool = False

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
        if not self.pids_cgroup:
            out.append("no pids cgroup here: the number of processes a plugin starts is not capped, "
                       "and every task gets a newly started worker (slower)")
        if not self.memory_cgroup:
            out.append("no memory cgroup here: the memory limit holds per process, "
                       "not for all of a plugin's processes together")
        if not self.seccomp:
            out.append("no seccomp filter here: plugins can reach the host's Unix-domain sockets")
        if not self.cpuacct_cgroup:
            out.append("no cpuacct cgroup here: the CPU-time limit of a case holds per process "
                       "(a plugin that lifts it is stopped by the wall-time limit)")
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
    return Capabilities(namespaces=ns, landlock_abi=landlock_abi(),
                        pids_cgroup=_cgroup_usable(PIDS_CGROUP_ROOT),
                        memory_cgroup=_cgroup_usable(MEMORY_CGROUP_ROOT),
                        seccomp=seccomp_available(),
                        cpuacct_cgroup=_cgroup_usable(CPUACCT_CGROUP_ROOT))


def _cgroup_usable(root: Path) -> bool:
    try:
        probe_dir = root / f"harness-probe-{uuid.uuid4().hex[:8]}"
        probe_dir.mkdir()
        probe_dir.rmdir()
        return True
    except OSError:
        return False


def wrap_command(argv: list[str]) -> list[str]:
    """Prefix ``argv`` with the namespace wrapper when this machine has it."""
    if probe().namespaces:
        # --mount-proc: the worker's /proc shows its own PID namespace only (no other process of the host)
        return [shutil.which("unshare") or "unshare", "--net", "--pid", "--fork", "--kill-child",
                "--mount", "--mount-proc", "--", *argv]
    return argv


# -------------------------------------------------------------------- cgroups
class Cgroup:
    """A cgroup (v1) of one controller for one worker; ``join`` runs in the child before exec.

    Named ``harness-PID-PIDNS-RANDOM`` after the harness process that made it
    (and its PID namespace), so that a later run can remove those of a harness
    that no longer exists; one in another PID namespace is never touched.
    """

    def __init__(self, root: Path, settings: dict[str, str]) -> None:
        self.path: Path | None = None
        if not _cgroup_usable_cached(root):
            return
        remove_stale_cgroups(root)
        path = root / f"harness-{os.getpid()}-{_pid_namespace()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
        except OSError:
            return
        try:
            for name, value in settings.items():
                (path / name).write_text(value)
        except OSError:
            path.rmdir()
            return
        self.path = path

    def join(self) -> None:
        if self.path is not None:
            with open(self.path / "cgroup.procs", "w") as f:
                f.write("0")

    def procs(self) -> list[int]:
        if self.path is None:
            return []
        return _procs(self.path)

    def kill_all(self, keep: frozenset[int] = frozenset()) -> bool:
        """SIGKILL every process in the cgroup but ``keep``, until none is left (about 1 s at most).

        Returns whether none is left.
        """
        return self.path is None or _kill_procs(self.path, keep)

    def remove(self) -> None:
        if self.path is None:
            return
        try:
            self.path.rmdir()
        except OSError:
            pass  # processes still dying: removed by a later run's cleanup
        self.path = None


class PidsCgroup(Cgroup):
    """Caps the number of processes of one worker (a fork storm)."""

    def __init__(self, max_processes: int) -> None:
        super().__init__(PIDS_CGROUP_ROOT, {"pids.max": str(max_processes)})


class MemoryCgroup(Cgroup):
    """Caps the memory (and swap) of all the processes of one worker together."""

    def __init__(self, memory_mb: int) -> None:
        limit = str(memory_mb * 1024 * 1024)
        settings = {"memory.limit_in_bytes": limit}
        if (MEMORY_CGROUP_ROOT / "memory.memsw.limit_in_bytes").exists():
            settings["memory.memsw.limit_in_bytes"] = limit
        super().__init__(MEMORY_CGROUP_ROOT, settings)

    def hits(self) -> tuple[int, int]:
        """How often the kernel killed (OOM) or refused or reclaimed memory at the limit so far."""
        if self.path is None:
            return (0, 0)
        try:
            oom = (self.path / "memory.oom_control").read_text().split()
            kills = int(oom[oom.index("oom_kill") + 1]) if "oom_kill" in oom else 0
            return (kills, int((self.path / "memory.failcnt").read_text()))
        except (OSError, ValueError):
            return (0, 0)

    def hit_limit(self, since: tuple[int, int] = (0, 0)) -> bool:
        """Whether the kernel had to refuse or reclaim memory at the limit since ``since`` (:meth:`hits`)."""
        return any(now > then for now, then in zip(self.hits(), since, strict=True))


class CpuCgroup(Cgroup):
    """Accounts the CPU time of all the processes of one worker together (threads, children, the dead)."""

    def __init__(self) -> None:
        super().__init__(CPUACCT_CGROUP_ROOT, {})

    def seconds(self) -> float | None:
        """CPU seconds used so far by the worker's processes; None without the cgroup."""
        if self.path is None:
            return None
        try:
            return int((self.path / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None


def inner_pid(pid: int) -> int | None:
    """The number of host process ``pid`` in its innermost PID namespace (None: gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError):
        return None
    return pid


class FreezerCgroup(Cgroup):
    """Stops and resumes all the processes of one worker at once (speed: while the reference is timed)."""

    def __init__(self) -> None:
        super().__init__(FREEZER_CGROUP_ROOT, {})

    def set(self, frozen: bool, wait: bool = False) -> bool:
        """Freeze or thaw (False without the cgroup).

        Without ``wait`` it returns at once: the kernel stops the processes
        as soon as they are scheduled (speed charges what they ran meanwhile);
        with it, it waits (at most 1 s) until the kernel reports it done.
        """
        if self.path is None:
            return False
        state = "FROZEN" if frozen else "THAWED"
        try:
            (self.path / "freezer.state").write_text(state)
            for _ in range(1000 if wait else 0):
                if (self.path / "freezer.state").read_text().strip() == state:
                    break
                time.sleep(0.001)
        except OSError:
            return False
        return True

    def kill_all(self) -> None:
        self.set(False)  # a frozen process cannot die
        super().kill_all()


@functools.cache
def _cgroup_usable_cached(root: Path) -> bool:
    return _cgroup_usable(root)


def _procs(path: Path) -> list[int]:
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _kill_procs(path: Path, keep: frozenset[int] = frozenset()) -> bool:
    for _ in range(200):
        pids = [p for p in _procs(path) if p not in keep]
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


@functools.cache
def remove_stale_cgroups(root: Path) -> int:
    """Once per process: empty and remove cgroups left by harness processes that are gone."""
    removed = 0
    for path in root.glob("harness-*-*"):
        parts = path.name.split("-")
        owner, ns = parts[1], parts[2] if len(parts) == 4 else str(_pid_namespace())
        if not owner.isdigit() or ns != str(_pid_namespace()):
            continue  # a probe, or a harness whose process numbers are not ours to check
        if int(owner) == os.getpid() or _pid_alive(int(owner)):
            continue
        _kill_procs(path)
        try:
            path.rmdir()
            removed += 1
        except OSError:
            pass
    return removed


_PR_SET_PDEATHSIG = 1
_PRCTL = libc().prctl  # resolved here: a preexec_fn must not take the loader's lock


def preexec(limits: Limits, cgroups: list[Cgroup] | Cgroup) -> None:
    """Runs in the forked child before exec: new session, limits, cgroups.

    The child (the namespace wrapper) also gets SIGKILL when the thread of the
    harness that started it ends, so a harness killed mid-run leaves no worker
    behind (PR_SET_PDEATHSIG; a worker must be used by the thread that made it).
    """
    os.setsid()
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    for cgroup in cgroups if isinstance(cgroups, list) else [cgroups]:
        cgroup.join()
    mb = 1024 * 1024
    # the worker moves the soft limit before each case (harness.worker.serve.Worker.limit_cpu)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds * CPU_BACKSTOP_CASES))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb * mb, limits.output_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if limits.cpu is not None:
        os.sched_setaffinity(0, {limits.cpu})
