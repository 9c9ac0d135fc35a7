"""The code base stays ruff clean (the rules are in pyproject.toml)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _harness_imports() -> dict[str, set[str]]:
    """Each module of harness/ and the harness modules it imports (anywhere in it)."""
    graph: dict[str, set[str]] = {}
    modules = {p.stem for p in (ROOT / "harness").glob("*.py")}
    for path in (ROOT / "harness").glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                name = ("harness." + (node.module or "")).rstrip(".") if node.level else node.module or ""
                if name == "harness":
                    deps |= {a.name for a in node.names if a.name in modules}
                elif name.startswith("harness."):
                    deps.add(name.split(".")[1])
            elif isinstance(node, ast.Import):
                deps |= {a.name.split(".")[1] for a in node.names if a.name.startswith("harness.")}
        graph[path.stem] = deps - {path.stem}
    return graph


def test_no_module_of_the_harness_imports_itself_back() -> None:
    graph = _harness_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    circles = sorted(m for m in graph if reaches(m, m, {m}))
    assert circles == [], f"modules on an import circle: {circles}"


def test_the_engine_reaches_the_course_through_one_seam() -> None:
    """Only harness/course.py imports the course's packages (tasks, reference, plugins)."""
    course = {"tasks", "reference", "plugins"}
    found = []
    for path in sorted((ROOT / "harness").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in course]
    assert found == [], found
