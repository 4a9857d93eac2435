"""``scalectl loadtest``, ``scalectl baseline`` and ``scalectl worker``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from scalectl import layout
from scalectl.cli._common import (
    EXIT_INTERRUPTED,
    err,
    error_boundary,
    is_tty,
    out,
    parse_duration,
    parse_env_pairs,
    prometheus_selector_option,
    prometheus_url_option,
)
from scalectl.cli.main import app
from scalectl.errors import InputError


class _Progress:
    """Live progress: a rich status line on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = is_tty()
        self.last_plain = 0.0
        self.status: Any = None

    def __enter__(self) -> _Progress:
        if self.tty:
            self.status = err.status(f"{self.label}: starting...")
            self.status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)

    def __call__(self, p: Any) -> None:
        remaining = f" / {p.total:.0f}s" if p.total else ""
        line = (
            f"{self.label}: {p.elapsed:5.1f}s{remaining}  users {p.users}  rps {p.rps:,.0f}  "
            f"p95 {p.p95_ms:,.1f} ms  requests {p.requests:,}  errors {p.failures:,}"
        )
        if p.workers:
            line += f"  workers {p.workers}"
        if p.lost_workers:
            line += f"  LOST {len(p.lost_workers)}"
        if self.status is not None:
            self.status.update(line)
        elif time.monotonic() - self.last_plain >= 5.0:
            self.last_plain = time.monotonic()
            err.print(line, markup=False, highlight=False)


VERBOSE_OPT = typer.Option(
    False,
    "--verbose",
    "-v",
    help="Also print the whole analysis (flowchart path, every finding with its evidence); the run "
    "directory always has it (analysis.json, report.html).",
)


TARGET_CMD_HELP = (
    "Start your own service for the run: a shell command with {port} (a free port scalectl picks), "
    "optionally {replicas} and {cpus}; stopped, with everything it spawned, afterwards."
)


def _target(
    host: str | None,
    target_cmd: str | None,
    replicas: int | None,
    allow_remote: bool,
    env: dict[str, str] | None = None,
    cpus: float | None = None,
) -> Any:
    from scalectl.pipeline import TargetOptions

    if host is not None and env:
        raise InputError("--target-env sets the environment of a target scalectl starts; not with --host")
    if host is not None and cpus is not None:
        raise InputError(
            "--cpus-per-replica applies to a target scalectl starts; it cannot be combined with --host"
        )
    return TargetOptions(
        host=host, command=target_cmd, replicas=replicas, allow_remote=allow_remote, env=env or {}, cpus=cpus
    )


