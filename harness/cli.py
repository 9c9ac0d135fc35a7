"""Command line: ``harness run | list | new | grade | leaderboard``."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Grade and benchmark Lecture 1 plugins against the Numba reference."""
