from __future__ import annotations

import math

import pytest

from scalectl.capacity.queueing import erlang_b, erlang_c, littles_law, mean_wait_s, min_servers


def _erlang_c_direct(c: int, a: float) -> float:
    """Textbook closed form, summed directly (independent of the recursion under test)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_littles_law() -> None:
    assert littles_law(200.0, 0.05) == pytest.approx(10.0)
    with pytest.raises(ValueError):
        littles_law(-1, 1)


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: P(wait) = rho
        (2, 1.0, 1 / 3),
        (3, 2.0, 4 / 9),
        (11, 10.0, 0.6821),  # the classic call-centre table value
    ],
)
def test_erlang_c_known_values(c: int, a: float, expected: float) -> None:
    assert erlang_c(c, a) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("c", "a"), [(5, 3.2), (20, 17.5), (50, 40.0), (100, 95.0)])
def test_erlang_c_matches_direct_sum(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(_erlang_c_direct(c, a), rel=1e-9)


def test_erlang_edges() -> None:
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(3, 5.0) == 1.0
    assert erlang_c(3, 0.0) == 0.0 and erlang_c(0, 1.0) == 1.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_mean_wait_mm1() -> None:
    # M/M/1 with lambda=8, mu=10: Wq = rho / (mu - lambda) = 0.8 / 2
    assert mean_wait_s(1, 8.0, 0.1) == pytest.approx(0.4)
    assert math.isinf(mean_wait_s(1, 10.0, 0.1))


def test_min_servers_is_the_smallest_meeting_the_bound() -> None:
    c = min_servers(100.0, 0.05, max_p_wait=0.05)  # 5 Erlangs
    assert erlang_c(c, 5.0) <= 0.05 < erlang_c(c - 1, 5.0)
    c2 = min_servers(100.0, 0.05, max_p_wait=None, max_mean_wait_s=0.001)
    assert mean_wait_s(c2, 100.0, 0.05) <= 0.001 < mean_wait_s(c2 - 1, 100.0, 0.05)
    assert min_servers(0.0, 1.0) == 1


@pytest.mark.parametrize("rate", [10.0, 50.0, 200.0, 800.0])
def test_min_servers_grows_with_the_rate(rate: float) -> None:
    assert min_servers(rate * 2, 0.02) >= min_servers(rate, 0.02)
