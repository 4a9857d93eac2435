"""Application rules: replica CPU near its allotment, event-loop lag, latency rising with load while
the pool is idle, and configuration limits: rate limits, circuit breaker / upstream, cache hit ratio."""

from __future__ import annotations

import math

import numpy as np

from scalectl.analysis.rules._common import Context, fmt_pct
from scalectl.analysis.scope import env_knob
from scalectl.models import Evidence, Finding


def cpu_saturated(ctx: Context) -> Finding | None:
    p = ctx.params
    cpu = ctx.signals.cpu
    if cpu.empty:
        return None
    allot = ctx.cpu_allotment
    util = ctx.cpu_utilization
    if util.isna().all():
        return None
    worst = util.idxmax()
    u = float(util[worst])
    if u < p.cpu_high_ratio:
        return None
    n = ctx.replicas
    mean_u = float(util.mean())
    want = max(n + 1, math.ceil(n * mean_u / p.cpu_target_ratio))
    return ctx.finding(
        rule="app_cpu_saturated",
        category="application",
        severity="high",
        confidence=0.9 if ctx.signals.cpu_from == "process" else 0.85,
        server_side=True,
        title=f"replica CPU at {fmt_pct(u)} of its {allot:g} core(s) (p90 under load)",
        evidence=[
            Evidence(
                metric=f"cpu_percent p90 / ({allot:g} × 100)",
                observed=round(u, 3),
                threshold=p.cpu_high_ratio,
                window=ctx.window,
                source=str(worst),
                note=f"CPU samples from {ctx.signals.cpu_from}",
            )
        ],
        action=(
            f"CPU-bound at {n} replica(s): add replicas ({n} → {want}) or give each more cores, "
            f"see `scalectl recommend` on this run; else profile the hottest route"
        ),
        verify=ctx.verify(replicas=want),
        change={"replicas": str(want)},
    )


def event_loop_lag(ctx: Context) -> Finding | None:
    lag = ctx.signals.column("event_loop_lag_s")
    if lag.empty:
        return None
    v = lag[ctx.loaded].quantile(0.95).max() * 1000.0
    if np.isnan(v) or v < ctx.params.loop_lag_ms:
        return None
    evidence = [
        Evidence(
            metric="event_loop_lag_seconds p95",
            observed=round(float(v), 1),
            threshold=ctx.params.loop_lag_ms,
            window=ctx.window,
            note="ms",
        )
    ]
    why = "something blocks the loop"
    if not ctx.signals.cpu.empty:
        cpu = float(ctx.cpu_utilization.max())
        evidence.append(
            Evidence(metric="replica CPU p90 / allotment", observed=round(cpu, 3), window=ctx.window)
        )
        if cpu < ctx.params.cpu_high_ratio:
            why = (
                f"the loop is blocked while the process uses {fmt_pct(cpu)} of its core: synchronous work "
                "on the loop, or a host whose CPUs are busy with other processes"
            )
        else:
            why = "CPU work runs on the event loop"
    return ctx.finding(
        rule="app_event_loop_lag",
        category="application",
        severity="high" if v >= 4 * ctx.params.loop_lag_ms else "medium",
        confidence=0.8,
        server_side=True,
        title=f"event loop lags {v:.0f} ms (p95): {why}",
        evidence=evidence,
        action=(
            "move CPU-heavy or synchronous work off the event loop (run_in_executor, a process pool, "
            "an async driver), or run more worker processes per replica"
        ),
        verify=ctx.verify(),
    )


def latency_rising_pool_idle(ctx: Context) -> Finding | None:
    p = ctx.params
    trend = ctx.trend
    pool = ctx.signals.column("pool_utilization")
    if not trend.rises(p) or pool.empty or ctx.plateau is not None:
        return None  # with a plateau, rules/concurrency.py names the limit
    pool_u = float(ctx.p90(pool).max())
    if np.isnan(pool_u) or pool_u >= p.pool_idle_ratio:
        return None
    return ctx.finding(
        rule="app_latency_rising_pool_idle",
        category="application",
        severity="medium",
        confidence=0.6,
        server_side=True,
        title=f"p95 latency rises {trend.high_p95 / (trend.low_p95 or 1):.1f}× with load, database pool "
        f"stays at {fmt_pct(pool_u)}",
        evidence=[
            ctx.trend_evidence(),
            Evidence(
                metric="db pool utilisation p90",
                observed=round(pool_u, 3),
                threshold=p.pool_idle_ratio,
                window=ctx.window,
            ),
        ],
        action=(
            "the wait is inside the application, not the database: look at CPU per replica, locks, "
            "upstream calls and concurrency limits"
            + (" (e.g. LLM_MAX_CONCURRENCY)" if ctx.bundled else " (workers, threads, connection limits)")
            + ", then add workers/replicas"
        ),
        verify=ctx.verify(),
    )


