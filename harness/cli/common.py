"""What the commands share: exit statuses, one-line usage errors, the limit options, task selection.

Imported by :mod:`harness.cli.main` and :mod:`harness.cli.batch`; it imports neither.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(click.UsageError):
    """A user mistake: printed as one line, exit status 2."""


class HarnessGroup(click.Group):
    """Every error is one line: usage errors exit 2, the harness's own failures 3."""

    def main(self, args=None, prog_name=None, **extra):  # noqa: D102
        extra.pop("standalone_mode", None)
        try:
            rv = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"harness: error: {exc.format_message()}{where}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"harness: error: {exc.format_message()}", err=True)
            sys.exit(EXIT_USAGE)
        except click.Abort:
            click.echo("harness: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # the harness's own failure, never the user's
            click.echo(f"harness: internal error: {type(exc).__name__}: {exc}", err=True)
            if os.environ.get("HARNESS_DEBUG"):
                traceback.print_exc()
            sys.exit(EXIT_INTERNAL)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


def _limits(case_timeout: float, cpu: int, memory: int, output: int):
    from harness.sandbox.launch import Limits

    return Limits(case_seconds=case_timeout, cpu_seconds=cpu, memory_mb=memory, output_mb=output)


def limit_options(f):
    f = click.option("--case-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
                     help="Wall-time limit of one case, in seconds.")(f)
    f = click.option("--cpu-limit", type=click.IntRange(min=1), default=300, show_default=True,
                     help="CPU-time limit of one case, in seconds (all the plugin's processes "
                          "together; each case gets the whole limit).")(f)
    f = click.option("--memory-limit", type=click.IntRange(min=256), default=4096, show_default=True,
                     help="Address-space limit of one plugin worker, in MiB.")(f)
    f = click.option("--output-limit", type=click.IntRange(min=1), default=256, show_default=True,
                     help="Largest output (file) a plugin may produce, in MiB.")(f)
    return f


def _select(pattern: str | None):
    from harness.course import select_tasks

    try:
        return select_tasks(pattern)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
