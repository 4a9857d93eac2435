"""What a reporter renders: one run with the analysis and recommendation that exist for it.

Reporters take a ``ReportInput`` (one run) or a sequence of them (a comparison); loading them from a
run directory is ``scalectl.report.files``'s job, so reporters never touch the disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from scalectl.models import Analysis, Recommendation, RunResult, SloResult


@dataclass(frozen=True)
class ReportInput:
    run: RunResult
    analysis: Analysis | None = None
    recommendation: Recommendation | None = None
    #: How a comparison names this run (the run directory's name); the run id when absent.
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.run.run_id


def slo_results(item: ReportInput) -> list[SloResult]:
    """The SLO verdict: the analysis's when there is one, otherwise the run's SLOs evaluated here."""
    if item.analysis is not None and item.analysis.slo:
        return list(item.analysis.slo)
    from scalectl.errors import InputError
    from scalectl.slo import evaluate

    results: list[SloResult] = []
    for text in item.run.slo:
        try:
            results.extend(evaluate(item.run, [text]))
        except InputError as exc:
            results.append(SloResult(expression=text, note=f"not understood: {exc}"))
    return results


def slo_verdict(results: list[SloResult]) -> bool | None:
    """True when every SLO held, False when one failed, None when none could be judged."""
    judged = [r.ok for r in results if r.ok is not None and r.counts]
    if not judged:
        return None
    return all(judged)
