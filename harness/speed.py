"""Speed: the plugin's time over the reference's, measured side by side.

The method is README "Speed": both sides in their own sandboxed workers, the
CPU time of each worker's cgroup read here around each timed block, the
plugin frozen while the reference's block runs; every call of a block on an
input it has not seen in it; every output committed by a fingerprint
(:mod:`harness.fingerprint`) and outputs picked at random after the block
checked against their fingerprints and the reference's; CPU time spent
outside the blocks charged; median of per-round ratios with a bootstrap
interval; speed points only for tasks whose correctness passed, on the
curve ``share * points * clip(1 - log(ratio/par) / log(zero/par), 0, 1)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pytest_benchmark.stats import Stats
from pytest_benchmark.timers import compute_timer_precision, default_timer

from harness import codec
from harness.codec import as_float64
from harness.compare import compare
from harness.fingerprint import matches as fingerprint_matches
from harness.loader import PluginSpec, resolve, trusted_writable
from harness.model import PASS, Task
from harness.runner import LoadFailed, PluginSession, WorkerDied
from harness.sandbox import Limits

SIZE_ORDER = ("tiny", "small", "medium", "large")
_SYSTEM_RANDOM = random.SystemRandom()  # block seeds and checked calls: not predictable from the run's seed


@dataclass(frozen=True)
class SpeedOptions:
    rounds: int = 7
    target_block_s: float = 0.005
    call_budget_s: float = 1.0
    size_budget_s: float = 2.0
    par: float = 1.25
    zero: float = 100.0
    share: float = 0.25
    sizes: tuple[str, ...] | None = None
    resolution: float = 0.05


def near_one(ci_low: float, ci_high: float, resolution: float) -> str:
    """"~" when the interval reaches [1/(1+resolution), 1+resolution]: not told apart from 1."""
    return "~" if ci_low <= 1.0 + resolution and ci_high >= 1.0 / (1.0 + resolution) else ""


def speed_fraction(ratio: float, par: float, zero: float) -> float:
    """The share of a task's speed points earned at ``ratio`` (plugin/reference)."""
    if not math.isfinite(ratio):
        return 0.0
    if ratio <= par:
        return 1.0
    return float(np.clip(1.0 - math.log(ratio / par) / math.log(zero / par), 0.0, 1.0))


