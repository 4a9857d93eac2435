"""Per-second samples of a run, decoded once, in the compact form the gate's bootstrap needs.

A run stores, for every second and endpoint, an encoded HDR histogram (``IntervalStats.endpoints``).
``RunSamples.from_run`` decodes each of them exactly once and keeps, per endpoint (and for the whole
run, ``OVERALL``), a dense ``seconds × buckets`` count matrix over the buckets that hold any value.
Merging resampled seconds is then a matrix product, and a percentile is a cumulative sum and a search
for the nearest rank (``histograms.nearest_rank``), read exactly as the run's own percentiles are
(``histograms.percentiles_ms``, run.json's ``latency_ms``): the point estimate the gate shows for a run
is the run's own figure. The throughput shown is the run's too (``RunResult.loaded_seconds``, the
seconds ``analysis.throughput.active_rps`` counts; ``RunSamples.loaded``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scalectl import histograms
from scalectl.models.run import RunResult

OVERALL = "overall"


@dataclass(frozen=True)
class KeySamples:
    """One endpoint's (or the whole run's) per-second samples."""

    #: Sorted HDR counts-array indices of the buckets that hold a value in this run.
    buckets: np.ndarray
    #: ``seconds × len(buckets)`` counts.
    counts: np.ndarray
    #: Per second: requests and failures (length ``seconds``).
    requests: np.ndarray
    failures: np.ndarray

    @property
    def total_requests(self) -> int:
        return int(self.requests.sum())

    @property
    def active_seconds(self) -> int:
        return int((self.requests > 0).sum())

    def on(self, buckets: np.ndarray) -> np.ndarray:
        """The count matrix re-indexed onto ``buckets`` (a sorted superset of ``self.buckets``)."""
        out = np.zeros((self.counts.shape[0], len(buckets)), dtype=np.float64)
        if len(self.buckets):
            out[:, np.searchsorted(buckets, self.buckets)] = self.counts
        return out


@dataclass(frozen=True)
class RunSamples:
    run_id: str
    #: Interval lengths in seconds (length ``seconds``).
    durations: np.ndarray
    keys: dict[str, KeySamples] = field(default_factory=dict)
    #: Per second: whether the run's throughput counts it (``RunResult.loaded_seconds``: not the
    #: partial start-up and drain seconds); None: every second.
    loaded: np.ndarray | None = None

    @property
    def loaded_mask(self) -> np.ndarray:
        return np.ones(self.seconds, dtype=bool) if self.loaded is None else self.loaded

    @property
    def seconds(self) -> int:
        return len(self.durations)

    @classmethod
    def from_run(cls, run: RunResult) -> RunSamples:
        """Decode every per-second histogram of ``run`` once (warm-up seconds are not samples)."""
        counted = [i for i, iv in enumerate(run.series) if not iv.warmup]
        series = [run.series[i] for i in counted]
        loaded_at = set(run.loaded_seconds())
        n = len(series)
        names: list[str] = [ep.key for ep in run.endpoints]
        for interval in series:
            names.extend(k for k in interval.endpoints if k not in names)
        rows: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {k: [] for k in names}
        req = {k: np.zeros(n) for k in names}
        fail = {k: np.zeros(n) for k in names}
        for t, interval in enumerate(series):
            for key, ep in interval.endpoints.items():
                req[key][t] = ep.requests
                fail[key][t] = ep.failures
                if ep.histogram:
                    arr = np.ctypeslib.as_array(histograms.decode(ep.histogram).counts)
                    idx = np.flatnonzero(arr)
                    rows[key].append((t, idx, arr[idx].astype(np.float64)))
        keys = {k: _dense(n, rows[k], req[k], fail[k]) for k in names}
        overall_rows = [r for k in names for r in rows[k]]
        keys[OVERALL] = _dense(
            n,
            overall_rows,
            np.sum([req[k] for k in names], axis=0) if names else np.zeros(n),
            np.sum([fail[k] for k in names], axis=0) if names else np.zeros(n),
        )
        durations = np.array([max(s.duration_s, 1e-9) for s in series], dtype=np.float64)
        loaded = np.array([i in loaded_at for i in counted], dtype=bool)
        return cls(run_id=run.run_id, durations=durations, keys=keys, loaded=loaded)


def _dense(
    n: int, rows: list[tuple[int, np.ndarray, np.ndarray]], requests: np.ndarray, failures: np.ndarray
) -> KeySamples:
    buckets = np.unique(np.concatenate([r[1] for r in rows])) if rows else np.zeros(0, dtype=np.int64)
    counts = np.zeros((n, len(buckets)), dtype=np.float64)
    for t, idx, c in rows:
        np.add.at(counts, (t, np.searchsorted(buckets, idx)), c)
    return KeySamples(buckets=buckets, counts=counts, requests=requests, failures=failures)


def throughput(samples: RunSamples, key: str, weights: np.ndarray) -> np.ndarray:
    """Requests per second of ``key`` for each row of ``weights`` (``R × seconds``: how often each
    second is drawn; a row of ones gives the run's own figure, ``analysis.throughput.active_rps``):
    the run's requests over its loaded seconds, times the key's share of the counted requests (the
    reports' per-endpoint req/s, ``report.fmt.endpoint_rps``). NaN where a row draws no loaded second."""
    weights = np.atleast_2d(weights)
    overall = samples.keys[OVERALL]
    loaded = samples.loaded_mask.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = (weights @ (overall.requests * loaded)) / (weights @ (samples.durations * loaded))
        if key == OVERALL:
            return rate
        return rate * (weights @ samples.keys[key].requests) / (weights @ overall.requests)


def bucket_values_ms(buckets: np.ndarray) -> np.ndarray:
    """The value HdrHistogram reports for a percentile landing in each bucket (highest equivalent)."""
    ref = histograms.new_histogram()
    return np.array(
        [ref.get_highest_equivalent_value(ref.get_value_from_index(int(i))) / 1000.0 for i in buckets],
        dtype=np.float64,
    )


def percentiles_ms(merged: np.ndarray, values_ms: np.ndarray, qs: list[float]) -> np.ndarray:
    """Percentiles of merged count rows (``B × K``) → ``B × len(qs)`` in ms, nearest rank, read as the
    run's own percentiles are read (``histograms.percentiles_ms``).

    Rows with no counts give NaN.
    """
    merged = np.atleast_2d(merged)
    cum = np.cumsum(merged, axis=1)
    total = cum[:, -1] if cum.shape[1] else np.zeros(cum.shape[0])
    out = np.full((merged.shape[0], len(qs)), np.nan)
    for j, q in enumerate(qs):
        target = histograms.nearest_rank(min(q, 100.0), total)
        idx = np.minimum((cum < target[:, None]).sum(axis=1), max(cum.shape[1] - 1, 0))
        if len(values_ms):
            out[:, j] = np.where(total > 0, values_ms[idx], np.nan)
    return out
