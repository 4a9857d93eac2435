"""Per-second samples of a run, decoded once, in the compact form the gate's bootstrap needs.

A run stores, for every second and endpoint, an encoded HDR histogram (``IntervalStats.endpoints``).
``RunSamples.from_run`` decodes each of them exactly once and keeps, per endpoint (and for the whole
run, ``OVERALL``), a dense ``seconds × buckets`` count matrix over the buckets that hold any value.
Merging resampled seconds is then a matrix product, and a percentile is a cumulative sum and a search,
read exactly the way HdrHistogram reads it (``get_value_at_percentile``), so the point estimate of a
merged run equals ``histograms.percentile_ms`` of the merged histogram.
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

    @property
    def seconds(self) -> int:
        return len(self.durations)

    @classmethod
    def from_run(cls, run: RunResult) -> RunSamples:
        """Decode every per-second histogram of ``run`` once (warm-up seconds are not samples)."""
        series = [iv for iv in run.series if not iv.warmup]
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
        return cls(run_id=run.run_id, durations=durations, keys=keys)


def _dense(
    n: int, rows: list[tuple[int, np.ndarray, np.ndarray]], requests: np.ndarray, failures: np.ndarray
) -> KeySamples:
    buckets = np.unique(np.concatenate([r[1] for r in rows])) if rows else np.zeros(0, dtype=np.int64)
    counts = np.zeros((n, len(buckets)), dtype=np.float64)
    for t, idx, c in rows:
        np.add.at(counts, (t, np.searchsorted(buckets, idx)), c)
    return KeySamples(buckets=buckets, counts=counts, requests=requests, failures=failures)


def bucket_values_ms(buckets: np.ndarray) -> np.ndarray:
    """The value HdrHistogram reports for a percentile landing in each bucket (highest equivalent)."""
    ref = histograms.new_histogram()
    return np.array(
        [ref.get_highest_equivalent_value(ref.get_value_from_index(int(i))) / 1000.0 for i in buckets],
        dtype=np.float64,
    )


def percentiles_ms(merged: np.ndarray, values_ms: np.ndarray, qs: list[float]) -> np.ndarray:
    """Percentiles of merged count rows (``B × K``) → ``B × len(qs)`` in ms, read as HdrHistogram reads them.

    Rows with no counts give NaN.
    """
    merged = np.atleast_2d(merged)
    cum = np.cumsum(merged, axis=1)
    total = cum[:, -1] if cum.shape[1] else np.zeros(cum.shape[0])
    out = np.full((merged.shape[0], len(qs)), np.nan)
    for j, q in enumerate(qs):
        target = np.maximum(np.floor(np.minimum(q, 100.0) * total / 100.0 + 0.5), 1.0)
        idx = np.minimum((cum < target[:, None]).sum(axis=1), max(cum.shape[1] - 1, 0))
        if len(values_ms):
            out[:, j] = np.where(total > 0, values_ms[idx], np.nan)
    return out
