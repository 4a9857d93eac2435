"""The recommendation: replicas, resources, pool and settings from the evidence, with its reasoning. Pure.

:func:`recommend` sizes for today's target (this module); with :class:`PlanInputs` it also plans over
time and money (:mod:`scalectl.capacity.planner`: forecast, cost, options, risk, database advice).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scalectl.capacity import queueing, signals
from scalectl.capacity.evidence import CapacityPoint, EvidenceSet, ReplicaCapacity
from scalectl.capacity.resources import recommend_resources
from scalectl.capacity.settings_advice import settings_and_advice
from scalectl.capacity.sizing import (
    DEFAULT_CONNECTION_HEADROOM,
    DEFAULT_DB_MAX_CONNECTIONS,
    DEFAULT_MAX_REPLICAS,
    DEFAULT_REDUNDANCY,
    DEFAULT_UTILIZATION,
    ReplicaPlan,
    fit_connection_budget,
    size_replicas,
)
from scalectl.capacity.usl import fit_usl
from scalectl.models import Analysis, Recommendation, RunResult, UslModel

#: Categories of a bottleneck shared by all replicas: without a replica sweep that shows scaling,
#: adding replicas is not assumed to help.
SHARED_CATEGORIES = frozenset({"database"})
#: Pool overflow as a fraction of the pool (bursts), at least 1.
OVERFLOW_RATIO = 0.5
#: Load balancer read timeout the nginx manifest uses, and the app's upstream timeout assumed.
DEFAULT_LB_TIMEOUT_S = 30.0
DEFAULT_UPSTREAM_TIMEOUT_S = 10.0


def _point_line(p: CapacityPoint) -> str:
    ok = "ok" if p.slo_ok else "missed"
    return f"{p.source}: {p.rps:.0f} req/s, p95 {p.p95_ms:.0f} ms, error {p.error_rate:.1%}, SLO {ok}"


Analyzer = Callable[[RunResult], Analysis | None]


def default_analyzer() -> Analyzer | None:
    """``scalectl.analysis.analyze_run`` (pure) when the analysis package is installed, else None."""
    try:
        from scalectl.analysis import analyze_run
    except ImportError:
        return None
    return analyze_run


@dataclass(frozen=True)
class Settings:
    """The knobs of :func:`recommend` (documented defaults in :mod:`scalectl.capacity.sizing`)."""

    utilization: float = DEFAULT_UTILIZATION
    redundancy: int = DEFAULT_REDUNDANCY
    db_max_connections: int | None = None
    connection_headroom: float = DEFAULT_CONNECTION_HEADROOM
    max_replicas: int = DEFAULT_MAX_REPLICAS
    max_p_wait: float = queueing.DEFAULT_MAX_P_WAIT
    lb_timeout_s: float = DEFAULT_LB_TIMEOUT_S
    upstream_timeout_s: float = DEFAULT_UPSTREAM_TIMEOUT_S


@dataclass
class Draft:
    """What the steps of :func:`recommend` work out, passed from one to the next."""

    target_rps: float
    reasoning: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    replicas: int = 1
    needed: int = 1
    reachable: bool = False
    limited_by: str | None = None
    per_replica: float = 0.0
    pool_size: int | None = None
    pool_over: int | None = None
    max_conn: int | None = None
    usable: int | None = None
    budget_fits: bool = True
    hold_s: float | None = None


def _limit(
    cap: ReplicaCapacity, analyses: Mapping[str, Analysis], analyzer: Analyzer | None
) -> tuple[str, str] | None:
    run = cap.heaviest.run
    analysis = analyses.get(run.run_id)
    if analysis is None and analyzer is not None:
        analysis = analyzer(run)
    return signals.limit_from_analysis(analysis) or signals.limit_from_telemetry(run)


def _fit(evidence: EvidenceSet, d: Draft) -> tuple[UslModel, list[ReplicaCapacity], list[ReplicaCapacity]]:
    """The USL over replicas through each replica count's knee (or, when none met the SLO, through the
    lightest measured rate: an upper bound on the capacity at the SLO)."""
    caps = [c for c in evidence.capacities if c.knee_rps > 0]
    missed = [c for c in evidence.capacities if c.knee_rps <= 0]
    lightest = {c.replicas: min(p.rps for p in evidence.points if p.replicas == c.replicas) for c in missed}
    for c in missed:
        d.warnings.append(
            f"{c.replicas} replica(s): no measured point met the SLO "
            f"(lightest at {lightest[c.replicas]:.0f} req/s)"
        )
    fit_points = [(c.replicas, c.knee_rps) for c in caps]
    if not caps and missed:
        fit_points = [(c.replicas, lightest[c.replicas]) for c in missed]
        d.warnings.append(
            "capacity at the SLO is below the lightest measured load: sized on that load as an upper "
            "bound, so the replica count is a lower bound"
        )
    model = fit_usl(fit_points, axis="replicas")
    d.warnings.extend(model.warnings)
    if caps:
        d.reasoning.append(
            f"knee per replica count (highest throughput meeting {', '.join(evidence.slo)}): "
            + "; ".join(
                f"{c.replicas}→{c.knee_rps:.0f} req/s" + (" (SLO never broke)" if c.beyond_last_step else "")
                for c in caps
            )
        )
        d.reasoning.append(
            f"fitted curve X(N) = {model.lam:.0f}·N / (1 + {model.sigma:.3f}(N−1) + {model.kappa:.4f}·N(N−1))"
            + (f", R²={model.r2:.3f}" if model.r2 is not None else "")
            + (f", peak N*={model.peak_n:.1f} at {model.peak_throughput:.0f} req/s" if model.peak_n else "")
        )
    return model, caps, missed


def _concurrency_curve(evidence: EvidenceSet, base: ReplicaCapacity | None, d: Draft) -> UslModel | None:
    if base is None:
        return None
    pts = [
        (p.level, p.rps)
        for p in evidence.points
        if p.replicas == base.replicas and p.level and p.level_kind == "users"
    ]
    if len({lv for lv, _ in pts}) < 3:
        return None
    conc = fit_usl(pts, axis="concurrency")
    d.reasoning.append(
        f"per-{base.replicas}-replica concurrency curve: λ={conc.lam:.1f} req/s per user, "
        f"σ={conc.sigma:.3f}, κ={conc.kappa:.4f}" + (f", R²={conc.r2:.3f}" if conc.r2 is not None else "")
    )
    return conc


def _apply_limit(
    evidence: EvidenceSet,
    base: ReplicaCapacity | None,
    n_caps: int,
    s: Settings,
    d: Draft,
    analyses: Mapping[str, Analysis],
    analyzer: Analyzer | None,
) -> None:
    """What limits capacity at the heaviest point; a shared limit without a sweep holds the count."""
    limit = _limit(base, analyses, analyzer) if base is not None else None
    if limit:
        d.reasoning.append(
            f"at the most loaded measured point, capacity is limited by {limit[0]}: {limit[1]}"
        )
    if limit and limit[0] == "database" and base is not None and base.knee is not None:
        other = signals.reweigh_database_limit(base.knee.run, base.heaviest.run)
        if other is not None:
            limit = other
            d.reasoning.append(f"but {other[1]}")
    d.limited_by = limit[0] if limit else None
    if d.limited_by in SHARED_CATEGORIES and n_caps < 2:
        d.reachable = False
        d.reasoning.append(
            f"adding replicas will not help until the {d.limited_by} limit is lifted: it is not shown to "
            "scale with replicas (no replica sweep), and each replica adds connections to the same database"
        )
        hold = max(c.replicas for c in evidence.capacities) + max(s.redundancy, 0)
        if d.replicas > hold:
            d.reasoning.append(
                f"keeping {hold} replica(s) (the measured count + {s.redundancy} spare) rather than the "
                f"{d.replicas} a linear extrapolation would ask for; lift the {d.limited_by} limit, "
                "then re-measure"
            )
            d.replicas, d.needed = hold, max(hold - max(s.redundancy, 0), 1)


def _pool(runs: list[RunResult], s: Settings, d: Draft) -> None:
    """DB pool by Erlang C from the hold time (or the measured pool), fitted into the connection budget."""
    current = signals.current_pool(runs)
    d.hold_s = next((h for r in runs if (h := signals.pool_hold_s(r)) is not None and h > 0), None)
    d.max_conn = s.db_max_connections
    if d.max_conn is None and (current or d.hold_s):
        d.max_conn = DEFAULT_DB_MAX_CONNECTIONS
        d.warnings.append(
            f"database max_connections not given: assumed PostgreSQL's default {d.max_conn} "
            "(pass --db-max-connections or a PostgreSQL URL)"
        )
    if d.hold_s is not None:
        d.pool_size = queueing.min_servers(d.per_replica, d.hold_s, max_p_wait=s.max_p_wait)
        d.pool_over = max(1, math.ceil(d.pool_size * OVERFLOW_RATIO))
        d.reasoning.append(
            f"DB pool (Erlang C): {d.per_replica:.0f} req/s × {d.hold_s * 1000:.1f} ms connection hold = "
            f"{d.per_replica * d.hold_s:.2f} Erlangs → pool {d.pool_size} keeps P(wait) ≤ {s.max_p_wait:.0%}"
            f" (+{d.pool_over} overflow)"
        )
    elif current is not None:
        d.pool_size, d.pool_over = current
        d.reasoning.append(
            f"DB pool: no hold-time evidence, kept the measured {d.pool_size} + {d.pool_over} overflow"
        )
    if d.pool_size is None or d.max_conn is None:
        return
    budget = fit_connection_budget(
        d.replicas, d.pool_size, d.pool_over or 0, d.max_conn, headroom=s.connection_headroom
    )
    d.usable, d.budget_fits = budget.usable_connections, budget.fits
    if not budget.fits:
        d.warnings.extend(budget.notes)
        d.advice.append(
            "the connection budget cannot carry the pool the target rate needs: put PgBouncer "
            "(transaction pooling) in front, raise max_connections, or cut connection hold time"
        )
        d.limited_by = d.limited_by or "database"
        if budget.replicas < d.replicas:
            d.reachable = False
    else:
        d.reasoning.extend(budget.notes)
    d.replicas, d.pool_size, d.pool_over = budget.replicas, budget.pool_size, budget.max_overflow
    d.reasoning.append(
        f"connection budget: {d.replicas} × ({d.pool_size} + {d.pool_over}) = {budget.total_connections} "
        f"≤ {d.usable} usable of max_connections {d.max_conn}"
    )


def _margin_line(plan: ReplicaPlan, s: Settings, target_rps: float, reachable: bool) -> str:
    line = f"margin: {plan.usable_rps:.0f} req/s usable at {s.utilization:.0%} utilization"
    line += f" vs {target_rps:g} target"
    if not reachable:
        return line + ": the target is not reached (above), so no replica can be spared"
    if s.redundancy:
        line += f"; with N+{s.redundancy} the service keeps the target with {s.redundancy} replica(s) down"
    return line


def _per_replica_load(base: ReplicaCapacity | None, model: UslModel, d: Draft) -> float | None:
    """The target spread over the serving replicas (never above the measured capacity when
    unreachable), and the requests in flight per replica by Little's law."""
    d.per_replica = d.target_rps / d.needed
    if model.lam > 0 and not d.reachable:
        d.per_replica = min(d.per_replica, model.lam)
    knee = base.knee if base is not None else None
    if knee is None:
        return None
    mean_s = (knee.run.total.latency_ms.mean or knee.p95_ms) / 1000.0
    conc = queueing.littles_law(d.per_replica, mean_s)
    d.reasoning.append(
        f"Little's law: {d.per_replica:.0f} req/s per replica × {mean_s * 1000:.0f} ms mean latency "
        f"= {conc:.1f} requests in flight per replica"
    )
    return conc


