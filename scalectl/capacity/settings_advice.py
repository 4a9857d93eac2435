"""Environment settings and configuration advice of a recommendation (pool, shared storage, cache,
upstream concurrency, timeouts), scoped to the target by :mod:`scalectl.capacity.settings`. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalectl.capacity import queueing, signals
from scalectl.capacity.evidence import EvidenceSet
from scalectl.capacity.settings import Sizing, service_settings

if TYPE_CHECKING:
    from scalectl.capacity.recommend import Draft, Settings

#: Cache hit ratio below this earns a cache recommendation.
LOW_HIT_RATIO = 0.5


def settings_and_advice(evidence: EvidenceSet, s: Settings, d: Draft) -> int | None:
    """Environment settings and configuration advice; returns the upstream concurrency (Erlang C)."""
    runs = evidence.runs
    hit_ratios = [h for r in runs if (h := signals.cache_hit_ratio(r)) is not None]
    upstream = [u for r in runs if (u := signals.upstream_time_s(r)) is not None]
    upstream_c = None
    if upstream:
        rate, mean_s = upstream[0]
        per_rate = rate * d.per_replica / max(runs[0].total.rps, 1e-9)
        upstream_c = queueing.min_servers(per_rate, mean_s, max_p_wait=s.max_p_wait)
        d.reasoning.append(
            f"upstream: {per_rate:.1f} calls/s per replica × {mean_s:.2f} s → {upstream_c} "
            "concurrent slots (Erlang C)"
        )
    scoped = service_settings(
        [p.run for p in evidence.points] or runs,
        Sizing(
            replicas=d.replicas,
            pool_size=d.pool_size,
            pool_overflow=d.pool_over,
            upstream_concurrency=upstream_c,
            limited_by=d.limited_by,
            low_hit_ratio=min(hit_ratios) if hit_ratios and min(hit_ratios) < LOW_HIT_RATIO else None,
            hit_ratio_threshold=LOW_HIT_RATIO,
            lb_timeout_s=s.lb_timeout_s,
            upstream_timeout_s=s.upstream_timeout_s,
            upstream_measured=bool(upstream),
        ),
    )
    d.settings.update(scoped.settings)
    d.advice.extend(scoped.advice)
    return upstream_c
