"""The plan over time: monthly forecast of replicas and cost, the run-out month, and the risk at the
forecast peak (one replica down, the database connection budget). Pure.

Each month's replicas are what that month's load needs under the same SLO, utilization and
redundancy as today's (:func:`scalectl.capacity.sizing.size_replicas`); while the load grows they
never fall (a running maximum, so a plateau of the fitted curve cannot shrink a growing service).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from scalectl.capacity.growth import add_months
from scalectl.capacity.sizing import size_replicas
from scalectl.capacity.usl import model_throughput
from scalectl.models import UslModel
from scalectl.models.plan import ForecastMonth, Risk


@dataclass(frozen=True)
class Sizing:
    """How a load becomes a replica count: the fitted curve and the same margins as today's plan."""

    model: UslModel
    utilization: float
    redundancy: int
    max_replicas: int


def forecast(
    sizing: Sizing,
    loads: Sequence[float],
    start: date,
    *,
    cost_of: Callable[[int], float] | None = None,
    connections_per_replica: int | None = None,
) -> list[ForecastMonth]:
    """One entry per month of ``loads`` (month 0 = ``start``'s month)."""
    months: list[ForecastMonth] = []
    prev_rps, prev_n = None, 0
    for m, rps in enumerate(loads):
        plan = size_replicas(
            sizing.model,
            max(rps, 1e-9),
            utilization=sizing.utilization,
            redundancy=sizing.redundancy,
            max_replicas=sizing.max_replicas,
        )
        n = plan.replicas
        if prev_rps is not None and rps >= prev_rps:
            n = max(n, prev_n)
        months.append(
            ForecastMonth(
                month=m,
                date=add_months(start, m),
                rps=rps,
                replicas=n,
                reachable=plan.reachable,
                monthly_cost=cost_of(n) if cost_of is not None else None,
                db_connections=n * connections_per_replica if connections_per_replica is not None else None,
            )
        )
        prev_rps, prev_n = rps, n
    return months


def runs_out_month(months: Sequence[ForecastMonth], current_replicas: int) -> int | None:
    """The first month whose replicas exceed ``current_replicas``; None within the horizon."""
    return next((f.month for f in months if f.replicas > current_replicas), None)


def runs_out_line(label: str, months: Sequence[ForecastMonth], current: int, out: int | None) -> str:
    """'at +10 %/month, 2 replicas run out in month 5 (2027-04)'."""
    reps = f"{current} replica" + ("s" if current != 1 else "")
    if out is None:
        horizon = months[-1].month if months else 0
        return f"at {label}, {reps} last{'' if current != 1 else 's'} the {horizon}-month horizon"
    return f"at {label}, {reps} run{'' if current != 1 else 's'} out in month {out} ({months[out].date})"


def assess_risk(
    model: UslModel,
    peak_rps: float,
    replicas: int,
    *,
    peak_month: int | None = None,
    months: Sequence[ForecastMonth] = (),
    connections_per_replica: int | None = None,
    usable_connections: int | None = None,
    max_connections: int | None = None,
) -> Risk:
    """At the peak with ``replicas`` (N + redundancy): the capacity with one replica down (X(N−1) of the
    fitted curve, which is capacity *at the SLO*: a load at or below it is predicted to hold the SLO),
    and the connection budget: replicas × (pool + overflow) against the usable connections."""
    down = model_throughput(model, replicas - 1) if replicas > 1 and model.lam > 0 else 0.0
    util = peak_rps / down if down > 0 else float("inf")
    holds = down > 0 and peak_rps <= down
    notes = [
        f"one of {replicas} replicas down: {down:.0f} req/s predicted at the SLO "
        f"for a peak of {peak_rps:.0f} req/s ({util:.0%} of it) → the SLO "
        + ("holds" if holds else "is predicted to break")
        if down > 0
        else f"one replica down leaves none: a single replica ({peak_rps:.0f} req/s peak) has no spare"
    ]
    conns = replicas * connections_per_replica if connections_per_replica is not None else None
    breaks = None
    if connections_per_replica is not None and usable_connections is not None:
        breaks = next(
            (f.month for f in months if f.replicas * connections_per_replica > usable_connections), None
        )
        if not months and conns is not None and conns > usable_connections:
            breaks = 0
        notes.append(
            f"DB connections at the peak: {replicas} × {connections_per_replica} = {conns} of "
            f"{usable_connections} usable (max_connections {max_connections})"
            + (f"; the budget breaks in month {breaks}" if breaks is not None else "; within budget")
        )
    return Risk(
        peak_rps=peak_rps,
        peak_month=peak_month,
        replicas=replicas,
        capacity_one_down_rps=down,
        utilization_one_down=util if down > 0 else 0.0,
        slo_holds_one_down=holds,
        db_connections_at_peak=conns,
        db_usable_connections=usable_connections,
        db_max_connections=max_connections,
        db_budget_breaks_month=breaks,
        notes=notes,
    )
