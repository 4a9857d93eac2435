"""Bottleneck analysis: signals → monitor → evidence rules → the flowchart → ``Analysis``.

Pure: RunResult in, Analysis out; no files, network or clock. Thresholds live in ``AnalysisParams``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scalectl.analysis.params import AnalysisParams
from scalectl.models import Analysis, RunResult

__all__ = ["AnalysisParams", "analyze_run"]


def analyze_run(
    run: RunResult,
    slo: Sequence[str] | None = None,
    params: AnalysisParams | None = None,
    *,
    sweep: Sequence[RunResult] = (),
) -> Analysis:
    """Walk the flowchart on ``run``. SLOs: ``slo`` if given, else the run's, else ``params.default_slo``.

    ``sweep``: the runs of the baseline sweep ``run`` is a step of (any order, ``run`` among them or
    not). Load levels then come from the steps up to this run's load, so a saturated step is judged
    against the sweep's lowest load, and a concurrency limit shows across the steps (Little's law).

    Raises InputError for an SLO expression that does not parse.
    """
    from scalectl.analysis.flowchart import walk
    from scalectl.analysis.signals import build_signals

    params = params or AnalysisParams()
    slos = list(slo) if slo else (list(run.slo) or list(params.default_slo))
    return walk(run, build_signals(run), slos, params, sweep)
