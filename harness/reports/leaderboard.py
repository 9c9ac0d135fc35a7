"""Ranking graded submissions and writing the leaderboard (CSV, Markdown, HTML).

The board is ranked by correctness (points, higher first), then by speed: the
geometric mean of the speed ratios of the tasks whose speed was measured
(lower is faster; a submission without any measured ratio comes after those
with one). Submissions equal on points whose speed geomeans lie within the
speed method's resolution (5%) of the fastest of them share a rank: noise
must not decide an order ("tied within measurement resolution"). The
``note`` column says why a submission tied on points is above or below the
others.

A result is read from a report directory (``summary.json`` + ``tasks.csv``):
a ``harness run`` out dir, or ``DIR/submissions/<id>/`` of ``harness grade``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.reports.atomic import atomic_write
from harness.reports.files import markdown_table, speed_geomean
from harness.speed.measure import SpeedOptions

#: Speed geomeans closer than this (relative) are not told apart: the band the
#: method's A/A runs stay within (README, "Speed").
RESOLUTION = SpeedOptions().resolution
TIED = "tied within measurement resolution"

BOARD_COLUMNS = ("rank", "submission", "points", "max_points", "percent", "speed_geomean",
                 "speed_tasks", "speed_points", "status", "note")
_POINT_DIGITS = 6


@dataclass
class Result:
    """One graded submission as stored: its id, ``summary.json`` and ``tasks.csv``."""

    id: str
    summary: dict[str, Any]
    tasks: pd.DataFrame
    path: Path | None = None

    @property
    def status(self) -> str:
        return str(self.summary.get("batch_status") or "graded")

    @property
    def reason(self) -> str:
        return str(self.summary.get("error") or "")


def is_result_dir(path: Path) -> bool:
    return (path / "summary.json").is_file()


def read_result(path: Path, sub_id: str | None = None) -> Result:
    """The result stored in the report directory ``path``. Raises ValueError if unreadable."""
    try:
        summary = json.loads((path / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read summary.json ({exc})") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}: summary.json is no JSON object")
    try:
        tasks = pd.read_csv(path / "tasks.csv")
    except FileNotFoundError:
        tasks = pd.DataFrame(columns=["task", "points", "max_points"])
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read tasks.csv ({exc})") from None
    name = sub_id or str(summary.get("submission") or summary.get("plugin") or path.name)
    return Result(name, summary, tasks, path)


def _num(value: Any, default: float = math.nan) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(number) else number


def entries_frame(results: Iterable[Result]) -> pd.DataFrame:
    """One row per result: points, percent, speed geomean, status, reason."""
    rows = []
    for r in results:
        timed = 0
        if "speed_ratio" in r.tasks.columns:
            ratios = pd.to_numeric(r.tasks["speed_ratio"], errors="coerce")
            timed = int(((ratios > 0) & ratios.notna() & (ratios != math.inf)).sum())
        geomean = speed_geomean(r.tasks)
        rows.append({
            "submission": r.id,
            "points": round(_num(r.summary.get("points"), 0.0), _POINT_DIGITS),
            "max_points": _num(r.summary.get("max_points")),
            "percent": _num(r.summary.get("percent")),
            "speed_geomean": math.nan if geomean is None else geomean,
            "speed_tasks": timed,
            "speed_points": _num(r.summary.get("speed_points")) if r.summary.get("speed") else math.nan,
            "status": r.status,
            "reason": r.reason,
        })
    columns = ["submission", "points", "max_points", "percent", "speed_geomean", "speed_tasks",
               "speed_points", "status", "reason"]
    return pd.DataFrame(rows, columns=columns)


def rank(entries: pd.DataFrame) -> pd.DataFrame:
    """The board: ``entries`` sorted, with ``rank`` (1, 2, 2, 4 ...) and a ``note`` on ties."""
    df = entries.copy()
    df["points"] = df["points"].fillna(0.0).round(_POINT_DIGITS)
    df["_speed"] = df["speed_geomean"].where(df["speed_geomean"] > 0)
    df = df.sort_values(["points", "_speed", "submission"], ascending=[False, True, True],
                        na_position="last", kind="mergesort").reset_index(drop=True)
    ranks, notes = [], []
    for i, row in df.iterrows():
        if i > 0 and _within(df.loc[ranks[-1] - 1], row):
            ranks.append(ranks[-1])
        else:
            ranks.append(i + 1)
    df["_group"] = ranks
    # Within a shared rank, by name: the noise's order must not show.
    df = df.sort_values(["_group", "submission"], kind="mergesort").reset_index(drop=True)
    ranks = list(df["_group"])
    for i in range(len(df)):
        notes.append(_tie_note(df, i))
    df.insert(0, "rank", ranks)
    df["note"] = [n if not r else (f"{n}; {r}" if n else r)
                  for n, r in zip(notes, df["reason"].fillna("").map(_one_line), strict=True)]
    return df[list(BOARD_COLUMNS)]


def _one_line(text: str, width: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _within(leader: pd.Series, b: pd.Series) -> bool:
    """Whether ``b`` ties with the first (fastest) submission of a rank: same points, speed within resolution."""
    if leader["points"] != b["points"]:
        return False
    sa, sb = leader["_speed"], b["_speed"]
    return (pd.isna(sa) and pd.isna(sb)) or (not pd.isna(sa) and not pd.isna(sb)
                                             and sb <= sa * (1.0 + RESOLUTION))


def _same(a: pd.Series, b: pd.Series) -> bool:
    return a["_group"] == b["_group"]


def _g(x: float) -> str:
    return f"{x:.3g}"


def _tie_note(df: pd.DataFrame, i: int) -> str:
    row = df.loc[i]
    group = df[df["points"] == row["points"]]
    if len(group) < 2:
        return ""
    others = [s for j, s in group["submission"].items() if j != i]
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    head = f"tied on points with {shown}"
    speed = row["_speed"]
    first = group.index[0]
    if pd.isna(speed):
        if group["_speed"].isna().all():
            return f"{head}; no speed measured: shares the rank"
        return f"{head}; below those with a speed measurement (none measured)"
    if i == first:
        nxt = df.loc[i + 1]
        if pd.isna(nxt["_speed"]):
            return f"{head}; above: only its speed was measured"
        if _same(row, nxt):
            return f"{head}; {TIED} ({_g(speed)} vs {_g(nxt['_speed'])} for {nxt['submission']}): shares the rank"
        return (f"{head}; faster by geomean ({_g(speed)} vs {_g(nxt['_speed'])} for "
                f"{nxt['submission']})")
    prev = df.loc[i - 1]
    if _same(prev, row):
        return f"{head}; {TIED} ({_g(speed)} vs {_g(prev['_speed'])} for {prev['submission']}): shares the rank"
    return (f"{head}; slower by geomean than {prev['submission']} ({_g(speed)} vs "
            f"{_g(prev['_speed'])})")


def public(board: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``board`` with submission ids replaced by pseudonyms, in the notes too."""
    out = board.copy()
    out["submission"] = out["submission"].map(lambda s: names.get(s, s))
    ordered = sorted(names, key=len, reverse=True)  # "bob-2" before "bob"

    def hide(note: str) -> str:
        # Notes name other submissions; rebuild them token by token.
        for real in ordered:
            note = _replace_name(note, real, names[real])
        return note

    out["note"] = out["note"].fillna("").map(hide)
    # Within a shared rank, order by pseudonym: the real ids' order must not show.
    return out.sort_values(["rank", "submission"], kind="mergesort").reset_index(drop=True)


