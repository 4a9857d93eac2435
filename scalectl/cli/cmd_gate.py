"""``scalectl gate``: the CI performance gate (absolute thresholds + regression against a baseline)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scalectl import layout
from scalectl.cli._common import (
    EXIT_CHECK_FAILED,
    err,
    error_boundary,
    out,
    parse_duration,
    parse_env_pairs,
    prometheus_selector_option,
    prometheus_url_option,
)
from scalectl.cli.main import app
from scalectl.errors import InputError

if TYPE_CHECKING:
    from scalectl.models.gate import GateVerdict
    from scalectl.pipeline.gate import GateRequest

_HELP = (
    "Judge a run: absolute thresholds and regressions against a baseline; exit 1 when a check fails.\n\n"
    "Runs SCENARIO (against the bundled target unless --host is given) and judges the new run, or judges "
    "an existing run with --run RUN_DIR. A regression fails only when it is beyond its tolerance AND beyond "
    "the runs' own noise (block bootstrap over per-second histograms); too few samples is reported as "
    "'insufficient', not guessed.\n\n"
    "Output: on a terminal the table of checks; otherwise (a CI log) one line per failing or warning "
    "check and a summary such as 'FAIL: 2 regressions, 1 warning, 28 passed'. --markdown, --junit and "
    "--json always hold every check.\n\n"
    "Exit codes: 0 passed (warnings are listed, never hidden), 1 a check failed, 2 bad input, 3 target "
    "or environment error.\n\n"
    "Examples:\n\n"
    "scalectl gate scenarios/smoke.yaml --baseline reports/baselines/smoke.json\n\n"
    "scalectl gate --run reports/runs/RUN_ID -t 'p95<300ms' -t '/api/content/{id}: p99<1s'"
)


# long: the Typer option declarations; the body stays within 30 lines (tests/test_function_length.py)
@app.command("gate", help=_HELP)
@error_boundary
def gate(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML to run and judge (omit with --run).", show_default=False
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", "-b", help="Baseline file (reports/baselines/NAME.json) or a run directory."
    ),
    run_dir: Path | None = typer.Option(None, "--run", help="Judge this existing run directory instead."),
    threshold: list[str] = typer.Option(
        [],
        "--threshold",
        "-t",
        help="Extra threshold, e.g. 'p95<300ms', '/api/x: error_rate<1%'. Repeatable.",
    ),
    tolerance: list[str] = typer.Option(
        [],
        "--tolerance",
        help="Regression tolerance: p95=10%, p99=20%, p50=10%, error_rate=1pp, throughput=10%. Repeatable.",
    ),
    junit: Path | None = typer.Option(None, "--junit", help="Write a JUnit XML report (one test per check)."),
    markdown: Path | None = typer.Option(
        None, "--markdown", help="Write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)."
    ),
    json_file: Path | None = typer.Option(None, "--json", help="Write the verdict as JSON."),
    host: str | None = typer.Option(None, "--host", help="Target URL; default: start the bundled target."),
    target_cmd: str | None = typer.Option(
        None,
        "--target-cmd",
        help="Start your own service for the run: a shell command with {port} (and optionally {replicas}).",
    ),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a --host that is not loopback."),
    users: int | None = typer.Option(None, "--users", "-u", help="Override the scenario's users."),
    rps: float | None = typer.Option(None, "--rps", help="Override the scenario's arrival rate (req/s)."),
    duration: str | None = typer.Option(None, "--duration", "-d", help="Override the duration, e.g. 30s."),
    replicas: int | None = typer.Option(
        None, "--replicas", help="Replicas of the bundled target or --target-cmd (with --host: recorded)."
    ),
    target_env: list[str] = typer.Option(
        [],
        "--target-env",
        help="KEY=VALUE for the target scalectl starts (e.g. INJECT_LATENCY_MS=5). Repeatable.",
    ),
    root: Path = typer.Option(layout.DEFAULT_ROOT, "--root", help="Where runs are written (reports/)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (results are reproducible)."),
    alpha: float = typer.Option(
        0.05, "--alpha", help="Family-wise false-alarm probability allowed from the runs' noise."
    ),
    run_noise: float | None = typer.Option(
        None,
        "--run-noise",
        help="Run-to-run noise of this machine (relative sd of a run's level), measured with A/A runs "
        "(bench/bench_gate.py calibrate), for p50, throughput and CPU per request (the capacity check), "
        "and p95/p99 unless --run-noise-tail "
        "is given; default: the values measured on the project's CI machine.",
    ),
    run_noise_tail: float | None = typer.Option(
        None,
        "--run-noise-tail",
        help="Run-to-run noise of p95 and p99 (default: as measured on the project's CI machine; "
        "--run-noise alone sets it for every metric).",
    ),
    relative_noise: float | None = typer.Option(
        None,
        "--relative-noise",
        help="Run-to-run noise of one endpoint's change relative to the rest of its run, measured with "
        "A/A runs like --run-noise; default: the value measured on the project's CI machine.",
    ),
    show_passed: bool = typer.Option(True, "--show-passed/--hide-passed", help="List passing checks too."),
    prometheus_url: str | None = prometheus_url_option(),
    prometheus_selector: str | None = prometheus_selector_option(),
    table: bool | None = typer.Option(
        None,
        "--table/--lines",
        help="The full table of checks, or one line per failing or warning check plus a summary. "
        "Default: the table on a terminal, lines otherwise (CI logs); the files have every check.",
        show_default=False,
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="recommendation.json (scalectl recommend): turn the capacity change into replicas for its "
        "target rate and the monthly cost.",
    ),
    max_capacity_loss: str | None = typer.Option(
        None,
        "--max-capacity-loss",
        help="Fail when CPU per request (process telemetry) implies a capacity loss per replica beyond "
        "this, e.g. 10%. Without it the capacity change is reported only.",
    ),
) -> None:
    from scalectl.pipeline.gate import GateRequest

    request = GateRequest(
        scenario=scenario,
        run_dir=run_dir,
        baseline=baseline,
        thresholds=threshold,
        tolerances=tolerance,
        host=host,
        target_cmd=target_cmd,
        allow_remote=allow_remote,
        users=users,
        rps=rps,
        duration_s=parse_duration(duration) if duration else None,
        replicas=replicas,
        target_env=parse_env_pairs(target_env),
        root=root,
        seed=seed,
        alpha=alpha,
        run_noise=run_noise,
        run_noise_tail=run_noise_tail,
        relative_noise=relative_noise,
        plan=plan,
        max_capacity_loss=_percent(max_capacity_loss, "--max-capacity-loss") if max_capacity_loss else None,
        prometheus_url=prometheus_url,
        prometheus_selector=prometheus_selector,
    )
    verdict = _judge(request)
    _finish(verdict, (junit, markdown, json_file), table=table, show_passed=show_passed)


def _judge(request: GateRequest) -> GateVerdict:
    """Run the gate (a status line on the terminal while its scenario runs)."""
    from scalectl.pipeline.gate import run_gate

    running = request.scenario is not None
    with err.status(f"running {request.scenario} ...") if running else contextlib.nullcontext():
        return run_gate(request, on_run=lambda d: err.print(f"run written to {d}", markup=False))


def _finish(
    verdict: GateVerdict,
    files: tuple[Path | None, Path | None, Path | None],
    *,
    table: bool | None,
    show_passed: bool,
) -> None:
    """The files asked for (JUnit, Markdown, JSON), the table (a terminal) or one line per failing
    check (a CI log); exit 1 on a failed check."""
    from scalectl.pipeline.gate import write_outputs
    from scalectl.report import gate_terminal

    junit, markdown, json_file = files
    write_outputs(verdict, junit=junit, markdown=markdown, json=json_file)
    if table if table is not None else out.is_terminal:
        out.print(gate_terminal.renderable(verdict, show_passed=show_passed))
    else:
        out.print(gate_terminal.render_lines(verdict), end="", markup=False, highlight=False)
    if not verdict.passed:
        raise typer.Exit(code=EXIT_CHECK_FAILED)


def _percent(text: str, flag: str) -> float:
    t = text.strip().removesuffix("%")
    try:
        v = float(t) / (100.0 if text.strip().endswith("%") else 1.0)
    except ValueError:
        raise InputError(f"{flag} {text!r}: expected a percentage such as 10%") from None
    if not 0 <= v < 1:
        raise InputError(f"{flag} {text!r}: must be between 0% and 100%")
    return v
