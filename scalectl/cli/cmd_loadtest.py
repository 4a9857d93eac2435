"""``scalectl loadtest``, ``scalectl baseline`` and ``scalectl worker``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from scalectl import layout
from scalectl.cli._common import EXIT_INTERRUPTED, err, error_boundary, is_tty, out, parse_duration
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


@app.command("loadtest")
@error_boundary
def loadtest(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML file (see scenarios/README.md)."),
    locustfile: Path | None = typer.Option(
        None,
        "--locustfile",
        help="Run your own Locust file instead of a scenario (needs --users, --duration).",
    ),
    host: str | None = typer.Option(
        None, "--host", help="Target URL. Default: the scenario's host, else the bundled target."
    ),
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
    workers: int = typer.Option(
        0, "--workers", "-w", help="Local Locust worker processes (0 = one process)."
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
        [], "--metrics-url", help="Extra Prometheus /metrics URL to sample (repeatable)."
    ),
    replicas: int = typer.Option(1, "--replicas", help="Bundled target replicas (when no --host)."),
    report: bool = typer.Option(
        True,
        "--report/--no-report",
        help="Write report.html next to run.json (analysis.json is always written).",
    ),
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Run one load test and write reports/runs/<run-id>/ (run.json, series.csv, scenario.yaml).

    Afterwards the run is analyzed (analysis.json: what limits it, what to change) and an HTML report
    is written (report.html). Ctrl-C stops the load and still writes the partial run (exit 130).
    """
    from scalectl.load import run_scenario
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import run_lines
    from scalectl.report.run_term import render_run

    if (scenario is None) == (locustfile is None):
        raise InputError("give a SCENARIO file or --locustfile FILE (one of them)")
    seconds = parse_duration(duration) if duration is not None else None
    label = (scenario or locustfile or Path("run")).stem
    with _Progress(label) as progress:
        run, run_dir = run_scenario(
            scenario,
            host=host,
            users=users,
            rps=rps,
            duration=seconds,
            workers=workers,
            out=out_dir,
            root=root,
            allow_remote=allow_remote,
            metrics_urls=metrics_url,
            replicas=replicas,
            slo=slo,
            progress=progress,
            locustfile=locustfile,
            remote_workers=remote_workers,
            master_bind=master_bind,
            master_port=master_port,
            warmup=parse_duration(warmup) if warmup is not None else None,
        )
    analysis, report_path = _finish(run, run_dir, report=report)
    _lines(run_lines(run, analysis, str(run_dir), host=host))
    out.print(render_run(run))
    if verbose:
        out.print(render_analysis(analysis), soft_wrap=False)
    if report_path is not None:
        out.print(f"report: {report_path}", markup=False, highlight=False)
    out.print(f"run written to {run_dir}", markup=False, highlight=False)
    if not run.complete and (run.stop_reason or "").startswith("interrupted"):
        raise typer.Exit(code=EXIT_INTERRUPTED)


def _finish(run: Any, run_dir: Path, *, report: bool, sweep: Any = ()) -> tuple[Any, Path | None]:
    """Analyze the run (a baseline step: with its sweep) and write analysis.json (and report.html)."""
    from scalectl.postrun import finish_run

    return finish_run(run, run_dir, report=report, sweep=sweep)


def _lines(lines: list[str]) -> None:
    """The three first lines: result or capacity, what limits it, the next command."""
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _replica_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--replicas {text!r}: expected N or a list such as 1,2,3") from None
    if not values or any(v < 1 for v in values):
        raise InputError(f"--replicas {text!r}: replica counts must be at least 1")
    return values


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
    replicas: str = typer.Option(
        "1", "--replicas", help="Bundled target replicas: N, or a sweep 1,2,3 (NAME-rN.json)."
    ),
    update: bool = typer.Option(
        False, "--update", help="Replace an existing baseline of that name deliberately."
    ),
    host: str | None = typer.Option(None, "--host", help="Target URL instead of the bundled target."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow load on a non-loopback host."),
    slo: list[str] = typer.Option([], "--slo", help="SLO expression (repeatable; replaces the scenario's)."),
    metrics_url: list[str] = typer.Option(
        [], "--metrics-url", help="Extra Prometheus /metrics URL (repeatable)."
    ),
    workers: int = typer.Option(0, "--workers", "-w", help="Local Locust worker processes per step."),
    warmup: str | None = typer.Option(
        None,
        "--warmup",
        help="Leave the first seconds of each step out of its numbers and SLO verdict (start-up "
        "transients), e.g. 2s. Default: the scenario's steps.warmup, else none.",
    ),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Write report.html for the last step's run."
    ),
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Step the load up until the SLO breaks; record the knee (highest throughput within the SLO).

    Each step is a run of its own (reports/runs/); every step is analyzed, and the last one (where the
    SLO broke, or the heaviest load) is shown: what breaks first. The baseline goes to
    reports/baselines/NAME.json, read by 'scalectl gate' and 'scalectl recommend'.
    """
    from scalectl.load.baseline import run_baseline
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.first_lines import baseline_lines

    counts = _replica_list(replicas)
    if host is not None and counts != [1]:
        raise InputError("--replicas applies to the bundled target; it cannot be combined with --host")
    if host is None:
        _own_target_note(counts, scenario)
    for n in counts:
        bname = f"{name}-r{n}" if len(counts) > 1 else name
        label = f"{bname} step"

        def on_step(step: Any) -> None:
            mark = "ok" if step.slo_ok else "SLO broken"
            err.print(
                f"step {step.index}: users={step.users or '-'} offered={step.offered_rps or '-'} "
                f"rps={step.rps:,.1f} p95={step.p95_ms:,.1f}ms errors={step.error_rate:.1%} {mark}",
                markup=False,
                highlight=False,
            )

        with _Progress(label) as progress:
            result, path = run_baseline(
                scenario,
                name=bname,
                out=out_dir,
                root=root,
                replicas=n,
                update=update,
                host=host,
                allow_remote=allow_remote,
                slo=slo,
                metrics_urls=metrics_url,
                workers=workers,
                progress=progress,
                on_step=on_step,
                warmup=parse_duration(warmup) if warmup is not None else None,
            )
        steps = [st for st in result.steps if st.run_dir]
        sweep = [st.run for st in result.steps]
        analyses = [
            _finish(st.run, Path(st.run_dir), report=report and st is steps[-1], sweep=sweep) for st in steps
        ]
        last, report_path = analyses[-1] if analyses else (None, None)
        _lines(baseline_lines(result, last, str(path)))
        out.print(_baseline_table(result))
        if verbose and last is not None:
            out.print(render_analysis(last), soft_wrap=False)
        if report_path is not None:
            out.print(f"report: {report_path}", markup=False, highlight=False)
        out.print(f"baseline written to {path} ({result.stop_reason})", markup=False, highlight=False)


def _own_target_note(counts: list[int], scenario: Path | None) -> None:
    """Say plainly that baseline measures a target of its own (and which running one it leaves alone)."""
    from scalectl import target
    from scalectl.scenario import load_scenario

    if scenario is not None and load_scenario(scenario).host:
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
        title=f"baseline {b.name} ({b.replicas} replica(s)), SLO: {', '.join(b.slo) or 'none'}",
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
