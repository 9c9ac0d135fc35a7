"""Collecting stored results into ``grades.csv``, leaderboards and the history report."""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from harness.batch.grade import submission_dir
from harness.batch.similarity import (
    DEFAULT_THRESHOLD,
    flagged_pairs,
    most_similar,
    render_pairs,
    submission_sources,
)
from harness.grading.model import Task
from harness.loading.submissions import Submission, pseudonym, pseudonym_key, unique_ids
from harness.reports.atomic import atomic_write
from harness.reports.history import Regression, compare, connect, record, render_report
from harness.reports.leaderboard import (
    Result,
    entries_frame,
    is_result_dir,
    public,
    rank,
    read_result,
    render_markdown,
    write_board,
)


def pseudonyms_for(out: Path, ids: Iterable[str]) -> dict[str, str]:
    key = pseudonym_key(out)
    return {i: pseudonym(key, i) for i in ids}


def grades_frame(results: list[Result], tasks: list[Task]) -> pd.DataFrame:
    """A row per submission: points per task, total, max, percent, speed points, status."""
    names = [t.name for t in tasks]
    rows = []
    for r in results:
        per_task: dict[str, float] = {}
        if {"task", "points"} <= set(r.tasks.columns):
            per_task = dict(zip(r.tasks["task"].astype(str), r.tasks["points"].astype(float),
                                strict=True))
        for extra in per_task:
            if extra not in names:
                names.append(extra)
        rows.append({"submission": r.id, **per_task,
                     "total": float(r.summary.get("points") or 0.0),
                     "max_points": float(r.summary.get("max_points") or 0.0),
                     "percent": float(r.summary.get("percent") or 0.0),
                     "speed_points": float(r.summary.get("speed_points") or 0.0),
                     "status": r.status, "reason": r.reason})
    columns = ["submission", *names, "total", "max_points", "percent", "speed_points", "status",
               "reason"]
    frame = pd.DataFrame(rows, columns=columns)
    frame[names] = frame[names].astype(float).fillna(0.0).round(6)
    return frame


def write_outputs(out: Path, subs: list[Submission], tasks: list[Task], *, pseudonyms: bool,
                  similarity_threshold: float = DEFAULT_THRESHOLD) -> int:
    """``grades.csv`` and the leaderboard of a ``harness grade`` run; returns its exit status."""
    results = [read_result(submission_dir(out, s.id), s.id) for s in subs]
    matches = most_similar(submission_sources(subs))
    grades = grades_frame(results, tasks)
    grades["similar_to"] = [matches[r.id].similar_to if r.id in matches else "" for r in results]
    grades["similarity"] = [matches[r.id].similarity if r.id in matches else 0.0 for r in results]
    atomic_write(out / "grades.csv", grades.to_csv(index=False))
    board = rank(entries_frame(results))
    names = {}
    if pseudonyms:
        names = pseudonyms_for(out, [r.id for r in results])
        board = public(board, names)
    pairs = render_pairs(flagged_pairs(matches, similarity_threshold), similarity_threshold, names)
    write_board(out, board, "Leaderboard", extra_md=pairs,
                extra_html=f"<pre>{html.escape(pairs)}</pre>")
    failing = [r for r in results if int(r.summary.get("exit_status", 1)) != 0]
    return 1 if failing else 0


def collect_results(paths: Iterable[Path]) -> list[Result]:
    """Results of ``harness grade`` out dirs and ``harness run`` out dirs, ids made unique."""
    found: list[Result] = []
    for path in paths:
        if (path / "submissions").is_dir():
            dirs = sorted(d for d in (path / "submissions").iterdir() if is_result_dir(d))
            if not dirs and not is_result_dir(path):
                raise ValueError(f"{path} holds no graded submission")
            found += [read_result(d, d.name) for d in dirs]
        elif is_result_dir(path):
            found.append(read_result(path))
        elif path.exists():
            raise ValueError(f"{path} is no result directory (no summary.json, no submissions/)")
        else:
            raise ValueError(f"no such result directory: {path}")
    for result, new_id in zip(found, unique_ids(r.id for r in found), strict=True):
        result.id = new_id
    return found


def write_leaderboard(out: Path, results: list[Result], history_path: Path, *, label: str = "",
                      pseudonyms: bool = False) -> list[Regression]:
    """The merged board, the run stored in the history, ``report.md`` with regressions."""
    out.mkdir(parents=True, exist_ok=True)
    conn = connect(history_path)
    try:
        run_id = record(conn, results, label)
        changes, regressions = compare(conn, run_id)
    finally:
        conn.close()
    names = pseudonyms_for(out, [r.id for r in results]) if pseudonyms else {}
    board = rank(entries_frame(results))
    if names:
        board = public(board, names)
    history_md = render_report(changes, regressions, names, run_id, history_path.name)
    write_board(out, board, "Leaderboard", extra_md=history_md,
                extra_html=_md_list_html(regressions, names))
    atomic_write(out / "report.md", render_markdown(board, "Leaderboard report", history_md))
    return regressions


def _md_list_html(regressions: list[Regression], names: dict[str, str]) -> str:
    items = "".join(f"<li><b>{html.escape(names.get(r.submission, r.submission))}</b> "
                    f"({html.escape(r.kind)}): {html.escape(r.message)}</li>" for r in regressions)
    body = f"<ul>{items}</ul>" if regressions else "<p>No regressions against the previous run.</p>"
    return f"<h2>Regressions ({len(regressions)})</h2>{body}"
