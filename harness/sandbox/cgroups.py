"""The cgroups of a worker, on cgroup v1 or v2: a process cap, a memory cap, a CPU clock, a freezer.

A worker gets up to four capabilities from cgroups (README "Platform
requirements", docs/security.md):

* ``pids``: at most ``max_processes`` processes at once (a fork storm), and a
  list of every process of the worker, so that all a task left can be killed;
* ``memory``: the memory (and swap) of all the worker's processes together,
  and whether the kernel had to refuse or reclaim at that limit;
* ``cpu``: the CPU time of all the worker's processes and threads, the dead
  ones included (the per-case CPU limit, the speed clock);
* ``freezer``: stop and resume all of them at once (speed).

Each capability comes from the first hierarchy that offers it:

* cgroup v1: ``/sys/fs/cgroup/{pids,memory,cpuacct,freezer}``, one cgroup
  per controller, made under the hierarchy's root (root only);
* cgroup v2: one cgroup per worker in the harness's own cgroup (from
  ``/proc/self/cgroup``) when the harness may write there: a subtree
  delegated to it (systemd's ``Delegate=yes``) or root. ``cpu.stat``,
  ``cgroup.freeze`` and ``cgroup.kill`` need no controller; ``pids.max`` and
  ``memory.max`` need the controller enabled in the harness's cgroup's
  ``cgroup.subtree_control``, which v2 allows only in a cgroup that holds
  no process (but the root). So when the harness's own cgroup holds only
  the harness, the harness moves itself into a leaf child
  ``harness-main-PID-PIDNS`` first, enables ``pids`` and ``memory`` for the
  children, and makes the workers' cgroups beside that leaf; it moves no
  other process.

A machine with both (a hybrid layout) uses v1 for what v1 offers. Every
worker cgroup is named ``harness-PID-PIDNS-RANDOM`` after the harness
process that made it, so that a later run can empty and remove those of a
harness that is gone (:func:`remove_stale_cgroups`).

For tests only, the environment variable ``HARNESS_TEST_CGROUPS`` overrides
the choice per capability, e.g. ``cpu=v2,freezer=v2`` or ``pids=none``.
"""

from __future__ import annotations

import functools
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.sandbox.tempdirs import pid_alive, pid_namespace

CGROUP_ROOT = Path("/sys/fs/cgroup")
CAPABILITIES = ("pids", "memory", "cpu", "freezer")
#: The v1 hierarchy of each capability, mounted at CGROUP_ROOT / name.
V1_CONTROLLERS = {"pids": "pids", "memory": "memory", "cpu": "cpuacct", "freezer": "freezer"}
#: The v2 file that shows a capability in a cgroup (pids and memory need their controller enabled).
V2_FILES = {"pids": "pids.max", "memory": "memory.max", "cpu": "cpu.stat", "freezer": "cgroup.freeze"}
V2_CONTROLLERS = ("pids", "memory")
FORCE_ENV = "HARNESS_TEST_CGROUPS"
LEAF_PREFIX = "harness-main-"
DELEGATE = "run under `systemd-run --user --scope -p Delegate=yes`, or as root"


# ------------------------------------------------------------- file protocols
@dataclass(frozen=True)
class Protocol:
    """The files of one cgroup version: what the harness writes and reads, and how.

    A ``(file, key)`` pair reads the number after ``key`` on its own line of
    ``file`` (``key`` None: the whole file).
    """

    version: int
    pids_max: str
    memory: tuple[tuple[str, str | None], ...]  # set to the limit (None) or a value; all but the first where present
    oom_kills: tuple[str, str | None]
    limit_hits: tuple[str, str | None]  # times the kernel refused or reclaimed at the limit
    cpu: tuple[str, str | None]
    cpu_unit: float  # seconds per unit of ``cpu``
    freeze: str
    freeze_values: tuple[str, str]  # written to ``freeze`` (frozen, thawed) and read back from ``state``
    state: tuple[str, str | None]
    kill: str | None  # a file that SIGKILLs every process of the cgroup at once


