"""Synthetic baselines for capacity tests: a service with a known capacity curve, stepped in load.

Each step offers a rate; up to the capacity the service serves it with a fast latency, past it the
throughput stays at the capacity and the latency climbs (p95 far above 300 ms). Process telemetry
follows ``cpu_ms_per_req`` (CPU per request) and a steady RSS; optional database-pool gauges.
"""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.models import Baseline, BaselineStep, Environment, KneePoint
from tests.factories import START, lognormal_latency, make_run, telemetry_series


def capacity_usl(n: int, lam: float, sigma: float, kappa: float) -> float:
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


def make_step_run(
    offered: float,
    capacity: float,
    *,
    replicas: int = 1,
    seconds: int = 3,
    seed: int = 1,
    cpu_ms_per_req: float = 1.0,
    rss_mib: float = 120.0,
    pool: tuple[int, int] | None = None,
    pool_hold_ms: float = 0.0,
    overload_loop_lag_s: float = 0.0,
    run_id: str = "synthetic",
):
    achieved = min(offered, capacity)
    overload = offered / capacity
    median = 20.0 if overload <= 1.0 else 20.0 * overload**6 + 400.0
    per = achieved / replicas
    telemetry = []
    for i in range(replicas):
        telemetry.append(
            telemetry_series(
                f"replica-{i}",
                {
                    "cpu_percent": [per * cpu_ms_per_req / 10.0] * seconds,
                    "rss_bytes": [rss_mib * 2**20 * (1 + 0.01 * k) for k in range(seconds)],
                },
                kind="process",
            )
        )
        if pool is not None:
            size, over = pool
            busy = min(per * pool_hold_ms / 1000.0, size + over)
            telemetry.append(
                telemetry_series(
                    f"replica-{i}-metrics",
                    {
                        "db_pool_size": [size] * seconds,
                        "db_pool_max_overflow": [over] * seconds,
                        "db_pool_checked_out": [busy] * seconds,
                        "event_loop_lag_seconds": [overload_loop_lag_s if overload > 1 else 0.002] * seconds,
                    },
                )
            )
    return make_run(
        endpoints={"GET /api/content/{id}": lognormal_latency(median, 0.3)},
        rps=achieved,
        seconds=seconds,
        users=int(offered),
        seed=seed,
        run_id=run_id,
        telemetry=telemetry,
        environment=Environment(cpu_count=2, replicas=replicas, hostname="test"),
        slo=["p95<300ms"],
    )


def make_baseline(
    capacity: float,
    *,
    replicas: int = 1,
    offered: Sequence[float] | None = None,
    name: str = "synthetic",
    **kw,
) -> Baseline:
    offered = list(offered or [capacity * f for f in (0.5, 0.95, 1.3)])
    steps = []
    for i, r in enumerate(offered):
        run = make_step_run(r, capacity, replicas=replicas, seed=i + 1, run_id=f"{name}-s{i}", **kw)
        lat = run.total.latency_ms
        steps.append(
            BaselineStep(
                index=i,
                users=int(r),
                rps=run.total.rps,
                p50_ms=lat.p50,
                p95_ms=lat.p95,
                p99_ms=lat.p99,
                error_rate=0.0,
                slo_ok=lat.p95 < 300,
                run=run,
            )
        )
    ok = [s for s in steps if s.slo_ok]
    knee = None
    if ok:
        k = max(ok, key=lambda s: s.rps)
        knee = KneePoint(rps=k.rps, p95_ms=k.p95_ms, users=k.users, step=k.index)
    return Baseline(
        name=name,
        scenario_name="synthetic",
        created_at=START,
        environment=Environment(cpu_count=2, replicas=replicas),
        slo=["p95<300ms"],
        replicas=replicas,
        steps=steps,
        knee=knee,
    )


def sweep(
    lam: float, sigma: float, kappa: float, counts: Sequence[int] = (1, 2, 3, 4), **kw
) -> list[Baseline]:
    return [
        make_baseline(capacity_usl(n, lam, sigma, kappa), replicas=n, name=f"sweep-r{n}", **kw)
        for n in counts
    ]


def retarget(baseline: Baseline, target, *, declared: bool = True) -> Baseline:
    """The baseline as if measured on another kind of target (``TargetSpec`` or None). ``declared``
    False: a ``--host`` measurement that records no replica count (no ``environment.replicas``)."""
    b = baseline.model_copy(deep=True)
    replicas = b.replicas if declared else None
    for s in b.steps:
        s.run.target = target
        s.run.environment = s.run.environment.model_copy(update={"replicas": replicas})
        # the bundled backend's pool gauges stay: any app may export db_pool_* (the metric contract)
    b.environment = b.environment.model_copy(update={"replicas": replicas})
    if not declared:
        b.replicas = 1  # what `baseline --host` records without --replicas
    return b
