"""One plugin's whole run: grade, measure speed, build the tables, write the reports.

Used by ``harness run`` and, once per submission, by ``harness grade``.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from harness import __version__
from harness.grading.model import PASS, Task
from harness.grading.runner import Grading, grade
from harness.grading.score import summarize_counts, tasks_frame
from harness.loading.plugins import PluginSpec, trusted_writable
from harness.sandbox.launch import Limits
from harness.sandbox.tempdirs import make_tempdir

if TYPE_CHECKING:
    from harness.speed.measure import Rig


@dataclass
class RunResult:
    cases: pd.DataFrame
    tasks: pd.DataFrame
    summary: dict[str, Any]
    benchmark: dict[str, Any] | None
    speed_sizes: pd.DataFrame | None = None
    plots: list[dict[str, Any]] | None = None  # public cases' outputs for the charts (harness.reports.plots)
    numba_cache: Path | None = None  # the plugin's compiled Numba kernels, until its speed is measured

    @property
    def exit_status(self) -> int:
        return int(self.summary["exit_status"])


def cases_frame(grading: Grading) -> pd.DataFrame:
    per_task: dict[str, int] = {}
    for r in grading.results:
        per_task[r.task.name] = per_task.get(r.task.name, 0) + 1
    rows = []
    for r in grading.results:
        share = r.task.points / per_task[r.task.name]
        rows.append({
            "plugin": grading.spec.label, "task": r.task.name, "group": r.task.group,
            "case_id": r.case.id, "kind": r.case.kind, "hidden": r.case.hidden,
            "outcome": r.verdict.outcome, "message": r.verdict.message, "mistake": r.verdict.mistake,
            "note": r.case.note, "slide": r.case.slide or r.task.slide,
            "points": share if r.verdict.outcome == PASS else 0.0, "max_points": share,
            "duration_s": round(r.duration_s, 4),
        })
    return pd.DataFrame(rows)


def task_meta(tasks: list[Task]) -> pd.DataFrame:
    return pd.DataFrame([{"task": t.name, "group": t.group, "slide": t.slide, "max_points": t.points}
                         for t in tasks])


def _kit_notes() -> list[str]:
    from harness.grading import kit

    return [kit.NOTICE + " (the property checks are feedback)"] if kit.IS_KIT else []


def numba_cache_for(spec: PluginSpec) -> Path | None:
    """A new folder for a plugin's compiled Numba kernels (None for the trusted reference, which has its own).

    Its correctness worker compiles into it, its speed worker loads from it:
    a kernel compiled inside a timed task would leave that task's memory
    unlike the reference's (about 5% slower at the medium size), and costs
    time. Only that plugin's workers see it.
    """
    return None if trusted_writable(spec) else make_tempdir("numba")


def drop_numba_cache(result: RunResult) -> None:
    if result.numba_cache is not None:
        shutil.rmtree(result.numba_cache, ignore_errors=True)
        result.numba_cache = None


def run_plugin(
    spec: PluginSpec,
    tasks: list[Task],
    *,
    seed: int,
    limits: Limits,
    out: Path | None,
    speed: bool,
    progress: Callable[[Task], None] | None = None,
    speed_options: Any = None,
    keep_numba_cache: bool = False,
) -> RunResult:
    """Grade (and time) one plugin; write its reports to ``out`` when given.

    ``keep_numba_cache``: the speed is measured later (``harness grade``), by
    :func:`add_speed_group`, which drops the plugin's Numba cache then.
    """
    result = RunResult(pd.DataFrame(), pd.DataFrame(), {}, None, numba_cache=numba_cache_for(spec))
    kept, rig = False, None
    try:
        if speed:  # the speed workers import their plugins while the correctness run goes on
            from harness.speed.measure import make_rig

            rig = make_rig([spec], limits, [trusted_writable(spec)], [result.numba_cache], speed_options)
            rig.spawn()  # (closed below, whatever happens from here on)
        _run_plugin(result, spec, tasks, seed=seed, limits=limits, out=out, rig=rig, progress=progress,
                    speed_options=speed_options)
        kept = keep_numba_cache and not speed  # add_speed_group drops it once timed
        return result
    finally:
        if rig is not None:
            rig.close()  # (closed already once timed)
        if not kept:  # timed, not to be timed, or failed: nobody will load it
            drop_numba_cache(result)


def _run_plugin(result: RunResult, spec: PluginSpec, tasks: list[Task], *, seed: int, limits: Limits,
                out: Path | None, rig: Rig | None, progress: Callable[[Task], None] | None,
                speed_options: Any) -> None:
    """:func:`run_plugin`'s work, filling ``result``; timed with ``rig`` (its workers) when given."""
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    grading = grade(spec, tasks, seed, limits, trusted_writable(spec), progress, result.numba_cache)
    cases = cases_frame(grading)
    if spec.kind == "notebook":
        from harness.loading.notebook import locate_failures, notes

        grading.notes[:0] = notes(Path(spec.target))
        locate_failures(cases, Path(spec.target))
    table = tasks_frame(cases, task_meta(tasks))
    counts = summarize_counts(cases)
    points, max_points = float(table["points"].sum()), float(table["max_points"].sum())
    summary = {
        "plugin": spec.label, "plugin_source": f"{spec.kind}: {spec.target}", "seed": seed,
        "harness_version": __version__, "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - t0, 3),
        "points": round(points, 6), "max_points": max_points,
        "percent": round(100.0 * points / max_points, 2) if max_points else 0.0,
        "counts": counts, "cases": len(cases),
        "exit_status": 0 if counts.get(PASS, 0) == len(cases) else 1,
        "notes": list(dict.fromkeys(_kit_notes() + grading.notes)), "speed": False,
        "speed_points": 0.0, "speed_max_points": 0.0,
        "hooks_implemented": sorted(grading.hooks),
    }
    from harness.reports.plots import case_plots

    result.cases, result.tasks, result.summary, result.plots = cases, table, summary, case_plots(grading.results)
    if rig is not None:
        add_speed_group([(result, spec)], tasks, seed=seed, limits=limits, options=speed_options, rig=rig)
    if out is not None:
        write_run(out, result)


