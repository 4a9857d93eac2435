"""Per-second signals from a RunResult: the request timeline and the telemetry on one index.

``Signals.load`` (index: whole seconds from the run start, one row per interval of ``run.series``):
``achieved_rps``, ``offered_rps``, ``users``, ``requests``, ``failures``, ``error_rate``,
``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``; ``Signals.errors``: failures per second by kind.

``Signals.replicas[source]`` (same index): each target's Prometheus endpoint as columns
(``analysis/scraped.py`` lists them).

``Signals.cpu`` / ``Signals.rss``: one column per target process (psutil samples, ``kind="process"``)
or, without those, per replica from Prometheus. ``Signals.generator_cpu``: one column per generator
process. Counters become rates over the interval between two samples (assigned to its midpoint);
a counter that goes down (restart) gives no rate for that interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scalectl.analysis import metric_names as mn
from scalectl.analysis.quantiles import histogram_quantile
from scalectl.analysis.scraped import Source, bin_seconds, replica_frame
from scalectl.models import RunResult, TelemetrySeries

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
            scraped.add(ts.source, Source(ts, user_names, index))
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
            into[ts.source] = bin_seconds(np.asarray(cpu[: len(t)], dtype=float), t[: len(cpu)], self.index)
        rss = ts.metrics.get("rss_bytes")
        if rss is not None and ts.role == "target":
            self.rss[ts.source] = bin_seconds(
                np.asarray(rss[: len(t)], dtype=float), t[: len(rss)], self.index
            )

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

    def add(self, source: str, src: Source) -> None:
        frame = replica_frame(src)
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
