"""Step plans and knees of a baseline (``scalectl baseline``): one single-stage scenario per step,
whether a step met the SLO, the knee overall and per endpoint. The sweep runs in ``scalectl.pipeline``."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.errors import InputError
from scalectl.gate.thresholds import Threshold, evaluate, observe
from scalectl.models.baseline import BaselineStep, KneePoint
from scalectl.models.run import EndpointStats, RunResult
from scalectl.scenario import (
    ClosedLoad,
    ClosedStage,
    OpenLoad,
    OpenStage,
    Scenario,
)


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
    if run.total.requests == 0 or run.total.failure_rate > max_error_rate:
        return False
    for th in slo:
        _, ok = evaluate(th, run)
        if ok is False:
            return False
    return True


def endpoint_ok(ep: EndpointStats, slo: Sequence[Threshold], duration: float, max_error_rate: float) -> bool:
    if ep.requests == 0 or ep.failure_rate > max_error_rate:
        return False
    for th in slo:
        if th.metric in ("rps", "requests") or (th.scope and th.scope not in (ep.key, ep.name)):
            continue
        value = observe(th, ep, duration)
        if value is not None and not th.holds(value):
            return False
    return True


def find_knees(
    steps: list[BaselineStep], slo: Sequence[Threshold], max_error_rate: float
) -> tuple[KneePoint | None, dict[str, KneePoint]]:
    knee = None
    ok_steps = [s for s in steps if s.slo_ok]
    if ok_steps:
        best = max(ok_steps, key=lambda s: s.rps)
        knee = KneePoint(
            rps=best.rps,
            p95_ms=best.p95_ms,
            p99_ms=best.p99_ms,
            users=best.users,
            offered_rps=best.offered_rps,
            step=best.index,
            beyond_last_step=all(s.slo_ok for s in steps) and best.index == steps[-1].index,
        )
    per: dict[str, KneePoint] = {}
    for s in steps:
        for ep in s.run.endpoints:
            if not endpoint_ok(ep, slo, s.run.duration_s, max_error_rate):
                continue
            cur = per.get(ep.key)
            if cur is None or ep.rps > cur.rps:
                per[ep.key] = KneePoint(
                    rps=ep.rps,
                    p95_ms=ep.latency_ms.p95,
                    p99_ms=ep.latency_ms.p99,
                    users=s.users,
                    offered_rps=s.offered_rps,
                    step=s.index,
                    beyond_last_step=s.index == steps[-1].index,
                )
    return knee, per
