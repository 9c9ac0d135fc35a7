"""Importing the plugin and checking it against the contract: in the worker, the only process that imports it.

The grading side has turned what the user typed into a plugin spec without
importing anything (:mod:`harness.loading.plugins`); its fields arrive here as
plain JSON: ``kind`` (bundled, file, notebook, package, entry_point or
module), ``target`` (a dotted module, ``module:attr`` or an absolute path),
``search_path`` (put first on ``sys.path``) and ``name`` (what the user typed).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pluggy

from harness import PROJECT
from harness.worker.contract import exec_file, hook_names


class PluginError(Exception):
    """A plugin that cannot be used; the message is one line for the user."""


def _module_name(target: str) -> str:
    return "harness_plugin_" + re.sub(r"\W", "_", Path(target).stem)


def load(kind: str, target: str, search_path: str = "", name: str = "") -> ModuleType:
    """Import the plugin's module (in the worker only)."""
    if search_path and search_path not in sys.path:
        sys.path.insert(0, search_path)
    if kind == "file":
        return exec_file(_module_name(target), Path(target))
    if kind == "notebook":
        from harness.worker.notebook import load_notebook

        return load_notebook(Path(target), _module_name(target), Path.cwd())
    if kind == "package":  # from its own folder: the folder around it may not be readable
        pkg, init = Path(target).name, Path(target) / "__init__.py"
        if pkg in sys.modules:
            return sys.modules[pkg]
        pkg_spec = importlib.util.spec_from_file_location(pkg, init, submodule_search_locations=[target])
        if pkg_spec is None or pkg_spec.loader is None:
            raise PluginError(f"cannot load {target}")
        module = importlib.util.module_from_spec(pkg_spec)
        sys.modules[pkg] = module
        try:
            pkg_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(pkg, None)
            raise
        return module
    if kind == "entry_point":
        obj = next(ep for ep in entry_points(group=PROJECT) if ep.value == target).load()
        if not isinstance(obj, ModuleType):
            raise PluginError(f"entry point {name} must name a module, not {type(obj).__name__}")
        return obj
    return importlib.import_module(target)


def unknown_hooks(module: ModuleType, contract: ModuleType) -> list[str]:
    """One message per function marked ``@hookimpl`` whose name is no hook of ``contract``."""
    hooks = hook_names(contract)
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


def unmarked_hooks(module: ModuleType, contract: ModuleType) -> list[str]:
    """Functions named like a hook that lack ``@hookimpl`` (a note, not an error)."""
    return [name for name in hook_names(contract)
            if inspect.isfunction(getattr(module, name, None))
            and getattr(getattr(module, name), f"{PROJECT}_impl", None) is None]


def make_manager(module: ModuleType, contract: ModuleType) -> pluggy.PluginManager:
    """A plugin manager with the contract and this one plugin, validated."""
    problems = unknown_hooks(module, contract)
    if problems:
        raise PluginError(problems[0])
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(contract)
    try:
        pm.register(module)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(" ".join(str(exc).split())) from exc
    return pm


def implemented(pm: pluggy.PluginManager) -> dict[str, object]:
    """Hook name -> the plugin's function, for the hooks of the manager's contract it implements."""
    out = {}
    for name, caller in vars(pm.hook).items():
        impls = caller.get_hookimpls() if isinstance(caller, pluggy.HookCaller) else []
        if impls:
            out[name] = impls[-1].function
    return out
