"""Where numba keeps the compiled reference kernels (imported before numba).

Every kernel of the package is ``numba.njit(cache=True)``: the first process
compiles it and writes it to disk, every later process loads it in
milliseconds. numba writes that cache next to the source, in
``reference/__pycache__``. When the package directory is read-only (a system
site-packages, a Docker layer, a grading sandbox) numba would fall back to
``~/.cache/numba`` and, when that is not writable either, refuse to decorate
the function at all ("cannot cache function ...: no locator available").

This module, imported first by ``reference/__init__.py``, decides before numba
is imported:

1. ``NUMBA_CACHE_DIR`` is set: it is used as it is (``mode = "env"``);
2. ``reference/__pycache__`` is writable: numba's in-tree cache (``"in-tree"``);
3. otherwise the first writable of ``$XDG_CACHE_HOME/nn-harness/numba``,
   ``~/.cache/nn-harness/numba`` and ``<tempdir>/nn-harness-<user>/numba``
   (a private 0700 directory we own) is put into ``NUMBA_CACHE_DIR`` and, if
   ``numba.core.config`` was already imported by someone else, into
   ``numba.core.config.CACHE_DIR`` too (``"fallback"``). Child processes inherit
   the variable and so share the warm cache;
4. nothing is writable: the kernels are compiled without a disk cache
   (``"disabled"``) instead of failing.

numba checks the freshness of a cached kernel against the source file that
defines it only. Kernels here call helpers of other modules of the package
(the MLP calls the activations and the losses), so a changed helper would leave
a stale kernel in the cache. The package therefore stamps its cache directory
with a digest of all its sources and drops its cached kernels when the digest
changes.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_STAMP_NAME = "nn-harness-sources.sha256"


def _writable_dir(path: Path, *, private: bool = False) -> bool:
    """True if ``path`` exists or can be created, and a file can be written in it.

    ``private``: also require that we own it and nobody else may write to it
    (for a directory under the shared temp dir, where another user could have
    planted it).
    """
    try:
        path.mkdir(mode=0o700 if private else 0o777, parents=True, exist_ok=True)
        if private and hasattr(os, "getuid"):
            st = path.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return False
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _user_name() -> str:
    if hasattr(os, "getuid"):
        return str(os.getuid())
    try:  # pragma: no cover - Windows
        import getpass

        return getpass.getuser()
    except Exception:  # pragma: no cover
        return "user"


def _fallback_candidates() -> list[tuple[Path, bool]]:
    """The per-user cache directories to try, best first, as (path, private)."""
    out: list[tuple[Path, bool]] = []
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        out.append((Path(xdg) / "nn-harness" / "numba", False))
    home = os.path.expanduser("~")
    if home != "~" and os.path.isabs(home):
        out.append((Path(home) / ".cache" / "nn-harness" / "numba", False))
    tmp = Path(tempfile.gettempdir()) / f"nn-harness-{_user_name()}"
    out.append((tmp / "numba", True))
    return out


def _choose() -> tuple[str, Path | None]:
    env = os.environ.get("NUMBA_CACHE_DIR", "")
    if env:
        return "env", Path(env)
    in_tree = PACKAGE_DIR / "__pycache__"
    if _writable_dir(in_tree):
        return "in-tree", in_tree
    for cand, private in _fallback_candidates():
        if private and not _writable_dir(cand.parent, private=True):
            continue
        if _writable_dir(cand):
            os.environ["NUMBA_CACHE_DIR"] = str(cand)
            config = sys.modules.get("numba.core.config")
            if config is not None:  # numba was imported before us: too late for the env
                config.CACHE_DIR = str(cand)
            return "fallback", cand
    return "disabled", None


#: how the cache directory was chosen: "env", "in-tree", "fallback" or "disabled"
MODE, _BASE = _choose()
#: the directory numba was told to use (``NUMBA_CACHE_DIR``), or ``reference/__pycache__``
#: in "in-tree" mode; None when disabled. A sandboxed worker must be allowed to write here.
CACHE_BASE: Path | None = _BASE

import numba  # noqa: E402  (only now: numba reads NUMBA_CACHE_DIR at import)
from numba.core.caching import _CacheLocator  # noqa: E402

#: False only when no writable directory was found (mode "disabled")
CACHE_ENABLED: bool = MODE != "disabled"


def _kernel_dir() -> Path | None:
    """The directory numba writes this package's kernels to."""
    if _BASE is None:
        return None
    if MODE == "in-tree":
        return _BASE
    return _BASE / _CacheLocator.get_suitable_cache_subpath(str(PACKAGE_DIR / "__init__.py"))


