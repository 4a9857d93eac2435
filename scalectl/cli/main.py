"""The ``scalectl`` application: one Typer app, each command in its own module.

Command modules import only typer, rich and the standard library at module level, so that
``scalectl --help`` answers fast; heavy imports happen inside the command functions.
"""

from __future__ import annotations

import os
import sys

import typer

from scalectl import __version__

app = typer.Typer(
    name="scalectl",
    help=(
        "Capacity planning and load testing for web backends, on Locust.\n\n"
        "Measure how much a service can take (baseline, loadtest), find what breaks first (analyze), "
        "size replicas, CPU and memory (recommend), stop a slower pull request (gate), and share the "
        "results (report). Without --host, load goes to the bundled reference backend (see 'target')."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scalectl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """scalectl: capacity planning and load testing."""


def _register() -> None:
    # Each module adds its command(s) to ``app``; see the module for the options.
    # One import line per command module (each module adds its commands to ``app``).
    from scalectl.cli import (
        cmd_analyze,  # noqa: F401
        cmd_experiment,  # noqa: F401
        cmd_gate,  # noqa: F401
        cmd_loadtest,  # noqa: F401
        cmd_recommend,  # noqa: F401
        cmd_report,  # noqa: F401
        cmd_target,  # noqa: F401
    )


_register()


#: Width of --help and tables when stdout is not a terminal (CI logs, a pipe): rich's own 80 columns
#: cut option names and defaults short ("--prometheus-select…"); TERMINAL_WIDTH or COLUMNS still win.
PIPED_WIDTH = "120"


def main() -> None:
    if not sys.stdout.isatty() and not (os.environ.get("TERMINAL_WIDTH") or os.environ.get("COLUMNS")):
        os.environ["TERMINAL_WIDTH"] = PIPED_WIDTH  # read by typer's help formatter when it loads
    app()
