"""Infrastructure rules: load generator saturated (checked first: such a run sizes nothing),
connection errors / resets, load balancer errors (502/504), uneven load across replicas, memory."""

from __future__ import annotations

import numpy as np

from scalectl.analysis.rules._common import Context, fmt_pct
from scalectl.models import Evidence, Finding

CONNECTION_KINDS = ("connection", "timeout", "reset", "connection_reset", "connection_refused")


def generator_saturated(ctx: Context) -> Finding | None:
    gen = ctx.run.generator
    threshold = gen.saturation_threshold or ctx.params.generator_cpu_saturated
    cpu = ctx.signals.generator_cpu
    observed = float(ctx.p90(cpu).max()) if not cpu.empty else float("nan")
    sampled = not np.isnan(observed) and observed >= threshold
    if not (gen.saturated or sampled):
        return None
    shown = observed if not np.isnan(observed) else gen.cpu_percent_max
    return ctx.finding(
        rule="infra_generator_saturated",
        category="infrastructure",
        severity="critical",
        confidence=0.95,
        server_side=True,
        title="the load generator saturated: this run cannot size anything",
        evidence=[
            Evidence(
                metric="generator cpu_percent (p90 of the busiest process)",
                observed=round(shown, 1),
                threshold=threshold,
                window=ctx.window,
                note="100 = one core",
            )
        ],
        action=(
            "measure again with more generator capacity: add Locust workers (`--workers N`, one per free "
            "core) or run the generator on another machine; do not size from this run"
        ),
        verify=ctx.verify().replace(" && ", " --workers <N> && ", 1),
    )


def connection_errors(ctx: Context) -> Finding | None:
    share = ctx.error_share(*CONNECTION_KINDS)
    if share < ctx.params.connection_error_share:
        return None
    return ctx.finding(
        rule="infra_connection_errors",
        category="infrastructure",
        severity="high",
        confidence=0.7,
        server_side=ctx.signals.telemetry_available,
        title=f"{fmt_pct(share)} of requests failed to connect, were reset or timed out",
        evidence=[
            Evidence(
                metric="client errors connection/timeout / requests",
                observed=round(share, 4),
                threshold=ctx.params.connection_error_share,
                window=ctx.window,
            )
        ],
        action=(
            "the network path or the server's accept queue gives out: raise the listen backlog and open-file "
            "limits (ulimit -n), check keep-alive and the LB's connection limits, then add replicas"
        ),
        verify=ctx.verify(),
    )


def lb_errors(ctx: Context) -> Finding | None:
    if (ctx.breaker_open_share or 0) > 0 or ctx.behind_proxy is False:
        return None  # the upstream failing explains the 5xx; or no proxy: the app answered them
    share = ctx.error_share("http_502", "http_504")
    if share < ctx.params.lb_error_share:
        return None
    return ctx.finding(
        rule="infra_lb_errors",
        category="infrastructure",
        severity="high",
        confidence=0.7,
        server_side=ctx.signals.telemetry_available,
        title=f"{fmt_pct(share)} of responses are 502/504 (a proxy lost or timed out on its backends)",
        evidence=[
            Evidence(
                metric="client errors http_502 + http_504 / requests",
                observed=round(share, 4),
                threshold=ctx.params.lb_error_share,
                window=ctx.window,
            )
        ],
        action=(
            "check the load balancer's upstream timeouts and keep-alive settings against the app's, and "
            "whether backends restarted; add replicas if they time out under load"
        ),
        verify=ctx.verify(),
    )


def uneven_load(ctx: Context) -> Finding | None:
    frame = ctx.signals.column("http_rps")
    metric = "http_requests_total rate"
    if frame.shape[1] < 2:
        frame, metric = ctx.signals.cpu, "cpu_percent"
    if frame.shape[1] < 2:
        return None
    per = frame[ctx.loaded].mean()
    mean = float(per.mean())
    if not mean or np.isnan(mean):
        return None
    ratio = float(per.max()) / mean
    if ratio < ctx.params.uneven_ratio:
        return None
    return ctx.finding(
        rule="infra_uneven_load",
        category="infrastructure",
        severity="medium",
        confidence=0.8,
        server_side=True,
        title=f"load is uneven across {frame.shape[1]} replicas: the busiest gets {ratio:.2f}× the mean",
        evidence=[
            Evidence(
                metric=f"{metric} max / mean across replicas",
                observed=round(ratio, 2),
                threshold=ctx.params.uneven_ratio,
                window=ctx.window,
                source=str(per.idxmax()),
            )
        ],
        action=(
            "balance the load: use a load balancer (nginx least_conn) instead of SO_REUSEPORT, and "
            "shorter keep-alive so long-lived connections do not pin to one replica"
            if ctx.bundled
            else "balance the load: least-connections balancing in front of the replicas, and shorter "
            "keep-alive so long-lived connections do not pin to one replica"
        ),
        verify=ctx.verify(),
    )


def memory_near_limit(ctx: Context) -> Finding | None:
    rss = ctx.signals.rss
    if rss.empty:
        return None
    limit = ctx.params.memory_limit_bytes
    if limit is None:
        host = ctx.run.environment.memory_bytes
        if not host:
            return None
        limit = host / max(ctx.replicas, 1)
    peak = rss[ctx.loaded].max()
    if peak.isna().all():
        return None
    worst = peak.idxmax()
    ratio = float(peak[worst]) / limit
    if ratio < ctx.params.memory_high_ratio:
        return None
    return ctx.finding(
        rule="infra_memory_near_limit",
        category="infrastructure",
        severity="high",
        confidence=0.8,
        server_side=True,
        title=f"replica memory at {fmt_pct(ratio)} of its limit ({peak[worst] / 2**20:.0f} MiB)",
        evidence=[
            Evidence(
                metric="rss_bytes max / limit",
                observed=round(ratio, 3),
                threshold=ctx.params.memory_high_ratio,
                window=ctx.window,
                source=str(worst),
            )
        ],
        action=(
            "raise the memory limit per replica (see `scalectl recommend`), or find what grows "
            "(caches without bounds, large responses held in memory)"
        ),
        verify=ctx.verify(),
    )


#: generator_saturated is applied separately, first, by the flowchart.
RULES = (connection_errors, lb_errors, uneven_load, memory_near_limit)
