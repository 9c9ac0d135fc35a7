"""Submissions of a batch: finding them, ids, safe extraction, pseudonyms.

A SUBMISSIONS argument of ``harness grade`` is a ``.py`` file, a ``.ipynb``
notebook, a package
directory (it has ``__init__.py``), a ``.zip`` / ``.tar.gz`` / ``.tgz`` / ``.tar``
archive of one, or a folder holding such submissions (expanded one level).

Every submission is copied or extracted into a directory of its own before it
is graded, so that a student's module never sees the others' files on its
``sys.path``. Archives are extracted by hand, member by member: absolute paths,
``..``, links and special files are refused, and the number of members and
the bytes written are capped (a zip bomb stops at the cap, whatever the
archive's headers claim).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import re
import secrets
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

#: Caps of one submission once extracted or copied.
MAX_MEMBERS = 2000
MAX_BYTES = 50 * 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
FILE_SUFFIXES = (".py", ".ipynb")
#: Entries that are never a submission (editor and OS litter).
JUNK = re.compile(r"^(\.|__MACOSX$|__pycache__$)|\.pyc$")
_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class SubmissionError(Exception):
    """A submission that cannot be graded; the message is one line for the report."""


@dataclass(frozen=True)
class Submission:
    """One submission of a batch: its id (a directory name) and where it came from."""

    id: str
    path: Path  # absolute
    kind: str  # file | package | archive

    def payload(self) -> tuple[str, bytes]:
        """(file name, bytes) that :func:`materialize_bytes` turns back into the submission.

        A package directory is packed as a ``.tar.gz``; files are sent as they are.
        Used to ship a submission to a remote worker.
        """
        if self.kind == "package":
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                for path in _walk_capped(self.path):
                    arc = str(PurePosixPath(self.path.name, *path.relative_to(self.path).parts))
                    tar.add(path, arcname=arc, recursive=False)
            return f"{self.path.name}.tar.gz", buf.getvalue()
        size = self.path.stat().st_size
        if size > MAX_BYTES:
            raise SubmissionError(f"{self.path.name} is larger than {MAX_BYTES >> 20} MiB")
        return self.path.name, self.path.read_bytes()


# ------------------------------------------------------------------ finding


def submission_kind(path: Path) -> str | None:
    """file / package / archive, or None for something that is no submission."""
    name = path.name.lower()
    if path.is_dir():
        return "package" if (path / "__init__.py").is_file() else None
    if name.endswith(FILE_SUFFIXES):
        return "file"
    if name.endswith(ARCHIVE_SUFFIXES):
        return "archive"
    return None


def stem(path: Path) -> str:
    """The file name without its submission suffix (``alice.tar.gz`` -> ``alice``)."""
    name = path.name
    for suffix in (*FILE_SUFFIXES, *ARCHIVE_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def find_submissions(args: Iterable[str | Path]) -> list[Submission]:
    """Expand the command's arguments into submissions with unique ids.

    Raises ``ValueError`` (a usage error) for a path that does not exist or is
    neither a submission nor a folder of them. Submissions are sorted by path,
    so that the same arguments give the same ids on every run.
    """
    found: dict[Path, str] = {}
    for arg in args:
        path = Path(arg).expanduser().resolve()
        if not path.exists():
            raise ValueError(f"no such submission: {arg}")
        kind = submission_kind(path)
        if kind is not None:
            found[path] = kind
        elif path.is_dir():
            for child in sorted(path.iterdir()):
                child_kind = None if JUNK.search(child.name) else submission_kind(child)
                if child_kind is not None:
                    found[child.resolve()] = child_kind
        else:
            raise ValueError(f"{arg} is no submission (a .py file, a .ipynb notebook, a package directory, "
                             "a .zip or .tar.gz of one, or a folder of those)")
    if not found:
        raise ValueError("no submissions found in " + ", ".join(map(str, args)))
    ordered = sorted(found)
    ids = unique_ids(stem(p) for p in ordered)
    return [Submission(i, p, found[p]) for i, p in zip(ids, ordered, strict=True)]


def clean_id(text: str) -> str:
    """A safe directory name for an id: letters, digits, ``.``, ``_`` and ``-``."""
    out = _ID_CHARS.sub("_", text).strip("._-")[:80]
    return out or "submission"


def unique_ids(stems: Iterable[str]) -> list[str]:
    """Clean ids, de-duplicated with ``-2``, ``-3`` ... in order."""
    seen: set[str] = set()
    out = []
    for raw in stems:
        base = clean_id(raw)
        new, n = base, 1
        while new.lower() in seen:
            n += 1
            new = f"{base}-{n}"
        seen.add(new.lower())
        out.append(new)
    return out


# ------------------------------------------------------------------ materializing


def materialize(sub: Submission, dest: Path) -> Path:
    """Copy or extract ``sub`` into the empty directory ``dest``; return the plugin's path.

    A single ``.py`` (``.ipynb``) becomes ``dest/<id>.py`` (``.ipynb``); a package keeps its name.
    Raises :class:`SubmissionError`.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if sub.kind == "file":
        if sub.path.stat().st_size > MAX_BYTES:
            raise SubmissionError(f"{sub.path.name} is larger than {MAX_BYTES >> 20} MiB")
        target = dest / f"{sub.id}{_file_suffix(sub.path.name)}"
        shutil.copyfile(sub.path, target)
        return target
    if sub.kind == "package":
        target = dest / sub.path.name
        budget = _Budget()
        for path in _walk_capped(sub.path):
            rel = path.relative_to(sub.path)
            out = target / rel
            if path.is_dir():
                out.mkdir(parents=True, exist_ok=True)
            else:
                out.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "rb") as src:
                    _copy_capped(src, out, budget)
        target.mkdir(exist_ok=True)
        return target
    extract_archive(sub.path.name, sub.path, dest)
    return find_plugin(dest)


