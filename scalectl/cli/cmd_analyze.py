"""``scalectl analyze RUN_DIR``: walk the monitor → analyze → scale flowchart on a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scalectl.cli import _common
from scalectl.cli._common import error_boundary, out
from scalectl.cli.main import app

if TYPE_CHECKING:
    from scalectl.pipeline.analyze import AnalyzeOutcome


@app.command("analyze")
@error_boundary
def analyze(
    run_dir: Path = typer.Argument(..., help="A run directory (reports/runs/<run-id>) or its run.json."),
    slo: list[str] = typer.Option(
        [],
        "--slo",
        help="SLO expression, repeatable (e.g. 'p95<300ms', 'error_rate<1%', '/api/x: p99<1s'). "
        "Default: the run's SLOs, else p95<1000ms and error_rate<1%.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print analysis.json to stdout instead of the tree."),
    verbose: bool = typer.Option(
        False,
        "--verbose",
        "-v",
        help="Print the whole flowchart tree with every finding's evidence (analysis.json has it too).",
    ),
    sweep: Path | None = typer.Option(
        None,
        "--sweep",
        help="The baseline file (reports/baselines/NAME.json) whose step this run is: load levels then "
        "come from its steps (what 'scalectl baseline' does for each step).",
    ),
    experiment: bool = typer.Option(
        False,
        "--experiment",
        help="Try the change of each of the top findings (up to 3) that maps to a knob, on the run's own "
        "target (bundled or --target-cmd), A B A B; mark each confirmed or rejected and re-rank by the "
        "measured effect. Takes about (4 × --experiment-duration + start-up) per finding.",
    ),
    experiment_duration: str = typer.Option("20s", "--experiment-duration", help="Length of each arm's run."),
    rounds: int = typer.Option(2, "--rounds", help="Runs per arm of each experiment."),
) -> None:
    """Find what limits the run: database, application, infrastructure or code, and what to change.

    Writes analysis.json into the run directory; prints the result, what limits it and the next
    command, then one line per finding (--verbose: the flowchart path with every finding's evidence).
    With --experiment it also measures the top findings' changes (see 'scalectl experiment').
    Always exits 0 once the analysis is written (it informs; 'scalectl gate' decides); 2 for a bad
    run directory or SLO expression.
    """
    from scalectl.pipeline.analyze import ExperimentPlan, analyze_dir

    plan = ExperimentPlan(_common.parse_duration(experiment_duration), rounds) if experiment else None
    done = analyze_dir(run_dir, slo, sweep=sweep, experiment=plan, progress=_say)
    if as_json:
        typer.echo(done.analysis.model_dump_json(indent=2))
        return
    # an experiment's outcome is the flowchart's Monitor Results step: shown with the whole path
    _show(done, full=verbose or experiment)


def _say(line: str) -> None:
    _common.err.print(line, markup=False)


def _show(done: AnalyzeOutcome, *, full: bool) -> None:
    """The first lines (result, what limits it, the next command), then the findings (or the whole
    flowchart path), then where analysis.json went."""
    from scalectl.report.analysis_term import render_analysis, render_findings_brief
    from scalectl.report.first_lines import run_lines

    for line in run_lines(done.run, done.analysis, str(done.run_dir)):
        out.print(line, markup=False, highlight=False)
    out.print(
        render_analysis(done.analysis) if full else render_findings_brief(done.analysis), soft_wrap=False
    )
    out.print(f"wrote {done.path}", style="dim")
