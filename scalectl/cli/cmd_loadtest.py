"""``scalectl loadtest``, ``scalectl baseline`` and ``scalectl worker``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scalectl import layout
from scalectl.cli._common import (
    err,
    error_boundary,
    parse_duration,
    parse_env_pairs,
    prometheus_selector_option,
    prometheus_url_option,
)
from scalectl.cli._run_view import Progress, plain, print_baseline, print_step, show_run
from scalectl.cli.main import app
from scalectl.errors import InputError

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


# long: the Typer option declarations; the body stays within 30 lines (tests/test_function_length.py)
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

    _one_source(scenario, locustfile, prometheus_url, prometheus_selector)  # exit 2 before anything runs
    if emit is not None:
        _emit(emit, scenario, host, workers, image, users, rps, duration, slo, warmup)
        return
    opts = RunOptions(
        scenario=scenario,
        locustfile=locustfile,
        target=_target(host, target_cmd, replicas, allow_remote, parse_env_pairs(target_env)),
        users=users,
        rps=rps,
        duration=_seconds(duration),
        warmup=_seconds(warmup),
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
    res = _run(opts, (scenario or locustfile or Path("run")).stem)
    show_run(res, host=host, verbose=verbose)


def _seconds(text: str | None) -> float | None:
    return parse_duration(text) if text is not None else None


def _one_source(
    scenario: Path | None,
    locustfile: Path | None,
    prometheus_url: str | None,
    prometheus_selector: str | None,
) -> None:
    """A scenario or a Locust file (one of them); the Prometheus options both or neither."""
    from scalectl.telemetry.promserver import from_options

    if (scenario is None) == (locustfile is None):
        raise InputError("give a SCENARIO file or --locustfile FILE (one of them)")
    from_options(prometheus_url, prometheus_selector)


def _run(opts: Any, label: str) -> Any:
    from scalectl.pipeline import loadtest as run_loadtest

    with Progress(label) as progress:
        return run_loadtest(opts, progress=progress)


def _emit(
    emit: tuple[str, Path],
    scenario: Path | None,
    host: str | None,
    workers: str,
    image: str,
    users: int | None,
    rps: float | None,
    duration: str | None,
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
        duration=_seconds(duration),
        slo=slo,
        warmup=_seconds(warmup),
    )
    for path in written:
        plain(f"wrote {path}")
    plain("how to run it and get run.json back: docs/distributed.md")


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


# long: the Typer option declarations; the body stays within 30 lines (tests/test_function_length.py)
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
    from scalectl.pipeline import BaselineOptions
    from scalectl.telemetry.promserver import from_options

    from_options(prometheus_url, prometheus_selector)  # both or neither (exit 2), before anything runs
    counts = _replica_list(replicas)
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
        warmup=_seconds(warmup),
        refine=refine,
        prometheus_url=prometheus_url,
        prometheus_selector=prometheus_selector,
        report=report,
    )
    _sweep(opts, verbose=verbose, own_target=host is None and target_cmd is None)


def _own_target_note(counts: list[int], scenario: Path | None) -> None:
    """Say plainly that baseline measures a target of its own (and which running one it leaves alone)."""
    from scalectl.pipeline.targets import own_target_note

    if (line := own_target_note(counts, scenario)) is not None:
        err.print(line, markup=False, highlight=False)


def _sweep(opts: Any, *, verbose: bool, own_target: bool) -> None:
    from scalectl.pipeline import sweep
    from scalectl.pipeline.baseline import refuse_existing

    refuse_existing(opts)  # before the note: a refused baseline measures nothing
    if own_target:
        _own_target_note(list(opts.replicas) or [1], opts.scenario)
    with Progress(f"{opts.name} step") as progress:
        sweep(
            opts,
            progress=progress,
            on_step=print_step,
            on_baseline=lambda done: print_baseline(done, verbose=verbose),
        )


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
