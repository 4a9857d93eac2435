"""Settings and advice scoped to the measured target: the bundled backend's knobs only there."""

from __future__ import annotations

import pytest

from scalectl.capacity.recommend import recommend
from scalectl.capacity.settings import Sizing, measured_target, service_settings
from scalectl.models import TargetSpec
from tests.analysis.test_scope import BUNDLED_KNOBS
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import retarget

SIZING = Sizing(
    replicas=3,
    pool_size=12,
    pool_overflow=6,
    upstream_concurrency=4,
    limited_by="database",
    low_hit_ratio=0.2,
    upstream_measured=True,
)
COMMAND = TargetSpec(kind="command", command="myapp --port {port}", replicas=1)
KNOBS = TargetSpec(
    kind="command",
    command="myapp --port {port}",
    replicas=1,
    knobs={"pool": "APP_POOL", "upstream concurrency": "APP_UPSTREAM_SLOTS", "workers": "{replicas}"},
)
EXTERNAL = TargetSpec(kind="external", replicas=1)


def _runs(single_baseline, target):
    return [s.run for s in retarget(single_baseline, target).steps]


def test_the_bundled_backend_gets_its_settings(single_baseline) -> None:
    out = service_settings([s.run for s in single_baseline.steps], SIZING)  # old runs: bundled
    assert out.settings["DB_POOL_SIZE"] == "12" and out.settings["DB_MAX_OVERFLOW"] == "6"
    assert out.settings["REDIS_URL"].startswith("redis://") and out.settings["LLM_MAX_CONCURRENCY"] == "4"
    assert "LLM_TIMEOUT_S" in out.settings


@pytest.mark.parametrize("target", [COMMAND, EXTERNAL, None], ids=["command", "external", "unknown"])
def test_other_services_get_generic_advice(single_baseline, target) -> None:
    b = retarget(single_baseline, target, declared=target is not None)
    out = service_settings([s.run for s in b.steps], SIZING)
    assert out.settings == {}
    text = " ".join(out.advice)
    assert not [k for k in BUNDLED_KNOBS if k in text], text
    assert "database pool per replica: 12 connections (+6 overflow)" in text
    assert "allow 4 concurrent calls per replica in your client" in text


def test_a_command_target_gets_its_declared_knobs(single_baseline) -> None:
    out = service_settings(_runs(single_baseline, KNOBS), SIZING)
    assert out.settings == {"APP_POOL": "12", "APP_UPSTREAM_SLOTS": "4"}  # {replicas} is no variable
    assert "set by APP_POOL" in " ".join(out.advice)


def test_the_whole_recommendation_is_scoped(single_baseline) -> None:
    bundled = recommend(evidence_of([single_baseline]), 30.0, db_max_connections=100)
    assert "DB_POOL_SIZE" in bundled.settings and "LLM_TIMEOUT_S" in bundled.settings
    ext = recommend(evidence_of([retarget(single_baseline, EXTERNAL)]), 30.0, db_max_connections=100)
    assert ext.db_pool_size == bundled.db_pool_size  # the same sizing ...
    assert ext.settings == {}  # ... without the bundled backend's names
    assert not [k for k in BUNDLED_KNOBS if k in " ".join(ext.advice)]


def test_measured_target(single_baseline) -> None:
    b = retarget(single_baseline, KNOBS)
    m = measured_target([s.run for s in b.steps])
    assert m.kind == "command" and m.spec == KNOBS and m.scenario_name == "synthetic"
    old = measured_target([s.run for s in single_baseline.steps])
    assert old.kind == "bundled" and old.spec is None and old.host == "http://127.0.0.1:8000"
