"""Worker cgroups on cgroup v1 and v2 (harness/sandbox/cgroups.py, README "Platform requirements").

What this machine's kernel offers is tested on the kernel: v2's freezer, kill
and CPU clock in a cgroup of the harness's own v2 subtree (a hybrid layout's
``/sys/fs/cgroup/unified`` here), the cleanup of a dead harness's v2 cgroups,
and grading with the harness forced onto v2 for the CPU clock and the
freezer. The file protocol of what the kernel may not offer here (v2's
``pids`` and ``memory`` controllers, a delegated subtree) is tested against
a fake cgroupfs in a temporary folder; so is v1's, beside it. The choice
between v1, v2 and nothing, and the notes it gives, is tested as a function.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from clirun import run

from harness.grading.compare import value_judge
from harness.grading.model import CRASH, PASS, Call, Case
from harness.grading.runner import PluginSession
from harness.loading.plugins import resolve
from harness.sandbox import cgroups
from harness.sandbox.cgroups import (
    CAPABILITIES,
    DELEGATE,
    FORCE_ENV,
    V1,
    V2,
    Group,
    Place,
    Plan,
    Subtree,
    WorkerCgroups,
    choose,
    forced,
    own_v2_cgroup,
    prepare_subtree,
    remove_stale_cgroups,
    v1_place,
)
from harness.sandbox.launch import Capabilities, Limits

HOSTILE = Path(__file__).parent / "plugins" / "hostile"
SUBTREE = cgroups.v2_subtree()
V2_PARENT = SUBTREE.path if SUBTREE is not None else None
needs_v2 = pytest.mark.skipif(
    SUBTREE is None or SUBTREE.path is None or not {"cpu", "freezer"} <= SUBTREE.offers,
    reason="no writable cgroup v2 subtree with cpu.stat and cgroup.freeze here")
needs_v2_controllers = pytest.mark.skipif(
    SUBTREE is None or not {"pids", "memory"} <= SUBTREE.offers,
    reason="cgroup v2 pids and memory controllers are not available to the harness here")
BURN = "while True: pass"
BURN_IN_A_CHILD = """
import os, time
pid = os.fork()
if pid == 0:
    t = time.process_time()
    while time.process_time() - t < 0.5:
        pass
    os._exit(0)
