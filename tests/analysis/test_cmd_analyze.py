from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.models import Analysis
from tests.analysis.helpers import base_run, counter, pool, prom, set_errors

runner = CliRunner()


@pytest.fixture
def db_run_dir(tmp_path: Path) -> Path:
    run = set_errors(base_run(latency_ms=1500.0), "http_503", 3)
    run.telemetry = [prom("r0", {**pool(checked_out=10), "db_pool_timeouts_total": counter(3.0)})]
    d = tmp_path / "runs" / run.run_id
    storage.write_model(d / storage.RUN_FILE, run)
    return d


def test_analyze_writes_analysis_json_and_prints_three_lines_first(db_run_dir: Path) -> None:
    result = runner.invoke(app, ["analyze", str(db_run_dir)])
    assert result.exit_code == 0, result.output
    a = Analysis.model_validate_json((db_run_dir / "analysis.json").read_text())
    assert not a.performance_ok and a.findings[0].category == "database"
    first = result.output.splitlines()[:3]
    assert first[0].startswith("result: SLO missed") and first[1].startswith(f"limit: {a.findings[0].title}")
    assert first[2].startswith("next: ") and "scalectl analyze reports/runs/latest" in first[2]
    assert "Database issue?" not in result.output  # the tree is --verbose's (and analysis.json's)
    assert "analysis.json" in result.output
    verbose = runner.invoke(app, ["analyze", str(db_run_dir), "--verbose"])
    for text in ("Performance OK?", "Database issue?", "Scale", "DB_POOL_SIZE", "analysis.json"):
        assert text in verbose.output


def test_analyze_accepts_run_json_path_and_slo(db_run_dir: Path) -> None:
    result = runner.invoke(
        app, ["analyze", str(db_run_dir / "run.json"), "--slo", "p95<10s", "--slo", "error_rate<50%"]
    )
    assert result.exit_code == 0, result.output
    a = storage.load_analysis(db_run_dir)
    assert a is not None
    assert {r.expression for r in a.slo} == {"p95<10s", "error_rate<50%"}


def test_analyze_json_output(db_run_dir: Path) -> None:
    result = runner.invoke(app, ["analyze", str(db_run_dir), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["performance_ok"] is False and data["findings"][0]["category"] == "database"


def test_analyze_healthy_run_exits_0(tmp_path: Path) -> None:
    storage.write_model(tmp_path / "run.json", base_run())
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 0
    assert "continue normal operations" in result.output
    assert storage.load_analysis(tmp_path).performance_ok  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "no such run"),
        (lambda d: (d.mkdir(), (d / "run.json").write_text("{not json")), "not valid JSON"),
        (lambda d: (d.mkdir(), (d / "run.json").write_text('{"run_id": 1}')), "not a valid run"),
    ],
)
def test_bad_run_dir_exits_2(tmp_path: Path, setup, message: str) -> None:
    d = tmp_path / "run"
    setup(d)
    result = runner.invoke(app, ["analyze", str(d)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_slo_exits_2_and_writes_nothing(db_run_dir: Path) -> None:
    result = runner.invoke(app, ["analyze", str(db_run_dir), "--slo", "p95<<3"])
    assert result.exit_code == 2
    assert "invalid threshold" in result.output
    assert not (db_run_dir / "analysis.json").exists()


def test_help_explains_options() -> None:
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
    assert "--slo" in result.output and "--json" in result.output


def test_a_baseline_step_is_analysed_within_its_sweep(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from scalectl.models import Baseline, BaselineStep, TargetSpec
    from tests.analysis.helpers import service_sweep

    runs = service_sweep([1, 2, 4, 8], target=TargetSpec(kind="external"), cpu_ms_per_request=None)
    steps = [
        BaselineStep(
            index=i, users=u, rps=r.total.rps, p50_ms=0, p95_ms=0, p99_ms=0, error_rate=0, slo_ok=True, run=r
        )
        for i, (u, r) in enumerate(zip([1, 2, 4, 8], runs, strict=True))
    ]
    base = storage.write_model(
        tmp_path / "b.json",
        Baseline(name="b", scenario_name="s", created_at=datetime.now(UTC), steps=steps),
    )
    top = tmp_path / "top"
    storage.write_model(top / "run.json", runs[-1])
    alone = CliRunner().invoke(app, ["analyze", str(top), "--json"])
    assert alone.exit_code == 0, alone.output
    assert "app_concurrency_limit" not in alone.output  # one level: it cannot tell
    within = CliRunner().invoke(app, ["analyze", str(top), "--json", "--sweep", str(base)])
    assert within.exit_code == 0, within.output
    analysis = Analysis.model_validate_json(within.output)
    assert analysis.findings[0].rule == "app_concurrency_limit"
    bad = CliRunner().invoke(app, ["analyze", str(top), "--sweep", str(tmp_path / "nope.json")])
    assert bad.exit_code == 2
