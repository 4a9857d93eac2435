"""A full plan (forecast, prices, two core shapes, DB pool) and a baseline, from synthetic evidence."""

from __future__ import annotations

from datetime import date
from functools import cache

from scalectl.capacity.cost import parse_prices
from scalectl.capacity.growth import parse_growth
from scalectl.capacity.planner import PlanInputs
from scalectl.capacity.recommend import recommend
from scalectl.models import Baseline, Recommendation
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import make_baseline, sweep


def _with_cores(baselines: list[Baseline], k: float) -> list[Baseline]:
    out = []
    for b in baselines:
        steps = []
        for st in b.steps:
            env = st.run.environment.model_copy(update={"cpus_per_replica": k})
            steps.append(st.model_copy(update={"run": st.run.model_copy(update={"environment": env})}))
        out.append(b.model_copy(update={"steps": steps, "name": f"{b.name}-c{k:g}"}))
    return out


@cache
def plan() -> Recommendation:
    ev = evidence_of(
        _with_cores(sweep(40.0, 0.02, 0.001, pool=(5, 5), pool_hold_ms=20.0), 1)
        + _with_cores(sweep(70.0, 0.02, 0.001, pool=(5, 5), pool_hold_ms=20.0), 2)
    )
    prices = parse_prices({"vcpu_hour": 0.04, "gib_hour": 0.005, "currency": "USD"})
    inputs = PlanInputs(
        growth=parse_growth("10%/month"),
        horizon=12,
        current_replicas=3,
        start=date(2026, 11, 1),
        prices=prices,
    )
    return recommend(ev, 60.0, db_max_connections=100, plan=inputs)


@cache
def baseline() -> Baseline:
    return make_baseline(80.0, offered=[20, 40, 60, 75, 90, 110])
