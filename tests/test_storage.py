from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scalectl import storage
from scalectl.errors import InputError
from scalectl.models import Baseline, BaselineStep, EndpointStats, RunResult


def make_run(run_id: str = "r1") -> RunResult:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return RunResult(
        run_id=run_id,
        scenario_name="smoke",
        host="http://127.0.0.1:8000",
        started_at=now,
        ended_at=now,
        duration_s=10,
        total=EndpointStats(name="Total", requests=10),
    )


def test_run_round_trips(tmp_path: Path) -> None:
    run = make_run()
    storage.write_model(tmp_path / "run.json", run)
    assert storage.load_run(tmp_path) == run
    assert storage.load_run(tmp_path / "run.json") == run


def test_new_run_dirs_never_collide(tmp_path: Path) -> None:
    dirs = {storage.new_run_dir("smoke", root=tmp_path) for _ in range(5)}
    assert len(dirs) == 5
    assert all(d.is_dir() for d in dirs)


def test_out_dir_refuses_existing_run(tmp_path: Path) -> None:
    storage.write_model(tmp_path / "run.json", make_run())
    with pytest.raises(InputError, match="already holds a run"):
        storage.new_run_dir("smoke", out=tmp_path)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    storage.atomic_write_text(tmp_path / "a.txt", "one")
    storage.atomic_write_text(tmp_path / "a.txt", "two")
    assert (tmp_path / "a.txt").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"run_id": 3}', "not a valid run")],
)
def test_bad_run_files_are_input_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "run.json").write_text(content)
    with pytest.raises(InputError, match=message):
        storage.load_run(tmp_path)


def test_missing_run_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run"):
        storage.load_run(tmp_path / "nope")


def test_baseline_or_run_detection(tmp_path: Path) -> None:
    run = make_run()
    storage.write_model(tmp_path / "run" / "run.json", run)
    step = BaselineStep(index=0, rps=1, p50_ms=1, p95_ms=2, p99_ms=3, error_rate=0, slo_ok=True, run=run)
    b = Baseline(name="b", scenario_name="smoke", created_at=run.started_at, steps=[step])
    storage.write_model(tmp_path / "b.json", b)
    runs, baseline = storage.load_runs_or_baseline(tmp_path / "b.json")
    assert baseline == b and runs == [run]
    runs, baseline = storage.load_runs_or_baseline(tmp_path / "run")
    assert baseline is None and runs == [run]


def test_baseline_name_is_checked() -> None:
    with pytest.raises(InputError):
        storage.baseline_path("../etc/passwd")


def test_a_baseline_is_told_from_a_run_by_its_fields_not_their_order(tmp_path) -> None:
    import json

    from scalectl import storage
    from tests.capacity.synth import make_baseline

    data = json.loads(make_baseline(50.0).model_dump_json())
    reordered = {"steps": data.pop("steps"), **dict(reversed(list(data.items())))}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(reordered))
    assert storage.is_baseline_file(path)
    runs, base = storage.load_runs_or_baseline(path)
    assert base is not None and len(runs) == len(base.steps)
    run_path = tmp_path / "run.json"
    run = base.steps[0].run
    run_path.write_text(json.dumps(dict(reversed(list(json.loads(run.model_dump_json()).items())))))
    assert not storage.is_baseline_file(run_path)
    assert not storage.is_baseline_file(tmp_path / "missing.json")
