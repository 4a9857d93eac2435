"""Real servers for the telemetry tests: the instrumented apps of apps/ and a Prometheus server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: library → (module:app, server): the way each library's users typically serve it.
APPS = {
    "prometheus-fastapi-instrumentator": ("apps.fastapi_instrumentator_app:app", "uvicorn"),
    "starlette-exporter": ("apps.starlette_exporter_app:app", "uvicorn"),
    "prometheus-flask-exporter": ("apps.flask_exporter_app:app", "gunicorn"),
    "django-prometheus": ("apps.django_prometheus_app:application", "gunicorn"),
}


def app_command(library: str, port: int) -> list[str]:
    target, server = APPS[library]
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", target]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g}s")


def start(cmd: list[str], ready_url: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            cmd,
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(ready_url, proc)
    except RuntimeError:
        stop(proc)
        raise RuntimeError(f"{cmd[:4]} did not start: {log.read_text(errors='replace')[-1500:]}") from None
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if os.access("/usr/bin/prometheus", os.X_OK) else None
    )


def start_prometheus(binary: str, targets: list[str], workdir: Path) -> tuple[subprocess.Popen, str]:
    """A Prometheus of our own: temp config and storage, 1 s scrapes of ``targets`` as job "api"."""
    port = free_port()
    config = workdir / "prometheus.yml"
    listed = ", ".join(f'"{t}"' for t in targets)
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: api\n    static_configs: [{{targets: [{listed}]}}]\n",
        encoding="utf-8",
    )
    cmd = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    return start(cmd, url + "/-/ready", workdir / "prometheus.log"), url
