from __future__ import annotations

import math

import numpy as np
import pytest

from scalectl.capacity.usl import fit_usl, model_throughput, peak, usl_throughput


@pytest.mark.parametrize(
    ("lam", "sigma", "kappa"),
    [(100.0, 0.05, 0.002), (250.0, 0.1, 0.0005), (40.0, 0.02, 0.01), (1000.0, 0.3, 0.0)],
)
def test_fit_recovers_known_parameters_from_noisy_data(lam: float, sigma: float, kappa: float) -> None:
    rng = np.random.default_rng(7)
    n = np.arange(1, 17, dtype=float)
    x = np.asarray(usl_throughput(n, lam, sigma, kappa)) * rng.normal(1.0, 0.01, size=n.size)
    m = fit_usl(list(zip(n, x, strict=True)))
    assert m.lam == pytest.approx(lam, rel=0.05)
    assert m.sigma == pytest.approx(sigma, abs=0.02)
    assert m.kappa == pytest.approx(kappa, abs=max(kappa * 0.3, 3e-4))
    assert m.r2 is not None and m.r2 > 0.98
    assert m.n_points == 16 and not m.warnings
    if kappa > 0:
        assert m.peak_n == pytest.approx(math.sqrt((1 - sigma) / kappa), rel=0.25)
    else:
        assert m.peak_n is None


def test_peak_formula() -> None:
    n_star, x_star = peak(100.0, 0.1, 0.001)
    assert n_star == pytest.approx(math.sqrt(0.9 / 0.001))
    assert x_star == pytest.approx(usl_throughput(n_star, 100.0, 0.1, 0.001))
    assert peak(100.0, 0.0, 0.0) == (None, None)
    assert peak(100.0, 0.5, 0.0) == (None, pytest.approx(200.0))


def test_no_points_is_an_answer_not_an_exception() -> None:
    m = fit_usl([])
    assert m.lam == 0 and m.n_points == 0 and m.warnings


def test_one_point_assumes_linear_and_says_so() -> None:
    m = fit_usl([(2, 300.0)])
    assert m.lam == pytest.approx(150.0) and m.sigma == 0 and m.kappa == 0
    assert any("linear scaling assumed" in w for w in m.warnings)
    assert model_throughput(m, 4) == pytest.approx(600.0)


def test_two_points_fit_sigma_only() -> None:
    m = fit_usl([(1, 100.0), (2, 150.0)])
    assert m.kappa == 0
    assert m.sigma == pytest.approx(1 / 3, abs=0.01)
    assert any("κ (coherency) fixed" in w for w in m.warnings)


def test_flat_curve_means_a_shared_limit() -> None:
    m = fit_usl([(n, 500.0) for n in (1, 2, 3, 4, 5)])
    assert m.sigma > 0.95
    assert m.peak_throughput is not None and m.peak_throughput == pytest.approx(500.0, rel=0.05)
    assert any("flat curve" in w for w in m.warnings)


def test_retrograde_curve_peaks_at_the_start() -> None:
    m = fit_usl([(1, 500.0), (2, 400.0), (3, 300.0), (4, 250.0)])
    assert m.peak_n is not None and m.peak_n <= 1.5
    assert any("retrograde" in w for w in m.warnings)


def test_bad_points_are_ignored_with_a_warning() -> None:
    m = fit_usl([(0, 10.0), (1, float("nan")), (2, 200.0)])
    assert m.n_points == 1 and any("ignored" in w for w in m.warnings)


def test_poor_fit_is_warned() -> None:
    m = fit_usl([(1, 100.0), (2, 400.0), (3, 90.0), (4, 420.0), (5, 80.0)])
    assert any("poor fit" in w for w in m.warnings)
