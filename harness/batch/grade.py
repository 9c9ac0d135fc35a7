"""Grading many submissions: the engine of ``harness grade``.

Each submission is copied or extracted into a directory of its own and graded
by :func:`harness.batch.run.run_plugin` (so its plugin code runs only in its own
sandboxed worker process). Its report files go to ``OUT/submissions/<id>/``
with ``summary.json`` written last: a directory with a ``summary.json`` is a
finished submission, and a later run skips it unless ``--regrade``.

Parallelism (local executor): correctness of several submissions runs at once
in a pool of grading processes (``-j``; started by a fork server). Each grading
process runs :func:`grade_local` for one submission after another; the plugin
code itself runs in that grading's sandboxed worker, so a grading process only
sends cases and judges answers. Processes rather than threads: building cases,
judging and rendering reports is pure Python that would share one GIL, and
starting sandboxed workers (``preexec_fn``) is not thread-safe. With ``-j 1``
(or a single submission) everything runs in this process.

Speed is measured afterwards, in this process, :data:`SPEED_GROUP`
submissions at a time against one reference worker whose timed windows they
share (:func:`harness.speed.measure_speed_group`: every round times the
reference once and each submission once, in an order that rotates), so no
two timings ever overlap each other or a correctness run, and the
reference's share of the time is paid once per group. A submission is
stored as soon as it is finished: after correctness with ``--no-speed`` (by
its grading process), after its group's speed measurement otherwise (a run
killed during the speed phase grades the unfinished submissions'
correctness again when resumed). A group's reports are rendered and written
by a process of their own, on the cores the timed workers do not use, while
the next group is timed (about 2 s a submission, 3 minutes of a batch of
100 when this process wrote them between two groups); on one core, by this
process between the groups.

Dask executor: every group of :data:`DASK_GROUP` submissions is graded
entirely (correctness, then speed against that machine's own reference) by
one call of :func:`grade_remote` on a worker; the report files come back as
bytes and are written here. Speed measurements of workers on the same host
are serialised by a cluster-wide lock named after the host.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing as mp
import os
import resource
import secrets
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pandas as pd

from harness import __version__
from harness.batch.run import RunResult, add_speed_group, drop_numba_cache, run_plugin, task_meta
from harness.grading.model import ERROR, OUTCOMES, Task
from harness.grading.runner import LoadFailed
from harness.grading.score import tasks_frame
from harness.loading.plugins import PluginError, PluginSpec, resolve
from harness.loading.submissions import Submission, SubmissionError, materialize, materialize_bytes
from harness.reports.atomic import atomic_write
from harness.reports.files import CASE_COLUMNS, dump_json, render_reports
from harness.sandbox.launch import Limits

GRADED, IMPORT_ERROR, NOT_LOADED, HARNESS_ERROR = "graded", "import error", "not loaded", "harness error"
STATE_FILE = "batch.json"
SUMMARY = "summary.json"
_TEXT_ERRORS = "backslashreplace"


class BatchUsageError(Exception):
    """A problem with the command's arguments or its out directory (exit status 2)."""


@dataclass
class BatchConfig:
    out: Path
    pattern: str | None
    seed: int
    limits: Limits
    speed: bool
    jobs: int
    regrade: bool = False
    executor: str = "local"
    scheduler: str | None = None


@dataclass
class Graded:
    """One submission after correctness (and perhaps speed)."""

    sub_id: str
    source: str
    seed: int
    spec: PluginSpec | None = None
    result: RunResult | None = None
    status: str = GRADED
    error: str = ""
    extra_notes: list[str] = field(default_factory=list)
    detail: str = ""  # one line for the progress display
    peak_mib: float = 0.0  # peak memory of the process that graded it


# ------------------------------------------------------------------ the out directory


def submission_dir(out: Path, sub_id: str) -> Path:
    return out / "submissions" / sub_id


def is_done(out: Path, sub_id: str) -> bool:
    return (submission_dir(out, sub_id) / SUMMARY).is_file()


