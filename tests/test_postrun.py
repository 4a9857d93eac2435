"""What follows every run (``postrun.py``): the analysis written beside run.json, and report.html
unless turned off, from the run and analysis in memory."""

from __future__ import annotations

from pathlib import Path

from scalectl import storage
from scalectl.postrun import finish_run
from tests.factories import lognormal_latency, make_run
from tests.report.samples import recommendation


def _run(**kw):
    return make_run(endpoints={"GET /a": lognormal_latency(30.0, 0.2)}, rps=40, seconds=8, **kw)


def test_writes_the_analysis_and_the_report(tmp_path: Path) -> None:
    run = _run(slo=["p95<1ms"], run_id="r1")
    analysis, report = finish_run(run, tmp_path)
    assert analysis.run_id == "r1"
    assert [r.expression for r in analysis.slo if r.counts] == ["p95<1ms"]  # the run's own SLOs
    assert analysis.performance_ok is False
    assert storage.load_analysis(tmp_path) == analysis
    assert report == tmp_path / "report.html"
    html = report.read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>")
    assert "r1" in html and analysis.summary.split(":")[0] in html


def test_no_report_when_turned_off(tmp_path: Path) -> None:
    analysis, report = finish_run(_run(), tmp_path, report=False)
    assert report is None
    assert not (tmp_path / "report.html").exists()
    assert (tmp_path / storage.ANALYSIS_FILE).exists()
    # no SLO recorded: the analysis's defaults judge it
    assert [r.expression for r in analysis.slo if r.counts] == ["p95<1000ms", "error_rate<1%"]


def test_a_recommendation_beside_the_run_goes_into_the_report(tmp_path: Path) -> None:
    with_rec, without = tmp_path / "a", tmp_path / "b"
    with_rec.mkdir()
    without.mkdir()
    storage.write_model(with_rec / storage.RECOMMENDATION_FILE, recommendation())
    _, report = finish_run(_run(), with_rec)
    assert "Capacity recommendation" in report.read_text(encoding="utf-8")
    _, bare = finish_run(_run(), without)
    assert "Capacity recommendation" not in bare.read_text(encoding="utf-8")