V1 = Protocol(1, "pids.max", (("memory.limit_in_bytes", None), ("memory.memsw.limit_in_bytes", None)),
              ("memory.oom_control", "oom_kill"), ("memory.failcnt", None), ("cpuacct.usage", None), 1e-9,
              "freezer.state", ("FROZEN", "THAWED"), ("freezer.state", None), None)
V2 = Protocol(2, "pids.max", (("memory.max", None), ("memory.swap.max", "0")),
              ("memory.events", "oom_kill"), ("memory.events", "max"), ("cpu.stat", "usage_usec"), 1e-6,
              "cgroup.freeze", ("1", "0"), ("cgroup.events", "frozen"), "cgroup.kill")


def protocol_of(parent: Path) -> Protocol:
    """The protocol of the hierarchy ``parent`` belongs to: every v2 cgroup has ``cgroup.controllers``."""
    return V2 if (parent / "cgroup.controllers").exists() else V1


def _mkdir(path: Path) -> None:
    """Make a cgroup directory (the kernel fills it with its files; tests replace this)."""
    path.mkdir()


def _rmdir(path: Path) -> None:
    """Remove a cgroup directory (the kernel refuses while a process is in it; tests replace this)."""
    path.rmdir()


def _write(path: Path, value: str) -> None:
    """Write ``value`` to a cgroup file (which exists: the kernel makes them all; none is created here)."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)  # no Python file object: twice a timed window, at least
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: Path, file: str, key: str | None) -> str | None:
    """The text of ``file`` in cgroup ``path`` (with ``key``: the value on key's line); None if absent."""
    try:
        text = (path / file).read_text()
    except OSError:
        return None
    return _value(text, key)


def _value(text: str, key: str | None) -> str | None:
    """The whole of a cgroup file's ``text`` (``key`` None), or the value on ``key``'s line; None if absent."""
    if key is None:
        return text.strip()
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return value.strip()
    return None


def _number(path: Path, where: tuple[str, str | None]) -> int | None:
    return _integer(_read(path, *where))


def _integer(value: str | None) -> int | None:
    """A cgroup file's number; None if absent or not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _procs(path: Path) -> list[int]:
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


WAIT_S = 5.0  # the kernel's freezing or killing of a worker's processes, waited for at most


def _until(done: Callable[[], bool], seconds: float, spins: int = 0) -> bool:
    """Poll ``done`` until it holds (True) or ``seconds`` have passed (False).

    ``spins`` polls at once, then sleeps of 0.1 ms doubling up to 10 ms. The
    grading side may share a core with the processes it waits for (a test
    process pinned to one core; the scheduler's choice): polled every
    millisecond there, beside a busy process on that core, the woken
    processes of a worker being frozen ran too seldom to freeze, and a
    freeze took 0.4 s to over 1 s; with these polls, 0.15 ms (median) to 6.7 ms.
    """
    deadline, pause = time.monotonic() + seconds, 0.0
    for i in range(1_000_000):
        if done():
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(pause)
        if i >= spins:
            pause = min(max(2 * pause, 1e-4), 0.01)
    return False


# ------------------------------------------------------------------- a cgroup
class Group:
    """One cgroup directory, read and written with its version's :class:`Protocol`."""

    def __init__(self, path: Path, protocol: Protocol) -> None:
        self.path = path
        self.protocol = protocol
        self._kept: dict[str, int] = {}  # descriptors of the files read in every timed window (see _read_kept)

    @classmethod
    def create(cls, parent: Path, protocol: Protocol, settings: list[tuple[str, str, bool]]) -> Group | None:
        """A new cgroup under ``parent`` with ``settings`` (file, value, required) written; None if that fails.

        A setting that is not required is written only where its file exists
        (swap accounting may be off). Stale cgroups of gone harness processes
        in ``parent`` are removed first (once per process).
        """
        remove_stale_cgroups(parent)
        path = parent / f"harness-{os.getpid()}-{pid_namespace()}-{uuid.uuid4().hex[:8]}"
        try:
            _mkdir(path)
        except OSError:
            return None
        try:
            for name, value, required in settings:
                if required or (path / name).exists():
                    _write(path / name, value)
        except OSError:
            _rmdir(path)
            return None
        return cls(path, protocol)

    def join(self) -> None:
        """Move the calling process into this cgroup (runs in the worker's child before exec)."""
        _write(self.path / "cgroup.procs", "0")

    def procs(self) -> list[int]:
        return _procs(self.path)

    def kill_all(self, keep: frozenset[int] = frozenset()) -> bool:
        """SIGKILL every process in the cgroup but ``keep``, until none is left (:data:`WAIT_S` at most).

        A frozen cgroup is thawed first (a process frozen by v1 cannot die).
        Without ``keep``, v2's ``cgroup.kill`` kills them all at once, also
        the ones forked meanwhile; otherwise (or where that file is missing)
        each process listed is killed, until none is listed. Returns whether
        none is left.
        """
        if (self.path / self.protocol.freeze).exists():
            self.freeze(False)
        if not keep and self.protocol.kill and (self.path / self.protocol.kill).exists():
            try:
                _write(self.path / self.protocol.kill, "1")
            except OSError:
                pass

        def gone() -> bool:  # (a killed process is gone within a millisecond, mostly)
            pids = [p for p in self.procs() if p not in keep]
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return not pids

        return _until(gone, WAIT_S)

    def freeze(self, frozen: bool, wait: bool = False) -> bool:
        """Freeze or thaw every process; with ``wait``, until the kernel reports it done (:data:`WAIT_S` at most).

        Returns whether it was asked (and, with ``wait``, whether the kernel said it is done in time).
        """
        value = self.protocol.freeze_values[0 if frozen else 1]
        try:
            _write(self.path / self.protocol.freeze, value)
        except OSError:
            return False
        # (a worker waiting on its channel freezes at once: within the first polls, mostly)
        return not wait or _until(lambda: self._read_kept(*self.protocol.state) == value, WAIT_S, spins=100)

    def cpu_seconds(self) -> float | None:
        used = _integer(self._read_kept(*self.protocol.cpu))
        return None if used is None else used * self.protocol.cpu_unit

    def _read_kept(self, file: str, key: str | None) -> str | None:
        """:func:`_read`, from a descriptor kept open: for the files read in every timed window.

        The clock before and after, the freezer's state once or more: opened,
        read and closed each time (with the freezer's writes through Python
        file objects), they cost the grading side 0.6 to 0.8 ms of CPU a
        window of 100 tiny calls, 0.4 to 0.55 ms now. The kernel makes a
        cgroup file's text anew at every read from its start. Closed by
        :meth:`remove`.
        """
        try:
            fd = self._kept.get(file)
            if fd is None:
                fd = self._kept[file] = os.open(self.path / file, os.O_RDONLY | os.O_CLOEXEC)
            text = os.pread(fd, 4096, 0).decode()
        except OSError:
            return None
        return _value(text, key)

    def memory_hits(self) -> tuple[int, int]:
        """How often the kernel killed (OOM), and refused or reclaimed memory at the limit, so far."""
        return (_number(self.path, self.protocol.oom_kills) or 0, _number(self.path, self.protocol.limit_hits) or 0)

    def remove(self) -> bool:
        for fd in self._kept.values():
            os.close(fd)
        self._kept = {}
        try:
            _rmdir(self.path)
        except OSError:
            return False  # processes still dying: removed by a later run's cleanup
        return True


def settings_for(capabilities: list[str], protocol: Protocol, max_processes: int,
                 memory_mb: int) -> list[tuple[str, str, bool]]:
    """The files to write in a new cgroup that serves ``capabilities``: (file, value, required)."""
    out = []
    if "pids" in capabilities:
        out.append((protocol.pids_max, str(max_processes), True))
    if "memory" in capabilities:
        limit = str(memory_mb * 1024 * 1024)
        out += [(name, value or limit, i == 0) for i, (name, value) in enumerate(protocol.memory)]
    return out


@functools.cache
def remove_stale_cgroups(parent: Path) -> int:
    """Once per process: empty and remove the cgroups under ``parent`` of harness processes that are gone.

    Only those of this PID namespace (another's process numbers are not ours
    to check). A leaf ``harness-main-*`` that a gone harness moved itself
    into holds harness processes, never a plugin's: it is removed when
    empty, and nothing in it is killed. Returns how many were removed.
    """
    removed, ours = 0, str(pid_namespace())
    protocol = protocol_of(parent)
    for path in parent.glob("harness-*-*"):
        parts = path.name.split("-")
        leaf = parts[1] == "main"
        owner, ns = parts[1 + leaf], parts[2 + leaf] if len(parts) == 4 else ours
        if not owner.isdigit() or ns != ours:
            continue  # a probe, or a harness whose process numbers are not ours to check
        if int(owner) == os.getpid() or pid_alive(int(owner)):
            continue
        group = Group(path, protocol)
        if not leaf:
            group.kill_all()
        if not group.procs():
            removed += group.remove()
    return removed


# --------------------------------------------------------- where cgroups live
@dataclass(frozen=True)
class Place:
    """The directory under which a worker's cgroup for some capabilities is made."""

    parent: Path
    version: int

    @property
    def protocol(self) -> Protocol:
        return V2 if self.version == 2 else V1


@dataclass(frozen=True)
class Subtree:
    """What the harness's cgroup v2 offers: where worker cgroups go, and why a capability is missing."""

    path: Path | None
    offers: frozenset[str] = frozenset()
    why: dict[str, str] = field(default_factory=dict)


def _probe_files(parent: Path) -> set[str] | None:
    """The files of a new child cgroup of ``parent`` (made and removed again); None: not writable."""
    probe = parent / f"harness-probe-{uuid.uuid4().hex[:8]}"
    try:
        _mkdir(probe)
    except OSError:
        return None
    try:
        return set(os.listdir(probe))
    except OSError:
        return set()
    finally:
        try:
            _rmdir(probe)
        except OSError:
            pass


def own_v2_cgroup(mountinfo: str, proc_cgroup: str) -> Path | None:
    """The directory of this process's cgroup v2, from ``/proc/self/mountinfo`` and ``/proc/self/cgroup``."""
    rel = next((line[3:] for line in proc_cgroup.splitlines() if line.startswith("0::")), None)
    for line in mountinfo.splitlines():
        fields = line.split()
        if rel is None or " - " not in line or line.split(" - ", 1)[1].split()[0] != "cgroup2":
            continue
        root, mountpoint = fields[3], Path(fields[4])
        if rel == root or rel.startswith(root.rstrip("/") + "/"):
            return mountpoint / rel[len(root.rstrip("/")):].lstrip("/")
    return None


def prepare_subtree(own: Path, pid: int) -> Subtree:
    """Make the cgroup v2 ``own`` (the harness's, process ``pid``) ready for worker cgroups.

    ``own`` itself when the harness may write there; its parent when ``own``
    is a leaf ``harness-main-*`` (this or a parent harness moved there). The
    ``pids`` and ``memory`` controllers its ``cgroup.controllers`` lists are
    enabled for its children: if it holds processes (and is not the root,
    which has no ``cgroup.type``), the harness first moves itself into the
    leaf ``harness-main-PID-PIDNS``; if other processes are there too,
    nothing is moved or enabled.
    """
    base = own.parent if own.name.startswith(LEAF_PREFIX) else own
    if _probe_files(base) is None:
        return Subtree(None, why={cap: f"cgroup v2 without a delegated subtree: {DELEGATE}" for cap in CAPABILITIES})
    available = (_read(base, "cgroup.controllers", None) or "").split()
    enabled = (_read(base, "cgroup.subtree_control", None) or "").split()
    missing = [c for c in V2_CONTROLLERS if c in available and c not in enabled]
    problem = _enable(base, missing, pid) if missing else None
    files = _probe_files(base) or set()
    offers = frozenset(cap for cap, name in V2_FILES.items() if name in files)
    why = {}
    for cap in CAPABILITIES:
        if cap in offers:
            continue
        if cap in missing and problem:
            why[cap] = problem
        elif cap in V2_CONTROLLERS:
            why[cap] = f"cgroup v2: the `{cap}` controller is not delegated to the harness's cgroup {base}"
        else:
            why[cap] = f"cgroup v2: no {V2_FILES[cap]} in {base} (Linux too old)"
    return Subtree(base, offers, why)


def _enable(base: Path, controllers: list[str], pid: int) -> str | None:
    """Enable ``controllers`` for the children of ``base``; None when done, else why not."""
    procs = _procs(base)
    if procs and (base / "cgroup.type").exists():
        if procs != [pid]:
            user = "" if os.geteuid() == 0 else " --user"
            return (f"cgroup v2: the harness's cgroup {base} holds other processes, so it cannot enable "
                    "controllers for its children: run the harness in a scope of its own "
                    f"(`systemd-run{user} --scope -p Delegate=yes harness ...`)")
        leaf = base / f"{LEAF_PREFIX}{pid}-{pid_namespace()}"
        try:
            if not leaf.exists():
                _mkdir(leaf)
            _write(leaf / "cgroup.procs", str(pid))
        except OSError as exc:
            return f"cgroup v2: the harness could not move itself into {leaf}: {exc.strerror}"
    try:
        _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in controllers))
    except OSError as exc:
        return f"cgroup v2: enabling {' '.join(controllers)} in {base} failed: {exc.strerror}"
    return None


