"""The charts of report.html and the leaderboard page: matplotlib (Agg) to inline SVG.

Every chart is drawn from data the grading side already holds: the task and
speed tables, and for public cases the outputs the worker returned and the
reference's expected values (:func:`case_plots`, taken while grading). Hidden
cases are never plotted. No plugin code runs here.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import numpy as np
import pandas as pd

_GREEN, _YELLOW, _RED, _GREY, _BLUE = "#4caf50", "#f0ad4e", "#d9534f", "#9e9e9e", "#4a7fb5"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "harness",
                                "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    import matplotlib.pyplot as plt

    return plt


def to_svg(fig: Any, label: str) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), closed afterwards."""
    plt = _plt()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<svg ", f'<svg class="chart" role="img" aria-label="{label}" ', svg, count=1)


def _log_axis(ax: Any, span: float) -> None:
    """An x axis of log10 ratios over [-span, span], ticks at 1-2-5 ratios (decades when crowded)."""
    ticks = [math.log10(m * 10.0**k) for k in range(-6, 7) for m in (1, 2, 5)
             if abs(math.log10(m * 10.0**k)) <= span + 1e-9]
    if len(ticks) > 9:
        ticks = [t for t in ticks if float(t).is_integer()]
    ax.set_xlim(-span, span)
    ax.set_xticks(ticks, [f"{10.0 ** t:.3g}x" for t in ticks])


# ------------------------------------------------------------------ data taken while grading


def _leaf(tree: Any, index: int | None) -> np.ndarray | None:
    if index is not None:
        if not isinstance(tree, list) or len(tree) <= index:
            return None
        tree = tree[index]
    return tree if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else None