def prepare_out(out: Path, seed: int | None, pattern: str | None, regrade: bool) -> int:
    """Create ``out``; return the batch's seed, kept in ``out/batch.json`` across resumed runs.

    Every submission of one out directory is graded on the same cases: a resumed
    run reuses the stored seed, and a different ``--seed`` or ``--tasks`` is a
    usage error unless ``--regrade``.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "submissions").mkdir(exist_ok=True)
    state_path = out / STATE_FILE
    state: dict[str, Any] = {}
    if state_path.is_file():
        try:
            state = json.loads(state_path.read_text())
        except ValueError:
            state = {}
    if "seed" in state and not regrade:
        if state.get("tasks") != pattern:
            raise BatchUsageError(f"{out} was graded with --tasks {state.get('tasks') or '(all)'}; "
                                  "use the same selection, --regrade, or another --out")
        if seed is not None and seed != state["seed"]:
            raise BatchUsageError(f"{out} was graded with --seed {state['seed']}; use the same seed, "
                                  "--regrade, or another --out")
    if seed is None:
        seed = int(state["seed"]) if "seed" in state else secrets.randbelow(2**31)
    atomic_write(state_path, dump_json({"seed": seed, "tasks": pattern, "harness_version": __version__}))
    return seed


def record_stats(out: Path, graded: int, skipped: int, wall_s: float,
                 grading_peak_mib: float = 0.0) -> dict[str, float]:
    """Add this run's wall time, rate and peak memory to ``out/batch.json``.

    ``maxrss_mib`` is the main process's peak (getrusage RUSAGE_SELF);
    ``grading_maxrss_mib`` the largest peak of a grading process of the pool.
    """
    stats = {"graded": graded, "skipped": skipped, "wall_s": round(wall_s, 2),
             "per_minute": round(60.0 * graded / wall_s, 2) if wall_s > 0 else 0.0,
             "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
             "grading_maxrss_mib": round(grading_peak_mib, 1)}
    state_path = out / STATE_FILE
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        state = {}
    atomic_write(state_path, dump_json({**state, "last_run": stats}))
    return stats


def store(directory: Path, contents: dict[str, str | bytes]) -> None:
    """Write one submission's report files, ``summary.json`` last; drop stale files."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SUMMARY).unlink(missing_ok=True)
    for old in directory.iterdir():
        if old.is_file() and old.name not in contents:
            old.unlink()
    for name, data in contents.items():
        if name != SUMMARY:
            atomic_write(directory / name, data, errors=_TEXT_ERRORS)
    atomic_write(directory / SUMMARY, contents[SUMMARY], errors=_TEXT_ERRORS)


# ------------------------------------------------------------------ one submission


def import_failure(cases: pd.DataFrame) -> str:
    """The one-line reason when every case failed because the plugin did not import."""
    if not len(cases) or not (cases["outcome"] == ERROR).all():
        return ""
    messages = cases["message"].fillna("").astype(str)
    if not messages.str.startswith("import failed:").all():
        return ""
    lines = [ln.strip() for ln in messages.iloc[0].removeprefix("import failed:").splitlines()
             if ln.strip()]
    return "import failed: " + (lines[-1] if lines else "unknown reason")


def grade_correctness(sub_id: str, source: str, plugin_path: Path, tasks: list[Task], seed: int,
                      limits: Limits, speed: bool = False) -> Graded:
    """Grade the correctness of the plugin at ``plugin_path``; never raises for its faults.

    ``speed``: it is timed later (:func:`add_speed`), with the Numba kernels compiled now.
    """
    graded = Graded(sub_id, source, seed)
    try:
        graded.spec = resolve(str(plugin_path))
        result = run_plugin(graded.spec, tasks, seed=seed, limits=limits, out=None, speed=False,
                            keep_numba_cache=speed)
    except (PluginError, LoadFailed) as exc:
        graded.status, graded.error = NOT_LOADED, _one_line(str(exc))
        return graded
    except Exception as exc:  # the harness's own failure on this submission: the batch goes on
        graded.status = HARNESS_ERROR
        graded.error = f"internal error while grading: {type(exc).__name__}: {_one_line(str(exc))}"
        traceback.print_exc(file=sys.stderr)
        return graded
    result.cases["plugin"] = sub_id
    result.summary.update(plugin=sub_id, plugin_source=source)
    graded.result = result
    reason = import_failure(result.cases)
    if reason:
        graded.status, graded.error = IMPORT_ERROR, reason
        drop_numba_cache(result)
    return graded


#: Submissions timed together against one reference worker (their rounds share its windows). More
#: share it better: 16 numpy copies took 13.6 s of speed each in one group, 16.4 s in groups of 4, and
#: copies in one group are closer to each other than copies in groups of 4 (one reference measurement).
SPEED_GROUP = 16
#: Submissions a Dask worker grades in one call (correctness and speed): small, so that many workers share
#: a batch (their timings on one host are serialised anyway).
DASK_GROUP = 4


