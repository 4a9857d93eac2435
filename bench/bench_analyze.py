"""Benchmark ``scalectl analyze`` on a synthetic run: one hour, 20 endpoints, ≥ 1,000,000 requests,
one-second telemetry from 2 replicas (≈ 370 Prometheus series each) and 3 processes.

    PYTHONPATH=. python bench/bench_analyze.py [--seconds 3600] [--endpoints 20] [--rps 300]

Prints: run.json size; time and peak memory (tracemalloc) of ``analyze_run`` on the loaded run;
wall time and peak RSS of the whole ``scalectl analyze RUN_DIR`` command (load + analyze + write +
render) in a child process. Budget (issue 4): under 2 s and under 500 MB.

The per-second histograms are drawn from a few templates per endpoint (encoding 72,000 distinct
HDR histograms would take minutes); counts, rates and per-interval summaries stay consistent.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from scalectl import histograms, storage
from scalectl.models import (
    EndpointStats,
    Environment,
    GeneratorInfo,
    IntervalEndpoint,
    IntervalStats,
    LatencySummary,
    RunResult,
    TelemetrySeries,
)

TEMPLATES = 8
#: An SLO the run misses, so that every rule of the flowchart runs (the slow path).
SLO = ["p95<20ms"]
BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf")]


def _le(b: float) -> str:
    return "+Inf" if b == float("inf") else repr(b)


def build(seconds: int, n_endpoints: int, rps: float, seed: int = 7) -> RunResult:
    rng = np.random.default_rng(seed)
    keys = [f"GET /api/route{i}/{{id}}" for i in range(n_endpoints)]
    per_ep = max(int(rps // n_endpoints), 1)
    medians = rng.uniform(5, 80, n_endpoints)
    # load ramps 10 → 100 users; latency grows with it in the second half
    users = np.linspace(10, 100, seconds).round().astype(int)
    templates: list[list[tuple[str, np.ndarray, LatencySummary]]] = []
    for e in range(n_endpoints):
        row = []
        for k in range(TEMPLATES):
            h = histograms.new_histogram()
            samples = rng.lognormal(np.log(medians[e] * (1 + k)), 0.4, per_ep)
            for x in samples:
                histograms.record_ms(h, float(x))
            row.append((histograms.encode(h), samples, histograms.summarize(h)))
        templates.append(row)
    ep_hist = [histograms.new_histogram() for _ in keys]
    total_h = histograms.new_histogram()
    series = []
    for t in range(seconds):
        k = min(int(TEMPLATES * t / seconds), TEMPLATES - 1)
        fails = 1 if t > seconds * 0.8 else 0
        eps = {}
        for e, key in enumerate(keys):
            enc, _, _ = templates[e][k]
            eps[key] = IntervalEndpoint(
                requests=per_ep,
                failures=fails if e == 0 else 0,
                errors={"http_503": fails} if fails and e == 0 else {},
                histogram=enc,
            )
        lat = templates[0][k][2]
        series.append(
            IntervalStats(
                t=float(t),
                users=int(users[t]),
                requests=per_ep * n_endpoints,
                failures=fails,
                rps=float(per_ep * n_endpoints),
                latency_ms=lat,
                endpoints=eps,
            )
        )
    counts = np.bincount(
        np.minimum((np.arange(seconds) * TEMPLATES) // seconds, TEMPLATES - 1), minlength=TEMPLATES
    )
    endpoints = []
    for e, key in enumerate(keys):
        for k in range(TEMPLATES):
            for x in templates[e][k][1]:
                us = int(round(float(x) * 1000))
                ep_hist[e].record_value(us, int(counts[k]))
        total_h.add(ep_hist[e])
        req = per_ep * seconds
        endpoints.append(
            EndpointStats(
                name=key.split(" ", 1)[1],
                method="GET",
                requests=req,
                rps=req / seconds,
                latency_ms=histograms.summarize(ep_hist[e]),
                histogram=histograms.encode(ep_hist[e]),
            )
        )
    n_fail = sum(s.failures for s in series)
    req = per_ep * n_endpoints * seconds
    total = EndpointStats(
        name="Total",
        requests=req,
        failures=n_fail,
        rps=req / seconds,
        failure_rate=n_fail / req,
        errors={"http_503": n_fail},
        latency_ms=histograms.summarize(total_h),
        histogram=histograms.encode(total_h),
    )
    telemetry = [_replica(f"replica-{r}", seconds, keys, per_ep, rng) for r in range(2)]
    tt = [float(t) + 0.5 for t in range(seconds)]
    for name, role, cpu in (
        ("pid-1", "target", 60.0),
        ("pid-2", "target", 65.0),
        ("locust", "generator", 40.0),
    ):
        telemetry.append(
            TelemetrySeries(
                source=name,
                kind="process",
                role=role,
                t=tt,
                metrics={"cpu_percent": list(rng.normal(cpu, 5, seconds)), "rss_bytes": [2.0e8] * seconds},
            )
        )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return RunResult(
        run_id="bench-analyze",
        scenario_name="bench",
        host="http://127.0.0.1:8000",
        started_at=start,
        ended_at=start + timedelta(seconds=seconds),
        duration_s=float(seconds),
        environment=Environment(cpu_count=4, replicas=2, memory_bytes=8 * 2**30),
        total=total,
        endpoints=endpoints,
        series=series,
        telemetry=telemetry,
        generator=GeneratorInfo(cpu_percent_mean=40, cpu_percent_max=50),
    )


def _replica(
    source: str, seconds: int, keys: list[str], per_ep: int, rng: np.random.Generator
) -> TelemetrySeries:
    t = np.arange(seconds, dtype=float) + 0.5
    m: dict[str, list[float | None]] = {}

    def cum(rate: float | np.ndarray) -> list[float | None]:
        r = np.broadcast_to(np.asarray(rate, dtype=float), (seconds,))
        return list(np.cumsum(r * rng.uniform(0.9, 1.1, seconds)).round(3))

    half = per_ep / 2
    m["process_cpu_seconds_total"] = cum(0.6)
    m["process_resident_memory_bytes"] = [2.0e8] * seconds
    for key in keys:
        route = key.split(" ", 1)[1]
        m[f'http_requests_total{{method="GET",route="{route}",status="200"}}'] = cum(half)
        m[f'http_requests_total{{method="GET",route="{route}",status="503"}}'] = cum(0.01)
        for i, b in enumerate(BUCKETS):
            m[f'http_request_duration_seconds_bucket{{le="{_le(b)}",method="GET",route="{route}"}}'] = cum(
                half * (i + 1) / len(BUCKETS)
            )
        m[f'http_request_duration_seconds_count{{method="GET",route="{route}"}}'] = cum(half)
        m[f'http_request_duration_seconds_sum{{method="GET",route="{route}"}}'] = cum(half * 0.03)
    m["http_requests_in_flight"] = list(rng.integers(0, 30, seconds).astype(float))
    m["db_pool_size"], m["db_pool_max_overflow"] = [5.0] * seconds, [5.0] * seconds
    ramp = np.linspace(2, 10, seconds)
    m["db_pool_checked_out"] = list(np.minimum(ramp + rng.normal(0, 1, seconds), 10).round())
    m["db_pool_overflow"] = list(np.maximum(ramp - 5, 0).round())
    for i, b in enumerate(BUCKETS):
        m[f'db_pool_wait_seconds_bucket{{le="{_le(b)}"}}'] = cum(50 * (i + 1) / len(BUCKETS))
    m["db_pool_wait_seconds_count"], m["db_pool_wait_seconds_sum"] = (
        cum(50),
        cum(50 * np.linspace(0.001, 0.05, seconds)),
    )
    m["db_pool_timeouts_total"] = cum(np.where(t > seconds * 0.8, 0.5, 0.0))
    for c in ("content", "seo", "analytics"):
        m[f'cache_hits_total{{cache="{c}"}}'], m[f'cache_misses_total{{cache="{c}"}}'] = cum(20), cum(5)
        m[f'cache_errors_total{{cache="{c}"}}'] = cum(0)
    for key in keys[:5]:
        m[f'rate_limit_rejections_total{{route="{key.split(" ", 1)[1]}"}}'] = cum(0.1)
    for n in ("llm", "search"):
        m[f'circuit_breaker_state{{name="{n}"}}'] = [0.0] * seconds
        m[f'circuit_breaker_rejections_total{{name="{n}"}}'] = cum(0)
        for i, b in enumerate(BUCKETS):
            m[f'upstream_duration_seconds_bucket{{le="{_le(b)}",name="{n}"}}'] = cum(
                2 * (i + 1) / len(BUCKETS)
            )
        (
            m[f'upstream_duration_seconds_count{{name="{n}"}}'],
            m[f'upstream_duration_seconds_sum{{name="{n}"}}'],
        ) = (cum(2), cum(2.4))
    m["event_loop_lag_seconds"] = list(rng.uniform(0, 0.01, seconds))
    return TelemetrySeries(source=source, kind="prometheus", role="target", t=list(t), metrics=m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--endpoints", type=int, default=20)
    ap.add_argument("--rps", type=float, default=300.0)
    ap.add_argument("--repeat", type=int, default=3, help="analyze_run repetitions (best time reported)")
    args = ap.parse_args()
    from scalectl.analysis import analyze_run

    t0 = time.perf_counter()
    run = build(args.seconds, args.endpoints, args.rps)
    print(
        f"built synthetic run in {time.perf_counter() - t0:.1f} s: {run.total.requests:,} requests, "
        f"{len(run.series)} s, {len(run.endpoints)} endpoints, "
        f"{sum(len(s.metrics) for s in run.telemetry)} telemetry series"
    )
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        storage.write_model(run_dir / storage.RUN_FILE, run)
        size = (run_dir / storage.RUN_FILE).stat().st_size
        print(f"run.json: {size / 2**20:.1f} MiB")
        del run
        t0 = time.perf_counter()
        loaded = storage.load_run(run_dir)
        print(f"load_run (JSON → RunResult): {time.perf_counter() - t0:.2f} s")
        times, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            analysis = analyze_run(loaded, slo=SLO)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        tracemalloc.start()
        analyze_run(loaded, slo=SLO)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"analyze_run: best {min(times):.2f} s of {args.repeat} "
            f"(all, the first with cold imports: {', '.join(f'{x:.2f}' for x in times)}; "
            f"CPU time: {', '.join(f'{x:.2f}' for x in cpu)}); "
            f"peak traced allocations {peak / 2**20:.0f} MiB; findings: "
            f"{[f.rule for f in analysis.findings]}"
        )
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scalectl", "analyze", str(run_dir)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss = usage.ru_maxrss / 1024
        print(
            f"scalectl analyze RUN_DIR (child process, load + analyze + write + render): {wall:.2f} s wall, "
            f"{usage.ru_utime + usage.ru_stime:.2f} s CPU, peak RSS {rss:.0f} MiB"
        )


if __name__ == "__main__":
    main()
