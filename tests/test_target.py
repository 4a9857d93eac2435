"""scalectl.target: real replica processes (uvicorn), SO_REUSEPORT and nginx, draining, pinning, cleanup."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scalectl import target
from scalectl.errors import InputError, TargetError
from scalectl.target import ReplicaInfo, TargetInfo

SMALL = {"SEED_CONTENT_ROWS": "300", "LLM_LATENCY_SCALE": "0.01"}


def _route_count(metrics_url: str, route: str) -> float:
    text = httpx.get(metrics_url).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "http_requests_total" and s.labels.get("route") == route
    )


def _gauge(metrics_url: str, name: str) -> float:
    text = httpx.get(metrics_url).text
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


def _assert_gone(info: TargetInfo) -> None:
    pids = [r.pid for r in info.replicas] + ([info.lb_pid] if info.lb_pid else [])
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, pid


@pytest.mark.integration
def test_two_replicas_share_a_port_and_stop_cleanly(tmp_path: Path) -> None:
    info = target.start_target(replicas=2, env=SMALL, workdir=tmp_path)
    try:
        assert info.lb == "reuseport" and len(info.replicas) == 2 and info.lb_pid is None
        assert len({r.metrics_url for r in info.replicas}) == 2
        for _ in range(5):
            assert httpx.get(f"{info.url}/api/content/1").status_code == 200
        for r in info.replicas:  # each replica serves, and its metrics are its own
            assert httpx.get(f"{r.url}/api/content/2").status_code == 200
            assert _route_count(r.metrics_url, "/api/content/{id}") >= 1
        total = sum(_route_count(r.metrics_url, "/api/content/{id}") for r in info.replicas)
        assert total == 7
        assert info.env["DATABASE_URL"].endswith("alwrity.db")
    finally:
        target.stop_target(info)
    _assert_gone(info)


@pytest.mark.integration
def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    env = {**SMALL, "LLM_LATENCY_SCALE": "1.0", "LLM_SEED": "1"}  # generation takes 0.6-1.0 s
    info = target.start_target(env=env, workdir=tmp_path)
    result: dict[str, int] = {}

    def call() -> None:
        r = httpx.post(f"{info.url}/api/content/generate", json={"topic": "Draining"}, timeout=10)
        result["status"] = r.status_code

    t = threading.Thread(target=call)
    t.start()
    metrics = info.replicas[0].metrics_url
    deadline = time.monotonic() + 10
    while _gauge(metrics, "http_requests_in_flight") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until the request is in flight (this scrape is the other one)
    target.stop_target(info)
    t.join(10)
    assert result.get("status") == 201
    _assert_gone(info)


@pytest.mark.integration
def test_pinning(tmp_path: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    with target.running_target(replicas=2, cpus_per_replica=1, env=SMALL, workdir=tmp_path) as info:
        for i, r in enumerate(info.replicas):
            assert r.cpus == (cpus[i % len(cpus)],)
            assert psutil.Process(r.pid).cpu_affinity() == list(r.cpus)


def test_busy_port_is_a_target_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(TargetError, match="busy") as exc:
            target.start_target(port=s.getsockname()[1], workdir=tmp_path)
    assert exc.value.exit_code == 3


def test_missing_nginx_is_a_target_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(target, "find_nginx", lambda: None)
    with pytest.raises(TargetError, match="nginx is not installed"):
        target.start_target(lb="nginx", replicas=2, workdir=tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [{"replicas": 0}, {"lb": "haproxy"}, {"lb": "single", "replicas": 2}, {"cpus_per_replica": 999}],
)
def test_bad_arguments_are_input_errors(kwargs: dict, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        target.start_target(workdir=tmp_path, **kwargs)


@pytest.mark.integration
def test_a_replica_that_cannot_start_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="DB_POOL_SIZE"):
        target.start_target(env={"DB_POOL_SIZE": "zero"}, workdir=tmp_path, ready_timeout=20)


@pytest.mark.integration
def test_temporary_workdir_is_removed() -> None:
    with target.running_target(env=SMALL) as info:
        assert info.temp_workdir and info.workdir and Path(info.workdir).is_dir()
    assert not Path(info.workdir).exists()


@pytest.mark.integration
@pytest.mark.skipif(
    target.find_nginx() is None, reason="nginx is not installed (apt-get install nginx-light)"
)
def test_nginx_least_conn_in_front_of_two_replicas(tmp_path: Path) -> None:
    env = {**SMALL, "RATE_LIMIT_DEFAULT": "1/minute", "RATE_LIMIT_EXEMPT": "/api/content/{id}"}
    info = target.start_target(replicas=2, lb="nginx", env=env, workdir=tmp_path)
    try:
        assert info.lb == "nginx" and info.lb_pid is not None
        assert info.env["TRUSTED_PROXIES"] == "127.0.0.1"
        conf = (tmp_path / "nginx" / "nginx.conf").read_text()
        assert "least_conn;" in conf and "keepalive 128;" in conf
        with httpx.Client() as client:
            for i in range(10):
                assert client.get(f"{info.url}/api/content/{i + 1}").status_code == 200
        counts = [_route_count(r.metrics_url, "/api/content/{id}") for r in info.replicas]
        assert sum(counts) == 10 and all(c > 0 for c in counts), counts
        # nginx sends its peer's address, never a client-sent X-Forwarded-For: spoofing gains no budget
        # (1 request per replica for "ip:127.0.0.1"; honoured spoofs would be 3 users, all allowed)
        codes = [
            httpx.get(f"{info.url}/api/content", headers={"X-Forwarded-For": f"6.6.6.{i}"}).status_code
            for i in range(3)
        ]
        assert codes.count(200) <= 2 and 429 in codes, codes
    finally:
        target.stop_target(info)
    _assert_gone(info)
    assert not any(
        "nginx" in " ".join(p.info["cmdline"] or []) and str(tmp_path) in " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["cmdline"])
    )


def test_state_round_trips(tmp_path: Path) -> None:
    info = TargetInfo(
        url="http://127.0.0.1:1",
        replicas=(ReplicaInfo(0, 10, "http://127.0.0.1:2", "http://127.0.0.1:2/metrics", (0, 1)),),
        lb="single",
        lb_pid=None,
        env={"A": "1"},
        workdir=str(tmp_path),
    )
    path = target.state_path(tmp_path)
    target.save_state(info, path)
    assert target.load_state(path) == info
    path.write_text("{not json")
    with pytest.raises(TargetError, match="state file"):
        target.load_state(path)
    assert target.load_state(tmp_path / "absent.json") is None


def test_nginx_timeouts_exceed_the_slowest_call(tmp_path: Path) -> None:
    conf = target.nginx_conf(tmp_path, 8080, [9001, 9002], {"LLM_TIMEOUT_S": "60"})
    assert "proxy_read_timeout 270s;" in conf and "server 127.0.0.1:9002" in conf


def test_a_detached_target_is_found_by_its_url(tmp_path: Path) -> None:
    """``loadtest --host URL`` on a 'target up --detach' target finds its replicas (issue 13)."""
    import subprocess
    import sys

    # a process whose command line names target_app.serve stands in for a replica
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "target_app.serve"])
    try:
        info = TargetInfo(
            url="http://127.0.0.1:41234",
            replicas=(
                ReplicaInfo(0, proc.pid, "http://127.0.0.1:41235", "http://127.0.0.1:41235/metrics", None),
            ),
            lb="single",
            lb_pid=None,
            env={},
        )
        target.save_state(info, target.state_path(tmp_path / "target"))
        dirs = (tmp_path / "elsewhere", tmp_path / "target")
        assert target.detached_target("http://localhost:41234/", dirs) == info
        assert target.detached_target("http://127.0.0.1:41299", dirs) is None
        from scalectl.pipeline.targets import find_detached

        adopted = find_detached("http://127.0.0.1:41234", tmp_path)  # ROOT/target/state.json
        assert adopted is not None and adopted.processes == [("replica-0", proc.pid, "target")]
        assert adopted.metrics == [("replica-0", "http://127.0.0.1:41235/metrics")]
        assert adopted.spec.replicas == 1
    finally:
        proc.kill()
        proc.wait()
    assert target.detached_target("http://127.0.0.1:41234", dirs) is None  # no longer running
