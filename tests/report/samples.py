"""Fixed synthetic report inputs (seeded runs, hand-built Analysis and Recommendation) for the tests.

Built once per test session (building a run encodes hundreds of HDR histograms); tests must not
mutate them.
"""

from __future__ import annotations

import math
from functools import cache

from scalectl.models import (
    Analysis,
    Environment,
    Evidence,
    Finding,
    FlowStep,
    Recommendation,
    Resources,
    SloResult,
    TelemetrySeries,
    UslModel,
)
from scalectl.report.model import ReportInput
from tests.factories import lognormal_latency, make_run, telemetry_series

SECONDS = 30
ENDPOINTS = {
    "GET /api/content/{id}": lognormal_latency(18.0, 0.35),
    "GET /api/content": lognormal_latency(35.0, 0.45),
    "POST /api/seo-dashboard/analyze": lognormal_latency(120.0, 0.5),
}
ENV = Environment(
    hostname="ci-runner",
    platform="Linux-6.1-x86_64",
    python="3.11.2",
    scalectl_version="0.1.0",
    locust_version="2.47.0",
    cpu_count=2,
    cpu_model="Example CPU",
    memory_bytes=24 * 1024**3,
    replicas=2,
    target="bundled",
)


def _ramp(lo: float, hi: float) -> list[float]:
    return [lo + (hi - lo) * min(t / 10, 1.0) for t in range(SECONDS)]


def telemetry() -> list[TelemetrySeries]:
    out: list[TelemetrySeries] = []
    for r in range(2):
        cpu = [20 + 50 * min(t / 10, 1) + 5 * math.sin(t + r) for t in range(SECONDS)]
        rss = [(80 + t * 0.5 + r * 3) * 1024 * 1024 for t in range(SECONDS)]
        out.append(
            telemetry_series(
                f"replica-{r}", {"cpu_percent": cpu, "rss_bytes": rss}, kind="process", role="target"
            )
        )
        hits = [sum(40 * min(i / 10, 1) for i in range(t + 1)) for t in range(SECONDS)]
        misses = [sum(10 for _ in range(t + 1)) for t in range(SECONDS)]
        wait_count = [float(30 * t) for t in range(SECONDS)]
        wait_sum = [0.002 * 30 * t * (1 + t / 20) for t in range(SECONDS)]
        breaker = [0.0] * 12 + [1.0] * 6 + [2.0] * 2 + [0.0] * (SECONDS - 20)
        out.append(
            telemetry_series(
                f"replica-{r}",
                {
                    "db_pool_checked_out": [min(t / 2, 10) for t in range(SECONDS)],
                    "db_pool_wait_seconds_count": wait_count,
                    "db_pool_wait_seconds_sum": wait_sum,
                    'cache_hits_total{cache="content"}': hits,
                    'cache_misses_total{cache="content"}': misses,
                    'circuit_breaker_state{name="llm"}': breaker if r == 0 else [0.0] * SECONDS,
                },
            )
        )
    return out


def run_item(seed: int = 7, run_id: str = "20260101T120000Z-baseline", scale: float = 1.0, **kw: object):
    eps = {
        k: lognormal_latency(m, s)
        for k, (m, s) in {
            "GET /api/content/{id}": (18.0 * scale, 0.35),
            "GET /api/content": (35.0 * scale, 0.45),
            "POST /api/seo-dashboard/analyze": (120.0 * scale, 0.5),
        }.items()
    }
    return make_run(
        endpoints=eps,
        rps=_ramp(15, 60),
        users=[int(2 + 18 * min(t / 10, 1)) for t in range(SECONDS)],
        seconds=SECONDS,
        failure_rate={"POST /api/seo-dashboard/analyze": 0.04},
        seed=seed,
        run_id=run_id,
        scenario_name="content-browse",
        environment=ENV,
        slo=["p95<300ms", "error_rate<1%"],
        **kw,  # type: ignore[arg-type]
    )