@app.command("loadtest")
@error_boundary
def loadtest(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML file (see scenarios/README.md)."),
    locustfile: Path | None = typer.Option(
        None,
        "--locustfile",
        help="Run your own Locust file instead of a scenario (needs --users and --duration, unless "
        "it has a LoadTestShape: then --duration, if given, caps it).",
    ),
    host: str | None = typer.Option(
        None, "--host", help="Target URL. Default: the scenario's host, else the bundled target."
    ),
    target_cmd: str | None = typer.Option(None, "--target-cmd", help=TARGET_CMD_HELP),
    users: int | None = typer.Option(
        None, "--users", "-u", help="Closed model: constant number of virtual users."
    ),
    rps: float | None = typer.Option(None, "--rps", help="Open model: constant arrival rate (requests/s)."),
    duration: str | None = typer.Option(None, "--duration", "-d", help="Total duration, e.g. 30s, 2m."),
    warmup: str | None = typer.Option(
        None,
        "--warmup",
        help="Leave the first seconds out of the summary and SLO (start-up transients), e.g. 3s. "
        "Default: the scenario's load.warmup, else none.",
    ),
    slo: list[str] = typer.Option(
        [], "--slo", help="SLO expression, e.g. 'p95<300ms' (repeatable; replaces the scenario's)."
    ),
    workers: str = typer.Option(
        "0",
        "--workers",
        "-w",
        help="Local Locust worker processes (0 = one process), or 'auto': one per core the target is "
        "not pinned to. With --emit: the number of worker pods/containers.",
    ),
    remote_workers: int = typer.Option(
        0, "--remote-workers", help="Also wait for this many 'scalectl worker' joins."
    ),
    master_bind: str = typer.Option(
        "127.0.0.1", "--master-bind", help="Address the master listens on for workers."
    ),
    master_port: int = typer.Option(0, "--master-port", help="Master port for workers (0 = a free one)."),
    out_dir: Path | None = typer.Option(None, "--out", help="Run directory (default reports/runs/<run-id>)."),
    root: Path = typer.Option(layout.DEFAULT_ROOT, "--root", help="Reports root directory."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow load on a non-loopback host."),
    metrics_url: list[str] = typer.Option(
        [],
        "--metrics-url",
        help="Extra Prometheus /metrics URL to sample (repeatable; {port} = the port of --target-cmd).",
    ),
    replicas: int | None = typer.Option(
        None,
        "--replicas",
        help="Bundled target replicas, the {replicas} of --target-cmd, or (with --host) how many "
        "replicas you run there: recorded, so capacity can be fitted per replica.",
    ),
    target_env: list[str] = typer.Option(
        [],
        "--target-env",
        help="KEY=VALUE for the target scalectl starts (repeatable), e.g. DB_POOL_SIZE=20; recorded in "
        "run.json, so 'scalectl experiment' starts the same configuration again.",
    ),
    prometheus_url: str | None = prometheus_url_option(),
    prometheus_selector: str | None = prometheus_selector_option(),
    report: bool = typer.Option(
        True,
        "--report/--no-report",
        help="Write report.html next to run.json (analysis.json is always written).",
    ),
    verbose: bool = VERBOSE_OPT,
    emit: tuple[str, Path] | None = typer.Option(
        None,
        "--emit",
        help="Do not run: write what runs this test on a cluster, 'k8s DIR' (master Job, worker Job, "
        "ConfigMap) or 'compose DIR' (docs/distributed.md). Needs --workers N and --host.",
    ),
    image: str = typer.Option(
        "scalectl:latest", "--image", help="With --emit: the image with scalectl installed (Dockerfile)."
    ),
) -> None:
    """Run one load test and write reports/runs/<run-id>/ (run.json, series.csv, scenario.yaml).

    Afterwards the run is analyzed (analysis.json: what limits it, what to change) and an HTML report
    is written (report.html). Ctrl-C stops the load and still writes the partial run (exit 130).
    """
    from scalectl.pipeline import RunOptions
    from scalectl.pipeline import loadtest as run_loadtest
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import run_lines
    from scalectl.report.run_term import render_run
    from scalectl.telemetry.promserver import from_options

    if (scenario is None) == (locustfile is None):
        raise InputError("give a SCENARIO file or --locustfile FILE (one of them)")
    seconds = parse_duration(duration) if duration is not None else None
    from_options(prometheus_url, prometheus_selector)  # both or neither (exit 2), before anything runs
    if emit is not None:
        _emit(emit, scenario, host, workers, image, users, rps, seconds, slo, warmup)
        return
    opts = RunOptions(
        scenario=scenario,
        locustfile=locustfile,
        target=_target(host, target_cmd, replicas, allow_remote, parse_env_pairs(target_env)),
        users=users,
        rps=rps,
        duration=seconds,
        warmup=parse_duration(warmup) if warmup is not None else None,
        slo=tuple(slo),
        workers=workers,
        remote_workers=remote_workers,
        master_bind=master_bind,
        master_port=master_port,
        out=out_dir,
        root=root,
        metrics_urls=tuple(metrics_url),
        prometheus_url=prometheus_url,
        prometheus_selector=prometheus_selector,
        report=report,
    )
    with _Progress((scenario or locustfile or Path("run")).stem) as progress:
        res = run_loadtest(opts, progress=progress)
    _lines(run_lines(res.run, res.analysis, str(res.run_dir), host=host))
    out.print(render_run(res.run))
    if verbose:
        out.print(render_analysis(res.analysis), soft_wrap=False)
    if res.report_path is not None:
        out.print(f"report: {res.report_path}", markup=False, highlight=False)
    out.print(f"run written to {res.run_dir}", markup=False, highlight=False)
    if not res.run.complete and (res.run.stop_reason or "").startswith("interrupted"):
        raise typer.Exit(code=EXIT_INTERRUPTED)


def _lines(lines: list[str]) -> None:
    """The three first lines: result or capacity, what limits it, the next command."""
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _emit(
    emit: tuple[str, Path],
    scenario: Path | None,
    host: str | None,
    workers: str,
    image: str,
    users: int | None,
    rps: float | None,
    seconds: float | None,
    slo: list[str],
    warmup: str | None,
) -> None:
    from scalectl.load.workers import parse_workers
    from scalectl.pipeline.emit import emit_test

    if scenario is None:
        raise InputError("--emit needs a SCENARIO file (a --locustfile run cannot be emitted)")
    kind, directory = emit
    written = emit_test(
        kind,
        directory,
        scenario,
        host=host,
        workers=parse_workers(workers),
        image=image,
        users=users,
        rps=rps,
        duration=seconds,
        slo=slo,
        warmup=parse_duration(warmup) if warmup is not None else None,
    )
    for path in written:
        out.print(f"wrote {path}", markup=False, highlight=False)
    out.print("how to run it and get run.json back: docs/distributed.md", markup=False, highlight=False)


def _replica_list(text: str | None) -> tuple[int, ...]:
    if text is None:
        return ()
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--replicas {text!r}: expected N or a list such as 1,2,3") from None
    if not values or any(v < 1 for v in values):
        raise InputError(f"--replicas {text!r}: replica counts must be at least 1")
    return tuple(values)


def _print_step(step: Any) -> None:
    mark = "ok" if step.slo_ok else "SLO broken"
    err.print(
        f"step {step.index}: users={step.users or '-'} offered={step.offered_rps or '-'} "
        f"rps={step.rps:,.1f} p95={step.p95_ms:,.1f}ms errors={step.error_rate:.1%} {mark}",
        markup=False,
        highlight=False,
    )


def _print_baseline(done: Any, *, verbose: bool = False) -> None:
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import baseline_lines

    _lines(baseline_lines(done.baseline, done.analysis, str(done.path)))
    out.print(_baseline_table(done.baseline))
    if verbose and done.analysis is not None:
        out.print(render_analysis(done.analysis), soft_wrap=False)
    if done.report_path is not None:
        out.print(f"baseline report: {done.report_path}", markup=False, highlight=False)
    out.print(f"baseline written to {done.path} ({done.baseline.stop_reason})", markup=False, highlight=False)


@app.command("baseline")
@error_boundary
def baseline(
    scenario: Path | None = typer.Option(
        None,
        "--scenario",
        "-s",
        help="Stepped scenario (default scenarios/baseline.yaml), or a single-stage one: one run as "
        "written (a gate baseline, e.g. scenarios/smoke.yaml).",
    ),
    name: str = typer.Option("default", "--name", "-n", help="Baseline name: reports/baselines/NAME.json."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Directory for NAME.json instead of reports/baselines."
    ),
    root: Path = typer.Option(
        layout.DEFAULT_ROOT, "--root", help="Reports root (step runs go to ROOT/runs)."
    ),
    replicas: str | None = typer.Option(
        None,
        "--replicas",
        help="Replicas of the bundled target or of --target-cmd: N, or a sweep 1,2,3 (NAME-rN.json); "
        "with --host, the N replicas you run there (recorded).",
    ),
    update: bool = typer.Option(
        False, "--update", help="Replace an existing baseline of that name deliberately."
    ),
    host: str | None = typer.Option(None, "--host", help="Target URL instead of the bundled target."),
    target_cmd: str | None = typer.Option(None, "--target-cmd", help=TARGET_CMD_HELP),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow load on a non-loopback host."),
    slo: list[str] = typer.Option([], "--slo", help="SLO expression (repeatable; replaces the scenario's)."),
    metrics_url: list[str] = typer.Option(
        [], "--metrics-url", help="Extra Prometheus /metrics URL (repeatable; {port} = --target-cmd's)."
    ),
    workers: str = typer.Option(
        "0",
        "--workers",
        "-w",
        help="Local Locust worker processes per step, or 'auto': one per core the target is not pinned "
        "to, and more on the next step when the generator saturates (if the cores allow).",
    ),
    target_env: list[str] = typer.Option(
        [],
        "--target-env",
        help="KEY=VALUE for the target scalectl starts (repeatable), e.g. DB_POOL_SIZE=20; recorded in "
        "run.json, so 'scalectl experiment' starts the same configuration again.",
    ),
    prometheus_url: str | None = prometheus_url_option(),
    prometheus_selector: str | None = prometheus_selector_option(),
    warmup: str | None = typer.Option(
        None,
        "--warmup",
        help="Leave the first seconds of each step out of its numbers and SLO verdict (start-up "
        "transients), e.g. 2s. Default: the scenario's steps.warmup, else none.",
    ),
    refine: int | None = typer.Option(
        None,
        "--refine",
        min=0,
        max=8,
        help="After the SLO breaks, bisect between the last step that met it and the first that broke "
        "it N times (one more step each), so the knee is finer than the steps. Default: the scenario's "
        "steps.refine, else 0.",
    ),
    report: bool = typer.Option(
        True,
        "--report/--no-report",
        help="Write the baseline's report (NAME.html beside NAME.json: throughput and the hockey stick "
        "with the knee, each step linked to its run's report.html).",
    ),
    cpus_per_replica: int | None = typer.Option(
        None,
        "--cpus-per-replica",
        help="Pin each bundled replica to K CPUs; baselines at several K give recommend its "
        "horizontal vs vertical options.",
    ),
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Step the load up until the SLO breaks; record the knee (highest throughput within the SLO).

    Each step is a run of its own (reports/runs/); every step is analyzed, and the last one (where the
    SLO broke, or the heaviest load) is shown: what breaks first. The baseline goes to
    reports/baselines/NAME.json, read by 'scalectl gate' and 'scalectl recommend'.
    """
    from scalectl.pipeline import BaselineOptions, sweep
    from scalectl.telemetry.promserver import from_options

    from_options(prometheus_url, prometheus_selector)  # both or neither (exit 2), before anything runs

    counts = _replica_list(replicas)
    if host is None and target_cmd is None:
        _own_target_note(list(counts) or [1], scenario)
    opts = BaselineOptions(
        name=name,
        scenario=scenario,
        target=_target(
            host, target_cmd, None, allow_remote, parse_env_pairs(target_env), cpus=cpus_per_replica
        ),
        replicas=counts,
        out=out_dir,
        root=root,
        update=update,
        slo=tuple(slo),
        metrics_urls=tuple(metrics_url),
        workers=workers,
        warmup=parse_duration(warmup) if warmup is not None else None,
        refine=refine,
        prometheus_url=prometheus_url,
        prometheus_selector=prometheus_selector,
        report=report,
    )
    with _Progress(f"{name} step") as progress:
        sweep(
            opts,
            progress=progress,
            on_step=_print_step,
            on_baseline=lambda done: _print_baseline(done, verbose=verbose),
        )


def _own_target_note(counts: list[int], scenario: Path | None) -> None:
    """Say plainly that baseline measures a target of its own (and which running one it leaves alone)."""
    from scalectl import target
    from scalectl.scenario import load_scenario

    sc = load_scenario(scenario) if scenario is not None else None
    if sc is not None and (sc.host or (sc.target is not None and sc.target.command)):
        return
    running = target.load_state(target.state_path())
    n = "/".join(map(str, counts))
    line = f"no --host: measuring a bundled target of {n} replica(s) started for this baseline"
    if running is not None and target.is_running(running):
        line += f"; the target running at {running.url} is left alone (--host {running.url} measures it)"
    err.print(line, markup=False, highlight=False)


def _baseline_table(b: Any) -> Any:
    from rich.table import Table

    t = Table(
        title=f"baseline {b.name} ({b.replicas or 'unknown'} replica(s)), SLO: {', '.join(b.slo) or 'none'}",
        title_justify="left",
    )
    t.caption = "* the knee: highest throughput within the SLO; latency in ms"
    for col in ("step", "users", "offered", "rps", "p50", "p95", "p99", "errors", "SLO"):
        t.add_column(col, justify="right", no_wrap=True, min_width=len(col))
    for s in b.steps:
        knee = b.knee is not None and b.knee.step == s.index
        t.add_row(
            f"{s.index}{'*' if knee else ''}",
            str(s.users or "-"),
            f"{s.offered_rps:g}" if s.offered_rps else "-",
            f"{s.rps:,.1f}",
            f"{s.p50_ms:,.1f}",
            f"{s.p95_ms:,.1f}",
            f"{s.p99_ms:,.1f}",
            f"{s.error_rate:.1%}",
            "ok" if s.slo_ok else "broken",
        )
    return t


@app.command("worker")
@error_boundary
def worker(
    master: str = typer.Option(
        ..., "--master", help="HOST:PORT of a 'scalectl loadtest --remote-workers' master."
    ),
) -> None:
    """Join a remote scalectl master as a Locust worker (it sends the scenario); runs until it quits."""
    import subprocess
    import sys

    hostport = master.rsplit(":", 1)
    if len(hostport) != 2 or not hostport[1].isdigit():
        raise InputError(f"--master {master!r}: expected HOST:PORT")
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "--worker",
        "--master-host",
        hostport[0],
        "--master-port",
        hostport[1],
        "-f",
        "-",
    ]
    raise typer.Exit(code=subprocess.call(cmd))
