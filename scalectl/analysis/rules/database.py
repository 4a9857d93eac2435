"""Database rules: the pool at its maximum, pool wait rising, pool exhaustion (timeouts / 503s),
latency rising with load while the replicas' CPU has room."""

from __future__ import annotations

import math

import numpy as np

from scalectl.analysis.rules._common import Context, fmt_pct
from scalectl.analysis.scope import env_knob
from scalectl.analysis.signals import histogram_quantile
from scalectl.models import Evidence, Finding


def _pool_numbers(ctx: Context) -> tuple[int | None, int]:
    size = ctx.signals.column("pool_size")
    over = ctx.signals.column("pool_max_overflow")
    s = None if size.empty or size.max().isna().all() else int(size.max().max())
    o = 0 if over.empty or over.max().isna().all() else int(over.max().max())
    return s, o


def cpu_bound_ratio(ctx: Context) -> float | None:
    """The busiest replica's CPU (p90 under load) as a share of its allotment, when it is at or past
    ``cpu_high_ratio``; None otherwise. A pool that fills while the CPU is saturated is a symptom:
    coroutines hold their connections while they wait for the CPU."""
    util = ctx.cpu_utilization
    if util.empty or util.isna().all():
        return None
    u = float(util.max())
    return u if u >= ctx.params.cpu_high_ratio else None


def _symptom_of_cpu(ctx: Context, severity: str, confidence: float, ev: list[Evidence]) -> tuple[str, float]:
    """Lower a pool finding below the CPU finding when the CPU is saturated, and say why."""
    cpu = cpu_bound_ratio(ctx)
    if cpu is None:
        return severity, confidence
    ev.append(
        Evidence(
            metric="replica CPU p90 / allotment",
            observed=round(cpu, 3),
            threshold=ctx.params.cpu_high_ratio,
            window=ctx.window,
            note="CPU saturated: connections are held while requests wait for the CPU; by the "
            f"utilisation law a change that leaves CPU per request as it is can raise throughput by at "
            f"most {max(0.0, 1.0 / cpu - 1.0):.0%} (1/U − 1); fix the CPU first, then look at the pool again",
        )
    )
    return "medium", round(confidence * 0.6, 3)


