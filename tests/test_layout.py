from __future__ import annotations

from pathlib import Path

from scalectl import layout, storage


def test_paths_under_a_root() -> None:
    root = Path("/r")
    assert layout.run_dir("abc", root) == Path("/r/runs/abc")
    assert layout.baselines_dir(root) == Path("/r/baselines")
    assert layout.recommendations_dir(root) == Path("/r/recommendations")
    assert layout.target_dir(root) == Path("/r/target")
    assert layout.runs_dir() == Path("reports/runs")


def test_storage_writes_where_the_layout_says(tmp_path: Path) -> None:
    run_dir = storage.new_run_dir("smoke", root=tmp_path)
    assert run_dir.parent == layout.runs_dir(tmp_path)
    assert storage.baseline_path("b", root=tmp_path) == layout.baselines_dir(tmp_path) / "b.json"
    assert storage.RUN_FILE == layout.RUN_FILE