@functools.cache
def v2_subtree() -> Subtree | None:
    """This process's cgroup v2 subtree, prepared (:func:`prepare_subtree`); None: no cgroup v2 here."""
    try:
        own = own_v2_cgroup(Path("/proc/self/mountinfo").read_text(), Path("/proc/self/cgroup").read_text())
    except OSError:
        return None
    return None if own is None else prepare_subtree(own, os.getpid())


def v1_place(capability: str, root: Path = CGROUP_ROOT) -> Place | str | None:
    """The v1 hierarchy of ``capability`` if the harness may make cgroups there; why not; None: not mounted."""
    parent = root / V1_CONTROLLERS[capability]
    if not (parent / "cgroup.procs").exists() or (parent / "cgroup.controllers").exists():
        return None
    if _probe_files(parent) is None:
        return f"cgroup v1 `{V1_CONTROLLERS[capability]}` is not writable: run as root"
    return Place(parent, 1)


# ------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class Plan:
    """Where each capability's cgroup goes (:class:`Place`), and why each missing one is missing."""

    places: dict[str, Place]
    why: dict[str, str]

    def has(self, capability: str) -> bool:
        return capability in self.places

    def notes(self) -> list[str]:
        """One line per missing capability: what is lost, and how to get it."""
        lost = {
            "pids": "the number of processes a plugin starts is not capped"
                    + ("" if self.places else ", and every task gets a newly started worker (slower)"),
            "memory": "the memory limit holds per process, not for all of a plugin's processes together",
            "cpu": "the CPU-time limit of a case holds per process (a plugin that lifts it is stopped by "
                   "the wall-time limit)",
            "freezer": "the plugin's worker is not frozen while the reference's speed is measured",
        }
        name = {"cpu": "cpuacct"}
        return [f"no {name.get(cap, cap)} cgroup here ({self.why[cap]}): {lost[cap]}"
                for cap in CAPABILITIES if cap not in self.places]


