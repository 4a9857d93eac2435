"""The gate names a linked baseline (``reports/runs/latest``) by the run it pointed at when read: the
gate's own run moves ``latest`` on (issue 13: "vs reports/runs/latest" then named the new run)."""

from __future__ import annotations

from pathlib import Path

from scalectl.pipeline.gate import _label


def test_a_linked_baseline_is_named_by_its_run(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "20261130-080000-smoke"
    run.mkdir(parents=True)
    latest = tmp_path / "runs" / "latest"
    latest.symlink_to(run.name, target_is_directory=True)
    assert _label(latest) == f"{latest} → 20261130-080000-smoke"
    assert _label(run) == str(run) and _label(None) is None
