"""Shared pieces of the gate's regression checks (``gate/stat.py``): enough samples, and the one-sided
test of a log ratio from its bootstrap replicates with the run-to-run noise floor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from scalectl.gate.compare import StatSettings
from scalectl.gate.samples import KeySamples
from scalectl.gate.stat import enough, log_test, why_insufficient

ST = StatSettings(min_seconds=5)


def _samples(per_second: list[int]) -> KeySamples:
    n = len(per_second)
    return KeySamples(
        buckets=np.zeros(0, dtype=np.int64),
        counts=np.zeros((n, 0)),
        requests=np.array(per_second, dtype=float),
        failures=np.zeros(n),
    )


@pytest.mark.parametrize(
    ("per_second", "need", "expected"),
    [
        ([10] * 6, 50, None),
        ([10] * 4 + [0, 0], 20, "4 s with requests (need ≥ 5)"),
        ([3] * 6, 20.2, "18 requests (need ≥ 21)"),
    ],
)
def test_enough_names_what_is_missing(per_second, need, expected) -> None:
    assert enough(_samples(per_second), need, ST) == expected


def test_why_insufficient_names_each_run_that_falls_short() -> None:
    good, short = _samples([10] * 6), _samples([1] * 6)
    assert why_insufficient(good, good, 20, ST) is None
    assert why_insufficient(short, good, 20, ST) == "candidate has 6 requests (need ≥ 20)"
    assert why_insufficient(short, short, 20, ST) == (
        "candidate has 6 requests (need ≥ 20); baseline has 6 requests (need ≥ 20)"
    )


def test_log_test_is_the_student_tail_of_the_bootstrap_error() -> None:
    reps = np.random.default_rng(0).normal(0.1, 0.05, 2000)
    p, se = log_test(0.1, reps, worse_if_up=True, df=30)
    assert se == pytest.approx(float(np.std(reps, ddof=1)))
    assert p == pytest.approx(student_t.sf(0.1 / se, 30))
    assert p < 0.05  # a 10% rise two standard errors out is "worse"
    p_down, _ = log_test(0.1, reps, worse_if_up=False, df=30)
    assert p_down == pytest.approx(1 - p)  # the same rise is not worse when down is worse


def test_the_noise_floor_of_each_run_widens_the_error() -> None:
    reps = np.random.default_rng(1).normal(0.1, 0.02, 500)
    p0, se0 = log_test(0.1, reps, True, df=50)
    p1, se1 = log_test(0.1, reps, True, df=50, floor=0.05)
    assert se1 == pytest.approx(math.sqrt(se0**2 + 2 * 0.05**2))
    assert p1 > p0


def test_non_finite_replicates_are_dropped_and_no_spread_is_a_sure_answer() -> None:
    reps = np.array([0.2, np.nan, np.inf, 0.3, 0.1, 0.2])
    _, se = log_test(0.2, reps, True, df=10)
    assert se == pytest.approx(float(np.std([0.2, 0.3, 0.1, 0.2], ddof=1)))
    assert log_test(0.2, np.array([0.2, 0.2]), True, df=10) == (0.0, 0.0)
    assert log_test(-0.2, np.array([]), True, df=10) == (1.0, 0.0)
