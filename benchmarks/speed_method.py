"""Proof of the speed method: three checks whose figures the README quotes.

    python benchmarks/speed_method.py [--tasks PATTERN] [--out DIR] [--busy]

1. ``reference`` graded against itself: every task's ratio within 5% of 1;
2. the same plugin (``numpy``) timed twice: every task's ratio agrees within 10%;
3. a copy of ``numpy`` with 1 ms of busy work (CPU, not a sleep) added to one hook (``relu``): that
   hook is measured slower by about 1 ms per call, and no other task's ratio
   moves by more than 20% (a third run's noise on a shared machine).

``--busy`` runs all three with another CPU-bound process on the machine.

It prints a table per check and a verdict line; it is a benchmark, not a test
(timings on a shared machine are not asserted in the test suite).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.batch.run import run_plugin
from harness.course import select_tasks
from harness.loading.plugins import resolve
from harness.sandbox.launch import Limits

ROOT = Path(__file__).resolve().parents[1]

#: Appended to a copy of the numpy plugin's source (a plugin may not import the bundled ones).
SLEEPY = textwrap.dedent('''

    # added by benchmarks/speed_method.py: 1 ms of busy work in relu
    import time as _time


    def _sleepy(numpy_relu):
        @hookimpl
        def relu(z):
            start = _time.thread_time()  # 1 ms of CPU: the clock is CPU time, a sleep is not charged
            while _time.thread_time() - start < 0.001:
                pass
            return numpy_relu(z)

        return relu


    relu = _sleepy(relu)
''')


def speed_table(plugin: str, tasks: list, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Per task and size: ratio, interval, mark, per-call times (``speed.csv``); and per task its speed points
    (``tasks.csv``). Prints the run's time and points."""
    t0 = time.monotonic()
    result = run_plugin(resolve(plugin), tasks, seed=seed, limits=Limits(), out=None, speed=True)
    summary = result.summary
    print(f"   ({Path(plugin).name}: graded and timed in {time.monotonic() - t0:.1f} s; speed points "
          f"{summary['speed_points']:.2f} of {summary['speed_max_points']:g})")
    return result.speed_sizes, result.tasks.set_index("task")["speed_points"].astype(float)


def per_task(sizes: pd.DataFrame) -> pd.Series:
    """A task's ratio: the geometric mean over its timed sizes (as in ``tasks.csv``)."""
    timed = sizes[sizes["rounds"] > 0]
    return np.exp(np.log(timed["ratio"]).groupby(timed["task"]).mean())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=None, help="task pattern (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="write the tables as CSV here")
    parser.add_argument("--busy", action="store_true",
                        help="keep one core busy with another CPU-bound process all along")
    args = parser.parse_args(argv)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        return _checks(args)
    finally:
        if busy is not None:
            busy.kill()


def _checks(args: argparse.Namespace) -> int:
    tasks = select_tasks(args.tasks)
    pd.set_option("display.width", 200)
    cols = ["task", "size", "ratio", "ci_low", "ci_high", "mark", "rounds", "note"]
    ok = True

    self_vs, _ = speed_table("reference", tasks, seed=11)
    timed = self_vs[self_vs["rounds"] > 0]
    tasks_ratio = per_task(self_vs)
    print("1. reference against itself\n", timed[cols].to_string(index=False))
    print(f"   task sizes: {int((timed['mark'] == '~').sum())}/{len(timed)} marked '~', "
          f"{int(timed['ratio'].between(0.9, 1.1).sum())}/{len(timed)} within 10% of 1, "
          f"median {timed['ratio'].median():.3f}")
    print(f"   tasks: {int(tasks_ratio.between(1 / 1.05, 1.05).sum())}/{len(tasks_ratio)} within 5% of 1 "
          f"(from {tasks_ratio.min():.3f} to {tasks_ratio.max():.3f})")
    apart = timed[(timed["ci_low"] > 1.05) | (timed["ci_high"] < 1 / 1.05)]
    print(f"   task sizes told apart from 1 (interval wholly outside the 5% resolution): {len(apart)}/{len(timed)}"
          + "".join(f"; {r.task} {r.size} {r.ratio:.3f}" for r in apart.itertuples()))
    ok &= bool(tasks_ratio.between(1 / 1.05, 1.05).all())

    (first, first_points), (second, second_points) = (speed_table("numpy", tasks, seed=12),
                                                      speed_table("numpy", tasks, seed=12))
    change = per_task(second) / per_task(first) - 1
    print("2. numpy timed twice: change of each task's ratio\n", change.round(3).to_string())
    print(f"   tasks: {int((change.abs() <= 0.10).sum())}/{len(change)} agree within 10%; "
          f"largest change {change.abs().max():.1%}")
    moved = (second_points - first_points).abs()
    print(f"   speed points: {first_points.sum():.2f} and {second_points.sum():.2f}; "
          f"a task's at most {moved.max():.3f} apart ({moved.idxmax()})")
    ok &= bool((change.abs() <= 0.10).all())

    with tempfile.TemporaryDirectory() as tmp:
        sleepy = Path(tmp) / "sleepy_numpy.py"
        sleepy.write_text((ROOT / "plugins" / "numpy_plugin.py").read_text() + SLEEPY)
        slow, _ = speed_table(str(sleepy), tasks, seed=12)
    both = first.merge(slow, on=["task", "size"], suffixes=("", "_sleepy"))
    both["added_ms"] = (both["plugin_s_sleepy"] - both["plugin_s"]) * 1e3
    relu = both[both["task"] == "relu"]
    print("3. numpy with 1 ms of busy work in relu\n",
          relu[["task", "size", "ratio", "ratio_sleepy", "added_ms", "note_sleepy"]].to_string(index=False))
    others = (per_task(slow) / per_task(first) - 1).drop("relu", errors="ignore")
    print(f"   relu: +{relu['added_ms'].min():.2f} to +{relu['added_ms'].max():.2f} ms per call "
          f"(its ratio from {relu['ratio'].min():.1f}-{relu['ratio'].max():.1f}x to "
          f"{relu['ratio_sleepy'].min():.1f}-{relu['ratio_sleepy'].max():.1f}x); every other task's ratio "
          f"changed by at most {others.abs().max():.1%} (median {others.abs().median():.1%})")
    ok &= bool(relu["added_ms"].between(0.9, 1.5).all()) and bool((others.abs() <= 0.20).all())

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        self_vs.to_csv(args.out / "reference_vs_reference.csv", index=False)
        first.merge(second, on=["task", "size"], suffixes=("_1", "_2")).to_csv(args.out / "numpy_twice.csv",
                                                                                 index=False)
        both.to_csv(args.out / "sleep_1ms.csv", index=False)
    print("method holds" if ok else "method check FAILED (see the tables above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
