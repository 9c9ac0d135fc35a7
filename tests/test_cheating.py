"""Scores that cannot be bought: cheating plugins (tests/plugins/cheating/) through the real paths.

One test per route: forwarding to the reference, importing it lazily,
re-exporting a bundled plugin, walking to the reference's files, mining the
grader's environment and /proc, carrying hidden inputs out through messages,
a task's inputs depending on the other tasks, importing a classmate in a
batch, a renamed copy. Each scores at most what the plugin's own code earns.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from clirun import PLUGINS, run

import harness
from harness import course
from harness.cli.main import main
from harness.course import select_tasks
from harness.grading.cases import task_rng
from harness.grading.runner import grade
from harness.loading.plugins import resolve
from harness.loading.source_check import check_plugin, findings
from harness.sandbox.confine import WORKER_FILES, worker_access
from harness.sandbox.launch import Limits, probe

CHEATING = PLUGINS / "cheating"
REPORTS = ("cases.csv", "report.md", "report.html", "results.json", "junit.xml", "summary.json",
           "tasks.csv")
LIMITS = Limits(case_seconds=5, cpu_seconds=60, memory_mb=1024, start_seconds=60)

assert probe().landlock_abi >= 1, "these tests need Landlock (Linux 5.13+)"


def cases_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "cases.csv", keep_default_na=False)


def report_text(out: Path) -> str:
    return "\n".join((out / name).read_text() for name in REPORTS)


def test_forwarding_every_hook_to_the_reference_scores_nothing(tmp_path: Path) -> None:
    res = run(CHEATING / "forwards_reference.py", tmp_path / "out", "--tasks", "relu,sigmoid")
    summary = res.summary()
    assert summary["points"] == 0.0 and res.code == 1
    cases = res.cases()
    assert set(cases["outcome"]) == {"error"}
    assert cases["message"].str.contains("imports the reference solution: not allowed").all()
    assert any("source check: forwards_reference.py line 3: imports reference" in n for n in summary["notes"])


def test_the_source_check_names_the_ways_to_the_memory_around_an_argument() -> None:
    """In a timed call that memory holds the other calls' inputs (README "Speed": read-ahead is not stopped)."""
    notes = check_plugin(resolve(str(PLUGINS / "speed" / "reads_the_pool.py")))
    assert any("line 16: uses .base: a way to the memory around an argument" in n for n in notes), notes
    assert check_plugin(resolve(str(PLUGINS / "speed" / "honest.py"))) == []
    tree = ast.parse("import mmap\nfrom numpy.lib.stride_tricks import as_strided\nx.__array_interface__\n"
                     "t.data_ptr()\nself.weights = w\n")
    assert [line for line, _ in findings(tree)] == [1, 2, 3, 4]


def test_importing_the_reference_inside_one_hook_fails_that_hook_only(tmp_path: Path) -> None:
    res = run(CHEATING / "forwards_lazily.py", tmp_path / "out", "--tasks", "relu,sigmoid")
    cases = res.cases()
    sigmoid, relu = cases[cases.task == "sigmoid"], cases[cases.task == "relu"]
    assert (relu["outcome"] == "pass").all()
    assert (sigmoid["outcome"] == "error").all()
    assert sigmoid["message"].str.contains("imports the reference solution: not allowed").all()
    assert any("import_module(): dynamic import" in n for n in res.summary()["notes"])


def test_reexporting_a_bundled_plugin_scores_nothing(tmp_path: Path) -> None:
    res = run(CHEATING / "reexports_bundled.py", tmp_path / "out", "--tasks", "relu")
    assert res.summary()["points"] == 0.0
    assert res.cases()["message"].str.contains("imports a bundled solution: not allowed").all()
    assert any("imports plugins.numpy_plugin (a bundled solution)" in n for n in res.summary()["notes"])


def test_walking_from_harness_file_to_the_reference_source_is_refused(tmp_path: Path) -> None:
    res = run(CHEATING / "walks_to_reference.py", tmp_path / "out", "--tasks", "relu")
    cases = res.cases()
    assert res.summary()["points"] == 0.0
    assert cases["message"].str.contains("reads the reference solution: not allowed").all()


def test_the_worker_reads_what_it_runs_and_the_contract_never_the_grading_code(tmp_path: Path) -> None:
    res = run(CHEATING / "reads_grading_code.py", tmp_path / "out", "--tasks", "relu,sigmoid,tanh")
    cases = res.cases()
    relu, sigmoid, tanh = (cases[cases.task == name] for name in ("relu", "sigmoid", "tanh"))
    assert relu["message"].str.contains("the plugin reads the harness's grading code: not allowed").all()
    assert sigmoid["message"].str.contains("reads the grading tasks: not allowed").all()
    assert (tanh["outcome"] == "pass").all(), tanh["message"].iloc[0]


def test_of_the_harness_a_worker_may_read_only_what_it_runs_and_of_the_course_only_the_contract(
        tmp_path: Path) -> None:
    access = worker_access(resolve(str(CHEATING / "reads_grading_code.py")), tmp_path)
    harness_dir = Path(harness.__file__).resolve().parent
    mine = sorted(p for p in access.read if Path(p) == harness_dir or harness_dir in Path(p).parents)
    assert mine == sorted(str(harness_dir / f) for f in WORKER_FILES)
    assert access.contract == str(course.contract_file()) and access.contract in access.read
    course_dirs = [Path(harness.__file__).resolve().parents[1] / name for name in ("tasks", "reference", "plugins")]
    assert not [p for p in access.read if any(d == Path(p) or d in Path(p).parents for d in course_dirs)]
    assert set(access.forbidden_modules) == {"tasks", "reference", "plugins"}


