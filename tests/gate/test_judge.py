"""judge(): thresholds + regressions, scenario and environment checks, baseline step selection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scalectl.errors import InputError
from scalectl.gate.compare import StatSettings
from scalectl.gate.judge import environment_warnings, failure_line, judge, select_baseline_run
from scalectl.models import Baseline, BaselineStep, Environment
from tests.factories import lognormal_latency, make_run

EPS = {"GET /a": lognormal_latency(10.0), "GET /b": lognormal_latency(30.0)}
IID = StatSettings(run_noise=0.0, run_noise_tail=None)


def mk(seed=1, users=10, **kw):
    kw.setdefault("endpoints", EPS)
    return make_run(rps=60, seconds=10, seed=seed, users=users, **kw)


@pytest.fixture(scope="module")
def base():
    return mk(1)


def test_thresholds_only(base) -> None:
    v = judge(base, None, ["p95<10s", "/a: p50<1ms"])
    assert not v.passed
    assert [c.status for c in v.checks] == ["pass", "fail"]
    assert v.checks[1].scope == "/a" and v.checks[1].kind == "threshold"
    assert "violated" in v.checks[1].message


def test_run_thresholds_are_included_and_deduplicated() -> None:
    run = mk(2).model_copy(update={"thresholds": ["p95<10s", "error_rate<1%"]})
    v = judge(run, None, ["p95<10s", "rps>1"])
    assert [c.name for c in v.checks] == ["threshold p95<10s", "threshold error_rate<1%", "threshold rps>1"]
    assert v.passed
    assert [c.name for c in judge(run, None, ["rps>1"], include_run_thresholds=False).checks] == [
        "threshold rps>1"
    ]


def test_unknown_scope_fails_and_lists_the_endpoints(base) -> None:
    (c,) = judge(base, None, ["/nope: p95<1s"]).checks
    assert c.status == "fail"
    assert "no endpoint '/nope'" in c.message and "GET /a" in c.message


def test_bad_threshold_is_an_input_error(base) -> None:
    with pytest.raises(InputError, match="invalid threshold 'p95<'"):
        judge(base, None, ["p95<"])


def test_nothing_to_judge(base) -> None:
    with pytest.raises(InputError, match="nothing to judge"):
        judge(base, None, [])


def test_regression_pass_and_fail(base) -> None:
    same = judge(mk(2), base, settings=IID, baseline_label="b.json")
    assert same.passed and same.baseline == "b.json"
    assert {c.kind for c in same.checks} == {"regression"}
    slow = judge(mk(3, endpoints={**EPS, "GET /b": lognormal_latency(45.0)}), base, settings=IID)
    assert not slow.passed
    assert {c.scope for c in slow.failed} <= {"GET /b", "overall"}
    assert "GET /b" in {c.scope for c in slow.failed}
    line = failure_line(next(c for c in slow.failed if c.scope == "GET /b" and c.metric == "p50"))
    assert line.startswith("FAIL p50 regression [GET /b]: observed ")
    assert " ms, limit " in line and ", baseline " in line


def test_refuses_different_scenarios(base) -> None:
    other = mk(2, scenario_name="other")
    with pytest.raises(InputError, match="refusing to compare runs of different scenarios: 'other'"):
        judge(other, base)


def test_warns_when_the_environment_differs(base) -> None:
    run = mk(2, environment=Environment(cpu_count=8, replicas=3, hostname="x"))
    v = judge(run, base, settings=IID)
    text = "\n".join(v.warnings)
    assert "cpu_count 2 (baseline) vs 8 (run)" in text and "replicas 1 (baseline) vs 3 (run)" in text
    assert environment_warnings(base, base) == []
    warm = base.model_copy(update={"warmup_s": 2.0})
    assert any("warm-up differs: 0 s (baseline) vs 2 s (run)" in w for w in environment_warnings(warm, base))
    assert environment_warnings(warm, warm) == []


def test_incomplete_and_saturated_runs_are_warned(base) -> None:
    run = mk(2).model_copy(update={"complete": False, "stop_reason": "interrupted (SIGINT)"})
    run.generator.saturated = True
    v = judge(run, None, ["p95<10s"])
    assert any("incomplete (interrupted (SIGINT))" in w for w in v.warnings)
    assert any("saturated" in w for w in v.warnings)


def _baseline(*runs_users) -> Baseline:
    steps = [
        BaselineStep(
            index=i, users=u, rps=r.total.rps, p50_ms=1, p95_ms=1, p99_ms=1, error_rate=0, slo_ok=True, run=r
        )
        for i, (r, u) in enumerate(runs_users)
    ]
    return Baseline(
        name="b", scenario_name="synthetic", created_at=datetime(2026, 1, 1, tzinfo=UTC), steps=steps
    )


def test_select_baseline_step_by_load() -> None:
    r5, r10, r20 = mk(1, users=5), mk(2, users=10), mk(3, users=20)
    b = _baseline((r5, 5), (r10, 10), (r20, 20))
    chosen, warnings = select_baseline_run(b, mk(4, users=10))
    assert chosen is r10 and warnings == []
    chosen, warnings = select_baseline_run(b, mk(5, users=14))
    assert chosen is r10 and "no baseline step matches" in warnings[0]
    single, warnings = select_baseline_run(_baseline((r20, 20)), mk(6, users=3))
    assert single is r20 and warnings == []
    with pytest.raises(InputError, match="has no steps"):
        select_baseline_run(_baseline(), r5)
