"""A look at a plugin's source before it runs: uses of the grading code, flagged for the notes.

Runs on the trusted side and only parses (``ast``), never imports. It is a
warning for the instructor and the student; what stops a plugin is the
confinement (:mod:`harness.sandbox.confine`) and the worker's refusal to import the
grading code, which hold whatever this look misses.
"""

from __future__ import annotations

import ast
from pathlib import Path

from harness import course
from harness.loading.plugins import PluginSpec, plugin_paths

MAX_FILES, MAX_BYTES, MAX_FINDINGS = 200, 1 << 20, 10
#: The harness modules a plugin may import (the hook marker and the contract).
ALLOWED_HARNESS = {"harness", "harness.hookspecs"}
DYNAMIC = {"__import__", "import_module", "spec_from_file_location", "SourceFileLoader",
           "run_path", "run_module", "exec", "eval", "compile"}
PLACES = ("/proc", "/etc", "/root", "/home", "..")
#: Ways into the harness's own objects in the worker (its timing loop runs in the plugin's process).
INTROSPECTION = {"get_objects", "get_referrers", "_getframe", "settrace", "setprofile"}
#: Ways from an argument to the memory around it: in a timed call, the other calls' inputs (README "Speed").
AROUND = {"base", "__array_interface__", "__array_struct__", "as_strided", "ctypes", "ctypeslib", "mmap",
          "data_ptr"}


def _what(module: str) -> str:
    top = module.split(".")[0]
    forbidden = course.forbidden()
    if top in forbidden:
        return f"imports {module} ({forbidden[top]}): not allowed"
    if top == "harness" and module not in ALLOWED_HARNESS:
        return f"imports {module} (the harness's grading code): not allowed"
    return ""


def _around(name: str, shown: str = "") -> str:
    """The note for an attribute ``name`` that leads to the memory around an argument."""
    if name in AROUND:
        return (f"uses {shown or name}: a way to the memory around an argument (in a timed call: the other "
                f"calls' inputs)")
    return ""


def _imported_around(dotted: str) -> str:
    """The same for an imported module or name (its last part; a module of one's own called base is none)."""
    last = dotted.rpartition(".")[2]
    return _around(last) if last != "base" else ""


def _module_name(text: str) -> str:
    if text == "__main__" or (text.startswith("harness.") and text not in ALLOWED_HARNESS):
        return f"names the harness's module {text!r} (its grading and timing code): not allowed"
    return ""


def _path_use(text: str) -> str:
    parts = text.replace("\\", "/").split("/")
    forbidden = course.forbidden()
    if len(parts) > 1 and any(p in forbidden or p == "harness" for p in parts):
        return f"names a path into the grading code ({text[:60]!r}): not allowed"
    if text.startswith(PLACES) and "/" in text:
        return f"names a path outside its own folder ({text[:60]!r}): not readable when it runs"
    return ""


def findings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every use of the grading code, dynamic import or outside path in ``tree``."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        what = ""
        if isinstance(node, ast.Import):
            what = next(filter(None, (_what(a.name) or _imported_around(a.name) for a in node.names)), "")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
            what = _what(node.module) or next(
                filter(None, (_what(name) for name in names
                              if node.module == "harness" and name.split(".")[-1] not in ("hookimpl", "hookspecs"))),
                "") or next(filter(None, map(_imported_around, [node.module, *names])), "")
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            if name in DYNAMIC:
                what = f"{name}(): dynamic import or execution, checked when it runs"
            elif name in INTROSPECTION:
                what = f"{name}(): reaches into the interpreter's objects (the harness's own included)"
        elif isinstance(node, ast.Attribute) and node.attr == "__file__":
            what = "reads a module's __file__: the folders beside the plugin's own are not readable"
        elif isinstance(node, ast.Attribute):
            what = _around(node.attr, f".{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 4096:
            what = _module_name(node.value) or _path_use(node.value)
        if what:
            out.append((line, what))
    return sorted(set(out))


def check_plugin(spec: PluginSpec) -> list[str]:
    """One note per finding in the plugin's own source files (none for a bundled plugin)."""
    paths = [Path(spec.target)] if spec.kind == "file" else plugin_paths(spec)
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.py"))[:MAX_FILES] if path.is_dir() else [path]
    notes: list[str] = []
    for path in files:
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the worker's import says what is wrong with it
        notes += [f"source check: {path.name} line {line}: {what}" for line, what in findings(tree)]
    if len(notes) > MAX_FINDINGS:
        notes = [*notes[:MAX_FINDINGS], f"source check: {len(notes) - MAX_FINDINGS} more findings"]
    return notes
