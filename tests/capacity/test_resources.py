from __future__ import annotations

import pytest

from scalectl.capacity.resources import (
    format_cpu,
    format_memory,
    parse_cpu,
    parse_memory,
    recommend_resources,
)
from tests.capacity.synth import make_step_run


def test_cpu_is_p90_at_the_target_load_times_margin() -> None:
    runs = [make_step_run(r, 1000.0, seconds=10, cpu_ms_per_req=5.0) for r in (20.0, 40.0, 80.0)]
    est = recommend_resources(runs, 40.0)
    # 40 req/s × 5 ms = 0.2 cores; × 1.15 = 230m
    assert parse_cpu(est.resources.cpu_request) == pytest.approx(0.23, abs=0.002)
    assert est.resources.hpa_cpu_utilization == 70
    assert parse_memory(est.resources.memory_limit) >= parse_memory(est.resources.memory_request)


def test_cpu_extrapolates_when_no_sample_is_near() -> None:
    runs = [make_step_run(r, 1000.0, seconds=10, cpu_ms_per_req=5.0) for r in (20.0, 40.0)]
    est = recommend_resources(runs, 100.0)
    assert parse_cpu(est.resources.cpu_request) == pytest.approx(0.5 * 1.15, rel=0.02)
    assert any("extrapolated" in r for r in est.reasoning)


def test_floors_and_short_evidence() -> None:
    run = make_step_run(1.0, 1000.0, seconds=5, cpu_ms_per_req=0.1, rss_mib=10.0)
    est = recommend_resources([run], 1.0)
    assert est.resources.cpu_request == "25m"
    assert parse_memory(est.resources.memory_request) == 64 * 2**20
    assert any("evidence too short" in w for w in est.warnings)


def test_no_telemetry_says_so() -> None:
    from tests.factories import make_run

    est = recommend_resources([make_run(seconds=3)], 10.0)
    assert est.samples == 0 and any("no process telemetry" in w for w in est.warnings)


def test_quantity_formatting() -> None:
    assert format_cpu(0.2301) == "231m" and format_memory(100 * 2**20 + 1) == "101Mi"


def test_exported_process_metrics_size_cpu_and_memory_without_process_samples() -> None:
    # replicas seen only through their /metrics (or a Prometheus server): 2 replicas sharing 80 req/s,
    # each burning 5 ms of CPU per request (0.2 cores) with 150 MiB resident
    from tests.factories import make_run, telemetry_series

    n = 40
    tel = [
        telemetry_series(
            f"10.0.0.{i}:8000",
            {
                "process_cpu_seconds_total": [0.2 * t for t in range(n)],
                "process_resident_memory_bytes": [150.0 * 2**20] * n,
            },
        )
        for i in (1, 2)
    ]
    est = recommend_resources([make_run(seconds=n, rps=80.0, telemetry=tel)], 40.0)
    assert not est.warnings, est.warnings
    assert parse_cpu(est.resources.cpu_request) == pytest.approx(0.2 * 1.15, rel=0.02)
    assert parse_memory(est.resources.memory_request) == pytest.approx(150 * 2**20 * 1.15, rel=0.01)
