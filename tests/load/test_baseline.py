"""``scalectl baseline``: stepped runs, knee, refusal to overwrite, --update; knee logic on synthetic runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app
from scalectl.errors import InputError
from scalectl.load.baseline import find_knees, slo_holds
from scalectl.models.baseline import BaselineStep
from scalectl.slo import parse_threshold
from scalectl.storage import load_baseline
from tests.factories import lognormal_latency, make_run

STEPPED = """\
name: toy-steps
slo: ["p95<200ms"]
requests:
  - path: /api/content/{id}
    params: {id: {range: [1, 100]}}
think_time: 10ms
load:
  stages: [{users: 1, duration: 1s}]
steps:
  users: [1, 4]
  duration: 1s
"""


def _step(i: int, rps: float, median: float) -> BaselineStep:
    run = make_run(endpoints={"GET /a": lognormal_latency(median, 0.1)}, rps=rps, seconds=5, seed=i)
    lat = run.total.latency_ms
    slo = [parse_threshold("p95<100ms")]
    return BaselineStep(
        index=i,
        users=2**i,
        rps=run.total.rps,
        p50_ms=lat.p50,
        p95_ms=lat.p95,
        p99_ms=lat.p99,
        error_rate=run.total.failure_rate,
        slo_ok=slo_holds(run, slo, 0.05),
        run=run,
    )


def test_knee_is_the_highest_throughput_within_the_slo() -> None:
    steps = [_step(0, 50, 10), _step(1, 100, 20), _step(2, 150, 60), _step(3, 140, 300)]
    assert [s.slo_ok for s in steps] == [True, True, True, False]
    knee, per = find_knees(steps, [parse_threshold("p95<100ms")], 0.05)
    assert knee is not None and knee.step == 2 and not knee.beyond_last_step
    assert knee.rps == steps[2].rps and knee.users == 4
    assert per["GET /a"].step == 2


def test_knee_beyond_last_step_and_none() -> None:
    ok = [_step(0, 50, 10), _step(1, 100, 20)]
    knee, _ = find_knees(ok, [parse_threshold("p95<100ms")], 0.05)
    assert knee is not None and knee.beyond_last_step
    bad = [_step(0, 50, 300)]
    knee, per = find_knees(bad, [parse_threshold("p95<100ms")], 0.05)
    assert knee is None and per == {}


def test_baseline_cli_writes_refuses_and_updates(toy_target: str, tmp_path: Path) -> None:
    sc = tmp_path / "steps.yaml"
    sc.write_text(STEPPED)
    args = [
        "baseline",
        "--scenario",
        str(sc),
        "--host",
        toy_target,
        "--name",
        "toy",
        "--out",
        str(tmp_path / "b"),
        "--root",
        str(tmp_path / "reports"),
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    path = tmp_path / "b" / "toy.json"
    b = load_baseline(path)
    assert [s.users for s in b.steps] == [1, 4]
    assert b.knee is not None and b.knee.step in (0, 1)
    assert all(Path(s.run_dir).joinpath("run.json").exists() for s in b.steps), "step runs are kept"
    assert all(Path(s.run_dir).joinpath("analysis.json").exists() for s in b.steps), "steps are analyzed"
    assert all(Path(s.run_dir).joinpath("report.html").exists() for s in b.steps), "each step is reported"
    page = (tmp_path / "b" / "toy.html").read_text(encoding="utf-8")
    assert "hockey stick" in page and page.count('class="step"') == len(b.steps), "steps link to runs"
    assert "baseline report:" in res.output and "toy.html" in res.output
    assert f"{b.knee.step}*" in res.output and "toy.json" in res.output
    first = [ln for ln in res.output.splitlines() if not ln.startswith(("toy step", "step ", "no --host"))][
        :3
    ]
    at_least = "at least " if b.knee.beyond_last_step else ""
    assert first[0].startswith(f"capacity: {at_least}{b.knee.rps:,.1f} req/s at p95 "), res.output
    assert first[1].startswith("limit: ") and first[2].startswith(f"next: scalectl recommend --from {path}")
    # refused without --update
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 2 and "--update" in res2.output
    assert json.loads(path.read_text())["steps"][0]["users"] == 1  # untouched
    sc.write_text(STEPPED.replace("users: [1, 4]", "users: [2]"))
    res3 = CliRunner().invoke(app, [*args, "--update"])
    assert res3.exit_code == 0, res3.output
    replaced = load_baseline(path)
    assert [s.users for s in replaced.steps] == [2] and replaced.created_at > b.created_at


def test_replica_list_needs_the_bundled_target(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["baseline", "--host", "http://127.0.0.1:9", "--replicas", "1,2"])
    assert res.exit_code == 2 and "--replicas" in res.output
    res = CliRunner().invoke(app, ["baseline", "--replicas", "0"])
    assert res.exit_code == 2


def _fake_steps(monkeypatch, rps_by_step: list[float], median_ms: float = 10.0) -> None:
    import scalectl.pipeline.baseline as baseline_mod
    import scalectl.pipeline.targets as targets_mod

    calls = iter(range(100))

    def fake_run_load(opts, **kw):
        i = next(calls)
        run = make_run(
            endpoints={"GET /a": lognormal_latency(median_ms, 0.1)}, rps=rps_by_step[i], seconds=5, seed=i
        )
        return run, Path(f"/nonexistent/step-{i}")

    monkeypatch.setattr(baseline_mod, "run_load", fake_run_load)
    monkeypatch.setattr(targets_mod, "preflight", lambda host, allow_remote: None)


def _run_baseline(scenario, name: str, out: Path):
    from scalectl.pipeline import BaselineOptions, TargetOptions, run_baseline

    opts = BaselineOptions(
        scenario=scenario, name=name, out=out, target=TargetOptions(host="http://127.0.0.1:1")
    )
    done = run_baseline(opts)
    return done.baseline, done.path


def _steps_scenario(tmp_path: Path, n: int) -> Path:
    sc = tmp_path / "s.yaml"
    users = ", ".join(str(2**i) for i in range(n))
    sc.write_text(STEPPED.replace("users: [1, 4]", f"users: [{users}]"))
    return sc


def test_one_slow_step_is_noise_two_are_past_the_knee(tmp_path: Path, monkeypatch) -> None:
    _fake_steps(monkeypatch, [100, 80, 150, 200, 160, 150, 300])
    b, _ = _run_baseline(_steps_scenario(tmp_path, 7), name="x", out=tmp_path)
    assert [s.index for s in b.steps] == [0, 1, 2, 3, 4, 5]  # the dip at step 1 did not stop it
    assert "below 95%" in b.stop_reason and b.knee is not None and b.knee.step == 3


def test_slo_break_stops_at_once(tmp_path: Path, monkeypatch) -> None:
    _fake_steps(monkeypatch, [100, 200, 300], median_ms=500)
    b, _ = _run_baseline(_steps_scenario(tmp_path, 3), name="y", out=tmp_path)
    assert len(b.steps) == 1 and "SLO broken" in b.stop_reason and b.knee is None
    assert any("no step met the SLO" in w for w in b.warnings)


SINGLE = """\
name: toy-single
slo: ["p95<200ms"]
requests:
  - path: /api/content/{id}
    params: {id: {range: [1, 100]}}
