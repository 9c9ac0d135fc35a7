"""``harness new``: a student template generated from the course's contract (a ``.py`` file or a notebook).

Every hook is stubbed with its hookspec's signature and docstring; a stub
raises ``NotImplementedError``, which the harness grades "not implemented".
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from harness import course

HEADER = '''"""My Lecture 1 plugin.

Fill in the hooks below, then grade it:

    harness run --plugin {filename}

A hook that still raises NotImplementedError is graded "not implemented".
Arrays are float64 NumPy arrays and samples are columns (see each docstring).
Use NumPy, Numba, PyTorch, any library and your own files in this folder; the
reference, the bundled plugins and the harness's tasks are not allowed (and not
readable while grading).
"""

from __future__ import annotations

import numpy as np  # noqa: F401

from harness import hookimpl
'''


def hook_doc(name: str) -> str:
    return inspect.getdoc(getattr(course.contract(), name)) or ""


def hook_summary(name: str) -> str:
    return hook_doc(name).splitlines()[0] if hook_doc(name) else ""


def hook_slide(name: str) -> str:
    """The ``Slide:`` paragraph of a hook's docstring, on one line."""
    doc = hook_doc(name)
    if "Slide:" not in doc:
        return ""
    para = doc.split("Slide:", 1)[1].split("\n\n", 1)[0]
    return " ".join(para.split())


def stub(name: str) -> str:
    fn = getattr(course.contract(), name)
    sig = inspect.signature(fn)
    doc = textwrap.indent(hook_doc(name), "    ")
    return f'\n\n@hookimpl\ndef {name}{sig}:\n    """{doc.strip()}\n    """\n    raise NotImplementedError\n'


def render(filename: str) -> str:
    return HEADER.format(filename=filename) + "".join(stub(n) for n in course.hook_names())


def render_notebook(filename: str) -> str:
    """``harness new NAME --notebook``: the template as a notebook, a cell per hook."""
    import nbformat

    head_doc, imports = HEADER.split('"""\n\n', 1)[0].strip('"\n'), HEADER.split('"""\n\n', 1)[1]
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(head_doc.replace("harness run --plugin", "`harness run --plugin")
                                                  .replace(filename, f"{filename}`", 1)))
    nb.cells.append(nbformat.v4.new_code_cell(imports.strip()))
    nb.cells += [nbformat.v4.new_code_cell(stub(name).strip()) for name in course.hook_names()]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb)


def render_docs() -> str:
    """``docs/hooks.md``: every hook's documentation, from its hookspec."""
    contract = course.contract()
    where = Path(contract.__file__)
    where = where.relative_to(where.parents[contract.__name__.count(".") + (where.name == "__init__.py")])
    parts = ["# The hooks of the contract\n\n",
             f"Generated from `{where.as_posix()}` by "
             "`python -m harness.loading.template > docs/hooks.md`; "
             "a test keeps it in step. A plugin implements any subset of these functions, each marked "
             "`@hookimpl` (`from harness import hookimpl`), with the same name and argument names.\n\n",
             "| hook | what it computes | slide |\n|---|---|---|\n"]
    for name in course.hook_names():
        sig = inspect.signature(getattr(contract, name))
        parts.append(f"| `{name}{sig}` | {hook_summary(name)} | {hook_slide(name)} |\n")
    for name in course.hook_names():
        sig = inspect.signature(getattr(contract, name))
        parts.append(f"\n## `{name}{sig}`\n\n```text\n{hook_doc(name)}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(render_docs(), end="")
