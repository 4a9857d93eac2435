"""The experiment's report: every view shows the same figures; `scalectl report EXP_DIR` renders it;
a finding that an experiment tried shows the result in the run's reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.gate import effect
from scalectl.models import Analysis, Finding
from scalectl.models.experiment import Experiment, ExperimentSettings
from scalectl.report import experiment as rep
from tests.factories import lognormal_latency, make_run

SETTINGS = ExperimentSettings(run_noise=0.0, run_noise_tail=0.0, resamples=100)


@pytest.fixture(scope="module")
def exp() -> Experiment:
    a = [make_run(endpoints={"GET /x": lognormal_latency(30)}, rps=40, seed=s) for s in (1, 2)]
    b = [make_run(endpoints={"GET /x": lognormal_latency(15)}, rps=80, seed=s) for s in (3, 4)]
    found, verdict, why = effect.judge(a, b, SETTINGS)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    return Experiment(
        experiment_id="exp-1", base_run_id="run-1", base_run_dir="reports/runs/run-1",
        scenario_name="s", target_kind="bundled", change={"DB_POOL_SIZE": "16"},
        before={"DB_POOL_SIZE": "1"}, duration_s=20, rounds=2, started_at=now, ended_at=now,
        effects=found, throughput_change=found[0], p95_change=found[2], verdict=verdict, reason=why,
        arms=[effect.arm_summary("A", "as recorded", a, found), effect.arm_summary("B", "x", b, found)],
        settings=SETTINGS,
    )  # fmt: skip


def test_every_view_shows_the_same_figures(exp: Experiment) -> None:
    assert exp.verdict == "improved"
    views = {name: rep.render(exp, name) for name in ("term", "md", "html")}
    for row in rep.table(exp):
        for cell in row[1:5]:
            for name, text in views.items():
                assert cell.replace("…", "&hellip;") in text or cell in text, (name, cell)
    for text in views.values():
        assert "IMPROVED" in text and "DB_POOL_SIZE=16" in text
    assert Experiment.model_validate_json(rep.render(exp, "json")) == exp


def test_the_verdict_comes_first_in_the_terminal(exp: Experiment) -> None:
    first = rep.render_term(exp).splitlines()[0]
    assert first.startswith("experiment DB_POOL_SIZE=16: IMPROVED")


def test_report_command_renders_an_experiment_directory(tmp_path: Path, exp: Experiment) -> None:
    storage.write_model(tmp_path / storage.EXPERIMENT_FILE, exp)
    runner = CliRunner()
    md = runner.invoke(app, ["report", str(tmp_path), "--format", "md"])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("### experiment DB_POOL_SIZE=16: IMPROVED")
    html = runner.invoke(app, ["report", str(tmp_path)])
    assert html.exit_code == 0, html.output
    assert "<table>" in (tmp_path / "report.html").read_text()


def test_a_tried_finding_shows_its_experiment_in_the_run_reports(exp: Experiment) -> None:
    from scalectl.report.analysis_term import render_analysis
    from scalectl.report.markdown import _analysis

    f = Finding(rule="db_pool_saturated", category="database", severity="high", confidence=0.9, title="t",
                action="raise the pool", change={"DB_POOL_SIZE": "16"})  # fmt: skip
    f.experiment, f.tested = exp, "confirmed"
    a = Analysis(run_id="run-1", performance_ok=False, findings=[f])
    line = rep.finding_line(exp, "confirmed")
    assert "[confirmed]" in line and rep.change(exp.throughput_change)[0] in line
    assert any(line in x for x in _analysis(a))
    from rich.console import Console

    console = Console(width=300, record=True)
    console.print(render_analysis(a))
    assert line in console.export_text()
