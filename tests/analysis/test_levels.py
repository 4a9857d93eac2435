"""Load levels, the plateau and the knee (analysis/levels.py), on hand-made levels."""

from __future__ import annotations

import pytest

from scalectl.analysis.levels import Level, below_knee, find_plateau, run_levels
from scalectl.analysis.params import AnalysisParams
from tests.analysis.helpers import context, service_run

P = AnalysisParams()


def lv(load: float, rps: float, mean_ms: float) -> Level:
    return Level(load=load, load_name="users", rps=rps, mean_ms=mean_ms, p95_ms=mean_ms, seconds=5)


WORKERS_2 = [lv(1, 10, 100), lv(2, 20, 100), lv(4, 20, 200), lv(8, 20, 400)]


@pytest.mark.parametrize(
    ("levels", "start", "concurrency"),
    [
        (WORKERS_2, 2, 2.0),  # 2 workers × 100 ms
        ([lv(2, 20, 100), lv(4, 20, 200), lv(8, 20, 400)], 2, 2.0),  # saturated from the lowest
        ([lv(1, 10, 100), lv(2, 20, 100), lv(4, 40, 100), lv(8, 80, 100)], None, None),  # scales
        ([lv(1, 10, 100), lv(2, 20, 100), lv(4, 20, 200), lv(8, 12, 660)], None, None),  # retrograde
        ([lv(4, 20, 200), lv(5, 20, 250)], None, None),  # load grew 1.25×: too little to say
        ([lv(2, 20, 100), lv(4, 20, 110), lv(8, 20, 120)], None, None),  # flat, latency flat: think time
        ([lv(1, 10, 100)], None, None),  # one level
    ],
    ids=["workers", "from-lowest", "scales", "retrograde", "small-step", "latency-flat", "one-level"],
)
def test_find_plateau(levels: list[Level], start: float | None, concurrency: float | None) -> None:
    pl = find_plateau(levels, P)
    if start is None:
        assert pl is None
        return
    assert pl is not None and pl.start.load == start
    assert pl.concurrency == pytest.approx(concurrency)
    assert pl.from_lowest is (levels[0].load == start)


@pytest.mark.parametrize(
    ("level", "levels", "expected"),
    [
        (lv(1, 10, 100), WORKERS_2, True),  # one user never queues
        (lv(2, 20, 100), WORKERS_2, False),  # on the plateau
        (lv(2, 10, 200), [lv(2, 10, 200), lv(4, 20, 200), lv(8, 20, 400)], True),  # load still bought X
        (lv(2, 20, 100), [lv(2, 20, 100)], False),  # a lone level
    ],
    ids=["one-user", "plateau", "rising", "alone"],
)
def test_below_knee(level: Level, levels: list[Level], expected: bool) -> None:
    assert below_knee(level, levels, P) is expected


def test_run_levels_group_seconds_by_load_and_bin_a_ramp() -> None:
    stairs = service_run([1] * 5 + [2] * 5 + [4] * 5)
    levels = run_levels(stairs, context(stairs).signals, context(stairs).loaded, P)
    assert [x.load for x in levels] == [1, 2, 4]
    assert [round(x.rps) for x in levels] == [10, 20, 20]
    ramp = service_run(list(range(1, 16)))  # a new user each second: no level held 3 s
    levels = run_levels(ramp, context(ramp).signals, context(ramp).loaded, P)
    assert 2 <= len(levels) <= P.level_bins
    assert levels == sorted(levels, key=lambda x: x.load)
