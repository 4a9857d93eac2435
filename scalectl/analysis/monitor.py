"""Monitor: SLO compliance (overall and per endpoint), error rate, achieved vs offered load, headroom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.scope import target_kind
from scalectl.analysis.signals import Signals
from scalectl.analysis.throughput import active_rps
from scalectl.models import RunResult, SloResult
from scalectl.slo import PER_ENDPOINT, evaluate, format_value, parse_threshold

__all__ = ["PER_ENDPOINT", "Monitor", "monitor"]


@dataclass(frozen=True)
class Monitor:
    slo: list[SloResult]
    error_rate: float
    achieved_rps: float
    offered_rps: float | None
    #: 1 - achieved / offered (open model only).
    shortfall: float | None
    #: The busiest resource's utilisation (0..1+) and its name, when telemetry gives one.
    utilization: float | None
    utilization_of: str | None
    headroom: float | None
    #: The tightest overall latency SLO (ms), if any; "slow" rules compare with it.
    latency_limit_ms: float | None
    #: Why performance is not OK (empty when it is).
    problems: list[str] = field(default_factory=list)
    #: The headroom rests on CPU alone for a service scalectl did not write: a limit on its workers or
    #: connections would not show in it.
    cpu_only: bool = False

    @property
    def performance_ok(self) -> bool:
        return not self.problems


def cpu_allotment_cores(run: RunResult, params: AnalysisParams, processes: int) -> float:
    """Cores one sampled process may use: ``cpus_per_replica``, else the default (one Python process
    per replica), capped by the host's share. A user's command (its whole process tree, workers and
    all) may use every core of the host unless it was given ``{cpus}``."""
    target = run.target
    cores = run.environment.cpus_per_replica or (target.cpus_per_replica if target else None)
    host = run.environment.cpu_count
    if not cores and target is not None and target.kind == "command" and host:
        cores = float(host)
    cores = cores or params.default_cores_per_replica
    if host and processes:
        cores = min(cores, host / processes)
    return float(cores)


def utilization(sig: Signals, run: RunResult, params: AnalysisParams) -> tuple[float | None, str | None]:
    """p90 over loaded seconds of the busiest replica's CPU (vs its allotment) and pool."""
    loaded = sig.steady(params.edge_fraction)
    best: tuple[float | None, str | None] = (None, None)
    if not sig.cpu.empty:
        allot = cpu_allotment_cores(run, params, sig.cpu.shape[1]) * 100.0
        u = sig.cpu[loaded].quantile(0.9).max() / allot
        if not np.isnan(u):
            best = (float(u), f"CPU of {allot / 100:g} core(s) per replica")
    pool = sig.column("pool_utilization")
    if not pool.empty:
        u = pool[loaded].quantile(0.9).max()
        if not np.isnan(u) and (best[0] is None or u > best[0]):
            best = (float(u), "database pool")
    return best


def monitor(run: RunResult, sig: Signals, slo: Sequence[str], params: AnalysisParams) -> Monitor:
    results = evaluate(run, slo, per_endpoint=True)
    problems: list[str] = []
    for r in results:
        if r.ok is False and r.note is None:
            th = parse_threshold(r.expression)
            problems.append(
                f"SLO {r.expression} ({r.scope}) missed: {format_value(th.metric, r.observed or 0.0)}"
            )
    total = run.total
    error_rate = total.failure_rate
    if error_rate > params.max_error_rate:
        problems.append(f"error rate {error_rate:.2%} above {params.max_error_rate:.2%}")
    loaded = sig.loaded
    achieved = active_rps(run) if total.requests else 0.0
    offered_col = sig.load["offered_rps"][loaded].dropna()
    offered = float(offered_col.mean()) if len(offered_col) else None
    shortfall = None
    if offered:
        shortfall = 1.0 - achieved / offered
        if shortfall > params.max_load_shortfall:
            problems.append(f"achieved {achieved:.4g} req/s of {offered:.4g} offered ({shortfall:.0%} short)")
    if total.requests == 0:
        problems.append("no requests were measured")
    util, util_of = utilization(sig, run, params)
    headroom = None if util is None else max(0.0, params.headroom_target - util)
    lat_limits = [
        parse_threshold(r.expression).value
        for r in results
        if r.scope == "overall" and parse_threshold(r.expression).metric == "latency"
    ]
    return Monitor(
        slo=results,
        error_rate=error_rate,
        achieved_rps=achieved,
        offered_rps=offered,
        shortfall=shortfall,
        utilization=util,
        utilization_of=util_of,
        headroom=headroom,
        latency_limit_ms=min(lat_limits) if lat_limits else None,
        problems=problems,
        cpu_only=bool(util_of and util_of.startswith("CPU")) and target_kind(run) != "bundled",
    )