def forced(text: str) -> dict[str, tuple[str, ...]]:
    """``HARNESS_TEST_CGROUPS`` read: capability -> the versions to try (``none``: none)."""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        cap, _, version = item.partition("=")
        if cap not in CAPABILITIES or version not in ("v1", "v2", "none"):
            raise ValueError(f"{FORCE_ENV}: {item!r} is not CAPABILITY=v1|v2|none")
        out[cap] = () if version == "none" else (version,)
    return out


def choose(v1: Callable[[str], Place | str | None], v2: Callable[[], Subtree | None],
           force: dict[str, tuple[str, ...]]) -> Plan:
    """For each capability the first hierarchy that offers it: v1, then v2 (or as ``force`` says).

    ``v2`` is called only when v1 does not offer everything. A v1 hierarchy
    mounted for pids or memory binds that controller: v2 cannot offer it,
    so only v1's reason is given.
    """
    places, why = {}, {}
    for cap in CAPABILITIES:
        reasons = []
        for version in force.get(cap, ("v1", "v2")):
            v1_here = v1(cap)
            if version == "v1":
                found = v1_here
            elif (subtree := v2()) is None:
                found = None
            elif cap in subtree.offers:
                found = Place(subtree.path, 2)
            elif cap in V2_CONTROLLERS and v1_here is not None:  # bound to v1: v2 cannot have it
                found = None if "v1" in force.get(cap, ("v1",)) else f"cgroup v2: `{cap}` is bound to cgroup v1 here"
            else:
                found = subtree.why.get(cap)
            if isinstance(found, Place):
                places[cap] = found
                break
            if found:
                reasons.append(found)
        else:
            why[cap] = "; ".join(reasons) or (f"turned off by {FORCE_ENV}" if force.get(cap) == ()
                                              else "no cgroup file system here")
    return Plan(places, why)


