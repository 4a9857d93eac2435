"""Open (arrival-rate) model: latency from the intended send time shows a target stall that a
closed model hides (coordinated omission)."""

from __future__ import annotations

from pathlib import Path

from scalectl.load.users_schedule import ArrivalSchedule
from scalectl.pipeline import RunOptions, TargetOptions, run_load
from scalectl.scenario import scenario_from_data

REQS = [{"path": "/api/content/{id}", "params": {"id": {"range": [1, 50]}}}]
STALL = {"TOY_STALL_AFTER_S": "2.5", "TOY_STALL_S": "1.0"}


def test_schedule_follows_stages() -> None:
    s = ArrivalSchedule(
        [
            {"rps": 10, "duration": 1.0},
            {"rps": 0, "duration": 1.0},
            {"start_rps": 0, "rps": 20, "duration": 1.0},
        ],
        share=1.0,
        t0=100.0,
    )
    times = []
    while (t := s.claim()) is not None:
        times.append(t)
    assert sum(1 for t in times if t < 101) == 10
    assert not any(101 <= t < 102 for t in times)  # zero rate: nothing scheduled
    assert 8 <= sum(1 for t in times if t >= 102) <= 11  # linear ramp 0→20 averages 10/s


def test_stall_shows_in_open_model_but_hides_in_closed(toy_factory, tmp_path: Path) -> None:
    open_url = toy_factory(STALL)
    open_sc = scenario_from_data(
        {
            "name": "open",
            "requests": REQS,
            "load": {"model": "open", "max_users": 2, "stages": [{"rps": 40, "duration": 5}]},
        }
    )
    run_open, _ = run_load(
        RunOptions(scenario=open_sc, target=TargetOptions(host=open_url), out=tmp_path / "open")
    )
    closed_url = toy_factory(STALL)
    closed_sc = scenario_from_data(
        {
            "name": "closed",
            "requests": REQS,
            "think_time": "25ms",
            "load": {"stages": [{"users": 2, "spawn_rate": 10, "duration": 5}]},
        }
    )
    opts = RunOptions(scenario=closed_sc, target=TargetOptions(host=closed_url), out=tmp_path / "closed")
    run_closed, _ = run_load(opts)
    assert run_open.load_model == "open"
    assert run_open.series[1].offered_rps == 40
    o, c = run_open.total.latency_ms, run_closed.total.latency_ms
    # the stall (1 s) delayed every request scheduled during it: a large share of the open run
    assert o.max >= 800
    assert o.p90 >= 200, o
    # the closed model only saw the stall in the two requests in flight: its p90 stays small
    assert c.max >= 800
    assert c.p90 < 100, c
    assert o.p90 > 5 * c.p90
