"""Prometheus text exposition → flat samples (``telemetry/prometheus.py``), on text that
prometheus_client itself writes."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from scalectl.telemetry.prometheus import parse_metrics, sample_key


def _registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    requests = Counter(
        "http_requests", "Requests.", ["method", "route", "status"], registry=reg
    )  # exposed as http_requests_total
    requests.labels("GET", "/api/content/{id}", "200").inc(41)
    requests.labels("POST", "/api/jobs", "503").inc(2)
    Gauge("db_pool_checked_out", "Connections in use.", registry=reg).set(7)
    lat = Histogram("http_request_duration_seconds", "Latency.", ["route"], buckets=(0.1, 0.5), registry=reg)
    for v in (0.05, 0.2, 0.2, 3.0):
        lat.labels("/a").observe(v)
    return reg


def test_counters_gauges_and_histograms_come_out_flat() -> None:
    got = parse_metrics(generate_latest(_registry()).decode())
    assert got['http_requests_total{method="GET",route="/api/content/{id}",status="200"}'] == 41.0
    assert got['http_requests_total{method="POST",route="/api/jobs",status="503"}'] == 2.0
    assert got["db_pool_checked_out"] == 7.0
    assert got['http_request_duration_seconds_bucket{le="0.1",route="/a"}'] == 1.0
    assert got['http_request_duration_seconds_bucket{le="0.5",route="/a"}'] == 3.0
    assert got['http_request_duration_seconds_bucket{le="+Inf",route="/a"}'] == 4.0
    assert got['http_request_duration_seconds_count{route="/a"}'] == 4.0
    assert got['http_request_duration_seconds_sum{route="/a"}'] == pytest.approx(3.45)


def test_labels_are_sorted_and_escaped_in_the_key() -> None:
    assert sample_key("m", {}) == "m"
    assert sample_key("m", {"b": "2", "a": "1"}) == 'm{a="1",b="2"}'
    assert sample_key("m", {"path": 'a"b\\c\nd'}) == 'm{path="a\\"b\\\\c\\nd"}'


def test_escaped_label_values_round_trip_through_the_exposition() -> None:
    reg = CollectorRegistry()
    Gauge("g", "G.", ["v"], registry=reg).labels('say "hi"\\now').set(1)
    got = parse_metrics(generate_latest(reg).decode())
    assert got == {sample_key("g", {"v": 'say "hi"\\now'}): 1.0}


def test_nan_samples_are_dropped_and_infinities_kept() -> None:
    text = "# TYPE a gauge\na NaN\n# TYPE b gauge\nb +Inf\n# TYPE c gauge\nc 1.5e3\n"
    got = parse_metrics(text)
    assert "a" not in got
    assert math.isinf(got["b"])
    assert got["c"] == 1500.0


def test_text_that_is_not_an_exposition_raises() -> None:
    with pytest.raises(ValueError):
        parse_metrics("<html>not metrics</html>\n")
