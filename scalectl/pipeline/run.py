"""One load test: start the target → run Locust → collect → write run.json → analyse → report.

:func:`run_load` makes the run (``run.json``, ``series.csv``, ``scenario.yaml``, ``target.log``);
:func:`loadtest` adds the analysis and the HTML report, as ``scalectl loadtest`` does.
A run stopped by SIGINT/SIGTERM still returns (and writes) its partial result, ``complete=False``.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scalectl import layout, storage
from scalectl.errors import InputError
from scalectl.load import engine, locustgen, results
from scalectl.load import workers as workers_mod
from scalectl.models import Analysis
from scalectl.models.run import RunResult
from scalectl.pipeline.options import RunOptions
from scalectl.pipeline.overrides import apply_overrides
from scalectl.pipeline.targets import RunningTarget, resolve_spec, start_target
from scalectl.scenario import OpenLoad, Scenario, dump_scenario, load_scenario
from scalectl.telemetry import ProcessSource, PrometheusSource, TelemetrySampler
from scalectl.telemetry.promserver import PrometheusServer, from_options, scenario_prometheus

Progress = Callable[[engine.ProgressUpdate], None]


@dataclass(frozen=True)
class _Plan:
    """What to run: a scenario (after overrides) or the user's locustfile."""

    name: str
    scenario: Scenario | None
    locustfile: Path | None = None
    shape: bool = False


@dataclass
class LoadtestResult:
    run: RunResult
    run_dir: Path
    analysis: Analysis
    report_path: Path | None


def loadtest(opts: RunOptions, *, progress: Progress | None = None) -> LoadtestResult:
    """``scalectl loadtest``: the run, then its analysis (``analysis.json``) and ``report.html``."""
    from scalectl.postrun import finish_run

    run, run_dir = run_load(opts, progress=progress)
    analysis, report_path = finish_run(run, run_dir, report=opts.report)
    return LoadtestResult(run, run_dir, analysis, report_path)


def run_load(
    opts: RunOptions,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], str | None] | None = None,
    running: RunningTarget | None = None,
    prometheus: PrometheusServer | None = None,
) -> tuple[RunResult, Path]:
    """Run one load test and write its run directory; returns the run and the directory.

    ``running``: a target already up (a baseline's steps share one); otherwise the target of
    ``opts.target`` (and the scenario) is started for this run and stopped after it.
    ``prometheus``: a Prometheus server already checked (a baseline's steps share one); otherwise the
    one of ``opts`` (or the scenario's ``telemetry.prometheus``), checked here before any load."""
    requested = workers_mod.parse_workers(opts.workers)
    if opts.remote_workers < 0:
        raise InputError("--remote-workers must not be negative")
    plan = _plan(opts)
    if prometheus is None:
        prometheus = prometheus_source(
            opts.prometheus_url, opts.prometheus_selector, plan.scenario, check=True
        )
    with contextlib.ExitStack() as stack:
        if running is None:
            spec = resolve_spec(opts.target, plan.scenario)
            running = stack.enter_context(
                start_target(spec, allow_remote=opts.target.allow_remote, root=opts.root)
            )
        choice = _workers(opts, requested, running)
        opts = opts.replace(workers=choice.workers, generator_cpus=opts.generator_cpus or choice.cpus)
        notes = [choice.reason] if requested == workers_mod.AUTO else []
        run_dir = storage.new_run_dir(plan.name, root=opts.root, out=opts.out)
        workdir = engine.make_workdir()
        stack.callback(shutil.rmtree, workdir, True)
        child = _child_plan(opts, plan, running.url, workdir, run_dir)
        sampler = _sampler(opts, plan, running)
        try:
            outcome = _run_child(child, workdir, sampler, progress, should_stop)
        finally:
            running.copy_logs(run_dir)
        engine.require_results(outcome)
        facts = _facts(opts, plan, running, run_dir.name, outcome)
        facts.generator_notes = notes
        telemetry_for = sampler.series
        if prometheus is not None:
            prometheus.collect(outcome.started, outcome.ended)
            facts.warnings = list(prometheus.warnings)
            server = prometheus
            telemetry_for = lambda t0: sampler.series(t0) + server.series(t0)  # noqa: E731
        run = results.build_run(outcome.raw, facts, telemetry_for, outcome.started, outcome.ended)
        storage.write_model(run_dir / storage.RUN_FILE, run)
        storage.atomic_write_text(run_dir / "series.csv", results.series_csv(run))
        storage.mark_latest(run_dir)
        return run, run_dir


def prometheus_source(
    url: str | None, selector: str | None, scenario: Scenario | None, *, check: bool
) -> PrometheusServer | None:
    """``--prometheus-url``/``--prometheus-selector``, else the scenario's ``telemetry.prometheus``;
    points no closer than the telemetry interval. ``check``: the server answers and the selector
    parses, before any load (exit 3 / exit 2 otherwise)."""
    source = from_options(url, selector) or (scenario_prometheus(scenario) if scenario else None)
    if source is not None:
        source.step = max(source.step, scenario.telemetry.interval if scenario else 1.0)
        if check:
            source.check()
    return source


