"""Fixtures for load tests: a tiny FastAPI target (tests/load/toyapp.py) on a free port, stopped after.

When the bundled target (scalectl.target) is available, ``bundled_target`` gives it instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

TOYAPP = Path(__file__).with_name("toyapp.py")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_toy(env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(TOYAPP), str(port)],
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("toy target did not start")


def stop_toy(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def toy_target() -> Iterator[str]:
    proc, url = start_toy()
    try:
        yield url
    finally:
        stop_toy(proc)


@pytest.fixture
def toy_factory() -> Iterator:
    procs: list[subprocess.Popen] = []

    def make(env: dict[str, str]) -> str:
        proc, url = start_toy(env)
        procs.append(proc)
        return url

    try:
        yield make
    finally:
        for p in procs:
            stop_toy(p)


def api_requests_counted(url: str) -> int:
    """Sum of the target's own http_requests_total over /api routes (scrapes and health excluded)."""
    from scalectl.telemetry.prometheus import parse_metrics

    values = parse_metrics(httpx.get(url + "/metrics", timeout=5).text)
    return int(
        sum(v for k, v in values.items() if k.startswith("http_requests_total{") and 'route="/api' in k)
    )
