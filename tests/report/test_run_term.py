"""The terminal summary of a run (``report/run_term.py``): the endpoint table and the lines under it."""

from __future__ import annotations

from rich.console import Console

from scalectl.models import GeneratorInfo
from scalectl.report import fmt
from scalectl.report.run_term import render_run, run_table
from tests.factories import lognormal_latency, make_run


def _text(renderable) -> str:
    console = Console(width=140, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def _run(**kw):
    eps = {"GET /api/content/{id}": lognormal_latency(20.0), "POST /api/jobs": lognormal_latency(80.0)}
    return make_run(endpoints=eps, rps=60, seconds=10, **kw)


def test_table_has_a_row_per_endpoint_and_the_total() -> None:
    run = _run(failure_rate={"POST /api/jobs": 0.2})
    text = _text(run_table(run))
    lines = text.splitlines()
    assert lines[0].startswith(f"{run.scenario_name}: {run.run_id} (latency in ms)")
    jobs = next(line for line in lines if "POST /api/jobs" in line)
    ep = next(e for e in run.endpoints if e.key == "POST /api/jobs")
    assert f"{ep.failures:,} ({ep.failure_rate:.1%})" in jobs
    assert f"{ep.latency_ms.p95:,.1f}" in jobs
    assert fmt.num(fmt.endpoint_rps(run, ep)) in jobs
    total = next(line for line in lines if "Total" in line)
    assert f"{run.total.requests:,}" in total
    content = next(line for line in lines if "GET /api/content/{id}" in line)
    assert "%" not in content  # no failures: no rate shown


def test_summary_line_says_how_it_was_measured() -> None:
    run = _run()
    text = _text(render_run(run))
    assert f"{run.duration_s:.1f}s against {run.host} (closed model)" in text
    assert "errors:" not in text and "PARTIAL RUN" not in text and "GENERATOR-BOUND" not in text


def test_errors_partial_runs_saturation_and_warnings_each_get_a_line() -> None:
    run = _run(
        failure_rate=0.1,
        failure_kind="http_503",
        generator=GeneratorInfo(processes=1, cpu_percent_mean=97.0, cpu_percent_max=100.0, saturated=True),
    )
    run = run.model_copy(
        update={
            "complete": False,
            "stop_reason": "interrupted (Ctrl-C)",
            "warnings": ["few samples"],
            "warmup_s": 2.0,
        }
    )
    text = _text(render_run(run))
    assert f"errors: http_503: {run.total.errors['http_503']}" in text
    assert "PARTIAL RUN: interrupted (Ctrl-C)" in text
    assert "GENERATOR-BOUND: the load generator saturated its CPU" in text
    assert "warning: few samples" in text
    assert "(the first 2.0 s not counted (warm-up))" in text
    assert "mean CPU 97% of a core" in text