def add_speed(group: list[Graded], tasks: list[Task], limits: Limits) -> None:
    """Measure the speed of graded submissions together (as ``run_plugin(speed=True)`` does for one)."""
    timed = [g for g in group if g.result is not None and g.spec is not None and g.status == GRADED]
    if not timed:
        return
    try:  # drops their Numba folders (the others' went with their correctness run)
        add_speed_group([(g.result, g.spec) for g in timed], tasks, seed=timed[0].seed, limits=limits)
    except Exception as exc:  # noqa: BLE001 - the batch goes on; the report says why
        for g in timed:
            g.extra_notes.append(f"speed not measured: {type(exc).__name__}: {_one_line(str(exc))}")


def render(graded: Graded, tasks: list[Task]) -> dict[str, str | bytes]:
    """Every report file of one submission, by name (a failure gets the same set, empty)."""
    extra = {"submission": graded.sub_id, "batch_status": graded.status, "error": graded.error}
    if graded.result is not None:
        r = graded.result
        summary = {**r.summary, **extra,
                   "notes": [*r.summary.get("notes", []), *graded.extra_notes]}
        contents = render_reports(r.cases, r.tasks, summary, r.benchmark, plots=r.plots,
                                  speed_sizes=r.speed_sizes)
        if r.speed_sizes is not None:
            contents["speed.csv"] = r.speed_sizes.to_csv(index=False)
        return contents
    cases = pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})
    table = tasks_frame(cases, task_meta(tasks))
    max_points = float(table["max_points"].sum())
    summary = {
        "plugin": graded.sub_id, "plugin_source": graded.source, "seed": graded.seed,
        "harness_version": __version__,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "duration_s": 0.0,
        "points": 0.0, "max_points": max_points, "percent": 0.0,
        "counts": dict.fromkeys(OUTCOMES, 0), "cases": 0, "exit_status": 1,
        "notes": [f"not graded: {graded.error}"], "speed": False, "speed_points": 0.0,
        "speed_max_points": 0.0, "hooks_implemented": [], **extra,
    }
    return render_reports(cases, table, summary, None)


def failed(sub: Submission, seed: int, status: str, reason: str) -> Graded:
    return Graded(sub.id, _source(sub), seed, status=status, error=_one_line(reason))


def _source(sub: Submission) -> str:
    return f"{sub.kind}: {sub.path}"


