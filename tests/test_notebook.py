"""Notebook submissions (``.ipynb``) through the command line, under the worker's isolation."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
from clirun import harness, run

IMPORTS = """%matplotlib inline
import numpy as np
from numba import njit
from harness import hookimpl
!pip install something-we-never-run
"""
SIGMOID = """@njit(cache=True)
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

@hookimpl
def sigmoid(z):
    return _sigmoid(np.asarray(z, dtype=np.float64))
"""
RELU = """@hookimpl
def relu(z):
    z = np.asarray(z, dtype=np.float64)
    %time _ = 1
    return np.maximum(z, 0.0)
"""
BAD_SIGMOID = """@hookimpl
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=np.float64)))
"""
RAISING_RELU = """@hookimpl
def relu(z):
    shape = np.shape(z)
    raise ValueError(f"not yet: {shape}")
"""


def notebook(path: Path, *cells: str, escape: Path | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# My plugin"))
    for source in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.v4.new_output("stream", text="stale output, never read")]
        nb.cells.append(cell)
    if escape is not None:  # a cell that tries to write beside the notebook, at import
        nb.cells.append(nbformat.v4.new_code_cell(
            f"try:\n    open({str(escape)!r}, 'w').write('x')\nexcept OSError:\n    pass\n"))
    nb.cells.append(nbformat.v4.new_code_cell("%%bash\necho a cell magic is dropped whole"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_notebook_grades_like_the_same_code_in_a_py(tmp_path: Path) -> None:
    escape = tmp_path / "subs" / "escaped.txt"
    nb = notebook(tmp_path / "subs" / "mine.ipynb", IMPORTS, SIGMOID, RELU, escape=escape)
    res = run(nb, tmp_path / "nb", "--tasks", "sigmoid,relu")
    assert res.code == 0, res.out + res.err
    assert res.summary()["percent"] == 100.0
    assert "mine.ipynb, cell 2: IPython magics and shell escapes are not run (lines 1, 5 dropped)" in res.out
    assert "mine.ipynb, cell 4: IPython magics and shell escapes are not run (line 4 dropped)" in res.out
    assert not escape.exists()  # the same write confinement as a .py
    py = tmp_path / "subs" / "mine_py.py"
    py.write_text("\n".join(ln for src in (IMPORTS, SIGMOID, RELU) for ln in src.splitlines()
                            if not ln.lstrip().startswith(("%", "!"))))
    as_py = run(py, tmp_path / "py", "--tasks", "sigmoid,relu")
    assert as_py.code == 0, as_py.out + as_py.err
    cols = ["task", "case_id", "outcome"]
    pd.testing.assert_frame_equal(res.cases()[cols], as_py.cases()[cols])


def test_a_failing_notebook_case_points_at_the_cell_and_line(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "mine.ipynb", IMPORTS, BAD_SIGMOID, RAISING_RELU)
    res = run(nb, tmp_path / "out", "--tasks", "sigmoid,relu")
    assert res.code == 1, res.out + res.err
    cases = res.cases()
    relu = cases.query("task == 'relu' and kind != 'hidden'")["message"]
    assert len(relu) and relu.str.contains('File "mine.ipynb, cell 4", line 4, in relu', regex=False).all()
    assert relu.str.contains("ValueError: not yet").all()
    hidden = cases.query("task == 'relu' and kind == 'hidden'")["message"]  # no plugin text, the line only
    assert len(hidden) and hidden.str.contains("ValueError at line 4").all()
    assert not hidden.str.contains("not yet").any()
    sigmoid = cases.query("task == 'sigmoid' and outcome == 'fail'")["message"]
    assert len(sigmoid) and sigmoid.str.contains("[sigmoid is in mine.ipynb, cell 3, line 2]",
                                                 regex=False).all()


def test_new_notebook_template_grades_not_implemented(tmp_path: Path) -> None:
    proc = harness("new", "mine", "--notebook", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(tmp_path / "mine.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 31 and "def sigmoid(z" in "".join(c.source for c in code)
    res = run(tmp_path / "mine.ipynb", tmp_path / "out", "--tasks", "sigmoid,mlp_train")
    assert res.code == 1
    assert set(res.cases()["outcome"]) == {"not implemented"}
    again = harness("new", "mine", "--notebook", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr


def test_an_unreadable_notebook_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    proc = harness("run", "--plugin", str(tmp_path / "broken.ipynb"), "--no-speed", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "cannot read notebook broken.ipynb" in proc.stderr


def test_grade_takes_notebooks_and_zipped_notebooks(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    notebook(subs / "alice.ipynb", IMPORTS, SIGMOID, RELU)
    inner = notebook(tmp_path / "bob" / "work.ipynb", IMPORTS, BAD_SIGMOID, RELU)
    with zipfile.ZipFile(subs / "bob.zip", "w") as zf:
        zf.write(inner, "bob/work.ipynb")
    out = tmp_path / "out"
    proc = harness("grade", str(subs), "--out", str(out), "--no-speed", "--tasks", "sigmoid,relu",
                   "--seed", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    grades = pd.read_csv(out / "grades.csv", keep_default_na=False).set_index("submission")
    assert grades.loc["alice", "percent"] == 100.0
    assert 0 < grades.loc["bob", "percent"] < 100.0
    summary = json.loads(next(out.glob("**/alice/summary.json")).read_text())
    assert summary["plugin_source"].endswith("alice.ipynb")
