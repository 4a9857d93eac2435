"""Command-line overrides of a scenario (``pipeline/overrides.py``): --users, --rps, --duration, --slo,
--warmup."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.errors import InputError
from scalectl.pipeline.overrides import apply_overrides
from scalectl.scenario import ClosedLoad, OpenLoad, load_scenario, scenario_from_data

ROOT = Path(__file__).resolve().parents[2]


def _scenario(load: dict, slo=("p95<500ms",)):
    return scenario_from_data(
        {"version": 1, "name": "t", "slo": list(slo), "requests": [{"path": "/x"}], "load": load}
    )


CLOSED = {
    "model": "closed",
    "warmup": "2s",
    "stages": [
        {"users": 2, "spawn_rate": 2, "duration": "5s"},
        {"users": 8, "spawn_rate": 4, "duration": "10s"},
    ],
}


def _none(sc, **kw):
    args = {"users": None, "rps": None, "duration": None, "slo": ()}
    return apply_overrides(sc, **{**args, **kw})


def test_nothing_given_changes_nothing() -> None:
    sc = load_scenario(ROOT / "scenarios" / "smoke.yaml")
    assert _none(sc) == sc


def test_users_replace_the_stages_by_one_constant_stage() -> None:
    sc = _none(_scenario(CLOSED), users=20)
    assert isinstance(sc.load, ClosedLoad)
    [stage] = sc.load.stages
    assert (stage.users, stage.spawn_rate, stage.duration) == (20, 20, 15.0)  # the scenario's length
    assert sc.load.warmup == 2.0


def test_rps_turns_a_closed_scenario_into_an_open_one() -> None:
    sc = _none(_scenario(CLOSED), rps=50.0, duration=4.0)
    assert isinstance(sc.load, OpenLoad)
    assert sc.load.max_users == 100
    [stage] = sc.load.stages
    assert (stage.rps, stage.duration) == (50.0, 4.0)
    assert sc.load.warmup == 2.0


def test_rps_keeps_an_open_scenarios_pool() -> None:
    sc = _scenario({"model": "open", "max_users": 7, "stages": [{"rps": 5, "duration": "3s"}]})
    assert _none(sc, rps=9.0).load.max_users == 7


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (3.0, [3.0]),  # cut inside the first stage
        (12.0, [5.0, 7.0]),  # cut inside the second
        (20.0, [5.0, 15.0]),  # longer: the last stage runs on
    ],
)
def test_duration_cuts_or_extends_the_stages(duration, expected) -> None:
    sc = _none(_scenario(CLOSED), duration=duration)
    assert [s.duration for s in sc.load.stages] == expected
    assert sc.total_duration == duration


def test_a_duration_shorter_than_the_warmup_drops_the_warmup() -> None:
    assert _none(_scenario(CLOSED), duration=2.0).load.warmup == 0.0
    assert _none(_scenario(CLOSED), users=3, duration=1.5).load.warmup == 0.0


def test_slo_replaces_the_scenarios_and_is_checked() -> None:
    assert _none(_scenario(CLOSED), slo=["p99<1s", "error_rate<1%"]).slo == ["p99<1s", "error_rate<1%"]
    with pytest.raises(InputError):
        _none(_scenario(CLOSED), slo=["p99 under a second"])


def test_warmup_replaces_the_scenarios_within_the_run() -> None:
    assert _none(_scenario(CLOSED), warmup=0.0).load.warmup == 0.0
    assert _none(_scenario(CLOSED), duration=6.0, warmup=5.0).load.warmup == 5.0
    with pytest.raises(
        InputError, match=r"--warmup \(6s\) must be at least 0 and shorter than the run \(6s\)"
    ):
        _none(_scenario(CLOSED), duration=6.0, warmup=6.0)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"users": 5, "rps": 5.0}, "give --users (closed model) or --rps (open model), not both"),
        ({"users": 0}, "--users must be at least 1"),
        ({"rps": 0.0}, "--rps must be positive"),
    ],
)
def test_bad_overrides_are_input_errors(kw, message) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _none(_scenario(CLOSED), **kw)
