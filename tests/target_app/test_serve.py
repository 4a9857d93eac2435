"""The replica's entry point: uvicorn believes forwarded headers only from TRUSTED_PROXIES."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from target_app.config import Settings
from target_app.serve import proxy_settings
from tests.target_app.conftest import TEST_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_proxy_settings_follow_trusted_proxies() -> None:
    assert proxy_settings(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": None}
    s = Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1"})
    assert proxy_settings(s) == {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.0/8", "127.0.0.1"]}


@pytest.fixture
def replica(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    port_file = tmp_path / "port"
    env = {**os.environ, **TEST_ENV, **request.param, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.db"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "target_app.serve", "--private-port-file", str(port_file)],
        env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.integration
@pytest.mark.parametrize("replica", [{"RATE_LIMIT_GENERATE": "1/minute"}], indirect=True)
def test_spoofed_forwarded_for_from_loopback_is_ignored(replica: str) -> None:
    codes = [
        httpx.post(replica + "/api/content/generate", json={"topic": "spoof"},
                   headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10).status_code
        for i in range(3)
    ]  # fmt: skip
    assert codes == [201, 429, 429]  # one anonymous client: 127.0.0.1, whatever the header says


@pytest.mark.integration
@pytest.mark.parametrize(
    "replica", [{"RATE_LIMIT_GENERATE": "1/minute", "TRUSTED_PROXIES": "127.0.0.1"}], indirect=True
)
def test_forwarded_for_from_a_trusted_proxy_is_believed(replica: str) -> None:
    codes = [
        httpx.post(replica + "/api/content/generate", json={"topic": "proxied"},
                   headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10).status_code
        for i in (1, 2, 1)
    ]  # fmt: skip
    assert codes == [201, 201, 429]