def analysis(run_id: str) -> Analysis:
    return Analysis(
        run_id=run_id,
        performance_ok=False,
        slo=[
            SloResult(expression="p95<300ms", observed=212.0, limit=300.0, ok=True),
            SloResult(expression="error_rate<1%", observed=0.013, limit=0.01, ok=False),
        ],
        error_rate=0.013,
        achieved_rps=48.2,
        telemetry_available=True,
        findings=[
            Finding(
                rule="db_pool_saturated",
                category="database",
                severity="high",
                confidence=0.8,
                title="Database pool saturated <pool>",
                evidence=[
                    Evidence(
                        metric="db_pool_checked_out",
                        observed=10,
                        threshold=10,
                        window=(12.0, 30.0),
                        source="replica-0",
                    ),
                    Evidence(
                        metric="db_pool_wait_seconds p95", observed="41 ms", note="waits grow with load"
                    ),
                ],
                action="Raise DB_POOL_SIZE to 15, or add a read replica.",
                verify="scalectl loadtest scenarios/content.yaml --slo 'p95<300ms'",
            ),
            Finding(
                rule="upstream_breaker_open",
                category="application",
                severity="medium",
                confidence=0.6,
                title="LLM circuit breaker opened",
                evidence=[
                    Evidence(metric='circuit_breaker_state{name="llm"}', observed=1, window=(12.0, 18.0))
                ],
                action="Check the upstream provider; keep the breaker.",
            ),
        ],
        path=[
            FlowStep(step="monitor", verdict="telemetry from 2 replicas"),
            FlowStep(step="performance_ok", verdict="error rate 1.3% > 1%", outcome=False),
            # outcome: the answer to the box's question ("Database issue?" yes)
            FlowStep(step="database", verdict="pool saturated", outcome=True, details=["checked out 10/10"]),
            FlowStep(step="application", verdict="breaker opened 6 s", outcome=True),
            FlowStep(step="scale", verdict="fix the pool before adding replicas", outcome=None),
        ],
        summary="errors from the SEO endpoint; the database pool is the first limit.",
        notes=["client-side and server-side evidence agree"],
    )


def recommendation() -> Recommendation:
    lam, sigma, kappa = 52.0, 0.06, 0.004
    pts = [(n, lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))) for n in (1, 2, 3, 4)]
    return Recommendation(
        target_rps=200.0,
        slo=["p95<300ms"],
        replicas=6,
        reachable=True,
        limited_by="database",
        per_replica_capacity_rps=48.0,
        resources=Resources(
            cpu_request="750m",
            cpu_limit="1500m",
            memory_request="256Mi",
            memory_limit="512Mi",
            hpa_cpu_utilization=70,
        ),
        model=UslModel(
            **{"lambda": lam},
            sigma=sigma,
            kappa=kappa,
            peak_n=15.3,
            peak_throughput=300.0,
            r2=0.98,
            n_points=4,
            points=pts,
        ),
        db_pool_size=15,
        db_max_overflow=5,
        settings={"DB_POOL_SIZE": "15"},
        confidence="medium",
        reasoning=["6 replicas at 70% utilization carry 200 req/s with one spare."],
        warnings=["measured on 2 cores only"],
    )


@cache
def full_item() -> ReportInput:
    run = run_item(telemetry=telemetry())
    return ReportInput(
        run=run, analysis=analysis(run.run_id), recommendation=recommendation(), label="baseline"
    )


@cache
def bare_item() -> ReportInput:
    """A run with nothing else: no telemetry, analysis, recommendation or SLO."""
    run = make_run(seed=3, seconds=10, run_id="bare", scenario_name="bare")
    return ReportInput(run=run)


def compare_items() -> list[ReportInput]:
    return list(_compare_items())


@cache
def _compare_items() -> tuple[ReportInput, ...]:
    base = run_item(seed=7)
    cand = run_item(seed=8, run_id="20260102T120000Z-candidate", scale=1.3)
    return (ReportInput(run=base, label="baseline"), ReportInput(run=cand, label="candidate"))
