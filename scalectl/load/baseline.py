"""``scalectl baseline``: stepped load until the SLO breaks, errors pass a bound, or the last step;
the knee (highest throughput that meets the SLO) overall and per endpoint → a Baseline file."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scalectl import layout, storage
from scalectl.analysis.knee import LoadPoint, find_knee
from scalectl.analysis.throughput import active_rps
from scalectl.errors import InputError
from scalectl.models.baseline import Baseline, BaselineStep, KneePoint
from scalectl.models.run import EndpointStats, Environment, RunResult
from scalectl.scenario import (
    ClosedLoad,
    ClosedStage,
    OpenLoad,
    OpenStage,
    Scenario,
    Steps,
    load_scenario,
)
from scalectl.slo import Threshold, meets, parse_threshold

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
#: A step whose throughput falls below this fraction of the best so far is past the knee.
FALLING_THROUGHPUT = 0.95


def with_warmup(sc: Scenario, warmup: float) -> Scenario:
    """``--warmup``: the warm-up of each step (or of the one run of a single-stage scenario)."""
    per = sc.steps.duration if sc.steps else sc.total_duration
    if not 0 <= warmup < per:
        what = "a step" if sc.steps else "the run"
        raise InputError(f"--warmup ({warmup:g}s) must be at least 0 and shorter than {what} ({per:g}s)")
    if sc.steps:
        return sc.model_copy(update={"steps": sc.steps.model_copy(update={"warmup": warmup})})
    return sc.model_copy(update={"load": sc.load.model_copy(update={"warmup": warmup})})


def step_scenarios(sc: Scenario) -> list[tuple[Scenario, int | None, float | None]]:
    """One single-stage scenario per step level: (scenario, users, offered rps).

    A scenario without ``steps`` but with a single stage is one step: the scenario as written (a gate
    baseline such as ``scenarios/smoke.yaml``)."""
    steps = sc.steps
    if steps is None:
        if len(sc.load.stages) != 1:
            raise InputError(
                f"scenario {sc.name!r} has no 'steps' section and {len(sc.load.stages)} stages; baseline "
                "needs steps, or a single stage to record as written (see docs/scenarios.md)"
            )
        stage = sc.load.stages[0]
        if isinstance(stage, ClosedStage):
            return [(sc, stage.users, None)]
        return [(sc, None, stage.rps)]
    out = []
    if steps.users is not None:
        for u in steps.users:
            load = ClosedLoad(
                stages=[ClosedStage(users=u, spawn_rate=steps.spawn_rate, duration=steps.duration)],
                warmup=steps.warmup,
            )
            out.append((sc.model_copy(update={"load": load}), u, None))
    else:
        pool = sc.load.max_users if isinstance(sc.load, OpenLoad) else 100
        for r in steps.rps or []:
            load = OpenLoad(
                model="open",
                max_users=pool,
                stages=[OpenStage(rps=r, duration=steps.duration)],
                warmup=steps.warmup,
            )
            out.append((sc.model_copy(update={"load": load}), None, r))
    return out


def slo_holds(run: RunResult, slo: Sequence[Threshold], max_error_rate: float) -> bool:
    return meets(run, slo, max_error_rate)


def endpoint_ok(ep: EndpointStats, slo: Sequence[Threshold], duration: float, max_error_rate: float) -> bool:
    """The endpoint met the SLOs that apply to it (overall or scoped to it; not throughput or counts)."""
    mine = [
        th
        for th in slo
        if th.metric not in ("rps", "requests") and (not th.scope or th.scope in (ep.key, ep.name))
    ]
    return meets(ep, mine, max_error_rate, duration_s=duration)


def _level(step: BaselineStep) -> float:
    """How hard a step was driven: its offered rate or users, else its order."""
    level = step.offered_rps if step.offered_rps is not None else step.users
    return float(level) if level is not None else float(step.index)


def _knee_point(rps: float, p95: float, p99: float, step: BaselineStep, beyond: bool) -> KneePoint:
    return KneePoint(
        rps=rps,
        p95_ms=p95,
        p99_ms=p99,
        users=step.users,
        offered_rps=step.offered_rps,
        step=step.index,
        beyond_last_step=beyond,
    )


def find_knees(
    steps: list[BaselineStep], slo: Sequence[Threshold], max_error_rate: float
) -> tuple[KneePoint | None, dict[str, KneePoint]]:
    """The knee over all steps and per endpoint (``analysis.knee.find_knee`` on each)."""
    knee = None
    found = find_knee([LoadPoint(_level(s), s.rps, s.slo_ok) for s in steps])
    if found is not None:
        best = steps[found.index]
        knee = _knee_point(best.rps, best.p95_ms, best.p99_ms, best, found.beyond_last_step)
    per: dict[str, KneePoint] = {}
    keys = list(dict.fromkeys(ep.key for s in steps for ep in s.run.endpoints))
    for key in keys:
        seen = [(s, ep) for s in steps for ep in s.run.endpoints if ep.key == key]
        pts = [
            LoadPoint(_level(s), ep.rps, endpoint_ok(ep, slo, s.run.duration_s, max_error_rate))
            for s, ep in seen
        ]
        found = find_knee(pts)
        if found is not None:
            s, ep = seen[found.index]
            lat = ep.latency_ms
            per[key] = _knee_point(ep.rps, lat.p95, lat.p99, s, found.beyond_last_step)
    return knee, per


def run_baseline(
    scenario: Path | Scenario | None,
    *,
    name: str,
    out: Path | None = None,
    root: Path = layout.DEFAULT_ROOT,
    replicas: int = 1,
    update: bool = False,
    host: str | None = None,
    allow_remote: bool = False,
    target_env: Mapping[str, str] | None = None,
    metrics_urls: Sequence[str] = (),
    slo: Sequence[str] = (),
    workers: int = 0,
    progress: Callable[[Any], None] | None = None,
    on_step: Callable[[BaselineStep], None] | None = None,
    warmup: float | None = None,
) -> tuple[Baseline, Path]:
    from scalectl.load.run import _bundled_target, find_detached, preflight, run_scenario

    path = storage.baseline_path(name, root=root, out=out)
    if path.exists() and not update:
        raise InputError(f"baseline {path} exists; pass --update to replace it deliberately")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario or DEFAULT_SCENARIO))
    if slo:
        sc = sc.model_copy(update={"slo": [parse_threshold(e).text for e in slo]})
    if warmup is not None:
        sc = with_warmup(sc, warmup)
    thresholds = [parse_threshold(e) for e in sc.slo]
    plan = step_scenarios(sc)
    single = sc.steps is None
    stepping = sc.steps or Steps(users=[1])  # defaults for the one step of a single-stage scenario
    max_err = stepping.max_error_rate
    steps: list[BaselineStep] = []
    stop_reason = "single-stage scenario: one run as written" if single else "last step reached"
    warnings: list[str] = []
    with contextlib.ExitStack() as stack:
        target = None
        url = host or sc.host
        if url is None:
            target = stack.enter_context(_bundled_target(replicas, target_env))
            url = target.url
        elif (target := find_detached(url, root)) is not None:
            replicas = len(target.replicas)  # the running 'target up --detach' target, as it is
        else:
            preflight(url, allow_remote=allow_remote)
        broken = fell = 0
        best_rps = 0.0
        for i, (step_sc, users, offered) in enumerate(plan):
            run, run_dir = run_scenario(
                step_sc,
                host=url,
                root=root,
                allow_remote=allow_remote,
                metrics_urls=metrics_urls,
                workers=workers,
                progress=progress,
                target=target,
            )
            ok = slo_holds(run, thresholds, max_err)
            step = BaselineStep(
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
            steps.append(step)
            if on_step:
                on_step(step)
            if run.generator.saturated:
                warnings.append(f"step {i}: the load generator saturated; its numbers measure the generator")
            if not run.complete:
                stop_reason = run.stop_reason or "interrupted"
                break
            if run.total.failure_rate > max_err:
                stop_reason = (
                    f"error rate {run.total.failure_rate:.1%} passed the bound {max_err:.1%} at step {i}"
                )
                break
            falling = best_rps > 0 and step.rps < FALLING_THROUGHPUT * best_rps
            broken = broken + 1 if not ok else 0
            # one slow step on a shared machine is noise; falling twice in a row is past the knee
            fell = fell + 1 if falling else 0
            best_rps = max(best_rps, step.rps)
            if broken >= stepping.stop_after:
                stop_reason = f"past the knee at step {i} (SLO broken)"
                break
            if fell >= max(2, stepping.stop_after):
                stop_reason = (
                    f"past the knee at step {i} (throughput below {FALLING_THROUGHPUT:.0%} of the best)"
                )
                break
    knee, per = find_knees(steps, thresholds, max_err)
    if knee is None:
        warnings.append(
            "the run did not meet the SLO" if single else "no step met the SLO: start the steps lower"
        )
    elif knee.beyond_last_step and not single:
        warnings.append("the SLO held at every step: the knee lies beyond the last step")
    baseline = Baseline(
        name=name,
        scenario_name=sc.name,
        created_at=datetime.now(UTC),
        environment=steps[0].run.environment if steps else Environment(),
        slo=list(sc.slo),
        replicas=replicas,
        steps=steps,
        knee=knee,
        endpoint_knees=per,
        stop_reason=stop_reason,
        warnings=warnings,
    )
    storage.write_model(path, baseline)
    return baseline, path
