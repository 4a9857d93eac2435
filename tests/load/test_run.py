"""Real runs (a few seconds) through the CLI against a toy target: counts, schema, failures, interrupts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scalectl import histograms
from scalectl.cli.main import app
from scalectl.load.schema import SCHEMA_PATH
from scalectl.storage import load_run
from tests.load.conftest import ROOT, api_requests_counted

SCENARIO = Path(__file__).with_name("toy_scenario.yaml")


def _validate(run_dir: Path) -> dict:
    data = json.loads((run_dir / "run.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    return data


def test_loadtest_counts_match_the_target(toy_target: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(SCENARIO),
            "--host",
            toy_target,
            "--out",
            str(out),
            "--metrics-url",
            toy_target + "/metrics",
        ],
    )
    assert res.exit_code == 0, res.output
    _validate(out)
    run = load_run(out)
    assert run.complete
    assert run.total.requests > 20
    assert sum(e.requests for e in run.endpoints) == run.total.requests
    assert sum(e.failures for e in run.endpoints) == run.total.failures
    assert sum(s.requests for s in run.series) == run.total.requests
    # the target's own counter agrees with ours, request for request
    assert api_requests_counted(toy_target) == run.total.requests
    fail = run.endpoint("GET /api/fail")
    assert fail is not None and fail.failures == fail.requests and fail.errors == {"http_503": fail.requests}
    # histograms: the total is the exact merge of the endpoints
    merged = histograms.merge(e.histogram for e in run.endpoints)
    assert merged.get_total_count() == run.total.requests
    assert (out / "series.csv").read_text().count("\n") == len(run.series) + 1
    assert (out / "scenario.yaml").exists()
    assert "Total" in res.output
    # telemetry: the scrape and the generator process were sampled
    kinds = {(t.kind, t.role) for t in run.telemetry}
    assert ("prometheus", "target") in kinds and ("process", "generator") in kinds
    prom = next(t for t in run.telemetry if t.kind == "prometheus")
    assert any(
        k.startswith('http_requests_total{method="GET",route="/api/content/{cid}"') for k in prom.metrics
    )


def test_distinct_identity_per_user(toy_target: str, tmp_path: Path) -> None:
    from scalectl.pipeline import RunOptions, TargetOptions, run_load
    from scalectl.scenario import load_scenario

    sc = load_scenario(SCENARIO)
    opts = RunOptions(scenario=sc, target=TargetOptions(host=toy_target), out=tmp_path / "r", duration=1.0)
    run, _ = run_load(opts)
    assert run.total.requests > 0
    # the toy app answers 401 without a Bearer token: no 401 means every user sent one
    assert not any(k == "http_401" for k in run.total.errors)


def test_unreachable_target_is_exit_3(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["loadtest", str(SCENARIO), "--host", "http://127.0.0.1:9", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 3
    assert "127.0.0.1:9" in res.output and "unreachable" in res.output


def test_remote_host_refused_without_allow_remote(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["loadtest", str(SCENARIO), "--host", "http://192.0.2.1", "--out", str(tmp_path / "x")]
    )
    assert res.exit_code == 2
    assert "--allow-remote" in res.output


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_leaves_a_valid_partial_run(toy_target: str, tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "partial"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scalectl",
            "loadtest",
            str(SCENARIO),
            "--host",
            toy_target,
            "--duration",
            "30s",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while api_requests_counted(toy_target) < 20 and time.monotonic() < deadline:  # load is flowing
        time.sleep(0.3)
    time.sleep(1.0)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output.decode()
    data = _validate(out)
    assert data["complete"] is False
    assert data["stop_reason"] == f"interrupted ({sig.name})"
    assert data["total"]["requests"] > 0
    assert data["duration_s"] < 20


def test_users_own_locustfile_gets_scalectl_measurement(toy_target: str, tmp_path: Path) -> None:
    out = tmp_path / "lf"
    lf = Path(__file__).with_name("user_locustfile.py")
    res = CliRunner().invoke(
        app,
        ["loadtest", "--locustfile", str(lf), "--host", toy_target, "-u", "3", "-d", "4s", "--out", str(out)],
    )
    assert res.exit_code == 0, res.output
    run = load_run(out)
    _validate(out)
    assert run.load_model == "locustfile"
    keys = {e.key for e in run.endpoints}
    assert keys == {"GET /api/content/{id}", "GET /api/fail"}
    assert run.endpoint("GET /api/fail").errors == {"http_503": run.endpoint("GET /api/fail").requests}
    assert api_requests_counted(toy_target) == run.total.requests
    assert (out / "locustfile.py").exists()


def test_warmup_override_and_its_limits() -> None:
    from scalectl.errors import InputError
    from scalectl.pipeline.overrides import apply_overrides
    from scalectl.scenario import Scenario

    sc = Scenario.model_validate(
        {
            "name": "w",
            "requests": [{"path": "/x"}],
            "load": {"warmup": 3, "stages": [{"users": 1, "duration": 10}]},
        }
    )
    assert apply_overrides(sc, users=None, rps=None, duration=None, slo=[]).load.warmup == 3
    assert apply_overrides(sc, users=None, rps=5, duration=None, slo=[]).load.warmup == 3
    assert apply_overrides(sc, users=None, rps=5, duration=None, slo=[], warmup=1).load.warmup == 1
    # a --duration shorter than the scenario's warm-up drops the warm-up instead of failing
    assert apply_overrides(sc, users=2, rps=None, duration=2, slo=[]).load.warmup == 0
    with pytest.raises(InputError, match="--warmup"):
        apply_overrides(sc, users=None, rps=None, duration=None, slo=[], warmup=10)


def test_cli_warmup_too_long_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(ROOT / "scenarios" / "smoke.yaml"),
            "--host",
            "http://127.0.0.1:9",
            "-d",
            "5s",
            "--warmup",
            "5s",
            "--root",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2 and "--warmup (5s)" in result.output, result.output
