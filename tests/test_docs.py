"""Documentation generated from the hookspecs stays in step with them."""

from __future__ import annotations

from pathlib import Path

from harness import hookspecs
from harness.template import render, render_docs

ROOT = Path(__file__).resolve().parents[1]


def test_hooks_md_is_generated_from_the_hookspecs() -> None:
    assert (ROOT / "docs" / "hooks.md").read_text() == render_docs(), \
        "run: python -m harness.template > docs/hooks.md"


def test_every_hookspec_documents_args_returns_and_slide() -> None:
    for name in hookspecs.hook_names():
        doc = getattr(hookspecs, name).__doc__
        assert "Slide:" in doc and "Returns:" in doc, name
        assert "Args:" in doc, name


def test_template_stubs_every_hook_with_its_documentation() -> None:
    source = render("mine.py")
    compile(source, "mine.py", "exec")
    for name in hookspecs.hook_names():
        assert f"def {name}(" in source
    assert source.count("raise NotImplementedError") == 30


def test_architecture_md_lists_every_module_with_its_own_docstring() -> None:
    import ast
    import re

    from harness.confine import WORKER_MODULES

    page = (ROOT / "docs" / "architecture.md").read_text()
    rows = dict(re.findall(r"^\| [^|]+ \| `(\w+)` \| (.+) \|$", page, flags=re.M))
    modules = sorted(p.stem for p in (ROOT / "harness").glob("*.py"))
    assert sorted(rows) == modules
    for name in modules:
        doc = ast.get_docstring(ast.parse((ROOT / "harness" / f"{name}.py").read_text())) or ""
        assert rows[name].replace("\\|", "|") == doc.splitlines()[0], name
    assert "worker modules: " + ", ".join(f"`{m}`" for m in WORKER_MODULES) + "." in page
