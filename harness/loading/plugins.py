"""Finding plugins: NAME -> :class:`PluginSpec`, on the trusted side, without importing anything.

NAME is tried in this order: a bundled plugin of the course, a path to a
``.py`` file, a ``.ipynb`` notebook (:mod:`harness.loading.notebook`) or a
package directory, an installed package's entry point (group ``harness``), a
dotted module importable from the current directory. The spec travels to the
worker as JSON; importing the plugin is the worker's (:mod:`harness.worker.plugin`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path

from harness import PROJECT, course
from harness.worker.plugin import PluginError

__all__ = ["PluginError", "PluginSpec", "available", "plugin_paths", "resolve", "trusted_writable"]

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class PluginSpec:
    name: str  # what the user typed
    kind: str  # bundled | file | notebook | package | entry_point | module
    target: str  # dotted module, "module:attr", or an absolute path
    search_path: str = ""  # directory put first on sys.path in the worker

    @property
    def label(self) -> str:
        """A short id for reports: the file or package name, else NAME."""
        if self.kind in ("file", "package", "notebook"):
            return Path(self.target).stem
        return self.name

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def resolve(name: str, cwd: Path | None = None) -> PluginSpec:
    """Turn NAME into a spec, without importing anything. Raises PluginError."""
    cwd = Path.cwd() if cwd is None else cwd
    bundled = course.bundled()
    if name in bundled:
        return PluginSpec(name, "bundled", bundled[name])
    path = (cwd / name).resolve()
    if path.is_file() and path.suffix == ".py":
        return PluginSpec(name, "file", str(path), str(path.parent))
    if path.is_file() and path.suffix == ".ipynb":
        from harness.loading.notebook import NotebookError, check_notebook

        try:
            check_notebook(path)
        except NotebookError as exc:
            raise PluginError(str(exc)) from None
        return PluginSpec(name, "notebook", str(path), str(path.parent))
    if path.is_dir():
        if not (path / "__init__.py").is_file():
            raise PluginError(f"plugin directory {name} is not a package (it has no __init__.py)")
        return PluginSpec(name, "package", str(path), str(path.parent))
    if name.endswith((".py", ".ipynb")) or "/" in name:
        raise PluginError(f"no such plugin file: {name}")
    for ep in entry_points(group=PROJECT):
        if ep.name == name:
            return PluginSpec(name, "entry_point", ep.value)
    if _DOTTED.match(name):
        return PluginSpec(name, "module", name, str(cwd))
    raise PluginError(f"unknown plugin {name!r}: not a bundled plugin ({', '.join(bundled)}), "
                      "a .py file, a package directory, an entry point or a module name")


def available() -> list[tuple[str, str]]:
    """Plugins found without importing them: (name, where)."""
    found = [(name, f"bundled ({target})") for name, target in course.bundled().items()]
    found += [(ep.name, f"entry point ({ep.value})") for ep in entry_points(group=PROJECT)]
    return found


def trusted_writable(spec: PluginSpec) -> list[Path]:
    """Extra writable directories for a worker: only the bundled reference's Numba cache."""
    if spec.kind == "bundled" and spec.name == course.REFERENCE_PLUGIN:
        base = course.reference_cache_dir()
        return [base] if base is not None else []
    return []


def plugin_paths(spec: PluginSpec) -> list[Path]:
    """The plugin's own files: a file's folder (its helper modules), or its package folder.

    (``harness grade`` gives every submission a folder of its own.)
    """
    if spec.kind in ("file", "notebook"):
        return [Path(spec.target).parent]
    if spec.kind == "package":
        return [Path(spec.target)]
    if spec.kind == "module" and spec.search_path:
        top = spec.target.split(".")[0]
        base = Path(spec.search_path)
        return [p for p in (base / f"{top}.py", base / top) if p.exists()]
    return []  # an entry point lives in site-packages
