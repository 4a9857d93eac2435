"""Telemetry from a Prometheus server: option handling, the query_range → TelemetrySeries conversion,
and the whole path against a REAL Prometheus (Debian package ``prometheus``; .ci/run installs it)
scraping two replicas of a real instrumented app every second."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from scalectl.analysis.signals import build_signals
from scalectl.cli.main import app
from scalectl.errors import InputError, TargetError
from scalectl.load.schema import SCHEMA_PATH
from scalectl.storage import load_run
from scalectl.telemetry.promserver import PrometheusServer, from_options, normalize_selector
from tests.telemetry import servers

SCENARIO = """\
version: 1
name: prom-{name}
requests:
  - path: /items/{{id}}
    params: {{id: {{range: [1, 50]}}}}
load:
  model: closed
  stages: [{{users: 2, spawn_rate: 10, duration: {duration}}}]
"""


@pytest.mark.parametrize(
    ("given", "selector"),
    [
        ('job="api"', '{job="api"}'),
        (' {job="api", instance=~"10.*"} ', '{job="api", instance=~"10.*"}'),
        ('http_requests_total{job="api"}', 'http_requests_total{job="api"}'),
        ("up", "up"),
    ],
)
def test_selector_forms(given: str, selector: str) -> None:
    assert normalize_selector(given) == selector


@pytest.mark.parametrize(
    ("url", "selector", "message"),
    [
        ("http://p:9090", None, "needs --prometheus-selector"),
        (None, 'job="a"', "needs --prometheus-url"),
        ("p:9090", 'job="a"', "not an http"),
        ("http://p:9090", "  ", "empty"),
    ],
)
def test_options_are_checked(url: str | None, selector: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        from_options(url, selector)


def test_no_options_no_source() -> None:
    assert from_options(None, None) is None


def test_range_result_becomes_one_series_per_instance() -> None:
    src = PrometheusServer("http://p:9090/", 'job="api"')
    src._result = [
        {
            "metric": {"__name__": "http_requests_total", "job": "api", "instance": "a:1", "status": "2xx"},
            "values": [[100.0, "1"], [101.0, "5"], [102.0, "9"]],
        },
        {
            "metric": {"__name__": "process_resident_memory_bytes", "job": "api", "instance": "a:1"},
            "values": [[101.0, "NaN"], [102.0, "2e6"]],
        },
        {"metric": {"__name__": "up", "job": "api", "instance": "b:1"}, "values": [[100.0, "1"]]},
    ]
    out = {s.source: s for s in src.series(t0=100.0)}
    assert sorted(out) == ["a:1", "b:1"]
    a = out["a:1"]
    assert (a.kind, a.role, a.t) == ("prometheus", "target", [0.0, 1.0, 2.0])
    assert a.metrics == {
        'http_requests_total{status="2xx"}': [1.0, 5.0, 9.0],
        "process_resident_memory_bytes": [None, None, 2e6],
    }
    assert out["b:1"].metrics == {"up": [1.0]}


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{servers.free_port()}"


def test_unreachable_prometheus_is_exit_3_before_any_load(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO.format(name="x", duration="2s"))
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(sc),
            "--host",
            _closed_port_url(),
            "--out",
            str(tmp_path / "run"),
            "--prometheus-url",
            _closed_port_url(),
            "--prometheus-selector",
            'job="api"',
        ],
    )
    assert res.exit_code == 3, res.output
    assert "Prometheus at http://127.0.0.1:" in res.output and "unreachable" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "run").exists()
    with pytest.raises(TargetError):
        PrometheusServer(_closed_port_url(), 'job="api"').check()


def test_selector_without_url_is_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["baseline", "--host", "http://127.0.0.1:9", "--prometheus-selector", 'job="api"']
    )
    assert res.exit_code == 2, res.output
    assert "needs --prometheus-url" in res.output


@pytest.fixture(scope="module")
def prometheus_with_replicas(tmp_path_factory: pytest.TempPathFactory):
    binary = servers.prometheus_binary()
    if binary is None:
        pytest.skip("the 'prometheus' binary is not installed (apt-get install prometheus; .ci/run does)")
    work = tmp_path_factory.mktemp("prom")
    procs, replicas = [], []
    try:
        for i in range(2):
            port = servers.free_port()
            base = f"http://127.0.0.1:{port}"
            cmd = servers.app_command("prometheus-fastapi-instrumentator", port)
            procs.append(servers.start(cmd, base + "/metrics", work / f"replica-{i}.log"))
            replicas.append(f"127.0.0.1:{port}")
        prom, url = servers.start_prometheus(binary, replicas, work)
        procs.append(prom)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # both replicas scraped at least once
            data = httpx.get(url + "/api/v1/query", params={"query": 'up{job="api"} == 1'}).json()
            if len(data["data"]["result"]) == 2:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"Prometheus did not scrape both replicas: {(work / 'prometheus.log').read_text()}")
        yield url, replicas
    finally:
        for p in reversed(procs):
            servers.stop(p)


def test_run_reads_its_replicas_from_a_real_prometheus(prometheus_with_replicas, tmp_path: Path) -> None:
    url, (loaded, idle) = prometheus_with_replicas
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO.format(name="two", duration="5s"))
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(sc),
            "--host",
            f"http://{loaded}",
            "--out",
            str(out),
            "--no-report",
            "--prometheus-url",
            url,
            "--prometheus-selector",
            'job="api"',
        ],
    )
    assert res.exit_code == 0, res.output
    jsonschema.validate(json.loads((out / "run.json").read_text()), json.loads(SCHEMA_PATH.read_text()))
    run = load_run(out)
    prom = {s.source: s for s in run.telemetry if s.kind == "prometheus"}
    assert sorted(prom) == sorted([loaded, idle])  # one series per instance
    assert all(s.role == "target" and s.url == f'{url} {{job="api"}}' for s in prom.values())
    assert not run.warnings
    sig = build_signals(run)
    assert sig.conventions[loaded] == ("prometheus-fastapi-instrumentator",)
    a, b = sig.replicas[loaded], sig.replicas[idle]
    busy = sig.steady(0.5)
    server_rps = float(np.nanmean(a.loc[busy, "http_rps"]))
    # what the server counted per second matches what the client sent (plus Prometheus's 1/s scrape)
    assert server_rps == pytest.approx(run.total.rps + 1.0, rel=0.3)
    assert float(np.nanmean(b.loc[busy, "http_rps"])) < 2.0  # the idle replica: only its scrapes
    assert float(np.nanmean(a.loc[busy, "http_latency_mean_s"])) > 0.015  # the 20 ms handler
    assert "cpu_percent" in a.columns and "rss_bytes" in a.columns  # process_* of each replica
    assert sig.cpu_from == "prometheus"


def test_selector_matching_nothing_is_a_warning(prometheus_with_replicas, tmp_path: Path) -> None:
    url, (loaded, _) = prometheus_with_replicas
    sc = tmp_path / "s.yaml"
    sc.write_text(SCENARIO.format(name="none", duration="2s"))
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "loadtest",
            str(sc),
            "--host",
            f"http://{loaded}",
            "--out",
            str(out),
            "--no-report",
            "--prometheus-url",
            url,
            "--prometheus-selector",
            'job="no-such-job"',
        ],
    )
    assert res.exit_code == 0, res.output
    run = load_run(out)
    assert run.total.requests > 0
    assert not [s for s in run.telemetry if s.kind == "prometheus"]
    assert any('{job="no-such-job"} matched no series' in w for w in run.warnings), run.warnings


def test_server_errors_are_told_apart(prometheus_with_replicas) -> None:
    url, (replica, _) = prometheus_with_replicas
    with pytest.raises(InputError, match="bad_data"):  # a selector Prometheus cannot parse: exit 2
        PrometheusServer(url, "job=api").check()
    with pytest.raises(TargetError, match="without a Prometheus API response"):  # not a Prometheus: exit 3
        PrometheusServer(f"http://{replica}", 'job="api"').check()
    src = PrometheusServer(url, 'job="api"', step=0.5)
    src.check()
    assert src.step == 1.0  # raised to the targets' scrape interval, as the server reports it
