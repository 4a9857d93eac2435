from __future__ import annotations

import pytest

from scalectl.capacity.evidence import collect
from scalectl.capacity.recommend import recommend
from scalectl.models import Analysis, Evidence, Finding, Recommendation
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import make_baseline

TARGETS = [10.0, 40.0, 80.0, 120.0, 200.0, 400.0, 1000.0, 5000.0]
SLOS = ["p95<5000ms", "p95<1000ms", "p95<300ms", "p95<40ms", "p95<5ms"]


def _budget_ok(rec: Recommendation) -> bool:
    if rec.db_pool_size is None:
        return True
    total = rec.replicas * (rec.db_pool_size + (rec.db_max_overflow or 0))
    return total <= (rec.db_usable_connections or 0) < (rec.db_max_connections or 0)


def test_sweep_recommendation_is_reasoned(sweep_baselines) -> None:
    rec = recommend(evidence_of(sweep_baselines), 100.0, db_max_connections=200)
    assert rec.reachable and rec.replicas == rec.needed_replicas + 1
    assert rec.model is not None and rec.model.n_points == 4 and rec.model.axis == "replicas"
    assert rec.model.sigma == pytest.approx(0.05, abs=0.04)
    assert rec.confidence == "high"
    text = "\n".join(rec.reasoning)
    assert "fitted curve" in text and "chosen point" in text and "margin" in text
    assert rec.predicted_capacity_rps * 0.7 >= 100.0
    assert rec.db_pool_size is not None and _budget_ok(rec)
    assert "REDIS_URL" in rec.settings  # several replicas → shared rate-limit storage
    # round-trips as recommendation.json
    again = Recommendation.model_validate_json(rec.model_dump_json(by_alias=True))
    assert again == rec


