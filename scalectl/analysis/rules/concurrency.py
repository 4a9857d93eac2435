"""Application rule: a concurrency limit found by Little's law, with or without app metrics.

Throughput flat across load levels while latency grows with the load (analysis/levels.py) means the
service serves a fixed number of requests at once and the rest queue. The process CPU at the top
level tells which limit: well under its allotment → workers / connections ("add workers or replicas,
or raise concurrency"); at its allotment → CPU (``application.cpu_saturated`` names that one, so this
rule stays quiet). Without process telemetry the finding rests on the client side alone and says so.
"""

from __future__ import annotations

import math

from scalectl.analysis import scope
from scalectl.analysis.levels import Plateau, busiest_process_cpu
from scalectl.analysis.rules._common import Context, fmt_pct
from scalectl.models import Evidence, Finding


def _explained_elsewhere(ctx: Context) -> bool:
    """A full database pool, rate limiting or an open breaker is the limit: their rules name it."""
    p = ctx.params
    pool = ctx.signals.column("pool_utilization")
    if not pool.empty and float(ctx.p90(pool).max()) >= p.pool_full_ratio:
        return True
    if ctx.error_share("http_429") >= p.rate_limited_share:
        return True
    return (ctx.breaker_open_share or 0.0) > p.breaker_open_min_share


def _cpu_at_top(ctx: Context) -> float | None:
    top = ctx.plateau.top if ctx.plateau else None
    if top is not None and top.cpu is not None:
        return top.cpu
    util = ctx.cpu_utilization
    return None if util.empty or util.isna().all() else float(util.max())


def _action(ctx: Context, c: float, cpu: float | None) -> str:
    p = ctx.params
    n = ctx.replicas
    per = ctx.plateau.rps / max(n, 1) if ctx.plateau else 0.0
    if ctx.bundled:
        what = (
            "the bundled backend is async, so a limit this flat comes from a bounded resource: raise "
            "DB_POOL_SIZE or LLM_MAX_CONCURRENCY if one of them is the cap, else add replicas"
        )
    else:
        what = (
            f"it serves about {c:.1f} request(s) at a time and the rest queue: add workers or replicas, "
            "or raise its concurrency (more worker processes or threads, an async worker class, a larger "
            "connection limit)"
        )
        knob = scope.declared_knob(ctx.run, "worker", "replica", "concurren", "thread")
        if knob is not None:
            what += f"; the declared knob {knob[0]!r} sets {knob[1]}"
    what += f"; each replica like this one adds about {per:.3g} req/s"
    if cpu is None:
        what += (
            "; without process telemetry this cannot tell a worker limit from CPU: measure with "
            "--target-cmd (scalectl samples the process tree) to tell them apart"
        )
    elif cpu >= p.cpu_room_ratio:
        what += f"; CPU is at {fmt_pct(cpu)} of its allotment, so more cores may be needed too"
    return what


def concurrency_limit(ctx: Context) -> Finding | None:
    p = ctx.params
    pl = ctx.plateau
    if pl is None or _explained_elsewhere(ctx):
        return None
    cpu = _cpu_at_top(ctx)
    if cpu is not None and cpu >= p.cpu_high_ratio:
        return None  # CPU-bound: application.cpu_saturated
    unit = "users" if pl.top.load_name == "users" else "req/s offered"
    c = pl.concurrency
    about = "at most " if pl.from_lowest else "≈"
    kind, conf, server = _limit_kind(ctx, cpu)
    want = max(ctx.replicas + 1, math.ceil(ctx.replicas * pl.top.in_flight / max(c, 1e-9)))
    return ctx.finding(
        rule="app_concurrency_limit",
        category="application",
        severity="high",
        confidence=conf,
        server_side=server,
        title=(
            f"concurrency limit: throughput stays at ~{pl.rps:.3g} req/s from {pl.start.load:g} to "
            f"{pl.top.load:g} {unit} while latency grows {pl.latency_growth:.1f}×; Little's law: "
            f"{about}{c:.1f} request(s) served at once ({kind})"
        ),
        evidence=_plateau_evidence(ctx, pl, unit, cpu),
        action=_action(ctx, c, cpu),
        verify=ctx.verify(replicas=min(want, ctx.replicas * 4)),
    )


def _limit_kind(ctx: Context, cpu: float | None) -> tuple[str, float, bool]:
    """What the limit looks like from the CPU (words for the title), the confidence, and whether it
    rests on server-side evidence."""
    p = ctx.params
    worker = busiest_process_cpu(ctx.run, ctx.window)
    if cpu is None:
        return "CPU not measured", 0.8, False
    if worker is not None and worker >= p.cpu_high_ratio:
        return (
            f"CPU at {fmt_pct(cpu)} of its allotment, its busiest process at {fmt_pct(worker)} of a core: "
            "each worker computes; more workers can use the free cores",
            0.8,
            True,
        )
    if cpu < p.cpu_room_ratio:
        return f"CPU at {fmt_pct(cpu)} of its allotment: a worker/connection limit", 0.85, True
    return f"CPU at {fmt_pct(cpu)} of its allotment: workers and CPU both near", 0.6, True


def _plateau_evidence(ctx: Context, pl: Plateau, unit: str, cpu: float | None) -> list[Evidence]:
    """The plateau (throughput flat, latency growing), Little's law, and the CPU at the top level."""
    p = ctx.params
    evidence = [
        Evidence(
            metric=f"throughput from {pl.start.load:g} to {pl.top.load:g} {unit} (top / plateau start)",
            observed=round(pl.top.rps / pl.start.rps, 3),
            threshold=round(1 + p.plateau_tolerance, 3),
            note=f"{pl.start.rps:.4g} → {pl.top.rps:.4g} req/s; load grew {pl.load_growth:.2f}×",
        ),
        Evidence(
            metric="mean latency growth (top / plateau start)",
            observed=round(pl.latency_growth, 2),
            threshold=round(1 + p.plateau_latency_share * (pl.load_growth - 1), 2),
            note=f"{pl.start.mean_ms:.0f} → {pl.top.mean_ms:.0f} ms",
        ),
        Evidence(
            metric="Little's law: plateau throughput × mean latency at the lowest load",
            observed=round(pl.concurrency, 2),
            note=f"{pl.rps:.4g} req/s × {pl.low.mean_ms:.0f} ms at {pl.low.label} "
            f"({pl.low.source}): requests served at once; at the top {pl.top.in_flight:.1f} are in flight",
        ),
    ]
    if cpu is not None:
        evidence.append(
            Evidence(
                metric="target process CPU p90 / allotment at the top level",
                observed=round(cpu, 3),
                threshold=p.cpu_high_ratio,
                note=f"CPU samples from {ctx.signals.cpu_from or 'the sweep'}",
            )
        )
    return evidence


RULES = (concurrency_limit,)
