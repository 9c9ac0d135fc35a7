"""A second course graded by the same engine: the seam (harness.course) is the only thing that changes.

``tests/tinycourse`` has two hooks, a reference and three cases. With
``HARNESS_COURSE=tinycourse`` the unchanged harness lists it, grades plugins
of it in real sandboxed workers (which load its contract, not Lecture 1's,
and may not read its reference) and names its outputs and known mistake.
"""

from __future__ import annotations

import os
from pathlib import Path

from clirun import PLUGINS, ROOT, harness, run

TINY = PLUGINS / "tiny"
ENV = {"HARNESS_COURSE": "tinycourse",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}


def test_the_second_course_is_what_the_harness_lists() -> None:
    proc = harness("list", env=ENV)
    assert proc.returncode == 0, proc.stderr
    tasks = [line.split()[0] for line in proc.stdout.splitlines()[1:5:2]]
    assert tasks == ["double", "min_max"]
    assert "total: 3 points in 2 tasks" in proc.stdout
    assert "sigmoid" not in proc.stdout and "numpy" not in proc.stdout  # no Lecture 1, no bundled plugin


def test_a_correct_plugin_passes_all_three_cases(tmp_path: Path) -> None:
    res = run(TINY / "right.py", tmp_path / "out", env=ENV)
    assert res.code == 0, res.out + res.err
    cases = res.cases()
    assert list(zip(cases["task"], cases["case_id"], strict=True)) == [
        ("double", "fixed:small"), ("double", "hidden:random-1"), ("min_max", "fixed:small")]
    assert set(cases["outcome"]) == {"pass"}
    assert res.summary()["points"] == 3.0


def test_a_wrong_plugin_fails_the_right_case_with_the_courses_words(tmp_path: Path) -> None:
    res = run(TINY / "wrong.py", tmp_path / "out", env=ENV)
    assert res.code == 1, res.out + res.err
    cases = res.cases().set_index("task")
    assert list(res.cases()["outcome"]) == ["pass", "pass", "fail"]
    message = cases.loc["min_max", "message"]
    assert message.startswith("lo wrong: got 3, expected -1")  # the output's name from the tiny contract
    assert "known mistake: lo is the smallest element" in message and cases.loc["min_max", "mistake"] == "swapped"


def test_the_worker_loads_the_second_contract_and_keeps_its_reference_unreadable(tmp_path: Path) -> None:
    lecture1 = run(PLUGINS / "grads_only.py", tmp_path / "l1", env=ENV)  # marks hooks of Lecture 1
    assert lecture1.code == 2
    assert "is marked @hookimpl but is no hook of the contract" in lecture1.err
    peeks = run(TINY / "peeks.py", tmp_path / "peeks", env=ENV)
    assert peeks.code == 1
    double = peeks.cases().set_index(["task", "case_id"]).loc[("double", "fixed:small")]
    assert double["outcome"] == "error"
    assert "imports the tiny course (its tasks and reference): not allowed" in double["message"]
