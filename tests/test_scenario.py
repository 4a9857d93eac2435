"""Scenario schema and loader: every field, every error path, with file, line and field in the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.errors import ScenarioError
from scalectl.scenario import ClosedLoad, OpenLoad, Scenario, dump_scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]

FULL = """\
version: 1
name: full
description: every field
host: http://127.0.0.1:8000
slo: ["p95<300ms", "error_rate<1%"]
thresholds: ["/api/content/{id}: p99<0.5s", "rps>=10"]
think_time: {min: 100ms, max: 1s}
identity: {header: X-Token, scheme: Token, prefix: writer, pool: 5, enabled: true}
timeout: 5s
requests:
  - name: get content
    method: get
    path: /api/content/{id}?author={author}
    params:
      id: {range: [1, 10]}
      author: {user: true}
      tone: {choice: [casual, professional]}
      fixed: {value: 3}
    body: {tone: "{tone}", n: "{fixed}"}
    headers: {X-Trace: "1"}
    weight: 2.5
    expect: [200, 304]
load:
  model: closed
  stages:
    - {users: 5, spawn_rate: 2, duration: 10s}
    - {users: 0, duration: 1m}
telemetry:
  metrics_urls: [http://127.0.0.1:9000/metrics]
  interval: 500ms
  metric_names: {db_pool_checked_out: pool_in_use}
  enabled: true
steps:
  users: [1, 2, 4]
  duration: 5s
  spawn_rate: 10
  max_error_rate: 0.1
  stop_after: 2
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_every_field_is_read(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, FULL))
    assert sc.name == "full" and sc.description == "every field" and sc.host == "http://127.0.0.1:8000"
    assert sc.slo == ["p95<300ms", "error_rate<1%"] and len(sc.thresholds) == 2
    assert (sc.think_time.min, sc.think_time.max) == (0.1, 1.0)
    assert sc.identity.header == "X-Token" and sc.identity.pool == 5 and sc.identity.scheme == "Token"
    assert sc.timeout == 5.0
    r = sc.requests[0]
    assert (
        r.method == "GET" and r.endpoint_name == "get content" and r.weight == 2.5 and r.expect == [200, 304]
    )
    assert r.params["id"].range == (1, 10) and r.params["author"].user and r.params["tone"].choice
    assert r.params["fixed"].value == 3 and r.headers == {"X-Trace": "1"} and r.body["tone"] == "{tone}"
    assert isinstance(sc.load, ClosedLoad) and [s.duration for s in sc.load.stages] == [10.0, 60.0]
    assert sc.load.stages[1].spawn_rate == 10.0  # default
    assert sc.total_duration == 70.0
    assert sc.telemetry.interval == 0.5 and sc.telemetry.metric_names == {
        "db_pool_checked_out": "pool_in_use"
    }
    assert sc.steps is not None and sc.steps.users == [1, 2, 4] and sc.steps.stop_after == 2


def test_open_model_and_defaults(tmp_path: Path) -> None:
    sc = load_scenario(
        write(
            tmp_path,
            "name: o\nrequests:\n  - path: /x\nthink_time: 2s\n"
            "load:\n  model: open\n  stages:\n    - {start_rps: 1, rps: 10, duration: 3s}\n",
        )
    )
    assert isinstance(sc.load, OpenLoad) and sc.load.max_users == 100 and sc.load.stages[0].start_rps == 1
    assert sc.load.warmup == 0.0
    assert (sc.think_time.min, sc.think_time.max) == (2.0, 2.0)
    assert sc.requests[0].endpoint_name == "/x" and sc.identity.header == "Authorization"


def test_dump_round_trips(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, FULL))
    again = load_scenario(write(tmp_path, dump_scenario(sc), "again.yaml"))
    assert again == sc


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    assert isinstance(load_scenario(path), Scenario)


BASE = "name: t\nrequests:\n  - path: /x\n"

