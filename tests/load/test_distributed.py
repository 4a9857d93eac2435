"""Locust's distributed mode: 2 local workers; the master's merge equals the sum of the workers'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scalectl import histograms
from scalectl.load.recorder import Recorder
from scalectl.pipeline import RunOptions, TargetOptions, run_load
from scalectl.scenario import load_scenario

SCENARIO = Path(__file__).with_name("toy_scenario.yaml")


def test_two_workers_merge_exactly(toy_target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    monkeypatch.setenv("SCALECTL_WORKER_DUMP", str(dumps))
    opts = RunOptions(
        scenario=load_scenario(SCENARIO),
        target=TargetOptions(host=toy_target),
        out=tmp_path / "run",
        workers=2,
        duration=3.0,
    )
    run, _ = run_load(opts)
    files = sorted(dumps.glob("worker-*.json"))
    assert len(files) == 2, "each worker dumps what it shipped"
    per_worker = []
    for f in files:
        rec = Recorder()
        rec.add_batch(json.loads(f.read_text()))
        per_worker.append(rec)
    assert all(sum(s.requests for s in r.slots.values()) > 0 for r in per_worker), "both workers sent load"
    assert run.total.requests == sum(s.requests for r in per_worker for s in r.slots.values())
    assert run.total.failures == sum(s.failures for r in per_worker for s in r.slots.values())
    assert run.generator.workers == 2 and run.environment.workers == 2
    assert run.generator.lost_workers == [] and run.complete
    accounts = run.generator.accounts
    assert len(accounts) == 2 and all(a.final and a.received == a.recorded for a in accounts)
    assert sorted(a.received for a in accounts) == sorted(
        sum(s.requests for s in r.slots.values()) for r in per_worker
    )
    for ep in run.endpoints:
        key = ep.key
        hists = [s.hist for r in per_worker for (sec, k), s in r.slots.items() if k == key]
        expected = histograms.merge(hists)
        got = histograms.decode(ep.histogram)
        assert got.get_total_count() == expected.get_total_count() == ep.requests
        for q in (50, 90, 99, 100):
            assert got.get_value_at_percentile(q) == expected.get_value_at_percentile(q)
    # the generator telemetry covers the master and both workers
    gens = [t for t in run.telemetry if t.role == "generator"]
    assert len(gens) == 3


def test_a_worker_that_dies_is_reported_and_the_run_is_not_complete(toy_target: str, tmp_path: Path) -> None:
    import os
    import signal

    import psutil

    killed: list[int] = []

    def progress(p) -> None:  # kill one worker once both run and load flows
        if not killed and p.workers == 2 and p.elapsed >= 1.5:
            me = psutil.Process(os.getpid())
            workers = [c for c in me.children(recursive=True) if "--worker" in " ".join(c.cmdline())]
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)

    opts = RunOptions(
        scenario=load_scenario(SCENARIO),
        target=TargetOptions(host=toy_target),
        out=tmp_path / "run",
        workers=2,
        duration=6.0,
    )
    run, _ = run_load(opts, progress=progress)
    assert killed
    assert len(run.generator.lost_workers) == 1, "the dead worker is reported, once"
    assert f"pid {killed[0]}" in run.generator.lost_workers[0]
    assert any("lost" in w for w in run.warnings)
    # its requests after its last report cannot be counted: the run says about how many, and is not
    # complete
    assert not run.complete
    dead = [a for a in run.generator.accounts if a.pid == killed[0]]
    alive = [a for a in run.generator.accounts if a.pid != killed[0]]
    assert len(dead) == 1 and not dead[0].final and dead[0].estimated_after_last_report is not None
    assert dead[0].estimated_after_last_report > 0
    assert len(alive) == 1 and alive[0].final and alive[0].received == alive[0].recorded
    assert run.generator.unaccounted_estimated
    assert run.generator.unaccounted_requests == dead[0].estimated_after_last_report
    assert any("no final report" in w for w in run.warnings)
    late = [s for s in run.series if s.t >= 5]
    assert late and sum(s.requests for s in late) > 0, "the remaining worker kept sending load"


def test_scalectl_worker_joins_a_remote_master(toy_target: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import threading

    from scalectl.load.engine import free_port
    from tests.load.conftest import ROOT

    port = free_port()
    box: dict = {}

    def master() -> None:
        opts = RunOptions(
            scenario=load_scenario(SCENARIO),
            target=TargetOptions(host=toy_target),
            out=tmp_path / "run",
            remote_workers=1,
            master_port=port,
            duration=2.0,
        )
        box["run"], _ = run_load(opts)

    t = threading.Thread(target=master)
    t.start()
    worker = subprocess.run(
        [sys.executable, "-m", "scalectl", "worker", "--master", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=90,
        check=False,
    )
    t.join(timeout=90)
    assert worker.returncode == 0, worker.stdout[-2000:]
    run = box["run"]
    assert run.total.requests > 0 and run.complete and run.generator.lost_workers == []


def test_workers_auto_leaves_the_targets_pinned_core_alone(toy_target: str, tmp_path: Path) -> None:
    """A target pinned to core 0 on a machine with cores {0, 1}: one free core, so one generator
    process, pinned to core 1 (checked on the live process)."""
    import os

    import psutil

    from scalectl.models.run import TargetSpec
    from scalectl.pipeline import RunningTarget

    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < 2:
        pytest.skip("needs two usable cores")
    pinned, free = usable[0], usable[1:]
    target = RunningTarget(
        url=toy_target, spec=TargetSpec(kind="external", url=toy_target), pinned_cpus={pinned}
    )
    seen: list[set[int]] = []

    def progress(p) -> None:
        if not seen:
            me = psutil.Process(os.getpid())
            gens = [c for c in me.children(recursive=True) if "locust" in " ".join(c.cmdline())]
            seen.extend(set(c.cpu_affinity()) for c in gens)

    opts = RunOptions(scenario=load_scenario(SCENARIO), out=tmp_path / "run", workers="auto", duration=2.0)
    run, _ = run_load(opts, progress=progress, running=target)
    expected_workers = len(free) if len(free) >= 2 else 0
    assert run.generator.workers == expected_workers and run.total.requests > 0
    assert any("--workers auto" in n for n in run.generator.notes)
    assert seen and all(aff == set(free) for aff in seen), seen
