"""Write the report files of one graded run (SPEC.md "Files a run writes").

Everything is rendered from the run's two DataFrames (``cases``: a row per case;
``tasks``: a row per task, see :mod:`harness.grading.score`) and its ``summary`` dict, and
every file is written with :func:`harness.reports.atomic.atomic_write`. All files are
rendered before the first one is written, so a rendering bug writes nothing.

Scores: ``summary["points"]`` / ``["max_points"]`` / ``["percent"]`` are the
correctness score; speed points (``summary["speed_points"]`` and the tasks'
``speed_points``) come on top. The Gradescope score is the sum of its tests:
one test per case plus one speed test per task whose speed was scored.
"""

from __future__ import annotations

import html
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.grading.model import (
    CRASH,
    ERROR,
    FAIL,
    INVALID,
    NOT_IMPLEMENTED,
    OUTCOMES,
    PASS,
    TIMEOUT,
)
from harness.grading.score import FAILING_OUTCOMES, TASK_COLUMNS, count_column
from harness.reports.atomic import atomic_write

#: Columns the cases frame must have.
CASE_COLUMNS = (
    "plugin", "task", "group", "case_id", "kind", "hidden", "outcome", "message",
    "mistake", "note", "slide", "points", "max_points", "duration_s",
)  # fmt: skip

#: Optional columns of the tasks frame, present when speed was measured.
SPEED_COLUMNS = (
    "speed_size", "speed_ratio", "speed_ci_low", "speed_ci_high", "speed_mark",
    "speed_points", "speed_max_points", "speed_note",
)  # fmt: skip

#: How a non-pass outcome appears in JUnit XML.
JUNIT_ELEMENT = {
    FAIL: "failure",
    INVALID: "failure",
    ERROR: "error",
    TIMEOUT: "error",
    CRASH: "error",
    NOT_IMPLEMENTED: "skipped",
}

#: Background colour of each outcome in the HTML report.
OUTCOME_COLOURS = {
    PASS: "#d7f0d8",
    FAIL: "#f9d6d5",
    ERROR: "#f6c3e0",
    TIMEOUT: "#fde2b8",
    CRASH: "#e0c8f5",
    NOT_IMPLEMENTED: "#e4e4e4",
    INVALID: "#fcefb4",
}

#: Names of the files :func:`write_reports` writes, in order.
REPORT_FILES = (
    "cases.csv", "tasks.csv", "summary.json", "report.md", "report.html",
    "results.json", "junit.xml",
)  # fmt: skip
BENCHMARK_FILE = "benchmark.json"

_TEXT_ERRORS = "backslashreplace"  # a lone surrogate in a plugin's message must not fail a report
_UNPRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>|#~]")
_FIRST_FAILURE_WIDTH = 100
#: Summary keys listed under the score, with their labels.
_META = (
    ("plugin_source", "source"),
    ("seed", "seed"),
    ("harness_version", "harness version"),
    ("started", "started"),
    ("duration_s", "duration (s)"),
    ("exit_status", "exit status"),
)


# --------------------------------------------------------------------------- entry point


