"""Runs through the pipeline on services scalectl did not write: a gunicorn sync-worker app started with
--target-cmd (recorded, logged, watched per process, stopped on Ctrl-C), an external --host with its
declared replicas, and a locustfile with a LoadTestShape."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app
from scalectl.storage import load_run
from scalectl.target_command import start_command, stop_command

pytest.importorskip("gunicorn", reason="gunicorn (dev extra) is missing")
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHAPE = Path(__file__).with_name("shape_locustfile.py")
SCENARIO = """\
name: svc
requests: [{path: /work}]
load: {stages: [{users: 2, duration: 3s}]}
"""


def gunicorn(tag: str) -> str:
    app_ = "tests.services.wsgi_sleep:app"
    return f"{sys.executable} -m gunicorn -n {tag} -w {{replicas}} -b 127.0.0.1:{{port}} {app_}"


def tagged(tag: str) -> list[int]:
    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if tag in " ".join(p.info["cmdline"] or []) and p.info["status"] != psutil.STATUS_ZOMBIE:
            out.append(p.pid)
    return out


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "svc.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gunicorn app the user runs themselves (scalectl only gets its URL)."""
    log = tmp_path_factory.mktemp("ext") / "gunicorn.log"
    t = start_command(gunicorn("ext-" + uuid.uuid4().hex[:8]), log=log, replicas=2, cwd=str(ROOT))
    try:
        yield t.url
    finally:
        stop_command(t)


def test_target_cmd_run_records_logs_and_watches_the_service(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    tag = "svc-" + uuid.uuid4().hex[:8]
    out = tmp_path / "run"
    args = ["loadtest", str(scenario), "--target-cmd", gunicorn(tag), "--replicas", "2", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--no-report"])
    assert res.exit_code == 0, res.output
    run = load_run(out)
    assert run.total.requests > 0 and run.total.failures == 0
    assert run.target is not None and run.target.kind == "command" and run.target.replicas == 2
    assert run.target.command == gunicorn(tag) and run.target.port and run.host == run.target.url
    assert run.environment.replicas == 2
    assert "Booting worker" in (out / "target.log").read_text()
    (tree,) = [s for s in run.telemetry if s.role == "target" and s.kind == "process"]
    assert max(v for v in tree.metrics["processes"] if v) >= 3  # shell/master + 2 workers
    workers = [k for k in tree.metrics if k.startswith("rss_bytes{pid=")]
    assert len(workers) >= 3
    assert tagged(tag) == [], "the service is stopped after the run"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_the_run_and_leaves_no_process(
    sig: signal.Signals, scenario: Path, tmp_path: Path
) -> None:
    tag = "sig-" + uuid.uuid4().hex[:8]
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "scalectl", "loadtest", str(scenario), "--target-cmd", gunicorn(tag)]
    proc = subprocess.Popen(
        [*cmd, "--replicas", "2", "--duration", "60s", "--out", str(out), "--no-report"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while len(tagged(tag)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    seen = tagged(tag)
    assert len(seen) >= 3, "the service started"
    time.sleep(4.0)  # load is flowing
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 130, output.decode()
    assert tagged(tag) == [], "nothing of the service is left running"
    data = json.loads((out / "run.json").read_text())
    assert data["complete"] is False and data["target"]["kind"] == "command"


@pytest.mark.parametrize("replicas", [None, 3])
def test_replicas_with_host_is_recorded(
    replicas: int | None, external: str, scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    extra = ["--replicas", str(replicas)] if replicas else []
    res = CliRunner().invoke(
        app, ["loadtest", str(scenario), "--host", external, *extra, "--out", str(out), "--no-report"]
    )
    assert res.exit_code == 0, res.output
    run = load_run(out)
    assert run.target is not None and run.target.kind == "external" and run.target.url == external
    assert run.environment.replicas == replicas and run.target.replicas == replicas


def test_a_replica_sweep_behind_host_is_refused(external: str, scenario: Path) -> None:
    res = CliRunner().invoke(app, ["baseline", "-s", str(scenario), "--host", external, "--replicas", "1,2"])
    assert res.exit_code == 2 and "--target-cmd" in res.output


def test_load_test_shape_runs_without_users_and_duration_caps_it(external: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            "--locustfile",
            str(SHAPE),
            "--host",
            external,
            "-d",
            "4s",
            "--out",
            str(out),
            "--no-report",
        ],
    )
    assert res.exit_code == 0, res.output
    run = load_run(out)
    assert run.complete and run.total.requests > 0
    assert run.duration_s < 10, "--duration capped the 40-s shape"
    assert max(s.users for s in run.series) == 2  # the shape's first stage set the users


def test_gate_starts_the_service_too(scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    tag = "gate-" + uuid.uuid4().hex[:8]
    args = ["gate", str(scenario), "--target-cmd", gunicorn(tag), "--root", str(tmp_path)]
    res = CliRunner().invoke(app, [*args, "-t", "error_rate<1%", "-t", "p95<1ms"])
    assert res.exit_code == 1, res.output  # the service answered; p95 < 1 ms cannot hold at 100 ms
    assert "p95<1ms" in res.output
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if p.name != "latest"]  # runs/latest: a link
    assert load_run(run_dir).target.kind == "command"
    assert tagged(tag) == []
