"""History of leaderboard runs in an embedded SQLite database, and regressions.

Every ``harness leaderboard`` run is stored with a UTC timestamp: its
per-submission totals and, per task, the points and the speed ratio with its
confidence interval. A run is compared, submission by submission, with that
submission's previous run. Flagged as regressions:

* a score drop: fewer points than before (percent when the maximum changed);
* a speed regression of a task: the new ratio's interval lies wholly above the
  old one's (new CI low > old CI high), so the slow-down is beyond noise.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.reports.files import markdown_table, speed_geomean
from harness.reports.leaderboard import Result

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS submissions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    submission TEXT NOT NULL,
    points REAL, max_points REAL, percent REAL, speed_geomean REAL,
    status TEXT, seed INTEGER, started TEXT,
    PRIMARY KEY (run_id, submission)
);
CREATE TABLE IF NOT EXISTS task_results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    submission TEXT NOT NULL,
    task TEXT NOT NULL,
    points REAL, max_points REAL,
    speed_ratio REAL, speed_ci_low REAL, speed_ci_high REAL,
    PRIMARY KEY (run_id, submission, task)
);
CREATE INDEX IF NOT EXISTS submissions_by_name ON submissions (submission, run_id);
"""
_EPS = 1e-6


@dataclass(frozen=True)
class Regression:
    submission: str
    kind: str  # "score" | "speed"
    task: str
    message: str


@dataclass(frozen=True)
class Change:
    """A submission of this run next to its previous run (None when it is new)."""

    submission: str
    previous_run: int | None
    previous_created: str
    old_points: float
    new_points: float
    old_speed: float
    new_speed: float


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.executescript(_SCHEMA)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    elif version > SCHEMA_VERSION:
        conn.close()
        raise ValueError(f"{path} was written by a newer harness (schema {version})")
    return conn


def _real(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def record(conn: sqlite3.Connection, results: Iterable[Result], label: str = "",
           created: dt.datetime | None = None) -> int:
    """Store one run; return its id."""
    stamp = (created or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    with conn:
        run_id = conn.execute("INSERT INTO runs (created, label) VALUES (?, ?)",
                              (stamp, label)).lastrowid
        assert run_id is not None
        for r in results:
            s = r.summary
            conn.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, r.id, _real(s.get("points")), _real(s.get("max_points")),
                 _real(s.get("percent")), speed_geomean(r.tasks), r.status,
                 s.get("seed") if isinstance(s.get("seed"), int) else None, s.get("started")))
            for row in r.tasks.to_dict("records"):
                if not isinstance(row.get("task"), str):
                    continue
                conn.execute(
                    "INSERT OR REPLACE INTO task_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, r.id, row["task"], _real(row.get("points")), _real(row.get("max_points")),
                     _real(row.get("speed_ratio")), _real(row.get("speed_ci_low")),
                     _real(row.get("speed_ci_high"))))
    return int(run_id)


def _previous(conn: sqlite3.Connection, submission: str, run_id: int) -> sqlite3.Row | None:
    conn.row_factory = sqlite3.Row
    return conn.execute(
        "SELECT s.*, r.created FROM submissions s JOIN runs r ON r.id = s.run_id "
        "WHERE s.submission = ? AND s.run_id < ? ORDER BY s.run_id DESC LIMIT 1",
        (submission, run_id)).fetchone()


def _tasks(conn: sqlite3.Connection, run_id: int, submission: str) -> dict[str, sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    rows = conn.execute("SELECT * FROM task_results WHERE run_id = ? AND submission = ?",
                        (run_id, submission)).fetchall()
    return {row["task"]: row for row in rows}


def _f(x: float | None) -> str:
    return "?" if x is None else f"{x:.4g}"


def compare(conn: sqlite3.Connection, run_id: int) -> tuple[list[Change], list[Regression]]:
    """Each submission of run ``run_id`` against its own previous run."""
    conn.row_factory = sqlite3.Row
    current = conn.execute("SELECT * FROM submissions WHERE run_id = ? ORDER BY submission",
                           (run_id,)).fetchall()
    changes, regressions = [], []
    for cur in current:
        name = cur["submission"]
        prev = _previous(conn, name, run_id)
        nan = math.nan
        if prev is None:
            changes.append(Change(name, None, "", nan, cur["points"] or 0.0, nan,
                                  cur["speed_geomean"] if cur["speed_geomean"] is not None else nan))
            continue
        changes.append(Change(name, prev["run_id"], prev["created"], prev["points"] or 0.0,
                              cur["points"] or 0.0,
                              prev["speed_geomean"] if prev["speed_geomean"] is not None else nan,
                              cur["speed_geomean"] if cur["speed_geomean"] is not None else nan))
        regressions += _score_drop(cur, prev)
        old_tasks, new_tasks = _tasks(conn, prev["run_id"], name), _tasks(conn, run_id, name)
        for task, new in new_tasks.items():
            old = old_tasks.get(task)
            if old is None:
                continue
            if (new["points"] or 0.0) < (old["points"] or 0.0) - _EPS:
                regressions.append(Regression(name, "score", task,
                                              f"task {task}: {_f(old['points'])} -> {_f(new['points'])} points"))
            if (new["speed_ci_low"] is not None and old["speed_ci_high"] is not None
                    and new["speed_ci_low"] > old["speed_ci_high"]):
                regressions.append(Regression(
                    name, "speed", task,
                    f"task {task} slower: {_f(new['speed_ratio'])}x [{_f(new['speed_ci_low'])}, "
                    f"{_f(new['speed_ci_high'])}] vs {_f(old['speed_ratio'])}x "
                    f"[{_f(old['speed_ci_low'])}, {_f(old['speed_ci_high'])}] before"))
    return changes, regressions


def _score_drop(cur: sqlite3.Row, prev: sqlite3.Row) -> list[Regression]:
    same_max = (cur["max_points"] is not None and prev["max_points"] is not None
                and abs(cur["max_points"] - prev["max_points"]) < _EPS)
    key, unit = ("points", "points") if same_max else ("percent", "%")
    new, old = cur[key] or 0.0, prev[key] or 0.0
    if new < old - _EPS:
        return [Regression(cur["submission"], "score", "",
                           f"score dropped: {_f(old)} -> {_f(new)} {unit}")]
    return []


def render_report(changes: list[Change], regressions: list[Regression], names: dict[str, str],
                  run_id: int, history: str) -> str:
    """The history part of ``report.md``: changes since the previous run, then regressions."""
    show = lambda s: names.get(s, s)  # noqa: E731
    lines = [f"## History (run {run_id} in {history})", ""]
    rows = []
    for c in changes:
        if c.previous_run is None:
            rows.append({"submission": show(c.submission), "previous run": "(new)",
                         "points": _f(c.new_points), "change": "", "speed geomean": _speed(c.new_speed),
                         "was": ""})
            continue
        delta = c.new_points - c.old_points
        rows.append({"submission": show(c.submission),
                     "previous run": f"{c.previous_run} ({c.previous_created})",
                     "points": _f(c.new_points), "change": f"{delta:+.4g}" if abs(delta) > _EPS else "=",
                     "speed geomean": _speed(c.new_speed), "was": _speed(c.old_speed)})
    lines.append(markdown_table(pd.DataFrame(rows)) if rows else "_No submissions._")
    lines += ["", f"## Regressions ({len(regressions)})", ""]
    if not regressions:
        lines.append("No regressions against the previous run.")
    for r in regressions:
        lines.append(f"- **{show(r.submission)}** ({r.kind}): {r.message}")
    return "\n".join(lines) + "\n"


def _speed(x: float) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}x"
