"""``scalectl baseline``: stepped load on one target until the SLO breaks (→ a Baseline file), and the
sweep over replica counts (one baseline per count), for the bundled target and the user's command alike.
Every step is analysed (``analysis.json``); the last step of each baseline gets ``report.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from scalectl import layout, storage
from scalectl.analysis.throughput import active_rps
from scalectl.errors import InputError
from scalectl.load import workers as workers_mod
from scalectl.load.baseline import (
    after_generator_saturated,
    find_knees,
    midpoint,
    refine_between,
    slo_holds,
    step_at,
    step_scenarios,
    with_warmup,
)
from scalectl.models import Analysis
from scalectl.models.baseline import Baseline, BaselineStep
from scalectl.models.run import Environment, RunResult
from scalectl.pipeline.options import BaselineOptions, RunOptions
from scalectl.pipeline.run import Progress, prometheus_source, run_load
from scalectl.pipeline.targets import RunningTarget, resolve_spec, start_target
from scalectl.scenario import Scenario, Steps, load_scenario

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
#: A step whose throughput falls below this fraction of the best so far is past the knee.
FALLING_THROUGHPUT = 0.95


@dataclass(frozen=True)
class BaselineOutcome:
    baseline: Baseline
    path: Path
    #: The analysis of the last step (what breaks first), once ``sweep`` made it.
    analysis: Analysis | None = None
    #: The baseline's own HTML report (the sweep, the knee, each step linked to its run's report).
    report_path: Path | None = None


def sweep(
    opts: BaselineOptions,
    *,
    progress: Progress | None = None,
    on_step: Callable[[BaselineStep], None] | None = None,
    on_baseline: Callable[[BaselineOutcome], None] | None = None,
) -> list[BaselineOutcome]:
    """One baseline per replica count (``NAME-rN`` when there are several); each step analysed."""
    from scalectl.postrun import finish_run

    counts = list(opts.replicas) or [opts.target.replicas]
    if len(counts) > 1 and (opts.target.host is not None or _scenario_host(opts)):
        raise InputError(
            "a replica sweep needs a target scalectl starts: scalectl cannot change the replicas behind "
            "--host",
            hint="give --target-cmd 'CMD {port} {replicas}', or run one baseline per count with --replicas N",
        )
    refuse_existing(opts)  # every count's file, before any load runs
    done = []
    for n in counts:
        name = f"{opts.name}-r{n}" if len(counts) > 1 else opts.name
        one = opts.replace(name=name, target=opts.target.replace(replicas=n))
        outcome = run_baseline(one, progress=progress, on_step=on_step)
        steps = [st for st in outcome.baseline.steps if st.run_dir]
        runs = [st.run for st in outcome.baseline.steps]  # each step is judged within its sweep
        for st in steps:
            analysis, _ = finish_run(st.run, Path(st.run_dir or ""), report=opts.report, sweep=runs)
            outcome = replace(outcome, analysis=analysis)
        if opts.report:
            from scalectl.report.files import write_baseline_report

            outcome = replace(outcome, report_path=write_baseline_report(outcome.path))
        if on_baseline:
            on_baseline(outcome)
        done.append(outcome)
    return done


def refuse_existing(opts: BaselineOptions) -> None:
    """An input error when a baseline file this sweep would write exists and ``--update`` is not given."""
    if opts.update:
        return
    counts = list(opts.replicas) or [opts.target.replicas]
    for n in counts:
        name = f"{opts.name}-r{n}" if len(counts) > 1 else opts.name
        path = storage.baseline_path(name, root=opts.root, out=opts.out)
        if path.exists():
            raise InputError(
                f"baseline {path} exists; pass --update to replace it deliberately",
                hint="or give another --name",
            )


def _scenario_host(opts: BaselineOptions) -> str | None:
    sc = opts.scenario
    return sc.host if isinstance(sc, Scenario) else None


def _load(opts: BaselineOptions) -> Scenario:
    sc = (
        opts.scenario
        if isinstance(opts.scenario, Scenario)
        else load_scenario(Path(opts.scenario or DEFAULT_SCENARIO))
    )
    if opts.slo:
        from scalectl.slo import parse_threshold

        sc = sc.model_copy(update={"slo": [parse_threshold(e).text for e in opts.slo]})
    if opts.warmup is not None:
        sc = with_warmup(sc, opts.warmup)
    if opts.refine is not None and sc.steps is not None:
        sc = sc.model_copy(update={"steps": sc.steps.model_copy(update={"refine": opts.refine})})
    return sc


def run_baseline(
    opts: BaselineOptions,
    *,
    progress: Progress | None = None,
    on_step: Callable[[BaselineStep], None] | None = None,
) -> BaselineOutcome:
    """Step the load on one target (started once for all steps) and write ``NAME.json``."""
    from scalectl.slo import parse_threshold

    path = storage.baseline_path(opts.name, root=opts.root, out=opts.out)
    if path.exists() and not opts.update:
        raise InputError(f"baseline {path} exists; pass --update to replace it deliberately")
    sc = _load(opts)
    thresholds = [parse_threshold(e) for e in sc.slo]
    stepping = sc.steps or Steps(users=[1])  # defaults for the one step of a single-stage scenario
    # one Prometheus server for all steps, checked before the target starts and any load
    prom = prometheus_source(opts.prometheus_url, opts.prometheus_selector, sc, check=True)
    spec = resolve_spec(opts.target, sc)
    with start_target(spec, allow_remote=opts.target.allow_remote, root=opts.root) as running:
        steps, stop_reason, warnings = _step(opts, sc, running, thresholds, stepping, progress, on_step, prom)
    single = sc.steps is None
    knee, per = find_knees(steps, thresholds, stepping.max_error_rate)
    if knee is None:
        warnings.append(
            "the run did not meet the SLO" if single else "no step met the SLO: start the steps lower"
        )
    elif knee.beyond_last_step and not single:
        warnings.append("the SLO held at every step: the knee lies beyond the last step")
    baseline = Baseline(
        name=opts.name,
        scenario_name=sc.name,
        created_at=datetime.now(UTC),
        environment=steps[0].run.environment if steps else Environment(),
        slo=list(sc.slo),
        replicas=running.spec.replicas,
        target=running.spec,
        steps=steps,
        knee=knee,
        endpoint_knees=per,
        stop_reason=stop_reason,
        warnings=warnings,
    )
    storage.write_model(path, baseline)
    return BaselineOutcome(baseline, path)


@dataclass
class _Stepper:
    """What every step of one baseline shares: the target, the SLO, the generator and the callbacks."""

    opts: BaselineOptions
    running: RunningTarget
    thresholds: list
    max_err: float
    run_opts: RunOptions
    workers: int
    progress: Progress | None
    on_step: Callable[[BaselineStep], None] | None
    prom: object

    def run(self, index: int, step_sc: Scenario, users: int | None, offered: float | None) -> BaselineStep:
        run, run_dir = run_load(
            self.run_opts.replace(scenario=step_sc, workers=self.workers),
            progress=self.progress,
            running=self.running,
            prometheus=self.prom,  # type: ignore[arg-type]
        )
        step = _step_record(
            index, users, offered, run, run_dir, slo_holds(run, self.thresholds, self.max_err)
        )
        if self.on_step:
            self.on_step(step)
        return step


def _step(opts, sc, running, thresholds, stepping, progress, on_step, prom):  # type: ignore[no-untyped-def]
    """Run the steps until the knee is passed (then refine it); returns (steps, why it stopped, warnings)."""
    single = sc.steps is None
    max_err = stepping.max_error_rate
    steps: list[BaselineStep] = []
    stop_reason = "single-stage scenario: one run as written" if single else "last step reached"
    warnings: list[str] = []
    broken = fell = 0
    best_rps = 0.0
    auto = workers_mod.parse_workers(opts.workers) == workers_mod.AUTO
    pinned = running.pinned_cpus or workers_mod.target_cpus(
        None, running.url, layout.target_dir(opts.root) / "state.json"
    )
    choice = workers_mod.choose(workers_mod.parse_workers(opts.workers), pinned)
    if auto:
        warnings.append(choice.reason)
    run_opts = RunOptions(root=opts.root, metrics_urls=opts.metrics_urls, generator_cpus=choice.cpus)
    stepper = _Stepper(opts, running, thresholds, max_err, run_opts, choice.workers, progress, on_step, prom)
    for i, (step_sc, users, offered) in enumerate(step_scenarios(sc)):
        step = stepper.run(i, step_sc, users, offered)
        steps.append(step)
        run = step.run
        if run.generator.saturated:
            nxt, message = after_generator_saturated(i, stepper.workers, auto=auto, pinned=pinned)
            warnings.append(message)
            if nxt is None:
                stop_reason = message
                break
            stepper.workers = nxt
        if not run.complete:
            stop_reason = run.stop_reason or "interrupted"
            break
        if run.total.failure_rate > max_err:
            stop_reason = (
                f"error rate {run.total.failure_rate:.1%} passed the bound {max_err:.1%} at step {i}"
            )
            break
        falling = best_rps > 0 and step.rps < FALLING_THROUGHPUT * best_rps
        broken = broken + 1 if not step.slo_ok else 0
        # one slow step on a shared machine is noise; falling twice in a row is past the knee
        fell = fell + 1 if falling else 0
        best_rps = max(best_rps, step.rps)
        if broken >= stepping.stop_after:
            stop_reason = f"past the knee at step {i} (SLO broken)"
            break
        if fell >= max(2, stepping.stop_after):
            stop_reason = f"past the knee at step {i} (throughput below {FALLING_THROUGHPUT:.0%} of the best)"
            break
    if stepping.refine and not single and "SLO broken" in stop_reason:
        stop_reason += _refine(sc, steps, stepping.refine, stepper)
    # by load level (a refined step sits between the steps it bisects); ``index`` keeps the run order
    return sorted(steps, key=lambda s: (_step_level(s), s.index)), stop_reason, warnings


def _step_level(step: BaselineStep) -> float:
    return float(step.offered_rps if step.offered_rps is not None else step.users or step.index)


def _refine(
    sc: Scenario,
    steps: list[BaselineStep],
    times: int,
    stepper: _Stepper,
) -> str:
    """Bisect the gap where the SLO broke (``steps.refine``), appending the new steps; says what it did."""
    closed = sc.steps is not None and sc.steps.users is not None
    done = 0
    for _ in range(times):
        gap = refine_between(steps)
        mid = midpoint(*gap, closed=closed) if gap else None
        if mid is None:
            break
        users, offered = (int(mid), None) if closed else (None, mid)
        step = stepper.run(len(steps), step_at(sc, users=users, rps=offered), users, offered)
        steps.append(step)
        done += 1
        if not step.run.complete:
            break
    if not done:
        return ""
    gap = refine_between(steps)
    unit = "users" if closed else "req/s offered"
    where = f" (the SLO holds at {gap[0]:g} and breaks at {gap[1]:g} {unit})" if gap else ""
    return f"; refined with {done} more step(s){where}"


def _step_record(
    i: int, users: int | None, offered: float | None, run: RunResult, run_dir: Path, ok: bool
) -> BaselineStep:
    return BaselineStep(
        index=i,
        users=users,
        offered_rps=offered,
        rps=active_rps(run),  # the one throughput figure (recommend's "measured" too)
        p50_ms=run.total.latency_ms.p50,
        p95_ms=run.total.latency_ms.p95,
        p99_ms=run.total.latency_ms.p99,
        error_rate=run.total.failure_rate,
        slo_ok=ok,
        run_dir=str(run_dir),
        run=run,
    )


__all__ = ["DEFAULT_SCENARIO", "BaselineOutcome", "RunningTarget", "refuse_existing", "run_baseline", "sweep"]
