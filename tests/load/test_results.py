"""RunResult assembly pieces: generator saturation, offered rate, series CSV."""

from __future__ import annotations

from typing import Any

from scalectl.load.results import generator_info, offered_rate, series_csv
from scalectl.models.run import TelemetrySeries
from tests.factories import make_run


def _gen(name: str, cpu: list[float]) -> TelemetrySeries:
    return TelemetrySeries(
        source=name, kind="process", role="generator", t=list(range(len(cpu))), metrics={"cpu_percent": cpu}
    )


def test_generator_saturated_only_when_sustained() -> None:
    busy = generator_info([_gen("master", [20, 95, 97, 99, 50])], 0, [])
    assert busy.saturated and busy.notes and busy.cpu_percent_max == 99
    blip = generator_info([_gen("master", [20, 95, 40, 99, 50])], 0, [])
    assert not blip.saturated
    two = generator_info([_gen("w0", [50, 50, 50]), _gen("w1", [92, 93, 94])], 2, ["w2"])
    assert two.saturated and two.processes == 2 and two.workers == 2 and two.lost_workers == ["w2"]
    target_only = generator_info(
        [
            TelemetrySeries(
                source="r", kind="process", role="target", metrics={"cpu_percent": [100, 100, 100]}
            )
        ],
        0,
        [],
    )
    assert not target_only.saturated


def test_offered_rate_follows_ramps() -> None:
    stages = [{"rps": 10, "duration": 10}, {"start_rps": 10, "rps": 30, "duration": 10}]
    assert offered_rate(stages, 5) == 10
    assert offered_rate(stages, 15) == 20
    assert offered_rate(stages, 25) == 0


def test_series_csv_has_one_row_per_second() -> None:
    run = make_run(seconds=4)
    lines = series_csv(run).splitlines()
    assert len(lines) == 5 and lines[0].startswith("t,users,offered_rps,requests")


def test_rates_divide_by_load_time_not_the_drain() -> None:
    from scalectl.load.recorder import Recorder
    from scalectl.load.results import RunFacts, build_run

    t_start = 1_000.5
    rec = Recorder()
    for sec in range(1_000, 1_004):  # requests complete in seconds 1000..1003, 100 a second
        for _ in range(100):
            rec.record(sec, "GET /a", "/a", "GET", 10.0, None)
    facts = RunFacts(
        run_id="r",
        scenario_name="s",
        scenario={},
        host="http://127.0.0.1:1",
        load_model="closed",
        slo=[],
        thresholds=[],
        open_stages=[{"rps": 100, "duration": 10}],
    )
    # the child ends 5 s after the last request (Locust's stop timeout): that drain is not load time
    run = build_run({"batch": rec.drain(), "t_start": t_start, "t_end": 1_009.0}, facts, lambda t0: [], 0, 0)
    assert run.duration_s == 3.5
    assert run.total.requests == 400
    assert run.total.rps == 400 / 3.5
    assert run.endpoints[0].rps == run.total.rps
    # offered rate is read at each interval's middle on the stage clock that starts at t_start
    assert [s.offered_rps for s in run.series] == [100.0] * 4


def _facts(warmup: float) -> Any:
    from scalectl.load.results import RunFacts

    return RunFacts(
        run_id="r",
        scenario_name="s",
        scenario={},
        host="http://127.0.0.1:1",
        load_model="open",
        slo=[],
        thresholds=[],
        open_stages=[{"rps": 100, "duration": 10}],
        warmup=warmup,
    )


def _slow_start_recording() -> Any:
    """Seconds 1000..1005: the first two slow (500 ms, a start-up transient), then 10 ms."""
    from scalectl.load.recorder import Recorder

    rec = Recorder()
    for sec in range(1_000, 1_006):
        for _ in range(100):
            rec.record(sec, "GET /a", "/a", "GET", 500.0 if sec < 1_002 else 10.0, None)
    return rec.drain()


def test_warmup_seconds_stay_in_the_timeline_but_not_in_the_summary() -> None:
    from scalectl.load.results import build_run

    raw = {"batch": _slow_start_recording(), "t_start": 1_000.0, "t_end": 1_006.0}
    cold = build_run(raw, _facts(0.0), lambda t0: [], 0, 0)
    assert cold.total.requests == 600 and cold.total.latency_ms.p95 >= 490 and cold.warmup_s == 0
    assert not any(iv.warmup for iv in cold.series)

    warm = build_run(
        {"batch": _slow_start_recording(), "t_start": 1_000.0, "t_end": 1_006.0},
        _facts(2.0),
        lambda t0: [],
        0,
        0,
    )
    assert warm.warmup_s == 2.0
    assert [iv.warmup for iv in warm.series] == [True, True, False, False, False, False]
    assert [iv.requests for iv in warm.series] == [100] * 6  # nothing dropped from the timeline
    assert warm.total.requests == 400 and warm.endpoints[0].requests == 400
    assert warm.total.latency_ms.p95 < 20 and warm.total.latency_ms.max < 20
    assert warm.duration_s == 4.0 and warm.total.rps == 100.0


