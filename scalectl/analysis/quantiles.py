"""Quantiles of Prometheus histograms (cumulative ``le`` buckets), as Prometheus computes them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def histogram_quantile(q: float, cumulative: pd.DataFrame, mask: pd.Series | None = None) -> float | None:
    """The q-quantile (0..1) of a Prometheus histogram's increase over the masked seconds.

    ``cumulative``: cumulative bucket counts (columns: upper bounds, ``inf`` included), one row per
    second. Interpolates linearly inside the bucket, as Prometheus's ``histogram_quantile`` does.
    """
    rows = cumulative if mask is None else cumulative[mask.reindex(cumulative.index, fill_value=False)]
    rows = rows.dropna(how="any")
    if len(rows) < 2:
        return None
    inc = (rows.iloc[-1] - rows.iloc[0]).to_numpy(dtype=float)
    bounds = np.asarray(cumulative.columns, dtype=float)
    total = inc[-1] if np.isinf(bounds[-1]) else inc.max()
    if not total or total <= 0:
        return None
    rank = q * total
    i = int(np.searchsorted(inc, rank, side="left"))
    i = min(i, len(inc) - 1)
    if np.isinf(bounds[i]):
        return float(bounds[i - 1]) if i > 0 else None
    lo_b = bounds[i - 1] if i > 0 else 0.0
    lo_c = inc[i - 1] if i > 0 else 0.0
    span = inc[i] - lo_c
    return float(lo_b + (bounds[i] - lo_b) * ((rank - lo_c) / span if span > 0 else 1.0))