def rate_limited(ctx: Context) -> Finding | None:
    p = ctx.params
    share, server_side = _rejected_share(ctx)
    if share < p.rate_limited_share:
        return None
    var = env_knob(ctx.run, "RATE_LIMIT_DEFAULT", "rate")
    per_user, users = _per_user_rate(ctx)
    suggested = math.ceil(per_user * 1.2 / 10.0) * 10 if per_user else None
    action = _rate_limit_action(ctx, share, var, per_user, users, suggested) + _shared_limits_note(ctx)
    new_env = {var: f"{suggested}/minute" if suggested else "<higher>"} if var else None
    return ctx.finding(
        rule="app_rate_limited",
        category="application",
        severity="high",
        confidence=0.9,
        server_side=server_side,
        title=f"rate limiting rejects {fmt_pct(share)} of requests",
        evidence=[
            Evidence(
                metric="rate_limit_rejections_total / http_requests_total"
                if server_side
                else "client http_429 / requests",
                observed=round(share, 4),
                threshold=p.rate_limited_share,
                window=ctx.window,
            )
        ],
        action=action,
        verify=ctx.verify(env=new_env),
        change=new_env,
    )


def _rejected_share(ctx: Context) -> tuple[float, bool]:
    """The share of requests the rate limiter rejected under load, and whether the server said so
    (its rejection counter) rather than the client (429 responses)."""
    server = ctx.signals.column("rate_limit_rps")
    http = ctx.signals.column("http_rps")
    if not server.empty and not http.empty:
        rej = float(server[ctx.loaded].sum().sum())
        tot = float(http[ctx.loaded].sum().sum())
        return (rej / tot if tot else 0.0), True
    return ctx.error_share("http_429"), False


def _per_user_rate(ctx: Context) -> tuple[float, float]:
    """Requests per minute each test user sent under load, and the mean number of users."""
    load = ctx.signals.load[ctx.loaded]
    users = float(load["users"].mean()) if len(load) else 0.0
    per_user = float(load["achieved_rps"].mean()) / users * 60.0 if users else 0.0
    return per_user, users


def _rate_limit_action(
    ctx: Context, share: float, var: str | None, per_user: float, users: float, suggested: int | None
) -> str:
    current = (ctx.target_env or {}).get(var) if var else None
    traffic = (
        f"each of the ~{users:.0f} test users sent ~{per_user:.0f}/minute and "
        f"~{per_user * (1 - share):.0f}/minute got through. "
        if per_user
        else ""
    )
    return (
        f"rate limits reject {fmt_pct(share)} of requests (429): the limiter, not capacity, bounds this run; "
        + traffic
        + (
            f"Raise {var}{f' (now {current!r})' if current else ''}"
            if var
            else "Raise the per-user rate limit"
        )
        + (f" to {suggested}/minute" if suggested else "")
        + " if that per-user traffic is realistic, or spread the load over more test users"
    )


def _shared_limits_note(ctx: Context) -> str:
    """With several replicas, limits held per process multiply: say so (empty with one replica)."""
    n = ctx.replicas
    env = ctx.target_env
    if n > 1 and ctx.bundled:
        if env is not None and not env.get("REDIS_URL"):
            return (
                f"; with {n} replicas and no REDIS_URL the limits are held per process, so each user gets "
                f"{n}× the limit: set REDIS_URL so the replicas share one limit"
            )
        return f"; with {n} replicas, check limits are shared (REDIS_URL), not per process"
    if n > 1:
        return f"; with {n} replicas, check the limits are kept in shared storage, not per process"
    return ""


def upstream(ctx: Context) -> Finding | None:
    """The upstream a service calls: its circuit breaker open, 502/504 from the app itself, or slow."""
    for check in (_breaker_open, _upstream_failing, _upstream_slow):
        found = check(ctx)
        if found is not None:
            return found
    return None


def _breaker_open(ctx: Context) -> Finding | None:
    p = ctx.params
    open_share = ctx.breaker_open_share
    rej = ctx.signals.column("breaker_rejections_rps")
    rejected = float(rej[ctx.loaded].sum().sum()) if not rej.empty else 0.0
    if not ((open_share is not None and open_share > p.breaker_open_min_share) or rejected > 0):
        return None
    names = [n for n, f in ctx.signals.labelled("breaker_state").items() if (f[ctx.loaded] == 1).any().any()]
    severe = ctx.monitor.error_rate > p.max_error_rate
    return ctx.finding(
        rule="app_breaker_open",
        category="application",
        severity="critical" if severe else "high",
        confidence=0.9,
        server_side=True,
        title=f"circuit breaker {', '.join(names) or ''} open {fmt_pct(open_share or 0)} of the time: "
        "the upstream is failing",
        evidence=[
            Evidence(
                metric="circuit_breaker_state == 1 (share of seconds)",
                observed=round(open_share or 0, 3),
                threshold=p.breaker_open_min_share,
                window=ctx.window,
            ),
            Evidence(metric="circuit_breaker_rejections_total", observed=round(rejected), window=ctx.window),
        ],
        action=(
            "the upstream provider fails: check its status and credentials, keep the breaker (it guards "
            "the service), serve a degraded answer or queue the work; scaling replicas will not help"
        ),
        verify=ctx.verify(),
    )


