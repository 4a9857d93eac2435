from __future__ import annotations

from scalectl.analysis import analyze_run
from scalectl.models import Analysis, Evidence, Finding, FlowStep
from scalectl.report.analysis_term import render_analysis_text
from tests.analysis.helpers import base_run


def _analysis() -> Analysis:
    f = Finding(
        rule="db_pool_saturated",
        category="database",
        severity="high",
        confidence=0.9,
        title="database pool at its maximum",
        action="raise DB_POOL_SIZE from 5 to 12",
        verify="scalectl loadtest s.yaml",
        evidence=[
            Evidence(
                metric="pool util",
                observed=1.0,
                threshold=0.95,
                window=(0.0, 20.0),
                source="r0",
                note="share",
            )
        ],
    )
    return Analysis(
        run_id="r1",
        performance_ok=False,
        findings=[f],
        summary="Performance not OK",
        path=[
            FlowStep(step="monitor", verdict="40 req/s achieved", details=["p95<1s [overall]: 2 s → MISSED"]),
            FlowStep(step="performance_ok", verdict="no: SLO missed", outcome=False),
            FlowStep(step="database", verdict="yes: database pool at its maximum", outcome=True),
            FlowStep(step="application", verdict="no evidence", outcome=False),
            FlowStep(
                step="scale",
                verdict="raise DB_POOL_SIZE from 5 to 12",
                outcome=True,
                details=["verify: scalectl loadtest s.yaml"],
            ),
        ],
        notes=["a note"],
    )


def test_tree_shows_path_verdicts_evidence_and_findings() -> None:
    text = render_analysis_text(_analysis())
    lines = text.splitlines()
    assert lines[0].startswith("Analysis r1") and "NOT OK" in lines[0]
    for expected in (
        "Monitor: 40 req/s achieved",
        "p95<1s [overall]: 2 s → MISSED",
        "✘ Performance OK?: no: SLO missed",
        "✘ Database issue?: yes: database pool at its maximum",
        "✔ Application issue?: no evidence",
        "→ Scale: raise DB_POOL_SIZE from 5 to 12",
        "[high] database pool at its maximum  (database, confidence 90%)",
        "pool util: 1.0 (threshold 0.95), t=0–20s [r0] — share",
        "action: raise DB_POOL_SIZE from 5 to 12",
        "verify: scalectl loadtest s.yaml",
        "note: a note",
    ):
        assert expected in text, expected


def test_healthy_tree_has_no_findings_section() -> None:
    text = render_analysis_text(analyze_run(base_run()))
    assert "performance OK" in text.splitlines()[0]
    assert "✔ Performance OK?: yes: continue normal operations" in text
    assert "Findings" not in text