def _assemble(evidence, d: Draft, s: Settings, model, plan, resources, conc, conc_model, upstream_c):
    return Recommendation(
        target_rps=d.target_rps,
        slo=evidence.slo,
        replicas=max(d.replicas, 1),
        reachable=d.reachable,
        limited_by=d.limited_by,
        per_replica_capacity_rps=model.lam or None,
        utilization_target=s.utilization,
        redundancy=s.redundancy,
        resources=resources,
        model=model,
        db_pool_size=d.pool_size,
        db_max_overflow=d.pool_over,
        db_max_connections=d.max_conn,
        upstream_concurrency=upstream_c,
        concurrency_per_replica=conc,
        settings=d.settings,
        confidence=evidence.confidence,
        evidence=[_point_line(p) for p in evidence.points],
        reasoning=d.reasoning,
        warnings=d.warnings,
        sources=evidence.sources,
        concurrency_model=conc_model,
        needed_replicas=d.needed,
        predicted_capacity_rps=plan.capacity_rps,
        db_usable_connections=d.usable,
        advice=d.advice,
        raise_confidence=evidence.raise_confidence,
    )


def size_now(
    evidence: EvidenceSet,
    target_rps: float,
    s: Settings,
    analyses: Mapping[str, Analysis] | None = None,
    analyzer: Analyzer | None = None,
) -> tuple[Recommendation, Draft, ReplicaPlan]:
    """Today's recommendation for ``target_rps``, with the working the planner builds on."""
    d = Draft(target_rps=target_rps, warnings=list(evidence.notes))
    model, caps, missed = _fit(evidence, d)
    base = min(evidence.capacities, key=lambda c: c.replicas) if evidence.capacities else None
    conc_model = _concurrency_curve(evidence, base, d)
    plan = size_replicas(
        model, target_rps, utilization=s.utilization, redundancy=s.redundancy, max_replicas=s.max_replicas
    )
    d.reasoning.extend(plan.reasoning)
    d.warnings.extend(plan.warnings)
    d.reachable = plan.reachable and bool(caps)
    d.replicas, d.needed = plan.replicas, max(plan.needed, 1)
    _apply_limit(evidence, base, len(caps), s, d, analyses or {}, analyzer)
    if not d.reachable and d.limited_by is None and caps:
        d.limited_by = "unknown"
        d.advice.append(
            "a shared resource limits scaling but the evidence does not name it: rerun with the target's "
            "/metrics (--metrics-url) so the analysis can tell the database, cache or upstream apart"
        )
    if missed and not caps:
        d.advice.append(
            "latency misses the SLO even at the lightest load: fix the slow path; "
            "replicas add capacity, not speed"
        )
    conc = _per_replica_load(base, model, d)
    res = recommend_resources(evidence.runs, d.per_replica, utilization=s.utilization)
    d.reasoning.extend(res.reasoning)
    d.warnings.extend(res.warnings)
    _pool(evidence.runs, s, d)
    upstream_c = settings_and_advice(evidence, s, d)
    d.reasoning.append(_margin_line(plan, s, target_rps, d.reachable))
    rec = _assemble(evidence, d, s, model, plan, res.resources, conc, conc_model, upstream_c)
    return rec, d, plan


