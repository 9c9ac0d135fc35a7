"""``harness grade`` and ``harness leaderboard`` through the command line itself."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from harness.cli.main import main
from harness.loading import submissions as subs_mod

TASKS = "relu,sigmoid"  # fast tasks: each submission grades in well under a second

GOOD = """
import numpy as np
from harness import hookimpl

@hookimpl
def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)

@hookimpl
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))
"""
BUGGY = GOOD.replace("np.exp(-np.logaddexp(0.0, -z))", "np.exp(-np.logaddexp(0.0, z))")
RELU_ONLY = GOOD.split("@hookimpl\ndef sigmoid")[0]
SYNTAX_ERROR = "from harness import hookimpl\n\ndef relu(z:\n    return z\n"
TYPO = "from harness import hookimpl\n\n@hookimpl\ndef sigmod(z):\n    return z\n"


def cli(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def grade(*args: object) -> Result:
    return cli("grade", *args, "--tasks", TASKS, "--no-speed", "--seed", 7, "-j", 2)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def package_archive(path: Path, package: str, source: str) -> Path:
    """A .zip or .tar.gz holding ``wrapper/<package>/__init__.py`` (a wrapper folder, as
    an unzipped-then-rezipped download often has) and a README."""
    files = {f"wrapper/{package}/__init__.py": source, "wrapper/README.md": "mine",
             "__MACOSX/._junk": "x"}
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in files.items():
                zf.writestr(name, text)
    else:
        with tarfile.open(path, "w:gz") as tar:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def grades(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "grades.csv", keep_default_na=False).set_index("submission")


# ---------------------------------------------------------------- grading a folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    root = tmp_path_factory.mktemp("batch")
    folder = root / "subs"
    write(folder / "alice.py", GOOD)
    write(folder / "bob.py", BUGGY)
    write(folder / "carol.py", SYNTAX_ERROR)
    write(folder / "dave.py", TYPO)
    write(folder / "erin" / "__init__.py", RELU_ONLY)  # a package directory
    write(folder / "notes.txt", "not a submission")  # ignored in a folder
    package_archive(folder / "frank.zip", "solution", GOOD)
    package_archive(folder / "gina.tar.gz", "gina_pkg", BUGGY)
    write(root / "other" / "alice.py", GOOD)  # same stem: a de-duplicated id
    out = root / "out"
    return out, grade(folder, root / "other" / "alice.py", "--out", out)


def test_grade_writes_reports_grades_and_leaderboard(graded: tuple[Path, Result]) -> None:
    out, res = graded
    assert res.exit_code == 1, res.output  # some cases fail
    table = grades(out)
    assert sorted(table.index) == ["alice", "alice-2", "bob", "carol", "dave", "erin", "frank", "gina"]
    assert set(table.columns[:2]) == {"relu", "sigmoid"}
    assert {"total", "max_points", "percent", "status", "reason"} <= set(table.columns)
    for name in ("alice", "alice-2", "frank"):  # a .py, a duplicate stem, a zipped package
        assert table.loc[name, "percent"] == 100.0, name
    assert table.loc["bob", "relu"] == 1.0 and table.loc["bob", "sigmoid"] < 0.5  # sign flipped
    scores = table.drop(columns=["similar_to", "similarity"])
    assert scores.loc["gina"].equals(scores.loc["bob"].copy())  # the same code, as a .tar.gz
    assert table.loc["gina", "similar_to"] in ("bob", "alice", "alice-2", "frank")  # one token apart
    assert table.loc["gina", "similarity"] == 1.0
    assert table.loc["erin", "relu"] == 1.0 and table.loc["erin", "total"] == 1.0  # package dir
    for name in table.index:
        report = out / "submissions" / name
        for file in ("summary.json", "tasks.csv", "cases.csv", "report.md", "report.html",
                     "results.json", "junit.xml"):
            assert (report / file).is_file(), (name, file)
        results = json.loads((report / "results.json").read_text())
        assert results["score"] == pytest.approx(table.loc[name, "total"])
    summary = json.loads((out / "submissions" / "alice" / "summary.json").read_text())
    assert summary["plugin"] == summary["submission"] == "alice" and summary["seed"] == 7


def test_broken_submissions_do_not_stop_the_batch(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    table = grades(out)
    assert table.loc["dave", "total"] == 0.0 and table.loc["dave", "status"] == "not loaded"
    assert "sigmod" in table.loc["dave", "reason"] and "\n" not in table.loc["dave", "reason"]
    assert table.loc["carol", "total"] == 0.0
    assert table.loc["carol", "status"] == "import error", table.loc["carol"].to_dict()
    assert "SyntaxError" in table.loc["carol", "reason"]
    board = pd.read_csv(out / "leaderboard.csv", keep_default_na=False)
    assert "sigmod" in board.set_index("submission").loc["dave", "note"]


def test_leaderboard_ranks_by_points_and_explains_ties(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    board = pd.read_csv(out / "leaderboard.csv", keep_default_na=False)
    assert list(board["submission"][:3]) == ["alice", "alice-2", "frank"]
    assert list(board["rank"][:3]) == [1, 1, 1] and board["rank"].iloc[3] == 4
    assert board["points"].is_monotonic_decreasing
    assert board["note"].iloc[0].startswith("tied on points with alice-2, frank")
    html = (out / "leaderboard.html").read_text()
    # self-contained: no script, nothing fetched (namespace names and the SVG's metadata are not fetched)
    fetchable = re.sub(r'xmlns(:\w+)?="[^"]*"|<metadata>.*?</metadata>', "", html, flags=re.S)
    assert "<svg" in html and "alice-2" in html and "<script" not in html and "http" not in fetchable
    assert "| 1 | alice |" in (out / "leaderboard.md").read_text()


def test_pseudonyms_on_the_board_only(graded: tuple[Path, Result], tmp_path: Path) -> None:
    out, _ = graded
    res = grade(out.parent / "subs", out.parent / "other" / "alice.py", "--out", out, "--pseudonyms")
    assert "skipped 8 already graded" in res.stderr
    board = pd.read_csv(out / "leaderboard.csv", keep_default_na=False)
    text = (out / "leaderboard.md").read_text() + (out / "leaderboard.html").read_text() \
        + board.to_csv()
    for real in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
        assert real not in text, real
    assert set(grades(out).index) >= {"alice", "bob"}  # grades.csv keeps the real ids
    key = out / ".pseudonym-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = grade(out.parent / "subs", out.parent / "other" / "alice.py", "--out", out, "--pseudonyms")
    assert again.exit_code == 1
    assert list(pd.read_csv(out / "leaderboard.csv")["submission"]) == list(board["submission"])


# ---------------------------------------------------------------- resume


def test_resume_skips_finished_submissions_and_regrade_redoes(tmp_path: Path) -> None:
    folder, out = tmp_path / "subs", tmp_path / "out"
    names = ["a1", "a2", "b1", "b2"]
    for name in names:
        write(folder / f"{name}.py", GOOD)
    first = grade(folder / "a1.py", folder / "a2.py", "--out", out)  # a run "killed" half way
    assert first.exit_code == 0, first.output

    def mtimes() -> dict[str, int]:
        return {n: (out / "submissions" / n / "summary.json").stat().st_mtime_ns
                for n in names if (out / "submissions" / n / "summary.json").exists()}

    before = mtimes()
    assert set(before) == {"a1", "a2"}
    second = grade(folder, "--out", out)
    assert second.exit_code == 0, second.output
    assert "skipped 2 already graded" in second.stderr
    after = mtimes()
    assert set(after) == set(names)
    assert {n: after[n] for n in before} == before  # the first half was not graded again
    assert len(grades(out)) == 4
    third = grade(folder, "--out", out, "--regrade")
    assert third.exit_code == 0 and "skipped" not in third.stderr
    assert all(mtimes()[n] > after[n] for n in names)
    # a resumed run keeps the batch's seed and task selection
    assert json.loads((out / "batch.json").read_text())["seed"] == 7
    other = cli("grade", folder, "--out", out, "--tasks", "relu", "--no-speed")
    assert other.exit_code == 2 and "--regrade" in other.stderr


# ---------------------------------------------------------------- archives


def test_unsafe_archives_are_refused(tmp_path: Path) -> None:
    cases = {}
    with zipfile.ZipFile(tmp_path / "dots.zip", "w") as zf:
        zf.writestr("../evil.py", "x = 1")
    cases["dots.zip"] = "leaves the archive"
    with zipfile.ZipFile(tmp_path / "abs.zip", "w") as zf:
        zf.writestr("/etc/evil.py", "x = 1")
    cases["abs.zip"] = "absolute path"
    with tarfile.open(tmp_path / "link.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("mine.py")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    cases["link.tar.gz"] = "is a link"
    with zipfile.ZipFile(tmp_path / "zlink.zip", "w") as zf:
        info = zipfile.ZipInfo("mine.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    cases["zlink.zip"] = "is a link"
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.writestr("a.py", "x = 1")
        zf.writestr("b.py", "x = 1")
    cases["two.zip"] = "several candidates"
    with zipfile.ZipFile(tmp_path / "none.zip", "w") as zf:
        zf.writestr("README.md", "x")
    cases["none.zip"] = "no .py file"
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.py", "#" * (subs_mod.MAX_BYTES + 1))
    cases["bomb.zip"] = "MiB once extracted"
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as zf:
        for i in range(subs_mod.MAX_MEMBERS + 1):
            zf.writestr(f"d/f{i}.txt", "")
    cases["many.zip"] = "more than"
    found = {s.path.name: s for s in subs_mod.find_submissions([tmp_path])}
    for name, message in cases.items():
        with pytest.raises(subs_mod.SubmissionError, match=message):
            subs_mod.materialize(found[name], tmp_path / "x" / name)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "x" / "evil.py").exists()


def test_package_payload_round_trips(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "__init__.py", GOOD)
    write(tmp_path / "pkg" / "helpers" / "util.py", "X = 1")
    (sub,) = subs_mod.find_submissions([tmp_path / "pkg"])
    name, data = sub.payload()
    target = subs_mod.materialize_bytes(name, data, tmp_path / "dest", sub.id)
    assert target.name == "pkg" and (target / "helpers" / "util.py").read_text() == "X = 1"


# ---------------------------------------------------------------- leaderboard and history


def _run_dir(path: Path, name: str, points: float, ratio: float, low: float, high: float) -> Path:
    """A ``harness run`` out dir as CI keeps it: summary.json and tasks.csv."""
    path.mkdir(parents=True)
    summary = {"plugin": name, "points": points, "max_points": 2.0, "percent": 50.0 * points,
               "speed": True, "speed_points": 0.1, "exit_status": 0 if points == 2 else 1, "seed": 1}
    (path / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame([
        {"task": "relu", "points": 1.0, "max_points": 1.0, "speed_ratio": ratio,
         "speed_ci_low": low, "speed_ci_high": high},
        {"task": "sigmoid", "points": points - 1.0, "max_points": 1.0, "speed_ratio": 1.0,
         "speed_ci_low": 0.9, "speed_ci_high": 1.1},
    ]).to_csv(path / "tasks.csv", index=False)
    return path


def test_leaderboard_merges_and_flags_regressions(tmp_path: Path) -> None:
    board_dir = tmp_path / "board"
    one = _run_dir(tmp_path / "ci1" / "numpy", "numpy", 2.0, 1.0, 0.9, 1.1)
    two = _run_dir(tmp_path / "ci1" / "python", "python", 2.0, 30.0, 25.0, 35.0)
    first = cli("leaderboard", one, two, "--out", board_dir, "--fail-on-regression")
    assert first.exit_code == 0, first.output
    board = pd.read_csv(board_dir / "leaderboard.csv", keep_default_na=False)
    assert list(board["submission"]) == ["numpy", "python"] and list(board["rank"]) == [1, 2]
    assert "faster by geomean" in board["note"][0] and "slower by geomean" in board["note"][1]
    assert (board_dir / "history.sqlite").is_file()
    # next CI run: numpy's relu got slower beyond the interval, python lost a task
    slow = _run_dir(tmp_path / "ci2" / "numpy", "numpy", 2.0, 1.5, 1.2, 1.8)
    worse = _run_dir(tmp_path / "ci2" / "python", "python", 1.0, 31.0, 24.0, 36.0)
    shutil.copy(board_dir / "history.sqlite", tmp_path / "before.sqlite")
    second = cli("leaderboard", slow, worse, "--out", board_dir)
    assert second.exit_code == 0  # flagged, but not fatal without --fail-on-regression
    report = (board_dir / "report.md").read_text()
    assert "## Regressions (3)" in report
    assert "numpy** (speed): task relu slower" in report
    assert "python** (score): score dropped: 2 -> 1 points" in report
    assert "python** (score): task sigmoid" in report
    assert "3 regressions" in second.stderr
    fatal = cli("leaderboard", slow, worse, "--out", tmp_path / "b2", "--history",
                tmp_path / "before.sqlite", "--fail-on-regression")
    assert fatal.exit_code == 1 and "regression: numpy: task relu slower" in fatal.stderr
    again = cli("leaderboard", slow, worse, "--out", board_dir, "--fail-on-regression")
    assert again.exit_code == 0  # compared with the second run: nothing changed
    assert "Regressions (0)" in (board_dir / "report.md").read_text()


def test_leaderboard_of_grade_dirs_flags_a_score_drop(graded: tuple[Path, Result], tmp_path: Path) -> None:
    out, _ = graded
    history = tmp_path / "h.sqlite"
    assert cli("leaderboard", out, "--out", tmp_path / "b1", "--history", history).exit_code == 0
    newer = tmp_path / "newer"
    write(newer / "alice.py", BUGGY)
    assert grade(newer, "--out", tmp_path / "g2").exit_code == 1
    res = cli("leaderboard", tmp_path / "g2", "--out", tmp_path / "b2", "--history", history,
              "--fail-on-regression")
    assert res.exit_code == 1, res.output
    assert "regression: alice: score dropped" in res.stderr
    assert "alice** (score): task sigmoid" in (tmp_path / "b2" / "report.md").read_text()


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize("args", [
    ["grade", "nowhere.py", "--out", "{tmp}/o"],
    ["grade", "{tmp}/notes.txt", "--out", "{tmp}/o"],
    ["grade", "{tmp}/a.py", "--out", "{tmp}/o", "--tasks", "no_such_task*"],
    ["grade", "{tmp}/a.py", "--out", "{tmp}/o", "--executor", "dask"],
    ["grade", "{tmp}/a.py", "--out", "{tmp}/o", "--scheduler", "tcp://127.0.0.1:1"],
    ["grade", "{tmp}/a.py", "--out", "{tmp}/o", "-j", "0"],
    ["grade", "{tmp}/a.py"],
    ["leaderboard", "{tmp}", "--out", "{tmp}/b"],
    ["leaderboard", "{tmp}/missing", "--out", "{tmp}/b"],
])
def test_usage_errors_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    write(tmp_path / "a.py", GOOD)
    write(tmp_path / "notes.txt", "x")
    res = cli(*(a.format(tmp=tmp_path) for a in args))
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harness: error:"), res.stderr
    assert not (tmp_path / "o" / "grades.csv").exists()


# ---------------------------------------------------------------- speed and Dask


def test_speed_is_measured_after_all_correctness_one_at_a_time(tmp_path: Path) -> None:
    folder, out = tmp_path / "subs", tmp_path / "out"
    write(folder / "fast.py", GOOD)
    write(folder / "slow.py", GOOD.replace("return np.maximum(np.asarray(z, dtype=float), 0.0)",
                                           "import time; time.sleep(2e-4)\n"
                                           "    return np.maximum(np.asarray(z, dtype=float), 0.0)"))
    res = cli("grade", folder, "--out", out, "--tasks", "relu", "--seed", 3, "-j", 2)
    assert res.exit_code == 0, res.output
    err = res.stderr.splitlines()
    correctness = [i for i, line in enumerate(err) if "] correctness " in line]
    speed = [i for i, line in enumerate(err) if "] speed " in line]
    assert len(correctness) == len(speed) == 2 and max(correctness) < min(speed)
    board = pd.read_csv(out / "leaderboard.csv")
    assert list(board["submission"]) == ["fast", "slow"]
    notes = {n: json.loads((out / "submissions" / n / "summary.json").read_text())["notes"] for n in ("fast", "slow")}
    assert board["speed_geomean"].notna().all() and board["speed_tasks"].min() >= 1, notes
    assert "faster by geomean" in board["note"][0]
    assert (out / "submissions" / "fast" / "benchmark.json").is_file()


def test_a_groups_reports_are_written_by_a_process_of_their_own_while_the_next_group_is_timed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of one: the first group's reports go to the report writer (a process of the pool) and are
    waited for only once the second group is timed; every submission ends stored and reported, in order.
    (The suite's workers keep to one core each, where harness grade writes them itself: forced here.)"""
    from harness.batch import grade as grade_mod

    folder, out = tmp_path / "subs", tmp_path / "out"
    write(folder / "one.py", GOOD)
    write(folder / "two.py", GOOD)
    handed: list[tuple[str, object]] = []

    class Writer:  # the report writer, its hand-offs seen
        def __init__(self) -> None:
            self.pool = grade_mod._pool(1)

        def submit(self, fn: object, out_dir: Path, pattern: str | None, graded: object) -> object:
            handed.append((graded.sub_id, sorted(os.listdir(out_dir / "submissions"))
                           if (out_dir / "submissions").is_dir() else []))
            return self.pool.submit(fn, out_dir, pattern, graded)

        def shutdown(self, wait: bool) -> None:
            self.pool.shutdown(wait=wait)

    monkeypatch.setattr(grade_mod, "_report_writer", Writer)
    monkeypatch.setattr(grade_mod, "_groups", lambda items: [[item] for item in items])
    res = cli("grade", folder, "--out", out, "--tasks", "relu", "--seed", 3, "-j", 1)
    assert res.exit_code == 0, res.output
    assert handed == [("one", []), ("two", ["one"])]  # one's reports waited for after two was timed
    speed = [line for line in res.stderr.splitlines() if "] speed " in line]
    assert len(speed) == 2 and "one" in speed[0] and "two" in speed[1]
    for name in ("one", "two"):
        summary = json.loads((out / "submissions" / name / "summary.json").read_text())
        assert summary["speed"] and (out / "submissions" / name / "benchmark.json").is_file()
    assert sorted(pd.read_csv(out / "leaderboard.csv")["submission"]) == ["one", "two"]


