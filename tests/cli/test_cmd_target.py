"""scalectl target up/status/down through the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from scalectl import target
from scalectl.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
SMALL = ["--env", "SEED_CONTENT_ROWS=300"]


@pytest.mark.integration
def test_up_detach_status_down(tmp_path: Path) -> None:
    wd = ["--workdir", str(tmp_path)]
    r = runner.invoke(app, ["target", "up", "--replicas", "2", "--detach", *SMALL, *wd])
    assert r.exit_code == 0, r.output
    info = target.load_state(target.state_path(tmp_path))
    assert info is not None and len(info.replicas) == 2
    try:
        r = runner.invoke(app, ["target", "status", "--json", *wd])
        assert r.exit_code == 0, r.output
        status = json.loads(r.stdout)
        assert [rep["ready"] for rep in status["replicas"]] == [True, True]
        url = runner.invoke(app, ["target", "status", "--url", *wd])  # HOST=$(scalectl target status --url)
        assert url.exit_code == 0 and url.stdout == f"{info.url}\n", url.output
        again = runner.invoke(app, ["target", "up", "--detach", *wd])
        assert again.exit_code == 3 and "already running" in again.output
    finally:
        r = runner.invoke(app, ["target", "down", *wd])
    assert r.exit_code == 0, r.output
    assert not any(psutil.pid_exists(rep.pid) for rep in info.replicas)
    assert runner.invoke(app, ["target", "status", *wd]).exit_code == 3
    assert runner.invoke(app, ["target", "down", *wd]).exit_code == 0  # nothing to stop: fine


def test_bad_env_is_a_usage_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["target", "up", "--env", "NOEQUALS", "--workdir", str(tmp_path)])
    assert r.exit_code == 2 and "KEY=VALUE" in r.output


def test_missing_nginx_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(target, "find_nginx", lambda: None)
    r = runner.invoke(app, ["target", "up", "--lb", "nginx", "-r", "2", "--workdir", str(tmp_path)])
    assert r.exit_code == 3 and "nginx" in r.output


@pytest.mark.integration
def test_foreground_up_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    # PYTHONFAULTHANDLER: a hang is killed with SIGABRT, which dumps every thread's stack to stderr
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONFAULTHANDLER": "1"}
    cmd = [sys.executable, "-m", "scalectl", "target", "up", *SMALL, "--workdir", str(tmp_path)]
    # Ctrl-C as a terminal sends it: a test run started in the background (a non-interactive shell's
    # `cmd &`) has SIGINT ignored, and an ignored signal is inherited across exec
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        state = target.state_path(tmp_path)
        deadline = time.monotonic() + 60
        while not state.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        info = target.load_state(state)
        assert info is not None, proc.stderr.read() if proc.poll() is not None else "no state"
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _, err = proc.communicate(timeout=30)
            for r in info.replicas:  # leave nothing running
                with contextlib.suppress(ProcessLookupError):
                    os.kill(r.pid, signal.SIGKILL)
            pytest.fail(
                "target up did not stop within 30 s of Ctrl-C; its stacks:\n"
                + err.decode(errors="replace")[-6000:]
            )
        assert code == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not state.exists()
    assert not any(psutil.pid_exists(r.pid) for r in info.replicas)


def test_busy_port_exits_3(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = runner.invoke(
            app, ["target", "up", "--port", str(s.getsockname()[1]), "--workdir", str(tmp_path)]
        )
    assert r.exit_code == 3 and "busy" in r.output
