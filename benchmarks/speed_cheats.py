"""The speed measurement against plugins that try to earn speed without the work.

    python benchmarks/speed_cheats.py [--seed N]

Grades, one after the other in one run, ``relu`` of: the honest plugin, one
that memoises by argument identity, one that memoises by content, one that
works in a background thread, one that skips the timing loop, one that
computes outputs only when asked for them after the block, one that takes
its outputs' fingerprints in its calls (while they are in the cache) and
answers them for the harness's, one that slows the
harness's empty requests (whose cost is subtracted from every block), one
that writes its answer over its input in timed calls (no allocation), one
that answers one large timed call with the call before's output, one that
answers right when graded and wrong (its input, cheap) once it tells it is
timed (its input is a view of memory mapped from elsewhere), and one
honestly slower than the reference; and ``sigmoid`` of the honest plugin
and of one that memoises incrementally (recomputes only the elements that
changed since its last call); and ``relu_grad`` of the honest plugin and of
one that answers its first timed answer again (right for every call if the
fresh inputs kept the staged signs in place). Fixtures in ``tests/plugins/speed/``; the
memoising ones mark a hit with a wrong element, so a memo that ever served
an answer has its speed voided. It prints each one's ratio per size, its
speed points and the note, and a verdict line: no cheat earns more speed
points than the honest code of its task. A benchmark, not a test: the tests
assert the outcomes (no points, the note), never times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from harness.batch.run import run_plugin
from harness.course import select_tasks
from harness.loading.plugins import resolve
from harness.sandbox.launch import Limits

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "plugins" / "speed"
PLUGINS = (("honest", "relu"), ("memoises_by_identity", "relu"), ("memoises_by_content", "relu"),
           ("background_thread", "relu"), ("skips_timing_loop", "relu"), ("computes_when_asked", "relu"),
           ("fingerprints_from_inputs", "relu"), ("fingerprints_in_its_calls", "relu"), ("hides_its_memory", "relu"),
           ("inflates_empty_requests", "relu"), ("overwrites_its_input", "relu"), ("stale_once_on_large", "relu"),
           ("cheats_when_timed", "relu"), ("slower_than_reference", "relu"),
           ("honest", "sigmoid"), ("memoises_incrementally", "sigmoid"),
           ("honest", "relu_grad"), ("memoises_by_sign", "relu_grad"))
HONEST, SLOWER = "honest", "slower_than_reference"


def grade(name: str, task_name: str, seed: int) -> dict[str, object]:
    result = run_plugin(resolve(str(FIXTURES / f"{name}.py")), select_tasks(task_name), seed=seed,
                        limits=Limits(), out=None, speed=True)
    task = result.tasks.iloc[0]
    sizes = result.speed_sizes.set_index("size")
    row: dict[str, object] = {"plugin": name, "task": task_name}
    for size in ("tiny", "medium", "large"):
        ratio = sizes.loc[size, "ratio"] if size in sizes.index else float("nan")
        row[f"{size} ratio"] = "-" if pd.isna(ratio) else f"{ratio:.2f}"
    row["speed points"] = round(float(task["speed_points"]), 3)
    row["of"] = float(task["speed_max_points"])
    row["note"] = str(task["speed_note"] or "")[:90]
    return row


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    table = pd.DataFrame([grade(name, task, args.seed) for name, task in PLUGINS])
    with pd.option_context("display.width", 250, "display.max_colwidth", 90):
        print(table.to_string(index=False))
    honest = table[table["plugin"] == HONEST].set_index("task")["speed points"]
    cheats = table[~table["plugin"].isin([HONEST, SLOWER])].copy()
    cheats["honest"] = cheats["task"].map(honest)
    worst = cheats.loc[(cheats["speed points"] - cheats["honest"]).idxmax()]
    ok = bool((cheats["speed points"] <= cheats["honest"] + 1e-9).all())
    print(f"{'OK' if ok else 'FAIL'}: the best cheat ({worst['plugin']}, {worst['task']}) earns "
          f"{worst['speed points']} speed points, the honest code {worst['honest']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
