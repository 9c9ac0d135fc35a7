"""A size's ratio from the same timed rounds, by the shipped rule and by the rule before it.

    python benchmarks/speed_replay.py [--plugin NAME] [--runs N] [--tasks PATTERN]

Times ``--plugin`` (default ``reference``: the reference against itself)
``--runs`` times (default 4), keeps every size's rounds (the plugin's
windows, the reference's time per call, the harness's share of each round)
and computes each size's ratio three ways on those same rounds:

* shipped: each round charged the harness share of that round, within 1.5
  times the median (``measure._per_call``); the median over every pair of
  an even and an odd round (``ratios.crossed``);
* before (up to 3940d0e): the median share of the size's rounds taken off
  every round; the median over consecutive pairs of rounds;
* floor (not a rule): the plugin's blocks as its worker timed them (its
  own word, never trusted) against the reference's, paired as shipped: the
  spread that would be left if the harness's own work in a window cost
  nothing. What the shipped rule adds to it is the price of charging the
  whole window (the commit's time, and its noise, on both sides).

Compared on the same rounds: the machine's noise, which moves from run to
run and from hour to hour, is the same for all three. It prints, per rule,
the mean |log ratio| of each size (against itself: 0 is exact), also by
size, and the sizes off 5%, and, between consecutive runs, the mean change of a
size's ratio (the same plugin timed twice). A benchmark: the tests assert
what each rule does to rounds made up for it.
"""

from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

from harness.batch.run import run_plugin
from harness.course import select_tasks
from harness.loading.plugins import resolve
from harness.sandbox.launch import Limits
from harness.speed import measure, ratios


def capture(plugin: str, runs: int, tasks: str | None) -> list[list[dict]]:
    """Every timed size's rounds, run by run."""
    shares: dict[int, tuple[list[float], float]] = {}
    last: dict[int, float] = {}  # each plugin's block in the latest round, its own word
    blocks: dict[int, list[float]] = {}
    per_call, summarize, timed_round = measure._per_call, measure._summarize, measure._round
    out: list[list[dict]] = []

    def spy_round(ref, live, *args, **kwargs):
        ref_window, windows, order = timed_round(ref, live, *args, **kwargs)
        last.update({key: w.block for key, w in windows.items()})
        return ref_window, windows, order

    def spy_per_call(p, overhead, harness):
        shares[id(p)] = (list(harness), overhead)
        blocks.setdefault(id(p), []).append(last[id(p)])  # called once a timed round, after its totals grew
        return per_call(p, overhead, harness)

    def spy_summarize(p, ref_per_call, seed, opts):
        summarize(p, ref_per_call, seed, opts)
        harness, overhead = shares[id(p)]
        out[-1].append({"size": (p.res.task, p.res.size), "number": p.number, "totals": list(p.totals),
                        "harness": harness[:len(p.totals)], "overhead": overhead, "ref": list(ref_per_call),
                        "blocks": blocks.pop(id(p), [])[-len(p.totals):]})

    measure._per_call, measure._summarize, measure._round = spy_per_call, spy_summarize, spy_round
    try:
        for run in range(runs):
            out.append([])
            run_plugin(resolve(plugin), select_tasks(tasks), seed=1000 + run, limits=Limits(), out=None, speed=True)
            print(f"   run {run + 1} of {runs}: {len(out[-1])} sizes", flush=True)
    finally:
        measure._per_call, measure._summarize, measure._round = per_call, summarize, timed_round
    return out


def shipped(r: dict) -> float:
    p = measure._Timed(worker=None, res=measure.SizeResult(*r["size"]), number=r["number"], totals=r["totals"])
    p.per_call = measure._per_call(p, r["overhead"], r["harness"])
    measure._summarize(p, r["ref"], 0, measure.SpeedOptions())
    return p.res.ratio


def before(r: dict) -> float:
    share = float(np.median(r["harness"]))
    charged = [measure._charged(t, r["overhead"], share, r["number"]) / r["number"] for t in r["totals"]]
    return float(np.median(ratios.pair_ratios(charged, r["ref"])))


def floor(r: dict) -> float:
    """The plugin's own word on its blocks against the reference's: not a rule (a plugin's word is never
    trusted), the noise left if the harness's work in a window (the request, the commit) cost nothing."""
    return float(np.median(ratios.crossed(*ratios.crossed_rounds([b / r["number"] for b in r["blocks"]],
                                                                 r["ref"]))))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", default="reference")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--tasks", default=None, help="task pattern (default: all)")
    args = parser.parse_args(argv)
    runs = capture(args.plugin, args.runs, args.tasks)
    for name, rule in (("shipped", shipped), ("before", before), ("floor", floor)):
        logs = [{r["size"]: float(np.log(max(rule(r), 1e-12))) for r in run if len(r["totals"]) >= 2}
                for run in runs]
        every = np.abs(np.concatenate([list(run.values()) for run in logs]))
        changes = np.abs([a[k] - b[k] for a, b in itertools.pairwise(logs) for k in a.keys() & b.keys()])
        by_size = {size: np.mean([abs(v) for run in logs for (_, s), v in run.items() if s == size])
                   for size in measure.SIZE_ORDER if any(s == size for run in logs for _, s in run)}
        print(f"{name:8s} mean |log ratio| {every.mean():.4f}, sizes off 5%: {np.mean(every > np.log(1.05)):.0%}"
              f" ({len(every)} sizes); between runs, mean |change| {changes.mean() if len(changes) else 0:.4f}")
        print("         by size: " + ", ".join(f"{size} {v:.4f}" for size, v in by_size.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
