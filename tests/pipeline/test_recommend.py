"""``recommend`` as one call (``pipeline/recommend.py``): the evidence and the analyses beside it, the
plan's files, the checks on the numbers, the files written."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl import storage
from scalectl.analysis import analyze_run
from scalectl.errors import InputError
from scalectl.pipeline.recommend import (
    PlanOptions,
    RecommendRequest,
    check_request,
    gather_evidence,
    plan_inputs,
    recommend_files,
)
from tests.capacity.synth import make_baseline

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "docs" / "examples" / "history.csv"
PRICES = ROOT / "docs" / "examples" / "prices.yaml"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_rps": 0.0}, "--target-rps must be > 0"),
        ({"utilization": 1.5}, "--utilization must be in (0, 1]"),
        ({"redundancy": -1}, "--redundancy must be ≥ 0"),
        ({"db_max_connections": 0}, "--db-max-connections must be ≥ 1"),
        ({"plan": PlanOptions(horizon=0)}, "--horizon must be between 1 and 120 months"),
        ({"plan": PlanOptions(current_replicas=0)}, "--current-replicas must be ≥ 1"),
    ],
)
def test_numbers_out_of_range_are_input_errors(changes, message) -> None:
    with pytest.raises(InputError) as exc:
        check_request(RecommendRequest(sources=(), out=Path("x"), **changes))
    assert str(exc.value) == message


def test_plan_inputs_from_a_history_give_the_rate_to_size_for() -> None:
    said: list[str] = []
    plan, target = plan_inputs(None, PlanOptions(history=HISTORY, horizon=6), said.append)
    assert target == plan.start_rps > 0
    assert plan.growth is not None and plan.horizon == 6
    assert said[-1].startswith("history: ") and f"now {target:.0f} req/s by the trend" in said[-1]
    assert plan.start is not None and plan.start.day == 1


def test_plan_inputs_without_a_rate_or_a_history_is_an_error() -> None:
    with pytest.raises(InputError, match="--target-rps is required"):
        plan_inputs(None, PlanOptions(), print)


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (PlanOptions(growth="10%/month", history=HISTORY), "--growth and --history are alternatives"),
        (PlanOptions(prices=PRICES, vcpu_hour=0.03), "--prices and --price-vcpu-hour/--price-gib-hour"),
        (PlanOptions(vcpu_hour=-1.0), "prices must be ≥ 0"),
    ],
)
def test_plan_options_that_conflict(opts, message) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        plan_inputs(100.0, opts, print)


def test_prices_from_a_file_or_from_the_options() -> None:
    plan, target = plan_inputs(100.0, PlanOptions(prices=PRICES), print)
    assert target == 100.0 and plan.prices.instance_types
    plan, _ = plan_inputs(100.0, PlanOptions(vcpu_hour=0.05, currency="EUR"), print)
    assert (plan.prices.vcpu_hour, plan.prices.gib_hour, plan.prices.currency) == (0.05, None, "EUR")
    plan, _ = plan_inputs(100.0, PlanOptions(), print)
    assert plan.prices is None and plan.growth is None


def _baseline_with_runs(tmp_path: Path):
    """A baseline whose steps' runs are written, with an analysis beside the last one."""
    base = make_baseline(100.0)
    steps = []
    for s in base.steps:
        run_dir = tmp_path / "runs" / s.run.run_id
        run_dir.mkdir(parents=True)
        storage.write_model(run_dir / storage.RUN_FILE, s.run)
        steps.append(s.model_copy(update={"run_dir": str(run_dir)}))
    base = base.model_copy(update={"steps": steps})
    last = steps[-1]
    storage.write_model(Path(last.run_dir) / storage.ANALYSIS_FILE, analyze_run(last.run))
    path = storage.write_model(tmp_path / "b.json", base)
    return path, base


def test_gather_evidence_reads_the_analyses_beside_the_runs(tmp_path: Path) -> None:
    path, base = _baseline_with_runs(tmp_path)
    items, analyses = gather_evidence([path])
    assert [(label, len(runs), b.name if b else None) for label, runs, b in items] == [
        (str(path), 3, base.name)
    ]
    assert set(analyses) == {base.steps[-1].run.run_id}


def test_recommend_files_writes_the_recommendation_report_and_manifests(tmp_path: Path) -> None:
    path, _ = _baseline_with_runs(tmp_path)
    out = tmp_path / "rec"
    rec = recommend_files(RecommendRequest(sources=(path,), out=out, target_rps=150.0, slo=("p95<300ms",)))
    assert rec.target_rps == 150.0 and rec.replicas >= 2
    assert storage.load_recommendation(out) == rec
    written = {p.name for p in out.iterdir()}
    assert {
        storage.RECOMMENDATION_FILE,
        "report.html",
        "deployment.yaml",
        "docker-compose.scale.yml",
    } <= written
