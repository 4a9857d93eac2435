"""End to end through the CLI with the bundled target: a baseline taken with the smoke scenario, the
same configuration passes, and the target slowed on one route (INJECT_LATENCY_ROUTES) fails naming
that endpoint. About a minute and a half: marked slow (``pytest -m slow tests/gate/test_gate_e2e.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app

pytest.importorskip("scalectl.load", reason="the load engine is not in this tree")

pytestmark = [pytest.mark.slow, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
TARGET = "GET /api/content/{id}"


def gate(*args) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["gate", *map(str, args)])
    return r.exit_code, r.output


def test_baseline_then_same_passes_then_injected_latency_fails(tmp_path: Path) -> None:
    code, out = gate(SMOKE, "-t", "http_reqs>10", "--root", tmp_path)
    assert code == 0, out
    (baseline,) = (tmp_path / "runs").iterdir()

    code, out = gate(SMOKE, "--baseline", baseline, "--root", tmp_path, "--json", tmp_path / "same.json")
    assert code == 0, out

    code, out = gate(SMOKE, "--baseline", baseline, "--root", tmp_path,
                     "--target-env", "INJECT_LATENCY_ROUTES=/api/content/{id}=80")  # fmt: skip
    assert code == 1, out
    failed = [ln for ln in out.splitlines() if ln.startswith("FAIL ")]
    assert any(f"[{TARGET}]" in ln for ln in failed), out
    assert all(f"[{TARGET}]" in ln or "[overall]" in ln for ln in failed), out
