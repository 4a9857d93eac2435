from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from scalectl.capacity.growth import DAYS_PER_MONTH, add_months, fit_history, parse_growth, project
from scalectl.errors import InputError


@pytest.mark.parametrize(
    ("text", "monthly"),
    [
        ("10%/month", 1.10),
        ("+10 % / month", 1.10),
        ("0%/month", 1.0),
        ("-5%/month", 0.95),
        ("40%/year", 1.40 ** (1 / 12)),
        ("2%/week", 1.02 ** (DAYS_PER_MONTH / 7)),
        ("1%/day", 1.01**DAYS_PER_MONTH),
    ],
)
def test_parse_growth(text: str, monthly: float) -> None:
    assert parse_growth(text).monthly_factor == pytest.approx(monthly, rel=1e-12)


@pytest.mark.parametrize("text", ["10", "10%", "ten%/month", "10%/fortnight", "-100%/month", ""])
def test_parse_growth_rejects(text: str) -> None:
    with pytest.raises(InputError, match="--growth"):
        parse_growth(text)


def test_a_year_of_monthly_growth_compounds_to_the_yearly_rate() -> None:
    g = parse_growth("40%/year")
    assert project(100.0, g, 12)[12] == pytest.approx(140.0, rel=1e-12)


def test_forecast_compounds_exactly() -> None:
    loads = project(200.0, parse_growth("10%/month"), 12)
    assert len(loads) == 13 and loads[0] == 200.0
    for m in range(1, 13):
        assert loads[m] == pytest.approx(loads[m - 1] * 1.1, rel=1e-12)
        assert loads[m] == pytest.approx(200.0 * 1.1**m, rel=1e-12)


@pytest.mark.parametrize(
    ("start", "m", "label"),
    [
        (date(2026, 11, 30), 5, "2027-04"),
        (date(2026, 1, 1), 0, "2026-01"),
        (date(2026, 12, 5), 1, "2027-01"),
        (date(2026, 3, 1), 24, "2028-03"),
    ],
)
def test_add_months(start: date, m: int, label: str) -> None:
    assert add_months(start, m) == label


def test_a_known_exponential_trend_is_recovered() -> None:
    d0 = date(2026, 1, 1)
    daily = math.log(1.08) / DAYS_PER_MONTH  # +8 %/month
    pts = [(d0 + timedelta(days=7 * i), 150.0 * math.exp(daily * 7 * i)) for i in range(40)]
    trend = fit_history(pts)
    assert trend.growth.monthly_factor == pytest.approx(1.08, rel=1e-9)
    assert trend.growth.r2 == pytest.approx(1.0, abs=1e-12)
    assert trend.rps_at_last == pytest.approx(pts[-1][1], rel=1e-9)
    assert trend.growth.source == "history" and not trend.warnings


def test_a_noisy_trend_is_recovered_within_noise_and_fits_less_well() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    d0 = date(2025, 1, 1)
    daily = math.log(1.05) / DAYS_PER_MONTH
    pts = [
        (d0 + timedelta(days=i), 100.0 * math.exp(daily * i) * math.exp(rng.normal(0, 0.05)))
        for i in range(365)
    ]
    trend = fit_history(pts)
    assert trend.growth.monthly_factor == pytest.approx(1.05, abs=0.005)
    assert 0.5 < trend.growth.r2 < 1.0


def test_a_flat_noisy_history_warns_of_a_poor_fit() -> None:
    d0 = date(2025, 1, 1)
    pts = [(d0 + timedelta(days=i), 100.0 + (10 if i % 2 else -10)) for i in range(30)]
    trend = fit_history(pts)
    assert trend.growth.r2 < 0.8 and trend.warnings and "poorly" in trend.warnings[0]


@pytest.mark.parametrize(
    "pts",
    [
        [(date(2026, 1, 1), 10.0), (date(2026, 2, 1), 11.0)],
        [(date(2026, 1, 1), 10.0), (date(2026, 2, 1), 0.0), (date(2026, 3, 1), 12.0)],
        [(date(2026, 1, 1), 10.0)] * 3,
    ],
)
def test_fit_history_rejects_thin_or_bad_history(pts) -> None:
    with pytest.raises(InputError, match="history"):
        fit_history(pts)
