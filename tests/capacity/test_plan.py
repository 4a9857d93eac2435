"""Forecast, run-out month, risk and the whole plan on synthetic evidence."""

from __future__ import annotations

import math
from datetime import date

import pytest

from scalectl.capacity.cost import parse_prices
from scalectl.capacity.growth import parse_growth
from scalectl.capacity.plan import Sizing, assess_risk, forecast, runs_out_line, runs_out_month
from scalectl.capacity.planner import PlanInputs
from scalectl.capacity.planner import runs_out_line as rec_line
from scalectl.capacity.recommend import recommend
from scalectl.capacity.resources import parse_cpu, parse_memory
from scalectl.capacity.sizing import size_replicas
from scalectl.capacity.usl import model_throughput
from scalectl.models import Recommendation, UslModel
from tests.capacity.conftest import evidence_of

LINEAR = UslModel(lam=100.0, sigma=0.0, kappa=0.0, n_points=4)
RETRO = UslModel(lam=100.0, sigma=0.05, kappa=0.01, n_points=4)
START = date(2026, 11, 30)


@pytest.mark.parametrize("model", [LINEAR, RETRO])
@pytest.mark.parametrize("growth", ["10%/month", "3%/week", "60%/year", "25%/month"])
def test_forecast_arithmetic(model: UslModel, growth: str) -> None:
    g = parse_growth(growth)
    loads = [150.0 * g.monthly_factor**m for m in range(19)]
    months = forecast(Sizing(model, 0.7, 1, 100), loads, START, cost_of=lambda n: n * 12.5)
    assert [f.month for f in months] == list(range(19))
    for prev, f in zip(months, months[1:], strict=False):
        assert f.rps == pytest.approx(prev.rps * g.monthly_factor, rel=1e-12)  # compounds
        assert f.replicas >= prev.replicas  # never falls while load grows
    for f in months:
        assert f.monthly_cost == f.replicas * 12.5
        if f.reachable:  # each month sized under the same SLO, utilization and redundancy
            assert f.replicas >= size_replicas(model, f.rps, utilization=0.7, redundancy=1).replicas
    for current in range(1, 8):
        out = runs_out_month(months, current)
        first = next((f.month for f in months if f.replicas > current), None)
        assert out == first


def test_the_issue_example_line() -> None:
    loads = [100.0 * 1.1**m for m in range(13)]
    months = forecast(Sizing(LINEAR, 0.7, 0, 100), loads, START)
    # 100 req/s per replica at 70 %: 2 replicas carry 140 req/s; 100·1.1^4 = 146 needs a third
    assert [f.replicas for f in months[:5]] == [2, 2, 2, 2, 3]
    out = runs_out_month(months, 2)
    assert out == 4
    assert (
        runs_out_line("+10 %/month", months, 2, out)
        == "at +10 %/month, 2 replicas run out in month 4 (2027-03)"
    )
    assert "last the 12-month horizon" in runs_out_line("+10 %/month", months, 9, runs_out_month(months, 9))


def test_risk_one_replica_down_and_connection_budget() -> None:
    loads = [100.0 * 1.2**m for m in range(7)]
    months = forecast(Sizing(LINEAR, 0.7, 1, 100), loads, START, connections_per_replica=10)
    peak = months[-1]
    r = assess_risk(
        LINEAR,
        peak.rps,
        peak.replicas,
        peak_month=6,
        months=months,
        connections_per_replica=10,
        usable_connections=40,
        max_connections=50,
    )
    assert r.capacity_one_down_rps == pytest.approx(model_throughput(LINEAR, peak.replicas - 1))
    assert r.slo_holds_one_down == (peak.rps <= r.capacity_one_down_rps)
    assert r.db_connections_at_peak == peak.replicas * 10
    breaks = next(f.month for f in months if f.replicas * 10 > 40)
    assert r.db_budget_breaks_month == breaks


def test_risk_a_single_replica_has_no_spare() -> None:
    r = assess_risk(LINEAR, 50.0, 1)
    assert r.capacity_one_down_rps == 0 and not r.slo_holds_one_down and "no spare" in r.notes[0]


def test_risk_slo_predicted_to_break_with_one_down() -> None:
    r = assess_risk(LINEAR, 250.0, 3)  # X(2) = 200 < 250
    assert not r.slo_holds_one_down and "break" in r.notes[0]


def test_whole_plan_on_a_sweep(sweep_baselines) -> None:
    prices = parse_prices({"vcpu_hour": 0.04, "gib_hour": 0.005, "currency": "USD"})
    inputs = PlanInputs(
        growth=parse_growth("10%/month"), horizon=12, current_replicas=2, start=START, prices=prices
    )
    rec = recommend(evidence_of(sweep_baselines), 40.0, db_max_connections=200, plan=inputs)
    cpu = parse_cpu(rec.resources.cpu_request)
    gib = parse_memory(rec.resources.memory_request) / 2**30
    assert rec.cost is not None
    assert rec.cost.monthly == rec.replicas * (cpu * 0.04 + gib * 0.005) * 730
    assert len(rec.forecast) == 13 and rec.forecast[0].rps == 40.0
    for f in rec.forecast:
        assert f.monthly_cost == f.replicas * (cpu * 0.04 + gib * 0.005) * 730
    assert rec.capacity_runs_out_month == next((f.month for f in rec.forecast if f.replicas > 2), None)
    assert rec.risk is not None and rec.risk.peak_month == 12
    assert rec.risk.db_connections_at_peak == rec.forecast[-1].replicas * (
        rec.db_pool_size + rec.db_max_overflow
    )
    line = rec_line(rec)
    assert line is not None and line.startswith("at +10 %/month, 2 replicas") and line in rec.reasoning
    assert Recommendation.model_validate_json(rec.model_dump_json(by_alias=True)) == rec


def test_history_start_rps_is_month_zero(sweep_baselines) -> None:
    inputs = PlanInputs(growth=parse_growth("5%/month"), start_rps=33.0, horizon=3, start=START)
    rec = recommend(evidence_of(sweep_baselines), 40.0, plan=inputs)
    assert rec.forecast[0].rps == 33.0 and rec.growth.start_rps == 33.0
    assert rec.forecast[3].rps == pytest.approx(33.0 * 1.05**3)
    assert math.isclose(rec.growth.monthly_factor, 1.05)
