"""Notebook submissions on the trusted side: checked and located, never run.

``harness run --plugin mine.ipynb`` reads the notebook here (:func:`check_notebook`,
its notes on dropped IPython lines) and, after grading, says in which cell each
failing hook is defined (:func:`locate_failures`). The reading itself is shared
with the worker, which runs the cells (:mod:`harness.worker.notebook`).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from harness.worker.notebook import SUFFIX, NotebookError, code_cells, display_name

__all__ = ["SUFFIX", "NotebookError", "check_notebook", "hook_cells", "locate_failures", "notes"]


def notes(path: Path) -> list[str]:
    """One note per cell whose IPython lines were dropped."""
    out = []
    for cell in code_cells(path):
        if cell.dropped:
            where = ", ".join(map(str, cell.dropped[:5])) + ("..." if len(cell.dropped) > 5 else "")
            what = "line" if len(cell.dropped) == 1 else "lines"
            out.append(f"{display_name(path, cell.number)}: IPython magics and shell escapes are not "
                       f"run ({what} {where} dropped)")
    return out


def check_notebook(path: Path) -> list[str]:
    """Trusted side: read the notebook (no cell is run); its notes. Raises NotebookError."""
    return notes(path)


def hook_cells(path: Path) -> dict[str, str]:
    """Trusted side: function name -> "mine.ipynb, cell 3, line 2" where it is defined (last one wins)."""
    where: dict[str, str] = {}
    for cell in code_cells(path):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                where[node.name] = f"{display_name(path, cell.number)}, line {node.lineno}"
    return where


def locate_failures(cases: Any, path: Path) -> None:
    """Add where the hook is defined to the message of each case that did not pass.

    (An exception's traceback already names the cell; a wrong value says
    which cell to look at.) ``cases`` is a run's cases frame, changed in place.
    """
    where = hook_cells(path)
    bad = cases["outcome"] != "pass"
    for i in cases.index[bad]:
        hook = cases.at[i, "task"]
        if hook in where and where[hook].rsplit(", line", 1)[0] not in str(cases.at[i, "message"]):
            message = str(cases.at[i, "message"] or "")
            cases.at[i, "message"] = f"{message} [{hook} is in {where[hook]}]".lstrip()
