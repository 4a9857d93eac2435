"""recommend --growth/--history/--prices/--current-replicas on the command line."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl import storage
from scalectl.cli.main import app
from scalectl.models import Baseline

runner = CliRunner()


@pytest.fixture(scope="module")
def sweep_files(sweep_baselines: list[Baseline], tmp_path_factory) -> list[str]:
    d = tmp_path_factory.mktemp("baselines")
    paths = [storage.write_model(d / f"{b.name}.json", b) for b in sweep_baselines]
    return [a for p in paths for a in ("--from", str(p))]


def test_growth_and_unit_prices(sweep_files: list[str], tmp_path: Path) -> None:
    out = tmp_path / "rec"
    args = ["recommend", *sweep_files, "--target-rps", "40", "--growth", "10%/month", "--horizon", "12"]
    args += [
        "--current-replicas",
        "2",
        "--price-vcpu-hour",
        "0.04",
        "--price-gib-hour",
        "0.005",
        "--out",
        str(out),
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    data = json.loads((out / "recommendation.json").read_text())
    assert len(data["forecast"]) == 13
    assert data["forecast"][12]["rps"] == pytest.approx(40 * 1.1**12)
    first = next((f["month"] for f in data["forecast"] if f["replicas"] > 2), None)
    assert data["capacity_runs_out_month"] == first
    assert data["cost"]["currency"] == "USD" and data["cost"]["monthly"] > 0
    html = (out / "report.html").read_text()
    assert "Forecast" in html and "Capacity runs out" in html
    line = f"at +10 %/month, 2 replicas run out in month {first} ({data['forecast'][first]['date']})"
    assert line in r.output.replace("\n", " ") or line in r.output


def test_history_csv_and_price_sheet(sweep_files: list[str], tmp_path: Path) -> None:
    d0 = date(2026, 1, 1)
    hist = tmp_path / "history.csv"
    rows = ["date,peak_rps"] + [
        f"{d0 + timedelta(days=30 * i)},{20 * math.exp(0.05 * i):.4f}" for i in range(10)
    ]
    hist.write_text("\n".join(rows) + "\n")
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "currency: EUR\ninstance_types:\n"
        "  - {name: s, vcpu: 2, memory_gib: 4, hourly: 0.05}\n"
        "  - {name: m, vcpu: 4, memory_gib: 8, hourly: 0.09}\n"
    )
    out = tmp_path / "rec"
    r = runner.invoke(
        app, ["recommend", *sweep_files, "--history", str(hist), "--prices", str(prices), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    data = json.loads((out / "recommendation.json").read_text())
    assert data["growth"]["source"] == "history" and data["growth"]["r2"] > 0.99
    assert data["target_rps"] == pytest.approx(20 * math.exp(0.05 * 9), rel=1e-3)
    assert data["cost"]["basis"] == "instances" and data["cost"]["currency"] == "EUR"
    assert data["cost"]["packing"]["instances"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--growth", "10%"], "--growth"),
        (["--growth", "10%/month", "--history", "x.csv"], "alternatives"),
        (["--horizon", "0"], "--horizon"),
        (["--current-replicas", "0"], "--current-replicas"),
        (["--history", "/nonexistent.csv"], "cannot read"),
    ],
)
def test_bad_plan_options_exit_2(
    sweep_files: list[str], extra: list[str], needle: str, tmp_path: Path
) -> None:
    r = runner.invoke(app, ["recommend", *sweep_files, "--target-rps", "40", *extra, "--out", str(tmp_path)])
    assert r.exit_code == 2, r.output
    assert needle in r.output and "Traceback" not in r.output


def test_target_rps_required_without_history(sweep_files: list[str], tmp_path: Path) -> None:
    r = runner.invoke(app, ["recommend", *sweep_files, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--target-rps" in r.output


def test_bad_history_row_names_line_and_field(sweep_files: list[str], tmp_path: Path) -> None:
    hist = tmp_path / "h.csv"
    hist.write_text("date,peak_rps\n2026-01-01,10\n2026-02-01,abc\n")
    r = runner.invoke(app, ["recommend", *sweep_files, "--history", str(hist), "--out", str(tmp_path)])
    assert r.exit_code == 2 and "h.csv:3" in r.output and "peak_rps" in r.output
