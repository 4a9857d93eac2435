"""HDR histograms of latency (HdrHistogram_py): the one place that creates, encodes and reads them.

Values are recorded in microseconds with 3 significant digits, from 1 µs to 1 hour, so every
percentile read back is within 0.1% of the recorded value. Encoded form: the base64 string of
``HdrHistogram.encode()`` (compressed, portable, mergeable exactly).
"""

from __future__ import annotations

from collections.abc import Iterable

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


def percentile_ms(hist: HdrHistogram, q: float) -> float:
    """The q-th percentile (0..100) in milliseconds; 0.0 for an empty histogram."""
    if hist.get_total_count() == 0:
        return 0.0
    return hist.get_value_at_percentile(q) / 1000.0


def summarize(hist: HdrHistogram) -> LatencySummary:
    if hist.get_total_count() == 0:
        return LatencySummary()
    return LatencySummary(
        p50=percentile_ms(hist, 50),
        p90=percentile_ms(hist, 90),
        p95=percentile_ms(hist, 95),
        p99=percentile_ms(hist, 99),
        p999=percentile_ms(hist, 99.9),
        max=hist.get_max_value() / 1000.0,
        min=hist.get_min_value() / 1000.0,
        mean=hist.get_mean_value() / 1000.0,
    )
