"""Per-second signals from a RunResult: the request timeline and the telemetry on one index.

``Signals.load`` (index: whole seconds from the run start, one row per interval of ``run.series``):
``achieved_rps``, ``offered_rps``, ``users``, ``requests``, ``failures``, ``error_rate``,
``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``; ``Signals.errors``: failures per second by kind.

``Signals.replicas[source]`` (same index), from each target's Prometheus endpoint, contract names
(after recognising common instrumentation libraries, analysis/conventions.py, and the scenario's
``telemetry.metric_names`` renaming of names and labels); a column exists only when its metric was
exported: ``cpu_percent`` (rate of process_cpu_seconds_total, 100 = one core), ``rss_bytes``,
``http_rps``, ``http_<status>_rps`` (429, 502, 503, 504), status classes ``http_2xx_rps`` …
``http_5xx_rps`` (from ``"503"`` or a grouped ``"5xx"``), ``http_route_rps[route]``,
``http_duration_rps`` and ``http_latency_mean_s`` (from the duration histogram), ``in_flight``,
``pool_size``, ``pool_max_overflow``, ``pool_capacity`` (size + max overflow), ``pool_checked_out``,
``pool_utilization``, ``pool_overflow``, ``pool_wait_rate`` (acquisitions/s), ``pool_wait_mean_s``,
``pool_timeouts_rps``, ``rate_limit_rps``, ``breaker_rejections_rps``, ``event_loop_lag_s``, and
per label value ``cache_hits_rps[c]``, ``cache_misses_rps[c]``, ``cache_errors_rps[c]``,
``cache_hit_ratio[c]``, ``breaker_state[n]``, ``upstream_rps[n]``, ``upstream_mean_s[n]``.

``Signals.cpu`` / ``Signals.rss``: one column per target process (psutil samples, ``kind="process"``)
or, without those, per replica from Prometheus. ``Signals.generator_cpu``: one column per generator
process. Counters become rates over the interval between two samples (assigned to its midpoint);
a counter that goes down (restart) gives no rate for that interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scalectl.analysis import conventions
from scalectl.analysis import metric_names as mn
from scalectl.analysis.quantiles import histogram_quantile
from scalectl.models import RunResult, TelemetrySeries

Labels = dict[str, str]

__all__ = ["Signals", "build_signals", "histogram_quantile"]


@dataclass(frozen=True)
class Signals:
    load: pd.DataFrame
    errors: pd.DataFrame
    replicas: dict[str, pd.DataFrame] = field(default_factory=dict)
    cpu: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: "process" (psutil), "prometheus" (process_cpu_seconds_total) or None.
    cpu_from: str | None = None
    rss: pd.DataFrame = field(default_factory=pd.DataFrame)
    generator_cpu: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Per replica: cumulative db_pool_wait_seconds buckets (columns: upper bound in seconds).
    pool_wait_buckets: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Per replica: cumulative http_request_duration_seconds buckets (for server-side quantiles).
    http_duration_buckets: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: Per replica: the instrumentation libraries recognised in its metrics (analysis/conventions.py).
    conventions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def telemetry_available(self) -> bool:
        """Any server-side evidence at all (Prometheus metrics or target process samples)."""
        return bool(self.replicas) or not self.cpu.empty

    @property
    def loaded(self) -> pd.Series:
        """Boolean mask of the seconds that carried load."""
        return self.load["requests"] > 0

    def steady(self, edge_fraction: float) -> pd.Series:
        """Loaded seconds without the start/stop edges: at least ``edge_fraction`` of the median
        loaded second's requests (a last partial second with 1 request is no "low load" level)."""
        loaded = self.loaded
        if not loaded.any():
            return loaded
        floor = edge_fraction * float(self.load.loc[loaded, "requests"].median())
        return loaded & (self.load["requests"] >= floor)

    def column(self, name: str) -> pd.DataFrame:
        """One signal across replicas (a column per replica that exports it)."""
        cols = {src: df[name] for src, df in self.replicas.items() if name in df.columns}
        return pd.DataFrame(cols, index=self.load.index)

    def labelled(self, prefix: str) -> dict[str, pd.DataFrame]:
        """``prefix[label]`` columns grouped by label: {label: DataFrame(replica columns)}."""
        out: dict[str, dict[str, pd.Series]] = {}
        for src, df in self.replicas.items():
            for col in df.columns:
                if col.startswith(prefix + "[") and col.endswith("]"):
                    out.setdefault(col[len(prefix) + 1 : -1], {})[src] = df[col]
        return {k: pd.DataFrame(v, index=self.load.index) for k, v in out.items()}


