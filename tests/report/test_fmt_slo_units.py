"""SLO values are shown in their metric's unit, read by the SLO grammar (issue 13: a latency SLO of the
route /api/content/generate was shown as a percentage, because "generate" contains "rate")."""

from __future__ import annotations

from scalectl.models import SloResult
from scalectl.report.fmt import slo_limit, slo_observed


def _r(expr: str, observed: float, limit: float) -> SloResult:
    return SloResult(expression=expr, scope="overall", observed=observed, limit=limit, ok=True)


def test_a_latency_slo_on_a_route_named_generate_is_in_ms() -> None:
    r = _r("POST /api/content/generate: p95<2000ms", 968.19, 2000.0)
    assert slo_observed(r) == "968 ms" and "%" not in slo_limit(r)


def test_each_metric_in_its_unit() -> None:
    assert slo_observed(_r("error_rate<1%", 0.002, 0.01)).endswith("%")
    assert slo_observed(_r("rps>100", 120.0, 100.0)) == "120.0 req/s"
    assert slo_observed(_r("p99<300ms", 12.5, 300.0)).endswith("ms")