def _upstream_failing(ctx: Context) -> Finding | None:
    p = ctx.params
    bad_gateway = ctx.error_share("http_502", "http_504")
    if not (ctx.behind_proxy is False and bad_gateway >= p.lb_error_share):
        return None
    return ctx.finding(
        rule="app_upstream_failing",
        category="application",
        severity="critical" if ctx.monitor.error_rate > p.max_error_rate else "high",
        confidence=0.7,
        server_side=ctx.signals.telemetry_available,
        title=f"{fmt_pct(bad_gateway)} of responses are 502/504 from the app itself: upstream calls fail",
        evidence=[
            Evidence(
                metric="client errors http_502 + http_504 / requests",
                observed=round(bad_gateway, 4),
                threshold=p.lb_error_share,
                window=ctx.window,
                note="no load balancer in front",
            )
        ],
        action=(
            "the app's upstream (e.g. the LLM provider) fails or times out: check it, and put a circuit "
            "breaker with a fallback around it (BREAKER_FAILURE_THRESHOLD) so failures stay fast"
            if ctx.bundled
            else "the app's upstream (a service it calls) fails or times out: check it, and put a "
            "circuit breaker with a fallback around the call so failures stay fast"
        ),
        verify=ctx.verify(),
    )


def _upstream_slow(ctx: Context) -> Finding | None:
    p = ctx.params
    worst: tuple[str, float] | None = None
    for name, frame in ctx.signals.labelled("upstream_mean_s").items():
        v = float(frame[ctx.loaded].mean().max()) * 1000.0
        if not np.isnan(v) and (worst is None or v > worst[1]):
            worst = (name, v)
    if worst is None or worst[1] < p.upstream_slow_ms:
        return None
    return ctx.finding(
        rule="app_upstream_slow",
        category="application",
        severity="medium",
        confidence=0.8,
        server_side=True,
        title=f"upstream {worst[0]} answers in {worst[1]:.0f} ms on average",
        evidence=[
            Evidence(
                metric=f"upstream_duration_seconds{{name={worst[0]}}} mean",
                observed=round(worst[1]),
                threshold=p.upstream_slow_ms,
                window=ctx.window,
                note="ms",
            )
        ],
        action=(
            "the upstream is slow: make the call asynchronous (start-then-poll), cache its answers, "
            + (
                "and bound its concurrency (LLM_MAX_CONCURRENCY) and timeout (LLM_TIMEOUT_S)"
                if ctx.bundled
                else "and bound its concurrency and timeout in your client"
            )
        ),
        verify=ctx.verify(),
    )


def cache_hit_low(ctx: Context) -> Finding | None:
    p = ctx.params
    hits, misses = ctx.signals.labelled("cache_hits_rps"), ctx.signals.labelled("cache_misses_rps")
    worst: tuple[str, float, float] | None = None
    for cache in set(hits) | set(misses):
        h = float(hits[cache][ctx.loaded].sum().sum()) if cache in hits else 0.0
        m = float(misses[cache][ctx.loaded].sum().sum()) if cache in misses else 0.0
        if h + m < p.cache_min_lookups:
            continue
        ratio = h / (h + m)
        if ratio < p.cache_hit_min and (worst is None or ratio < worst[1]):
            worst = (cache, ratio, h + m)
    if worst is None:
        return None
    return ctx.finding(
        rule="app_cache_hit_low",
        category="application",
        severity="medium",
        confidence=0.75,
        server_side=True,
        title=f"cache {worst[0]!r} hits only {fmt_pct(worst[1])} of {worst[2]:.0f} lookups",
        evidence=[
            Evidence(
                metric=f"cache_hits_total / (hits + misses) {{cache={worst[0]}}}",
                observed=round(worst[1], 3),
                threshold=p.cache_hit_min,
                window=ctx.window,
            )
        ],
        action=(
            "raise CACHE_TTL_S (and check CACHE_ENABLED=1 and a shared REDIS_URL with several replicas); "
            if ctx.bundled
            else "raise the cache's time-to-live on cacheable routes (and share the cache between replicas); "
        )
        + "if the test reads random keys from a large space, a low hit ratio is the workload, not a fault",
        verify=ctx.verify(
            env=(ttl_env := {ttl: "300"} if (ttl := env_knob(ctx.run, "CACHE_TTL_S", "ttl")) else None)
        ),
        change=ttl_env,
    )


RULES = (upstream, rate_limited, cpu_saturated, event_loop_lag, latency_rising_pool_idle, cache_hit_low)
