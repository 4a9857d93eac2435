"""End to end: the bundled target put into known states by its knobs, loaded by the load engine,
analysed through the CLI. Each state must give the right top finding; the healthy run none.

Slow (a real load test of about 10 s each, plus target start-up): ``pytest -m slow tests/analysis``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SCENARIOS = Path(__file__).parent / "scenarios"
SMALL = {"SEED_CONTENT_ROWS": "2000"}

CASES = {
    "healthy": ({}, None),
    "db_bound": (
        {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0", "DB_SLOW_QUERY_MS": "50", "CACHE_ENABLED": "0"},
        ("database",),
    ),
    # CPU work on the event loop: the replica's CPU, or (on a host whose cores other processes keep
    # busy, where the replica cannot reach its full core) the loop lag it causes
    "cpu_bound": ({"SEO_CPU_WORK": "200"}, ("app_cpu_saturated", "app_event_loop_lag")),
    "rate_limited": ({"RATE_LIMIT_DEFAULT": "30/minute"}, ("app_rate_limited",)),
    "upstream_failing": ({"LLM_FAILURE_RATE": "1", "RATE_LIMIT_ENABLED": "0"}, ("app_breaker_open",)),
}


@pytest.fixture(scope="module")
def run_scenario():
    pytest.importorskip("scalectl.target", reason="the bundled target is not in this tree yet")
    from scalectl.pipeline import RunOptions, TargetOptions, run_load

    def run(scenario, *, root, host=None, target_env=None):
        target = TargetOptions(host=host, env=target_env or {})
        return run_load(RunOptions(scenario=scenario, root=root, target=target))

    return run


NGINX_CONF = """
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000;
    location / {{ return 200 "ok"; }} }}
}}
"""


@pytest.fixture
def fast_target(tmp_path: Path) -> Iterator[str]:
    """A target far faster than one Locust process (nginx answering ``return 200``), so the load
    generator, not the target, is the limit: the generator-bound state, made for sure."""
    import shutil
    import socket
    import subprocess
    import time

    import httpx

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx-light)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(d=tmp_path, port=port))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_generator_bound_run_says_so_first(run_scenario, fast_target: str, tmp_path: Path) -> None:
    run, run_dir = run_scenario(SCENARIOS / "generator_bound.yaml", root=tmp_path, host=fast_target)
    assert run.generator.saturated, run.generator
    result = CliRunner().invoke(app, ["analyze", str(run_dir)])
    assert result.exit_code == 0, result.output
    analysis = storage.load_analysis(run_dir)
    assert analysis is not None and not analysis.performance_ok
    assert analysis.findings[0].rule == "infra_generator_saturated"
    assert "cannot size anything" in analysis.findings[0].title


@pytest.mark.parametrize("state", list(CASES))
def test_known_state_gives_the_right_top_finding(state: str, run_scenario, tmp_path: Path) -> None:
    env, expected = CASES[state]
    run, run_dir = run_scenario(SCENARIOS / f"{state}.yaml", root=tmp_path, target_env={**SMALL, **env})
    assert run.total.requests > 0
    result = CliRunner().invoke(app, ["analyze", str(run_dir)])
    assert result.exit_code == 0, result.output
    analysis = storage.load_analysis(run_dir)
    assert analysis is not None
    summary = [(f.rule, f.severity, f.title) for f in analysis.findings]
    if expected is None:
        assert analysis.performance_ok, (analysis.summary, summary)
        assert analysis.findings == []
        assert "continue normal operations" in result.output
        return
    assert not analysis.performance_ok, summary
    assert analysis.telemetry_available
    top = analysis.findings[0]
    assert top.rule in expected or top.category in expected, (state, summary)
    assert top.action and top.verify
