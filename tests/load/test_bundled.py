"""Real runs against the bundled target (target_app via scalectl.target), through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app
from scalectl.load.schema import SCHEMA_PATH
from scalectl.storage import load_baseline, load_run
from tests.load.conftest import ROOT, api_requests_counted

target = pytest.importorskip("scalectl.target", reason="the bundled target is not merged in yet")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    workdir = tmp_path_factory.mktemp("target")
    with target.running_target(replicas=1, workdir=workdir, env={"SEED_CONTENT_ROWS": "2000"}) as info:
        yield info


def test_smoke_against_the_bundled_target(bundled, tmp_path: Path) -> None:
    out = tmp_path / "smoke"
    before = api_requests_counted(bundled.url)
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(ROOT / "scenarios" / "smoke.yaml"),
            "--host",
            bundled.url,
            "--duration",
            "4s",
            "--out",
            str(out),
            "--metrics-url",
            bundled.replicas[0].metrics_url,
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((out / "run.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    run = load_run(out)
    assert run.complete and run.total.requests > 10
    assert sum(e.requests for e in run.endpoints) == run.total.requests
    # the target's own http_requests_total (API routes; /metrics and /health excluded) agrees exactly
    assert api_requests_counted(bundled.url) - before == run.total.requests
    assert run.total.failures == 0, run.total.errors
    prom = [t for t in run.telemetry if t.kind == "prometheus"]
    assert prom and any(k.startswith("http_requests_total{") for k in prom[0].metrics)
    # the run is analyzed and reported without a second command
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["run_id"] == run.run_id and isinstance(analysis["performance_ok"], bool)
    assert (out / "report.html").stat().st_size > 100_000
    # three lines first: the result, what limits it, the next command (the tree is --verbose's)
    first = [ln for ln in res.output.splitlines() if not ln.startswith("smoke:")][:3]
    assert [ln.split(":", 1)[0] for ln in first] == ["result", "limit", "next"], res.output


@pytest.mark.slow
def test_baseline_replica_sweep_writes_one_file_per_count(tmp_path: Path) -> None:
    sc = tmp_path / "steps.yaml"
    sc.write_text(
        (ROOT / "scenarios" / "baseline.yaml")
        .read_text()
        .replace("users: [2, 4, 8, 16, 32, 64]", "users: [2, 4]")
        .replace("duration: 7s", "duration: 2s")
    )
    res = CliRunner().invoke(
        app,
        [
            "baseline",
            "--scenario",
            str(sc),
            "--replicas",
            "1,2",
            "--name",
            "sweep",
            "--out",
            str(tmp_path / "b"),
            "--root",
            str(tmp_path / "r"),
        ],
    )
    assert res.exit_code == 0, res.output
    for n in (1, 2):
        b = load_baseline(tmp_path / "b" / f"sweep-r{n}.json")
        assert b.replicas == n and b.steps and b.steps[0].run.environment.replicas == n
