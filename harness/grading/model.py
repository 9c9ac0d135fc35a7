"""What is graded: calls, cases, tasks and the verdict of a case.

A :class:`Task` grades one hook. Its cases are drawn fresh on every run from a
seeded generator. A :class:`Case` is one or more :class:`Call` s sent to the
plugin's worker together, and a ``judge`` that runs on the trusted side on the
plain float64 outputs that came back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The outcomes of a case (SPEC.md "Outcomes of a case").
PASS = "pass"
FAIL = "fail"
ERROR = "error"
TIMEOUT = "timeout"
CRASH = "crash"
NOT_IMPLEMENTED = "not implemented"
INVALID = "invalid output"
OUTCOMES = (PASS, FAIL, ERROR, TIMEOUT, CRASH, NOT_IMPLEMENTED, INVALID)

#: Kinds of case. Only "hidden" cases keep their expected values from the student.
CASE_KINDS = ("lecture", "fixed", "boundary", "property", "hidden")


@dataclass(frozen=True)
class Call:
    """One call of a hook with keyword arguments.

    Argument values are float64 arrays, floats, ints, strings, lists of strings
    or lists of ``(W, b)`` pairs: everything the codec can send as plain data.
    """

    hook: str
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """What the trusted side concluded about a case."""

    outcome: str
    message: str = ""
    mistake: str = ""  # name of the known mistake the output matches, if any
    limit: str = ""  # the limit the case reached: "timeout", "CPU-time limit" or "memory limit"


#: ``judge(outputs) -> Verdict``; ``outputs[i]`` is the decoded return of call i:
#: a float64 ndarray, an :class:`~harness.codec.Invalid`, or a list of those (tuples, params).
Judge = Callable[[list[Any]], Verdict]


@dataclass
class Case:
    """One graded case of a task."""

    id: str
    kind: str
    calls: list[Call]
    judge: Judge
    note: str = ""  # what the case is, shown to the student ("z = 0: ReLU'(0) = 0")
    slide: str = ""
    expected: Any = None  # a value case's expected output (trusted side only), for the report's charts
    fd: dict[str, Any] | None = None  # a finite-difference check's forward hook, argument and step

    @property
    def hidden(self) -> bool:
        return self.kind == "hidden"


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``wrong(**kwargs)`` computes it for a call's arguments."""

    name: str
    hint: str
    wrong: Callable[..., Any]


@dataclass
class Task:
    """A graded hook: its points, its lecture slide and how to draw its cases.

    ``make_cases(rng)`` draws the cases of one run. ``speed_inputs(rng, size)``
    returns the keyword arguments timed at ``size`` (one of ``speed_sizes``).
    What the report draws is the task's to say: ``elementwise`` (a failing
    public case is plotted against its input) and ``curve`` (a training task:
    which output is a curve over epochs, and what it measures).
    """

    name: str
    hook: str
    group: str
    points: float
    slide: str
    make_cases: Callable[[np.random.Generator], list[Case]]
    speed_sizes: tuple[str, ...] = ()
    speed_inputs: Callable[[np.random.Generator, str], dict[str, Any]] | None = None
    rtol: float = 1e-7
    atol: float = 1e-9
    mistakes: list[Mistake] = field(default_factory=list)
    description: str = ""
    elementwise: bool = False
    curve: tuple[int, str] | None = None