def test_dask_executor_gives_the_local_grades(graded: tuple[Path, Result], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    out, _ = graded
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = cli("grade", out.parent / "subs", out.parent / "other" / "alice.py", "--out",
                  tmp_path / "d", "--tasks", TASKS, "--no-speed", "--seed", 7, "--executor", "dask",
                  "--scheduler", cluster.scheduler_address)
    assert res.exit_code == 1, res.output
    local, remote = grades(out), grades(tmp_path / "d")
    columns = ["relu", "sigmoid", "total", "max_points", "percent", "status"]
    pd.testing.assert_frame_equal(local[columns], remote[columns])
    assert (tmp_path / "d" / "submissions" / "frank" / "results.json").is_file()
    assert os.listdir(tmp_path / "d" / "submissions") and (tmp_path / "d" / "leaderboard.html").is_file()


def test_dask_times_a_group_of_submissions_against_one_reference(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    folder, out = tmp_path / "subs", tmp_path / "out"
    for name in ("ann", "ben", "cat"):
        write(folder / f"{name}.py", GOOD)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = cli("grade", folder, "--out", out, "--tasks", "relu", "--seed", 5, "--executor", "dask",
                  "--scheduler", cluster.scheduler_address)
    assert res.exit_code == 0, res.output
    sizes = {name: pd.read_csv(out / "submissions" / name / "speed.csv") for name in ("ann", "ben", "cat")}
    assert all((s["rounds"] > 0).all() for s in sizes.values()), {n: s["note"].tolist() for n, s in sizes.items()}
    # timed together on the worker: the reference's per-call times come from the same windows (its median
    # over a member's rounds: the same for members timed for as many rounds; one far slower in a pair of
    # rounds, by a hiccup, stops there)
    both = pd.concat(sizes, names=["who"]).reset_index(level=0)
    for _, same in both.groupby(["size", "rounds"]):
        assert same["reference_s"].nunique() == 1, both[["who", "size", "rounds", "reference_s", "note"]]


def test_speeds_within_the_method_resolution_share_a_rank(tmp_path: Path) -> None:
    # six copies of one plugin, as timed in one batch (3.21x to 3.33x), and one clearly slower
    speeds = {f"copy{i}": r for i, r in enumerate((3.33, 3.21, 3.25, 3.30, 3.22, 3.28))} | {"slower": 5.0}
    dirs = [_run_dir(tmp_path / name, name, 2.0, r, r * 0.95, r * 1.05) for name, r in speeds.items()]
    res = cli("leaderboard", *dirs, "--out", tmp_path / "board")
    assert res.exit_code == 0, res.output
    board = pd.read_csv(tmp_path / "board" / "leaderboard.csv", keep_default_na=False)
    copies = board[board["submission"].str.startswith("copy")]
    assert set(copies["rank"]) == {1} and list(copies["submission"]) == sorted(copies["submission"])
    assert copies["note"].str.contains("tied within measurement resolution").all()
    slower = board.set_index("submission").loc["slower"]
    assert slower["rank"] == 7 and "slower by geomean" in slower["note"]


@pytest.mark.parametrize("source", [TYPO, SYNTAX_ERROR, GOOD], ids=["not-loaded", "import-error", "graded"])
def test_a_numba_folder_kept_for_the_speed_phase_is_never_left_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    """``harness grade`` keeps a plugin's Numba folder from its correctness run to its speed group.

    The test's own temporary folder: the suite's other workers, in the same
    process group, make theirs meanwhile.
    """
    import tempfile

    from harness.batch.grade import GRADED, add_speed, grade_correctness
    from harness.course import select_tasks
    from harness.sandbox.launch import Limits

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))

    def folders() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob(f"harness-numba-{os.getpgid(0)}-*"))

    before = folders()
    (tmp_path / "sub.py").write_text(source)
    tasks = select_tasks("relu")
    graded = grade_correctness("sub", "sub.py", tmp_path / "sub.py", tasks, 1, Limits(), speed=True)
    if graded.status == GRADED:  # kept for its speed, dropped once timed
        assert graded.result is not None and graded.result.numba_cache in folders() - before
        add_speed([graded], tasks, Limits())
    assert folders() == before, graded.status
