"""The timed loop, inside the worker: fresh inputs in, outputs kept, fingerprints out.

A speed worker is started with memory it shares with the grading side: the
*pool* of inputs, which it can only read (a write gives it a copy of its
own, :func:`map_pool`), and its *outbox*, for its outputs. Per task and size the grading side stages the
hook's arguments (``stage``) and says how many calls a block makes
(``prepare``): each call's argument set is the staged one with the argument
that varies (:func:`vary_path`) replaced by its own slice of the pool. Then,
each round, the grading side writes fresh values into the pool and drives
one *window* (one request), all of it timed by the CPU time of the
worker's cgroup:

* the *block*: call the hook on each argument set in turn, the garbage
  collector off, keeping every output;
* the *commit*: the kept outputs themselves when they are small
  (:data:`FULL_COMMIT_BYTES` for the block), written to the outbox (the
  grading side checks every one of them); else one fingerprint per output
  (:mod:`harness.worker.fingerprint`) and where each output is in this
  process's memory (:func:`places`), answered; the grading side then picks
  calls at random and reads their outputs from there itself, this process
  frozen (where it cannot, it asks for them: ``show``).

Nothing here is trusted: a plugin can change any of it, and the grading side
checks what comes out (the count of outputs, the outputs against their
fingerprints and the reference's) and charges all the CPU time of the
window, not just the block.
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import math
import mmap
import random
import resource
from collections.abc import Callable
from typing import Any

import numpy as np

from harness.worker.fingerprint import leaves, of_leaves

LeafPath = list[str | int]
#: A block's outputs up to this size (as float64) are committed whole, not by fingerprints.
FULL_COMMIT_BYTES = 4 * 1024 * 1024
_SYSTEM_RANDOM = random.SystemRandom()


def vary_path(kwargs: dict[str, Any]) -> LeafPath | None:
    """Where the argument that varies from call to call is: the largest float array, else a float scalar.

    A path of keys and indices into ``kwargs`` (``["X"]``, ``["params", 0, 0]``).
    """
    arrays: list[tuple[int, LeafPath]] = []
    scalars: list[LeafPath] = []

    def walk(value: Any, path: LeafPath) -> None:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size >= 1:
            arrays.append((value.size, path))
        elif isinstance(value, float):
            scalars.append(path)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                walk(item, [*path, i])

    for key, value in kwargs.items():
        walk(value, [key])
    if arrays:
        return max(arrays, key=lambda a: a[0])[1]  # the first of the largest
    return scalars[0] if scalars else None


def get_leaf(tree: Any, path: LeafPath) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def with_leaf(tree: Any, path: LeafPath, leaf: Any) -> Any:
    """A copy of ``tree`` along ``path`` (dicts, lists, tuples) with ``leaf`` at its end; the rest shared."""
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: with_leaf(tree[head], rest, leaf)}
    items = list(tree)
    items[head] = with_leaf(items[head], rest, leaf)
    return tuple(items) if isinstance(tree, tuple) else items


class Bench:
    """The staged hook of a speed measurement and the argument set of each call of a block.

    The argument that varies is an array read from the pool (call ``i`` of a
    block reads the ``i``-th slice; the staged value is the first slice, which
    the grading side fills before a block on the staged input) or a float
    read from it.
    """

    def __init__(self, functions: dict[str, Callable[..., Any]], pool: np.ndarray | None = None,
                 outbox: np.ndarray | None = None) -> None:
        self.functions = functions
        self.pool = pool if pool is not None else np.empty(0)  # the inputs (copy-on-write: see map_pool)
        self.outbox = outbox if outbox is not None else np.empty(0)  # the commits and the outputs shown
        self.hook = ""
        self.base: dict[str, Any] = {}
        self.path: LeafPath | None = None
        self.shape: tuple[int, ...] | None = None  # the varied array's shape (None: a float, or nothing varies)
        self.calls: list[dict[str, Any]] = []
        self.kept: list[Any] = []
        self.names: tuple[str, ...] = ()  # the hook's outputs, as the contract names them (none: one array)
        self.held: list[list[np.ndarray]] = []  # the last fingerprinted outputs' leaves, where places() says
        self.heap_room = 0  # bytes of heap grown for the outputs (see _shift_heap)
        self.gap = np.empty(0)

    def stage(self, hook: str, kwargs: dict[str, Any], path: LeafPath | None, shape: list[int] | None,
              names: tuple[str, ...] = ()) -> None:
        """The hook, its arguments, the one that varies and the names of its outputs (the contract's)."""
        self.hook, self.path, self.calls, self.kept, self.names = hook, path, [], [], tuple(names)
        self.shape = tuple(shape) if shape is not None and path is not None else None
        self.base = kwargs if self.shape is None else with_leaf(kwargs, path, self._slices(1)[0])

    def _slices(self, count: int) -> np.ndarray:
        """``count`` inputs of the varied array's shape, side by side in the pool."""
        size = math.prod(self.shape or ())
        if count * size > self.pool.size:
            raise ValueError(f"{count} inputs of {size} values do not fit in the pool")
        return self.pool[:count * size].reshape(count, *self.shape)

    def _shift_heap(self, room: int, widest: bool = False) -> None:
        """Put this block's outputs somewhere else in the heap than the last block's.

        A process's memory is faster or slower by luck on some machines (how
        the pages are backed): a random gap before the outputs makes every
        round draw its luck anew, so that it averages out instead of biasing
        one side. The heap is first grown to ``room`` bytes (pages touched,
        then freed: malloc keeps them), so no timed call meets a new page.
        The ``widest`` gap (the warm-up window's) puts the block's outputs and
        temporaries as high as they will ever be: the heap's high-water mark
        is reached there, not in a timed round that draws a wider gap than any
        before it (a window of page faults, 3-4 times as long, at the large size).
        """
        if room > self.heap_room:
            chunks = [np.ones(min(room - done, 8 << 20) // 8) for done in range(0, room, 8 << 20)]
            del chunks
            self.heap_room = room
        widest_gap = max(room // 16, 1)  # elements: bytes / 8 / 2, up to half the room
        self.gap = np.empty(0)  # the last gap freed first: the new one is not drawn above it
        # (the system's random source: NumPy's global generator is seeded on its first use, 15 ms in every fork)
        self.gap = np.empty(widest_gap - 1 if widest else _SYSTEM_RANDOM.randrange(widest_gap))

    def prepare(self, count: int, room: int = 0, widest: bool = False) -> None:
        """The argument sets of ``count`` calls, each reading its own slice of the pool.

        Arrays are views of the pool, so a set made once serves every round;
        a float is read from the pool, so its sets are made again each round.
        Sets made for more calls serve a block of fewer (its first ones): a
        block whose number of calls changed does not make them again in its
        window (the grading side sends ``prepare`` for the most calls, before the rounds).
        """
        self.kept, self.held = [], []
        self._shift_heap(room, widest)
        if self.path is None:
            self.calls = [self.base] * count
        elif self.shape is None and len(self.path) == 1:  # a float argument: set in place, at C speed mostly
            if len(self.calls) < count:
                self.calls = [dict(self.base) for _ in range(count)]
            key = self.path[0]
            for kwargs, value in zip(self.calls, self.pool[:count].tolist(), strict=False):
                kwargs[key] = value
        elif self.shape is None:  # a float inside a list or tuple
            self.calls = [with_leaf(self.base, self.path, v) for v in self.pool[:count].tolist()]
        elif len(self.calls) < count:
            slices = self._slices(count)
            self.calls = [with_leaf(self.base, self.path, slices[i]) for i in range(count)]

    def run(self, number: int, fresh: bool = True) -> int:
        """Call the hook on the first ``number`` prepared argument sets (or, not ``fresh``, the staged one)."""
        if number == 0:  # an empty request: the cost of the channel alone
            return 0
        fn = self.functions[self.hook]
        calls, outs = self.calls[:number] if fresh else [self.base] * number, [None] * number
        if len(calls) < number:
            raise ValueError(f"{len(calls)} calls prepared, {number} asked for")
        gc.disable()
        try:
            for i, kwargs in enumerate(calls):
                outs[i] = fn(**kwargs)
        finally:
            gc.enable()
        self.kept = outs
        return len(calls)

    def window(self, count: int, fresh: bool = True, room: int = 0, whole: bool = True,
               widest: bool = False, prints: bool = True) -> dict[str, Any]:
        """One timed window, in one request: prepare, call (the block), commit.

        ``block`` is the block's CPU time as this process counts it; the
        grading side uses it for the reference only (it times every window
        itself, by the worker's cgroup).
        """
        self.prepare(count, room, widest)
        before = _cpu()
        calls = self.run(count, fresh)
        block = _cpu() - before
        return {"calls": calls, "block": block, **self.commit(whole, prints)}

    def commit(self, whole: bool = True, prints: bool = True) -> dict[str, Any]:
        """The kept outputs, ``whole`` (``outputs``: an (N, k) float64 matrix) or as ``fingerprints``.

        The grading side says which (the same for every side of a measurement),
        and whether it makes the fingerprints itself, from the outputs where
        ``places`` says they are (not ``prints``: none are made here). Made
        here, ``prints_s`` is their CPU time (the reference's is taken off its
        window where the plugins' are made on the grading side).
        Whole outputs go to the outbox's first values. Outputs given as lists where the
        contract has arrays are read as those arrays first, as the
        correctness run reads them (judged by the first output: nothing to do
        for outputs that are arrays already).
        """
        if self.kept and as_contract(self.kept[0], self.names) is not self.kept[0]:
            self.kept = [as_contract(o, self.names) for o in self.kept]
        size = int(sum(np.size(leaf) for leaf in leaves(self.kept[0]))) if self.kept else 0
        if whole and size * 8 * len(self.kept) <= FULL_COMMIT_BYTES:
            whole = flat_outputs(self.kept)
            if whole is not None and whole.nbytes <= FULL_COMMIT_BYTES and whole.size <= self.outbox.size:
                self.outbox[:whole.size] = whole.reshape(-1)
                return {"outputs": int(whole.shape[0]), "width": int(whole.shape[1]), "bytes": size * 8}
        self.held = [[np.ascontiguousarray(leaf, dtype=np.float64) for leaf in leaves(o)] for o in self.kept]
        if not prints:
            return {"bytes": size * 8, **places(self.held)}
        before = _cpu()
        made = np.array([of_leaves(held) for held in self.held], dtype=np.float64).reshape(-1, 2)
        return {"fingerprints": made.tobytes().hex(), "prints_s": _cpu() - before, "bytes": size * 8,
                **places(self.held)}


    def show(self, indices: list[int]) -> list[list[int]]:
        """Write the outputs of calls ``indices`` to the outbox, every leaf flattened, one after another.

        Returns each output's leaf sizes.
        """
        flat = [np.asarray(leaf, dtype=np.float64).ravel() for i in indices for leaf in leaves(self.kept[i])]
        total = sum(len(f) for f in flat)
        if total > self.outbox.size:
            raise ValueError(f"{total} values do not fit in the outbox")
        at = 0
        for f in flat:
            self.outbox[at:at + len(f)] = f
            at += len(f)
        return [[int(np.size(leaf)) for leaf in leaves(self.kept[i])] for i in indices]


def places(held: list[list[np.ndarray]]) -> dict[str, Any]:
    """Where each output's leaves are in this process's memory: ``places``, (address, values) per leaf.

    The grading side reads the outputs of the calls it picks from there
    (``/proc/PID/mem``, this process frozen): an output is read as it was
    when the window ended, by no code of this process, so one computed only
    when asked for is not there to be read. Outputs with different numbers
    of leaves have no places (and are not read: their speed is voided).
    """
    counts = {len(h) for h in held}
    if len(counts) != 1:
        return {}
    where = np.array([(_address(a), a.size) for h in held for a in h], dtype=np.int64)
    return {"places": where.tobytes().hex(), "leaves": counts.pop()}


def _address(a: np.ndarray) -> int:
    """Where a contiguous array's values start: by its buffer (0.5 us), else its interface (3 us)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError, BufferError):  # read-only, or empty
        return int(a.__array_interface__["data"][0])


def as_contract(value: Any, names: tuple[str, ...]) -> Any:
    """An output with every list or tuple the contract has as an array made that array (float64).

    Without ``names`` the output is one array; with them, a tuple of those
    outputs (a name ending in ``*``: a list of (W, b) pairs). ``value``
    itself when there is nothing to change, or when its shape is not the
    contract's (the checks then find it wrong).
    """
    changed = False

    def array(x: Any) -> Any:
        nonlocal changed
        if not isinstance(x, list | tuple):
            return x
        changed = True
        return np.asarray(x, dtype=np.float64)

    try:
        if not names:
            return array(value)
        if not isinstance(value, list | tuple) or len(value) != len(names):
            return value
        items = tuple([tuple(map(array, pair)) for pair in v] if n.endswith("*") else array(v)
                      for v, n in zip(value, names, strict=True))
        return items if changed else value
    except (TypeError, ValueError):
        return value


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def flat_outputs(outputs: list[Any]) -> np.ndarray | None:
    """The outputs as rows of one float64 matrix (every leaf flattened), or None when their sizes differ."""
    if outputs and type(outputs[0]) is tuple and all(type(v) is float for v in outputs[0]):
        try:  # tuples of floats (six numbers, say): one pass over them all
            flat = np.fromiter(itertools.chain.from_iterable(outputs), dtype=np.float64)
            if flat.size == len(outputs) * len(outputs[0]):
                return flat.reshape(len(outputs), -1)
        except (ValueError, TypeError):
            pass
    try:
        matrix = np.asarray(outputs, dtype=np.float64)  # one C loop when every output has one shape
        return matrix.reshape(len(outputs), -1)
    except (ValueError, TypeError):
        pass
    rows = [np.concatenate([np.asarray(leaf, dtype=np.float64).ravel() for leaf in leaves(o)] or [np.empty(0)])
            for o in outputs]
    if len({len(r) for r in rows}) > 1:
        return None
    return np.stack(rows) if rows else np.empty((0, 0))


def map_pool(spec: str, private: bool = False) -> np.ndarray:
    """Memory shared with the grading side (``"FD:BYTES"``), as float64, its pages in place now.

    ``private``: the inputs, mapped copy-on-write. Every side reads the
    same physical pages as long as it only reads; a write (a call that
    writes over its input) gives this process a copy of that page, seen by
    no one else, and from then on it reads its own stale copy there. The
    grading side seals this memory against any other writable mapping
    (:class:`harness.grading.runner.SharedPool`), so no worker can leave
    anything in it for another. Its pages are faulted in by reading them.
    """
    fd, size = (int(part) for part in spec.split(":"))
    if private:
        view = np.frombuffer(mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE), dtype=np.float64)
        int(view[::512].sum())  # a read of every page (512 values of 8 bytes): no copy made
        return view
    view = np.frombuffer(mmap.mmap(fd, size), dtype=np.float64)
    view[:] = 0.0  # fault the pages in before any timed call
    return view
