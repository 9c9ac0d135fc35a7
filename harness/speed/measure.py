"""Speed: the plugin's time over the reference's, measured side by side.

The method is README "Speed". Per task and input size: the hook and its
arguments are staged in both workers, the reference's first call (Numba
compiles then) and calibration set N, the calls of a block (about
``target_block_s`` of the reference's time), then come a warm-up round and 4
to ``rounds`` rounds. Each round the grading side draws N fresh inputs
(:func:`harness.speed.fresh.make_pool`: the staged argument that varies,
:func:`harness.worker.bench.vary_path`, every element times its own random
factor; in pieces moved to random places too where the checks could not tell
answers to inputs scaled in place apart,
:func:`harness.speed.checks.answers_move`) and, every side frozen (from its
task's start to its end a side is thawed only while it serves a request,
:meth:`harness.speed.timed.TimedWorker.hold`), writes them to each worker's
pool (memory shared with it); then each side has its *window*: its clock
(the CPU time of its cgroup, every process and thread) starts, it is thawed,
it calls its N inputs (the block, also timed on its own) and commits its
outputs, its clock stops and it is frozen again. The plugin is charged its
whole window less the reference's cost of an empty request and, per call,
what the reference's window of the same round cost outside its block (the
harness's own work, kept within 1.5 times its median over the size's rounds,
:func:`_per_call`). After each round the commits are checked: every output
against the reference's when they are small, else every call's fingerprint
against the reference's (its sum of squares, to the task's tolerance) and
outputs of calls picked at random, read from the worker's memory
(:meth:`harness.speed.timed.TimedWorker.read`), against their fingerprints
and the reference's. A size's ratio is the median over every pair of an even
and an odd round (the order of the sides changes from round to round,
:func:`_round`; :func:`harness.speed.ratios.crossed`) with a bootstrap
interval; speed points only for tasks whose correctness passed, on the curve
``share * points * clip(1 - log(ratio/par) / log(zero/par), 0, 1)``.

Several plugins can be measured in one pass (``harness grade``): the
reference's window of a round is then shared by all of them, the order of
the sides rotating from round to round so that drift cancels.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import functools
import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pytest_benchmark.stats import Stats

from harness.grading.model import TIMEOUT, Task
from harness.grading.runner import (
    LoadFailed,
    PluginSession,
    SharedPool,
    WorkerDied,
)
from harness.loading.plugins import PluginSpec, resolve, trusted_writable
from harness.sandbox.launch import Limits
from harness.speed.checks import (
    answers_move,
    check_norms,
    check_outputs,
    check_whole,
    wrote_its_inputs,
)
from harness.speed.fresh import SYSTEM_RANDOM, make_pool
from harness.speed.ratios import (
    bootstrap_crossed_ci,
    crossed,
    crossed_rounds,
    near_one,
    pair_ratios,
    speed_fraction,
)
from harness.speed.timed import KEEP_BYTES, VOIDED, TimedWorker, Voided, Window
from harness.worker.bench import FULL_COMMIT_BYTES, get_leaf, vary_path

SIZE_ORDER = ("tiny", "small", "medium", "large")


@dataclass(frozen=True)
class SpeedOptions:
    rounds: int = 8  # planned, at most; even: rounds are summed in pairs
    extra_rounds: int = 2  # more, a pair at a time, while a ratio's interval is wider than the resolution
    steady_rounds: int = 6  # fewer than planned, from this many on, once every ratio's interval is narrower
    target_block_s: float = 0.0025  # a block of the reference's calls lasts about this long
    pool_bytes: int = 16 * 1024 * 1024  # a round's fresh inputs, at most (shared memory: this and the commits')
    jitter: float = 2.0 ** -7  # every piece of a fresh input is a staged piece times a factor in (1 - jitter, 1]
    call_budget_s: float = 1.0
    size_budget_s: float = 0.15  # the planned rounds of one size, per plugin, about (4 at least; 2 for long calls)
    par: float = 1.25
    zero: float = 100.0
    share: float = 0.25
    sizes: tuple[str, ...] | None = None
    resolution: float = 0.05


MAX_CALLS = 20_000  # calls in one block, at most (their fingerprints cross as one JSON line)
SAMPLES = 2  # outputs of each plugin checked per round, drawn after its commit
BIG_OUTPUT_BYTES = 1 << 20  # outputs over this: 1 checked, in a random half of the rounds
ROOM_FROM_BYTES, ROOM_MAX_BYTES = 1 << 20, 48 << 20  # a block's outputs from which its heap is shifted; at most
ROUND_COST_S = 0.004  # the harness's own time in a round (fresh inputs, freezing, checks), about
SHARE_SLACK = 1.5  # a round's harness share is kept within this factor of the size's median (see _per_call)
SETTLED_RATIO = 10.0  # a plugin this much slower is timed for one pair of rounds only (its points hardly move)
LONG_CALL_S = 0.01  # a call this long is timed on its own: no calibration, a single pair of rounds may do
SLOW_CALL_S = 0.05  # a plugin's first call this long is its estimate; its calls skip the second warm-up round
SECOND_LOOK_S = 0.05  # a plugin cut to fewer calls a block by its warm-up window: a second look this long, about
MAX_LOOKS = 3  # looks at most: another while the last was sized by an estimate its own result cut by half or more


@dataclass
class SizeResult:
    task: str
    size: str
    ratio: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    mark: str = ""
    rounds: int = 0
    plugin_s: float = math.nan
    reference_s: float = math.nan
    plugin_first_call_s: float = math.nan
    reference_first_call_s: float = math.nan
    plugin_iterations: int = 0
    reference_iterations: int = 0
    note: str = ""
    fraction: float = 0.0
    plugin_rounds: tuple[float, ...] = ()
    reference_rounds: tuple[float, ...] = ()


@dataclass
class _Timed:
    """A plugin within one size's measurement."""

    worker: TimedWorker
    res: SizeResult
    hopeless: bool = False  # zero speed points at the task's size before (its first call gets the call budget)
    number: int = 0
    one_call: float = 0.0
    out: bool = False  # stopped, voided or broken: no more rounds
    settled: bool = False  # far slower than the reference: its pairs so far tell enough, no more rounds
    warm_ratio: float = 0.0  # its warm-up window's time per call over the reference's
    totals: list[float] = field(default_factory=list)  # its windows' CPU time, round by round
    per_call: list[float] = field(default_factory=list)  # its charged time per call, round by round

    def stop(self, note: str) -> None:
        self.res.note, self.out = note, True

    def void(self, exc: Voided) -> None:
        """Stopped: its timed outputs did not hold up. One that wrote over its input is told so."""
        worker, note = self.worker.session.worker, str(exc)
        if "wrong or stale" in note and worker is not None and wrote_its_inputs(worker.cgroups.procs()):
            note = ("a timed call changed its input (the inputs of timed calls are the harness's, read in "
                    f"place: it read a stale copy of its own from then on): {VOIDED}")
        self.stop(note)


