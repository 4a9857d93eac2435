"""Instrumentation conventions and the label mapping of telemetry.metric_names (pure; the real
libraries are exercised in tests/telemetry/test_instrumentation_apps.py)."""

from __future__ import annotations

import pytest

from scalectl.analysis import conventions as cv
from scalectl.analysis import metric_names as mn
from scalectl.analysis.signals import build_signals
from tests.factories import make_run, telemetry_series

N = 10


def counter(per_s: float) -> list[float]:
    return [per_s * i for i in range(N)]


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("app_requests", cv.MetricSpec("app_requests", {})),
        ("app_requests{route=endpoint}", cv.MetricSpec("app_requests", {"route": "endpoint"})),
        (
            ' app_requests { route = "endpoint", status=code } ',
            cv.MetricSpec("app_requests", {"route": "endpoint", "status": "code"}),
        ),
        ("{route=handler}", cv.MetricSpec(mn.HTTP_REQUESTS, {"route": "handler"})),
    ],
)
def test_parse_spec(value: str, spec: cv.MetricSpec) -> None:
    assert cv.parse_spec(mn.HTTP_REQUESTS, value) == spec


@pytest.mark.parametrize("value", ["", "{}", "a b", "app{route}", "app{route=}", "app{1x=y}", "app{{a=b}}"])
def test_parse_spec_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        cv.parse_spec(mn.HTTP_REQUESTS, value)


@pytest.mark.parametrize(
    ("keys", "found"),
    [
        ([("http_requests_total", {"route": "/a", "status": "200"})], ()),
        (
            [("http_requests_total", {"handler": "/a", "status": "2xx"})],
            ("prometheus-fastapi-instrumentator",),
        ),
        ([("http_request_duration_highr_seconds_count", {})], ("prometheus-fastapi-instrumentator",)),
        ([("starlette_requests_total", {"path": "/a", "status_code": "200"})], ("starlette-exporter",)),
        ([("flask_http_request_total", {"status": "200"})], ("prometheus-flask-exporter",)),
        (
            [("django_http_requests_latency_seconds_by_view_method_bucket", {"le": "0.1"})],
            ("django-prometheus",),
        ),
        ([("some_other_total", {})], ()),
    ],
)
def test_detection(keys: list, found: tuple) -> None:
    assert cv.naming(keys, {}).conventions == found


def test_the_contract_name_a_convention_points_elsewhere_is_not_read_twice() -> None:
    # the instrumentator exports both histograms; the 20-bucket "highr" one is the duration
    naming = cv.naming([("http_request_duration_highr_seconds_count", {})], {})
    assert (
        naming.resolve("http_request_duration_highr_seconds_bucket") == "http_request_duration_seconds_bucket"
    )
    assert naming.resolve("http_request_duration_seconds_bucket").startswith(mn.SHADOWED)
    assert naming.resolve("http_requests_total") == "http_requests_total"


def test_labels_are_mapped_without_overwriting() -> None:
    naming = cv.naming([("starlette_requests_total", {})], {})
    assert naming.labels(mn.HTTP_REQUESTS, {"path": "/a", "status_code": "503"}) == {
        "path": "/a",
        "status_code": "503",
        "route": "/a",
        "status": "503",
    }
    assert naming.labels(mn.HTTP_REQUESTS, {"path": "/a", "route": "/b"})["route"] == "/b"


def test_user_mapping_renames_labels_and_wins_over_a_convention() -> None:
    tel = telemetry_series(
        "r0",
        {
            'myapp_requests_total{code="200",endpoint="/a"}': counter(6.0),
            'myapp_requests_total{code="503",endpoint="/a"}': counter(2.0),
            'myapp_requests_total{code="200",endpoint="/b"}': counter(2.0),
            # also exported, but the user says which counter counts requests
            'starlette_requests_total{path="/a",status_code="200"}': counter(100.0),
        },
    )
    run = make_run(seconds=N, telemetry=[tel])
    run.scenario = {
        "telemetry": {
            "metric_names": {"http_requests_total": "myapp_requests_total{route=endpoint,status=code}"}
        }
    }
    df = build_signals(run).replicas["r0"]
    body = slice(1, N - 1)
    assert df["http_rps"].iloc[body].to_numpy() == pytest.approx(10.0)
    assert df["http_5xx_rps"].iloc[body].to_numpy() == pytest.approx(2.0)
    assert df["http_503_rps"].iloc[body].to_numpy() == pytest.approx(2.0)
    assert df["http_2xx_rps"].iloc[body].to_numpy() == pytest.approx(8.0)
    assert df["http_route_rps[/a]"].iloc[body].to_numpy() == pytest.approx(8.0)


def test_a_label_set_that_appears_mid_run_counts_from_zero() -> None:
    first_500 = [None] * 5 + [1.0, 2.0, 3.0, 4.0, 5.0]
    tel = telemetry_series(
        "r0",
        {'http_requests_total{status="200"}': counter(9.0), 'http_requests_total{status="500"}': first_500},
    )
    df = build_signals(make_run(seconds=N, telemetry=[tel])).replicas["r0"]
    assert df["http_rps"].iloc[1:4].to_numpy() == pytest.approx(9.0)  # not NaN before the first 500
    assert df["http_5xx_rps"].iloc[1 : N - 1].sum() == pytest.approx(5.0)


def test_the_analysis_says_which_library_it_recognised() -> None:
    from scalectl.analysis import analyze_run

    tel = telemetry_series("r0", {'starlette_requests_total{path="/a",status_code="200"}': counter(5.0)})
    analysis = analyze_run(make_run(seconds=N, telemetry=[tel]))
    assert "HTTP metrics read as starlette-exporter's (r0)" in analysis.notes
