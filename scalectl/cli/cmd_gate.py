"""``scalectl gate``: the CI performance gate (absolute thresholds + regression against a baseline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

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

_HELP = (
    "Judge a run: absolute thresholds and regressions against a baseline; exit 1 when a check fails.\n\n"
    "Runs SCENARIO (against the bundled target unless --host is given) and judges the new run, or judges "
    "an existing run with --run RUN_DIR. A regression fails only when it is beyond its tolerance AND beyond "
    "the runs' own noise (block bootstrap over per-second histograms); too few samples is reported as "
    "'insufficient', not guessed.\n\n"
    "Exit codes: 0 passed, 1 a check failed (one line per failed check), 2 bad input, 3 target or "
    "environment error.\n\n"
    "Examples:\n\n"
    "scalectl gate scenarios/smoke.yaml --baseline reports/baselines/smoke.json\n\n"
    "scalectl gate --run reports/runs/RUN_ID -t 'p95<300ms' -t '/api/content/{id}: p99<1s'"
)


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
    prometheus_url: str | None = prometheus_url_option(),
    prometheus_selector: str | None = prometheus_selector_option(),
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
        "(bench/bench_gate.py calibrate), for p50 and throughput, and p95/p99 unless --run-noise-tail "
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
    from scalectl import storage
    from scalectl.gate.compare import StatSettings, Tolerances, parse_tolerance
    from scalectl.gate.judge import failure_line, judge, select_baseline_run
    from scalectl.report import gate_junit, gate_markdown, gate_terminal
    from scalectl.slo import parse_all
    from scalectl.telemetry.promserver import from_options

    if (scenario is None) == (run_dir is None):
        raise InputError("give either a SCENARIO to run or --run RUN_DIR (exactly one)")
    if not 0 < alpha < 1:
        raise InputError(f"--alpha {alpha}: must be between 0 and 1")
    extra = parse_all(threshold)
    tolerances = Tolerances().with_overrides(dict(parse_tolerance(t) for t in tolerance))
    settings = StatSettings(alpha=alpha, seed=seed)
    if run_noise is not None and run_noise_tail is None:
        settings = dataclasses.replace(settings, run_noise_tail=None)
    noises = (
        ("run_noise", run_noise),
        ("run_noise_tail", run_noise_tail),
        ("relative_noise", relative_noise),
    )
    for option, value in noises:
        if value is not None:
            if not 0 <= value < 5:
                flag = "--" + option.replace("_", "-")
                raise InputError(f"{flag} {value}: must be a non-negative fraction, e.g. 0.1")
            settings = dataclasses.replace(settings, **{option: value})
    max_loss = _percent(max_capacity_loss, "--max-capacity-loss") if max_capacity_loss else None
    rec = _load_plan(plan)
    base_runs, base_model = storage.load_runs_or_baseline(baseline) if baseline else ([], None)
    if scenario is not None and not scenario.exists():
        raise InputError(f"{scenario}: no such scenario file")
    env = parse_env_pairs(target_env)
    prom = from_options(prometheus_url, prometheus_selector)  # both or neither (exit 2)
    if prom is not None and run_dir is not None:
        raise InputError("--prometheus-url reads the telemetry of a run the gate makes; not with --run")
    duration_s = parse_duration(duration) if duration else None

    if run_dir is not None:
        run = storage.load_run(run_dir)
    else:
        from scalectl.pipeline import RunOptions, TargetOptions, run_load

        target = TargetOptions(
            host=host, command=target_cmd, replicas=replicas, env=env, allow_remote=allow_remote
        )
        opts = RunOptions(
            scenario=scenario,
            target=target,
            users=users,
            rps=rps,
            duration=duration_s,
            root=root,
            prometheus_url=prometheus_url,
            prometheus_selector=prometheus_selector,
        )
        with err.status(f"running {scenario} ..."):
            run, new_dir = run_load(opts)
        err.print(f"run written to {new_dir}", markup=False)

    warnings: list[str] = []
    baseline_run = None
    if base_model is not None:
        baseline_run, warnings = select_baseline_run(base_model, run)
    elif base_runs:
        baseline_run = base_runs[0]
    verdict = judge(
        run,
        baseline_run,
        extra,
        tolerances,
        settings=settings,
        baseline_label=str(baseline) if baseline else None,
        warnings=warnings,
    )
    if baseline_run is not None:
        verdict = _with_capacity(verdict, run, baseline_run, rec, max_loss)

    if junit:
        storage.atomic_write_text(junit, gate_junit.render(verdict))
    if markdown:
        storage.atomic_write_text(markdown, gate_markdown.render(verdict))
    if json_file:
        storage.atomic_write_text(json_file, verdict.model_dump_json(indent=2) + "\n")
    out.print(gate_terminal.renderable(verdict, show_passed=show_passed))
    if not verdict.passed:
        for check in verdict.failed:
            out.print(failure_line(check), markup=False, highlight=False)
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


def _load_plan(path: Path | None):
    if path is None:
        return None
    from scalectl import storage

    rec = storage.load_recommendation(path)
    if rec is None:
        raise InputError(f"--plan {path}: no recommendation.json there")
    return rec


def _with_capacity(verdict, run, baseline_run, rec, max_loss):
    """The capacity check next to the latency checks (a failing one only with --max-capacity-loss)."""
    from scalectl.capacity.impact import assess
    from scalectl.models import CheckResult

    impact, check, note = assess(run, baseline_run, plan=rec, max_loss=max_loss)
    checks, warnings = list(verdict.checks), list(verdict.warnings)
    if check is not None:
        checks.append(check)
    elif max_loss is not None:
        checks.append(
            CheckResult(
                name="capacity per replica",
                kind="capacity",
                metric="capacity_change",
                status="insufficient",
                message=f"capacity per replica: {note}",
            )
        )
    elif note:
        warnings.append(note)
    passed = not any(c.status == "fail" for c in checks)
    return verdict.model_copy(
        update={"checks": checks, "warnings": warnings, "capacity": impact, "passed": passed}
    )