def test_the_worker_sees_no_grader_variable_no_shadow_and_no_other_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_grader_secret_1234")
    res = run(CHEATING / "mines_host.py", tmp_path / "out", "--tasks", "relu,sigmoid")
    text = report_text(res.report)
    assert "ghp_grader_secret_1234" not in text and "GITHUB_TOKEN" not in text
    cases = res.cases()
    env = cases[(cases.task == "relu") & ~cases.hidden.astype(bool)]["message"].iloc[0]
    assert "OMP_NUM_THREADS" in env  # the message is shown (a public case), with the allowlist only
    found = cases[(cases.task == "sigmoid") & ~cases.hidden.astype(bool)]["message"].iloc[0]
    assert "'shadow': '<PermissionError>'" in found
    assert "--plugin" not in found and "pytest" not in found  # no other process's command line


def test_hidden_inputs_appear_nowhere_in_the_reports(tmp_path: Path) -> None:
    seed = 11
    res = run(CHEATING / "leaks_hidden.py", tmp_path / "out", "--tasks", "relu,sigmoid,tanh", seed=seed)
    text = report_text(res.report) + res.out + res.err
    cases = res.cases()
    hidden = cases[cases.hidden.astype(bool)]
    assert len(hidden) >= 3 and not hidden["message"].str.contains("LEAK").any()
    assert hidden[hidden.task == "relu"]["message"].str.contains("raised ValueError at line").all()
    public = cases[~cases.hidden.astype(bool) & (cases.task == "relu")]
    assert public["message"].str.contains("LEAK-RAISE").all()  # public cases keep the full message
    values = set()
    for task in select_tasks("relu,sigmoid,tanh"):
        for case in task.make_cases(task_rng(seed, task.name)):
            if case.hidden:
                for call in case.calls:
                    for v in np.asarray(call.kwargs["z"]).ravel()[:50]:
                        values |= {repr(float(v)), f"{float(v):.6g}"}
    assert values
    # whole numbers only: "1.08473" inside a report's timestamp ("16:45:51.084731") is no leak
    leaked = [v for v in values if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", text)]
    assert not leaked, leaked[:5]


def _hidden_inputs(tasks: list, seed: int) -> dict[str, list]:
    grading = grade(resolve(str(CHEATING / "forwards_lazily.py")), tasks, seed, LIMITS)
    return {r.case.id: r.case.calls[0].kwargs["z"].tolist() for r in grading.results
            if r.task.name == "relu" and r.case.hidden}


def test_a_tasks_inputs_do_not_depend_on_the_other_tasks() -> None:
    alone = _hidden_inputs(select_tasks("relu"), 5)
    with_others = _hidden_inputs(select_tasks("sigmoid") + select_tasks("relu"), 5)
    assert alone and alone == with_others
    assert _hidden_inputs(select_tasks("relu"), 6) != alone


def test_a_run_without_seed_draws_one_and_records_it(tmp_path: Path) -> None:
    res = run(CHEATING / "forwards_lazily.py", tmp_path / "out", "--tasks", "relu", seed=None)
    assert isinstance(res.summary()["seed"], int)


# ------------------------------------------------------------------ batches
ALICE = '''
import numpy as np
from harness import hookimpl


@hookimpl
def relu(z):
    # my own relu: keep the positive part
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    result = np.empty_like(z)
    positive = z >= 0
    result[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    ez = np.exp(z[~positive])
    result[~positive] = ez / (1.0 + ez)
    return result
'''
#: Alice's code, names changed and comments stripped.
CAROL = (ALICE.replace("result", "out").replace("positive", "mask").replace("ez", "e")
         .replace("    # my own relu: keep the positive part\n", ""))
#: Finds a classmate's file at grading time and imports it.
BOB = '''
import glob
import importlib.util
import os

from harness import hookimpl

_HERE = os.path.dirname(os.path.abspath(__file__))


def _classmate():
    for path in glob.glob(os.path.join(os.path.dirname(_HERE), "*", "*.py")):
        if os.path.dirname(path) != _HERE:
            spec = importlib.util.spec_from_file_location("mate", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
    raise RuntimeError("no classmate found")


@hookimpl
def relu(z):
    return _classmate().relu(z)


@hookimpl
def sigmoid(z):
    return _classmate().sigmoid(z)
'''


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    subs.mkdir()
    for name, text in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        (subs / f"{name}.py").write_text(text)
    out = root / "graded"
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), "--tasks", "relu,sigmoid",
                                       "--no-speed", "--seed", "3", "-j", "1"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return out


def test_a_submission_cannot_import_a_classmate_in_a_batch(batch: Path) -> None:
    grades = pd.read_csv(batch / "grades.csv", keep_default_na=False).set_index("submission")
    assert grades.loc["alice", "percent"] == 100.0
    assert grades.loc["bob", "total"] == 0.0


def test_a_renamed_copy_is_flagged_in_grades_and_on_the_leaderboard(batch: Path) -> None:
    grades = pd.read_csv(batch / "grades.csv", keep_default_na=False).set_index("submission")
    assert grades.loc["carol", "similar_to"] == "alice"
    assert grades.loc["carol", "similarity"] >= 0.8
    assert grades.loc["carol", "percent"] == 100.0  # flagged, not zeroed
    assert grades.loc["bob", "similarity"] < 0.8
    board = (batch / "leaderboard.md").read_text()
    assert "| carol | alice |" in board
    assert json.loads((batch / "submissions" / "carol" / "summary.json").read_text())["points"] > 0
