"""Markdown table of a ``benchmarks/test_peers.py`` run: median time per plugin, task and size.

    pytest benchmarks/test_peers.py --benchmark-enable --benchmark-json=peers.json
    python benchmarks/peers_table.py peers.json [--within 0.10]

One row per task and size (in the order they ran), one column per plugin with
its median time; the fastest median is in bold. ``rank`` is the reference's
place among the plugins that ran (1 = fastest) and ``ref/best`` its median over
the fastest one. A plugin that did not run (skipped) shows "–". The last lines
count the task sizes the reference wins, and those where it is more than
``--within`` (10%) slower than the fastest.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

PLUGIN_ORDER = ("reference", "numpy", "python", "torch")
UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


@dataclass
class Row:
    """The medians (seconds) of one task and size, by plugin."""

    task: str
    size: str
    medians: dict[str, float] = field(default_factory=dict)

    @property
    def fastest(self) -> str:
        return min(self.medians, key=self.medians.__getitem__)

    def ratio(self, plugin: str = "reference") -> float:
        """``plugin``'s median over the fastest median (NaN when it did not run)."""
        if plugin not in self.medians:
            return math.nan
        return self.medians[plugin] / self.medians[self.fastest]

    def rank(self, plugin: str = "reference") -> int | None:
        if plugin not in self.medians:
            return None
        return 1 + sum(t < self.medians[plugin] for t in self.medians.values())


def load_rows(path: Path) -> list[Row]:
    """Rows of a pytest-benchmark JSON file written by ``test_peers.py``."""
    rows: dict[tuple[str, str], Row] = {}
    for bench in json.loads(path.read_text())["benchmarks"]:
        info = bench["extra_info"]
        key = (info["task"], info["size"])
        rows.setdefault(key, Row(*key)).medians[info["plugin"]] = bench["stats"]["median"]
    return list(rows.values())


def plugins_of(rows: list[Row]) -> list[str]:
    seen = {p for row in rows for p in row.medians}
    return [p for p in PLUGIN_ORDER if p in seen] + sorted(seen - set(PLUGIN_ORDER))


def fmt_time(seconds: float) -> str:
    """3 significant digits with a unit: ``1.23 ms``, ``456 ns``."""
    for scale, unit in UNITS:
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    raise AssertionError  # pragma: no cover


def cell(row: Row, plugin: str) -> str:
    if plugin not in row.medians:
        return "–"
    text = fmt_time(row.medians[plugin])
    return f"**{text}**" if plugin == row.fastest else text


def markdown(rows: list[Row]) -> list[str]:
    plugins = plugins_of(rows)
    head = ["task", "size", *plugins, "fastest", "rank", "ref/best"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * len(plugins) + "---|---:|---:|"]
    for row in rows:
        rank = row.rank()
        cells = [row.task, row.size, *(cell(row, p) for p in plugins), row.fastest,
                 "–" if rank is None else f"{rank}/{len(row.medians)}", f"{row.ratio():.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary(rows: list[Row], within: float) -> list[str]:
    """The reference's wins, and the task sizes where it is more than ``within`` behind."""
    ran = [row for row in rows if "reference" in row.medians]
    wins = [row for row in ran if row.fastest == "reference"]
    behind = [row for row in ran if row.ratio() > 1.0 + within]
    lines = [f"The reference is the fastest on {len(wins)} of {len(ran)} task sizes; "
             f"within {within:.0%} of the fastest on {len(ran) - len(behind)}."]
    for size in ("tiny", "medium", "large"):
        at = [row for row in ran if row.size == size]
        if at:
            n_wins = sum(row.fastest == "reference" for row in at)
            n_close = sum(row.ratio() <= 1.0 + within for row in at)
            lines.append(f"- {size}: fastest on {n_wins} of {len(at)}, within {within:.0%} on {n_close}")
    if behind:
        lines.append(f"More than {within:.0%} behind the fastest: " + ", ".join(
            f"{row.task}[{row.size}] ({row.ratio():.2f}x {row.fastest})" for row in behind))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", type=Path, help="the file written by --benchmark-json")
    parser.add_argument("--within", type=float, default=0.10,
                        help="the margin behind the fastest that still counts as a tie (default 0.10)")
    args = parser.parse_args(argv)
    rows = load_rows(args.json)
    if not rows:
        print(f"{args.json}: no benchmarks of test_peers.py in it", file=sys.stderr)
        return 1
    print("\n".join(markdown(rows) + [""] + summary(rows, args.within)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