os.waitpid(pid, 0)
"""
SETSID_GRANDCHILD = """
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
os.wait()
print("ready", flush=True)
time.sleep(600)
"""


def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def gone(pid: int) -> bool:
    """Whether process ``pid`` no longer runs (it may stay a zombie until its parent reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True


def in_group(group: Group, code: str, **kwargs) -> subprocess.Popen:
    """A Python process started inside ``group``."""
    return subprocess.Popen([sys.executable, "-c", code], preexec_fn=group.join, **kwargs)


@pytest.fixture
def v2_group() -> Iterator[Group]:
    """A new cgroup in this machine's v2 subtree; everything in it is killed and it is removed after."""
    group = Group.create(V2_PARENT, V2, [])
    assert group is not None and group.path.parent == V2_PARENT
    yield group
    group.kill_all()
    assert wait_until(group.remove, 5), "the cgroup could not be removed"


# ------------------------------------------------------- v2 on this machine's kernel
@needs_v2
def test_v2_freeze_stops_a_cpu_burning_process_and_its_cpu_time(v2_group: Group) -> None:
    proc = in_group(v2_group, BURN)
    try:
        assert wait_until(lambda: (v2_group.cpu_seconds() or 0) > 0.2)
        assert v2_group.freeze(True, wait=True)
        assert (v2_group.path / "cgroup.freeze").read_text().strip() == "1"
        assert "frozen 1" in (v2_group.path / "cgroup.events").read_text()
        before = v2_group.cpu_seconds()
        time.sleep(0.5)
        assert v2_group.cpu_seconds() - before < 0.01
        assert v2_group.freeze(False, wait=True)
        assert "frozen 0" in (v2_group.path / "cgroup.events").read_text()
        assert wait_until(lambda: v2_group.cpu_seconds() - before > 0.1)
    finally:
        proc.kill()
        proc.wait()


@needs_v2
def test_v2_kill_removes_every_process_also_a_setsid_grandchild(v2_group: Group,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    proc = in_group(v2_group, SETSID_GRANDCHILD, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    pids = v2_group.procs()
    assert len(pids) == 2 and proc.pid in pids  # the process and its grandchild in a session of its own
    assert v2_group.freeze(True, wait=True)  # killed frozen: thawed first
    monkeypatch.setattr(cgroups.os, "kill", lambda pid, sig: None)  # so cgroup.kill does it all
    assert v2_group.kill_all()
    monkeypatch.undo()
    assert proc.wait(timeout=5) == -signal.SIGKILL
    assert v2_group.procs() == [] and all(gone(pid) for pid in pids)


@needs_v2
def test_v2_kill_keeps_the_zygote_and_works_without_cgroup_kill(v2_group: Group) -> None:
    procs = [in_group(v2_group, "import time; time.sleep(600)") for _ in range(3)]
    assert wait_until(lambda: len(v2_group.procs()) == 3)
    without_kill_file = Group(v2_group.path, dataclasses.replace(V2, kill=None))
    assert without_kill_file.kill_all(keep=frozenset({procs[0].pid}))
    assert v2_group.procs() == [procs[0].pid]
    assert [p.wait(timeout=5) for p in procs[1:]] == [-signal.SIGKILL] * 2
    assert v2_group.kill_all()
    assert procs[0].wait(timeout=5) == -signal.SIGKILL


@needs_v2
def test_v2_cpu_stat_counts_the_cpu_time_of_a_child_that_ended(v2_group: Group) -> None:
    assert v2_group.cpu_seconds() == 0.0
    proc = in_group(v2_group, BURN_IN_A_CHILD)
    assert proc.wait(timeout=30) == 0
    used = v2_group.cpu_seconds()
    assert 0.5 <= used < 5.0, used


@needs_v2
def test_v2_stale_cgroups_of_a_dead_harness_are_emptied_and_removed(gone: list[int]) -> None:
    ns = os.stat("/proc/self/ns/pid").st_ino
    stale = V2_PARENT / f"harness-{gone[0]}-{ns}-feedbeef"
    foreign = V2_PARENT / f"harness-{gone[0]}-{ns + 1}-feedbeef"  # another PID namespace's
    empty_leaf = V2_PARENT / f"harness-main-{gone[0]}-{ns}"  # where a gone harness had moved itself
    busy_leaf = V2_PARENT / f"harness-main-{gone[1]}-{ns}"  # holds a harness process: never killed
    paths = [stale, foreign, empty_leaf, busy_leaf]
    for path in paths:
        path.mkdir()
    sleepers = {path: in_group(Group(path, V2), "import time; time.sleep(600)") for path in (stale, foreign, busy_leaf)}
    try:
        assert wait_until(lambda: all(Group(p, V2).procs() for p in sleepers))
        assert remove_stale_cgroups.__wrapped__(V2_PARENT) >= 2
        assert sleepers[stale].wait(timeout=5) == -signal.SIGKILL
        assert not stale.exists() and not empty_leaf.exists()
        assert sleepers[foreign].poll() is None and foreign.exists()
        assert sleepers[busy_leaf].poll() is None and busy_leaf.exists()
    finally:
        for sleeper in sleepers.values():
            sleeper.kill()
            sleeper.wait()
        for path in paths:
            if path.exists():
                assert wait_until(lambda path=path: not Group(path, V2).procs(), 5)
                path.rmdir()


V1_FREEZER = cgroups.v1_place("freezer")


@pytest.mark.parametrize("version", [
    pytest.param(1, marks=pytest.mark.skipif(not isinstance(V1_FREEZER, Place), reason="no cgroup v1 freezer here")),
    pytest.param(2, marks=needs_v2)])
def test_a_frozen_stale_cgroup_is_thawed_and_emptied(version: int, gone: list[int]) -> None:
    """A harness killed while the reference was timed leaves its plugin's worker frozen."""
    parent, protocol = (V1_FREEZER.parent, V1) if version == 1 else (V2_PARENT, V2)
    stale = Group(parent / f"harness-{gone[0]}-{os.stat('/proc/self/ns/pid').st_ino}-feedbeef", protocol)
    stale.path.mkdir()
    sleeper = in_group(stale, "import time; time.sleep(600)")
    try:
        assert wait_until(lambda: stale.procs() == [sleeper.pid]) and stale.freeze(True, wait=True)
        assert remove_stale_cgroups.__wrapped__(parent) >= 1
        assert sleeper.wait(timeout=5) == -signal.SIGKILL and not stale.path.exists()
    finally:
        if stale.path.exists():
            stale.freeze(False)  # a process frozen by v1 cannot die
        sleeper.kill()
        sleeper.wait()
        if stale.path.exists():
            assert wait_until(lambda: not stale.procs(), 5)
            stale.path.rmdir()


@needs_v2_controllers
def test_v2_pids_and_memory_caps_hold_on_the_kernel() -> None:
    where = Plan({cap: Place(V2_PARENT, 2) for cap in CAPABILITIES}, {})
    worker = WorkerCgroups(8, 64, where=where)
    try:
        assert worker.has("pids") and worker.has("memory")
        forks = ("import os, time\nn = 0\nfor _ in range(20):\n    try:\n        if os.fork() == 0:\n"
                 "            time.sleep(600)\n        n += 1\n    except OSError:\n        break\nprint(n)")
        proc = subprocess.run([sys.executable, "-c", forks], preexec_fn=worker.join, capture_output=True,
                              text=True, timeout=30)
        assert int(proc.stdout) < 8, proc.stdout + proc.stderr
        assert worker.kill_all() and worker.procs() == []
        before = worker.memory_hits()
        hog = subprocess.run([sys.executable, "-c", "b = bytearray(256 << 20)"], preexec_fn=worker.join,
                             timeout=30)
        assert hog.returncode == -signal.SIGKILL and worker.memory_hit_since(before)
    finally:
        worker.kill_all()
        worker.remove()


# ------------------------------------------------------------ a fake cgroupfs
class FakeKernel:
    """A cgroupfs in a folder: a new cgroup gets the files the kernel would give it (v1 by its hierarchy's name).

    Writes are logged in ``writes`` (path, value); one to ``cgroup.subtree_control``
    enables and disables controllers ("+pids -io") as the kernel does.
    """

    V1_FILES = {"pids": {"pids.max": "max"},
                "memory": {"memory.limit_in_bytes": "9223372036854771712", "memory.failcnt": "0",
                           "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
                "cpuacct": {"cpuacct.usage": "0"}, "freezer": {"freezer.state": "THAWED"}}

    def __init__(self, monkeypatch: pytest.MonkeyPatch, swap: bool = True) -> None:
        self.swap = swap
        self.writes: list[tuple[Path, str]] = []
        monkeypatch.setattr(cgroups, "_mkdir", self.mkdir)
        monkeypatch.setattr(cgroups, "_rmdir", shutil.rmtree)
        monkeypatch.setattr(cgroups, "_write", self.write)

    def write(self, path: Path, value: str) -> None:
        self.writes.append((path, value))
        if path.name == "cgroup.subtree_control":
            enabled = path.read_text().split()
            for word in value.split():
                enabled = [c for c in enabled if c != word[1:]] + ([word[1:]] if word[0] == "+" else [])
            value = " ".join(enabled)
        with open(path, "r+") as f:  # a cgroup file: never created by a write
            f.truncate()
            f.write(value)

    def mkdir(self, path: Path) -> None:
        path.mkdir()
        files = {"cgroup.procs": ""}
        parent = path.parent
        if (parent / "cgroup.controllers").exists():
            enabled = (parent / "cgroup.subtree_control").read_text().split()
            files |= {"cgroup.controllers": " ".join(enabled), "cgroup.subtree_control": "", "cgroup.type": "domain",
                      "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0", "cgroup.kill": "",
                      "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"}
            if "pids" in enabled:
                files["pids.max"] = "max"
            if "memory" in enabled:
                files |= {"memory.max": "max", "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"}
                files |= {"memory.swap.max": "max"} if self.swap else {}
        else:
            while parent.name not in self.V1_FILES:
                parent = parent.parent
            files |= self.V1_FILES[parent.name]
            if parent.name == "memory" and self.swap:
                files["memory.memsw.limit_in_bytes"] = "9223372036854771712"
        for name, text in files.items():
            (path / name).write_text(text)


def fake_v2(folder: Path, controllers: str = "cpu io memory pids", enabled: str = "", procs: str = "",
            root: bool = False) -> Path:
    """A fake cgroup v2 directory (``root``: the hierarchy's root, which has no cgroup.type)."""
    folder.mkdir(parents=True)
    files = {"cgroup.controllers": controllers, "cgroup.subtree_control": enabled, "cgroup.procs": procs}
    if not root:
        files["cgroup.type"] = "domain"
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def fake_v1(folder: Path) -> Path:
    for name in FakeKernel.V1_FILES:
        (folder / name).mkdir(parents=True)
        (folder / name / "cgroup.procs").write_text("")
    return folder


def text(path: Path) -> str:
    return path.read_text().strip()


@pytest.mark.parametrize("swap", [True, False])
def test_v2_pids_and_memory_caps_are_written_and_a_hit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               swap: bool) -> None:
    kernel = FakeKernel(monkeypatch, swap=swap)
    parent = fake_v2(tmp_path / "harness.scope", enabled="pids memory")
    worker = WorkerCgroups(32, 1024, freezer=True, where=Plan({c: Place(parent, 2) for c in CAPABILITIES}, {}))
    assert all(worker.has(c) for c in CAPABILITIES) and len(worker.groups) == 1  # one cgroup for all
    group = worker.groups[0].path
    assert group.parent == parent and group.name.startswith(f"harness-{os.getpid()}-")
    assert kernel.writes == [(group / "pids.max", "32"), (group / "memory.max", str(1024 << 20)),
                             *[(group / "memory.swap.max", "0")] * swap]
    assert worker.memory_hits() == (0, 0) and not worker.memory_hit_since((0, 0))
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n")
    assert worker.memory_hits() == (1, 3) and worker.memory_hit_since((0, 0))
    assert not worker.memory_hit_since((1, 3))
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    assert worker.cpu_seconds() == pytest.approx(2.5)
    assert worker.freeze(True) and text(group / "cgroup.freeze") == "1"
    assert not worker.freeze(True, wait=True)  # asked, but the kernel never said it is done (1 s)
    (group / "cgroup.events").write_text("populated 1\nfrozen 1\n")
    assert worker.freeze(True, wait=True)
    worker.join()
    assert text(group / "cgroup.procs") == "0"  # "0": the writing process itself
    (group / "cgroup.procs").write_text("")
    assert worker.kill_all() and text(group / "cgroup.kill") == "1" and text(group / "cgroup.freeze") == "0"
    worker.remove()
    assert not group.exists()


def test_v1_caps_clock_and_freezer_keep_their_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FakeKernel(monkeypatch)
    root = fake_v1(tmp_path)
    where = Plan({c: v1_place(c, root) for c in CAPABILITIES}, {})
    assert all(isinstance(p, Place) and p.version == 1 for p in where.places.values())
    worker = WorkerCgroups(32, 1024, freezer=True, where=where)
    paths = {c: worker._by[c].path for c in CAPABILITIES}
    assert {p.parent.name for p in paths.values()} == {"pids", "memory", "cpuacct", "freezer"}
    assert text(paths["pids"] / "pids.max") == "32"
    assert text(paths["memory"] / "memory.limit_in_bytes") == str(1024 << 20)
    assert text(paths["memory"] / "memory.memsw.limit_in_bytes") == str(1024 << 20)
    (paths["memory"] / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (paths["memory"] / "memory.failcnt").write_text("5\n")
    assert worker.memory_hits() == (2, 5) and worker.memory_hit_since((2, 4))
    (paths["cpu"] / "cpuacct.usage").write_text("1500000000\n")
    assert worker.cpu_seconds() == pytest.approx(1.5)
    assert worker.freeze(True) and text(paths["freezer"] / "freezer.state") == "FROZEN"
    worker.join()
    assert all(text(p / "cgroup.procs") == "0" for p in paths.values())
    for p in paths.values():
        (p / "cgroup.procs").write_text("")
    assert worker.kill_all() and text(paths["freezer"] / "freezer.state") == "THAWED"
    worker.remove()
    assert not any(p.exists() for p in paths.values())


def test_a_v1_hierarchy_the_harness_cannot_write_says_run_as_root(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cgroups, "_mkdir", refuse)
    root = fake_v1(tmp_path)
    assert v1_place("pids", root) == "cgroup v1 `pids` is not writable: run as root"
    assert v1_place("cpu", tmp_path / "nothing") is None


# ------------------------------------------------ finding and preparing a delegated v2 subtree
HYBRID_MOUNTS = """31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
V2_MOUNTS = "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope"


def test_the_harnesss_own_v2_cgroup_is_read_from_proc() -> None:
    assert own_v2_cgroup(HYBRID_MOUNTS, "8:pids:/\n1:cpu:/\n0::/\n") == Path("/sys/fs/cgroup/unified")
    assert own_v2_cgroup(V2_MOUNTS, f"0::{SCOPE}\n") == Path("/sys/fs/cgroup" + SCOPE)
    assert own_v2_cgroup(HYBRID_MOUNTS.replace("cgroup2 cgroup2", "cgroup cgroup"), "0::/\n") is None
    assert own_v2_cgroup(V2_MOUNTS, "1:name=systemd:/\n") is None
    here = own_v2_cgroup(Path("/proc/self/mountinfo").read_text(), Path("/proc/self/cgroup").read_text())
    assert here is None or (here / "cgroup.procs").exists()


def test_a_delegated_scope_gets_the_harness_moved_into_a_leaf_and_controllers_enabled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(monkeypatch)
    own = fake_v2(tmp_path / "run-r1.scope", procs="4242\n")
    subtree = prepare_subtree(own, 4242)
    leaf = own / f"harness-main-4242-{os.stat('/proc/self/ns/pid').st_ino}"
    moved, enabled = (leaf / "cgroup.procs", "4242"), (own / "cgroup.subtree_control", "+pids +memory")
    assert moved in kernel.writes and enabled in kernel.writes
    assert kernel.writes.index(moved) < kernel.writes.index(enabled)  # no process left in own first
    assert subtree == Subtree(own, frozenset(CAPABILITIES), {})
    assert prepare_subtree(leaf, 4242).path == own  # the harness, or a child of it, in the leaf: its parent


def test_a_cgroup_shared_with_other_processes_gets_no_controllers(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(monkeypatch)
    own = fake_v2(tmp_path / "actions.runner.service", procs="4242\n777\n")
    subtree = prepare_subtree(own, 4242)
    assert [p.name for p in own.iterdir() if p.is_dir()] == [] and kernel.writes == []
    assert subtree.path == own and subtree.offers == {"cpu", "freezer"}
    assert "holds other processes" in subtree.why["pids"] and "Delegate=yes" in subtree.why["memory"]


def test_the_root_cgroup_enables_controllers_without_moving_anyone(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(monkeypatch)
    own = fake_v2(tmp_path / "cgroup", controllers="cpu memory pids", enabled="pids", procs="1\n4242\n",
                  root=True)
    subtree = prepare_subtree(own, 4242)
    assert [p.name for p in own.iterdir() if p.is_dir()] == []
    assert kernel.writes == [(own / "cgroup.subtree_control", "+memory")]
    assert text(own / "cgroup.subtree_control") == "pids memory" and subtree.offers == frozenset(CAPABILITIES)


def test_a_subtree_without_controllers_or_write_access_says_how_to_get_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(monkeypatch)
    own = fake_v2(tmp_path / "cgroup", controllers="cpu io", procs="4242\n")
    subtree = prepare_subtree(own, 4242)
    assert subtree.offers == {"cpu", "freezer"} and "`pids` controller is not delegated" in subtree.why["pids"]
    assert kernel.writes == []  # nothing to enable: nobody moved

    def refuse(path: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cgroups, "_mkdir", refuse)
    subtree = prepare_subtree(own, 4242)
    assert subtree.path is None and not subtree.offers
    assert subtree.why == {cap: f"cgroup v2 without a delegated subtree: {DELEGATE}" for cap in CAPABILITIES}


# ------------------------------------------------------------------ the choice
V1_ALL = {cap: Place(Path(f"/v1/{cap}"), 1) for cap in CAPABILITIES}
V2_SCOPE = Path("/sys/fs/cgroup/user.slice/run-r1.scope")


def v2_offering(*caps: str) -> Subtree:
    why = {cap: f"cgroup v2: the `{cap}` controller is not delegated" for cap in CAPABILITIES if cap not in caps}
    return Subtree(V2_SCOPE, frozenset(caps), why)


def decide(v1: dict[str, Place | str | None], v2: Subtree | None, force: str = "") -> tuple[Plan, list[str]]:
    """The plan for a machine with these hierarchies, and the run's notes on its cgroups."""
    calls = []

    def get_v2() -> Subtree | None:
        calls.append(1)
        return v2

    plan = choose(lambda cap: v1.get(cap), get_v2, forced(force))
    if all(cap in plan.places and plan.places[cap].version == 1 for cap in CAPABILITIES) and not force:
        assert calls == [], "v2 was looked at although v1 offers everything"
    caps = Capabilities(namespaces=True, landlock_abi=6, pids_cgroup=plan.has("pids"), seccomp=True,
                        memory_cgroup=plan.has("memory"), cpuacct_cgroup=plan.has("cpu"),
                        cgroup_notes=tuple(plan.notes()))
    return plan, caps.notes()


def versions(plan: Plan) -> dict[str, int]:
    return {cap: place.version for cap, place in plan.places.items()}


def test_cgroup_v1_serves_everything_it_offers_with_no_note() -> None:
    plan, notes = decide(V1_ALL, v2_offering(*CAPABILITIES))
    assert versions(plan) == dict.fromkeys(CAPABILITIES, 1) and notes == []


def test_a_delegated_v2_subtree_serves_everything_with_no_note() -> None:
    plan, notes = decide({}, v2_offering(*CAPABILITIES))
    assert versions(plan) == dict.fromkeys(CAPABILITIES, 2) and notes == []
    assert {place.parent for place in plan.places.values()} == {V2_SCOPE}


def test_v2_without_a_delegated_subtree_gives_one_note_per_capability_saying_how() -> None:
    no_delegation = Subtree(None, why={cap: f"cgroup v2 without a delegated subtree: {DELEGATE}"
                                       for cap in CAPABILITIES})
    plan, notes = decide({}, no_delegation)
    assert plan.places == {}
    assert notes == [
        "no pids cgroup here (cgroup v2 without a delegated subtree: run under `systemd-run --user --scope "
        "-p Delegate=yes`, or as root): the number of processes a plugin starts is not capped, and every "
        "task gets a newly started worker (slower)",
        "no memory cgroup here (cgroup v2 without a delegated subtree: run under `systemd-run --user --scope "
        "-p Delegate=yes`, or as root): the memory limit holds per process, not for all of a plugin's "
        "processes together",
        "no cpuacct cgroup here (cgroup v2 without a delegated subtree: run under `systemd-run --user --scope "
        "-p Delegate=yes`, or as root): the CPU-time limit of a case holds per process (a plugin that lifts "
        "it is stopped by the wall-time limit)",
        "no freezer cgroup here (cgroup v2 without a delegated subtree: run under `systemd-run --user --scope "
        "-p Delegate=yes`, or as root): the plugin's worker is not frozen while the reference's speed is "
        "measured",
    ]


def test_a_subtree_without_controllers_still_tracks_processes() -> None:
    plan, notes = decide({}, v2_offering("cpu", "freezer"))
    assert versions(plan) == {"cpu": 2, "freezer": 2}
    assert [n.split(" (")[0] for n in notes] == ["no pids cgroup here", "no memory cgroup here"]
    assert "`pids` controller is not delegated" in notes[0] and "newly started worker" not in notes[0]


def test_a_hybrid_machine_as_a_user_names_root_and_delegation() -> None:
    not_root = {cap: f"cgroup v1 `{cgroups.V1_CONTROLLERS[cap]}` is not writable: run as root"
                for cap in CAPABILITIES}
    plan, notes = decide(not_root, Subtree(None, why={cap: "cgroup v2 without a delegated subtree"
                                                      for cap in CAPABILITIES}))
    assert plan.places == {}
    assert notes[0].startswith("no pids cgroup here (cgroup v1 `pids` is not writable: run as root): ")
    assert notes[2].startswith("no cpuacct cgroup here (cgroup v1 `cpuacct` is not writable: run as root; "
                               "cgroup v2 without a delegated subtree): ")
    plan, notes = decide(not_root, v2_offering("cpu", "freezer"))  # a delegated scope on a hybrid machine
    assert versions(plan) == {"cpu": 2, "freezer": 2} and len(notes) == 2


def test_no_cgroups_at_all_and_forced_choices() -> None:
    plan, notes = decide({}, None)
    assert plan.places == {} and len(notes) == 4 and all("(no cgroup file system here)" in n for n in notes)
    plan, notes = decide(V1_ALL, v2_offering("cpu", "freezer"), "cpu=v2,freezer=v2")
    assert versions(plan) == {"pids": 1, "memory": 1, "cpu": 2, "freezer": 2} and notes == []
    plan, notes = decide(V1_ALL, v2_offering("cpu", "freezer"), "pids=v2,memory=none")
    assert versions(plan) == {"cpu": 1, "freezer": 1}
    assert [n.split(": the ")[0] for n in notes] == [
        "no pids cgroup here (cgroup v2: `pids` is bound to cgroup v1 here)",
        f"no memory cgroup here (turned off by {FORCE_ENV})"]
    with pytest.raises(ValueError, match=FORCE_ENV):
        forced("cpu=v3")


# ----------------------------------------- grading with v2 for the CPU clock and the freezer
@pytest.fixture
def force() -> Iterator[Callable[[str], None]]:
    """Sets ``HARNESS_TEST_CGROUPS`` for this process's harness; checks afterwards that no cgroup is left."""
    def choose_cgroups(value: str) -> None:
        os.environ[FORCE_ENV] = value
        cgroups.plan.cache_clear()

    parents = {place.parent for place in cgroups.plan().places.values()} | {V2_PARENT} - {None}
    try:
        yield choose_cgroups
    finally:
        os.environ.pop(FORCE_ENV, None)
        cgroups.plan.cache_clear()
    assert not [p for parent in parents for p in parent.glob(f"harness-{os.getpid()}-*")], "cgroups left behind"


@pytest.fixture
def forced_v2(force: Callable[[str], None]) -> None:
    """This process's harness uses cgroup v2 for the CPU clock and the freezer (v1 for the rest)."""
    force("cpu=v2,freezer=v2")


def relu_case(z: np.ndarray) -> Case:
    return Case("relu", "fixed", [Call("relu", {"z": z})], value_judge(np.maximum(z, 0.0), rtol=0, atol=0))


@needs_v2
def test_forced_v2_cpu_clock_caps_all_processes_of_a_case(forced_v2: None) -> None:
    limits = Limits(case_seconds=20, cpu_seconds=2, memory_mb=1024, start_seconds=10)
    session = PluginSession(resolve(str(HOSTILE / "cpu_hog.py")), limits)
    try:
        assert session.run_case(relu_case(np.array([-1.0, 2.0]))).outcome == PASS
        worker = session.worker
        assert worker.cgroups._by["cpu"].path.parent == V2_PARENT
        assert worker.cgroups._by["pids"].path.parent.name == "pids"  # the rest stays on v1
        z = np.array([-1.0, 0.0, 2.0])
        verdict = session.run_case(Case("relu_grad", "fixed", [Call("relu_grad", {"z": z})],
                                        value_judge((z > 0).astype(float), rtol=0, atol=0)))
    finally:
        session.close()
    assert verdict.outcome == CRASH, verdict
    assert "CPU-time limit (2 s) reached (all the plugin's processes together" in verdict.message


@needs_v2
def test_forced_v2_freezer_stops_a_timed_worker(forced_v2: None) -> None:
    session = PluginSession(resolve("numpy"), Limits(case_seconds=10, memory_mb=1024, timed=True))
    try:
        worker = session.start()
        group = worker.cgroups._by["freezer"]
        assert group.path.parent == V2_PARENT and group is worker.cgroups._by["cpu"]
        assert set(worker.cgroups.procs()) >= {worker.proc.pid} and worker.cgroups.cpu_seconds() > 0
        assert worker.cgroups.freeze(True, wait=True)
        assert "frozen 1" in (group.path / "cgroup.events").read_text()
        assert worker.cgroups.freeze(False, wait=True)
        assert session.run_case(relu_case(np.array([-1.0, 2.0]))).outcome == PASS
    finally:
        session.close()


def test_without_a_pids_cgroup_another_cgroup_still_finds_a_tasks_processes(
        force: Callable[[str], None]) -> None:
    """So the worker is forked per task and kept, not started again for every task."""
    force("pids=none,memory=none")
    session = PluginSession(resolve("numpy"), Limits(case_seconds=10, memory_mb=1024))
    try:
        assert session.run_case(relu_case(np.array([-1.0, 2.0]))).outcome == PASS
        worker = session.worker
        assert not worker.cgroups.has("pids") and worker.cgroups.tracks() and worker.zygote
        session.end_task()
        assert session.run_case(relu_case(np.array([3.0]))).outcome == PASS and session.worker is worker
    finally:
        session.close()


@needs_v2
def test_grading_and_speed_with_v2_for_the_cpu_clock_and_freezer(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORCE_ENV, "cpu=v2,freezer=v2")
    res = run("numpy", tmp_path / "out", "--tasks", "relu", speed=True)
    assert res.code == 0, res.out + res.err
    assert not [n for n in res.summary()["notes"] if "cgroup" in n]
    tasks = res.tasks()
    assert np.isfinite(tasks["speed_ratio"]).all() and (tasks["speed_points"] > 0).all()
    monkeypatch.setenv(FORCE_ENV, ",".join(f"{cap}=none" for cap in CAPABILITIES))
    res = run("numpy", tmp_path / "none", "--tasks", "relu,tanh")
    assert res.code == 0, res.out + res.err
    notes = [n for n in res.summary()["notes"] if "cgroup" in n]
    assert [n.split(" (")[0] for n in notes] == [f"no {c} cgroup here" for c in ("pids", "memory", "cpuacct",
                                                                                 "freezer")]
    assert all(f"(turned off by {FORCE_ENV})" in n for n in notes)
