"""A target's scraped Prometheus series as per-second columns, in the contract's names.

``replica_frame`` (one row per whole second of the run), from each target's Prometheus endpoint,
contract names (after recognising common instrumentation libraries, analysis/conventions.py, and the
scenario's ``telemetry.metric_names`` renaming of names and labels); a column exists only when its
metric was exported: ``cpu_percent`` (rate of process_cpu_seconds_total, 100 = one core),
``rss_bytes``, ``http_rps``, ``http_<status>_rps`` (429, 502, 503, 504), status classes
``http_2xx_rps`` … ``http_5xx_rps`` (from ``"503"`` or a grouped ``"5xx"``),
``http_route_rps[route]``, ``http_duration_rps`` and ``http_latency_mean_s`` (from the duration
histogram), ``in_flight``, ``pool_size``, ``pool_max_overflow``, ``pool_capacity`` (size + max
overflow), ``pool_checked_out``, ``pool_utilization``, ``pool_overflow``, ``pool_wait_rate``
(acquisitions/s), ``pool_wait_mean_s``, ``pool_timeouts_rps``, ``rate_limit_rps``,
``breaker_rejections_rps``, ``event_loop_lag_s``, and per label value ``cache_hits_rps[c]``,
``cache_misses_rps[c]``, ``cache_errors_rps[c]``, ``cache_hit_ratio[c]``, ``breaker_state[n]``,
``upstream_rps[n]``, ``upstream_mean_s[n]``.

Counters become rates over the interval between two samples (assigned to its midpoint); a counter
that goes down (restart) gives no rate for that interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from scalectl.analysis import conventions
from scalectl.analysis import metric_names as mn
from scalectl.models import TelemetrySeries

Labels = dict[str, str]


def bin_seconds(values: np.ndarray, times: np.ndarray, index: pd.Index, how: str = "mean") -> np.ndarray:
    """Average (or max/last) samples into the whole second they fall in, aligned with ``index``."""
    ok = ~np.isnan(values) & ~np.isnan(times)
    if not ok.any():
        return np.full(len(index), np.nan)
    s = pd.Series(values[ok]).groupby(np.floor(times[ok]).astype(np.int64))
    agg = s.last() if how == "last" else (s.max() if how == "max" else s.mean())
    return agg.reindex(index).to_numpy(dtype=float)


class Source:
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
        return None if v is None else bin_seconds(v, self.t, self.index, how)

    def rate(self, name: str, where=None) -> np.ndarray | None:
        v = self._sum(name, where, counter=True)
        if v is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.concatenate([[np.nan], np.diff(v)]) / self.dt
        d[d < 0] = np.nan
        return bin_seconds(d, self.mid, self.index)

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
                cols[le] = bin_seconds(v, self.t, self.index, "last")
        return pd.DataFrame(cols, index=self.index)


def _le(labels: Labels) -> float:
    try:
        return float(labels.get("le", "nan"))
    except ValueError:
        return float("nan")


def replica_frame(src: Source) -> pd.DataFrame:
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


def _http_columns(src: Source, cols: dict[str, np.ndarray | None]) -> None:
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


def _pool_columns(src: Source, cols: dict[str, np.ndarray | None]) -> None:
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


def _cache_columns(src: Source, cols: dict[str, np.ndarray | None]) -> None:
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


def _named_columns(src: Source, cols: dict[str, np.ndarray | None]) -> None:
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