def pool_action(ctx: Context) -> tuple[str, dict[str, str]]:
    """ "Raise DB_POOL_SIZE from 5 to 12; 3 replicas × (12 + 5) = 51 connections stay under 100"."""
    p = ctx.params
    size, over = _pool_numbers(ctx)
    n = ctx.replicas
    budget = int(p.db_max_connections * p.db_connection_budget)
    cpu = cpu_bound_ratio(ctx)
    if cpu is not None:  # the evidence then says "fix the CPU first": so does the action (issue 13)
        now = f" (now {size} + {over})" if size is not None else ""
        return (
            f"fix the CPU first: the replicas' CPU is at {fmt_pct(cpu)} of its allotment, and the pool "
            "fills because requests hold their connections while they wait for the CPU (more replicas "
            f"or cores, see the CPU finding); measure again before changing DB_POOL_SIZE{now}",
            {},
        )
    if size is None:
        return (
            "the database pool looks like the limit: export db_pool_* metrics (or map your app's names "
            "in telemetry.metric_names) to size it, then raise the pool size",
            {},
        )
    inflight = ctx.signals.column("in_flight")
    demand = float(ctx.p90(inflight).max()) if not inflight.empty else float("nan")
    want = max(2 * size, math.ceil(demand / p.pool_target_ratio) if not math.isnan(demand) else 0)
    cap_per_replica = max(budget // n - over, 1)
    new = max(min(want, cap_per_replica), size + 1)
    total = n * (new + over)
    limit = f"the database's max_connections ({p.db_max_connections}, PostgreSQL's default)"
    if total <= budget:
        tail = f"{n} replica(s) × ({new} + {over} overflow) = {total} connections stay under {limit}"
    else:
        tail = (
            f"{n} × ({new} + {over}) = {total} connections would pass {fmt_pct(p.db_connection_budget)} "
            f"of {limit}: put PgBouncer in front, or make the queries shorter"
        )
    var = env_knob(ctx.run, "DB_POOL_SIZE", "pool")
    what = f"raise {var}" if var else "raise the pool size of your database client"
    action = (
        f"pool is the limit: {what} from {size} to {new}; {tail}. If the wait stays, the queries hold "
        + (
            "connections too long (look at slow queries, DB_SLOW_QUERY_MS on the bundled target)"
            if ctx.bundled
            else "connections too long (look at slow queries and at work done while a connection is held)"
        )
    )
    return action, ({var: str(new)} if var else {})


def pool_saturated(ctx: Context) -> Finding | None:
    util = ctx.signals.column("pool_utilization")
    if util.empty:
        return None
    loaded = util[ctx.loaded]
    full = (loaded >= ctx.params.pool_full_ratio).where(loaded.notna())
    share = full.mean()  # per replica, NaN ignored
    if share.isna().all():
        return None
    worst = share.idxmax()
    if share[worst] < ctx.params.pool_full_min_share:
        return None
    size, over = _pool_numbers(ctx)
    action, env = pool_action(ctx)
    ev = [
        Evidence(
            metric="db_pool_checked_out / (db_pool_size + db_pool_max_overflow)",
            observed=round(float(share[worst]), 3),
            threshold=ctx.params.pool_full_min_share,
            window=ctx.window,
            source=str(worst),
            note=f"share of seconds at ≥ {fmt_pct(ctx.params.pool_full_ratio)} of the pool",
        )
    ]
    severity, confidence = _symptom_of_cpu(ctx, "high", 0.9, ev)
    return ctx.finding(
        rule="db_pool_saturated",
        category="database",
        severity=severity,  # type: ignore[arg-type]
        confidence=confidence,
        server_side=True,
        title=f"database pool at its maximum ({size} + {over}) in {fmt_pct(share[worst])} of loaded seconds",
        evidence=ev,
        action=action,
        verify=ctx.verify(env=env),
        change=env,
    )


def pool_wait(ctx: Context) -> Finding | None:
    mean = ctx.signals.column("pool_wait_mean_s")
    rate = ctx.signals.column("pool_wait_rate")
    if mean.empty or rate.empty:
        return None
    m, r = mean[ctx.loaded], rate[ctx.loaded].reindex(columns=mean.columns)
    weights = r.where(m.notna()).fillna(0.0)
    tot = float(weights.to_numpy().sum())
    if tot <= 0:
        return None
    wait_ms = float((m.fillna(0.0) * weights).to_numpy().sum() / tot * 1000.0)
    if wait_ms < ctx.params.pool_wait_ms:
        return None
    per_sec = (m.fillna(0.0) * weights).sum(axis=1) / weights.sum(axis=1).replace(0, np.nan)
    per_sec = per_sec.dropna()
    third = max(len(per_sec) // 3, 1)
    first, last = per_sec.iloc[:third].mean(), per_sec.iloc[-third:].mean()
    rising = bool(first > 0 and last / first >= ctx.params.pool_wait_rise_ratio) or ctx.trend.rises(
        ctx.params
    )
    p95 = [histogram_quantile(0.95, b, ctx.loaded) for b in ctx.signals.pool_wait_buckets.values()]
    p95v = max((x for x in p95 if x is not None), default=None)
    action, env = pool_action(ctx)
    ev = [
        Evidence(
            metric="db_pool_wait_seconds (mean)",
            observed=round(wait_ms, 2),
            threshold=ctx.params.pool_wait_ms,
            window=ctx.window,
            note="ms; rising over the run" if rising else "ms",
        )
    ]
    if p95v is not None:
        ev.append(
            Evidence(
                metric="db_pool_wait_seconds (p95)",
                observed=round(p95v * 1000, 2),
                window=ctx.window,
                note="ms",
            )
        )
    severity, confidence = _symptom_of_cpu(
        ctx, "high" if rising or wait_ms >= ctx.params.pool_wait_high_ms else "medium", 0.85, ev
    )
    return ctx.finding(
        rule="db_pool_wait",
        category="database",
        severity=severity,  # type: ignore[arg-type]
        confidence=confidence,
        server_side=True,
        title=f"requests wait {wait_ms:.1f} ms on average for a database connection"
        + (" and the wait is rising" if rising else ""),
        evidence=ev,
        action=action,
        verify=ctx.verify(env=env),
        change=env,
    )


def pool_exhausted(ctx: Context) -> Finding | None:
    p = ctx.params
    timeouts = ctx.signals.column("pool_timeouts_rps")
    n503 = ctx.error_count("http_503")
    if not timeouts.empty:
        count = float(timeouts[ctx.loaded].sum().sum())
        if count < p.pool_timeouts_min:
            return None
        action, env = pool_action(ctx)
        return ctx.finding(
            rule="db_pool_exhausted",
            category="database",
            severity="critical",
            confidence=0.95,
            server_side=True,
            title=f"database pool exhausted: {count:.0f} pool timeouts, {n503:.0f} responses 503",
            evidence=[
                Evidence(
                    metric="db_pool_timeouts_total",
                    observed=round(count),
                    threshold=p.pool_timeouts_min,
                    window=ctx.window,
                ),
                Evidence(metric="client errors http_503", observed=n503, window=ctx.window),
            ],
            action=action,
            verify=ctx.verify(env=env),
            change=env,
        )
    # client side only: 503s, nothing that explains them otherwise
    if ctx.signals.column("pool_utilization").shape[1] or (ctx.breaker_open_share or 0) > 0:
        return None
    share = ctx.error_share("http_503")
    if share <= p.max_error_rate:
        return None
    action, env = pool_action(ctx)
    return ctx.finding(
        rule="db_pool_exhausted",
        category="database",
        severity="high",
        confidence=0.5,
        server_side=False,
        title=f"{fmt_pct(share)} of responses are 503 (a pool failing fast when exhausted, or overload)",
        evidence=[
            Evidence(
                metric="client errors http_503 / requests",
                observed=round(share, 4),
                threshold=p.max_error_rate,
                window=ctx.window,
                note="no server telemetry",
            )
        ],
        action=action,
        verify=ctx.verify(env=env),
        change=env,
    )


def latency_rising_cpu_room(ctx: Context) -> Finding | None:
    p = ctx.params
    trend = ctx.trend
    if not trend.rises(p) or ctx.signals.cpu.empty:
        return None
    if ctx.plateau is not None and ctx.signals.column("pool_utilization").empty:
        return None  # no database evidence, and a concurrency limit explains it (rules/concurrency.py)
    cpu = float(ctx.cpu_utilization.max())
    if np.isnan(cpu) or cpu >= p.cpu_room_ratio:
        return None
    pool = ctx.signals.column("pool_utilization")
    pool_u = float(ctx.p90(pool).max()) if not pool.empty else None
    if pool_u is not None and pool_u < p.pool_idle_ratio:
        return None  # the pool is idle too: application.latency_rising_pool_idle
    action, env = pool_action(ctx)
    return ctx.finding(
        rule="db_latency_rising_cpu_room",
        category="database",
        severity="medium",
        confidence=0.6 if pool_u is not None else 0.45,
        server_side=True,
        title=(
            f"p95 latency rises {trend.high_p95 / (trend.low_p95 or 1):.1f}× with load while replica CPU "
            f"stays at {fmt_pct(cpu)} of its allotment"
        ),
        evidence=[
            ctx.trend_evidence(),
            Evidence(
                metric="replica CPU p90 / allotment",
                observed=round(cpu, 3),
                threshold=p.cpu_room_ratio,
                window=ctx.window,
            ),
        ],
        action="the time goes to waiting, not computing: check the database (pool wait, slow queries); "
        + action,
        verify=ctx.verify(env=env),
        change=env,
    )


RULES = (pool_exhausted, pool_saturated, pool_wait, latency_rising_cpu_room)