def _slower_than(ref_call: float, opts: SpeedOptions) -> str:
    return f"slower than {opts.call_budget_s / max(ref_call, 1e-9):.0f}x (stopped at {opts.call_budget_s:g} s)"


def _one_call_harness(ref: TimedWorker, first: Window) -> float:
    """The harness's CPU time in a one-call window of the reference, besides the call.

    The median of the first window's and, for short calls, two more: one
    hiccup in a single window must not eat a short first call.
    """
    more = 2 if first.block < LONG_CALL_S else 0
    ones = [first] + [ref.window(1, ref.limits.case_seconds, fresh=False) for _ in range(more)]
    return float(np.median([w.total - w.block for w in ones]))


def _start_plugin(p: _Timed, harness: float, ref_call: float, opts: SpeedOptions) -> None:
    """The plugin's first call, then its time per call; a call over the budget stops it ("slower than").

    Timed by the plugin's cgroup, less ``harness``: what a one-call window of
    the reference cost besides its call (a plugin's word on its own block is
    not trusted).

    A first call may load or compile what later calls use: it gets the
    case's time limit (10 s), not the call budget, but where the plugin was
    ``hopeless`` at the task's size before (:data:`SpeedOptions.zero` times the
    reference's time or more: no speed points there). A plain-Python
    plugin's four large MLP calls each ran into the 10 s ("not timed"),
    40 s of its run, for the points "slower than" gives: none.

    The first call tells enough (refined by the warm-up round) where the
    reference's calls are long, and where the plugin's first call lasts
    :data:`SLOW_CALL_S` or more: a second call would cost as much again (a
    plain-Python plugin's at the large size, 0.1 to 1 s each, 7 s of its
    110-s run). A first call long only because it loaded kernels makes a
    warm-up window of one call, whose estimate sizes the next (and a
    second look, :func:`_second_look`, where that cuts the calls).
    """
    budget = opts.call_budget_s + 1.0  # a call's time limit past the first (and a hopeless plugin's first)
    try:
        first = p.worker.window(1, budget if p.hopeless else p.worker.limits.case_seconds, fresh=False)
    except WorkerDied as exc:
        if not p.hopeless or exc.verdict.outcome != TIMEOUT:
            raise
        p.stop(_slower_than(ref_call, opts))
        return
    p.res.plugin_first_call_s = max(first.total - harness, 0.0)
    if ((ref_call >= LONG_CALL_S or p.res.plugin_first_call_s >= SLOW_CALL_S)
            and p.res.plugin_first_call_s <= opts.call_budget_s):
        p.one_call = p.res.plugin_first_call_s
        return
    try:
        one = p.worker.window(1, budget, fresh=False)
    except WorkerDied:
        p.stop(_slower_than(ref_call, opts))
        return
    p.one_call = max(one.total - harness, 0.0)  # rough for short calls: refined by the warm-up round
    if p.one_call > opts.call_budget_s:
        p.stop(_slower_than(ref_call, opts))


def _heap_room(calls: int, out_bytes: int) -> int:
    """The heap a worker keeps ready for a block of ``calls`` outputs (none for small outputs; capped)."""
    return min(2 * calls * out_bytes, ROOM_MAX_BYTES) if calls * out_bytes >= ROOM_FROM_BYTES else 0


def _calls(per_call: float, n_ref: int, ref_call: float, opts: SpeedOptions) -> int:
    """A plugin's calls a block: the reference's N, unless that makes its block very long."""
    longest = max(4 * opts.target_block_s, n_ref * ref_call)
    return n_ref if per_call * n_ref <= longest else max(1, int(longest / max(per_call, 1e-12)))


def _calibrate(ref: TimedWorker, target: float, most: int) -> float:
    """The reference's time per call on the staged input, from blocks grown until they last target / 4."""
    number, per_call = 1, 0.0
    for _ in range(8):
        w = ref.window(number, max(40 * target, 10.0), fresh=False)
        per_call = w.block / number
        if per_call * number >= target / 4 or number >= most:
            break
        grow = target / 2 / per_call / number if per_call > 0 else 10.0
        number = int(min(most, max(number + 1, number * min(grow, 10.0))))
    return max(per_call, 1e-9)


