"""The worker: the only process that imports a plugin's code.

Started by :mod:`harness.runner` as ``python -m harness.worker FD_IN FD_OUT SPEC
SCRATCH [WRITABLE...]``. It restricts its own file writes to SCRATCH (Landlock),
imports the plugin, says which hooks it implements, then answers requests read
as JSON lines on FD_IN with JSON lines on FD_OUT; arrays travel as ``.npz``
files in SCRATCH. Nothing here is trusted by the grading side: it re-checks
every answer, and never unpickles anything.

Requests: ``{"id", "op": "call", "path"}`` runs the calls stored in ``path``
and writes their outputs to ``out/out-ID.npz``; ``{"id", "op": "stage",
"path", "hook"}`` keeps a hook's keyword arguments for the ``{"id", "op":
"bench", "number"}`` requests that follow, each calling it ``number`` times
(speed, timed by the grading side); ``{"op": "exit"}``.
"""

from __future__ import annotations

import copy
import errno
import gc
import json
import os
import resource
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from harness import codec, hookspecs
from harness.loader import PluginError, PluginSpec, implemented, load, make_manager, unmarked_hooks
from harness.model import Invalid
from harness.sandbox import drop_capabilities, restrict_sockets, restrict_writes

_HIDDEN_FRAMES = (str(Path(__file__).parent), str(Path(__import__("pluggy").__file__).parent), "<frozen ")


def plugin_traceback(exc: BaseException) -> list[str]:
    """The traceback lines of the plugin's own frames (no harness, no pluggy)."""
    frames = [_shown(f) for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_HIDDEN_FRAMES)]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return [ln.rstrip("\n") for ln in lines][-40:]


def _shown(frame: traceback.FrameSummary) -> traceback.FrameSummary:
    """A frame of a notebook's cell is named after the cell ("mine.ipynb, cell 3")."""
    from harness.notebook import DISPLAY_NAMES

    name = DISPLAY_NAMES.get(frame.filename)
    if name is None:
        return frame
    return traceback.FrameSummary(name, frame.lineno, frame.name, line=frame.line)


def _error(exc: BaseException) -> dict[str, Any]:
    return {"status": "error", "type": type(exc).__name__, "message": str(exc)[:2000],
            "traceback": plugin_traceback(exc)}


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
    def __init__(self, pm, scratch: Path) -> None:
        self.pm = pm
        self.functions = implemented(pm)
        self.scratch = scratch
        self.staged: tuple[str, dict[str, Any]] = ("", {})

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

    def bench(self, number: int) -> dict[str, Any]:
        """Call the staged hook ``number`` times, the garbage collector off.

        The grading side times this request with its own clock; each call gets
        the same staged arguments (copied once when staged, never re-read).
        """
        if number == 0:  # an empty request: the cost of the channel alone
            return {"status": "ok"}
        hook, kwargs = self.staged
        fn = self.functions[hook]
        gc.disable()
        try:
            for _ in range(number):
                fn(**kwargs)
        finally:
            gc.enable()
        return {"status": "ok"}

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        rid = req["id"]
        if req["op"] == "bench":
            try:
                return {"id": rid, **self.bench(int(req["number"]))}
            except Exception as exc:
                return {"id": rid, **_error(exc)}
        calls = codec.read(Path(req["path"]))
        out = self.scratch / "out" / f"out-{rid}.npz"
        if req["op"] == "stage":  # arguments for the "bench" requests that follow
            self.staged = (req["hook"], calls)
            codec.write(out, None)
            return {"id": rid, "status": "ok", "path": str(out)}
        metas, outputs = [], []
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
    spec = PluginSpec(**json.loads(argv[2]))
    scratch = Path(argv[3])
    writable = [scratch / "work", scratch / "out", Path("/dev/null"), *(Path(p) for p in argv[4:])]
    notes = [] if restrict_writes(writable) else ["Landlock unavailable"]
    if not restrict_sockets():
        notes.append("seccomp unavailable: the plugin can reach the host's Unix-domain sockets")
    if not drop_capabilities():
        notes.append("the worker could not drop its capabilities")
    os.chdir(scratch / "work")
    try:
        module = load(spec)
        pm = make_manager(module)
    except ModuleNotFoundError as exc:
        kind = "not_found" if exc.name and spec.target.split(":")[0].startswith(exc.name) else "import"
        _send(fd_out, {**_error(exc), "type": "load_error", "kind": kind})
        return 0
    except PluginError as exc:
        _send(fd_out, {"type": "load_error", "kind": "invalid", "message": str(exc)})
        return 0
    except BaseException as exc:  # the plugin's own import-time failure, exits included
        _send(fd_out, {**_error(exc), "type": "load_error", "kind": "import"})
        return 0
    worker = Worker(pm, scratch)
    _send(fd_out, {"type": "hello", "hooks": sorted(worker.functions), "notes": notes,
                   "unmarked": unmarked_hooks(module)})
    with os.fdopen(fd_in, "r") as requests:
        for line in requests:
            req = json.loads(line)
            if req.get("op") == "exit":
                break
            _send(fd_out, worker.handle(req))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
