"""Reading a run directory into a ReportInput, and writing a run's default ``report.html``.

The reporters stay pure; this module is the one place of the report package that touches files.
"""

from __future__ import annotations

from pathlib import Path

from scalectl import storage
from scalectl.errors import InputError
from scalectl.report.model import ReportInput

REPORT_FILE = "report.html"


def load_input(path: Path) -> ReportInput:
    """A run directory (or its run.json) with the analysis.json / recommendation.json beside it."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run directory or run.json")
    if storage.is_baseline_file(path):
        raise InputError(
            f"{path} is a baseline, not a run; report one of its steps' run directories "
            "(each step's run_dir), or compare them: scalectl report RUN_A RUN_B"
        )
    run_dir = path if path.is_dir() else path.parent
    if not (run_dir / storage.RUN_FILE).exists() and path.is_dir():
        raise InputError(f"{path}: not a run directory (no {storage.RUN_FILE})")
    run = storage.load_run(path)
    label = run_dir.name if run_dir.name else None
    return ReportInput(
        run=run,
        analysis=storage.load_analysis(run_dir),
        recommendation=storage.load_recommendation(run_dir),
        label=label,
    )


def write_default_report(run_dir: Path, item: ReportInput | None = None) -> Path:
    """Write ``RUN_DIR/report.html`` (atomically) for the run in ``run_dir``; returns its path.

    ``item``: the run and its analysis when the caller holds them (``postrun.finish_run``, after
    ``loadtest`` and each ``baseline`` step); otherwise they are read from ``run_dir``.
    """
    from scalectl.report import render

    item = item or load_input(Path(run_dir))
    target = Path(run_dir) / REPORT_FILE
    return storage.atomic_write_text(target, render("html", [item]))
