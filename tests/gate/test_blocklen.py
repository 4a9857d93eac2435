"""Automatic block length: short for independent seconds, long for persistent slowdowns."""

from __future__ import annotations

import numpy as np
import pytest

from scalectl.gate.blocklen import politis_white


def ar1(phi: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal()
    return x


def test_independent_seconds_get_short_blocks() -> None:
    lengths = [politis_white(np.random.default_rng(s).normal(size=60)) for s in range(20)]
    assert np.median(lengths) <= 2.0


def test_persistent_slowdowns_get_longer_blocks() -> None:
    iid = np.median([politis_white(ar1(0.0, 60, s)) for s in range(20)])
    sticky = np.median([politis_white(ar1(0.8, 60, s)) for s in range(20)])
    assert sticky > iid + 1.0


@pytest.mark.parametrize("x", [np.ones(30), np.arange(3.0), np.array([]), np.array([np.nan] * 10)])
def test_degenerate_series_give_one(x) -> None:
    assert politis_white(x) == 1.0


def test_bounded_by_a_third_of_the_series() -> None:
    assert politis_white(np.arange(30.0)) <= 10.0
