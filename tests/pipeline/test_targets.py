"""The target spec: resolved from options and scenario, started, recorded, and started again with changes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest

from scalectl.errors import InputError
from scalectl.models.run import TargetSpec
from scalectl.pipeline import TargetOptions, resolve_spec, start_from_spec, start_target
from scalectl.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = f"{sys.executable} -m gunicorn -w {{replicas}} -b 127.0.0.1:{{port}} tests.services.wsgi_sleep:app"
REQS = [{"path": "/"}]


def test_command_wins_and_the_scenario_fills_the_rest() -> None:
    sc = scenario_from_data(
        {
            "name": "s",
            "requests": REQS,
            "target": {
                "command": "serve {port}",
                "ready_path": "/ready",
                "env": {"A": 1},
                "knobs": {"w": "W"},
            },
        }
    )
    spec = resolve_spec(TargetOptions(replicas=3, env={"B": "2"}), sc)
    assert spec.kind == "command" and spec.command == "serve {port}" and spec.replicas == 3
    assert spec.ready_path == "/ready" and spec.env == {"A": "1", "B": "2"} and spec.knobs == {"w": "W"}
    assert Path(spec.cwd or "").is_absolute()
    assert resolve_spec(TargetOptions(command="other {port}"), sc).command == "other {port}"


@pytest.mark.parametrize(
    ("opts", "kind", "replicas"),
    [
        (TargetOptions(), "bundled", 1),
        (TargetOptions(replicas=2), "bundled", 2),
        (TargetOptions(host="http://127.0.0.1:9/"), "external", None),
        (TargetOptions(host="http://127.0.0.1:9", replicas=4), "external", 4),
    ],
)
def test_kinds(opts: TargetOptions, kind: str, replicas: int | None) -> None:
    spec = resolve_spec(opts, None)
    assert (spec.kind, spec.replicas) == (kind, replicas)
    if kind == "external":
        assert spec.url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (TargetOptions(host="http://127.0.0.1:9", command="x {port}"), "not both"),
        (TargetOptions(command="serve 8000"), "{port}"),
        (TargetOptions(command="serve {port} {workers}"), "{workers}"),
        (TargetOptions(replicas=0), "at least 1"),
    ],
)
def test_bad_target_options_are_input_errors(opts: TargetOptions, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("{", r"\{").replace("}", r"\}")):
        resolve_spec(opts, None)


def test_an_external_target_cannot_be_changed() -> None:
    spec = TargetSpec(kind="external", url="http://127.0.0.1:9", replicas=2)
    with pytest.raises(InputError, match="not started by scalectl"):
        start_from_spec(spec, env={"X": "1"})


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None, reason="gunicorn (dev extra) is missing")
def test_start_from_a_recorded_spec_with_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    spec = resolve_spec(TargetOptions(command=GUNICORN, env={"GREETING": "hello"}), None)
    with start_target(spec) as first:
        assert httpx.get(first.url + "/echo-env").text == "hello\n"
        recorded = first.spec
    assert recorded.port is not None and recorded.replicas == 1
    with start_from_spec(recorded, env={"GREETING": "changed"}, replicas=2) as again:
        assert httpx.get(again.url + "/echo-env").text == "changed\n"
        assert again.spec.replicas == 2 and again.spec.env["GREETING"] == "changed"
        import psutil

        workers = psutil.Process(again.processes[0][1]).children(recursive=True)
        assert len([w for w in workers if "gunicorn" in " ".join(w.cmdline())]) == 3  # master + 2


def test_a_command_without_replicas_runs_as_copies_behind_nginx() -> None:
    """`--replicas 2` on a command without {replicas}: two copies on ports of their own, a real nginx in
    front, each copy sampled as a replica; all of it gone afterwards (before: one copy, labelled 2)."""
    import psutil

    from scalectl.target_nginx import find_nginx

    if find_nginx() is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx-light)")
    cmd = f"{sys.executable} -m http.server {{port}} --bind 127.0.0.1"
    spec = TargetSpec(kind="command", command=cmd, replicas=2, ready_path="/")
    with start_from_spec(spec) as running:
        roles = sorted((s, r) for s, _, r in running.processes)
        assert roles == [("load-balancer", "load_balancer"), ("replica-0", "target"), ("replica-1", "target")]
        assert running.spec.lb == "nginx" and running.spec.replicas == 2
        assert all(httpx.get(running.url + "/").status_code == 200 for _ in range(6))
        pids = [p for _, p, _ in running.processes]
        assert all(psutil.pid_exists(p) for p in pids)
        ports = {running.spec.port}
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{ports.pop()}/", timeout=1.0)
