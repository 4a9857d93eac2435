"""One number per quantity: every figure the gate shows for a run is the run's own (issue 13).

The gate reads its point estimates from the per-second histograms it resamples; they must equal what
run.json and the reports show for the same run: the latency percentiles of run.json (nearest rank,
``histograms.percentiles_ms``), the failure rate, and the throughput of ``analysis.throughput.active_rps``
(overall) and ``report.fmt.endpoint_rps`` (per endpoint), not requests over every counted second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.analysis.throughput import active_rps
from scalectl.gate.judge import judge, value_text
from scalectl.models import Baseline, RunResult
from scalectl.report import gate_markdown
from scalectl.report.fmt import endpoint_rps
from tests.factories import lognormal_latency, make_run

ROOT = Path(__file__).resolve().parents[2]


def _real() -> RunResult:
    """A real 8-s smoke run of the bundled target (committed): partial first and last seconds, and
    an overall p99 where the nearest rank and hdrh's rounded rank pick different values."""
    return Baseline.model_validate_json((ROOT / "reports/baselines/smoke.json").read_text()).steps[0].run


def _partial_edges() -> RunResult:
    """A factory run whose first and last seconds are partial (start-up, drain), as real runs' are."""
    eps = {"GET /api/content/{id}": lognormal_latency(8.0, 0.6), "GET /api/content": lognormal_latency(20.0)}
    run = make_run(endpoints=eps, rps=[20] + [60] * 10 + [16], seconds=12, seed=3, failure_rate=0.02)
    series = list(run.series)
    series[0] = series[0].model_copy(update={"duration_s": 0.4})
    series[-1] = series[-1].model_copy(update={"duration_s": 0.3})
    return run.model_copy(update={"series": series})


@pytest.fixture(params=["real", "partial_edges"])
def run(request) -> RunResult:
    return _real() if request.param == "real" else _partial_edges()


def test_the_gates_figures_are_the_runs_own(run: RunResult) -> None:
    verdict = judge(run, run, ["p50<10s", "p95<10s", "p99<10s", "error_rate<50%"])
    checks = {(c.kind, c.scope, c.metric): c for c in verdict.checks}
    stats = {"overall": run.total} | {ep.key: ep for ep in run.endpoints}
    for scope, ep in stats.items():
        for q in ("p50", "p95", "p99"):
            want = getattr(ep.latency_ms, q)
            assert checks["regression", scope, q].observed == pytest.approx(want, abs=1e-9), (scope, q)
            assert checks["regression", scope, q].baseline == pytest.approx(want, abs=1e-9), (scope, q)
        assert checks["regression", scope, "error_rate"].observed == pytest.approx(ep.failure_rate)
        rps = active_rps(run) if scope == "overall" else endpoint_rps(run, ep)
        assert checks["regression", scope, "throughput"].observed == pytest.approx(rps, rel=1e-12), scope
    # the threshold rows and the regression rows show one number per quantity
    for q in ("p50", "p95", "p99"):
        assert checks["threshold", "overall", q].observed == checks["regression", "overall", q].observed
    assert checks["threshold", "overall", "error_rate"].observed == pytest.approx(
        checks["regression", "overall", "error_rate"].observed
    )
    # and so does the Markdown summary: the run's throughput as the report shows it, p99 as run.json
    md = gate_markdown.render(verdict)
    tp = checks["regression", "overall", "throughput"]
    assert f"| {value_text(tp, active_rps(run))} |" in md
    p99 = checks["regression", "overall", "p99"]
    assert md.count(f"| {value_text(p99, run.total.latency_ms.p99)} |") >= 2  # threshold row, regression row


def test_partial_edge_seconds_do_not_count_as_whole_seconds() -> None:
    run = _partial_edges()
    verdict = judge(run, run)
    tp = next(c for c in verdict.checks if c.scope == "overall" and c.metric == "throughput")
    assert tp.observed == pytest.approx(60.0)  # the ten whole seconds at 60 req/s
    counted = sum(iv.requests for iv in run.series) / sum(iv.duration_s for iv in run.series)
    assert tp.observed != pytest.approx(counted)
