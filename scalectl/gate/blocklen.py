"""Automatic block length for the circular block bootstrap (Politis & White 2004, with the correction
of Patton, Politis & White 2009).

The right block length depends on how long a run's slowdowns last: seconds that are independent need
blocks of one second; a machine that stays slow for ten seconds at a time needs blocks that long, or
the bootstrap underestimates the run's variability (and the gate raises false alarms). The rule
estimates it from the series itself, here the per-second log median latency of the run::

    b = (2 G² / D)^(1/3) · n^(1/3),   G = Σ λ(k/M) |k| R(k),   D = 4/3 · (Σ λ(k/M) R(k))²

with R the autocovariance, λ the flat-top lag window and M chosen from where the autocorrelation
stops being significant.
"""

from __future__ import annotations

import math

import numpy as np


def _flat_top(t: np.ndarray) -> np.ndarray:
    a = np.abs(t)
    return np.where(a <= 0.5, 1.0, np.where(a <= 1.0, 2.0 * (1.0 - a), 0.0))


def politis_white(x: np.ndarray, *, c: float = 2.0) -> float:
    """Optimal circular-bootstrap block length of the series ``x`` (at least 1, at most n/3)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 6 or np.allclose(x, x[0]):
        return 1.0
    xc = x - x.mean()
    acov = np.array([np.dot(xc[: n - k], xc[k:]) / n for k in range(n)])
    rho = acov / acov[0]
    kn = max(5, int(math.ceil(math.sqrt(math.log10(n)))))
    bound = c * math.sqrt(math.log10(n) / n)
    m_hat = n - 1
    for m in range(1, n - kn):
        if np.all(np.abs(rho[m + 1 : m + 1 + kn]) < bound):
            m_hat = m
            break
    big_m = min(2 * m_hat, n - 1)
    k = np.arange(-big_m, big_m + 1)
    lam = _flat_top(k / max(big_m, 1))
    r = acov[np.abs(k)]
    g = float(np.sum(lam * np.abs(k) * r))
    g0 = float(np.sum(lam * r))
    if g0 <= 0:
        return 1.0
    d = 4.0 / 3.0 * g0**2
    b = (2.0 * g**2 / d) ** (1.0 / 3.0) * n ** (1.0 / 3.0)
    return float(min(max(b, 1.0), max(1.0, n / 3.0)))
