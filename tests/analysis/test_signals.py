from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scalectl.analysis.signals import build_signals, histogram_quantile
from tests.analysis.helpers import N, const, counter, pool, process, prom, set_errors
from tests.factories import make_run


def test_load_frame_matches_series() -> None:
    run = make_run(rps=[10 * (i + 1) for i in range(N)], users=list(range(1, N + 1)), seconds=N)
    sig = build_signals(run)
    assert list(sig.load.index) == list(range(N))
    assert sig.load["achieved_rps"].tolist() == [s.rps for s in run.series]
    assert sig.load["users"].tolist() == [s.users for s in run.series]
    assert sig.load["p95_ms"].tolist() == [s.latency_ms.p95 for s in run.series]
    assert sig.load["offered_rps"].isna().all()
    assert not sig.telemetry_available


def test_errors_by_kind_per_second() -> None:
    run = set_errors(make_run(rps=40, seconds=N), "http_503", 3)
    sig = build_signals(run)
    assert sig.errors["http_503"].tolist() == [3.0] * N
    assert sig.load["error_rate"].tolist() == pytest.approx([3 / 40] * N)


def test_counter_rates_gauges_and_cpu_from_prometheus() -> None:
    tel = prom(
        "r0",
        {
            "process_cpu_seconds_total": counter(0.4),
            "process_resident_memory_bytes": const(100e6),
            'http_requests_total{method="GET",route="/a",status="200"}': counter(30.0),
            'http_requests_total{method="GET",route="/a",status="503"}': counter(2.0),
            "http_requests_in_flight": const(4),
            **pool(size=5, overflow=5, checked_out=8, wait_ms=20.0, acquisitions=50.0, timeouts=1.0),
        },
    )
    sig = build_signals(make_run(seconds=N, telemetry=[tel]))
    df = sig.replicas["r0"]
    body = df.iloc[:-1]  # a rate covers the interval between two samples: none after the last
    assert math.isnan(df["http_rps"].iloc[-1])
    assert body["cpu_percent"].to_numpy() == pytest.approx(40.0)
    assert body["http_rps"].to_numpy() == pytest.approx(32.0)
    assert body["http_503_rps"].to_numpy() == pytest.approx(2.0)
    assert body["http_5xx_rps"].to_numpy() == pytest.approx(2.0)
    assert body["pool_wait_mean_s"].to_numpy() == pytest.approx(0.020)
    assert body["pool_timeouts_rps"].to_numpy() == pytest.approx(1.0)
    assert df["pool_capacity"].tolist() == [10.0] * N
    assert df["pool_utilization"].to_numpy() == pytest.approx(0.8)
    assert df["in_flight"].tolist() == [4.0] * N
    assert sig.cpu_from == "prometheus" and list(sig.cpu.columns) == ["r0"]
    assert sig.rss["r0"].tolist() == [100e6] * N


def test_process_samples_take_precedence_for_cpu() -> None:
    tel = [
        prom("r0", {"process_cpu_seconds_total": counter(0.4)}),
        process("pid-1", 75.0),
        process("gen", 20.0, role="generator"),
    ]
    sig = build_signals(make_run(seconds=N, telemetry=tel))
    assert sig.cpu_from == "process"
    assert list(sig.cpu.columns) == ["pid-1"]
    assert sig.cpu["pid-1"].tolist() == [75.0] * N
    assert sig.generator_cpu["gen"].tolist() == [20.0] * N


def test_counter_reset_and_failed_scrape_give_no_rate() -> None:
    values = counter(10.0)
    values[5] = None  # failed scrape
    values[10:] = [10.0 * i for i in range(N - 10)]  # restart: back to 0
    sig = build_signals(make_run(seconds=N, telemetry=[prom("r0", {"db_pool_timeouts_total": values})]))
    rate = sig.replicas["r0"]["pool_timeouts_rps"]
    # intervals touching the missing sample, and the one where the counter went down, have no rate
    assert rate.isna().sum() >= 3
    assert rate.dropna().to_numpy() == pytest.approx(10.0)


def test_rename_mapping_from_scenario_is_applied() -> None:
    tel = prom("r0", {"app_pool_in_use": const(3), "app_pool_max": const(4), "app_pool_extra": const(0)})
    run = make_run(seconds=N, telemetry=[tel])
    run.scenario = {
        "telemetry": {
            "metric_names": {
                "db_pool_checked_out": "app_pool_in_use",
                "db_pool_size": "app_pool_max",
                "db_pool_max_overflow": "app_pool_extra",
            }
        }
    }
    df = build_signals(run).replicas["r0"]
    assert df["pool_utilization"].to_numpy() == pytest.approx(0.75)


def test_labelled_signals_cache_breaker_upstream() -> None:
    tel = prom(
        "r0",
        {
            'cache_hits_total{cache="content"}': counter(30.0),
            'cache_misses_total{cache="content"}': counter(10.0),
            'circuit_breaker_state{name="llm"}': [0.0] * 10 + [1.0] * 10,
            'upstream_duration_seconds_count{name="llm"}': counter(2.0),
            'upstream_duration_seconds_sum{name="llm"}': counter(3.0),
        },
    )
    sig = build_signals(make_run(seconds=N, telemetry=[tel]))
    assert sig.labelled("cache_hit_ratio")["content"]["r0"].iloc[:-1].to_numpy() == pytest.approx(0.75)
    assert sig.labelled("breaker_state")["llm"]["r0"].tolist() == [0.0] * 10 + [1.0] * 10
    assert sig.labelled("upstream_mean_s")["llm"]["r0"].iloc[:-1].to_numpy() == pytest.approx(1.5)


def test_subsecond_samples_are_binned_into_seconds() -> None:
    tel = prom("r0", {"event_loop_lag_seconds": [0.0, 1.0] * N})
    tel.t = [i / 2 for i in range(2 * N)]
    sig = build_signals(make_run(seconds=N, telemetry=[tel]))
    assert sig.replicas["r0"]["event_loop_lag_s"].tolist() == [0.5] * N


def _buckets(samples_s: np.ndarray, bounds: list[float]) -> dict[float, float]:
    return {b: float((samples_s <= b).sum()) for b in bounds}


@pytest.mark.parametrize("q", [0.5, 0.9, 0.95])
def test_histogram_quantile_interpolates_like_prometheus(q: float) -> None:
    bounds = [0.01 * i for i in range(1, 101)] + [math.inf]
    rng = np.random.default_rng(3)
    samples = rng.uniform(0, 1.0, 20000)
    cum0 = {b: 0.0 for b in bounds}
    cum1 = _buckets(samples, bounds)
    frame = pd.DataFrame([cum0, cum1], index=[0, 1])
    got = histogram_quantile(q, frame)
    assert got == pytest.approx(float(np.quantile(samples, q)), abs=0.01)


def test_histogram_quantile_needs_two_rows_and_counts() -> None:
    frame = pd.DataFrame([{0.1: 0.0, math.inf: 0.0}, {0.1: 0.0, math.inf: 0.0}])
    assert histogram_quantile(0.95, frame) is None
    assert histogram_quantile(0.95, frame.iloc[:1]) is None
