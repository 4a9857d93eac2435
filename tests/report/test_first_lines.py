"""The three first lines of loadtest / analyze / baseline: result or capacity, limit, next command."""

from __future__ import annotations

from scalectl.analysis import analyze_run
from scalectl.report.first_lines import baseline_lines, run_lines
from scalectl.report.fmt import throughput
from tests.capacity.synth import make_baseline
from tests.factories import lognormal_latency, make_run


def test_a_healthy_run_says_met_no_limit_and_what_to_run_next() -> None:
    run = make_run(seconds=12, rps=40, endpoints={"GET /a": lognormal_latency(20.0, 0.2)}, slo=["p95<300ms"])
    lines = run_lines(run, analyze_run(run), "reports/runs/x")
    assert len(lines) == 3
    assert lines[0].startswith(f"result: SLO met: {throughput(run)}, p95 ")
    assert lines[1].startswith("limit: none reached")
    # a single-stage scenario has no steps to walk: say how to get the knee, under a name of its own
    assert (
        lines[2].startswith("next: the knee: add a steps: section")
        and f"--name {run.scenario_name}" in lines[2]
    )
    stepped = run.model_copy(update={"scenario": {**run.scenario, "steps": {"users": [1, 2, 4]}}})
    assert (
        run_lines(stepped, analyze_run(stepped), "reports/runs/x")[2]
        == f"next: scalectl baseline --scenario reports/runs/x/scenario.yaml --name {run.scenario_name} "
        "(the knee: how much it takes)"
    )


def test_the_next_baseline_keeps_the_external_target_the_run_measured() -> None:
    """Issue 13: `analyze RUN` printed the next baseline without --host, which measures a fresh target."""
    from scalectl.models.run import TargetSpec

    run = make_run(seconds=12, rps=40, endpoints={"GET /a": lognormal_latency(20.0, 0.2)}, slo=["p95<300ms"])
    run = run.model_copy(update={"target": TargetSpec(kind="external", url="http://127.0.0.1:8123")})
    assert "--host http://127.0.0.1:8123" in run_lines(run, analyze_run(run), "reports/runs/x")[2]


def test_a_slow_run_says_missed_with_the_observed_value_and_the_top_finding() -> None:
    run = make_run(seconds=12, rps=40, endpoints={"GET /a": lognormal_latency(900.0, 0.2)}, slo=["p95<300ms"])
    analysis = analyze_run(run)
    lines = run_lines(run, analysis, "reports/runs/x")
    assert lines[0].startswith("result: SLO missed (p95<300ms observed ")
    if analysis.findings:
        assert lines[1].startswith(f"limit: {analysis.findings[0].title}")
    assert lines[2].startswith("next: ")


def test_a_baseline_leads_with_the_knee_and_its_latency() -> None:
    b = make_baseline(100.0, replicas=2, name="main")
    lines = baseline_lines(b, None, "reports/baselines/main.json")
    assert b.knee is not None
    assert lines[0].startswith(f"capacity: {b.knee.rps:,.1f} req/s at p95 ")
    assert f"on 2 replicas (the knee: step {b.knee.step}" in lines[0]
    assert (
        lines[2]
        == f"next: scalectl recommend --from reports/baselines/main.json --target-rps {2 * b.knee.rps:.0f}"
    )
    broken = [s for s in b.steps if not s.slo_ok]
    if broken:
        assert f"step {broken[0].index}: p95 " in lines[1]
