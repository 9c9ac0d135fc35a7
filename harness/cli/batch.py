"""``harness grade`` (many submissions) and ``harness leaderboard`` (merge, history, regressions).

Registered on the ``main`` group by :mod:`harness.cli.main`; shared pieces come from :mod:`harness.cli.common`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from harness.batch.similarity import DEFAULT_THRESHOLD
from harness.cli.common import EXIT_FAILED, EXIT_OK, UsageError, _limits, _select, limit_options


@click.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for grades.csv, the leaderboard and submissions/<id>/ reports.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: the number of cores).")
@click.option("--tasks", "pattern", default=None, metavar="PATTERN",
              help="Comma-separated glob patterns of task or group names (default: all).")
@click.option("--seed", type=int, default=None,
              help="Seed of the hidden cases (default: the out dir's, else fresh).")
@click.option("--no-speed", is_flag=True, help="Skip the speed measurement.")
@click.option("--regrade", is_flag=True, help="Grade again submissions that are already graded.")
@click.option("--pseudonyms", is_flag=True,
              help="Show pseudonyms on the leaderboard (grades.csv keeps the real ids).")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Grade on this machine, or across a Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Address of the Dask scheduler (with --executor dask), e.g. tcp://10.0.0.5:8786.")
@click.option("--similarity-threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_THRESHOLD,
              show_default=True, help="List pairs of submissions at least this similar on the leaderboard.")
@limit_options
def grade(submissions: tuple[Path, ...], out: Path, jobs: int | None, pattern: str | None,
          seed: int | None, no_speed: bool, regrade: bool, pseudonyms: bool, executor: str,
          scheduler: str | None, similarity_threshold: float, case_timeout: float, cpu_limit: int,
          memory_limit: int, output_limit: int) -> int:
    """Grade SUBMISSIONS: .py files, package dirs, .zip/.tar.gz archives, or folders of them.

    Each submission's reports go to OUT/submissions/<id>/ as soon as it is
    graded; a submission already graded there is skipped (resume) unless
    --regrade. Then OUT/grades.csv and OUT/leaderboard.{csv,md,html} are written;
    grades.csv's similar_to and similarity say whose code (another submission, a
    bundled plugin, the reference) holds most of each submission's.
    Exit status 0 when every case of every submission passed, else 1.
    """
    from harness.batch.collect import write_outputs
    from harness.batch.grade import (
        BatchConfig,
        BatchUsageError,
        prepare_out,
        record_stats,
        run_batch,
    )
    from harness.loading.submissions import find_submissions

    t0 = time.monotonic()
    if executor == "dask" and not scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS")
    if scheduler and executor != "dask":
        raise UsageError("--scheduler is only used with --executor dask")
    try:
        subs = find_submissions(submissions)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    tasks = _select(pattern)
    try:
        seed = prepare_out(out, seed, pattern, regrade)
    except (BatchUsageError, OSError) as exc:
        raise UsageError(str(exc)) from None
    cfg = BatchConfig(out=out, pattern=pattern, seed=seed,
                      limits=_limits(case_timeout, cpu_limit, memory_limit, output_limit),
                      speed=not no_speed, jobs=jobs or os.cpu_count() or 1, regrade=regrade,
                      executor=executor, scheduler=scheduler)
    click.echo(f"grading {len(subs)} submissions on {len(tasks)} tasks, seed {seed}, "
               f"{'dask ' + scheduler if scheduler else f'{cfg.jobs} at once'}", err=True)
    try:
        done, skipped, grading_peak = run_batch(subs, cfg, tasks)
    except BatchUsageError as exc:
        raise UsageError(str(exc)) from None
    if skipped:
        click.echo(f"skipped {skipped} already graded (use --regrade to grade them again)", err=True)
    status = write_outputs(out, subs, tasks, pseudonyms=pseudonyms, similarity_threshold=similarity_threshold)
    stats = record_stats(out, done, skipped, time.monotonic() - t0, grading_peak)
    peaks = f"peak memory: harness {stats['maxrss_mib']:.0f} MiB"
    if grading_peak:
        peaks += f", largest grading process {grading_peak:.0f} MiB"
    click.echo(f"graded {done} in {stats['wall_s']:.1f} s ({stats['per_minute']:.1f} per minute), "
               f"{peaks}; wrote {out / 'grades.csv'} and {out / 'leaderboard.html'}", err=True)
    return EXIT_OK if status == 0 else EXIT_FAILED


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for leaderboard.{csv,md,html} and report.md.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="SQLite history of earlier runs (default: OUT/history.sqlite).")
@click.option("--label", default="", help="A name for this run in the history (a commit, a date).")
@click.option("--fail-on-regression", is_flag=True,
              help="Exit with status 1 when a score dropped or a speed regressed.")
@click.option("--pseudonyms", is_flag=True, help="Show pseudonyms instead of submission ids.")
def leaderboard(results: tuple[Path, ...], out: Path, history_path: Path | None, label: str,
                fail_on_regression: bool, pseudonyms: bool) -> int:
    """Merge RESULTS (harness grade or harness run out dirs) into one leaderboard.

    The run is added to the history and compared with each submission's
    previous run; score drops and speed regressions beyond their confidence
    interval are listed in OUT/report.md.
    """
    from harness.batch.collect import collect_results, write_leaderboard

    try:
        found = collect_results(results)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    history_path = history_path or out / "history.sqlite"
    regressions = write_leaderboard(out, found, history_path, label=label, pseudonyms=pseudonyms)
    click.echo(f"wrote {out / 'leaderboard.html'} and {out / 'report.md'}; "
               f"{len(regressions)} regressions", err=True)
    for r in regressions if not pseudonyms else []:  # a public log names no one
        click.echo(f"regression: {r.submission}: {r.message}", err=True)
    sys.stderr.flush()
    return EXIT_FAILED if regressions and fail_on_regression else EXIT_OK
