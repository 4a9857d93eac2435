"""``scalectl recommend --verify`` on the bundled target: predicted versus measured, exit 1 on a miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from tests.capacity.synth import make_baseline

pytestmark = pytest.mark.integration
SCENARIO = Path(__file__).parent / "scenarios" / "content_read.yaml"
runner = CliRunner()


@pytest.fixture
def evidence_file(tmp_path: Path) -> Path:
    pytest.importorskip("scalectl.target", reason="the bundled target is not merged")
    pytest.importorskip("scalectl.load", reason="the load engine is not merged")
    from scalectl.scenario import load_scenario

    scenario = load_scenario(SCENARIO).model_dump(mode="json")
    base = make_baseline(40.0, name="verify")
    steps = [
        s.model_copy(update={"run": s.run.model_copy(update={"scenario": scenario})}) for s in base.steps
    ]
    return storage.write_model(tmp_path / "verify.json", base.model_copy(update={"steps": steps}))


def _verify(evidence_file: Path, out: Path, slo: str):
    return runner.invoke(
        app,
        [
            "recommend",
            "--from",
            str(evidence_file),
            "--target-rps",
            "20",
            "--slo",
            slo,
            "--out",
            str(out),
            "--verify",
            "--verify-duration",
            "5s",
        ],
    )


def test_verify_measures_the_recommendation(evidence_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    r = _verify(evidence_file, out, "p95<3000ms")
    v = json.loads((out / "recommendation.json").read_text())["verification"]
    # the exit code follows the measured SLO (a busy shared machine may slow the target)
    assert r.exit_code == (0 if v["slo_ok"] else 1), r.output
    assert v["replicas"] >= 2 and v["offered_rps"] == 20
    assert v["predicted_rps"] == 20 and v["predicted_capacity_rps"] > 20
    on_host = v["predicted_capacity_on_this_host_rps"]
    assert on_host is None or on_host <= v["predicted_capacity_rps"]
    assert v["measured_rps"] == pytest.approx(20, rel=0.3)
    assert v["measured_p95_ms"] > 0 and v["generator_saturated"] is False
    assert "Verification" in r.output


@pytest.mark.slow
def test_verify_exits_1_when_the_slo_is_missed(evidence_file: Path, tmp_path: Path) -> None:
    r = _verify(evidence_file, tmp_path / "rec", "p95<0.01ms")
    assert r.exit_code == 1, r.output
