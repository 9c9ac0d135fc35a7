"""Report files of a run: tables, atomic writes, and every file written by write_reports."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

from harness.grading.model import OUTCOMES, PASS
from harness.grading.score import COUNT_COLUMNS, TASK_COLUMNS, summarize_counts, tasks_frame
from harness.reports import files as reports
from harness.reports.atomic import atomic_write
from harness.reports.files import REPORT_FILES, render_markdown, to_jsonable, write_reports

TASK_META = pd.DataFrame(
    {
        "task": ["relu", "sigmoid", "tanh"],
        "group": ["activations", "activations", "activations"],
        "slide": ["Activation Functions", "Sigmoid", "Tanh"],
        "max_points": [4.0, 3.0, 2.0],
    }
)
#: (task, outcome, hidden) of each synthetic case: every outcome, hidden cases in two tasks.
CASE_PLAN = [
    ("relu", PASS, False),
    ("relu", "fail", False),
    ("relu", "error", True),
    ("relu", PASS, True),
    ("sigmoid", "timeout", False),
    ("sigmoid", "crash", False),
    ("sigmoid", "invalid output", True),
    ("tanh", "not implemented", False),
    ("tanh", "not implemented", False),
]
#: A message that needs escaping everywhere: Markdown, HTML, XML (ANSI escape, NUL).
NASTY = "got <b>1</b> | want 2 *x* `y`\n\x1b[31mred\x1b[0m \x00 & done"


def make_cases() -> pd.DataFrame:
    per_task = pd.Series([t for t, _, _ in CASE_PLAN]).value_counts()
    maxima = TASK_META.set_index("task")["max_points"]
    rows = []
    for i, (task, outcome, hidden) in enumerate(CASE_PLAN):
        share = maxima[task] / per_task[task]
        rows.append(
            {
                "plugin": "mine",
                "task": task,
                "group": "activations",
                "case_id": f"case{i}",
                "kind": "hidden" if hidden else "fixed",
                "hidden": hidden,
                "outcome": outcome,
                "message": "" if outcome == PASS else f"{outcome}: {NASTY}",
                "mistake": "relu_grad_at_0" if outcome == "fail" else "",
                "note": f"note {i}",
                "slide": "slide",
                "points": share if outcome == PASS else 0.0,
                "max_points": share,
                "duration_s": 0.001 * (i + 1),
            }
        )
    return pd.DataFrame(rows)


def add_speed(tasks: pd.DataFrame) -> pd.DataFrame:
    """Speed columns as the speed stage adds them; tanh has no measured ratio."""
    return tasks.assign(
        speed_size=["large", "large", ""],
        speed_ratio=[3.5, 0.8, np.nan],
        speed_ci_low=[3.1, 0.5, np.nan],
        speed_ci_high=[3.9, 1.2, np.nan],
        speed_mark=["", "~", ""],
        speed_points=[0.5, 1.0, np.nan],
        speed_max_points=[1.0, 1.0, np.nan],
        speed_note=["", "", "not implemented"],
    )


def make_summary(cases: pd.DataFrame, tasks: pd.DataFrame, speed: bool) -> dict[str, Any]:
    points, max_points = tasks["points"].sum(), tasks["max_points"].sum()  # NumPy scalars
    summary = {
        "plugin": "mine",
        "plugin_source": "path: /home/student/mine.py",
        "seed": np.int64(7),
        "harness_version": "0.1.0",
        "started": "2025-01-01T00:00:00+00:00",
        "duration_s": np.float64(2.5),
        "points": points,
        "max_points": max_points,
        "percent": 100.0 * points / max_points,
        "counts": summarize_counts(cases),
        "exit_status": 1,
        "notes": ["plugin ran in a sandboxed subprocess"],
        "speed": speed,
    }
    if speed:
        summary |= {
            "speed_points": tasks["speed_points"].sum(),
            "speed_max_points": tasks["speed_max_points"].sum(),
        }
    return summary


@pytest.fixture(params=[False, True], ids=["no-speed", "speed"])
def run(request: pytest.FixtureRequest) -> dict[str, Any]:
    cases = make_cases()
    tasks = tasks_frame(cases, TASK_META)
    if request.param:
        tasks = add_speed(tasks)
    benchmark = {"machine_info": {}, "benchmarks": [{"name": "relu", "stats": {"median": 1e-3}}]}
    return {
        "cases": cases,
        "tasks": tasks,
        "summary": make_summary(cases, tasks, request.param),
        "benchmark": benchmark if request.param else None,
        "speed": request.param,
    }


@pytest.fixture
def written(run: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "out" / "nested"
    paths = write_reports(out, run["cases"], run["tasks"], run["summary"], run["benchmark"])
    return run | {"out": out, "paths": paths}


def gradescope_schema() -> dict[str, Any]:
    return json.loads((resources.files("harness.reports") / "gradescope_schema.json").read_text())


# --------------------------------------------------------------------------- tables


def test_tasks_frame_aggregates_cases_in_task_meta_order() -> None:
    tasks = tasks_frame(make_cases(), TASK_META)
    assert list(tasks.columns) == list(TASK_COLUMNS)
    assert list(tasks["task"]) == ["relu", "sigmoid", "tanh"]
    relu = tasks.iloc[0]
    assert (relu["cases"], relu["passed"], relu["fail"], relu["error"]) == (4, 2, 1, 1)
    assert relu["points"] == pytest.approx(4.0 * 2 / 4)
    assert relu["first_failure"] == f"case1: fail: {NASTY}"
    assert tasks.iloc[2]["not_implemented"] == 2
    assert tasks[list(COUNT_COLUMNS)].to_numpy().sum() + tasks["passed"].sum() == len(CASE_PLAN)


def test_tasks_frame_points_equal_the_sum_of_case_points() -> None:
    cases = make_cases()
    tasks = tasks_frame(cases, TASK_META)
    by_task = cases.groupby("task")["points"].sum()
    assert tasks.set_index("task")["points"].to_dict() == pytest.approx(by_task.to_dict())


def test_tasks_frame_keeps_tasks_without_cases() -> None:
    meta = pd.concat([TASK_META, TASK_META.head(1).assign(task="step")], ignore_index=True)
    step = tasks_frame(make_cases(), meta).iloc[-1]
    assert (step["task"], step["cases"], step["points"], step["first_failure"]) == (
        "step",
        0,
        0,
        "",
    )


def test_tasks_frame_rejects_a_task_missing_from_meta() -> None:
    with pytest.raises(ValueError, match="relu"):
        tasks_frame(make_cases(), TASK_META.iloc[1:])


def test_summarize_counts_has_every_outcome_as_int() -> None:
    counts = summarize_counts(make_cases())
    assert list(counts) == list(OUTCOMES)
    assert counts == {
        "pass": 2,
        "fail": 1,
        "error": 1,
        "timeout": 1,
        "crash": 1,
        "not implemented": 2,
        "invalid output": 1,
    }
    assert all(type(n) is int for n in counts.values())


# --------------------------------------------------------------------------- atomic_write


def test_atomic_write_writes_text_and_bytes(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.txt", "héllo\n")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o600)
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o600


def test_atomic_write_leaves_old_file_when_replace_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_atomic_write_leaves_old_file_when_writing_fails_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cases.csv"
    target.write_text("old")

    def broken_fsync(fd: int) -> None:
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        atomic_write(target, "new" * 1000)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cases.csv"]


def test_atomic_write_leaves_old_file_when_encoding_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "lone surrogate \ud800")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_write_reports_writes_nothing_when_rendering_fails(
    run: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("template bug")

    monkeypatch.setattr(reports, "render_html", broken)
    with pytest.raises(RuntimeError):
        write_reports(tmp_path, run["cases"], run["tasks"], run["summary"])
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- write_reports


def test_every_file_is_written_and_no_temp_file_is_left(written: dict[str, Any]) -> None:
    expected = set(REPORT_FILES) | ({"benchmark.json"} if written["speed"] else set())
    assert {p.name for p in written["paths"]} == expected
    assert {p.name for p in written["out"].iterdir()} == expected
    assert all(p.parent == written["out"] and p.stat().st_size > 0 for p in written["paths"])


def test_writing_twice_replaces_the_files(written: dict[str, Any]) -> None:
    again = write_reports(written["out"], written["cases"], written["tasks"], written["summary"])
    assert {p.name for p in written["out"].iterdir()} >= {p.name for p in again}
    assert not [p for p in written["out"].iterdir() if p.name.startswith(".")]


def test_csv_files_read_back_as_the_frames(written: dict[str, Any]) -> None:
    out = written["out"]
    cases = pd.read_csv(out / "cases.csv", keep_default_na=False)
    tasks = pd.read_csv(out / "tasks.csv")
    assert list(cases.columns) == list(written["cases"].columns)
    assert list(cases["outcome"]) == list(written["cases"]["outcome"])
    assert list(cases["message"]) == list(written["cases"]["message"])
    assert list(tasks.columns) == list(written["tasks"].columns)
    assert tasks["points"].to_numpy() == pytest.approx(written["tasks"]["points"].to_numpy())


def test_summary_and_benchmark_json(written: dict[str, Any]) -> None:
    summary = json.loads((written["out"] / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["duration_s"] == 2.5
    assert summary["counts"] == summarize_counts(written["cases"])
    assert summary["points"] == pytest.approx(float(written["summary"]["points"]))
    if written["speed"]:
        benchmark = json.loads((written["out"] / "benchmark.json").read_text())
        assert benchmark == written["benchmark"]


def test_results_json_is_valid_gradescope(written: dict[str, Any]) -> None:
    results = json.loads((written["out"] / "results.json").read_text())
    jsonschema.Draft202012Validator.check_schema(gradescope_schema())
    jsonschema.validate(results, gradescope_schema(), cls=jsonschema.Draft202012Validator)
    tests = results["tests"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in tests))
    assert results["max_score"] == pytest.approx(sum(t["max_score"] for t in tests))
    assert (results["visibility"], results["stdout_visibility"]) == ("visible", "hidden")
    case_tests = [t for t in tests if "speed" not in t["tags"]]
    assert len(case_tests) == len(CASE_PLAN)
    for test, (_, row) in zip(case_tests, written["cases"].iterrows(), strict=True):
        assert test["name"] == f"{row['task']} / {row['case_id']}"
        assert test["visibility"] == ("after_published" if row["hidden"] else "visible")
        assert test["status"] == ("passed" if row["outcome"] == PASS else "failed")
        assert test["tags"] == ["activations", row["kind"]]
        assert row["note"] in test["output"]
    assert len({t["number"] for t in tests}) == len(tests)


def test_results_json_leaderboard_and_speed_tests(written: dict[str, Any]) -> None:
    results = json.loads((written["out"] / "results.json").read_text())
    board = {entry["name"]: entry for entry in results["leaderboard"]}
    assert board["correctness"]["value"] == pytest.approx(written["summary"]["percent"])
    assert board["correctness"]["order"] == "desc"
    speed_tests = [t for t in results["tests"] if "speed" in t["tags"]]
    if written["speed"]:
        assert board["speed (geomean ratio)"]["value"] == pytest.approx(np.sqrt(3.5 * 0.8))
        assert board["speed (geomean ratio)"]["order"] == "asc"
        assert [t["name"] for t in speed_tests] == ["relu / speed", "sigmoid / speed"]
        total = written["summary"]["points"] + written["summary"]["speed_points"]
        assert results["score"] == pytest.approx(total)
    else:
        assert list(board) == ["correctness"]
        assert speed_tests == []
        assert results["score"] == pytest.approx(written["summary"]["points"])


def test_gradescope_schema_rejects_bad_values() -> None:
    validator = jsonschema.Draft202012Validator(gradescope_schema())
    assert validator.is_valid({"score": 1, "tests": [{"score": 1, "visibility": "visible"}]})
    assert not validator.is_valid({"score": 1, "visibility": "public"})
    assert not validator.is_valid({"tests": [{"score": 1, "status": "ok"}]})
    assert not validator.is_valid({"score": 1, "leaderboard": [{"name": "t", "order": "up"}]})
    assert not validator.is_valid({"tests": [{"name": "no score anywhere"}]})


def test_junit_xml_has_a_suite_per_task_with_counts(written: dict[str, Any]) -> None:
    root = ET.parse(written["out"] / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["relu", "sigmoid", "tanh"]
    expected = {  # tests, failures, errors, skipped
        "relu": (4, 1, 1, 0),
        "sigmoid": (2 + 1, 1, 2, 0),
        "tanh": (2, 0, 0, 2),
    }
    for name, suite in suites.items():
        counts = tuple(int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped"))
        assert counts == expected[name]
        cases = suite.findall("testcase")
        assert len(cases) == counts[0]
        assert len(suite.findall("testcase/failure")) == counts[1]
        assert len(suite.findall("testcase/error")) == counts[2]
        assert len(suite.findall("testcase/skipped")) == counts[3]
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "9",
        "2",
        "3",
        "2",
    )
    failure = root.find(".//testcase[@name='case1']/failure")
    assert failure is not None and failure.get("type") == "fail"
    assert "\\x1b[31m" in (failure.text or "") and "<b>" in (failure.text or "")


def test_markdown_report(written: dict[str, Any]) -> None:
    text = (written["out"] / "report.md").read_text()
    first = text.splitlines()[0]
    assert first.startswith("# mine: ")
    total = written["summary"]["points"] + written["summary"].get("speed_points", 0.0)
    assert f"{total:g} / " in first
    assert "| task | group | points | passed |" in text
    assert "| relu | activations | 2 / 4 | 2 / 4 |" in text
    failing = text.split("## Failing cases", 1)[1]
    for _, row in written["cases"].iterrows():
        assert (f"- {row['case_id']} (" in failing) == (row["outcome"] != PASS)
    assert "\x1b" not in text and "\x00" not in text
    assert ("3.5x [3.1, 3.9]" in text.replace("\\", "")) == written["speed"]
    assert ("0.8x [0.5, 1.2] ~" in text.replace("\\", "")) == written["speed"]


def test_markdown_table_cells_escape_pipes_and_html(run: dict[str, Any]) -> None:
    text = render_markdown(run["cases"], run["tasks"], run["summary"])
    relu_row = next(line for line in text.splitlines() if line.startswith("| relu |"))
    assert "\\|" in relu_row and "\\<b\\>" in relu_row
    header = text.splitlines()[text.splitlines().index("## Tasks") + 2]
    assert len(re.findall(r"(?<!\\)\|", relu_row)) == header.count("|")  # no stray cell breaks


def test_html_report_is_self_contained_and_escaped(written: dict[str, Any]) -> None:
    text = (written["out"] / "report.html").read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert text.count("<table") == 3  # tasks, failing cases, all cases
    assert "<script" not in text and 'src="http' not in text and 'href="http' not in text
    assert "&lt;b&gt;1&lt;/b&gt;" in text and "<b>1</b>" not in text
    assert "background-color" in text  # outcomes coloured
    charts = re.findall(r"<svg .*?</svg>", text, flags=re.S)
    for chart in charts:
        ET.fromstring(chart)  # well-formed inline SVG
    labels = [re.search(r'aria-label="([^"]+)"', c).group(1) for c in charts]
    assert labels[0] == "points per task"
    assert ("speed relative to the reference" in labels) == written["speed"]
    if written["speed"]:
        speed = charts[labels.index("speed relative to the reference")]
        assert ">relu<" in speed and ">sigmoid<" in speed and ">tanh<" not in speed  # tanh has no ratio


def test_reports_of_a_run_without_cases(tmp_path: Path) -> None:
    cases = make_cases().iloc[:0]
    tasks = tasks_frame(cases, TASK_META)
    summary = make_summary(cases, tasks, speed=False)
    write_reports(tmp_path, cases, tasks, summary)
    results = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(results, gradescope_schema(), cls=jsonschema.Draft202012Validator)
    assert results["score"] == 0 and results["tests"] == []
    assert ET.parse(tmp_path / "junit.xml").getroot().get("tests") == "0"
    assert "Every case passed." in (tmp_path / "report.md").read_text()


def test_write_reports_rejects_a_frame_without_required_columns(tmp_path: Path) -> None:
    cases = make_cases()
    tasks = tasks_frame(cases, TASK_META)
    with pytest.raises(ValueError, match="hidden"):
        write_reports(tmp_path, cases.drop(columns="hidden"), tasks, {})


def test_to_jsonable_converts_numpy_and_non_finite_values() -> None:
    value = {"a": np.int64(1), "b": np.float32(0.5), "c": np.array([1.0, np.nan]), 1: np.True_}
    assert to_jsonable(value) == {"a": 1, "b": 0.5, "c": [1.0, None], "1": True}
    assert json.dumps(to_jsonable({"x": float("inf"), "t": (pd.NA,)})) == '{"x": null, "t": [null]}'


def test_the_speed_chart_draws_sizes_whose_interval_reaches_zero_or_infinity() -> None:
    """A pair of rounds charged nothing gives an interval from 0; that killed a whole batch once."""
    from harness.reports.plots import speed_chart

    sizes = pd.DataFrame({"task": ["relu", "relu", "sigmoid", "tanh"], "size": ["tiny", "medium", "tiny", "tiny"],
                          "ratio": [0.9, 1.2, 0.0, np.nan], "ci_low": [0.0, 1.1, 0.0, np.nan],
                          "ci_high": [1.1, np.inf, 0.0, np.nan]})
    svg = speed_chart(pd.DataFrame({"task": ["relu"]}), sizes)
    ET.fromstring(svg)
    assert "relu · tiny" in svg and "relu · medium" in svg


def test_a_chart_that_cannot_be_drawn_leaves_the_page_and_its_tables(monkeypatch: pytest.MonkeyPatch,
                                                                      run: dict[str, Any]) -> None:
    from harness.reports import plots

    def broken(*args: Any) -> str:
        raise ValueError("Axis limits cannot be NaN or Inf")

    monkeypatch.setattr(plots, "points_chart", broken)
    page = reports.render_html(run["cases"], run["tasks"], run["summary"])
    assert "(chart not drawn: ValueError: Axis limits cannot be NaN or Inf)" in page and "<h2>Tasks</h2>" in page
