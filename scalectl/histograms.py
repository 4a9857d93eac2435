"""HDR histograms of latency (HdrHistogram_py): the one place that creates, encodes and reads them.

Values are recorded in microseconds with 3 significant digits, from 1 µs to 1 hour, so every
percentile read back is within 0.1% of the recorded value. Encoded form: the base64 string of
``HdrHistogram.encode()`` (compressed, portable, mergeable exactly).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from hdrh.histogram import HdrHistogram

from scalectl.models.run import LatencySummary

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record_ms(hist: HdrHistogram, latency_ms: float) -> None:
    """Record one latency given in milliseconds (clamped into the histogram's range)."""
    us = int(round(latency_ms * 1000.0))
    hist.record_value(min(max(us, LOWEST_US), HIGHEST_US))


def encode(hist: HdrHistogram) -> str:
    data = hist.encode()
    return data.decode("ascii") if isinstance(data, bytes) else str(data)


def decode(encoded: str) -> HdrHistogram:
    hist = new_histogram()
    hist.decode_and_add(encoded.encode("ascii") if isinstance(encoded, str) else encoded)
    return hist


def merge(parts: Iterable[HdrHistogram | str | None]) -> HdrHistogram:
    """Exact merge of histograms (objects or encoded strings); ``None`` entries are skipped."""
    total = new_histogram()
    for part in parts:
        if part is None:
            continue
        if isinstance(part, str | bytes):
            total.decode_and_add(part.encode("ascii") if isinstance(part, str) else part)
        else:
            total.add(part)
    return total


def nearest_rank(q: float, total: np.ndarray | int) -> np.ndarray:
    """The nearest rank of the q-th percentile (0..100) among ``total`` values: ceil(q/100 · n), at
    least 1 and at most n (``total`` may be an array of counts). The one rank every reader uses: the
    run's own percentiles (``percentiles_ms``, run.json) and the gate's (``gate/samples.py``)."""
    n = np.asarray(total, dtype=np.float64)
    return np.clip(np.ceil(q / 100.0 * n - 1e-9), 1.0, np.maximum(n, 1.0))


def percentile_ms(hist: HdrHistogram, q: float) -> float:
    """The q-th percentile (0..100) in milliseconds, nearest-rank; 0.0 for an empty histogram.

    Nearest rank is the value of rank ceil(q/100 * n), as numpy's ``inverted_cdf`` and Java
    HdrHistogram define it. hdrh's Python port rounds the rank to nearest instead, which on small
    samples picks the neighbouring value (16% off at p99 of 266 samples, bench/bench_load_accuracy.py);
    asking it for (rank - 0.25) / n makes its rounding land exactly on ``rank``.
    """
    total = hist.get_total_count()
    if total == 0:
        return 0.0
    rank = int(nearest_rank(q, total))
    return hist.get_value_at_percentile(min(100.0, (rank - 0.25) * 100.0 / total)) / 1000.0


def percentiles_ms(hist: HdrHistogram, qs: Sequence[float]) -> list[float]:
    """Several nearest-rank percentiles in ms in one pass over the counts (the values
    ``percentile_ms`` gives, without its per-call walk of the whole counts array)."""
    total = hist.get_total_count()
    if total == 0:
        return [0.0 for _ in qs]
    n = min(hist.counts_len, hist.encoder.payload.counts_len)
    cum = np.cumsum(np.ctypeslib.as_array(hist.counts)[:n], dtype=np.int64)
    out: list[float] = []
    for q in qs:
        rank = int(nearest_rank(q, total))
        idx = int(np.searchsorted(cum, rank, side="left"))
        if idx >= n:
            out.append(hist.get_max_value() / 1000.0)
            continue
        out.append(hist.get_highest_equivalent_value(hist.get_value_from_index(idx)) / 1000.0)
    return out


def mean_ms(hist: HdrHistogram) -> float:
    """Mean in ms, as ``HdrHistogram.get_mean_value`` computes it (each bucket at its median
    equivalent value), walking only the non-empty buckets instead of the whole counts array."""
    total = hist.get_total_count()
    if total == 0:
        return 0.0
    n = min(hist.counts_len, hist.encoder.payload.counts_len)
    counts = np.ctypeslib.as_array(hist.counts)[:n]
    idx = np.flatnonzero(counts)
    medians = np.array(
        [hist._hdr_median_equiv_value(hist.get_value_from_index(int(i))) for i in idx], dtype=np.float64
    )
    return float((medians * counts[idx]).sum() / total) / 1000.0


def summarize(hist: HdrHistogram) -> LatencySummary:
    if hist.get_total_count() == 0:
        return LatencySummary()
    p50, p90, p95, p99, p999 = percentiles_ms(hist, (50, 90, 95, 99, 99.9))
    return LatencySummary(
        p50=p50,
        p90=p90,
        p95=p95,
        p99=p99,
        p999=p999,
        max=hist.get_max_value() / 1000.0,
        min=hist.get_min_value() / 1000.0,
        mean=mean_ms(hist),
    )
