"""What an experiment starts: arm configurations from a recorded target spec, changes, re-ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.errors import InputError
from scalectl.models import Finding
from scalectl.models.experiment import Effect, Experiment
from scalectl.models.run import TargetSpec
from scalectl.pipeline import experiment as ex
from tests.factories import make_run

runner = CliRunner()
BUNDLED = TargetSpec(kind="bundled", replicas=2, env={"DB_POOL_SIZE": "5"})
COMMAND = TargetSpec(kind="command", command="gunicorn -w {replicas} -b 127.0.0.1:{port} app:app",
                     replicas=2, knobs={"threads": "GUNICORN_THREADS", "workers": "{replicas}"})  # fmt: skip


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["DB_POOL_SIZE=20"], {"DB_POOL_SIZE": "20"}),
        (["replicas=3", "CACHE_TTL_S = 5"], {"replicas": "3", "CACHE_TTL_S": "5"}),
    ],
)
def test_parse_changes(items: list[str], expected: dict[str, str]) -> None:
    assert ex.parse_changes(items) == expected


@pytest.mark.parametrize("items", [[], ["DB_POOL_SIZE"], ["=3"], ["A B=1"], ["X="]])
def test_parse_changes_rejects_malformed(items: list[str]) -> None:
    with pytest.raises(InputError):
        ex.parse_changes(items)


def test_bundled_env_change_keeps_the_rest() -> None:
    a, b, before = ex.arm_configs(BUNDLED, {"DB_POOL_SIZE": "20", "CACHE_TTL_S": "5"})
    assert a.env == {"DB_POOL_SIZE": "5"} and a.replicas == 2
    assert b.env == {"DB_POOL_SIZE": "20", "CACHE_TTL_S": "5"} and b.replicas == 2
    assert before == {"DB_POOL_SIZE": "5", "CACHE_TTL_S": None}


def test_replicas_is_a_knob_of_every_target() -> None:
    _, b, before = ex.arm_configs(BUNDLED, {"replicas": "4"})
    assert b.replicas == 4 and before == {"replicas": "2"}


def test_declared_knobs_of_a_command_target() -> None:
    _, b, before = ex.arm_configs(COMMAND, {"threads": "8", "workers": "3"})
    assert b.env == {"GUNICORN_THREADS": "8"}
    assert b.replicas == 3
    assert before == {"threads": None, "workers": "2"}


def test_an_undeclared_lower_case_knob_of_a_command_target_is_refused() -> None:
    with pytest.raises(InputError, match="not a declared knob"):
        ex.arm_configs(COMMAND, {"pool": "3"})


@pytest.mark.parametrize(
    "change", [{"replicas": "0"}, {"replicas": "1.5"}, {"replicas": "x"}, {"cpus": "-1"}]
)
def test_bad_placeholder_values(change: dict[str, str]) -> None:
    with pytest.raises(InputError):
        ex.arm_configs(BUNDLED, change)


def test_an_external_target_cannot_be_changed() -> None:
    with pytest.raises(InputError, match="scalectl did not start this target, so it cannot change it"):
        ex.arm_configs(TargetSpec(kind="external"), {"replicas": "2"})


def _run_dir(tmp_path: Path, target: TargetSpec | None) -> Path:
    run = make_run(seconds=6)
    run.target = target
    d = tmp_path / "runs" / run.run_id
    storage.write_model(d / storage.RUN_FILE, run)
    return d


def test_cli_refuses_an_external_target_with_exit_2(tmp_path: Path) -> None:
    d = _run_dir(tmp_path, TargetSpec(kind="external"))
    result = runner.invoke(app, ["experiment", str(d), "--try", "DB_POOL_SIZE=20"])
    assert result.exit_code == 2, result.output
    assert "scalectl did not start this target, so it cannot change it" in result.output
    assert not (tmp_path / "experiments").exists()


def test_cli_analyze_experiment_refuses_an_external_target(tmp_path: Path) -> None:
    d = _run_dir(tmp_path, TargetSpec(kind="external"))
    result = runner.invoke(app, ["analyze", str(d), "--experiment"])
    assert result.exit_code == 2, result.output
    assert "cannot change it" in result.output


@pytest.mark.parametrize(
    ("args", "text"),
    [(["--try", "nonsense"], "expected KEY=VALUE"), ([], "give the change to try"),
     (["--try", "A=1", "--rounds", "0"], "--rounds"), (["--try", "A=1", "--duration", "2s"], "--duration")],
)  # fmt: skip
def test_cli_input_errors(tmp_path: Path, args: list[str], text: str) -> None:
    d = _run_dir(tmp_path, BUNDLED)
    result = runner.invoke(app, ["experiment", str(d), *args])
    assert result.exit_code == 2, result.output
    assert text in result.output


def test_old_runs_without_a_target_spec_count_as_bundled_when_scalectl_started_them() -> None:
    run = make_run(seconds=3)
    run.environment.replicas = 3
    assert ex.recorded_target(run).kind == "bundled"
    assert ex.recorded_target(run).replicas == 3
    run.environment.replicas = None
    assert ex.recorded_target(run).kind == "external"


def _finding(rule: str, tested: str | None, gain: float | None = None) -> Finding:
    f = Finding(rule=rule, category="database", severity="high", confidence=0.9, title=rule, action="x",
                change={"K": "1"})  # fmt: skip
    if tested is not None:
        tp = Effect(metric="throughput", change=gain, ci_low=gain, ci_high=gain, status="better")
        f.experiment = Experiment.model_construct(throughput_change=tp)
        f.tested = tested  # type: ignore[assignment]
    return f


def test_rerank_puts_measured_gains_first_and_rejections_last() -> None:
    findings = [
        _finding("first-rejected", "rejected", 0.0),
        _finding("untested-a", None),
        _finding("small-gain", "confirmed", 0.2),
        _finding("untested-b", None),
        _finding("big-gain", "confirmed", 0.9),
    ]
    order = [f.rule for f in ex.rerank(findings)]
    assert order == ["big-gain", "small-gain", "untested-a", "untested-b", "first-rejected"]


@pytest.mark.parametrize(
    ("change", "ok"), [({"A": "1"}, True), ({}, False), ({"RATE_LIMIT_DEFAULT": "<higher>"}, False)]
)
def test_only_concrete_changes_are_tried(change: dict[str, str], ok: bool) -> None:
    f = Finding(rule="r", category="code", severity="low", confidence=0.5, title="t", action="a")
    f.change = change
    assert ex.testable(f) is ok


def test_arm_scenario_holds_the_runs_highest_load(tmp_path: Path) -> None:
    from scalectl.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml")
    run = make_run(seconds=3)
    run.scenario = sc.model_dump(mode="json")
    arm = ex.arm_scenario(run, 12.0)
    assert arm.steps is None
    assert [s.duration for s in arm.load.stages] == [12.0]
    assert arm.load.stages[0].users == max(s.users for s in sc.load.stages)
    assert 0 < arm.load.warmup <= 3.0
