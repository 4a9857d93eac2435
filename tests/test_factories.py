from __future__ import annotations

from scalectl import histograms
from tests.factories import lognormal_latency, make_run


def test_synthetic_run_is_consistent() -> None:
    run = make_run(
        endpoints={"GET /a": lognormal_latency(10), "POST /b": lognormal_latency(50)},
        rps=40,
        seconds=5,
        failure_rate=0.1,
    )
    assert run.total.requests == sum(e.requests for e in run.endpoints) == sum(s.requests for s in run.series)
    assert run.total.failures == sum(e.failures for e in run.endpoints)
    merged = histograms.merge(s.endpoints["POST /b"].histogram for s in run.series)
    assert merged.get_total_count() == run.endpoint("POST /b").requests
    assert run.endpoint("GET /a").latency_ms.p50 < run.endpoint("POST /b").latency_ms.p50
