"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The data goes to a temporary file in the target's directory (so that the final
:func:`os.replace` is a rename within one file system), is flushed and fsynced,
and only then replaces the target. On any failure the temporary file is removed
and the old file, if any, is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

#: Permissions of a newly created file (an existing file keeps its own).
NEW_FILE_MODE = 0o644


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Text is encoded with ``encoding`` and ``errors`` (as :meth:`str.encode`) and written
    as is (no newline translation). The parent directory must exist.
    """
    target = Path(path)
    payload = data.encode(encoding, errors) if isinstance(data, str) else bytes(data)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, _mode_for(target))
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return target


def _mode_for(target: Path) -> int:
    """The permission bits the written file gets: the old file's, or :data:`NEW_FILE_MODE`."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return NEW_FILE_MODE


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows fsync on a directory."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