def materialize_bytes(name: str, data: bytes, dest: Path, sub_id: str) -> Path:
    """:func:`materialize` for a submission received as bytes (see :meth:`Submission.payload`)."""
    dest.mkdir(parents=True, exist_ok=True)
    if name.lower().endswith(FILE_SUFFIXES):
        target = dest / f"{sub_id}{_file_suffix(name)}"
        target.write_bytes(data)
        return target
    extract_archive(name, io.BytesIO(data), dest)
    return find_plugin(dest)


def _file_suffix(name: str) -> str:
    return next(s for s in FILE_SUFFIXES if name.lower().endswith(s))


def _walk_capped(root: Path) -> Iterator[Path]:
    """Files and directories under ``root`` (links refused, junk skipped), capped in number."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not JUNK.search(d))
        for name in [*dirnames, *sorted(f for f in filenames if not JUNK.search(f))]:
            path = Path(dirpath, name)
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"{path.relative_to(root)} is a link; links are not accepted")
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise SubmissionError(f"{path.relative_to(root)} is not a regular file")
            count += 1
            if count > MAX_MEMBERS:
                raise SubmissionError(f"more than {MAX_MEMBERS} files")
            yield path


class _Budget:
    def __init__(self) -> None:
        self.members = 0
        self.bytes = 0

    def member(self) -> None:
        self.members += 1
        if self.members > MAX_MEMBERS:
            raise SubmissionError(f"archive has more than {MAX_MEMBERS} members")


def _copy_capped(src: IO[bytes], out: Path, budget: _Budget) -> None:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 16):
            budget.bytes += len(chunk)
            if budget.bytes > MAX_BYTES:
                raise SubmissionError(f"more than {MAX_BYTES >> 20} MiB once extracted")
            dst.write(chunk)


def safe_member_path(name: str) -> PurePosixPath | None:
    """The relative path of an archive member, None for junk; SubmissionError if unsafe."""
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise SubmissionError(f"archive member {name!r} has an absolute path")
    parts = [p for p in PurePosixPath(text).parts if p not in ("", ".")]
    if ".." in parts:
        raise SubmissionError(f"archive member {name!r} leaves the archive ('..')")
    if not parts or any(JUNK.search(p) for p in parts):
        return None
    return PurePosixPath(*parts)


def extract_archive(name: str, source: Path | IO[bytes], dest: Path) -> None:
    """Extract a ``.zip`` or tar archive into ``dest`` safely (see the module's doc)."""
    budget = _Budget()
    try:
        if name.lower().endswith(".zip"):
            _extract_zip(source, dest, budget)
        else:
            _extract_tar(source, dest, budget)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise SubmissionError(f"cannot read archive {name}: {exc}") from None


def _write_member(dest: Path, name: str, is_dir: bool, open_member: Callable[[], IO[bytes]],
                  budget: _Budget) -> None:
    """Write one archive member below ``dest`` (a name that leaves ``dest`` is skipped)."""
    rel = safe_member_path(name)
    if rel is None:
        return
    out = dest.joinpath(*rel.parts)
    if is_dir:
        out.mkdir(parents=True, exist_ok=True)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with open_member() as src:
        _copy_capped(src, out, budget)


def _tar_file(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    src = tar.extractfile(member)
    if src is None:
        raise SubmissionError(f"archive member {member.name!r} cannot be read")
    return src


def _extract_zip(source: Path | IO[bytes], dest: Path, budget: _Budget) -> None:
    with zipfile.ZipFile(source) as zf:
        for info in zf.infolist():
            budget.member()
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SubmissionError(f"archive member {info.filename!r} is a link")
            _write_member(dest, info.filename, info.is_dir(), lambda info=info: zf.open(info), budget)


def _extract_tar(source: Path | IO[bytes], dest: Path, budget: _Budget) -> None:
    opened = (tarfile.open(source, mode="r:*") if isinstance(source, Path)
              else tarfile.open(fileobj=source, mode="r:*"))
    with opened as tar:
        for member in tar:
            budget.member()
            if member.issym() or member.islnk():
                raise SubmissionError(f"archive member {member.name!r} is a link")
            if not (member.isfile() or member.isdir()):
                raise SubmissionError(f"archive member {member.name!r} is not a regular file")
            _write_member(dest, member.name, member.isdir(), lambda m=member: _tar_file(tar, m), budget)


def find_plugin(root: Path) -> Path:
    """The single ``.py`` file or package in an extracted archive.

    Wrapper folders (a folder that is the only entry and no package) are
    entered. Raises :class:`SubmissionError` when there is none or several.
    """
    while True:
        entries = sorted(p for p in root.iterdir() if not JUNK.search(p.name))
        if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / "__init__.py").is_file():
            root = entries[0]
            continue
        break
    candidates = [p for p in entries
                  if (p.is_file() and p.suffix in FILE_SUFFIXES) or (p.is_dir() and (p / "__init__.py").is_file())]
    if not candidates:
        raise SubmissionError("the archive holds no .py file, no .ipynb notebook and no package")
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates[:5])
        raise SubmissionError(f"the archive holds several candidates ({names}); submit exactly one "
                              ".py file, one notebook or one package")
    return candidates[0]


