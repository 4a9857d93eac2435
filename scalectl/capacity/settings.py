"""The service's settings and configuration advice, scoped to the measured target. Pure.

The bundled backend's knobs (``DB_POOL_SIZE``, ``REDIS_URL``, ``LLM_MAX_CONCURRENCY``,
``LLM_TIMEOUT_S``...) are set only when the evidence measured the bundled backend. A command target
gets its declared knobs (``target.knobs``, matched by name: pool, concurrency...) and otherwise
generic advice; an external service (``--host``), or one an older run does not name, gets generic
advice only ("set the pool size of your database client to 12"). See analysis/scope.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scalectl.analysis.scope import TargetKind, env_knob, target_kind
from scalectl.models import RunResult, TargetSpec


@dataclass(frozen=True)
class Sizing:
    """What the model sized, for the settings to carry."""

    replicas: int
    pool_size: int | None = None
    pool_overflow: int | None = None
    upstream_concurrency: int | None = None
    limited_by: str | None = None
    #: Lowest measured cache hit ratio, when below the threshold that earns advice.
    low_hit_ratio: float | None = None
    hit_ratio_threshold: float = 0.5
    lb_timeout_s: float = 30.0
    upstream_timeout_s: float = 10.0
    #: Upstream calls were measured (``upstream_duration_seconds``).
    upstream_measured: bool = False


@dataclass
class ServiceSettings:
    settings: dict[str, str] = field(default_factory=dict)
    advice: list[str] = field(default_factory=list)


def evidence_kind(runs: Sequence[RunResult]) -> TargetKind | None:
    """The target kind of the evidence: the first run that records or betrays one."""
    for run in runs:
        kind = target_kind(run)
        if kind is not None:
            return kind
    return None


@dataclass(frozen=True)
class MeasuredTarget:
    """What the evidence says about the service it measured (for settings and manifests)."""

    kind: TargetKind | None
    spec: TargetSpec | None
    host: str | None
    scenario_name: str | None


def measured_target(runs: Sequence[RunResult]) -> MeasuredTarget:
    """The evidence's target: its kind, the first recorded target spec, URL and scenario name."""
    spec_run = next((r for r in runs if r.target is not None), None)
    first = runs[0] if runs else None
    return MeasuredTarget(
        kind=evidence_kind(runs),
        spec=spec_run.target if spec_run is not None else None,
        host=(spec_run or first).host if (spec_run or first) is not None else None,
        scenario_name=first.scenario_name if first is not None else None,
    )


def _knob_run(runs: Sequence[RunResult]) -> RunResult | None:
    return next((r for r in runs if r.target is not None and r.target.kind == "command"), None)


def _bundled(s: Sizing, out: ServiceSettings) -> None:
    if s.pool_size is not None:
        out.settings["DB_POOL_SIZE"] = str(s.pool_size)
        out.settings["DB_MAX_OVERFLOW"] = str(s.pool_overflow)
    if s.limited_by == "database":
        out.advice.append(
            "database-bound: raise DB_POOL_SIZE to the Erlang C figure (within the connection budget) and "
            "cut connection hold time (slow queries, indexes, DB_SLOW_QUERY_MS) before adding replicas"
        )
    if s.replicas > 1:
        out.settings.setdefault("REDIS_URL", "redis://<shared-redis>:6379/0")
        out.advice.append(
            "more than one replica: keep rate limits and the cache in shared storage (REDIS_URL); "
            "in-process limits would let each user through N times"
        )
    if s.low_hit_ratio is not None:
        out.advice.append(
            f"cache hit ratio {s.low_hit_ratio:.0%} < {s.hit_ratio_threshold:.0%}: enable the cache "
            "(CACHE_ENABLED=1) and raise CACHE_TTL_S on cacheable routes"
        )
    if s.upstream_concurrency is not None:
        out.settings["LLM_MAX_CONCURRENCY"] = str(s.upstream_concurrency)
    out.settings["LLM_TIMEOUT_S"] = f"{min(s.upstream_timeout_s, s.lb_timeout_s - 5):g}"
    out.advice.append(
        f"timeouts: the app's upstream timeout (LLM_TIMEOUT_S={out.settings['LLM_TIMEOUT_S']}s) stays below "
        f"the load balancer's read timeout ({s.lb_timeout_s:g}s), so the breaker and the app answer "
        "before the LB cuts"
    )


def _generic(s: Sizing, out: ServiceSettings, knobs: RunResult | None) -> None:
    if s.pool_size is not None:
        var = env_knob(knobs, "", "pool") if knobs is not None else None
        if var:
            out.settings[var] = str(s.pool_size)
        out.advice.append(
            f"database pool per replica: {s.pool_size} connections (+{s.pool_overflow} overflow)"
            + (f", set by {var}" if var else ": set it in your database client's pool settings")
        )
    if s.limited_by == "database":
        out.advice.append(
            "database-bound: raise the pool size to the Erlang C figure (within the connection budget) and "
            "cut connection hold time (slow queries, indexes) before adding replicas"
        )
    if s.replicas > 1:
        out.advice.append(
            "more than one replica: keep rate limits, sessions and caches in shared storage, not in "
            "process memory, or each replica would hold its own"
        )
    if s.low_hit_ratio is not None:
        out.advice.append(
            f"cache hit ratio {s.low_hit_ratio:.0%} < {s.hit_ratio_threshold:.0%}: cache more of the "
            "cacheable routes, or keep entries longer"
        )
    if s.upstream_concurrency is not None:
        var = env_knob(knobs, "", "upstream", "concurren") if knobs is not None else None
        if var:
            out.settings[var] = str(s.upstream_concurrency)
        out.advice.append(
            f"upstream calls: allow {s.upstream_concurrency} concurrent calls per replica"
            + (f" ({var})" if var else " in your client")
        )
    if s.upstream_measured:
        out.advice.append(
            f"timeouts: keep the app's upstream timeouts below the load balancer's read timeout "
            f"({s.lb_timeout_s:g}s), so the app answers before the LB cuts"
        )


def service_settings(runs: Sequence[RunResult], sizing: Sizing) -> ServiceSettings:
    """Settings (environment) and advice for the measured target; see the module docstring."""
    out = ServiceSettings()
    if evidence_kind(runs) == "bundled":
        _bundled(sizing, out)
    else:
        _generic(sizing, out, _knob_run(runs))
    return out
