"""The telemetry sampler (``telemetry/sampler.py``): Prometheus scrapes and process samples, failures
recorded and never fatal, series aligned with the run's start."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest

from scalectl.telemetry.sampler import ProcessSource, PrometheusSource, TelemetrySampler


def _exposition(n: int) -> str:
    reg = CollectorRegistry()
    Counter("http_requests", "Requests.", ["status"], registry=reg).labels("200").inc(n)
    return generate_latest(reg).decode()


def _client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_scrapes_become_a_series_relative_to_the_run_start() -> None:
    counts = iter([3, 5])
    src = PrometheusSource(source="replica-0", url="http://t/metrics")
    with _client(lambda req: httpx.Response(200, text=_exposition(next(counts)))) as client:
        src.sample(client, 1000.0)
        src.sample(client, 1001.25)
    ts = src.series(t0=999.5)
    assert ts.kind == "prometheus" and ts.role == "target" and ts.url == "http://t/metrics"
    assert ts.t == [0.5, 1.75]
    assert ts.metrics['http_requests_total{status="200"}'] == [3.0, 5.0]
    assert ts.errors == []


def test_a_failed_scrape_is_recorded_and_sampling_goes_on() -> None:
    answers = iter([httpx.Response(500, text="boom"), httpx.Response(200, text=_exposition(1))])
    src = PrometheusSource(source="target", url="http://t/metrics")
    with _client(lambda req: next(answers)) as client:
        src.sample(client, 10.0)
        src.sample(client, 11.0)
    ts = src.series(t0=10.0)
    assert ts.t == [1.0]
    assert [e.t for e in ts.errors] == [0.0]
    assert "HTTPStatusError" in ts.errors[0].message


def test_metrics_that_appear_later_are_padded_with_none() -> None:
    texts = iter(["# TYPE a gauge\na 1\n", "# TYPE a gauge\na 2\n# TYPE b gauge\nb 9\n"])
    src = PrometheusSource(source="s", url="http://t/metrics")
    with _client(lambda req: httpx.Response(200, text=next(texts))) as client:
        src.sample(client, 0.0)
        src.sample(client, 1.0)
    assert src.series(0.0).metrics == {"a": [1.0, 2.0], "b": [None, 9.0]}


@pytest.fixture
def child_tree():
    """A Python process with one child (``sleep``): a tree to sum."""
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; subprocess.run(['sleep', '30'])"])
    deadline = time.monotonic() + 10
    import psutil

    while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield proc
    for c in psutil.Process(proc.pid).children(recursive=True):
        c.kill()
    proc.kill()
    proc.wait()


def test_a_process_tree_is_summed_and_each_process_recorded(child_tree) -> None:
    src = ProcessSource(source="target", pid=child_tree.pid, children=True, per_process=True)
    src.sample(100.0)
    src.sample(101.0)
    ts = src.series(t0=100.0)
    assert ts.kind == "process" and ts.pid == child_tree.pid
    assert ts.t == [0.0, 1.0]
    assert ts.metrics["processes"] == [2.0, 2.0]
    per_pid_rss = [k for k in ts.metrics if k.startswith("rss_bytes{pid=")]
    assert len(per_pid_rss) == 2
    total = ts.metrics["rss_bytes"][-1]
    assert total == pytest.approx(sum(ts.metrics[k][-1] for k in per_pid_rss))
    assert all(v >= 1 for v in ts.metrics["num_threads"])


def test_a_process_that_is_gone_is_an_error_not_a_sample() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    src = ProcessSource(source="gone", pid=proc.pid)
    src.sample(5.0)
    ts = src.series(t0=5.0)
    assert ts.t == []
    assert ts.errors[0].message == f"process {proc.pid} is gone"


def test_the_thread_samples_until_stopped_and_discovers_new_processes() -> None:
    own = ProcessSource(source="self", pid=os.getpid())
    calls = []

    def discover() -> list[ProcessSource]:
        calls.append(1)
        return [
            ProcessSource(source="again", pid=os.getpid()),
            ProcessSource(source="parent", pid=os.getppid()),
        ]

    sampler = TelemetrySampler([], [own], interval=0.1, discover=discover).start()
    t0 = time.time()
    deadline = time.monotonic() + 10
    while len(own.times) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    n = len(own.times)
    assert n >= 3
    time.sleep(0.3)
    assert len(own.times) == n  # stopped means stopped
    assert [s.source for s in sampler.processes] == ["self", "parent"]  # a known pid is not added twice
    series = sampler.series(t0)
    assert [s.source for s in series] == ["self", "parent"]
    assert series[0].t == sorted(series[0].t)
    assert len(calls) == n