@pytest.mark.parametrize("utilization", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("redundancy", [0, 1, 2])
def test_higher_target_never_fewer_replicas(sweep_baselines, utilization: float, redundancy: int) -> None:
    ev = evidence_of(sweep_baselines)
    recs = [recommend(ev, t, utilization=utilization, redundancy=redundancy) for t in TARGETS]
    counts = [r.replicas for r in recs]
    assert counts == sorted(counts), counts
    assert all(_budget_ok(r) for r in recs)


@pytest.mark.parametrize("target", [30.0, 60.0, 100.0, 300.0])
def test_tighter_slo_never_fewer_replicas(sweep_baselines, target: float) -> None:
    recs = [recommend(evidence_of(sweep_baselines, [slo]), target) for slo in SLOS]
    reach = [r.reachable for r in recs]
    # a tighter SLO never turns an unreachable target reachable...
    assert reach == sorted(reach, reverse=True), reach
    # ...and, while the target is reachable, never needs fewer replicas. Past the peak the count is
    # "the best replica count" of each fitted curve, which a different SLO may place elsewhere.
    counts = [r.replicas for r in recs if r.reachable]
    assert counts == sorted(counts), counts
    for r in recs:  # no absurd count past the peak
        assert r.model is None or r.model.peak_n is None or r.needed_replicas <= r.model.peak_n + 1


@pytest.mark.parametrize("max_conn", [20, 50, 100, 1000])
@pytest.mark.parametrize("target", [50.0, 150.0, 600.0])
def test_connection_budget_respected_in_every_output(sweep_baselines, max_conn: int, target: float) -> None:
    rec = recommend(evidence_of(sweep_baselines), target, db_max_connections=max_conn)
    assert rec.db_pool_size is not None and _budget_ok(rec)
    from scalectl.capacity.manifests import hpa_max_replicas

    per = rec.db_pool_size + (rec.db_max_overflow or 0)
    assert hpa_max_replicas(rec) * per <= rec.db_usable_connections


def test_beyond_the_peak_names_the_bottleneck_from_the_analysis(sweep_baselines) -> None:
    ev = evidence_of(sweep_baselines)
    heavy = ev.capacities[0].heaviest.run
    analysis = Analysis(
        run_id=heavy.run_id,
        performance_ok=False,
        findings=[
            Finding(
                rule="db_pool_saturated",
                category="database",
                severity="high",
                confidence=0.9,
                title="connection pool exhausted",
                evidence=[Evidence(metric="db_pool_checked_out", observed=10, threshold=10)],
                action="raise DB_POOL_SIZE",
            )
        ],
    )
    rec = recommend(ev, 10_000.0, analyses={heavy.run_id: analysis})
    assert not rec.reachable and rec.limited_by == "database"
    assert rec.model is not None and rec.model.peak_n is not None
    assert rec.replicas <= round(rec.model.peak_n) + 2  # no absurd count
    assert any("DB_POOL_SIZE" in a for a in rec.advice)


def test_database_bound_single_replica_is_told_replicas_will_not_help() -> None:
    # the pool (1 + 0) is always fully checked out: the database pool limits the measured point
    base = make_baseline(30.0, name="db", pool=(1, 0), pool_hold_ms=1000.0)
    rec = recommend(evidence_of([base]), 60.0)
    assert rec.limited_by == "database" and not rec.reachable
    assert any("adding replicas will not help" in r for r in rec.reasoning)
    assert rec.replicas <= 1 + rec.redundancy  # the measured count + spare, not an extrapolation
    assert any("DB_POOL_SIZE" in a for a in rec.advice)


def test_cpu_bound_service_needs_more_replicas_than_a_light_one() -> None:
    light = recommend(evidence_of([make_baseline(60.0, name="light")]), 100.0)
    heavy = recommend(evidence_of([make_baseline(20.0, name="heavy", cpu_ms_per_req=45.0)]), 100.0)
    assert heavy.replicas > light.replicas
    assert heavy.limited_by == "application"  # CPU saturated at the heaviest step: the analysis's category


def test_nothing_meets_the_slo_still_answers(single_baseline) -> None:
    rec = recommend(evidence_of([single_baseline], ["p95<1ms"]), 50.0)
    assert not rec.reachable and rec.replicas >= 2
    assert any("lower bound" in w for w in rec.warnings)


def test_single_run_answers_with_low_confidence() -> None:
    from tests.capacity.synth import make_step_run

    ev = collect([("run", [make_step_run(30.0, 40.0)], None)], ["p95<300ms"])
    rec = recommend(ev, 100.0)
    assert rec.confidence == "low" and rec.replicas >= 4
    assert any("replica sweep" in r for r in rec.raise_confidence)
    assert any("linear scaling assumed" in w for w in rec.warnings)


def test_pool_saturated_only_past_a_cpu_bound_knee_is_not_a_database_limit() -> None:
    from tests.capacity.synth import make_baseline

    # at the knee the CPU is ~76% busy (38 req/s × 20 ms) and the pool ~11% (38 × 30 ms of 10)
    base = make_baseline(40.0, name="cpu", cpu_ms_per_req=20.0, pool=(5, 5), pool_hold_ms=30.0)
    ev = evidence_of([base])
    heavy = ev.capacities[0].heaviest.run
    finding = Finding(
        rule="db_pool_saturated",
        category="database",
        severity="critical",
        confidence=0.9,
        title="pool exhausted",
        action="raise DB_POOL_SIZE",
    )
    analysis = Analysis(run_id=heavy.run_id, performance_ok=False, findings=[finding])
    rec = recommend(ev, 200.0, analyses={heavy.run_id: analysis})
    assert rec.limited_by == "application", rec.reasoning
    assert rec.reachable and rec.replicas > 2
    # the same analysis where the pool is what fills first stays a database limit
    base_db = make_baseline(40.0, name="db", cpu_ms_per_req=2.0, pool=(1, 0), pool_hold_ms=25.0)
    ev_db = evidence_of([base_db])
    heavy_db = ev_db.capacities[0].heaviest.run
    rec_db = recommend(
        ev_db, 200.0, analyses={heavy_db.run_id: analysis.model_copy(update={"run_id": heavy_db.run_id})}
    )
    assert rec_db.limited_by == "database" and not rec_db.reachable


def test_a_lagging_event_loop_is_not_a_database_limit() -> None:
    from tests.capacity.synth import make_baseline

    base = make_baseline(
        40.0, name="lag", cpu_ms_per_req=5.0, pool=(1, 0), pool_hold_ms=25.0, overload_loop_lag_s=0.8
    )
    ev = evidence_of([base])
    heavy = ev.capacities[0].heaviest.run
    finding = Finding(
        rule="db_pool_saturated",
        category="database",
        severity="critical",
        confidence=0.9,
        title="pool exhausted",
        action="raise DB_POOL_SIZE",
    )
    rec = recommend(
        ev,
        200.0,
        analyses={heavy.run_id: Analysis(run_id=heavy.run_id, performance_ok=False, findings=[finding])},
    )
    assert rec.limited_by == "application" and rec.reachable, rec.reasoning
    assert any("event loop lags 800 ms" in r for r in rec.reasoning)


def test_an_unreachable_rate_makes_no_n_plus_one_claim() -> None:
    """Issue 13: `--target-rps 100000` printed "replicas 80 (needed 100, N+1)" and "with N+1 the
    service keeps the target with 1 replica(s) down"."""
    rec = recommend(evidence_of([make_baseline(60.0, name="b")]), 1e6)
    assert not rec.reachable
    assert "N+" not in rec.replicas_detail and "not reachable" in rec.replicas_detail
    assert not any("replica(s) down" in line for line in rec.reasoning), rec.reasoning
    ok = recommend(evidence_of([make_baseline(60.0, name="c")]), 100.0)
    assert ok.reachable and any("replica(s) down" in line for line in ok.reasoning)
    assert ok.replicas_detail == f"needed {ok.needed_replicas}, N+1"