think_time: 10ms
load:
  stages: [{users: 3, duration: 2s}]
"""


def test_single_stage_scenario_is_one_step_as_written(tmp_path: Path, monkeypatch) -> None:
    from scalectl.load.baseline import step_scenarios
    from scalectl.scenario import load_scenario

    sc_file = tmp_path / "single.yaml"
    sc_file.write_text(SINGLE)
    sc = load_scenario(sc_file)
    [(step_sc, users, offered)] = step_scenarios(sc)
    assert step_sc == sc and users == 3 and offered is None
    _fake_steps(monkeypatch, [100])
    b, path = _run_baseline(sc_file, name="single", out=tmp_path)
    assert len(b.steps) == 1 and b.steps[0].users == 3 and b.stop_reason.startswith("single-stage")
    assert b.knee is not None and b.knee.step == 0 and b.warnings == []
    assert load_baseline(path).steps[0].run.total.requests == b.steps[0].run.total.requests


def test_multi_stage_scenario_without_steps_is_refused(tmp_path: Path) -> None:
    from scalectl.load.baseline import step_scenarios
    from scalectl.scenario import load_scenario

    sc_file = tmp_path / "multi.yaml"
    sc_file.write_text(
        SINGLE.replace("[{users: 3, duration: 2s}]", "[{users: 1, duration: 1s}, {users: 2, duration: 1s}]")
    )
    with pytest.raises(InputError, match="2 stages"):
        step_scenarios(load_scenario(sc_file))


def test_steps_carry_the_warmup() -> None:
    from scalectl.load.baseline import step_scenarios, with_warmup
    from scalectl.scenario import Scenario

    stepped = Scenario.model_validate(
        {"name": "s", "requests": [{"path": "/x"}], "steps": {"rps": [5, 10], "duration": 6}}
    )
    assert [sc.load.warmup for sc, _, _ in step_scenarios(stepped)] == [0, 0]
    warm = with_warmup(stepped, 2)
    assert [sc.load.warmup for sc, _, _ in step_scenarios(warm)] == [2, 2]
    with pytest.raises(InputError, match="shorter than a step"):
        with_warmup(stepped, 6)
    single = Scenario.model_validate(
        {"name": "one", "requests": [{"path": "/x"}], "load": {"stages": [{"users": 2, "duration": 8}]}}
    )
    assert [sc.load.warmup for sc, _, _ in step_scenarios(with_warmup(single, 3))] == [3]
    with pytest.raises(InputError, match="shorter than the run"):
        with_warmup(single, 8)


def test_baseline_without_host_says_it_starts_its_own_target(tmp_path: Path, monkeypatch) -> None:
    """Issue 13: 'baseline --name main' next to a running 'target up' target says which it measures."""
    import subprocess
    import sys

    import scalectl.pipeline
    from scalectl import target
    from scalectl.target import ReplicaInfo, TargetInfo

    def no_load(*a, **kw):  # the note comes first; then nothing is measured here
        raise InputError("stopped by the test before any load")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scalectl.pipeline, "sweep", no_load)
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "target_app.serve"])
    try:
        info = TargetInfo(
            url="http://127.0.0.1:41234",
            replicas=(
                ReplicaInfo(0, proc.pid, "http://127.0.0.1:41235", "http://127.0.0.1:41235/metrics", None),
            ),
            lb="single",
            lb_pid=None,
            env={},
        )
        target.save_state(info, target.state_path())
        res = CliRunner().invoke(app, ["baseline", "--name", "main"])
    finally:
        proc.kill()
        proc.wait()
    assert res.exit_code == 2, res.output
    assert "no --host: measuring a bundled target of 1 replica(s) started for this baseline" in res.output
    assert (
        "the target running at http://127.0.0.1:41234 is left alone (--host http://127.0.0.1:41234"
        in res.output
    )


def _saturating_steps(monkeypatch, saturated_at: set[int]) -> list[dict]:
    """Fake steps that record the workers each was run with; the generator saturates at the given steps."""
    import scalectl.pipeline.baseline as baseline_mod
    import scalectl.pipeline.targets as targets_mod

    calls: list[dict] = []

    def fake_run_load(opts, **kw):
        i = len(calls)
        calls.append({"workers": opts.workers, "generator_cpus": opts.generator_cpus})
        run = make_run(
            endpoints={"GET /a": lognormal_latency(10.0, 0.1)}, rps=100.0 * (i + 1), seconds=5, seed=i
        )
        run.generator.saturated = i in saturated_at
        return run, Path(f"/nonexistent/step-{i}")

    monkeypatch.setattr(baseline_mod, "run_load", fake_run_load)
    monkeypatch.setattr(targets_mod, "preflight", lambda host, allow_remote: None)
    return calls


def _baseline_with_workers(scenario, name: str, out: Path, workers):
    from scalectl.pipeline import BaselineOptions, TargetOptions, run_baseline

    opts = BaselineOptions(
        scenario=scenario,
        name=name,
        out=out,
        target=TargetOptions(host="http://127.0.0.1:1"),
        workers=workers,
    )
    return run_baseline(opts).baseline


def test_a_saturated_generator_gets_more_workers_on_the_next_step_with_auto(
    tmp_path: Path, monkeypatch
) -> None:
    from scalectl.load import workers as workers_mod

    monkeypatch.setattr(workers_mod, "usable_cpus", lambda: {0, 1, 2, 3})
    calls = _saturating_steps(monkeypatch, {1})
    b = _baseline_with_workers(_steps_scenario(tmp_path, 4), "a", tmp_path, "auto")
    # 4 free cores: 4 workers from the start; saturated at step 1 with 4: one more is not possible...
    assert [c["workers"] for c in calls] == [4, 4]
    assert "saturated at step 1 with 4 worker(s)" in b.stop_reason and "no free core" in b.stop_reason
    assert b.knee is not None and b.knee.step == 0, "the saturated step is not the knee"


def test_auto_adds_workers_when_cores_are_free(tmp_path: Path, monkeypatch) -> None:
    from scalectl.load import workers as workers_mod

    # the target pinned to cores 0-1 (a state file of 'scalectl target up --cpus-per-replica'), 3 free
    monkeypatch.setattr(workers_mod, "usable_cpus", lambda: {0, 1, 2, 3, 4})
    monkeypatch.setattr(workers_mod, "target_cpus", lambda *a, **k: {0, 1})
    monkeypatch.setattr(
        workers_mod, "choose", lambda req, pinned: workers_mod.WorkerChoice(2, (2, 3, 4), "x")
    )
    calls = _saturating_steps(monkeypatch, {0})
    b = _baseline_with_workers(_steps_scenario(tmp_path, 3), "b", tmp_path, "auto")
    assert [c["workers"] for c in calls] == [2, 3, 3], "step 1 and after run with one more worker"
    assert all(c["generator_cpus"] == (2, 3, 4) for c in calls)
    assert any("next steps run with 3 workers" in w for w in b.warnings)
    assert b.stop_reason == "last step reached" and b.knee is not None and b.knee.step == 2


def test_without_auto_a_saturated_generator_stops_the_baseline_with_a_clear_message(
    tmp_path: Path, monkeypatch
) -> None:
    calls = _saturating_steps(monkeypatch, {1})
    b = _baseline_with_workers(_steps_scenario(tmp_path, 4), "c", tmp_path, 2)
    assert [c["workers"] for c in calls] == [2, 2]
    assert b.stop_reason.startswith("the load generator saturated at step 1 with 2 worker(s)")
    assert "--workers auto" in b.stop_reason and "--emit" in b.stop_reason
    assert b.knee is not None and b.knee.step == 0


def test_cpus_per_replica_needs_the_bundled_target(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["baseline", "--host", "http://127.0.0.1:9", "--cpus-per-replica", "2", "--root", str(tmp_path)]
    )
    assert res.exit_code == 2 and "--cpus-per-replica" in res.output


def _fake_by_users(monkeypatch, breaks_above: int) -> list[int]:
    """Steps whose latency breaks the SLO (p95<200ms) above ``breaks_above`` users; returns the users run."""
    import scalectl.pipeline.baseline as baseline_mod
    import scalectl.pipeline.targets as targets_mod

    seen: list[int] = []

    def fake_run_load(opts, **kw):
        users = opts.scenario.load.stages[0].users
        seen.append(users)
        median = 50.0 if users <= breaks_above else 400.0
        run = make_run(endpoints={"GET /a": lognormal_latency(median, 0.1)}, rps=10.0 * users, seconds=5)
        return run, Path(f"/nonexistent/step-{len(seen)}")

    monkeypatch.setattr(baseline_mod, "run_load", fake_run_load)
    monkeypatch.setattr(targets_mod, "preflight", lambda host, allow_remote: None)
    return seen


def test_refine_bisects_between_the_last_good_and_the_first_broken_step(tmp_path: Path, monkeypatch) -> None:
    from scalectl.pipeline import BaselineOptions, TargetOptions, run_baseline

    seen = _fake_by_users(monkeypatch, breaks_above=13)
    opts = BaselineOptions(
        scenario=_steps_scenario(tmp_path, 5),  # 1, 2, 4, 8, 16 users
        name="fine",
        out=tmp_path,
        refine=3,
        target=TargetOptions(host="http://127.0.0.1:1"),
    )
    b = run_baseline(opts).baseline
    assert seen == [1, 2, 4, 8, 16, 12, 14, 13]  # 16 broke; 12 held, 14 broke, 13 held
    assert [s.users for s in b.steps] == [1, 2, 4, 8, 12, 13, 14, 16]  # by level; index = run order
    assert [s.index for s in b.steps] == [0, 1, 2, 3, 5, 7, 6, 4]
    assert b.knee is not None and b.knee.users == 13 and not b.knee.beyond_last_step
    assert "refined with 3 more step(s) (the SLO holds at 13 and breaks at 14 users)" in b.stop_reason


def test_refine_stops_when_the_gap_is_one_user_and_is_off_by_default(tmp_path: Path, monkeypatch) -> None:
    from scalectl.pipeline import BaselineOptions, TargetOptions, run_baseline

    seen = _fake_by_users(monkeypatch, breaks_above=2)
    base = BaselineOptions(
        scenario=_steps_scenario(tmp_path, 3),
        name="a",
        out=tmp_path,
        target=TargetOptions(host="http://127.0.0.1:1"),
    )
    b = run_baseline(base).baseline
    assert seen == [1, 2, 4] and "refined" not in b.stop_reason and b.knee.users == 2
    seen.clear()
    b = run_baseline(base.replace(name="b", refine=5)).baseline
    assert seen == [1, 2, 4, 3] and b.knee.users == 2  # 3 broke; 2..3 is as fine as users get
    assert "refined with 1 more step(s) (the SLO holds at 2 and breaks at 3 users)" in b.stop_reason


def test_midpoint_of_open_and_closed_levels() -> None:
    from scalectl.load.baseline import midpoint

    assert midpoint(4, 16, closed=True) == 10 and midpoint(4, 5, closed=True) is None
    assert midpoint(100.0, 200.0, closed=False) == 150.0 and midpoint(100.0, 101.0, closed=False) is None


def test_an_existing_baseline_is_refused_before_the_note_and_any_load(tmp_path: Path, monkeypatch) -> None:
    """Issue 13: the refusal came after "no --host: measuring a bundled target ..."; and in a sweep,
    after the first counts had run."""
    import scalectl.pipeline.baseline as baseline_mod

    def no_load(*a, **kw):
        raise AssertionError("no load may run")

    monkeypatch.setattr(baseline_mod, "run_load", no_load)
    monkeypatch.setattr(baseline_mod, "start_target", no_load)
    out = tmp_path / "b"
    out.mkdir()
    (out / "x-r2.json").write_text("{}")
    sc = _steps_scenario(tmp_path, 2)
    res = CliRunner().invoke(
        app, ["baseline", "-s", str(sc), "--name", "x", "--replicas", "1,2", "--out", str(out)]
    )
    assert res.exit_code == 2 and "x-r2.json exists" in res.output, res.output
    assert "measuring a bundled target" not in res.output
    assert not (out / "x-r1.json").exists()
