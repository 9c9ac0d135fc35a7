"""``harness run | list | new`` through the command line itself."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from clirun import PLUGINS, ROOT, harness, run

REPORT_FILES = ("cases.csv", "tasks.csv", "summary.json", "report.md", "report.html", "results.json",
                "junit.xml")


@pytest.mark.parametrize("plugin", ["reference", "numpy", "python"])
def test_bundled_plugin_scores_100(plugin: str, tmp_path: Path) -> None:
    res = run(plugin, tmp_path / "out")
    assert res.code == 0, res.out + res.err
    summary = res.summary()
    assert summary["percent"] == 100.0
    assert summary["counts"]["pass"] == summary["cases"] > 300
    for name in REPORT_FILES:
        assert (res.report / name).stat().st_size > 0, name
    assert "total:" in res.out and "100.0%" in res.out
    tasks = res.tasks()
    assert len(tasks) == 30 and (tasks["passed"] == tasks["cases"]).all()
    assert set(res.cases()["kind"]) == {"lecture", "fixed", "hidden", "boundary", "property"}
    ET.parse(res.report / "junit.xml")
    assert json.loads((res.report / "results.json").read_text())["score"] == pytest.approx(summary["points"])


def test_unusual_but_correct_plugin_scores_100(tmp_path: Path) -> None:
    res = run(PLUGINS / "unusual.py", tmp_path / "out",
              "--tasks", "sigmoid,leaky_relu,chain_rule_example,logistic_regression_step")
    assert res.code == 0, res.out + res.err
    assert res.summary()["percent"] == 100.0
    notes = res.cases().query("task == 'sigmoid'")["message"]
    assert notes.str.contains("RuntimeWarning").any()  # warned, noted, not failed


BUGGY = json.loads((PLUGINS / "buggy" / "EXPECTED.json").read_text()) \
    if (PLUGINS / "buggy" / "EXPECTED.json").exists() else {}


@pytest.mark.parametrize("module", sorted(BUGGY))
def test_buggy_plugin_fails_exactly_its_tasks_with_hint(module: str, tmp_path: Path) -> None:
    expected = BUGGY[module]
    res = run(PLUGINS / "buggy" / module, tmp_path / "out")
    assert res.code == 1, res.out + res.err
    tasks = res.tasks()
    implemented = tasks[tasks["not_implemented"] < tasks["cases"]]
    failing = set(implemented.loc[implemented["passed"] < implemented["cases"], "task"])
    assert failing == set(expected["fails"]), res.out
    cases = res.cases()
    bad = cases[cases["task"].isin(expected["fails"]) & (cases["outcome"] != "pass")]
    assert bad["message"].str.contains(expected["hint"], regex=False).any(), bad["message"].tolist()


def test_fresh_template_is_all_not_implemented(tmp_path: Path) -> None:
    proc = harness("new", "mine", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    source = (tmp_path / "mine.py").read_text()
    assert source.count("@hookimpl") == 30 and "Slide:" in source and "Args:" in source
    res = run(tmp_path / "mine.py", tmp_path / "out")
    assert res.code == 1
    assert set(res.cases()["outcome"]) == {"not implemented"}
    assert harness("new", "mine", cwd=tmp_path).returncode == 2  # exists: not overwritten


def test_list_shows_tasks_points_slides_and_plugins() -> None:
    proc = harness("list")
    assert proc.returncode == 0, proc.stderr
    for word in ("sigmoid", "mlp_backward", "to_polar", "Logistic", "reference", "numpy",
                 "python", "total:"):
        assert word in proc.stdout


@pytest.mark.parametrize("args, words", [
    (["run", "--plugin", "nosuchplugin_xyz", "--no-speed"], "nosuchplugin_xyz"),
    (["run", "--plugin", "missing.py", "--no-speed"], "missing.py"),
    (["run", "--plugin", "numpy", "--tasks", "nosuchtask", "--no-speed"], "nosuchtask"),
    (["run", "--plugin", "numpy", "--bogus"], "--bogus"),
    (["run"], "--plugin"),
    (["run", "--plugin", str(PLUGINS / "typo.py"), "--no-speed"], "did you mean 'sigmoid'"),
    (["frobnicate"], "frobnicate"),
])
def test_usage_errors_exit_2_with_one_line(args: list[str], words: str, tmp_path: Path) -> None:
    proc = harness(*args, "--out", str(tmp_path / "o")) if args[0] == "run" and "--bogus" not in args \
        and len(args) > 1 else harness(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_on_every_command() -> None:
    for cmd in ([], ["run"], ["list"], ["new"]):
        proc = harness(*cmd, "--help")
        assert proc.returncode == 0 and "Usage:" in proc.stdout


@pytest.mark.parametrize("speed", [False, True])
def test_import_error_is_graded_not_a_crash(tmp_path: Path, speed: bool) -> None:
    res = run(PLUGINS / "raises_at_import.py", tmp_path / "out", "--tasks", "relu*", speed=speed)
    assert res.code == 1
    cases = res.cases()
    assert (cases["outcome"] == "error").all()
    assert cases["message"].str.contains("import failed").all()
    assert cases["message"].str.contains("course data not found").all()  # the plugin's own message
    assert str(ROOT / "harness") not in " ".join(cases["message"])
