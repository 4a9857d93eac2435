from __future__ import annotations

import pytest

from scalectl import histograms
from scalectl.models import RunResult
from scalectl.report import data
from tests.factories import make_run, telemetry_series
from tests.report import samples


def test_quantiles_agree_with_the_histogram_module() -> None:
    run = samples.full_item().run
    for stats in [run.total, *run.endpoints]:
        hist = histograms.decode(stats.histogram)
        qs = [0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0]
        assert data.quantiles_ms(hist, qs) == [histograms.percentile_ms(hist, q) for q in qs]


def test_quantiles_of_an_empty_histogram_are_zero() -> None:
    assert data.quantiles_ms(histograms.new_histogram(), [50.0, 99.0]) == [0.0, 0.0]


def test_hdr_distribution_is_monotonic_and_ends_at_the_max() -> None:
    total = samples.full_item().run.total
    pts = data.hdr_distribution(total)
    qs, vals = zip(*pts, strict=True)
    assert list(qs) == sorted(qs) and list(vals) == sorted(vals)
    assert qs[0] == 0.0 and qs[-1] == 100.0
    assert vals[-1] == total.latency_ms.max
    # the last finite percentile is 1 - 1/n: the highest the sample count supports
    assert qs[-2] == pytest.approx(100 * (1 - 1 / total.requests), abs=1e-4)


def test_error_kinds_add_up_to_the_failures() -> None:
    run = samples.full_item().run
    kinds = data.errors_by_kind_over_time(run)
    assert set(kinds) == {"http_503"}
    assert sum(kinds["http_503"]) == run.total.failures


def test_unclassified_failures_count_as_other() -> None:
    run = make_run(seed=1, seconds=3)
    series = [iv.model_copy(update={"failures": 2}) for iv in run.series]
    run = run.model_copy(update={"series": series})
    assert data.errors_by_kind_over_time(run) == {"other": [2.0, 2.0, 2.0]}


def test_endpoint_latency_over_time_reads_interval_histograms() -> None:
    run = samples.full_item().run
    per = data.endpoint_latency_over_time(run, 95.0)
    key = "GET /api/content/{id}"
    iv = run.series[5].endpoints[key]
    assert per[key][5] == histograms.percentile_ms(histograms.decode(iv.histogram), 95.0)
    assert len(per[key]) == len(run.series)


def test_telemetry_lines_from_the_fixed_sample() -> None:
    tel = data.telemetry(samples.full_item().run)
    assert [ln.name for ln in tel.cpu_percent] == ["replica-0", "replica-1"]
    assert tel.rss_mib[0].y[0] == pytest.approx(80.0)
    # hits grow by 40/s and misses by 10/s once the ramp is over: a 0.8 hit ratio
    assert tel.cache_hit_ratio[0].y[-1] == pytest.approx(0.8)
    assert tel.cache_hit_ratio[0].y[0] is None  # no delta before the second sample
    assert tel.pool_checked_out[0].y[-1] == 10
    assert tel.breaker_state[0].name == "replica-0 llm" and max(tel.breaker_state[0].y) == 2.0


def test_pool_wait_is_the_mean_wait_per_interval() -> None:
    s = telemetry_series(
        "r0", {"db_pool_wait_seconds_sum": [0.0, 0.5, 1.5], "db_pool_wait_seconds_count": [0, 10, 20]}
    )
    run = make_run(seed=1, seconds=3, telemetry=[s])
    assert data.telemetry(run).pool_wait_ms[0].y == [None, 50.0, 100.0]


def test_counter_reset_leaves_a_gap() -> None:
    s = telemetry_series("r0", {"cache_hits_total": [10, 20, 5, 15], "cache_misses_total": [0, 0, 0, 0]})
    run = make_run(seed=1, seconds=4, telemetry=[s])
    assert data.telemetry(run).cache_hit_ratio[0].y == [None, 1.0, None, 1.0]


def test_renamed_metrics_and_prometheus_process_fallback() -> None:
    s = telemetry_series(
        "r0",
        {
            "app_pool_in_use": [1, 2, 3],
            "process_cpu_seconds_total": [1.0, 1.5, 2.5],
            "process_resident_memory_bytes": [1048576.0] * 3,
        },
    )
    run = make_run(seed=1, seconds=3, telemetry=[s])
    run = run.model_copy(
        update={"scenario": {"telemetry": {"metric_names": {"db_pool_checked_out": "app_pool_in_use"}}}}
    )
    tel = data.telemetry(run)
    assert tel.pool_checked_out[0].y == [1, 2, 3]
    assert tel.cpu_percent[0].y == [None, 50.0, 100.0]
    assert tel.rss_mib[0].y == [1.0, 1.0, 1.0]


def test_no_telemetry_is_empty() -> None:
    assert data.telemetry(samples.bare_item().run).empty()


def test_generator_process_is_not_target_telemetry() -> None:
    s = telemetry_series("locust", {"cpu_percent": [50, 60]}, kind="process", role="generator")
    assert data.telemetry(make_run(seed=1, seconds=2, telemetry=[s])).empty()


def _runs() -> list[RunResult]:
    return [i.run for i in samples.compare_items()]


def test_compare_rows_cover_totals_and_every_endpoint() -> None:
    runs = _runs()
    rows = data.compare_rows(runs)
    scopes = list(dict.fromkeys(r.scope for r in rows))
    assert scopes == ["overall", *[ep.key for ep in runs[0].endpoints]]
    p95 = next(r for r in rows if r.scope == "overall" and r.metric == "p95")
    assert p95.values == (runs[0].total.latency_ms.p95, runs[1].total.latency_ms.p95)
    assert data.is_worse(p95, 1) is True


def test_delta_and_direction() -> None:
    faster = data.CompareRow("overall", "requests/s", "req/s", True, (100.0, 90.0))
    assert faster.delta(1) == pytest.approx(-0.1) and data.is_worse(faster, 1) is True
    same = data.CompareRow("overall", "p95", "ms", False, (100.0, 103.0))
    assert data.is_worse(same, 1) is False
    missing = data.CompareRow("GET /x", "p95", "ms", False, (None, 3.0))
    assert missing.delta(1) is None and data.is_worse(missing, 1) is None


def test_cache_ratio_of_a_replica_that_only_missed_is_zero() -> None:
    s = telemetry_series("r0", {'cache_misses_total{cache="content"}': [0, 5, 9]})
    run = make_run(seed=1, seconds=3, telemetry=[s])
    assert data.telemetry(run).cache_hit_ratio[0].y == [None, 0.0, 0.0]
