"""The trusted side of grading: start workers, send cases, judge what comes back.

This process never imports a plugin. It talks to a :mod:`harness.worker` over
two pipes (JSON lines) and a scratch directory (``.npz`` files): ``in/`` is
written here and only read by the worker, ``out/`` and ``work/`` are the only
places the worker may write. A worker that hangs is killed, one that dies is
restarted for the next case, and the case it took down is recorded with what
happened.
"""

from __future__ import annotations

import json
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness import codec
from harness.loader import PluginSpec
from harness.model import (
    CRASH,
    ERROR,
    INVALID,
    NOT_IMPLEMENTED,
    TIMEOUT,
    Case,
    Task,
    Verdict,
)
from harness.sandbox import (
    Limits,
    MemoryCgroup,
    PidsCgroup,
    preexec,
    probe,
    wrap_command,
)

MAX_LINE = 1 << 20  # a protocol line longer than this is junk
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

    def __init__(self, spec: PluginSpec, limits: Limits, writable: list[Path] = ()) -> None:
        self.spec = spec
        self.limits = limits
        self.scratch = Path(tempfile.mkdtemp(prefix="harness-worker-"))
        for sub in ("in", "out", "work"):
            (self.scratch / sub).mkdir()
        self.cgroup = PidsCgroup(limits.max_processes)
        self.memory = MemoryCgroup(limits.memory_mb)
        self.phase = "while importing the plugin"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE_DIR", "PYTHONSTARTUP"))}
        env.update(WORKER_ENV, TMPDIR=str(self.scratch / "work"), HOME=str(self.scratch / "work"),
                   NUMBA_CACHE_DIR=str(self.scratch / "work" / "numba-cache"), PYTHONDONTWRITEBYTECODE="1")
        if writable:  # the trusted bundled reference keeps its warm Numba cache
            env.pop("NUMBA_CACHE_DIR")
            if os.environ.get("NUMBA_CACHE_DIR"):
                env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        argv = [sys.executable, "-X", "faulthandler", "-m", "harness.worker", str(req_r), str(resp_w),
                json.dumps(spec.to_dict()), str(self.scratch), *map(str, writable)]
        self._stderr = open(self.scratch / "stderr.txt", "wb")  # noqa: SIM115 (closed in close())
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            wrap_command(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
            pass_fds=(req_r, resp_w), env=env, cwd=self.scratch / "work",
            preexec_fn=lambda: preexec(limits, [self.cgroup, self.memory]),
        )
        os.close(req_r)
        os.close(resp_w)
        self._buf = b""
        self._next_id = 0
        self._issued: set[str] = set()
        self.hooks: set[str] = set()
        self.notes: list[str] = []
        self.unmarked: list[str] = []

    # -- protocol ----------------------------------------------------------
    def _read_line(self, deadline: float) -> dict[str, Any]:
        sel = selectors.DefaultSelector()
        sel.register(self._resp_r, selectors.EVENT_READ)
        try:
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise WorkerDied(self._stop_for(TIMEOUT))
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
            self.close()
            raise LoadFailed(kind, detail if kind == "import" else _text(msg.get("message")))
        self.hooks = set(_strings(msg.get("hooks")))
        self.notes = _strings(msg.get("notes"))
        self.unmarked = _strings(msg.get("unmarked"))
        self.phase = "in the middle of a case"

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

    def _died(self) -> Verdict:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return self._stop_for(CRASH, "the worker closed its channel and did not exit")
        memory_hit = self.memory.hit_limit()
        self.kill()
        sig = -code if code < 0 else code - 128 if 128 < code < 128 + 65 else 0  # the init's 128 + signal
        if sig:
            msg = f"the plugin's process crashed: {self._why(sig, memory_hit)}"
        else:
            msg = f"the plugin's process exited with status {code} {self.phase}"
        tail = self._stderr_tail()
        return Verdict(CRASH, f"{msg} ({tail})" if tail and sig else msg)

    def _why(self, sig: int, memory_hit: bool) -> str:
        """What a signal that ended the worker means."""
        cpu = f"CPU-time limit ({self.limits.cpu_seconds} s) reached ({_signal_name(sig)})"
        if sig == signal.SIGXCPU:
            return cpu
        if sig == signal.SIGKILL and memory_hit:
            return f"memory limit ({self.limits.memory_mb} MiB) reached (killed by the kernel)"
        if sig == signal.SIGKILL and time.monotonic() - self.started >= self.limits.cpu_seconds:
            return cpu
        if sig == signal.SIGXFSZ:
            return f"output too large (file size limit {self.limits.output_mb} MiB)"
        return f"killed by {_signal_name(sig)}"

    def _stop_for(self, outcome: str, message: str = "") -> Verdict:
        self.kill()
        if outcome == TIMEOUT:
            message = message or f"no answer within {self.limits.case_seconds:g} s (the worker was stopped)"
        return Verdict(outcome, message)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker and everything it started (its namespace dies with it)."""
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
        self.cgroup.kill_all()  # without namespaces, what escaped the process group
        self.memory.kill_all()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send({"op": "exit"})
                self.proc.wait(timeout=2)
            except (WorkerDied, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._stderr.close()
        self.cgroup.remove()
        self.memory.remove()
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
    metas = answer.get("results")
    if not isinstance(metas, list) or not metas or not all(isinstance(m, dict) for m in metas):
        return Verdict(INVALID, "the worker broke the answer protocol")
    notes = []
    for call, meta in zip(case.calls, metas, strict=False):
        status = meta.get("status")
        if status == "not implemented":
            return Verdict(NOT_IMPLEMENTED, f"hook {call.hook!r} is not implemented")
        if status == "error":
            head = f"{_text(meta.get('type')) or 'Exception'}: {_text(meta.get('message'))[:2000]}".strip()
            if meta.get("type") == "MemoryError":
                head = f"memory limit ({memory_mb} MiB) reached: {head}"
            lines = [ln for ln in _strings(meta.get("traceback")) if ln]
            return Verdict(ERROR, "\n".join([f"{call.hook} raised {head}", *lines[:-1]]))
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
    """Grades cases of one plugin, restarting its worker whenever it dies."""

    def __init__(self, spec: PluginSpec, limits: Limits, writable: list[Path] = ()) -> None:
        self.spec, self.limits, self.writable = spec, limits, list(writable)
        self.worker: WorkerProcess | None = None
        self.hooks: set[str] | None = None
        self.notes: list[str] = []
        self.unmarked: list[str] = []
        self.last_outputs: Any = None  # the decoded outputs of the last case run

    def start(self) -> WorkerProcess:
        """The live worker, started (and the plugin imported) when needed."""
        if self.worker is None or not self.worker.alive():
            if self.worker is not None:
                self.worker.close()
            self.worker = WorkerProcess(self.spec, self.limits, self.writable)
            self.worker.hello()
            self.hooks = self.worker.hooks
            self.notes = self.worker.notes
            self.unmarked = self.worker.unmarked
        return self.worker

    def run_case(self, case: Case) -> Verdict:
        worker = self.start()
        missing = [c.hook for c in case.calls if c.hook not in worker.hooks]
        if missing:
            first = case.calls[0].hook
            if missing[0] == first:
                return Verdict(NOT_IMPLEMENTED, f"hook {first!r} is not implemented")
            return Verdict(NOT_IMPLEMENTED, f"this check also needs hook {missing[0]!r}, "
                                            "which the plugin does not implement")
        payload = [(c.hook, c.kwargs) for c in case.calls]
        self.last_outputs = None
        try:
            answer, outputs = worker.request("call", payload, self.limits.case_seconds)
        except WorkerDied as exc:
            return exc.verdict
        if "results" not in answer and answer.get("status") == "error":
            return Verdict(INVALID, "the worker broke the answer protocol")
        if isinstance(outputs, list) and outputs:
            self.last_outputs = codec.as_float64(outputs[0])
        return _judge(case, answer, outputs, self.limits.memory_mb)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


def grade(spec: PluginSpec, tasks: list[Task], seed: int, limits: Limits,
          writable: list[Path] = (), progress: Any = None) -> Grading:
    """Grade every case of ``tasks`` for one plugin. Raises LoadFailed for usage errors."""
    grading = Grading(spec, notes=list(probe().notes()))
    session = PluginSession(spec, limits, writable)
    import_error: str | None = None
    try:
        try:
            session.start()
        except LoadFailed as exc:
            if exc.kind in ("not_found", "invalid"):
                raise
            import_error = str(exc)
        rng = np.random.default_rng(seed)
        for task in tasks:
            cases = task.make_cases(rng)
            for case in cases:
                t0 = time.monotonic()
                if import_error is not None:
                    verdict = Verdict(ERROR, f"import failed: {import_error}")
                else:
                    try:
                        verdict = session.run_case(case)
                    except LoadFailed as exc:  # a restart that no longer imports
                        import_error = str(exc)
                        verdict = Verdict(ERROR, f"import failed: {import_error}")
                kept = None if case.hidden or import_error is not None else session.last_outputs
                session.last_outputs = None
                grading.results.append(CaseResult(task, case, verdict, time.monotonic() - t0, kept))
            if progress is not None:
                progress(task)
        grading.hooks = set(session.hooks or ())
        grading.notes += session.notes
        grading.notes += [f"{name} is defined but not marked @hookimpl, so it is not graded"
                          for name in session.unmarked]
    finally:
        session.close()
    return grading

