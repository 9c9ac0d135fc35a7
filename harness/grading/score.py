"""The score: a run's per-case results aggregated into the per-task table (points, outcome counts).

The cases frame has one row per graded case (columns as written to ``cases.csv``:
``task``, ``case_id``, ``outcome``, ``message``, ``points``, ...). The tasks frame
has one row per task, in the order of ``task_meta`` (see :func:`tasks_frame`).
"""

from __future__ import annotations

import pandas as pd

from harness.grading.model import OUTCOMES, PASS

#: The outcomes that are not a pass, and their count columns in the tasks frame.
FAILING_OUTCOMES = tuple(o for o in OUTCOMES if o != PASS)


def count_column(outcome: str) -> str:
    """The tasks-frame column counting ``outcome`` ("not implemented" -> "not_implemented")."""
    return outcome.replace(" ", "_")


COUNT_COLUMNS = tuple(count_column(o) for o in FAILING_OUTCOMES)

#: Columns of the tasks frame, in order (speed columns, when measured, come after).
TASK_COLUMNS = (
    "task", "group", "slide", "max_points", "points", "cases", "passed",
    *COUNT_COLUMNS, "first_failure",
)  # fmt: skip


def tasks_frame(cases: pd.DataFrame, task_meta: pd.DataFrame) -> pd.DataFrame:
    """One row per task of ``task_meta`` (same order): points, case counts, first failure.

    ``task_meta`` has columns ``task``, ``group``, ``slide``, ``max_points``. A task
    scores ``max_points * passed / cases`` (0 when it has no cases). ``first_failure``
    is ``"case_id: message"`` of the task's first non-pass case in ``cases`` order.
    Raises ``ValueError`` for a case whose task is not in ``task_meta``.
    """
    _check_known(cases["task"], task_meta["task"], "cases of tasks missing from task_meta")
    _check_known(cases["outcome"], OUTCOMES, "unknown outcomes")
    meta = task_meta[["task", "group", "slide", "max_points"]].reset_index(drop=True)
    counts = _outcome_counts(cases).reindex(meta["task"], fill_value=0)
    out = meta.copy()
    out["max_points"] = out["max_points"].astype(float)
    out["cases"] = counts.sum(axis=1).to_numpy()
    out["passed"] = counts[PASS].to_numpy()
    ratio = (out["passed"] / out["cases"].where(out["cases"] > 0)).fillna(0.0)
    out["points"] = out["max_points"] * ratio
    for outcome in FAILING_OUTCOMES:
        out[count_column(outcome)] = counts[outcome].to_numpy()
    firsts = _first_failures(cases)
    out["first_failure"] = [firsts.get(task, "") for task in out["task"]]
    return out[list(TASK_COLUMNS)]


def summarize_counts(cases: pd.DataFrame) -> dict[str, int]:
    """Number of cases per outcome, every outcome present (zeros included), as plain ints."""
    _check_known(cases["outcome"], OUTCOMES, "unknown outcomes")
    found = cases["outcome"].value_counts()
    return {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES}


def _check_known(values: pd.Series, known: object, what: str) -> None:
    """Raise ``ValueError`` naming the ``values`` that are not in ``known``."""
    unknown = sorted(set(map(str, values)) - set(map(str, known)))
    if unknown:
        raise ValueError(f"{what}: {', '.join(unknown)}")


def _outcome_counts(cases: pd.DataFrame) -> pd.DataFrame:
    """A task x outcome table of case counts, with a column for every outcome."""
    table = pd.crosstab(cases["task"], cases["outcome"]) if len(cases) else pd.DataFrame()
    return table.reindex(columns=list(OUTCOMES), fill_value=0).astype(int)


def _first_failures(cases: pd.DataFrame) -> dict[str, str]:
    """``task -> "case_id: message"`` of the first non-pass case of each task."""
    failing = cases[cases["outcome"] != PASS].drop_duplicates("task")
    text = failing["case_id"].astype(str) + ": " + failing["message"].fillna("").astype(str)
    return dict(zip(failing["task"], text, strict=True))
