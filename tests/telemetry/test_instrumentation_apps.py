"""Each common instrumentation library, in a real app served for real: scalectl reads request rate,
latency and status classes from its /metrics without any configuration (analysis/conventions.py)."""

from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from scalectl.analysis.signals import build_signals, histogram_quantile
from scalectl.telemetry import PrometheusSource, TelemetrySampler
from tests.factories import make_run
from tests.telemetry import servers

MODULES = {
    "prometheus-fastapi-instrumentator": "prometheus_fastapi_instrumentator",
    "starlette-exporter": "starlette_exporter",
    "prometheus-flask-exporter": "prometheus_flask_exporter",
    "django-prometheus": "django_prometheus",
}
#: the route label value each library gives the /items/<id> route (its own template or view name)
ITEM_ROUTE = {
    "prometheus-fastapi-instrumentator": "/items/{item_id}",
    "starlette-exporter": "/items/{item_id:int}",
    "django-prometheus": "item",
    "prometheus-flask-exporter": None,  # its request counter has no path label
}
#: per round: 4 × 200 (20 ms each), 1 × 404, 1 × 500
ROUND = [("/items/1", 200)] * 2 + [("/items/2", 200)] * 2 + [("/missing", 404), ("/boom", 500)]


def _drive(base: str, seconds: float) -> dict[int, int]:
    sent: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            for path, status in ROUND:
                assert client.get(path).status_code == status
                sent[status] = sent.get(status, 0) + 1
    return sent


@pytest.mark.parametrize("library", list(MODULES))
def test_interpreter_reads_a_real_app_of_each_library(library: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(MODULES[library]) is None:
        pytest.skip(f"{library} is not installed (pip install -e '.[dev]' installs it)")
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = servers.start(servers.app_command(library, port), base + "/metrics", tmp_path / "app.log")
    try:
        src = PrometheusSource(source="replica-0", url=base + "/metrics")
        sampler = TelemetrySampler([src], [], interval=0.25)
        t0 = time.time()
        sampler.start()
        time.sleep(0.6)  # samples before the traffic: the counters' starting point
        sent = _drive(base, 3.0)
        time.sleep(0.6)
        sampler.stop()
    finally:
        servers.stop(proc)
    assert not src.errors, src.errors
    run = make_run(seconds=math.ceil(time.time() - t0) + 1, telemetry=sampler.series(t0))
    sig = build_signals(run)
    assert sig.conventions["replica-0"] == (library,)
    df = sig.replicas["replica-0"]
    total = sum(sent.values())
    scrapes = len(src.times)  # some libraries count their own /metrics responses (200s) too
    # request rate: the per-second rates add up to the requests sent, per status class, whether the
    # library groups statuses ("2xx") or not ("200")
    rps = df["http_rps"]
    assert 0.9 * total <= rps.sum() <= 1.1 * (total + scrapes)
    assert 0.9 * sent[200] <= df["http_2xx_rps"].sum() <= 1.1 * (sent[200] + scrapes)
    assert df["http_4xx_rps"].sum() == pytest.approx(sent[404], rel=0.1)
    assert df["http_5xx_rps"].sum() == pytest.approx(sent[500], rel=0.1)
    assert rps.max() > 0.5 * total / 3.0  # a rate per second, not a count
    # latency: the handler sleeps 20 ms on 4 requests in 6; the others return at once
    loaded = df["http_duration_rps"] > 0
    mean = float(
        np.average(df.loc[loaded, "http_latency_mean_s"], weights=df.loc[loaded, "http_duration_rps"])
    )
    assert 0.4 * (4 / 6) * 0.020 < mean < 0.2
    p95 = histogram_quantile(0.95, sig.http_duration_buckets["replica-0"])
    assert p95 is not None and 0.015 < p95 < 0.5
    route = ITEM_ROUTE[library]
    if route is not None:  # the route label, under the library's own label name
        assert df[f"http_route_rps[{route}]"].sum() == pytest.approx(sent[200], rel=0.1)
