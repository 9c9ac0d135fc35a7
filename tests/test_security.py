"""Hostile plugins (tests/plugins/hostile/) against the sandbox: docs/security.md, point by point.

Each hostile plugin has one hostile behaviour beside correct hooks. Every test
checks the outcome of the hostile cases, that the correct hooks graded around
them still pass, and (an autouse fixture) that when grading ends no process
the plugin started is left, no zombie, and no cgroup of this process.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import harness
import reference
import tasks
from harness.grading.compare import value_judge
from harness.grading.model import (
    CRASH,
    ERROR,
    FAIL,
    INVALID,
    PASS,
    TIMEOUT,
    Call,
    Case,
    Task,
    Verdict,
)
from harness.grading.runner import PluginSession, grade
from harness.loading.plugins import resolve
from harness.sandbox.cgroups import plan, remove_stale_cgroups
from harness.sandbox.launch import Limits, probe
from harness.sandbox.tempdirs import remove_stale_tempdirs

HOSTILE = Path(__file__).parent / "plugins" / "hostile"
COPIES = Path("/var/tmp/harness-test-hostile")
CAPS = probe()
#: Where this machine's worker cgroups are made (cgroup v1 or v2; harness/cgroups.py).
CGROUP_PARENTS = sorted({place.parent for place in plan().places.values()})
PIDS_PARENT = plan().places["pids"].parent if CAPS.pids_cgroup else None
LIMITS = Limits(case_seconds=2, cpu_seconds=30, memory_mb=1024, output_mb=64, max_processes=32,
                start_seconds=10)
GIB = 1 << 30

Z = np.array([-1.0, 0.0, 2.0])
ALPHA = 0.1
_S = 1.0 / (1.0 + np.exp(-Z))
EXPECTED = {
    "relu": np.maximum(Z, 0.0), "sigmoid": _S, "tanh": np.tanh(Z),
    "relu_grad": (Z > 0).astype(float), "sigmoid_grad": _S * (1.0 - _S), "tanh_grad": 1.0 - np.tanh(Z) ** 2,
    "leaky_relu_grad": np.where(Z > 0, 1.0, ALPHA),
}

needs_namespaces = pytest.mark.skipif(not CAPS.namespaces, reason="no PID/network namespaces here")
needs_landlock = pytest.mark.skipif(CAPS.landlock_abi < 1, reason="no Landlock here")
needs_pids_cgroup = pytest.mark.skipif(not CAPS.pids_cgroup, reason="no pids cgroup here")
needs_memory_cgroup = pytest.mark.skipif(not CAPS.memory_cgroup, reason="no memory cgroup here")
needs_seccomp = pytest.mark.skipif(not CAPS.seccomp, reason="no seccomp filter for this machine")


# ------------------------------------------------------------------ helpers
def make_case(hook: str) -> Case:
    kwargs: dict[str, object] = {"z": Z.copy()}
    if hook.startswith("leaky"):
        kwargs["alpha"] = ALPHA
    return Case(hook, "fixed", [Call(hook, kwargs)], value_judge(EXPECTED[hook], rtol=1e-12, atol=1e-12))


def plugin(name: str) -> Path:
    """A copy of the hostile plugin that sets the test's HOSTILE_* variables itself.

    (A worker inherits none of the grader's variables.) The copy's folder is
    named after the marker, so the processes it starts can be found.
    """
    settings = {k: v for k, v in os.environ.items() if k.startswith("HOSTILE_")}
    folder = COPIES / settings.get("HOSTILE_MARKER", "no-marker")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{name}.py"
    source = (HOSTILE / f"{name}.py").read_text()
    future, _, rest = source.partition("from __future__ import annotations\n")
    head = f"{future}from __future__ import annotations\n" if rest else ""
    copy.write_text(f"{head}import os as _os\n_os.environ.update({settings!r})\n{rest or source}")
    return copy


def run(name: str, hooks: list[str], limits: Limits = LIMITS) -> list[Verdict]:
    """Grade ``hooks`` (one case each, in order) of a hostile plugin in one session."""
    session = PluginSession(resolve(str(plugin(name))), limits)
    try:
        return [session.run_case(make_case(hook)) for hook in hooks]
    finally:
        session.close()


def outcomes(verdicts: list[Verdict]) -> list[str]:
    return [v.outcome for v in verdicts]


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def plugin_processes(marker: str) -> list[str]:
    """Processes whose command line holds the marker: the test's copy of a hostile plugin (its workers, their forks).

    Not the hostile plugins' own folder: the suite's other workers run them meanwhile.
    """
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        cmd = _cmdline(pid)
        if int(pid) != os.getpid() and marker in cmd:
            found.append(f"{pid}: {cmd[:400]}")
    return found


def zombie_children() -> list[int]:
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state == "Z" and int(ppid) == os.getpid():
            out.append(int(pid))
    return out


def own_cgroups() -> list[Path]:
    return [p for root in CGROUP_PARENTS for p in root.glob(f"harness-{os.getpid()}-*")]


def wait_for(check: Callable[[], list], seconds: float = 5.0) -> list:
    """``check()`` until it returns an empty list or ``seconds`` pass; its last result."""
    deadline = time.monotonic() + seconds
    while (left := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _pss(pid: str) -> int:
    """Proportional set size: shared pages split among their sharers (forks share the worker's)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


class Sampler(threading.Thread):
    """Samples, every 10 ms, the processes whose command line holds ``needle``: peak count, peak memory."""

    def __init__(self, needle: str) -> None:
        super().__init__(daemon=True)
        self.needle, self.peak_count, self.peak_rss = needle, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            count = rss = 0
            for pid in filter(str.isdigit, os.listdir("/proc")):
                if self.needle in _cmdline(pid):
                    try:
                        rss += _pss(pid)
                        count += 1
                    except (OSError, IndexError, ValueError):
                        pass
            self.peak_count, self.peak_rss = max(self.peak_count, count), max(self.peak_rss, rss)
            time.sleep(0.01)

    def __enter__(self) -> Sampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()


def peak_rss() -> int:
    """The peak resident memory of this (grading) process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(autouse=True)
def marker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique word the plugins put in their children's command lines; checks cleanup afterwards."""
    word = f"hostile-marker-{uuid.uuid4().hex}"
    monkeypatch.setenv("HOSTILE_MARKER", word)
    yield word
    assert wait_for(lambda: plugin_processes(word)) == [], "processes outlived grading"
    assert wait_for(zombie_children) == [], "zombie processes left"
    assert own_cgroups() == [], "cgroups left behind"
    shutil.rmtree(COPIES / word, ignore_errors=True)


# ------------------------------------------------------------- 3. crashes
def test_infinite_loop_deaf_to_sigterm_times_out_alone() -> None:
    t0 = time.monotonic()
    verdicts = run("infinite_loop", ["relu", "sigmoid", "relu", "tanh"])
    assert outcomes(verdicts) == [PASS, TIMEOUT, PASS, PASS]
    assert "2 s" in verdicts[1].message
    assert time.monotonic() - t0 < 10


def test_segfault_is_a_crash_naming_its_signal() -> None:
    verdicts = run("segfault", ["relu", "sigmoid", "tanh", "relu"])
    assert outcomes(verdicts) == [PASS, CRASH, PASS, PASS]
    assert "SIGSEGV" in verdicts[1].message


def test_exit_status_zero_and_sys_exit_in_the_middle() -> None:
    verdicts = run("exit_zero", ["relu", "sigmoid", "relu", "tanh", "relu"])
    assert outcomes(verdicts) == [PASS, CRASH, PASS, ERROR, PASS]
    assert "exited with status 0 in the middle of a case" in verdicts[1].message
    assert "SystemExit" in verdicts[3].message


def test_cpu_limit_is_a_crash_naming_the_limit() -> None:
    limits = Limits(case_seconds=20, cpu_seconds=2, memory_mb=1024, start_seconds=10)
    verdicts = run("cpu_hog", ["relu", "sigmoid", "tanh"], limits)
    assert outcomes(verdicts) == [PASS, CRASH, PASS]
    assert "CPU-time limit (2 s) reached" in verdicts[1].message


@pytest.mark.skipif(not CAPS.cpuacct_cgroup, reason="no cpuacct cgroup here")
def test_cpu_limit_holds_for_all_processes_of_a_case_even_a_lifted_one() -> None:
    limits = Limits(case_seconds=20, cpu_seconds=2, memory_mb=1024, start_seconds=10)
    verdicts = run("cpu_hog", ["relu", "relu_grad", "tanh"], limits)
    assert outcomes(verdicts) == [PASS, CRASH, PASS]
    assert "CPU-time limit (2 s) reached (all the plugin's processes together" in verdicts[1].message


def test_cpu_limit_is_per_case_not_per_worker() -> None:
    """Each relu case needs about 0.6 s of CPU; five of them in one worker stay within a 1-s limit per case."""
    limits = Limits(case_seconds=20, cpu_seconds=1, memory_mb=1024, start_seconds=10)
    session = PluginSession(resolve(str(HOSTILE.parent / "slow_but_correct.py")), limits)
    try:
        verdicts = [session.run_case(make_case(hook)) for hook in ["relu"] * 5 + ["tanh"]]
    finally:
        session.close()
    assert outcomes(verdicts) == [PASS] * 6, verdicts


def test_memory_hog_hits_the_memory_limit() -> None:
    verdicts = run("memory_hog", ["relu", "sigmoid", "relu"])
    assert outcomes(verdicts) == [PASS, ERROR, PASS]
    assert "memory limit (1024 MiB) reached" in verdicts[1].message


@needs_memory_cgroup
def test_memory_of_all_a_plugins_processes_together_is_capped() -> None:
    limits = Limits(case_seconds=20, memory_mb=1024, start_seconds=10)  # the kernel takes its time
    with Sampler(str(plugin("memory_hog"))) as sampler:
        verdicts = run("memory_hog", ["relu", "tanh", "relu"], limits)
    assert outcomes(verdicts)[::2] == [PASS, PASS]
    assert verdicts[1].outcome in (ERROR, CRASH) and "memory limit" in verdicts[1].message, verdicts[1]
    assert sampler.peak_count >= 2
    assert sampler.peak_rss < 1.15 * LIMITS.memory_mb * (1 << 20), sampler.peak_rss / GIB


def test_huge_outputs_are_refused_and_the_grader_stays_small() -> None:
    before = peak_rss()
    verdicts = run("huge_output", ["relu", "sigmoid", "relu", "tanh", "relu"])
    assert outcomes(verdicts) == [PASS, INVALID, PASS, INVALID, PASS]
    assert "output too large" in verdicts[1].message and "64 MiB" in verdicts[1].message
    assert "output too large" in verdicts[3].message
    assert peak_rss() - before < GIB


@needs_pids_cgroup
def test_fork_storm_is_capped_and_cleaned() -> None:
    with Sampler(str(plugin("fork_storm"))) as sampler:
        verdicts = run("fork_storm", ["relu", "sigmoid", "relu", "tanh"])
    assert outcomes(verdicts) == [PASS, TIMEOUT, PASS, PASS]
    assert LIMITS.max_processes // 2 < sampler.peak_count <= LIMITS.max_processes + 1  # + unshare


@needs_namespaces
def test_processes_that_leave_the_session_do_not_outlive_grading(marker: str) -> None:
    session = PluginSession(resolve(str(plugin("daemon"))), LIMITS)
    try:
        assert [session.run_case(make_case(h)).outcome for h in ("relu", "sigmoid", "tanh")] == [PASS] * 3
        assert len(plugin_processes(marker)) >= 3  # the worker and its two daemons
        session.worker.kill()  # a worker killed (a timeout): its daemons go with it
        assert wait_for(lambda: plugin_processes(marker)) == []
        assert session.run_case(make_case("sigmoid")).outcome == PASS  # a new worker, new daemons
    finally:
        session.close()


def test_closed_or_replaced_descriptors_affect_only_their_case() -> None:
    verdicts = run("fd_tamper", ["relu", "sigmoid", "relu", "tanh", "relu"])
    assert outcomes(verdicts)[::2] == [PASS, PASS, PASS]
    assert verdicts[1].outcome in (TIMEOUT, CRASH)
    assert verdicts[3].outcome == CRASH


def _grade_import(name: str, limits: Limits = LIMITS) -> list[Verdict]:
    task = Task(name="relu", hook="relu", group="activations", points=1.0, slide="",
                make_cases=lambda rng: [make_case("relu"), make_case("relu")])
    grading = grade(resolve(str(plugin(name))), [task, task], seed=1, limits=limits)
    return [r.verdict for r in grading.results]


@pytest.mark.parametrize("name, words", [
    ("import_error", "RuntimeError: hostile plugin refuses to load: 42"),
    ("import_exit", "exited with status 0 while importing the plugin"),
    ("import_hang", "did not finish importing within 2 s"),
])
def test_import_failures_name_what_happened(name: str, words: str) -> None:
    t0 = time.monotonic()
    verdicts = _grade_import(name, Limits(case_seconds=2, memory_mb=1024, start_seconds=2))
    assert outcomes(verdicts) == [ERROR] * 4
    assert all(v.message.startswith("import failed:") and words in v.message for v in verdicts), verdicts[0]
    assert time.monotonic() - t0 < 8  # one attempt, not one per case


# ------------------------------------------------------------- 1. isolation
def _listing(path: Path) -> set[str]:
    return set(os.listdir(path)) if path.is_dir() else set()


@needs_landlock
def test_no_file_is_written_outside_scratch(tmp_path: Path, marker: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "report"
    report.mkdir()
    (report / "summary.json").write_text("{}")
    monkeypatch.setenv("HOSTILE_TARGETS", json.dumps({"dirs": [str(report)]}))
    watched = [Path(harness.__file__).parent, Path(reference.__file__).parent, Path(tasks.__file__).parent,
               HOSTILE, report, Path("/dev/shm"), Path("/tmp")]
    before = {d: _listing(d) for d in watched}
    stamp = Path(harness.__file__).stat().st_mtime_ns
    verdicts = run("escape_writes", ["relu", "sigmoid", "tanh"])
    assert outcomes(verdicts) == [PASS, PASS, PASS], verdicts[1].message
    for d in watched:
        new = {n for n in _listing(d) - before[d] if marker in n}  # its writes are named after the marker
        assert not new, f"written into {d}: {new}"
    assert Path(harness.__file__).stat().st_mtime_ns == stamp


@needs_namespaces
@needs_seccomp
def test_no_network_not_even_loopback_or_unix_sockets(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tcp = socket.create_server(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "s.sock"))
    unix.listen()
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram.bind(str(tmp_path / "d.sock"))
    monkeypatch.setenv("HOSTILE_PORT", str(port))
    monkeypatch.setenv("HOSTILE_UNIX", str(tmp_path / "s.sock"))
    monkeypatch.setenv("HOSTILE_UNIX_DGRAM", str(tmp_path / "d.sock"))
    try:
        verdicts = run("network", ["relu", "sigmoid", "tanh"])
        assert outcomes(verdicts) == [PASS, PASS, PASS], verdicts[1].message
        for sock, receive in ((tcp, tcp.accept), (unix, unix.accept), (udp, lambda: udp.recv(9)),
                              (dgram, lambda: dgram.recv(9))):
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                receive()
    finally:
        for sock in (tcp, udp, unix, dgram):
            sock.close()


@needs_seccomp
def test_a_root_worker_keeps_no_privilege() -> None:
    verdicts = run("privileged", ["relu", "sigmoid"])
    assert outcomes(verdicts) == [PASS, PASS], verdicts[1].message


# ------------------------------------------------------------- 2. scores
def test_monkeypatching_numpy_harness_reference_and_clock_changes_nothing() -> None:
    verdicts = run("monkeypatch", ["relu", "sigmoid", "tanh"])
    assert outcomes(verdicts) == [PASS, FAIL, PASS]
    assert "got -1" in verdicts[1].message


def test_lying_arrays_are_judged_on_their_float64_values() -> None:
    verdicts = run("lying_array", ["relu", "sigmoid", "tanh", "relu_grad", "sigmoid_grad", "tanh_grad", "relu"])
    assert outcomes(verdicts) == [PASS, FAIL, FAIL, INVALID, INVALID, INVALID, PASS]
    assert "got 0," in verdicts[1].message and "got 2," in verdicts[2].message
    assert "complex" in verdicts[4].message and "<U" in verdicts[5].message


@needs_landlock
def test_expected_values_cannot_be_found_in_the_worker() -> None:
    verdicts = run("stack_search", ["relu", "sigmoid"])
    assert outcomes(verdicts) == [PASS, FAIL], verdicts[1].message


def test_forged_answer_lines_earn_nothing() -> None:
    verdicts = run("forged_protocol", ["relu", "sigmoid", "relu", "tanh", "relu"])
    assert outcomes(verdicts)[::2] == [PASS, PASS, PASS]
    assert verdicts[1].outcome in (FAIL, INVALID)
    assert verdicts[3].outcome in (FAIL, INVALID)


def test_the_codec_reads_back_what_it_wrote_and_refuses_a_header_that_promises_more_than_its_data(
        tmp_path: Path) -> None:
    import io
    import zipfile

    from harness import codec

    tree = [("relu", {"z": np.arange(12.0).reshape(3, 4), "w": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
                      "e": np.zeros((0, 3)), "s": np.float64(2.5), "n": 3, "i": np.arange(4, dtype=np.int8)})]
    codec.write(tmp_path / "ok.npz", tree)
    (hook, got), = codec.read(tmp_path / "ok.npz", 1 << 20)
    assert hook == "relu" and set(got) == set(tree[0][1]) and got["s"] == 2.5 and got["n"] == 3
    for name in ("z", "w", "e", "i"):
        want = tree[0][1][name]
        assert got[name].dtype == want.dtype and np.array_equal(got[name], want) and got[name].flags.writeable
        base = got[name]
        while base.base is not None:
            base = base.base
        assert isinstance(base, np.ndarray)  # memory of its own, as np.load's (a correctness input looks so)
    assert got["w"].flags.f_contiguous

    def archive(array_bytes: bytes) -> Path:
        meta, buf = io.BytesIO(), io.BytesIO()
        np.save(meta, np.array('[{"$a": "a0"}]'))
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("__meta__.npy", meta.getvalue())
            zf.writestr("a0.npy", array_bytes)
        path = tmp_path / f"{uuid.uuid4().hex}.npz"
        path.write_bytes(buf.getvalue())
        return path

    whole = io.BytesIO()
    np.save(whole, np.arange(64.0))
    assert np.array_equal(codec.read(archive(whole.getvalue()))[0], np.arange(64.0))
    with pytest.raises(codec.Malformed, match="does not match|ends before"):  # 8 values short
        codec.read(archive(whole.getvalue()[:-64]))
    pairs = io.BytesIO()
    np.save(pairs, np.zeros(4, dtype=[("a", "<f8"), ("b", "<f8")]))
    with pytest.raises(codec.Malformed, match="does not match"):  # no plain array
        codec.read(archive(pairs.getvalue()))


def test_crafted_output_files_are_refused_quickly_and_cheaply() -> None:
    hooks = ["relu", "sigmoid", "relu", "tanh", "relu", "relu_grad", "sigmoid_grad", "tanh_grad",
             "leaky_relu_grad", "relu"]
    before, t0 = peak_rss(), time.monotonic()
    signal.alarm(60)  # a FIFO must not hang the grader: fail instead
    try:
        verdicts = run("forged_output", hooks)
    finally:
        signal.alarm(0)
    assert outcomes(verdicts) == [PASS, INVALID, PASS, INVALID, PASS, INVALID, INVALID, INVALID, INVALID, PASS]
    assert "does not match" in verdicts[1].message and "not a regular file" in verdicts[3].message
    assert "output too large" in verdicts[5].message
    assert time.monotonic() - t0 < 20 and peak_rss() - before < GIB


# ------------------------------------------------------------- cleanup
def _sleeper_in(cgroup: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["sleep", "60"])
    (cgroup / "cgroup.procs").write_text(str(proc.pid))
    return proc


@needs_pids_cgroup
def test_stale_cgroups_of_a_dead_harness_are_emptied_and_removed(gone: list[int]) -> None:
    ns = os.stat("/proc/self/ns/pid").st_ino
    stale = PIDS_PARENT / f"harness-{gone[0]}-{ns}-feedbeef"
    foreign = PIDS_PARENT / f"harness-{gone[0]}-{ns + 1}-feedbeef"  # another PID namespace's
    stale.mkdir()
    foreign.mkdir()
    sleepers = [_sleeper_in(stale), _sleeper_in(foreign)]
    try:
        assert remove_stale_cgroups.__wrapped__(PIDS_PARENT) >= 1
        assert sleepers[0].wait(timeout=5) == -signal.SIGKILL
        assert not stale.exists()
        assert sleepers[1].poll() is None and foreign.exists()
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        for path in (stale, foreign):
            if path.exists():
                wait_for(lambda path=path: [1] if (path / "cgroup.procs").read_text().split() else [])
                path.rmdir()


HARNESS_KILLED = textwrap.dedent("""
    import sys
    import numpy as np
    from harness.grading.compare import value_judge
    from harness.loading.plugins import resolve
    from harness.grading.model import Call, Case
    from harness.grading.runner import PluginSession
    from harness.sandbox.launch import Limits
    session = PluginSession(resolve(sys.argv[1]), Limits(case_seconds=600, memory_mb=1024))
    z = np.array([1.0])
    for hook in ("relu", "relu_grad"):  # relu_grad starts a daemon and sleeps: killed in there
        session.run_case(Case(hook, "fixed", [Call(hook, {"z": z})], value_judge(z, rtol=0, atol=0)))
        print(hook, flush=True)
""")


@needs_namespaces
@needs_pids_cgroup
def test_a_harness_killed_mid_run_leaves_no_worker(marker: str) -> None:
    """What a killed harness leaves, the next harness process cleans: its workers die with it.

    Its cgroup and its worker's scratch folder are looked for while it
    runs: once it is dead, any harness process started meanwhile (the
    suite's other workers start many) may have cleaned them already.
    """
    proc = subprocess.Popen([sys.executable, "-c", HARNESS_KILLED, str(plugin("daemon"))],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)  # a group of its own
    try:
        assert proc.stdout.readline().strip() == "relu"
        assert wait_for(lambda: [] if "relu_grad" in str(plugin_processes(marker)) else ["not yet"]) == []
        assert list(PIDS_PARENT.glob(f"harness-{proc.pid}-*")), "the harness's cgroup, to clean once it is killed"
        scratch = list(Path(tempfile.gettempdir()).glob(f"harness-worker-{proc.pid}-*"))  # its group's number
        assert scratch, "the harness's worker scratch folder, to clean once it is killed"
    finally:
        proc.kill()
        proc.wait()
    assert wait_for(lambda: plugin_processes(marker)) == []
    for parent in CGROUP_PARENTS:
        remove_stale_cgroups.__wrapped__(parent)
    assert not [p for parent in CGROUP_PARENTS for p in parent.glob(f"harness-{proc.pid}-*")]
    remove_stale_tempdirs.__wrapped__("worker")  # what the next harness process does, once
    assert not any(p.exists() for p in scratch)


def test_a_temporary_folder_stays_while_a_process_of_its_group_lives() -> None:
    """``harness grade`` compiles a plugin's Numba kernels in a pool process and times it in the main one."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    folder = Path(tempfile.mkdtemp(prefix=f"harness-numba-{sleeper.pid}-{os.stat('/proc/self/ns/pid').st_ino}-"))
    try:
        assert remove_stale_tempdirs.__wrapped__("numba") >= 0 and folder.exists()  # its group lives
        sleeper.kill()
        sleeper.wait()
        remove_stale_tempdirs.__wrapped__("numba")  # (or another harness process of the suite, first)
        assert not folder.exists()
    finally:
        sleeper.kill()
        shutil.rmtree(folder, ignore_errors=True)