def write_reports(
    out_dir: Path,
    cases: pd.DataFrame,
    tasks: pd.DataFrame,
    summary: dict,
    benchmark: dict | None = None,
    *,
    plots: list[dict] | None = None,
    speed_sizes: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every report file of one run into ``out_dir`` (created) and return their paths.

    ``plots`` (public cases' outputs, :func:`harness.reports.plots.case_plots`) and
    ``speed_sizes`` (the speed per task and size) feed report.html's charts.
    """
    _require_columns(cases, CASE_COLUMNS, "cases")
    _require_columns(tasks, TASK_COLUMNS, "tasks")
    contents = render_reports(cases, tasks, summary, benchmark, plots=plots, speed_sizes=speed_sizes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [atomic_write(out / name, data, errors=_TEXT_ERRORS) for name, data in contents.items()]


def render_reports(
    cases: pd.DataFrame,
    tasks: pd.DataFrame,
    summary: dict,
    benchmark: dict | None = None,
    *,
    plots: list[dict] | None = None,
    speed_sizes: pd.DataFrame | None = None,
) -> dict[str, str | bytes]:
    """The content of every report file, by file name."""
    contents: dict[str, str | bytes] = {
        "cases.csv": cases.to_csv(index=False),
        "tasks.csv": tasks.to_csv(index=False),
        "summary.json": dump_json(summary),
        "report.md": render_markdown(cases, tasks, summary),
        "report.html": render_html(cases, tasks, summary, plots=plots, speed_sizes=speed_sizes),
        "results.json": dump_json(gradescope_results(cases, tasks, summary)),
        "junit.xml": junit_xml(cases, tasks, summary),
    }
    if benchmark is not None:
        contents[BENCHMARK_FILE] = dump_json(benchmark)
    return contents


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks columns: {', '.join(missing)}")


# --------------------------------------------------------------------------- JSON


def to_jsonable(value: Any) -> Any:
    """``value`` with NumPy/pandas scalars and arrays made plain; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dump_json(value: Any) -> str:
    """Strict JSON (no NaN), indented by 2, ending in a newline."""
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- shared pieces


def has_speed(tasks: pd.DataFrame) -> bool:
    """Whether any task has a measured speed ratio."""
    return "speed_ratio" in tasks.columns and bool(tasks["speed_ratio"].notna().any())


def speed_geomean(tasks: pd.DataFrame) -> float | None:
    """Geometric mean of the tasks' finite, positive speed ratios (None without any)."""
    if "speed_ratio" not in tasks.columns:
        return None
    ratios = pd.to_numeric(tasks["speed_ratio"], errors="coerce").to_numpy(dtype=float)
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    return float(np.exp(np.log(ratios).mean())) if ratios.size else None


def _num(value: Any, digits: int = 2) -> str:
    """A number with at most ``digits`` decimals and no trailing zeros ("" for NaN/None)."""
    number = _float(value)
    if number is None:
        return ""
    text = f"{number:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _float(value: Any) -> float | None:
    """``value`` as a finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    """A cell as printable text: "" for a missing value; control characters (ANSI escapes,
    NUL ...) and lone surrogates, which XML forbids and terminals act on, spelled as escapes."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return _UNPRINTABLE.sub(_escape_char, str(value).replace("\r\n", "\n"))


def _escape_char(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def _first_line(text: str, width: int = _FIRST_FAILURE_WIDTH) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _totals(summary: dict) -> tuple[float, float]:
    """Correctness plus speed points, and their maximum."""
    points = (_float(summary.get("points")) or 0.0) + (_float(summary.get("speed_points")) or 0.0)
    maximum = (_float(summary.get("max_points")) or 0.0) + (
        _float(summary.get("speed_max_points")) or 0.0
    )
    return points, maximum


def _counts_text(counts: dict) -> str:
    """``"40 pass, 2 fail"``: the non-zero outcome counts in outcome order."""
    parts = [f"{int(counts[o])} {o}" for o in OUTCOMES if int(counts.get(o, 0) or 0)]
    return ", ".join(parts) or "no cases"


def _score_lines(summary: dict, tasks: pd.DataFrame) -> list[str]:
    """Correctness, speed and case-count lines shared by the Markdown, HTML and Gradescope text."""
    lines = [
        f"Correctness: {_num(summary.get('points'))} / {_num(summary.get('max_points'))} "
        f"points ({_num(summary.get('percent'), 1)}%)"
    ]
    if summary.get("speed"):
        geomean = speed_geomean(tasks)
        ratio = f", geometric-mean time ratio {geomean:.3g}x" if geomean else ""
        lines.append(
            f"Speed: {_num(summary.get('speed_points'))} / "
            f"{_num(summary.get('speed_max_points'))} points{ratio}"
        )
    lines.append(f"Cases: {_counts_text(summary.get('counts') or {})}")
    return lines


def _meta_lines(summary: dict) -> list[str]:
    return [f"{label}: {_text(to_jsonable(summary[k]))}" for k, label in _META if k in summary]


def _title(summary: dict) -> str:
    points, maximum = _totals(summary)
    return f"{summary.get('plugin', '?')}: {_num(points)} / {_num(maximum)} points"


def _speed_cell(row: Mapping[str, Any]) -> str:
    """``"1.23x [1.1, 1.4] ~ (note)"`` for a task with a speed ratio, else ""."""
    ratio = _float(row.get("speed_ratio"))
    if ratio is None:
        return _text(row.get("speed_note"))
    low, high = _float(row.get("speed_ci_low")), _float(row.get("speed_ci_high"))
    text = f"{ratio:.3g}x"
    if low is not None and high is not None:
        text += f" [{low:.3g}, {high:.3g}]"
    mark = _text(row.get("speed_mark")).strip()
    note = _text(row.get("speed_note"))
    return text + (f" {mark}" if mark else "") + (f" ({note})" if note else "")


def _other_outcomes(row: Mapping[str, Any]) -> str:
    """``"1 fail, 2 not implemented"``: a task's non-pass counts."""
    counts = {o: row.get(count_column(o), 0) for o in FAILING_OUTCOMES}
    return ", ".join(f"{int(n)} {o}" for o, n in counts.items() if int(n))


def task_view(tasks: pd.DataFrame) -> pd.DataFrame:
    """The tasks table as shown in the Markdown and HTML reports."""
    rows = tasks.to_dict("records")
    view = pd.DataFrame(
        {
            "task": tasks["task"].astype(str).to_numpy(),
            "group": tasks["group"].astype(str).to_numpy(),
            "points": [f"{_num(r['points'])} / {_num(r['max_points'])}" for r in rows],
            "passed": [f"{int(r['passed'])} / {int(r['cases'])}" for r in rows],
            "other outcomes": [_other_outcomes(r) for r in rows],
        }
    )
    if has_speed(tasks):
        view["speed (plugin / reference)"] = [_speed_cell(r) for r in rows]
        if "speed_points" in tasks.columns:
            view["speed points"] = [_speed_points_cell(r) for r in rows]
    view["first failure"] = [_first_line(_text(r["first_failure"])) for r in rows]
    view["slide"] = tasks["slide"].astype(str).to_numpy()
    return view


def _speed_points_cell(row: Mapping[str, Any]) -> str:
    points, maximum = _float(row.get("speed_points")), _float(row.get("speed_max_points"))
    return "" if points is None else f"{_num(points)} / {_num(maximum or 0.0)}"


def case_view(cases: pd.DataFrame) -> pd.DataFrame:
    """The cases table as shown in the HTML report."""
    return pd.DataFrame(
        {
            "task": cases["task"].astype(str).to_numpy(),
            "case": cases["case_id"].astype(str).to_numpy(),
            "kind": cases["kind"].astype(str).to_numpy(),
            "outcome": cases["outcome"].astype(str).to_numpy(),
            "points": [
                f"{_num(p, 3)} / {_num(m, 3)}"
                for p, m in zip(cases["points"], cases["max_points"], strict=True)
            ],
            "message": cases["message"].map(_text).to_numpy(),
            "note": cases["note"].map(_text).to_numpy(),
            "mistake": cases["mistake"].map(_text).to_numpy(),
            "slide": cases["slide"].map(_text).to_numpy(),
        }
    )


def _failing(cases: pd.DataFrame) -> pd.DataFrame:
    return cases[cases["outcome"] != PASS]


def _task_order(cases: pd.DataFrame, tasks: pd.DataFrame) -> list[str]:
    """The tasks frame's order, then any task that only appears in ``cases``."""
    order = [str(t) for t in tasks["task"]]
    extra = [str(t) for t in pd.unique(cases["task"].astype(str)) if str(t) not in set(order)]
    return order + extra


def _task_records(tasks: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The rows of the tasks frame as dicts, by task name."""
    return {str(r["task"]): r for r in tasks.to_dict("records")}


def _by_task(cases: pd.DataFrame, tasks: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(task, its cases)`` in task order, tasks without cases included."""
    names = cases["task"].astype(str)
    for task in _task_order(cases, tasks):
        yield task, cases[names == task]


# --------------------------------------------------------------------------- Markdown


def _md_inline(value: Any, newline: str = " ") -> str:
    """Text that Markdown shows literally (no emphasis, links or HTML), on one line."""
    return _MD_SPECIAL.sub(r"\\\g<0>", _text(value)).replace("\n", newline)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (index dropped)."""
    header = "| " + " | ".join(_md_inline(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(_md_inline(v, "<br>") for v in row) + " |"
        for row in frame.itertuples(False)
    ]
    return "\n".join([header, rule, *body])


def _md_code_block(text: str) -> str:
    """``text`` in a fence longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _md_case(row: pd.Series) -> str:
    """One failing case: a bullet with its outcome and message, then its note and mistake."""
    message = _text(row["message"]).strip()
    head = f"- {_md_inline(row['case_id'])} ({_md_inline(row['kind'])}) **{row['outcome']}**"
    lines = [head + (":" if message else "")]
    if message:
        lines.append("\n".join("  " + line for line in _md_code_block(message).splitlines()))
    for label in ("note", "mistake", "slide"):
        if _text(row[label]):
            lines.append(f"  - {label}: {_md_inline(row[label])}")
    return "\n".join(lines)


def render_markdown(cases: pd.DataFrame, tasks: pd.DataFrame, summary: dict) -> str:
    """``report.md``: title with the score, the tasks table, then the failing cases by task."""
    parts = [f"# {_md_inline(_title(summary))}", ""]
    parts += [f"- {_md_inline(s)}" for s in _score_lines(summary, tasks) + _meta_lines(summary)]
    notes = [str(n) for n in summary.get("notes") or []]
    if notes:
        parts += ["", "## Notes", "", *(f"- {_md_inline(n)}" for n in notes)]
    parts += ["", "## Tasks", "", markdown_table(task_view(tasks)), "", "## Failing cases", ""]
    failing = _failing(cases)
    groups = [(t, f) for t, f in _by_task(failing, tasks) if len(f)]
    for task, frame in groups:
        parts += [f"### {_md_inline(task)} ({len(frame)})", ""]
        parts += [_md_case(row) for _, row in frame.iterrows()]
        parts.append("")
    if not groups:
        parts += ["Every case passed.", ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
td { white-space: pre-wrap; }
th { background: #f0f0f0; }
ul.meta { list-style: none; padding: 0; }
svg text { font: 12px system-ui, sans-serif; }
figure.chart { margin: 0.5em 0; max-width: 100%; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
div.charts { display: flex; flex-wrap: wrap; gap: 1em; }
table { max-width: 100%; }
td { overflow-wrap: anywhere; max-width: 60em; }
"""


def _outcome_css(outcome: Any) -> str:
    colour = OUTCOME_COLOURS.get(str(outcome))
    return f"background-color: {colour}" if colour else ""


def _styled_table(view: pd.DataFrame, uuid: str, styles: pd.DataFrame | None = None) -> str:
    """``view`` as an HTML table with escaped cells and optional per-cell CSS."""
    styler = view.style.hide(axis="index").format(escape="html", na_rep="").set_uuid(uuid)
    if "outcome" in view.columns:
        styler = styler.map(_outcome_css, subset=["outcome"])
    if styles is not None:
        styler = styler.apply(lambda _: styles, axis=None)
    return styler.to_html()


def _task_styles(tasks: pd.DataFrame, view: pd.DataFrame) -> pd.DataFrame:
    """Colour a task's "passed" cell by whether all, some or none of its cases passed."""
    styles = pd.DataFrame("", index=view.index, columns=view.columns)
    passed, total = tasks["passed"].to_numpy(), tasks["cases"].to_numpy()
    styles["passed"] = [_progress_css(p, n) for p, n in zip(passed, total, strict=True)]
    return styles


def _progress_css(passed: int, cases: int) -> str:
    """Green when every case passed, red when none did, yellow in between; none without cases."""
    if not cases:
        return ""
    return _outcome_css(PASS if passed == cases else FAIL if passed == 0 else INVALID)


def _html_list(lines: list[str], cls: str = "") -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return f'<ul class="{cls}">{items}</ul>' if cls else f"<ul>{items}</ul>"


def _figure(chart: Any, *args: Any) -> str:
    """A chart in its figure; a chart that cannot be drawn says so, and the page (and a batch) goes on."""
    try:
        return f'<figure class="chart">{chart(*args)}</figure>'
    except Exception as exc:  # noqa: BLE001 - a chart is an extra: the tables hold the results
        return f"<p>(chart not drawn: {html.escape(type(exc).__name__)}: {html.escape(str(exc)[:200])})</p>"


def render_html(cases: pd.DataFrame, tasks: pd.DataFrame, summary: dict, *,
                plots: list[dict] | None = None, speed_sizes: pd.DataFrame | None = None) -> str:
    """``report.html``: one self-contained page (inline CSS and SVG charts, no scripts)."""
    from harness.reports import plots as charts

    title = html.escape(_title(summary))
    tview = task_view(tasks)
    body = [
        f"<h1>{title}</h1>",
        _html_list(_score_lines(summary, tasks) + _meta_lines(summary), "meta"),
    ]
    notes = [str(n) for n in summary.get("notes") or []]
    if notes:
        body += ["<h2>Notes</h2>", _html_list(notes)]
    if len(tasks):
        body += ["<h2>Points per task</h2>", _figure(charts.points_chart, tasks)]
    body += ["<h2>Tasks</h2>", _styled_table(tview, "tasks", _task_styles(tasks, tview))]
    shown = [p for p in plots or [] if p["kind"] == "elementwise"]
    curves = [p for p in plots or [] if p["kind"] == "curve"]
    if shown:
        body += ["<h2>Where your function goes wrong (public cases)</h2>",
                 '<div class="charts">' + "".join(_figure(charts.case_chart, p) for p in shown) + "</div>"]
    if curves:
        body += ["<h2>Training curves against the reference (public cases)</h2>",
                 '<div class="charts">' + "".join(_figure(charts.curve_chart, p) for p in curves) + "</div>"]
    if has_speed(tasks):
        body += ["<h2>Speed relative to the reference</h2>",
                 _figure(charts.speed_chart, tasks, speed_sizes)]
    view = case_view(cases)
    failing = view[(cases["outcome"] != PASS).to_numpy()]
    body += [f"<h2>Failing cases ({len(failing)})</h2>"]
    body += [_styled_table(failing, "failing") if len(failing) else "<p>Every case passed.</p>"]
    body += [
        f"<details><summary>All cases ({len(view)})</summary>",
        _styled_table(view, "cases"),
        "</details>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- Gradescope


def _case_output(row: pd.Series) -> str:
    message = _text(row["message"]).strip()
    lines = [f"{row['outcome']}: {message}" if message else str(row["outcome"])]
    lines += [f"{label}: {_text(row[label])}" for label in ("note", "slide") if _text(row[label])]
    return "\n".join(lines)


def _case_test(row: pd.Series, number: str) -> dict[str, Any]:
    return {
        "name": f"{row['task']} / {row['case_id']}",
        "number": number,
        "score": float(row["points"]),
        "max_score": float(row["max_points"]),
        "status": "passed" if row["outcome"] == PASS else "failed",
        "output": _case_output(row),
        "tags": [str(row["group"]), str(row["kind"])],
        "visibility": "after_published" if bool(row["hidden"]) else "visible",
    }


def _speed_test(row: Mapping[str, Any], number: str) -> dict[str, Any] | None:
    """The speed test of a task whose speed was scored, else None."""
    maximum = _float(row.get("speed_max_points"))
    if not maximum:
        return None
    points = _float(row.get("speed_points")) or 0.0
    return {
        "name": f"{row['task']} / speed",
        "number": number,
        "score": points,
        "max_score": maximum,
        "status": "passed" if points >= maximum else "failed",
        "output": f"time ratio to the reference at size {_text(row.get('speed_size'))}: "
        + _speed_cell(row),
        "tags": [str(row["group"]), "speed"],
        "visibility": "visible",
    }


def _gradescope_tests(cases: pd.DataFrame, tasks: pd.DataFrame) -> list[dict[str, Any]]:
    """Per task (numbered from 1): a test per case, then its speed test."""
    meta = _task_records(tasks)
    tests: list[dict[str, Any]] = []
    for t, (task, frame) in enumerate(_by_task(cases, tasks), start=1):
        tests += [_case_test(row, f"{t}.{i}") for i, (_, row) in enumerate(frame.iterrows(), 1)]
        speed = _speed_test(meta[task], f"{t}.{len(frame) + 1}") if task in meta else None
        tests += [speed] if speed else []
    return tests


def _leaderboard(summary: dict, tasks: pd.DataFrame) -> list[dict[str, Any]]:
    board = [
        {"name": "correctness", "value": _float(summary.get("percent")) or 0.0, "order": "desc"}
    ]
    geomean = speed_geomean(tasks)
    if summary.get("speed") and geomean is not None:
        board.append({"name": "speed (geomean ratio)", "value": geomean, "order": "asc"})
    return board


def gradescope_results(cases: pd.DataFrame, tasks: pd.DataFrame, summary: dict) -> dict[str, Any]:
    """``results.json`` in Gradescope's autograder format; the score is the sum of the tests."""
    tests = _gradescope_tests(cases, tasks)
    lines = [_title(summary), *_score_lines(summary, tasks)]
    lines += [str(n) for n in summary.get("notes") or []]
    return {
        "score": sum(t["score"] for t in tests),
        "max_score": sum(t["max_score"] for t in tests),
        "execution_time": round(_float(summary.get("duration_s")) or 0.0, 3),
        "output": "\n".join(lines),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": to_jsonable(
            {k: summary.get(k) for k in ("plugin", "seed", "harness_version", "exit_status")}
        ),
        "tests": tests,
        "leaderboard": _leaderboard(summary, tasks),
    }


# --------------------------------------------------------------------------- JUnit XML


def _junit_case(row: pd.Series) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=_text(row["case_id"]),
        classname=_text(f"{row['group']}.{row['task']}"),
        time=f"{_float(row['duration_s']) or 0.0:.6f}",
    )
    tag = JUNIT_ELEMENT.get(str(row["outcome"]))
    if tag:
        detail = ET.SubElement(
            case, tag, message=_text(_first_line(_text(row["message"]), 200) or row["outcome"])
        )
        if tag != "skipped":
            detail.set("type", str(row["outcome"]))
        detail.text = _text(_case_output(row))
    return case


def _junit_suite(
    task: str, frame: pd.DataFrame, meta: Mapping[str, Any] | None, started: str
) -> ET.Element:
    outcomes = frame["outcome"].astype(str).map(JUNIT_ELEMENT)
    suite = ET.Element(
        "testsuite",
        name=_text(task),
        tests=str(len(frame)),
        failures=str(int((outcomes == "failure").sum())),
        errors=str(int((outcomes == "error").sum())),
        skipped=str(int((outcomes == "skipped").sum())),
        time=f"{pd.to_numeric(frame['duration_s'], errors='coerce').fillna(0).sum():.6f}",
        timestamp=_text(started),
    )
    if meta is not None:
        props = ET.SubElement(suite, "properties")
        for key in ("group", "slide", "points", "max_points"):
            ET.SubElement(props, "property", name=key, value=_text(meta[key]))
    suite.extend(_junit_case(row) for _, row in frame.iterrows())
    return suite


def junit_xml(cases: pd.DataFrame, tasks: pd.DataFrame, summary: dict) -> bytes:
    """``junit.xml``: a testsuite per task, a testcase per case, UTF-8 with declaration."""
    meta = _task_records(tasks)
    started = _text(summary.get("started"))
    suites = [
        _junit_suite(task, frame, meta.get(task), started) for task, frame in _by_task(cases, tasks)
    ]
    root = ET.Element("testsuites", name=_text(f"harness: {summary.get('plugin', '')}"))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", f"{_float(summary.get('duration_s')) or 0.0:.6f}")
    root.extend(suites)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


__all__ = [
    "BENCHMARK_FILE",
    "CASE_COLUMNS",
    "REPORT_FILES",
    "SPEED_COLUMNS",
    "gradescope_results",
    "junit_xml",
    "render_html",
    "render_markdown",
    "render_reports",
    "write_reports",
]