def _measure_size(ref: TimedWorker, plugins: list[TimedWorker], task: Task, size: str, kwargs: dict[str, Any],
                  opts: SpeedOptions, seed: int, hopeless: list[bool] | None = None) -> list[SizeResult]:
    timed = [_Timed(w, SizeResult(task.name, size), bool(h))
             for w, h in zip(plugins, hopeless or [False] * len(plugins), strict=True)]
    path = vary_path(kwargs)
    leaf = get_leaf(kwargs, path) if path is not None else None
    leaf_bytes = max(int(np.asarray(leaf).nbytes), 8) if leaf is not None else 8
    ref.stage(task.hook, kwargs, path)
    for p in timed:
        try:
            p.worker.stage(task.hook, kwargs, path)
        except (WorkerDied, RuntimeError) as exc:
            p.stop(f"not timed: {exc}")
    # The plugins' fingerprints made here where memory can be read (the reference's, by its worker, taken off)
    ref.less_prints = ref.can_read()
    for p in timed:
        p.worker.reads = ref.less_prints
    first = ref.window(1, ref.limits.case_seconds, fresh=False)
    ref_first = first.block
    if first.block >= LONG_CALL_S:  # one cold call slowed by a busy neighbour must not decide the size's
        again = ref.window(1, ref.limits.case_seconds, fresh=False)  # method (no calibration, fewer rounds):
        first = min(first, again, key=lambda w: w.block)  # the shorter of two calls does
    one_call_harness = _one_call_harness(ref, first)
    most = int(max(1, min(MAX_CALLS, opts.pool_bytes // leaf_bytes, KEEP_BYTES // max(first.out_bytes, 8))))
    if first.block < LONG_CALL_S:  # calibrated with the heap grown as for the rounds (no page faults)
        ref.room = _heap_room(most, first.out_bytes)
    ref_call = first.block if first.block >= LONG_CALL_S else _calibrate(ref, opts.target_block_s, most)
    n_ref = int(min(most, max(1, math.ceil(opts.target_block_s / ref_call))))
    samples = SAMPLES if first.out_bytes <= BIG_OUTPUT_BYTES else 1
    for p in timed:
        p.res.reference_first_call_s = ref_first
        if p.out:
            continue
        try:
            _start_plugin(p, one_call_harness, ref_call, opts)
        except Voided as exc:
            p.stop(str(exc))
        except (WorkerDied, RuntimeError) as exc:
            p.stop(f"not timed: {exc}")
        p.number = _calls(p.one_call, n_ref, ref_call, opts)
    # Rounds: as many as the size's budget pays for (per plugin), an even number from 4 to opts.rounds.
    a_round = n_ref * ref_call + sum(p.number * p.one_call for p in timed if not p.out) + ROUND_COST_S
    budget = opts.size_budget_s * max(1, sum(not p.out for p in timed))
    fewest = 2 if ref_call >= LONG_CALL_S else 4  # long blocks are steady: one pair is enough
    rounds = 2 * int(min(opts.rounds, max(fewest, budget / a_round)) // 2)
    timeout = max(40 * a_round, 10.0)
    # Blocks with large outputs get their heap grown and shifted each round (memory luck averages out).
    room = _heap_room(n_ref, first.out_bytes)
    whole = n_ref * first.out_bytes <= FULL_COMMIT_BYTES  # as the reference's block would commit, for all
    for side in [ref, *(p.worker for p in timed if not p.out)]:  # the calls' argument sets, made once
        side.room, side.whole = room, whole
        try:
            side.send("prepare", side.limits.case_seconds, count=n_ref, room=side.room)
        except (WorkerDied, RuntimeError) as exc:
            if side is ref:
                raise
            next(p for p in timed if p.worker is side).stop(f"not timed: {exc}")
    ref_per_call: list[float] = []
    harness: list[float] = []  # the harness's own work per call in the reference's windows, round by round
    fresh = ref.session.start().pool if leaf is not None else None  # each round's inputs, made in place
    moved = False  # the warm-up's inputs are scaled in place; the rounds' move too where that changes no answer
    # Large outputs, short calls: a second warm-up round (the first rounds after one met new memory, as
    # the heap gap moved: at the large size the first pair of rounds was the noisiest by far).
    warm_ups = 2 if first.out_bytes > BIG_OUTPUT_BYTES and ref_call < LONG_CALL_S else 1
    # Planned rounds, then up to opts.extra_rounds more, a pair at a time, while an interval is wide; from
    # opts.steady_rounds on, no more once every interval is narrow (a fifth of the sizes, 7% of the rounds).
    for i in range(-warm_ups, rounds + (opts.extra_rounds if rounds >= 4 else 0)):  # rounds < 0 warm up
        live = [p for p in timed if not p.out and not p.settled]
        if not live or (i >= min(rounds, opts.steady_rounds) and i % 2 == 0
                        and all(_steady(p, ref_per_call, opts) for p in live)):
            break
        if i == -1 and warm_ups == 2:  # the second warm-up round is for memory: calls of SLOW_CALL_S skip it
            live = [p for p in live if p.one_call < SLOW_CALL_S]  # (their new memory is nothing to their time)
        pool = make_pool(leaf, n_ref, opts.jitter, fresh, moved) if leaf is not None else None
        # Big outputs: revealed in a random half of the rounds (drawn from the system's source, not told).
        shows = 0 if first.out_bytes > BIG_OUTPUT_BYTES and SYSTEM_RANDOM.random() < 0.5 else samples
        ref_window, windows, order = _round(ref, live, pool, n_ref, i, timeout, shows, max(first.out_bytes // 8, 1))
        ref_compute = max(ref_window.block, 1e-12)
        # The harness's own work in a window: the request (fixed) and the commit (per call).
        per_call_harness = max(ref_window.total - ref_window.block - ref.overhead, 0.0) / n_ref
        live = [p for p in live if not p.out]
        _check_round(ref, ref_window, live, windows, shows, task, order)
        if i == -1 and warm_ups == 2:  # the second warm-up round: untimed
            continue
        if i < 0:  # the warm-up round times every plugin's calls: a much slower one makes fewer from now on
            moved = answers_move(ref_window, task)  # its inputs were scaled in place: did the answers change?
            for p in live:
                if p.out or id(p) not in windows:
                    continue
                warm = _charged(windows[id(p)].total, ref.overhead, per_call_harness, p.number)
                p.warm_ratio = warm / p.number / (ref_compute / n_ref)
                # a better estimate than one call (rough, from the window of one call); a window charged
                # nothing (no longer than the harness's own fixed cost of one) is as fast as it gets
                p.one_call, warmed = warm / p.number, p.number
                p.number = _calls(p.one_call, n_ref, ref_call, opts)
                looks = 0  # fewer calls a block on one window's word: a second look first
                while p.number < n_ref and not p.out and looks < MAX_LOOKS:
                    look = min(n_ref, max(warmed, int(SECOND_LOOK_S / max(p.one_call, 1e-12))))
                    if looks and look < 2 * warmed:  # the last look was as long as its own estimate asks
                        break
                    if p.one_call >= SLOW_CALL_S and n_ref <= 2 * warmed:  # calls this long, at most twice as
                        break  # many a block: a look would cost as much as the warm-up for next to nothing
                    again = _second_look(p, look, leaf, fresh, moved, opts.jitter, timeout)
                    p.one_call = min(p.one_call, _charged(again, ref.overhead, per_call_harness, look) / look)
                    p.number, warmed, looks = _calls(p.one_call, n_ref, ref_call, opts), look, looks + 1
                if not p.out and p.number > warmed and warm_ups == 1:  # more calls than it warmed up with: their memory
                    _warm_again(p, timeout)  # is new, met here, untimed (a second warm-up round does it too)
            continue
        ref_per_call.append(ref_compute / n_ref)
        harness.append(per_call_harness)
        for p in live:
            if p.out:
                continue
            p.totals.append(windows[id(p)].total)
            p.per_call = _per_call(p, ref.overhead, harness)
            pairs = pair_ratios(p.per_call, ref_per_call)
            # settled: three windows (the warm-up's and a pair's) all far slower; a passing hiccup is not
            p.settled = (len(p.per_call) % 2 == 0 and bool(len(pairs)) and p.warm_ratio >= SETTLED_RATIO
                         and bool((pairs >= SETTLED_RATIO).all()))
    for p in timed:
        p.res.reference_iterations, p.res.plugin_iterations = n_ref, p.number
        if not p.out:  # its per_call is final: the median share over its own rounds
            _summarize(p, ref_per_call[:len(p.totals)], seed, opts)
    return [p.res for p in timed]


def _second_look(p: _Timed, count: int, leaf: Any, fresh: np.ndarray | None, moved: bool, jitter: float,
                 timeout: float) -> float:
    """The CPU time of an untimed window of ``count`` calls, on fresh inputs; inf if it failed.

    The warm-up round's window alone would decide that a plugin makes fewer
    calls a block than the reference, for the whole size: one hiccup there
    (a plugin as fast as the reference stalled 40 ms once) cut it to 44
    calls, and it came out 10x slower (a window's fixed cost, thawing and
    the request, over few calls). At the tiny size a plugin often warms up
    with fewer calls than the reference's already (40% of tiny sizes: its
    first estimate, from a window of one call, is 10 to 40 times its time
    per call), and few calls cost more a call: 47 calls of a loss came
    out 4.5x the reference's per call, and the reference timed as a plugin
    was cut to 1678 calls against 1896, 2 to 5 runs in 100. The second
    look has the reference's N calls, or as many as :data:`SECOND_LOOK_S`
    holds at the warm-up's time per call (as many as the warm-up's at
    least); the smaller estimate of the two windows is kept. Its inputs
    are fresh: an answer kept from the staged input is no faster here.
    A look sized by an estimate a hiccup inflated is short (few calls, the
    window's fixed cost over them): when its own estimate would size a look
    at least twice as long, it is looked at again, up to :data:`MAX_LOOKS`
    times (a plain activation cut to 633 calls against 2416, 1 test run in 13, on
    a machine 40% slower than an hour before). A look is a widest window, as the
    warm-up's: the calls a block it sizes meet their memory there, at the
    heap's high-water mark, not in a timed round (a block of no more calls
    than the last look's gets no untimed window after it).
    """
    pool = make_pool(leaf, count, jitter, fresh, moved) if leaf is not None else None
    return _untimed_window(p, count, timeout, pool, widest=True)


def _warm_again(p: _Timed, timeout: float) -> None:
    """An untimed window of the plugin's calls a block, where they outnumber its warm-up's (on the staged input).

    The calls past the warm-up's would otherwise meet their outputs' new
    memory (page faults, a new heap high-water mark) in the plugin's first
    round: at the tiny size, a third of the calls, that round 12% slower.
    """
    _untimed_window(p, p.number, timeout, widest=True)


def _untimed_window(p: _Timed, count: int, timeout: float, inputs: np.ndarray | None = None,
                    widest: bool = False) -> float:
    """A window of ``count`` calls outside the rounds: on ``inputs`` (else the staged input); its CPU time.

    A failure stops the plugin, with its note, and gives inf.
    """
    try:
        if inputs is not None:
            p.worker.load(inputs)
        return p.worker.window(count, timeout, fresh=inputs is not None, widest=widest).total
    except Voided as exc:
        p.stop(str(exc))
    except (WorkerDied, RuntimeError) as exc:
        p.stop(f"not timed: {exc}")
    return math.inf


def _per_call(p: _Timed, overhead: float, harness: list[float]) -> list[float]:
    """A plugin's charged time per call, round by round, less the harness's share of that round.

    The reference's window outside its block (its request and commit) is
    the harness's own work, as long as the block itself at the medium size
    (fingerprints of 16 MiB of outputs), and it moves with the machine: a
    share fixed at its median over the rounds under-charged a plugin's fast
    rounds and over-charged its slow ones where the machine's speed drifted
    within a size (``benchmarks/speed_replay.py``). A hiccup there in one
    round (the machine, not the harness) would take that round of the
    plugin's down to nothing: a round's share is kept within
    :data:`SHARE_SLACK` times the median, either way.
    """
    shares = harness[:len(p.totals)]
    median = float(np.median(shares))
    return [_charged(total, overhead, min(max(share, median / SHARE_SLACK), median * SHARE_SLACK), p.number)
            / p.number for total, share in zip(p.totals, shares, strict=True)]


def _charged(total: float, overhead: float, per_call_harness: float, number: int) -> float:
    """A plugin's window (its CPU time ``total``) less the harness's own work in it."""
    return max(total - overhead - per_call_harness * number, 0.0)


def _round(ref: TimedWorker, live: list[_Timed], pool: np.ndarray | None, n_ref: int, i: int,
           timeout: float, shows: int = 0, most: int = 0) -> tuple[Window, dict[int, Window], list[_Timed | None]]:
    """One round: the reference's window and each live plugin's, in an order that changes with ``i``.

    Every side is held (:meth:`TimedWorker.hold`: frozen, thawed only for a
    request); the round's inputs (made in the pool, ``pool``, for the first
    side) are written again right before every later side's window (so
    every side finds them as fresh in the caches). The rounds
    are summed in pairs (:func:`_summarize`), so a side's place in the order,
    and what ran before it, cancel out. A plugin that answered fingerprints
    has ``shows`` of its calls, picked now, read from its memory before it is
    thawed again (``most`` values an output, at most): see :meth:`TimedWorker.read`.
    """
    sides: list[_Timed | None] = [None, *live]  # None: the reference
    if len(sides) == 2:  # A B, B A, A B...: each side once right after itself (its data still cached)
        order = sides if i % 2 == 0 else sides[::-1]
    else:  # rotated by one a round: no side twice in a row, every side in every place
        order = sides[i % len(sides):] + sides[:i % len(sides)]
    ref_window, windows = None, {}
    for k, side in enumerate(order):
        try:
            worker, count = (ref, n_ref) if side is None else (side.worker, side.number)
            worker.load(None if pool is None else pool[:count], written=k == 0)  # held: seen only in its window
            if side is None:
                ref_window = ref.window(n_ref, timeout, fresh=pool is not None, widest=i < 0)
            else:
                w = windows[id(side)] = side.worker.window(side.number, timeout, fresh=pool is not None,
                                                           widest=i < 0)
                if shows and w.prints is not None and (side.worker.can_read() or ref.can_read()):
                    # frozen: as the block left them; a plugin whose memory cannot be read where the
                    # reference's can (it hid its fork) is voided, not asked to show them
                    picks = sorted(SYSTEM_RANDOM.sample(range(side.number), min(shows, side.number)))
                    w.shown = (picks, side.worker.read(w, picks, most))
        except Voided as exc:
            if side is None:
                raise RuntimeError(str(exc)) from None
            side.stop(str(exc))
        except (WorkerDied, RuntimeError) as exc:
            if side is None:
                raise
            side.stop(f"not timed: {exc}")
    assert ref_window is not None
    return ref_window, windows, order


def _check_round(ref: TimedWorker, ref_window: Window, live: list[_Timed], windows: dict[int, Window],
                 shows: int, task: Task, order: list[_Timed | None]) -> None:
    """Every output when the block's outputs are small; else every call's fingerprint, and ``shows`` calls picked.

    A plugin's picked outputs were read from its memory in its round
    (:func:`_round`); where its memory cannot be read, it shows them now
    (picked now, after its commit). The reference's outputs for the same
    calls are read (or shown) now. The sides that show do so in the order their windows ran, so the side that ends a
    round (and, in A B, B A order, starts the next) is the last one to have
    run: what the reveals leave in the caches keeps the order even.
    """
    if ref_window.outputs is not None:
        for p in live:
            got = windows[id(p)].outputs
            try:
                if got is None:
                    raise Voided(f"the timed outputs were not committed as the reference's were: {VOIDED}")
                check_whole(got, ref_window.outputs, task)
            except Voided as exc:
                p.void(exc)
        return
    for p in live:  # every call, by its fingerprint
        got = windows[id(p)].prints if id(p) in windows else None
        if not p.out and got is not None and ref_window.prints is not None:
            try:
                check_norms(got, ref_window.prints, ref_window.out_bytes // 8, task)
            except Voided as exc:
                p.void(exc)
    if not shows:
        return
    read = {id(p): windows[id(p)].shown for p in live if id(p) in windows and windows[id(p)].shown is not None}
    picks = {id(p): read[id(p)][0] if id(p) in read else
             sorted(SYSTEM_RANDOM.sample(range(p.number), min(shows, p.number))) for p in live}
    wanted = sorted({j for p in live if not p.out for j in picks[id(p)]})
    expected: dict[int, tuple[np.ndarray, list[int]]] = {}
    shown: dict[int, list[tuple[np.ndarray, list[int]]]] = {key: outputs for key, (_, outputs) in read.items()}
    for side in order:
        if side is None:
            outputs = (ref.read(ref_window, wanted, ref_window.out_bytes // 8) if ref.can_read()
                       else ref.reveal(wanted, ref_window.out_bytes)) if wanted else []
            expected = dict(zip(wanted, outputs, strict=True))
            continue
        if side.out or id(side) not in windows or id(side) in read:
            continue
        try:
            if windows[id(side)].prints is None:
                raise Voided(f"the timed outputs were not committed as the reference's were: {VOIDED}")
            shown[id(side)] = side.worker.reveal(picks[id(side)], ref_window.out_bytes)
        except Voided as exc:
            side.void(exc)
        except (WorkerDied, RuntimeError) as exc:
            side.stop(f"not timed: {exc}")
    for p in live:
        if p.out or id(p) not in shown:
            continue
        try:
            check_outputs(shown[id(p)], [expected[j] for j in picks[id(p)]], windows[id(p)].prints,
                          picks[id(p)], p.number, task)
        except Voided as exc:
            p.void(exc)


def _steady(p: _Timed, ref_per_call: list[float], opts: SpeedOptions) -> bool:
    """Whether a plugin's interval so far is narrower than the method's resolution (no more rounds needed)."""
    plugin, ref = crossed_rounds(p.per_call, ref_per_call)
    if len(plugin[0]) < 2:
        return False
    low, high = bootstrap_crossed_ci(plugin, ref)
    return 0.0 < low and high <= (1.0 + opts.resolution) * low  # a low of 0 (rounds charged nothing): not steady


def _summarize(p: _Timed, ref_per_call: list[float], seed: int, opts: SpeedOptions) -> None:
    """The ratio of a size: the median of :func:`crossed` over its rounds, with a bootstrap interval."""
    res, (plugin, ref) = p.res, crossed_rounds(p.per_call, ref_per_call)
    res.rounds = len(p.per_call)
    res.plugin_s, res.reference_s = float(np.median(p.per_call)), float(np.median(ref_per_call))
    res.ratio = float(np.median(crossed(plugin, ref)))
    res.ci_low, res.ci_high = bootstrap_crossed_ci(plugin, ref, seed)
    res.mark = near_one(res.ci_low, res.ci_high, opts.resolution)
    res.plugin_rounds, res.reference_rounds = tuple(p.per_call), tuple(ref_per_call)
    res.fraction = speed_fraction(res.ratio, opts.par, opts.zero)


def _task_passed(table: pd.DataFrame, name: str) -> bool:
    row = table.loc[table["task"] == name]
    return bool(len(row)) and int(row["passed"].iloc[0]) == int(row["cases"].iloc[0]) > 0


def measure_speed(spec: PluginSpec, tasks: list[Task], table: pd.DataFrame, *, seed: int, limits: Limits,
                  writable: list[Path] = (), options: SpeedOptions | None = None, progress: Any = None,
                  numba_cache: Path | None = None) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Time every passed task at every size; add the speed columns to ``table``.

    Returns the tasks table with speed columns, the pytest-benchmark JSON
    document and the per-size table (``speed.csv``).
    """
    return measure_speed_group([spec], tasks, [table], seed=seed, limits=limits, writables=[list(writable)],
                               options=options, progress=progress, numba_caches=[numba_cache])[0]


@dataclass
class _Plugin:
    """One plugin of a group: its worker, its graded table and what was measured so far."""

    spec: PluginSpec
    worker: TimedWorker
    table: pd.DataFrame
    results: list[SizeResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass
class Rig:
    """The workers of one measurement, the reference's and each plugin's, and the memory they share."""

    pool: SharedPool
    ref: TimedWorker
    workers: list[TimedWorker] | None  # None once closed

    def spawn(self) -> Rig:
        """Start every worker's process now: they import their plugins while the caller does other work.

        (``harness run`` spawns them before the correctness run: the
        reference's import, 0.65 s of Numba kernels, is then paid meanwhile,
        on the core the timed workers use.)
        """
        for w in [self.ref, *self.workers]:
            w.session.spawn()
        return self

    def close(self) -> None:
        """Kill every worker, free the memory (once; later calls do nothing)."""
        if self.workers is None:
            return
        for w in [self.ref, *self.workers]:
            w.session.close()
        self.pool.close()
        self.workers = None


def timed_core() -> int:
    """The core every timed worker runs on: the last this process may use."""
    return max(os.sched_getaffinity(0))


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """The grading side's BLAS held to one thread for a speed pass (threadpoolctl; as it was, after).

    Between the workers' windows the grading side fingerprints outputs, a
    BLAS dot product each. With its BLAS's default threads (one a core), the
    second thread of every product went on spinning after it, on either core:
    half a core all run long, beside the timed windows. Held to one thread, a
    `reference` run took 16.5 to 19.1 s (median 18.8, 4 runs) against 17.5
    to 21.9 s (median 20.3), alternating in one process; its A/A as steady
    (26 to 29 tasks of 30 within 5%, against 27 to 29); a `numpy` run's
    fingerprints no slower (1.7 s against 1.8 to 1.9). Pinning the grading
    side off the timed workers' core as well was tried and not kept: no faster,
    the A/A less steady (27 or 28 of 30 within 5% in 6 runs, against 27 to 30).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def make_rig(specs: list[PluginSpec], limits: Limits, writables: list[list[Path]] | None = None,
             numba_caches: list[Path | None] | None = None, options: SpeedOptions | None = None) -> Rig:
    """The workers of a measurement of ``specs`` against the reference, on one core, none started yet."""
    opts = options or SpeedOptions()
    # All workers on one core, never at the same time: the same caches, the same clock speed.
    limits = dataclasses.replace(limits, cpu=timed_core(), timed=True)
    pool = SharedPool(opts.pool_bytes)  # one for all sides: their inputs (their outputs: each its own outbox)
    ref_spec = resolve("reference")
    ref = TimedWorker(PluginSession(ref_spec, limits, trusted_writable(ref_spec), pool), limits)
    writables = writables or [[] for _ in specs]
    caches = numba_caches or [None for _ in specs]
    workers = [TimedWorker(PluginSession(spec, limits, list(w), pool, c), limits)
               for spec, w, c in zip(specs, writables, caches, strict=True)]
    for w in workers:
        w.wipe = len(workers) > 1 and not pool.sealed
    return Rig(pool, ref, workers)


def measure_speed_group(specs: list[PluginSpec], tasks: list[Task], tables: list[pd.DataFrame], *, seed: int,
                        limits: Limits, writables: list[list[Path]] | None = None,
                        options: SpeedOptions | None = None, progress: Any = None,
                        numba_caches: list[Path | None] | None = None, rig: Rig | None = None,
                        ) -> list[tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]]:
    """:func:`measure_speed` for several plugins at once, against one reference worker.

    Every round of a size times the reference once for all the plugins that
    passed the task; each plugin's task runs in a fresh fork of its worker.
    A plugin's ``numba_caches`` entry is the folder its correctness worker
    compiled its Numba kernels to: its speed worker loads them from there, as
    the reference loads its own, instead of compiling them in a timed task.
    ``rig``: the workers, made (and spawned) by :func:`make_rig` for these
    ``specs`` beforehand; closed here. Returns, per plugin, what :func:`measure_speed` returns.
    """
    opts = options or SpeedOptions()
    rig = rig or make_rig(specs, limits, writables, numba_caches, opts)
    ref = rig.ref
    group = [_Plugin(spec, w, table) for spec, w, table in zip(specs, rig.workers, tables, strict=True)]
    rng = np.random.default_rng(seed + 7919)
    try:
        with one_blas_thread():
            for task in tasks:
                if not task.speed_sizes or task.speed_inputs is None:
                    continue
                for g in group:
                    if not _task_passed(g.table, task.name):
                        g.skipped[task.name] = "correctness not passed: not timed"
                members = [g for g in group if task.name not in g.skipped]
                if members:
                    _measure_task(ref, members, task, rng, opts, seed)
                if progress is not None:
                    progress(task)
    finally:
        rig.close()
    out = []
    for g in group:
        per_size = pd.DataFrame([{k: v for k, v in asdict(r).items() if not k.endswith("_rounds")}
                                 for r in g.results])
        out.append((_add_columns(g.table, tasks, per_size, g.skipped, opts), _benchmark_json(g.spec, g.results),
                    per_size))
    return out


def _measure_task(ref: TimedWorker, members: list[_Plugin], task: Task, rng: np.random.Generator,
                  opts: SpeedOptions, seed: int) -> None:
    """Every size of one task, smallest first, for the plugins that passed it."""
    stopped: dict[int, str] = {}
    ready: list[_Plugin] = []
    # A fresh fork of each worker, the reference's too: what an earlier task did is gone, and every
    # side's memory is as new as the others' (a long-lived process's memory is faster on some machines).
    sides: list[_Plugin | None] = [None, *members]
    SYSTEM_RANDOM.shuffle(sides)  # in no fixed order: no side always gets the memory another just gave back
    broken = ""  # the reference's side failed: every size of the task untimed, for every plugin, with why
    for g in sides:
        try:
            if g is None:
                ref.session.start().fork_task()
                ref.hold(True)
                continue
            g.worker.session.start().fork_task()
            g.worker.hold(True)
            ready.append(g)
        except (WorkerDied, LoadFailed) as exc:
            if g is None:
                broken = f"not timed: the reference's worker: {exc}"
            else:
                stopped[id(g)] = f"not timed: {exc}"
    try:
        if ref.overhead == 0.0 and not broken:
            try:
                ref.overhead = float(np.median([ref.empty_block() for _ in range(7)]))
            except (WorkerDied, RuntimeError) as exc:
                broken = f"not timed: the reference's worker: {exc}"
        for g in members:
            if broken and id(g) not in stopped:
                stopped[id(g)] = broken
        for size in sorted(task.speed_sizes, key=lambda s: SIZE_ORDER.index(s) if s in SIZE_ORDER else 9):
            if opts.sizes and size not in opts.sizes:
                continue
            kwargs = task.speed_inputs(rng, size)
            timed = [g for g in ready if id(g) not in stopped]
            for g in members:
                if id(g) in stopped:
                    g.results.append(SizeResult(task.name, size, note=stopped[id(g)]))
            if not timed:
                continue
            for w in (g.worker for g in timed):
                w.overhead = ref.overhead
            try:
                hopeless = [bool(g.results) and g.results[-1].task == task.name and g.results[-1].rounds > 0
                            and g.results[-1].ratio >= opts.zero for g in timed]  # the size before: no points
                results = _measure_size(ref, [g.worker for g in timed], task, size, kwargs, opts, seed, hopeless)
            except (WorkerDied, LoadFailed, RuntimeError, Voided) as exc:  # the reference's side failed
                why = "its timed outputs did not hold up" if isinstance(exc, Voided) else str(exc)
                results = [SizeResult(task.name, size, note=f"not timed: the reference's worker: {why}")
                           for _ in timed]
            for g, res in zip(timed, results, strict=True):
                g.results.append(res)
                if res.note.startswith("slower than"):
                    stopped[id(g)] = res.note
                elif VOIDED in res.note:
                    stopped[id(g)] = f"not timed: another size's timed outputs did not hold up ({VOIDED})"
    finally:
        ends = [None, *ready]
        SYSTEM_RANDOM.shuffle(ends)
        for g in ends:
            side = ref if g is None else g.worker
            side.hold(False)
            side.session.end_task()


def _geomean(values: list[float]) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[v > 0]  # (NaN is not)
    return float(np.exp(np.log(v).mean())) if len(v) else math.nan


def _add_columns(table: pd.DataFrame, tasks: list[Task], per_size: pd.DataFrame, skipped: dict[str, str],
                 opts: SpeedOptions) -> pd.DataFrame:
    out = table.copy()
    points = {t.name: t.points for t in tasks}
    cols: dict[str, list[Any]] = {k: [] for k in ("speed_size", "speed_ratio", "speed_ci_low", "speed_ci_high",
                                                  "speed_mark", "speed_points", "speed_max_points", "speed_note")}
    by_task: dict[str, list[dict[str, Any]]] = {}  # (records, not frames: 0.2 s a plugin less, 20 s a batch)
    for row in per_size.to_dict("records"):
        by_task.setdefault(row["task"], []).append(row)
    for name in out["task"]:
        rows = by_task.get(name, [])
        timed = [r for r in rows if r["rounds"] > 0]
        lo, hi = (_geomean([r["ci_low"] for r in timed]), _geomean([r["ci_high"] for r in timed])) if timed else (
            math.nan, math.nan)
        notes = [f"{r['size']}: {r['note']}" for r in rows if r["note"]]
        max_pts = opts.share * points.get(name, 0.0)
        cols["speed_size"].append(",".join(r["size"] for r in timed))
        cols["speed_ratio"].append(_geomean([r["ratio"] for r in timed]) if timed else math.nan)
        cols["speed_ci_low"].append(lo)
        cols["speed_ci_high"].append(hi)
        cols["speed_mark"].append(near_one(lo, hi, opts.resolution) if timed else "")
        voided = any(VOIDED in r["note"] for r in rows)
        cols["speed_points"].append(max_pts * float(np.mean([r["fraction"] for r in rows])) if rows and not voided
                                    else 0.0)
        cols["speed_max_points"].append(max_pts)
        cols["speed_note"].append(skipped.get(name, "; ".join(notes)))
    for k, v in cols.items():
        out[k] = v
    return out


def _stats(times: tuple[float, ...], iterations: int) -> dict[str, Any]:
    stats = Stats()
    for t in times:
        stats.update(t)
    d = stats.as_dict()
    d["iterations"] = iterations
    return d


@functools.cache
def _machine_and_commit() -> tuple[dict[str, Any], dict[str, Any]]:
    """pytest-benchmark's machine info and the harness's commit: once a process (a subprocess each, 0.19 s
    a plugin, 19 s in a batch of 100 when asked for every plugin)."""
    from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info
    from pytest_benchmark.utils import get_commit_info

    try:
        commit = get_commit_info()
    except Exception:  # not a git checkout
        commit = {"id": "unversioned", "dirty": False, "project": "harness"}
    return pytest_benchmark_generate_machine_info(), commit


def _benchmark_json(spec: PluginSpec, results: list[SizeResult]) -> dict[str, Any]:
    """The measurements in pytest-benchmark's JSON schema (``pytest-benchmark compare`` reads it)."""
    import pytest_benchmark

    benches = []
    for r in results:
        if not r.rounds:
            continue
        for who, times, n, first in (("plugin", r.plugin_rounds, r.plugin_iterations, r.plugin_first_call_s),
                                     ("reference", r.reference_rounds, r.reference_iterations,
                                      r.reference_first_call_s)):
            label = "reference" if who == "reference" else (
                "graded-reference" if spec.label == "reference" else spec.label)
            benches.append({
                "group": r.task, "name": f"{r.task}[{r.size}-{label}]",
                "fullname": f"harness::{r.task}[{r.size}-{label}]",
                "params": {"size": r.size, "plugin": label}, "param": f"{r.size}-{label}",
                "extra_info": {"ratio": r.ratio, "ci_low": r.ci_low, "ci_high": r.ci_high, "mark": r.mark,
                               "first_call_s": first, "role": who},
                "options": {"disable_gc": True, "timer": "perf_counter", "min_rounds": r.rounds,
                            "max_time": None, "min_time": None, "warmup": True},
                "stats": _stats(times, n),
            })
    machine, commit = _machine_and_commit()
    return {"machine_info": copy.deepcopy(machine), "commit_info": dict(commit),
            "benchmarks": benches, "datetime": dt.datetime.now(dt.UTC).isoformat(),
            "version": pytest_benchmark.__version__}
