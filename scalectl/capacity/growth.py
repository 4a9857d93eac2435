"""Load growth: a stated rate (``10%/month``) or a trend fitted to a history of peaks. Pure.

Growth compounds: month m carries ``rps0 × g^m`` where g is the monthly factor. A rate per week or
per year is turned into its monthly equivalent (a month is 365.25/12 days, a week 7 days), so
``10%/year`` is ``1.1^(1/12)`` a month, not 10/12 %.

A history of (date, peak req/s) is fitted by log-linear least squares: ln(rps) = a + b·days, so
the fitted monthly factor is ``exp(b × 30.4375)``; R² (on the log scale, where the fit is made)
says how well an exponential trend explains the history.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from scalectl.errors import InputError

DAYS_PER_MONTH = 365.25 / 12
_PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH, "year": 365.25}
_GROWTH_RE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*/\s*(day|week|month|year)\s*$", re.IGNORECASE)
#: Fewer history points than this: no trend is fitted.
MIN_HISTORY_POINTS = 3
#: Below this R² the trend is called a poor fit (warned).
POOR_FIT_R2 = 0.8


@dataclass(frozen=True)
class Growth:
    """A monthly growth factor and where it came from."""

    monthly_factor: float
    #: How the user said it (``+10 %/month``) or how it was fitted.
    label: str
    source: str = "stated"
    r2: float | None = None
    n_points: int | None = None

    @property
    def monthly_rate(self) -> float:
        return self.monthly_factor - 1.0


def parse_growth(text: str) -> Growth:
    """``10%/month``, ``2.5%/week``, ``40%/year`` (negative allowed) → a monthly factor."""
    m = _GROWTH_RE.match(text or "")
    if not m:
        raise InputError(f"--growth {text!r}: expected a rate such as 10%/month, 2%/week or 40%/year")
    pct, period = float(m.group(1)), m.group(2).lower()
    if pct <= -100:
        raise InputError(f"--growth {text!r}: a rate must be above -100%")
    factor = (1.0 + pct / 100.0) ** (DAYS_PER_MONTH / _PERIOD_DAYS[period])
    return Growth(monthly_factor=factor, label=f"{pct:+g} %/{period}", source="stated")


@dataclass(frozen=True)
class Trend:
    """ln(rps) = ln(rps_at_last) + b·(day − last day): the fitted history."""

    growth: Growth
    #: The trend's value at the last history date (the load "now" by the trend).
    rps_at_last: float
    last_date: date
    daily_log_slope: float
    warnings: tuple[str, ...] = ()


def fit_history(points: Sequence[tuple[date, float]]) -> Trend:
    """Exponential trend through (date, peak req/s) by least squares on ln(rps)."""
    pts = sorted(points)
    if len(pts) < MIN_HISTORY_POINTS:
        raise InputError(f"history: need at least {MIN_HISTORY_POINTS} (date, peak) points, got {len(pts)}")
    if any(rps <= 0 for _, rps in pts):
        raise InputError("history: every peak must be > 0 req/s")
    if len({d for d, _ in pts}) < 2:
        raise InputError("history: the dates must span more than one day")
    last = pts[-1][0]
    x = np.array([(d - last).days for d, _ in pts], dtype=float)
    y = np.log(np.array([rps for _, rps in pts], dtype=float))
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * x
    ss_res = float(np.sum((y - fitted) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    factor = math.exp(float(slope) * DAYS_PER_MONTH)
    warnings = []
    if r2 < POOR_FIT_R2:
        warnings.append(
            f"the history fits an exponential trend poorly (R²={r2:.2f} < {POOR_FIT_R2}): "
            "treat the forecast as a rough guide"
        )
    label = f"{(factor - 1) * 100:+.1f} %/month (fitted to {len(pts)} points, R²={r2:.2f})"
    growth = Growth(monthly_factor=factor, label=label, source="history", r2=r2, n_points=len(pts))
    return Trend(growth, float(math.exp(intercept)), last, float(slope), tuple(warnings))


def add_months(start: date, months: int) -> str:
    """``YYYY-MM`` of the month ``months`` after ``start``'s month."""
    idx = start.year * 12 + (start.month - 1) + months
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def project(rps0: float, growth: Growth, horizon: int) -> list[float]:
    """Load of months 0..horizon, compounding: rps0 × factor^m."""
    return [rps0 * growth.monthly_factor**m for m in range(horizon + 1)]