def _load_frame(run: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    # warm-up seconds are not counted in the run's numbers: the analysis leaves them out too
    series = [s for s in run.series if not s.warmup]
    n = len(series)
    t = np.fromiter((s.t for s in series), float, n)
    dur = np.fromiter((s.duration_s or 1.0 for s in series), float, n)
    req = np.fromiter((s.requests for s in series), float, n)
    fail = np.fromiter((s.failures for s in series), float, n)
    users = np.fromiter((s.users for s in series), float, n)
    offered = np.fromiter((np.nan if s.offered_rps is None else s.offered_rps for s in series), float, n)
    lat = {
        f"{q}_ms": np.fromiter((getattr(s.latency_ms, q) for s in series), float, n)
        for q in ("p50", "p95", "p99", "mean")
    }
    index = pd.Index(np.floor(t).astype(np.int64), name="t")
    with np.errstate(invalid="ignore", divide="ignore"):
        load = pd.DataFrame(
            {
                "achieved_rps": req / dur,
                "offered_rps": offered,
                "users": users,
                "requests": req,
                "failures": fail,
                "error_rate": np.where(req > 0, fail / np.where(req > 0, req, 1), 0.0),
                **lat,
            },
            index=index,
        )
    errs: dict[str, np.ndarray] = {}
    for i, s in enumerate(series):
        if not s.failures:
            continue
        for ep in s.endpoints.values():
            for kind, count in ep.errors.items():
                errs.setdefault(kind, np.zeros(n))[i] += count
    errors = pd.DataFrame(errs, index=index)
    if not series:
        load = load.iloc[:0]
    if not load.index.is_unique:
        # sub-second intervals: one row per whole second (counts add up, latency keeps the worst)
        g = load.groupby(level=0)
        secs = pd.Series(dur, index=index).groupby(level=0).sum()
        load = g.agg(
            {
                "offered_rps": "mean",
                "users": "max",
                "requests": "sum",
                "failures": "sum",
                **{k: "max" for k in lat},
            }
        )
        load.insert(0, "achieved_rps", load["requests"] / secs)
        load.insert(
            5, "error_rate", (load["failures"] / load["requests"].where(load["requests"] > 0)).fillna(0.0)
        )
        errors = errors.groupby(level=0).sum()
    return load, errors


def _bin(values: np.ndarray, times: np.ndarray, index: pd.Index, how: str = "mean") -> np.ndarray:
    """Average (or max/last) samples into the whole second they fall in, aligned with ``index``."""
    ok = ~np.isnan(values) & ~np.isnan(times)
    if not ok.any():
        return np.full(len(index), np.nan)
    s = pd.Series(values[ok]).groupby(np.floor(times[ok]).astype(np.int64))
    agg = s.last() if how == "last" else (s.max() if how == "max" else s.mean())
    return agg.reindex(index).to_numpy(dtype=float)


class _Source:
    """One Prometheus series: its samples grouped by contract family, with gauge/counter helpers."""

    def __init__(self, ts: TelemetrySeries, user_names: Mapping[str, str], index: pd.Index):
        self.ts = ts
        self.index = index
        self.t = np.asarray(ts.t, dtype=float)
        self.mid = np.concatenate([[np.nan], (self.t[1:] + self.t[:-1]) / 2.0]) if len(self.t) else self.t
        self.dt = np.concatenate([[np.nan], np.diff(self.t)]) if len(self.t) else self.t
        parsed = [(key, *mn.parse_key(key)) for key in ts.metrics]
        naming = conventions.naming(((n, dict(lb)) for _, n, lb in parsed), user_names)
        self.conventions = naming.conventions
        self.families: dict[str, list[tuple[Labels, str]]] = {}
        for key, name, labels in parsed:
            contract = naming.resolve(name)
            self.families.setdefault(contract, []).append((naming.labels(contract, dict(labels)), key))

    def _array(self, key: str) -> np.ndarray:
        n = len(self.t)
        raw = self.ts.metrics[key]
        a = np.asarray(raw[:n], dtype=float)
        return a if len(a) == n else np.concatenate([a, np.full(n - len(a), np.nan)])

    def _counter(self, key: str) -> np.ndarray:
        """A counter's samples; before its first sample it had not counted anything yet (0): a label
        set that appears mid-run (the first 500) adds its first value as an increase."""
        a = self._array(key)
        seen = ~np.isnan(a)
        if seen.any() and not seen[0]:
            a = a.copy()
            a[: int(np.argmax(seen))] = 0.0
        return a

    def _sum(
        self, name: str, where: Callable[[Labels], bool] | None, counter: bool = False
    ) -> np.ndarray | None:
        keys = [k for labels, k in self.families.get(name, ()) if where is None or where(labels)]
        if not keys:
            return None
        get = self._counter if counter else self._array
        total = get(keys[0])
        for k in keys[1:]:
            total = total + get(k)  # NaN anywhere → NaN: a partial sum is not a total
        return total

    def labels(self, name: str, label: str) -> list[str]:
        return sorted({lb[label] for lb, _ in self.families.get(name, ()) if label in lb})

    def gauge(self, name: str, where=None, how: str = "mean") -> np.ndarray | None:
        v = self._sum(name, where)
        return None if v is None else _bin(v, self.t, self.index, how)

    def rate(self, name: str, where=None) -> np.ndarray | None:
        v = self._sum(name, where, counter=True)
        if v is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.concatenate([[np.nan], np.diff(v)]) / self.dt
        d[d < 0] = np.nan
        return _bin(d, self.mid, self.index)

    def buckets(self, name: str) -> pd.DataFrame:
        """Cumulative ``le`` buckets (all other labels summed), last value in each second."""
        les: dict[float, list[str]] = {}
        for labels, key in self.families.get(name + "_bucket", ()):
            try:
                les.setdefault(float(labels.get("le", "nan")), []).append(key)
            except ValueError:
                continue
        cols = {}
        for le in sorted(x for x in les if not np.isnan(x)):
            v = self._sum(name + "_bucket", lambda lb, le=le: _le(lb) == le, counter=True)
            if v is not None:
                cols[le] = _bin(v, self.t, self.index, "last")
        return pd.DataFrame(cols, index=self.index)


def _le(labels: Labels) -> float:
    try:
        return float(labels.get("le", "nan"))
    except ValueError:
        return float("nan")


def _replica_frame(src: _Source) -> pd.DataFrame:
    """One replica's scraped metrics as per-second columns (the names the rules read)."""
    cols: dict[str, np.ndarray | None] = {}
    cpu = src.rate(mn.PROCESS_CPU_SECONDS)
    cols["cpu_percent"] = None if cpu is None else cpu * 100.0
    cols["rss_bytes"] = src.gauge(mn.PROCESS_RSS)
    _http_columns(src, cols)
    _pool_columns(src, cols)
    cols["rate_limit_rps"] = src.rate(mn.RATE_LIMIT_REJECTIONS)
    cols["breaker_rejections_rps"] = src.rate(mn.BREAKER_REJECTIONS)
    cols["event_loop_lag_s"] = src.gauge(mn.EVENT_LOOP_LAG)
    _cache_columns(src, cols)
    _named_columns(src, cols)
    return pd.DataFrame({k: v for k, v in cols.items() if v is not None}, index=src.index)


def _http_columns(src: _Source, cols: dict[str, np.ndarray | None]) -> None:
    """Request rates (all, per status code and class, per route), mean latency, requests in flight."""
    cols["http_rps"] = src.rate(mn.HTTP_REQUESTS)
    if cols["http_rps"] is not None:
        for code in ("429", "502", "503", "504"):
            cols[f"http_{code}_rps"] = src.rate(mn.HTTP_REQUESTS, lambda lb, c=code: lb.get("status") == c)
        for cls in "2345":  # status classes: "503" and a grouped "5xx" alike
            cols[f"http_{cls}xx_rps"] = src.rate(
                mn.HTTP_REQUESTS, lambda lb, c=cls: lb.get("status", "")[:1] == c
            )
        for route in src.labels(mn.HTTP_REQUESTS, "route"):
            cols[f"http_route_rps[{route}]"] = src.rate(
                mn.HTTP_REQUESTS, lambda lb, r=route: lb.get("route") == r
            )
    lat_n = src.rate(mn.HTTP_DURATION + "_count")
    lat_s = src.rate(mn.HTTP_DURATION + "_sum")
    if lat_n is not None and lat_s is not None:
        cols["http_duration_rps"] = lat_n
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["http_latency_mean_s"] = np.where(lat_n > 0, lat_s / lat_n, np.nan)
    cols["in_flight"] = src.gauge(mn.HTTP_IN_FLIGHT)


def _pool_columns(src: _Source, cols: dict[str, np.ndarray | None]) -> None:
    """The database pool: size, capacity, connections checked out, utilisation, waits, timeouts."""
    size, over = src.gauge(mn.DB_POOL_SIZE), src.gauge(mn.DB_POOL_MAX_OVERFLOW)
    cols["pool_size"], cols["pool_max_overflow"] = size, over
    out = src.gauge(mn.DB_POOL_CHECKED_OUT)
    cols["pool_checked_out"] = out
    if size is not None:
        cap = size + (over if over is not None else 0.0)
        cols["pool_capacity"] = cap
        if out is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["pool_utilization"] = np.where(cap > 0, out / cap, np.nan)
    cols["pool_overflow"] = src.gauge(mn.DB_POOL_OVERFLOW)
    wait_n = src.rate(mn.DB_POOL_WAIT + "_count")
    wait_s = src.rate(mn.DB_POOL_WAIT + "_sum")
    cols["pool_wait_rate"] = wait_n
    if wait_n is not None and wait_s is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["pool_wait_mean_s"] = np.where(
                wait_n > 0, wait_s / wait_n, np.where(wait_n == 0, 0.0, np.nan)
            )
    cols["pool_timeouts_rps"] = src.rate(mn.DB_POOL_TIMEOUTS)


def _cache_columns(src: _Source, cols: dict[str, np.ndarray | None]) -> None:
    """Per cache: hits, misses and errors per second, and the hit ratio."""
    for cache in src.labels(mn.CACHE_HITS, "cache") + src.labels(mn.CACHE_MISSES, "cache"):
        if f"cache_hits_rps[{cache}]" in cols:
            continue
        hits = src.rate(mn.CACHE_HITS, lambda lb, c=cache: lb.get("cache") == c)
        miss = src.rate(mn.CACHE_MISSES, lambda lb, c=cache: lb.get("cache") == c)
        cols[f"cache_hits_rps[{cache}]"], cols[f"cache_misses_rps[{cache}]"] = hits, miss
        cols[f"cache_errors_rps[{cache}]"] = src.rate(
            mn.CACHE_ERRORS, lambda lb, c=cache: lb.get("cache") == c
        )
        h = hits if hits is not None else 0.0
        m = miss if miss is not None else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            cols[f"cache_hit_ratio[{cache}]"] = np.where((h + m) > 0, h / (h + m), np.nan)


def _named_columns(src: _Source, cols: dict[str, np.ndarray | None]) -> None:
    """Per name: each circuit breaker's state, each upstream's call rate and mean duration."""
    for name in src.labels(mn.BREAKER_STATE, "name"):
        cols[f"breaker_state[{name}]"] = src.gauge(
            mn.BREAKER_STATE, lambda lb, n=name: lb.get("name") == n, "max"
        )
    for name in src.labels(mn.UPSTREAM_DURATION + "_count", "name"):
        n_ = src.rate(mn.UPSTREAM_DURATION + "_count", lambda lb, n=name: lb.get("name") == n)
        s_ = src.rate(mn.UPSTREAM_DURATION + "_sum", lambda lb, n=name: lb.get("name") == n)
        cols[f"upstream_rps[{name}]"] = n_
        if n_ is not None and s_ is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[f"upstream_mean_s[{name}]"] = np.where(n_ > 0, s_ / n_, np.nan)


def build_signals(run: RunResult) -> Signals:
    """All per-second signals of ``run`` (pure; nothing is decoded that is not needed)."""
    load, errors = _load_frame(run)
    index = load.index
    if len(index) == 0 and run.telemetry:
        tmax = max((max(ts.t) for ts in run.telemetry if ts.t), default=0.0)
        index = pd.Index(np.arange(int(tmax) + 1, dtype=np.int64), name="t")
        load = load.reindex(index, fill_value=0.0)
        errors = errors.reindex(index)
    user_names = mn.mapping_from_scenario(run.scenario)
    proc = _ProcessSeries(index)
    scraped = _Scraped()
    for ts in run.telemetry:
        if not ts.t:
            continue
        if ts.kind == "process":
            proc.add(ts)
        elif ts.role == "target":
            scraped.add(ts.source, _Source(ts, user_names, index))
    cpu, cpu_from = proc.cpu_frame(scraped.replicas)
    return Signals(
        load=load,
        errors=errors,
        replicas=scraped.replicas,
        cpu=cpu,
        cpu_from=cpu_from,
        rss=proc.rss_frame(scraped.replicas),
        generator_cpu=pd.DataFrame(proc.generator_cpu, index=index),
        pool_wait_buckets=scraped.pool_wait_buckets,
        http_duration_buckets=scraped.http_duration_buckets,
        conventions=scraped.conventions,
    )


class _ProcessSeries:
    """Process-tree samples (CPU, RSS) per source, binned to the run's seconds."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.cpu: dict[str, np.ndarray] = {}
        self.rss: dict[str, np.ndarray] = {}
        self.generator_cpu: dict[str, np.ndarray] = {}

    def add(self, ts: TelemetrySeries) -> None:
        t = np.asarray(ts.t, dtype=float)
        cpu = ts.metrics.get("cpu_percent")
        into = self.generator_cpu if ts.role == "generator" else (self.cpu if ts.role == "target" else None)
        if cpu is not None and into is not None:
            into[ts.source] = _bin(np.asarray(cpu[: len(t)], dtype=float), t[: len(cpu)], self.index)
        rss = ts.metrics.get("rss_bytes")
        if rss is not None and ts.role == "target":
            self.rss[ts.source] = _bin(np.asarray(rss[: len(t)], dtype=float), t[: len(rss)], self.index)

    def cpu_frame(self, replicas: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, str | None]:
        """The target's CPU: from process sampling, else from the replicas' exported process metrics."""
        if self.cpu:
            return pd.DataFrame(self.cpu, index=self.index), "process"
        cpu = pd.DataFrame(
            {s: f["cpu_percent"] for s, f in replicas.items() if "cpu_percent" in f}, index=self.index
        )
        return cpu, ("prometheus" if not cpu.empty else None)

    def rss_frame(self, replicas: dict[str, pd.DataFrame]) -> pd.DataFrame:
        if self.rss:
            return pd.DataFrame(self.rss, index=self.index)
        return pd.DataFrame(
            {s: f["rss_bytes"] for s, f in replicas.items() if "rss_bytes" in f}, index=self.index
        )


class _Scraped:
    """The target's scraped Prometheus sources: per-replica frames, histogram buckets, conventions."""

    def __init__(self) -> None:
        self.replicas: dict[str, pd.DataFrame] = {}
        self.pool_wait_buckets: dict[str, pd.DataFrame] = {}
        self.http_duration_buckets: dict[str, pd.DataFrame] = {}
        self.conventions: dict[str, tuple[str, ...]] = {}

    def add(self, source: str, src: _Source) -> None:
        frame = _replica_frame(src)
        if not frame.empty:
            self.replicas[source] = frame
        b = src.buckets(mn.DB_POOL_WAIT)
        if not b.empty:
            self.pool_wait_buckets[source] = b
        b = src.buckets(mn.HTTP_DURATION)
        if not b.empty:
            self.http_duration_buckets[source] = b
        if src.conventions:
            self.conventions[source] = src.conventions
