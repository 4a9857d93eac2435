from __future__ import annotations

from pathlib import Path

import pytest

from scalectl import storage
from tests.report import samples


@pytest.fixture
def run_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Two run directories: a full one (run, analysis, recommendation) and a bare candidate."""
    full = samples.full_item()
    a = tmp_path / "runs" / "baseline-run"
    storage.write_model(a / "run.json", full.run)
    assert full.analysis is not None and full.recommendation is not None
    storage.write_model(a / "analysis.json", full.analysis)
    storage.write_model(a / "recommendation.json", full.recommendation)
    b = tmp_path / "runs" / "candidate-run"
    storage.write_model(b / "run.json", samples.compare_items()[1].run)
    return a, b
