from __future__ import annotations

import pytest

from scalectl.capacity.evidence import collect, grade, points_from_run
from scalectl.capacity.recommend import recommend
from scalectl.errors import InputError
from scalectl.models import TargetSpec
from scalectl.slo import parse_all
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import make_baseline, make_step_run, retarget
from tests.factories import lognormal_latency, make_run


def test_sweep_gives_one_capacity_per_replica_count_and_high_confidence(sweep_baselines) -> None:
    ev = evidence_of(sweep_baselines, ["p95<300ms"])
    assert [c.replicas for c in ev.capacities] == [1, 2, 3, 4]
    knees = [c.knee_rps for c in ev.capacities]
    assert knees == sorted(knees) and knees[0] > 30
    assert all(not c.beyond_last_step for c in ev.capacities)
    assert ev.confidence == "high"


def test_single_baseline_asks_for_a_replica_sweep(single_baseline) -> None:
    ev = evidence_of([single_baseline])
    assert ev.confidence == "medium"
    assert any("--replicas 1,2,3" in r for r in ev.raise_confidence)
    assert any("SLO taken from the evidence" in n for n in ev.notes)


def test_tighter_slo_lowers_the_knee(single_baseline) -> None:
    loose = evidence_of([single_baseline], ["p95<2000ms"]).capacities[0].knee_rps
    tight = evidence_of([single_baseline], ["p95<300ms"]).capacities[0].knee_rps
    assert tight < loose


def test_single_level_run_is_one_point_with_low_confidence() -> None:
    run = make_step_run(30.0, 40.0)
    ev = collect([("run", [run], None)], ["p95<300ms"])
    assert len(ev.points) == 1 and ev.capacities[0].beyond_last_step
    assert ev.confidence == "low"
    assert any("stepped baseline" in r for r in ev.raise_confidence)


def test_levels_inside_one_run_become_points() -> None:
    users = [5] * 4 + [10] * 4 + [20] * 4
    rps = [10.0] * 4 + [20.0] * 4 + [25.0] * 4
    run = make_run(rps=rps, users=users, seconds=12, endpoints={"GET /x": lognormal_latency(20)})
    pts = points_from_run(run, parse_all(["p95<300ms"]), replicas=1, source="r")
    assert [p.level for p in pts] == [5.0, 10.0, 20.0]
    assert [round(p.rps) for p in pts] == [10, 20, 25]


def test_errors_break_the_slo() -> None:
    run = make_run(rps=20.0, seconds=4, failure_rate=0.2)
    pts = points_from_run(run, parse_all(["p95<300ms"]), replicas=1, source="r")
    assert not pts[0].slo_ok


def test_saturated_generator_runs_are_left_out() -> None:
    run = make_step_run(30.0, 40.0)
    run = run.model_copy(update={"generator": run.generator.model_copy(update={"saturated": True})})
    ev = collect([("run", [run], None)], ["p95<300ms"])
    assert ev.points == [] and any("saturated" in n for n in ev.notes)
    assert grade([], False)[0] == "low"


def test_active_rps_ignores_idle_and_partial_edge_seconds() -> None:
    from scalectl.capacity.evidence import active_rps

    run = make_run(rps=[0, 7, 20, 20, 20, 20, 9, 0, 0], seconds=9)
    assert run.total.rps < 12  # wall-time rate
    assert active_rps(run) == 20.0


def test_drain_seconds_do_not_make_a_level() -> None:
    run = make_run(
        rps=[25.0] * 4 + [0.0] * 4,
        seconds=8,
        load_model="open",
        offered_rps=[25.0] * 4 + [0.0] * 4,
        endpoints={"GET /x": lognormal_latency(900)},
    )
    pts = points_from_run(run, parse_all(["p95<300ms"]), replicas=1, source="r")
    assert len(pts) == 1 and not pts[0].slo_ok and pts[0].level == 25.0


def test_warmup_seconds_are_neither_rate_nor_level() -> None:
    from scalectl.capacity.evidence import active_rps

    run = make_run(rps=[40, 40, 20, 20, 20, 20, 20, 9], seconds=8, load_model="open", offered_rps=[20.0] * 8)
    assert active_rps(run) == (40 + 20 * 5) / 6  # without a warm-up the second 40 counts
    series = [iv.model_copy(update={"warmup": i < 2}) for i, iv in enumerate(run.series)]
    warm = run.model_copy(update={"series": series, "warmup_s": 2.0})
    assert active_rps(warm) == 20.0  # from the first counted second (whole) to the partial last one
    ths = parse_all(["p95<10s"])
    assert [p.rps for p in points_from_run(warm, ths, replicas=1, source="s")] == [20.0]


# --- --host baselines: a replica count must be declared to fit replicas across them ------------
def _workers(n: int, declared: bool):
    """The issue's service: gunicorn sync workers at 9.6 req/s each, measured with --host."""
    b = make_baseline(9.6 * n, replicas=n, name=f"w{n}")
    return retarget(b, TargetSpec(kind="external", replicas=n if declared else None), declared=declared)


def test_undeclared_host_baselines_are_not_fitted_across() -> None:
    with pytest.raises(InputError, match="cannot fit replicas across w1, w2") as exc:
        evidence_of([_workers(1, False), _workers(2, False)])
    assert "--replicas N" in (exc.value.hint or "")


def test_one_undeclared_host_baseline_is_one_measured_unit() -> None:
    ev = evidence_of([_workers(2, False)])
    assert [c.replicas for c in ev.capacities] == [1]
    assert any("no --replicas: sized as 1 replica" in n for n in ev.notes)


def test_declared_host_baselines_fit_per_replica() -> None:
    ev = evidence_of([_workers(1, True), _workers(2, True)])
    assert [c.replicas for c in ev.capacities] == [1, 2]
    rec = recommend(ev, 35.0)
    # ~9.1 req/s per worker at the knee: 35 req/s at 70 % needs 6, plus one spare
    assert (rec.needed_replicas, rec.replicas) == (6, 7)
