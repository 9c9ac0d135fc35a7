"""The worker: the only process that imports a plugin's code.

Started by :mod:`harness.grading.runner` as ``python -m harness.worker.serve FD_IN FD_OUT SPEC
SCRATCH ACCESS``. It restricts its own file reads and writes to what ACCESS
(:class:`harness.sandbox.confine.Access` as JSON) allows (Landlock), refuses imports of
the grading code with a clear error, loads the course's contract from the file ACCESS
names, imports the plugin, says which hooks it implements, then answers requests read
as JSON lines on FD_IN with JSON lines on FD_OUT; arrays travel as ``.npz``
files in SCRATCH. Nothing here is trusted by the grading side: it re-checks
every answer, and never unpickles anything.

Requests: ``{"id", "op": "call", "path"}`` runs the calls stored in ``path``
and writes their outputs to ``out/out-ID.npz``; speed (a worker started
with a pool, memory it shares with the grading side, and an outbox; see
:mod:`harness.worker.bench`): ``{"op": "stage", "path", "hook", "vary",
"shape"}`` keeps a hook's keyword arguments, ``{"op": "prepare", "count"}``
its calls' argument sets, then each timed window is one ``{"op": "window",
"count", "fresh", "room", "whole", "widest"}`` (prepare, call, commit); where the
grading side cannot read the worker's memory, ``{"op": "show", "indices"}``
writes outputs of the last block to the outbox and ``{"op": "reveal",
"indices"}`` to ``out/``; ``{"op": "exit"}``.

``{"id", "op": "fork"}`` starts a task: the worker that imported the plugin
(the zygote) forks a copy of itself, which answers this request and every
request that follows, until the grading side kills it (and every process it
left) at the end of the task; the zygote, which never runs a hook, then waits
for the next ``fork``. So each task starts from the state right after the
import, whatever the hooks of an earlier task did to their process. A speed
worker's fork answers with its pid and stays dumpable until its next request:
the grading side opens its ``/proc/PID/mem`` in between (to read the outputs
of timed calls itself), before any plugin code runs in the fork.

Before each ``call`` the soft CPU-time limit is moved to the CPU time used so
far plus one case's limit (the limit the worker was started with): the limit
holds per case, not per process.
"""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import resource
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from harness import codec
from harness.codec import Invalid
from harness.worker.bench import Bench, map_pool
from harness.worker.contract import load as load_contract
from harness.worker.lockdown import (
    allow_tracing,
    drop_capabilities,
    forbid_tracing,
    restrict_files,
    restrict_sockets,
)
from harness.worker.notebook import (
    DISPLAY_NAMES,  # imported now: the grading code's finder refuses it later
)
from harness.worker.plugin import PluginError, implemented, load, make_manager, unmarked_hooks

_HIDDEN_FRAMES = (str(Path(__file__).parents[1]), str(Path(__import__("pluggy").__file__).parent), "<frozen ")
#: The course's contract (its hookspecs and OUTPUTS), loaded by :func:`main` from the file ACCESS names.
hookspecs: Any = None


def plugin_traceback(exc: BaseException) -> list[str]:
    """The traceback lines of the plugin's own frames (no harness, no pluggy)."""
    frames = [_shown(f) for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_HIDDEN_FRAMES)]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return [ln.rstrip("\n") for ln in lines][-40:]


class ForbiddenImport(ImportError):
    """A plugin imported (or read) the grading code; ``what`` is a key of the runner's messages."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"{name}: not allowed", name=name)
        self.what = what


class _RefuseGradingCode:
    """A meta path finder, first in line: the grading code's packages cannot be imported."""

    def __init__(self, modules: dict[str, str]) -> None:
        self.modules = modules

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.split(".")[0]
        if top in self.modules:
            raise ForbiddenImport(top, fullname)
        if top == "harness" and fullname not in sys.modules:
            raise ForbiddenImport("harness", fullname)


#: Paths the plugin must not read (set by main); a PermissionError there is named.
_FORBIDDEN_PATHS: dict[str, str] = {}


