"""Server-side signals the capacity model reads from a run's Prometheus telemetry. Pure.

Metric names are the contract names (DESIGN.md); a sample key may carry labels
(``cache_hits_total{cache="content"}``), so lookups match on the name before ``{``.
These are small readings for sizing (pool hold time, hit ratio, upstream time), not the analysis'
findings; where an Analysis is available its category wins.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from scalectl.capacity.evidence import active_rps
from scalectl.models import Analysis, RunResult, TelemetrySeries
from scalectl.models.analysis import SEVERITY_ORDER

#: Fraction of samples with the pool fully checked out (or any pool timeout) that marks the
#: database pool as the limit.
POOL_SATURATED_FRACTION = 0.2
#: p90 process CPU (fraction of the cores a replica has) above which a replica is CPU-bound.
CPU_BOUND_FRACTION = 0.85


def _values(series: TelemetrySeries, name: str) -> list[np.ndarray]:
    out = []
    for key, vals in series.metrics.items():
        if key == name or key.startswith(name + "{"):
            out.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=float))
    return out


def _prom(run: RunResult) -> list[TelemetrySeries]:
    return [s for s in run.telemetry if s.kind == "prometheus" and s.role == "target"]


def _delta(arr: np.ndarray) -> float:
    ok = arr[~np.isnan(arr)]
    return float(ok[-1] - ok[0]) if len(ok) >= 2 else 0.0


def counter_increase(run: RunResult, name: str) -> float:
    return sum(_delta(a) for s in _prom(run) for a in _values(s, name))


def gauge_last(run: RunResult, name: str) -> float | None:
    vals = [a[~np.isnan(a)] for s in _prom(run) for a in _values(s, name)]
    vals = [v for v in vals if len(v)]
    return float(vals[0][-1]) if vals else None


def pool_hold_s(run: RunResult) -> float | None:
    """Seconds of connection hold per request: mean checked-out connections (all replicas) ÷ req/s."""
    means = [float(np.nanmean(a)) for s in _prom(run) for a in _values(s, "db_pool_checked_out") if len(a)]
    means = [m for m in means if not np.isnan(m)]
    rps = active_rps(run)
    if not means or rps <= 0:
        return None
    return sum(means) / rps


def pool_saturated(run: RunResult, fraction: float = POOL_SATURATED_FRACTION) -> bool:
    if counter_increase(run, "db_pool_timeouts_total") > 0:
        return True
    for s in _prom(run):
        out = _values(s, "db_pool_checked_out")
        size = _values(s, "db_pool_size")
        over = _values(s, "db_pool_max_overflow")
        if not out or not size:
            continue
        cap = np.nanmax(size[0]) + (np.nanmax(over[0]) if over else 0.0)
        busy = out[0][~np.isnan(out[0])]
        if len(busy) and cap > 0 and float(np.mean(busy >= cap)) >= fraction:
            return True
    return False


def cache_hit_ratio(run: RunResult) -> float | None:
    hits = counter_increase(run, "cache_hits_total")
    misses = counter_increase(run, "cache_misses_total")
    return hits / (hits + misses) if hits + misses > 0 else None


def upstream_time_s(run: RunResult) -> tuple[float, float] | None:
    """(upstream calls per second, mean seconds per call) from ``upstream_duration_seconds``."""
    count = counter_increase(run, "upstream_duration_seconds_count")
    total = counter_increase(run, "upstream_duration_seconds_sum")
    if count <= 0 or run.duration_s <= 0:
        return None
    return count / run.duration_s, total / count


def cpu_bound(run: RunResult, fraction: float = CPU_BOUND_FRACTION) -> bool:
    cores = run.environment.cpus_per_replica or 1.0
    for s in run.telemetry:
        if s.kind == "process" and s.role == "target":
            cpu = [v for v in s.metrics.get("cpu_percent", []) if v is not None]
            if len(cpu) >= 3 and float(np.percentile(cpu, 90)) / 100.0 >= fraction * cores:
                return True
    return False


def limit_from_analysis(analysis: Analysis | None) -> tuple[str, str] | None:
    """(category, title) of the most severe, most confident finding."""
    if analysis is None or not analysis.findings:
        return None
    f = min(analysis.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), -f.confidence))
    return f.category, f.title


def limit_from_telemetry(run: RunResult) -> tuple[str, str] | None:
    """A fallback reading when no Analysis is at hand: pool saturation, then CPU."""
    if pool_saturated(run):
        return "database", "database connection pool saturated (checked out at its limit or timing out)"
    if cpu_bound(run):
        return "infrastructure", "target CPU saturated"
    return None


def current_pool(runs: Iterable[RunResult]) -> tuple[int, int] | None:
    """(pool size, max overflow) as the target reported them (gauges), if any run has them."""
    for run in runs:
        size = gauge_last(run, "db_pool_size")
        if size is not None:
            over = gauge_last(run, "db_pool_max_overflow") or 0.0
            return int(size), int(over)
    return None
