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