def case_plots(results: list[Any]) -> list[dict[str, Any]]:
    """What the report plots, from the grading's case results (public cases only).

    For each elementwise task, its first failing single-input case with an
    output of the right shape: the input, the plugin's and the reference's
    output. For each training task, its first public case whose curve came
    back: the plugin's and the reference's curves.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in results:
        task, case = r.task, r.case
        got = getattr(r, "outputs", None)
        if case.hidden or task.name in seen or got is None or case.expected is None:
            continue
        if task.curve is not None:  # a training task: its curve over epochs
            index, what = task.curve
            mine, ref = _leaf(got, index), _leaf(case.expected, index)
            if mine is not None and ref is not None and mine.ndim == 1 and ref.ndim == 1 and len(ref):
                out.append({"kind": "curve", "task": task.name, "case_id": case.id, "what": what,
                            "outcome": r.verdict.outcome, "got": mine, "expected": ref})
                seen.add(task.name)
        elif task.elementwise and r.verdict.outcome != "pass":
            arrays = {k: np.asarray(v, dtype=np.float64) for k, v in case.calls[0].kwargs.items()
                      if isinstance(v, np.ndarray) and v.size > 1}
            mine, ref = _leaf(got, None), _leaf(case.expected, None)
            if not arrays or mine is None or ref is None or mine.shape != ref.shape:
                continue
            name, x = next(iter(arrays.items()))
            if x.shape != ref.shape:
                continue
            out.append({"kind": "elementwise", "task": task.name, "case_id": case.id, "input": name,
                        "outcome": r.verdict.outcome, "x": x.ravel(), "got": mine.ravel(),
                        "expected": ref.ravel()})
            seen.add(task.name)
    return out


# ------------------------------------------------------------------ report.html


def points_chart(tasks: pd.DataFrame) -> str:
    """A bar per task: points earned of its maximum, green all / yellow some / red none."""
    plt = _plt()
    names = tasks["task"].astype(str).tolist()
    pts = pd.to_numeric(tasks["points"], errors="coerce").fillna(0).to_numpy()
    top = pd.to_numeric(tasks["max_points"], errors="coerce").fillna(0).to_numpy()
    colours = [_GREEN if p >= m - 1e-9 else _RED if p <= 1e-9 else _YELLOW for p, m in zip(pts, top, strict=True)]
    fig, ax = plt.subplots(figsize=(7.5, 0.22 * len(names) + 0.8))
    y = np.arange(len(names))[::-1]
    ax.barh(y, top, color="#eeeeee", edgecolor="#cccccc", height=0.7, label="maximum")
    ax.barh(y, pts, color=colours, height=0.7, label="earned")
    ax.set_yticks(y, names)
    ax.set_xlabel("points (green: every case passed, yellow: some, red: none)")
    ax.set_xlim(0, max(1.0, float(top.max()) if len(top) else 1.0) * 1.05)
    return to_svg(fig, "points per task")


def case_chart(plot: dict[str, Any]) -> str:
    """A failing elementwise case: the plugin's output and the reference's over the input."""
    plt = _plt()
    x, got, exp = plot["x"], plot["got"], plot["expected"]
    order = np.argsort(x, kind="stable")
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.plot(x[order], exp[order], "-o", color=_BLUE, ms=3, lw=1.5, label="reference")
    ax.plot(x[order], got[order], "--s", color=_RED, ms=3, lw=1, label="yours")
    with np.errstate(all="ignore"):
        err = np.abs(got - exp)
    err = np.where(np.isfinite(err), err, np.inf)
    if len(err):
        k = int(np.argmax(err))
        if np.isfinite(got[k]) and np.isfinite(exp[k]):
            ax.annotate("", xy=(x[k], got[k]), xytext=(x[k], exp[k]),
                        arrowprops={"arrowstyle": "<->", "color": "black", "lw": 1})
        ax.plot([x[k]], [got[k] if np.isfinite(got[k]) else exp[k]], "o", ms=11, mfc="none",
                mec="black", mew=1.5, label=f"worst: {plot['input']} = {x[k]:.4g}")
    ax.set_xlabel(plot["input"])
    ax.set_title(f"{plot['task']} — {plot['case_id']} ({plot['outcome']})", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    return to_svg(fig, f"{plot['task']} against the reference")


def curve_chart(plot: dict[str, Any]) -> str:
    """A training task's curve over epochs, the plugin's against the reference's."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.plot(np.arange(len(plot["expected"])), plot["expected"], "-", color=_BLUE, lw=2, label="reference")
    ax.plot(np.arange(len(plot["got"])), plot["got"], "--", color=_RED, lw=1.2, label="yours")
    ax.set_xlabel("epoch")
    ax.set_ylabel(plot["what"])
    ax.set_title(f"{plot['task']} — {plot['case_id']} ({plot['outcome']})", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    return to_svg(fig, f"{plot['task']} {plot['what']} over epochs")


def speed_chart(tasks: pd.DataFrame, sizes: pd.DataFrame | None) -> str:
    """Time ratio to the reference per task and size, log scale, 95% interval bars, par at 1."""
    plt = _plt()
    if sizes is not None and len(sizes) and {"task", "size", "ratio"} <= set(sizes.columns):
        rows = sizes.assign(label=sizes["task"].astype(str) + " · " + sizes["size"].astype(str))
        rows = rows.rename(columns={"ci_low": "low", "ci_high": "high"})
    else:
        rows = tasks.rename(columns={"speed_ratio": "ratio", "speed_ci_low": "low", "speed_ci_high": "high"})
        rows = rows.assign(label=rows["task"].astype(str))
    ratio = pd.to_numeric(rows["ratio"], errors="coerce")
    rows = rows[(ratio > 0) & np.isfinite(ratio)]
    r = pd.to_numeric(rows["ratio"]).to_numpy()
    low = pd.to_numeric(rows.get("low", pd.Series(r)), errors="coerce").fillna(pd.Series(r, index=rows.index)).to_numpy()
    high = pd.to_numeric(rows.get("high", pd.Series(r)), errors="coerce").fillna(pd.Series(r, index=rows.index)).to_numpy()
    low, high = (np.where((b > 0) & np.isfinite(b), b, r) for b in (low, high))  # a bound of 0: no bar to draw
    fig, ax = plt.subplots(figsize=(7.5, 0.2 * len(rows) + 0.9))
    y = np.arange(len(rows))[::-1]
    colours = [_GREY if lo <= 1.05 and hi >= 0.95 else (_RED if v > 1 else _GREEN)
               for v, lo, hi in zip(r, low, high, strict=True)]
    ax.barh(y, np.log10(r), color=colours, height=0.7)
    ax.errorbar(np.log10(r), y, xerr=[np.log10(r) - np.log10(np.minimum(low, r)),
                                      np.log10(np.maximum(high, r)) - np.log10(r)],
                fmt="none", ecolor="black", elinewidth=1, capsize=2)
    ax.axvline(0, color="black", lw=1.2)
    ax.text(0, len(rows) - 0.3, " par (1x)", fontsize=8, va="bottom")
    span = max(math.log10(2.0), float(np.nanmax(np.abs(np.log10(np.concatenate([r, low, high]))))) * 1.1
               if len(r) else 1.0)
    _log_axis(ax, span)
    ax.set_yticks(y, rows["label"].astype(str).tolist())
    ax.set_xlabel("time over the reference's (log scale; right is slower; bars: 95% interval)")
    return to_svg(fig, "speed relative to the reference")


# ------------------------------------------------------------------ leaderboard


def score_distribution(board: pd.DataFrame) -> str:
    """Histogram of the class's percent scores."""
    plt = _plt()
    pct = pd.to_numeric(board["percent"], errors="coerce").dropna().clip(0, 100).to_numpy()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    ax.hist(pct, bins=np.linspace(0, 100, 11), color=_BLUE, edgecolor="white")
    ax.set_xlabel("score (%)")
    ax.set_ylabel("submissions")
    ax.set_xlim(0, 100)
    ax.set_title(f"{len(pct)} submissions, median {np.median(pct) if len(pct) else 0:.1f}%", fontsize=9)
    return to_svg(fig, "score distribution of the class")


def geomean_chart(board: pd.DataFrame) -> str:
    """Speed geomean per submission, log scale around par."""
    plt = _plt()
    g = pd.to_numeric(board["speed_geomean"], errors="coerce")
    rows = board[(g > 0) & np.isfinite(g)]
    fig, ax = plt.subplots(figsize=(5.2, 0.22 * max(len(rows), 1) + 0.9))
    if not len(rows):
        ax.text(0.5, 0.5, "no submission was timed", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return to_svg(fig, "speed geomean per submission")
    v = np.log10(pd.to_numeric(rows["speed_geomean"]).to_numpy())
    y = np.arange(len(rows))[::-1]
    ax.barh(y, v, color=[_RED if x > 0 else _GREEN for x in v], height=0.7)
    ax.axvline(0, color="black", lw=1.2)
    span = max(math.log10(2.0), float(np.abs(v).max()) * 1.1)
    _log_axis(ax, span)
    ax.set_yticks(y, rows["submission"].astype(str).tolist())
    ax.set_xlabel("geometric mean of the speed ratios (log scale; right is slower)")
    return to_svg(fig, "speed geomean per submission")
