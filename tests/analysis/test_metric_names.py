from __future__ import annotations

import pytest

from scalectl.analysis import metric_names as mn


@pytest.mark.parametrize(
    ("key", "name", "labels"),
    [
        ("db_pool_checked_out", "db_pool_checked_out", ()),
        ('cache_hits_total{cache="content"}', "cache_hits_total", (("cache", "content"),)),
        (
            'http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/content/{id}"}',
            "http_request_duration_seconds_bucket",
            (("le", "0.1"), ("method", "GET"), ("route", "/api/content/{id}")),
        ),
        ('x{a="va\\"l"}', "x", (("a", 'va"l'),)),
    ],
)
def test_parse_key(key: str, name: str, labels: tuple) -> None:
    assert mn.parse_key(key) == (name, labels)


@pytest.mark.parametrize(
    ("mapping", "raw", "contract"),
    [
        ({}, "db_pool_checked_out", "db_pool_checked_out"),
        ({"db_pool_checked_out": "app_pool_in_use"}, "app_pool_in_use", "db_pool_checked_out"),
        ({"db_pool_wait_seconds": "app_wait"}, "app_wait_bucket", "db_pool_wait_seconds_bucket"),
        ({"db_pool_wait_seconds": "app_wait"}, "app_wait_count", "db_pool_wait_seconds_count"),
        ({"db_pool_timeouts_total": "app_timeouts"}, "app_timeouts_total", "db_pool_timeouts_total"),
        ({"db_pool_timeouts_total": "app_timeouts_total"}, "app_timeouts_total", "db_pool_timeouts_total"),
        ({"db_pool_checked_out": "app_pool_in_use"}, "other_metric", "other_metric"),
    ],
)
def test_resolver_maps_app_names_back_to_contract(mapping: dict, raw: str, contract: str) -> None:
    assert mn.resolver(mapping)(raw) == contract


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (None, {}),
        ({}, {}),
        ({"telemetry": None}, {}),
        ({"telemetry": {"metric_names": "nope"}}, {}),
        ({"telemetry": {"metric_names": {"db_pool_size": "pool_max"}}}, {"db_pool_size": "pool_max"}),
    ],
)
def test_mapping_from_scenario(scenario: dict | None, expected: dict) -> None:
    assert mn.mapping_from_scenario(scenario) == expected


def test_contract_lists_every_design_metric() -> None:
    # the metric-name contract (analysis/metric_names.py): 19 families
    assert len(mn.CONTRACT) == 19
    assert all(t in ("counter", "gauge", "histogram") for t in mn.CONTRACT.values())
