"""``scalectl experiment RUN_DIR --try KEY=VALUE``: try one change on the run's target, A B A B."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scalectl import layout
from scalectl.cli import _common
from scalectl.cli.main import app

if TYPE_CHECKING:
    from scalectl.models.experiment import Experiment


@app.command("experiment")
@_common.error_boundary
def experiment(
    run_dir: Path = typer.Argument(
        ..., help="A run directory (reports/runs/<run-id>) whose target to change."
    ),
    change: list[str] = typer.Option(
        [],
        "--try",
        help="The change of arm B, repeatable: an environment variable of the target (DB_POOL_SIZE=20), "
        "replicas=N, cpus=K, or a knob declared under target.knobs in the scenario.",
        show_default=False,
    ),
    duration: str = typer.Option("20s", "--duration", help="Length of each arm's run (e.g. 20s, 1m)."),
    rounds: int = typer.Option(2, "--rounds", help="Runs per arm; the arms alternate A B A B …"),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Directory for experiment.json and the arms' runs. "
        "Default: reports/experiments/<run-id>-<time>/.",
        file_okay=False,
    ),  # fmt: skip
    root: Path = typer.Option(layout.DEFAULT_ROOT, "--root", help="Reports root (for the default --out)."),
    as_json: bool = typer.Option(False, "--json", help="Print experiment.json instead of the table."),
) -> None:
    """Start the run's target again with one change and measure whether it helps.

    Arm A is the target as the run recorded it, arm B the same with --try; each arm starts the target
    afresh and drives the run's scenario at its highest load for --duration, alternating A B A B for
    --rounds rounds (2 rounds of 20 s take about 1.5 minutes). B is judged against A with the gate's
    statistics: improved, worse, no effect (the change is shown to be too small to matter), or
    inconclusive. Only a target scalectl started (bundled, or --target-cmd) can be changed.
    Exit codes: 0 judged (whatever the verdict), 2 bad input or an external target, 3 target error,
    130 interrupted (the arms run so far are still written).
    """
    from scalectl.pipeline.experiment import ExperimentOptions, parse_changes, run_experiment
    from scalectl.report.experiment import render_term

    opts = ExperimentOptions(
        run_dir=run_dir,
        change=parse_changes(change),
        duration=_common.parse_duration(duration),
        rounds=rounds,
        out=out,
        root=root,
    )

    def progress(rnd: int, arm: str, message: str) -> None:
        _common.err.print(f"round {rnd}/{rounds} arm {arm}: {message}", markup=False)

    exp, exp_dir = run_experiment(opts, progress)
    if as_json:
        typer.echo(exp.model_dump_json(indent=2))
    else:
        _common.out.print(render_term(exp), markup=False, highlight=False, soft_wrap=True)
        _common.out.print(f"wrote {exp_dir / 'experiment.json'}", style="dim")
    _exit_for(exp)


def _exit_for(exp: Experiment) -> None:
    if exp.stop_reason and exp.stop_reason.startswith("interrupted"):
        raise typer.Exit(code=_common.EXIT_INTERRUPTED)
