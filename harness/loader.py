"""Finding and loading plugins.

:func:`resolve` runs on the trusted side and imports nothing: it turns what
the user typed into a :class:`PluginSpec`. :func:`load` and
:func:`make_manager` run in the worker, the only process that imports a
plugin's code.

NAME is tried in this order: a bundled plugin, a path to a ``.py`` file, a
``.ipynb`` notebook (:mod:`harness.notebook`) or a package directory, an
installed package's entry point (group ``harness``), a dotted module
importable from the current directory.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import re
import sys
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pluggy

from harness import PROJECT, hookspecs

BUNDLED = {
    "reference": "plugins.reference_plugin",
    "numpy": "plugins.numpy_plugin",
    "python": "plugins.python_plugin",
    "torch": "plugins.torch_plugin",
}
if (Path(__file__).with_name("kit_cases.npz")).is_file():  # the student kit has no bundled plugins
    BUNDLED = {}
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class PluginError(Exception):
    """A plugin that cannot be used; the message is one line for the user."""


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
    if name in BUNDLED:
        return PluginSpec(name, "bundled", BUNDLED[name])
    path = (cwd / name).resolve()
    if path.is_file() and path.suffix == ".py":
        return PluginSpec(name, "file", str(path), str(path.parent))
    if path.is_file() and path.suffix == ".ipynb":
        from harness.notebook import NotebookError, check_notebook

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
    raise PluginError(f"unknown plugin {name!r}: not a bundled plugin ({', '.join(BUNDLED)}), "
                      "a .py file, a package directory, an entry point or a module name")


def available() -> list[tuple[str, str]]:
    """Plugins found without importing them: (name, where)."""
    found = [(name, f"bundled ({target})") for name, target in BUNDLED.items()]
    found += [(ep.name, f"entry point ({ep.value})") for ep in entry_points(group=PROJECT)]
    return found


def trusted_writable(spec: PluginSpec) -> list[Path]:
    """Extra writable directories for a worker: only the bundled reference's Numba cache."""
    if spec.kind == "bundled" and spec.name == "reference":
        from harness.course import reference_cache_dir

        base = reference_cache_dir()
        return [base] if base is not None else []
    return []


# --------------------------------------------------------------- worker side


def load(spec: PluginSpec) -> ModuleType:
    """Import the plugin's module (in the worker only)."""
    if spec.search_path and spec.search_path not in sys.path:
        sys.path.insert(0, spec.search_path)
    if spec.kind == "file":
        mod_name = "harness_plugin_" + re.sub(r"\W", "_", Path(spec.target).stem)
        file_spec = importlib.util.spec_from_file_location(mod_name, spec.target)
        if file_spec is None or file_spec.loader is None:
            raise PluginError(f"cannot load {spec.target}")
        module = importlib.util.module_from_spec(file_spec)
        sys.modules[mod_name] = module
        file_spec.loader.exec_module(module)
        return module
    if spec.kind == "notebook":
        from harness.notebook import load_notebook

        mod_name = "harness_plugin_" + re.sub(r"\W", "_", Path(spec.target).stem)
        return load_notebook(Path(spec.target), mod_name, Path.cwd())
    if spec.kind == "package":  # from its own folder: the folder around it may not be readable
        name, init = Path(spec.target).name, Path(spec.target) / "__init__.py"
        if name in sys.modules:
            return sys.modules[name]
        pkg_spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[spec.target])
        if pkg_spec is None or pkg_spec.loader is None:
            raise PluginError(f"cannot load {spec.target}")
        module = importlib.util.module_from_spec(pkg_spec)
        sys.modules[name] = module
        try:
            pkg_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    if spec.kind == "entry_point":
        obj = next(ep for ep in entry_points(group=PROJECT) if ep.value == spec.target).load()
        if not isinstance(obj, ModuleType):
            raise PluginError(f"entry point {spec.name} must name a module, not {type(obj).__name__}")
        return obj
    return importlib.import_module(spec.target)


def unknown_hooks(module: ModuleType) -> list[str]:
    """One message per function marked ``@hookimpl`` whose name is no hook."""
    hooks = hookspecs.hook_names()
    out = []
    for attr, obj in vars(module).items():
        opts = getattr(obj, f"{PROJECT}_impl", None)
        if opts is None or not callable(obj):
            continue
        name = opts.get("specname") or attr
        if name not in hooks:
            near = difflib.get_close_matches(name, hooks, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            out.append(f"{name!r} is marked @hookimpl but is no hook of the contract{hint}")
    return out


def unmarked_hooks(module: ModuleType) -> list[str]:
    """Functions named like a hook that lack ``@hookimpl`` (a note, not an error)."""
    return [name for name in hookspecs.hook_names()
            if inspect.isfunction(getattr(module, name, None))
            and getattr(getattr(module, name), f"{PROJECT}_impl", None) is None]


def make_manager(module: ModuleType) -> pluggy.PluginManager:
    """A plugin manager with the contract and this one plugin, validated."""
    problems = unknown_hooks(module)
    if problems:
        raise PluginError(problems[0])
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(module)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(" ".join(str(exc).split())) from exc
    return pm


def implemented(pm: pluggy.PluginManager) -> dict[str, object]:
    """Hook name -> the plugin's function, for the hooks it implements."""
    out = {}
    for name in hookspecs.hook_names():
        impls = getattr(pm.hook, name).get_hookimpls()
        if impls:
            out[name] = impls[-1].function
    return out
