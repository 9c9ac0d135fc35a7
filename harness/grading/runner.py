"""The trusted side of grading: start workers, send cases, judge what comes back.

This process never imports a plugin. It talks to a :mod:`harness.worker.serve` over
two pipes (JSON lines) and a scratch directory (``.npz`` files): ``in/`` is
written here and only read by the worker, ``out/`` and ``work/`` are the only
places the worker may write. A worker that hangs is killed, one that dies is
restarted for the next case, and the case it took down is recorded with what
happened.

Tasks are isolated from each other: each task runs in a fresh fork of the
worker taken right after the plugin's import (see :mod:`harness.worker.serve`); at
the end of a task that fork and every process it left are killed, and the
scratch directory is emptied, so the next task starts from the same state
whatever a hook did. A hook that reached a limit (wall time, CPU time,
memory) :data:`FAST_FAIL_AFTER` times has its task's remaining cases marked
with that outcome without running them.
"""

from __future__ import annotations

import builtins
import json
import mmap
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness import codec, course
from harness.grading.memory import read_places
from harness.grading.model import (
    CRASH,
    ERROR,
    FAIL,
    INVALID,
    NOT_IMPLEMENTED,
    PASS,
    TIMEOUT,
    Case,
    Task,
    Verdict,
)
from harness.loading.plugins import PluginSpec
from harness.sandbox.cgroups import WAIT_S, WorkerCgroups
from harness.sandbox.confine import HARNESS_CODE, worker_access
from harness.sandbox.launch import (
    Limits,
    inner_pid,
    preexec,
    probe,
    wrap_command,
)
from harness.sandbox.tempdirs import make_tempdir

MAX_LINE = 1 << 20  # a protocol line longer than this is junk
CPU_POLL_S = 0.25  # how often the CPU time of a case's processes is read while it runs
FAST_FAIL_AFTER = 2  # limit hits of one hook after which its task's remaining cases are not run
#: Every worker's environment: threads pinned to one, so that timings and limits
#: are per core; glibc's malloc keeps freed blocks of up to 32 MiB instead of
#: unmapping them, so a timed call does not pay the kernel's page faults for
#: the output a previous call just freed (that cost varies from run to run).
WORKER_ENV = {
    **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                              "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")},
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(256 * 1024 * 1024),
}
#: The only variables of the grader's environment a worker inherits (never tokens, never paths
#: of the grader's own): the locale, the time zone, how Python finds the harness (PATH is the system's).
INHERITED_ENV = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_MESSAGES", "TZ",
                 "PYTHONPATH")


class _ForbiddenMessages:
    """What the runner says when the worker reports that a plugin used the grading code.

    The worker names a top-level package it refused to import ("tasks":
    "imports the grading tasks (and so the reference solution): not allowed"),
    or what a place it could not read is ("reads the grading tasks: not
    allowed"); the packages and what they are come from the course.
    """

    def get(self, key: str, default: str | None = None) -> str | None:
        imports = {**course.forbidden(), "harness": HARNESS_CODE}
        if key in imports:
            return f"imports {imports[key]}: not allowed"
        if key in imports.values():
            return f"reads {key.split(' (')[0]}: not allowed"
        return default

    def __getitem__(self, key: str) -> str:
        message = self.get(key)
        if message is None:
            raise KeyError(key)
        return message


FORBIDDEN_MESSAGES = _ForbiddenMessages()


