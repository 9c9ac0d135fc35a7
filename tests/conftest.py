"""Suite-wide: with ``--allowed-skips FILE`` a skip whose reason FILE does not list fails the run.

A test may skip only for a capability the machine truly lacks; ``.ci/run``
passes ``.ci/expected-skips.txt``, the explicit list of such reasons for the
CI machine, so a test that CI can run never passes there by skipping.

The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject.toml):
each worker is pinned to its own share of the cores (a machine of its own:
a timed test's sides run on a core the other workers' tests never touch),
and the timed tests (:data:`TIMED`) run on one worker, one at a time.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

TIMED = "tests/test_speed.py"  # its tests time plugins: not two at a time (pytest_xdist_make_scheduler)


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker keeps to its own cores: worker k of n takes every n-th core from the k-th."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if worker and count:
        cores = sorted(os.sched_getaffinity(0))
        k, n = int(worker.removeprefix("gw")), int(count)
        if n <= len(cores):
            os.sched_setaffinity(0, cores[k::n])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Every test a unit of work of its own, but the timed ones: one unit, sent to one worker first (the largest)."""
    from xdist.scheduler import LoadScopeScheduling

    class TimedTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return TIMED if nodeid.startswith(f"{TIMED}::") else nodeid

    return TimedTogether(config, log)


@pytest.fixture
def gone(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Two process numbers of harnesses gone, to this process only (for the cgroups a test leaves "by" them).

    To the suite's other harness processes they are alive (two sleepers):
    a truly dead one's leftovers would be theirs to clean up too, maybe first.
    """
    from harness.sandbox import cgroups

    owners = [subprocess.Popen(["sleep", "600"]) for _ in range(2)]
    pids = {p.pid for p in owners}
    monkeypatch.setattr(cgroups, "pid_alive", lambda pid, alive=cgroups.pid_alive: pid not in pids and alive(pid))
    yield [p.pid for p in owners]
    for p in owners:
        p.kill()
        p.wait()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--allowed-skips", metavar="FILE", default=None,
                     help="fail the run on a skip whose reason contains none of FILE's lines")


def _allowed(config: pytest.Config) -> list[str] | None:
    path = config.getoption("--allowed-skips")
    if path is None:
        return None
    lines = Path(path).read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


def _unexpected(config: pytest.Config) -> list[pytest.TestReport] | None:
    """The skips whose reason the allowed list does not name (None without ``--allowed-skips``)."""
    allowed = _allowed(config)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if allowed is None or reporter is None:
        return None
    return [r for r in reporter.stats.get("skipped", []) if not any(a in _reason(r) for a in allowed)]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    unexpected = _unexpected(config)
    if unexpected is None:
        return
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"skips: {skipped}, {len(unexpected)} of them not in "
                                f"{config.getoption('--allowed-skips')}")
    for r in unexpected:
        terminalreporter.write_line(f"UNEXPECTED SKIP {r.nodeid}: {_reason(r)}", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected(session.config) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
