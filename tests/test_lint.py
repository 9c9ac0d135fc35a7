"""The code base stays ruff clean, and ``harness/`` keeps its shape.

The shape (docs/architecture.md): stages that import one way only
(:data:`LAYERS`), no import circle, a worker package that imports nothing of
the harness but the channel, one seam to the course, and no module of the
engine that names a hook of Lecture 1. Each check is a function of the source
tree, so that it can be pointed at a broken tree to see it fail.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "harness"

#: The stages of ``harness/``, first the one that imports the others: a module may import a
#: module of its own layer or of a layer below its own, never above. (The stage of a module is
#: its subpackage, or for a top-level module the module itself.)
LAYERS: list[tuple[str, ...]] = [
    ("cli", "__main__"),
    ("batch",),
    ("reports",),
    ("speed",),
    ("grading",),
    ("sandbox",),
    ("loading",),
    ("course", "hookspecs"),
    ("worker",),
    ("codec", "harness"),
]
#: What the worker package may import of the harness besides itself: the hook markers, the channel.
WORKER_MAY_IMPORT = {"harness", "harness.codec"}
#: Hooks of Lecture 1 whose names are ordinary words: flagged where code names them (a name, or a
#: string that is just the word), not in prose ("the cost of the channel", "in step").
WORDS = {"step", "cost"}


def module_names(root: Path = HARNESS) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(node: ast.AST, module: str, is_package: bool, known: dict[str, Path]) -> list[str]:
    """The dotted names an import statement brings in (submodules when they are modules of ours)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph(root: Path = HARNESS) -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports (anywhere in it but
    under ``if TYPE_CHECKING:``)."""
    known = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        deps: set[str] = set()
        tree = ast.parse(path.read_text())
        hints = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                 and ast.unparse(block.test) == "TYPE_CHECKING" for stmt in block.body for n in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in hints:  # imported for type hints only
                continue
            for target in _imported(node, name, path.name == "__init__.py", known):
                while target and target not in known:  # harness.grading.model.Verdict -> the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[str]:
    """The modules that reach themselves through their imports."""

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    return sorted(m for m in graph if reaches(m, m, {m}))


def stage(module: str) -> str:
    """``harness.grading.runner`` -> ``grading``; ``harness.codec`` -> ``codec``; ``harness`` -> ``harness``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def backward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a stage above the importing one, or of a stage :data:`LAYERS` does not know."""
    layer = {s: i for i, names in enumerate(LAYERS) for s in names}
    out = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = stage(module), stage(dep)
            if a not in layer or b not in layer or layer[a] > layer[b]:
                out.append(f"{module} -> {dep}")
    return out


def worker_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports of the worker package that are neither its own modules nor :data:`WORKER_MAY_IMPORT`."""
    return [f"{m} -> {d}" for m, deps in sorted(graph.items()) if stage(m) == "worker" and m != "harness"
            for d in sorted(deps) if stage(d) != "worker" and d not in WORKER_MAY_IMPORT]


def course_imports(root: Path, course_packages: set[str]) -> list[str]:
    """Imports of the course's packages anywhere in the package at ``root`` (the seam imports by name)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.relative_to(root.parent)}: {n}" for n in names if n.split(".")[0] in course_packages]
    return found


def hook_mentions(root: Path, hooks: list[str], words: set[str] = WORDS) -> list[str]:
    """Where the package at ``root`` names a hook: in code, strings, comments or docstrings.

    A hook whose name is an ordinary word (``words``) counts only as a name in
    the code or as a string that is just that word.
    """
    distinct = [h for h in hooks if h not in words]
    anywhere = re.compile(r"\b(" + "|".join(map(re.escape, distinct)) + r")\b") if distinct else None
    found = []
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root.parent)
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            text = tok.string
            if tok.type == tokenize.NAME and text in hooks:
                found.append(f"{where}:{tok.start[0]}: {text}")
            elif tok.type in (tokenize.STRING, tokenize.COMMENT) or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
                if (bare := text.strip("'\"rbuf")) in hooks:
                    found.append(f"{where}:{tok.start[0]}: {bare}")
                elif anywhere is not None and (m := anywhere.search(text)):
                    found.append(f"{where}:{tok.start[0]}: {m.group(1)}")
    return found


def lecture1_hooks() -> list[str]:
    """The hooks of Lecture 1's contract, read from its source (not through the engine)."""
    tree = ast.parse((ROOT / "contract" / "__init__.py").read_text())
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
            and any("hookspec" in ast.unparse(d) for d in n.decorator_list)]


# ------------------------------------------------------------------------ tests


def test_ruff_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_module_of_the_harness_imports_itself_back() -> None:
    assert circles(import_graph()) == [], "modules on an import circle"


def test_stages_import_one_way_only() -> None:
    """cli -> batch -> reports -> speed -> grading -> sandbox -> loading -> course -> worker -> codec."""
    assert backward_imports(import_graph()) == []


def test_the_worker_imports_nothing_of_the_harness_but_the_channel() -> None:
    graph = import_graph()
    assert any(stage(m) == "worker" for m in graph)
    assert worker_imports(graph) == []


def test_the_engine_reaches_the_course_through_one_seam() -> None:
    """No module of harness/ imports a package of the course (tasks, reference, plugins, contract)."""
    assert course_imports(HARNESS, {"tasks", "reference", "plugins", "contract"}) == []


def test_no_module_of_the_harness_names_a_hook_of_lecture_1() -> None:
    hooks = lecture1_hooks()
    assert len(hooks) == 30 and "sigmoid" in hooks and "step" in hooks
    assert hook_mentions(HARNESS, hooks) == []


# -------------------------------------------------- the checks fail where they should


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "harness"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "__init__.py": '"""Doc: the sigmoid."""\n',
        "codec.py": "",
        "cli/__init__.py": "",
        "cli/main.py": "from harness.grading import runner\n",
        "grading/__init__.py": "",
        "grading/runner.py": "from harness.cli.main import x\nimport tasks.build\n",
        "grading/plots.py": 'CURVES = {"mlp_train": 1}\nfor step in []:\n    pass  # the cost of it\nwhat = "cost"\n',
        "worker/__init__.py": "",
        "worker/serve.py": "from harness import codec\nfrom harness.grading import model\n",
    })
    graph = import_graph(root)
    assert circles(graph) == ["harness.cli.main", "harness.grading.runner"]
    assert backward_imports(graph) == ["harness.grading.runner -> harness.cli.main",
                                       "harness.worker.serve -> harness.grading"]
    assert worker_imports(graph) == ["harness.worker.serve -> harness.grading"]
    assert course_imports(root, {"tasks"}) == ["harness/grading/runner.py: tasks.build"]
    found = hook_mentions(root, ["sigmoid", "mlp_train", "step", "cost"])
    assert [f.split(": ", 1)[1] for f in found] == ["sigmoid", "mlp_train", "step", "cost"]


@pytest.mark.parametrize("old", ["plots.py", "__init__.py"])
def test_the_hook_check_fails_on_the_flat_harness_of_before(tmp_path: Path, old: str) -> None:
    """harness/plots.py named the training tasks, the package's docstring a hook, before issue 15."""
    before = {"plots.py": 'CURVES = {"linear_regression_fit": (2, "cost"), "mlp_train": (1, "cost")}\n',
              "__init__.py": '"""Plugins mark hooks::\n\n    @hookimpl\n    def sigmoid(z):\n        ...\n"""\n'}
    root = _tree(tmp_path, {old: before[old]})
    assert hook_mentions(root, lecture1_hooks())