@functools.cache
def plan() -> Plan:
    """Once per process: where this machine's worker cgroups go."""
    return choose(functools.cache(v1_place), v2_subtree, forced(os.environ.get(FORCE_ENV, "")))


# ------------------------------------------------------------ a worker's cgroups
class WorkerCgroups:
    """The cgroups of one worker: one per hierarchy that serves one of its capabilities.

    ``join`` runs in the worker's child before exec. Every method works (and
    does nothing, or answers None/False) for a capability this machine lacks.
    """

    def __init__(self, max_processes: int, memory_mb: int, freezer: bool = False,
                 where: Plan | None = None) -> None:
        where = where or plan()
        wanted = [c for c in CAPABILITIES if c in where.places and (freezer or c != "freezer")]
        made: dict[Place, Group | None] = {}
        self._by: dict[str, Group] = {}
        for cap in wanted:
            place = where.places[cap]
            if place not in made:
                served = [c for c in wanted if where.places[c] == place]
                settings = settings_for(served, place.protocol, max_processes, memory_mb)
                made[place] = Group.create(place.parent, place.protocol, settings)
            if made[place] is not None:
                self._by[cap] = made[place]
        self.groups = list(dict.fromkeys(self._by.values()))

    def has(self, capability: str) -> bool:
        return capability in self._by

    def tracks(self) -> bool:
        """Whether a cgroup holds every process of the worker (so all a task left can be found)."""
        return bool(self.groups)

    def join(self) -> None:
        for group in self.groups:
            group.join()

    def procs(self) -> list[int]:
        """The worker's processes (host pids), from its first cgroup (the pids one where there is one)."""
        return self.groups[0].procs() if self.groups else []

    def kill_all(self, keep: frozenset[int] = frozenset()) -> bool:
        """SIGKILL every process of the worker but ``keep`` (thawed first); whether none is left."""
        if self.has("freezer"):
            self._by["freezer"].freeze(False)
        return all([group.kill_all(keep) for group in self.groups])

    def freeze(self, frozen: bool, wait: bool = False) -> bool:
        """Freeze or thaw the worker (False without a freezer): see :meth:`Group.freeze`."""
        return self.has("freezer") and self._by["freezer"].freeze(frozen, wait)

    def cpu_seconds(self) -> float | None:
        """CPU seconds used so far by the worker's processes and threads; None without a CPU cgroup."""
        return self._by["cpu"].cpu_seconds() if self.has("cpu") else None

    def memory_hits(self) -> tuple[int, int]:
        """(OOM kills, refusals or reclaims at the limit) so far; (0, 0) without a memory cgroup."""
        return self._by["memory"].memory_hits() if self.has("memory") else (0, 0)

    def memory_hit_since(self, since: tuple[int, int]) -> bool:
        """Whether the kernel had to kill, refuse or reclaim at the memory limit since ``since``."""
        return any(now > then for now, then in zip(self.memory_hits(), since, strict=True))

    def remove(self) -> None:
        for group in self.groups:
            group.remove()
        self.groups, self._by = [], {}
