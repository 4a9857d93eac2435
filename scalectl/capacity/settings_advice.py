"""Environment settings and configuration advice of a recommendation (pool, shared storage, cache,
upstream concurrency, timeouts). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalectl.capacity import queueing, signals
from scalectl.models import RunResult

if TYPE_CHECKING:
    from scalectl.capacity.recommend import Draft, Settings

#: Cache hit ratio below this earns a cache recommendation.
LOW_HIT_RATIO = 0.5


def settings_and_advice(runs: list[RunResult], s: Settings, d: Draft) -> int | None:
    """Environment settings and configuration advice; returns the upstream concurrency (Erlang C)."""
    if d.pool_size is not None:
        d.settings["DB_POOL_SIZE"] = str(d.pool_size)
        d.settings["DB_MAX_OVERFLOW"] = str(d.pool_over)
    if d.limited_by == "database":
        d.advice.append(
            "database-bound: raise DB_POOL_SIZE to the Erlang C figure (within the connection budget) and "
            "cut connection hold time (slow queries, indexes, DB_SLOW_QUERY_MS) before adding replicas"
        )
    if d.replicas > 1:
        d.settings.setdefault("REDIS_URL", "redis://<shared-redis>:6379/0")
        d.advice.append(
            "more than one replica: keep rate limits and the cache in shared storage (REDIS_URL); "
            "in-process limits would let each user through N times"
        )
    hit_ratios = [h for r in runs if (h := signals.cache_hit_ratio(r)) is not None]
    if hit_ratios and min(hit_ratios) < LOW_HIT_RATIO:
        d.advice.append(
            f"cache hit ratio {min(hit_ratios):.0%} < {LOW_HIT_RATIO:.0%}: enable the cache "
            "(CACHE_ENABLED=1) and raise CACHE_TTL_S on cacheable routes"
        )
    upstream = [u for r in runs if (u := signals.upstream_time_s(r)) is not None]
    upstream_c = None
    if upstream:
        rate, mean_s = upstream[0]
        per_rate = rate * d.per_replica / max(runs[0].total.rps, 1e-9)
        upstream_c = queueing.min_servers(per_rate, mean_s, max_p_wait=s.max_p_wait)
        d.settings["LLM_MAX_CONCURRENCY"] = str(upstream_c)
        d.reasoning.append(
            f"upstream: {per_rate:.1f} calls/s per replica × {mean_s:.2f} s → {upstream_c} "
            "concurrent slots (Erlang C)"
        )
    d.settings["LLM_TIMEOUT_S"] = f"{min(s.upstream_timeout_s, s.lb_timeout_s - 5):g}"
    d.advice.append(
        f"timeouts: the app's upstream timeout (LLM_TIMEOUT_S={d.settings['LLM_TIMEOUT_S']}s) stays below "
        f"the load balancer's read timeout ({s.lb_timeout_s:g}s), so the breaker and the app answer "
        "before the LB cuts"
    )
    return upstream_c
