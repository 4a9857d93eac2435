"""Distributed mode loses no request under a saturated generator: scalectl's count equals the server's.

The server is nginx ``return 200`` with an access log (the truth); ``run_scenario``'s preflight
request accounts for exactly one. 2 workers with 1,500 users on this 2-core machine are far more
than the generator can drive, so each worker's event loop is saturated when the run stops: the stop
path (workers stopping their users, the last batches reaching the master) is exercised under load.
Before the fix, Locust's quit waited 0.5 s for the workers' last reports, and a saturated worker's
last second of requests went missing (issue 15).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.pipeline import RunOptions, TargetOptions, run_load
from scalectl.scenario import Scenario
from tests.load.counting_nginx import counting_nginx, find_nginx

pytestmark = pytest.mark.skipif(
    find_nginx() is None, reason="nginx is not installed (.ci/run installs Debian's nginx-light)"
)

PREFLIGHT = 1


def _scenario(users: int, seconds: float) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "counted",
            "requests": [{"path": "/", "expect": [200]}],
            "load": {"stages": [{"users": users, "spawn_rate": users, "duration": seconds}]},
        }
    )


def _counted_run(tmp_path: Path, users: int, seconds: float) -> None:
    with counting_nginx() as ngx:
        opts = RunOptions(
            scenario=_scenario(users, seconds),
            target=TargetOptions(host=ngx.url),
            out=tmp_path / "run",
            workers=2,
        )
        run, _ = run_load(opts)
        served = ngx.served()
    assert run.total.requests > 0 and run.generator.workers == 2
    assert served - PREFLIGHT == run.total.requests, (served, run.total.requests, run.warnings)
    assert run.complete and run.generator.lost_workers == [] and run.generator.unaccounted_requests == 0
    accounts = run.generator.accounts
    assert len(accounts) == 2 and all(a.final and a.received == a.recorded > 0 for a in accounts)
    assert sum(a.received for a in accounts) == run.total.requests


def test_saturated_two_worker_run_counts_every_request(tmp_path: Path) -> None:
    _counted_run(tmp_path, users=1500, seconds=5.0)


@pytest.mark.slow
def test_saturated_two_worker_run_at_2000_users_for_20s_counts_every_request(tmp_path: Path) -> None:
    _counted_run(tmp_path, users=2000, seconds=20.0)


def test_a_distributed_run_stopped_early_still_counts_every_request(tmp_path: Path) -> None:
    """Ctrl-C / SIGTERM (here the engine's ``should_stop``, the same SIGTERM to the master): the
    master quits once, after the workers' final batches (before, the run wrote no results at all)."""
    seen: dict[str, float] = {}

    def progress(p) -> None:
        if p.requests > 0:
            seen.setdefault("load", p.elapsed)
            seen["last"] = p.elapsed

    def should_stop() -> str | None:
        if "load" in seen and seen["last"] - seen["load"] >= 2.0:
            return "stopped by the test"
        return None

    with counting_nginx() as ngx:
        opts = RunOptions(
            scenario=_scenario(1000, 120.0),
            target=TargetOptions(host=ngx.url),
            out=tmp_path / "run",
            workers=2,
        )
        run, _ = run_load(opts, progress=progress, should_stop=should_stop)
        served = ngx.served()
    assert run.stop_reason == "stopped by the test" and not run.complete
    assert run.duration_s < 60, "stopped early, not at the end of the 120-s stage"
    assert served - PREFLIGHT == run.total.requests > 0, (served, run.total.requests, run.warnings)
    assert run.generator.lost_workers == [] and run.generator.unaccounted_requests == 0
    assert all(a.final for a in run.generator.accounts) and len(run.generator.accounts) == 2
