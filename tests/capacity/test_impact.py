"""The gate's capacity check: CPU per request → capacity per replica → replicas and money."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.capacity.cost import parse_prices
from scalectl.capacity.impact import assess, capacity_change
from scalectl.capacity.planner import PlanInputs
from scalectl.capacity.recommend import recommend
from scalectl.capacity.signals import cpu_s_per_request
from scalectl.capacity.sizing import size_replicas
from scalectl.cli.main import app
from scalectl.gate.compare import StatSettings
from tests.capacity.conftest import evidence_of
from tests.capacity.synth import make_step_run

runner = CliRunner()


@pytest.mark.parametrize(("cpu", "expected"), [(1.18, 1 / 1.18 - 1), (1.25, -0.2), (1.0, 0.0), (0.8, 0.25)])
def test_utilization_law(cpu: float, expected: float) -> None:
    assert capacity_change(cpu, 1.0) == pytest.approx(expected)


def _pair(factor: float):
    base = make_step_run(30.0, 40.0, cpu_ms_per_req=2.0, run_id="base", seconds=8)
    run = make_step_run(30.0, 40.0, cpu_ms_per_req=2.0 * factor, run_id="cand", seconds=8)
    return run, base


def test_cpu_per_request_up_25_percent_is_capacity_down_20() -> None:
    run, base = _pair(1.25)
    impact, check, note = assess(run, base)
    assert note is None and impact is not None
    assert impact.cpu_change == pytest.approx(0.25, abs=1e-9)
    assert impact.capacity_change == pytest.approx(-0.2, abs=1e-9)
    # the point estimate, then its interval (constant CPU per second: the run-to-run floor alone)
    assert impact.text.startswith("CPU per request +25% [") and "→ capacity per replica -20% [" in impact.text
    assert impact.capacity_change_low < -0.2 < impact.capacity_change_high
    assert check.status == "pass" and "reported only" in check.message


QUIET = StatSettings(capacity_noise=0.02)  # a quiet machine's run-to-run noise (docs/benchmarks.md)


@pytest.mark.parametrize(
    ("factor", "limit", "status"), [(1.25, 0.10, "fail"), (1.25, 0.25, "pass"), (1.05, 0.10, "pass")]
)
def test_max_capacity_loss(factor: float, limit: float, status: str) -> None:
    run, base = _pair(factor)
    _, check, _ = assess(run, base, max_loss=limit, settings=QUIET)
    assert check.status == status


def _noisy(cpu_ms: float, seed: int, *, sigma: float, run_id: str):
    """An 8-s run whose replica's CPU per second is noisy (lognormal, ``sigma``) around ``cpu_ms`` per
    request × the rate."""
    run = make_step_run(30.0, 40.0, cpu_ms_per_req=cpu_ms, run_id=run_id, seconds=8)
    rng = np.random.default_rng(seed)
    (proc,) = [s for s in run.telemetry if s.kind == "process"]
    cpu = [v * float(rng.lognormal(-(sigma**2) / 2, sigma)) for v in proc.metrics["cpu_percent"]]
    proc = proc.model_copy(update={"metrics": {**proc.metrics, "cpu_percent": cpu}})
    return run.model_copy(update={"telemetry": [proc]})


def test_noise_alone_does_not_fail_the_capacity_check() -> None:
    """Same build, noisy per-second CPU: the point estimate shows a loss beyond 10 % (the bare
    comparison failed here), the interval reaches below it, so the check does not fail, even with the
    bootstrap alone (no run-to-run floor)."""
    base = _noisy(2.0, 1, sigma=0.3, run_id="base")
    run = _noisy(2.0, 16, sigma=0.3, run_id="cand")
    bootstrap_only = StatSettings(capacity_noise=0.0)
    impact, check, _ = assess(run, base, max_loss=0.10, settings=bootstrap_only)
    assert -impact.capacity_change > 0.10  # what a point comparison would fail on
    assert impact.capacity_change_low < -0.10 < impact.capacity_change_high
    assert check.status == "pass" and "within the runs' noise" in check.message
    _, check, _ = assess(run, base, max_loss=0.10)  # the calibrated floor: wider still
    assert check.status == "pass"


def test_a_clear_rise_in_cpu_per_request_fails() -> None:
    base = _noisy(2.0, 1, sigma=0.1, run_id="base")
    run = _noisy(2.0 * 1.4, 2, sigma=0.1, run_id="cand")
    impact, check, _ = assess(run, base, max_loss=0.10, settings=QUIET)
    assert impact.cpu_change == pytest.approx(0.4, abs=0.1)
    assert -impact.capacity_change_high > 0.10  # the smallest loss the interval allows is beyond 10 %
    assert check.status == "fail" and "confidence" in check.message
    # the default floor (a shared machine's run-to-run spread) needs a larger rise of 8-s runs
    assert assess(run, base, max_loss=0.10)[1].status == "pass"
    big = _noisy(2.0 * 2.0, 2, sigma=0.1, run_id="cand")
    assert assess(big, base, max_loss=0.10)[1].status == "fail"


def test_the_interval_is_shown_and_the_point_is_the_utilization_law() -> None:
    base = _noisy(2.0, 1, sigma=0.2, run_id="base")
    run = _noisy(2.5, 3, sigma=0.2, run_id="cand")
    impact, check, _ = assess(run, base)
    d_run, d_base = cpu_s_per_request(run), cpu_s_per_request(base)
    assert impact.capacity_change == pytest.approx(d_base / d_run - 1, abs=1e-12)
    lo, hi = impact.capacity_change_low, impact.capacity_change_high
    assert lo < impact.capacity_change < hi
    assert check.ci_low == lo and check.ci_high == hi
    assert f"capacity per replica {impact.capacity_change:+.0%} [{lo:+.0%}, {hi:+.0%}]" in impact.text


def test_with_a_plan_replicas_and_money(sweep_baselines) -> None:
    prices = parse_prices({"vcpu_hour": 0.04, "gib_hour": 0.005})
    rec = recommend(evidence_of(sweep_baselines), 100.0, plan=PlanInputs(prices=prices))
    run, base = _pair(1.25)
    impact, check, _ = assess(run, base, plan=rec)
    slower = rec.model.model_copy(update={"lam": rec.model.lam * 0.8})
    after = size_replicas(
        slower, 100.0, utilization=rec.utilization_target, redundancy=rec.redundancy
    ).replicas
    assert impact.replicas_before == rec.replicas
    assert impact.replicas_after == after > rec.replicas
    per = rec.cost.per_replica_hourly * 730
    assert impact.monthly_cost_before == pytest.approx(rec.cost.monthly)
    assert impact.monthly_cost_after == pytest.approx(after * per)
    assert f"{rec.replicas} → {after} replicas" in check.message and "USD/month" in check.message


def test_no_process_telemetry_is_said() -> None:
    run, base = _pair(1.25)
    bare = base.model_copy(update={"telemetry": []})
    impact, check, note = assess(run, bare)
    assert impact is None and check is None and "baseline" in note


def test_gate_cli_reports_and_fails_on_capacity(sweep_baselines, tmp_path: Path) -> None:
    run, base = _pair(1.25)
    rd, bd = tmp_path / "runs" / "cand", tmp_path / "runs" / "base"
    storage.write_model(rd / "run.json", run)
    storage.write_model(bd / "run.json", base)
    prices = parse_prices({"vcpu_hour": 0.04, "gib_hour": 0.005})
    rec = recommend(evidence_of(sweep_baselines), 100.0, plan=PlanInputs(prices=prices))
    storage.write_model(tmp_path / "plan" / "recommendation.json", rec)
    args = [
        "gate",
        "--run",
        str(rd),
        "--baseline",
        str(bd),
        "--plan",
        str(tmp_path / "plan"),
        "--json",
        str(tmp_path / "v.json"),
    ]
    r = runner.invoke(app, args)
    assert "capacity per replica -20%" in r.output and "USD/month" in r.output
    v = json.loads((tmp_path / "v.json").read_text())
    assert v["capacity"]["capacity_change"] == pytest.approx(-0.2)
    r2 = runner.invoke(app, [*args, "--max-capacity-loss", "10%", "--run-noise", "0.02"])
    assert r2.exit_code == 1 and "FAIL capacity per replica" in r2.output
    r3 = runner.invoke(app, [*args, "--max-capacity-loss", "lots"])
    assert r3.exit_code == 2 and "--max-capacity-loss" in r3.output
