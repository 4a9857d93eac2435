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


def test_finish_run_reports_the_run_it_holds_as_the_files_would(tmp_path) -> None:
    """``postrun.finish_run`` renders from memory; the page equals one rendered from the files."""
    from scalectl import storage
    from scalectl.postrun import finish_run
    from scalectl.report import render
    from scalectl.report.files import load_input
    from tests.factories import make_run

    run = make_run(seconds=5, slo=["p95<300ms"])
    run_dir = tmp_path / run.run_id
    run_dir.mkdir()
    storage.write_model(run_dir / storage.RUN_FILE, run)
    analysis, path = finish_run(run, run_dir)
    assert path is not None and path.read_text(encoding="utf-8") == render("html", [load_input(run_dir)])
    assert storage.load_analysis(run_dir) == analysis
