"""End to end on a service nobody on the team wrote: gunicorn with 2 sync workers and a 100 ms
handler, no /metrics, measured with `scalectl loadtest --host` on stairs of 1 to 8 users. The analysis
must name the concurrency limit (application) by Little's law from the client side alone, and must
not call the code slow at low load (issue 11)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app
from scalectl.models import RunResult

APPS = Path(__file__).with_name("apps")
HANDLER_MS = 100
WORKERS = 2

#: Stairs of 1, 2, 4 and 8 users in one run: throughput doubles from 1 to 2 users, then stays at
#: 2 workers / 0.1 s = 20 req/s while latency grows with the queue (8 users: ~400 ms).
SCENARIO = """\
version: 1
name: foreign-sync
slo: ["p95<250ms"]
think_time: 0s
requests:
  - path: /
    expect: [200]
load:
  model: closed
  stages:
    - {users: 1, spawn_rate: 100, duration: 4s}
    - {users: 2, spawn_rate: 100, duration: 4s}
    - {users: 4, spawn_rate: 100, duration: 4s}
    - {users: 8, spawn_rate: 100, duration: 4s}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gunicorn_app() -> Iterator[str]:
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gunicorn is not installed (dev extra)")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(APPS),
            "sync_wsgi:app",
        ],
        env={**os.environ, "HANDLER_MS": str(HANDLER_MS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_saturated_sync_workers_are_a_concurrency_limit_not_slow_code(
    gunicorn_app: str, tmp_path: Path
) -> None:
    sc = tmp_path / "foreign.yaml"
    sc.write_text(SCENARIO)
    out = tmp_path / "run"
    args = ["loadtest", str(sc), "--host", gunicorn_app, "--out", str(out), "--no-report"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    run = RunResult.model_validate_json((out / "run.json").read_text())
    analysis = json.loads((out / "analysis.json").read_text())
    levels = [(u, round(sum(iv.requests for iv in run.series if iv.users == u) / 4, 1)) for u in (1, 2, 4, 8)]
    rules = [f["rule"] for f in analysis["findings"]]
    assert rules and rules[0] == "app_concurrency_limit", (levels, analysis["summary"])
    assert "code_slow_at_low_load" not in rules, analysis["summary"]
    top = analysis["findings"][0]
    assert top["category"] == "application" and "add workers or replicas" in top["action"]
    little = next(e for e in top["evidence"] if e["metric"].startswith("Little's law"))
    assert 1.4 <= little["observed"] <= 2.8, (little, levels)  # 2 sync workers
    assert "CPU not measured" in top["title"]  # --host: no process telemetry, client side only
    # the advice is generic: nothing of the bundled backend for a service that has none of it
    text = json.dumps(analysis)
    assert "REDIS_URL" not in text and "LLM_" not in text and "DB_POOL_SIZE" not in text


STEPPED = """\
version: 1
name: foreign-sync-steps
slo: ["p95<250ms"]
think_time: 0s
requests:
  - path: /
    expect: [200]
load:
  model: closed
  stages:
    - {users: 1, spawn_rate: 10, duration: 4s}
steps:
  users: [1, 2, 4, 8]
  duration: 5s
  spawn_rate: 100
  stop_after: 2
  warmup: 1s
"""


@pytest.mark.slow
def test_the_saturated_step_of_a_host_baseline_is_judged_within_its_sweep(
    gunicorn_app: str, tmp_path: Path
) -> None:
    """The issue's own case: `scalectl baseline --host` on 2 sync workers; the last step (past the
    knee) was called "slow already at low load". Its analysis now names the concurrency limit."""
    sc = tmp_path / "steps.yaml"
    sc.write_text(STEPPED)
    args = ["baseline", "--scenario", str(sc), "--host", gunicorn_app, "--name", "w2", "--no-report"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b"), "--root", str(tmp_path / "reports")])
    assert res.exit_code == 0, res.output
    steps = json.loads((tmp_path / "b" / "w2.json").read_text())["steps"]
    seen = [(s["users"], round(s["rps"], 1), round(s["p95_ms"])) for s in steps]
    assert steps[-1]["users"] >= 4 and not steps[-1]["slo_ok"], seen
    analysis = json.loads((Path(steps[-1]["run_dir"]) / "analysis.json").read_text())
    rules = [f["rule"] for f in analysis["findings"]]
    assert rules and rules[0] == "app_concurrency_limit", (seen, analysis["summary"])
    assert "code_slow_at_low_load" not in rules, (seen, analysis["summary"])


CPU_BOUND = """\
version: 1
name: foreign-cpu
slo: ["p95<250ms"]
think_time: 0s
target:
  command: {command}
  ready_path: /
  env: {{HASH_ROUNDS: "{rounds}"}}
requests:
  - path: /hash
    expect: [200]
load:
  model: closed
  stages:
    - {{users: 1, spawn_rate: 100, duration: 4s}}
    - {{users: 2, spawn_rate: 100, duration: 4s}}
    - {{users: 4, spawn_rate: 100, duration: 4s}}
"""


def test_a_cpu_bound_service_scalectl_started_is_named_cpu_bound_not_slow_code(tmp_path: Path) -> None:
    """A Starlette service on one uvicorn worker whose route computes (SHA-256 rounds), started by
    scalectl (the scenario's target: block), so its process tree is sampled: the analysis names the
    worker's CPU (application), not slow code and not an unexplained concurrency limit (issue 11)."""
    if shutil.which("uvicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("uvicorn is not installed")
    root = Path(__file__).resolve().parents[2]
    command = (
        f"{Path(sys.executable).parent / 'uvicorn'} --workers 1 --host 127.0.0.1 --port {{port}} "
        f"--no-access-log --app-dir {root} tests.services.asgi_plain:app"
    )
    sc = tmp_path / "cpu.yaml"
    sc.write_text(CPU_BOUND.format(command=json.dumps(command), rounds=40000))
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app, ["loadtest", str(sc), "--out", str(out), "--no-report", "--root", str(tmp_path)]
    )
    assert res.exit_code in (0, 1), res.output
    run = RunResult.model_validate_json((out / "run.json").read_text())
    assert any(ts.kind == "process" and ts.role == "target" for ts in run.telemetry)
    analysis = json.loads((out / "analysis.json").read_text())
    rules = [f["rule"] for f in analysis["findings"]]
    levels = [(u, round(sum(iv.requests for iv in run.series if iv.users == u) / 4, 1)) for u in (1, 2, 4)]
    assert rules and rules[0] in ("app_cpu_saturated", "app_concurrency_limit"), (levels, analysis["summary"])
    top = analysis["findings"][0]
    assert top["category"] == "application", analysis["summary"]
    assert "CPU" in top["title"], top["title"]
    if top["rule"] == "app_concurrency_limit":
        # one worker on a 2-core host: the tree has cores to spare, its one process has none
        assert "busiest process" in top["title"] and "computes" in top["title"], top["title"]
    assert not any(r.startswith("code_") for r in rules), analysis["summary"]
    assert "CPU not measured" not in json.dumps(analysis)
