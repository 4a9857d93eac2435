"""JSON bundle: the run, its analysis and recommendation (or a comparison), in one document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from scalectl.analysis.throughput import active_rps
from scalectl.report import data
from scalectl.report.model import ReportInput, slo_results, slo_verdict

BUNDLE_SCHEMA_VERSION = 1


def bundle(item: ReportInput) -> dict[str, Any]:
    slos = slo_results(item)
    return {
        "label": item.name,
        "slo_ok": slo_verdict(slos),
        #: The run's throughput as every view shows it (``run.total.rps`` is requests over the run's
        #: whole duration; this one is over the seconds that carried load: the analysis' "achieved").
        "throughput_rps": active_rps(item.run),
        "slo": [r.model_dump(mode="json") for r in slos],
        "run": item.run.model_dump(mode="json", by_alias=True),
        "analysis": None if item.analysis is None else item.analysis.model_dump(mode="json", by_alias=True),
        "recommendation": (
            None
            if item.recommendation is None
            else item.recommendation.model_dump(mode="json", by_alias=True)
        ),
    }


def render(items: Sequence[ReportInput]) -> str:
    if not items:
        raise ValueError("nothing to report")
    if len(items) == 1:
        doc: dict[str, Any] = {"schema_version": BUNDLE_SCHEMA_VERSION, "kind": "run", **bundle(items[0])}
    else:
        rows = data.compare_rows([i.run for i in items])
        doc = {
            "schema_version": BUNDLE_SCHEMA_VERSION,
            "kind": "comparison",
            "labels": [i.name for i in items],
            "deltas": [
                {
                    "scope": r.scope,
                    "metric": r.metric,
                    "unit": r.unit,
                    "higher_is_better": r.higher_is_better,
                    "values": list(r.values),
                    "relative_change": [r.delta(i) for i in range(1, len(items))],
                }
                for r in rows
            ],
            "runs": [bundle(i) for i in items],
        }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
