"""Experiments on the real bundled target, database-bound: each verdict, and analyze --experiment.

One base run (10 users, uncached reads, a pool of 1 + 0 whose statements take 15 ms), then:
raising the pool must come out improved, a cache TTL with the cache off no effect; the same real arms
read the other way round (pool back to 1) come out worse, and with a huge noise floor inconclusive.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.gate import effect
from scalectl.models.experiment import ExperimentSettings
from scalectl.pipeline import RunOptions, TargetOptions, run_load
from scalectl.pipeline.experiment import ExperimentOptions, run_experiment
from scalectl.scenario import Scenario

pytestmark = pytest.mark.integration

DB_BOUND = {"DB_POOL_SIZE": "1", "DB_MAX_OVERFLOW": "0", "DB_SLOW_QUERY_MS": "15", "CACHE_ENABLED": "0"}
READS = {
    "version": 1,
    "name": "db_bound_reads",
    "slo": ["p95<150ms", "error_rate<1%"],
    "think_time": "0ms",
    "requests": [
        {
            "path": "/api/content?author_id={author}&limit=20",
            "params": {"author": {"range": [1, 200]}},
            "expect": [200],
        },
    ],  # fmt: skip
    "load": {"model": "closed", "stages": [{"users": 10, "spawn_rate": 20, "duration": "5s"}]},
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exp")
    opts = RunOptions(scenario=Scenario.model_validate(READS), root=root, target=TargetOptions(env=DB_BOUND))
    run, run_dir = run_load(opts)
    assert run.target is not None and run.target.kind == "bundled"
    assert run.target.env == DB_BOUND
    return run_dir


@pytest.fixture(scope="module")
def pool_experiment(base: Path):
    opts = ExperimentOptions(run_dir=base, change={"DB_POOL_SIZE": "16"}, duration=12, rounds=1,
                             out=base.parent.parent / "exp-pool")  # fmt: skip
    return run_experiment(opts)


def test_raising_the_pool_is_improved(pool_experiment) -> None:
    exp, out = pool_experiment
    assert exp.verdict == "improved", exp.reason
    assert exp.throughput_change.change >= 0.5
    assert [r.arm for r in exp.runs] == ["A", "B"]
    assert exp.before == {"DB_POOL_SIZE": "1"}
    saved = storage.load_experiment(out)
    assert saved.verdict == "improved" and (out / "A1" / "run.json").is_file()
    b_run = storage.load_run(out / "B1")
    assert b_run.target.env["DB_POOL_SIZE"] == "16" and b_run.target.env["CACHE_ENABLED"] == "0"


@pytest.mark.slow  # four 20-s arms; bench/bench_experiment.py effects records the same case
def test_a_ttl_with_the_cache_off_has_no_effect(base: Path) -> None:
    opts = ExperimentOptions(run_dir=base, change={"CACHE_TTL_S": "5"}, duration=20, rounds=2,
                             out=base.parent.parent / "exp-ttl")  # fmt: skip
    exp, _ = run_experiment(opts)
    assert exp.verdict == "no effect", (exp.reason, exp.throughput_change)
    assert [r.arm for r in exp.runs] == ["A", "B", "A", "B"]


def test_the_same_real_arms_read_backwards_are_worse(pool_experiment) -> None:
    exp, out = pool_experiment
    a, b = storage.load_run(out / "A1"), storage.load_run(out / "B1")
    _, verdict, why = effect.judge([b], [a], exp.settings)
    assert verdict == "worse", why


def test_a_floor_wider_than_the_effect_is_inconclusive(pool_experiment) -> None:
    exp, out = pool_experiment
    a, b = storage.load_run(out / "A1"), storage.load_run(out / "B1")
    _, verdict, why = effect.judge([a], [b], ExperimentSettings(run_noise=3.0, run_noise_tail=3.0))
    assert verdict == "inconclusive", why


def test_analyze_experiment_confirms_the_pool_finding(base: Path) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(base), "--experiment", "--experiment-duration", "12s", "--rounds", "1"]
    )
    assert result.exit_code == 0, result.output
    analysis = storage.load_analysis(base)
    top = analysis.findings[0]
    assert top.category == "database" and "DB_POOL_SIZE" in top.change
    assert top.tested == "confirmed" and top.experiment.throughput_change.change >= 0.5
    assert analysis.path[-1].step == "monitor_results"
    assert "Monitor Results" in result.output and "[confirmed]" in result.output
    experiments = list((base.parent.parent / "experiments").glob("*/*/experiment.json"))
    assert len(experiments) == 1  # the two pool findings share one experiment