def add_speed_group(runs: list[tuple[RunResult, PluginSpec]], tasks: list[Task], *, seed: int, limits: Limits,
                    options: Any = None, rig: Rig | None = None) -> None:
    """Time graded runs against the reference (one reference worker, its windows shared) and add the speed to
    their tables and summaries. ``rig``: their workers, spawned beforehand (:func:`harness.speed.measure.make_rig`).
    """
    from harness.speed.measure import measure_speed_group

    t0 = time.monotonic()
    try:
        measured = measure_speed_group([spec for _, spec in runs], tasks, [r.tasks for r, _ in runs], seed=seed,
                                       limits=limits, writables=[trusted_writable(spec) for _, spec in runs],
                                       options=options, numba_caches=[r.numba_cache for r, _ in runs], rig=rig)
    finally:
        for result, _ in runs:
            drop_numba_cache(result)
    share = (time.monotonic() - t0) / max(len(runs), 1)
    for (result, _), (table, benchmark, per_size) in zip(runs, measured, strict=True):
        result.tasks, result.benchmark, result.speed_sizes = table, benchmark, per_size
        result.summary.update(
            speed=True,
            speed_points=round(float(table["speed_points"].sum()), 6),
            speed_max_points=float(table["speed_max_points"].sum()),
            duration_s=round(float(result.summary["duration_s"]) + share, 3),
        )


def write_run(out: Path, result: RunResult) -> None:
    """Every report file of a run; ``summary.json`` is written last."""
    from harness.reports.atomic import atomic_write
    from harness.reports.files import write_reports

    if result.speed_sizes is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "speed.csv", result.speed_sizes.to_csv(index=False))
    write_reports(out, result.cases, result.tasks, result.summary, result.benchmark,
                  plots=result.plots, speed_sizes=result.speed_sizes)
