"""Advice scoped to the target: the bundled backend's knobs only for the bundled backend, a command
target's declared knobs, generic wording for anything else (and for old runs that do not say)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scalectl.analysis.rules import application as app
from scalectl.analysis.rules import database
from scalectl.analysis.rules import infrastructure as infra
from scalectl.analysis.scope import declared_knob, env_knob, target_kind
from scalectl.models import Environment, Finding, RunResult, TargetSpec
from tests.analysis.helpers import base_run, context, counter, pool, prom, set_errors

#: Knobs that exist only on the bundled backend (target_app).
BUNDLED_KNOBS = (
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_SLOW_QUERY_MS",
    "REDIS_URL",
    "LLM_",
    "RATE_LIMIT_DEFAULT",
    "CACHE_TTL_S",
    "CACHE_ENABLED",
    "BREAKER_",
    "SO_REUSEPORT",
)

TARGETS: dict[str, TargetSpec | None] = {
    "bundled": TargetSpec(kind="bundled", replicas=2),
    "command": TargetSpec(kind="command", command="myapp --port {port}", replicas=2),
    "command-knobs": TargetSpec(
        kind="command",
        command="myapp --port {port}",
        replicas=2,
        knobs={"pool": "APP_DB_POOL", "rate": "APP_RATE_LIMIT", "cache ttl": "APP_CACHE_TTL"},
    ),
    "external": TargetSpec(kind="external"),
    "unknown": None,  # an old run with no target spec and nothing that looks like the bundled backend
}


def _on(run: RunResult, target: str) -> RunResult:
    run.target = TARGETS[target]
    run.environment = Environment(cpu_count=4, replicas=None if target != "bundled" else 2)
    return run


def _pool_full() -> RunResult:
    return base_run().model_copy(update={"telemetry": [prom("r0", pool(checked_out=10))]})


def _rate_limited() -> RunResult:
    return set_errors(base_run(), "http_429", 2)


def _cache_cold() -> RunResult:
    metrics = {
        'cache_hits_total{cache="content"}': counter(5.0),
        'cache_misses_total{cache="content"}': counter(35.0),
    }
    return base_run().model_copy(update={"telemetry": [prom("r0", metrics)]})


def _upstream_slow() -> RunResult:
    metrics = {
        'upstream_duration_seconds_count{name="payments"}': counter(2.0),
        'upstream_duration_seconds_sum{name="payments"}': counter(12.0),
    }
    return base_run().model_copy(update={"telemetry": [prom("r0", metrics)]})


def _uneven() -> RunResult:
    key = 'http_requests_total{method="GET",route="/a",status="200"}'
    return base_run().model_copy(
        update={"telemetry": [prom("r0", {key: counter(30.0)}), prom("r1", {key: counter(10.0)})]}
    )


RULES: dict[str, tuple[Callable[[], RunResult], Callable]] = {
    "pool": (_pool_full, database.pool_saturated),
    "rate-limit": (_rate_limited, app.rate_limited),
    "cache": (_cache_cold, app.cache_hit_low),
    "upstream": (_upstream_slow, app.upstream),
    "uneven": (_uneven, infra.uneven_load),
}


def _finding(rule: str, target: str) -> Finding:
    make, fn = RULES[rule]
    f = fn(context(_on(make(), target)))
    assert f is not None, (rule, target)
    return f


@pytest.mark.parametrize("target", ["command", "external", "unknown"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_bundled_knob_outside_the_bundled_backend(rule: str, target: str) -> None:
    f = _finding(rule, target)
    text = f"{f.title} {f.action} {f.verify}"
    assert not [k for k in BUNDLED_KNOBS if k in text], text


@pytest.mark.parametrize(
    ("rule", "knob"),
    [("pool", "DB_POOL_SIZE"), ("rate-limit", "RATE_LIMIT_DEFAULT"), ("cache", "CACHE_TTL_S")],
)
def test_the_bundled_backend_gets_its_knobs(rule: str, knob: str) -> None:
    f = _finding(rule, "bundled")
    assert knob in f.action and f"{knob}=" in (f.verify or "")
    assert (f.verify or "").startswith(f"{knob}=") and "--host" not in (f.verify or "")


@pytest.mark.parametrize(
    ("rule", "knob"),
    [("pool", "APP_DB_POOL"), ("rate-limit", "APP_RATE_LIMIT"), ("cache", "APP_CACHE_TTL")],
)
def test_a_command_target_gets_its_declared_knobs(rule: str, knob: str) -> None:
    f = _finding(rule, "command-knobs")
    assert f"{knob}=" in (f.verify or "") and "--target-cmd 'myapp --port {port}'" in (f.verify or "")
    if rule != "cache":
        assert knob in f.action


def test_generic_wording_and_a_verify_at_the_users_url() -> None:
    f = _finding("pool", "external")
    assert "raise the pool size of your database client from 5 to" in f.action
    assert f.verify.startswith("after changing your service: scalectl loadtest reports/runs/")
    assert "--host http://127.0.0.1:8000" in f.verify


@pytest.mark.parametrize(
    ("run", "kind"),
    [
        (lambda: _on(base_run(), "command"), "command"),
        (lambda: _on(base_run(), "external"), "external"),
        (lambda: base_run(), "bundled"),  # an old run: only the bundled target recorded replicas
        (lambda: _on(base_run(), "unknown"), None),
        (
            lambda: _on(base_run(), "unknown").model_copy(
                update={"telemetry": [prom("r0", {'circuit_breaker_state{name="llm"}': [0.0] * 20})]}
            ),
            "bundled",  # an old --host run against the bundled backend: its LLM breaker gives it away
        ),
    ],
    ids=["command", "external", "old-bundled", "old-unknown", "old-host-on-bundled"],
)
def test_target_kind(run: Callable[[], RunResult], kind: str | None) -> None:
    assert target_kind(run()) == kind


def test_declared_knobs() -> None:
    run = _on(base_run(), "command-knobs")
    assert declared_knob(run, "pool") == ("pool", "APP_DB_POOL")
    assert env_knob(run, "DB_POOL_SIZE", "pool") == "APP_DB_POOL"
    assert env_knob(_on(base_run(), "command"), "DB_POOL_SIZE", "pool") is None
    assert env_knob(_on(base_run(), "bundled"), "DB_POOL_SIZE", "pool") == "DB_POOL_SIZE"
    placeholder = _on(base_run(), "command")
    placeholder.target = TargetSpec(kind="command", command="x {port}", knobs={"workers": "{replicas}"})
    assert env_knob(placeholder, "WEB_CONCURRENCY", "worker") is None  # a placeholder is no variable


def test_an_external_target_with_the_bundled_backends_metrics_is_the_bundled_backend() -> None:
    """Issue 13: `baseline --host` on a `target up` target got generic advice, the same backend without
    --host got its own knobs; one backend, one kind of advice."""
    from scalectl.analysis.scope import BUNDLED_SIGNATURES, target_kind
    from scalectl.models.run import TargetSpec
    from tests.factories import make_run, telemetry_series

    ext = TargetSpec(kind="external", url="http://127.0.0.1:8123")
    bundled_metrics = [telemetry_series("replica-0", {BUNDLED_SIGNATURES[0]: [1.0] * 5})]
    assert target_kind(make_run(telemetry=bundled_metrics).model_copy(update={"target": ext})) == "bundled"
    foreign = [telemetry_series("svc", {"http_requests_total": [1.0] * 5})]
    assert target_kind(make_run(telemetry=foreign).model_copy(update={"target": ext})) == "external"
    assert (
        target_kind(make_run().model_copy(update={"target": TargetSpec(kind="command", command="x {port}")}))
        == "command"
    )
