"""Code rules: slow already at low load, one route dominating total time, retrograde throughput."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scalectl import histograms
from scalectl.analysis.levels import below_knee
from scalectl.analysis.rules._common import Context, fmt_pct
from scalectl.models import Evidence, Finding, RunResult


@dataclass(frozen=True)
class LowLoad:
    """Where "low load" was measured: seconds of this run, or a sweep step's run; and how sure."""

    what: str
    mask: pd.Series | None = None
    run: RunResult | None = None
    backed: bool = False


def _one_level_is_low(ctx: Context) -> LowLoad | None:
    """A run at one load level is low load only when nothing can queue: one user at a time, fewer
    than ``low_load_in_flight`` requests in flight (Little's law), or the bundled backend (async, no
    hidden worker limit) with CPU and database pool to spare."""
    p = ctx.params
    df = ctx.signals.load[ctx.loaded]
    if df.empty:
        return None
    if ctx.run.load_model != "open" and 0 < float(df["users"].max()) <= 1:
        return LowLoad("one user at a time", mask=ctx.loaded, backed=True)
    req = float(df["requests"].sum())
    in_flight = (float((df["mean_ms"] * df["requests"]).sum()) / 1000.0 / len(df)) if req else 0.0
    if in_flight and in_flight <= p.low_load_in_flight:
        return LowLoad(f"{in_flight:.2f} requests in flight (Little's law)", mask=ctx.loaded, backed=True)
    if not ctx.bundled:
        return None
    cpu, pool = ctx.signals.cpu, ctx.signals.column("pool_utilization")
    if cpu.empty and pool.empty:
        return None
    if not cpu.empty and float(ctx.cpu_utilization.max()) >= p.cpu_room_ratio:
        return None
    if not pool.empty and float(ctx.p90(pool).max()) >= p.pool_full_ratio:
        return None
    return LowLoad("CPU and database pool to spare", mask=ctx.loaded, backed=True)


def low_load(ctx: Context) -> LowLoad | None:
    """Low load, below the knee: a sweep's lowest step; in one run, its levels in the bottom
    ``low_load_fraction`` of the load range that lie below the knee (at least the lowest). Never a
    saturated level: its latency is the queue, not the code."""
    levels = ctx.levels
    p = ctx.params
    if len(levels) >= 2:
        low = levels[0]
        if not below_knee(low, levels, p):
            return None
        if low.run is not None:
            if low.run.run_id == ctx.run.run_id:
                return LowLoad(f"the sweep's lowest step ({low.label})", mask=ctx.loaded, backed=True)
            return LowLoad(
                f"the sweep's lowest step ({low.label}, run {low.run.run_id})", run=low.run, backed=True
            )
        cut = low.load + p.low_load_fraction * (levels[-1].load - low.load)
        chosen = [x for x in levels if x.load <= cut and below_knee(x, levels, p) and x.mask is not None]
        mask = chosen[0].mask
        for x in chosen[1:]:
            mask = mask | x.mask
        idx = ctx.signals.load.index[mask.reindex(ctx.signals.load.index, fill_value=False).to_numpy()]
        span = low.label if len(chosen) == 1 else f"{low.label} to {chosen[-1].label}"
        where = f"this run's low load ({span}, t={int(idx.min())}-{int(idx.max()) + 1}s)"
        return LowLoad(where, mask=mask, backed=True)
    if ctx.sweep:
        return None
    return _one_level_is_low(ctx)


def endpoint_p95_in(ctx: Context, mask: pd.Series) -> dict[str, tuple[float, int]]:
    """Per endpoint: p95 (ms) and request count over (≤ ``max_decoded_seconds`` of) the masked seconds."""
    seconds = set(ctx.signals.load.index[mask.reindex(ctx.signals.load.index, fill_value=False).to_numpy()])
    positions = np.asarray(
        [i for i, s in enumerate(ctx.run.series) if int(np.floor(s.t)) in seconds], dtype=int
    )
    limit = ctx.params.max_decoded_seconds
    if len(positions) > limit:
        positions = positions[np.linspace(0, len(positions) - 1, limit).round().astype(int)]
    merged: dict[str, list[str]] = {}
    for i in positions:
        for key, ep in ctx.run.series[i].endpoints.items():
            if ep.histogram and ep.requests:
                merged.setdefault(key, []).append(ep.histogram)
    out = {}
    for key, parts in merged.items():
        h = histograms.merge(parts)
        out[key] = (histograms.percentile_ms(h, 95.0), int(h.get_total_count()))
    return out


def _endpoint_p95_of_run(run: RunResult) -> dict[str, tuple[float, int]]:
    return {ep.key: (ep.latency_ms.p95, ep.requests) for ep in run.endpoints if ep.requests}


