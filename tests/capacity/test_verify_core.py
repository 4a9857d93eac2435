"""``capacity.verify`` (pure): the verdict of ``recommend --verify`` and its on-host expectation."""

from __future__ import annotations

from scalectl.capacity.verify import VerifyPlan, judge_verification, plan_verify, verdict_line
from scalectl.models import Recommendation, Resources, UslModel
from tests.analysis.helpers import process
from tests.factories import lognormal_latency, make_run

RES = Resources(cpu_request="1", memory_request="256Mi", memory_limit="512Mi")


def rec(target_rps: float, per_replica: float = 720.0, replicas: int = 2) -> Recommendation:
    model = UslModel(**{"lambda": per_replica}, sigma=0.0, kappa=0.0, n_points=2)
    return Recommendation(
        target_rps=target_rps,
        slo=["p95<300ms"],
        replicas=replicas,
        reachable=True,
        resources=RES,
        model=model,
    )


def run_at(rps: float, p95_ms: float, generator_cpu: float | None = None):
    run = make_run(seconds=12, rps=rps, endpoints={"GET /a": lognormal_latency(p95_ms / 1.6, 0.3)})
    if generator_cpu is not None:
        run.telemetry = [process("locust", generator_cpu, role="generator", n=12)]
    return run


def test_the_on_host_estimate_never_exceeds_what_the_generator_can_send() -> None:
    # the shape: a model of 1440 req/s, 381 measured at a 13.7 s p95, the generator's core full
    r = rec(800.0)
    run = run_at(381.0, 13_700.0, generator_cpu=95.0)
    plan = VerifyPlan(rate=800.0, workers=0, env={})
    v = judge_verification(r, run, "runs/x", plan, [], cores=2)
    assert v.predicted_capacity_rps == 1440.0
    assert v.generator_limit_rps is not None and v.generator_limit_rps < 800
    assert v.predicted_capacity_on_this_host_rps <= v.generator_limit_rps
    assert v.verdict == "missed" and v.slo_ok is False
    assert any("generator can send about" in w for w in v.why)
    line = verdict_line(v)
    assert line.startswith("verify: SLO missed: 800 req/s asked, 381 measured (predicted 800)")
    assert "p95<300ms broken" in line and "why they differ: the generator can send" in line
    assert "\n" not in line


def test_a_met_verification_says_so_in_one_line() -> None:
    r = rec(200.0)
    v = judge_verification(r, run_at(200.0, 40.0, generator_cpu=20.0), "runs/y", plan_verify(r, 2), [], 2)
    assert v.verdict == "met" and v.slo_ok is True and v.why == []
    assert verdict_line(v).startswith("verify: SLO met: 200 req/s asked, 200 measured (predicted 200)")
    assert v.predicted_capacity_on_this_host_rps <= v.generator_limit_rps


def test_a_saturated_generator_is_inconclusive() -> None:
    r = rec(200.0)
    run = run_at(150.0, 40.0, generator_cpu=99.0)
    run.generator = run.generator.model_copy(update={"saturated": True})
    v = judge_verification(r, run, "runs/z", plan_verify(r, 2), [], 2)
    assert v.verdict == "inconclusive" and v.slo_ok is None
    assert verdict_line(v).startswith("verify: inconclusive")


def test_the_verification_round_trips_json() -> None:
    r = rec(200.0)
    v = judge_verification(r, run_at(200.0, 40.0), "runs/y", plan_verify(r, 2), [], 2)
    back = Recommendation.model_validate_json(r.model_copy(update={"verification": v}).model_dump_json())
    assert back.verification == v
