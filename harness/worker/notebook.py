"""Jupyter notebooks as plugins: reading their code cells, and running them in the worker.

A notebook is read with nbformat; only its code cells count, their outputs
are ignored. IPython syntax that is no Python (``%magic``, ``%%cell magic``,
``!shell``, ``x = !cmd``, ``obj?``) is dropped with a note. Reading and
converting (:func:`code_cells`) is plain data handling, so the trusted side
uses it too (:mod:`harness.loading.notebook`, which never executes a cell);
the worker (:func:`load_notebook`) writes each cell to a file of its own in
its scratch directory and executes them in order in one module, so that a
traceback points at the cell and line (``mine.ipynb, cell 3, line 2``) and
Numba's ``cache=True`` finds a real source file.

Cells are numbered from 1 in the order they appear in the notebook, markdown
cells included (what a reader counts when scrolling).
"""

from __future__ import annotations

import ast
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIX = ".ipynb"
_MAGIC = re.compile(r"^\s*(%|!)|^\s*[\w.,\s\[\]]+=\s*(%|!)|^[^#'\"]*\?\s*$")
#: Worker side: source file written for a cell -> what tracebacks call it.
DISPLAY_NAMES: dict[str, str] = {}


class NotebookError(Exception):
    """A notebook that cannot be read; the message is one line."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based position in the notebook
    source: str  # Python, IPython lines replaced by ``pass``
    dropped: tuple[int, ...]  # lines (1-based) that were IPython syntax


def read(path: Path) -> Any:
    import nbformat

    try:
        with open(path, encoding="utf-8") as f:
            return nbformat.read(f, as_version=4)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise NotebookError(f"cannot read notebook {path.name}: {type(exc).__name__}: "
                            f"{' '.join(str(exc).split())[:300]}") from None


def code_cells(path: Path) -> list[Cell]:
    """The notebook's code cells as Python (a whole ``%%`` cell magic becomes empty)."""
    cells = []
    for number, cell in enumerate(read(path).cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        lines = str(cell.get("source", "")).splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            cells.append(Cell(number, "\n" * len(lines), tuple(range(1, len(lines) + 1))))
            continue
        out, dropped = [], []
        for i, line in enumerate(lines, start=1):
            if _MAGIC.search(line) and not _is_python(line):
                indent = line[: len(line) - len(line.lstrip())]
                out.append(f"{indent}pass")
                dropped.append(i)
            else:
                out.append(line)
        cells.append(Cell(number, "\n".join(out) + "\n", tuple(dropped)))
    return cells


def _is_python(line: str) -> bool:
    """Whether ``line`` parses as Python on its own (``a = b % c`` is no magic)."""
    try:
        ast.parse(line.strip())
    except SyntaxError:
        return False
    return True


def display_name(path: Path, cell: int) -> str:
    return f"{path.name}, cell {cell}"


def load_notebook(path: Path, module_name: str, workdir: Path) -> types.ModuleType:
    """Worker side: run the notebook's code cells, in order, as one module."""
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module
    cell_dir = workdir / f"notebook-{module_name}"
    cell_dir.mkdir(parents=True, exist_ok=True)
    for cell in code_cells(path):
        file = cell_dir / f"cell{cell.number}.py"
        file.write_text(cell.source, encoding="utf-8")
        DISPLAY_NAMES[str(file)] = display_name(path, cell.number)
        code = compile(cell.source, str(file), "exec")
        exec(code, module.__dict__)  # noqa: S102 (the worker is where plugin code runs)
    return module
