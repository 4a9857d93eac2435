"""What a reporter renders (``report/model.py``): the SLO verdict from the analysis when there is one,
else from the run's SLOs through the one evaluator."""

from __future__ import annotations

from scalectl.analysis import analyze_run
from scalectl.models import SloResult
from scalectl.models.analysis import PER_ENDPOINT_VIEW
from scalectl.report.model import ReportInput, slo_results, slo_verdict
from tests.factories import lognormal_latency, make_run


def _run(**kw):
    return make_run(endpoints={"GET /a": lognormal_latency(50.0, 0.2)}, rps=40, seconds=8, **kw)


def test_name_is_the_label_else_the_run_id() -> None:
    run = _run(run_id="20260101-120000-smoke")
    assert ReportInput(run).name == "20260101-120000-smoke"
    assert ReportInput(run, label="before").name == "before"


def test_without_an_analysis_the_runs_slos_are_evaluated() -> None:
    run = _run(slo=["p95<1s", "p95<10ms"])
    results = slo_results(ReportInput(run))
    assert [(r.expression, r.ok) for r in results] == [("p95<1s", True), ("p95<10ms", False)]
    assert results[0].observed == results[1].observed > 10
    assert slo_verdict(results) is False


def test_an_expression_that_is_not_understood_is_reported_not_raised() -> None:
    results = slo_results(ReportInput(_run(slo=["p95<1s", "p95 lower than 1s"])))
    assert results[0].ok is True
    assert results[1].ok is None and results[1].note.startswith("not understood: ")
    assert slo_verdict(results) is True  # nothing failed; the unreadable one is not judged


def test_the_analysis_verdict_wins_over_the_runs_slos() -> None:
    run = _run(slo=["p95<10ms"])
    analysis = analyze_run(run, slo=["p95<1s"])
    results = slo_results(ReportInput(run, analysis=analysis))
    assert [r.expression for r in results if r.counts] == ["p95<1s"]
    assert results == list(analysis.slo)


def test_verdict_counts_only_judged_rows_that_count() -> None:
    ok = SloResult(expression="p95<1s", ok=True)
    bad = SloResult(expression="p95<1ms", ok=False)
    view = SloResult(expression="p95<1ms", scope="GET /a", ok=False, note=PER_ENDPOINT_VIEW)
    unknown = SloResult(expression="p95<1s", ok=None)
    assert slo_verdict([]) is None
    assert slo_verdict([unknown]) is None
    assert slo_verdict([ok, unknown]) is True
    assert slo_verdict([ok, bad]) is False
    assert slo_verdict([ok, view]) is True  # a per-endpoint view is shown, not judged
