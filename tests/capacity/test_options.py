"""Horizontal vs vertical: options from baselines at different cores per replica."""

from __future__ import annotations

import pytest

from scalectl.capacity.cost import parse_prices
from scalectl.capacity.planner import PlanInputs, choose, split_by_cores
from scalectl.capacity.recommend import recommend
from scalectl.capacity.resources import parse_cpu, parse_memory
from scalectl.models import Baseline
from scalectl.models.plan import ScalingOption
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import sweep


def with_cores(baselines: list[Baseline], k: float) -> list[Baseline]:
    out = []
    for b in baselines:
        steps = []
        for st in b.steps:
            env = st.run.environment.model_copy(update={"cpus_per_replica": k})
            steps.append(st.model_copy(update={"run": st.run.model_copy(update={"environment": env})}))
        out.append(b.model_copy(update={"steps": steps, "name": f"{b.name}-c{k:g}"}))
    return out


@pytest.fixture(scope="module")
def two_shapes() -> list[Baseline]:
    # 1 core: 40 req/s per replica; 2 cores: 70 req/s (less than twice: vertical scaling is sublinear)
    return with_cores(sweep(40.0, 0.02, 0.0), 1) + with_cores(sweep(70.0, 0.02, 0.0), 2)


def test_evidence_splits_by_cores(two_shapes) -> None:
    groups = split_by_cores(evidence_of(two_shapes))
    assert sorted(groups) == [1, 2]
    assert all({p.run.environment.cpus_per_replica for p in ev.points} == {k} for k, ev in groups.items())


def test_options_ranked_by_cost_and_explained(two_shapes) -> None:
    prices = parse_prices({"vcpu_hour": 0.04, "gib_hour": 0.005})
    rec = recommend(evidence_of(two_shapes), 100.0, plan=PlanInputs(prices=prices))
    assert len(rec.options) == 2 and sum(o.chosen for o in rec.options) == 1
    one, two = sorted(rec.options, key=lambda o: o.cores_per_replica)
    for o in rec.options:
        assert o.reachable and o.capacity_rps * 0.7 >= 100.0
        assert o.blast_radius_fraction == pytest.approx(o.blast_radius_rps / o.total_capacity_rps)
        assert 0 < o.blast_radius_fraction <= 1
    # more, smaller replicas lose less when one dies
    assert one.blast_radius_fraction < two.blast_radius_fraction
    chosen = next(o for o in rec.options if o.chosen)
    cheapest = min(o.monthly_cost for o in rec.options)
    assert chosen.monthly_cost <= cheapest * 1.05
    # the recommendation is the chosen shape's, at the same cost on every screen
    assert rec.replicas == chosen.replicas
    assert parse_cpu(rec.resources.cpu_request) == chosen.cores_per_replica
    gib = parse_memory(rec.resources.memory_request) / 2**30
    assert rec.cost.monthly == rec.replicas * (chosen.cores_per_replica * 0.04 + gib * 0.005) * 730
    assert rec.cost.monthly == chosen.monthly_cost
    assert f"{chosen.replicas} × {chosen.cores_per_replica:g} core(s)" in rec.option_reason


def _opt(k: float, n: int, cost: float | None, frac: float, reachable: bool = True) -> ScalingOption:
    return ScalingOption(
        cores_per_replica=k,
        replicas=n,
        needed_replicas=n - 1,
        reachable=reachable,
        capacity_rps=100,
        total_capacity_rps=100,
        per_replica_rps=10,
        blast_radius_rps=frac * 100,
        blast_radius_fraction=frac,
        monthly_cost=cost,
    )


def test_choose_cheapest_then_blast_radius() -> None:
    opts = [_opt(1, 6, 100.0, 1 / 6), _opt(2, 3, 90.0, 1 / 3), _opt(4, 2, 200.0, 0.5)]
    win, why = choose(opts, "USD")
    assert win == 1 and "90.00 USD/month" in why
    # within 5 %: the smaller blast radius wins
    opts[0] = _opt(1, 6, 93.0, 1 / 6)
    win, why = choose(opts, "USD")
    assert win == 0 and "tie" in why


def test_choose_prefers_reachable_and_without_prices_fewer_cores() -> None:
    opts = [_opt(1, 10, None, 0.1, reachable=False), _opt(2, 4, None, 0.25), _opt(4, 3, None, 1 / 3)]
    win, why = choose(opts)
    assert win == 1 and "8 cores" in why and "not reachable" in why


def _shape(k: float, per: float, reachable: bool = True, limited_by: str | None = None):
    from scalectl.models.plan import ScalingOption

    return ScalingOption(cores_per_replica=k, replicas=2, needed_replicas=2, reachable=reachable,
                         capacity_rps=2 * per, total_capacity_rps=2 * per, per_replica_rps=per,
                         blast_radius_rps=per, blast_radius_fraction=0.5, limited_by=limited_by)  # fmt: skip


def test_an_option_that_does_not_reach_says_why() -> None:
    """Issue 13: "2 × 2 core(s) | 1606 | ... | not reachable" for a target of 378: the capacity is a
    linear extrapolation of a shared limit measured at one replica count."""
    assert _shape(1, 800.0).reach_note == ""
    assert _shape(2, 803.0, False, "database").reach_note == (
        "not reachable: database limit, not shown to scale with replicas"
    )
    assert _shape(2, 803.0, False, "unknown").reach_note == "not reachable"


def test_more_cores_per_replica_that_measured_less_are_named() -> None:
    from scalectl.capacity.planner import _more_cores_did_not_help

    [line] = _more_cores_did_not_help([_shape(1, 947.0), _shape(2, 803.0)])
    assert line.startswith("2 cores per replica measured 803 req/s per replica, no more than 1 core(s) (947)")
    assert _more_cores_did_not_help([_shape(1, 500.0), _shape(2, 900.0)]) == []
