from __future__ import annotations

import os
import time

from scalectl.telemetry import ProcessSource, PrometheusSource, TelemetrySampler
from scalectl.telemetry.prometheus import parse_metrics

TEXT = """# HELP http_requests_total requests
# TYPE http_requests_total counter
http_requests_total{status="200",method="GET",route="/api/content/{id}"} 12.0
# TYPE db_pool_checked_out gauge
db_pool_checked_out 3.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/health"} 4.0
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health"} 5.0
http_request_duration_seconds_count{method="GET",route="/health"} 5.0
http_request_duration_seconds_sum{method="GET",route="/health"} 0.3
"""


def test_parse_keys_have_sorted_labels() -> None:
    m = parse_metrics(TEXT)
    assert m['http_requests_total{method="GET",route="/api/content/{id}",status="200"}'] == 12.0
    assert m["db_pool_checked_out"] == 3.0
    assert m['http_request_duration_seconds_bucket{le="0.1",method="GET",route="/health"}'] == 4.0
    assert m['http_request_duration_seconds_count{method="GET",route="/health"}'] == 5.0


def test_failed_scrapes_are_recorded_and_sampling_goes_on(toy_target: str) -> None:
    good = PrometheusSource(source="toy", url=toy_target + "/metrics")
    bad = PrometheusSource(source="gone", url="http://127.0.0.1:9/metrics")
    me = ProcessSource(source="me", pid=os.getpid(), role="generator")
    sampler = TelemetrySampler([good, bad], [me], interval=0.2).start()
    time.sleep(1.1)
    sampler.stop()
    t0 = time.time() - 2
    series = {s.source: s for s in sampler.series(t0)}
    assert len(series["toy"].t) >= 3 and any(
        k.startswith("http_requests_total") for k in series["toy"].metrics
    )
    assert series["gone"].t == [] and len(series["gone"].errors) >= 3
    assert series["me"].kind == "process" and series["me"].role == "generator"
    assert set(series["me"].metrics) >= {"cpu_percent", "rss_bytes", "cpu_seconds"}
    assert all(0 < t < 4 for t in series["toy"].t)