class SharedPool:
    """Memory the grading side shares with speed workers: the timed calls' fresh inputs, read in place.

    One for a whole speed measurement, handed to every worker of it (the
    reference's and the plugins'), so that all sides read their inputs from
    the same physical memory; the grading side writes a side's inputs there
    right before its timed window. No file is read or mapped in a timed
    window.

    ``sealed`` (Linux): no worker can write to it. The memory is sealed
    against every write but this process's own mapping (``F_SEAL_FUTURE_WRITE``),
    and a worker maps it copy-on-write (:func:`harness.worker.bench.map_pool`):
    a call that writes over its input writes to a page of its own from then on, which
    no other side (and not this process) sees. So one plugin cannot leave
    anything there for the next one, and nothing needs wiping between
    them. A worker's outputs go to memory of its own (:attr:`WorkerProcess.outbox`).
    """

    def __init__(self, size: int, seal: bool = True) -> None:
        self.sealed = False
        if hasattr(os, "memfd_create"):
            self.fd = os.memfd_create(POOL_NAME if seal else "harness-outbox", os.MFD_ALLOW_SEALING if seal else 0)
        else:  # no memfd (not Linux): an unlinked temporary file
            self.fd, name = tempfile.mkstemp(prefix="harness-pool-")
            os.unlink(name)
        os.ftruncate(self.fd, size)
        self.size = size
        self.view = np.frombuffer(mmap.mmap(self.fd, size), dtype=np.float64)
        if seal:  # every page made now: a copy-on-write mapping reads the very pages written here
            self.view[:] = 0.0
        if seal and hasattr(os, "memfd_create"):
            import fcntl

            seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | F_SEAL_FUTURE_WRITE
            try:
                fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
                self.sealed = True
            except OSError:  # a kernel older than 5.1: the group's sides wipe it instead (TimedWorker.load)
                pass

    def close(self) -> None:
        os.close(self.fd)


F_SEAL_FUTURE_WRITE = 0x0010  # <linux/fcntl.h>; the fcntl module names it from Python 3.12 on
POOL_NAME = "harness-pool"  # its mappings' name in /proc/PID/smaps: "/memfd:harness-pool (deleted)"


def worker_env(scratch: Path, trusted_cache: bool, numba_cache: Path | None = None) -> dict[str, str]:
    """A worker's whole environment: an allowlist of the grader's, the thread pins, its scratch.

    A plugin's compiled Numba kernels go to ``numba_cache`` (its own folder,
    shared by its correctness and speed workers), else to its scratch.
    """
    env = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
    env["PATH"] = os.pathsep.join(dict.fromkeys([str(Path(sys.executable).parent), "/usr/local/bin",
                                                 "/usr/bin", "/bin"]))
    env.update(WORKER_ENV, TMPDIR=str(scratch / "work"), HOME=str(scratch / "work"),
               NUMBA_CACHE_DIR=str(numba_cache or scratch / "work" / "numba-cache"), PYTHONDONTWRITEBYTECODE="1")
    if trusted_cache:  # the trusted bundled reference keeps its warm Numba cache
        env.pop("NUMBA_CACHE_DIR")
        if os.environ.get("NUMBA_CACHE_DIR"):
            env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


class WorkerDied(Exception):
    """The worker ended, hung or broke the protocol while a request was open."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


class LoadFailed(Exception):
    """The plugin could not be loaded; ``kind`` is not_found, invalid or import."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


