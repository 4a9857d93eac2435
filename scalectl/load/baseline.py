"""Step plans and knees of a baseline (``scalectl baseline``): one single-stage scenario per step,
whether a step met the SLO, the knee overall and per endpoint. The sweep runs in ``scalectl.pipeline``."""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.analysis.knee import LoadPoint, find_knee
from scalectl.errors import InputError
from scalectl.models.baseline import BaselineStep, KneePoint
from scalectl.models.run import EndpointStats, RunResult
from scalectl.scenario import (
    ClosedLoad,
    ClosedStage,
    OpenLoad,
    OpenStage,
    Scenario,
)
from scalectl.slo import Threshold, meets


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
    if steps.users is not None:
        return [(step_at(sc, users=u), u, None) for u in steps.users]
    return [(step_at(sc, rps=r), None, r) for r in steps.rps or []]


def step_at(sc: Scenario, *, users: int | None = None, rps: float | None = None) -> Scenario:
    """The single-stage scenario of one step level (``users`` closed, ``rps`` open) of ``sc.steps``."""
    steps = sc.steps
    assert steps is not None
    if users is not None:
        load: ClosedLoad | OpenLoad = ClosedLoad(
            stages=[ClosedStage(users=users, spawn_rate=steps.spawn_rate, duration=steps.duration)],
            warmup=steps.warmup,
        )
    else:
        pool = sc.load.max_users if isinstance(sc.load, OpenLoad) else 100
        load = OpenLoad(
            model="open",
            max_users=pool,
            stages=[OpenStage(rps=float(rps or 0.0), duration=steps.duration)],
            warmup=steps.warmup,
        )
    return sc.model_copy(update={"load": load})


def refine_between(steps: Sequence[BaselineStep]) -> tuple[float, float] | None:
    """The levels to bisect after the SLO broke: (the heaviest level that met the SLO below the
    lightest one that broke it, that broken level); None when there is no such pair."""
    broken = [_level(s) for s in steps if not s.slo_ok]
    if not broken:
        return None
    hi = min(broken)
    ok = [_level(s) for s in steps if s.slo_ok and not s.run.generator.saturated and _level(s) < hi]
    return (max(ok), hi) if ok else None


def midpoint(lo: float, hi: float, *, closed: bool) -> float | None:
    """The next level to try between ``lo`` (met the SLO) and ``hi`` (broke it); None when the gap is
    already as fine as it gets (one user, or 2 % of the rate)."""
    if closed:
        return float((int(lo) + int(hi)) // 2) if hi - lo > 1 else None
    return round((lo + hi) / 2, 2) if hi > lo * 1.02 else None


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
    # a step whose generator saturated measured the generator, not the target: no knee from it
    found = find_knee(
        [LoadPoint(_level(s), s.rps, s.slo_ok and not s.run.generator.saturated) for s in steps]
    )
    if found is not None:
        best = steps[found.index]
        knee = _knee_point(best.rps, best.p95_ms, best.p99_ms, best, found.beyond_last_step)
    per: dict[str, KneePoint] = {}
    keys = list(dict.fromkeys(ep.key for s in steps for ep in s.run.endpoints))
    for key in keys:
        seen = [(s, ep) for s in steps for ep in s.run.endpoints if ep.key == key]
        pts = [
            LoadPoint(
                _level(s),
                ep.rps,
                endpoint_ok(ep, slo, s.run.duration_s, max_error_rate) and not s.run.generator.saturated,
            )
            for s, ep in seen
        ]
        found = find_knee(pts)
        if found is not None:
            s, ep = seen[found.index]
            lat = ep.latency_ms
            per[key] = _knee_point(ep.rps, lat.p95, lat.p99, s, found.beyond_last_step)
    return knee, per


def after_generator_saturated(
    step: int, workers: int, *, auto: bool, pinned: set[int]
) -> tuple[int | None, str]:
    """The generator saturated at ``step`` with ``workers``: the next step's worker count, more of
    them with ``--workers auto`` when the free cores allow, or None and why the baseline stops."""
    from scalectl.load.workers import more_workers, usable_cpus

    had = f"{workers} worker(s)" if workers else "one generator process"
    nxt = more_workers(workers, pinned) if auto else None
    if nxt is not None:
        return nxt, (
            f"step {step}: the load generator saturated with {had}; not used for the knee. "
            f"The next steps run with {nxt} workers (--workers auto)"
        )
    free = len(usable_cpus() - pinned)
    why = f"no free core is left for more workers ({free} free)" if auto else "pass --workers auto"
    return None, (
        f"the load generator saturated at step {step} with {had}: its numbers measure the generator, "
        f"not the target, so the baseline stops here ({why}; or run the generator elsewhere: "
        "loadtest --emit k8s|compose, docs/distributed.md)"
    )