def _plan(opts: RunOptions) -> _Plan:
    if opts.locustfile is not None:
        path = Path(opts.locustfile)
        if not path.is_file():
            raise InputError(f"{path}: no such locustfile")
        shape = locustgen.has_shape(path)
        if not shape and (opts.users is None or opts.duration is None):
            raise InputError(
                "a locustfile run needs --users and --duration (or a LoadTestShape class in the file)"
            )
        if opts.warmup is not None and opts.duration is not None and not 0 <= opts.warmup < opts.duration:
            raise InputError(
                f"--warmup ({opts.warmup:g}s) must be at least 0 and shorter than the run "
                f"({opts.duration:g}s)"
            )
        return _Plan(path.stem, None, path, shape)
    if opts.scenario is None:
        raise InputError("give a scenario file (or --locustfile)")
    sc = opts.scenario if isinstance(opts.scenario, Scenario) else load_scenario(Path(opts.scenario))
    sc = apply_overrides(
        sc, users=opts.users, rps=opts.rps, duration=opts.duration, slo=opts.slo, warmup=opts.warmup
    )
    return _Plan(sc.name, sc)


def _child_plan(opts: RunOptions, plan: _Plan, host: str, workdir: Path, run_dir: Path) -> engine.ChildPlan:
    workers = opts.workers + opts.remote_workers
    if plan.scenario is not None:
        storage.atomic_write_text(run_dir / layout.SCENARIO_FILE, dump_scenario(plan.scenario))
        config = {"scenario": plan.scenario.model_dump(mode="json"), "workers": workers}
        files = locustgen.write_locustfiles(workdir, config=config, user_locustfile=None)
        extra: list[str] = []
        expected: float | None = plan.scenario.total_duration
    else:
        assert plan.locustfile is not None
        shutil.copyfile(plan.locustfile, run_dir / "locustfile.py")
        cap = opts.duration if plan.shape else None
        files = locustgen.write_locustfiles(
            workdir, config=None, user_locustfile=plan.locustfile, shape_cap_s=cap
        )
        extra = []
        if not plan.shape:  # a shape sets users and length itself; --duration caps it (above)
            assert opts.users is not None and opts.duration is not None
            users = str(opts.users)
            extra = ["-u", users, "-r", users, "-t", f"{max(1, round(opts.duration))}s"]
        expected = opts.duration
    return engine.ChildPlan(
        files=files,
        host=host,
        workers=opts.workers,
        remote_workers=opts.remote_workers,
        master_bind=opts.master_bind,
        master_port=opts.master_port,
        extra=extra,
        expected_duration=expected,
        cpus=opts.generator_cpus,
    )


def _workers(opts: RunOptions, requested: int | str, running: RunningTarget) -> workers_mod.WorkerChoice:
    """``--workers``: a count as given, or ``auto``: one per core the target is not pinned to (a
    target started here, or the one ``scalectl target up`` keeps when ``--host`` is its URL)."""
    pinned = running.pinned_cpus or workers_mod.target_cpus(
        None, running.url, layout.target_dir(opts.root) / "state.json"
    )
    return workers_mod.choose(requested, pinned)


def _sampler(opts: RunOptions, plan: _Plan, running: RunningTarget) -> TelemetrySampler:
    prom, procs = running.telemetry_sources()
    sc = plan.scenario
    urls = list(opts.metrics_urls) + (sc.telemetry.metrics_urls if sc else [])
    port = running.spec.port
    for i, url in enumerate(dict.fromkeys(urls)):
        # a service scalectl started listens on a port picked at start: {port} in a URL is that one
        url = url.replace("{port}", str(port)) if port is not None else url
        prom.append(PrometheusSource(source=f"metrics-{i}", url=url))
    enabled = sc.telemetry.enabled if sc else True
    interval = sc.telemetry.interval if sc else 1.0
    return TelemetrySampler(prom if enabled else [], procs if enabled else [], interval)


def _run_child(
    child: engine.ChildPlan,
    workdir: Path,
    sampler: TelemetrySampler,
    progress: Progress | None,
    should_stop: Callable[[], str | None] | None,
) -> engine.ChildOutcome:
    def started(pids: list[tuple[str, int]]) -> None:
        sampler.processes.extend(ProcessSource(source=n, pid=p, role="generator") for n, p in pids)
        sampler.start()

    def on_progress(line: dict[str, Any]) -> None:
        if progress:
            progress(
                engine.ProgressUpdate(
                    elapsed=float(line.get("elapsed", 0.0)),
                    total=child.expected_duration,
                    users=int(line.get("users", 0)),
                    rps=float(line.get("rps", 0.0)),
                    p95_ms=float(line.get("p95_ms", 0.0)),
                    requests=int(line.get("requests", 0)),
                    failures=int(line.get("failures", 0)),
                    workers=int(line.get("workers", 0)),
                    lost_workers=list(line.get("lost_workers", [])),
                )
            )

    try:
        return engine.run_child(
            child, workdir, on_progress=on_progress, on_started=started, should_stop=should_stop
        )
    finally:
        sampler.stop()


def _facts(
    opts: RunOptions, plan: _Plan, running: RunningTarget, run_id: str, outcome: engine.ChildOutcome
) -> results.RunFacts:
    sc = plan.scenario
    spec = running.spec
    return results.RunFacts(
        run_id=run_id,
        scenario_name=plan.name,
        scenario=sc.model_dump(mode="json")
        if sc
        else {"name": plan.name, "locustfile": str(plan.locustfile)},
        host=running.url,
        load_model="locustfile" if sc is None else sc.load.model,
        slo=list(sc.slo) if sc else list(opts.slo),
        thresholds=list(sc.thresholds) if sc else [],
        workers=opts.workers + opts.remote_workers,
        replicas=spec.replicas,
        cpus_per_replica=spec.cpus_per_replica,
        open_stages=[s.model_dump() for s in sc.load.stages]
        if sc and isinstance(sc.load, OpenLoad)
        else None,
        interrupted=outcome.interrupted,
        lost_workers=outcome.lost_workers,
        warmup=sc.load.warmup if sc else float(opts.warmup or 0.0),
        target=spec,
    )
