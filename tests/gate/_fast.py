"""Gate tests build many synthetic runs; hdrh's pure-Python ``get_mean_value`` and percentile loops make
``histograms.summarize`` cost ~0.5 s per call on this machine. Here it is replaced by an exact numpy
equivalent (same HdrHistogram reading rules), checked against the original in test_fast.py."""

from __future__ import annotations

import numpy as np

from scalectl.models.run import LatencySummary


def fast_summarize(hist) -> LatencySummary:
    if hist.get_total_count() == 0:
        return LatencySummary()
    counts = np.ctypeslib.as_array(hist.counts)
    idx = np.flatnonzero(counts)
    c = counts[idx].astype(np.float64)
    cum = np.cumsum(c)
    total = cum[-1]
    lows = [hist.get_value_from_index(int(i)) for i in idx]
    highs = np.array([hist.get_highest_equivalent_value(v) for v in lows], dtype=np.float64)
    medians = np.array([hist._hdr_median_equiv_value(v) for v in lows], dtype=np.float64)

    def pct(q: float) -> float:
        target = max(int(q * total / 100 + 0.5), 1)
        return float(highs[np.searchsorted(cum, target)]) / 1000.0

    return LatencySummary(
        p50=pct(50), p90=pct(90), p95=pct(95), p99=pct(99), p999=pct(99.9),
        max=hist.get_max_value() / 1000.0, min=hist.get_min_value() / 1000.0,
        mean=float((medians * c).sum() / total) / 1000.0,
    )  # fmt: skip