# (yaml text, expected line, expected field, words the message must contain)
ERRORS = [
    ("name: t\nrequests:\n  - path: /x\n    wieght: 2\n", 4, "requests[0].wieght", ["unknown key", "weight"]),
    ("name: t\nfoo: 1\nrequests:\n  - path: /x\n", 2, "foo", ["unknown key 'foo'", "requests"]),
    (
        "name: t\nrequests:\n  - path: /x\n    weight: heavy\n",
        4,
        "requests[0].weight",
        ["valid number", "heavy"],
    ),
    ("name: t\nrequests:\n  - path: /x\n    weight: -1\n", 4, "requests[0].weight", ["greater than 0"]),
    ("name: t\nrequests:\n  - path: x\n", 3, "requests[0].path", ["pattern"]),
    ("name: t\nrequests:\n  - path: /x\n    method: FETCH\n", 4, "requests[0].method", ["GET"]),
    (
        BASE + "load:\n  stages:\n    - {users: 2, duration: -5s}\n",
        6,
        "load.stages[0].duration",
        ["negative"],
    ),
    (BASE + "load:\n  stages:\n    - {users: 2, duration: soon}\n", 6, "load.stages[0].duration", ["30s"]),
    (
        BASE + "load:\n  stages:\n    - {users: -2, duration: 5s}\n",
        6,
        "load.stages[0].users",
        ["greater than or equal to 0"],
    ),
    (BASE + "load:\n  stages:\n    - {duration: 5s}\n", 6, "load.stages[0].users", ["missing"]),
    (BASE + "load:\n  model: sideways\n  stages: []\n", 5, "load.model", ["'closed' or 'open'"]),
    (
        BASE + "load:\n  model: open\n  stages:\n    - {users: 3, duration: 1s}\n",
        7,
        "load.stages[0].rps",
        ["missing"],
    ),
    (BASE + "slo: ['p95<<3']\n", 4, "slo[0]", ["invalid threshold", "p95<<3", "expected"]),
    (BASE + "thresholds: ['p95<3kg']\n", 4, "thresholds[0]", ["unit"]),
    (BASE + "think_time: {min: 2s, max: 1s}\n", 4, "think_time", [">= min"]),
    ("name: t\nrequests:\n  - path: /x/{id}\n", 2, "requests", ["id", "params"]),
    (
        "name: t\nrequests:\n  - path: /x/{id}\n    params: {id: {}}\n",
        4,
        "requests[0].params.id",
        ["exactly one"],
    ),
    (
        "name: t\nrequests:\n  - path: /x/{id}\n    params: {id: {range: [5, 1]}}\n",
        4,
        "requests[0].params.id.range",
        ["low <= high"],
    ),
    (BASE + "steps: {duration: 5s}\n", 4, "steps", ["exactly one of users"]),
    (
        BASE + "steps:\n  rps: [5]\n  duration: 5s\n  warmup: 5s\n",
        7,
        "steps.warmup",
        ["warmup (5s)", "shorter than a step (5s)"],
    ),
    (
        BASE
        + "load:\n  warmup: 10s\n  stages:\n    - {users: 2, duration: 4s}\n    - {users: 3, duration: 4s}\n",
        5,
        "load.warmup",
        ["warmup (10s)", "shorter than the load (8s)"],
    ),
    (BASE + "telemetry: {interval: fast}\n", 4, "telemetry.interval", ["duration"]),
    (BASE + "identity: {pool: -1}\n", 4, "identity.pool", ["greater than or equal to 0"]),
    (BASE + "version: 2\n", 4, "version", ["1"]),
    ("requests:\n  - path: /x\n", 1, "name", ["missing"]),
    ("name: t\nrequests: []\n", 2, "requests", ["at least 1"]),
    (BASE + "timeout: [1]\n", 4, "timeout", ["duration"]),
    (BASE + "target:\n  command: serve 8000\n", 5, "target.command", ["{port}"]),
    (BASE + "target:\n  command: serve {port} -w {workers}\n", 5, "target.command", ["{workers}"]),
    (
        BASE + "target:\n  command: serve {port}\n  ready: /\n",
        6,
        "target.ready",
        ["unknown key", "ready_path"],
    ),
    (BASE + "target:\n  command: s {port}\n  ready_path: health\n", 6, "target.ready_path", ["'/'"]),
    (BASE + "target:\n  command: s {port}\n  ready_timeout: soon\n", 6, "target.ready_timeout", ["30s"]),
    (BASE + "target:\n  ready_path: /\n", 4, "target.command", ["missing"]),
    (BASE + "host: http://127.0.0.1:1\ntarget: {command: 's {port}'}\n", 5, "target", ["not both"]),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, words: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.exit_code == 2
    assert (err.file, err.line, err.field) == (str(path), line, field), str(err)
    first = str(err).splitlines()[0]
    assert first.startswith(f"{path}:{line}: {field}: "), first
    for w in words:
        assert w in str(err), (w, str(err))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: t\nrequests: [\n  - a\n", 3),
        ("name: t\n  bad indent: 1\n", 2),
        ("name: 'unterminated\n", 2),
        ("name: t\nname: [1, 2\n", 3),
    ],
)
def test_malformed_yaml(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line == line and "malformed YAML" in str(info.value) and str(path) in str(info.value)


def test_not_a_mapping_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="mapping at the top level"):
        load_scenario(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_several_errors_are_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\nrequests:\n  - path: /x\n    weight: 0\n  - path: /y\n    colour: red\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert f"{path}:4: requests[0].weight" in text and f"{path}:6: requests[1].colour" in text


def test_cli_reports_scenario_errors_without_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scalectl.cli.main import app

    path = write(tmp_path, "name: t\nrequests:\n  - path: /x\n    wieght: 2\n")
    res = CliRunner().invoke(app, ["loadtest", str(path), "--host", "http://127.0.0.1:9"])
    assert res.exit_code == 2
    assert f"{path}:4: requests[0].wieght: unknown key" in res.output
    assert "Traceback" not in res.output


def test_warmup_is_read_for_load_and_steps(tmp_path: Path) -> None:
    sc = load_scenario(
        write(
            tmp_path,
            BASE + "load:\n  model: open\n  warmup: 2s\n  stages:\n    - {rps: 5, duration: 6s}\n"
            "steps: {rps: [5, 10], duration: 8s, warmup: 1500ms}\n",
        )
    )
    assert sc.load.warmup == 2.0 and sc.steps is not None and sc.steps.warmup == 1.5