def forbidden_use(exc: BaseException) -> str:
    """The grading code an exception (or one it came from) says the plugin tried to use, else ''."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ForbiddenImport):
            return exc.what
        if isinstance(exc, PermissionError) and exc.filename:
            name = os.path.abspath(str(exc.filename))
            for place, what in _FORBIDDEN_PATHS.items():
                if name == place or name.startswith(place + os.sep):
                    return what
        exc = exc.__cause__ or exc.__context__
    return ""


def _plugin_line(exc: BaseException) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_HIDDEN_FRAMES)]
    return int(frames[-1].lineno or 0) if frames else 0


def _shown(frame: traceback.FrameSummary) -> traceback.FrameSummary:
    """A frame of a notebook's cell is named after the cell ("mine.ipynb, cell 3")."""
    name = DISPLAY_NAMES.get(frame.filename)
    if name is None:
        return frame
    return traceback.FrameSummary(name, frame.lineno, frame.name, line=frame.line)


def _room(req: dict[str, Any]) -> int:
    """The heap a speed request asks the worker to keep ready for a block's outputs (128 MiB at most)."""
    return min(int(req.get("room", 0)), 1 << 27)


def _error(exc: BaseException) -> dict[str, Any]:
    return {"status": "error", "type": type(exc).__name__, "message": str(exc)[:2000],
            "traceback": plugin_traceback(exc), "line": _plugin_line(exc),
            "builtin": type(exc).__module__ == "builtins", "forbidden": forbidden_use(exc)}


def to_plain(value: Any, names: tuple[str, ...] = ()) -> Any:
    """Turn a hook's return value into plain data the codec can write."""
    if names:
        if isinstance(value, str | bytes) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
            return Invalid(f"expected a tuple of {len(names)} items ({', '.join(names)}), "
                           f"got {type(value).__name__}")
        items = list(value)
        if len(items) != len(names):
            return Invalid(f"expected a tuple of {len(names)} items ({', '.join(names)}), got {len(items)}")
        return [to_plain_pairs(v) if n.endswith("*") else to_array(v) for v, n in zip(items, names, strict=True)]
    return to_array(value)


def to_plain_pairs(value: Any) -> Any:
    try:
        return [[to_array(w), to_array(b)] for w, b in value]
    except (TypeError, ValueError) as exc:
        return Invalid(f"expected a list of (W, b) pairs: {exc}")


def to_array(value: Any) -> Any:
    """A plain float64 copy of ``value``, or Invalid: real numbers only (no str, complex, object)."""
    try:
        src = np.asarray(value)
        if src.dtype.kind not in "biuf":
            return Invalid(f"{type(value).__name__} of dtype {src.dtype} is not an array of real numbers")
        arr = np.array(src, dtype=np.float64, copy=True, subok=False)
    except MemoryError as exc:
        return Invalid(f"output too large: {str(exc)[:200]}")
    except Exception as exc:  # anything a hostile object raises
        return Invalid(f"cannot convert {type(value).__name__} to float64: {str(exc)[:200]}")
    return arr


def _changed(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=True))
    if isinstance(before, list | tuple):
        return (not isinstance(after, list | tuple) or len(before) != len(after)
                or any(_changed(b, a) for b, a in zip(before, after, strict=True)))
    return False


