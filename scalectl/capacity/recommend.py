"""The recommendation: replicas, resources, pool and settings from the evidence, with its reasoning. Pure."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from scalectl.capacity import queueing, signals
from scalectl.capacity.evidence import CapacityPoint, EvidenceSet, ReplicaCapacity
from scalectl.capacity.resources import recommend_resources
from scalectl.capacity.settings import Sizing, service_settings
from scalectl.capacity.sizing import (
    DEFAULT_CONNECTION_HEADROOM,
    DEFAULT_DB_MAX_CONNECTIONS,
    DEFAULT_MAX_REPLICAS,
    DEFAULT_REDUNDANCY,
    DEFAULT_UTILIZATION,
    fit_connection_budget,
    size_replicas,
)
from scalectl.capacity.usl import fit_usl
from scalectl.models import Analysis, Recommendation, RunResult

#: Categories of a bottleneck shared by all replicas: without a replica sweep that shows scaling,
#: adding replicas is not assumed to help.
SHARED_CATEGORIES = frozenset({"database"})
#: Cache hit ratio below this earns a cache recommendation.
LOW_HIT_RATIO = 0.5
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


def _limit(
    cap: ReplicaCapacity, analyses: Mapping[str, Analysis], analyzer: Analyzer | None
) -> tuple[str, str] | None:
    run = cap.heaviest.run
    analysis = analyses.get(run.run_id)
    if analysis is None and analyzer is not None:
        analysis = analyzer(run)
    return signals.limit_from_analysis(analysis) or signals.limit_from_telemetry(run)


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
) -> Recommendation:
    """Size the service for ``target_rps`` under the evidence's SLO (see the package modules)."""
    reasoning: list[str] = []
    warnings: list[str] = list(evidence.notes)
    advice: list[str] = []
    caps = [c for c in evidence.capacities if c.knee_rps > 0]
    missed = [c for c in evidence.capacities if c.knee_rps <= 0]
    for c in missed:
        warnings.append(
            f"{c.replicas} replica(s): no measured point met the SLO "
            f"(lightest at {min(p.rps for p in evidence.points if p.replicas == c.replicas):.0f} req/s)"
        )
    fit_points = [(c.replicas, c.knee_rps) for c in caps]
    if not caps and missed:
        # Nothing met the SLO: the lightest measured rate bounds the capacity at the SLO from above,
        # so the replica count below is a lower bound (and the SLO is out of reach by replicas).
        fit_points = [
            (c.replicas, min(p.rps for p in evidence.points if p.replicas == c.replicas)) for c in missed
        ]
        warnings.append(
            "capacity at the SLO is below the lightest measured load: sized on that load as an upper "
            "bound, so the replica count is a lower bound"
        )
    model = fit_usl(fit_points, axis="replicas")
    warnings.extend(model.warnings)
    if caps:
        reasoning.append(
            "knee per replica count (highest throughput meeting "
            + ", ".join(evidence.slo)
            + "): "
            + "; ".join(
                f"{c.replicas}→{c.knee_rps:.0f} req/s" + (" (SLO never broke)" if c.beyond_last_step else "")
                for c in caps
            )
        )
        reasoning.append(
            f"fitted curve X(N) = {model.lam:.0f}·N / (1 + {model.sigma:.3f}(N−1) + {model.kappa:.4f}·N(N−1))"
            + (f", R²={model.r2:.3f}" if model.r2 is not None else "")
            + (f", peak N*={model.peak_n:.1f} at {model.peak_throughput:.0f} req/s" if model.peak_n else "")
        )
    base = min(evidence.capacities, key=lambda c: c.replicas) if evidence.capacities else None
    conc_model = None
    if base is not None:
        pts = [
            (p.level, p.rps)
            for p in evidence.points
            if p.replicas == base.replicas and p.level and p.level_kind == "users"
        ]
        if len({lv for lv, _ in pts}) >= 3:
            conc_model = fit_usl(pts, axis="concurrency")
            reasoning.append(
                f"per-{base.replicas}-replica concurrency curve: λ={conc_model.lam:.1f} req/s per user, "
                f"σ={conc_model.sigma:.3f}, κ={conc_model.kappa:.4f}"
                + (f", R²={conc_model.r2:.3f}" if conc_model.r2 is not None else "")
            )
    plan = size_replicas(
        model, target_rps, utilization=utilization, redundancy=redundancy, max_replicas=max_replicas
    )
    reasoning.extend(plan.reasoning)
    warnings.extend(plan.warnings)
    reachable = plan.reachable and bool(caps)

    limit = _limit(base, analyses or {}, analyzer) if base is not None else None
    if limit:
        reasoning.append(f"at the most loaded measured point, capacity is limited by {limit[0]}: {limit[1]}")
    if limit and limit[0] == "database" and base is not None and base.knee is not None:
        other = signals.reweigh_database_limit(base.knee.run, base.heaviest.run)
        if other is not None:
            limit = other
            reasoning.append(f"but {other[1]}")
    limited_by = limit[0] if limit else None
    needed = max(plan.needed, 1)
    replicas = plan.replicas
    if limited_by in SHARED_CATEGORIES and len(caps) < 2:
        reachable = False
        reasoning.append(
            f"adding replicas will not help until the {limited_by} limit is lifted: it is not shown to "
            "scale with replicas (no replica sweep), and each replica adds connections to the same database"
        )
        hold = max(c.replicas for c in evidence.capacities) + max(redundancy, 0)
        if replicas > hold:
            reasoning.append(
                f"keeping {hold} replica(s) (the measured count + {redundancy} spare) rather than the "
                f"{replicas} a linear extrapolation would ask for; lift the {limited_by} limit, "
                "then re-measure"
            )
            replicas, needed = hold, max(hold - max(redundancy, 0), 1)
    if not reachable and limited_by is None and caps:
        limited_by = "unknown"
        advice.append(
            "a shared resource limits scaling but the evidence does not name it: rerun with the target's "
            "/metrics (--metrics-url) so the analysis can tell the database, cache or upstream apart"
        )
    if missed and not caps:
        advice.append(
            "latency misses the SLO even at the lightest load: fix the slow path; "
            "replicas add capacity, not speed"
        )

    # per-replica load: the target spread over the serving replicas, never above the measured capacity
    per_replica = target_rps / needed
    if model.lam > 0 and not reachable:
        per_replica = min(per_replica, model.lam)
    knee = base.knee if base is not None else None
    conc = None
    if knee is not None:
        mean_s = (knee.run.total.latency_ms.mean or knee.p95_ms) / 1000.0
        conc = queueing.littles_law(per_replica, mean_s)
        reasoning.append(
            f"Little's law: {per_replica:.0f} req/s per replica × {mean_s * 1000:.0f} ms mean latency "
            f"= {conc:.1f} requests in flight per replica"
        )

    runs = evidence.runs
    res = recommend_resources(runs, per_replica, utilization=utilization)
    reasoning.extend(res.reasoning)
    warnings.extend(res.warnings)

    pool_size = pool_over = usable = None
    current = signals.current_pool(runs)
    hold = next((h for r in runs if (h := signals.pool_hold_s(r)) is not None and h > 0), None)
    max_conn = db_max_connections
    if max_conn is None and (current or hold):
        max_conn = DEFAULT_DB_MAX_CONNECTIONS
        warnings.append(
            f"database max_connections not given: assumed PostgreSQL's default {max_conn} "
            "(pass --db-max-connections or a PostgreSQL URL)"
        )
    if hold is not None:
        pool_size = queueing.min_servers(per_replica, hold, max_p_wait=max_p_wait)
        pool_over = max(1, math.ceil(pool_size * OVERFLOW_RATIO))
        reasoning.append(
            f"DB pool (Erlang C): {per_replica:.0f} req/s × {hold * 1000:.1f} ms connection hold = "
            f"{per_replica * hold:.2f} Erlangs → pool {pool_size} keeps P(wait) ≤ {max_p_wait:.0%}"
            f" (+{pool_over} overflow)"
        )
    elif current is not None:
        pool_size, pool_over = current
        reasoning.append(
            f"DB pool: no hold-time evidence, kept the measured {pool_size} + {pool_over} overflow"
        )
    if pool_size is not None and max_conn is not None:
        budget = fit_connection_budget(
            replicas, pool_size, pool_over or 0, max_conn, headroom=connection_headroom
        )
        usable = budget.usable_connections
        if not budget.fits:
            warnings.extend(budget.notes)
            advice.append(
                "the connection budget cannot carry the pool the target rate needs: put PgBouncer "
                "(transaction pooling) in front, raise max_connections, or cut connection hold time"
            )
            limited_by = limited_by or "database"
            if budget.replicas < replicas:
                reachable = False
        else:
            reasoning.extend(budget.notes)
        replicas, pool_size, pool_over = budget.replicas, budget.pool_size, budget.max_overflow
        reasoning.append(
            f"connection budget: {replicas} × ({pool_size} + {pool_over}) = {budget.total_connections} "
            f"≤ {usable} usable of max_connections {max_conn}"
        )

    hit_ratios = [h for r in runs if (h := signals.cache_hit_ratio(r)) is not None]
    upstream = [u for r in runs if (u := signals.upstream_time_s(r)) is not None]
    upstream_c = None
    if upstream:
        rate, mean_s = upstream[0]
        per_rate = rate * per_replica / max(runs[0].total.rps, 1e-9)
        upstream_c = queueing.min_servers(per_rate, mean_s, max_p_wait=max_p_wait)
        reasoning.append(
            f"upstream: {per_rate:.1f} calls/s per replica × {mean_s:.2f} s → {upstream_c} "
            "concurrent slots (Erlang C)"
        )
    scoped = service_settings(
        [p.run for p in evidence.points] or runs,
        Sizing(
            replicas=replicas,
            pool_size=pool_size,
            pool_overflow=pool_over,
            upstream_concurrency=upstream_c,
            limited_by=limited_by,
            low_hit_ratio=min(hit_ratios) if hit_ratios and min(hit_ratios) < LOW_HIT_RATIO else None,
            hit_ratio_threshold=LOW_HIT_RATIO,
            lb_timeout_s=lb_timeout_s,
            upstream_timeout_s=upstream_timeout_s,
            upstream_measured=bool(upstream),
        ),
    )
    settings = scoped.settings
    advice.extend(scoped.advice)
    reasoning.append(
        f"margin: {plan.usable_rps:.0f} req/s usable at {utilization:.0%} utilization "
        f"vs {target_rps:g} target"
        + (
            f"; with N+{redundancy} the service keeps the target with {redundancy} replica(s) down"
            if redundancy
            else ""
        )
    )
    return Recommendation(
        target_rps=target_rps,
        slo=evidence.slo,
        replicas=max(replicas, 1),
        reachable=reachable,
        limited_by=limited_by,
        per_replica_capacity_rps=model.lam or None,
        utilization_target=utilization,
        redundancy=redundancy,
        resources=res.resources,
        model=model,
        db_pool_size=pool_size,
        db_max_overflow=pool_over,
        db_max_connections=max_conn,
        upstream_concurrency=upstream_c,
        concurrency_per_replica=conc,
        settings=settings,
        confidence=evidence.confidence,
        evidence=[_point_line(p) for p in evidence.points],
        reasoning=reasoning,
        warnings=warnings,
        sources=evidence.sources,
        concurrency_model=conc_model,
        needed_replicas=needed,
        predicted_capacity_rps=plan.capacity_rps,
        db_usable_connections=usable,
        advice=advice,
        raise_confidence=evidence.raise_confidence,
    )
