"""What follows a run of ``loadtest`` or a step of ``baseline``: the analysis and the HTML report.

The CLI calls :func:`finish_run` once the run is on disk, so ``analysis.json`` and ``report.html`` sit
next to ``run.json`` without a second command (``recommend --verify`` writes its run without them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scalectl import storage
from scalectl.models import Analysis, RunResult


def finish_run(
    run: RunResult, run_dir: Path, *, report: bool = True, sweep: Sequence[RunResult] = ()
) -> tuple[Analysis, Path | None]:
    """Analyze ``run`` (its own SLOs), write ``analysis.json``, and ``report.html`` unless ``report`` is off.

    ``sweep``: the runs of the baseline sweep ``run`` is a step of (see ``analyze_run``).
    The run itself is already written, so nothing here can lose it.
    """
    from scalectl.analysis import analyze_run

    run_dir = Path(run_dir)
    analysis = analyze_run(run, slo=run.slo or None, sweep=sweep)
    storage.write_model(run_dir / storage.ANALYSIS_FILE, analysis)
    report_path = None
    if report:
        from scalectl.report.files import write_default_report
        from scalectl.report.model import ReportInput

        item = ReportInput(
            run=run,
            analysis=analysis,
            recommendation=storage.load_recommendation(run_dir),
            label=run_dir.name or None,
        )
        report_path = write_default_report(run_dir, item)
    return analysis, report_path