#: the directory holding the ``*.nbi`` index and ``*.nbc`` data files of our kernels
KERNEL_CACHE_DIR: Path | None = _kernel_dir()


def _sources_digest() -> str:
    h = hashlib.sha256()
    for src in sorted(PACKAGE_DIR.glob("*.py")):
        h.update(src.name.encode())
        h.update(b"\0")
        h.update(src.read_bytes())
    return h.hexdigest()


def _drop_stale_kernels(directory: Path | None) -> None:
    """Remove cached kernels compiled from other sources than the current ones."""
    if directory is None:
        return
    stamp = directory / _STAMP_NAME
    digest = _sources_digest()
    try:
        directory.mkdir(parents=True, exist_ok=True)  # a fresh cache gets its stamp too
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        for f in directory.iterdir():
            if f.suffix in (".nbi", ".nbc"):
                f.unlink(missing_ok=True)
        tmp = directory / f"{_STAMP_NAME}.{os.getpid()}.tmp"
        tmp.write_text(digest + "\n")
        os.replace(tmp, stamp)
    except OSError:  # a read-only NUMBA_CACHE_DIR: numba copes on its own
        pass


if CACHE_ENABLED:
    _drop_stale_kernels(KERNEL_CACHE_DIR)

#: the decorator of every kernel: ``numba.njit(cache=True, error_model="numpy")``.
#: ``error_model="numpy"``: a float division by zero gives inf/nan as in NumPy
#: (numba's default raises ZeroDivisionError and checks every division).
kernel = numba.njit(cache=CACHE_ENABLED, error_model="numpy")
#: the decorator of the sums: as :data:`kernel`, plus ``fastmath={"reassoc"}`` so
#: that LLVM may split a running sum into vectorized partial sums (and nothing else).
reduction_kernel = numba.njit(cache=CACHE_ENABLED, error_model="numpy", fastmath={"reassoc"})
#: the decorator of the loops that call the math of ``_vmath`` (exp, log, ...): as
#: :data:`kernel`, plus ``fastmath={"contract"}``: ``a * b + c`` may become one fused
#: multiply-add (rounded once, so no less accurate), which shortens the polynomials
#: by about a fifth; nothing else of IEEE arithmetic is relaxed.
math_kernel = numba.njit(cache=CACHE_ENABLED, error_model="numpy", fastmath={"contract"})
#: the decorator of the per-element math of ``_vmath`` (exp, log, ...): as :data:`kernel`,
#: and inlined into the caller by numba (``inline="always"``), so that the loop
#: around the call sees every operation and LLVM vectorizes it.
inline_kernel = numba.njit(cache=CACHE_ENABLED, error_model="numpy", inline="always")


def dispatchers() -> dict[str, numba.core.dispatcher.Dispatcher]:
    """Every kernel of the package, as ``{"module.name": dispatcher}``."""
    from numba.core.dispatcher import Dispatcher

    out: dict[str, Dispatcher] = {}
    prefix = __name__.rsplit(".", 1)[0] + "."
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith(prefix) or mod is None:
            continue
        for name, obj in vars(mod).items():
            if isinstance(obj, Dispatcher) and obj.py_func.__module__ == modname:
                out[f"{modname.removeprefix(prefix)}.{name}"] = obj
    return out


def cache_stats() -> tuple[int, int]:
    """(hits, misses) of numba's disk cache over every kernel of the package.

    A hit is a signature loaded from disk, a miss one that had to be compiled;
    a process that starts warm has misses == 0.
    """
    hits = misses = 0
    for d in dispatchers().values():
        hits += sum(d.stats.cache_hits.values())
        misses += sum(d.stats.cache_misses.values())
    return hits, misses
