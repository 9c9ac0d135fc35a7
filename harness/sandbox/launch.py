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
  caps the memory of all of them together (a fork of memory hogs), on cgroup
  v1 or v2 (:mod:`harness.sandbox.cgroups`); cgroups left behind by a harness
  that was killed are emptied and removed by the next run;
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.sandbox.cgroups import WorkerCgroups

from harness.worker.lockdown import landlock_abi, libc, seccomp_available

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
    """Find out once which isolation layers this machine offers (cgroups: :func:`harness.sandbox.cgroups.plan`)."""
    # imported here, not above: the worker imports this module and never needs cgroups
    from harness.sandbox.cgroups import plan

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
                        seccomp=seccomp_available(), cpuacct_cgroup=cgroups.has("cpu"),
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


_PR_SET_PDEATHSIG = 1
_PRCTL = libc().prctl  # resolved here: a preexec_fn must not take the loader's lock


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
    # the worker moves the soft limit before each case (harness.worker.serve.Worker.limit_cpu)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds * CPU_BACKSTOP_CASES))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb * mb, limits.output_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if limits.cpu is not None:
        os.sched_setaffinity(0, {limits.cpu})
