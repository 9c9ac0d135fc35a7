"""What a worker may read: the libraries, its own plugin, its scratch; never the grading code.

Computed on the trusted side (no plugin is imported) and handed to the worker,
which applies it with Landlock (:func:`harness.worker.lockdown.restrict_files`)
before it imports the plugin. Of the harness the worker may read only what it
runs (:data:`WORKER_FILES`), and of the course only its contract file. The
harness is often installed editable, so that ``harness/`` sits beside the
course's packages (``reference/``, ``plugins/``, ``tasks/``): every directory
that holds one of those is split into its children, and only the children that
hold none of them are allowed (the tree minus the grading code).
"""

from __future__ import annotations

import sys
import sysconfig
from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import course
from harness.loading.plugins import PluginSpec, plugin_paths
from harness.sandbox.launch import probe

HARNESS_DIR = Path(__file__).resolve().parents[1]
#: What of ``harness/`` the worker runs, and all of it that it may read: the package's
#: hook markers, the channel and the worker package (it imports nothing else of the harness).
WORKER_FILES = ("__init__.py", "codec.py", "worker")
#: What the harness's own code is called when a plugin tries to use it.
HARNESS_CODE = "the harness's grading code"
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
    contract: str = ""  # the course's contract file, which the worker loads

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


def forbidden_places(trusted: tuple[str, ...] = ()) -> dict[Path, str]:
    """The grading code: the harness and the course's packages (the reference, the bundled plugins,
    the tasks), but those in ``trusted``."""
    out = {HARNESS_DIR: HARNESS_CODE}
    for name, what in course.forbidden().items():
        where = _package_dir(name)
        if where is not None and name not in trusted:
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


def trusted_packages(spec: PluginSpec) -> tuple[str, ...]:
    """The course's packages a bundled plugin may use: its own, and the reference for the reference plugin."""
    if spec.kind != "bundled":
        return ()
    own = spec.target.split(".")[0]
    return (own, course.reference_package()) if spec.name == course.REFERENCE_PLUGIN else (own,)


def worker_access(spec: PluginSpec, scratch: Path, writable: list[Path] = ()) -> Access:
    """Everything one worker may read and write, and what it is told it must not use."""
    trusted = trusted_packages(spec)
    excluded = forbidden_places(trusted)
    extra = [p for name in trusted if (p := _package_dir(name)) is not None]
    contract = course.contract_file()
    read: list[Path] = []
    for root in [*map(Path, SYSTEM), *library_roots()]:
        read += allowed_except(root, list(excluded))
    read += [HARNESS_DIR / f for f in WORKER_FILES] + [contract]
    read += [p.resolve() for p in extra] + [scratch / "in"]
    if probe().namespaces:  # a /proc of the worker's own PID namespace (wrap_command): its processes only
        read.append(Path("/proc"))
    for own in plugin_paths(spec):  # minus the grading code, should it lie beneath
        read += allowed_except(own, list(excluded))
    return Access(
        read=sorted({str(p) for p in read}),
        write=[str(p) for p in [scratch / "work", scratch / "out", Path("/dev/null"), *writable]],
        forbidden={str(p): what for p, what in excluded.items()},
        forbidden_modules={name: what for name, what in course.forbidden().items() if name not in trusted},
        contract=str(contract),
    )
