"""A target's scraped Prometheus series as per-second columns (``analysis/scraped.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalectl.analysis.scraped import Source, bin_seconds, replica_frame
from tests.factories import telemetry_series

INDEX = pd.Index(np.arange(6, dtype=np.int64), name="t")


def test_bin_seconds_averages_within_a_second_and_aligns_with_the_index() -> None:
    values = np.array([1.0, 3.0, np.nan, 10.0, 7.0])
    times = np.array([0.2, 0.8, 1.5, 2.1, 2.9])
    np.testing.assert_array_equal(
        bin_seconds(values, times, INDEX), [2.0, np.nan, 8.5, np.nan, np.nan, np.nan]
    )
    np.testing.assert_array_equal(bin_seconds(values, times, INDEX, "max")[:3], [3.0, np.nan, 10.0])
    np.testing.assert_array_equal(bin_seconds(values, times, INDEX, "last")[:3], [3.0, np.nan, 7.0])
    assert np.isnan(bin_seconds(np.array([np.nan]), np.array([0.5]), INDEX)).all()


def _source(metrics: dict) -> Source:
    return Source(telemetry_series("replica-0", metrics), {}, INDEX)


def test_counters_become_rates_and_a_reset_gives_no_rate() -> None:
    src = _source({'http_requests_total{status="200"}': [0, 10, 30, 5, 15, 25]})
    rate = src.rate("http_requests_total")
    # rates sit at the midpoints (0.5, 1.5, ...): second 0 gets 10/s, 1 gets 20/s, the reset none
    np.testing.assert_array_equal(rate, [10.0, 20.0, np.nan, 10.0, 10.0, np.nan])


def test_a_label_set_that_appears_mid_run_counts_from_zero() -> None:
    src = _source({'http_requests_total{status="500"}': [None, None, 4, 6, 6, 6]})
    np.testing.assert_array_equal(src.rate("http_requests_total")[:3], [0.0, 4.0, 2.0])


def test_replica_frame_names_the_contract_columns() -> None:
    n = 6
    frame = replica_frame(
        _source(
            {
                "process_cpu_seconds_total": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
                'http_requests_total{route="/a",status="200"}': [0, 9, 18, 27, 36, 45],
                'http_requests_total{route="/a",status="429"}': [0, 1, 2, 3, 4, 5],
                "db_pool_size": [10] * n,
                "db_pool_max_overflow": [10] * n,
                "db_pool_checked_out": [5] * n,
                'cache_hits_total{cache="content"}': [0, 3, 6, 9, 12, 15],
                'cache_misses_total{cache="content"}': [0, 1, 2, 3, 4, 5],
            }
        )
    )
    row = frame.iloc[2]
    assert row["cpu_percent"] == pytest.approx(50.0)
    assert row["http_rps"] == pytest.approx(10.0)
    assert row["http_429_rps"] == pytest.approx(1.0)
    assert row["http_4xx_rps"] == pytest.approx(1.0)
    assert row["http_route_rps[/a]"] == pytest.approx(10.0)
    assert row["pool_capacity"] == 20 and row["pool_utilization"] == pytest.approx(0.25)
    assert row["cache_hit_ratio[content]"] == pytest.approx(0.75)
    assert "event_loop_lag_s" not in frame.columns  # a column exists only when its metric was exported


def test_names_of_a_common_library_are_read_as_the_contracts() -> None:
    src = _source({'http_requests_total{handler="/a",method="GET",status="2xx"}': [0, 5, 10, 15, 20, 25]})
    frame = replica_frame(src)
    assert src.conventions  # prometheus-fastapi-instrumentator's labels recognised
    assert frame["http_route_rps[/a]"].iloc[1] == pytest.approx(5.0)
    assert frame["http_2xx_rps"].iloc[1] == pytest.approx(5.0)