def _replace_name(text: str, real: str, alias: str) -> str:
    return re.sub(rf"(?<![\w.-]){re.escape(real)}(?![\w-])", alias, text)


# ------------------------------------------------------------------ rendering


def _fmt(value: Any, digits: int = 2) -> str:
    number = _num(value)
    if math.isnan(number):
        return ""
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _display(board: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": board["rank"],
        "submission": board["submission"],
        "points": [f"{_fmt(p)} / {_fmt(m)}" for p, m in zip(board["points"], board["max_points"],
                                                             strict=True)],
        "%": board["percent"].map(lambda v: _fmt(v, 1)),
        "speed (geomean ratio)": board["speed_geomean"].map(lambda v: "" if pd.isna(v) else f"{v:.3g}x"),
        "tasks timed": board["speed_tasks"],
        "note": board["note"],
    })


def render_markdown(board: pd.DataFrame, title: str, extra: str = "") -> str:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines = [f"# {title}", "", f"{len(board)} submissions, generated {stamp}. Ranked by points, "
             "then by the geometric mean of the speed ratios (lower is faster).", ""]
    lines.append(markdown_table(_display(board)) if len(board) else "_No results._")
    if extra:
        lines += ["", extra.rstrip()]
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-top:1em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f0f0f0}td.n{text-align:right}tr.tie td{background:#fffbe6}
svg text{font-size:12px;font-family:system-ui,sans-serif}
div.charts{display:flex;flex-wrap:wrap;gap:1em}figure.chart{margin:.5em 0;max-width:100%}figure.chart svg{max-width:100%;height:auto}
"""


def chart_svg(board: pd.DataFrame, width: int = 720) -> str:
    """Horizontal bars of each submission's percent, its speed geomean written beside."""
    bar_h, gap, left, right = 18, 6, 190, 150
    height = max(1, len(board)) * (bar_h + gap) + 30
    scale = (width - left - right) / 100.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="points per submission">']
    for x in (0, 25, 50, 75, 100):
        px = left + x * scale
        parts.append(f'<line x1="{px:.1f}" y1="0" x2="{px:.1f}" y2="{height - 20}" stroke="#ddd"/>'
                     f'<text x="{px:.1f}" y="{height - 6}" text-anchor="middle">{x}%</text>')
    for k, row in enumerate(board.itertuples(index=False)):
        y = k * (bar_h + gap) + 4
        pct = _num(row.percent)
        pct = 0.0 if math.isnan(pct) else max(0.0, min(100.0, pct))
        colour = "#c0392b" if row.status != "graded" else ("#2e8b57" if pct >= 99.995 else "#4a7fb5")
        label = f"{row.rank}. {row.submission}"
        name = html.escape(label if len(label) <= 28 else label[:27] + "…")
        speed = "" if pd.isna(row.speed_geomean) else f", {row.speed_geomean:.3g}x"
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{name}</text>'
            f'<rect x="{left}" y="{y}" width="{pct * scale:.1f}" height="{bar_h}" fill="{colour}">'
            f'<title>{html.escape(label)}: {_fmt(pct, 1)}%{html.escape(speed)}</title></rect>'
            f'<text x="{left + pct * scale + 4:.1f}" y="{y + 13}">{_fmt(pct, 1)}%'
            f'{html.escape(speed)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _charts(board: pd.DataFrame) -> str:
    """The class's score distribution and each submission's speed geomean (matplotlib, inline SVG)."""
    from harness.reports import plots

    if not len(board):
        return ""
    return ('<div class="charts">'
            f'<figure class="chart">{plots.score_distribution(board)}</figure>'
            f'<figure class="chart">{plots.geomean_chart(board)}</figure></div>'
            f'<h2>Points per submission</h2>{chart_svg(board)}')


def render_html(board: pd.DataFrame, title: str, extra_html: str = "") -> str:
    view = _display(board)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in view.columns)
    rows = []
    for (_, row), tie in zip(view.iterrows(), board["note"].fillna("").str.startswith("tied"),
                             strict=True):
        cells = "".join(
            f'<td class="n">{html.escape(str(v))}</td>' if c in ("rank", "%", "tasks timed")
            else f"<td>{html.escape(str(v))}</td>" for c, v in row.items())
        rows.append(f'<tr class="tie">{cells}</tr>' if tie else f"<tr>{cells}</tr>")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{len(board)} submissions, generated {stamp}. "
            "Ranked by points, then by the geometric mean of the speed ratios (lower is faster).</p>"
            f"{_charts(board)}<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            f"</tbody></table>{extra_html}</body></html>\n")


def write_board(out: Path, board: pd.DataFrame, title: str, *, extra_md: str = "",
                extra_html: str = "") -> list[Path]:
    """Write ``leaderboard.csv``, ``.md`` and ``.html`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        atomic_write(out / "leaderboard.csv", board.to_csv(index=False)),
        atomic_write(out / "leaderboard.md", render_markdown(board, title, extra_md)),
        atomic_write(out / "leaderboard.html", render_html(board, title, extra_html)),
    ]
