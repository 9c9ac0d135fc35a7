"""``harness release``: the student kit, built, installed in a fresh environment and used.

The kit is installed with ``pip --no-deps --no-build-isolation`` into a new
virtual environment that borrows only the third-party packages of this one
(a ``.pth`` line), so the test needs no network and the kit's own code is
the only harness there.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest
from clirun import PLUGINS, ROOT, Result, harness, run


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kit")
    proc = harness("release", "--out", str(root / "kit"), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "public cases" in proc.stdout
    env = root / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--target", str(site), str(root / "kit")], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    work = root / "work"
    work.mkdir()
    return {"src": root / "kit", "site": site, "python": env / "bin" / "python", "work": work}


def kit_run(kit: dict[str, Path], plugin: Path, out: Path, *extra: str) -> Result:
    proc = subprocess.run([str(kit["python"]), "-m", "harness", "run", "--plugin", str(plugin),
                           "--out", str(out), *extra], capture_output=True, text=True, cwd=kit["work"],
                          timeout=600)
    return Result(proc.returncode, proc.stdout, proc.stderr, out)


def _solution_lines() -> set[str]:
    """Lines of the reference's and the bundled plugins' function bodies found nowhere else."""
    lines: set[str] = set()
    for path in [*(ROOT / "reference").glob("*.py"), *(ROOT / "plugins").glob("*.py")]:
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                body = ast.get_source_segment(text, node) or ""
                lines |= {ln.strip() for ln in body.splitlines()[1:] if len(ln.strip()) >= 24
                          and not ln.strip().startswith(("#", '"', "'"))}
    shared = {ln.strip() for p in [*(ROOT / "harness").rglob("*.py"), *(ROOT / "contract").glob("*.py")]
              for ln in p.read_text().splitlines()}
    return lines - shared


def test_the_kit_holds_no_solution_code(kit: dict[str, Path]) -> None:
    installed = [p for p in kit["site"].rglob("*") if p.is_file() and "dist-info" not in p.parts[-2]]
    names = {p.relative_to(kit["site"]).parts[0] for p in installed}
    assert names <= {"harness", "tasks", "contract", "deps.pth", "bin"}, names
    assert not (kit["site"] / "reference").exists() and not (kit["site"] / "plugins").exists()
    assert sorted(p.name for p in (kit["site"] / "tasks").glob("*.py")) == ["__init__.py"]
    assert not (kit["site"] / "harness" / "speed").exists()
    solution = _solution_lines()
    assert len(solution) > 200  # the check has something to look for
    for path in installed:
        if path.suffix in (".py", ".toml", ".md", ".json"):
            text = {ln.strip() for ln in path.read_text(errors="replace").splitlines()}
            assert not solution & text, f"{path.name}: {sorted(solution & text)[:3]}"
        assert b"numba" not in path.read_bytes() or path.suffix != ".npz"


def test_the_kit_grades_a_correct_plugin_100(kit: dict[str, Path], tmp_path: Path) -> None:
    mine = kit["work"] / "mine.py"
    mine.write_text((ROOT / "plugins" / "numpy_plugin.py").read_text())
    res = kit_run(kit, mine, tmp_path / "out")
    assert res.code == 0, res.out + res.err
    assert res.out.splitlines()[0] == "kit: public cases only; hidden cases and speed are graded when you submit"
    summary = res.summary()
    assert summary["percent"] == 100.0 and not summary["speed"]
    kinds = set(res.cases()["kind"])
    assert kinds == {"lecture", "fixed", "boundary", "property"}  # no hidden case


def test_the_kit_and_the_full_harness_agree_on_every_public_case(kit: dict[str, Path], tmp_path: Path) -> None:
    buggy = PLUGINS / "buggy" / "_report_demo.py"
    in_kit = kit_run(kit, buggy, tmp_path / "kit")
    assert in_kit.code == 1, in_kit.out + in_kit.err
    full = run(buggy, tmp_path / "full", seed=0)  # the kit's cases are drawn with seed 0
    assert full.code == 1
    cols = ["task", "case_id", "outcome", "mistake"]
    mine = in_kit.cases()[cols].set_index(["task", "case_id"])
    theirs = full.cases()[cols].set_index(["task", "case_id"]).loc[mine.index]
    pd.testing.assert_frame_equal(mine[["outcome"]], theirs[["outcome"]])
    value_cases = in_kit.cases()["kind"] != "property"
    assert (mine["mistake"][value_cases.to_numpy()] == theirs["mistake"][value_cases.to_numpy()]).all()
    assert (mine["outcome"] == "fail").sum() > 20
    assert in_kit.cases()["message"].str.contains("known mistake").any()
