"""How much of each submission's code is found in another's, a bundled plugin's or the reference's.

Uses copydetect's winnowed fingerprints (Schleimer et al., the method of
MOSS): the code is tokenized with Pygments, every name becomes one token and
comments and whitespace are dropped, so renaming variables or stripping
comments does not hide a copy. The student template's header (its imports)
is boilerplate shared by everyone and does not count. A flag for the instructor, never a
change to a grade.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.loading.submissions import Submission, SubmissionError, materialize

#: Tokens per fingerprinted sequence (copydetect's noise threshold) and the
#: length from which a shared sequence is always found (its guarantee threshold).
NOISE_TOKENS, GUARANTEE_TOKENS = 25, 30
#: Pairs at or above this similarity are listed on the leaderboard (``--similarity-threshold``).
DEFAULT_THRESHOLD = 0.8
PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_SOURCE = 1 << 20


@dataclass(frozen=True)
class Match:
    submission: str
    similar_to: str  # another submission's id, "bundled:<name>" or "reference"
    similarity: float  # share of the submission's fingerprints found in ``similar_to`` (0-1)


def python_source(root: Path) -> str:
    """The .py files of a file or folder, concatenated in a stable order (1 MiB at most)."""
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    parts, size = [], 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        size += len(text)
        if size > MAX_SOURCE:
            break
        parts.append(text)
    return "\n".join(parts)


def submission_sources(subs: list[Submission]) -> dict[str, str]:
    """Each submission's Python source (an archive is extracted first); unreadable ones are left out."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="harness-similarity-") as tmp:
        for sub in subs:
            try:
                path = materialize(sub, Path(tmp) / sub.id)
            except (SubmissionError, OSError, ValueError):
                continue
            out[sub.id] = python_source(path)
    return out


def known_sources() -> dict[str, str]:
    """The bundled plugins and the reference, by the name they are reported under."""
    out = {f"bundled:{p.stem.removesuffix('_plugin')}": python_source(p)
           for p in sorted((PROJECT_ROOT / "plugins").glob("*_plugin.py"))}
    if (PROJECT_ROOT / "reference").is_dir():
        out["reference"] = python_source(PROJECT_ROOT / "reference")
    return out


def _fingerprint(text: str, boilerplate: object = None) -> object | None:
    from copydetect import CodeFingerprint

    with tempfile.NamedTemporaryFile("w", suffix=".py", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        try:
            fp = CodeFingerprint(f.name, NOISE_TOKENS, GUARANTEE_TOKENS - NOISE_TOKENS + 1,
                                 boilerplate=boilerplate, language="python")
        except Exception:  # noqa: BLE001 - too short or untokenizable code: nothing to compare
            return None
    return fp if len(fp.hashes) else None


def _template_hashes() -> list[int]:
    from harness.loading.template import HEADER

    fp = _fingerprint(HEADER.format(filename="mine.py"))  # the stubs are too generic once names are gone
    return sorted(int(h) for h in fp.hashes) if fp is not None else []


def most_similar(sources: dict[str, str], known: dict[str, str] | None = None) -> dict[str, Match]:
    """For every submission, the other source (submission, bundled, reference) that holds most of it."""
    from copydetect import compare_files

    known = known_sources() if known is None else known
    boilerplate = _template_hashes()
    prints = {name: _fingerprint(text, boilerplate) for name, text in {**sources, **known}.items()}
    out: dict[str, Match] = {}
    for sub in sources:
        mine = prints[sub]
        best = Match(sub, "", 0.0)
        if mine is not None:
            for other, theirs in prints.items():
                if other == sub or theirs is None:
                    continue
                share = float(compare_files(mine, theirs)[1][0])
                if share > best.similarity:
                    best = Match(sub, other, round(share, 3))
        out[sub] = best
    return out


def flagged_pairs(matches: dict[str, Match], threshold: float) -> list[Match]:
    """The matches at or above ``threshold``, most similar first."""
    return sorted((m for m in matches.values() if m.similar_to and m.similarity >= threshold),
                  key=lambda m: (-m.similarity, m.submission))


def render_pairs(pairs: list[Match], threshold: float, names: dict[str, str] | None = None) -> str:
    """The leaderboard's Markdown section of similar pairs (``names``: pseudonyms)."""
    names = names or {}
    head = (f"\n## Similar code (similarity >= {threshold:g})\n\n"
            "Share of a submission's code fingerprints (names and comments ignored) found in "
            "another's. A flag for the instructor, not a verdict: grades are unchanged.\n\n")
    if not pairs:
        return head + "None.\n"
    rows = [f"| {names.get(m.submission, m.submission)} | {names.get(m.similar_to, m.similar_to)} "
            f"| {m.similarity:.2f} |" for m in pairs]
    return head + "\n".join(["| submission | similar to | similarity |", "|---|---|---|", *rows]) + "\n"
