from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.errors import InputError
from scalectl.report.files import load_input, write_default_report


def test_load_input_reads_what_lies_beside_the_run(run_dirs: tuple[Path, Path]) -> None:
    a, b = run_dirs
    full = load_input(a)
    assert full.analysis is not None and full.recommendation is not None and full.label == "baseline-run"
    bare = load_input(b / "run.json")
    assert bare.analysis is None and bare.recommendation is None and bare.label == "candidate-run"


def test_write_default_report_writes_report_html(run_dirs: tuple[Path, Path]) -> None:
    a, _ = run_dirs
    path = write_default_report(a)
    assert path == a / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Capacity recommendation" in text
    assert not list(a.glob(".report.html.*"))  # no temporary file left behind


def test_missing_and_non_run_directories_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run directory"):
        load_input(tmp_path / "nope")
    with pytest.raises(InputError, match="not a run directory"):
        load_input(tmp_path)


def test_corrupt_analysis_is_an_input_error(run_dirs: tuple[Path, Path]) -> None:
    a, _ = run_dirs
    (a / "analysis.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="analysis.json"):
        load_input(a)


def test_a_baseline_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    path.write_text('{"schema_version": 1, "name": "b", "scenario_name": "s", "steps": []}', encoding="utf-8")
    with pytest.raises(InputError, match="is a baseline, not a run"):
        load_input(path)
