from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalectl.cli.main import app

runner = CliRunner()


def test_help_explains_every_option() -> None:
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    for word in ("--format", "--out", "html", "md", "json", "term", "RUN_DIR"):
        assert word in result.output


def test_default_is_html_next_to_the_run(run_dirs: tuple[Path, Path]) -> None:
    a, _ = run_dirs
    result = runner.invoke(app, ["report", str(a)])
    assert result.exit_code == 0, result.output
    assert (a / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_comparison_html_goes_to_the_first_run_as_compare_html(run_dirs: tuple[Path, Path]) -> None:
    a, b = run_dirs
    result = runner.invoke(app, ["report", str(a), str(b)])
    assert result.exit_code == 0, result.output
    text = (a / "compare.html").read_text(encoding="utf-8")
    assert "baseline-run" in text and "candidate-run" in text
    assert not (a / "report.html").exists()


@pytest.mark.parametrize("fmt", ["md", "json", "term"])
def test_text_formats_go_to_stdout(run_dirs: tuple[Path, Path], fmt: str) -> None:
    a, _ = run_dirs
    result = runner.invoke(app, ["report", str(a), "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "20260101T120000Z-baseline" in result.stdout
    assert not (a / "report.html").exists()


def test_out_writes_the_file(run_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = run_dirs
    out = tmp_path / "cmp.json"
    result = runner.invoke(app, ["report", str(a), str(b), "-f", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["kind"] == "comparison" and doc["labels"] == ["baseline-run", "candidate-run"]


def test_missing_run_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such run directory" in result.output
    assert "Traceback" not in result.output


def test_unknown_format_is_a_usage_error(run_dirs: tuple[Path, Path]) -> None:
    result = runner.invoke(app, ["report", str(run_dirs[0]), "--format", "xml"])
    assert result.exit_code == 2
