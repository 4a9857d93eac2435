"""Server-side signals the capacity model reads from a run's Prometheus telemetry. Pure.

Metric names are the contract names (analysis/metric_names.py), read through the same renaming as the
analysis (the scenario's ``telemetry.metric_names``, :func:`scalectl.analysis.metric_names.resolver`);
a sample key may carry labels (``cache_hits_total{cache="content"}``), so lookups match on the name
before ``{``. Thresholds shared with the analysis come from :class:`~scalectl.analysis.params.AnalysisParams`.
These are small readings for sizing (pool hold time, hit ratio, upstream time), not the analysis'
findings; where an Analysis is available its category wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from scalectl.analysis import metric_names as mn
from scalectl.analysis.params import AnalysisParams
from scalectl.analysis.throughput import active_rps
from scalectl.models import Analysis, RunResult, TelemetrySeries

#: Fraction of samples with the pool fully checked out (or any pool timeout) that marks the
#: database pool as the limit.
POOL_SATURATED_FRACTION = 0.2
#: p90 process CPU (fraction of the cores a replica has) above which a replica is CPU-bound.
CPU_BOUND_FRACTION = 0.85
#: Event-loop lag (p90, seconds) above which the loop, not the pool, is what ran out: the analysis's
#: threshold (``AnalysisParams.loop_lag_ms``, 50 ms), so both stages call the same lag too high.
LOOP_LAG_S = AnalysisParams().loop_lag_ms / 1000.0
#: CPU utilization at the knee that counts as "busy" when weighing it against the pool.
CPU_BUSY_FRACTION = 0.5


@dataclass(frozen=True)
class _Source:
    """One replica's Prometheus series, read by contract name through the run's renaming."""

    series: TelemetrySeries
    resolve: Callable[[str], str]

    def keys(self, name: str) -> list[str]:
        """Sample keys whose metric is the contract ``name`` (labels allowed)."""
        return [key for key in self.series.metrics if self.resolve(key.partition("{")[0]) == name]

    def values(self, name: str) -> list[np.ndarray]:
        return [
            np.array([np.nan if v is None else float(v) for v in self.series.metrics[key]], dtype=float)
            for key in self.keys(name)
        ]


def _prom(run: RunResult) -> list[_Source]:
    resolve = mn.resolver(mn.mapping_from_scenario(run.scenario))
    return [_Source(s, resolve) for s in run.telemetry if s.kind == "prometheus" and s.role == "target"]


def _delta(arr: np.ndarray) -> float:
    ok = arr[~np.isnan(arr)]
    return float(ok[-1] - ok[0]) if len(ok) >= 2 else 0.0


def counter_increase(run: RunResult, name: str) -> float:
    return sum(_delta(a) for s in _prom(run) for a in s.values(name))


def gauge_last(run: RunResult, name: str) -> float | None:
    vals = [a[~np.isnan(a)] for s in _prom(run) for a in s.values(name)]
    vals = [v for v in vals if len(v)]
    return float(vals[0][-1]) if vals else None


def pool_hold_s(run: RunResult) -> float | None:
    """Seconds of connection hold per request: mean checked-out connections (all replicas) ÷ req/s."""
    means = [float(np.nanmean(a)) for s in _prom(run) for a in s.values("db_pool_checked_out") if len(a)]
    means = [m for m in means if not np.isnan(m)]
    rps = active_rps(run)
    if not means or rps <= 0:
        return None
    return sum(means) / rps


def pool_saturated(run: RunResult, fraction: float = POOL_SATURATED_FRACTION) -> bool:
    if counter_increase(run, "db_pool_timeouts_total") > 0:
        return True
    for s in _prom(run):
        out = s.values("db_pool_checked_out")
        size = s.values("db_pool_size")
        over = s.values("db_pool_max_overflow")
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
    # the counters run over the whole run, warm-up included: so does the time they are divided by
    seconds = sum(iv.duration_s for iv in run.series if iv.requests > 0) or run.duration_s
    if count <= 0 or seconds <= 0:
        return None
    return count / seconds, total / count


def _busy_window(run: RunResult) -> tuple[float, float] | None:
    """The seconds ``active_rps`` counts: loaded, not warm-up, without the partial edge seconds."""
    busy = [iv.t for iv in run.series if iv.requests > 0 and not iv.warmup]
    if len(busy) >= 4:
        busy = busy[0 if run.warmup_s else 1 : -1]
    return (busy[0], busy[-1] + 1.0) if busy else None


def _window_mean(
    series: TelemetrySeries, values: list[float | None], win: tuple[float, float] | None
) -> float:
    pts = [
        v
        for t, v in zip(series.t, values, strict=False)
        if v is not None and (win is None or win[0] <= t < win[1])
    ]
    return float(np.mean(pts)) if pts else float("nan")


def pool_utilization(run: RunResult) -> float | None:
    """Mean fraction of the pool (size + overflow) checked out while load ran; the busiest replica."""
    win = _busy_window(run)
    best = None
    for src in _prom(run):
        s = src.series
        out = src.keys(mn.DB_POOL_CHECKED_OUT)
        size = src.keys(mn.DB_POOL_SIZE)
        over = src.keys(mn.DB_POOL_MAX_OVERFLOW)
        if not out or not size:
            continue
        cap = _window_mean(s, s.metrics[size[0]], None) + (
            _window_mean(s, s.metrics[over[0]], None) if over else 0.0
        )
        used = _window_mean(s, s.metrics[out[0]], win)
        if cap > 0 and not np.isnan(used):
            best = max(best or 0.0, used / cap)
    return best


def cpu_utilization(run: RunResult) -> float | None:
    """Mean CPU of the busiest target replica while load ran, as a fraction of its cores."""
    win = _busy_window(run)
    cores = run.environment.cpus_per_replica or 1.0
    vals = [
        _window_mean(s, s.metrics.get("cpu_percent", []), win) / 100.0 / cores
        for s in run.telemetry
        if s.kind == "process" and s.role == "target"
    ]
    vals = [v for v in vals if not np.isnan(v)]
    return max(vals) if vals else None


def cpu_s_per_request(run: RunResult, role: str = "target") -> float | None:
    """CPU seconds per request of all processes with ``role`` ("target": the replicas; "generator":
    the Locust processes) over the loaded seconds (start-up, warm-up and drain left out: the
    generator's start-up would otherwise be charged to a few hundred requests)."""
    win = _busy_window(run)
    rps = active_rps(run)
    procs = [s for s in run.telemetry if s.kind == "process" and s.role == role]
    if win is None or rps <= 0 or not procs:
        return None
    means = [_window_mean(s, s.metrics.get("cpu_percent", []), win) / 100.0 for s in procs]
    means = [m for m in means if not np.isnan(m)]
    return sum(means) / rps if means else None


def loop_lag_s(run: RunResult) -> float | None:
    """p90 of ``event_loop_lag_seconds`` while load ran, on the most lagging replica."""
    win = _busy_window(run)
    out = None
    for src in _prom(run):
        for key in src.keys(mn.EVENT_LOOP_LAG):
            pts = [
                v
                for t, v in zip(src.series.t, src.series.metrics[key], strict=False)
                if v is not None and (win is None or win[0] <= t < win[1])
            ]
            if pts:
                out = max(out or 0.0, float(np.percentile(pts, 90)))
    return out


def cpu_bound(run: RunResult, fraction: float = CPU_BOUND_FRACTION) -> bool:
    cores = run.environment.cpus_per_replica or 1.0
    for s in run.telemetry:
        if s.kind == "process" and s.role == "target":
            cpu = [v for v in s.metrics.get("cpu_percent", []) if v is not None]
            if len(cpu) >= 3 and float(np.percentile(cpu, 90)) / 100.0 >= fraction * cores:
                return True
    return False


def reweigh_database_limit(knee: RunResult, heaviest: RunResult) -> tuple[str, str] | None:
    """When the evidence names the database, check it was not the CPU: a starved event loop (lag
    above :data:`LOOP_LAG_S` at the heaviest point) or a CPU busier than the pool at the knee
    (utilization law) holds connections longer, so the pool fills as a symptom."""
    lag = loop_lag_s(heaviest)
    if lag is not None and lag >= LOOP_LAG_S:
        return (
            "application",
            f"the event loop lags {lag * 1000:.0f} ms (p90) where the pool fills: CPU work on the loop, "
            "not the database, ran out; the pool saturation is its symptom",
        )
    pool_u, cpu_u = pool_utilization(knee), cpu_utilization(knee)
    if pool_u is not None and cpu_u is not None and cpu_u >= CPU_BUSY_FRACTION and cpu_u > pool_u:
        return (
            "application",  # the analysis's category for a saturated replica CPU (app_cpu_saturated)
            f"at the knee the CPU is {cpu_u:.0%} busy and the DB pool {pool_u:.0%}: the pool saturates "
            "past it because the CPU-starved event loop holds connections longer",
        )
    return None


def limit_from_analysis(analysis: Analysis | None) -> tuple[str, str] | None:
    """(category, title) of the analysis's own top finding (its order: the limit line of `baseline`,
    `loadtest` and `analyze` names the same one), skipping a saturated generator's."""
    findings = analysis.findings if analysis is not None else []
    found = [f for f in findings if f.rule != "infra_generator_saturated"]
    if not found:
        return None
    return found[0].category, found[0].title


def limit_from_telemetry(run: RunResult) -> tuple[str, str] | None:
    """A fallback reading when no Analysis is at hand: CPU saturation first (a busy event loop also
    holds its database connections longer), then pool saturation."""
    if cpu_bound(run):
        return "application", "replica CPU saturated"  # the analysis's category for it (app_cpu_saturated)
    if pool_saturated(run):
        return "database", "database connection pool saturated (checked out at its limit or timing out)"
    return None


def current_pool(runs: Iterable[RunResult]) -> tuple[int, int] | None:
    """(pool size, max overflow) as the target reported them (gauges), if any run has them."""
    for run in runs:
        size = gauge_last(run, "db_pool_size")
        if size is not None:
            over = gauge_last(run, "db_pool_max_overflow") or 0.0
            return int(size), int(over)
    return None