def _one_line(text: str, width: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


# ------------------------------------------------------------------ progress


class Progress:
    """Counts and ETA on stderr: a bar on a terminal, one line per item otherwise."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self.t0 = time.monotonic()
        self.bar = None
        if total and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True,
                                         show_pos=True, item_show_func=lambda s: s or "")
            self.bar.__enter__()

    def advance(self, name: str, detail: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1, name)
            return
        elapsed = time.monotonic() - self.t0
        eta = elapsed / self.done * (self.total - self.done)
        click.echo(f"[{self.done}/{self.total}] {self.label} {name}: {detail} "
                   f"(elapsed {_clock(elapsed)}, eta {_clock(eta)})", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def _detail(graded: Graded) -> str:
    if graded.result is None or graded.status != GRADED:
        return f"{graded.status}: {graded.error}"
    s = graded.result.summary
    text = f"{s['points']:.4g}/{s['max_points']:.4g} points"
    if s.get("speed"):
        text += f", speed {s['speed_points']:.3g}/{s['speed_max_points']:.3g}"
    return text


# ------------------------------------------------------------------ executors


def run_batch(subs: list[Submission], cfg: BatchConfig, tasks: list[Task]) -> tuple[int, int, float]:
    """Grade the submissions of ``subs`` not done yet.

    Returns (graded now, skipped, peak memory of a grading process in MiB; 0 with Dask).
    """
    todo = [s for s in subs if cfg.regrade or not is_done(cfg.out, s.id)]
    peak = 0.0
    if todo:
        if cfg.executor == "dask":
            _run_dask(todo, cfg, tasks)
        else:
            peak = _run_local(todo, cfg, tasks)
    return len(todo), len(subs) - len(todo), peak


def store_reports(out: Path, graded: Graded, tasks: list[Task]) -> None:
    """A graded submission's report files, rendered and stored in its folder of ``out``."""
    store(submission_dir(out, graded.sub_id), render(graded, tasks))


def _run_local(todo: list[Submission], cfg: BatchConfig, tasks: list[Task]) -> float:
    with tempfile.TemporaryDirectory(prefix="harness-batch-") as tmp:
        job = functools.partial(grade_local, pattern=cfg.pattern, seed=cfg.seed, limits=cfg.limits,
                                out=cfg.out, tmp=Path(tmp), speed=cfg.speed)

        def on_error(sub: Submission, message: str) -> Graded:
            graded = failed(sub, cfg.seed, HARNESS_ERROR, f"grading process failed: {message}")
            store_reports(cfg.out, graded, tasks)
            graded.detail = _detail(graded)
            return graded

        pending = _parallel(todo, job, cfg.jobs,
                            Progress(len(todo), "correctness" if cfg.speed else "grading"), on_error)
        peak = max(g.peak_mib for g in pending)
        pending = [g for g in pending if g.result is not None]
        progress = Progress(len(pending), "speed")
        writer = _report_writer() if pending else None
        written: list[tuple[Graded, Future[None] | None]] = []
        try:
            for group in _groups(pending):  # one group after another: timings never overlap
                add_speed(group, tasks, cfg.limits)
                _written(written, progress)  # the group before's, written while this one was timed
                written = [(g, writer.submit(_store_reports_of, cfg.out, cfg.pattern, g) if writer else
                            store_reports(cfg.out, g, tasks)) for g in group]
                if writer is None:
                    _written(written, progress)
                    written = []
            _written(written, progress)
        finally:
            if writer is not None:
                writer.shutdown(wait=True)  # what was handed to it is written (a killed run: a group at most)
            progress.close()
    return peak


def _store_reports_of(out: Path, pattern: str | None, graded: Graded) -> None:
    """:func:`store_reports` in the report writer's process (tasks hold functions: their pattern is sent)."""
    store_reports(out, graded, _tasks_for(pattern))


def _report_writer() -> ProcessPoolExecutor | None:
    """A process that writes a group's reports while the next group is timed; None on one core."""
    from harness.speed.measure import timed_core

    if len(os.sched_getaffinity(0)) < 2:
        return None
    return _pool(1, initializer=_off_core, initargs=(timed_core(),))


def _off_core(core: int) -> None:
    """A report writer keeps off the timed workers' core (rendering is harness code, but CPU and memory)."""
    os.sched_setaffinity(0, os.sched_getaffinity(0) - {core})


def _written(written: list[tuple[Graded, Future[None] | None]], progress: Progress) -> None:
    """Wait for these submissions' reports (a failure raises here), then report them done."""
    for graded, fut in written:
        if fut is not None:
            fut.result()
        detail, graded.result = _detail(graded), None  # stored: keep memory flat
        progress.advance(graded.sub_id, detail)


def _groups(items: list[Any], size: int = SPEED_GROUP) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@functools.lru_cache(maxsize=4)
def _tasks_for(pattern: str | None) -> list[Task]:
    from harness.course import select_tasks

    return select_tasks(pattern)


def grade_local(sub: Submission, *, pattern: str | None, seed: int, limits: Limits, out: Path,
                tmp: Path, speed: bool) -> Graded:
    """Correctness of one submission, in a grading process of the pool.

    Stores the reports at once unless speed is still to be measured (then the
    result goes back to the main process, which times submissions one by one).
    """
    tasks = _tasks_for(pattern)
    try:
        path = materialize(sub, tmp / sub.id)
    except SubmissionError as exc:
        graded = failed(sub, seed, NOT_LOADED, str(exc))
    except OSError as exc:
        graded = failed(sub, seed, NOT_LOADED, f"cannot read the submission: {exc}")
    else:
        graded = grade_correctness(sub.id, _source(sub), path, tasks, seed, limits, speed)
    graded.detail = _detail(graded)
    graded.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not speed or graded.status != GRADED:
        store_reports(out, graded, tasks)
        graded.result = None  # stored: nothing to send back
    return graded


def _pool(jobs: int, **options: Any) -> ProcessPoolExecutor:
    """Grading processes started by a fork server (spawn where there is none); ``options``: the executor's."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["harness.batch.grade", "tasks"])
    # No max_tasks_per_child: on Python 3.11 the pool hangs once its processes have retired.
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, **options)


def _parallel(todo: list[Submission], fn: Callable[[Submission], Graded], jobs: int,
              progress: Progress, on_error: Callable[[Submission, str], Graded]) -> list[Graded]:
    """``fn`` over ``todo`` in ``jobs`` grading processes (inline for one job or submission)."""
    out: list[Graded] = []
    if jobs == 1 or len(todo) == 1:
        try:
            for sub in todo:
                graded = fn(sub)
                out.append(graded)
                progress.advance(graded.sub_id, graded.detail)
        finally:
            progress.close()
        return out
    pool = _pool(min(jobs, len(todo)))
    futures: dict[Future[Graded], Submission] = {pool.submit(fn, s): s for s in todo}
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                try:
                    graded = fut.result()
                except BrokenProcessPool:
                    raise  # a grading process was killed: the run stops, a rerun resumes
                except Exception as exc:  # noqa: BLE001 - e.g. a result that did not pickle
                    graded = on_error(futures[fut], f"{type(exc).__name__}: {exc}")
                out.append(graded)
                progress.advance(graded.sub_id, graded.detail)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        progress.close()
    pool.shutdown(wait=True)
    return sorted(out, key=lambda g: g.sub_id)


@contextmanager
def _speed_lock() -> Iterator[None]:
    """On a Dask worker: a cluster-wide lock per host, so timings on one host never overlap."""
    try:
        from distributed import Lock, get_worker

        get_worker()
    except (ImportError, ValueError):
        yield
        return
    with Lock(f"harness-speed-{socket.gethostname()}"):
        yield


def grade_remote(subs: list[tuple[str, str, str, bytes]], pattern: str | None, seed: int, limits: Limits,
                 speed: bool) -> dict[str, dict[str, bytes]]:
    """Grade a group of submissions, each ``(id, source, file name, bytes)``, entirely here.

    Runs on a Dask worker: it selects the tasks itself, grades each one's
    correctness and then their speed together against this machine's
    reference. Returns each submission's report files as bytes, by id.
    """
    from harness.course import select_tasks

    tasks = select_tasks(pattern)
    with tempfile.TemporaryDirectory(prefix="harness-remote-") as tmp:
        group = []
        for sub_id, source, name, data in subs:
            try:
                path = materialize_bytes(name, data, Path(tmp) / sub_id, sub_id)
            except SubmissionError as exc:
                group.append(Graded(sub_id, source, seed, status=NOT_LOADED, error=_one_line(str(exc))))
            else:
                group.append(grade_correctness(sub_id, source, path, tasks, seed, limits, speed))
        if speed:
            with _speed_lock():
                add_speed(group, tasks, limits)
        return {g.sub_id: {k: v.encode("utf-8", _TEXT_ERRORS) if isinstance(v, str) else v
                           for k, v in render(g, tasks).items()} for g in group}


def _run_dask(todo: list[Submission], cfg: BatchConfig, tasks: list[Task]) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise BatchUsageError("--executor dask needs the 'distributed' package "
                              "(pip install 'nn-lecture1-harness[dask]')") from None
    try:
        client = Client(cfg.scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchUsageError(f"cannot reach the Dask scheduler {cfg.scheduler}: {exc}") from None
    progress = Progress(len(todo), "grading (dask)")
    try:
        futures = {}
        ready: list[tuple[Submission, str, bytes]] = []
        for sub in todo:
            try:
                name, data = sub.payload()
            except (SubmissionError, OSError) as exc:
                graded = failed(sub, cfg.seed, NOT_LOADED, str(exc))
                store_reports(cfg.out, graded, tasks)
                progress.advance(sub.id, _detail(graded))
                continue
            ready.append((sub, name, data))
        for group in _groups(ready, DASK_GROUP):
            payload = [(sub.id, _source(sub), name, data) for sub, name, data in group]
            fut = client.submit(grade_remote, payload, cfg.pattern, cfg.seed, cfg.limits, cfg.speed,
                                key=f"harness-grade-{group[0][0].id}-{secrets.token_hex(4)}", pure=False)
            futures[fut] = [sub for sub, _, _ in group]
        for fut in as_completed(futures):
            try:
                results, lost = dict(fut.result()), ""
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its group only
                results, lost = {}, f"remote grading failed: {type(exc).__name__}: {_one_line(str(exc))}"
            for sub in futures[fut]:
                why = lost
                try:
                    contents: dict[str, str | bytes] = dict(results[sub.id]) if not lost else {}
                    summary = json.loads(contents[SUMMARY]) if contents else None
                except Exception as exc:  # noqa: BLE001 - an unreadable result fails its submission only
                    summary, why = None, f"remote grading failed: {type(exc).__name__}: {exc}"
                if summary is None:
                    graded = failed(sub, cfg.seed, HARNESS_ERROR, why or "remote grading returned nothing")
                    contents, detail = render(graded, tasks), _detail(graded)
                else:
                    detail = (f"{summary['points']:.4g}/{summary['max_points']:.4g} points"
                              if summary.get("batch_status") == GRADED
                              else f"{summary.get('batch_status')}: {summary.get('error')}")
                store(submission_dir(cfg.out, sub.id), contents)
                progress.advance(sub.id, detail)
    finally:
        progress.close()
        client.close()
