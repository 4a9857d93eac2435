from __future__ import annotations

import json

from scalectl.models import Analysis, Recommendation, RunResult
from scalectl.report import json_report
from tests.report import samples


def test_bundle_round_trips_to_the_models() -> None:
    item = samples.full_item()
    doc = json.loads(json_report.render([item]))
    assert doc["kind"] == "run"
    assert RunResult.model_validate(doc["run"]) == item.run
    assert Analysis.model_validate(doc["analysis"]) == item.analysis
    assert Recommendation.model_validate(doc["recommendation"]) == item.recommendation
    assert doc["slo_ok"] is False


def test_bare_bundle_has_nulls_for_what_is_missing() -> None:
    doc = json.loads(json_report.render([samples.bare_item()]))
    assert doc["analysis"] is None and doc["recommendation"] is None and doc["slo_ok"] is None


def test_comparison_carries_deltas_against_the_first_run() -> None:
    items = samples.compare_items()
    doc = json.loads(json_report.render(items))
    assert doc["kind"] == "comparison" and doc["labels"] == ["baseline", "candidate"]
    p95 = next(d for d in doc["deltas"] if d["scope"] == "overall" and d["metric"] == "p95")
    base, cand = p95["values"]
    assert base == items[0].run.total.latency_ms.p95 and cand == items[1].run.total.latency_ms.p95
    assert p95["relative_change"][0] == (cand - base) / base
