"""The command line: ``harness run | list | new | release | grade | leaderboard``.

Reads what the user typed, hands it to :mod:`harness.batch.grade` (one run or many),
prints what came back. ``python -m harness`` and the ``harness`` script start
:func:`harness.cli.main.main`.
"""
