"""The ``harness`` command: its group, and ``run``, ``list``, ``new``, ``release`` (``grade``: cli/batch.py).

Exit status (SPEC.md): 0 every graded case passed, 1 some case did not,
2 usage error (one line on stderr), 3 the harness itself failed.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click

from harness import __version__
from harness.cli.batch import grade, leaderboard
from harness.cli.common import HarnessGroup, UsageError, _limits, _select, limit_options


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
def main() -> None:
    """Grade and benchmark Lecture 1 plugins against the Numba reference.

    A plugin is a module whose functions are marked @hookimpl and named
    after the hooks of the contract (see `harness list` and `harness new`).
    """


@main.command()
@click.option("--plugin", "plugin_name", required=True, metavar="NAME",
              help="Bundled plugin (reference, numpy, python), entry-point name, dotted module, "
                   "or path to a .py file or package.")
@click.option("--tasks", "pattern", default=None, metavar="PATTERN",
              help="Comma-separated glob patterns of task or group names (default: all).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("harness-report"),
              show_default=True, help="Directory for the report files.")
@click.option("--seed", type=int, default=None, help="Seed of the hidden random cases (default: fresh).")
@click.option("--no-speed", is_flag=True, help="Skip the speed measurement.")
@limit_options
def run(plugin_name: str, pattern: str | None, out: Path, seed: int | None, no_speed: bool,
        case_timeout: float, cpu_limit: int, memory_limit: int, output_limit: int) -> None:
    """Grade one plugin: correctness, then speed against the reference."""
    from harness.batch.run import run_plugin
    from harness.cli.console import print_run
    from harness.grading import kit
    from harness.grading.runner import LoadFailed
    from harness.loading.plugins import PluginError, resolve

    try:
        spec = resolve(plugin_name)
    except PluginError as exc:
        raise UsageError(str(exc)) from None
    tasks = _select(pattern)
    seed = secrets.randbelow(2**31) if seed is None else seed
    limits = _limits(case_timeout, cpu_limit, memory_limit, output_limit)
    if kit.IS_KIT:  # no reference here: public cases only, never speed
        no_speed = True
        click.echo(kit.NOTICE)
    click.echo(f"grading {spec.label} ({spec.kind}) on {len(tasks)} tasks, seed {seed}")
    try:
        result = run_plugin(spec, tasks, seed=seed, limits=limits, out=out, speed=not no_speed)
    except LoadFailed as exc:
        raise UsageError(f"plugin {plugin_name}: {exc}") from None
    print_run(result, out)
    sys.exit(result.exit_status)


@main.command(name="list")
def list_() -> None:
    """List the tasks (points, lecture slide) and the plugins found."""
    from harness.cli.console import print_list

    print_list()


@main.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--notebook", is_flag=True, help="Write NAME.ipynb, a Jupyter notebook with a cell per hook.")
def new(name: str, force: bool, notebook: bool) -> None:
    """Write NAME.py (or NAME.ipynb), a student template with every hook stubbed and documented."""
    from harness.loading import template
    from harness.loading.notebook import SUFFIX
    from harness.reports.atomic import atomic_write

    suffix = SUFFIX if notebook or name.endswith(SUFFIX) else ".py"
    path = Path(name if name.endswith(suffix) else f"{name.removesuffix('.py')}{suffix}")
    if path.exists() and not force:
        raise UsageError(f"{path} exists (use --force to overwrite)")
    atomic_write(path, (template.render_notebook if suffix == SUFFIX else template.render)(path.name))
    click.echo(f"wrote {path}; grade it with: harness run --plugin {path}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory of the kit's source tree (replaced); `pip install DIR` installs it.")
def release(out: Path) -> None:
    """Build the student kit: the harness and the public cases, without any solution."""
    from harness.cli.release import build_kit
    from harness.grading import kit

    if kit.IS_KIT:
        raise UsageError("this is the student kit; build a kit from the full harness")
    counts = build_kit(out)
    click.echo(f"wrote the kit to {out}: {counts['tasks']} tasks, {counts['cases']} public cases "
               f"({counts['left_out']} lecture claims are checked at submission only); "
               f"install it with: pip install {out}")


main.add_command(grade)
main.add_command(leaderboard)
