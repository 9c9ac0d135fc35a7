"""What a worker may read: the libraries, its own plugin, its scratch; never the grading code.

Computed on the trusted side (no plugin is imported) and handed to the worker,
which applies it with Landlock (:func:`harness.sandbox.restrict_files`) before
it imports the plugin. The harness is often installed editable, so that
``harness/`` sits beside ``reference/``, ``plugins/`` and ``tasks/``: every
directory that holds one of those is split into its children, and only the
children that hold none of them are allowed (the tree minus the grading code).
"""

from __future__ import annotations

import sys
import sysconfig
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness.loader import PluginSpec
from harness.sandbox import probe

HARNESS_DIR = Path(__file__).resolve().parent
#: The harness modules the worker itself runs (all imported before Landlock applies).
WORKER_MODULES = ("__init__.py", "worker.py", "bench.py", "codec.py", "hookspecs.py", "loader.py", "model.py",
                  "sandbox.py", "fingerprint.py", "notebook.py")
#: Top-level packages of this project a plugin must not use, and what they are.
FORBIDDEN = {"reference": "the reference solution", "plugins": "a bundled solution",
             "tasks": "the grading tasks (and so the reference solution)"}
#: System files and directories any Python program needs to read (shared libraries, CPU facts).
SYSTEM = ("/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/etc/localtime",
          "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random",
          "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu")


@dataclass
class Access:
    """The paths of one worker: read (and execute), write (and read); and the forbidden places."""

    read: list[str] = field(default_factory=list)
    write: list[str] = field(default_factory=list)
    forbidden: dict[str, str] = field(default_factory=dict)  # path -> what it is
    forbidden_modules: dict[str, str] = field(default_factory=dict)  # top-level name -> what it is

    def to_dict(self) -> dict:
        return asdict(self)


def _package_dir(name: str) -> Path | None:
    """Where one of this project's packages lives, found without importing it.

    The first regular package any import finder knows (a namespace folder of
    the same name earlier on sys.path, such as ``tests/plugins``, is skipped).
    """
    for finder in sys.meta_path:
        try:
            spec = finder.find_spec(name, None)
        except (ImportError, ValueError, AttributeError):
            continue
        if spec is not None and spec.origin and spec.has_location:
            origin = Path(spec.origin).resolve()
            return origin.parent if origin.name == "__init__.py" else origin
    return None


def forbidden_places() -> dict[Path, str]:
    """The project's grading code: the reference, the bundled plugins, the tasks, the harness."""
    out = {HARNESS_DIR: "the harness's grading code"}
    for name, what in FORBIDDEN.items():
        where = _package_dir(name)
        if where is not None:
            out[where] = what
    return out


def allowed_except(root: Path, excluded: list[Path]) -> list[Path]:
    """``root`` itself, or (when it holds an excluded path) its children that hold none."""
    try:
        root = root.resolve()
    except OSError:
        return []
    if not root.exists() or any(root == e for e in excluded):
        return []
    if not any(root in e.parents for e in excluded):
        return [root]
    out: list[Path] = []
    try:
        children = sorted(root.iterdir())
    except OSError:
        return []
    for child in children:
        out += allowed_except(child, excluded)
    return out


def library_roots() -> list[Path]:
    """The standard library and every site-packages directory of this interpreter."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    paths = sysconfig.get_paths()
    roots |= {Path(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    roots |= {Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p}
    return sorted(roots)


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


def worker_access(spec: PluginSpec, scratch: Path, writable: list[Path] = ()) -> Access:
    """Everything one worker may read and write, and what it is told it must not use."""
    places = forbidden_places()
    allowed_modules = dict(FORBIDDEN)
    extra: list[Path] = []
    if spec.kind == "bundled":  # trusted: the bundled folder, and the reference for the reference plugin
        allowed_modules.pop("plugins")
        extra += [p for p, what in places.items() if what == FORBIDDEN["plugins"]]
        if spec.name == "reference":
            allowed_modules.pop("reference")
            extra += [p for p, what in places.items() if what == FORBIDDEN["reference"]]
    excluded = [p for p in places if p not in extra]
    read: list[Path] = []
    for root in [*map(Path, SYSTEM), *library_roots()]:
        read += allowed_except(root, excluded)
    read += [HARNESS_DIR / m for m in WORKER_MODULES]
    read += [p.resolve() for p in extra] + [scratch / "in"]
    if probe().namespaces:  # a /proc of the worker's own PID namespace (wrap_command): its processes only
        read.append(Path("/proc"))
    for own in plugin_paths(spec):  # minus the grading code, should it lie beneath
        read += allowed_except(own, excluded)
    return Access(
        read=sorted({str(p) for p in read}),
        write=[str(p) for p in [scratch / "work", scratch / "out", Path("/dev/null"), *writable]],
        forbidden={str(p): what for p, what in places.items() if p in excluded},
        forbidden_modules=allowed_modules,
    )
