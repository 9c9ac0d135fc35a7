"""What the commands print on the terminal."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd


def _short(text: str, width: int) -> str:
    line = str(text).splitlines()[0] if str(text) else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _speed_cell(row: pd.Series) -> str:
    ratio = row.get("speed_ratio")
    if ratio is None or pd.isna(ratio):
        return str(row.get("speed_note", "") or "-")
    return f"{ratio:.2f}x{row.get('speed_mark', '') or ''}"


def print_run(result, out: Path | None) -> None:
    """The per-task table, the total and where the reports are."""
    table = result.tasks
    has_speed = "speed_ratio" in table.columns
    header = f"{'task':<26} {'passed':>9} {'points':>11}" + (f" {'speed':>10}" if has_speed else "") + "  first failure"
    click.echo(header)
    click.echo("-" * len(header))
    for _, row in table.iterrows():
        passed = f"{int(row['passed'])}/{int(row['cases'])}"
        points = f"{row['points']:.2f}/{row['max_points']:g}"
        speed = f" {_speed_cell(row):>10}" if has_speed else ""
        first = _short(row["first_failure"], 70)
        click.echo(f"{row['task']:<26} {passed:>9} {points:>11}{speed}  {first}")
    s = result.summary
    click.echo("-" * len(header))
    counts = ", ".join(f"{n} {k}" for k, n in s["counts"].items() if n)
    click.echo(f"total: {s['points']:.2f}/{s['max_points']:g} points ({s['percent']:.1f}%), {counts}")
    if s.get("speed"):
        click.echo(f"speed: {s['speed_points']:.2f}/{s['speed_max_points']:g} points "
                   "(ratio = plugin time / reference time; '~' = within the method's 5% resolution of 1)")
    for note in s.get("notes", []):
        click.echo(f"note: {note}")
    if out is not None:
        click.echo(f"reports: {out}/ (report.md, report.html, cases.csv, tasks.csv, summary.json, "
                   "results.json, junit.xml" + (", benchmark.json, speed.csv)" if s.get("speed") else ")"))


def print_list() -> None:
    """Tasks with points and slide, then the plugins found."""
    from harness.course import all_tasks
    from harness.loading.plugins import available
    from harness.loading.template import hook_summary

    tasks = all_tasks()
    click.echo(f"{'task':<26} {'group':<20} {'points':>6}  slide / what it is")
    for t in tasks:
        click.echo(f"{t.name:<26} {t.group:<20} {t.points:>6g}  {_short(t.slide, 60)}")
        click.echo(f"{'':<55}{_short(hook_summary(t.hook), 70)}")
    click.echo(f"total: {sum(t.points for t in tasks):g} points in {len(tasks)} tasks")
    click.echo("")
    click.echo("plugins found:")
    for name, where in available():
        click.echo(f"  {name:<12} {where}")
    click.echo("  (or any .py file, package directory or dotted module: harness run --plugin PATH)")
