"""Quantiles of Prometheus histograms (``analysis/quantiles.py``), as Prometheus's
``histogram_quantile`` computes them over an increase."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from scalectl.analysis.quantiles import histogram_quantile

INF = math.inf


def _cumulative(rows: list[list[float]], bounds=(0.1, 0.5, 1.0, INF)) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(bounds), index=pd.Index(range(len(rows)), name="t"))


# the increase between the first and last row: 20 ≤0.1 s, 60 ≤0.5 s, 90 ≤1 s, 100 in all
FRAME = _cumulative([[5, 10, 10, 10], [15, 40, 60, 70], [25, 70, 100, 110]])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.1, 0.05),  # rank 10 inside the first bucket, from 0
        (0.2, 0.1),  # exactly at a bucket's upper bound
        (0.5, 0.1 + 0.4 * (50 - 20) / 40),
        (0.9, 1.0),
        (0.95, 1.0),  # in +Inf: the highest finite bound
    ],
)
def test_linear_interpolation_inside_the_bucket(q, expected) -> None:
    assert histogram_quantile(q, FRAME) == pytest.approx(expected)


def test_only_the_masked_seconds_count() -> None:
    mask = pd.Series([False, True, True], index=FRAME.index)
    # increase from row 1 to row 2: 10 ≤0.1, 30 ≤0.5, 40 ≤1, 40 in all
    assert histogram_quantile(0.5, FRAME, mask) == pytest.approx(0.1 + 0.4 * (20 - 10) / 20)


def test_too_little_to_tell_gives_none() -> None:
    assert histogram_quantile(0.5, FRAME.iloc[:1]) is None  # one row: no increase
    flat = _cumulative([[1, 2, 3, 3], [1, 2, 3, 3]])
    assert histogram_quantile(0.5, flat) is None  # nothing observed in between
    with_gap = _cumulative([[1, 2, 3, 3], [None, None, None, None], [1, 2, 3, 3]])
    assert histogram_quantile(0.5, with_gap) is None  # rows with a missing bucket are dropped
    only_inf = _cumulative([[0], [5]], bounds=(INF,))
    assert histogram_quantile(0.5, only_inf) is None  # one +Inf bucket: no finite bound to name


def test_everything_beyond_the_last_finite_bound_reads_as_that_bound() -> None:
    assert histogram_quantile(0.5, _cumulative([[0, 0, 0, 0], [0, 0, 0, 5]])) == 1.0


def test_without_an_inf_bucket_the_largest_count_is_the_total() -> None:
    frame = _cumulative([[0, 0, 0], [10, 30, 40]], bounds=(0.1, 0.5, 1.0))
    assert histogram_quantile(0.5, frame) == pytest.approx(0.1 + 0.4 * (20 - 10) / 20)
    assert histogram_quantile(1.0, frame) == pytest.approx(1.0)