class Worker:
    def __init__(self, pm, scratch: Path, pool: np.ndarray | None = None, outbox: np.ndarray | None = None) -> None:
        self.pm = pm
        self.functions = implemented(pm)
        self.scratch = scratch
        self.cpu_per_case = resource.getrlimit(resource.RLIMIT_CPU)[0]
        self.bench = Bench(self.functions, pool, outbox)

    def limit_cpu(self) -> None:
        """Let the next case use ``cpu_per_case`` seconds of CPU time, whatever earlier cases used."""
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if self.cpu_per_case == resource.RLIM_INFINITY:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        want = math.ceil(usage.ru_utime + usage.ru_stime) + self.cpu_per_case
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        if want != soft:
            resource.setrlimit(resource.RLIMIT_CPU, (want, hard))

    def call(self, hook: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        if hook not in self.functions:
            return {"status": "not implemented"}, None
        pristine = copy.deepcopy(kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = getattr(self.pm.hook, hook)(**kwargs)
            except NotImplementedError:  # a template's stub, or a branch left to do
                return {"status": "not implemented"}, None
            except BaseException as exc:  # sys.exit() and KeyboardInterrupt too
                return _error(exc), None
        try:  # the return value and the warnings are the plugin's objects: they may raise
            meta = {
                "status": "ok",
                "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5],
                "mutated": [k for k in kwargs if _changed(pristine[k], kwargs[k])],
            }
            return meta, to_plain(result, hookspecs.OUTPUTS.get(hook, ()))
        except BaseException as exc:
            return _error(exc), None

    def reveal(self, indices: list[int]) -> list[Any]:
        names = hookspecs.OUTPUTS.get(self.bench.hook, ())
        return [to_plain(self.bench.kept[i], names) for i in indices]

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        rid = req["id"]
        op = req["op"]
        if op in ("prepare", "window", "show"):  # a speed measurement (harness.worker.bench)
            try:
                if op == "prepare":
                    self.bench.prepare(int(req["count"]), _room(req))
                    return {"id": rid, "status": "ok"}
                if op == "window":
                    return {"id": rid, "status": "ok", **self.bench.window(
                        int(req["count"]), bool(req.get("fresh", True)), _room(req), bool(req.get("whole", True)),
                        bool(req.get("widest", False)), bool(req.get("prints", True)))}
                return {"id": rid, "status": "ok", "sizes": self.bench.show([int(i) for i in req["indices"]])}
            except Exception as exc:
                return {"id": rid, **_error(exc)}
        out = self.scratch / "out" / f"out-{rid}.npz"
        if op == "reveal":  # outputs of calls of the last timed block
            write_outputs(out, self.reveal([int(i) for i in req["indices"]]))
            return {"id": rid, "status": "ok"}
        calls = codec.read(Path(req["path"]))
        if op == "stage":  # the hook and arguments of the speed windows that follow (no outputs: no file)
            self.bench.stage(req["hook"], calls, req.get("vary"), req.get("shape"),
                             hookspecs.OUTPUTS.get(req["hook"], ()))
            return {"id": rid, "status": "ok"}
        metas, outputs = [], []
        self.limit_cpu()
        for hook, kwargs in calls:
            meta, output = self.call(hook, kwargs)
            metas.append(meta)
            outputs.append(output)
            if meta["status"] != "ok":
                break
        write_outputs(out, outputs)
        return {"id": rid, "results": metas, "path": str(out)}


def write_outputs(path: Path, outputs: list[Any]) -> None:
    """Write the outputs; over the output limit (RLIMIT_FSIZE), say so instead."""
    try:
        codec.write(path, outputs)
    except OSError as exc:
        if exc.errno != errno.EFBIG:
            raise
        path.unlink(missing_ok=True)
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0] // (1024 * 1024)
        codec.write(path, [Invalid(f"output too large (over the {limit} MiB output limit)")] * len(outputs))


def _send(fd: int, msg: dict[str, Any]) -> None:
    data = (json.dumps(msg) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def init(channels: tuple[int, int]) -> int | None:
    """In a PID namespace, stay its init (process 1) and run the worker as its child.

    The kernel does not deliver to a namespace's init the signals it has no
    handler for (SIGXCPU at the CPU-time limit, a plugin's own SIGTERM...),
    so the plugin must not run there. This init holds no end of the channels,
    reaps orphans, and exits with the worker's status (128 + signal number
    for a signal); when it exits, the kernel kills what is left. Returns None
    in the worker (or without a namespace), else the status to exit with.
    """
    if os.getpid() != 1:
        return None
    worker = os.fork()
    if worker == 0:
        return None
    for fd in channels:
        os.close(fd)
    while True:
        pid, status = os.wait()
        if pid == worker:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    fd_in, fd_out = int(argv[0]), int(argv[1])
    status = init((fd_in, fd_out))
    if status is not None:
        return status
    global hookspecs
    spec = json.loads(argv[2])
    scratch = Path(argv[3])
    access = json.loads(argv[4])
    pool = map_pool(argv[5], private=True) if len(argv) > 6 else None  # a speed worker's inputs, read in place
    outbox = map_pool(argv[6]) if len(argv) > 6 else None  # and where its outputs go
    own_proc = Path("/proc") / os.readlink("/proc/self")  # the host's /proc: this process only
    writes, reads = restrict_files([Path(p) for p in access["write"]],
                                   [Path(p) for p in access["read"]] + [own_proc])
    notes = [] if writes and reads else ["Landlock unavailable: the plugin can read and write "
                                         "every file the harness's user can"]
    _FORBIDDEN_PATHS.update(access["forbidden"])
    sys.meta_path.insert(0, _RefuseGradingCode(access["forbidden_modules"]))
    if not restrict_sockets():
        notes.append("seccomp unavailable: the plugin can reach the host's Unix-domain sockets")
    if not drop_capabilities():
        notes.append("the worker could not drop its capabilities")
    os.chdir(scratch / "work")
    hookspecs = load_contract(Path(access["contract"]))
    try:
        module = load(**spec)
        pm = make_manager(module, hookspecs)
    except ModuleNotFoundError as exc:
        kind = "not_found" if exc.name and spec["target"].split(":")[0].startswith(exc.name) else "import"
        _send(fd_out, {**_error(exc), "type": "load_error", "kind": kind})
        return 0
    except PluginError as exc:
        _send(fd_out, {"type": "load_error", "kind": "invalid", "message": str(exc)})
        return 0
    except BaseException as exc:  # the plugin's own import-time failure, exits included
        _send(fd_out, {**_error(exc), "type": "load_error", "kind": "import"})
        return 0
    worker = Worker(pm, scratch, pool, outbox)
    _send(fd_out, {"type": "hello", "hooks": sorted(worker.functions), "notes": notes,
                   "unmarked": unmarked_hooks(module, hookspecs)})
    serve(worker, Lines(fd_in), fd_out, zygote=True)
    return 0


class Lines:
    """JSON requests read from a descriptor, one a line (its buffer is cleared in a zygote after a fork)."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buf = fd, b""

    def next(self) -> dict[str, Any] | None:
        while b"\n" not in self.buf:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def serve(worker: Worker, requests: Lines, fd_out: int, *, zygote: bool, untraced: bool = False) -> None:
    """Answer requests until "exit" or the end of the channel.

    A zygote forks a server per task on "fork" and says ``{"type":
    "task_ended", "status"}`` when that server has ended (killed by the
    grading side, or dead of its own); once it has forked, it never runs a
    hook itself: it ignores every request but "fork" and "exit".
    """
    forked = False
    while (req := requests.next()) is not None and req.get("op") != "exit":
        if untraced:  # the grading side opened this fork's memory before it sent this request
            forbid_tracing()
            untraced = False
        if req.get("op") == "fork" and zygote:
            status = fork_task(worker, requests, fd_out, req["id"])
            forked = True
            _send(fd_out, {"type": "task_ended", "status": status})
        elif not forked:
            _send(fd_out, worker.handle(req))


def fork_task(worker: Worker, requests: Lines, fd_out: int, rid: str) -> int:
    """Fork the server of one task; in the zygote, wait for its end and return its exit code."""
    forbid_tracing()  # a task's process may not ptrace the zygote or read its memory
    child = os.fork()
    if child == 0:
        try:
            # A speed task's fork: the grading side reads the outputs of timed calls from its memory
            # (/proc/PID/mem, opened now, before any plugin code runs here; non-dumpable from the next request).
            timed = worker.bench.outbox.size > 0
            if timed:
                allow_tracing()
            _send(fd_out, {"id": rid, "status": "ok", "pid": os.getpid()})
            serve(worker, requests, fd_out, zygote=False, untraced=timed)
        finally:
            os._exit(0)
    requests.buf = b""  # what was read ahead belongs to the task
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
