"""One number per quantity: one run (with its real analysis and a recommendation) rendered through
every view (terminal, Markdown, HTML, JSON, the loadtest's first lines and run table, the analysis
tree) shows each figure once, from one definition (issue 13)."""

from __future__ import annotations

import json
import re

import pytest

from scalectl.analysis import analyze_run
from scalectl.analysis.throughput import active_rps
from scalectl.models.analysis import flow_step_good, flow_step_mark, flow_step_title
from scalectl.report import html, json_report, markdown, terminal
from scalectl.report.analysis_term import render_analysis_text
from scalectl.report.first_lines import run_lines
from scalectl.report.fmt import capacity_rows, num, throughput
from scalectl.report.html import step_label
from scalectl.report.model import ReportInput
from scalectl.report.run_term import render_run
from tests.report import samples


@pytest.fixture(scope="module")
def item() -> ReportInput:
    run = samples.run_item(seed=11, run_id="one-number", telemetry=samples.telemetry())
    run = run.model_copy(update={"warmup_s": 1.9, "scenario": {"load": {"warmup": 1.0}}})
    rec = samples.recommendation().model_copy(update={"predicted_capacity_rps": 288.0, "needed_replicas": 5})
    return ReportInput(run=run, analysis=analyze_run(run), recommendation=rec)


@pytest.fixture(scope="module")
def views(item: ReportInput) -> dict[str, str]:
    from rich.console import Console

    console = Console(width=160, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(render_run(item.run))
    return {
        "terminal": terminal.render([item], width=160),
        "markdown": markdown.render([item]),
        "html": html.render([item]),
        "first lines": "\n".join(run_lines(item.run, item.analysis, "reports/runs/one-number")),
        "run table": console.export_text(),
    }


def test_throughput_is_one_figure_everywhere(item: ReportInput, views: dict[str, str]) -> None:
    figure = throughput(item.run)
    assert figure == f"{num(active_rps(item.run))} req/s"
    for name in ("terminal", "markdown", "html", "first lines"):
        assert figure in views[name], name
    # the analysis calls it "achieved": the same quantity, from the same definition
    assert item.analysis is not None
    assert item.analysis.achieved_rps == pytest.approx(active_rps(item.run), rel=1e-9)
    tree = render_analysis_text(item.analysis, width=160)
    achieved = re.search(r"([\d.,]+) req/s achieved", tree)
    assert achieved and float(achieved[1].replace(",", "")) == pytest.approx(active_rps(item.run), rel=1e-3)
    data = json.loads(json_report.render([item]))
    assert data["analysis"]["achieved_rps"] == pytest.approx(active_rps(item.run), rel=1e-9)
    assert data["throughput_rps"] == pytest.approx(active_rps(item.run), rel=1e-9)
    # the tables' req/s column is the same quantity: its Total row is the throughput
    table_total = next(ln for ln in views["run table"].splitlines() if ln.startswith("│ Total"))
    assert f"│ {num(active_rps(item.run))} │" in table_total, table_total
    assert f"| **Total** | {item.run.total.requests:,} |" in views["markdown"]
    total_row = next(ln for ln in views["markdown"].splitlines() if ln.startswith("| **Total** |"))
    assert f"| {num(active_rps(item.run))} |" in total_row


def test_flowchart_marks_agree_between_terminal_markdown_and_html(item: ReportInput, views) -> None:
    assert item.analysis is not None
    questions = [st for st in item.analysis.path if flow_step_good(st.step, st.outcome) is not None]
    assert questions
    for step in questions:
        mark = flow_step_mark(step.step, step.outcome)
        assert f"{mark} **{step.step}**" in views["markdown"]
        assert f"{mark} {flow_step_title(step.step)}:" in views["terminal"]
        good = "ok" if flow_step_good(step.step, step.outcome) else "bad"
        assert f'<div class="step {good}"><div class="step-name">{step_label(step.step)}' in views["html"]
    md_marks = re.findall(r"^1\. (\S) \*\*(\w+)\*\*", views["markdown"], re.M)
    assert md_marks and all(m == flow_step_mark(s, o) for (m, s), o in zip(
        md_marks, [st.outcome for st in item.analysis.path], strict=True))  # fmt: skip


def test_capacity_shows_before_and_after_the_utilization_target_in_every_view(item, views) -> None:
    rec = item.recommendation
    assert rec is not None and rec.predicted_capacity_rps
    rows = dict(capacity_rows(rec))
    usable = num(rec.predicted_capacity_rps * rec.utilization_target)
    assert (
        rows["Predicted capacity"]
        == f"288.0 req/s on 5 replicas; {usable} usable at the 70% utilization target"
    )
    for name in ("terminal", "markdown", "html"):
        for value in rows.values():
            assert value in views[name], (name, value)


def test_warm_up_says_whole_seconds_where_it_left_out_more_than_asked(views) -> None:
    text = "the first 1.9 s not counted (warm-up 1 s asked, counted from the next whole second)"
    for name in ("terminal", "markdown", "html"):
        assert text in views[name], name
    assert "1.9 s not counted" in views["run table"]


def test_the_slo_verdict_is_one_on_every_view(item: ReportInput, views: dict[str, str]) -> None:
    # a per-endpoint view of an overall SLO (here error_rate on the SEO route) is shown, not judged
    assert item.analysis is not None and item.analysis.performance_ok
    assert any(r.ok is False and not r.counts for r in item.analysis.slo)
    assert "SLOs met" in views["terminal"] and "SLOs met" in views["markdown"] and "SLOs met" in views["html"]
    assert views["first lines"].startswith("result: SLO met: ")
