"""Documentation generated from the hookspecs stays in step with them."""

from __future__ import annotations

import ast
from pathlib import Path

from harness import course
from harness.loading.template import render, render_docs

ROOT = Path(__file__).resolve().parents[1]


def test_hooks_md_is_generated_from_the_hookspecs() -> None:
    assert (ROOT / "docs" / "hooks.md").read_text() == render_docs(), \
        "run: python -m harness.loading.template > docs/hooks.md"


def test_every_hookspec_documents_args_returns_and_slide() -> None:
    for name in course.hook_names():
        doc = getattr(course.contract(), name).__doc__
        assert "Slide:" in doc and "Returns:" in doc, name
        assert "Args:" in doc, name


def test_template_stubs_every_hook_with_its_documentation() -> None:
    source = render("mine.py")
    compile(source, "mine.py", "exec")
    for name in course.hook_names():
        assert f"def {name}(" in source
    assert source.count("raise NotImplementedError") == 30


def rooms() -> str:
    """The rooms table of docs/architecture.md: every folder and module of harness/, its docstring's first line.

    Folders in the order of the stages (tests/test_lint.py, ``LAYERS``), each
    folder's own docstring first; then the top-level modules.
    """
    from test_lint import LAYERS, module_names, stage

    def first_line(path: Path) -> str:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        return doc.splitlines()[0].replace("|", "\\|") if doc else ""

    modules = module_names()
    rows = ["| folder | module | what it is |", "|---|---|---|"]
    top = []
    for names in LAYERS:
        for name in names:
            members = sorted((m for m in modules if m.count(".") >= 1 and stage(m) == name),
                             key=lambda m: (m.count("."), m))
            if members and members[0] == f"harness.{name}" and modules[members[0]].name == "__init__.py":
                folder = f"`harness/{name}/`"
                rows.append(f"| {folder} | | {first_line(modules[members[0]])} |")
                rows += [f"| {folder} | `{modules[m].name}` | {first_line(modules[m])} |" for m in members[1:]]
            else:
                top += [m for m in (f"harness.{name}" if name != "harness" else "harness",) if m in modules]
    rows += [f"| `harness/` | `{modules[m].name}` | {first_line(modules[m])} |" for m in top]
    return "\n".join(rows)


def test_architecture_md_shows_every_room_with_its_own_docstring() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    generated = page.split("-->\n", 1)[1].split("\n<!-- end of rooms -->", 1)[0] if "<!-- rooms" in page else ""
    assert generated == rooms(), "run: python tests/test_docs.py, and paste the table into docs/architecture.md"


def test_architecture_md_names_the_worker_files_and_the_stage_order() -> None:
    from test_lint import LAYERS

    from harness.sandbox.confine import WORKER_FILES

    page = (ROOT / "docs" / "architecture.md").read_text()
    files = ", ".join(f"`harness/{f}{'/' if not f.endswith('.py') else ''}`" for f in WORKER_FILES)
    assert f"worker files: {files}." in page
    order = ", ".join(s for names in LAYERS for s in names if s not in ("__main__", "hookspecs", "harness"))
    assert f"in this order (`tests/test_lint.py`, `LAYERS`): {order}." in " ".join(page.split())


if __name__ == "__main__":
    print(rooms())
