"""The checks of a round's timed outputs against the reference's: whole, by fingerprint, the picked calls read back."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.grading.model import Task
from harness.grading.runner import POOL_NAME
from harness.speed.fresh import unpredictable
from harness.speed.timed import VOIDED, Voided, Window
from harness.worker.fingerprint import matches as fingerprint_matches

CHECKED_ELEMENTS = 4096  # elements of a revealed output compared with the reference's, at random places
ALIKE_SLACK = 8.0  # answers to inputs scaled in place must differ by this many tolerances, or the inputs move
ALIKE_NORMS_SLACK = 256.0  # the same for fingerprints' sums of squares (see answers_move)


def answers_move(w: Window, task: Task) -> bool:
    """Whether the checks cannot tell apart the reference's answers to two inputs scaled in place.

    ``w`` is the warm-up window, whose inputs were scaled in place; its first
    two answers are compared as every timed call's will be, with
    :data:`ALIKE_SLACK` times the task's tolerance: whole, or by their
    fingerprints' sums of squares. Alike,
    an answer kept from another call would pass, so the inputs must move too
    (:func:`harness.speed.fresh.make_pool`): an answer of the signs alone (a derivative of 0s
    and 1s, a prediction of classes), or a large output whose sum of squares
    moves by less than the tolerance when every element is scaled by its own
    factor (a million elements average the factors out). One call: it
    cannot be told, they move.

    Sums of squares get :data:`ALIKE_NORMS_SLACK`: the difference between two
    answers' sums of squares is a sum of the factors' differences, as often
    near zero as not, so one pair far apart says little of the next: at
    8 tolerances, the large size's inputs stayed in place in 3 runs of 40
    and a stale answer passed its fingerprint in 1 of those 3.
    """
    if w.outputs is not None and len(w.outputs) >= 2:
        return bool(np.isclose(w.outputs[1], w.outputs[0], equal_nan=True, **_tolerance(task, ALIKE_SLACK)).all())
    if w.prints is not None and len(w.prints) >= 2:
        try:
            check_norms(w.prints[1:2], w.prints[:1], w.out_bytes // 8, task, ALIKE_NORMS_SLACK)
        except Voided:
            return False
    return True


def _tolerance(task: Task, slack: float = 1.0) -> dict[str, float]:
    """The task's tolerance for timed outputs (floored), times ``slack``."""
    return {"rtol": slack * max(task.rtol, 1e-6), "atol": slack * max(task.atol, 1e-8)}


def check_whole(got: np.ndarray, expected: np.ndarray, task: Task) -> None:
    """Every output of a block (rows) against the reference's for the same inputs."""
    if got.shape != expected[:len(got)].shape:
        raise Voided(f"the timed outputs are not shaped as the reference's: {VOIDED}")
    close = np.isclose(got, expected[:len(got)], equal_nan=True, **_tolerance(task))
    if not close.all():
        i = int(np.argmin(close.all(axis=1)))
        raise Voided(f"timed call {i + 1} of {len(got)}: wrong or stale output (it differs from the "
                     f"reference's for that call's input): {VOIDED}")


def check_norms(got: np.ndarray, expected: np.ndarray, elements: int, task: Task, slack: float = 1.0) -> None:
    """Every call of a block by its fingerprint's sum of squares, against the reference's for that call's input.

    The sum of squares of an output's large leaves (:mod:`harness.worker.fingerprint`)
    moves by at most what the task's tolerance allows every element: an
    output right to that tolerance passes; an output of another input (a
    stale answer), or garbage, is off by far more. ``elements``: the
    output's size, at most; ``slack``: the tolerance times this.
    """
    n = min(len(got), len(expected))
    g, e = got[:n, 1], np.abs(expected[:n, 1])
    tol = _tolerance(task, slack)
    rtol, atol = tol["rtol"], tol["atol"]
    # |p^2 - r^2| <= (atol + rtol |r|)(2 |r| + atol + rtol |r|) per element, summed (sum |r| <= sqrt(n sum r^2))
    bound = (2 * atol * np.sqrt(elements * e) + 2 * (rtol + rtol * rtol) * e + 2 * elements * atol * atol
             + 1e-9 * e)  # and the order of a sum's rounding
    with np.errstate(invalid="ignore"):
        ok = (g == expected[:n, 1]) | (np.abs(g - expected[:n, 1]) <= bound) | (np.isnan(g) & np.isnan(e))
    if not ok.all():
        i = int(np.argmin(ok))
        raise Voided(f"timed call {i + 1} of {len(got)}: wrong or stale output (its fingerprint is not the "
                     f"reference's for that call's input): {VOIDED}")


def check_outputs(got: list[tuple[np.ndarray, list[int]]], expected: list[tuple[np.ndarray, list[int]]],
                  prints: np.ndarray, picks: list[int], calls: int, task: Task) -> None:
    """Outputs of picked calls: each must be the one its fingerprint committed, and the reference's.

    The fingerprint covers every element; the reference is compared at
    :data:`CHECKED_ELEMENTS` places drawn now (all of them in a smaller
    output), so an output wrong anywhere but in a few places is caught.
    """
    for i, (g, g_sizes), (e, e_sizes) in zip(picks, got, expected, strict=True):
        if not fingerprint_matches(prints[i], np.split(g, np.cumsum(g_sizes)[:-1])):
            raise Voided(f"timed call {i + 1} of {calls}: its output is not the one the block answered "
                         f"(computed after the block?): {VOIDED}")
        where = (unpredictable().integers(0, len(g), CHECKED_ELEMENTS)
                 if len(g) > CHECKED_ELEMENTS and len(g) == len(e) else slice(None))
        if g_sizes != e_sizes or not np.isclose(g[where], e[where], equal_nan=True, **_tolerance(task)).all():
            raise Voided(f"timed call {i + 1} of {calls}: wrong or stale output (it differs from the "
                         f"reference's for that call's input): {VOIDED}")


def wrote_its_inputs(pids: list[int]) -> bool:
    """Whether one of these processes wrote to the pool of inputs (so has pages of it of its own).

    A worker maps the pool copy-on-write (:func:`harness.worker.bench.map_pool`):
    a call that writes over its input gets a private copy of that page and
    reads its own stale values there from then on, so its later answers are
    wrong. Read from ``/proc/PID/smaps`` (the pool mapping's ``Anonymous``
    pages) only once a plugin's outputs failed, to say why.
    """
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps").read_text()
        except OSError:
            continue
        in_pool = False
        for line in text.splitlines():
            name, _, value = line.partition(":")
            if " " in name:  # a mapping's first line: "start-end perms offset dev inode path"
                in_pool = f"/memfd:{POOL_NAME} " in line
            elif in_pool and name == "Anonymous" and value.split()[0] != "0":
                return True
    return False
