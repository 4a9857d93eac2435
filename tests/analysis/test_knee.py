from __future__ import annotations

import pytest

from scalectl.analysis.knee import LoadPoint, find_knee


def P(level: float, rps: float, ok: bool) -> LoadPoint:
    return LoadPoint(level=level, rps=rps, ok=ok)


@pytest.mark.parametrize(
    ("points", "index", "beyond"),
    [
        # the SLO broke at the heaviest step: the knee is the best step that held
        ([P(10, 10, True), P(20, 19, True), P(30, 21, False)], 1, False),
        # the SLO held everywhere and the heaviest step is the best: the capacity lies beyond it
        ([P(10, 10, True), P(20, 19, True), P(30, 28, True)], 2, True),
        # throughput fell at the heaviest step although the SLO held: the knee is found, not beyond
        ([P(10, 10, True), P(20, 19, True), P(30, 17, True)], 1, False),
        # a heavier level broke the SLO after a lighter one: not beyond, even if measured last
        ([P(40, 40, True), P(60, 60, True), P(120, 80, False), P(70, 70, True)], 3, False),
        # equal throughput: the first (lightest) of equals
        ([P(10, 20, True), P(20, 20, True), P(30, 5, False)], 0, False),
        # a single level that held
        ([P(5, 50, True)], 0, True),
    ],
)
def test_find_knee(points: list[LoadPoint], index: int, beyond: bool) -> None:
    knee = find_knee(points)
    assert knee is not None
    assert (knee.index, knee.beyond_last_step) == (index, beyond)


def test_no_knee_when_nothing_met_the_slo() -> None:
    assert find_knee([P(10, 10, False), P(20, 12, False)]) is None
    assert find_knee([]) is None