def bootstrap_median_ci(values: np.ndarray, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    draws = rng.choice(values, size=(n, len(values)), replace=True)
    meds = np.median(draws, axis=1)
    return float(np.quantile(meds, 0.025)), float(np.quantile(meds, 0.975))


class Voided(Exception):
    """A timed block whose outputs do not hold up: the task earns no speed points."""


VOIDED = "speed voided for the task"
KEEP_BYTES = 64 * 1024 * 1024  # outputs a worker keeps of one block (for the reveal), at most
MAX_CALLS = 20_000  # calls in one block, at most (their fingerprints cross as one JSON line)
SAMPLES = 2  # outputs of each timed block checked, drawn after the block (1 when outputs are over 1 MiB)


class TimedWorker:
    """A worker whose bench requests are timed on this side, by its cgroup's CPU time when there is one."""

    def __init__(self, session: PluginSession, limits: Limits) -> None:
        self.session = session
        self.limits = limits
        self.overhead = 0.0

    def clock(self) -> float:
        """CPU seconds of the worker's processes and threads (wall seconds without a cpuacct cgroup)."""
        worker = self.session.start()
        used = worker.cgroups.cpu_seconds()
        return default_timer() if used is None else used

    def frozen(self, on: bool) -> None:
        worker = self.session.worker
        if worker is not None:
            worker.cgroups.freeze(on)

    def stage(self, hook: str, kwargs: dict[str, Any]) -> None:
        self.session.start().request("stage", kwargs, self.limits.case_seconds, hook=hook)

    def timed_block(self, number: int, timeout: float, seed: int = 0) -> tuple[float, np.ndarray]:
        """The time of one block of ``number`` calls, and the calls' fingerprints."""
        worker = self.session.start()
        t0 = self.clock()
        answer = worker.exchange({"op": "bench", "number": number, "seed": seed}, timeout)
        elapsed = self.clock() - t0
        if answer.get("status") != "ok":
            raise RuntimeError(f"{answer.get('type', 'error')}: {answer.get('message', '')}")
        try:
            prints = np.frombuffer(bytes.fromhex(answer.get("fingerprints", "")), dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            prints = np.empty((0, 2))
        if number and len(prints) != number:
            raise Voided(f"a timed block answered {len(prints)} results for {number} calls: {VOIDED}")
        return elapsed, prints

    def block(self, number: int, timeout: float) -> float:
        return self.timed_block(number, timeout)[0]

    def calibrate_overhead(self) -> None:
        self.overhead = float(np.median([self.block(0, 5.0) for _ in range(7)]))

    def per_call(self, number: int, timeout: float) -> float:
        return max(self.block(number, timeout) - self.overhead, 0.0) / number

    def reveal(self, indices: list[int]) -> list[Any]:
        worker = self.session.start()
        answer = worker.exchange({"op": "reveal", "indices": indices}, self.limits.case_seconds)
        try:
            outputs = codec.read(worker.scratch / "out" / f"out-{answer['id']}.npz",
                                 self.limits.output_mb * 1024 * 1024)
        except (codec.Malformed, codec.TooLarge):
            outputs = None
        if answer.get("status") != "ok" or not isinstance(outputs, list) or len(outputs) != len(indices):
            raise Voided(f"the outputs of timed calls could not be read back: {VOIDED}")
        return outputs

    def output(self, hook: str, kwargs: dict[str, Any]) -> Any:
        answer, outputs = self.session.start().request("call", [(hook, kwargs)], self.limits.case_seconds)
        if not isinstance(outputs, list) or answer.get("results", [{}])[0].get("status") != "ok":
            return None
        return as_float64(outputs[0])

    def calibrate(self, target: float, most: int = MAX_CALLS, estimate: float = 0.0) -> tuple[int, float]:
        """Calls per block so a block lasts at least ``target`` seconds (at most ``most``), and that block's time.

        Starts from the calls a one-call ``estimate`` suggests, at most 100
        (one call is the noisiest), and grows at most tenfold a step, as
        pytest-benchmark calibrates its rounds: a noisy estimate can never
        ask for a huge block.
        """
        number = int(min(most, 100, max(1, target / estimate))) if estimate > 0 else 1
        for _ in range(10):
            timeout = max(20 * target, 5.0)
            t = self.per_call(number, timeout) * number
            if t >= target or number >= most:
                break
            grow = target * 1.5 / t if t > 0 else 10.0  # noise can make a tiny block look free
            number = min(most, max(number + 1, math.ceil(number * min(grow, 10.0))))
        return number, t


def _nbytes(value: Any) -> int:
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value)
    return int(getattr(value, "nbytes", 8))


def check_block(ref: TimedWorker, plug: TimedWorker, prints: np.ndarray, calls: int, task: Task,
                samples: int = SAMPLES) -> None:
    """Check ``samples`` outputs of the last blocks, drawn now: against their fingerprints and the reference."""
    picks = sorted(_SYSTEM_RANDOM.sample(range(calls), min(samples, calls)))
    got, expected = plug.reveal(picks), ref.reveal(picks)
    for i, g, e in zip(picks, got, expected, strict=True):
        g, e = as_float64(g), as_float64(e)
        if not fingerprint_matches(prints[i], g):
            raise Voided(f"timed call {i + 1} of {calls}: its output is not the one the block answered "
                         f"(computed after the block?): {VOIDED}")
        if compare(g, e, rtol=max(task.rtol, 1e-6), atol=max(task.atol, 1e-8)).outcome != PASS:
            raise Voided(f"timed call {i + 1} of {calls}: wrong or stale output (it differs from the "
                         f"reference's for that call's input): {VOIDED}")


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


def _measure_size(ref: TimedWorker, plug: TimedWorker, task: Task, size: str, kwargs: dict[str, Any],
                  opts: SpeedOptions, target: float, seed: int) -> SizeResult:
    res = SizeResult(task.name, size)
    for side in (ref, plug):
        side.stage(task.hook, kwargs)
    res.reference_first_call_s = ref.per_call(1, ref.limits.case_seconds)
    res.plugin_first_call_s = plug.per_call(1, plug.limits.case_seconds)
    try:
        plug_one = plug.per_call(1, opts.call_budget_s + plug.overhead)
    except WorkerDied:
        ref_call = ref.per_call(1, ref.limits.case_seconds)
        res.note = f"slower than {opts.call_budget_s / max(ref_call, 1e-9):.0f}x (stopped at {opts.call_budget_s:g} s)"
        return res
    expected = ref.output(task.hook, kwargs)  # its size bounds the outputs a block keeps
    out_bytes = _nbytes(expected)
    most = int(min(MAX_CALLS, max(1, KEEP_BYTES // max(out_bytes, 1))))
    samples = SAMPLES if out_bytes <= 1024 * 1024 else 1
    n_ref, ref_block = ref.calibrate(target, most, ref.per_call(1, ref.limits.case_seconds))
    n_cal, plug_cal = plug.calibrate(target, most, plug_one)
    plug_call = plug_cal / n_cal
    # Both sides make the same number of calls a block, unless the plugin's
    # blocks would then outlast its share of the time budget.
    block_budget = opts.size_budget_s / (2 * opts.rounds)
    n_plug = n_ref if plug_call * n_ref <= block_budget else max(1, int(block_budget / max(plug_call, 1e-12)))
    res.reference_iterations, res.plugin_iterations = n_ref, n_plug
    per_round = 1.5 * (ref_block + plug_call * n_plug) + ref.overhead + plug.overhead
    rounds = int(min(opts.rounds, max(4, opts.size_budget_s // max(per_round, 1e-9))))
    timeout = max(40 * per_round, 10.0)
    r_times, p_times = [], []
    start = (ref.clock(), plug.clock())
    try:
        for i in range(rounds):
            block_seed = _SYSTEM_RANDOM.getrandbits(63)  # the same new inputs on both sides, unknown before
            order = [(ref, n_ref, r_times), (plug, n_plug, p_times)]
            for side, n, times in order if i % 2 == 0 else order[::-1]:
                if side is ref:
                    plug.frozen(True)  # the plugin can neither slow the reference nor work in its time
                try:
                    elapsed, prints = side.timed_block(n, timeout, block_seed)
                finally:
                    plug.frozen(False)
                times.append(elapsed)
                if side is plug:
                    plug_prints = prints
            check_block(ref, plug, plug_prints, n_plug, task, samples)
    except Voided as exc:
        res.note = str(exc)
        return res
    # Work the plugin did outside its blocks (a background thread between
    # blocks) beyond what the reference did there is charged to its blocks.
    outside = [(side.clock() - t0) - sum(times) for side, t0, times in zip((ref, plug), start, (r_times, p_times),
                                                                        strict=True)]
    extra = max(outside[1] - outside[0], 0.0) / rounds
    r = np.maximum(np.array(r_times) - ref.overhead, 0.0) / n_ref
    p = np.maximum(np.array(p_times) + extra - plug.overhead, 0.0) / n_plug
    ratios = p / np.maximum(r, 1e-12)
    res.rounds = rounds
    res.plugin_s, res.reference_s = float(np.median(p)), float(np.median(r))
    res.ratio = float(np.median(ratios))
    res.ci_low, res.ci_high = bootstrap_median_ci(ratios, seed)
    res.mark = near_one(res.ci_low, res.ci_high, opts.resolution)
    res.plugin_rounds, res.reference_rounds = tuple(p), tuple(r)
    res.fraction = speed_fraction(res.ratio, opts.par, opts.zero)
    return res


def _task_passed(table: pd.DataFrame, name: str) -> bool:
    row = table.loc[table["task"] == name]
    return bool(len(row)) and int(row["passed"].iloc[0]) == int(row["cases"].iloc[0]) > 0


def measure_speed(spec: PluginSpec, tasks: list[Task], table: pd.DataFrame, *, seed: int, limits: Limits,
                  writable: list[Path] = (), options: SpeedOptions | None = None,
                  progress: Any = None) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Time every passed task at every size; add the speed columns to ``table``.

    Returns the tasks table with speed columns, the pytest-benchmark JSON
    document and the per-size table (``speed.csv``).
    """
    opts = options or SpeedOptions()
    # Both workers on one core, never at the same time: the same caches, the same clock speed.
    limits = dataclasses.replace(limits, cpu=max(os.sched_getaffinity(0)), timed=True)
    ref_spec = resolve("reference")
    ref = TimedWorker(PluginSession(ref_spec, limits, trusted_writable(ref_spec)), limits)
    plug = TimedWorker(PluginSession(spec, limits, list(writable)), limits)
    target = max(opts.target_block_s, 1000 * compute_timer_precision(default_timer))
    rng = np.random.default_rng(seed + 7919)
    results: list[SizeResult] = []
    skipped: dict[str, str] = {}
    started = False
    try:
        for task in tasks:
            if not task.speed_sizes or task.speed_inputs is None:
                continue
            if not _task_passed(table, task.name):
                skipped[task.name] = "correctness not passed: not timed"
                continue
            stopped = ""
            for size in sorted(task.speed_sizes, key=lambda s: SIZE_ORDER.index(s) if s in SIZE_ORDER else 9):
                if opts.sizes and size not in opts.sizes:
                    continue
                kwargs = task.speed_inputs(rng, size)
                if stopped:
                    results.append(SizeResult(task.name, size, note=stopped))
                    continue
                try:
                    if not started:  # only once a task passed: a plugin that never loads is not started
                        for side in (ref, plug):
                            side.session.start()
                            side.calibrate_overhead()
                        started = True
                    res = _measure_size(ref, plug, task, size, kwargs, opts, target, seed)
                except Voided as exc:
                    res = SizeResult(task.name, size, note=str(exc))
                except (WorkerDied, LoadFailed, RuntimeError) as exc:
                    res = SizeResult(task.name, size, note=f"not timed: {exc}")
                if res.note.startswith("slower than"):
                    stopped = res.note
                elif VOIDED in res.note:
                    stopped = f"not timed: another size's timed outputs did not hold up ({VOIDED})"
                results.append(res)
            if progress is not None:
                progress(task)
    finally:
        ref.session.close()
        plug.session.close()
    per_size = pd.DataFrame([{k: v for k, v in asdict(r).items() if not k.endswith("_rounds")}
                             for r in results])
    return _add_columns(table, tasks, per_size, skipped, opts), _benchmark_json(spec, results), per_size


def _geomean(values: pd.Series) -> float:
    v = values.dropna()
    v = v[v > 0]
    return float(np.exp(np.log(v).mean())) if len(v) else math.nan


def _add_columns(table: pd.DataFrame, tasks: list[Task], per_size: pd.DataFrame, skipped: dict[str, str],
                 opts: SpeedOptions) -> pd.DataFrame:
    out = table.copy()
    points = {t.name: t.points for t in tasks}
    cols: dict[str, list[Any]] = {k: [] for k in ("speed_size", "speed_ratio", "speed_ci_low", "speed_ci_high",
                                                  "speed_mark", "speed_points", "speed_max_points", "speed_note")}
    for name in out["task"]:
        rows = per_size[per_size["task"] == name] if len(per_size) else per_size
        timed = rows[rows["rounds"] > 0] if len(rows) else rows
        lo, hi = (_geomean(timed["ci_low"]), _geomean(timed["ci_high"])) if len(timed) else (math.nan, math.nan)
        notes = [f"{r.size}: {r.note}" for r in rows.itertuples() if r.note] if len(rows) else []
        max_pts = opts.share * points.get(name, 0.0)
        cols["speed_size"].append(",".join(timed["size"]) if len(timed) else "")
        cols["speed_ratio"].append(_geomean(timed["ratio"]) if len(timed) else math.nan)
        cols["speed_ci_low"].append(lo)
        cols["speed_ci_high"].append(hi)
        cols["speed_mark"].append(near_one(lo, hi, opts.resolution) if len(timed) else "")
        voided = len(rows) and rows["note"].str.contains(VOIDED, regex=False).any()
        cols["speed_points"].append(max_pts * float(rows["fraction"].mean()) if len(rows) and not voided else 0.0)
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


def _benchmark_json(spec: PluginSpec, results: list[SizeResult]) -> dict[str, Any]:
    """The measurements in pytest-benchmark's JSON schema (``pytest-benchmark compare`` reads it)."""
    import pytest_benchmark
    from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info
    from pytest_benchmark.utils import get_commit_info

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
    try:
        commit = get_commit_info()
    except Exception:  # not a git checkout
        commit = {"id": "unversioned", "dirty": False, "project": "harness"}
    return {"machine_info": pytest_benchmark_generate_machine_info(), "commit_info": commit,
            "benchmarks": benches, "datetime": dt.datetime.now(dt.UTC).isoformat(),
            "version": pytest_benchmark.__version__}
