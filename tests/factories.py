"""Synthetic runs for unit tests of analysis, capacity, gate and reporters (no load, no Locust).

``make_run`` builds a consistent RunResult from per-second latency samples: per-interval and total
HDR histograms, counts, rates and percentiles agree with each other as they do in a real run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from scalectl import histograms
from scalectl.models import (
    EndpointStats,
    Environment,
    GeneratorInfo,
    IntervalEndpoint,
    IntervalStats,
    RunResult,
    TelemetrySeries,
)

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


Sampler = Callable[[np.random.Generator, int], np.ndarray]


def lognormal_latency(median_ms: float, sigma: float = 0.4) -> Sampler:
    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(np.log(median_ms), sigma, size=n)

    return draw


def make_run(
    *,
    endpoints: dict[str, Sampler] | None = None,
    rps: float | Sequence[float] = 50.0,
    seconds: int = 20,
    users: int | Sequence[int] = 10,
    failure_rate: float | dict[str, float] = 0.0,
    failure_kind: str = "http_503",
    seed: int = 1,
    run_id: str = "synthetic",
    scenario_name: str = "synthetic",
    telemetry: list[TelemetrySeries] | None = None,
    generator: GeneratorInfo | None = None,
    environment: Environment | None = None,
    slo: list[str] | None = None,
    load_model: str = "closed",
    offered_rps: Sequence[float] | None = None,
) -> RunResult:
    """A run whose endpoints (``"GET /path"`` → latency sampler in ms) share ``rps`` evenly.

    ``rps`` and ``users`` may be per-second sequences (of length ``seconds``) to shape a ramp.
    """
    rng = np.random.default_rng(seed)
    endpoints = endpoints or {"GET /api/content/{id}": lognormal_latency(20.0)}
    rps_s = list(rps) if isinstance(rps, Sequence) else [float(rps)] * seconds
    users_s = list(users) if isinstance(users, Sequence) else [int(users)] * seconds
    total_h = histograms.new_histogram()
    ep_h = {k: histograms.new_histogram() for k in endpoints}
    ep_req = dict.fromkeys(endpoints, 0)
    ep_fail = dict.fromkeys(endpoints, 0)
    series: list[IntervalStats] = []
    for t in range(seconds):
        n_total = int(round(rps_s[t]))
        per = max(n_total // len(endpoints), 0)
        interval_h = histograms.new_histogram()
        eps: dict[str, IntervalEndpoint] = {}
        fails_t = 0
        for key, draw in endpoints.items():
            h = histograms.new_histogram()
            for x in draw(rng, per):
                histograms.record_ms(h, float(x))
            fr = failure_rate.get(key, 0.0) if isinstance(failure_rate, dict) else failure_rate
            nf = int(rng.binomial(per, fr)) if per and fr else 0
            eps[key] = IntervalEndpoint(
                requests=per,
                failures=nf,
                errors={failure_kind: nf} if nf else {},
                histogram=histograms.encode(h),
            )
            interval_h.add(h)
            ep_h[key].add(h)
            ep_req[key] += per
            ep_fail[key] += nf
            fails_t += nf
        total_h.add(interval_h)
        req_t = per * len(endpoints)
        series.append(
            IntervalStats(
                t=float(t),
                users=users_s[t],
                offered_rps=None if offered_rps is None else float(offered_rps[t]),
                requests=req_t,
                failures=fails_t,
                rps=float(req_t),
                latency_ms=histograms.summarize(interval_h),
                endpoints=eps,
            )
        )
    eps_stats = []
    for key in endpoints:
        method, _, name = key.partition(" ")
        req, fail = ep_req[key], ep_fail[key]
        eps_stats.append(
            EndpointStats(
                name=name,
                method=method,
                requests=req,
                failures=fail,
                rps=req / seconds,
                failure_rate=fail / req if req else 0.0,
                latency_ms=histograms.summarize(ep_h[key]),
                errors={failure_kind: fail} if fail else {},
                histogram=histograms.encode(ep_h[key]),
            )
        )
    total_req = sum(ep_req.values())
    total_fail = sum(ep_fail.values())
    total = EndpointStats(
        name="Total",
        requests=total_req,
        failures=total_fail,
        rps=total_req / seconds,
        failure_rate=total_fail / total_req if total_req else 0.0,
        latency_ms=histograms.summarize(total_h),
        errors={failure_kind: total_fail} if total_fail else {},
        histogram=histograms.encode(total_h),
    )
    return RunResult(
        run_id=run_id,
        scenario_name=scenario_name,
        host="http://127.0.0.1:8000",
        load_model=load_model,  # type: ignore[arg-type]
        started_at=START,
        ended_at=START + timedelta(seconds=seconds),
        duration_s=float(seconds),
        environment=environment or Environment(cpu_count=2, replicas=1, hostname="test"),
        slo=slo or [],
        total=total,
        endpoints=eps_stats,
        series=series,
        telemetry=telemetry or [],
        generator=generator or GeneratorInfo(cpu_percent_mean=30.0, cpu_percent_max=45.0),
    )


def telemetry_series(
    source: str,
    metrics: dict[str, Sequence[float | None]],
    *,
    kind: str = "prometheus",
    role: str = "target",
) -> TelemetrySeries:
    n = max((len(v) for v in metrics.values()), default=0)
    return TelemetrySeries(
        source=source,
        kind=kind,  # type: ignore[arg-type]
        role=role,  # type: ignore[arg-type]
        t=[float(i) for i in range(n)],
        metrics={k: list(v) for k, v in metrics.items()},
    )
