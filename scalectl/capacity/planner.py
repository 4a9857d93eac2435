"""The plan over time and money around today's recommendation. Pure.

- **options** (horizontal vs vertical): evidence measured at different cores per replica
  (``environment.cpus_per_replica``) is split by that figure; each group gets its own fitted curve and
  sizing, and so an option "N replicas × k cores" with its capacity, monthly cost and blast radius
  (the capacity lost when one replica dies). The cheapest option that reaches the target wins; within
  :data:`COST_TIE` of it, the smaller blast radius wins. Without prices, fewer cores in total win.
- **cost**: :mod:`scalectl.capacity.cost` on the recommended requests.
- **forecast** and **risk**: :mod:`scalectl.capacity.plan`.
- **database advice**: :mod:`scalectl.capacity.dbadvice`, when the database is the limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from scalectl.capacity import cost as costs
from scalectl.capacity import dbadvice
from scalectl.capacity import plan as timeline
from scalectl.capacity.evidence import EvidenceSet, _capacity, grade
from scalectl.capacity.growth import Growth, project
from scalectl.capacity.recommend import Analyzer, Draft, Settings, size_now
from scalectl.capacity.resources import format_cpu, parse_cpu, parse_memory
from scalectl.capacity.sizing import ReplicaPlan
from scalectl.capacity.usl import model_throughput
from scalectl.models import Analysis, Recommendation
from scalectl.models.plan import CostEstimate, GrowthInfo, Prices, ScalingOption

#: Options whose monthly cost is within this fraction of the cheapest count as a tie.
COST_TIE = 0.05
DEFAULT_HORIZON = 12


@dataclass(frozen=True)
class PlanInputs:
    growth: Growth | None = None
    #: Load of month 0 (default: the target rate); with a history, the trend's value now.
    start_rps: float | None = None
    horizon: int = DEFAULT_HORIZON
    current_replicas: int | None = None
    #: Month 0 (the caller's today: the capacity package reads no clock).
    start: date | None = None
    prices: Prices | None = None
    #: Read share of the mix (default: from the scenario recorded in the evidence).
    read_share: float | None = None


def split_by_cores(evidence: EvidenceSet) -> dict[float | None, EvidenceSet]:
    """The evidence per cores-per-replica figure (None: not recorded)."""
    groups: dict[float | None, list] = defaultdict(list)
    for p in evidence.points:
        groups[p.run.environment.cpus_per_replica].append(p)
    if len(groups) <= 1:
        return {next(iter(groups), None): evidence}
    out = {}
    for k, pts in groups.items():
        by_n: dict[int, list] = defaultdict(list)
        for p in pts:
            by_n[p.replicas].append(p)
        caps = [_capacity(n, ps) for n, ps in sorted(by_n.items())]
        ids = {id(p.run) for p in pts}
        runs = [r for r in evidence.runs if id(r) in ids]
        confidence, raise_ = grade(caps, any(s.kind == "process" for r in runs for s in r.telemetry))
        out[k] = EvidenceSet(
            evidence.slo, pts, caps, runs, confidence, raise_, list(evidence.notes), evidence.sources
        )
    return out


def _request_shape(rec: Recommendation, cores: float | None = None) -> tuple[float, float]:
    """(CPU request in cores, memory request in GiB) as the manifests state them; a replica measured
    pinned to ``cores`` cores is priced for those cores (the shape that gave its capacity)."""
    cpu = parse_cpu(rec.resources.cpu_request)
    return (cores if cores else cpu), parse_memory(rec.resources.memory_request) / 2**30


def cost_of(rec: Recommendation, prices: Prices | None, cores: float | None = None) -> CostEstimate | None:
    if prices is None:
        return None
    cpu, mem = _request_shape(rec, cores)
    return costs.estimate(rec.replicas, cpu, mem, prices)


def _option(k: float | None, rec: Recommendation, plan: ReplicaPlan, prices: Prices | None) -> ScalingOption:
    n = rec.replicas
    total = model_throughput(rec.model, n) if rec.model is not None else 0.0
    lost = total - (model_throughput(rec.model, n - 1) if rec.model is not None and n > 1 else 0.0)
    c = cost_of(rec, prices, k)
    return ScalingOption(
        cores_per_replica=k or 0.0,
        replicas=n,
        needed_replicas=rec.needed_replicas or n,
        reachable=rec.reachable,
        capacity_rps=plan.capacity_rps,
        total_capacity_rps=total,
        per_replica_rps=rec.per_replica_capacity_rps or 0.0,
        blast_radius_rps=lost,
        blast_radius_fraction=lost / total if total > 0 else 1.0,
        monthly_cost=c.monthly if c is not None else None,
        source=f"{k:g} core(s) per replica" if k else "cores per replica not recorded",
        limited_by=None if rec.reachable else rec.limited_by,
    )


def _label(o: ScalingOption) -> str:
    return f"{o.replicas} × {o.cores_per_replica:g} core(s)"


def choose(options: list[ScalingOption], currency: str = "") -> tuple[int, str]:
    """Index of the winning option and why (see the module doc)."""
    pool = [i for i, o in enumerate(options) if o.reachable] or list(range(len(options)))
    priced = all(options[i].monthly_cost is not None for i in pool)

    def price(i: int) -> float:
        o = options[i]
        return o.monthly_cost if priced and o.monthly_cost is not None else o.replicas * o.cores_per_replica

    cheapest = min(price(i) for i in pool)
    near = [i for i in pool if price(i) <= cheapest * (1 + COST_TIE)]
    win = min(near, key=lambda i: (options[i].blast_radius_fraction, price(i)))
    w = options[win]
    unit = f" {currency}/month" if priced else " cores"
    why = [f"{_label(w)} reaches the target" if w.reachable else f"{_label(w)} comes closest to the target"]
    why.append(f"at {price(win):.2f}{unit}" if priced else f"with {price(win):g}{unit} in all")
    others = [
        f"{_label(o)}: {price(i):.2f}{unit}, blast radius {o.blast_radius_fraction:.0%}"
        + ("" if o.reachable else f", {o.reach_note}")
        for i, o in enumerate(options)
        if i != win
    ]
    reason = " ".join(why) + f", losing {w.blast_radius_fraction:.0%} of its capacity when one replica dies"
    if len(near) > 1:
        reason += f" (costs within {COST_TIE:.0%} count as a tie; the smaller blast radius wins)"
    return win, reason + ("; vs " + "; ".join(others) if others else "")


def _options(
    evidence: EvidenceSet, target_rps: float, s: Settings, inputs: PlanInputs, analyses, analyzer
) -> tuple[tuple[Recommendation, Draft, ReplicaPlan], list[ScalingOption], str | None, float | None]:
    groups = split_by_cores(evidence)
    sized = {k: size_now(ev, target_rps, s, analyses, analyzer) for k, ev in groups.items()}
    known = [k for k in sized if k is not None]
    if not known:
        return sized[next(iter(sized))], [], None, None
    keys = sorted(known)
    opts = [_option(k, sized[k][0], sized[k][2], inputs.prices) for k in keys]
    win, reason = choose(opts, inputs.prices.currency if inputs.prices else "")
    opts[win] = opts[win].model_copy(update={"chosen": True})
    if len(opts) == 1:
        return sized[keys[win]], opts, None, None
    rec, d, rplan = sized[keys[win]]
    k = keys[win]
    # the chosen shape: k cores requested per replica (what its capacity was measured with)
    res = rec.resources.model_copy(update={"cpu_request": format_cpu(k), "cpu_limit": format_cpu(k)})
    warnings = [*rec.warnings, *_more_cores_did_not_help(opts)]
    rec = rec.model_copy(update={"resources": res, "warnings": warnings})
    return (rec, d, rplan), opts, reason, k


def _more_cores_did_not_help(opts: list[ScalingOption]) -> list[str]:
    """A shape with more cores per replica that measured no more per replica than a smaller one: the
    extra cores sit idle (one event loop per process, a lock, a shared limit)."""
    out = []
    for small, big in zip(opts, opts[1:], strict=False):
        if big.cores_per_replica > small.cores_per_replica and big.per_replica_rps <= small.per_replica_rps:
            out.append(
                f"{big.cores_per_replica:g} cores per replica measured {big.per_replica_rps:.0f} req/s "
                f"per replica, no more than {small.cores_per_replica:g} core(s) "
                f"({small.per_replica_rps:.0f}): the extra cores do not help this service (one event "
                "loop or process per replica, a lock, or a shared limit); scale out, not up"
            )
    return out


def _forecast(rec: Recommendation, d: Draft, s: Settings, inputs: PlanInputs, cores: float | None) -> dict:
    if inputs.growth is None or rec.model is None or inputs.start is None:
        return {}
    start_rps = inputs.start_rps if inputs.start_rps is not None else rec.target_rps
    loads = project(start_rps, inputs.growth, inputs.horizon)
    sizing = timeline.Sizing(rec.model, s.utilization, s.redundancy, s.max_replicas)
    conns = d.pool_size + (d.pool_over or 0) if d.pool_size is not None else None
    price = None
    if inputs.prices is not None:
        prices = inputs.prices
        cpu, mem = _request_shape(rec, cores)
        price = lambda n: costs.monthly_cost(n, cpu, mem, prices)  # noqa: E731
    months = timeline.forecast(sizing, loads, inputs.start, cost_of=price, connections_per_replica=conns)
    current = inputs.current_replicas if inputs.current_replicas is not None else rec.replicas
    out = timeline.runs_out_month(months, current)
    growth = GrowthInfo(
        label=inputs.growth.label,
        monthly_factor=inputs.growth.monthly_factor,
        source=inputs.growth.source,
        r2=inputs.growth.r2,
        n_points=inputs.growth.n_points,
        start_rps=start_rps,
        current_replicas=current,
        horizon_months=inputs.horizon,
    )
    line = timeline.runs_out_line(inputs.growth.label, months, current, out)
    return {"growth": growth, "forecast": months, "capacity_runs_out_month": out, "_line": line}


def _risk(rec: Recommendation, d: Draft, months: list) -> object | None:
    if rec.model is None or rec.model.lam <= 0:
        return None
    peak = max(months, key=lambda f: f.rps) if months else None
    conns = d.pool_size + (d.pool_over or 0) if d.pool_size is not None else None
    return timeline.assess_risk(
        rec.model,
        peak.rps if peak else rec.target_rps,
        peak.replicas if peak else rec.replicas,
        peak_month=peak.month if peak else None,
        months=months,
        connections_per_replica=conns,
        usable_connections=d.usable,
        max_connections=d.max_conn,
    )


def _db_advice(
    rec: Recommendation, d: Draft, evidence: EvidenceSet, s: Settings, inputs: PlanInputs, risk
) -> list:
    breaks = risk is not None and risk.db_budget_breaks_month is not None
    if rec.limited_by != "database" and d.budget_fits and not breaks:
        return []
    share = inputs.read_share
    if share is None:
        share = next(
            (r for run in evidence.runs if (r := dbadvice.read_share(run.scenario)) is not None), None
        )
    peak = risk.peak_rps if risk is not None else rec.target_rps
    ceiling = max((c.knee_rps for c in evidence.capacities), default=0.0)
    ev = dbadvice.DbEvidence(
        target_rps=rec.target_rps,
        peak_rps=peak,
        node_rps=ceiling if rec.limited_by == "database" else 0.0,
        utilization=s.utilization,
        read_share=share,
        hold_s=d.hold_s,
        replicas=risk.replicas if risk is not None else rec.replicas,
        pool_size=d.pool_size,
        max_overflow=d.pool_over,
        usable_connections=d.usable,
        budget_exceeded=(not d.budget_fits) or breaks,
        max_p_wait=s.max_p_wait,
    )
    return dbadvice.advise(ev)


def plan(
    evidence: EvidenceSet,
    target_rps: float,
    s: Settings,
    inputs: PlanInputs | None,
    *,
    analyses: Mapping[str, Analysis] | None = None,
    analyzer: Analyzer | None = None,
) -> Recommendation:
    """Today's recommendation (the chosen option's), plus cost, forecast, risk and DB advice."""
    inputs = inputs or PlanInputs()
    (rec, d, _), options, reason, cores = _options(evidence, target_rps, s, inputs, analyses, analyzer)
    fc = _forecast(rec, d, s, inputs, cores)
    line = fc.pop("_line", None)
    months = fc.get("forecast", [])
    risk = _risk(rec, d, months)
    advice = _db_advice(rec, d, evidence, s, inputs, risk)
    reasoning = list(rec.reasoning)
    if reason:
        reasoning.append(f"options: {reason}")
    if line:
        reasoning.append(line)
    return rec.model_copy(
        update={
            **fc,
            "cost": cost_of(rec, inputs.prices, cores),
            "options": options if len(options) > 1 else [],
            "option_reason": reason,
            "risk": risk,
            "db_advice": advice,
            "reasoning": reasoning,
        }
    )


def runs_out_line(rec: Recommendation) -> str | None:
    """The forecast's one line for the terminal (the same text the reasoning carries)."""
    if rec.growth is None or not rec.forecast:
        return None
    return timeline.runs_out_line(
        rec.growth.label, rec.forecast, rec.growth.current_replicas, rec.capacity_runs_out_month
    )
