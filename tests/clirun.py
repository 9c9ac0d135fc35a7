"""Run the ``harness`` command the way a user does, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "tests" / "plugins"


@dataclass
class Result:
    code: int
    out: str
    err: str
    report: Path

    def summary(self) -> dict:
        return json.loads((self.report / "summary.json").read_text())

    def tasks(self) -> pd.DataFrame:
        return pd.read_csv(self.report / "tasks.csv", keep_default_na=False)

    def cases(self) -> pd.DataFrame:
        return pd.read_csv(self.report / "cases.csv", keep_default_na=False)


def harness(*args: str, cwd: Path | None = None, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m harness ARGS``; ``env`` adds to (or replaces some of) this process's variables."""
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env={**os.environ, **(env or {})})


def run(plugin: str | Path, out: Path, *extra: str, speed: bool = False, seed: int | None = 1,
        env: dict[str, str] | None = None) -> Result:
    """``harness run``; ``seed=None`` lets the harness draw one."""
    args = ["run", "--plugin", str(plugin), "--out", str(out), *extra]
    if seed is not None:
        args += ["--seed", str(seed)]
    if not speed:
        args.append("--no-speed")
    proc = harness(*args, env=env)
    return Result(proc.returncode, proc.stdout, proc.stderr, out)