def slow_at_low_load(ctx: Context) -> Finding | None:
    p = ctx.params
    low = low_load(ctx)
    if low is None:
        return None
    limit = (
        ctx.monitor.latency_limit_ms * p.slow_at_low_load_slo_share
        if ctx.monitor.latency_limit_ms
        else p.slow_at_low_load_ms
    )
    if low.run is not None:
        per = _endpoint_p95_of_run(low.run)
        window = None
    else:
        mask = low.mask if low.mask is not None else ctx.loaded
        if not mask.any():
            return None
        per = endpoint_p95_in(ctx, mask)
        idx = ctx.signals.load.index[mask.reindex(ctx.signals.load.index, fill_value=False).to_numpy()]
        window = (float(idx.min()), float(idx.max()) + 1.0)
    slow = {k: v for k, v in per.items() if v[0] >= limit and v[1] >= p.slow_min_requests}
    if not slow:
        return None
    worst = max(slow, key=lambda k: slow[k][0])
    p95, n = slow[worst]
    return ctx.finding(
        rule="code_slow_at_low_load",
        category="code",
        severity="medium",
        confidence=0.7,
        server_side=low.backed,
        title=f"{worst} is slow already at low load: p95 {p95:.0f} ms at {low.what}"
        + (f" (and {len(slow) - 1} more route(s))" if len(slow) > 1 else ""),
        evidence=[
            Evidence(
                metric=f"p95 latency of {worst} at low load",
                observed=round(p95, 1),
                threshold=round(limit, 1),
                window=window,
                note=f"ms, {n} requests, at {low.what}",
            )
        ],
        action=(
            f"optimise {worst} itself (profile it at low load: queries, N+1, serialisation, CPU work); "
            "more replicas will not make a single request faster"
        ),
        verify=ctx.verify(),
    )


def route_dominating(ctx: Context) -> Finding | None:
    eps = [e for e in ctx.run.endpoints if e.requests]
    if len(eps) < 2:
        return None
    time = {e.key: e.requests * e.latency_ms.mean for e in eps}
    total = sum(time.values())
    if total <= 0:
        return None
    worst = max(time, key=time.__getitem__)
    share = time[worst] / total
    if share < ctx.params.route_time_share:
        return None
    return ctx.finding(
        rule="code_route_dominating",
        category="code",
        severity="low",
        confidence=0.6,
        server_side=False,
        title=f"{worst} takes {fmt_pct(share)} of all request time",
        evidence=[
            Evidence(
                metric="requests × mean latency share",
                observed=round(share, 3),
                threshold=ctx.params.route_time_share,
                window=ctx.window,
                source=worst,
            )
        ],
        action=f"start optimising with {worst}: the time goes there (cache, batch, or make it async)",
        verify=ctx.verify(),
    )


def retrograde_throughput(ctx: Context) -> Finding | None:
    """Throughput that falls as load grows past its peak: contention, when the fall is real.

    A fall counts only when it is beyond ``retrograde_drop``, rests on at least ``min_window_seconds``
    seconds at the peak and at the top load level, is beyond ``retrograde_z`` standard errors of the
    per-second rates (at least Poisson's: a 16 % fall at 29 req/s over a few seconds is noise), and
    requests got slower meanwhile (mean latency × ``retrograde_latency_rise``): by Little's law a
    server that does less work under more load holds each request longer. Without that, a lower rate
    at a higher load level is the request mix (a slow route drawn more often) or the generator."""
    p = ctx.params
    trend = ctx.trend
    if trend.span < p.min_load_span:
        return None
    df = ctx.signals.load[ctx.loaded]
    load = df[trend.load_name]
    levels = load if load.nunique() <= 20 else pd.qcut(load, 10, duplicates="drop").cat.codes
    grouped = df[["achieved_rps", "mean_ms"]].groupby(levels.to_numpy())
    by = grouped["achieved_rps"].agg(["mean", "var", "count"]).sort_index()
    by = by[by["count"] >= p.min_window_seconds]
    if len(by) < 3:
        return None
    peak_level = by["mean"].idxmax()
    top_level = by.index[-1]
    peak, top = float(by["mean"].max()), float(by["mean"].iloc[-1])
    if top_level == peak_level or top > peak * (1 - p.retrograde_drop):
        return None
    # per-second request counts are at least Poisson-noisy: variance ≥ mean (1-s bins)
    var = by["var"].fillna(0.0).clip(lower=by["mean"])
    se = float(
        (var[peak_level] / by.at[peak_level, "count"] + var[top_level] / by.at[top_level, "count"]) ** 0.5
    )
    if peak - top < p.retrograde_z * se:
        return None
    latency = grouped["mean_ms"].mean()
    if not latency[top_level] >= latency[peak_level] * p.retrograde_latency_rise:
        return None
    drop = 1 - top / peak
    return ctx.finding(
        rule="code_retrograde_throughput",
        category="code",
        severity="high",
        confidence=0.7,
        server_side=ctx.signals.telemetry_available,
        title=f"throughput falls {fmt_pct(drop)} as load grows past its peak ({peak:.4g} → {top:.4g} req/s)",
        evidence=[
            Evidence(
                metric=f"achieved rps at the highest {trend.load_name} / peak",
                observed=round(top / peak, 3),
                threshold=round(1 - p.retrograde_drop, 3),
                window=ctx.window,
            )
        ],
        action=(
            "more load makes less work get done: contention (locks, a shared lock-held resource, thrashing "
            "caches or retries). Find the shared resource; cap concurrency at the peak until it is fixed"
        ),
        verify=ctx.verify(),
    )


RULES = (retrograde_throughput, slow_at_low_load, route_dominating)
