"""Synthetic telemetry and runs for the analysis tests (on top of tests/factories.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scalectl.analysis.monitor import monitor
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.rules import Context
from scalectl.analysis.signals import build_signals
from scalectl.models import RunResult, TelemetrySeries
from tests.factories import telemetry_series

N = 20


def const(value: float, n: int = N) -> list[float]:
    return [float(value)] * n


def counter(rate_per_s: float | Sequence[float], n: int = N) -> list[float]:
    """A cumulative counter whose per-second increase is ``rate_per_s`` (sampled at t=0..n-1)."""
    rates = np.asarray(rate_per_s if isinstance(rate_per_s, Sequence) else [rate_per_s] * n, dtype=float)
    return list(np.concatenate([[0.0], np.cumsum(rates[1:])]))


def prom(source: str, metrics: dict[str, Sequence[float | None]]) -> TelemetrySeries:
    return telemetry_series(source, metrics)


def process(
    source: str,
    cpu_percent: float | Sequence[float],
    role: str = "target",
    n: int = N,
    rss: float | None = None,
) -> TelemetrySeries:
    cpu = list(cpu_percent) if isinstance(cpu_percent, Sequence) else const(cpu_percent, n)
    metrics: dict[str, list[float]] = {"cpu_percent": cpu}
    if rss is not None:
        metrics["rss_bytes"] = const(rss, len(cpu))
    return telemetry_series(source, metrics, kind="process", role=role)


def pool(
    size: int = 5,
    overflow: int = 5,
    checked_out: float | Sequence[float] = 0.0,
    n: int = N,
    wait_ms: float = 0.0,
    acquisitions: float = 50.0,
    timeouts: float = 0.0,
) -> dict[str, list[float]]:
    out = checked_out if isinstance(checked_out, Sequence) else const(checked_out, n)
    return {
        "db_pool_size": const(size, n),
        "db_pool_max_overflow": const(overflow, n),
        "db_pool_checked_out": [float(x) for x in out],
        "db_pool_wait_seconds_count": counter(acquisitions, n),
        "db_pool_wait_seconds_sum": counter(acquisitions * wait_ms / 1000.0, n),
        "db_pool_timeouts_total": counter(timeouts, n),
    }


def set_errors(run: RunResult, kind: str, per_second: int) -> RunResult:
    """Deterministically mark ``per_second`` requests of each interval as failed with ``kind``."""
    total = 0
    for s in run.series:
        key = next(iter(s.endpoints))
        ep = s.endpoints[key]
        k = min(per_second, ep.requests)
        ep.failures, ep.errors = k, {kind: k} if k else {}
        s.failures = sum(e.failures for e in s.endpoints.values())
        total += k
    run.total.failures = total
    run.total.errors = {kind: total} if total else {}
    run.total.failure_rate = total / run.total.requests if run.total.requests else 0.0
    return run


def context(
    run: RunResult,
    slo: Sequence[str] | None = None,
    params: AnalysisParams | None = None,
    sweep: Sequence[RunResult] = (),
) -> Context:
    params = params or AnalysisParams()
    sig = build_signals(run)
    mon = monitor(run, sig, list(slo or run.slo or params.default_slo), params)
    return Context(run=run, signals=sig, monitor=mon, params=params, sweep=tuple(sweep))


def rising_latency(start_ms: float, end_ms: float, n: int = N):
    """A sampler whose median grows from ``start_ms`` to ``end_ms`` over ``n`` calls (one per second)."""
    state = {"i": 0}

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        i = min(state["i"], n - 1)
        state["i"] += 1
        median = start_ms + (end_ms - start_ms) * i / max(n - 1, 1)
        return rng.lognormal(np.log(median), 0.1, size=k)

    return draw


_CACHE: dict[tuple, RunResult] = {}


def base_run(kind: str = "flat", **kw) -> RunResult:
    """Cached synthetic runs (HDR histograms make them slow to build); each call returns a deep copy.

    ``flat``: 40 req/s, ``users`` (10), ~20 ms. ``ramp``: users 1..N, 10..10N req/s, latency ``ramp_ms``.
    """
    from tests.factories import lognormal_latency, make_run

    key = (kind, tuple(sorted(kw.items())))
    if key not in _CACHE:
        if kind == "flat":
            lat = kw.get("latency_ms", 20.0)
            _CACHE[key] = make_run(
                seconds=N,
                rps=40,
                users=kw.get("users", 10),
                endpoints={"GET /a": lognormal_latency(lat, 0.1)},
            )
        elif kind == "ramp":
            lo, hi = kw.get("ramp_ms", (20.0, 200.0))
            rps = kw.get("rps") or [10.0 * (i + 1) for i in range(N)]
            _CACHE[key] = make_run(
                seconds=N,
                rps=list(rps),
                users=list(kw.get("users") or range(1, N + 1)),
                endpoints={"GET /a": rising_latency(lo, hi)},
            )
        elif kind == "two_routes":
            _CACHE[key] = make_run(
                seconds=N,
                rps=40,
                endpoints={
                    "GET /fast": lognormal_latency(kw.get("fast_ms", 10.0), 0.1),
                    "GET /slow": lognormal_latency(kw.get("slow_ms", 10.0), 0.1),
                },
            )
        else:
            raise ValueError(kind)
    return _CACHE[key].model_copy(deep=True)


def piecewise_latency(medians_ms: Sequence[float], sigma: float = 0.1):
    """A sampler whose median is ``medians_ms[i]`` on its i-th call (one call per second)."""
    state = {"i": 0}

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        i = min(state["i"], len(medians_ms) - 1)
        state["i"] += 1
        return rng.lognormal(np.log(medians_ms[i]), sigma, size=k)

    return draw


def worker_pool(users: float, workers: int, service_ms: float) -> tuple[float, float]:
    """A closed loop (no think time) on a server that serves ``workers`` requests at once, each
    ``service_ms`` long: (throughput req/s, mean latency ms). Past ``workers`` users the extra queue."""
    busy = min(users, workers)
    rps = busy * 1000.0 / service_ms
    return rps, users * 1000.0 / rps


def service_run(
    users: Sequence[int],
    *,
    workers: int = 2,
    service_ms: float = 100.0,
    cpu_ms_per_request: float | None = 5.0,
    target=None,
    environment=None,
    run_id: str = "svc",
    slo: Sequence[str] = ("p95<250ms",),
    seed: int = 1,
    endpoint: str = "GET /work",
) -> RunResult:
    """One run of a worker-limited service at per-second user counts ``users`` (a step: all equal; a
    ramp: stairs). Process telemetry (one process tree, ``cpu_percent`` = rate × CPU per request)
    unless ``cpu_ms_per_request`` is None."""
    from tests.factories import make_run

    shape = [worker_pool(u, workers, service_ms) for u in users]
    n = len(users)
    cpu = None
    if cpu_ms_per_request is not None:
        cpu = [process("app", [x * cpu_ms_per_request / 10.0 for x, _ in shape])]
    run = make_run(
        seconds=n,
        rps=[x for x, _ in shape],
        users=list(users),
        endpoints={endpoint: piecewise_latency([r for _, r in shape])},
        telemetry=cpu,
        environment=environment,
        slo=list(slo),
        run_id=run_id,
        seed=seed,
    )
    if environment is None:
        from scalectl.models import Environment

        run.environment = Environment(cpu_count=2, hostname="test")  # not the bundled target
    run.target = target
    return run


def service_sweep(steps: Sequence[int], seconds: int = 8, **kw) -> list[RunResult]:
    """A baseline sweep: one run per user count."""
    return [service_run([u] * seconds, run_id=f"step-{u}", seed=i + 1, **kw) for i, u in enumerate(steps)]