def recommend(
    evidence: EvidenceSet,
    target_rps: float,
    *,
    utilization: float = DEFAULT_UTILIZATION,
    redundancy: int = DEFAULT_REDUNDANCY,
    db_max_connections: int | None = None,
    connection_headroom: float = DEFAULT_CONNECTION_HEADROOM,
    max_replicas: int = DEFAULT_MAX_REPLICAS,
    max_p_wait: float = queueing.DEFAULT_MAX_P_WAIT,
    analyses: Mapping[str, Analysis] | None = None,
    analyzer: Analyzer | None = None,
    lb_timeout_s: float = DEFAULT_LB_TIMEOUT_S,
    upstream_timeout_s: float = DEFAULT_UPSTREAM_TIMEOUT_S,
    plan: object | None = None,
) -> Recommendation:
    """Size the service for ``target_rps`` under the evidence's SLO; with ``plan``
    (:class:`scalectl.capacity.planner.PlanInputs`) also forecast, cost, options, risk and DB advice."""
    s = Settings(
        utilization=utilization,
        redundancy=redundancy,
        db_max_connections=db_max_connections,
        connection_headroom=connection_headroom,
        max_replicas=max_replicas,
        max_p_wait=max_p_wait,
        lb_timeout_s=lb_timeout_s,
        upstream_timeout_s=upstream_timeout_s,
    )
    from scalectl.capacity import planner

    return planner.plan(evidence, target_rps, s, plan, analyses=analyses, analyzer=analyzer)