# ------------------------------------------------------------------ pseudonyms

_ADJECTIVES = ("amber", "bold", "brisk", "calm", "clever", "cosmic", "crisp", "daring", "eager",
               "fuzzy", "gentle", "golden", "happy", "jolly", "keen", "lively", "lucky", "mellow",
               "nimble", "noble", "plucky", "proud", "quick", "quiet", "rapid", "shiny", "silent",
               "snowy", "steady", "sunny", "swift", "witty")
_ANIMALS = ("badger", "beaver", "bison", "crane", "dingo", "eagle", "falcon", "ferret", "gecko",
            "heron", "ibex", "jaguar", "koala", "lemur", "lynx", "marmot", "moose", "newt", "ocelot",
            "otter", "panda", "puffin", "quokka", "raven", "salmon", "tapir", "toucan", "walrus",
            "wombat", "yak", "zebra", "owl")
KEY_FILE = ".pseudonym-key"


def pseudonym_key(directory: Path) -> bytes:
    """The secret of ``directory/.pseudonym-key`` (created, mode 0600, on first use)."""
    path = directory / KEY_FILE
    directory.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < 32:
            raise ValueError(f"{path} holds no usable key; delete it to make a new one") from None
        return key.encode()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key.encode()


def pseudonym(key: bytes, sub_id: str) -> str:
    """A stable public name for ``sub_id``: ``adjective-animal-xxxx`` from an HMAC-SHA256."""
    digest = hmac.new(key, sub_id.encode(), hashlib.sha256).digest()
    return f"{_ADJECTIVES[digest[0] % 32]}-{_ANIMALS[digest[1] % 32]}-{digest[2:4].hex()}"