def test_warmup_longer_than_the_run_counts_everything_and_says_so() -> None:
    from scalectl.load.results import build_run

    raw = {"batch": _slow_start_recording(), "t_start": 1_000.0, "t_end": 1_006.0}
    run = build_run(raw, _facts(30.0), lambda t0: [], 0, 0)
    assert run.warmup_s == 0 and run.total.requests == 600
    assert any("warm-up" in w for w in run.warnings)


def _constant_recording(first: int, last: int) -> Any:
    from scalectl.load.recorder import Recorder

    rec = Recorder()
    for sec in range(first, last + 1):
        for _ in range(50):
            rec.record(sec, "GET /a", "/a", "GET", 10.0, None)
    return rec.drain()


def test_warmup_with_a_fractional_start_counts_whole_seconds_and_says_how_long() -> None:
    from scalectl.load.results import build_run

    # load from 1000.4 to 1008.4; requests complete in seconds 1000..1008
    raw = {"batch": _constant_recording(1_000, 1_008), "t_start": 1_000.4, "t_end": 1_008.4}
    plain = build_run(raw, _facts(0.0), lambda t0: [], 0, 0)
    assert plain.warmup_s == 0 and plain.duration_s == 8.0  # as before: from t_start to the load end
    warm = build_run(
        {"batch": _constant_recording(1_000, 1_008), "t_start": 1_000.4, "t_end": 1_008.4},
        _facts(2.0),
        lambda t0: [],
        0,
        0,
    )
    # seconds 1000, 1001, 1002 start before 1002.4: left out; 1003.. counted, up to the load end
    assert warm.warmup_s == 2.6 and [iv.warmup for iv in warm.series][:4] == [True, True, True, False]
    assert warm.duration_s == 5.4 and warm.total.requests == 6 * 50


def test_warmup_reaching_the_end_of_the_load_counts_everything() -> None:
    from scalectl.load.results import build_run

    # 5 s of load from 1000.7; drain requests complete after t_end (second 1006)
    raw = {"batch": _constant_recording(1_000, 1_006), "t_start": 1_000.7, "t_end": 1_005.7}
    run = build_run(raw, _facts(4.5), lambda t0: [], 0, 0)
    assert run.warmup_s == 0 and run.total.requests == 7 * 50 and run.total.rps < 100
    assert any("warm-up" in w for w in run.warnings)


def _account(worker: str, pid: int, recorded: int, received: int, final: bool, est: int | None) -> dict:
    return {
        "worker": worker,
        "pid": pid,
        "recorded": recorded,
        "received": received,
        "final": final,
        "unaccounted": recorded - received,
        "estimated_after_last_report": est,
    }


def test_closed_worker_accounts_leave_the_run_complete() -> None:
    from scalectl.load.results import build_run

    raw = {
        "batch": _slow_start_recording(),
        "t_start": 1_000.0,
        "t_end": 1_006.0,
        "worker_accounts": [_account("a", 11, 300, 300, True, None), _account("b", 12, 300, 300, True, None)],
    }
    run = build_run(raw, _facts(0.0), lambda t0: [], 0, 0)
    assert run.complete and run.generator.unaccounted_requests == 0
    assert not run.generator.unaccounted_estimated
    assert [a.worker for a in run.generator.accounts] == ["a", "b"]


def test_requests_that_never_reached_the_master_make_the_run_incomplete_and_are_counted() -> None:
    from scalectl.load.results import build_run

    raw = {
        "batch": _slow_start_recording(),
        "t_start": 1_000.0,
        "t_end": 1_006.0,
        "worker_accounts": [_account("a", 11, 350, 300, True, None)],
    }
    run = build_run(raw, _facts(0.0), lambda t0: [], 0, 0)
    assert not run.complete and run.generator.unaccounted_requests == 50
    assert any("50 request(s)" in w for w in run.warnings)


def test_a_lost_worker_is_named_once_with_its_estimate() -> None:
    from scalectl.load.results import RunFacts, build_run

    raw = {
        "batch": _slow_start_recording(),
        "t_start": 1_000.0,
        "t_end": 1_006.0,
        "lost_workers": ["b"],
        "worker_accounts": [_account("a", 11, 300, 300, True, None), _account("b", 12, 200, 200, False, 90)],
    }
    facts = RunFacts(
        run_id="r",
        scenario_name="s",
        scenario={},
        host="http://127.0.0.1:1",
        load_model="closed",
        slo=[],
        thresholds=[],
        lost_workers=["generator-worker-1 (pid 12, exit -9)", "generator-worker-2 (pid 13, exit 1)"],
    )
    run = build_run(raw, facts, lambda t0: [], 0, 0)
    assert run.generator.lost_workers == ["b (pid 12)", "generator-worker-2 (pid 13, exit 1)"]
    assert not run.complete
    assert run.generator.unaccounted_requests == 90 and run.generator.unaccounted_estimated
    assert any("about 90" in w for w in run.warnings)
