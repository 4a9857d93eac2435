"""``analyze`` as one call (``pipeline/analyze.py``): read the run, walk the flowchart, write
analysis.json beside run.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl import storage
from scalectl.errors import InputError
from scalectl.pipeline.analyze import analyze_dir
from tests.capacity.synth import make_baseline
from tests.factories import lognormal_latency, make_run


def _write_run(directory: Path, **kw) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    run = make_run(endpoints={"GET /a": lognormal_latency(40.0, 0.2)}, rps=40, seconds=8, **kw)
    storage.write_model(directory / storage.RUN_FILE, run)
    return directory


def test_analyses_a_run_directory_with_the_runs_slos(tmp_path: Path) -> None:
    run_dir = _write_run(tmp_path / "r", slo=["p95<1ms"], run_id="r")
    done = analyze_dir(run_dir)
    assert done.run.run_id == "r" and done.run_dir == run_dir
    assert done.path == run_dir / storage.ANALYSIS_FILE
    assert storage.load_analysis(run_dir) == done.analysis
    assert [r.expression for r in done.analysis.slo if r.counts] == ["p95<1ms"]
    assert done.analysis.performance_ok is False


def test_given_slos_replace_the_runs_and_run_json_names_its_directory(tmp_path: Path) -> None:
    run_dir = _write_run(tmp_path / "r", slo=["p95<1ms"])
    done = analyze_dir(run_dir / storage.RUN_FILE, ["p95<5s"])
    assert done.run_dir == run_dir
    assert [r.expression for r in done.analysis.slo if r.counts] == ["p95<5s"]
    assert done.analysis.performance_ok is True


def test_a_bad_slo_fails_before_the_run_is_read(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        analyze_dir(tmp_path / "no-such-run", ["p95 under 5s"])
    assert not (tmp_path / "no-such-run").exists()


def test_a_sweep_gives_the_load_levels(tmp_path: Path) -> None:
    baseline = make_baseline(100.0)
    storage.write_model(tmp_path / "b.json", baseline)
    run_dir = tmp_path / "step"
    run_dir.mkdir()
    storage.write_model(run_dir / storage.RUN_FILE, baseline.steps[-1].run)
    alone = analyze_dir(run_dir, ["p95<1ms"])
    swept = analyze_dir(run_dir, ["p95<1ms"], sweep=tmp_path / "b.json")
    one_level = "one load level: queueing (a concurrency limit) and slow code look alike in it"
    assert any(one_level in n for n in alone.analysis.notes)
    assert not any(one_level in n for n in swept.analysis.notes)