class WorkerProcess:
    """One sandboxed worker running one plugin."""

    def __init__(self, spec: PluginSpec, limits: Limits, writable: list[Path] = (),
                 pool: SharedPool | None = None, numba_cache: Path | None = None) -> None:
        self.spec = spec
        self.limits = limits
        self.scratch = make_tempdir("worker")
        for sub in ("in", "out", "work"):
            (self.scratch / sub).mkdir()
        self.cgroups = WorkerCgroups(limits.max_processes, limits.memory_mb, freezer=limits.timed)
        self._cpu_start: float | None = None  # the CPU seconds when the open request was sent
        self._memory_start = (0, 0)
        self.zygote: frozenset[int] = frozenset()  # host pids that outlive a task (see fork_task)
        self.in_task = False
        self.memory: int | None = None  # speed: the task fork's memory, read-only (see _open_memory)
        self._memory_pid: int | None = None  # the task fork's host pid, while ``memory`` is open
        self.phase = "while importing the plugin"
        env = worker_env(self.scratch, bool(writable), numba_cache)
        access = worker_access(spec, self.scratch, [*writable, *([numba_cache] if numba_cache else [])])
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        argv = [sys.executable, "-X", "faulthandler", "-m", "harness.worker.serve", str(req_r), str(resp_w),
                json.dumps(spec.to_dict()), str(self.scratch), json.dumps(access.to_dict())]
        self.pool = pool.view if pool is not None else None
        # A speed worker's outputs: memory only it and this process share (its commits, the calls shown).
        self._outbox = SharedPool(pool.size, seal=False) if pool is not None else None
        self.outbox = self._outbox.view if self._outbox is not None else None
        shared = (pool, self._outbox) if pool is not None and self._outbox is not None else ()
        argv += [f"{m.fd}:{m.size}" for m in shared]
        self._stderr = open(self.scratch / "stderr.txt", "ab")  # noqa: SIM115 (closed in close())
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            wrap_command(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
            pass_fds=(req_r, resp_w, *(m.fd for m in shared)), env=env,
            cwd=self.scratch / "work", preexec_fn=lambda: preexec(limits, self.cgroups),
        )
        os.close(req_r)
        os.close(resp_w)
        self._buf = b""
        self._next_id = 0
        self._issued: set[str] = set()
        self.hooks: set[str] = set()
        self.notes: list[str] = []
        self.unmarked: list[str] = []
        self.crash_detail = ""  # the last line the worker printed before it crashed (plugin text)

    # -- protocol ----------------------------------------------------------
    def _read_line(self, deadline: float) -> dict[str, Any]:
        sel = selectors.DefaultSelector()
        sel.register(self._resp_r, selectors.EVENT_READ)
        try:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkerDied(self._stop_for(TIMEOUT))
                if not sel.select(min(left, CPU_POLL_S)):
                    if self._over_cpu():
                        raise WorkerDied(self._stop_for(
                            CRASH, f"{self._cpu_reached()} (all the plugin's processes together; the worker "
                                   "was stopped)", "CPU-time limit"))
                    continue
                chunk = os.read(self._resp_r, 65536)
                if not chunk:
                    raise WorkerDied(self._died())
                self._buf += chunk
                if len(self._buf) > MAX_LINE:
                    raise WorkerDied(self._stop_for(INVALID, "the worker sent more than 1 MiB of junk "
                                                             "on its answer channel"))
        finally:
            sel.close()
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            raise WorkerDied(self._stop_for(INVALID, "the worker broke the answer protocol")) from None
        if not isinstance(msg, dict):
            raise WorkerDied(self._stop_for(INVALID, "the worker broke the answer protocol"))
        return msg

    def _over_cpu(self) -> bool:
        """Whether the open request's processes have used more CPU time than one case may."""
        if self._cpu_start is None:
            return False
        now = self.cgroups.cpu_seconds()
        return now is not None and now - self._cpu_start > self.limits.cpu_seconds

    def _cpu_reached(self) -> str:
        return f"CPU-time limit ({self.limits.cpu_seconds} s) reached"

    def _send(self, msg: dict[str, Any]) -> None:
        try:
            os.write(self._req_w, (json.dumps(msg) + "\n").encode())
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._died()) from None

    def hello(self) -> None:
        """Wait for the worker to import the plugin. Raises LoadFailed or WorkerDied."""
        try:
            msg = self._read_line(time.monotonic() + self.limits.start_seconds)
        except WorkerDied as exc:
            message = exc.verdict.message
            if exc.verdict.outcome == TIMEOUT:
                message = f"it did not finish importing within {self.limits.start_seconds:g} s (the worker was stopped)"
            raise LoadFailed("import", f"the plugin did not load: {message}") from None
        if msg.get("type") == "load_error":
            kind = msg.get("kind") if msg.get("kind") in ("not_found", "invalid", "import") else "import"
            detail = "\n".join(_strings(msg.get("traceback"))) or _text(msg.get("message"))
            if FORBIDDEN_MESSAGES.get(_text(msg.get("forbidden"))):
                detail = f"the plugin {FORBIDDEN_MESSAGES[msg['forbidden']]}"
            self.close()
            raise LoadFailed(kind, detail if kind == "import" else _text(msg.get("message")))
        self.hooks = set(_strings(msg.get("hooks")))
        self.notes = _strings(msg.get("notes"))
        self.unmarked = _strings(msg.get("unmarked"))
        self.phase = "in the middle of a case"
        self.zygote = self._zygote_pids()

    # -- tasks -------------------------------------------------------------
    def _zygote_pids(self) -> frozenset[int]:
        """The host pids of the processes that outlive a task; empty when tasks cannot be forked here.

        They are the worker that imported the plugin and, in a PID namespace,
        the namespace wrapper and the namespace's init (process 1); the worker
        is process 2, the init's first child. Every other process of the
        sandbox (a task's fork and what it started) is killed at a task's end.
        """
        if not self.cgroups.tracks():
            return frozenset()  # no way to find every process a task left
        if not probe().namespaces:
            return frozenset({self.proc.pid})
        keep = {self.proc.pid} | {p for p in self.cgroups.procs() if inner_pid(p) in (1, 2)}
        return frozenset(keep) if len(keep) == 3 else frozenset()

    def fork_task(self) -> None:
        """Serve the next requests from a fresh fork of the worker as it was after the import.

        Raises WorkerDied; a worker that cannot fork tasks (no ``zygote``)
        serves them itself.
        """
        if not self.zygote or self.in_task:
            return
        answer = self.exchange({"op": "fork"}, self.limits.start_seconds)
        if answer.get("status") != "ok":
            raise WorkerDied(self._stop_for(INVALID, "the worker broke the answer protocol"))
        self.in_task = True
        self._memory_start = self.cgroups.memory_hits()
        if self.outbox is not None:
            self.memory = self._open_memory(answer.get("pid"))

    def _open_memory(self, pid: Any) -> int | None:
        """A descriptor of the task fork's memory (``/proc/PID/mem``), opened while it lets this process.

        The fork is dumpable until its next request (no plugin code runs
        before); non-dumpable from then on, its memory stays readable
        through this descriptor only. ``pid`` is the fork's own number (in
        its PID namespace). None where it cannot be opened.
        """
        if not isinstance(pid, int):
            return None
        forks = [p for p in set(self.cgroups.procs()) - self.zygote if inner_pid(p) == pid]
        if len(forks) != 1:
            return None
        try:
            fd = os.open(f"/proc/{forks[0]}/mem", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        self._memory_pid = forks[0]
        return fd

    def read_places(self, places: list[tuple[int, int]], into: np.ndarray) -> bool:
        """Fill ``into`` with the task fork's memory at each (address, values) of ``places``, one after another
        (:mod:`harness.grading.memory`); whether all of it was read. Only while ``memory`` is open: the fork is
        this worker's until the task ends."""
        if self.memory is None:
            return False
        return read_places(into, places, self._memory_pid, self.memory)

    def _close_memory(self) -> None:
        if self.memory is not None:
            os.close(self.memory)
            self.memory = None
        self._memory_pid = None

    def end_task(self) -> bool:
        """Kill the task's fork and all it started, empty the scratch; False: start a new worker instead."""
        if not self.alive():
            return False
        if not self.in_task:  # no case of the task forked (none implemented): the zygote ran no hook
            return bool(self.zygote)
        self.in_task = False
        self._cpu_start = None
        self._close_memory()
        if not self.cgroups.kill_all(keep=self.zygote) or not set(self.cgroups.procs()) >= self.zygote:
            return False
        try:
            ended = self._read_line(time.monotonic() + 5)
        except WorkerDied:
            return False
        if ended.get("type") != "task_ended" or self._buf or self._unsolicited():
            return False  # the task's fork said more than its answers: no reuse
        for sub in ("in", "out", "work"):
            for entry in (self.scratch / sub).iterdir():
                if entry.is_dir() and not entry.is_symlink():
                    if entry.name != "numba-cache":  # the plugin's compiled code, kept across tasks
                        shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        self._stderr.truncate(0)
        return True

    def request(self, op: str, payload: Any, timeout: float, **extra: Any) -> tuple[dict[str, Any], Any]:
        """Send one request; return the answer and the decoded outputs.

        A worker that sent anything more than its answer is stopped after it
        (the next request gets a new one).
        """
        rid = self._new_id()
        path = self.scratch / "in" / f"req-{rid}-{uuid.uuid4().hex[:8]}.npz"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        os.close(fd)
        codec.write(path, payload)
        self._cpu_start = self.cgroups.cpu_seconds()  # a case's CPU time is polled while it runs
        self._send({"id": rid, "op": op, "path": str(path), **extra})
        msg = self._answer(rid, time.monotonic() + timeout)
        path.unlink(missing_ok=True)
        out_path = self.scratch / "out" / f"out-{rid}.npz"
        try:
            outputs = codec.read(out_path, self.limits.output_mb * 1024 * 1024)
        except codec.TooLarge as exc:
            outputs = codec.Malformed(f"output too large ({exc}; the limit is {self.limits.output_mb} MiB)")
        except codec.Malformed as exc:
            outputs = exc
        finally:
            out_path.unlink(missing_ok=True)
        if self._unsolicited():
            self.kill()
        return msg, outputs

    def _unsolicited(self) -> bool:
        """Whether the worker has sent more than the answers it was asked for."""
        if self._buf:
            return True
        sel = selectors.DefaultSelector()
        sel.register(self._resp_r, selectors.EVENT_READ)
        try:
            return bool(sel.select(0)) and self.alive()
        finally:
            sel.close()

    def exchange(self, msg: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request that carries no files and wait for its answer line."""
        rid = self._new_id()
        self._cpu_start = None  # timed bench blocks read no cgroup file; their timeout bounds them
        self._send({"id": rid, **msg})
        answer = self._answer(rid, time.monotonic() + timeout)
        if self._unsolicited():
            self.kill()
        return answer

    def _new_id(self) -> str:
        """A request id with a random part: a plugin cannot write answers ahead of its requests."""
        self._next_id += 1
        rid = f"{self._next_id}-{secrets.token_hex(8)}"
        self._issued.add(rid)
        return rid

    def _answer(self, rid: str, deadline: float) -> dict[str, Any]:
        """The answer to request ``rid``; late answers to earlier requests are skipped.

        (A plugin that answered a request itself leaves the worker's own answer
        to arrive later.) Any other line breaks the protocol.
        """
        while True:
            msg = self._read_line(deadline)
            if msg.get("id") == rid:
                return msg
            if self.in_task and msg.get("type") == "task_ended":  # the task's fork died
                code = msg.get("status")
                raise WorkerDied(self._died(code if isinstance(code, int) else None))
            if not isinstance(msg.get("id"), str) or msg["id"] not in self._issued:
                raise WorkerDied(self._stop_for(INVALID, "the worker answered a request it was not sent"))

    # -- ending --------------------------------------------------------------
    def _stderr_tail(self) -> str:
        try:
            with open(self.scratch / "stderr.txt", "rb") as f:
                f.seek(max(f.seek(0, os.SEEK_END) - 4000, 0))
                data = f.read(4000).decode(errors="replace")
        except OSError:
            return ""
        lines = [ln for ln in data.splitlines() if ln.strip() and not ln.startswith("Extension modules:")]
        return lines[-1].strip() if lines else ""

    def _died(self, code: int | None = None) -> Verdict:
        """The verdict on a worker (or, with ``code``, a task's fork) that ended; the worker is killed."""
        if code is None:
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                return self._stop_for(CRASH, "the worker closed its channel and did not exit")
        memory_hit = self.cgroups.memory_hit_since(self._memory_start)
        self.kill()
        sig = -code if code < 0 else code - 128 if 128 < code < 128 + 65 else 0  # the init's 128 + signal
        limit = ""
        if sig:
            why, limit = self._why(sig, memory_hit)
            msg = f"the plugin's process crashed: {why}"
        else:
            msg = f"the plugin's process exited with status {code} {self.phase}"
        self.crash_detail = self._stderr_tail() if sig else ""
        return Verdict(CRASH, msg, limit=limit)

    def _why(self, sig: int, memory_hit: bool) -> tuple[str, str]:
        """What a signal that ended the worker means, and the limit it stands for ("" for none)."""
        if sig == signal.SIGXCPU:
            return f"{self._cpu_reached()} ({_signal_name(sig)})", "CPU-time limit"
        if sig == signal.SIGKILL and memory_hit:
            return f"memory limit ({self.limits.memory_mb} MiB) reached (killed by the kernel)", "memory limit"
        if sig == signal.SIGXFSZ:
            return f"output too large (file size limit {self.limits.output_mb} MiB)", ""
        return f"killed by {_signal_name(sig)}", ""

    def _stop_for(self, outcome: str, message: str = "", limit: str = "") -> Verdict:
        self.kill()
        if outcome == TIMEOUT:
            message = message or f"no answer within {self.limits.case_seconds:g} s (the worker was stopped)"
            limit = "timeout"
        return Verdict(outcome, message, limit=limit)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def freeze(self) -> None:
        """Freeze every process of the worker, until the kernel says they are (no-op without a freezer).

        Processes the kernel could not freeze within :data:`~harness.sandbox.cgroups.WAIT_S`
        would run on while the worker is meant to be held: the worker is
        stopped instead (WorkerDied).
        """
        if self.cgroups.has("freezer") and not self.cgroups.freeze(True, wait=True) and self.alive():
            raise WorkerDied(self._stop_for(CRASH, "the kernel could not freeze the plugin's processes within "
                                                   f"{WAIT_S:g} s (the worker was stopped)"))

    def kill(self) -> None:
        """Kill the worker and everything it started (its namespace dies with it)."""
        self.cgroups.freeze(False)  # a frozen process cannot die
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.cgroups.kill_all()  # without namespaces, what escaped the process group

    def close(self) -> None:
        self.kill()  # nothing in it is kept: killed, not asked to exit (its interpreter's teardown took 0.2 s)
        self.in_task = False
        self._close_memory()
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        if self._outbox is not None:
            self._outbox.close()
        self.cgroups.remove()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _strings(value: Any) -> list[str]:
    """The strings of a list the worker sent (anything else in it is dropped)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------- grading


@dataclass
class CaseResult:
    task: Task
    case: Case
    verdict: Verdict
    duration_s: float
    outputs: Any = None  # a public case's decoded outputs, kept for the report's charts


@dataclass
class Grading:
    """Everything one plugin's grading produced."""

    spec: PluginSpec
    results: list[CaseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hooks: set[str] = field(default_factory=set)


def _judge(case: Case, answer: dict[str, Any], outputs: Any, memory_mb: int) -> Verdict:
    verdict = _judge_all(case, answer, outputs, memory_mb)
    return conceal(verdict, answer) if case.hidden else verdict


#: What a hidden case's report says per outcome: no text of the plugin's (message, print, values).
HIDDEN_MESSAGES = {
    FAIL: "wrong output (a hidden case: its values are not shown)",
    INVALID: "invalid output (a hidden case: details are not shown)",
    CRASH: "the plugin's process crashed (a hidden case: details are not shown)",
}


def conceal(verdict: Verdict, answer: dict[str, Any] | None = None) -> Verdict:
    """A hidden case's verdict in the harness's words only: the outcome, the exception's type and line.

    The plugin controls its exception messages, its printed output, the values
    and shapes it returns and the text of its warnings: any of those could
    carry a hidden input out. Only a builtin exception's type name, the plugin's
    line number, a harness message chosen by a code, a timeout's and a known
    mistake's (harness) text remain.
    """
    if verdict.outcome in (PASS, NOT_IMPLEMENTED, TIMEOUT):
        return Verdict(verdict.outcome, "" if verdict.outcome == PASS else verdict.message)
    if verdict.outcome == ERROR and answer is not None:
        for meta in answer.get("results") or []:
            if isinstance(meta, dict) and meta.get("status") == "error":
                return Verdict(ERROR, _hidden_error(meta))
    hint = verdict.message.split(" — known mistake: ", 1)[1] if " — known mistake: " in verdict.message else ""
    text = HIDDEN_MESSAGES.get(verdict.outcome, f"{verdict.outcome} (a hidden case: details are not shown)")
    return Verdict(verdict.outcome, f"{text} — known mistake: {hint}" if hint and verdict.mistake else text,
                   verdict.mistake)


def _hidden_error(meta: dict[str, Any]) -> str:
    forbidden = FORBIDDEN_MESSAGES.get(_text(meta.get("forbidden")))
    if forbidden:
        return f"the plugin {forbidden}"
    kind = _text(meta.get("type"))
    cls = getattr(builtins, kind, None) if meta.get("builtin") is True and kind.isidentifier() else None
    builtin = isinstance(cls, type) and issubclass(cls, BaseException)
    what = kind if builtin else "an exception of the plugin's own class"
    line = meta.get("line")
    where = f" at line {line} of the plugin" if isinstance(line, int) and 0 < line < 10**7 else ""
    return f"raised {what}{where} (a hidden case: its message is not shown)"


def _judge_all(case: Case, answer: dict[str, Any], outputs: Any, memory_mb: int) -> Verdict:
    metas = answer.get("results")
    if not isinstance(metas, list) or not metas or not all(isinstance(m, dict) for m in metas):
        return Verdict(INVALID, "the worker broke the answer protocol")
    notes = []
    for call, meta in zip(case.calls, metas, strict=False):
        status = meta.get("status")
        if status == "not implemented":
            return Verdict(NOT_IMPLEMENTED, f"hook {call.hook!r} is not implemented")
        if status == "error" and FORBIDDEN_MESSAGES.get(_text(meta.get("forbidden"))):
            return Verdict(ERROR, f"{call.hook}: the plugin {FORBIDDEN_MESSAGES[meta['forbidden']]}")
        if status == "error":
            head = f"{_text(meta.get('type')) or 'Exception'}: {_text(meta.get('message'))[:2000]}".strip()
            limit = ""
            if meta.get("type") == "MemoryError":
                head, limit = f"memory limit ({memory_mb} MiB) reached: {head}", "memory limit"
            lines = [ln for ln in _strings(meta.get("traceback")) if ln]
            return Verdict(ERROR, "\n".join([f"{call.hook} raised {head}", *lines[:-1]]), limit=limit)
        if status != "ok":
            return Verdict(INVALID, "the worker broke the answer protocol")
        if meta.get("mutated"):
            changed = ", ".join(_strings(meta["mutated"])) or "?"
            return Verdict(INVALID, f"{call.hook} changed its input {changed} (a hook must not change its inputs)")
        notes += [f"note: {w}" for w in _strings(meta.get("warnings"))]
    if isinstance(outputs, Exception):
        return Verdict(INVALID, str(outputs))
    if not isinstance(outputs, list) or len(outputs) != len(case.calls):
        return Verdict(INVALID, "the worker sent the wrong number of outputs")
    try:
        verdict = case.judge([codec.as_float64(o) for o in outputs])
    except Exception as exc:  # an output shaped so oddly that the judge could not read it
        verdict = Verdict(INVALID, f"output could not be compared: {type(exc).__name__}: {exc}")
    if notes:
        text = "; ".join(dict.fromkeys(notes))
        verdict = Verdict(verdict.outcome, f"{verdict.message} ({text})" if verdict.message else text,
                          verdict.mistake)
    return verdict


class PluginSession:
    """Grades cases of one plugin, restarting its worker whenever it dies.

    Cases between :meth:`end_task` calls run in one fork of the worker (or,
    where the sandbox cannot find every process a task left, in one worker).
    """

    def __init__(self, spec: PluginSpec, limits: Limits, writable: list[Path] = (),
                 pool: SharedPool | None = None, numba_cache: Path | None = None) -> None:
        self.spec, self.limits, self.writable = spec, limits, list(writable)
        self.pool = pool  # speed: the memory its workers share with the grading side
        self.numba_cache = numba_cache  # the plugin's compiled Numba kernels (see worker_env)
        self.worker: WorkerProcess | None = None
        self.hooks: set[str] | None = None
        self.notes: list[str] = []
        self.unmarked: list[str] = []
        self.last_outputs: Any = None  # the decoded outputs of the last case run
        self.spawned = False  # its worker started by spawn(), not yet waited for

    def spawn(self) -> None:
        """Start the worker's process, not waiting for it to import the plugin (the next :meth:`start` waits)."""
        if self.worker is None:
            self.worker = WorkerProcess(self.spec, self.limits, self.writable, self.pool, self.numba_cache)
            self.spawned = True

    def start(self) -> WorkerProcess:
        """The live worker, started (and the plugin imported) when needed."""
        if self.spawned:
            self.spawned = False
            self._greet()
        if self.worker is None or not self.worker.alive():
            if self.worker is not None:
                self.worker.close()
            self.worker = WorkerProcess(self.spec, self.limits, self.writable, self.pool, self.numba_cache)
            self._greet()
        return self.worker

    def _greet(self) -> None:
        assert self.worker is not None
        self.worker.hello()
        self.hooks = self.worker.hooks
        self.notes = self.worker.notes
        self.unmarked = self.worker.unmarked

    def run_case(self, case: Case) -> Verdict:
        worker = self.start()
        first = case.calls[0].hook
        if first not in worker.hooks:
            return Verdict(NOT_IMPLEMENTED, f"hook {first!r} is not implemented")
        payload = [(c.hook, c.kwargs) for c in case.calls]
        self.last_outputs = None
        try:
            worker.fork_task()
            answer, outputs = worker.request("call", payload, self.limits.case_seconds)
        except WorkerDied as exc:
            if case.hidden:
                return conceal(exc.verdict)
            tail = worker.crash_detail
            return Verdict(CRASH, f"{exc.verdict.message} ({tail})") if exc.verdict.outcome == CRASH and tail \
                else exc.verdict
        if "results" not in answer and answer.get("status") == "error":
            return Verdict(INVALID, "the worker broke the answer protocol")
        if isinstance(outputs, list) and outputs:
            self.last_outputs = codec.as_float64(outputs[0])
        return _judge(case, answer, outputs, self.limits.memory_mb)

    def end_task(self) -> None:
        """End a task: the next case starts in a clean worker (a new fork, or a new worker)."""
        if self.worker is not None and not self.worker.end_task():
            self.close()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


def _not_run(task: Task, hits: list[Verdict]) -> Verdict:
    """The verdict of a case not run after its hook reached a limit ``FAST_FAIL_AFTER`` times."""
    last = hits[-1]
    return Verdict(last.outcome, f"not run after {_limits_text(hits)} of {task.hook} (the last: {last.message})",
                   limit=last.limit)


def _limits_text(hits: list[Verdict]) -> str:
    kinds = list(dict.fromkeys(v.limit for v in hits))
    if kinds == ["timeout"]:
        return f"{len(hits)} timeouts"
    if len(kinds) == 1:
        return f"{len(hits)} {kinds[0]} hits"
    return f"{len(hits)} limit hits: {', '.join(kinds)}"


def grade(spec: PluginSpec, tasks: list[Task], seed: int, limits: Limits,
          writable: list[Path] = (), progress: Any = None, numba_cache: Path | None = None) -> Grading:
    """Grade every case of ``tasks`` for one plugin. Raises LoadFailed for usage errors.

    Each task starts in a clean worker (:meth:`PluginSession.end_task`); a
    hook that reached a limit ``FAST_FAIL_AFTER`` times has the remaining
    cases of its task marked with that outcome, not run, and a note says so.
    """
    from harness.grading.cases import task_rng
    from harness.loading.source_check import check_plugin

    grading = Grading(spec, notes=[*probe().notes(), *check_plugin(spec)])
    session = PluginSession(spec, limits, writable, numba_cache=numba_cache)
    import_error: str | None = None
    # The cases are made (the reference's values: Numba, its cache loaded on first use) by a thread of
    # their own, in order, while the worker starts and answers: the waits on the worker hide their making.
    making = ThreadPoolExecutor(1, thread_name_prefix="cases")
    made = [making.submit(task.make_cases, task_rng(seed, task.name)) for task in tasks]
    try:
        try:
            session.start()
        except LoadFailed as exc:
            if exc.kind in ("not_found", "invalid"):
                raise
            import_error = str(exc)
        for task, future in zip(tasks, made, strict=True):
            cases = future.result()
            hits: list[Verdict] = []
            not_run = 0
            for case in cases:
                t0 = time.monotonic()
                if import_error is not None:
                    verdict = Verdict(ERROR, f"import failed: {import_error}")
                elif len(hits) >= FAST_FAIL_AFTER:
                    verdict, not_run = _not_run(task, hits), not_run + 1
                else:
                    try:
                        verdict = session.run_case(case)
                    except LoadFailed as exc:  # a restart that no longer imports
                        import_error = str(exc)
                        verdict = Verdict(ERROR, f"import failed: {import_error}")
                    if verdict.limit:
                        hits.append(verdict)
                kept = None if case.hidden or import_error is not None else session.last_outputs
                session.last_outputs = None
                grading.results.append(CaseResult(task, case, verdict, time.monotonic() - t0, kept))
            session.end_task()
            if not_run:
                grading.notes.append(f"{task.name}: {not_run} cases not run after {_limits_text(hits)}")
            if progress is not None:
                progress(task)
        grading.hooks = set(session.hooks or ())
        grading.notes += session.notes
        grading.notes += [f"{name} is defined but not marked @hookimpl, so it is not graded"
                          for name in session.unmarked]
    finally:
        making.shutdown(cancel_futures=True)
        session.close()
    return grading
