"""A worker timed from the grading side: its windows on its cgroup's clock, frozen between them, its outputs read back."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness import codec
from harness.codec import Invalid, as_float64
from harness.grading.runner import PluginSession, WorkerProcess
from harness.sandbox.launch import Limits
from harness.worker.bench import FULL_COMMIT_BYTES, get_leaf, with_leaf
from harness.worker.fingerprint import leaves, of_leaves


class Voided(Exception):
    """A timed block whose outputs do not hold up: the task earns no speed points."""


VOIDED = "speed voided for the task"
UNREADABLE = f"the outputs of timed calls could not be read back: {VOIDED}"
KEEP_BYTES = 64 * 1024 * 1024  # outputs a worker keeps of one block (for the reveal), at most
PRINT_BATCH = 64 * 1024  # values of outputs read at once to fingerprint them (half the L2 cache here), about


@dataclass
class Window:
    """One side's window of a round: its whole CPU time, its block's, and what its commit answered.

    ``outputs`` holds every output of the block (a row each, flattened) when
    they are small; else ``prints`` holds a fingerprint per output, and
    ``places`` where each output's leaves are in the worker's memory
    ((address, values) a leaf, ``leaves`` a call). ``shown``: the calls
    picked and their outputs as read from there, the worker frozen.
    """

    total: float
    block: float
    outputs: np.ndarray | None
    prints: np.ndarray | None
    out_bytes: int
    places: np.ndarray | None = None
    leaves: int = 0
    shown: tuple[list[int], list[tuple[np.ndarray, list[int]]]] | None = None


class TimedWorker:
    """A worker whose windows are timed on this side, by its cgroup's CPU time when there is one."""

    def __init__(self, session: PluginSession, limits: Limits) -> None:
        self.session = session
        self.limits = limits
        self.overhead = 0.0  # CPU time of a window of no call (the channel), from the reference only
        self.staged_leaf: np.ndarray | None = None  # the varied array as staged (it reaches the worker by its pool)
        self.room = 0  # heap the worker keeps ready for a block's outputs (bench.Bench._shift_heap)
        self.whole = True  # commits of whole outputs (else fingerprints): the same for every side of a size
        self.wipe = False  # a plugin timed with others in a pool not sealed: what one left, the next must not find
        self.held = False  # frozen but while it serves a request (see hold)
        self.read_room = np.empty(0)  # what read reads into (see _read_room)
        self.reads = False  # fingerprints made on this side, from the outputs in the worker's memory (see window)
        self.less_prints = False  # the reference's window: its worker's fingerprints taken off (see window)

    def clock(self) -> float:
        """CPU seconds of the worker's processes and threads (wall seconds without a cpuacct cgroup)."""
        worker = self.session.start()
        used = worker.cgroups.cpu_seconds()
        return time_now() if used is None else used

    def frozen(self, on: bool, wait: bool = False) -> None:
        """Freeze or thaw the worker; frozen with ``wait``: until the kernel says so, else it is stopped (WorkerDied)."""
        worker = self.session.worker
        if worker is not None and on and wait:
            worker.freeze()
        elif worker is not None:
            worker.cgroups.freeze(on, wait)

    def hold(self, on: bool) -> None:
        """From now on frozen but while it serves a request (``on``), or thawed for good.

        A side is held from its task's fork to the task's end: no code of
        its runs while the grading side checks a round, draws the next
        inputs or times another side, so the CPU its processes and threads
        use while it is timed is all within its requests, its windows
        charging theirs. (Without a freezer: a no-op.)
        """
        self.held = on
        self.frozen(on, wait=on)

    @contextlib.contextmanager
    def serving(self) -> Iterator[WorkerProcess]:
        """The worker, thawed for one request when it is held, and frozen again (the kernel says so) after."""
        worker = self.session.start()
        if self.held:
            self.frozen(False)
        try:
            yield worker
        finally:
            if self.held:
                self.frozen(True, wait=True)

    def load(self, values: np.ndarray | None, written: bool = False) -> None:
        """Write a round's fresh inputs to the worker's pool, or, with None, the staged input to its first slice.

        Inputs made in the pool itself (:func:`harness.speed.fresh.make_pool` with the pool as
        ``out``) are written again in place (times 1.0, half a copy's time),
        so that every side finds them as freshly written in the caches as the
        side they were just made for (``written``: nothing to do then).

        A worker that ``wipe`` s clears the rest of the pool too: before every
        window of its, nothing another plugin wrote there is left (every
        element is the inputs' or zero). Only where the pool is not sealed
        (:class:`harness.grading.runner.SharedPool`): sealed, no worker can
        write to it at all, and zeroing 20 MiB before every plugin's window
        cost 0.85 ms each, a sixth of a group's time.
        """
        pool = self.session.start().pool
        data = values.reshape(-1) if values is not None else self.staged_leaf
        end = 0 if data is None else data.size
        if self.wipe and pool is not None:  # first: the inputs are the last written (in the caches, as the ref's)
            pool[end:] = 0.0
        if data is None or pool is None:
            return
        if data.ctypes.data != pool.ctypes.data:
            pool[:end] = data
        elif self.wipe or not written:
            np.multiply(pool[:end], 1.0, out=pool[:end])

    def send(self, op: str, timeout: float, **fields: Any) -> dict[str, Any]:
        with self.serving() as worker:
            answer = worker.exchange({"op": op, **fields}, timeout)
        if answer.get("status") != "ok":
            raise RuntimeError(f"{answer.get('type', 'error')}: {answer.get('message', '')}")
        return answer

    def stage(self, hook: str, kwargs: dict[str, Any], path: list | None) -> None:
        """The hook and its arguments; the varied array goes by the pool, not by a file."""
        leaf = get_leaf(kwargs, path) if path is not None else None
        shape = None
        self.staged_leaf, self.whole, self.room = None, True, 0
        if isinstance(leaf, np.ndarray):
            self.staged_leaf, shape = np.ascontiguousarray(leaf, dtype=np.float64).reshape(-1), list(leaf.shape)
            kwargs = with_leaf(kwargs, path, np.empty(0))
        with self.serving() as worker:
            worker.request("stage", kwargs, self.limits.case_seconds, hook=hook, vary=path, shape=shape)

    def empty_block(self) -> float:
        """The CPU time of a window of no call: the channel and the request, as the clock sees them."""
        t0 = self.clock()
        self.send("window", 5.0, count=0, fresh=False)
        return self.clock() - t0

    def window(self, count: int, timeout: float, fresh: bool = True, widest: bool = False) -> Window:
        """``count`` calls (on the pool's inputs, or not ``fresh`` on the staged one) and their commit; timed.

        One request, timed here by the worker's cgroup; a worker that is
        ``held`` is thawed once its clock started, and its clock stops once
        it is frozen again (the kernel says so): whatever the plugin does
        with the inputs is inside, a thread that works on after the answer
        included, and its commit is read only then. The block's own time is
        the worker's word (used for the reference only).

        Outputs too large to commit whole are fingerprinted here when this
        side ``reads`` (:meth:`_fingerprints`), by no code in the worker's
        process and outside its clock, and the reference's worker, which
        makes its own (``less_prints``), says how long they took, taken off
        its window: the harness's work in a window, taken off every plugin's
        as the reference's (:func:`harness.speed.measure._per_call`), is then little more than the
        request. The fingerprints cost as much as the block at the medium
        size, and a plugin that made them in its calls instead, while each
        output was still in the cache, and answered them from there, was
        charged 10 to 30% less than the same calls (an elementwise hook, medium; a test's
        fixture, ``fingerprints_in_its_calls``).
        """
        if not fresh:
            self.load(None)
        t0 = self.clock()
        answer = self.send("window", timeout, count=count, fresh=fresh, room=self.room, whole=self.whole,
                           widest=widest, prints=not self.reads)
        t1 = self.clock()
        outputs, prints = _committed(answer, self.session.start().outbox)
        if outputs is None and self.reads:
            prints = self._fingerprints(answer, count)
        got = len(outputs) if outputs is not None else len(prints) if prints is not None else 0
        if got != count:
            raise Voided(f"a timed block answered {got} results for {count} calls: {VOIDED}")
        size, block, own = answer.get("bytes"), _seconds(answer.get("block")), _seconds(answer.get("prints_s"))
        block = min(block, t1 - t0)
        total = max(t1 - t0 - own, block) if self.less_prints else t1 - t0
        w = Window(total, block, outputs, prints, size if isinstance(size, int) else 0)
        if prints is not None:
            w.places, w.leaves = _places(answer, len(prints))
        return w

    def read(self, w: Window, indices: list[int], most: int) -> list[tuple[np.ndarray, list[int]]]:
        """The outputs of calls ``indices`` of window ``w``, read from the worker's memory where it said they are.

        Read by this process (:meth:`harness.grading.runner.WorkerProcess.read_places`:
        ``process_vm_readv``, or ``/proc/PID/mem`` opened when the task's fork
        started), not shown by the worker: read while the worker is frozen,
        an output is what the block left, whatever the plugin does later.
        ``most``: values an output may have. Each output as its leaves
        flattened, and their sizes: views of memory this worker reads into
        every time, valid until its next read (the round's checks).
        """
        worker = self.session.start()
        if worker.memory is None or w.places is None:
            raise Voided(UNREADABLE)
        wanted = []
        for i in indices:
            leaf_places = w.places[i * w.leaves:(i + 1) * w.leaves]
            sizes = leaf_places[:, 1].tolist()
            total = sum(sizes)  # Python's ints: the worker's sizes summed in int64 could wrap below any bound
            if total > most:  # (negative sizes never get here: _places refuses them)
                raise Voided(UNREADABLE)
            wanted.append((leaf_places.tolist(), sizes, total))
        into = self._read_room(sum(total for *_, total in wanted))
        if not worker.read_places([place for leaf_places, *_ in wanted for place in leaf_places], into):
            raise Voided(UNREADABLE)
        out, at = [], 0
        for _, sizes, total in wanted:
            out.append((into[at:at + total], sizes))
            at += total
        return out

    def _fingerprints(self, answer: dict[str, Any], count: int) -> np.ndarray:
        """The fingerprint of each of ``count`` outputs (:mod:`harness.worker.fingerprint`), read where ``places`` says.

        Read while the worker is frozen (the window's end): what is there is
        what the block left. Where nothing can be read, the plugin's timed
        outputs do not hold up (:data:`UNREADABLE`). Read a few calls at a
        time (:data:`PRINT_BATCH`), each batch summed while it is in the cache.
        """
        worker = self.session.start()
        where, leaves_a_call = _places(answer, count)
        if worker.memory is None or where is None:
            raise Voided(UNREADABLE)
        places = where.tolist()
        calls = [places[i:i + leaves_a_call] for i in range(0, len(places), leaves_a_call)]
        values = [sum(n for _, n in call) for call in calls]  # Python's ints (see read)
        if sum(values) > KEEP_BYTES // 8:
            raise Voided(UNREADABLE)
        batch = max(1, PRINT_BATCH // max(max(values), 1))
        prints = np.empty((len(calls), 2))
        for first in range(0, len(calls), batch):
            group = calls[first:first + batch]
            into = self._read_room(sum(values[first:first + batch]))
            if not worker.read_places([place for call in group for place in call], into):
                raise Voided(UNREADABLE)
            at = 0
            for i, call in enumerate(group, first):
                parts = []
                for _, n in call:
                    parts.append(into[at:at + n])
                    at += n
                prints[i] = of_leaves(parts)
        return prints

    def _read_room(self, values: int) -> np.ndarray:
        """Memory for ``values`` values read, its pages in place: kept from read to read (a new array's
        page faults, met by the kernel's copy, made a read of 8 MiB 8 to 13 ms instead of 1.1 to 1.4)."""
        if self.read_room.size < values:
            self.read_room = np.ones(values)  # written: every page in place
        return self.read_room

    def can_read(self) -> bool:
        """Whether the outputs of this worker's calls are read from its memory (else it shows them)."""
        return self.session.start().memory is not None

    def reveal(self, indices: list[int], out_bytes: int) -> list[tuple[np.ndarray, list[int]]]:
        """The outputs of calls ``indices`` of the last block: each as its leaves flattened, and their sizes.

        Through the worker's outbox when they fit in it, else through a file.
        """
        worker = self.session.start()
        if worker.outbox is not None and out_bytes * len(indices) <= worker.outbox.nbytes:
            answer = self.send("show", self.limits.case_seconds, indices=indices)
            sizes = answer.get("sizes")
            if not (isinstance(sizes, list) and len(sizes) == len(indices)
                    and all(isinstance(s, list) and all(isinstance(n, int) and n >= 0 for n in s) for s in sizes)
                    and sum(map(sum, sizes)) <= worker.outbox.size):
                raise Voided(UNREADABLE)
            out, at = [], 0
            for leaf_sizes in sizes:
                n = sum(leaf_sizes)
                out.append((np.array(worker.outbox[at:at + n]), leaf_sizes))
                at += n
            return out
        with self.serving():
            answer = worker.exchange({"op": "reveal", "indices": indices}, self.limits.case_seconds)
        try:
            outputs = codec.read(worker.scratch / "out" / f"out-{answer['id']}.npz",
                                 self.limits.output_mb * 1024 * 1024)
        except (codec.Malformed, codec.TooLarge):
            outputs = None
        if answer.get("status") != "ok" or not isinstance(outputs, list) or len(outputs) != len(indices):
            raise Voided(UNREADABLE)
        flat = []
        for o in as_float64(outputs):
            parts = leaves(o)
            if any(isinstance(part, Invalid) for part in parts):
                raise Voided(UNREADABLE)
            flat.append((np.concatenate([part.ravel() for part in parts] or [np.empty(0)]),
                         [int(part.size) for part in parts]))
        return flat


def _seconds(value: Any) -> float:
    """A time a worker answered: a finite number of seconds, at least 0 (0 if it is not one)."""
    return max(float(value), 0.0) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def _committed(answer: dict[str, Any], outbox: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The whole outputs (rows, the outbox's first values), or the fingerprints, a commit answered (None for the other).

    Copied: the worker's next request (a show, the next window) may write the outbox again before the round's
    outputs are checked.
    """
    try:
        if "outputs" in answer:
            rows, width = int(answer["outputs"]), int(answer["width"])
            if outbox is None or rows < 0 or width < 0 or rows * width > min(FULL_COMMIT_BYTES // 8, outbox.size):
                return None, None
            return np.array(outbox[:rows * width]).reshape(rows, width), None
        return None, np.frombuffer(bytes.fromhex(answer["fingerprints"]), dtype=np.float64).reshape(-1, 2)
    except (KeyError, TypeError, ValueError):
        return None, None


def _places(answer: dict[str, Any], calls: int) -> tuple[np.ndarray | None, int]:
    """The commit's ``places`` ((address, values) for each leaf of each call) and leaves a call; None if malformed."""
    try:
        leaves, where = int(answer["leaves"]), np.frombuffer(bytes.fromhex(answer["places"]), dtype=np.int64)
    except (KeyError, TypeError, ValueError):
        return None, 0
    if leaves < 1 or where.size != 2 * leaves * calls or (where < 0).any():
        return None, 0
    return where.reshape(-1, 2), leaves


def time_now() -> float:
    from pytest_benchmark.timers import default_timer

    return default_timer()
