"""A size's ratio from its rounds: pairs of rounds crossed, a bootstrap interval, the mark and the points curve."""

from __future__ import annotations

import math

import numpy as np


def near_one(ci_low: float, ci_high: float, resolution: float) -> str:
    """"~" when the interval reaches [1/(1+resolution), 1+resolution]: not told apart from 1."""
    return "~" if ci_low <= 1.0 + resolution and ci_high >= 1.0 / (1.0 + resolution) else ""


def speed_fraction(ratio: float, par: float, zero: float) -> float:
    """The share of a task's speed points earned at ``ratio`` (plugin/reference)."""
    if not math.isfinite(ratio):
        return 0.0
    if ratio <= par:
        return 1.0
    return float(np.clip(1.0 - math.log(ratio / par) / math.log(zero / par), 0.0, 1.0))


def crossed(plugin: tuple[np.ndarray, np.ndarray], ref: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The ratio of every pair of an even and an odd round: the pair's plugin time over its reference time.

    ``plugin``, ``ref``: the times per call of the even rounds and of the odd
    rounds (the last axis: rounds; any leading axes are kept). Each pair
    holds one round of either order, so the order's own effect (the side
    that runs right after itself finds its data in the caches: about 4% at
    the tiny size) cancels in each, as in a pair of consecutive rounds; but
    there are as many pairs as even times odd rounds, and a round far off
    (a hiccup) is in a few of them only, each time beside a round of its own.
    """
    (pe, po), (re, ro) = plugin, ref
    ratios, times = pe[..., :, None] + po[..., None, :], re[..., :, None] + ro[..., None, :]
    np.divide(ratios, np.maximum(times, 1e-12, out=times), out=ratios)
    return ratios.reshape(*ratios.shape[:-2], -1)


def bootstrap_crossed_ci(plugin: tuple[np.ndarray, np.ndarray], ref: tuple[np.ndarray, np.ndarray],
                         seed: int = 0, n: int = 2000) -> tuple[float, float]:
    """A bootstrap 95% interval of the median of :func:`crossed`: the rounds of either order drawn again, apart."""
    rng = np.random.default_rng(seed)
    even = rng.integers(0, len(plugin[0]), (n, len(plugin[0])))
    odd = rng.integers(0, len(plugin[1]), (n, len(plugin[1])))
    ratios = np.sort(crossed((plugin[0][even], plugin[1][odd]), (ref[0][even], ref[1][odd])), axis=1)
    half = ratios.shape[1] // 2  # the medians of the rows (sorted: 4x faster than np.median's)
    meds = ratios[:, half] if ratios.shape[1] % 2 else (ratios[:, half - 1] + ratios[:, half]) / 2
    return float(np.quantile(meds, 0.025)), float(np.quantile(meds, 0.975))


def by_order(per_call: list[float], rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``rounds`` times per call: the even rounds', the odd rounds'."""
    times = np.array(per_call[:rounds], dtype=np.float64)
    return times[0::2], times[1::2]


def crossed_rounds(plugin_per_call: list[float], ref_per_call: list[float]
                    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Both sides' times per call by order, as many rounds of either (an odd last round is left out)."""
    n = min(len(plugin_per_call), len(ref_per_call)) // 2 * 2
    return by_order(plugin_per_call, n), by_order(ref_per_call, n)


def pair_ratios(plugin_per_call: list[float], ref_per_call: list[float]) -> np.ndarray:
    """The ratio of each pair of rounds: the pair's plugin time over its reference time (for ``settled``)."""
    (pe, po), (re, ro) = crossed_rounds(plugin_per_call, ref_per_call)
    return (pe + po) / np.maximum(re + ro, 1e-12)
