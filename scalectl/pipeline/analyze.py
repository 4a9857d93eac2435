"""``scalectl analyze`` as one call: read a run, walk the flowchart, try the top findings' changes when
asked, write ``analysis.json`` beside ``run.json``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scalectl import storage
from scalectl.models import Analysis, RunResult


@dataclass(frozen=True)
class AnalyzeOutcome:
    run: RunResult
    analysis: Analysis
    #: The run directory (``run_dir`` itself, or the folder of a ``run.json`` given as a file).
    run_dir: Path
    #: Where ``analysis.json`` was written.
    path: Path


@dataclass(frozen=True)
class ExperimentPlan:
    """``--experiment``: each arm's length and the runs per arm."""

    duration: float = 20.0
    rounds: int = 2


def analyze_dir(
    run_dir: Path,
    slo: Sequence[str] = (),
    *,
    sweep: Path | None = None,
    experiment: ExperimentPlan | None = None,
    progress: Callable[[str], None] | None = None,
) -> AnalyzeOutcome:
    """Analyse the run in ``run_dir`` (a directory or its ``run.json``) with ``slo`` (default: the
    run's); ``sweep`` is the baseline file whose step it is (load levels come from its steps)."""
    from scalectl.analysis import analyze_run
    from scalectl.slo import parse_all

    parse_all(list(slo))  # a bad expression fails before the run is read
    run = storage.load_run(run_dir)
    steps = [s.run for s in storage.load_baseline(sweep).steps] if sweep is not None else []
    analysis = analyze_run(run, slo=list(slo) or None, sweep=steps)
    directory = Path(run_dir) if Path(run_dir).is_dir() else Path(run_dir).parent
    if experiment is not None:
        from scalectl.pipeline.experiment import experiment_findings

        analysis = experiment_findings(
            directory, analysis, duration=experiment.duration, rounds=experiment.rounds, progress=progress
        )
    path = storage.write_model(directory / storage.ANALYSIS_FILE, analysis)
    return AnalyzeOutcome(run=run, analysis=analysis, run_dir=directory, path=path)
